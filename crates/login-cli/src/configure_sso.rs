//! `aws-login configure sso` and `configure sso-session`: the wizard of `aws configure sso`
//! (session name, start URL, region, scopes; sign-in; the account and role pickers from
//! ListAccounts / ListAccountRoles; default region, output, profile name), writing `[profile …]`
//! and `[sso-session …]` in AWS CLI's key order with the format-preserving config editor. Every
//! answer has a flag, so scripts can run it without a terminal.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::Args;
use dialoguer::{theme::SimpleTheme, Input, Select};
use login_core::sso::{
    AccountInfo, SsoLoginTarget, SsoSessionConfig, SsoToken, TargetSelector,
    TOKEN_REFRESH_WINDOW_SECONDS,
};
use login_core::{ConfigFile, SectionId};
use login_io::login::write_config_file;
use login_io::sso::login::{sso_login, SsoLoginMethod};
use login_io::sso::start_url::{login_destination, resolve_start_url, LoginDestination};
use login_io::sso::{list_accounts, list_roles, read_token, SsoContext};

use crate::exit::{CommandError, CommandResult, ExitCode};
use crate::login::{parse_timeout, runtime, Console};
use crate::sso::SsoConsole;
use crate::GlobalArgs;

/// Answers of the session part (shared by both commands).
#[derive(Debug, Args)]
pub struct SessionAnswers {
    /// SSO session name (empty for the legacy format without a session).
    #[arg(long, value_name = "NAME")]
    pub sso_session: Option<String>,
    /// SSO start URL (the access portal URL).
    #[arg(long, value_name = "URL")]
    pub sso_start_url: Option<String>,
    /// SSO region.
    #[arg(long, value_name = "REGION")]
    pub sso_region: Option<String>,
    /// SSO registration scopes, comma-separated (default sso:account:access).
    #[arg(long, value_name = "SCOPES")]
    pub sso_registration_scopes: Option<String>,
}

/// Configure a profile for IAM Identity Center, as `aws configure sso` does.
#[derive(Debug, Args)]
pub struct ConfigureSsoArgs {
    #[command(flatten)]
    pub session: SessionAnswers,
    /// The account to use (else picked from ListAccounts).
    #[arg(long, value_name = "ID")]
    pub account_id: Option<String>,
    /// The role to use (else picked from ListAccountRoles).
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,
    /// The profile's default region (`region`); empty for none.
    #[arg(long, value_name = "REGION")]
    pub default_region: Option<String>,
    /// The profile's default output format (`output`); empty for none.
    #[arg(long, value_name = "FORMAT")]
    pub output: Option<String>,
    /// Sign in with the device-code flow.
    #[arg(long)]
    pub use_device_code: bool,
    /// Do not open a browser; only print the URL.
    #[arg(long)]
    pub no_browser: bool,
    /// How long to wait for the sign-in.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_timeout)]
    pub timeout: Duration,
}

/// Configure an `[sso-session]`, as `aws configure sso-session` does.
#[derive(Debug, Args)]
pub struct ConfigureSsoSessionArgs {
    #[command(flatten)]
    pub session: SessionAnswers,
}

fn usage(message: impl Into<String>) -> CommandError {
    CommandError::new(ExitCode::Usage, message)
}

/// Asks on the terminal, or takes the flag; without a terminal a missing answer is an error
/// naming its flag (or the default is used).
struct Asker {
    interactive: bool,
}

