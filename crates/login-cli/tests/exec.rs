//! `aws-login exec` end to end, with a real signin-mock and real child processes: the child's
//! environment, the credential server it finds there, exit codes and signals (a child that exits
//! 3, one killed by SIGTERM, SIGTERM sent to aws-login, Ctrl-C typed at a pseudo-terminal),
//! `--env`, a profile that needs a login, a nested exec, and the server stopping with the child.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use support::Sandbox;

const AWS_LOGIN: &str = env!("CARGO_BIN_EXE_aws-login");

/// Prints the environment the child got and what the server answered, as one JSON line.
const PROBE: &str = r#"
import json, os, sys, urllib.request, urllib.error
names = ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
         "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION", "AWS_ACCOUNT_ID", "AWS_REGION", "AWS_DEFAULT_REGION",
         "AWS_LOGIN_EXEC", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
         "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONFIG_FILE"]
out = {"env": {n: os.environ.get(n) for n in names}, "argv": sys.argv[1:]}
uri = os.environ.get("AWS_CONTAINER_CREDENTIALS_FULL_URI")
if uri:
    def get(headers):
        try:
            with urllib.request.urlopen(urllib.request.Request(uri, headers=headers), timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()
    out["with_token"] = get({"Authorization": os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]})
    out["without_token"] = get({})
    out["wrong_token"] = get({"Authorization": "0" * 64})
print(json.dumps(out))
"#;

fn exec(sandbox: &Sandbox, args: &[&str]) -> Command {
    let mut command = sandbox.command(AWS_LOGIN);
    command.arg("exec").args(args).stdin(Stdio::null());
    command
}

fn json_line(out: &Output) -> serde_json::Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| {
            panic!(
                "no JSON from the child ({}):\nstdout: {stdout}\nstderr: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(line).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_child_gets_a_credential_server_and_a_clean_environment() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let cache = sandbox.read_cache(&session);
    let out = exec(
        &sandbox,
        &[
            "--profile",
            "dev",
            "--",
            "python3",
            "-c",
            PROBE,
            "a b",
            "--flag",
        ],
    )
    .env("AWS_PROFILE", "someone-else")
    .env("AWS_DEFAULT_PROFILE", "someone-else")
    .env("AWS_ACCESS_KEY_ID", "AKIAOUTSIDE")
    .env("AWS_SECRET_ACCESS_KEY", "outside-secret")
    .env("AWS_SESSION_TOKEN", "outside-token")
    .env(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "/v2/credentials/outside",
    )
    .env_remove("AWS_REGION")
    .env_remove("AWS_DEFAULT_REGION")
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let probe = json_line(&out);
    let env = &probe["env"];
    assert_eq!(
        probe["argv"],
        serde_json::json!(["a b", "--flag"]),
        "arguments passed as they are, no shell"
    );
    for gone in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    ] {
        assert!(env[gone].is_null(), "{gone} was passed on: {env}");
    }
    assert_eq!(env["AWS_REGION"], "us-east-1", "region from the profile");
    assert_eq!(env["AWS_DEFAULT_REGION"], "us-east-1");
    assert_eq!(env["AWS_LOGIN_EXEC"], "dev");
    assert_eq!(
        env["AWS_CONFIG_FILE"],
        sandbox.config_file.display().to_string()
    );
    let uri = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].as_str().unwrap();
    assert!(
        uri.starts_with("http://127.0.0.1:") && uri.ends_with("/credentials"),
        "{uri}"
    );
    let token = env["AWS_CONTAINER_AUTHORIZATION_TOKEN"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));

    let (status, body) = (&probe["with_token"][0], &probe["with_token"][1]);
    assert_eq!(status, 200, "{body}");
    let token_in_cache = &cache["accessToken"];
    assert_eq!(body["AccessKeyId"], token_in_cache["accessKeyId"]);
    assert_eq!(body["SecretAccessKey"], token_in_cache["secretAccessKey"]);
    assert_eq!(body["Token"], token_in_cache["sessionToken"]);
    assert_eq!(
        body["Expiration"], token_in_cache["expiresAt"],
        "RFC 3339 with Z"
    );
    assert!(body["Expiration"].as_str().unwrap().ends_with('Z'));
    assert_eq!(body["AccountId"], "111122223333");
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "AccessKeyId",
            "SecretAccessKey",
            "Token",
            "Expiration",
            "AccountId"
        ]
    );

    assert_eq!(probe["without_token"][0], 401);
    assert_eq!(probe["wrong_token"][0], 403);
    for refused in ["without_token", "wrong_token"] {
        let text = probe[refused][1].as_str().unwrap();
        assert!(
            !text.contains("ASIA") && !text.contains(token),
            "{refused} answered {text}"
        );
    }
    // Nothing secret on aws-login's own stderr.
    let err = stderr(&out);
    for secret in [
        token,
        token_in_cache["secretAccessKey"].as_str().unwrap(),
        token_in_cache["sessionToken"].as_str().unwrap(),
    ] {
        assert!(!err.contains(secret), "stderr shows a secret: {err}");
    }
}

