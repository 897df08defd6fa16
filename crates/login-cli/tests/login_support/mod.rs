//! Helpers of the login end-to-end tests: the real peers (`cargo xtask test` installs them and
//! passes their paths in AWS_LOGIN_TEST_*), the browser stand-ins used as `$BROWSER` (headless
//! Debian Chromium driven by playwright-core, or a plain redirect follower for auto-approved
//! logins), and boto3 calls against signin-mock's STS.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::Sandbox;

pub mod sso;

pub const AWS_LOGIN: &str = env!("CARGO_BIN_EXE_aws-login");
pub const CHROMIUM_DRIVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/browser-driver/driver.js"
);
pub const FETCH_DRIVER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/browser-driver/fetch.js"
);

/// The installed peers.
#[derive(Debug, Clone)]
pub struct Peers {
    pub python: PathBuf,
    pub python_old: PathBuf,
    pub node_modules: PathBuf,
    pub chromium: PathBuf,
}

/// The peers, or `None` (the test returns early) when AWS_LOGIN_SKIP_E2E=1. Missing peers
/// otherwise fail the test with a message saying how to run it.
pub fn peers() -> Option<Peers> {
    if std::env::var("AWS_LOGIN_SKIP_E2E").as_deref() == Ok("1") {
        eprintln!("skipped: AWS_LOGIN_SKIP_E2E=1");
        return None;
    }
    let var = |name: &str| {
        std::env::var_os(name).map(PathBuf::from).unwrap_or_else(|| {
            panic!(
                "{name} is not set: this end-to-end test needs the peers that `cargo xtask test` installs \
                 (Chromium, boto3, playwright-core). Run it via `cargo xtask test`, or set AWS_LOGIN_SKIP_E2E=1 to skip it."
            )
        })
    };
    let peers = Peers {
        python: var("AWS_LOGIN_TEST_PYTHON"),
        python_old: var("AWS_LOGIN_TEST_PYTHON_OLD"),
        node_modules: var("AWS_LOGIN_TEST_NODE_MODULES"),
        chromium: var("AWS_LOGIN_TEST_CHROMIUM"),
    };
    for path in [
        &peers.python,
        &peers.python_old,
        &peers.node_modules,
        &peers.chromium,
    ] {
        assert!(
            path.exists(),
            "{} does not exist; run `cargo xtask setup` (or `cargo xtask test`)",
            path.display()
        );
    }
    Some(peers)
}

/// How the stand-in browser behaves.
#[derive(Debug, Clone)]
pub struct BrowserScript {
    pub identity: &'static str,
    pub decision: &'static str,
    /// First visit the callback with a made-up state.
    pub forge_state: bool,
}

impl Default for BrowserScript {
    fn default() -> Self {
        BrowserScript {
            identity: "alice",
            decision: "allow",
            forge_state: false,
        }
    }
}

/// `aws-login` in the sandbox, without a display, with `$BROWSER` unset.
pub fn aws_login(sandbox: &Sandbox) -> Command {
    let mut command = sandbox.command(AWS_LOGIN);
    command
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WSL_DISTRO_NAME");
    command.env_remove("WSL_INTEROP").stdin(Stdio::null());
    command
}

/// The driver's log for this sandbox.
pub fn driver_log(sandbox: &Sandbox) -> PathBuf {
    sandbox.dir.path().join("browser.log")
}

/// Points `$BROWSER` at headless Chromium following `script`.
pub fn with_chromium<'c>(
    command: &'c mut Command,
    sandbox: &Sandbox,
    peers: &Peers,
    script: &BrowserScript,
) -> &'c mut Command {
    command
        .env("BROWSER", format!("node {CHROMIUM_DRIVER} %s"))
        .env("AWS_LOGIN_TEST_NODE_MODULES", &peers.node_modules)
        .env("AWS_LOGIN_TEST_CHROMIUM", &peers.chromium)
        .env("AWS_LOGIN_DRIVER_IDENTITY", script.identity)
        .env("AWS_LOGIN_DRIVER_DECISION", script.decision)
        .env(
            "AWS_LOGIN_DRIVER_FORGE_STATE",
            if script.forge_state { "1" } else { "0" },
        )
        .env("AWS_LOGIN_DRIVER_LOG", driver_log(sandbox))
}

