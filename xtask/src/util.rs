//! Small process helpers shared by the xtask commands.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (xtask lives one level below it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// Where suites keep installed peers and scratch state; ignored by git.
pub fn work_dir() -> PathBuf {
    root().join(".work")
}

pub fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(root());
    command
}

/// Runs a command with inherited stdio; a non-zero exit becomes an error naming the command.
pub fn run(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}");
    eprintln!("+ {shown}");
    let status = command
        .status()
        .map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} exited with {status}"))
    }
}

/// Runs a command and returns its stdout, for version probes.
pub fn output(command: &mut Command) -> Option<String> {
    let out = command.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

/// Where cargo puts artifacts for this invocation (`CARGO_TARGET_DIR`, relative to the root, or
/// `target`).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// The two programs the suites, the demo and the bench drive: the mock service and the real CLI.
#[derive(Debug)]
pub struct Binaries {
    pub signin_mock: PathBuf,
    pub aws_login: PathBuf,
}

/// Builds `signin-mock` and `aws-login` and returns their paths.
pub fn build_binaries(release: bool) -> Result<Binaries, String> {
    let mut command = cargo();
    command.args(["build", "-p", "signin-mock", "-p", "login-cli", "--bins"]);
    if release {
        command.arg("--release");
    }
    run(&mut command)?;
    let dir = target_dir().join(if release { "release" } else { "debug" });
    let exe = |name: &str| dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    Ok(Binaries {
        signin_mock: exe("signin-mock"),
        aws_login: exe("aws-login"),
    })
}
