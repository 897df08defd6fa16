//! `-v/--debug` logging to stderr. Nothing is installed without it (or `AWS_LOGIN_LOG`), which
//! keeps the hot path of `export-credentials` free of subscriber setup. Log events never carry
//! secrets: login-io logs only names, paths, hosts, status codes and timings.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init(debug: bool) {
    let filter = match std::env::var("AWS_LOGIN_LOG") {
        Ok(spec) if !spec.is_empty() => EnvFilter::new(spec),
        _ if debug => {
            EnvFilter::new("login_io=debug,login_core=debug,aws_login=debug,login_cli=debug")
        }
        _ => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}
