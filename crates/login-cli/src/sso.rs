//! `aws-login sso login` and `aws-login sso logout`: IAM Identity Center sign-in, as
//! `aws sso login` / `aws sso logout` do it, through login-io.

use std::io::Write;
use std::time::Duration;

use clap::{Args, Subcommand};
use login_core::sso::TargetSelector;
use login_io::settings::Environment;
use login_io::sso::login::{
    lock_pending_sso_login, over_ssh, sso_login, SsoLoggedIn, SsoLoginEvent, SsoLoginMethod,
    SsoLoginObserver,
};
use login_io::sso::logout::sso_logout;
use login_io::sso::start_url::login_destination;
use login_io::sso::SsoContext;

use crate::exit::{CommandError, CommandResult, ExitCode, EXIT_CODES_HELP};
use crate::login::{parse_timeout, runtime, Console};
use crate::GlobalArgs;

const LOGIN_LONG_ABOUT: &str = "\
Sign in to IAM Identity Center (AWS SSO) and cache the access token in ~/.aws/sso/cache, where
AWS CLI v2, botocore and the AWS SDKs read (and refresh) it, like `aws sso login`.

For an [sso-session] the browser opens the authorization page (authorization code + PKCE); it
redirects back to a one-time server on 127.0.0.1. With --use-device-code (and always for legacy
profiles that keep sso_start_url in the profile) it prints a code to enter at a URL on any
device instead. Over SSH, use --use-device-code: a browser on your own machine cannot reach
this host's 127.0.0.1.";

const LOGIN_EXAMPLES: &str = "\
Examples:
  aws-login sso login --sso-session my-sso
  aws-login sso login --profile dev           the profile's sso-session (or legacy start URL)
  aws-login sso login --use-device-code       over SSH, or with a browser on another device
  aws-login sso login --no-browser            print the URL only";

/// IAM Identity Center (AWS SSO): sign in and out.
#[derive(Debug, Args)]
pub struct SsoArgs {
    #[command(subcommand)]
    pub command: SsoCommand,
}

#[derive(Debug, Subcommand)]
pub enum SsoCommand {
    /// Sign in to an IAM Identity Center session and cache its token
    #[command(long_about = LOGIN_LONG_ABOUT, after_help = format!("{LOGIN_EXAMPLES}\n\n{EXIT_CODES_HELP}"))]
    Login(SsoLoginArgs),
    /// Sign out every cached IAM Identity Center session and delete the SSO role credentials
    #[command(after_help = EXIT_CODES_HELP)]
    Logout(SsoLogoutArgs),
}

#[derive(Debug, Args)]
pub struct SsoLoginArgs {
    /// The [sso-session] to sign in to (default: the profile's sso_session).
    #[arg(long, value_name = "NAME")]
    pub sso_session: Option<String>,
    /// Use the device-code flow: enter a code at a URL on any device.
    #[arg(long)]
    pub use_device_code: bool,
    /// Do not open a browser; only print the URL (and code).
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the approval, e.g. 90s, 10m.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_timeout)]
    pub timeout: Duration,
}

#[derive(Debug, Args)]
pub struct SsoLogoutArgs {}

pub fn run(global: &GlobalArgs, args: &SsoArgs) -> CommandResult {
    match &args.command {
        SsoCommand::Login(a) => login(global, a),
        SsoCommand::Logout(_) => logout(global),
    }
}

