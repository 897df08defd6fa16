//! `aws-login credential-process`: credentials on stdout in one invocation, logging in through
//! the browser (headless Chromium) when the session is missing, logged out or refused; eight
//! parallel invocations share one login; no browser and no terminal fails fast; a profile that
//! calls itself is refused. And `configure process-profile` for boto3 < 1.41, which then signs
//! in by itself through credential_process.

mod login_support;
#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use login_support::*;
use support::{Sandbox, ALICE_ARN};

fn credential_process(sandbox: &Sandbox, peers: &Peers, profile: &str) -> Output {
    with_chromium(
        &mut aws_login(sandbox),
        sandbox,
        peers,
        &BrowserScript::default(),
    )
    .args(["credential-process", "--profile", profile])
    .output()
    .unwrap()
}

/// stdout is exactly the process JSON; returns it.
fn process_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not only JSON ({e}): {stdout:?}"));
    assert_eq!(json["Version"], 1);
    for key in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(
            json[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} in {json}"
        );
    }
    json
}

#[test]
fn no_session_logs_in_within_the_same_invocation_and_again_after_logout() {
    let Some(peers) = peers() else { return };
    let sandbox = Sandbox::new();
    let out = credential_process(&sandbox, &peers, "dev");
    let first = process_json(&out);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("profile 'dev' has no login session yet; a new sign-in is needed"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "updated profile dev to use {ALICE_ARN} credentials"
        )),
        "{stderr}"
    );
    assert_eq!(browser_records(&sandbox, 1).len(), 1);
    let config = std::fs::read_to_string(&sandbox.config_file).unwrap();
    assert_eq!(
        config,
        format!("[profile dev]\nlogin_session = {ALICE_ARN}\nregion = us-east-1\n")
    );

    // A second call answers from the cache: no browser.
    let again = process_json(&credential_process(&sandbox, &peers, "dev"));
    assert_eq!(again["AccessKeyId"], first["AccessKeyId"]);
    assert_eq!(browser_records(&sandbox, 1).len(), 1);

    // After logout the profile still names the session, whose file is gone: log in again.
    let out = aws_login(&sandbox)
        .args(["logout", "--profile", "dev"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = credential_process(&sandbox, &peers, "dev");
    let after_logout = process_json(&out);
    assert!(
        text(&out.stderr).contains("no cached session (logged out?)"),
        "{}",
        text(&out.stderr)
    );
    assert_ne!(after_logout["AccessKeyId"], first["AccessKeyId"]);
    assert_eq!(browser_records(&sandbox, 2).len(), 2);
    assert_eq!(sandbox.mock.stats().token_calls("authorization_code"), 2);
}

#[test]
fn a_refused_session_user_credentials_changed_logs_in_again() {
    let Some(peers) = peers() else { return };
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, -60);
    sandbox.mock.set_password_changed("alice").unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    let out = credential_process(&sandbox, &peers, "dev");
    process_json(&out);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the password or keys of the user of profile 'dev' changed"),
        "{stderr}"
    );
    assert_eq!(browser_records(&sandbox, 1).len(), 1);
    assert_eq!(
        sandbox
            .mock
            .stats()
            .token_outcome("refresh_token", "USER_CREDENTIALS_CHANGED"),
        1
    );
}

#[test]
fn an_ended_session_token_expired_logs_in_again() {
    let Some(peers) = peers() else { return };
    let sandbox = Sandbox::with_mock(signin_mock::MockConfig {
        session_lifetime_secs: 1,
        ..Default::default()
    });
    let session = sandbox.login("dev", "alice");
    std::thread::sleep(Duration::from_millis(1500));
    sandbox.set_seconds_left(&session, -60);
    let out = credential_process(&sandbox, &peers, "dev");
    process_json(&out);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("the login session of profile 'dev' has expired"),
        "{stderr}"
    );
    assert_eq!(
        sandbox
            .mock
            .stats()
            .token_outcome("refresh_token", "TOKEN_EXPIRED"),
        1
    );
    assert_eq!(browser_records(&sandbox, 1).len(), 1);
}

