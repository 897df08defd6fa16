//! Real peers against the mock: botocore's LoginProvider and `@aws-sdk/credential-provider-login`
//! refresh against /v1/token; boto3 (1.40.76 and current) and `@aws-sdk/client-sts` (3.934 and
//! current) call STS with SigV4, succeed with issued credentials and fail with tampered ones.
//!
//! Peers come from the paths `cargo xtask` exports (`AWS_LOGIN_TEST_PYTHON`, `…_PYTHON_OLD`,
//! `…_NODE_MODULES`, `…_NODE_MODULES_OLD`), else from `interop/setup.sh`'s layout under
//! `$SIGNIN_MOCK_PEERS_DIR` (default `target/signin-mock-peers`). An absent peer's part is skipped
//! with a message naming the setup script; `SIGNIN_MOCK_REQUIRE_PEERS=1` makes that a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64ct::Encoding;
use common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use signin_mock::{MockConfig, RunningMock};

const ALICE: &str = "arn:aws:iam::111122223333:user/alice";

fn peers_dir() -> PathBuf {
    match std::env::var_os("SIGNIN_MOCK_PEERS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/signin-mock-peers"),
    }
}

fn interop_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("interop")
        .join(name)
}

/// Finds a peer: the path `cargo xtask` exports in `env_var` (then it must exist), else
/// `relative` under the peers dir; when absent, explains the skip (or fails when peers are required).
fn peer(env_var: &str, relative: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env_var).map(PathBuf::from) {
        assert!(path.exists(), "{env_var}={} does not exist", path.display());
        return Some(path);
    }
    let path = peers_dir().join(relative);
    if path.exists() {
        return Some(path);
    }
    let message = format!(
        "interop peer {} is absent (and {env_var} is unset); run crates/signin-mock/interop/setup.sh [DIR] \
         and set SIGNIN_MOCK_PEERS_DIR, or run through `cargo xtask test`",
        path.display()
    );
    if std::env::var_os("SIGNIN_MOCK_REQUIRE_PEERS").is_some() {
        panic!("{message}");
    }
    eprintln!("SKIPPED: {message}");
    None
}

fn iso(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .unwrap()
        .format(time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
        ))
        .unwrap()
}

