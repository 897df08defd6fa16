//! `aws-login credential-process`: the `credential_process` of a profile, with automatic login.
//!
//! Prints the process-credentials JSON on stdout (and nothing else there). When the session is
//! missing, expired or refused (`TOKEN_EXPIRED`, `USER_CREDENTIALS_CHANGED`, a stale
//! `login_session` after logout), it runs the browser login itself and then prints the new
//! credentials, in the same invocation — what tools started outside a shell need. Concurrent
//! invocations share one pending login through a lock, so eight parallel SDK clients open one
//! browser tab, not eight.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use clap::Args;
use login_core::credentials::ExportFormat;
use login_core::Credentials;
use login_io::browser::{plan_launch, program_exists, split_words, BrowserEnvironment};
use login_io::login::{authorize, save_login, LoginMethod, LoginTarget};
use login_io::settings::{EnvSettings, Environment, Overrides};
use login_io::{ErrorKind, LoginIoError, ResolveOptions};

use crate::exit::{CommandError, CommandResult, ExitCode};
use crate::login::{choose_region, login_error, parse_timeout, runtime, Console};
use crate::GlobalArgs;

const ABOUT: &str =
    "Print a profile's credentials for `credential_process`, signing in first when needed";

const LONG_ABOUT: &str = "\
Print the profile's temporary credentials as the JSON `credential_process` expects, refreshing the
login session when it is about to expire. When there is no usable session (never logged in, logged
out, expired, or the password changed), it opens the browser sign-in itself and prints the new
credentials when it is done: one command that always ends in credentials, for tools that cannot run
`aws-login login` first (an MCP server started by a desktop app, an IDE).

Use it in ~/.aws/config through a second profile (see `aws-login configure process-profile`):

    [profile dev-process]
    credential_process = /usr/local/bin/aws-login credential-process --profile dev

stdout carries only the JSON; messages go to stderr. Without a browser and without a terminal it
fails at once and names the command to run.";

/// Print a profile's credentials for `credential_process`, signing in first when needed.
#[derive(Debug, Args)]
#[command(about = ABOUT, long_about = LONG_ABOUT)]
pub struct CredentialProcessArgs {
    /// Never start a browser login: fail when the session is missing or expired.
    #[arg(long)]
    pub no_login: bool,
    /// How long an automatic login waits for the browser sign-in, e.g. 90s, 10m.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_timeout)]
    pub timeout: Duration,
}

pub fn run(global: &GlobalArgs, args: &CredentialProcessArgs) -> CommandResult {
    let options = global.resolve_options();
    refuse_self_reference(&options)?;
    let before = session_fingerprint(&options);
    let reason = match login_io::resolve_credentials_blocking(&options) {
        Ok(resolved) => {
            for warning in resolved.warnings() {
                eprintln!("aws-login: warning: {warning}");
            }
            return print_process_json(resolved.credentials());
        }
        Err(e) if e.kind().needs_login() && !args.no_login => e,
        Err(e) => return Err(e.into()),
    };
    let mut console = if std::io::stderr().is_terminal() {
        Console::new(Console::interactive())
    } else {
        Console::for_captured_stderr()
    };
    if let Some(resolved) = crate::sso::sign_in_sso_base(
        &runtime()?,
        &options,
        args.timeout,
        &reason,
        &mut console,
        true,
    )? {
        for warning in resolved.warnings() {
            eprintln!("aws-login: warning: {warning}");
        }
        return print_process_json(resolved.credentials());
    }
    if reason.login_profile().is_none() {
        return Err(reason.into());
    }
    // For a role profile the login that helps is the one of the login profile at its base.
    let login_options = ResolveOptions {
        profile: reason.login_profile().map(str::to_owned),
        ..options.clone()
    };
    let before = if login_options.profile == options.profile {
        before
    } else {
        session_fingerprint(&login_options)
    };
    let same_profile = login_options.profile == options.profile;
    auto_login(&login_options, args, &reason, &before, same_profile)?;
    if same_profile {
        return Ok(());
    }
    let resolved = login_io::resolve_credentials_blocking(&options)?;
    for warning in resolved.warnings() {
        eprintln!("aws-login: warning: {warning}");
    }
    print_process_json(resolved.credentials())
}

