//! The Python suite (`crates/login-py`): builds the abi3 wheel with maturin, installs it into
//! fresh virtualenvs next to the boto3 versions it must work with, and runs pytest in each.
//!
//! - `.work/py-clean`: a brand-new venv with nothing but the wheel (plain `pip install`, no Rust,
//!   no boto3): the package imports and `mypy` sees its types.
//! - `.work/py-old`: boto3 1.40.76, the last release that cannot read login sessions.
//! - `.work/py-new`: current boto3 + `botocore[crt]`, which has its own login provider.
//! - `.work/py-nocrt`: current boto3 without awscrt, whose login provider cannot sign.
//! - `.work/py-3.9`, `.work/py-3.13`: pyenv's oldest/newest CPython, boto3-free suite.
//! - `.work/py-sdist`: `pip install aws_login_provider-*.tar.gz` (the sdist, built from source
//!   by pip with maturin from PyPI and this machine's Rust toolchain), boto3-free suite.
//!
//! The wheel is the one users get: `maturin build --zig --compatibility manylinux2014` (zig from
//! the `ziglang` package on PyPI links against glibc 2.17), its tag checked by `auditwheel show`.
//! maturin, ziglang and auditwheel live in `.work/py-build` (installed once, pinned below).
//! Every test venv is created anew each run with one plain `pip install <pins> <wheel>`.
//!
//! `AWS_LOGIN_PY_PROFILE=dev` builds a debug wheel (faster while iterating); the default is release.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::peers::Peers;
use crate::util::{build_binaries, root, run, work_dir, Binaries};

/// Test-only dependencies of each venv besides the wheel (pinned like xtask/src/peers.rs).
/// `awscli` 1.42.76 is the AWS CLI v1 release built on botocore 1.40.76: the unmodified
/// third-party boto3 program the start-up hook is shown with.
const OLD_VENV: &[&str] = &["boto3==1.40.76", "awscli==1.42.76", "pytest==9.2.0"];
const NEW_VENV: &[&str] = &["boto3==1.44.5", "botocore[crt]==1.44.5", "pytest==9.2.0"];
/// Current boto3 without the `crt` extra: botocore's login provider cannot sign there.
const NOCRT_VENV: &[&str] = &["boto3==1.44.5", "pytest==9.2.0"];
const CLEAN_VENV_TOOLS: &[&str] = &["mypy==2.4.1"];
/// The wheel and sdist builders, and the manylinux checker.
const BUILD_VENV: &[&str] = &["maturin==1.16.0", "ziglang==0.15.1", "auditwheel==6.4.2"];
/// The manylinux policy of the wheel (glibc 2.17: CentOS 7, Amazon Linux 2, most CI images).
const MANYLINUX: &str = "manylinux2014";
const MANYLINUX_TAG: &str = "manylinux_2_17_x86_64";
/// pytest 9 needs Python >= 3.10; 8.4 still runs on 3.9.
const OTHER_PYTHON_PYTEST: &str = "pytest==8.4.2";

