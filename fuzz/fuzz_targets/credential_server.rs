//! The credential server of `aws-login exec` / `serve`, fed raw bytes over a real TCP
//! connection. It serves a login profile whose cached session is valid for decades, so every
//! authorised request can be answered without a network call. `@TOKEN@` in the input stands for
//! the server's authorization token, so the fuzzer reaches the paths behind the checks too.
//!
//! Invariants: every answer is a well-formed HTTP/1.1 status line with one of the server's
//! statuses; a 200 is only ever the credentials, and only for a request that carried the token
//! and asked for the credentials path; no other answer holds a credential or the token; the
//! server keeps accepting.
#![no_main]

use std::net::SocketAddr;
use std::sync::OnceLock;

use aws_login_fuzz::{background_runtime, body_of, exchange, exchange_framed, status_of};
use libfuzzer_sys::fuzz_target;
use login_io::credential_server::{CredentialServer, CredentialServerConfig, CREDENTIALS_PATH};
use login_io::{Environment, ResolveOptions};

const SESSION_ARN: &str = "arn:aws:sts::012345678910:assumed-role/Admin/admin";
const CACHE_FIXTURE: &str = include_str!(
    "../../fixtures/cache/4b0ba8f99f075c0633e122fd73346ce203a3faf18ea0310eb2d29df1bab2e255.json"
);
const ACCESS_KEY_ID: &str = "ASIAFIXTUREOLD00001";
const SECRETS: [&str; 2] = ["fixtureSecretOld/+1", "fixtureSessionTokenOld=="];

struct Harness {
    addr: SocketAddr,
    token: String,
    _server: CredentialServer,
    _home: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let home = tempfile::tempdir().expect("temp dir");
        let cache_dir = home.path().join(".aws/login/cache");
        std::fs::create_dir_all(&cache_dir).expect("cache dir");
        std::fs::write(
            cache_dir.join(login_core::cache_file_name(SESSION_ARN)),
            CACHE_FIXTURE.replace("2025-12-05T10:51:31Z", "2099-12-05T10:51:31Z"),
        )
        .expect("cache file");
        let config_file = home.path().join(".aws/config");
        std::fs::write(
            &config_file,
            format!("[default]\nlogin_session = {SESSION_ARN}\nregion = us-east-1\n"),
        )
        .expect("config file");
        let options = ResolveOptions {
            profile: Some("default".into()),
            config_file: Some(config_file),
            cache_dir: Some(cache_dir),
            env: Some(Environment::from_pairs([(
                "HOME",
                home.path().display().to_string(),
            )])),
            ..Default::default()
        };
        let runtime = background_runtime();
        let mut config = CredentialServerConfig::new(options);
        config.header_timeout = std::time::Duration::from_secs(2);
        let server = runtime
            .block_on(CredentialServer::start(config, None))
            .expect("start the credential server");
        let addr = server.address();
        let token = server.authorization_token().expose().to_owned();
        // The first answer comes from a resolution in a task of its own, which hyper drops on a
        // half-closed connection; later ones are answered from memory, half-closed or not.
        let request = authorised_request(&token);
        for answer in [exchange_framed(addr, &request), exchange(addr, &request)] {
            let answer = answer.expect("the credential server answers");
            assert_eq!(
                status_of(&answer),
                200,
                "{}",
                String::from_utf8_lossy(&answer)
            );
        }
        Harness {
            addr,
            token,
            _server: server,
            _home: home,
            _runtime: runtime,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let h = harness();
    let request = replace(data, b"@TOKEN@", h.token.as_bytes());
    let Some(answer) = exchange(h.addr, &request) else {
        return; // closed without an answer: an incomplete or unreadable head
    };
    let answer = first_response(&answer);
    let status = status_of(answer);
    assert!(
        // No 5xx: the session is valid for decades, so a resolution cannot fail.
        [200, 400, 401, 403, 404, 405, 408, 413, 431].contains(&status),
        "unexpected status {status}:\n{}",
        String::from_utf8_lossy(&answer)
    );
    let text = String::from_utf8_lossy(answer);
    if status == 200 {
        let head_end = request
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(request.len());
        let head = &request[..head_end];
        assert!(
            contains(head, h.token.as_bytes()),
            "200 for a request without the token"
        );
        assert!(
            contains(head, CREDENTIALS_PATH.as_bytes()),
            "200 for another path"
        );
        let body: serde_json::Value =
            serde_json::from_slice(body_of(answer)).expect("a 200 body is JSON");
        assert_eq!(body["AccessKeyId"], ACCESS_KEY_ID);
        assert_eq!(body["SecretAccessKey"], SECRETS[0]);
    } else {
        for secret in SECRETS.iter().copied().chain([h.token.as_str()]) {
            assert!(!text.contains(secret), "a {status} answer holds a secret");
        }
    }
});

fn authorised_request(token: &str) -> Vec<u8> {
    format!(
        "GET {CREDENTIALS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

/// The first response alone: bytes after a complete request are read as a further request on
/// the same connection, and its answer follows. Every answer of the server has a
/// `Content-Length`; hyper's own 4xx for an unreadable head may have none, and ends the
/// connection.
fn first_response(answer: &[u8]) -> &[u8] {
    let body = body_of(answer);
    let head_len = answer.len() - body.len();
    let head = String::from_utf8_lossy(&answer[..head_len]).to_ascii_lowercase();
    match head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        Some(length) => &answer[..head_len + length.min(body.len())],
        None => answer,
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn replace(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + to.len());
    let mut rest = data;
    while let Some(at) = rest.windows(from.len()).position(|w| w == from) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(to);
        rest = &rest[at + from.len()..];
    }
    out.extend_from_slice(rest);
    out
}
