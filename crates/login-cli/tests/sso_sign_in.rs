//! Signing in to IAM Identity Center without `sso login`, end to end against signin-mock over
//! loopback: parallel `credential-process` invocations (an SSO profile and a role on top of it)
//! that all find the session ended share one browser sign-in in headless Chromium; `exec
//! --login` signs in to the SSO session itself, for an SSO profile and for a role on top of one;
//! and `status` on SSO profiles (and a role on one) shows account, role, cached role credentials
//! and token expiry, never a token.

mod login_support;
#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::process::{Output, Stdio};

use login_core::sso::SsoToken;
use login_core::OffsetDateTime;
use login_support::sso::*;
use login_support::*;
use support::Sandbox;

fn config() -> String {
    format!(
        "[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\nregion = us-east-1\n\n\
         [sso-session my-sso]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n\n\
         [profile deploy]\nrole_arn = arn:aws:iam::111122223333:role/Deploy\nsource_profile = dev\nregion = us-east-1\n"
    )
}

fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    std::fs::write(&sandbox.config_file, config()).unwrap();
    sandbox
}

/// Signs in through the device flow, then leaves the mock asking again and the browser log
/// empty, so later assertions count only their own browser visits.
fn device_login(sandbox: &Sandbox) {
    sso_device_login(sandbox, "dev");
    sandbox.mock.set_sso_auto_approve(None).unwrap();
    std::fs::remove_file(driver_log(sandbox)).unwrap();
}

/// A signed-in session that has ended: the token expired and the service refuses its refresh.
fn ended_session(sandbox: &Sandbox) {
    device_login(sandbox);
    sandbox.mock.expire_sso_sessions();
    set_sso_token_expiry(&sso_token_path(sandbox), -60);
}

fn process_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        text(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not only JSON ({e}): {}", text(&out.stdout)));
    assert_eq!(json["Version"], 1);
    json
}

