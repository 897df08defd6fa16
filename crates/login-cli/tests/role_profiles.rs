//! Role profiles through the `aws-login` binary against signin-mock: export-credentials, status,
//! credential-process (signing in to the login profile under the role by itself), exit codes,
//! 32 processes at expiry making one AssumeRole, the MFA prompt on a pseudo-terminal (and its
//! absence without one), the role cache shared with botocore's JSONFileCache both ways, and
//! boto3 1.40.76 / current and the JS SDK old / new calling STS with the role credentials
//! through `credential_process`.

mod login_support;
#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use login_support::*;
use signin_mock::{MockConfig, Role};
use support::Sandbox;

const OPS: &str = "arn:aws:iam::111122223333:role/Ops";
const ADMIN: &str = "arn:aws:iam::111122223333:role/Admin";
const DEPLOY: &str = "arn:aws:iam::111122223333:role/Deploy";
const GUARDED: &str = "arn:aws:iam::111122223333:role/Guarded";
const ALICE_MFA: &str = "arn:aws:iam::111122223333:mfa/alice";

fn sandbox() -> Sandbox {
    let mut config = MockConfig::default();
    config.roles.push(Role::new(OPS));
    config.roles.push(Role {
        trusted: vec![OPS.into()],
        ..Role::new(ADMIN)
    });
    config.roles.push(Role {
        mfa_required: true,
        ..Role::new(GUARDED)
    });
    Sandbox::with_mock(config)
}

/// signin (login) <- ops (role) <- admin (role).
fn two_roles(sandbox: &Sandbox) -> support::Session {
    let session = sandbox.login("signin", "alice");
    sandbox.add_profile("ops", &[("role_arn", OPS), ("source_profile", "signin")]);
    sandbox.add_profile(
        "admin",
        &[
            ("role_arn", ADMIN),
            ("source_profile", "ops"),
            ("region", "us-east-1"),
        ],
    );
    session
}

fn run(sandbox: &Sandbox, args: &[&str]) -> Output {
    aws_login(sandbox).args(args).output().unwrap()
}

fn ok_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        text(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", text(&out.stdout)))
}

fn role_cache_dir(sandbox: &Sandbox) -> PathBuf {
    sandbox.home.join(".aws/cli/cache")
}

#[test]
fn export_credentials_and_status_of_a_role_profile() {
    let sandbox = sandbox();
    let session = two_roles(&sandbox);
    let json = ok_json(&run(
        &sandbox,
        &["export-credentials", "--profile", "admin"],
    ));
    let key = json["AccessKeyId"].as_str().unwrap().to_string();
    assert!(key.starts_with("ASIA"));
    assert!(json["Expiration"].as_str().unwrap().ends_with("+00:00"));
    assert_eq!(sandbox.mock.stats().assume_role_calls(ADMIN), 1);

    // The env format of the same (cached) credentials.
    let out = run(
        &sandbox,
        &[
            "export-credentials",
            "--profile",
            "admin",
            "--format",
            "env",
        ],
    );
    assert!(text(&out.stdout).starts_with(&format!("export AWS_ACCESS_KEY_ID={key}\n")));
    assert_eq!(sandbox.mock.stats().assume_role_calls(ADMIN), 1);

    let out = run(&sandbox, &["status", "--profile", "admin"]);
    let status = text(&out.stdout);
    assert!(out.status.success(), "{status}{}", text(&out.stderr));
    assert!(
        status.contains(&format!("assumes      {ADMIN}")),
        "{status}"
    );
    assert!(
        status.contains(&format!("via          ops ({OPS})")),
        "{status}"
    );
    assert!(
        status.contains(&format!(
            "from         login profile 'signin' ({})",
            session.arn
        )),
        "{status}"
    );
    assert!(
        status.contains("chain        admin -> ops -> signin"),
        "{status}"
    );
    assert!(status.contains("role credentials cached until"), "{status}");
    assert!(status.contains("Profile signin"), "{status}");
    let secret = json["SecretAccessKey"].as_str().unwrap();
    assert!(!status.contains(secret) && !status.contains(json["SessionToken"].as_str().unwrap()));

    let out = run(&sandbox, &["status", "--profile", "admin", "--json"]);
    let doc = ok_json(&out);
    assert_eq!(doc["chain"], serde_json::json!(["admin", "ops", "signin"]));
    assert_eq!(doc["roles"][1]["roleArn"], ADMIN);
    assert_eq!(doc["roles"][1]["reusable"], true);
    assert_eq!(doc["baseSession"]["profile"], "signin");
}