pub fn test(_peers: &Peers) -> Result<(), String> {
    let binaries = build_binaries(false)?;
    let wheel = build_wheel()?;
    let crate_dir = root().join("crates/login-py");

    // Plain `pip install <wheel>` into a brand-new venv: no Rust, no index, no extras.
    let clean = fresh_venv("py-clean", &[])?;
    run(Command::new(&clean)
        .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
        .arg(&wheel))?;
    run(Command::new(&clean)
        .args(["-c", "import aws_login, sys; print('aws_login', aws_login.__version__, 'imports without boto3:', 'botocore' not in sys.modules)"])
        .current_dir(work_dir()))?;
    install(&clean, CLEAN_VENV_TOOLS)?;
    type_check(&clean, &crate_dir)?;

    let wheel_arg = wheel.to_str().ok_or("the wheel path is not UTF-8")?;
    let mut failures = Vec::new();
    // The abi3 floor and the newest CPython on the machine run the boto3-free suite too.
    for (name, interpreter) in other_interpreters() {
        // Fresh every run: plain `pip install <requirements> <wheel>`, as a user would.
        let python = fresh_venv_from(&name, &interpreter, &[OTHER_PYTHON_PYTEST, wheel_arg])?;
        if let Err(e) = pytest(&python, &crate_dir, &binaries, &["tests/common"]) {
            failures.push(format!("{name}: {e}"));
        }
    }
    // The sdist, as a user on a platform without a wheel installs it.
    match build_sdist() {
        Ok(sdist) => {
            let sdist_arg = sdist.to_str().ok_or("the sdist path is not UTF-8")?;
            let python = fresh_venv_with_env(
                "py-sdist",
                Path::new("python3"),
                &[OTHER_PYTHON_PYTEST, sdist_arg],
                sdist_build_env(),
            )?;
            if let Err(e) = pytest(&python, &crate_dir, &binaries, &["tests/common"]) {
                failures.push(format!("py-sdist: {e}"));
            }
        }
        Err(e) => failures.push(format!("sdist: {e}")),
    }
    let suites: [(&str, &[&str], &[&str]); 3] = [
        (
            "py-old",
            OLD_VENV,
            &["tests/common", "tests/old", "tests/chain"],
        ),
        ("py-nocrt", NOCRT_VENV, &["tests/nocrt", "tests/chain"]),
        (
            "py-new",
            NEW_VENV,
            &["tests/common", "tests/new", "tests/chain"],
        ),
    ];
    for (name, requirements, suites) in suites {
        let mut with_wheel = requirements.to_vec();
        with_wheel.push(wheel_arg);
        let python = fresh_venv(name, &with_wheel)?;
        if let Err(e) = pytest(&python, &crate_dir, &binaries, suites) {
            failures.push(format!("{name}: {e}"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// `cargo xtask bench` part: the release wheel in the current-botocore venv, then
/// `crates/login-py/bench/bench_get_credentials.py` (aws_login.get_credentials vs botocore's
/// LoginProvider on the same valid cache, calls per second), then
/// `crates/login-py/bench/bench_startup.py` (interpreter start-up with and without the wheel's
/// start-up hook, paired).
pub fn bench(_peers: &Peers) -> Result<(), String> {
    let binaries = build_binaries(false)?;
    let wheel = build_wheel()?;
    let python = venv_with("py-bench", NEW_VENV)?;
    install_wheel(&python, &wheel)?;
    run(Command::new(&python)
        .arg(root().join("crates/login-py/bench/bench_get_credentials.py"))
        .env("AWS_LOGIN_TEST_SIGNIN_MOCK", &binaries.signin_mock)
        .env("AWS_LOGIN_TEST_CLI", &binaries.aws_login))?;
    // The start-up hook's cost: two venvs alike but for the wheel, paired interpreter starts.
    let with = venv_with("py-startup-with", OLD_VENV)?;
    install_wheel(&with, &wheel)?;
    let without = venv_with("py-startup-without", OLD_VENV)?;
    run(Command::new(&with)
        .arg(root().join("crates/login-py/bench/bench_startup.py"))
        .arg("--with")
        .arg(&with)
        .arg("--without")
        .arg(&without))
}

/// `py.typed` and the `.pyi` stub reach mypy: a correct use passes `--strict`, and a misuse
/// fails with exactly the two errors it contains (so the API is typed, not `Any`).
fn type_check(python: &Path, crate_dir: &Path) -> Result<(), String> {
    let mypy = |file: &str| {
        let mut command = Command::new(python);
        command
            .args(["-m", "mypy", "--strict", "--no-incremental"])
            .arg(crate_dir.join("tests/typing").join(file))
            .current_dir(work_dir());
        command
    };
    // The package's own sources are strict-clean too (botocore ships no types: ignored).
    run(Command::new(python)
        .args([
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--ignore-missing-imports",
        ])
        .arg(crate_dir.join("python/aws_login"))
        .arg(crate_dir.join("_aws_login_hook.py"))
        .current_dir(work_dir()))?;
    run(&mut mypy("uses_api.py"))?;
    let misuse = mypy("misuses_api.py")
        .output()
        .map_err(|e| format!("could not run mypy: {e}"))?;
    let report = String::from_utf8_lossy(&misuse.stdout);
    if misuse.status.success() || !report.contains("[assignment]") || !report.contains("[arg-type]")
    {
        return Err(format!(
            "mypy should reject tests/typing/misuses_api.py with 2 errors, said:\n{report}"
        ));
    }
    eprintln!("python: mypy sees the types (misuses_api.py rejected as expected)");
    Ok(())
}

fn pytest(
    python: &Path,
    crate_dir: &Path,
    binaries: &Binaries,
    suites: &[&str],
) -> Result<(), String> {
    run(Command::new(python)
        .args(["-m", "pytest", "-p", "no:cacheprovider", "-q"])
        .args(suites)
        .current_dir(crate_dir)
        .env("AWS_LOGIN_TEST_SIGNIN_MOCK", &binaries.signin_mock)
        .env("AWS_LOGIN_TEST_CLI", &binaries.aws_login))
}

/// CPython 3.9 (the wheel's floor) and 3.13 from pyenv, where installed (the machine image has
/// them; a machine without pyenv only runs the suites above and says so).
fn other_interpreters() -> Vec<(String, PathBuf)> {
    let pyenv_root = std::env::var_os("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".pyenv")));
    let mut found = Vec::new();
    for minor in ["3.9", "3.13"] {
        let interpreter = pyenv_root.as_ref().and_then(|root| {
            let mut versions: Vec<PathBuf> = std::fs::read_dir(root.join("versions"))
                .ok()?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|path| {
                    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
                    name.is_some_and(|n| n.starts_with(&format!("{minor}.")))
                })
                .map(|path| path.join(format!("bin/python{minor}")))
                .filter(|python| python.exists())
                .collect();
            versions.sort();
            versions.pop()
        });
        match interpreter {
            Some(python) => found.push((format!("py-{minor}"), python)),
            None => {
                eprintln!("python: no CPython {minor} under pyenv; its suite does not run here")
            }
        }
    }
    found
}

/// The venv with maturin, zig and auditwheel; its `bin/` goes first on PATH for maturin, which
/// finds `python -m ziglang` through the interpreter it is given.
fn build_venv() -> Result<PathBuf, String> {
    venv_with("py-build", BUILD_VENV)
}

fn build_tool(python: &Path, tool: &str) -> Result<PathBuf, String> {
    Ok(python
        .parent()
        .ok_or("venv python has no parent dir")?
        .join(tool))
}

/// `maturin build --zig --compatibility manylinux2014`: one abi3 wheel for CPython 3.9+ on glibc
/// 2.17 and later; `auditwheel show` must agree with its tag. Returns its path.
fn build_wheel() -> Result<PathBuf, String> {
    let python = build_venv()?;
    let out = work_dir().join("wheels");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| format!("clearing {}: {e}", out.display()))?;
    }
    let mut command = Command::new(build_tool(&python, "maturin")?);
    command
        .args(["build", "--quiet", "--zig", "--compatibility", MANYLINUX])
        .arg("--manifest-path")
        .arg(root().join("crates/login-py/Cargo.toml"))
        .arg("--out")
        .arg(&out);
    if std::env::var("AWS_LOGIN_PY_PROFILE").as_deref() != Ok("dev") {
        command.arg("--release");
    }
    // The abi3 wheel fits every CPython >= 3.9 whichever interpreter builds it.
    command
        .arg("--interpreter")
        .arg(&python)
        .env("PATH", path_with_venv(&python)?);
    run(&mut command)?;
    let wheels = files_ending(&out, ".whl")?;
    let wheel = match wheels.as_slice() {
        [wheel] => wheel.clone(),
        _ => {
            return Err(format!(
                "expected one wheel in {}, found {wheels:?}",
                out.display()
            ))
        }
    };
    let name = wheel.to_string_lossy().into_owned();
    if !name.contains("-cp39-abi3-") || !name.contains(MANYLINUX_TAG) {
        return Err(format!(
            "maturin built {name}, not a cp39-abi3 {MANYLINUX_TAG} wheel"
        ));
    }
    let shown = crate::util::output(
        Command::new(build_tool(&python, "auditwheel")?)
            .arg("show")
            .arg(&wheel),
    )
    .ok_or_else(|| format!("auditwheel show {name} failed"))?;
    let shown = shown.split_whitespace().collect::<Vec<_>>().join(" ");
    if !shown.contains(&format!(
        "consistent with the following platform tag: \"{MANYLINUX_TAG}\""
    )) {
        return Err(format!(
            "auditwheel does not find {name} {MANYLINUX_TAG}-compatible:\n{shown}"
        ));
    }
    eprintln!("python: auditwheel: {name} is consistent with {MANYLINUX_TAG}");
    Ok(wheel)
}

/// `maturin sdist`: the source distribution (the workspace crates it needs included); returns
/// its path.
fn build_sdist() -> Result<PathBuf, String> {
    let python = build_venv()?;
    let out = work_dir().join("sdist");
    if out.exists() {
        std::fs::remove_dir_all(&out).map_err(|e| format!("clearing {}: {e}", out.display()))?;
    }
    run(Command::new(build_tool(&python, "maturin")?)
        .args(["sdist", "--manifest-path"])
        .arg(root().join("crates/login-py/Cargo.toml"))
        .arg("--out")
        .arg(&out))?;
    match files_ending(&out, ".tar.gz")?.as_slice() {
        [sdist] => Ok(sdist.clone()),
        found => Err(format!(
            "expected one sdist in {}, found {found:?}",
            out.display()
        )),
    }
}

/// PATH with the venv's `bin/` first (maturin runs `python -m ziglang` from there).
fn path_with_venv(python: &Path) -> Result<std::ffi::OsString, String> {
    let bin = python.parent().ok_or("venv python has no parent dir")?;
    let mut dirs = vec![bin.to_path_buf()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).map_err(|e| format!("PATH: {e}"))
}

fn files_ending(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>, String> {
    Ok(std::fs::read_dir(dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect())
}

/// A venv created anew on every run.
fn fresh_venv(name: &str, requirements: &[&str]) -> Result<PathBuf, String> {
    fresh_venv_from(name, Path::new("python3"), requirements)
}

fn fresh_venv_from(
    name: &str,
    interpreter: &Path,
    requirements: &[&str],
) -> Result<PathBuf, String> {
    fresh_venv_with_env(name, interpreter, requirements, Vec::new())
}

/// `fresh_venv_from` with extra environment for `pip install` (the sdist's build settings).
fn fresh_venv_with_env(
    name: &str,
    interpreter: &Path,
    requirements: &[&str],
    env: Vec<(&str, &str)>,
) -> Result<PathBuf, String> {
    let dir = work_dir().join(name);
    run(Command::new(interpreter)
        .args(["-m", "venv", "--clear"])
        .arg(&dir))?;
    let python = dir.join("bin/python");
    if !requirements.is_empty() {
        run(Command::new(&python)
            .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
            .args(requirements)
            .envs(env))?;
    }
    Ok(python)
}

/// pip builds the sdist with maturin's PEP 517 backend, in release as for a user; with
/// `AWS_LOGIN_PY_PROFILE=dev` (iterating) in the dev profile, like the wheel then.
fn sdist_build_env() -> Vec<(&'static str, &'static str)> {
    if std::env::var("AWS_LOGIN_PY_PROFILE").as_deref() == Ok("dev") {
        vec![("MATURIN_PEP517_ARGS", "--profile dev")]
    } else {
        Vec::new()
    }
}

/// A venv whose third-party requirements are reinstalled only when they change (a stamp file
/// records them): the benchmark's, which then reinstalls the wheel under test.
fn venv_with(name: &str, requirements: &[&str]) -> Result<PathBuf, String> {
    let dir = work_dir().join(name);
    let stamp = dir.join(".xtask-installed");
    let wanted = requirements.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(dir.join("bin/python"));
    }
    let python = fresh_venv(name, requirements)?;
    std::fs::write(&stamp, wanted).map_err(|e| format!("writing {}: {e}", stamp.display()))?;
    Ok(python)
}

fn install(python: &Path, requirements: &[&str]) -> Result<(), String> {
    if requirements.is_empty() {
        return Ok(());
    }
    run(Command::new(python)
        .args(["-m", "pip", "install", "-q", "--disable-pip-version-check"])
        .args(requirements))
}

fn install_wheel(python: &Path, wheel: &Path) -> Result<(), String> {
    run(Command::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--force-reinstall",
            "--no-deps",
            "--no-index",
        ])
        .arg(wheel))
}
