//! Shared pieces of the fuzz targets: splitting one input into fields, and the loopback
//! servers (the login's callback server, signin-mock) that the network targets talk to.
//!
//! Every target asserts an invariant where one exists (a round trip, a cross-check between two
//! readers), not only "no panic". The network targets run a real server on 127.0.0.1 in a
//! background runtime and send each input over a fresh TCP connection.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// Splits `data` at NUL bytes into at most `n` fields (the last one keeps any further NULs).
/// Missing fields are empty. Seeds are written in the same shape by `cargo xtask fuzz`.
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n, |b| *b == 0).collect();
    while out.len() < n {
        out.push(&[]);
    }
    out
}

/// Lossy UTF-8, as every reader of these files does on disk (`String::from_utf8_lossy`).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Sends `request` over a new connection to `addr`, half-closes, and reads the whole answer
/// (the servers under test close the connection after one response). Returns `None` when the
/// server closed without a byte, which is a legitimate answer to garbage. The half-close lets
/// incomplete requests end at once; hyper answers a half-closed connection by closing it, even
/// with a response on the way, so complete requests go through [`exchange_framed`].
pub fn exchange(addr: SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    send(addr, request, true)
}

/// [`exchange`] for a complete request with `Connection: close`: no half-close, the server
/// ends the connection after its answer.
pub fn exchange_framed(addr: SocketAddr, request: &[u8]) -> Option<Vec<u8>> {
    send(addr, request, false)
}

fn send(addr: SocketAddr, request: &[u8], half_close: bool) -> Option<Vec<u8>> {
    let mut stream = TcpStream::connect(addr).expect("the server under test stopped listening");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set_read_timeout");
    // A server may answer and close before reading everything (431, 405): a reset then is fine.
    let _ = stream.write_all(request);
    if half_close {
        let _ = stream.shutdown(Shutdown::Write);
    }
    let mut answer = Vec::new();
    match stream.read_to_end(&mut answer) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e)
            if e.kind() == std::io::ErrorKind::WouldBlock
                || e.kind() == std::io::ErrorKind::TimedOut =>
        {
            panic!("the server under test neither answered nor closed within 30 s")
        }
        Err(e) => panic!("reading the answer: {e}"),
    }
    (!answer.is_empty()).then_some(answer)
}

/// The status code of an HTTP/1.x response, checking that the status line is well formed.
pub fn status_of(answer: &[u8]) -> u16 {
    let line_end = answer
        .windows(2)
        .position(|w| w == b"\r\n")
        .unwrap_or_else(|| panic!("no status line in {:?}", String::from_utf8_lossy(answer)));
    let line = std::str::from_utf8(&answer[..line_end]).expect("status line is not UTF-8");
    let mut parts = line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    assert!(version.starts_with("HTTP/1."), "bad status line {line:?}");
    parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {line:?}"))
}

/// Everything after the head of an HTTP response.
pub fn body_of(answer: &[u8]) -> &[u8] {
    answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(&[][..], |at| &answer[at + 4..])
}

/// A runtime on its own threads for the servers under test.
pub fn background_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
