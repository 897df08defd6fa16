//! `cargo xtask`: the project's scripts, in Rust so they run wherever cargo does.
//!
//! - `cargo xtask demo`  — the whole product against a local `signin-mock`, no AWS account.
//! - `cargo xtask test`  — every suite: format, lints, Rust, Python, Node, end to end, and a
//!   mixed CLI + Python + Node refresh stampede.
//! - `cargo xtask bench` — speed and memory against the real peers, in one run.
//! - `cargo xtask setup` — installs what the suites need (Debian packages, venvs, npm peers).
//! - `cargo xtask fuzz [TARGET] [--seconds N]` — coverage-guided fuzzing of every outside input
//!   (nightly + cargo-fuzz; not part of `test`).
//! - `cargo xtask soak [--rounds N]` — SIGKILL soak of refreshes and logins, and disk-full runs.
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

use clap::{Parser, Subcommand};

/// The project's scripts. Every subcommand answers `--help`; unknown flags are errors.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

/// One variant per subcommand; a new one (`fuzz`, `soak`, …) is a variant here, a module with
/// `pub struct Args` (`#[derive(clap::Args)]`) and `pub fn run(args: Args)`, and one arm in
/// [`Task::run`].
#[derive(Debug, Subcommand)]
enum Task {
    /// Full browser login against signin-mock, then a real SDK call
    Demo(demo::Args),
    /// Every suite, or only those named
    Test(TestArgs),
    /// Speed and memory against botocore and the JS SDK
    Bench(bench::Args),
    /// Install Debian packages, Python venvs and npm peers the suites use
    Setup,
    /// Coverage-guided fuzzing of every outside input (nightly + cargo-fuzz), one target at a time
    Fuzz(fuzz::Args),
    /// SIGKILL soak of refreshes and logins, and disk-full runs, checking the cache and config
    Soak(soak::Args),
}

impl Task {
    fn name(&self) -> &'static str {
        match self {
            Task::Demo(_) => "demo",
            Task::Test(_) => "test",
            Task::Bench(_) => "bench",
            Task::Setup => "setup",
            Task::Fuzz(_) => "fuzz",
            Task::Soak(_) => "soak",
        }
    }

    fn run(self) -> Result<(), String> {
        match self {
            Task::Demo(args) => demo::run(args),
            Task::Test(args) => test(args),
            Task::Bench(args) => bench::run(args),
            Task::Setup => peers::setup().map(|_| ()),
            Task::Fuzz(args) => fuzz::run(args),
            Task::Soak(args) => soak::run(args),
        }
    }
}

