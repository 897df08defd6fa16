//! `aws-login sso login` / `sso logout` and SSO profiles end to end against signin-mock's IAM
//! Identity Center over loopback: PKCE in headless Chromium (approve, deny, forged state), the
//! device flow (auto-approved in a browser stand-in, and approved by its user code while the
//! CLI polls), the files written and their bytes, boto3 (current and 1.40.76) reading and
//! refreshing our token and us reading and refreshing botocore's, 32 processes at token expiry
//! and at role-credential expiry, the error cases with their exit codes, logout, a role on top
//! of an SSO profile, and credential-process signing in by itself.

mod login_support;
#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use login_core::sso::{RoleCredentialsCache, SsoToken};
use login_core::OffsetDateTime;
use login_support::sso::*;
use login_support::*;
use support::Sandbox;

fn config() -> String {
    format!(
        "# mine\n[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\nregion = us-east-1\n\n[sso-session my-sso]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n[profile noaccess]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Deploy\n"
    )
}

fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    std::fs::write(&sandbox.config_file, config()).unwrap();
    sandbox
}

fn role_cache_dir(sandbox: &Sandbox) -> PathBuf {
    sandbox.home.join(".aws/cli/cache")
}

fn sso_role_files(sandbox: &Sandbox) -> Vec<PathBuf> {
    std::fs::read_dir(role_cache_dir(sandbox))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "json")
                        && RoleCredentialsCache::is_sso_entry(&std::fs::read(p).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn export(sandbox: &Sandbox, profile: &str) -> std::process::Output {
    sso_cli(sandbox)
        .args(["export-credentials", "--profile", profile])
        .output()
        .unwrap()
}

fn boto3_sso(sandbox: &Sandbox, python: &Path, profile: &str) -> Result<String, String> {
    let mut command = boto3_command(sandbox, python, profile);
    with_sso_endpoints(&mut command, sandbox);
    caller_identity(&mut command)
}

#[test]
fn pkce_allow_in_chromium_writes_what_aws_cli_writes_and_every_reader_uses_it() {
    let Some(peers) = peers() else { return };
    let sandbox = sandbox();
    let out = with_sso_chromium(&mut sso_cli(&sandbox), &sandbox, &peers, "allow", false)
        .args(["sso", "login", "--sso-session", "my-sso"])
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!("Successfully logged into Start URL: {START_URL}\n")
    );
    assert!(
        stderr.contains("/authorize?response_type=code&client_id="),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge="),
        "{stderr}"
    );
    let records = browser_records(&sandbox, 1);
    assert_eq!(records[0]["id"], "login-succeeded", "{records:?}");

    // The token file: AWS CLI's key order and spelling, 0600.
    let path = sso_token_path(&sandbox);
    let bytes = std::fs::read_to_string(&path).unwrap();
    assert!(
        bytes.starts_with(&format!(
            "{{\"startUrl\": \"{START_URL}\", \"region\": \"us-east-1\", \"accessToken\": \""
        )),
        "{}",
        bytes.len()
    );
    let token = SsoToken::from_json(bytes.as_bytes()).unwrap();
    assert!(token.refresh_token.is_some() && token.registration_expires_at.is_some());
    assert_eq!(token.to_json(), bytes, "our own writer's bytes");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The PKCE registration is cached under AWS CLI's key.
    let target = login_core::sso::SsoLoginTarget::Session(login_core::sso::SsoSessionConfig {
        name: "my-sso".into(),
        start_url: START_URL.into(),
        region: "us-east-1".into(),
        scopes: Some(vec!["sso:account:access".into()]),
    });
    let reg = std::fs::read_to_string(path.with_file_name(target.registration_key().file_name()))
        .unwrap();
    assert!(
        reg.contains("\"grantTypes\": [\"authorization_code\", \"refresh_token\"]"),
        "{reg}"
    );
    // The config file was not touched.
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        config()
    );

    // export-credentials: GetRoleCredentials, cached in ~/.aws/cli/cache as AWS CLI caches it.
    let out = export(&sandbox, "dev");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"),
        "{json}"
    );
    let files = sso_role_files(&sandbox);
    assert_eq!(files.len(), 1);
    let key = login_core::sso::RoleCacheKey::Session {
        account_id: "111122223333".into(),
        role_name: "ReadOnly".into(),
        session_name: "my-sso".into(),
    };
    assert_eq!(
        files[0].file_name().unwrap().to_str().unwrap(),
        key.file_name()
    );
    let second = export(&sandbox, "dev");
    assert_eq!(
        second.stdout, out.stdout,
        "the cached role credentials are reused"
    );
    assert_eq!(
        sandbox.mock.stats().sso_portal_calls("GetRoleCredentials"),
        1
    );

    // botocore, current and 1.40.76, read our token and call STS with the role credentials.
    for python in [&peers.python, &peers.python_old] {
        let arn = boto3_sso(&sandbox, python, "dev")
            .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
        assert!(
            arn.contains("111122223333") && arn.contains("ReadOnly"),
            "{arn}"
        );
    }
}

