//! `aws-login logout` and `logout --all` end with AWS CLI v2's note, word for word and once,
//! after the summary, whenever they removed a session: removing the cache revokes nothing, and
//! tools that already loaded the credentials may use them until they expire.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::process::Output;

use support::Sandbox;

/// AWS CLI v2 2.36.7's text (PROTOCOL.md, "AWS CLI v2 2.36.7 as measured here").
const AWS_CLI_NOTE: &str = "Note, any local developer tools that have already loaded the access token may continue to use it until its expiration. Access tokens expire in 15 minutes.";

fn aws_login(sandbox: &Sandbox, args: &[&str]) -> Output {
    let out = sandbox
        .command(env!("CARGO_BIN_EXE_aws-login"))
        .args(args)
        .output()
        .expect("aws-login runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn logout_says_once_after_the_summary_that_loaded_credentials_stay_valid() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    sandbox.login("ops", "admin");

    let out = aws_login(&sandbox, &["logout", "--profile", "dev"]);
    let stdout = lines(&out.stdout);
    assert_eq!(stdout.len(), 2, "{stdout:?}");
    assert!(
        stdout[0].starts_with("Logged out of profile 'dev'"),
        "{stdout:?}"
    );
    assert_eq!(stdout[1], AWS_CLI_NOTE);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Note,"));

    // Nothing left to remove: a warning, and no note (AWS CLI says nothing of it either).
    let out = aws_login(&sandbox, &["logout", "--profile", "dev"]);
    assert!(lines(&out.stdout).is_empty());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("Note,"));

    sandbox.login("dev", "alice");
    let out = aws_login(&sandbox, &["logout", "--all"]);
    let stdout = lines(&out.stdout);
    assert_eq!(
        stdout,
        [
            format!(
                "Removed 2 cached login sessions from {}.",
                sandbox.cache_dir.display()
            ),
            AWS_CLI_NOTE.to_string()
        ],
        "one note for two sessions"
    );

    let out = aws_login(&sandbox, &["logout", "--all"]);
    let stdout = lines(&out.stdout);
    assert_eq!(stdout.len(), 1, "{stdout:?}");
    assert!(
        stdout[0].starts_with("Removed 0 cached login sessions"),
        "{stdout:?}"
    );
}

#[test]
fn logout_help_says_it_revokes_nothing() {
    let sandbox = Sandbox::new();
    let out = aws_login(&sandbox, &["logout", "--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(help.contains("revokes nothing"), "{help}");
    assert!(help.contains("up to 15 minutes"), "{help}");
}
