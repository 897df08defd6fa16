//! The `aws-login` binary's non-interactive commands against a real signin-mock: every output
//! format, refresh on expiry, each error row's message and exit code, corrupt caches, logout and
//! status.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::process::Output;

use login_core::{CacheEntry, ExportFormat};
use signin_mock::{FaultPlan, FaultTarget};
use support::{Sandbox, Session};

fn aws_login(sandbox: &Sandbox, args: &[&str]) -> Output {
    sandbox
        .command(env!("CARGO_BIN_EXE_aws-login"))
        .args(args)
        .output()
        .expect("aws-login runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// The secrets in the session's cache file (none when it does not parse).
fn secrets(session: &Session) -> Vec<String> {
    let Some(json) = std::fs::read(&session.cache_file)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
    else {
        return Vec::new();
    };
    [
        json["refreshToken"].as_str(),
        json["dpopKey"].as_str().and_then(|k| k.lines().nth(1)),
        json["accessToken"]["secretAccessKey"].as_str(),
        json["accessToken"]["sessionToken"].as_str(),
    ]
    .into_iter()
    .flatten()
    .map(str::to_string)
    .collect()
}

/// Fails with `code`, says `needle`, leaks nothing and leaves the cache file as it was.
fn expect_failure(sandbox: &Sandbox, session: &Session, code: i32, needle: &str) -> String {
    let before = std::fs::read(&session.cache_file).ok();
    let secrets = secrets(session);
    let out = aws_login(
        sandbox,
        &["export-credentials", "--profile", &session.profile],
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(code), "stderr: {err}");
    assert!(out.stdout.is_empty(), "nothing on stdout on failure");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert_eq!(
        std::fs::read(&session.cache_file).ok(),
        before,
        "cache file untouched"
    );
    for s in secrets {
        assert!(!err.contains(&s), "secret leaked: {err}");
    }
    err
}

#[test]
fn every_format_matches_the_cache_byte_for_byte() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let entry = CacheEntry::from_json(&std::fs::read(&session.cache_file).unwrap()).unwrap();
    let creds = entry.credentials();
    for format in ExportFormat::ALL {
        let out = aws_login(
            &sandbox,
            &[
                "export-credentials",
                "--profile",
                "dev",
                "--format",
                format.name(),
            ],
        );
        assert!(out.status.success(), "{format}: {}", stderr(&out));
        assert_eq!(stdout(&out), format.render(&creds), "{format}");
        assert!(
            out.stderr.is_empty(),
            "{format}: quiet on success: {}",
            stderr(&out)
        );
    }
    // The default format is `process`: the JSON credential_process expects.
    let out = aws_login(&sandbox, &["export-credentials", "--profile", "dev"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["Version"], 1);
    assert_eq!(json["AccessKeyId"], creds.access_key_id.as_str());
    assert_eq!(json["Expiration"], creds.expiration_iso());
    let text = stdout(&out);
    assert!(
        text.starts_with("{\n  \"Version\": 1,\n  \"AccessKeyId\": "),
        "{text}"
    );
    // Profile from the environment, like the AWS CLI.
    let out = sandbox
        .command(env!("CARGO_BIN_EXE_aws-login"))
        .env("AWS_PROFILE", "dev")
        .arg("export-credentials")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sandbox.refresh_calls(), 0, "a fresh cache needs no network");
}

#[test]
fn expiring_session_is_refreshed_once_and_written_back() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, 200);
    let out = aws_login(
        &sandbox,
        &["export-credentials", "--profile", "dev", "--format", "env"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(sandbox.refresh_calls(), 1);
    let entry = CacheEntry::from_json(&std::fs::read(&session.cache_file).unwrap()).unwrap();
    assert!(stdout(&out).contains(&format!(
        "export AWS_ACCESS_KEY_ID={}\n",
        entry.access_token.access_key_id
    )));
    let out = aws_login(&sandbox, &["export-credentials", "--profile", "dev"]);
    assert!(out.status.success());
    assert_eq!(sandbox.refresh_calls(), 1, "the rewritten cache is fresh");
}

#[test]
fn error_rows_have_their_message_and_exit_code() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, -5);

    sandbox.mock.set_can_create_token("alice", false).unwrap();
    let err = expect_failure(&sandbox, &session, 5, "signin:CreateOAuth2Token");
    assert!(err.contains("SignInLocalDevelopmentAccess"), "{err}");
    sandbox.mock.set_can_create_token("alice", true).unwrap();

    sandbox
        .mock
        .set_faults(FaultPlan {
            target: FaultTarget::Token,
            error_status: Some(500),
            error_count: 100,
            ..Default::default()
        })
        .unwrap();
    expect_failure(&sandbox, &session, 7, "could not refresh");
    sandbox
        .mock
        .set_faults(FaultPlan {
            target: FaultTarget::Token,
            error_status: Some(429),
            error_count: 100,
            ..Default::default()
        })
        .unwrap();
    expect_failure(&sandbox, &session, 7, "throttl");
    sandbox
        .mock
        .set_faults(FaultPlan {
            target: FaultTarget::Token,
            drop_count: 100,
            ..Default::default()
        })
        .unwrap();
    expect_failure(
        &sandbox,
        &session,
        6,
        &format!("127.0.0.1:{}", sandbox.mock.port()),
    );
    sandbox.mock.clear_faults();

    let mut json = sandbox.read_cache(&session);
    let good = json.clone();
    json["clientId"] = "arn:aws:signin:::devtools/other".into();
    std::fs::write(&session.cache_file, json.to_string()).unwrap();
    expect_failure(&sandbox, &session, 7, "INVALID_REQUEST");
    std::fs::write(&session.cache_file, good.to_string()).unwrap();

    sandbox.mock.set_password_changed("alice").unwrap();
    expect_failure(&sandbox, &session, 4, "USER_CREDENTIALS_CHANGED");

    let ops = sandbox.login("ops", "admin");
    sandbox.set_seconds_left(&ops, -5);
    sandbox.mock.expire_sessions();
    let err = expect_failure(&sandbox, &ops, 4, "TOKEN_EXPIRED");
    assert!(err.contains("aws-login login --profile ops"), "{err}");
}

