//! `aws-login login --remote`: the browser is elsewhere (here: headless Chromium run by the test,
//! like a person on their laptop), the code it shows is piped into aws-login's standard input.
//! Also a code that is not one, a code from another login (wrong state), and an expired code.

mod login_support;
#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};

use login_core::login::percent_encode;
use login_support::*;
use signin_mock::MockConfig;
use support::{Sandbox, ALICE_ARN};

/// Starts `aws-login login --remote` with piped stdin and returns it with the printed URL.
fn start_remote(
    sandbox: &Sandbox,
    extra: &[&str],
) -> (Child, String, BufReader<std::process::ChildStderr>) {
    let mut child = aws_login(sandbox)
        .args(["login", "--remote", "--profile", "remote"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "aws-login ended before printing the URL: {seen}"
        );
        seen.push_str(&line);
        if let Some(url) = line.trim().strip_prefix("http") {
            break format!("http{url}");
        }
    };
    (child, url, stderr)
}

fn finish(
    mut child: Child,
    mut stderr: BufReader<std::process::ChildStderr>,
    input: &str,
) -> (Option<i32>, String, String) {
    {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(input.as_bytes()).unwrap();
    }
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code(), text(&out.stdout), rest)
}

fn state_of(url: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("state="))
        .unwrap()
        .to_string()
}

/// Standard base64 with padding, as the confirmation page encodes its code.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn a_code_piped_from_the_confirmation_page_completes_the_login() {
    let Some(peers) = peers() else { return };
    let sandbox = Sandbox::new();
    let (child, url, stderr) = start_remote(&sandbox, &[]);
    assert!(
        url.contains(&format!(
            "&client_id={}&",
            percent_encode("arn:aws:signin:::devtools/cross-device")
        )),
        "{url}"
    );
    let confirmation = format!("{}/v1/sessions/confirmation", sandbox.base_url());
    assert!(
        url.contains(&format!("&redirect_uri={}&", percent_encode(&confirmation))),
        "{url}"
    );

    let record = run_chromium_driver(&peers, &url, &BrowserScript::default());
    let code = record["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code on the page: {record}"))
        .trim()
        .to_string();
    // Pasted with the blanks a terminal copy tends to add around it.
    let (status, stdout, rest) = finish(child, stderr, &format!("  {code} \n"));
    assert_eq!(status, Some(0), "{rest}");
    assert!(
        stdout.contains(&format!(
            "Updated profile remote to use {ALICE_ARN} credentials."
        )),
        "{stdout}{rest}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cache_file(&sandbox, ALICE_ARN)).unwrap()).unwrap();
    assert_eq!(json["clientId"], "arn:aws:signin:::devtools/cross-device");
    let config = std::fs::read_to_string(&sandbox.config_file).unwrap();
    assert_eq!(
        config,
        format!("[profile remote]\nlogin_session = {ALICE_ARN}\nregion = us-east-1\n")
    );
    assert_eq!(
        boto3_caller_identity(&sandbox, &peers.python, "remote"),
        Ok(ALICE_ARN.to_string())
    );
}

#[test]
fn a_bad_code_is_refused() {
    let sandbox = Sandbox::new();
    let (child, _url, stderr) = start_remote(&sandbox, &[]);
    let (status, stdout, rest) = finish(child, stderr, "this is not a code!\n");
    assert_eq!(status, Some(4), "{rest}");
    assert!(stdout.is_empty());
    assert!(
        rest.contains("not the authorization code shown in the browser"),
        "{rest}"
    );
    assert!(no_session_files(&sandbox));
    assert_eq!(sandbox.mock.stats().token_calls("authorization_code"), 0);
}

#[test]
fn a_code_from_another_login_is_refused_by_its_state() {
    let sandbox = Sandbox::new();
    let (child, url, stderr) = start_remote(&sandbox, &[]);
    assert_ne!(state_of(&url), "00000000-0000-4000-8000-000000000000");
    let foreign = base64(b"state=00000000-0000-4000-8000-000000000000&code=stolen-code");
    let (status, _stdout, rest) = finish(child, stderr, &format!("{foreign}\n"));
    assert_eq!(status, Some(4), "{rest}");
    assert!(
        rest.contains("belongs to a different login attempt (state mismatch)"),
        "{rest}"
    );
    assert_eq!(
        sandbox.mock.stats().token_calls("authorization_code"),
        0,
        "a foreign code is never redeemed"
    );
}

#[test]
fn closing_stdin_without_a_code_ends_the_login() {
    let sandbox = Sandbox::new();
    let (child, _url, stderr) = start_remote(&sandbox, &[]);
    let (status, _stdout, rest) = finish(child, stderr, "");
    assert_eq!(status, Some(4), "{rest}");
    assert!(rest.contains("No authorization code was entered"), "{rest}");
}

#[test]
fn an_expired_code_says_authcode_expired() {
    let Some(peers) = peers() else { return };
    let sandbox = Sandbox::with_mock(MockConfig {
        auth_code_lifetime_secs: 1,
        ..MockConfig::default()
    });
    let (child, url, stderr) = start_remote(&sandbox, &[]);
    let record = run_chromium_driver(&peers, &url, &BrowserScript::default());
    let code = record["code"].as_str().unwrap().trim().to_string();
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let (status, _stdout, rest) = finish(child, stderr, &format!("{code}\n"));
    assert_eq!(status, Some(4), "{rest}");
    assert!(rest.contains("AUTHCODE_EXPIRED"), "{rest}");
    assert!(rest.contains("Run the login again"), "{rest}");
    assert!(no_session_files(&sandbox));
}
