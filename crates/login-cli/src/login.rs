//! `aws-login login`: the browser sign-in. Same device by default (loopback callback on
//! 127.0.0.1, the browser opened for you); `--remote` for a browser on another device (paste the
//! code it shows). Everything for people goes to stderr while waiting; the result line goes to
//! stdout. The login driver lives in `login_io::login`; this module is the terminal around it:
//! the region prompt, the waiting indicator, the replace-session question and the messages.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::Args;
use login_io::login::{
    authorize, save_login, LoginError, LoginEvent, LoginMethod, LoginObserver, LoginTarget,
    SavedLogin,
};
use tokio::sync::mpsc;

use crate::exit::{CommandError, CommandResult, ExitCode};
use crate::GlobalArgs;

const LOGIN_ABOUT: &str = "Sign in with your browser and save the session for a profile";

const LOGIN_LONG_ABOUT: &str = "\
Sign in with your AWS console credentials in the browser and save a login session for a
profile, like `aws login`. The session's temporary credentials refresh every 15 minutes for up
to 12 hours and are shared with AWS CLI v2, boto3 >= 1.41 and the AWS SDK for JavaScript v3.

The browser is opened for you ($BROWSER first, then wslview or the Windows browser on WSL,
xdg-open or open); the sign-in page redirects back to a one-time server on 127.0.0.1. Over SSH
or anywhere without a browser, use --remote and paste the code the sign-in page shows.

The profile gets `login_session` (and `region` when it has none) in ~/.aws/config
($AWS_CONFIG_FILE); every other line of the file is kept as it was.";

const LOGIN_EXAMPLES: &str = "\
Examples:
  aws-login login                        sign in and save to the default profile
  aws-login login --profile dev --region eu-west-1
  aws-login login --remote               over SSH: open the URL anywhere, paste the code
  aws-login login --no-browser --redirect-port 8400
                                         print the URL only (with ssh -L 8400:127.0.0.1:8400)

The principal needs signin:AuthorizeOAuth2Access and signin:CreateOAuth2Token
(AWS managed policy SignInLocalDevelopmentAccess).";

/// Sign in with your browser and save the session for a profile.
#[derive(Debug, Args)]
#[command(about = LOGIN_ABOUT, long_about = LOGIN_LONG_ABOUT, after_help = LOGIN_EXAMPLES)]
pub struct LoginArgs {
    /// Sign in from a browser on another device: print the URL, then read the code it shows
    /// (from the terminal, or from standard input when it is a pipe).
    #[arg(long)]
    pub remote: bool,
    /// Port of the callback server on 127.0.0.1 (default: a free port). Useful with SSH port
    /// forwarding.
    #[arg(long, value_name = "PORT", conflicts_with = "remote", value_parser = clap::value_parser!(u16).range(1..))]
    pub redirect_port: Option<u16>,
    /// Do not open a browser; only print the URL to open.
    #[arg(long, conflicts_with = "remote")]
    pub no_browser: bool,
    /// How long to wait for the sign-in, e.g. 90s, 10m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// Replace a different login session of the profile without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(global: &GlobalArgs, args: &LoginArgs) -> CommandResult {
    let runtime = runtime()?;
    let mut console = Console::new(Console::interactive());
    let mut target = LoginTarget::prepare(&global.resolve_options()).map_err(login_error)?;
    choose_region(&mut target, &mut console)?;

    let mut lines = None;
    let method = if args.remote {
        LoginMethod::Remote {
            codes: lines.insert(stdin_lines()),
            retry_bad_codes: console.interactive,
        }
    } else {
        LoginMethod::SameDevice {
            redirect_port: args.redirect_port,
            open_browser: !args.no_browser,
            fail_without_browser: false,
        }
    };
    let logged_in = runtime
        .block_on(authorize(&target, method, args.timeout, &mut console))
        .map_err(login_error)?;
    console.stop_indicator();