/// The bytes that change when anyone logs in to the profile: the config file and the cached
/// session it names. Compared after waiting for another process's login.
fn session_fingerprint(options: &ResolveOptions) -> Vec<u8> {
    let Ok(settings) = EnvSettings::discover(
        &Overrides {
            profile: options.profile.clone(),
            ..Overrides::default()
        },
        &Environment::from_process(),
    ) else {
        return Vec::new();
    };
    let mut bytes = std::fs::read(&settings.config_file).unwrap_or_default();
    let config = login_core::ConfigFile::parse(&String::from_utf8_lossy(&bytes));
    if let Some(session) = config
        .profile(&settings.profile)
        .and_then(|v| v.get("login_session").map(str::to_owned))
    {
        bytes.push(0);
        bytes.extend(
            std::fs::read(
                settings
                    .cache_dir
                    .join(login_core::cache_file_name(session.trim())),
            )
            .unwrap_or_default(),
        );
    }
    bytes
}

/// Signs in with the browser (sharing a pending login with other invocations), then prints the
/// login profile's credentials when `print` (a role profile prints its role's instead).
fn auto_login(
    options: &ResolveOptions,
    args: &CredentialProcessArgs,
    reason: &LoginIoError,
    before: &[u8],
    print: bool,
) -> CommandResult {
    let mut target = LoginTarget::prepare(options).map_err(login_error)?;
    let profile = target.profile.clone();
    let mut console = if std::io::stderr().is_terminal() {
        Console::new(Console::interactive())
    } else {
        Console::for_captured_stderr()
    };
    let someone_watching = console.watched();
    let browser_possible = !plan_launch(
        &BrowserEnvironment::detect(),
        "https://signin.aws",
        &program_exists,
    )
    .is_empty();
    if !browser_possible && !someone_watching {
        return Err(CommandError::new(
            ExitCode::LoginNeeded,
            format!(
                "{}, and aws-login cannot sign in from here: no browser can be opened (no display, $BROWSER not set) and there is no terminal to show the sign-in URL. Run `{}` in a terminal (add --remote over SSH), then try again.",
                why_login(&profile, reason),
                login_command(&profile)
            ),
        ));
    }
    console.browser_failed_hint = Some(format!(
        " You can also run `{} --remote` in a terminal.",
        login_command(&profile)
    ));
    choose_region(&mut target, &mut console)?;

    let runtime = runtime()?;
    let wait = args.timeout + Duration::from_secs(60);
    let lock = match runtime.block_on(async {
        tokio::time::timeout(Duration::from_millis(200), target.lock_pending_login(wait)).await
    }) {
        Ok(lock) => lock,
        Err(_still_held) => {
            console.say(&format!(
                "aws-login: another aws-login process is signing in to profile '{profile}'; waiting for it to finish...\n"
            ));
            runtime.block_on(target.lock_pending_login(wait))
        }
    }
    .map_err(login_error)?;

    // Another process may have logged in meanwhile; then its session is ours too. (Without a
    // change, asking again would only repeat the refused token request.)
    if session_fingerprint(options) != before {
        if let Ok(resolved) = login_io::resolve_credentials_blocking(options) {
            drop(lock);
            return if print {
                print_process_json(resolved.credentials())
            } else {
                Ok(())
            };
        }
    }

    console.say(&format!(
        "aws-login: {}; a new sign-in is needed.\n",
        why_login(&profile, reason)
    ));
    let method = LoginMethod::SameDevice {
        redirect_port: None,
        open_browser: true,
        fail_without_browser: !someone_watching,
    };
    let logged_in = runtime
        .block_on(authorize(&target, method, args.timeout, &mut console))
        .map_err(|e| {
            let mut error = login_error(e);
            if error.code != ExitCode::Config {
                error.message.push_str(&format!(
                    " You can also sign in with `{}`.",
                    login_command(&profile)
                ));
            }
            error
        })?;
    console.stop_indicator();
    if let Some(previous) = target.conflicting_session(logged_in.session.arn()) {
        console.say(&format!(
            "aws-login: profile '{profile}' now uses {} instead of {previous}.\n",
            logged_in.session.arn()
        ));
    }
    let saved = runtime
        .block_on(save_login(&target, &logged_in, true))
        .map_err(login_error)?;
    drop(lock);
    console.say(&format!(
        "aws-login: updated profile {} to use {} credentials.\n",
        saved.profile, saved.session_arn
    ));
    if print {
        print_process_json(&logged_in.credentials)
    } else {
        Ok(())
    }
}

pub(crate) fn print_process_json(credentials: &Credentials) -> CommandResult {
    let text = ExportFormat::Process.render(credentials);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| {
            CommandError::new(
                ExitCode::Unexpected,
                format!("cannot write the credentials to stdout: {e}"),
            )
        })
}

