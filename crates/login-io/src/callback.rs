//! The loopback callback server of the same-device login.
//!
//! It listens on 127.0.0.1 only (never on other interfaces), answers exactly one path,
//! `/oauth/callback`, and hands each callback's query string to the caller, who decides whether it
//! completes the login (right `state`) or is turned away (wrong `state`). Everything else — other
//! paths such as `/favicon.ico`, other methods, oversized or endlessly slow requests — is answered
//! or dropped by a task of its own, so no client can hold up the one the login is waiting for.
//!
//! The server never interprets the query itself: parsing and the `state` check belong to
//! `login-core`. It never logs a query, since it carries the authorization code.

use std::fmt::Write as _;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

/// The one path the server answers with something other than "not found".
pub const CALLBACK_PATH: &str = "/oauth/callback";

/// A request head larger than this is refused (431); real callbacks are well under 2 KiB.
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// A client that has not sent its whole request head by then is dropped (shorter in unit tests,
/// which wait it out).
const REQUEST_HEAD_DEADLINE: Duration = Duration::from_secs(if cfg!(test) { 1 } else { 10 });
/// Writing a response page must not take longer than this.
const RESPONSE_DEADLINE: Duration = Duration::from_secs(5);
/// Connections served at once; further ones are closed right away until a slot frees up.
const MAX_CONNECTIONS: usize = 64;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackServerError {
    #[error(
        "port {port} on 127.0.0.1 is already in use by another program; choose another with \
         --redirect-port, or leave it out to use a free port"
    )]
    PortInUse { port: u16 },
    #[error("not allowed to listen on 127.0.0.1:{port} ({source}); choose a port above 1023 with --redirect-port")]
    PortNotPermitted { port: u16, source: io::Error },
    #[error("could not listen on 127.0.0.1:{port} for the browser's callback: {source}")]
    Bind { port: u16, source: io::Error },
}

/// What the caller makes of one callback request.
#[derive(Debug)]
pub enum CallbackVerdict<T> {
    /// The callback belongs to this login: stop waiting and hand `T` to the caller, together with
    /// a [`CallbackReply`] to answer the browser once the outcome is known.
    Accept(T),
    /// Not this login's callback (for example a wrong `state`): answer it with the page and keep
    /// waiting for the right one.
    Reject(CallbackPage),
}

/// An HTML page shown to the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackPage {
    status: u16,
    headline: String,
    detail: String,
    succeeded: bool,
}

impl CallbackPage {
    /// The page for a completed login.
    pub fn success(detail: impl Into<String>) -> Self {
        CallbackPage {
            status: 200,
            headline: "You are signed in".into(),
            detail: detail.into(),
            succeeded: true,
        }
    }

    /// A page saying what went wrong; `detail` should tell the person what to do next.
    pub fn failure(headline: impl Into<String>, detail: impl Into<String>) -> Self {
        CallbackPage {
            status: 400,
            headline: headline.into(),
            detail: detail.into(),
            succeeded: false,
        }
    }

    fn not_found() -> Self {
        CallbackPage {
            status: 404,
            headline: "Not found".into(),
            detail: format!("This local address only receives the aws-login sign-in callback at {CALLBACK_PATH}."),
            succeeded: false,
        }
    }

    fn method_not_allowed() -> Self {
        CallbackPage {
            status: 405,
            headline: "Method not allowed".into(),
            detail: "The aws-login sign-in callback only accepts GET requests.".into(),
            succeeded: false,
        }
    }

    fn too_large() -> Self {
        CallbackPage {
            status: 431,
            headline: "Request too large".into(),
            detail: "The request sent to the aws-login callback was too large and was ignored."
                .into(),
            succeeded: false,
        }
    }

    fn bad_request() -> Self {
        CallbackPage {
            status: 400,
            headline: "Bad request".into(),
            detail: "The request sent to the aws-login callback could not be read and was ignored."
                .into(),
            succeeded: false,
        }
    }

    fn abandoned() -> Self {
        CallbackPage::failure(
            "The login did not finish",
            "aws-login stopped before it could complete this sign-in. Return to the terminal for details.",
        )
    }

    pub fn status(&self) -> u16 {
        self.status
    }

