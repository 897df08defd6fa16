//! The Node suite (`crates/login-node`): builds the addon with the package's own `npm run build`
//! scripts (the pinned `@napi-rs/cli` devDependency), packs the npm package with `npm pack`, installs the tarball into fresh projects under `.work/node-test/` next to the SDK
//! versions each project is about, and runs node's test runner there.
//!
//! - `current`: today's `@aws-sdk/client-sts` and `@aws-sdk/credential-provider-login` (interop,
//!   concurrency, fixtures, packaging).
//! - `old`: `@aws-sdk/client-sts` from before login sessions (3.936) and the `aws-cdk` CLI from
//!   before 2.1034.0, the users this package is for.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::peers::Peers;
use crate::util::{build_binaries, root, run, target_dir, work_dir, Binaries};

/// Same pins as xtask/src/peers.rs, so both suites test the same SDK.
/// `typescript` (with Node's types) checks that the declarations fit a real client's `credentials:`.
const SDK_CURRENT: &[&str] = &[
    "@aws-sdk/client-sts@3.1169.0",
    "@aws-sdk/credential-provider-login@3.972.92",
    "typescript@5.9.3",
    "@types/node@20.19.43",
];
/// 3.934.0 is the last client-sts release before the JS SDK learned login sessions (3.936), and
/// 2.1033.0 the last CDK CLI before 2.1034.0.
const SDK_OLD: &[&str] = &["@aws-sdk/client-sts@3.934.0", "aws-cdk@2.1033.0"];

/// The benchmark compares with the JS SDK's own provider.
const SDK_BENCH: &[&str] = &["@aws-sdk/credential-provider-login@3.972.92"];

/// Test files per project; `sts` and `chain` run in both.
const TESTS_CURRENT: &[&str] = &[
    "package.test.mjs",
    "sts.test.mjs",
    "errors.test.mjs",
    "interop.test.mjs",
    "concurrency.test.mjs",
    "plugin.test.mjs",
    "fixtures.test.mjs",
    "typescript.test.mjs",
    "chain.test.mjs",
];
const TESTS_OLD: &[&str] = &["sts.test.mjs", "cdk.test.mjs", "chain.test.mjs"];