fn login_command(profile: &str) -> String {
    if profile == "default" {
        "aws-login login".to_owned()
    } else {
        format!("aws-login login --profile {profile}")
    }
}

/// A short reason for the automatic login.
fn why_login(profile: &str, reason: &LoginIoError) -> String {
    // Lowercase: it continues a sentence ("aws-login: …; a new sign-in is needed.").
    match reason.kind() {
        ErrorKind::ProfileNotFound | ErrorKind::NoLoginSession => {
            format!("profile '{profile}' has no login session yet")
        }
        ErrorKind::CacheMissing => {
            format!("profile '{profile}' has no cached session (logged out?)")
        }
        ErrorKind::CacheCorrupt => {
            format!("the cached session of profile '{profile}' cannot be used")
        }
        ErrorKind::SessionExpired => {
            format!("the login session of profile '{profile}' has expired")
        }
        ErrorKind::CredentialsChanged => {
            format!(
                "the password or keys of the user of profile '{profile}' changed since the login"
            )
        }
        _ => format!("profile '{profile}' needs a new login"),
    }
}

/// A profile whose own `credential_process` runs `aws-login credential-process` for itself
/// would call itself forever (through the SDK); say so instead.
fn refuse_self_reference(options: &ResolveOptions) -> CommandResult {
    let Ok(settings) = EnvSettings::discover(
        &Overrides {
            profile: options.profile.clone(),
            ..Overrides::default()
        },
        &Environment::from_process(),
    ) else {
        return Ok(());
    };
    let Ok(config) = login_io::profile::load_config(&settings.config_file) else {
        return Ok(());
    };
    let Some(command) = config
        .file
        .profile(&settings.profile)
        .and_then(|v| v.get("credential_process").map(str::to_owned))
    else {
        return Ok(());
    };
    if runs_credential_process_for(&command, &settings.profile) {
        return Err(CommandError::new(
            ExitCode::Config,
            format!(
                "Profile '{0}' in {1} has `credential_process = {command}`, which runs this command for '{0}' itself and would loop. \
                 `aws-login credential-process --profile NAME` must name the login profile (the one with login_session), \
                 e.g. `aws-login configure process-profile --profile {0}-process --login-profile LOGIN_PROFILE`.",
                settings.profile,
                settings.config_file.display()
            ),
        ));
    }
    Ok(())
}

/// Whether `command` runs `aws-login credential-process` for `profile`.
fn runs_credential_process_for(command: &str, profile: &str) -> bool {
    let Some(words) = split_words(command) else {
        return false;
    };
    let Some(at) = words.windows(2).position(|w| {
        let program = w[0].rsplit(['/', '\\']).next().unwrap_or(&w[0]);
        (program == "aws-login" || program == "aws-login.exe") && w[1] == "credential-process"
    }) else {
        return false;
    };
    let rest = &words[at + 2..];
    let named = rest.iter().enumerate().find_map(|(i, w)| {
        if w == "--profile" {
            rest.get(i + 1).cloned()
        } else {
            w.strip_prefix("--profile=").map(str::to_owned)
        }
    });
    named.as_deref().unwrap_or("default") == profile
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_referencing_credential_processes_are_recognised() {
        assert!(runs_credential_process_for(
            "aws-login credential-process --profile dev",
            "dev"
        ));
        assert!(runs_credential_process_for(
            "/usr/local/bin/aws-login credential-process --profile=dev",
            "dev"
        ));
        assert!(runs_credential_process_for(
            "\"/opt/my tools/aws-login\" credential-process",
            "default"
        ));
        assert!(!runs_credential_process_for(
            "aws-login credential-process --profile dev",
            "dev-process"
        ));
        assert!(!runs_credential_process_for(
            "aws configure export-credentials --profile dev",
            "dev"
        ));
        assert!(!runs_credential_process_for(
            "aws-login export-credentials --profile dev",
            "dev"
        ));
    }

    #[test]
    fn login_reasons_name_the_profile() {
        let e = LoginIoError::SessionExpired {
            profile: "dev".into(),
            code: "TOKEN_EXPIRED".into(),
        };
        assert_eq!(
            why_login("dev", &e),
            "the login session of profile 'dev' has expired"
        );
        assert_eq!(login_command("default"), "aws-login login");
        assert_eq!(login_command("dev"), "aws-login login --profile dev");
    }
}