/// SEC1 `EC PRIVATE KEY` PEM *with* the curve OID and public key, as AWS CLI writes it.
/// (awscrt, which botocore uses, refuses SEC1 without the `[0] parameters` field, and
/// `p256::SecretKey::to_sec1_pem` leaves it out.)
fn sec1_pem_with_curve(key: &DpopKey) -> String {
    let secret = key.key.to_bytes();
    let point = key.key.verifying_key().to_encoded_point(false);
    let mut der = vec![0x30, 0x77, 0x02, 0x01, 0x01, 0x04, 0x20];
    der.extend_from_slice(&secret);
    der.extend_from_slice(&[
        0xa0, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
    ]);
    der.extend_from_slice(&[0xa1, 0x44, 0x03, 0x42, 0x00]);
    der.extend_from_slice(point.as_bytes());
    assert_eq!(der.len(), 121);
    let body = base64ct::Base64::encode_string(&der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN EC PRIVATE KEY-----\n{}\n-----END EC PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

struct Workspace {
    dir: PathBuf,
    cache_file: PathBuf,
}

impl Workspace {
    /// Writes the login cache (as `aws login` would), a config with login, role and
    /// credential_process profiles, and the credential_process output.
    fn new(mock: &RunningMock, login: &Login, token: &Value, process_creds: &Value) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "signin-mock-interop-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4()
        ));
        let cache = dir.join("cache");
        std::fs::create_dir_all(&cache).unwrap();
        let pem = sec1_pem_with_curve(&login.key);
        let entry = json!({
            "accessToken": {
                "accessKeyId": token["accessToken"]["accessKeyId"],
                "secretAccessKey": token["accessToken"]["secretAccessKey"],
                "sessionToken": token["accessToken"]["sessionToken"],
                "accountId": "111122223333",
                "expiresAt": iso(now_secs() - 60),
            },
            "tokenType": "aws_sigv4",
            "clientId": SAME_DEVICE,
            "refreshToken": token["refreshToken"],
            "idToken": token["idToken"],
            "dpopKey": pem,
        });
        let cache_file = cache.join(format!(
            "{}.json",
            hex::encode(Sha256::digest(ALICE.as_bytes()))
        ));
        std::fs::write(&cache_file, serde_json::to_string_pretty(&entry).unwrap()).unwrap();
        std::fs::write(dir.join("process.json"), process_creds.to_string()).unwrap();
        let config = format!(
            "[profile login]\nlogin_session = {ALICE}\nregion = us-east-1\n\n\
             [profile deploy]\nrole_arn = arn:aws:iam::111122223333:role/Deploy\nsource_profile = login\nregion = us-east-1\n\n\
             [profile process]\ncredential_process = cat {process}\nregion = us-east-1\n\n\
             [profile deploy-process]\nrole_arn = arn:aws:iam::111122223333:role/Deploy\nsource_profile = process\nregion = us-east-1\n\n\
             [profile mfa]\nrole_arn = arn:aws:iam::111122223333:role/MfaDeploy\nsource_profile = process\nmfa_serial = arn:aws:iam::111122223333:mfa/alice\nregion = us-east-1\n",
            process = dir.join("process.json").display()
        );
        std::fs::write(dir.join("config"), config).unwrap();
        let _ = mock;
        Workspace { dir, cache_file }
    }

    /// Marks the cached access token expired so the next provider load refreshes.
    fn expire_cached_access_token(&self) {
        let mut entry: Value =
            serde_json::from_str(&std::fs::read_to_string(&self.cache_file).unwrap()).unwrap();
        entry["accessToken"]["expiresAt"] = json!(iso(now_secs() - 60));
        std::fs::write(
            &self.cache_file,
            serde_json::to_string_pretty(&entry).unwrap(),
        )
        .unwrap();
    }

    fn command(&self, program: &Path, mock: &RunningMock) -> Command {
        let mut command = Command::new(program);
        for var in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "https_proxy",
            "http_proxy",
        ] {
            command.env_remove(var);
        }
        command
            .env("HOME", &self.dir)
            .env("AWS_CONFIG_FILE", self.dir.join("config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.join("no-credentials"),
            )
            .env("AWS_LOGIN_CACHE_DIRECTORY", self.dir.join("cache"))
            .env("AWS_ENDPOINT_URL_SIGNIN", mock.base_url())
            .env("AWS_ENDPOINT_URL_STS", mock.base_url())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_PROXY", "127.0.0.1")
            .env("MOCK_BASE", mock.base_url())
            .env("INTEROP_DIR", &self.dir);
        command
    }
}

fn run(mut command: Command, what: &str) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    eprint!("{stdout}");
    stdout
}