pub fn test(peers: &Peers) -> Result<(), String> {
    let crate_dir = root().join("crates/login-node");
    if !crate_dir.exists() {
        eprintln!("node: crates/login-node does not exist yet; nothing to run");
        return Ok(());
    }
    let binaries = build_binaries(false)?;
    build_addon(false)?;
    let tarball = pack()?;
    let mut failures = Vec::new();
    for (name, packages, tests) in [
        ("current", SDK_CURRENT, TESTS_CURRENT),
        ("old", SDK_OLD, TESTS_OLD),
    ] {
        let project = fresh_project(name, &tarball, packages)?;
        if let Err(e) = run_tests(&project, tests, &binaries, peers) {
            failures.push(format!("{name}: {e}"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// `fromLogin()` vs the JS SDK's `fromLoginCredentials()` resolving from a valid cache, in one
/// process (crates/login-node/bench/resolve.mjs), with the addon built in release mode. Prints a
/// Markdown table.
pub fn bench(peers: &Peers) -> Result<(), String> {
    let binaries = build_binaries(false)?;
    build_addon(true)?;
    let tarball = pack()?;
    let project = fresh_project("bench", &tarball, SDK_BENCH)?;
    let mut command = Command::new("node");
    command
        .arg("bench/resolve.mjs")
        .current_dir(&project)
        .env("AWS_LOGIN_TEST_SIGNIN_MOCK", &binaries.signin_mock)
        .env("AWS_LOGIN_TEST_AWS_LOGIN", &binaries.aws_login)
        .env("AWS_LOGIN_TEST_PROJECT", &project);
    run(peers.apply(&mut command))
}

/// The package's own scripts, as a JavaScript developer runs them in `crates/login-node`:
/// `npm install` (the pinned `@napi-rs/cli` devDependency) and `npm run build` (release) or
/// `npm run build:debug`: `napi build --platform --strip` makes the `.node` addon for this machine,
/// its JS loader (`binding.js`) and the TypeScript declarations generated from the Rust types
/// (`binding.d.ts`). Only the cargo target directory is added, so the build shares it.
pub fn build_addon(release: bool) -> Result<(), String> {
    let crate_dir = root().join("crates/login-node");
    run(npm().arg("install").current_dir(&crate_dir))?;
    let mut command = npm();
    command
        .args([
            "run",
            if release { "build" } else { "build:debug" },
            "--",
            "--target-dir",
        ])
        .arg(target_dir())
        .current_dir(&crate_dir);
    if !release {
        // napi builds for an explicit target with its own RUSTFLAGS, so nothing is shared with
        // the workspace build anyway; without debug info that build is faster and the tarball
        // small.
        command.env("CARGO_PROFILE_DEV_DEBUG", "0");
    }
    run(&mut command)
}

/// `npm pack` into `.work/node-pack`; returns the tarball.
fn pack() -> Result<PathBuf, String> {
    let dest = work_dir().join("node-pack");
    let _ = std::fs::remove_dir_all(&dest);
    std::fs::create_dir_all(&dest).map_err(|e| format!("creating {}: {e}", dest.display()))?;
    run(npm()
        .args(["pack", "--pack-destination"])
        .arg(&dest)
        .current_dir(root().join("crates/login-node")))?;
    let tarball = std::fs::read_dir(&dest)
        .map_err(|e| format!("reading {}: {e}", dest.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "tgz"))
        .ok_or_else(|| format!("npm pack left no tarball in {}", dest.display()))?;
    Ok(tarball)
}

/// A new project directory with the tarball installed the way a user would
/// (`npm install ./aws-login-provider-*.tgz`) next to `packages`, and the test files copied in.
fn fresh_project(name: &str, tarball: &Path, packages: &[&str]) -> Result<PathBuf, String> {
    let project = work_dir().join("node-test").join(name);
    let _ = std::fs::remove_dir_all(&project);
    std::fs::create_dir_all(&project)
        .map_err(|e| format!("creating {}: {e}", project.display()))?;
    write(
        &project.join("package.json"),
        &format!("{{\"name\":\"aws-login-provider-test-{name}\",\"private\":true}}\n"),
    )?;
    let file_name = tarball.file_name().ok_or("tarball has no file name")?;
    std::fs::copy(tarball, project.join(file_name))
        .map_err(|e| format!("copying {}: {e}", tarball.display()))?;
    let local = format!("./{}", file_name.to_string_lossy());
    run(npm()
        .arg("install")
        .arg(&local)
        .args(packages)
        .current_dir(&project))?;
    // The suites and the benchmark, beside the installed package they import.
    for dir in ["test", "bench"] {
        let from = root().join("crates/login-node").join(dir);
        std::fs::create_dir_all(project.join(dir)).map_err(|e| format!("creating {dir}: {e}"))?;
        for entry in
            std::fs::read_dir(&from).map_err(|e| format!("reading {}: {e}", from.display()))?
        {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_file() {
                let to = project
                    .join(dir)
                    .join(path.file_name().ok_or("file without name")?);
                std::fs::copy(&path, &to)
                    .map_err(|e| format!("copying {}: {e}", path.display()))?;
            }
        }
    }
    Ok(project)
}

/// `node --test` over `tests` in `project`; its summary lines go straight to the terminal.
fn run_tests(
    project: &Path,
    tests: &[&str],
    binaries: &Binaries,
    peers: &Peers,
) -> Result<(), String> {
    let mut command = Command::new("node");
    command
        .arg("--test")
        .args(tests.iter().map(|t| format!("test/{t}")))
        .current_dir(project)
        .env("AWS_LOGIN_TEST_SIGNIN_MOCK", &binaries.signin_mock)
        .env("AWS_LOGIN_TEST_AWS_LOGIN", &binaries.aws_login)
        .env("AWS_LOGIN_TEST_PROJECT", project)
        .env("AWS_LOGIN_TEST_FIXTURES", root().join("fixtures"));
    run(peers.apply(&mut command))
}

fn npm() -> Command {
    let mut command = Command::new("npm");
    command.args(["--no-audit", "--no-fund", "--loglevel=error"]);
    command
}

fn write(path: &Path, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("writing {}: {e}", path.display()))
}
