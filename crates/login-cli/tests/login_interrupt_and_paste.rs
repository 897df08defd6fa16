//! `aws-login login`: Ctrl-C (a real SIGINT to the process) while it waits for the sign-in ends
//! it with exit code 130, the shell's convention, and changes nothing; a remote code pasted over
//! several lines (a terminal wraps long base64 strings) is joined before it is decoded.
//!
//! The remote code comes from signin-mock's own confirmation page (auto-approved, fetched with
//! curl), exactly the text a person copies from the browser.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStderr, Command, Stdio};

use support::{Sandbox, ALICE_ARN};

/// Starts `aws-login login` (no browser, nothing on a display) and returns it once it has printed
/// the sign-in URL, with that URL.
fn start_login(sandbox: &Sandbox, extra: &[&str]) -> (Child, String, BufReader<ChildStderr>) {
    let mut child = sandbox
        .command(env!("CARGO_BIN_EXE_aws-login"))
        .args(["login", "--profile", "dev", "--region", "us-east-1"])
        .args(extra)
        .env_remove("BROWSER")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("aws-login starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "aws-login ended before printing the URL: {seen}"
        );
        seen.push_str(&line);
        if let Some(at) = line.find("http") {
            break line[at..].trim().to_string();
        }
    };
    (child, url, stderr)
}

fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn nothing_saved(sandbox: &Sandbox) {
    let config = std::fs::read_to_string(&sandbox.config_file).unwrap();
    assert!(!config.contains("login_session"), "{config}");
    let files: Vec<_> = std::fs::read_dir(&sandbox.cache_dir)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(
        !files.iter().any(|n| n.to_string_lossy().ends_with(".json")),
        "{files:?}"
    );
}

#[test]
fn ctrl_c_while_waiting_exits_130_and_changes_nothing() {
    let sandbox = Sandbox::new();
    for extra in [&["--no-browser"][..], &["--remote"]] {
        let (mut child, _url, mut stderr) = start_login(&sandbox, extra);
        interrupt(&child);
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "{extra:?}: {status}: {rest}");
        assert!(
            rest.contains("Login cancelled; nothing was changed."),
            "{extra:?}: {rest}"
        );
        nothing_saved(&sandbox);
    }
    assert_eq!(sandbox.mock.stats().token_calls("authorization_code"), 0);
}

/// What the confirmation page shows for this login's URL (the mock approves as alice at once).
fn code_from_confirmation_page(sandbox: &Sandbox, url: &str) -> String {
    sandbox.mock.set_auto_approve(Some("alice")).unwrap();
    let out = Command::new("curl")
        .args(["-s", "-L", "--noproxy", "*", url])
        .output()
        .expect("curl runs");
    assert!(out.status.success(), "curl {url}: {}", out.status);
    let page = String::from_utf8(out.stdout).unwrap();
    let start = page.find("<code id=\"code\">").expect("a code on the page") + 16;
    let end = start + page[start..].find("</code>").unwrap();
    page[start..end].to_string()
}

fn finish(mut child: Child, mut stderr: BufReader<ChildStderr>, input: &str) -> (i32, String) {
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), rest)
}

#[test]
fn a_remote_code_wrapped_over_several_lines_is_joined() {
    let wraps: [fn(&str) -> String; 3] = [
        // An 80-column terminal: hard newlines inside the code.
        |code| {
            let mut text = String::new();
            for chunk in code.as_bytes().chunks(40) {
                text.push_str(std::str::from_utf8(chunk).unwrap());
                text.push('\n');
            }
            text
        },
        // Copied from a Windows terminal: CRLF and indentation.
        |code| format!("  {}\r\n  {}\r\n", &code[..25], &code[25..]),
        // A false start (half a code, Enter), then the whole code wrapped.
        |code| {
            format!(
                "{}\n\n{}\n{}\n",
                &code[..10],
                &code[..code.len() / 2],
                &code[code.len() / 2..]
            )
        },
    ];
    for (i, wrap) in wraps.iter().enumerate() {
        let sandbox = Sandbox::new();
        let (child, url, stderr) = start_login(&sandbox, &["--remote"]);
        let code = code_from_confirmation_page(&sandbox, &url);
        assert!(code.len() > 60, "{code}");
        let pasted = wrap(&code);
        let (status, rest) = finish(child, stderr, &pasted);
        if i == 2 {
            // Piped, not a terminal: the false start is a bad code, and it ends the login.
            assert_eq!(status, 4, "case {i}: {rest}");
            assert!(rest.contains("not the authorization code"), "case {i}: {rest}");
            continue;
        }
        assert_eq!(status, 0, "case {i}: {rest}");
        let config = std::fs::read_to_string(&sandbox.config_file).unwrap();
        assert!(
            config.contains(&format!("login_session = {ALICE_ARN}")),
            "case {i}: {config}"
        );
    }
}
