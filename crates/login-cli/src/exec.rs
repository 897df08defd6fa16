//! `aws-login exec`: runs a command with credentials that stay fresh for as long as it runs.
//!
//! By default a credential server from `login_io::credential_server` runs on 127.0.0.1 while the
//! child lives, and the child finds it through the container-credentials variables every AWS SDK
//! reads. `--env` hands over plain variables instead (and replaces this process with the
//! command). The child runs directly (no shell) with our stdin, stdout, stderr and terminal;
//! SIGINT, SIGTERM and SIGHUP sent to aws-login reach it (signals the terminal already sent to
//! the whole foreground group are not sent twice); aws-login exits with its status, 128 + the
//! signal when it was killed.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use login_io::credential_server::{
    default_profile_shadows, profile_region, selected_profile, ChildCredentials, ChildEnvironment,
    CredentialServer, CredentialServerConfig, RegionChoice, EXEC_MARKER, FULL_URI_VAR,
};
use login_io::login::{authorize, save_login, LoginMethod, LoginTarget};
use login_io::{Environment, LoginIoError, ResolveOptions, ResolvedCredentials};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::iterator::SignalsInfo;
use signal_hook::low_level::siginfo::{Cause, Origin};

use crate::exit::{CommandError, ExitCode};
use crate::login::{choose_region, login_error, parse_timeout, saved_message, Console};
use crate::GlobalArgs;

const ABOUT: &str = "Run a command with the profile's credentials, kept fresh while it runs";

const LONG_ABOUT: &str = "\
Run COMMAND with the profile's credentials, kept fresh for as long as it runs: a Terraform apply,
a data job, a CDK deploy, a shell. A credential server on 127.0.0.1 answers the command's AWS SDK
through AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN (the
container-credentials protocol every SDK speaks, old versions included), refreshing the login
session (or whatever the profile resolves through) before the credentials run out. It stops when
the command ends.

The command runs directly, without a shell, with this terminal; signals sent to aws-login reach it,
and aws-login exits with its exit status (128 + the signal when it was killed). Without COMMAND,
$SHELL starts. The command's environment loses AWS_PROFILE, AWS_DEFAULT_PROFILE, static key
variables and inherited AWS_CONTAINER_* variables, gets AWS_REGION and AWS_DEFAULT_REGION from
the profile when neither is set, and AWS_LOGIN_EXEC naming the profile.

--env instead sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and
AWS_CREDENTIAL_EXPIRATION: for programs that read only those (Docker with -e, old scripts). They
are not refreshed and expire with the session's current credentials (at most 15 minutes for a
login session).";

const EXAMPLES: &str = "\
Examples:
  aws-login exec --profile dev -- terraform apply
  aws-login exec --profile dev -- cdk deploy
  aws-login exec --profile dev --env -- docker run -e AWS_ACCESS_KEY_ID -e AWS_SECRET_ACCESS_KEY \\
      -e AWS_SESSION_TOKEN -e AWS_REGION amazon/aws-cli sts get-caller-identity
  aws-login exec --profile dev               a shell whose AWS tools use profile dev

Exit status: the command's; 126 when it cannot be run, 127 when it is not found; aws-login's own
codes (see aws-login --help) when it fails before starting the command.";

/// Run a command with the profile's credentials, kept fresh while it runs.
#[derive(Debug, Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT, after_help = EXAMPLES)]
pub struct ExecArgs {
    /// Give the command plain AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
    /// variables instead of a credential server. They are not refreshed.
    #[arg(long)]
    pub env: bool,
    #[command(flatten)]
    pub first: FirstResolveArgs,
    /// The command and its arguments (default: $SHELL).
    #[arg(
        value_name = "COMMAND",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<OsString>,
}

/// Options shared by `exec` and `serve`.
#[derive(Debug, Args)]
pub struct FirstResolveArgs {
    /// When the profile needs a new login, sign in with the browser first instead of failing.
    #[arg(long)]
    pub login: bool,
    /// Answer with credentials that have more than this left, refreshing before (e.g. 5m, 90s).
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_window)]
    pub refresh_window: Duration,
}

fn parse_window(text: &str) -> Result<Duration, String> {
    let window = parse_timeout(text)?;
    if window > Duration::from_secs(10 * 60) {
        return Err(format!(
            "'{text}' is longer than credentials of a login session live after a refresh; use at most 10m"
        ));
    }
    Ok(window)
}

/// Runs `exec` and returns the exit code (the child's, or aws-login's own on failure).
pub fn main(global: &GlobalArgs, args: &ExecArgs) -> std::process::ExitCode {
    match run(global, args) {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            let _ = writeln!(std::io::stderr().lock(), "aws-login: {}", e.message);
            std::process::ExitCode::from(e.code)
        }
    }
}