impl Asker {
    fn text(
        &self,
        prompt: &str,
        given: Option<&str>,
        current: Option<&str>,
        flag: &str,
        required: bool,
    ) -> Result<String, CommandError> {
        if let Some(v) = given {
            return Ok(v.trim().to_owned());
        }
        if !self.interactive {
            return match current {
                Some(c) => Ok(c.to_owned()),
                None if !required => Ok(String::new()),
                None => Err(usage(format!(
                    "{flag} is required when there is no terminal to ask"
                ))),
            };
        }
        let shown = format!("{prompt} [{}]", current.unwrap_or("None"));
        loop {
            let answer: String = Input::with_theme(&SimpleTheme)
                .with_prompt(&shown)
                .allow_empty(true)
                .interact_text()
                .map_err(|e| {
                    CommandError::new(ExitCode::Unexpected, format!("cannot read the answer: {e}"))
                })?;
            let answer = answer.trim().to_owned();
            match (answer.is_empty(), current) {
                (false, _) => return Ok(answer),
                (true, Some(c)) => return Ok(c.to_owned()),
                (true, None) if !required => return Ok(String::new()),
                (true, None) => eprintln!("A value is required."),
            }
        }
    }

    fn pick(&self, items: &[String], flag: &str) -> Result<usize, CommandError> {
        if !self.interactive {
            return Err(usage(format!(
                "{flag} is required when there is no terminal to pick from"
            )));
        }
        Select::with_theme(&SimpleTheme)
            .items(items)
            .default(0)
            .interact()
            .map_err(|e| {
                CommandError::new(ExitCode::Unexpected, format!("cannot read the choice: {e}"))
            })
    }
}

fn valid_scopes(raw: &str) -> bool {
    login_core::sso::profile::parse_scopes(raw)
        .iter()
        .all(|s| !s.chars().any(char::is_whitespace))
}

/// The session part: an existing `[sso-session]`, or a new one (start URL, region, scopes), or
/// the legacy format (no name). Returns where to sign in and whether the section must be
/// written. A vanity start URL is resolved first; when its portal names the region, the region
/// prompt is skipped (on failure it is asked, as AWS CLI does).
fn ask_session(
    ctx: &SsoContext,
    asker: &Asker,
    answers: &SessionAnswers,
    current_session: Option<&str>,
    allow_legacy: bool,
) -> Result<(LoginDestination, bool), CommandError> {
    let prompt = if current_session.is_some() || !allow_legacy {
        "SSO session name"
    } else {
        "SSO session name (Recommended)"
    };
    let name = if asker.interactive
        && answers.sso_session.is_none()
        && current_session.is_none()
        && allow_legacy
    {
        let answer: String = Input::with_theme(&SimpleTheme)
            .with_prompt(prompt)
            .allow_empty(true)
            .interact_text()
            .map_err(|e| {
                CommandError::new(ExitCode::Unexpected, format!("cannot read the answer: {e}"))
            })?;
        answer.trim().to_owned()
    } else {
        asker.text(
            prompt,
            answers.sso_session.as_deref(),
            current_session,
            "--sso-session",
            !allow_legacy,
        )?
    };
    if !name.is_empty() && ctx.target_for_session(&name).is_ok() {
        let selector = TargetSelector::Session(name.clone());
        let destination = runtime()?.block_on(login_destination(ctx, &selector))?;
        return Ok((destination, false));
    }
    if name.is_empty() {
        eprintln!("WARNING: Configuring using legacy format (e.g. without an SSO session).\nConsider re-running \"configure sso\" command and providing a session name.");
    }
    let start_url = asker.text(
        "SSO start URL",
        answers.sso_start_url.as_deref(),
        None,
        "--sso-start-url",
        true,
    )?;
    // Checks the scheme (https only) before anything is asked or sent.
    let resolved = runtime()?.block_on(resolve_start_url(ctx, &start_url))?;
    let region = match resolved.as_ref().and_then(|r| r.region.clone()) {
        Some(region) => region,
        None => asker.text(
            "SSO region",
            answers.sso_region.as_deref(),
            None,
            "--sso-region",
            true,
        )?,
    };
    let issuer_url = resolved.map_or_else(|| start_url.clone(), |r| r.url);
    let destination = |target: SsoLoginTarget| LoginDestination {
        target,
        issuer_url: issuer_url.clone(),
        region_update: None,
    };
    if name.is_empty() {
        return Ok((
            destination(SsoLoginTarget::Legacy { start_url, region }),
            true,
        ));
    }
    let scopes = asker.text(
        "SSO registration scopes",
        answers.sso_registration_scopes.as_deref(),
        Some(login_core::sso::DEFAULT_SCOPE),
        "--sso-registration-scopes",
        true,
    )?;
    if !valid_scopes(&scopes) {
        return Err(usage(format!(
            "Scope values must be separated by commas: {scopes}"
        )));
    }
    let scopes = login_core::sso::profile::parse_scopes(&scopes);
    Ok((
        destination(SsoLoginTarget::Session(SsoSessionConfig {
            name,
            start_url,
            region,
            scopes: Some(scopes),
        })),
        true,
    ))
}

