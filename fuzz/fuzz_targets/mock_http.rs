//! signin-mock's HTTP front door fed raw bytes over TCP: hyper's parser, axum's routing and
//! every public endpoint's request parsing (authorize query, confirmation, token JSON + DPoP,
//! STS form + SigV4). The mock's parsers are private modules; its public library API
//! (`MockServer::start`) and a socket are the seam.
//!
//! The admin API (`/__admin`) is left out: it is the test's own control channel, and a fuzzed
//! `latency_ms` or clock offset would only slow the fuzzer down.
//!
//! Invariants: the server answers with a well-formed status line or closes; with no fault
//! planned it never answers 5xx (a 5xx from a mock without faults is a bug in the mock); it keeps
//! serving.
#![no_main]

use std::sync::OnceLock;

use aws_login_fuzz::{background_runtime, exchange, status_of};
use libfuzzer_sys::fuzz_target;
use signin_mock::{MockConfig, MockServer, RunningMock};

struct Harness {
    mock: RunningMock,
    _runtime: tokio::runtime::Runtime,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = background_runtime();
        let config = MockConfig {
            auto_approve: Some("alice".into()),
            ..Default::default()
        };
        let mock = runtime
            .block_on(MockServer::start(config))
            .expect("start signin-mock");
        Harness {
            mock,
            _runtime: runtime,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let lower = String::from_utf8_lossy(data).to_ascii_lowercase();
    if lower.contains("admin") || lower.contains("%5f") {
        return;
    }
    let h = harness();
    let addr = ([127, 0, 0, 1], h.mock.port()).into();
    if let Some(answer) = exchange(addr, data) {
        // HTTP/2 answers (a client preface) are binary frames, not a status line.
        if !answer.starts_with(b"HTTP/") {
            return;
        }
        let status = status_of(&answer);
        assert!(
            status < 500,
            "signin-mock answered {status} without a fault:\n{}",
            String::from_utf8_lossy(&answer)
        );
    }
});
