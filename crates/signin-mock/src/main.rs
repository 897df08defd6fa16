//! `signin-mock`: runs the local AWS Sign-In + STS mock on 127.0.0.1 until SIGINT/SIGTERM.
//! The first line on stdout is the base URL, so scripts can wait for it; logs go to stderr.
//! It never listens beyond loopback and never prints a secret.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use signin_mock::{FaultPlan, FaultTarget, Identity, MockConfig, MockServer};

#[derive(Debug, Parser)]
#[command(
    name = "signin-mock",
    version,
    about = "A local AWS Sign-In service, STS and IAM Identity Center for tests and demos"
)]
struct Args {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long)]
    port: Option<u16>,
    /// JSON config file (see README); flags override it.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also write the base URL (and a newline) to this file once listening.
    #[arg(long, value_name = "FILE")]
    url_file: Option<PathBuf>,
    /// Approve every valid authorize request at once as this identity (302, no page).
    #[arg(long, value_name = "IDENTITY")]
    auto_approve: Option<String>,
    /// Add an identity: NAME=ARN (repeatable). Add `!token` after the ARN for one that lacks
    /// signin:CreateOAuth2Token.
    #[arg(long = "identity", value_name = "NAME=ARN")]
    identities: Vec<String>,
    /// Seconds issued credentials live (expiresIn).
    #[arg(long, value_name = "SECS")]
    access_token_lifetime: Option<u64>,
    /// Seconds a login session can be refreshed.
    #[arg(long, value_name = "SECS")]
    session_lifetime: Option<u64>,
    /// Seconds an authorization code can be redeemed.
    #[arg(long, value_name = "SECS")]
    auth_code_lifetime: Option<u64>,
    /// Allowed DPoP iat skew in seconds.
    #[arg(long, value_name = "SECS")]
    dpop_skew: Option<u64>,
    /// Grace window in seconds in which a used refresh token gets the same answer again.
    #[arg(long, value_name = "SECS")]
    refresh_grace: Option<u64>,
    /// Shift the server's own clock by this many seconds.
    #[arg(long, value_name = "SECS", allow_hyphen_values = true)]
    clock_offset: Option<i64>,
    /// IAM Identity Center: approve /authorize and device verification at once as this user.
    #[arg(long, value_name = "USER")]
    sso_auto_approve: Option<String>,
    /// IAM Identity Center: the access portal URL clients must use (sso_start_url).
    #[arg(long, value_name = "URL")]
    sso_start_url: Option<String>,
    /// IAM Identity Center: expiresIn of access tokens that come with a refresh token.
    #[arg(long, value_name = "SECS")]
    sso_access_token_lifetime: Option<u64>,
    /// IAM Identity Center: how long a sign-in can be refreshed.
    #[arg(long, value_name = "SECS")]
    sso_refresh_token_lifetime: Option<u64>,
    /// IAM Identity Center: lifetime of client registrations.
    #[arg(long, value_name = "SECS")]
    sso_registration_lifetime: Option<u64>,
    /// IAM Identity Center: the device flow's polling interval.
    #[arg(long, value_name = "SECS")]
    sso_device_interval: Option<u64>,
    /// Which endpoint the fault flags below hit: token, authorize, sts, sso_oidc, sso, any.
    #[arg(long, value_name = "TARGET", default_value = "token")]
    fault_target: String,
    /// Latency added to each targeted request, in milliseconds.
    #[arg(long, value_name = "MS")]
    fault_latency_ms: Option<u64>,
    /// Status for the next --fault-count targeted requests (e.g. 429, 500).
    #[arg(long, value_name = "STATUS")]
    fault_status: Option<u16>,
    #[arg(long, value_name = "N", default_value_t = 1)]
    fault_count: u32,
    /// The next N targeted requests get a truncated JSON body.
    #[arg(long, value_name = "N")]
    fault_malformed: Option<u32>,
    /// The next N targeted requests have their connection dropped.
    #[arg(long, value_name = "N")]
    fault_drop: Option<u32>,
    /// Offset added to the Date header of every response, in seconds.
    #[arg(long, value_name = "SECS", allow_hyphen_values = true)]
    fault_date_offset: Option<i64>,
}

