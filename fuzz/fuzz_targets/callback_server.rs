//! The same-device login's loopback callback server, fed raw bytes over a real TCP connection
//! (the server's request-head reader and router are private; this is their one public seam, and
//! it also covers the connection handling around them).
//!
//! Invariants: every answer is a complete HTTP/1.1 response with one of the server's statuses,
//! `Connection: close` and a `Content-Length` that matches the body; a GET of `/oauth/callback`
//! with a complete head reaches the login (the judge) with exactly its query and nothing else
//! does; the server keeps accepting.
#![no_main]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use aws_login_fuzz::{background_runtime, body_of, exchange, status_of};
use libfuzzer_sys::fuzz_target;
use login_io::callback::{CallbackPage, CallbackServer, CallbackVerdict};

struct Harness {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<String>>>,
    _runtime: tokio::runtime::Runtime,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = background_runtime();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut server = runtime
            .block_on(CallbackServer::bind(None))
            .expect("bind the callback server");
        let addr = SocketAddr::from(([127, 0, 0, 1], server.port()));
        let judged = Arc::clone(&seen);
        runtime.spawn(async move {
            // Never accepts: every callback is judged, recorded and answered with a 400 page.
            let ((), _) = server
                .next_callback(|query| {
                    judged.lock().expect("judge lock").push(query.to_owned());
                    CallbackVerdict::<()>::Reject(CallbackPage::failure("fuzz", "rejected"))
                })
                .await;
        });
        Harness {
            addr,
            seen,
            _runtime: runtime,
        }
    })
}

/// What a request should come to, computed independently of the server.
enum Expected {
    /// A complete `GET /oauth/callback…` head: the login sees this query.
    Callback(String),
    /// Anything else: the login sees nothing.
    Nothing,
    /// A head that ends right around the 16 KiB limit: whether it fits depends on how the
    /// kernel splits the stream into reads, so either outcome is right.
    EitherWay,
}

fn expected(data: &[u8]) -> Expected {
    const LIMIT: usize = 16 * 1024;
    let Some(end) = data
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .into_iter()
        .chain(data.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))
        .min()
    else {
        return Expected::Nothing;
    };
    if end > LIMIT + 8 * 1024 {
        return Expected::Nothing;
    }
    let query = callback_query(&data[..end]);
    match query {
        Some(_) if end > LIMIT - 8 => Expected::EitherWay,
        Some(q) => Expected::Callback(q),
        None => Expected::Nothing,
    }
}

fn callback_query(data: &[u8]) -> Option<String> {
    let head = String::from_utf8_lossy(data);
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    if method != "GET" || !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return None;
    }
    let target = match target.strip_prefix("http://") {
        Some(rest) => rest.find('/').map_or("/", |slash| &rest[slash..]),
        None => target,
    };
    let target = target.split('#').next()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    (path == "/oauth/callback").then(|| query.to_owned())
}

fuzz_target!(|data: &[u8]| {
    let h = harness();
    h.seen.lock().expect("judge lock").clear();
    let answer = exchange(h.addr, data);
    let seen: Vec<String> = std::mem::take(&mut *h.seen.lock().expect("judge lock"));
    match expected(data) {
        Expected::Callback(query) => {
            assert_eq!(
                seen,
                vec![query],
                "the login did not get exactly this callback"
            );
            let answer = answer.as_deref().expect("a judged callback is answered");
            assert_eq!(status_of(answer), 400, "the judge's page");
        }
        Expected::Nothing => {
            assert!(
                seen.is_empty(),
                "a request that is no callback reached the login: {seen:?}"
            )
        }
        Expected::EitherWay => assert!(seen.len() <= 1),
    }
    if let Some(answer) = answer {
        let status = status_of(&answer);
        assert!(matches!(status, 400 | 404 | 405 | 431), "status {status}");
        let head_end = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("complete head");
        let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
        assert!(head.contains("\r\nconnection: close"));
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .and_then(|v| v.trim().parse().ok())
            .expect("content-length");
        let body = body_of(&answer);
        // A HEAD answer has the length of the page it leaves out.
        assert!(
            body.is_empty() || body.len() == length,
            "content-length {length} but body {}",
            body.len()
        );
    }
});
