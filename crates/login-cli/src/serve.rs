//! `aws-login serve`: the credential server of `exec` in the foreground, for consumers that are
//! not our child (an IDE, a container, a second terminal). It prints the two variables to set
//! on stdout and runs until Ctrl-C or SIGTERM.

use std::io::Write;
use std::sync::Arc;

use clap::Args;
use login_io::credential_server::{
    selected_profile, CredentialServer, CredentialServerConfig, FULL_URI_VAR, TOKEN_VAR,
};

use crate::exec::{first_credentials, FirstResolveArgs};
use crate::exit::{CommandError, CommandResult, ExitCode};
use crate::GlobalArgs;

const ABOUT: &str = "Serve the profile's credentials on 127.0.0.1 until stopped";

const LONG_ABOUT: &str = "\
Serve the profile's credentials, kept fresh, on 127.0.0.1 with the container-credentials protocol,
in the foreground until Ctrl-C. It prints the two variables a consumer needs,
AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN, on stdout; set them in
the consumer's environment (an IDE's run configuration, a second terminal) and its AWS SDK asks
this server whenever it needs credentials. Requests without the token are refused. Only
processes on this machine can connect.

For a single command, `aws-login exec` does the same and sets the variables for you.";

const EXAMPLES: &str = "\
Examples:
  aws-login serve --profile dev
  eval \"$(aws-login serve --profile dev --port 9911 | head -2)\"   (in a script; keep it running)";

/// Serve the profile's credentials on 127.0.0.1 until stopped.
#[derive(Debug, Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT, after_help = EXAMPLES)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (default: a free port).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub port: u16,
    #[command(flatten)]
    pub first: FirstResolveArgs,
}

pub fn run(global: &GlobalArgs, args: &ServeArgs) -> CommandResult {
    let options = global.resolve_options();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("aws-login-serve")
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
    let account = first
        .account_id()
        .map(|a| format!(" (account {a})"))
        .unwrap_or_default();

    let mut config = CredentialServerConfig::new(options);
    config.port = args.port;
    config.refresh_window = args.first.refresh_window;
    config.notices = Some(Arc::new(|text: &str| {
        eprintln!("aws-login serve: {text}");
    }));
    runtime.block_on(async move {
        let server = CredentialServer::start(config, Some(first))
            .await
            .map_err(|e| CommandError::new(ExitCode::Config, e.to_string()))?;
        {
            let mut stdout = std::io::stdout().lock();
            writeln!(stdout, "export {FULL_URI_VAR}={}", server.url())
                .and_then(|()| {
                    writeln!(
                        stdout,
                        "export {TOKEN_VAR}={}",
                        server.authorization_token().expose()
                    )
                })
                .and_then(|()| stdout.flush())
                .map_err(|e| {
                    CommandError::new(
                        ExitCode::Unexpected,
                        format!("cannot write the variables to stdout: {e}"),
                    )
                })?;
        }
        eprintln!(
            "aws-login serve: serving profile '{profile}'{account} at {}; set the two variables above where the credentials are needed. Ctrl-C stops it.",
            server.url()
        );
        wait_for_stop().await?;
        eprintln!("aws-login serve: stopped.");
        server.shutdown().await;
        Ok(())
    })
}

/// Ctrl-C, SIGTERM or SIGHUP.
async fn wait_for_stop() -> CommandResult {
    use tokio::signal::unix::{signal, SignalKind};
    let listen = |kind: SignalKind| {
        signal(kind).map_err(|e| {
            CommandError::new(ExitCode::Unexpected, format!("cannot handle signals: {e}"))
        })
    };
    let mut interrupt = listen(SignalKind::interrupt())?;
    let mut terminate = listen(SignalKind::terminate())?;
    let mut hangup = listen(SignalKind::hangup())?;
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
        _ = hangup.recv() => {}
    }
    Ok(())
}