#[test]
fn pkce_deny_in_chromium_saves_nothing_and_says_so() {
    let Some(peers) = peers() else { return };
    let sandbox = sandbox();
    let out = with_sso_chromium(&mut sso_cli(&sandbox), &sandbox, &peers, "deny", false)
        .args(["sso", "login", "--profile", "dev"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("denied") && stderr.contains("aws-login sso login --sso-session my-sso"),
        "{stderr}"
    );
    assert!(!sso_token_path(&sandbox).exists());
    let records = browser_records(&sandbox, 1);
    assert_eq!(records[0]["id"], "login-failed", "{records:?}");
}

#[test]
fn a_forged_callback_is_ignored_and_the_real_one_still_signs_in() {
    let Some(peers) = peers() else { return };
    let sandbox = sandbox();
    let out = with_sso_chromium(&mut sso_cli(&sandbox), &sandbox, &peers, "allow", true)
        .args(["sso", "login", "--sso-session", "my-sso"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("ignored a request to the sign-in callback"),
        "{stderr}"
    );
    let records = browser_records(&sandbox, 1);
    assert_eq!(records[0]["forged"]["id"], "login-failed", "{records:?}");
    assert_eq!(records[0]["id"], "login-succeeded", "{records:?}");
    assert!(sso_token_path(&sandbox).exists());
}

#[test]
fn device_flow_approved_by_its_code_while_the_cli_polls() {
    let sandbox = sandbox();
    let mut child = sso_cli(&sandbox)
        .args([
            "sso",
            "login",
            "--use-device-code",
            "--no-browser",
            "--sso-session",
            "my-sso",
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    let code = loop {
        let line = lines.next().expect("the CLI prints the code").unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if seen.ends_with("Then enter the code:\n\n") {
            continue;
        }
        if seen.contains("Then enter the code:\n\n") && !line.is_empty() {
            break line.trim().to_owned();
        }
    };
    assert!(
        seen.contains("Browser will not be automatically opened."),
        "{seen}"
    );
    assert!(code.len() == 9 && code.as_bytes()[4] == b'-', "{code:?}");
    // Let it poll a few times before approving.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    sandbox.mock.approve_device(&code, Some("alice")).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        text(&out.stdout),
        format!("Successfully logged into Start URL: {START_URL}\n")
    );
    let stats = sandbox.mock.stats();
    assert!(
        stats.sso_token_outcome("device_code", "AuthorizationPendingException") >= 2,
        "{stats:?}"
    );
    assert_eq!(stats.sso_token_outcome("device_code", "ok"), 1, "{stats:?}");
    let token = SsoToken::from_json(&std::fs::read(sso_token_path(&sandbox)).unwrap()).unwrap();
    assert!(
        token.refresh_token.is_some(),
        "a session with scopes gets a refresh token"
    );
}

#[test]
fn over_ssh_pkce_says_to_use_the_device_code() {
    let sandbox = sandbox();
    let out = sso_cli(&sandbox)
        .env("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
        .args(["sso", "login", "--profile", "dev"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("aws-login sso login --sso-session my-sso --use-device-code"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn thirty_two_processes_at_expiry_make_one_create_token_and_one_get_role_credentials() {
    let sandbox = sandbox();
    sso_device_login(&sandbox, "dev");
    let run_32 = || {
        let children: Vec<_> = (0..32)
            .map(|_| {
                sso_cli(&sandbox)
                    .args(["export-credentials", "--profile", "dev"])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outs: Vec<_> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        for o in &outs {
            assert!(o.status.success(), "{}", text(&o.stderr));
        }
        let first = &outs[0].stdout;
        assert!(
            outs.iter().all(|o| &o.stdout == first),
            "all got the same credentials"
        );
    };
    // Token inside the refresh window, no role credentials cached yet.
    set_sso_token_expiry(&sso_token_path(&sandbox), 60);
    let before = sandbox.mock.stats();
    run_32();
    let after = sandbox.mock.stats();
    assert_eq!(
        after.sso_token_calls("refresh_token") - before.sso_token_calls("refresh_token"),
        1
    );
    assert_eq!(
        after.sso_portal_calls("GetRoleCredentials")
            - before.sso_portal_calls("GetRoleCredentials"),
        1
    );
    let token = SsoToken::from_json(&std::fs::read(sso_token_path(&sandbox)).unwrap()).unwrap();
    assert!(token.seconds_left(OffsetDateTime::now_utc()) > 900);

    // Role credentials inside AWS CLI's 15-minute window; the token is fresh.
    let files = sso_role_files(&sandbox);
    assert_eq!(files.len(), 1);
    let text_before = std::fs::read_to_string(&files[0]).unwrap();
    let creds = RoleCredentialsCache::from_json(text_before.as_bytes()).unwrap();
    let soon = login_core::timefmt::format_expires_at(
        OffsetDateTime::now_utc() + time::Duration::seconds(120),
    );
    std::fs::write(
        &files[0],
        text_before.replace(
            &login_core::timefmt::format_expires_at(creds.expiration),
            &soon,
        ),
    )
    .unwrap();
    let before = sandbox.mock.stats();
    run_32();
    let after = sandbox.mock.stats();
    assert_eq!(
        after.sso_portal_calls("GetRoleCredentials")
            - before.sso_portal_calls("GetRoleCredentials"),
        1
    );
    assert_eq!(
        after.sso_token_calls("refresh_token"),
        before.sso_token_calls("refresh_token")
    );
}

#[test]
fn botocore_refreshes_our_token_and_we_refresh_botocores() {
    let Some(peers) = peers() else { return };
    for python in [&peers.python, &peers.python_old] {
        let sandbox = sandbox();
        sso_device_login(&sandbox, "dev");
        let path = sso_token_path(&sandbox);
        // Ours, 10 minutes left: botocore (15-minute window) refreshes it and writes its bytes.
        set_sso_token_expiry(&path, 600);
        let ours = std::fs::read_to_string(&path).unwrap();
        let arn = boto3_sso(&sandbox, python, "dev")
            .unwrap_or_else(|e| panic!("{}: {e}", python.display()));
        assert!(arn.contains("ReadOnly"), "{arn}");
        assert_eq!(
            sandbox.mock.stats().sso_token_calls("refresh_token"),
            1,
            "{}",
            python.display()
        );
        let theirs = std::fs::read_to_string(&path).unwrap();
        assert_ne!(theirs, ours);
        let token = SsoToken::from_json(theirs.as_bytes()).unwrap();
        assert!(token.seconds_left(OffsetDateTime::now_utc()) > 900);

        // botocore's file, near expiry: we refresh it (one CreateToken) and answer.
        std::fs::remove_dir_all(role_cache_dir(&sandbox)).ok();
        set_sso_token_expiry(&path, 60);
        let out = export(&sandbox, "dev");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(sandbox.mock.stats().sso_token_calls("refresh_token"), 2);
        let token = SsoToken::from_json(&std::fs::read(&path).unwrap()).unwrap();
        assert!(
            token.refresh_token.is_some(),
            "the refreshed file stays refreshable"
        );
        // And botocore reads what we wrote after our refresh.
        assert!(boto3_sso(&sandbox, python, "dev").is_ok());
    }
}

#[test]
fn errors_say_what_to_do_and_exit_with_their_codes() {
    let sandbox = sandbox();
    // No token yet.
    let out = export(&sandbox, "dev");
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("aws-login sso login --sso-session my-sso"),
        "{}",
        text(&out.stderr)
    );

    sso_device_login(&sandbox, "dev");
    // ForbiddenException: the role is not assigned to the user.
    let out = export(&sandbox, "noaccess");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("no access to role 'Deploy' in account 111122223333")
            && stderr.contains("ForbiddenException"),
        "{stderr}"
    );

    // UnauthorizedException: the service ended the access token before its local expiry.
    sandbox.mock.expire_sso_tokens();
    let out = export(&sandbox, "dev");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("expired or was signed out")
            && stderr.contains("aws-login sso login --sso-session my-sso"),
        "{stderr}"
    );

    // An expired token whose sign-in ended: the refresh is refused.
    sandbox.mock.expire_sso_sessions();
    set_sso_token_expiry(&sso_token_path(&sandbox), -60);
    let out = export(&sandbox, "dev");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("refused to refresh") && stderr.contains("InvalidGrant"),
        "{stderr}"
    );

    // A revoked registration.
    sso_device_login(&sandbox, "dev");
    sandbox.mock.expire_sso_registrations();
    set_sso_token_expiry(&sso_token_path(&sandbox), -60);
    let out = export(&sandbox, "dev");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("InvalidClient") && stderr.contains("registration was revoked"),
        "{stderr}"
    );

    // A half-written token file: a clear message, the file kept as it is.
    std::fs::write(sso_token_path(&sandbox), "{\"startUrl\": \"https://d-").unwrap();
    let out = export(&sandbox, "dev");
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("left as it is")
            && stderr.contains("aws-login sso login --sso-session my-sso"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(sso_token_path(&sandbox)).unwrap(),
        "{\"startUrl\": \"https://d-"
    );

    // --help lists the codes.
    let help = text(
        &sso_cli(&sandbox)
            .args(["sso", "login", "--help"])
            .output()
            .unwrap()
            .stdout,
    );
    assert!(
        help.contains("ForbiddenException") && help.contains("access_denied"),
        "{help}"
    );
}

#[test]
fn logout_signs_out_deletes_tokens_and_sso_role_credentials_and_keeps_registrations() {
    let sandbox = sandbox();
    sso_device_login(&sandbox, "dev");
    assert!(export(&sandbox, "dev").status.success());
    let cache = sandbox.home.join(".aws/sso/cache");
    let other_role_cache = role_cache_dir(&sandbox).join("assume-role.json");
    std::fs::write(&other_role_cache, "{\"Credentials\": {}}").unwrap();
    let out = sso_cli(&sandbox).args(["sso", "logout"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "Removed 1 SSO token (1 signed out at the portal) and 1 cached SSO role credential; client registrations kept.\n"
    );
    assert!(!sso_token_path(&sandbox).exists());
    let left: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .collect();
    assert_eq!(left.len(), 1, "the registration stays");
    assert!(other_role_cache.exists(), "assume-role caches stay");
    assert!(sso_role_files(&sandbox).is_empty());
    assert_eq!(sandbox.mock.stats().sso_portal_outcome("Logout", "ok"), 1);
}

#[test]
fn credential_process_signs_in_by_itself_and_answers_in_the_same_invocation() {
    let sandbox = sandbox();
    sandbox.mock.set_sso_auto_approve(Some("alice")).unwrap();
    let out = with_fetch_browser(&mut sso_cli(&sandbox), &sandbox)
        .args(["credential-process", "--profile", "dev"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["Version"], 1);
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert!(sso_token_path(&sandbox).exists());
}

/// The JS SDK v3's `fromSSO` (from `node_modules`) with `profile`, then STS GetCallerIdentity
/// against the mock; returns the ARN.
fn js_sso_caller_identity(
    sandbox: &Sandbox,
    node_modules: &Path,
    profile: &str,
) -> Result<String, String> {
    let script = "const path = require('path');\n\
                  const m = process.env.AWS_LOGIN_TEST_NODE_MODULES;\n\
                  const { fromSSO } = require(path.join(m, '@aws-sdk/credential-provider-sso'));\n\
                  const { STSClient, GetCallerIdentityCommand } = require(path.join(m, '@aws-sdk/client-sts'));\n\
                  const client = new STSClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL_STS,\n\
                    credentials: fromSSO({ profile: process.argv[1] }) });\n\
                  client.send(new GetCallerIdentityCommand({})).then(\n\
                    (r) => console.log(r.Arn), (e) => { console.error(e); process.exit(1); });\n";
    let mut command = sandbox.command("node");
    command
        .args(["-e", script, profile])
        .env("AWS_LOGIN_TEST_NODE_MODULES", node_modules);
    with_sso_endpoints(&mut command, sandbox);
    caller_identity(&mut command)
}

#[test]
fn the_js_sdk_reads_and_refreshes_our_token_and_we_read_and_refresh_its_file() {
    let Some(peers) = peers() else { return };
    let old = std::env::var_os("AWS_LOGIN_TEST_NODE_MODULES_OLD")
        .map(PathBuf::from)
        .expect("AWS_LOGIN_TEST_NODE_MODULES_OLD is set by `cargo xtask test`");
    for modules in [peers.node_modules.clone(), old] {
        let sandbox = sandbox();
        sso_device_login(&sandbox, "dev");
        let path = sso_token_path(&sandbox);
        // Ours, fresh: fromSSO reads it as is.
        let arn = js_sso_caller_identity(&sandbox, &modules, "dev")
            .unwrap_or_else(|e| panic!("{}: {e}", modules.display()));
        assert!(arn.contains("ReadOnly"), "{arn}");
        assert_eq!(sandbox.mock.stats().sso_token_calls("refresh_token"), 0);
        // Ours, 2 minutes left: the JS SDK (5-minute window) refreshes it and writes its bytes.
        set_sso_token_expiry(&path, 120);
        assert!(js_sso_caller_identity(&sandbox, &modules, "dev").is_ok());
        assert_eq!(
            sandbox.mock.stats().sso_token_calls("refresh_token"),
            1,
            "{}",
            modules.display()
        );
        let theirs = std::fs::read_to_string(&path).unwrap();
        assert!(theirs.starts_with("{\n  \""), "the JS SDK writes indent 2");
        let token = SsoToken::from_json(theirs.as_bytes()).unwrap();
        assert!(token.seconds_left(OffsetDateTime::now_utc()) > 900);
        // The JS SDK's file near expiry: we refresh it and answer.
        std::fs::remove_dir_all(role_cache_dir(&sandbox)).ok();
        let ms = serde_json::from_str::<serde_json::Value>(&theirs).unwrap()["expiresAt"]
            .as_str()
            .unwrap()
            .to_owned();
        let soon = OffsetDateTime::now_utc() + time::Duration::seconds(60);
        let soon = format!(
            "{}.123Z",
            login_core::timefmt::format_expires_at(soon).trim_end_matches('Z')
        );
        std::fs::write(&path, theirs.replace(&ms, &soon)).unwrap();
        let out = export(&sandbox, "dev");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(sandbox.mock.stats().sso_token_calls("refresh_token"), 2);
        assert!(js_sso_caller_identity(&sandbox, &modules, "dev").is_ok());
    }
}

#[test]
fn a_role_profile_on_top_of_an_sso_profile_assumes_its_role_with_the_sso_credentials() {
    let sandbox = sandbox();
    let mut text_config = config();
    text_config.push_str("\n[profile deploy]\nrole_arn = arn:aws:iam::111122223333:role/Deploy\nsource_profile = dev\n");
    std::fs::write(&sandbox.config_file, &text_config).unwrap();
    sso_device_login(&sandbox, "dev");
    let out = export(&sandbox, "deploy");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"),
        "{json}"
    );
    let stats = sandbox.mock.stats();
    assert_eq!(stats.sso_portal_calls("GetRoleCredentials"), 1, "{stats:?}");
    let assumed: u64 = stats
        .assume_role
        .get("arn:aws:iam::111122223333:role/Deploy")
        .map_or(0, |m| m.get("ok").copied().unwrap_or(0));
    assert_eq!(assumed, 1, "{stats:?}");
    // The SSO role credentials are cached as the base of the chain.
    assert_eq!(sso_role_files(&sandbox).len(), 1);
}

#[test]
fn status_lists_sso_sessions_without_tokens() {
    let sandbox = sandbox();
    let out = sso_cli(&sandbox)
        .args(["status", "--profile", "dev"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "not signed in yet");
    assert!(
        text(&out.stdout).contains("not signed in: run `aws-login sso login --sso-session my-sso`"),
        "{}",
        text(&out.stdout)
    );
    sso_device_login(&sandbox, "dev");
    let out = sso_cli(&sandbox)
        .args(["status", "--all"])
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("SSO session my-sso\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("  start URL    {START_URL}\n")),
        "{stdout}"
    );
    assert!(
        stdout.contains("can refresh")
            && stdout.contains("registration expires")
            && stdout.contains("health       active"),
        "{stdout}"
    );
    let token = std::fs::read_to_string(sso_token_path(&sandbox)).unwrap();
    let secret: serde_json::Value = serde_json::from_str(&token).unwrap();
    for key in ["accessToken", "refreshToken", "clientSecret"] {
        assert!(
            !stdout.contains(secret[key].as_str().unwrap()),
            "{key} printed"
        );
    }
    let out = sso_cli(&sandbox)
        .args(["status", "--all", "--json"])
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &doc["ssoSessions"][0];
    assert_eq!(
        (s["ssoSession"].as_str(), s["refreshable"].as_bool()),
        (Some("my-sso"), Some(true)),
        "{doc}"
    );
    assert!(s["secondsLeft"].as_i64().unwrap() > 900);
}