#[test]
fn an_inherited_region_is_kept_and_region_sets_it() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    let inherited = exec(
        &sandbox,
        &["--profile", "dev", "--", "python3", "-c", PROBE],
    )
    .env("AWS_REGION", "eu-central-1")
    .env_remove("AWS_DEFAULT_REGION")
    .output()
    .unwrap();
    let env = json_line(&inherited)["env"].clone();
    assert_eq!(env["AWS_REGION"], "eu-central-1");
    assert!(env["AWS_DEFAULT_REGION"].is_null(), "{env}");
    let explicit = exec(
        &sandbox,
        &[
            "--profile",
            "dev",
            "--region",
            "ap-southeast-2",
            "--",
            "python3",
            "-c",
            PROBE,
        ],
    )
    .output()
    .unwrap();
    let env = json_line(&explicit)["env"].clone();
    assert_eq!(env["AWS_REGION"], "ap-southeast-2");
    assert_eq!(env["AWS_DEFAULT_REGION"], "ap-southeast-2");
}

#[test]
fn exit_codes_are_the_childs() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    let three = exec(&sandbox, &["--profile", "dev", "--", "sh", "-c", "exit 3"])
        .status()
        .unwrap();
    assert_eq!(three.code(), Some(3));
    let killed = exec(
        &sandbox,
        &["--profile", "dev", "--", "sh", "-c", "kill -TERM $$"],
    )
    .status()
    .unwrap();
    assert_eq!(killed.code(), Some(128 + 15), "128 + SIGTERM");
    let missing = exec(
        &sandbox,
        &["--profile", "dev", "--", "no-such-command-anywhere"],
    )
    .output()
    .unwrap();
    assert_eq!(missing.status.code(), Some(127));
    assert!(
        stderr(&missing).contains("cannot run 'no-such-command-anywhere': command not found"),
        "{}",
        stderr(&missing)
    );
    let not_executable = exec(
        &sandbox,
        &[
            "--profile",
            "dev",
            "--",
            sandbox.config_file.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(
        not_executable.status.code(),
        Some(126),
        "{}",
        stderr(&not_executable)
    );
}

/// A child that reports each signal it gets (one JSON line per signal) and exits 40 + the
/// number of signals after the first one plus a grace period.
const SIGNAL_CHILD: &str = r#"
import os, signal, sys, time
got = []
def on(sig, frame):
    got.append(sig)
    print(f"signal {sig}", flush=True)
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, on)
print("ready", flush=True)
deadline = time.time() + 30
while not got and time.time() < deadline:
    time.sleep(0.02)
time.sleep(0.5)  # a second copy of the signal would arrive by now
sys.exit(40 + len(got))
"#;