fn session_edits(target: &SsoLoginTarget) -> Vec<(SectionId, &'static str, String)> {
    match target {
        SsoLoginTarget::Session(s) => {
            let id = SectionId::SsoSession(s.name.clone());
            let mut edits = vec![
                (id.clone(), "sso_start_url", s.start_url.clone()),
                (id.clone(), "sso_region", s.region.clone()),
            ];
            if let Some(scopes) = &s.scopes {
                edits.push((id, "sso_registration_scopes", scopes.join(",")));
            }
            edits
        }
        SsoLoginTarget::Legacy { .. } => Vec::new(),
    }
}

fn write_edits(ctx: &SsoContext, edits: &[(SectionId, &str, String)]) -> CommandResult {
    let mut text = ConfigFile::parse(ctx.config.file.text()).text().to_owned();
    for (id, key, value) in edits {
        text = ConfigFile::parse(&text)
            .set(id, key, value)
            .map_err(|e| CommandError::new(ExitCode::Config, format!("cannot set {key}: {e}")))?;
    }
    write_config_file(ctx.config_path(), &text).map_err(|e| {
        CommandError::new(
            ExitCode::Config,
            format!("Could not write {}: {e}", ctx.config_path().display()),
        )
    })
}

pub fn run_session(global: &GlobalArgs, args: &ConfigureSsoSessionArgs) -> CommandResult {
    let ctx = SsoContext::load(&global.resolve_options())?;
    let asker = Asker {
        interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
    };
    let (destination, _) = ask_session(&ctx, &asker, &args.session, None, false)?;
    let target = destination.target;
    write_edits(&ctx, &session_edits(&target))?;
    let name = target.session_name().unwrap_or_default();
    println!("\nCompleted configuring SSO session: {name}\nRun the following to login and refresh access token for this session:\n\naws-login sso login --sso-session {name}");
    Ok(())
}