#[test]
fn real_sdks_against_the_mock() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut config = MockConfig::default();
    config.roles.push(signin_mock::Role {
        mfa_required: true,
        ..signin_mock::Role::new("arn:aws:iam::111122223333:role/MfaDeploy")
    });
    let mock = runtime.block_on(start(config));
    let http = client();
    let (login, token) = runtime.block_on(common::login(&http, mock.base_url(), "alice"));
    // A second, independent login supplies the static / credential_process credentials.
    let (_, second) = runtime.block_on(common::login(&http, mock.base_url(), "alice"));
    let process_creds = json!({
        "Version": 1,
        "AccessKeyId": second["accessToken"]["accessKeyId"],
        "SecretAccessKey": second["accessToken"]["secretAccessKey"],
        "SessionToken": second["accessToken"]["sessionToken"],
        "Expiration": iso(now_secs() + 800),
    });
    let workspace = Workspace::new(&mock, &login, &token, &process_creds);
    let boto = interop_script("boto_check.py");
    let js = interop_script("js_check.cjs");
    let mut refreshes = 0;

    if let Some(python) = peer("AWS_LOGIN_TEST_PYTHON", "venv-new/bin/python") {
        let mut command = workspace.command(&python, &mock);
        command.arg(&boto).arg("login");
        let out = run(command, "botocore LoginProvider + STS");
        assert!(out.contains("refreshed exactly once"), "{out}");
        refreshes += 1;
        let mut command = workspace.command(&python, &mock);
        command.arg(&boto).arg("static");
        run(command, "current boto3 static credentials + STS");
        let mut command = workspace.command(&python, &mock);
        command.arg(&boto).arg("mfa");
        let out = run(
            command,
            "current botocore AssumeRoleProvider with mfa_serial",
        );
        assert!(out.contains("prompted once"), "{out}");
    }
    if let Some(python) = peer("AWS_LOGIN_TEST_PYTHON_OLD", "venv-old/bin/python") {
        let mut command = workspace.command(&python, &mock);
        command.arg(&boto).arg("static");
        let out = run(command, "boto3 1.40.76 static credentials + STS");
        assert!(out.contains("PASS [1.40.76]"), "{out}");
        // The next step's code (accepted as drift), not the one the current botocore spent.
        let mut command = workspace.command(&python, &mock);
        command.arg(&boto).arg("mfa").arg("30");
        let out = run(
            command,
            "botocore 1.40.76 AssumeRoleProvider with mfa_serial",
        );
        assert!(out.contains("PASS [1.40.76]: AssumeRoleProvider"), "{out}");
    }
    if let Some(modules) = peer("AWS_LOGIN_TEST_NODE_MODULES", "node-new/node_modules") {
        // The cache was last written by botocore (if it ran): the JS provider must refresh it.
        workspace.expire_cached_access_token();
        let mut command = workspace.command(Path::new("node"), &mock);
        command.env("NODE_PATH", &modules).arg(&js).arg("login");
        run(command, "@aws-sdk/credential-provider-login refresh");
        refreshes += 1;
        let mut command = workspace.command(Path::new("node"), &mock);
        command.env("NODE_PATH", &modules).arg(&js).arg("static");
        run(command, "current @aws-sdk/client-sts");
    }
    if let Some(modules) = peer("AWS_LOGIN_TEST_NODE_MODULES_OLD", "node-old/node_modules") {
        let mut command = workspace.command(Path::new("node"), &mock);
        command.env("NODE_PATH", &modules).arg(&js).arg("static");
        let out = run(command, "@aws-sdk/client-sts 3.934.0");
        assert!(out.contains("client-sts 3.934.0"), "{out}");
    }
    if let Some(python) = peer("AWS_LOGIN_TEST_PYTHON", "venv-new/bin/python") {
        let mut command = workspace.command(&python, &mock);
        command.arg(&boto).arg("retry");
        run(
            command,
            "botocore refresh through a 500, a dropped connection and a 429",
        );
        refreshes += 3;
        workspace.expire_cached_access_token();
        let mut command = workspace.command(&python, &mock);
        command.arg(&boto).arg("revoked");
        run(command, "botocore after a password change");
    }

    let stats = mock.stats();
    let jkt = login.key.thumbprint();
    let ok_for_key = stats
        .token_by_key
        .get(&jkt)
        .and_then(|g| g.get("refresh_token"))
        .and_then(|o| o.get("ok"))
        .copied()
        .unwrap_or(0);
    assert_eq!(
        ok_for_key, refreshes,
        "every refresh was signed by the login's DPoP key"
    );
    assert_eq!(
        stats.token_outcome("refresh_token", "ok"),
        refreshes,
        "{stats:?}"
    );
    let _ = std::fs::remove_dir_all(&workspace.dir);
    drop(mock);
}