#[test]
fn errors_have_their_exit_codes() {
    let sandbox = sandbox();
    sandbox.login("signin", "alice");
    sandbox.add_profile("a", &[("role_arn", OPS), ("source_profile", "b")]);
    sandbox.add_profile("b", &[("role_arn", OPS), ("source_profile", "a")]);
    let out = run(&sandbox, &["export-credentials", "--profile", "a"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("a -> b -> a"));

    sandbox.add_profile(
        "denied",
        &[("role_arn", ADMIN), ("source_profile", "signin")],
    );
    let out = run(&sandbox, &["export-credentials", "--profile", "denied"]);
    assert_eq!(out.status.code(), Some(9), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("AccessDenied"));
    assert!(out.stdout.is_empty());

    let help = text(&run(&sandbox, &["export-credentials", "--help"]).stdout);
    assert!(help.contains(" 9  STS refused AssumeRole"), "{help}");
    assert!(help.contains("10  the role needs an MFA code"), "{help}");
}

#[test]
fn thirty_two_processes_at_expiry_make_one_assume_role() {
    let sandbox = sandbox();
    let session = sandbox.login("signin", "alice");
    sandbox.add_profile(
        "deploy",
        &[("role_arn", DEPLOY), ("source_profile", "signin")],
    );
    // No role credentials yet and a login session about to expire: every process needs both.
    sandbox.set_seconds_left(&session, 30);
    let children: Vec<_> = (0..32)
        .map(|_| {
            aws_login(&sandbox)
                .args(["export-credentials", "--profile", "deploy"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let keys: Vec<String> = children
        .into_iter()
        .map(|c| {
            let json = ok_json(&c.wait_with_output().unwrap());
            json["AccessKeyId"].as_str().unwrap().to_string()
        })
        .collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    assert_eq!(sandbox.mock.stats().assume_role_calls(DEPLOY), 1);
    assert_eq!(sandbox.refresh_calls(), 1, "the base refreshed once");
}

/// Runs `aws-login export-credentials --profile P` with a pseudo-terminal as its controlling
/// terminal (stdin/stderr on the pty, stdout to a file as an SDK would read it), answering the
/// MFA prompt with `code`. Returns (what the terminal showed, stdout, exit code).
fn on_a_terminal(sandbox: &Sandbox, profile: &str, code: &str) -> (String, String, i32) {
    let stdout_file = sandbox.dir.path().join(format!("stdout-{profile}.json"));
    let script = r#"
import os, pty, sys, select, time
out_path, code, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
pid, fd = pty.fork()
if pid == 0:
    out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(out, 1)
    os.execv(argv[0], argv)
seen = b""
answered = False
deadline = time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        if not answered and b"Enter MFA code for " in seen and seen.rstrip().endswith(b":"):
            os.write(fd, code.encode() + b"\n")
            answered = True
    else:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
_, status = os.waitpid(pid, 0)
sys.stderr.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let out = sandbox
        .command("python3")
        .args(["-c", script])
        .arg(&stdout_file)
        .arg(code)
        .args([AWS_LOGIN, "export-credentials", "--profile", profile])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        text(&out.stderr),
        std::fs::read_to_string(&stdout_file).unwrap_or_default(),
        out.status.code().unwrap_or(-1),
    )
}

/// `aws-login export-credentials` in a new session: no controlling terminal at all.
fn without_terminal(sandbox: &Sandbox, profile: &str) -> Output {
    aws_login(sandbox)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["export-credentials", "--profile", profile])
        .output_in_new_session()
}

trait NewSession {
    fn output_in_new_session(&mut self) -> Output;
}

impl NewSession for Command {
    /// `setsid -w` detaches the child from the controlling terminal the test may have.
    fn output_in_new_session(&mut self) -> Output {
        let program = self.get_program().to_owned();
        let args: Vec<_> = self.get_args().map(|a| a.to_owned()).collect();
        let envs: Vec<_> = self
            .get_envs()
            .map(|(k, v)| (k.to_owned(), v.map(|v| v.to_owned())))
            .collect();
        let mut setsid = Command::new("setsid");
        setsid.arg("-w").arg(program).args(args);
        for (k, v) in envs {
            match v {
                Some(v) => setsid.env(k, v),
                None => setsid.env_remove(k),
            };
        }
        setsid
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    }
}

#[test]
fn mfa_code_is_asked_on_the_terminal_only_when_the_role_must_be_assumed() {
    let sandbox = sandbox();
    sandbox.login("signin", "alice");
    sandbox.add_profile(
        "guarded",
        &[
            ("role_arn", GUARDED),
            ("source_profile", "signin"),
            ("mfa_serial", ALICE_MFA),
        ],
    );

    // No terminal: fails at once, names the fix, calls nothing.
    let out = without_terminal(&sandbox, "guarded");
    assert_eq!(out.status.code(), Some(10), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("no terminal"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(sandbox.mock.stats().assume_role_calls(GUARDED), 0);

    // A wrong code: STS refuses, exit 9, nothing cached.
    let (terminal, stdout, code) = on_a_terminal(&sandbox, "guarded", "000000");
    assert!(
        terminal.contains(&format!("Enter MFA code for {ALICE_MFA}: ")),
        "{terminal}"
    );
    assert_eq!(code, 9, "{terminal}");
    assert!(terminal.contains("MFA code was refused"), "{terminal}");
    assert!(stdout.is_empty());

    // The right code: the prompt went to the terminal, stdout holds only the JSON.
    let good = sandbox.mock.mfa_code(ALICE_MFA).unwrap();
    let (terminal, stdout, code) = on_a_terminal(&sandbox, "guarded", &good);
    assert_eq!(code, 0, "{terminal}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("stdout is only JSON");
    assert!(json["AccessKeyId"].as_str().unwrap().starts_with("ASIA"));
    assert!(!terminal.contains(json["SecretAccessKey"].as_str().unwrap()));

    // Cached now: no terminal needed, no code asked, no call.
    let calls = sandbox.mock.stats().assume_role_calls(GUARDED);
    let out = without_terminal(&sandbox, "guarded");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(sandbox.mock.stats().assume_role_calls(GUARDED), calls);
}

#[test]
fn credential_process_signs_in_to_the_login_profile_under_a_role() {
    let sandbox = sandbox();
    let session = two_roles(&sandbox);
    // Logged out: the login profile has its login_session but no cached session.
    std::fs::remove_file(&session.cache_file).unwrap();
    sandbox.mock.set_auto_approve(Some("alice")).unwrap();
    let out = with_fetch_browser(&mut aws_login(&sandbox), &sandbox)
        .args(["credential-process", "--profile", "admin"])
        .output()
        .unwrap();
    let json = ok_json(&out);
    assert_eq!(json["Version"], 1);
    assert!(session.cache_file.exists(), "signed in to 'signin'");
    let stats = sandbox.mock.stats();
    assert_eq!(stats.assume_role_calls(OPS), 1);
    assert_eq!(stats.assume_role_calls(ADMIN), 1);
    assert!(
        text(&out.stderr).contains("login profile") || text(&out.stderr).contains("'signin'"),
        "{}",
        text(&out.stderr)
    );
    // --no-login does not sign in; it says which profile needs it.
    std::fs::remove_file(&session.cache_file).unwrap();
    for file in std::fs::read_dir(role_cache_dir(&sandbox))
        .unwrap()
        .flatten()
    {
        std::fs::remove_file(file.path()).unwrap();
    }
    let out = run(
        &sandbox,
        &["credential-process", "--profile", "admin", "--no-login"],
    );
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("aws-login login --profile signin"),
        "{}",
        text(&out.stderr)
    );
}

// ------------------------------------------------------------------ peers

fn env_path(name: &str) -> Option<PathBuf> {
    peers()?;
    let path = std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{name} is not set; run through `cargo xtask test`"));
    assert!(path.exists(), "{} does not exist", path.display());
    Some(path)
}

/// botocore resolving `profile` with AWS CLI's role cache (`JSONFileCache(~/.aws/cli/cache)`),
/// printing the access key it got.
fn botocore_with_cli_cache(sandbox: &Sandbox, python: &Path, profile: &str) -> String {
    let script = r#"
import os, sys, botocore.session
from botocore.credentials import JSONFileCache
session = botocore.session.Session(profile=sys.argv[1])
provider = session.get_component("credential_provider").get_provider("assume-role")
provider.cache = JSONFileCache(os.path.expanduser("~/.aws/cli/cache"))
print(session.get_credentials().get_frozen_credentials().access_key)
"#;
    let out = sandbox
        .command(python)
        .args(["-c", script, profile])
        .output()
        .unwrap();
    assert!(out.status.success(), "botocore: {}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

#[test]
fn role_cache_is_shared_with_botocore_both_ways() {
    let Some(python) = env_path("AWS_LOGIN_TEST_PYTHON") else {
        return;
    };
    let sandbox = sandbox();
    sandbox.login("signin", "alice");
    sandbox.add_profile(
        "deploy",
        &[
            ("role_arn", DEPLOY),
            ("source_profile", "signin"),
            ("region", "us-east-1"),
        ],
    );

    // aws-login writes, botocore reads: same key, no second AssumeRole.
    let ours = ok_json(&run(
        &sandbox,
        &["export-credentials", "--profile", "deploy"],
    ));
    let theirs = botocore_with_cli_cache(&sandbox, &python, "deploy");
    assert_eq!(theirs, ours["AccessKeyId"].as_str().unwrap());
    assert_eq!(sandbox.mock.stats().assume_role_calls(DEPLOY), 1);

    // botocore writes, aws-login reads.
    for file in std::fs::read_dir(role_cache_dir(&sandbox))
        .unwrap()
        .flatten()
    {
        std::fs::remove_file(file.path()).unwrap();
    }
    let theirs = botocore_with_cli_cache(&sandbox, &python, "deploy");
    assert_eq!(sandbox.mock.stats().assume_role_calls(DEPLOY), 2);
    // botocore spells the expiration its own way (`…UTC`); aws-login must read it.
    let written: Vec<String> = std::fs::read_dir(role_cache_dir(&sandbox))
        .unwrap()
        .flatten()
        .filter(|f| f.path().extension().is_some_and(|x| x == "json"))
        .map(|f| std::fs::read_to_string(f.path()).unwrap())
        .collect();
    assert_eq!(written.len(), 1);
    let ours = ok_json(&run(
        &sandbox,
        &["export-credentials", "--profile", "deploy"],
    ));
    assert_eq!(ours["AccessKeyId"].as_str().unwrap(), theirs);
    assert_eq!(sandbox.mock.stats().assume_role_calls(DEPLOY), 2);
}

#[test]
fn sdks_call_sts_with_role_credentials_through_credential_process() {
    let Some(python_new) = env_path("AWS_LOGIN_TEST_PYTHON") else {
        return;
    };
    let python_old = env_path("AWS_LOGIN_TEST_PYTHON_OLD").unwrap();
    let node_new = env_path("AWS_LOGIN_TEST_NODE_MODULES").unwrap();
    let node_old = env_path("AWS_LOGIN_TEST_NODE_MODULES_OLD").unwrap();
    let sandbox = sandbox();
    two_roles(&sandbox);
    let out = run(
        &sandbox,
        &[
            "configure",
            "process-profile",
            "--profile",
            "admin-process",
            "--login-profile",
            "admin",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("no login session yet"),
        "{}",
        text(&out.stderr)
    );

    let admin_session = "arn:aws:sts::111122223333:assumed-role/Admin/botocore-session-";
    for python in [&python_old, &python_new] {
        let arn = boto3_caller_identity(&sandbox, python, "admin-process").unwrap();
        assert!(
            arn.starts_with(admin_session),
            "{}: {arn}",
            python.display()
        );
    }
    let script = "const path = require('path');\n\
        const { STSClient, GetCallerIdentityCommand } = require(path.join(process.argv[1], '@aws-sdk/client-sts'));\n\
        new STSClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL_STS })\n\
          .send(new GetCallerIdentityCommand({}))\n\
          .then((r) => console.log(r.Arn), (e) => { console.error(e); process.exit(1); });\n";
    for modules in [&node_old, &node_new] {
        let arn = caller_identity(
            sandbox
                .command("node")
                .args(["-e", script])
                .arg(modules)
                .env("AWS_PROFILE", "admin-process"),
        )
        .unwrap();
        assert!(
            arn.starts_with(admin_session),
            "{}: {arn}",
            modules.display()
        );
    }
    // Every consumer shared the one cached Admin session.
    assert_eq!(sandbox.mock.stats().assume_role_calls(ADMIN), 1);
}
