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
mod mixed;
mod node;
mod peers;
mod py;
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
        _ => {
            eprintln!("usage: cargo xtask <demo|test|bench|setup>");
            eprintln!("  demo   full browser login against signin-mock, then a real SDK call");
            eprintln!("  test   every suite (fmt, clippy, Rust, Python, Node, end to end)");
            eprintln!("  bench  speed and memory against botocore and the JS SDK");
            eprintln!(
                "  setup  install Debian packages, Python venvs and npm peers the suites use"
            );
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

/// Runs every suite and keeps going after a failure, so one run shows everything that is red.
fn test(args: &[String]) -> Result<(), String> {
    let quick = args.iter().any(|a| a == "--no-lint");
    let peers = peers::setup()?;
    let mut suites: Vec<(&str, Result<(), String>)> = Vec::new();
    if !quick {
        suites.push((
            "cargo fmt",
            util::run(util::cargo().args(["fmt", "--all", "--check"])),
        ));
        suites.push((
            "cargo clippy",
            util::run(util::cargo().args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ])),
        ));
    }
    suites.push((
        "cargo test",
        util::run(peers.apply(util::cargo().args(["test", "--workspace", "--all-targets"]))),
    ));
    suites.push(("fixtures vs peers", fixtures_against_peers(&peers)));
    suites.push(("python", py::test(&peers)));
    suites.push(("node", node::test(&peers)));
    suites.push(("mixed CLI + Python + Node", mixed::test(&peers)));

    let failed: Vec<&str> = suites
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(n, _)| *n)
        .collect();
    eprintln!();
    for (name, result) in &suites {
        match result {
            Ok(()) => eprintln!("  ok      {name}"),
            Err(e) => eprintln!("  FAILED  {name}: {e}"),
        }
    }
    println!(
        "suites: {} passed, {} failed",
        suites.len() - failed.len(),
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