fn main() -> ExitCode {
    // `--help` and usage errors are printed and exit here (0 and 2), before anything runs.
    let cli = Cli::parse();
    let name = cli.task.name();
    match cli.task.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {name}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Suites in the order `cargo xtask test` runs them; `mixed` needs what `python` and `node` built.
const SUITES: &[&str] = &[
    "fmt", "clippy", "rust", "fixtures", "python", "node", "mixed",
];

/// `cargo xtask test [SUITES…] [--no-lint]`.
#[derive(Debug, clap::Args)]
struct TestArgs {
    /// Suites to run (always in the order of the list below); all of them when none is named
    #[arg(value_name = "SUITE", value_parser = clap::builder::PossibleValuesParser::new(SUITES))]
    suites: Vec<String>,
    /// Leave out fmt and clippy (when no suite is named)
    #[arg(long)]
    no_lint: bool,
}

/// Runs every suite (or the ones named: `cargo xtask test python node`) and keeps going after a
/// failure, so one run shows everything that is red. `--no-lint` leaves out fmt and clippy.
fn test(args: TestArgs) -> Result<(), String> {
    let TestArgs {
        suites: named,
        no_lint,
    } = args;
    let selected = SUITES.iter().copied().filter(|suite| {
        if named.is_empty() {
            !(no_lint && matches!(*suite, "fmt" | "clippy"))
        } else {
            named.iter().any(|n| n == suite)
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
    // The IAM Identity Center vectors through botocore's own loaders and cache keys, new and old.
    for python in [&peers.python_new, &peers.python_old] {
        util::run(std::process::Command::new(python).arg(tools.join("sso_peer_check.py")))?;
    }
    util::run(
        std::process::Command::new("node")
            .arg(tools.join("peer_check.js"))
            .env("NODE_PATH", &peers.node_modules),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("cargo xtask").chain(args.iter().copied()))
    }

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn every_subcommand_answers_help_without_running() {
        for task in ["demo", "test", "bench", "setup", "fuzz", "soak"] {
            let err = parse(&[task, "--help"]).expect_err("--help stops parsing");
            assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp, "{task}");
        }
        let help = parse(&["bench", "--help"])
            .unwrap_err()
            .render()
            .to_string();
        for flag in ["--runs", "--refresh-runs", "--no-bindings"] {
            assert!(help.contains(flag), "bench --help names {flag}:\n{help}");
        }
        let help = parse(&["test", "--help"]).unwrap_err().render().to_string();
        assert!(help.contains("--no-lint"), "{help}");
        for suite in SUITES {
            assert!(help.contains(suite), "test --help lists {suite}:\n{help}");
        }
        let help = parse(&["demo", "--help"]).unwrap_err().render().to_string();
        for flag in ["--headless", "--browser", "--identity", "--keep"] {
            assert!(help.contains(flag), "demo --help names {flag}:\n{help}");
        }
    }

    #[test]
    fn unknown_flags_and_suites_are_errors() {
        for args in [
            &["bench", "--fast"][..],
            &["test", "--nolint"],
            &["test", "pyhton"],
            &["demo", "--identity"],
            &["demo", "--identity", "mallory"],
            &["demo", "--headless", "--browser"],
            &["setup", "--yes"],
            &["bench", "--runs", "0"],
            &["bench", "--runs", "many"],
            &["fuzz", "no_such_target"],
            &["fuzz", "--seconds", "0"],
            &["soak", "--rounds", "0"],
            &["soak", "--rounds", "lots"],
            &["frobnicate"],
            &[],
        ] {
            assert!(parse(args).is_err(), "{args:?} must be rejected");
        }
    }

    #[test]
    fn existing_invocations_parse_as_before() {
        let Task::Test(t) = parse(&["test", "python", "node"]).unwrap().task else {
            panic!("test")
        };
        assert_eq!(t.suites, ["python", "node"]);
        assert!(!t.no_lint);
        let Task::Test(t) = parse(&["test", "--no-lint"]).unwrap().task else {
            panic!("test")
        };
        assert!(t.suites.is_empty() && t.no_lint);

        let Task::Bench(b) = parse(&[
            "bench",
            "--runs",
            "5",
            "--refresh-runs",
            "3",
            "--no-bindings",
        ])
        .unwrap()
        .task
        else {
            panic!("bench")
        };
        assert_eq!((b.runs, b.refresh_runs, b.no_bindings), (5, 3, true));
        let Task::Bench(b) = parse(&["bench"]).unwrap().task else {
            panic!("bench")
        };
        assert_eq!((b.runs, b.refresh_runs, b.no_bindings), (40, 15, false));

        let Task::Demo(d) = parse(&["demo", "--headless", "--identity", "bob", "--keep"])
            .unwrap()
            .task
        else {
            panic!("demo")
        };
        assert_eq!(
            (d.headless(), d.identity.as_str(), d.keep),
            (Some(true), "bob", true)
        );
        let Task::Demo(d) = parse(&["demo", "--browser"]).unwrap().task else {
            panic!("demo")
        };
        assert_eq!((d.headless(), d.identity.as_str()), (Some(false), "alice"));
        assert!(matches!(parse(&["setup"]).unwrap().task, Task::Setup));
        let Task::Fuzz(f) = parse(&["fuzz", "config", "--seconds", "30"]).unwrap().task else {
            panic!("fuzz")
        };
        assert_eq!((f.target.as_deref(), f.seconds), (Some("config"), 30));
        let Task::Fuzz(f) = parse(&["fuzz"]).unwrap().task else {
            panic!("fuzz")
        };
        assert_eq!((f.target, f.seconds), (None, 60));
        let Task::Soak(s) = parse(&["soak"]).unwrap().task else {
            panic!("soak")
        };
        assert_eq!(s.rounds, 500);
    }
}
