//! aws-login: AWS console-credentials login as a fast native binary. Each subcommand lives in
//! its own module and gets the shared [`GlobalArgs`]; all disk, network and environment access
//! goes through `login-io`. It never prints a secret except where the user asked for
//! credentials on stdout (`export-credentials`), and never writes one to stderr or the logs.

mod configure;
mod credential_process;
mod exec;
mod exit;
mod export_credentials;
mod logging;
mod login;
mod logout;
mod serve;
mod sso;
mod status;

use std::io::Write;

use clap::{Args, Parser, Subcommand};
use login_io::ResolveOptions;

use crate::exit::{CommandResult, ExitCode, EXIT_CODES_HELP};

#[derive(Debug, Parser)]
#[command(
    name = "aws-login",
    version,
    about = "Sign in to AWS with console credentials and hand the session's temporary credentials to any tool",
    after_help = EXIT_CODES_HELP,
    propagate_version = true
)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Options every subcommand accepts, before or after its name.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Profile to use (default: AWS_PROFILE, AWS_DEFAULT_PROFILE, then `default`).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region of the sign-in service (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's `region`).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Log each step to stderr (secrets redacted).
    #[arg(short = 'v', long = "debug", global = true)]
    pub debug: bool,
}

impl GlobalArgs {
    /// Resolution options from the command line; everything else is discovered from the
    /// environment and the config file, like the AWS CLI does.
    pub fn resolve_options(&self) -> ResolveOptions {
        let mut options = ResolveOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            ..ResolveOptions::default()
        };
        if let Some(timeout) = http_timeout_override() {
            options.http.attempt_timeout = timeout;
            options.http.connect_timeout = options.http.connect_timeout.min(timeout);
        }
        options
    }
}

/// `AWS_LOGIN_HTTP_TIMEOUT` (seconds, fractions allowed): the per-attempt timeout of calls to the
/// sign-in service instead of 20 s, for networks where a stalled answer should give up sooner
/// (and for the fault tests, which stall the mock). Unset, empty or unreadable: the default.
fn http_timeout_override() -> Option<std::time::Duration> {
    let value = std::env::var("AWS_LOGIN_HTTP_TIMEOUT").ok()?;
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0)
        .then(|| std::time::Duration::from_secs_f64(seconds))
}

#[derive(Debug, Subcommand)]
enum Command {
    Login(login::LoginArgs),
    CredentialProcess(credential_process::CredentialProcessArgs),
    Configure(configure::ConfigureArgs),
    ExportCredentials(export_credentials::ExportCredentialsArgs),
    Logout(logout::LogoutArgs),
    Status(status::StatusArgs),
    Exec(exec::ExecArgs),
    Serve(serve::ServeArgs),
    /// IAM Identity Center (AWS SSO): `sso login`, `sso logout`
    Sso(sso::SsoArgs),
}

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return std::process::ExitCode::from(if e.use_stderr() {
                ExitCode::Usage as u8
            } else {
                0
            });
        }
    };
    logging::init(cli.global.debug);
    if let Command::Exec(args) = &cli.command {
        // The exit code is the child's.
        return exec::main(&cli.global, args);
    }
    let result: CommandResult = match &cli.command {
        Command::Login(args) => login::run(&cli.global, args),
        Command::CredentialProcess(args) => credential_process::run(&cli.global, args),
        Command::Configure(args) => configure::run(&cli.global, args),
        Command::ExportCredentials(args) => export_credentials::run(&cli.global, args),
        Command::Logout(args) => logout::run(&cli.global, args),
        Command::Status(args) => status::run(&cli.global, args),
        Command::Serve(args) => serve::run(&cli.global, args),
        Command::Exec(_) => unreachable!("exec returned above"),
        Command::Sso(args) => sso::run(&cli.global, args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "aws-login: {}", e.message);
            std::process::ExitCode::from(e.code as u8)
        }
    }
}