/// botocore (current and 1.40.76) against the IAM Identity Center side: the `sso-oidc` and
/// `sso` clients, then an sso-session profile whose token botocore refreshes before calling
/// GetRoleCredentials and STS. Both endpoints are the one mock base URL.
#[test]
fn sso_peers_against_the_mock() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(start(MockConfig {
        sso: signin_mock::SsoConfig {
            device_poll_interval_secs: 1,
            ..signin_mock::SsoConfig::default()
        },
        ..MockConfig::default()
    }));
    let script = interop_script("sso_check.py");
    for (env_var, relative, version) in [
        ("AWS_LOGIN_TEST_PYTHON", "venv-new/bin/python", None),
        (
            "AWS_LOGIN_TEST_PYTHON_OLD",
            "venv-old/bin/python",
            Some("1.40.76"),
        ),
    ] {
        let Some(python) = peer(env_var, relative) else {
            continue;
        };
        let dir = std::env::temp_dir().join(format!("signin-mock-sso-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut command = Command::new(&python);
        for var in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "https_proxy",
            "http_proxy",
        ] {
            command.env_remove(var);
        }
        command
            .arg(&script)
            .env("HOME", &dir)
            .env("AWS_CONFIG_FILE", dir.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
            .env("AWS_ENDPOINT_URL_SSO_OIDC", mock.base_url())
            .env("AWS_ENDPOINT_URL_SSO", mock.base_url())
            .env("AWS_ENDPOINT_URL_STS", mock.base_url())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_PROXY", "127.0.0.1")
            .env("MOCK_BASE", mock.base_url());
        let out = run(command, "botocore sso-oidc, sso and the SSO provider chain");
        assert!(out.contains("STS accepted them"), "{out}");
        if let Some(version) = version {
            assert!(out.contains(&format!("PASS [{version}]")), "{out}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    let js = interop_script("sso_check.cjs");
    for (env_var, relative) in [
        ("AWS_LOGIN_TEST_NODE_MODULES", "node-new/node_modules"),
        ("AWS_LOGIN_TEST_NODE_MODULES_OLD", "node-old/node_modules"),
    ] {
        let Some(modules) = peer(env_var, relative) else {
            continue;
        };
        let token = runtime.block_on(sso_device_sign_in(&mock));
        let dir = std::env::temp_dir().join(format!("signin-mock-sso-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let refreshes = mock.stats().sso_token_outcome("refresh_token", "ok");
        let role_calls = mock.stats().sso_portal_outcome("GetRoleCredentials", "ok");
        let mut command = Command::new("node");
        for var in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "https_proxy",
            "http_proxy",
        ] {
            command.env_remove(var);
        }
        command
            .arg(&js)
            .env("NODE_PATH", &modules)
            .env("HOME", &dir)
            .env("AWS_CONFIG_FILE", dir.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
            .env("AWS_ENDPOINT_URL_SSO_OIDC", mock.base_url())
            .env("AWS_ENDPOINT_URL_SSO", mock.base_url())
            .env("AWS_ENDPOINT_URL_STS", mock.base_url())
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_PROXY", "127.0.0.1")
            .env("SSO_TOKEN", token.to_string());
        let out = run(command, "@aws-sdk/credential-provider-sso fromSSO + STS");
        assert!(
            out.contains("STS accepted the SSO role credentials"),
            "{out}"
        );
        let stats = mock.stats();
        assert_eq!(
            stats.sso_token_outcome("refresh_token", "ok"),
            refreshes + 1
        );
        assert_eq!(
            stats.sso_portal_outcome("GetRoleCredentials", "ok"),
            role_calls + 1
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    drop(mock);
}

/// A device-flow sign-in as alice over HTTP; returns what the token cache needs.
async fn sso_device_sign_in(mock: &RunningMock) -> Value {
    let http = client();
    let base = mock.base_url();
    let post = |path: &str, body: Value| {
        http.post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let registration: Value = post(
        "/client/register",
        json!({"clientName": "botocore-client-my-sso", "clientType": "public", "scopes": ["sso:account:access"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let device: Value = post(
        "/device_authorization",
        json!({"clientId": registration["clientId"], "clientSecret": registration["clientSecret"],
               "startUrl": mock.sso_start_url()}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    mock.approve_device(device["userCode"].as_str().unwrap(), Some("alice"))
        .unwrap();
    let token: Value = post(
        "/token",
        json!({"grantType": "urn:ietf:params:oauth:grant-type:device_code",
               "clientId": registration["clientId"], "clientSecret": registration["clientSecret"],
               "deviceCode": device["deviceCode"]}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    json!({
        "accessToken": token["accessToken"],
        "refreshToken": token["refreshToken"],
        "clientId": registration["clientId"],
        "clientSecret": registration["clientSecret"],
        "registrationExpiresAt": iso(registration["clientSecretExpiresAt"].as_i64().unwrap()),
    })
}