#[test]
fn eight_parallel_invocations_share_one_login() {
    let Some(peers) = peers() else { return };
    let sandbox = Sandbox::new();
    let children: Vec<_> = (0..8)
        .map(|_| {
            with_chromium(
                &mut aws_login(&sandbox),
                &sandbox,
                &peers,
                &BrowserScript::default(),
            )
            .args(["credential-process", "--profile", "dev"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let keys: Vec<serde_json::Value> = outputs
        .iter()
        .map(|o| process_json(o)["AccessKeyId"].clone())
        .collect();
    assert!(
        keys.iter().all(|k| *k == keys[0]),
        "one session for all: {keys:?}"
    );
    assert_eq!(browser_records(&sandbox, 1).len(), 1, "one browser tab");
    assert_eq!(
        sandbox.mock.stats().token_calls("authorization_code"),
        1,
        "one login"
    );
    let waited = outputs
        .iter()
        .filter(|o| text(&o.stderr).contains("another aws-login process is signing in"))
        .count();
    assert!(waited >= 1, "the others said they were waiting");
}

#[test]
fn without_a_browser_or_a_terminal_it_fails_fast_naming_the_command() {
    let sandbox = Sandbox::new();
    let started = Instant::now();
    let out = aws_login(&sandbox)
        .args(["credential-process", "--profile", "dev"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("aws-login cannot sign in from here: no browser can be opened"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Run `aws-login login --profile dev` in a terminal"),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "it did not wait for a login"
    );
    assert_eq!(std::fs::read_to_string(&sandbox.config_file).unwrap(), "");
}

#[test]
fn no_login_flag_never_opens_a_browser() {
    let sandbox = Sandbox::new();
    let out = with_fetch_browser(&mut aws_login(&sandbox), &sandbox)
        .args(["credential-process", "--profile", "dev", "--no-login"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert!(browser_records(&sandbox, 0).is_empty());
}

#[test]
fn a_profile_whose_credential_process_calls_itself_is_refused() {
    let sandbox = Sandbox::new();
    let config = "[profile loop]\ncredential_process = /usr/local/bin/aws-login credential-process --profile loop\n";
    std::fs::write(&sandbox.config_file, config).unwrap();
    let out = with_fetch_browser(&mut aws_login(&sandbox), &sandbox)
        .args(["credential-process", "--profile", "loop"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("would loop"), "{stderr}");
    assert!(stderr.contains("configure process-profile"), "{stderr}");
    assert!(browser_records(&sandbox, 0).is_empty());
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        config
    );
}

#[test]
fn process_profile_lets_old_boto3_sign_in_and_use_the_session() {
    let Some(peers) = peers() else { return };
    let sandbox = Sandbox::new();
    let before = "# team config\n[profile dev]\nregion = eu-west-1\n";
    std::fs::write(&sandbox.config_file, before).unwrap();
    let out = aws_login(&sandbox)
        .args([
            "configure",
            "process-profile",
            "--profile",
            "dev-process",
            "--login-profile",
            "dev",
        ])
        .output()
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    let exe = std::fs::canonicalize(AWS_LOGIN).unwrap();
    let line = format!(
        "credential_process = {} credential-process --profile dev",
        exe.display()
    );
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        format!("{before}[profile dev-process]\n{line}\nregion = eu-west-1\n")
    );
    assert!(
        stdout.contains("boto3 < 1.41, older AWS CDK, Terraform"),
        "{stdout}"
    );
    assert!(
        stderr.contains("profile 'dev' has no login session yet"),
        "{stderr}"
    );

    // boto3 1.40 knows nothing of login sessions; through credential_process it signs in
    // (the browser opens from inside the SDK call) and gets the caller identity.
    let mut python = boto3_command(&sandbox, &peers.python_old, "dev-process");
    with_chromium(&mut python, &sandbox, &peers, &BrowserScript::default());
    assert_eq!(caller_identity(&mut python), Ok(ALICE_ARN.to_string()));
    assert_eq!(browser_records(&sandbox, 1).len(), 1);
    // Again, from the cache, and the login profile itself works for boto3 >= 1.41.
    assert_eq!(caller_identity(&mut python), Ok(ALICE_ARN.to_string()));
    assert_eq!(browser_records(&sandbox, 1).len(), 1);
    assert_eq!(
        boto3_caller_identity(&sandbox, &peers.python, "dev"),
        Ok(ALICE_ARN.to_string())
    );

    // Refusals: the same name twice, and a profile with another credential style.
    let out = aws_login(&sandbox)
        .args([
            "configure",
            "process-profile",
            "--profile",
            "dev",
            "--login-profile",
            "dev",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let out = aws_login(&sandbox)
        .args([
            "configure",
            "process-profile",
            "--profile",
            "dev",
            "--login-profile",
            "other",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("is a login profile"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn process_profile_help_names_the_tools_that_need_it() {
    let out = std::process::Command::new(AWS_LOGIN)
        .args(["configure", "process-profile", "--help"])
        .output()
        .unwrap();
    let help = text(&out.stdout);
    for needle in [
        "boto3 / botocore older than 1.41",
        "older AWS CDK",
        "Terraform",
        "--login-profile <PROFILE>",
    ] {
        assert!(help.contains(needle), "{needle}: {help}");
    }
}