#[test]
fn missing_and_unusable_caches_say_to_log_in_again() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let good = std::fs::read_to_string(&session.cache_file).unwrap();
    for (name, contents) in [
        ("empty", String::new()),
        ("truncated", good[..good.len() - 10].to_string()),
        (
            "wrong type",
            good.replacen("\"accessToken\": {", "\"accessToken\": [{", 1)
                .replacen("}, \"tokenType\"", "}], \"tokenType\"", 1),
        ),
        ("missing field", {
            let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
            v.as_object_mut().unwrap().remove("refreshToken");
            v.to_string()
        }),
    ] {
        std::fs::write(&session.cache_file, &contents).unwrap();
        let err = expect_failure(&sandbox, &session, 4, "aws-login login --profile dev");
        assert!(err.contains("cannot be used"), "{name}: {err}");
    }
    std::fs::remove_file(&session.cache_file).unwrap();
    let out = aws_login(&sandbox, &["export-credentials", "--profile", "dev"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("No cached login session"),
        "{}",
        stderr(&out)
    );

    // Half an access key is a configuration error (botocore: partial credentials)…
    sandbox.add_profile("keys", &[("aws_access_key_id", "AKIAEXAMPLE")]);
    let out = aws_login(&sandbox, &["export-credentials", "--profile", "keys"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("aws_secret_access_key is missing"),
        "{}",
        stderr(&out)
    );
    // …a whole one with no role to assume is left to the SDK's own providers.
    sandbox.add_profile(
        "whole-keys",
        &[
            ("aws_access_key_id", "AKIAEXAMPLE"),
            ("aws_secret_access_key", "example"),
        ],
    );
    let out = aws_login(&sandbox, &["export-credentials", "--profile", "whole-keys"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("assumes no role"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("example\n"));
    let out = aws_login(&sandbox, &["export-credentials", "--profile", "nowhere"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("could not be found"),
        "{}",
        stderr(&out)
    );
    let out = aws_login(&sandbox, &["export-credentials", "--format", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn logout_removes_only_login_sessions() {
    let sandbox = Sandbox::new();
    let dev = sandbox.login("dev", "alice");
    let ops = sandbox.login("ops", "admin");
    let unrelated = sandbox.cache_dir.join("not-a-session.json");
    std::fs::write(
        &unrelated,
        r#"{"startUrl": "https://example.awsapps.com/start"}"#,
    )
    .unwrap();
    let notes = sandbox.cache_dir.join("notes.txt");
    std::fs::write(&notes, "keep me").unwrap();

    let out = aws_login(&sandbox, &["logout", "--profile", "dev"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Logged out of profile 'dev'"),
        "{}",
        stdout(&out)
    );
    assert!(!dev.cache_file.exists());
    assert!(
        std::fs::read_to_string(&sandbox.config_file)
            .unwrap()
            .contains(&format!("login_session = {}", dev.arn)),
        "login_session stays"
    );

    let out = aws_login(&sandbox, &["logout", "--profile", "dev"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("warning: profile 'dev' has no cached login session"),
        "{}",
        stderr(&out)
    );

    sandbox.add_profile("plain", &[("region", "us-east-1")]);
    let out = aws_login(&sandbox, &["logout", "--profile", "plain"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("warning: profile 'plain'")
            && stderr(&out).contains("no login_session"),
        "{}",
        stderr(&out)
    );

    let out = aws_login(&sandbox, &["logout", "--profile", "ghost"]);
    assert!(out.status.success());
    assert!(
        stderr(&out).contains("warning: profile 'ghost' does not exist"),
        "{}",
        stderr(&out)
    );

    let again = sandbox.login("dev", "alice");
    assert!(again.cache_file.exists() && ops.cache_file.exists());
    let out = aws_login(&sandbox, &["logout", "--all"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("Removed 2 cached login sessions"),
        "{}",
        stdout(&out)
    );
    assert!(!again.cache_file.exists() && !ops.cache_file.exists());
    assert!(
        unrelated.exists() && notes.exists(),
        "other files are left alone"
    );
    let out = aws_login(&sandbox, &["logout", "--all"]);
    assert!(
        stdout(&out).starts_with("Removed 0 cached login sessions"),
        "{}",
        stdout(&out)
    );

    // After logout the provider says to log in again.
    let out = aws_login(&sandbox, &["export-credentials", "--profile", "dev"]);
    assert_eq!(out.status.code(), Some(4));
}

#[test]
fn status_shows_sessions_without_secrets() {
    let sandbox = Sandbox::new();
    let dev = sandbox.login("dev", "alice");
    let ops = sandbox.login("ops", "admin");
    sandbox.set_seconds_left(&ops, 100);
    sandbox.add_profile("plain", &[("region", "us-east-1")]);

    let out = aws_login(&sandbox, &["status", "--profile", "dev"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&dev.arn) && text.contains("111122223333") && text.contains("active"),
        "{text}"
    );

    let out = aws_login(&sandbox, &["status", "--all", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let profiles = json["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 2, "only login profiles: {json}");
    assert_eq!(profiles[0]["profile"], "dev");
    assert_eq!(profiles[0]["health"], "active");
    assert_eq!(profiles[1]["profile"], "ops");
    assert_eq!(profiles[1]["health"], "refresh-due");
    assert_eq!(profiles[1]["loginSession"], ops.arn.as_str());
    for s in secrets(&dev).into_iter().chain(secrets(&ops)) {
        assert!(!stdout(&out).contains(&s), "status leaks a secret");
    }
    assert_eq!(sandbox.refresh_calls(), 0, "status never refreshes");

    // A login older than 12 hours cannot be refreshed any more.
    let mut json = sandbox.read_cache(&ops);
    let old_login = (time::OffsetDateTime::now_utc() - time::Duration::hours(13)).unix_timestamp();
    json["idToken"] = fake_id_token(&ops.arn, old_login).into();
    std::fs::write(&ops.cache_file, json.to_string()).unwrap();
    let out = aws_login(&sandbox, &["status", "--profile", "ops"]);
    assert_eq!(out.status.code(), Some(4), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("session ended") && stdout(&out).contains("signed in"),
        "{}",
        stdout(&out)
    );
    let out = aws_login(&sandbox, &["status", "--profile", "dev", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(json["profiles"][0]["signedInAt"].is_string(), "{json}");

    std::fs::write(&dev.cache_file, "{").unwrap();
    let out = aws_login(&sandbox, &["status", "--profile", "dev", "--json"]);
    assert_eq!(out.status.code(), Some(4));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["profiles"][0]["health"], "unusable");
    let out = aws_login(&sandbox, &["status", "--profile", "plain"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("has no login_session"));
}

/// An unsigned id token (the client never verifies it) with `sub` and `auth_time`.
fn fake_id_token(sub: &str, auth_time: i64) -> String {
    use base64ct::{Base64UrlUnpadded, Encoding};
    let header = Base64UrlUnpadded::encode_string(br#"{"alg":"ES256","typ":"JWT"}"#);
    let claims = serde_json::json!({"sub": sub, "auth_time": auth_time, "iat": auth_time});
    let payload = Base64UrlUnpadded::encode_string(claims.to_string().as_bytes());
    format!("{header}.{payload}.c2ln")
}

#[test]
fn debug_logs_the_flow_without_secrets() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, -1);
    let old = secrets(&session);
    let out = aws_login(
        &sandbox,
        &["export-credentials", "--profile", "dev", "--debug"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(
        log.contains("refreshing the login session") && log.contains("/v1/token"),
        "{log}"
    );
    for s in old.into_iter().chain(secrets(&session)) {
        assert!(!log.contains(&s), "debug log leaks a secret: {log}");
    }
}
