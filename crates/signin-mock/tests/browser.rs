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

fn sso_click(
    peers: &(PathBuf, PathBuf),
    url: &str,
    user: &str,
    decision: &str,
    flow: &str,
    callback: &str,
) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop/sso_browser_check.cjs");
    let output = Command::new("node")
        .env("NODE_PATH", &peers.0)
        .arg(script)
        .arg(&peers.1)
        .args([url, user, decision, flow, callback])
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

async fn sso_post(mock: &RunningMock, path: &str, body: Value) -> (u16, Value) {
    let response = client()
        .post(format!("{}{path}", mock.base_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// IAM Identity Center's consent page (PKCE) and device verification page, clicked in Chromium.
#[test]
fn a_person_approves_iam_identity_center_with_chromium() {
    let Some(peers) = browser_peers() else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mock = runtime.block_on(start(MockConfig::default()));
    let callback = "http://127.0.0.1:55555/oauth/callback";
    let (_, reg) = runtime.block_on(sso_post(
        &mock,
        "/client/register",
        json!({"clientName": "botocore-client-my-sso", "clientType": "public",
               "grantTypes": ["authorization_code", "refresh_token"],
               "redirectUris": ["http://127.0.0.1/oauth/callback"],
               "issuerUrl": mock.sso_start_url(), "scopes": ["sso:account:access"]}),
    ));
    let authorize = |state: &str, challenge: &str| {
        format!(
            "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={state}&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge={challenge}",
            mock.base_url(),
            encode(reg["clientId"].as_str().unwrap()),
            encode(callback),
        )
    };

    // Allow as alice: the callback gets code and state; the code redeems with the verifier.
    let pkce = Pkce::generate();
    let result = sso_click(
        &peers,
        &authorize("s-1", &pkce.challenge),
        "alice",
        "allow",
        "authorize",
        callback,
    );
    let query = query_of(result["location"].as_str().unwrap());
    assert_eq!(query["state"], "s-1");
    let (status, token) = runtime.block_on(sso_post(
        &mock,
        "/token",
        json!({"grantType": "authorization_code", "clientId": reg["clientId"], "clientSecret": reg["clientSecret"],
               "redirectUri": callback, "codeVerifier": pkce.verifier, "code": query["code"]}),
    ));
    assert_eq!(status, 200, "{token}");

    // Deny: error=access_denied with the state.
    let result = sso_click(
        &peers,
        &authorize("s-2", &pkce.challenge),
        "alice",
        "deny",
        "authorize",
        callback,
    );
    let query = query_of(result["location"].as_str().unwrap());
    assert_eq!(
        (query["error"].as_str(), query["state"].as_str()),
        ("access_denied", "s-2")
    );

    // Device flow: once through the complete URL, once typing the code on the entry page.
    let (_, device_reg) = runtime.block_on(sso_post(
        &mock,
        "/client/register",
        json!({"clientName": "botocore-client-my-sso", "clientType": "public", "scopes": ["sso:account:access"]}),
    ));
    for flow in ["device", "device-entry"] {
        let (_, device) = runtime.block_on(sso_post(
            &mock,
            "/device_authorization",
            json!({"clientId": device_reg["clientId"], "clientSecret": device_reg["clientSecret"],
                   "startUrl": mock.sso_start_url()}),
        ));
        let url = if flow == "device" {
            device["verificationUriComplete"]
                .as_str()
                .unwrap()
                .to_owned()
        } else {
            format!(
                "{}|{}",
                device["verificationUri"].as_str().unwrap(),
                device["userCode"].as_str().unwrap().to_ascii_lowercase()
            )
        };
        let result = sso_click(&peers, &url, "carol", "allow", flow, callback);
        assert_eq!(result["result"], "Request approved");
        let (status, token) = runtime.block_on(sso_post(
            &mock,
            "/token",
            json!({"grantType": "urn:ietf:params:oauth:grant-type:device_code",
                   "clientId": device_reg["clientId"], "clientSecret": device_reg["clientSecret"],
                   "deviceCode": device["deviceCode"]}),
        ));
        assert_eq!(status, 200, "{flow}: {token}");
    }
    let stats = mock.stats();
    assert_eq!(stats.sso_page_events("authorize_approved"), 1);
    assert_eq!(stats.sso_page_events("authorize_denied"), 1);
    assert_eq!(stats.sso_page_events("device_approved"), 2);
}
