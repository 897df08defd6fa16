//! Installs the real peers the suites test against: Debian's Chromium, botocore/boto3 (new and
//! old) from PyPI, and the JS SDK from npm. Idempotent: a stamp file per environment records what
//! was installed, so a second run costs a few stat calls.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{self, have, work_dir, QuietStep};

/// Debian packages: the browser for end-to-end logins, and the benchmark tools (the program
/// probed, the package, the name in the progress line).
const DEBIAN_PACKAGES: &[(&str, &str, &str)] = &[
    ("chromium", "chromium", "Chromium"),
    ("hyperfine", "hyperfine", "hyperfine"),
    ("/usr/bin/time", "time", "GNU time"),
];

/// Pinned versions (see NODE_PEERS). botocore >= 1.41 has the login provider; `crt` is what it needs for DPoP signing.
const PYTHON_NEW: &[&str] = &[
    "boto3==1.44.5",
    "botocore[crt]==1.44.5",
    "pytest==9.2.0",
    "maturin==1.16.0",
];
/// The last boto3 before login sessions existed: the users our Python package is for.
const PYTHON_OLD: &[&str] = &["boto3==1.40.76", "pytest==9.2.0"];
/// Pinned so that a green run means the same thing next month; `playwright-core` drives Debian's
/// Chromium in the end-to-end tests (it never downloads a browser of its own).
const NODE_PEERS: &[&str] = &[
    "@aws-sdk/credential-provider-login@3.972.92",
    "@aws-sdk/client-sts@3.1169.0",
    "playwright-core@1.65.1",
];
/// The newest JS SDK before login sessions (3.936): what older AWS CDK and pinned projects carry,
/// and the last CDK CLI before 2.1034.0 (`aws-login exec -- cdk deploy` in login-cli's tests).
const NODE_PEERS_OLD: &[&str] = &["@aws-sdk/client-sts@3.934.0", "aws-cdk@2.1033.0"];

/// Where the installed peers live; suites read these paths from the environment `apply` sets.
#[derive(Debug, Clone)]
pub struct Peers {
    pub python_new: PathBuf,
    pub python_old: PathBuf,
    pub node_modules: PathBuf,
    pub node_modules_old: PathBuf,
    pub chromium: PathBuf,
}

impl Peers {
    pub fn apply<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env("AWS_LOGIN_TEST_PYTHON", &self.python_new)
            .env("AWS_LOGIN_TEST_PYTHON_OLD", &self.python_old)
            .env("AWS_LOGIN_TEST_NODE_MODULES", &self.node_modules)
            .env("AWS_LOGIN_TEST_NODE_MODULES_OLD", &self.node_modules_old)
            // Suites fail, rather than skip, when a peer is missing.
            .env("SIGNIN_MOCK_REQUIRE_PEERS", "1")
            .env("AWS_LOGIN_TEST_CHROMIUM", &self.chromium)
    }
}

pub fn setup() -> Result<Peers, String> {
    install_debian_packages()?;
    let python_new = venv("venv-new", PYTHON_NEW)?;
    let python_old = venv("venv-old", PYTHON_OLD)?;
    let node_modules = npm_peers("node-peers", NODE_PEERS)?;
    let node_modules_old = npm_peers("node-peers-old", NODE_PEERS_OLD)?;
    Ok(Peers {
        python_new,
        python_old,
        node_modules,
        node_modules_old,
        chromium: PathBuf::from("/usr/bin/chromium"),
    })
}

fn install_debian_packages() -> Result<(), String> {
    let missing: Vec<(&str, &str)> = DEBIAN_PACKAGES
        .iter()
        .filter(|(probe, _, _)| !have(probe))
        .map(|(_, package, name)| (*package, *name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let packages: Vec<&str> = missing.iter().map(|(package, _)| *package).collect();
    let is_root = util::output(Command::new("id").arg("-u")).as_deref() == Some("0");
    if !is_root {
        return Err(format!(
            "missing Debian packages; run: sudo apt-get install -y {}",
            packages.join(" ")
        ));
    }
    let names: Vec<&str> = missing.iter().map(|(_, name)| *name).collect();
    let step = QuietStep::start(&format!(
        "Installing {} from Debian packages…",
        names.join(", ")
    ))?;
    step.run(Command::new("apt-get").args(["update", "-qq"]))?;
    step.run(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(&packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// A virtualenv under `.work/NAME` with `requirements`; returns its python.
fn venv(name: &str, requirements: &[&str]) -> Result<PathBuf, String> {
    let dir = work_dir().join(name);
    let python = dir.join("bin/python");
    let stamp = dir.join(".xtask-installed");
    let wanted = requirements.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(python);
    }
    let step = QuietStep::start(&format!(
        "Installing {} from PyPI into .work/{name}…",
        requirements.join(", ")
    ))?;
    if !python.exists() {
        step.run(Command::new("python3").args(["-m", "venv"]).arg(&dir))?;
    }
    step.run(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check"])
            .args(requirements),
    )?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("writing {}: {e}", stamp.display()))?;
    Ok(python)
}

/// A private npm project under `.work/NAME` with `packages`; returns its node_modules.
fn npm_peers(name: &str, packages: &[&str]) -> Result<PathBuf, String> {
    let dir = work_dir().join(name);
    let stamp = dir.join(".xtask-installed");
    let wanted = packages.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(dir.join("node_modules"));
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    if !dir.join("package.json").exists() {
        std::fs::write(
            dir.join("package.json"),
            "{\"name\":\"aws-login-test-peers\",\"private\":true}\n",
        )
        .map_err(|e| format!("writing package.json: {e}"))?;
    }
    let step = QuietStep::start(&format!(
        "Installing {} from npm into .work/{name}…",
        packages.join(", ")
    ))?;
    step.run(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund"])
            .args(packages)
            .current_dir(&dir),
    )?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("writing {}: {e}", stamp.display()))?;
    Ok(dir.join("node_modules"))
}
