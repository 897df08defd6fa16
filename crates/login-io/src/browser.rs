//! Opening the authorize URL in the person's browser.
//!
//! Planning is pure: [`plan_launch`] turns the environment ([`BrowserEnvironment`]: `$BROWSER`,
//! the platform, WSL, whether there is a display) and the URL into an ordered list of commands to
//! try, so every rule is unit-tested without starting anything. [`open_browser`] then tries them
//! in order. No shell is ever involved: the URL always travels as one argument of its own.
//!
//! The order follows what people configure and expect:
//! 1. `$BROWSER`, a `:`-separated list; an entry may hold `%s` where the URL goes (`%%` is a
//!    literal `%`), otherwise the URL is appended. An entry that names an existing file is taken
//!    whole, so `/mnt/c/Program Files/…/chrome.exe` works unquoted.
//! 2. macOS: `open`.
//! 3. WSL: `wslview` (wslu), then the Windows default browser through `powershell.exe` and
//!    `cmd.exe`; then `xdg-open` when WSLg provides a display.
//! 4. Other Unix with a display (`DISPLAY` or `WAYLAND_DISPLAY`): `xdg-open`. Without a display
//!    (an SSH session) nothing is tried: a text-mode browser must not take over the terminal.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

/// A launcher still running after this long counts as having opened the browser; one that exits
/// with an error before then counts as failed, and the next one is tried.
const LAUNCH_GRACE: Duration = Duration::from_secs(3);

/// The operating system family, as far as opening a browser is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    MacOs,
    Windows,
    /// Linux and the BSDs; `wsl` marks Linux under the Windows Subsystem for Linux.
    Unix {
        wsl: bool,
    },
}

/// Everything about the environment that decides how a browser is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserEnvironment {
    /// `$BROWSER` as set (may be empty).
    pub browser_var: Option<String>,
    pub platform: Platform,
    /// `DISPLAY` or `WAYLAND_DISPLAY` is set.
    pub has_display: bool,
}

impl BrowserEnvironment {
    /// Reads `$BROWSER`, the display variables and WSL markers of this process.
    pub fn detect() -> Self {
        let platform = if cfg!(target_os = "macos") {
            Platform::MacOs
        } else if cfg!(windows) {
            Platform::Windows
        } else {
            let proc_version = std::fs::read_to_string("/proc/version").ok();
            Platform::Unix {
                wsl: is_wsl(
                    proc_version.as_deref(),
                    std::env::var("WSL_DISTRO_NAME").ok().as_deref(),
                    std::env::var("WSL_INTEROP").ok().as_deref(),
                ),
            }
        };
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        BrowserEnvironment {
            browser_var: std::env::var("BROWSER").ok(),
            platform,
            has_display: set("DISPLAY") || set("WAYLAND_DISPLAY"),
        }
    }
}

/// WSL sets `WSL_DISTRO_NAME`/`WSL_INTEROP` in login shells, but not in every process (cron,
/// services, `env -i`), so the kernel's version string (`…-microsoft-standard-WSL2`) counts too.
pub fn is_wsl(
    proc_version: Option<&str>,
    wsl_distro_name: Option<&str>,
    wsl_interop: Option<&str>,
) -> bool {
    let set = |v: Option<&str>| v.is_some_and(|v| !v.is_empty());
    if set(wsl_distro_name) || set(wsl_interop) {
        return true;
    }
    proc_version.is_some_and(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("microsoft") || v.contains("wsl")
    })
}

/// Where a launch command came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchSource {
    BrowserVar,
    Wsl,
    Desktop,
}

/// One way to open the URL: a program and its arguments, run without a shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchCommand {
    pub program: String,
    pub args: Vec<String>,
    pub source: LaunchSource,
    /// Windows programs started from WSL warn about UNC paths when the working directory is on
    /// the Linux side, so they run from a Windows drive.
    pub working_dir: Option<String>,
}

impl LaunchCommand {
    fn new(program: impl Into<String>, args: Vec<String>, source: LaunchSource) -> Self {
        LaunchCommand {
            program: program.into(),
            args,
            source,
            working_dir: None,
        }
    }