    let mut replace = args.yes;
    if let Some(current) = target.conflicting_session(logged_in.session.arn()) {
        if !replace && console.interactive {
            let question = format!(
                "Profile '{}' is logged in as {current}.\nReplace it with {}? [y/N] ",
                target.profile,
                logged_in.session.arn()
            );
            let lines = lines.get_or_insert_with(stdin_lines);
            replace = runtime
                .block_on(ask_yes_no(&question, lines))
                .ok_or_else(|| login_error(LoginError::Cancelled))?;
            if !replace {
                return Err(CommandError::new(
                    ExitCode::Config,
                    format!(
                        "Kept profile '{}' as it was (nothing was saved). To keep both sessions, log in to another profile with --profile NAME.",
                        target.profile
                    ),
                ));
            }
        }
    }
    let saved = runtime
        .block_on(save_login(&target, &logged_in, replace))
        .map_err(login_error)?;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(saved_message(&saved).as_bytes());
    let _ = stdout.flush();
    Ok(())
}

/// The lines AWS CLI prints after a login, plus what was created.
pub fn saved_message(saved: &SavedLogin) -> String {
    let mut text = String::new();
    if saved.config_created {
        text.push_str(&format!("Created {}.\n", saved.config_file.display()));
    }
    if let Some(region) = &saved.region_written {
        text.push_str(&format!(
            "Set region = {region} in profile '{}'.\n",
            saved.profile
        ));
    }
    text.push_str(&format!(
        "Updated profile {} to use {} credentials.\n",
        saved.profile, saved.session_arn
    ));
    if saved.profile == "default" {
        text.push_str("It is the default profile, so AWS tools use it without --profile, e.g. aws sts get-caller-identity\n");
    } else {
        text.push_str(&format!(
            "Use --profile {0} (or AWS_PROFILE={0}) to use these credentials, e.g. aws sts get-caller-identity --profile {0}\n",
            saved.profile
        ));
    }
    text
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, CommandError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            CommandError::new(
                ExitCode::Unexpected,
                format!("cannot start the async runtime: {e}"),
            )
        })
}

/// `--region`, the profile, `AWS_REGION`; else ask (default us-east-1) when someone is there.
pub(crate) fn choose_region(target: &mut LoginTarget, console: &mut Console) -> CommandResult {
    if target.region.is_some() {
        return Ok(());
    }
    if !console.interactive {
        return Err(login_error(LoginError::NoRegion {
            profile: target.profile.clone(),
        }));
    }
    let stdin = std::io::stdin();
    loop {
        console.say(&format!(
            "AWS Region for profile '{}' [us-east-1]: ",
            target.profile
        ));
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => {
                return Err(login_error(LoginError::NoRegion {
                    profile: target.profile.clone(),
                }))
            }
            Ok(_) => {}
        }
        let answer = line.trim();
        let region = if answer.is_empty() {
            "us-east-1"
        } else {
            answer
        };
        if is_region_name(region) {
            target.set_region(region);
            return Ok(());
        }
        console.say(&format!(
            "'{region}' is not a region name (like us-east-1 or eu-west-2).\n"
        ));
    }
}

fn is_region_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text.contains('-')
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

/// Reads standard input line by line on a thread of its own, so waiting for a pasted code can
/// still time out or be cancelled. Works the same for a terminal and a pipe.
pub(crate) fn stdin_lines() -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel(4);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Asks on stderr and reads the answer: `Some(true)` for yes, `Some(false)` for anything else or
/// no input, `None` for Ctrl-C (which the login's signal handler now catches instead of ending
/// the process): the login is cancelled.
async fn ask_yes_no(question: &str, lines: &mut mpsc::Receiver<String>) -> Option<bool> {
    eprint!("{question}");
    let _ = std::io::stderr().flush();
    let answer = tokio::select! {
        line = lines.recv() => line,
        _ = tokio::signal::ctrl_c() => {
            eprintln!();
            return None;
        }
    };
    Some(matches!(
        answer.as_deref().map(str::trim),
        Some("y" | "Y" | "yes" | "Yes" | "YES")
    ))
}