/// Points `$BROWSER` at the redirect follower; the mock must auto-approve.
pub fn with_fetch_browser<'c>(command: &'c mut Command, sandbox: &Sandbox) -> &'c mut Command {
    command
        .env("BROWSER", format!("node {FETCH_DRIVER} %s"))
        .env("AWS_LOGIN_DRIVER_LOG", driver_log(sandbox))
}

/// Every record the stand-in browsers wrote, waiting briefly for a driver still finishing
/// (aws-login exits as soon as the callback page is sent).
pub fn browser_records(sandbox: &Sandbox, expected: usize) -> Vec<serde_json::Value> {
    let path = driver_log(sandbox);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let records = read_records(&path);
        if records.len() >= expected || std::time::Instant::now() > deadline {
            return records;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

fn read_records(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// Runs the Chromium driver by hand (the remote flow: the person's browser is elsewhere) and
/// returns its record, which holds the confirmation page's `code`.
pub fn run_chromium_driver(peers: &Peers, url: &str, script: &BrowserScript) -> serde_json::Value {
    let out = Command::new("node")
        .arg(CHROMIUM_DRIVER)
        .arg(url)
        .env("AWS_LOGIN_TEST_NODE_MODULES", &peers.node_modules)
        .env("AWS_LOGIN_TEST_CHROMIUM", &peers.chromium)
        .env("AWS_LOGIN_DRIVER_IDENTITY", script.identity)
        .env("AWS_LOGIN_DRIVER_DECISION", script.decision)
        .env_remove("AWS_LOGIN_DRIVER_LOG")
        .output()
        .expect("node runs the Chromium driver");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let record: serde_json::Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "driver printed no record: {stdout} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    assert!(out.status.success(), "driver failed: {record}");
    record
}

/// boto3 `sts.get_caller_identity()` with `profile`, against the mock's STS; returns the ARN.
pub fn boto3_caller_identity(
    sandbox: &Sandbox,
    python: &Path,
    profile: &str,
) -> Result<String, String> {
    caller_identity(&mut boto3_command(sandbox, python, profile))
}

/// The Python command that prints the caller's ARN (set `$BROWSER` on it for auto-login).
pub fn boto3_command(sandbox: &Sandbox, python: &Path, profile: &str) -> Command {
    let script = "import boto3, sys\n\
                  session = boto3.Session(profile_name=sys.argv[1])\n\
                  print(session.client('sts').get_caller_identity()['Arn'])\n";
    let mut command = sandbox.command(python);
    command
        .args(["-c", script, profile])
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY");
    command
}

/// The AWS SDK for JavaScript v3 (`fromLoginCredentials`, STS `GetCallerIdentity`) with
/// `profile`; returns the ARN.
pub fn js_sdk_caller_identity(
    sandbox: &Sandbox,
    peers: &Peers,
    profile: &str,
) -> Result<String, String> {
    let script = "const path = require('path');\n\
                  const m = process.env.AWS_LOGIN_TEST_NODE_MODULES;\n\
                  const { fromLoginCredentials } = require(path.join(m, '@aws-sdk/credential-provider-login'));\n\
                  const { STSClient, GetCallerIdentityCommand } = require(path.join(m, '@aws-sdk/client-sts'));\n\
                  const client = new STSClient({ region: 'us-east-1', endpoint: process.env.AWS_ENDPOINT_URL_STS,\n\
                    credentials: fromLoginCredentials({ profile: process.argv[1] }) });\n\
                  client.send(new GetCallerIdentityCommand({})).then(\n\
                    (r) => console.log(r.Arn), (e) => { console.error(e); process.exit(1); });\n";
    let mut command = sandbox.command("node");
    command
        .args(["-e", script, profile])
        .env("AWS_LOGIN_TEST_NODE_MODULES", &peers.node_modules);
    caller_identity(&mut command)
}

pub fn caller_identity(command: &mut Command) -> Result<String, String> {
    let out: Output = command.output().expect("python runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The session file of `arn` in the sandbox.
pub fn cache_file(sandbox: &Sandbox, arn: &str) -> PathBuf {
    sandbox.cache_dir.join(login_core::cache_file_name(arn))
}

/// No file of the cache directory contains anything (no session was saved).
pub fn no_session_files(sandbox: &Sandbox) -> bool {
    std::fs::read_dir(&sandbox.cache_dir)
        .map(|entries| {
            entries
                .flatten()
                .all(|e| !e.file_name().to_string_lossy().ends_with(".json"))
        })
        .unwrap_or(true)
}