    /// The page's HTML document.
    pub fn html(&self) -> String {
        let (accent, mark) = if self.succeeded {
            ("#1d8102", "&#10003;")
        } else {
            ("#d13212", "!")
        };
        let mut html = String::with_capacity(1024);
        let _ = write!(
            html,
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>aws-login: {title}</title>\
             <style>body{{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;background:#f2f3f3;color:#16191f;\
             display:flex;min-height:100vh;margin:0;align-items:center;justify-content:center}}\
             main{{background:#fff;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.2);padding:2rem 2.5rem;max-width:34rem}}\
             .mark{{display:inline-block;width:2rem;height:2rem;border-radius:50%;background:{accent};color:#fff;\
             text-align:center;line-height:2rem;font-weight:bold;margin-right:.6rem}}\
             h1{{font-size:1.3rem;display:flex;align-items:center}}p{{line-height:1.5}}small{{color:#5f6b7a}}</style>\
             </head><body><main id=\"{id}\"><h1><span class=\"mark\">{mark}</span>{title}</h1><p id=\"detail\">{detail}</p>\
             <p><small>aws-login</small></p></main></body></html>\n",
            title = escape_html(&self.headline),
            detail = escape_html(&self.detail),
            id = if self.succeeded { "login-succeeded" } else { "login-failed" },
        );
        html
    }

    fn http_response(&self, head_only: bool) -> Vec<u8> {
        let body = self.html();
        let reason = match self.status {
            200 => "OK",
            400 => "Bad Request",
            404 => "Not Found",
            405 => "Method Not Allowed",
            431 => "Request Header Fields Too Large",
            _ => "Error",
        };
        let mut response = format!(
            "HTTP/1.1 {status} {reason}\r\n\
             Content-Type: text/html; charset=utf-8\r\n\
             Content-Length: {length}\r\n\
             Cache-Control: no-store\r\n\
             Referrer-Policy: no-referrer\r\n\
             X-Content-Type-Options: nosniff\r\n\
             Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
             Connection: close\r\n\r\n",
            status = self.status,
            length = body.len(),
        )
        .into_bytes();
        if !head_only {
            response.extend_from_slice(body.as_bytes());
        }
        response
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The browser's connection for an accepted callback, held open until the caller knows whether
/// the login worked, so that the page the person sees tells the truth.
#[derive(Debug)]
pub struct CallbackReply {
    stream: Option<TcpStream>,
}

impl CallbackReply {
    /// Answers the browser with `page` and closes the connection. A browser that went away is not
    /// an error worth reporting: the terminal has the outcome too.
    pub async fn send(mut self, page: &CallbackPage) {
        if let Some(stream) = self.stream.take() {
            write_page(stream, page, false).await;
        }
    }
}

impl Drop for CallbackReply {
    fn drop(&mut self) {
        // Dropped without an answer (an error path): tell the browser instead of resetting it.
        if let Some(stream) = self.stream.take() {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(write_response(
                    stream,
                    CallbackPage::abandoned().http_response(false),
                ));
            }
        }
    }
}

async fn write_page(stream: TcpStream, page: &CallbackPage, head_only: bool) {
    write_response(stream, page.http_response(head_only)).await;
}

async fn write_response(mut stream: TcpStream, response: Vec<u8>) {
    let _ = tokio::time::timeout(RESPONSE_DEADLINE, async {
        stream.write_all(&response).await?;
        stream.flush().await?;
        stream.shutdown().await
    })
    .await;
}

/// A callback request that reached [`CALLBACK_PATH`]: its raw query and its open connection.
struct ArrivedCallback {
    query: String,
    stream: TcpStream,
}

/// The loopback HTTP server that receives the browser's redirect after sign-in.
#[derive(Debug)]
pub struct CallbackServer {
    listener: TcpListener,
    port: u16,
    connections: JoinSet<()>,
    slots: Arc<Semaphore>,
}

impl CallbackServer {
    /// Listens on `127.0.0.1:port`, or on a free port chosen by the system when `port` is `None`.
    pub async fn bind(port: Option<u16>) -> Result<Self, CallbackServerError> {
        let wanted = port.unwrap_or(0);
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, wanted)))
            .await
            .map_err(|source| match source.kind() {
                io::ErrorKind::AddrInUse => CallbackServerError::PortInUse { port: wanted },
                io::ErrorKind::PermissionDenied => CallbackServerError::PortNotPermitted {
                    port: wanted,
                    source,
                },
                _ => CallbackServerError::Bind {
                    port: wanted,
                    source,
                },
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| CallbackServerError::Bind {
                port: wanted,
                source,
            })?
            .port();
        Ok(CallbackServer {
            listener,
            port,
            connections: JoinSet::new(),
            slots: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `redirect_uri` of the authorization request: `http://127.0.0.1:{port}/oauth/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}{CALLBACK_PATH}", self.port)
    }

    /// Serves requests until `judge` accepts a callback; returns its value and the reply handle.
    ///
    /// `judge` sees the raw query string (without `?`) of each request to [`CALLBACK_PATH`].
    /// This never returns on its own otherwise: the caller bounds it with a timeout and Ctrl-C.
    pub async fn next_callback<T>(
        &mut self,
        mut judge: impl FnMut(&str) -> CallbackVerdict<T>,
    ) -> (T, CallbackReply) {
        let (arrived_tx, mut arrived_rx) = mpsc::channel::<ArrivedCallback>(MAX_CONNECTIONS);
        loop {
            while self.connections.try_join_next().is_some() {}
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _peer)) => {
                        // No free slot: close at once rather than let a flood queue up.
                        let Ok(slot) = Arc::clone(&self.slots).try_acquire_owned() else { continue };
                        let arrived_tx = arrived_tx.clone();
                        self.connections.spawn(async move {
                            serve_connection(stream, arrived_tx).await;
                            drop(slot);
                        });
                    }
                    // Out of file descriptors and the like: back off briefly instead of spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                },
                Some(callback) = arrived_rx.recv() => match judge(&callback.query) {
                    CallbackVerdict::Accept(value) => {
                        return (value, CallbackReply { stream: Some(callback.stream) });
                    }
                    CallbackVerdict::Reject(page) => {
                        self.connections.spawn(write_response(callback.stream, page.http_response(false)));
                    }
                },
            }
        }
    }
}

/// Reads one request head and either answers it here or forwards a callback to the waiter.
async fn serve_connection(mut stream: TcpStream, arrived: mpsc::Sender<ArrivedCallback>) {
    let head =
        match tokio::time::timeout(REQUEST_HEAD_DEADLINE, read_request_head(&mut stream)).await {
            Ok(Ok(head)) => head,
            Ok(Err(HeadError::TooLarge)) => {
                return write_page(stream, &CallbackPage::too_large(), false).await
            }
            Ok(Err(HeadError::Closed)) | Err(_) => return,
        };
    match parse_request_line(&head) {
        Some(RequestLine {
            method: "GET",
            path,
            query,
        }) if path == CALLBACK_PATH => {
            let query = query.to_owned();
            // The waiter is gone only when the login has already finished.
            let _ = arrived.send(ArrivedCallback { query, stream }).await;
        }
        Some(RequestLine { method: "GET", .. }) => {
            write_page(stream, &CallbackPage::not_found(), false).await
        }
        Some(RequestLine {
            method: "HEAD",
            path,
            ..
        }) => {
            let page = if path == CALLBACK_PATH {
                CallbackPage::method_not_allowed()
            } else {
                CallbackPage::not_found()
            };
            write_page(stream, &page, true).await;
        }
        Some(_) => write_page(stream, &CallbackPage::method_not_allowed(), false).await,
        None => write_page(stream, &CallbackPage::bad_request(), false).await,
    }
}

#[derive(Debug, PartialEq, Eq)]
enum HeadError {
    TooLarge,
    Closed,
}

/// Reads up to the blank line that ends the request head. Only the head matters: the callback is
/// a GET, and anything else is refused without reading a body.
async fn read_request_head(stream: &mut TcpStream) -> Result<String, HeadError> {
    let mut head = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    loop {
        let read = stream
            .read(&mut chunk)
            .await
            .map_err(|_| HeadError::Closed)?;
        if read == 0 {
            return Err(HeadError::Closed);
        }
        // Only the bytes that could complete the terminator need re-scanning.
        let scan_from = head.len().saturating_sub(3);
        head.extend_from_slice(&chunk[..read]);
        if let Some(end) = find_head_end(&head[scan_from..]) {
            head.truncate(scan_from + end);
            return Ok(String::from_utf8_lossy(&head).into_owned());
        }
        if head.len() > MAX_REQUEST_HEAD {
            return Err(HeadError::TooLarge);
        }
    }
}

fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| bytes.windows(2).position(|w| w == b"\n\n"))
}

#[derive(Debug, PartialEq, Eq)]
struct RequestLine<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
}

/// Splits `GET /oauth/callback?code=…&state=… HTTP/1.1` into its parts; also accepts the
/// absolute form `GET http://127.0.0.1:port/oauth/callback?… HTTP/1.1`.
fn parse_request_line(head: &str) -> Option<RequestLine<'_>> {
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let method = parts
        .next()
        .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()))?;
    let mut target = parts.next().filter(|t| !t.is_empty())?;
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return None;
    }
    if let Some(rest) = target.strip_prefix("http://") {
        target = rest.find('/').map_or("/", |slash| &rest[slash..]);
    }
    if !target.starts_with('/') {
        return None;
    }
    let target = target.split('#').next().unwrap_or(target);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some(RequestLine {
        method,
        path,
        query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncBufReadExt;

    #[test]
    fn request_lines_split_into_method_path_and_query() {
        assert_eq!(
            parse_request_line("GET /oauth/callback?code=abc&state=xyz HTTP/1.1\r\nHost: x\r\n"),
            Some(RequestLine {
                method: "GET",
                path: "/oauth/callback",
                query: "code=abc&state=xyz"
            })
        );
        assert_eq!(
            parse_request_line("GET http://127.0.0.1:4000/oauth/callback?a=b HTTP/1.1"),
            Some(RequestLine {
                method: "GET",
                path: "/oauth/callback",
                query: "a=b"
            })
        );
        assert_eq!(
            parse_request_line("GET /favicon.ico HTTP/1.1"),
            Some(RequestLine {
                method: "GET",
                path: "/favicon.ico",
                query: ""
            })
        );
        assert_eq!(
            parse_request_line("GET /x#frag HTTP/1.0").map(|l| l.path),
            Some("/x")
        );
        for garbage in [
            "",
            "GET",
            "GET /x",
            "get /x HTTP/1.1",
            "GET x HTTP/1.1",
            "GET /x HTTP/2",
            "GET  /x HTTP/1.1",
            "\u{0}\u{1}",
        ] {
            assert_eq!(parse_request_line(garbage), None, "{garbage:?}");
        }
    }

    #[test]
    fn pages_escape_what_they_show() {
        let page = CallbackPage::failure("Sign-in <denied>", "state \"x\" & 'y'");
        let html = page.html();
        assert!(html.contains("Sign-in &lt;denied&gt;"));
        assert!(html.contains("state &quot;x&quot; &amp; &#39;y&#39;"));
        assert!(!html.contains("<denied>"));
        assert!(html.contains("id=\"login-failed\""));
        assert!(CallbackPage::success("You can close this tab.")
            .html()
            .contains("id=\"login-succeeded\""));
    }

    async fn request(port: u16, raw: &[u8]) -> (u16, String) {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .await
            .unwrap();
        stream.write_all(raw).await.unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response).await;
        let response = String::from_utf8_lossy(&response).into_owned();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, response)
    }

    fn get(path_and_query: &str) -> Vec<u8> {
        format!("GET {path_and_query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").into_bytes()
    }

    /// Accepts `state=good`, rejects every other callback, like the login driver does.
    fn judge(query: &str) -> CallbackVerdict<String> {
        if query.split('&').any(|pair| pair == "state=good") {
            CallbackVerdict::Accept(query.to_owned())
        } else {
            CallbackVerdict::Reject(CallbackPage::failure("Wrong state", "ignored"))
        }
    }

    #[tokio::test]
    async fn listens_on_loopback_only_with_the_callback_redirect_uri() {
        let server = CallbackServer::bind(None).await.unwrap();
        assert_eq!(
            server.listener.local_addr().unwrap().ip(),
            Ipv4Addr::LOCALHOST
        );
        assert_ne!(server.port(), 0);
        assert_eq!(
            server.redirect_uri(),
            format!("http://127.0.0.1:{}/oauth/callback", server.port())
        );
    }

    #[tokio::test]
    async fn a_fixed_port_that_is_taken_is_reported_as_in_use() {
        let first = CallbackServer::bind(None).await.unwrap();
        let err = CallbackServer::bind(Some(first.port())).await.unwrap_err();
        assert!(
            matches!(err, CallbackServerError::PortInUse { port } if port == first.port()),
            "{err:?}"
        );
        assert!(err.to_string().contains("--redirect-port"));
    }

    #[tokio::test]
    async fn hostile_and_stray_requests_never_complete_the_wait() {
        let mut server = CallbackServer::bind(None).await.unwrap();
        let port = server.port();
        let client = tokio::spawn(async move {
            // A silent connection and a slowloris that trickles bytes: neither may block the rest.
            let _silent = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .await
                .unwrap();
            let mut slow = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .await
                .unwrap();
            slow.write_all(b"GET /oauth/callback?state=good&code=slow")
                .await
                .unwrap();

            let mut seen = Vec::new();
            seen.push(request(port, &get("/favicon.ico")).await.0);
            seen.push(request(port, &get("/")).await.0);
            seen.push(request(port, &get("/oauth/callbackX?state=good")).await.0);
            seen.push(
                request(
                    port,
                    b"POST /oauth/callback?state=good HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
                )
                .await
                .0,
            );
            seen.push(
                request(port, b"HEAD /oauth/callback?state=good HTTP/1.1\r\n\r\n")
                    .await
                    .0,
            );
            seen.push(
                request(
                    port,
                    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
                )
                .await
                .0,
            );
            let mut huge = b"GET /oauth/callback?state=good HTTP/1.1\r\nX-Fill: ".to_vec();
            huge.extend(std::iter::repeat_n(b'a', 64 * 1024));
            huge.extend_from_slice(b"\r\n\r\n");
            seen.push(request(port, &huge).await.0);
            let (wrong_status, wrong_body) =
                request(port, &get("/oauth/callback?code=c&state=evil")).await;
            seen.push(wrong_status);
            assert!(wrong_body.contains("Wrong state"));
            // Finally the real browser.
            let (status, body) = request(port, &get("/oauth/callback?code=real&state=good")).await;
            (seen, status, body, slow)
        });
        let (query, reply) =
            tokio::time::timeout(Duration::from_secs(10), server.next_callback(judge))
                .await
                .expect("the genuine callback got through");
        assert_eq!(query, "code=real&state=good");
        reply
            .send(&CallbackPage::success(
                "You can close this tab and return to the terminal.",
            ))
            .await;
        let (seen, status, body, _slow) = client.await.unwrap();
        assert_eq!(seen, [404, 404, 404, 405, 405, 400, 431, 400]);
        assert_eq!(status, 200);
        assert!(body.contains("You can close this tab and return to the terminal."));
        assert!(body.contains("Content-Security-Policy: default-src 'none'"));
    }

    #[tokio::test]
    async fn an_unanswered_reply_still_tells_the_browser_to_look_at_the_terminal() {
        let mut server = CallbackServer::bind(None).await.unwrap();
        let port = server.port();
        let client =
            tokio::spawn(async move { request(port, &get("/oauth/callback?state=good")).await });
        let (_query, reply) = server.next_callback(judge).await;
        drop(reply);
        let (status, body) = client.await.unwrap();
        assert_eq!(status, 400);
        assert!(body.contains("Return to the terminal"));
    }

    #[tokio::test]
    async fn a_flood_of_idle_connections_does_not_starve_the_callback() {
        let mut server = CallbackServer::bind(None).await.unwrap();
        let port = server.port();
        let client = tokio::spawn(async move {
            let mut idle = Vec::new();
            for _ in 0..(MAX_CONNECTIONS + 16) {
                idle.push(
                    TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                        .await
                        .unwrap(),
                );
            }
            // Beyond the slot limit connections are closed at once; the genuine one retries like
            // a browser would after a reset, and gets through once the idle ones time out.
            loop {
                let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                    .await
                    .unwrap();
                if stream
                    .write_all(&get("/oauth/callback?state=good"))
                    .await
                    .is_err()
                {
                    continue;
                }
                let mut reader = tokio::io::BufReader::new(stream);
                let mut line = String::new();
                if reader.read_line(&mut line).await.is_ok_and(|n| n > 0) {
                    drop(idle);
                    return line;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        let (_query, reply) =
            tokio::time::timeout(REQUEST_HEAD_DEADLINE * 3, server.next_callback(judge))
                .await
                .expect("the callback got through the flood");
        reply.send(&CallbackPage::success("done")).await;
        assert!(client.await.unwrap().starts_with("HTTP/1.1 200"));
    }
}