/// `90s`, `10m`, `1h`, `1h30m`, or plain seconds.
pub fn parse_timeout(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("'{text}' is not a duration; use e.g. 90s, 10m or 1h");
    if let Ok(secs) = text.parse::<u64>() {
        return if secs == 0 {
            Err("the timeout must be longer than 0s".into())
        } else {
            Ok(Duration::from_secs(secs))
        };
    }
    let mut total = 0u64;
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(bad()),
        };
        let value: u64 = digits.parse().map_err(|_| bad())?;
        total = total
            .checked_add(value.checked_mul(unit).ok_or_else(bad)?)
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() || text.is_empty() {
        return Err(bad());
    }
    if total == 0 {
        return Err("the timeout must be longer than 0s".into());
    }
    Ok(Duration::from_secs(total))
}

/// Maps a login failure to its message and exit code.
pub(crate) fn login_error(error: LoginError) -> CommandError {
    let code = match &error {
        LoginError::Io(e) => ExitCode::for_kind(e.kind()),
        LoginError::OtherCredentialStyle { .. }
        | LoginError::NoRegion { .. }
        | LoginError::CallbackServer(_)
        | LoginError::SessionConflict { .. }
        | LoginError::ConfigWrite { .. } => ExitCode::Config,
        LoginError::Cancelled => ExitCode::Interrupted,
        LoginError::InsufficientPermissions => ExitCode::Permission,
        LoginError::Network { .. } => ExitCode::Network,
        LoginError::Token(_) | LoginError::Flow(_) => ExitCode::Service,
        LoginError::CacheWrite { .. } | LoginError::PendingLoginTimedOut { .. } => {
            ExitCode::CacheWrite
        }
        _ => ExitCode::LoginNeeded,
    };
    CommandError::new(code, error.to_string())
}

/// Where messages for people go while a login runs: stderr, with a waiting indicator when
/// stderr is a terminal. Never stdout, which `credential-process` reserves for its JSON.
#[derive(Debug)]
pub(crate) struct Console {
    /// Someone can answer questions: stdin and stderr are terminals.
    pub interactive: bool,
    /// Show the animated indicator (stderr is a terminal).
    animate: bool,
    indicator: Option<Indicator>,
    indicator_label: &'static str,
    /// Extra text for [`LoginEvent::BrowserFailed`] (credential-process names a command).
    pub browser_failed_hint: Option<String>,
    /// The controlling terminal, when stderr is captured (an SDK running credential-process
    /// collects stderr) but a person sits at the terminal the tool was started from.
    tty: Option<std::fs::File>,
}

impl Console {
    pub fn new(interactive: bool) -> Self {
        Console {
            interactive,
            animate: std::io::stderr().is_terminal(),
            indicator: None,
            indicator_label: "Waiting for the sign-in in your browser",
            browser_failed_hint: None,
            tty: None,
        }
    }

    /// For `credential-process`: messages go to the terminal the tool was started from when
    /// stderr is captured and stdin is still that terminal (as SDKs leave it).
    pub fn for_captured_stderr() -> Self {
        let mut console = Console::new(false);
        if !std::io::stderr().is_terminal() && std::io::stdin().is_terminal() {
            console.tty = std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/tty")
                .ok();
        }
        console
    }

    /// A person can see the messages (stderr or the controlling terminal).
    pub fn watched(&self) -> bool {
        self.tty.is_some() || std::io::stderr().is_terminal()
    }

    pub fn interactive() -> bool {
        std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
    }

    /// Writes to stderr (or the terminal), first clearing the indicator's line.
    pub fn say(&mut self, text: &str) {
        let resume = self.indicator.is_some();
        self.stop_indicator();
        if let Some(tty) = &mut self.tty {
            let _ = tty.write_all(text.as_bytes());
            let _ = tty.flush();
            return;
        }
        let mut stderr = std::io::stderr().lock();
        let _ = stderr.write_all(text.as_bytes());
        let _ = stderr.flush();
        drop(stderr);
        if resume {
            self.start_indicator(self.indicator_label);
        }
    }

    /// Shows that we wait: the spinner on a terminal, else one line.
    pub fn waiting(&mut self, label: &'static str) {
        if self.animate {
            self.start_indicator(label);
        } else {
            self.say(&format!("{label}...\n"));
        }
    }

    fn start_indicator(&mut self, label: &'static str) {
        self.indicator_label = label;
        if self.animate && self.indicator.is_none() {
            self.indicator = Some(Indicator::start(label));
        }
    }

