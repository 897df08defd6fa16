//! The admin HTTP API, fault injection, the blocking handle, and the binary's start/stop contract.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use signin_mock::{BlockingMock, FaultPlan, FaultTarget, MockConfig};

async fn refresh_once(mock: &signin_mock::RunningMock) -> (u16, Option<String>, Value) {
    let http = client();
    let (login, body) = login(&http, mock.base_url(), "alice").await;
    post_token(
        &http,
        mock.base_url(),
        Some(&login.key.proof(&mock.token_url())),
        &refresh_body(body["refreshToken"].as_str().unwrap()),
    )
    .await
}

#[tokio::test]
async fn admin_api_over_http() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let base = mock.base_url();
    let (status, _, _) = refresh_once(&mock).await;
    assert_eq!(status, 200);

    let stats: Value = http
        .get(format!("{base}/__admin/stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["token"]["refresh_token"]["ok"], 1);
    assert_eq!(stats["token"]["authorization_code"]["ok"], 1);
    assert_eq!(stats["token_by_key"].as_object().unwrap().len(), 1);

    let reset = http
        .post(format!("{base}/__admin/reset-stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert_eq!(mock.stats(), signin_mock::Stats::default());

    let faults = http
        .post(format!("{base}/__admin/faults"))
        .json(&json!({"error_status": 500, "error_count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), 200);
    assert_eq!(mock.faults().error_count, 1);
    let bad = http
        .post(format!("{base}/__admin/faults"))
        .json(&json!({"error_status": 200, "error_count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let cleared = http
        .delete(format!("{base}/__admin/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    assert_eq!(mock.faults(), FaultPlan::default());

    let changed = http
        .post(format!("{base}/__admin/principals/alice/password-changed"))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let unknown = http
        .post(format!("{base}/__admin/principals/zed/password-changed"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);

    let perms: Value = http
        .post(format!("{base}/__admin/principals/alice/permissions"))
        .json(&json!({"can_create_token": false}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        perms,
        json!({"can_authorize": true, "can_create_token": false})
    );

    let auto = http
        .post(format!("{base}/__admin/auto-approve"))
        .json(&json!({"identity": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(auto.status(), 200);
    let pkce = Pkce::generate();
    let response = http
        .get(authorize_url(
            base,
            SAME_DEVICE,
            "s",
            CALLBACK,
            &pkce.challenge,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);

    let clock = http
        .post(format!("{base}/__admin/clock"))
        .json(&json!({"offset_secs": -7200}))
        .send()
        .await
        .unwrap();
    assert_eq!(clock.status(), 200);
    let identities: Value = http
        .get(format!("{base}/__admin/identities"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(identities["identities"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn fault_status_count_runs_out() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let (login, body) = login(&http, mock.base_url(), "alice").await;
    mock.set_faults(FaultPlan {
        error_status: Some(429),
        error_count: 2,
        ..FaultPlan::default()
    })
    .unwrap();
    let refresh = refresh_body(body["refreshToken"].as_str().unwrap());
    for _ in 0..2 {
        let (status, error_type, answer) = post_token(
            &http,
            mock.base_url(),
            Some(&login.key.proof(&mock.token_url())),
            &refresh,
        )
        .await;
        assert_eq!(status, 429);
        assert_eq!(error_type.as_deref(), Some("TooManyRequestsError"));
        assert_eq!(answer["error"], "INVALID_REQUEST");
    }
    let (status, _, answer) = post_token(
        &http,
        mock.base_url(),
        Some(&login.key.proof(&mock.token_url())),
        &refresh,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let stats = mock.stats();
    assert_eq!(stats.faults["status_429"], 2);
    assert_eq!(
        stats.token_outcome("refresh_token", "ok"),
        1,
        "faulted calls never reached the handler"
    );

    mock.set_faults(FaultPlan {
        error_status: Some(500),
        error_count: 1,
        ..FaultPlan::default()
    })
    .unwrap();
    let (status, error_type, answer) = post_token(
        &http,
        mock.base_url(),
        Some(&login.key.proof(&mock.token_url())),
        &refresh,
    )
    .await;
    assert_eq!(
        (status, error_type.as_deref(), answer["error"].as_str()),
        (500, Some("InternalServerException"), Some("server_error"))
    );
}

#[tokio::test]
async fn fault_drop_closes_the_connection_without_a_response() {
    let mock = start(MockConfig::default()).await;
    mock.set_faults(FaultPlan {
        drop_count: 1,
        ..FaultPlan::default()
    })
    .unwrap();
    let http = client();
    let key = DpopKey::generate();
    let result = http
        .post(mock.token_url())
        .header("content-type", "application/json")
        .header("DPoP", key.proof(&mock.token_url()))
        .body(refresh_body("ASORx").to_string())
        .send()
        .await;
    let error = result.expect_err("the connection is dropped");
    assert!(!error.is_status(), "{error}");
    // The next call is served normally.
    let (status, _, _) = post_token(
        &http,
        mock.base_url(),
        Some(&key.proof(&mock.token_url())),
        &refresh_body("ASORx"),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(mock.stats().faults["drop"], 1);
}

#[tokio::test]
async fn fault_malformed_body_and_latency_and_date() {
    let mock = start(MockConfig::default()).await;
    mock.set_faults(FaultPlan {
        malformed_count: 1,
        latency_ms: 300,
        date_offset_secs: 3600,
        ..FaultPlan::default()
    })
    .unwrap();
    let http = client();
    let key = DpopKey::generate();
    let started = Instant::now();
    let response = http
        .post(mock.token_url())
        .header("content-type", "application/json")
        .header("DPoP", key.proof(&mock.token_url()))
        .body(refresh_body("ASORx").to_string())
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "latency is added"
    );
    assert_eq!(response.status(), 200);
    let date = response.headers()["date"].to_str().unwrap().to_owned();
    let body = response.text().await.unwrap();
    assert!(
        serde_json::from_str::<Value>(&body).is_err(),
        "body must be malformed: {body}"
    );
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let served = time::PrimitiveDateTime::parse(&date, format)
        .unwrap()
        .assume_utc();
    let skew = (served - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!(
        (3590..=3610).contains(&skew),
        "Date header is an hour ahead: {date}"
    );
}

#[tokio::test]
async fn faults_respect_their_target() {
    let mock = start(MockConfig::default()).await;
    mock.set_faults(FaultPlan {
        target: FaultTarget::Sts,
        error_status: Some(500),
        error_count: 1,
        ..FaultPlan::default()
    })
    .unwrap();
    let (status, _, _) = refresh_once(&mock).await;
    assert_eq!(status, 200, "token endpoint untouched");
    let (status, xml) = sts_call(
        &client(),
        mock.base_url(),
        None,
        "Action=GetCallerIdentity&Version=2011-06-15",
        None,
    )
    .await;
    assert_eq!(status, 500);
    assert_eq!(xml_value(&xml, "Code").as_deref(), Some("InternalFailure"));
}

#[test]
fn blocking_handle_for_synchronous_tests() {
    let mock = BlockingMock::start(MockConfig {
        auto_approve: Some("alice".to_owned()),
        ..MockConfig::default()
    })
    .unwrap();
    let url = format!("{}/__admin/health", mock.base_url());
    let port = mock.port();
    assert!(port > 0);
    // A plain blocking HTTP/1.0 request, to stay independent of any async runtime.
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET /__admin/health HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.0 200"), "{url}: {answer}");
    mock.set_password_changed("alice").unwrap();
    mock.shutdown();
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "port is closed after shutdown"
    );
}

#[test]
fn binary_prints_its_url_first_and_stops_on_sigterm() {
    let dir = std::env::temp_dir().join(format!("signin-mock-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url_file = dir.join("url");
    let mut child = Command::new(env!("CARGO_BIN_EXE_signin-mock"))
        .args([
            "--port",
            "0",
            "--auto-approve",
            "alice",
            "--access-token-lifetime",
            "300",
            "--url-file",
        ])
        .arg(&url_file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let base = first.trim().to_owned();
    assert!(base.starts_with("http://127.0.0.1:"), "{first:?}");
    assert_eq!(std::fs::read_to_string(&url_file).unwrap().trim(), base);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let health = client()
            .get(format!("{base}/__admin/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), 200);
    });

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "signin-mock did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "clean exit on SIGTERM: {exit:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn binary_refuses_a_bad_config_with_a_message() {
    let output = Command::new(env!("CARGO_BIN_EXE_signin-mock"))
        .args(["--auto-approve", "nobody"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("nobody"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[tokio::test]
async fn blocking_handle_dropped_inside_a_runtime_does_not_panic() {
    let mock = BlockingMock::start(MockConfig::default()).unwrap();
    let health = client()
        .get(format!("{}/__admin/health", mock.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    drop(mock);
}

#[tokio::test]
async fn http2_prior_knowledge_clients_are_served() {
    let mock = start(MockConfig::default()).await;
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .no_proxy()
        .build()
        .unwrap();
    let key = DpopKey::generate();
    let response = h2
        .post(mock.token_url())
        .header("content-type", "application/json")
        .header("DPoP", key.proof(&mock.token_url()))
        .body(refresh_body("ASORunknown").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.version(), reqwest::Version::HTTP_2);
    let body: Value = response.json().await.unwrap();
    // Past the DPoP check (htu matched the :authority), refused for the unknown token.
    assert_eq!(body["error"], "TOKEN_EXPIRED", "{body}");
}

/// The README's config block is what `MockConfig::default()` is, so the documented defaults
/// (identities, roles, MFA device, IAM Identity Center accounts, users and lifetimes) stay true.
#[test]
fn readme_config_block_is_the_default_config() {
    let readme = include_str!("../README.md");
    let after = &readme[readme.find("Config file (every field optional").unwrap()..];
    let start = after.find("```json\n").unwrap() + "```json\n".len();
    let block = &after[start..start + after[start..].find("```").unwrap()];
    let dir = std::env::temp_dir().join(format!("signin-mock-readme-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config.json");
    std::fs::write(&path, block).unwrap();
    let parsed = MockConfig::from_file(&path).expect("the README's config parses");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        serde_json::to_value(MockConfig::default()).unwrap()
    );
}