    /// The program name as shown to people (never the URL, which is printed separately).
    pub fn describe(&self) -> String {
        match self.source {
            LaunchSource::BrowserVar => format!("$BROWSER entry {}", self.program),
            LaunchSource::Wsl | LaunchSource::Desktop => self.program.clone(),
        }
    }
}

const WINDOWS_POWERSHELL: &str = "/mnt/c/Windows/System32/WindowsPowerShell/v1.0/powershell.exe";
const WINDOWS_CMD: &str = "/mnt/c/Windows/System32/cmd.exe";
const WINDOWS_DRIVE: &str = "/mnt/c";

/// The commands to try, in order. `exists` answers whether a program name (looked up on `PATH`)
/// or a path names an executable file; it is injected so that planning stays pure.
pub fn plan_launch(
    env: &BrowserEnvironment,
    url: &str,
    exists: &dyn Fn(&str) -> bool,
) -> Vec<LaunchCommand> {
    let mut plan: Vec<LaunchCommand> = env
        .browser_var
        .as_deref()
        .map(|value| browser_var_commands(value, url, exists))
        .unwrap_or_default();
    match env.platform {
        Platform::MacOs => plan.push(LaunchCommand::new(
            "open",
            vec![url.into()],
            LaunchSource::Desktop,
        )),
        Platform::Windows => plan.push(LaunchCommand::new(
            "rundll32.exe",
            vec!["url.dll,FileProtocolHandler".into(), url.into()],
            LaunchSource::Desktop,
        )),
        Platform::Unix { wsl } => {
            if wsl {
                plan.extend(wsl_commands(url, exists));
            }
            if env.has_display && exists("xdg-open") {
                plan.push(LaunchCommand::new(
                    "xdg-open",
                    vec![url.into()],
                    LaunchSource::Desktop,
                ));
            }
        }
    }
    plan
}

fn wsl_commands(url: &str, exists: &dyn Fn(&str) -> bool) -> Vec<LaunchCommand> {
    let mut commands = Vec::new();
    if exists("wslview") {
        commands.push(LaunchCommand::new(
            "wslview",
            vec![url.into()],
            LaunchSource::Wsl,
        ));
    }
    let windows = |name: &str, fallback: &str| {
        if exists(name) {
            Some(name.to_owned())
        } else if exists(fallback) {
            Some(fallback.to_owned())
        } else {
            None
        }
    };
    let working_dir = exists(WINDOWS_DRIVE).then(|| WINDOWS_DRIVE.to_owned());
    if let Some(powershell) = windows("powershell.exe", WINDOWS_POWERSHELL) {
        // One -Command string; single quotes make PowerShell take the URL literally.
        let command = format!("Start-Process '{}'", url.replace('\'', "''"));
        let mut launch = LaunchCommand::new(
            powershell,
            vec![
                "-NoProfile".into(),
                "-NonInteractive".into(),
                "-Command".into(),
                command,
            ],
            LaunchSource::Wsl,
        );
        launch.working_dir = working_dir.clone();
        commands.push(launch);
    }
    if let Some(cmd) = windows("cmd.exe", WINDOWS_CMD) {
        // `start` takes the first quoted argument as a window title, hence an empty one (WSL
        // passes an empty argument as `""`); cmd's metacharacters in the URL (`&` above all)
        // are escaped with `^`.
        let mut launch = LaunchCommand::new(
            cmd,
            vec![
                "/d".into(),
                "/c".into(),
                "start".into(),
                String::new(),
                escape_for_cmd(url),
            ],
            LaunchSource::Wsl,
        );
        launch.working_dir = working_dir;
        commands.push(launch);
    }
    commands
}

fn escape_for_cmd(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(c, '^' | '&' | '|' | '<' | '>' | '(' | ')' | '"') {
            out.push('^');
        }
        out.push(c);
    }
    out
}

/// Turns `$BROWSER` into commands: `:`-separated entries, `%s` (or an appended argument) for
/// the URL, `%%` for a literal `%`.
pub fn browser_var_commands(
    value: &str,
    url: &str,
    exists: &dyn Fn(&str) -> bool,
) -> Vec<LaunchCommand> {
    value
        .split(':')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            let words = if exists(entry) {
                vec![entry.to_owned()]
            } else {
                split_words(entry)?
            };
            let (program, rest) = words.split_first()?;
            let mut saw_placeholder = false;
            let mut args: Vec<String> = rest
                .iter()
                .map(|word| {
                    let (arg, had) = substitute_url(word, url);
                    saw_placeholder |= had;
                    arg
                })
                .collect();
            if !saw_placeholder {
                args.push(url.to_owned());
            }
            Some(LaunchCommand::new(
                program.clone(),
                args,
                LaunchSource::BrowserVar,
            ))
        })
        .collect()
}