    pub fn stop_indicator(&mut self) {
        if let Some(indicator) = self.indicator.take() {
            indicator.stop();
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.stop_indicator();
    }
}

impl LoginObserver for Console {
    fn on_event(&mut self, event: LoginEvent<'_>) {
        match event {
            LoginEvent::AuthorizeUrl { url, remote: false } => self.say(&format!(
                "Signing in with your browser. If no browser opens, open this URL yourself:\n\n    {url}\n\n"
            )),
            LoginEvent::AuthorizeUrl { url, remote: true } => self.say(&format!(
                "Open this URL in a browser on any device and sign in:\n\n    {url}\n\n\
                 Then paste the code the browser shows.\n"
            )),
            LoginEvent::BrowserOpened { via } => {
                tracing::debug!(via = %via.describe(), "opened the browser");
            }
            LoginEvent::BrowserFailed { error } => {
                let hint = self.browser_failed_hint.clone().unwrap_or_default();
                self.say(&format!("{error}{hint}\n\n"));
            }
            LoginEvent::Waiting { remote: false } => {
                if self.animate {
                    self.start_indicator("Waiting for the sign-in in your browser");
                } else {
                    self.say("Waiting for the sign-in in your browser...\n");
                }
            }
            LoginEvent::Waiting { remote: true } => {
                self.say("Enter the authorization code displayed in your browser: ");
            }
            LoginEvent::CallbackRejected { reason } => {
                self.say(&format!("warning: ignored a request to the login callback: {reason}. Still waiting.\n"));
            }
            LoginEvent::RemoteCodeRejected { reason } => {
                self.say(&format!("{reason}\nEnter the authorization code displayed in your browser: "));
            }
            LoginEvent::Redeeming => self.stop_indicator(),
            _ => {}
        }
    }
}

/// A one-line spinner with elapsed time, redrawn on stderr until stopped.
#[derive(Debug)]
struct Indicator {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Indicator {
    fn start(label: &'static str) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let started = Instant::now();
            let mut frame = 0usize;
            while !flag.load(Ordering::Relaxed) {
                let secs = started.elapsed().as_secs();
                let mut stderr = std::io::stderr().lock();
                let _ = write!(
                    stderr,
                    "\r\x1b[2K{} {label}... {}:{:02}  (Ctrl-C to cancel)",
                    FRAMES[frame % FRAMES.len()],
                    secs / 60,
                    secs % 60
                );
                let _ = stderr.flush();
                drop(stderr);
                frame += 1;
                std::thread::sleep(Duration::from_millis(120));
            }
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "\r\x1b[2K");
            let _ = stderr.flush();
        });
        Indicator {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_parse_in_seconds_minutes_and_hours() {
        assert_eq!(parse_timeout("600"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_timeout("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_timeout("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_timeout("1h30m"), Ok(Duration::from_secs(5400)));
        for bad in [
            "",
            "0",
            "0s",
            "ten",
            "10x",
            "m",
            "-5",
            "1.5m",
            "99999999999999999999h",
        ] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn region_names_are_checked_before_use() {
        assert!(is_region_name("us-east-1"));
        assert!(is_region_name("eu-central-2"));
        for bad in [
            "",
            "US-EAST-1",
            "us east 1",
            "useast1",
            "-us-east-1",
            "us-east-1-",
        ] {
            assert!(!is_region_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_saved_message_matches_aws_cli_and_says_how_to_use_it() {
        let saved = SavedLogin {
            profile: "dev".into(),
            session_arn: "arn:aws:iam::111122223333:user/alice".into(),
            cache_path: "/c/x.json".into(),
            config_file: "/h/.aws/config".into(),
            region_written: Some("us-east-1".into()),
            config_created: true,
        };
        let text = saved_message(&saved);
        assert!(text.contains("Created /h/.aws/config.\n"));
        assert!(text.contains("Set region = us-east-1 in profile 'dev'.\n"));
        assert!(text.contains(
            "Updated profile dev to use arn:aws:iam::111122223333:user/alice credentials.\n"
        ));
        assert!(text.contains("--profile dev"));
    }
}