#[test]
fn parallel_credential_processes_share_one_sso_sign_in() {
    let Some(peers) = peers() else { return };
    let sandbox = sandbox();
    ended_session(&sandbox);
    let before = sandbox.mock.stats();
    let profiles = ["dev", "deploy", "dev", "deploy", "dev", "deploy"];
    let children: Vec<_> = profiles
        .iter()
        .map(|profile| {
            with_sso_chromium(&mut sso_cli(&sandbox), &sandbox, &peers, "allow", false)
                .args(["credential-process", "--profile", profile])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let keys: Vec<(String, String)> = profiles
        .iter()
        .zip(&outputs)
        .map(|(profile, out)| {
            let json = process_json(out);
            (
                profile.to_string(),
                json["AccessKeyId"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for profile in ["dev", "deploy"] {
        let mine: Vec<&String> = keys
            .iter()
            .filter(|(p, _)| p == profile)
            .map(|(_, k)| k)
            .collect();
        assert!(
            mine.iter().all(|k| *k == mine[0]),
            "every {profile} invocation got the same credentials: {mine:?}"
        );
    }
    assert_ne!(keys[0].1, keys[1].1, "the role's credentials are its own");

    // One browser sign-in, one authorization-code CreateToken, one GetRoleCredentials, one
    // AssumeRole: the others waited for the first and used its token and caches.
    assert_eq!(browser_records(&sandbox, 1).len(), 1);
    let after = sandbox.mock.stats();
    assert_eq!(
        after.sso_token_calls("authorization_code"),
        before.sso_token_calls("authorization_code") + 1,
        "{after:?}"
    );
    assert_eq!(
        after.sso_token_calls("device_code"),
        before.sso_token_calls("device_code")
    );
    assert_eq!(
        after.sso_portal_calls("GetRoleCredentials")
            - before.sso_portal_calls("GetRoleCredentials"),
        1,
        "{after:?}"
    );
    let stderr: Vec<String> = outputs.iter().map(|o| text(&o.stderr)).collect();
    assert_eq!(
        stderr
            .iter()
            .filter(|e| e.contains("Signing in to IAM Identity Center"))
            .count(),
        1,
        "{stderr:#?}"
    );
    assert!(
        stderr.iter().any(|e| e.contains(
            "another aws-login process is signing in to sso-session 'my-sso'; waiting for it to finish"
        )),
        "{stderr:#?}"
    );
    let token = SsoToken::from_json(&std::fs::read(sso_token_path(&sandbox)).unwrap()).unwrap();
    assert!(token.seconds_left(OffsetDateTime::now_utc()) > 900);
}

/// Fetches the credential server `exec` gives the child and prints its answer as JSON.
const PROBE: &str = r#"
import json, os, urllib.request
request = urllib.request.Request(os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
    headers={"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
with urllib.request.urlopen(request, timeout=10) as r:
    print(json.dumps({"status": r.status, "body": json.loads(r.read())}))
"#;

fn exec_login(sandbox: &Sandbox, profile: &str) -> Output {
    sandbox.mock.set_sso_auto_approve(Some("alice")).unwrap();
    with_fetch_browser(&mut sso_cli(sandbox), sandbox)
        .args([
            "exec",
            "--login",
            "--profile",
            profile,
            "--",
            "python3",
            "-c",
            PROBE,
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn probe_answer(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("no JSON from the child: {stdout}"));
    let answer: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(answer["status"], 200, "{answer}");
    assert!(
        answer["body"]["AccessKeyId"]
            .as_str()
            .is_some_and(|k| k.starts_with("ASIA")),
        "{answer}"
    );
    answer
}

#[test]
fn exec_login_signs_in_to_the_sso_session_of_the_profile() {
    let sandbox = sandbox();
    // Never signed in: without --login it says how, and starts nothing.
    let out = sso_cli(&sandbox)
        .args(["exec", "--profile", "dev", "--", "true"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("aws-login sso login --sso-session my-sso") && stderr.contains("--login"),
        "{stderr}"
    );

    let out = exec_login(&sandbox, "dev");
    probe_answer(&out);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Signing in to IAM Identity Center for profile 'dev'"),
        "{stderr}"
    );
    assert!(!stderr.contains("aws-login: error"), "{stderr}");
    assert!(sso_token_path(&sandbox).exists());
    assert_eq!(browser_records(&sandbox, 1).len(), 1);
    assert_eq!(
        sandbox.mock.stats().sso_token_calls("authorization_code"),
        1
    );
    // The config file is not touched (the session name stays the profile's).
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        config()
    );
}

#[test]
fn exec_login_on_a_role_over_sso_signs_in_to_the_base_session() {
    let sandbox = sandbox();
    ended_session(&sandbox);
    let out = exec_login(&sandbox, "deploy");
    probe_answer(&out);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("Signing in to IAM Identity Center for profile 'dev'"),
        "{stderr}"
    );
    let stats = sandbox.mock.stats();
    assert_eq!(stats.sso_token_calls("authorization_code"), 1, "{stats:?}");
    let assumed: u64 = stats
        .assume_role
        .get("arn:aws:iam::111122223333:role/Deploy")
        .map_or(0, |m| m.get("ok").copied().unwrap_or(0));
    assert_eq!(assumed, 1, "{stats:?}");
}

fn status(sandbox: &Sandbox, args: &[&str]) -> Output {
    sso_cli(sandbox).arg("status").args(args).output().unwrap()
}

/// No access token, refresh token, client secret, secret key or session token in `text`.
fn assert_no_secrets(sandbox: &Sandbox, text: &str) {
    let token: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sso_token_path(sandbox)).unwrap()).unwrap();
    for key in ["accessToken", "refreshToken", "clientSecret"] {
        let secret = token[key].as_str().unwrap();
        assert!(!text.contains(secret), "{key} printed");
    }
    let cache = std::fs::read_dir(sandbox.home.join(".aws/cli/cache")).unwrap();
    for path in cache
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
    {
        let cached: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        for key in ["SecretAccessKey", "SessionToken"] {
            let secret = cached["Credentials"][key].as_str().unwrap();
            assert!(!text.contains(secret), "{key} printed");
        }
    }
}

#[test]
fn status_of_an_sso_profile_shows_its_session_role_and_expiries_and_never_a_token() {
    let sandbox = sandbox();
    let out = status(&sandbox, &["--profile", "dev"]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{stdout}{}", text(&out.stderr));
    for line in [
        "Profile dev (IAM Identity Center)\n",
        "  sso session  my-sso\n",
        "  account      111122223333\n",
        "  role         ReadOnly\n",
        "  credentials  no cached role credentials: the next use gets them with the token\n",
        "  health       not signed in: run `aws-login sso login --sso-session my-sso`\n",
    ] {
        assert!(stdout.contains(line), "{line:?} in:\n{stdout}");
    }

    device_login(&sandbox);
    for profile in ["dev", "deploy"] {
        let out = sso_cli(&sandbox)
            .args(["export-credentials", "--profile", profile])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let out = status(&sandbox, &["--profile", "dev"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("  credentials  role credentials cached until "),
        "{stdout}"
    );
    assert!(
        stdout.contains("  token        expires ") && stdout.contains(", can refresh\n"),
        "{stdout}"
    );
    assert!(stdout.contains("  health       active\n"), "{stdout}");
    assert_no_secrets(&sandbox, &stdout);

    let out = status(&sandbox, &["--profile", "dev", "--json"]);
    assert!(out.status.success());
    assert_no_secrets(&sandbox, &text(&out.stdout));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["ssoSession"], "my-sso", "{doc}");
    assert_eq!(doc["accountId"], "111122223333", "{doc}");
    assert_eq!(doc["roleName"], "ReadOnly", "{doc}");
    assert_eq!(doc["roleCredentialsReusable"], true, "{doc}");
    assert_eq!(doc["needsLogin"], false, "{doc}");
    assert!(doc["tokenSecondsLeft"].as_i64().unwrap() > 900, "{doc}");

    // A role on top: its chain, then the SSO profile at its base.
    let out = status(&sandbox, &["--profile", "deploy"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("Profile deploy\n  assumes      arn:aws:iam::111122223333:role/Deploy\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\nProfile dev (IAM Identity Center)\n"),
        "{stdout}"
    );
    assert_no_secrets(&sandbox, &stdout);

    // The token expired but can refresh: the next use refreshes it, no sign-in needed.
    std::fs::remove_dir_all(sandbox.home.join(".aws/cli/cache")).unwrap();
    set_sso_token_expiry(&sso_token_path(&sandbox), -60);
    let out = status(&sandbox, &["--profile", "dev"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("  health       token expired: the next use refreshes it\n"),
        "{stdout}"
    );

    // Logged out: only a sign-in helps, for the SSO profile and for the role on it.
    let out = sso_cli(&sandbox).args(["sso", "logout"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    for profile in ["dev", "deploy"] {
        let out = status(&sandbox, &["--profile", profile]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(4), "{profile}: {stdout}");
        assert!(
            stdout.contains("not signed in: run `aws-login sso login --sso-session my-sso`"),
            "{stdout}"
        );
    }
}