fn build_config(args: &Args) -> Result<MockConfig, String> {
    let mut config = match &args.config {
        Some(path) => MockConfig::from_file(path).map_err(|e| e.to_string())?,
        None => MockConfig::default(),
    };
    if let Some(port) = args.port {
        config.port = port;
    }
    for spec in &args.identities {
        let Some((name, arn)) = spec.split_once('=') else {
            return Err(format!("--identity {spec:?}: expected NAME=ARN"));
        };
        let (arn, can_create_token) = match arn.strip_suffix("!token") {
            Some(arn) => (arn, false),
            None => (arn, true),
        };
        config.identities.retain(|i| i.name != name);
        config.identities.push(Identity {
            can_create_token,
            ..Identity::new(name, arn)
        });
    }
    if let Some(name) = &args.auto_approve {
        config.auto_approve = Some(name.clone());
    }
    let set = |target: &mut u64, value: Option<u64>| {
        if let Some(v) = value {
            *target = v;
        }
    };
    set(
        &mut config.access_token_lifetime_secs,
        args.access_token_lifetime,
    );
    set(&mut config.session_lifetime_secs, args.session_lifetime);
    set(&mut config.auth_code_lifetime_secs, args.auth_code_lifetime);
    set(&mut config.dpop_iat_skew_secs, args.dpop_skew);
    set(&mut config.refresh_grace_secs, args.refresh_grace);
    if let Some(user) = &args.sso_auto_approve {
        config.sso.auto_approve = Some(user.clone());
    }
    if let Some(url) = &args.sso_start_url {
        config.sso.start_url = url.clone();
    }
    set(
        &mut config.sso.access_token_lifetime_secs,
        args.sso_access_token_lifetime,
    );
    set(
        &mut config.sso.refresh_token_lifetime_secs,
        args.sso_refresh_token_lifetime,
    );
    set(
        &mut config.sso.registration_lifetime_secs,
        args.sso_registration_lifetime,
    );
    set(
        &mut config.sso.device_poll_interval_secs,
        args.sso_device_interval,
    );
    if let Some(offset) = args.clock_offset {
        config.clock_offset_secs = offset;
    }
    let target: FaultTarget = serde_json::from_value(serde_json::Value::String(
        args.fault_target.clone(),
    ))
    .map_err(|_| {
        format!(
            "--fault-target {:?}: use token, authorize, sts, sso_oidc, sso or any",
            args.fault_target
        )
    })?;
    let any_fault = args.fault_latency_ms.is_some()
        || args.fault_status.is_some()
        || args.fault_malformed.is_some()
        || args.fault_drop.is_some()
        || args.fault_date_offset.is_some();
    if any_fault {
        config.faults = FaultPlan {
            target,
            latency_ms: args.fault_latency_ms.unwrap_or(0),
            error_status: args.fault_status,
            error_count: if args.fault_status.is_some() {
                args.fault_count
            } else {
                0
            },
            malformed_count: args.fault_malformed.unwrap_or(0),
            drop_count: args.fault_drop.unwrap_or(0),
            date_offset_secs: args.fault_date_offset.unwrap_or(0),
        };
    }
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIGNIN_MOCK_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let config = match build_config(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("signin-mock: {message}");
            return ExitCode::from(2);
        }
    };
    let mock = match MockServer::start(config).await {
        Ok(mock) => mock,
        Err(error) => {
            eprintln!("signin-mock: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(path) = &args.url_file {
        // Write then rename, so a watcher never reads half a URL.
        let temp = path.with_extension("tmp");
        let written = std::fs::write(&temp, format!("{}\n", mock.base_url()))
            .and_then(|()| std::fs::rename(&temp, path));
        if let Err(error) = written {
            eprintln!("signin-mock: cannot write {}: {error}", path.display());
            mock.shutdown().await;
            return ExitCode::FAILURE;
        }
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", mock.base_url());
    let _ = stdout.flush();
    drop(stdout);
    tracing::info!(base_url = mock.base_url(), "signin-mock listening");
    wait_for_signal().await;
    tracing::info!("shutting down");
    mock.shutdown().await;
    ExitCode::SUCCESS
}