fn login(global: &GlobalArgs, args: &SsoLoginArgs) -> CommandResult {
    let ctx = SsoContext::load(&global.resolve_options())?;
    let method = if args.use_device_code {
        SsoLoginMethod::Device {
            open_browser: !args.no_browser,
        }
    } else {
        SsoLoginMethod::AuthCode {
            open_browser: !args.no_browser,
        }
    };
    let (selector, profile) = match &args.sso_session {
        Some(name) => (TargetSelector::Session(name.clone()), None),
        None => (
            TargetSelector::Profile(ctx.profile.clone()),
            Some(ctx.profile.clone()),
        ),
    };
    let runtime = runtime()?;
    let destination = runtime.block_on(login_destination(&ctx, &selector))?;
    let target = &destination.target;
    let uses_pkce =
        matches!(method, SsoLoginMethod::AuthCode { .. }) && target.session_name().is_some();
    if uses_pkce && over_ssh(&Environment::from_process()) {
        return Err(CommandError::new(
            ExitCode::Usage,
            format!(
                "You are connected over SSH, so a browser on your own machine cannot reach this host's 127.0.0.1 sign-in callback. Run `{} --use-device-code` and enter the code it shows in any browser.",
                target.login_command(profile.as_deref())
            ),
        ));
    }
    let mut console = Console::new(Console::interactive());
    let mut observer = SsoConsole {
        console: &mut console,
    };
    let logged_in = runtime.block_on(sso_login(
        &ctx,
        &destination,
        profile.as_deref(),
        method,
        args.timeout,
        &mut observer,
    ))?;
    console.stop_indicator();
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(
        stdout,
        "Successfully logged into Start URL: {}",
        logged_in.target.start_url()
    );
    report_region(&mut stdout, &logged_in);
    let _ = stdout.flush();
    Ok(())
}

/// AWS CLI's line when a vanity start URL's portal named another region, and any warning.
pub(crate) fn report_region(out: &mut impl Write, logged_in: &SsoLoggedIn) {
    if let Some(region) = &logged_in.region_updated {
        let _ = writeln!(out, "SSO region updated to {region}");
    }
    for warning in &logged_in.warnings {
        eprintln!("aws-login: warning: {warning}");
    }
}

fn logout(global: &GlobalArgs) -> CommandResult {
    let ctx = SsoContext::load(&global.resolve_options())?;
    let runtime = runtime()?;
    let summary = runtime.block_on(sso_logout(&ctx));
    for warning in &summary.warnings {
        eprintln!("aws-login: warning: {warning}");
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", summary.line());
    let _ = stdout.flush();
    Ok(())
}

/// Prints what AWS CLI prints, on stderr (stdout stays for the result).
pub(crate) struct SsoConsole<'a> {
    pub console: &'a mut Console,
}

impl SsoLoginObserver for SsoConsole<'_> {
    fn on_event(&mut self, event: SsoLoginEvent<'_>) {
        match event {
            SsoLoginEvent::AuthorizeUrl { url, open_browser: true } => self.console.say(&format!(
                "Attempting to open your default browser.\nIf the browser does not open, open the following URL:\n\n{url}\n\nIf you are unable to open the URL on this device, run this command again with the '--use-device-code' option.\n\n"
            )),
            SsoLoginEvent::AuthorizeUrl { url, open_browser: false } => {
                self.console.say(&format!("Open the following URL in a browser on this device:\n\n{url}\n\n"))
            }
            SsoLoginEvent::DeviceCode {
                user_code,
                verification_uri,
                verification_uri_complete,
                open_browser: true,
            } => self.console.say(&format!(
                "Attempting to open your default browser.\nIf the browser does not open or you wish to use a different device to authorize this request, open the following URL:\n\n{verification_uri}\n\nThen enter the code:\n\n{user_code}\n\nAlternatively, you may visit the following URL which will autofill the code upon loading:\n{verification_uri_complete}\n\n"
            )),
            SsoLoginEvent::DeviceCode {
                user_code,
                verification_uri,
                verification_uri_complete,
                open_browser: false,
            } => self.console.say(&format!(
                "Browser will not be automatically opened.\nPlease visit the following URL:\n\n{verification_uri}\n\nThen enter the code:\n\n{user_code}\n\nAlternatively, you may visit the following URL which will autofill the code upon loading:\n{verification_uri_complete}\n\n"
            )),
            SsoLoginEvent::BrowserOpened { via } => {
                tracing::debug!(via = %via.describe(), "opened the browser")
            }
            SsoLoginEvent::BrowserFailed { error } => self.console.say(&format!("{error}\n\n")),
            SsoLoginEvent::Waiting => self.console.waiting("Waiting for the approval in your browser"),
            SsoLoginEvent::CallbackRejected { reason } => self.console.say(&format!(
                "warning: ignored a request to the sign-in callback: {reason}. Still waiting.\n"
            )),
            SsoLoginEvent::Redeeming => self.console.stop_indicator(),
            _ => {}
        }
    }
}

