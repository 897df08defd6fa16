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

/// Where the setup keeps the full output of its installs.
pub fn setup_log() -> PathBuf {
    work_dir().join("logs").join("setup.log")
}

/// An install step that prints one progress line (`Installing Chromium from Debian packages…`)
/// and sends the commands' own output to [`setup_log`]; only when a command fails is the tail of
/// that log shown (with its path), so a first run does not scroll screens of apt/pip/npm output
/// past the person.
#[derive(Debug)]
pub struct QuietStep {
    log: PathBuf,
}

/// Lines of the log shown when a step fails.
const FAILURE_TAIL_LINES: usize = 40;

impl QuietStep {
    /// Prints `title` (one line, on stderr); the output goes to [`setup_log`].
    pub fn start(title: &str) -> Result<QuietStep, String> {
        Self::start_with_log(title, setup_log())
    }

    /// [`QuietStep::start`] with the log elsewhere.
    pub fn start_with_log(title: &str, log: PathBuf) -> Result<QuietStep, String> {
        eprintln!("{title}");
        if let Some(dir) = log.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        }
        let mut file = Self::open(&log)?;
        use std::io::Write;
        let _ = writeln!(file, "\n===== {title}");
        Ok(QuietStep { log })
    }

    fn open(log: &Path) -> Result<std::fs::File, String> {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("opening {}: {e}", log.display()))
    }

    /// Runs one command of the step with its output in the log.
    pub fn run(&self, command: &mut Command) -> Result<(), String> {
        use std::io::Write;
        let shown = format!("{command:?}");
        let mut file = Self::open(&self.log)?;
        let _ = writeln!(file, "+ {shown}");
        let stderr = file
            .try_clone()
            .map_err(|e| format!("opening {}: {e}", self.log.display()))?;
        let status = command
            .stdin(std::process::Stdio::null())
            .stdout(file)
            .stderr(stderr)
            .status()
            .map_err(|e| format!("could not start {shown}: {e}"))?;
        if status.success() {
            return Ok(());
        }
        eprintln!("{}", self.tail());
        Err(format!(
            "{shown} exited with {status}; the full log is {}",
            self.log.display()
        ))
    }

    /// The last lines of the log, framed.
    fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(FAILURE_TAIL_LINES);
        format!(
            "--- last {} lines of {} ---\n{}\n---",
            lines.len() - from,
            self.log.display(),
            lines[from..].join("\n")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_steps_log_output_and_show_the_tail_only_on_failure() {
        let dir = std::env::temp_dir().join(format!("xtask-quiet-step-{}", std::process::id()));
        let log = dir.join("logs/setup.log");
        let step = QuietStep::start_with_log("Checking the quiet installer…", log.clone()).unwrap();
        let marker = "quiet-step";
        step.run(
            Command::new("sh").args(["-c", &format!("echo {marker}-ok; echo {marker}-err >&2")]),
        )
        .unwrap();
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(text.contains(&format!("{marker}-ok")) && text.contains(&format!("{marker}-err")));
        let err = step
            .run(Command::new("sh").args(["-c", &format!("echo {marker}-failing; exit 3")]))
            .unwrap_err();
        assert!(
            err.contains("exit status: 3") && err.contains("setup.log"),
            "{err}"
        );
        assert!(step.tail().contains(&format!("{marker}-failing")));
        assert!(step.tail().contains("===== Checking the quiet installer…"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
