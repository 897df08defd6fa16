//! `aws-login configure sso` / `configure sso-session` against signin-mock's IAM Identity
//! Center: the wizard driven through a real pseudo-terminal (Python's `pty`, typing answers and
//! arrow keys into the dialoguer pickers), and the same answers given as flags without a
//! terminal; the config file's bytes are compared with what AWS CLI writes.

mod login_support;
#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};

use login_support::*;
use support::Sandbox;

const START_URL: &str = signin_mock::DEFAULT_SSO_START_URL;
const BEFORE: &str = "# mine\n[default]\nregion = us-east-1\n";

/// Runs argv in a pseudo-terminal; for each (expected text, keys) waits for the text on the
/// terminal, then types the keys. Prints everything the terminal showed; exits with the child's
/// status.
const PTY_DRIVER: &str = r#"
import json, os, pty, select, sys, time
argv, script = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
seen, cursor = b"", 0
deadline = time.time() + 60
def pump(timeout):
    global seen
    r, _, _ = select.select([fd], [], [], timeout)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return False
        if not chunk:
            return False
        seen += chunk
    return True
for expect, keys in script:
    while expect.encode() not in seen[cursor:]:
        if time.time() > deadline or not pump(0.2):
            sys.stdout.write(seen.decode(errors="replace"))
            sys.stderr.write("\nnever saw: %r\n" % expect)
            sys.exit(90)
    cursor = seen.index(expect.encode(), cursor) + len(expect)
    time.sleep(0.05)
    os.write(fd, keys.encode())
while pump(0.5):
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;

fn sandbox() -> Sandbox {
    let sandbox = Sandbox::new();
    std::fs::write(&sandbox.config_file, BEFORE).unwrap();
    sandbox.mock.set_sso_auto_approve(Some("alice")).unwrap();
    sandbox
}

fn sso_env(command: &mut Command, sandbox: &Sandbox) {
    with_fetch_browser(command, sandbox)
        .env("AWS_ENDPOINT_URL_SSO_OIDC", sandbox.base_url())
        .env("AWS_ENDPOINT_URL_SSO", sandbox.base_url())
        .env("TERM", "xterm");
}

fn expected_config(profile: &str, account: &str, role: &str, region: &str) -> String {
    format!(
        "{BEFORE}[profile {profile}]\nsso_session = my-sso\nsso_account_id = {account}\nsso_role_name = {role}\nregion = {region}\noutput = json\n[sso-session my-sso]\nsso_start_url = {START_URL}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n"
    )
}

#[test]
fn the_wizard_in_a_pseudo_terminal_writes_what_aws_configure_sso_writes() {
    let sandbox = sandbox();
    let argv = serde_json::json!([AWS_LOGIN, "configure", "sso", "--use-device-code"]);
    let down = "\u{1b}[B";
    let script = serde_json::json!([
        ["SSO session name (Recommended)", "my-sso\r"],
        ["SSO start URL [None]", format!("{START_URL}\r")],
        ["SSO region [None]", "us-east-1\r"],
        ["SSO registration scopes [sso:account:access]", "\r"],
        ["There are 2 AWS accounts available to you.", ""],
        [
            "Production, prod@example.com (444455556666)",
            format!("{down}\r")
        ],
        ["There are 2 roles available to you.", ""],
        ["ReadOnly", "\r"],
        ["Default client Region [None]", "eu-west-1\r"],
        [
            "CLI default output format (json if not specified) [None]",
            "json\r"
        ],
        ["Profile name [Deploy-444455556666]", "\r"],
    ]);
    let mut command = sandbox.command("python3");
    command.args(["-c", PTY_DRIVER, &argv.to_string(), &script.to_string()]);
    sso_env(&mut command, &sandbox);
    let out = command.output().unwrap();
    let screen = text(&out.stdout);
    assert!(out.status.success(), "{screen}\n{}", text(&out.stderr));
    assert!(
        screen.contains("Development, dev@example.com (111122223333)"),
        "{screen}"
    );
    assert!(
        screen.contains("Using the account ID 444455556666"),
        "{screen}"
    );
    assert!(
        screen.contains("Using the role name \"Deploy\""),
        "{screen}"
    );
    assert!(
        screen.contains("aws sts get-caller-identity --profile Deploy-444455556666"),
        "{screen}"
    );
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        expected_config("Deploy-444455556666", "444455556666", "Deploy", "eu-west-1")
    );
    // The new profile works.
    let mut export = aws_login(&sandbox);
    sso_env(&mut export, &sandbox);
    let out = export
        .args(["export-credentials", "--profile", "Deploy-444455556666"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn every_answer_as_a_flag_without_a_terminal() {
    let sandbox = sandbox();
    let mut command = aws_login(&sandbox);
    sso_env(&mut command, &sandbox);
    let out = command
        .args([
            "configure",
            "sso",
            "--profile",
            "dev",
            "--sso-session",
            "my-sso",
            "--sso-start-url",
            START_URL,
            "--sso-region",
            "us-east-1",
            "--sso-registration-scopes",
            "sso:account:access",
            "--use-device-code",
            "--account-id",
            "111122223333",
            "--role-name",
            "ReadOnly",
            "--default-region",
            "us-west-2",
            "--output",
            "json",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        expected_config("dev", "111122223333", "ReadOnly", "us-west-2")
    );
    // A second profile on the same session: no new sign-in, no [sso-session] rewrite.
    let calls = sandbox.mock.stats().sso_token_calls("device_code");
    let mut command = aws_login(&sandbox);
    sso_env(&mut command, &sandbox);
    let out = command
        .args([
            "configure",
            "sso",
            "--profile",
            "ro",
            "--sso-session",
            "my-sso",
            "--account-id",
            "444455556666",
            "--role-name",
            "ReadOnly",
            "--default-region",
            "",
            "--output",
            "",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sandbox.mock.stats().sso_token_calls("device_code"), calls);
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        format!("{}[profile ro]\nsso_session = my-sso\nsso_account_id = 444455556666\nsso_role_name = ReadOnly\n", expected_config("dev", "111122223333", "ReadOnly", "us-west-2"))
    );
    // A missing answer without a terminal names its flag.
    let mut command = aws_login(&sandbox);
    sso_env(&mut command, &sandbox);
    let out = command
        .args(["configure", "sso-session"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("--sso-session is required"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn configure_sso_session_writes_only_the_session() {
    let sandbox = sandbox();
    let mut command = aws_login(&sandbox);
    sso_env(&mut command, &sandbox);
    let out = command
        .args([
            "configure",
            "sso-session",
            "--sso-session",
            "corp",
            "--sso-start-url",
            START_URL,
            "--sso-region",
            "eu-west-1",
            "--sso-registration-scopes",
            "sso:account:access,sso:other",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "\nCompleted configuring SSO session: corp\nRun the following to login and refresh access token for this session:\n\naws-login sso login --sso-session corp\n"
    );
    assert_eq!(
        std::fs::read_to_string(&sandbox.config_file).unwrap(),
        format!("{BEFORE}[sso-session corp]\nsso_start_url = {START_URL}\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access,sso:other\n")
    );
}