/// Signs in to the IAM Identity Center session under `options`' profile (the profile itself, or
/// the SSO profile at the base of its role chain) because `reason` said it ended, then resolves
/// the profile. `Ok(None)` when `reason` is not about an SSO session (the login-session path
/// handles it). Concurrent callers share one sign-in: the first takes a cross-process lock and
/// signs in; the others wait for it, find a fresh token in the cache and use it.
/// `fail_without_browser`: fail at once when no browser can open and nobody watches stderr.
pub(crate) fn sign_in_sso_base(
    runtime: &tokio::runtime::Runtime,
    options: &login_io::ResolveOptions,
    timeout: Duration,
    reason: &login_io::LoginIoError,
    console: &mut Console,
    fail_without_browser: bool,
) -> Result<Option<login_io::ResolvedCredentials>, CommandError> {
    if !matches!(reason, login_io::LoginIoError::Sso { .. }) {
        return Ok(None);
    }
    let Some((ctx, sso)) = login_io::chain::sso_base(options)? else {
        return Ok(None);
    };
    let env = Environment::from_process();
    let browser_possible = !login_io::browser::plan_launch(
        &login_io::browser::BrowserEnvironment::detect(),
        "https://signin.aws",
        &login_io::browser::program_exists,
    )
    .is_empty();
    if fail_without_browser && !browser_possible && !console.watched() {
        return Err(CommandError::new(
            ExitCode::LoginNeeded,
            format!(
                "{reason} aws-login cannot sign in from here: no browser can be opened and there is no terminal to show the sign-in URL. Run `{}` in a terminal, then try again.",
                sso.login_command()
            ),
        ));
    }
    let wait = timeout + Duration::from_secs(60);
    let lock = match runtime.block_on(async {
        tokio::time::timeout(
            Duration::from_millis(200),
            lock_pending_sso_login(&ctx, &sso.target, wait),
        )
        .await
    }) {
        Ok(lock) => lock,
        Err(_still_held) => {
            console.say(&format!(
                "aws-login: another aws-login process is signing in to {}; waiting for it to finish...\n",
                sso.target.describe()
            ));
            runtime.block_on(lock_pending_sso_login(&ctx, &sso.target, wait))
        }
    }?;
    // The process before us may have signed in: a fresh token is then ours too. (An expired
    // one is not retried: that would only repeat the refused refresh.)
    if token_is_fresh(&ctx, &sso) {
        match runtime.block_on(login_io::resolve_credentials(options)) {
            Ok(resolved) => return Ok(Some(resolved)),
            Err(e) if e.kind().needs_login() => {}
            Err(e) => return Err(e.into()),
        }
    }
    console.say(&format!(
        "{reason}\nSigning in to IAM Identity Center for profile '{}'.\n",
        sso.profile
    ));
    let method = if over_ssh(&env) || sso.target.session_name().is_none() {
        SsoLoginMethod::Device {
            open_browser: browser_possible,
        }
    } else {
        SsoLoginMethod::AuthCode { open_browser: true }
    };
    let mut observer = SsoConsole {
        console: &mut *console,
    };
    let destination = runtime.block_on(login_destination(
        &ctx,
        &TargetSelector::Profile(sso.profile.clone()),
    ))?;
    let logged_in = runtime.block_on(sso_login(
        &ctx,
        &destination,
        Some(&sso.profile),
        method,
        timeout,
        &mut observer,
    ))?;
    console.stop_indicator();
    // stdout may be credential-process's JSON: the region line goes to stderr here.
    report_region(&mut std::io::stderr(), &logged_in);
    drop(lock);
    Ok(Some(
        runtime.block_on(login_io::resolve_credentials(options))?,
    ))
}

/// A cached token for the profile's session with more than the refresh window left (or one
/// that cannot refresh but has not expired).
fn token_is_fresh(ctx: &SsoContext, sso: &login_core::sso::SsoProfile) -> bool {
    login_io::sso::read_token(ctx, &sso.target, Some(&sso.profile)).is_ok_and(|token| {
        matches!(
            token.plan(
                time::OffsetDateTime::now_utc(),
                login_core::sso::TOKEN_REFRESH_WINDOW_SECONDS
            ),
            login_core::sso::TokenPlan::Fresh | login_core::sso::TokenPlan::UseUnrefreshable(_)
        )
    })
}