/// Replaces `%s` with the URL and `%%` with `%`; says whether a `%s` was there.
fn substitute_url(word: &str, url: &str) -> (String, bool) {
    let mut out = String::with_capacity(word.len() + url.len());
    let mut found = false;
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.peek() {
                Some('s') => {
                    chars.next();
                    out.push_str(url);
                    found = true;
                    continue;
                }
                Some('%') => {
                    chars.next();
                    out.push('%');
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    (out, found)
}

/// Splits a command line into words the way a POSIX shell would for plain words, single and
/// double quotes, and backslash escapes (no expansion of any kind). `None` when a quote is open.
pub fn split_words(line: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => word.push(c),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => word.push(c),
                            '\n' => {}
                            c => {
                                word.push('\\');
                                word.push(c);
                            }
                        },
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some('\n') | None => {}
                    Some(c) => word.push(c),
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Some(words)
}

/// Whether `program` is an executable file: a path as given, or a name found on `PATH`.
pub fn program_exists(program: &str) -> bool {
    if program.contains('/') {
        return is_executable(Path::new(program))
            || (program == WINDOWS_DRIVE && Path::new(program).is_dir());
    }
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| is_executable(&dir.join(program)))
    })
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Why no browser could be opened. The login still prints the URL for opening by hand.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrowserError {
    #[error(
        "No browser can be opened here (no display, and $BROWSER is not set). Open the URL above \
         yourself, or run with --remote to sign in from a browser on another device."
    )]
    NothingToTry,
    #[error(
        "Could not open a browser ({tried}). Open the URL above yourself, or run with --remote to \
         sign in from a browser on another device."
    )]
    AllFailed { tried: String },
}

/// What happened to one launcher.
fn describe_failure(command: &LaunchCommand, why: &str) -> String {
    format!("{} {why}", command.describe())
}

