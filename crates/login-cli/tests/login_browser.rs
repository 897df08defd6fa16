//! `aws-login login` end to end in a real headless Chromium (Debian's, started through `$BROWSER`)
//! on signin-mock's real sign-in page: Allow, Deny, a forged wrong-state callback, a principal
//! without permissions; then the files it wrote and boto3 using them. Also the failures that need
//! no browser: port in use, timeout, and how `--help` reads.

mod login_support;
#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::net::TcpListener;

use login_support::*;
use support::{Sandbox, ALICE_ARN};

#[test]
fn allow_in_chromium_saves_profile_and_cache_that_boto3_and_the_js_sdk_use_and_refresh() {
    let Some(peers) = peers() else { return };
    let sandbox = Sandbox::new();
    let before = "# my settings\n[default]\nregion = eu-west-1\n\n[sso-session corp]\nsso_start_url = https://corp.example/start\n";
    std::fs::write(&sandbox.config_file, before).unwrap();

    let out = with_chromium(
        &mut aws_login(&sandbox),
        &sandbox,
        &peers,
        &BrowserScript::default(),
    )
    .args(["login", "--profile", "dev"])
    .output()
    .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "stderr: {stderr}");
    assert_eq!(
        stdout,
        format!(
            "Set region = us-east-1 in profile 'dev'.\nUpdated profile dev to use {ALICE_ARN} credentials.\n\
             Use --profile dev (or AWS_PROFILE=dev) to use these credentials, e.g. aws sts get-caller-identity --profile dev\n"
        )
    );
    assert!(stderr.contains("/v1/authorize?response_type=code&client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device"), "{stderr}");

    // The browser ended on our success page.
    let records = browser_records(&sandbox, 1);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["id"], "login-succeeded", "{}", records[0]);
    assert!(records[0]["text"]
        .as_str()
        .unwrap()
        .contains("You can close this tab and return to the terminal"));
    assert!(records[0]["url"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));

    // The config: the old bytes untouched, the new profile appended.
    let after = std::fs::read_to_string(&sandbox.config_file).unwrap();
    assert_eq!(
        after,
        format!("{before}[profile dev]\nlogin_session = {ALICE_ARN}\nregion = us-east-1\n")
    );

    // The cache file: mode 0600, the fields every tool reads, a SEC1 PEM key.
    let path = cache_file(&sandbox, ALICE_ARN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let access = &json["accessToken"];
    assert!(access["accessKeyId"].as_str().unwrap().starts_with("ASIA"));
    for field in ["secretAccessKey", "sessionToken"] {
        assert!(!access[field].as_str().unwrap().is_empty(), "{field}");
    }
    assert_eq!(access["accountId"], "111122223333");
    assert!(access["expiresAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(json["tokenType"], "aws_sigv4");
    assert_eq!(json["clientId"], "arn:aws:signin:::devtools/same-device");
    assert!(!json["refreshToken"].as_str().unwrap().is_empty());
    assert_eq!(json["idToken"].as_str().unwrap().split('.').count(), 3);
    let key = json["dpopKey"].as_str().unwrap();
    assert!(
        key.starts_with("-----BEGIN EC PRIVATE KEY-----\n")
            && key.ends_with("-----END EC PRIVATE KEY-----\n"),
        "{key}"
    );
    assert!(key.lines().all(|line| line.len() <= 64));
    login_core::DpopKey::from_pem(key).expect("the key parses");

    // botocore >= 1.41 reads the login session we wrote and calls STS with it.
    assert_eq!(
        boto3_caller_identity(&sandbox, &peers.python, "dev"),
        Ok(ALICE_ARN.to_string())
    );
    // Both SDKs can refresh the session this login wrote (its refresh token and SEC1 DPoP key).
    let session = support::Session {
        profile: "dev".into(),
        arn: ALICE_ARN.into(),
        cache_file: path.clone(),
    };
    sandbox.set_seconds_left(&session, -60);
    assert_eq!(
        boto3_caller_identity(&sandbox, &peers.python, "dev"),
        Ok(ALICE_ARN.to_string())
    );
    assert_eq!(sandbox.refresh_calls(), 1, "botocore refreshed");
    sandbox.set_seconds_left(&session, -60);
    assert_eq!(
        js_sdk_caller_identity(&sandbox, &peers, "dev"),
        Ok(ALICE_ARN.to_string())
    );
    assert_eq!(sandbox.refresh_calls(), 2, "the JS SDK refreshed");
    // The secrets never reached the terminal.
    for secret in [
        access["secretAccessKey"].as_str().unwrap(),
        json["refreshToken"].as_str().unwrap(),
    ] {
        assert!(!stderr.contains(secret) && !stdout.contains(secret));
    }
}

#[test]
fn deny_in_chromium_changes_nothing_and_says_so_on_both_sides() {
    let Some(peers) = peers() else { return };
    let sandbox = Sandbox::new();
    let before = "[profile dev]\r\nregion = eu-west-1\r\n";
    std::fs::write(&sandbox.config_file, before).unwrap();
    let script = BrowserScript {
        decision: "deny",
        ..BrowserScript::default()
    };
    let out = with_chromium(&mut aws_login(&sandbox), &sandbox, &peers, &script)
        .args(["login", "--profile", "dev"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("Sign-in was denied in the browser (The user denied the request)"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    let records = browser_records(&sandbox, 1);
    assert_eq!(records[0]["id"], "login-failed", "{}", records[0]);
    assert!(records[0]["text"]
        .as_str()
        .unwrap()
        .contains("Sign-in was denied"));
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        before
    );
    assert!(no_session_files(&sandbox));
}

#[test]
fn a_forged_wrong_state_callback_is_refused_and_the_real_one_still_completes() {
    let Some(peers) = peers() else { return };
    let sandbox = Sandbox::new();
    let script = BrowserScript {
        forge_state: true,
        ..BrowserScript::default()
    };
    let out = with_chromium(&mut aws_login(&sandbox), &sandbox, &peers, &script)
        .args(["login", "--profile", "dev"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: ignored a request to the login callback: the sign-in callback's state does not match this login"),
        "{stderr}"
    );
    let records = browser_records(&sandbox, 1);
    let forged = &records[0]["forged"];
    assert_eq!(forged["status"], 400, "{forged}");
    assert_eq!(forged["id"], "login-failed");
    assert!(
        forged["text"]
            .as_str()
            .unwrap()
            .contains("does not belong to the waiting login"),
        "{forged}"
    );
    assert_eq!(records[0]["id"], "login-succeeded");
    // The forged code was never redeemed: one code grant, the real one.
    assert_eq!(sandbox.mock.stats().token_calls("authorization_code"), 1);
    assert!(cache_file(&sandbox, ALICE_ARN).exists());
}

#[test]
fn a_principal_without_permissions_gets_the_actions_and_the_policy_named() {
    let Some(peers) = peers() else { return };
    let sandbox = Sandbox::new();
    let script = BrowserScript {
        identity: "bob",
        ..BrowserScript::default()
    };
    let out = with_chromium(&mut aws_login(&sandbox), &sandbox, &peers, &script)
        .args(["login", "--profile", "dev"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    for needle in [
        "INSUFFICIENT_PERMISSIONS",
        "signin:CreateOAuth2Token",
        "signin:AuthorizeOAuth2Access",
        "SignInLocalDevelopmentAccess",
    ] {
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    }
    let records = browser_records(&sandbox, 1);
    assert_eq!(records[0]["id"], "login-failed", "{}", records[0]);
    assert!(records[0]["text"]
        .as_str()
        .unwrap()
        .contains("SignInLocalDevelopmentAccess"));
    assert!(no_session_files(&sandbox));
    assert_eq!(std::fs::read_to_string(&sandbox.config_file).unwrap(), "");
}

#[test]
fn a_redirect_port_in_use_is_named() {
    let sandbox = Sandbox::new();
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = aws_login(&sandbox)
        .args(["login", "--no-browser", "--redirect-port", &port])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("port {port} on 127.0.0.1 is already in use")),
        "{stderr}"
    );
    assert!(stderr.contains("--redirect-port"), "{stderr}");
}

#[test]
fn waiting_gives_up_after_the_timeout_and_suggests_remote() {
    let sandbox = Sandbox::new();
    let before = std::fs::read(&sandbox.config_file).unwrap();
    let out = aws_login(&sandbox)
        .args(["login", "--no-browser", "--timeout", "1s"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("Timed out after 1s waiting for the sign-in"),
        "{stderr}"
    );
    assert!(stderr.contains("--remote"), "{stderr}");
    assert_eq!(std::fs::read(&sandbox.config_file).unwrap(), before);
}

#[test]
fn no_browser_available_is_said_and_the_url_is_still_printed() {
    let sandbox = Sandbox::new();
    let out = aws_login(&sandbox)
        .args(["login", "--timeout", "1s"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("No browser can be opened here (no display, and $BROWSER is not set)"),
        "{stderr}"
    );
    assert!(stderr.contains("--remote"), "{stderr}");
    assert!(stderr.contains("    http://127.0.0.1:"), "{stderr}");
}

#[test]
fn a_missing_region_without_a_terminal_names_the_option() {
    let sandbox = Sandbox::new();
    let out = aws_login(&sandbox)
        .env_remove("AWS_REGION")
        .args(["login", "--profile", "dev"])
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("No region for profile 'dev'. Pass --region"),
        "{stderr}"
    );
}

#[test]
fn login_help_reads_well() {
    let out = std::process::Command::new(AWS_LOGIN)
        .args(["login", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = text(&out.stdout);
    for needle in [
        "Usage: aws-login login [OPTIONS]",
        "--remote",
        "--redirect-port <PORT>",
        "--no-browser",
        "--timeout <DURATION>",
        "[default: 10m]",
        "--yes",
        "--profile <NAME>",
        "--region <REGION>",
        "SignInLocalDevelopmentAccess",
        "Examples:",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
    for line in help.lines() {
        assert!(line.chars().count() <= 100, "line too long: {line:?}");
    }
    let out = std::process::Command::new(AWS_LOGIN)
        .args(["login", "--remote", "--redirect-port", "8400"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("cannot be used with"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(unix)]
#[test]
fn ctrl_c_while_waiting_cancels_and_changes_nothing() {
    use std::io::{BufRead, BufReader};
    let sandbox = Sandbox::new();
    let before = "[profile dev]\nregion = eu-west-1\n";
    std::fs::write(&sandbox.config_file, before).unwrap();
    let mut child = aws_login(&sandbox)
        .args(["login", "--profile", "dev", "--no-browser"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while !seen.contains("Waiting for the sign-in") {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "ended early: {seen}"
        );
        seen.push_str(&line);
    }
    // SIGINT to our own child, as Ctrl-C in a terminal would send.
    let pid = i32::try_from(child.id()).unwrap();
    assert_eq!(send_sigint(pid), 0);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}{rest}");
    assert!(
        rest.contains("Login cancelled; nothing was changed."),
        "{rest}"
    );
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        before
    );
    assert!(no_session_files(&sandbox));
}

/// `kill(pid, SIGINT)` through the `kill` program, keeping the tests free of `unsafe`.
#[cfg(unix)]
fn send_sigint(pid: i32) -> i32 {
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    status.code().unwrap_or(-1)
}