pub fn run(global: &GlobalArgs, args: &ConfigureSsoArgs) -> CommandResult {
    let options = global.resolve_options();
    let ctx = SsoContext::load(&options)?;
    let asker = Asker {
        interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
    };
    let profile_arg = global.profile.clone().filter(|p| !p.is_empty());
    let current = profile_arg
        .as_deref()
        .and_then(|p| ctx.config.file.profile(p));
    let current_session = current
        .as_ref()
        .and_then(|v| v.get("sso_session").map(str::to_owned));
    let (destination, new_session) = ask_session(
        &ctx,
        &asker,
        &args.session,
        current_session.as_deref(),
        true,
    )?;
    let target = destination.target.clone();

    // Sign in: a new session always; an existing one reuses a token with > 15 min left.
    let runtime = runtime()?;
    let cached = read_token(&ctx, &target, None)
        .ok()
        .filter(|t| t.seconds_left(time::OffsetDateTime::now_utc()) > TOKEN_REFRESH_WINDOW_SECONDS);
    let token: SsoToken = match cached.filter(|_| !new_session) {
        Some(t) => t,
        None => {
            let method = if args.use_device_code {
                SsoLoginMethod::Device {
                    open_browser: !args.no_browser,
                }
            } else {
                SsoLoginMethod::AuthCode {
                    open_browser: !args.no_browser,
                }
            };
            let mut console = Console::new(asker.interactive);
            let mut observer = SsoConsole {
                console: &mut console,
            };
            let logged_in = runtime.block_on(sso_login(
                &ctx,
                &destination,
                None,
                method,
                args.timeout,
                &mut observer,
            ))?;
            console.stop_indicator();
            crate::sso::report_region(&mut std::io::stdout(), &logged_in);
            read_token(&ctx, &target, None)?
        }
    };

    let accounts = runtime.block_on(list_accounts(&ctx, &target, &token))?;
    let account_id = match &args.account_id {
        Some(id) => id.clone(),
        None => match accounts.len() {
            0 => {
                return Err(CommandError::new(
                    ExitCode::Permission,
                    "No AWS accounts are available to you.",
                ))
            }
            1 => {
                eprintln!(
                    "The only AWS account available to you is: {}",
                    accounts[0].account_id
                );
                accounts[0].account_id.clone()
            }
            n => {
                eprintln!("There are {n} AWS accounts available to you.");
                let items: Vec<String> = accounts.iter().map(AccountInfo::display).collect();
                accounts[asker.pick(&items, "--account-id")?]
                    .account_id
                    .clone()
            }
        },
    };
    eprintln!("Using the account ID {account_id}");
    let roles = runtime.block_on(list_roles(&ctx, &target, &token, &account_id))?;
    let role_name = match &args.role_name {
        Some(r) => r.clone(),
        None => match roles.len() {
            0 => {
                return Err(CommandError::new(
                    ExitCode::Permission,
                    format!("No roles are available to you in account {account_id}."),
                ))
            }
            1 => {
                eprintln!("The only role available to you is: {}", roles[0]);
                roles[0].clone()
            }
            n => {
                eprintln!("There are {n} roles available to you.");
                roles[asker.pick(&roles, "--role-name")?].clone()
            }
        },
    };
    eprintln!("Using the role name \"{role_name}\"");

    let current_region = current
        .as_ref()
        .and_then(|v| v.get("region").map(str::to_owned));
    let current_output = current
        .as_ref()
        .and_then(|v| v.get("output").map(str::to_owned));
    let region = asker.text(
        "Default client Region",
        args.default_region.as_deref(),
        current_region.as_deref(),
        "--default-region",
        false,
    )?;
    let output = asker.text(
        "CLI default output format (json if not specified)",
        args.output.as_deref(),
        current_output.as_deref(),
        "--output",
        false,
    )?;
    let profile = match profile_arg {
        Some(p) => p,
        None => asker.text(
            "Profile name",
            None,
            Some(&format!("{role_name}-{account_id}")),
            "--profile",
            true,
        )?,
    };

    let id = SectionId::profile(profile.clone());
    let mut edits: Vec<(SectionId, &str, String)> = Vec::new();
    match &target {
        SsoLoginTarget::Session(s) => edits.push((id.clone(), "sso_session", s.name.clone())),
        SsoLoginTarget::Legacy { start_url, region } => {
            edits.push((id.clone(), "sso_start_url", start_url.clone()));
            edits.push((id.clone(), "sso_region", region.clone()));
        }
    }
    edits.push((id.clone(), "sso_account_id", account_id));
    edits.push((id.clone(), "sso_role_name", role_name));
    if !region.is_empty() {
        edits.push((id.clone(), "region", region));
    }
    if !output.is_empty() {
        edits.push((id, "output", output));
    }
    if new_session {
        edits.extend(session_edits(&target));
    }
    write_edits(&ctx, &edits)?;
    let mut stdout = std::io::stdout().lock();
    let _ = if profile == "default" {
        writeln!(stdout, "\nTo use this profile, specify the profile name using --profile, as shown:\n\naws sts get-caller-identity")
    } else {
        writeln!(stdout, "\nTo use this profile, specify the profile name using --profile, as shown:\n\naws sts get-caller-identity --profile {profile}")
    };
    Ok(())
}