fn run(global: &GlobalArgs, args: &ExecArgs) -> Result<u8, ExecError> {
    let mut options = global.resolve_options();
    let env = Environment::from_process();
    let (program, rest) = command_line(args, &env);
    let shown = program.to_string_lossy().into_owned();

    if let Some(outer) = env.non_empty(EXEC_MARKER) {
        let requested = global
            .profile
            .clone()
            .or_else(|| env.non_empty("AWS_PROFILE"))
            .or_else(|| env.non_empty("AWS_DEFAULT_PROFILE"));
        let outer_serves = env.non_empty(FULL_URI_VAR).is_some();
        match requested {
            Some(other) if other != outer => eprintln!(
                "aws-login exec: inside `aws-login exec` for profile '{outer}'; {shown} gets profile '{other}' instead."
            ),
            _ if outer_serves != args.env => {
                eprintln!(
                    "aws-login exec: already inside `aws-login exec` for profile '{outer}'; running {shown} with the credentials it provides (no second {}).",
                    if args.env { "set of variables" } else { "credential server" }
                );
                return Err(spawn_error(
                    &shown,
                    Command::new(&program).args(&rest).exec(),
                ));
            }
            _ => {
                eprintln!(
                    "aws-login exec: inside `aws-login exec` for profile '{outer}'; {shown} gets {} for it instead.",
                    if args.env { "plain variables" } else { "a credential server" }
                );
                options.profile = Some(outer);
            }
        }
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("aws-login-exec")
        .enable_all()
        .build()
        .map_err(|e| {
            CommandError::new(
                ExitCode::Unexpected,
                format!("cannot start the async runtime: {e}"),
            )
        })?;
    let first = first_credentials(&runtime, &options, &args.first)?;
    let profile = selected_profile(&options)?;
    let region = match &global.region {
        Some(region) => RegionChoice::Explicit(region.clone()),
        None => RegionChoice::Profile(profile_region(&options)?),
    };

    if args.env {
        let plan = ChildEnvironment::for_child(ChildCredentials::Fixed(&first), &profile, region);
        let expires = first.expiration();
        eprintln!(
            "aws-login: warning: --env gives {shown} fixed credentials that expire at {:02}:{:02} UTC and are not refreshed; leave out --env to keep them fresh.",
            expires.hour(),
            expires.minute()
        );
        let mut command = Command::new(&program);
        apply(command.args(&rest), &plan);
        drop(runtime);
        return Err(spawn_error(&shown, command.exec()));
    }

    // (Plain variables come first in every SDK's chain; a server does not.)
    if let Ok(Some(warning)) = default_profile_shadows(&options) {
        eprintln!("aws-login exec: warning: {warning}");
    }

    let mut config = CredentialServerConfig::new(options);
    config.refresh_window = args.first.refresh_window;
    config.notices = Some(Arc::new(|text: &str| {
        eprintln!("aws-login exec: {text}");
    }));
    let server = runtime
        .block_on(CredentialServer::start(config, Some(first)))
        .map_err(|e| CommandError::new(ExitCode::Config, e.to_string()))?;
    let plan = ChildEnvironment::for_child(ChildCredentials::Server(&server), &profile, region);
    let mut command = Command::new(&program);
    apply(command.args(&rest), &plan);
    let status = run_child(&shown, &mut command);
    runtime.block_on(server.shutdown());
    status
}

/// The program and its arguments; `$SHELL` (else /bin/sh) without a command.
fn command_line(args: &ExecArgs, env: &Environment) -> (OsString, Vec<OsString>) {
    match args.command.split_first() {
        Some((program, rest)) => (program.clone(), rest.to_vec()),
        None => (
            OsString::from(env.non_empty("SHELL").unwrap_or_else(|| "/bin/sh".into())),
            Vec::new(),
        ),
    }
}

fn apply(command: &mut Command, plan: &ChildEnvironment) {
    for name in &plan.remove {
        command.env_remove(name);
    }
    for (name, value) in &plan.set {
        command.env(name, value.expose());
    }
}

/// Resolves once before anything starts, signing in first with `--login` when needed.
pub(crate) fn first_credentials(
    runtime: &tokio::runtime::Runtime,
    options: &ResolveOptions,
    args: &FirstResolveArgs,
) -> Result<ResolvedCredentials, CommandError> {
    let resolved = match runtime.block_on(login_io::resolve_credentials(options)) {
        Ok(resolved) => resolved,
        Err(e) if e.kind().needs_login() && args.login => {
            let mut console = Console::new(Console::interactive());
            let sso = crate::sso::sign_in_sso_base(
                runtime,
                options,
                Duration::from_secs(600),
                &e,
                &mut console,
                false,
            )?;
            match sso {
                Some(resolved) => resolved,
                None => {
                    sign_in(runtime, options, &e)?;
                    runtime.block_on(login_io::resolve_credentials(options))?
                }
            }
        }
        Err(e) if e.kind().needs_login() => {
            return Err(CommandError::new(
                ExitCode::for_kind(e.kind()),
                format!("{e} (Or add --login to sign in first.)"),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    for warning in resolved.warnings() {
        eprintln!("aws-login: warning: {warning}");
    }
    Ok(resolved)
}

/// The browser sign-in of `aws-login login`, with every message on stderr (IAM Identity Center
/// profiles sign in through `sign_in_sso_base` instead).
fn sign_in(
    runtime: &tokio::runtime::Runtime,
    options: &ResolveOptions,
    reason: &LoginIoError,
) -> Result<(), CommandError> {
    // For a role profile the login that helps is the one of the login profile at its base.
    let Some(login_profile) = reason.login_profile() else {
        return Err(CommandError::new(
            ExitCode::for_kind(reason.kind()),
            reason.to_string(),
        ));
    };
    let login_options = ResolveOptions {
        profile: Some(login_profile.to_owned()),
        ..options.clone()
    };
    let mut target = LoginTarget::prepare(&login_options).map_err(login_error)?;
    let mut console = Console::new(Console::interactive());
    choose_region(&mut target, &mut console)?;
    console.say(&format!(
        "aws-login: {reason} Signing in first (--login).\n"
    ));
    let method = LoginMethod::SameDevice {
        redirect_port: None,
        open_browser: true,
        fail_without_browser: false,
    };
    let logged_in = runtime
        .block_on(authorize(
            &target,
            method,
            Duration::from_secs(600),
            &mut console,
        ))
        .map_err(login_error)?;
    console.stop_indicator();
    let saved = runtime
        .block_on(save_login(&target, &logged_in, true))
        .map_err(login_error)?;
    console.say(&saved_message(&saved));
    Ok(())
}

/// A failure before or while starting the command: the message and aws-login's exit code.
#[derive(Debug)]
pub(crate) struct ExecError {
    code: u8,
    message: String,
}

impl From<CommandError> for ExecError {
    fn from(e: CommandError) -> Self {
        ExecError {
            code: e.code as u8,
            message: e.message,
        }
    }
}

impl From<LoginIoError> for ExecError {
    fn from(e: LoginIoError) -> Self {
        CommandError::from(e).into()
    }
}

/// 127 when the command does not exist, 126 when it cannot be run, as shells do.
fn spawn_error(shown: &str, error: std::io::Error) -> ExecError {
    let (code, what) = match error.kind() {
        std::io::ErrorKind::NotFound => (127, "command not found".to_string()),
        _ => (126, error.to_string()),
    };
    ExecError {
        code,
        message: format!("cannot run '{shown}': {what}"),
    }
}

/// Spawns the child, passes signals on, waits, and returns its exit code.
fn run_child(shown: &str, command: &mut Command) -> Result<u8, ExecError> {
    let mut signals = SignalsInfo::<WithOrigin>::new([SIGINT, SIGTERM, SIGHUP]).map_err(|e| {
        CommandError::new(ExitCode::Unexpected, format!("cannot handle signals: {e}"))
    })?;
    let mut child = command.spawn().map_err(|e| spawn_error(shown, e))?;
    let pid = rustix::process::Pid::from_child(&child);
    let handle = signals.handle();
    let forwarder = std::thread::spawn(move || {
        for origin in signals.forever() {
            if delivered_by_terminal(&origin) {
                continue;
            }
            if let Some(signal) = rustix::process::Signal::from_named_raw(origin.signal) {
                let _ = rustix::process::kill_process(pid, signal);
            }
        }
    });
    let status = child.wait();
    handle.close();
    let _ = forwarder.join();
    let status = status.map_err(|e| {
        CommandError::new(
            ExitCode::Unexpected,
            format!("lost track of '{shown}': {e}"),
        )
    })?;
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(signal)) => u8::try_from(128 + signal).unwrap_or(255),
        (None, None) => 1,
    })
}

/// A terminal sends SIGINT (Ctrl-C) and SIGHUP (hang-up) to the whole foreground process group,
/// which the child belongs to: it has its copy already, and a second one would make programs
/// such as Terraform stop hard instead of gracefully. Signals sent by a process (`kill`) reach
/// only aws-login, so those are passed on.
fn delivered_by_terminal(origin: &Origin) -> bool {
    matches!(origin.cause, Cause::Kernel) && (origin.signal == SIGINT || origin.signal == SIGHUP)
}
