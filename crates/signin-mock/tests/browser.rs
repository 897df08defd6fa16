//! The sign-in and confirmation pages in headless Chromium (Debian's, driven by playwright-core),
//! clicked as a person would, then the resulting code redeemed at /v1/token.
//!
//! Needs `AWS_LOGIN_TEST_NODE_MODULES` (with playwright-core, as `cargo xtask` installs) and
//! Chromium (`AWS_LOGIN_TEST_CHROMIUM`, default /usr/bin/chromium); skipped with a message when
//! absent, a failure when `SIGNIN_MOCK_REQUIRE_PEERS` is set.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64ct::Encoding;
use common::*;
use serde_json::{json, Value};
use signin_mock::{MockConfig, RunningMock};

fn browser_peers() -> Option<(PathBuf, PathBuf)> {
    let modules = std::env::var_os("AWS_LOGIN_TEST_NODE_MODULES").map(PathBuf::from);
    let chromium = std::env::var_os("AWS_LOGIN_TEST_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    match modules {
        Some(m) if m.join("playwright-core").exists() && chromium.exists() => Some((m, chromium)),
        _ => {
            let message =
                "browser test needs AWS_LOGIN_TEST_NODE_MODULES with playwright-core and Chromium \
                           (run through `cargo xtask test`, which installs both)";
            if std::env::var_os("SIGNIN_MOCK_REQUIRE_PEERS").is_some() {
                panic!("{message}");
            }
            eprintln!("SKIPPED: {message}");
            None
        }
    }
}

fn click_through(
    peers: &(PathBuf, PathBuf),
    url: &str,
    identity: &str,
    decision: &str,
    flow: &str,
) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/browser_check.cjs");
    let output = Command::new("node")
        .env("NODE_PATH", &peers.0)
        .arg(script)
        .arg(&peers.1)
        .args([url, identity, decision, flow, CALLBACK])
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or("")).expect("one JSON line")
}

async fn redeem(
    mock: &RunningMock,
    client_id: &str,
    redirect: &str,
    code: &str,
    pkce: &Pkce,
) -> Value {
    let key = DpopKey::generate();
    let body = json!({
        "clientId": client_id, "grantType": "authorization_code", "code": code,
        "codeVerifier": pkce.verifier, "redirectUri": redirect,
    });
    let (status, _, answer) = post_token(
        &client(),
        mock.base_url(),
        Some(&key.proof(&mock.token_url())),
        &body,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

#[test]
fn a_person_signs_in_with_chromium() {
    let Some(peers) = browser_peers() else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(start(MockConfig::default()));

    // Same device: pick alice, Allow, land on the loopback callback with code and state.
    let pkce = Pkce::generate();
    let url = authorize_url(
        mock.base_url(),
        SAME_DEVICE,
        "state-1",
        CALLBACK,
        &pkce.challenge,
    );
    let result = click_through(&peers, &url, "alice", "allow", "same");
    let query = query_of(result["location"].as_str().unwrap());
    assert_eq!(query["state"], "state-1");
    let answer = runtime.block_on(redeem(&mock, SAME_DEVICE, CALLBACK, &query["code"], &pkce));
    assert!(answer["idToken"].is_string());

    // Deny: the callback gets error=access_denied.
    let url = authorize_url(
        mock.base_url(),
        SAME_DEVICE,
        "state-2",
        CALLBACK,
        &pkce.challenge,
    );
    let result = click_through(&peers, &url, "admin", "deny", "same");
    let query = query_of(result["location"].as_str().unwrap());
    assert_eq!(
        (query["error"].as_str(), query["state"].as_str()),
        ("access_denied", "state-2")
    );

    // Remote: the confirmation page shows the code to paste, and its copy button answers.
    let pkce = Pkce::generate();
    let redirect = mock.confirmation_url();
    let url = authorize_url(
        mock.base_url(),
        CROSS_DEVICE,
        "state-3",
        &redirect,
        &pkce.challenge,
    );
    let result = click_through(&peers, &url, "admin", "allow", "remote");
    assert!(!result["copied"].as_str().unwrap().is_empty());
    let pasted = base64ct::Base64::decode_vec(result["pasted"].as_str().unwrap()).unwrap();
    let fields: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&pasted).into_owned().collect();
    assert_eq!(fields["state"], "state-3");
    runtime.block_on(redeem(
        &mock,
        CROSS_DEVICE,
        &redirect,
        &fields["code"],
        &pkce,
    ));

    let stats = mock.stats();
    assert_eq!(
        (
            stats.authorize_outcome("approved"),
            stats.authorize_outcome("denied")
        ),
        (2, 1)
    );
}
