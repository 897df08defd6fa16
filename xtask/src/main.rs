//! `cargo xtask`: the project's scripts, in Rust so they run wherever cargo does.
//!
//! - `cargo xtask demo`  — the whole product against a local `signin-mock`, no AWS account.
//! - `cargo xtask test`  — every suite: format, lints, Rust, Python, Node, end to end, and a
//!   mixed CLI + Python + Node refresh stampede.
//! - `cargo xtask bench` — speed and memory against the real peers, in one run.
//! - `cargo xtask setup` — installs what the suites need (Debian packages, venvs, npm peers).
//!
//! It never touches the user's real `~/.aws`: every suite and the demo use throw-away directories.

mod bench;
mod demo;
mod fuzz;
mod mixed;
mod node;
mod peers;
mod py;
mod soak;
mod util;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("help", &[][..]),
    };
    let result = match command {
        "test" => test(rest),
        "demo" => demo::run(rest),
        "bench" => bench::run(rest),
        "setup" => peers::setup().map(|_| ()),
        "fuzz" => fuzz_command(rest),
        "soak" => soak_command(rest),
        _ => {
            eprintln!("usage: cargo xtask <demo|test|bench|setup|fuzz|soak>");
            eprintln!("  demo   full browser login against signin-mock, then a real SDK call");
            eprintln!("  test   every suite, or those named: {}", SUITES.join(" "));
            eprintln!("  bench  speed and memory against botocore and the JS SDK");
            eprintln!(
                "  setup  install Debian packages, Python venvs and npm peers the suites use"
            );
            eprintln!(
                "  fuzz   [TARGET] [--seconds N]  coverage-guided fuzzing (nightly, cargo-fuzz)"
            );
            eprintln!("  soak   [--rounds N]  SIGKILL soak of refreshes and logins (default 500)");
            return if command == "help" {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {command}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `fuzz [TARGET] [--seconds N]` (default: every target, 60 s each).
fn fuzz_command(args: &[String]) -> Result<(), String> {
    let seconds = flag_value(args, "--seconds")?.unwrap_or(60);
    let target = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--seconds"))
        .map(|(_, a)| a.as_str());
    fuzz::run(target, seconds)
}

/// `soak [--rounds N]` (default 500).
fn soak_command(args: &[String]) -> Result<(), String> {
    soak::run(flag_value(args, "--rounds")?.unwrap_or(500))
}

/// The number after `--name N` (or in `--name=N`).
fn flag_value(args: &[String], name: &str) -> Result<Option<u64>, String> {
    let prefix = format!("{name}=");
    for (i, arg) in args.iter().enumerate() {
        let value = if arg == name {
            args.get(i + 1).map(String::as_str)
        } else if let Some(v) = arg.strip_prefix(&prefix) {
            Some(v)
        } else {
            continue;
        };
        return value
            .and_then(|v| v.parse().ok())
            .map(Some)
            .ok_or_else(|| format!("{name} needs a whole number"));
    }
    Ok(None)
}

/// Suites in the order `cargo xtask test` runs them; `mixed` needs what `python` and `node` built.
const SUITES: &[&str] = &[
    "fmt", "clippy", "rust", "fixtures", "python", "node", "mixed",
];

/// Runs every suite (or the ones named: `cargo xtask test python node`) and keeps going after a
/// failure, so one run shows everything that is red. `--no-lint` leaves out fmt and clippy.
fn test(args: &[String]) -> Result<(), String> {
    let no_lint = args.iter().any(|a| a == "--no-lint");
    let named: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if let Some(unknown) = named.iter().find(|n| !SUITES.contains(n)) {
        return Err(format!(
            "no suite named {unknown:?}; suites: {}",
            SUITES.join(", ")
        ));
    }
    let selected = SUITES.iter().copied().filter(|suite| {
        if named.is_empty() {
            !(no_lint && matches!(*suite, "fmt" | "clippy"))
        } else {
            named.contains(suite)
        }
    });

    let peers = peers::setup()?;
    let mut results: Vec<(&str, Result<(), String>)> = Vec::new();
    for suite in selected {
        let result = match suite {
            "fmt" => util::run(util::cargo().args(["fmt", "--all", "--check"])),
            "clippy" => util::run(util::cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])),
            "rust" => {
                util::run(peers.apply(util::cargo().args(["test", "--workspace", "--all-targets"])))
            }
            "fixtures" => fixtures_against_peers(&peers),
            "python" => py::test(&peers),
            "node" => node::test(&peers),
            "mixed" => mixed::test(&peers),
            _ => unreachable!("SUITES and this match list the same names"),
        };
        results.push((suite, result));
    }

    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(n, _)| *n)
        .collect();
    eprintln!();
    for (name, result) in &results {
        match result {
            Ok(()) => eprintln!("  ok      {name}"),
            Err(e) => eprintln!("  FAILED  {name}: {e}"),
        }
    }
    println!(
        "suites: {} passed, {} failed",
        results.len() - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("failed: {}", failed.join(", ")))
    }
}

/// The shared vectors, checked by the real peers' own code: botocore (key loading, DPoP segments,
/// its refresh writing our exact bytes) and the JS SDK's key loading and signing.
fn fixtures_against_peers(peers: &peers::Peers) -> Result<(), String> {
    let tools = util::root().join("fixtures/tools");
    util::run(std::process::Command::new(&peers.python_new).arg(tools.join("peer_check.py")))?;
    util::run(
        std::process::Command::new("node")
            .arg(tools.join("peer_check.js"))
            .env("NODE_PATH", &peers.node_modules),
    )
}
