//! signin-mock's token endpoint with well-formed HTTP around fuzzed parts, so inputs get past
//! hyper into the JSON body and DPoP checks: `POST /v1/token` with a fuzzed body, and a DPoP
//! header that is either a valid proof by the session's key, a valid proof by another key, or
//! fuzzed bytes. A real login (code grant through the mock's auto-approved authorize endpoint)
//! runs once at start; `@RT@`, `@CODE@`, `@CID@` and `@VERIFIER@` in the body stand for its
//! refresh token, a spent code, the same-device client id and its code verifier.
//!
//! Input: `BODY \0 MODE \0 DPOP`. Invariants: the answer is 200 with a token response that
//! login-core parses, or 400/401/403 with a JSON `error` that login-core classifies; never 5xx;
//! a 200 only ever for a proof signed by the session's key.
#![no_main]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use aws_login_fuzz::{
    background_runtime, body_of, exchange_framed as exchange, fields, status_of, text,
};
use libfuzzer_sys::fuzz_target;
use login_core::{
    parse_token_response, CodeVerifier, DpopKey, Endpoint, HttpResponse, LoginFlow, LoginMode,
    LoginParams, CLIENT_ID_SAME_DEVICE,
};
use signin_mock::{MockConfig, MockServer, RunningMock};

const VERIFIER: &str = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz";

struct Harness {
    addr: SocketAddr,
    host: String,
    key: DpopKey,
    other_key: DpopKey,
    refresh_token: String,
    code: String,
    _mock: RunningMock,
    _runtime: tokio::runtime::Runtime,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn jti() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(
        "fuzz-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

fn request(
    host: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn response(answer: &[u8]) -> HttpResponse {
    HttpResponse::new(status_of(answer), Vec::new(), body_of(answer).to_vec())
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = background_runtime();
        let config = MockConfig {
            auto_approve: Some("alice".into()),
            // A used refresh token keeps answering the same for the whole run.
            refresh_grace_secs: 10 * 365 * 86_400,
            ..Default::default()
        };
        let mock = runtime
            .block_on(MockServer::start(config))
            .expect("start signin-mock");
        let addr: SocketAddr = ([127, 0, 0, 1], mock.port()).into();
        let host = format!("127.0.0.1:{}", mock.port());
        let key = DpopKey::from_scalar_bytes(&[7u8; 32]).expect("fixed key");
        let other_key = DpopKey::from_scalar_bytes(&[9u8; 32]).expect("fixed key");
        let flow = LoginFlow::with_parts(
            LoginParams {
                endpoint: Endpoint::from_override(mock.base_url()).expect("mock endpoint"),
                region: None,
                mode: LoginMode::SameDevice {
                    redirect_port: 4242,
                },
            },
            CodeVerifier::new(VERIFIER).expect("verifier"),
            "0f3c2c1e-8d4b-4c2a-9a57-0d9f2b1e6a11".into(),
            key.clone(),
        );
        let target = flow
            .authorize_url()
            .trim_start_matches(mock.base_url())
            .to_owned();
        let redirect =
            exchange(addr, &request(&host, "GET", &target, &[], b"")).expect("authorize answers");
        assert_eq!(
            status_of(&redirect),
            302,
            "{}",
            String::from_utf8_lossy(&redirect)
        );
        let head = String::from_utf8_lossy(&redirect).into_owned();
        let location = head
            .lines()
            .find_map(|l| {
                l.strip_prefix("location: ")
                    .or_else(|| l.strip_prefix("Location: "))
            })
            .expect("Location")
            .trim()
            .to_owned();
        let exchange_step = flow.on_callback(&location).expect("callback");
        let code = location
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("code="))
            .expect("code")
            .to_owned();
        let token = exchange_step.request(now(), &jti());
        let headers: Vec<(&str, &str)> = token
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let answer = exchange(
            addr,
            &request(&host, "POST", "/v1/token", &headers, &token.body),
        )
        .expect("token answers");
        let logged_in = exchange_step
            .on_response(&response(&answer), login_core::OffsetDateTime::now_utc())
            .expect("login");
        Harness {
            addr,
            host,
            key,
            other_key,
            refresh_token: logged_in.entry.refresh_token.expose().to_owned(),
            code,
            _mock: mock,
            _runtime: runtime,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let h = harness();
    let f = fields(data, 3);
    let body = text(f[0])
        .replace("@RT@", &h.refresh_token)
        .replace("@CODE@", &h.code)
        .replace("@CID@", CLIENT_ID_SAME_DEVICE)
        .replace("@VERIFIER@", VERIFIER);
    let htu = format!("http://{}/v1/token", h.host);
    let mode = f[1].first().copied().unwrap_or(0) % 3;
    let dpop = match mode {
        0 => h.key.proof("POST", &htu, now(), &jti()).into_string(),
        1 => h.other_key.proof("POST", &htu, now(), &jti()).into_string(),
        // Only bytes a header value may hold (tab, space, visible, non-ASCII): anything else
        // is refused by hyper before the mock sees the request.
        _ => text(f[2])
            .chars()
            .filter(|&c| c == '\t' || (c >= ' ' && c != '\x7f'))
            .collect(),
    };
    let headers = [
        ("Content-Type", "application/json"),
        ("DPoP", dpop.as_str()),
    ];
    let Some(answer) = exchange(
        h.addr,
        &request(&h.host, "POST", "/v1/token", &headers, body.as_bytes()),
    ) else {
        panic!("the token endpoint closed without an answer");
    };
    let status = status_of(&answer);
    let parsed = parse_token_response(&response(&answer));
    match status {
        200 => {
            assert_eq!(mode, 0, "a 200 for a proof not signed by the session's key");
            parsed.expect("a 200 from the mock is a token response login-core reads");
        }
        400 | 401 | 403 => {
            let error = parsed.expect_err("an error status parses as an error");
            assert!(
                error.code().is_some(),
                "no error code in {}",
                String::from_utf8_lossy(&answer)
            );
        }
        other => panic!("status {other}:\n{}", String::from_utf8_lossy(&answer)),
    }
});