fn wait_for_line(reader: &mut impl Read, wanted: &str) -> String {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !String::from_utf8_lossy(&seen).contains(wanted) {
        match reader.read(&mut byte) {
            Ok(1) => seen.push(byte[0]),
            _ => panic!(
                "ended before {wanted:?}: {}",
                String::from_utf8_lossy(&seen)
            ),
        }
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[test]
fn signals_sent_to_aws_login_reach_the_child_once() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    for (signal, number) in [("TERM", 15), ("INT", 2), ("HUP", 1)] {
        let mut child = exec(
            &sandbox,
            &["--profile", "dev", "--", "python3", "-c", SIGNAL_CHILD],
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        wait_for_line(&mut stdout, "ready");
        let sent = Command::new("kill")
            .args([format!("-{signal}"), child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = child.wait().unwrap();
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap();
        assert_eq!(
            rest.trim(),
            format!("signal {number}"),
            "SIG{signal} passed on once"
        );
        assert_eq!(
            status.code(),
            Some(41),
            "aws-login exits with the child's status after SIG{signal}"
        );
    }
}

/// Runs `aws-login exec` on a new pseudo-terminal (Python's pty module, the child as session
/// leader like a shell would), types Ctrl-C once the child is ready, and reports the output and
/// the exit status.
const PTY_DRIVER: &str = r#"
import json, os, pty, select, sys, time
argv = sys.argv[1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b""
def read_until(marker, timeout):
    global out
    end = time.time() + timeout
    while marker not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
read_until(b"ready", 30)
os.write(fd, b"\x03")
read_until(b"\x00never", 3)
_, status = os.waitpid(pid, 0)
print(json.dumps({"output": out.decode(errors="replace"), "exit": os.waitstatus_to_exitcode(status)}))
"#;

#[test]
fn ctrl_c_at_the_terminal_reaches_the_child_once() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    let out = sandbox
        .command("python3")
        .args([
            "-c",
            PTY_DRIVER,
            AWS_LOGIN,
            "exec",
            "--profile",
            "dev",
            "--",
            "python3",
            "-c",
            SIGNAL_CHILD,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json_line(&out);
    let output = report["output"].as_str().unwrap();
    let signals: Vec<&str> = output.lines().filter(|l| l.contains("signal ")).collect();
    assert_eq!(
        signals.len(),
        1,
        "exactly one SIGINT reached the child: {output}"
    );
    assert!(signals[0].contains("signal 2"), "{output}");
    assert_eq!(report["exit"], 41, "{output}");
}

#[test]
fn a_profile_that_needs_a_login_says_so_and_starts_nothing() {
    let sandbox = Sandbox::new();
    sandbox.add_profile("fresh", &[("region", "us-east-1")]);
    let marker = sandbox.dir.path().join("child-ran");
    let out = exec(
        &sandbox,
        &[
            "--profile",
            "fresh",
            "--",
            "touch",
            marker.to_str().unwrap(),
        ],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("fresh"), "{err}");
    assert!(err.contains("--login"), "mentions --login: {err}");
    assert!(!marker.exists(), "the child never started");

    // A session that was logged out: same.
    let session = sandbox.login("dev", "alice");
    std::fs::remove_file(&session.cache_file).unwrap();
    let out = exec(
        &sandbox,
        &["--profile", "dev", "--", "touch", marker.to_str().unwrap()],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(!marker.exists());
}

#[test]
fn login_signs_in_first_then_runs_the_command() {
    let sandbox = Sandbox::new();
    sandbox.add_profile("fresh", &[("region", "us-east-1")]);
    sandbox.mock.set_auto_approve(Some("alice")).unwrap();
    let fetch = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/browser-driver/fetch.js"
    );
    let out = exec(
        &sandbox,
        &[
            "--profile",
            "fresh",
            "--login",
            "--",
            "python3",
            "-c",
            PROBE,
        ],
    )
    .env("BROWSER", format!("node {fetch} %s"))
    .env(
        "AWS_LOGIN_DRIVER_LOG",
        sandbox.dir.path().join("browser.log"),
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let probe = json_line(&out);
    assert_eq!(probe["with_token"][0], 200, "{probe}");
    assert!(
        stderr(&out).contains("Signing in first"),
        "{}",
        stderr(&out)
    );
    let config = std::fs::read_to_string(&sandbox.config_file).unwrap();
    assert!(
        config.contains("login_session = arn:aws:iam::111122223333:user/alice"),
        "{config}"
    );
}

#[test]
fn env_sets_plain_variables_and_warns_when_they_expire() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let out = exec(
        &sandbox,
        &["--profile", "dev", "--env", "--", "python3", "-c", PROBE],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let env = json_line(&out)["env"].clone();
    let cache = sandbox.read_cache(&session);
    assert_eq!(
        env["AWS_ACCESS_KEY_ID"],
        cache["accessToken"]["accessKeyId"]
    );
    assert_eq!(
        env["AWS_SECRET_ACCESS_KEY"],
        cache["accessToken"]["secretAccessKey"]
    );
    assert_eq!(
        env["AWS_SESSION_TOKEN"],
        cache["accessToken"]["sessionToken"]
    );
    assert_eq!(env["AWS_ACCOUNT_ID"], "111122223333");
    let expires = cache["accessToken"]["expiresAt"].as_str().unwrap();
    assert_eq!(
        env["AWS_CREDENTIAL_EXPIRATION"],
        expires.replace('Z', "+00:00")
    );
    assert!(env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].is_null());
    assert_eq!(env["AWS_LOGIN_EXEC"], "dev");
    let err = stderr(&out);
    let hh_mm = &expires[11..16];
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.contains(&format!("expire at {hh_mm} UTC")), "{err}");
}

#[test]
fn a_nested_exec_says_so_and_uses_the_outer_server() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    let script = format!(
        "echo outer=$AWS_CONTAINER_CREDENTIALS_FULL_URI; {AWS_LOGIN} exec -- sh -c 'echo inner=$AWS_CONTAINER_CREDENTIALS_FULL_URI'"
    );
    let out = exec(&sandbox, &["--profile", "dev", "--", "sh", "-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let outer = stdout
        .lines()
        .find_map(|l| l.strip_prefix("outer="))
        .unwrap();
    let inner = stdout
        .lines()
        .find_map(|l| l.strip_prefix("inner="))
        .unwrap();
    assert!(outer.starts_with("http://127.0.0.1:"), "{stdout}");
    assert_eq!(inner, outer, "no second server");
    assert!(
        stderr(&out).contains("already inside `aws-login exec` for profile 'dev'"),
        "{}",
        stderr(&out)
    );

    // --env inside: plain variables for the outer profile, and a note saying so.
    let script =
        format!("{AWS_LOGIN} exec --env -- sh -c 'echo inner=$AWS_LOGIN_EXEC $AWS_ACCESS_KEY_ID'");
    let out = exec(&sandbox, &["--profile", "dev", "--", "sh", "-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.trim().starts_with("inner=dev ASIA"), "{stdout}");
    assert!(
        stderr(&out).contains("gets plain variables for it instead"),
        "{}",
        stderr(&out)
    );

    // Another profile inside: a server of its own, and a note saying so.
    sandbox.login("prod", "admin");
    let script = format!(
        "echo outer=$AWS_CONTAINER_CREDENTIALS_FULL_URI; {AWS_LOGIN} exec --profile prod -- sh -c 'echo inner=$AWS_CONTAINER_CREDENTIALS_FULL_URI $AWS_LOGIN_EXEC'"
    );
    let out = exec(&sandbox, &["--profile", "dev", "--", "sh", "-c", &script])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let outer = stdout
        .lines()
        .find_map(|l| l.strip_prefix("outer="))
        .unwrap();
    let inner = stdout
        .lines()
        .find_map(|l| l.strip_prefix("inner="))
        .unwrap();
    assert_ne!(inner.split(' ').next().unwrap(), outer);
    assert!(inner.ends_with(" prod"), "{inner}");
    assert!(
        stderr(&out).contains("gets profile 'prod' instead"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn the_server_stops_with_the_child() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    let out = exec(
        &sandbox,
        &[
            "--profile",
            "dev",
            "--",
            "sh",
            "-c",
            "echo $AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success());
    let uri = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let address = uri
        .trim_start_matches("http://")
        .trim_end_matches("/credentials");
    let refused = TcpStream::connect_timeout(&address.parse().unwrap(), Duration::from_secs(2));
    assert!(refused.is_err(), "{address} still accepts connections");
}

#[test]
fn without_a_command_the_shell_starts() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    let mut child = exec(&sandbox, &["--profile", "dev"])
        .env("SHELL", "/bin/sh")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"echo shell=$AWS_LOGIN_EXEC $AWS_CONTAINER_CREDENTIALS_FULL_URI; exit 9\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(9));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("shell=dev http://127.0.0.1:"),
        "{stdout}"
    );
}

#[test]
fn a_default_profile_with_credentials_of_its_own_is_named() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    let quiet = exec(&sandbox, &["--profile", "dev", "--", "true"])
        .output()
        .unwrap();
    assert!(!stderr(&quiet).contains("warning"), "{}", stderr(&quiet));
    std::fs::write(
        sandbox.home.join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = example\n",
    )
    .unwrap();
    let out = exec(&sandbox, &["--profile", "dev", "--", "true"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("profile 'default' in")
            && err.contains("has credentials of its own (Access Key)"),
        "{err}"
    );
    assert!(
        !err.contains("AKIAEXAMPLE") && !err.contains("example\n"),
        "{err}"
    );
}
