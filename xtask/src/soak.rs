//! `cargo xtask soak [--rounds N]`: the kill-and-crash soak at full length. It runs
//! `crates/login-cli/tests/faults_soak.rs` (the real `aws-login` against signin-mock) with
//! `AWS_LOGIN_SOAK_ROUNDS=N` (default 500): N rounds of SIGKILL at random points of refreshes
//! by 1–4 processes at once, N logins killed at random points after the code is pasted, and the
//! disk-full runs; each round checks that the cache parses and is the old session or a whole
//! new one, and that the config is the old text or the old text plus the whole new profile.
//! `cargo xtask test` runs the same test with 25 rounds.

use crate::util;

/// `cargo xtask soak [--rounds N]`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Rounds of each soak (refresh kills, login kills)
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..))]
    pub rounds: u64,
}

pub fn run(args: Args) -> Result<(), String> {
    let rounds = args.rounds;
    util::run(
        util::cargo()
            .args([
                "test",
                "-p",
                "login-cli",
                "--test",
                "faults_soak",
                "--",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("AWS_LOGIN_SOAK_ROUNDS", rounds.to_string()),
    )
}