/// Tries each planned command until one works; returns the one that did.
///
/// The launchers' own output is discarded (stdout must stay clean for `credential-process`).
/// A launcher that keeps running (a browser started directly, or a test driver) is left running.
pub async fn open_browser(
    url: &str,
    env: &BrowserEnvironment,
) -> Result<LaunchCommand, BrowserError> {
    let plan = plan_launch(env, url, &program_exists);
    if plan.is_empty() {
        return Err(BrowserError::NothingToTry);
    }
    let mut failures = Vec::new();
    for command in plan {
        let mut process = tokio::process::Command::new(&command.program);
        process
            .args(&command.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(dir) = &command.working_dir {
            process.current_dir(dir);
        }
        let mut child = match process.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                failures.push(describe_failure(&command, "was not found"));
                continue;
            }
            Err(e) => {
                failures.push(describe_failure(&command, &format!("could not start: {e}")));
                continue;
            }
        };
        match tokio::time::timeout(LAUNCH_GRACE, child.wait()).await {
            Ok(Ok(status)) if status.success() => return Ok(command),
            Ok(Ok(status)) => {
                failures.push(describe_failure(&command, &format!("failed ({status})")))
            }
            Ok(Err(e)) => failures.push(describe_failure(&command, &format!("failed: {e}"))),
            // Still running: it is the browser itself, or a launcher waiting on it.
            Err(_elapsed) => return Ok(command),
        }
    }
    Err(BrowserError::AllFailed {
        tried: failures.join("; "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://us-east-1.signin.aws.amazon.com/v1/authorize?a=1&b=%2F";

    fn none(_: &str) -> bool {
        false
    }

    fn env(browser: Option<&str>, platform: Platform, has_display: bool) -> BrowserEnvironment {
        BrowserEnvironment {
            browser_var: browser.map(str::to_owned),
            platform,
            has_display,
        }
    }

    fn argv(plan: &[LaunchCommand]) -> Vec<Vec<String>> {
        plan.iter()
            .map(|c| {
                std::iter::once(c.program.clone())
                    .chain(c.args.iter().cloned())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn browser_var_appends_the_url_or_fills_in_percent_s() {
        let plan = browser_var_commands("firefox", URL, &none);
        assert_eq!(argv(&plan), [vec!["firefox".to_string(), URL.into()]]);
        let plan = browser_var_commands("firefox --new-tab %s", URL, &none);
        assert_eq!(
            argv(&plan),
            [vec!["firefox".to_string(), "--new-tab".into(), URL.into()]]
        );
        let plan = browser_var_commands("open-it --url=%s --pct=100%%", URL, &none);
        assert_eq!(
            argv(&plan),
            [vec![
                "open-it".to_string(),
                format!("--url={URL}"),
                "--pct=100%".into()
            ]]
        );
        assert_eq!(plan[0].source, LaunchSource::BrowserVar);
    }

    #[test]
    fn browser_var_lists_are_colon_separated_and_skip_empty_entries() {
        let plan = browser_var_commands("nosuch-browser::chromium %s: ", URL, &none);
        assert_eq!(
            argv(&plan),
            [
                vec!["nosuch-browser".to_string(), URL.into()],
                vec!["chromium".into(), URL.into()]
            ]
        );
        assert!(browser_var_commands("", URL, &none).is_empty());
        assert!(browser_var_commands(" : ", URL, &none).is_empty());
    }

    #[test]
    fn browser_var_entries_are_split_like_a_shell_without_running_one() {
        let plan =
            browser_var_commands(r#"'/opt/My Browser/bin' --profile "a b" x\ y"#, URL, &none);
        assert_eq!(
            argv(&plan),
            [vec![
                "/opt/My Browser/bin".to_string(),
                "--profile".into(),
                "a b".into(),
                "x y".into(),
                URL.into()
            ]]
        );
        // Nothing is expanded: the URL and the words reach the program as they are.
        let plan = browser_var_commands("echo $HOME `id` ;rm", URL, &none);
        assert_eq!(
            argv(&plan),
            [vec![
                "echo".to_string(),
                "$HOME".into(),
                "`id`".into(),
                ";rm".into(),
                URL.into()
            ]]
        );
        // An unbalanced quote makes the entry unusable rather than guessed at.
        assert!(browser_var_commands("'unterminated", URL, &none).is_empty());
    }

    #[test]
    fn an_existing_path_with_spaces_is_taken_whole() {
        let chrome = "/mnt/c/Program Files/Google/Chrome/Application/chrome.exe";
        let exists = |p: &str| p == chrome;
        let plan = browser_var_commands(chrome, URL, &exists);
        assert_eq!(argv(&plan), [vec![chrome.to_string(), URL.into()]]);
    }

    #[test]
    fn wsl_is_detected_from_variables_or_the_kernel_version() {
        assert!(is_wsl(None, Some("Ubuntu"), None));
        assert!(is_wsl(None, None, Some("/run/WSL/8_interop")));
        assert!(is_wsl(
            Some("Linux version 5.15.153.1-microsoft-standard-WSL2 (root@941d701f84f1) (gcc (GCC) 11.2.0)"),
            None,
            None
        ));
        assert!(is_wsl(
            Some("Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)"),
            None,
            None
        ));
        assert!(!is_wsl(
            Some("Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)"),
            Some(""),
            None
        ));
        assert!(!is_wsl(None, None, None));
    }

    #[test]
    fn wsl_prefers_wslview_then_the_windows_default_browser() {
        let all = |_: &str| true;
        let plan = plan_launch(&env(None, Platform::Unix { wsl: true }, false), URL, &all);
        let programs: Vec<&str> = plan.iter().map(|c| c.program.as_str()).collect();
        assert_eq!(programs, ["wslview", "powershell.exe", "cmd.exe"]);
        assert_eq!(
            plan[1].args.last().unwrap(),
            &format!("Start-Process '{URL}'")
        );
        assert_eq!(plan[1].working_dir.as_deref(), Some("/mnt/c"));
        assert_eq!(
            plan[2].args,
            [
                "/d",
                "/c",
                "start",
                "",
                "https://us-east-1.signin.aws.amazon.com/v1/authorize?a=1^&b=%2F"
            ]
        );
    }

    #[test]
    fn wsl_finds_windows_programs_by_path_when_they_are_not_on_path() {
        let exists = |p: &str| p == WINDOWS_POWERSHELL || p == WINDOWS_CMD;
        let plan = plan_launch(
            &env(None, Platform::Unix { wsl: true }, false),
            URL,
            &exists,
        );
        let programs: Vec<&str> = plan.iter().map(|c| c.program.as_str()).collect();
        assert_eq!(programs, [WINDOWS_POWERSHELL, WINDOWS_CMD]);
        assert_eq!(plan[0].working_dir, None);
    }

    #[test]
    fn wsl_with_wslg_falls_back_to_xdg_open_and_browser_var_comes_first() {
        let exists = |p: &str| p == "xdg-open";
        let plan = plan_launch(
            &env(Some("wslview"), Platform::Unix { wsl: true }, true),
            URL,
            &exists,
        );
        let programs: Vec<&str> = plan.iter().map(|c| c.program.as_str()).collect();
        assert_eq!(programs, ["wslview", "xdg-open"]);
        assert_eq!(plan[0].source, LaunchSource::BrowserVar);
    }

    #[test]
    fn linux_uses_xdg_open_only_with_a_display() {
        let exists = |p: &str| p == "xdg-open";
        let with_display = plan_launch(
            &env(None, Platform::Unix { wsl: false }, true),
            URL,
            &exists,
        );
        assert_eq!(
            argv(&with_display),
            [vec!["xdg-open".to_string(), URL.into()]]
        );
        // Over SSH: nothing to try, so the caller explains and suggests --remote.
        assert!(plan_launch(
            &env(None, Platform::Unix { wsl: false }, false),
            URL,
            &exists
        )
        .is_empty());
        assert!(plan_launch(
            &env(Some(""), Platform::Unix { wsl: false }, true),
            URL,
            &none
        )
        .is_empty());
        // $BROWSER still works without a display (a terminal browser, or a test driver).
        let plan = plan_launch(
            &env(Some("driver %s"), Platform::Unix { wsl: false }, false),
            URL,
            &exists,
        );
        assert_eq!(argv(&plan), [vec!["driver".to_string(), URL.into()]]);
    }

    #[test]
    fn macos_and_windows_use_their_openers() {
        let plan = plan_launch(&env(None, Platform::MacOs, false), URL, &none);
        assert_eq!(argv(&plan), [vec!["open".to_string(), URL.into()]]);
        let plan = plan_launch(&env(None, Platform::Windows, false), URL, &none);
        assert_eq!(
            argv(&plan),
            [vec![
                "rundll32.exe".to_string(),
                "url.dll,FileProtocolHandler".into(),
                URL.into()
            ]]
        );
    }

    #[test]
    fn word_splitting_follows_shell_quoting() {
        assert_eq!(
            split_words(r#"a "b c" 'd e' f\ g "h\"i" 'j\k'"#).unwrap(),
            ["a", "b c", "d e", "f g", "h\"i", r"j\k"]
        );
        assert_eq!(split_words("  ").unwrap(), Vec::<String>::new());
        assert_eq!(split_words(r#""""#).unwrap(), [""]);
        assert_eq!(split_words("\"open"), None);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn opening_tries_the_next_command_after_a_failure_and_stops_at_success() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("opened");
        let script = dir.path().join("fake-browser");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", marker.display()),
        )
        .unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let env = env(
            Some(&format!("false:/nonexistent/browser:{}", script.display())),
            Platform::Unix { wsl: false },
            false,
        );
        let opened = open_browser(URL, &env).await.unwrap();
        assert_eq!(opened.program, script.display().to_string());
        assert_eq!(std::fs::read_to_string(&marker).unwrap(), URL);

        let err = open_browser(
            URL,
            &BrowserEnvironment {
                browser_var: Some("false:/nonexistent/b".into()),
                ..env
            },
        )
        .await
        .unwrap_err();
        let message = err.to_string();
        assert!(message.contains("false failed"), "{message}");
        assert!(
            message.contains("/nonexistent/b was not found"),
            "{message}"
        );
        assert!(message.contains("--remote"), "{message}");
    }
}
