//! `aws-login serve`: the credential server in the foreground, against a real signin-mock.
//! Hostile and broken clients (no token, a wrong one, a foreign Host, odd paths and methods,
//! garbage, 1 MiB bodies, oversized heads, a hundred clients that never finish their request)
//! are refused or answered and never bring it down; 16 concurrent clients × 1000 requests across
//! a refresh get zero errors and cause exactly one token request; Ctrl-C stops it.

#[path = "../../login-io/tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use signin_mock::MockConfig;
use support::Sandbox;

const AWS_LOGIN: &str = env!("CARGO_BIN_EXE_aws-login");

struct Serve {
    child: Child,
    url: String,
    token: String,
    address: SocketAddr,
    stderr_file: std::path::PathBuf,
}

impl Serve {
    fn start(sandbox: &Sandbox, extra: &[&str]) -> Serve {
        let stderr_file = sandbox
            .dir
            .path()
            .join(format!("serve-{}.err", extra.len()));
        let mut child = sandbox
            .command(AWS_LOGIN)
            .args(["serve", "--profile", "dev"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_file).unwrap())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut value = |name: &str| {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("serve printed no {name}"))
                .unwrap();
            line.strip_prefix(&format!("export {name}="))
                .unwrap_or_else(|| panic!("unexpected line {line:?}"))
                .to_string()
        };
        let url = value("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        let token = value("AWS_CONTAINER_AUTHORIZATION_TOKEN");
        let address = url
            .trim_start_matches("http://")
            .trim_end_matches("/credentials")
            .parse()
            .unwrap();
        Serve {
            child,
            url,
            token,
            address,
            stderr_file,
        }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_file).unwrap_or_default()
    }

    /// Sends `request` as is and returns the whole answer (empty when the server closed the
    /// connection without one).
    fn raw_answer(&self, request: &[u8]) -> String {
        let mut stream = TcpStream::connect(self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        let _ = stream.write_all(request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// The status line of the answer to `request`.
    fn raw(&self, request: &[u8]) -> String {
        self.raw_answer(request)
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    }

    fn get(&self, path: &str, host: &str, token: Option<&str>) -> String {
        let auth = token
            .map(|t| format!("Authorization: {t}\r\n"))
            .unwrap_or_default();
        self.raw(
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Connection: close\r\n\r\n")
                .as_bytes(),
        )
    }

    fn good(&self) -> String {
        self.get(
            "/credentials",
            &format!("127.0.0.1:{}", self.address.port()),
            Some(&self.token),
        )
    }

    fn still_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn hostile_and_broken_clients_are_refused_and_never_bring_it_down() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    let mut serve = Serve::start(&sandbox, &[]);
    let host = format!("127.0.0.1:{}", serve.address.port());
    let token = serve.token.clone();
    assert!(serve.good().starts_with("HTTP/1.1 200"), "{}", serve.good());

    // Token and Host come first: without them nothing else is revealed.
    assert!(serve
        .get("/credentials", &host, None)
        .starts_with("HTTP/1.1 401"));
    assert!(serve
        .get("/credentials", &host, Some(&"f".repeat(64)))
        .starts_with("HTTP/1.1 403"));
    assert!(serve
        .get("/credentials", &host, Some(&token[..63]))
        .starts_with("HTTP/1.1 403"));
    assert!(serve
        .get("/nope", &host, Some("wrong"))
        .starts_with("HTTP/1.1 403"));
    for foreign in [
        "evil.example",
        "evil.example:80",
        "127.0.0.1.evil.example",
        "169.254.170.2",
    ] {
        let status = serve.get("/credentials", foreign, Some(&token));
        assert!(
            status.starts_with("HTTP/1.1 403"),
            "Host {foreign}: {status}"
        );
    }
    let no_host = serve
        .raw(format!("GET /credentials HTTP/1.0\r\nAuthorization: {token}\r\n\r\n").as_bytes());
    assert!(no_host.contains(" 403"), "no Host: {no_host}");
    assert!(serve
        .get("/credentials", "localhost", Some(&token))
        .starts_with("HTTP/1.1 200"));

    // Odd paths and methods, with the right token.
    let long_path = format!("/{}", "a".repeat(6000));
    for path in [
        "/",
        "/credentials/",
        "/credentials/../etc/passwd",
        "/%00",
        "/CREDENTIALS",
        long_path.as_str(),
    ] {
        let status = serve.get(path, &host, Some(&token));
        assert!(
            status.starts_with("HTTP/1.1 404"),
            "{}: {status}",
            &path[..path.len().min(30)]
        );
    }
    for method in [
        "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "BREW",
    ] {
        let status = serve.raw(
            format!("{method} /credentials HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        );
        assert!(status.starts_with("HTTP/1.1 405"), "{method}: {status}");
    }
    // Garbage, a huge head, a 1 MiB body: an error status or a closed connection.
    for garbage in [
        b"\x00\x01\x02 not http at all\r\n\r\n".to_vec(),
        b"GET /credentials HTTP/9.9\r\n\r\n".to_vec(),
        format!(
            "GET /credentials HTTP/1.1\r\nHost: {host}\r\nX-Big: {}\r\n\r\n",
            "b".repeat(64 * 1024)
        )
        .into_bytes(),
    ] {
        let status = serve.raw(&garbage);
        assert!(
            status.is_empty() || status.starts_with("HTTP/1.1 4"),
            "{status}"
        );
    }
    let body = vec![b'x'; 1024 * 1024];
    for method in ["GET", "POST"] {
        let mut request = format!(
            "{method} /credentials HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(&body);
        let status = serve.raw(&request);
        assert!(
            status.is_empty()
                || status.starts_with("HTTP/1.1 413")
                || status.starts_with("HTTP/1.1 405"),
            "1 MiB {method} body: {status}"
        );
        assert!(!status.starts_with("HTTP/1.1 200"));
    }

    // A hundred clients that never finish their request head do not hold up anyone else, and
    // are disconnected after the header timeout (10 s).
    let mut slow: Vec<TcpStream> = (0..100)
        .map(|_| {
            let mut s = TcpStream::connect(serve.address).unwrap();
            s.write_all(b"GET /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                .unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    assert!(
        serve.good().starts_with("HTTP/1.1 200"),
        "a good client is served meanwhile"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "not held up by the slow ones"
    );
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest); // returns once the server closes it
    }
    assert!(started.elapsed() < Duration::from_secs(30));

    assert!(serve.still_running(), "serve survived: {}", serve.stderr());
    assert!(serve.good().starts_with("HTTP/1.1 200"));
    let err = serve.stderr();
    assert!(!err.contains(&token), "the token is never on stderr: {err}");
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

/// 16 clients with keep-alive connections, `per_client` requests each, all starting together;
/// returns every access key answered and every latency.
fn burst(url: &str, token: &str, per_client: usize) -> (Vec<String>, Vec<Duration>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(16));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (url, token, barrier) = (url.to_string(), token.to_string(), barrier.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::builder().no_proxy().build().unwrap();
                    let mut keys = Vec::with_capacity(per_client);
                    let mut latencies = Vec::with_capacity(per_client);
                    barrier.wait().await;
                    for _ in 0..per_client {
                        let started = Instant::now();
                        let response = client
                            .get(&url)
                            .header("Authorization", &token)
                            .send()
                            .await
                            .expect("request");
                        assert_eq!(response.status(), 200);
                        let body: serde_json::Value = response.json().await.expect("JSON");
                        latencies.push(started.elapsed());
                        keys.push(body["AccessKeyId"].as_str().unwrap().to_string());
                    }
                    (keys, latencies)
                })
            })
            .collect();
        let mut keys = Vec::new();
        let mut latencies = Vec::new();
        for task in tasks {
            let (k, l) = task.await.expect("client task");
            keys.extend(k);
            latencies.extend(l);
        }
        (keys, latencies)
    })
}

#[test]
fn sixteen_clients_times_a_thousand_requests_across_a_refresh_make_one_token_request() {
    // The cached credentials have 315 s left, so they enter the five-minute refresh window 15 s
    // from now: the first half of the requests comes before (as many as fit), the second half
    // starts after, together. The refreshed ones live 900 s, well past the end of the test.
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, 315);
    let first_key = sandbox.read_cache(&session)["accessToken"]["accessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    let expires_at = Instant::now() + Duration::from_secs(315);
    let mut serve = Serve::start(&sandbox, &[]);

    let (keys_before, mut latencies) = burst(&serve.url, &serve.token, 500);
    let window_entered = expires_at - Duration::from_secs(300) + Duration::from_millis(1500);
    std::thread::sleep(window_entered.saturating_duration_since(Instant::now()));
    let (keys_after, more) = burst(&serve.url, &serve.token, 500);
    latencies.extend(more);

    assert_eq!(latencies.len(), 16_000, "zero errors");
    assert_eq!(
        sandbox.refresh_calls(),
        1,
        "exactly one token request for 16 000 answers"
    );
    let refreshed_key = sandbox.read_cache(&session)["accessToken"]["accessKeyId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(refreshed_key, first_key);
    assert!(keys_before
        .iter()
        .all(|k| *k == first_key || *k == refreshed_key));
    assert!(
        keys_after.iter().all(|k| *k == refreshed_key),
        "after the window every answer has the refreshed credentials"
    );
    latencies.sort();
    let (p50, p99) = (percentile(&latencies, 0.50), percentile(&latencies, 0.99));
    println!(
        "credential server, 16 clients x 1000 requests: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3
    );
    assert!(serve.still_running());
}

#[test]
fn ctrl_c_stops_it_and_the_port_closes() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    let mut serve = Serve::start(&sandbox, &["--port", "0"]);
    assert!(serve.good().starts_with("HTTP/1.1 200"));
    let stderr = serve.stderr();
    assert!(
        stderr.contains("serving profile 'dev' (account 111122223333)"),
        "{stderr}"
    );
    assert!(Command::new("kill")
        .args(["-INT", &serve.child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = serve.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(TcpStream::connect_timeout(&serve.address, Duration::from_secs(2)).is_err());
    assert!(serve.stderr().contains("stopped"));
}

#[test]
fn a_taken_port_and_a_missing_login_are_clear_errors() {
    let sandbox = Sandbox::new();
    sandbox.login("dev", "alice");
    let serve = Serve::start(&sandbox, &[]);
    let port = serve.address.port().to_string();
    let out = sandbox
        .command(AWS_LOGIN)
        .args(["serve", "--profile", "dev", "--port", &port])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("port {port} on 127.0.0.1 is already in use")),
        "{err}"
    );
    assert!(
        out.stdout.is_empty(),
        "nothing to export when it did not start"
    );

    sandbox.add_profile("nobody", &[]);
    let out = sandbox
        .command(AWS_LOGIN)
        .args(["serve", "--profile", "nobody"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--login"));
    assert!(out.stdout.is_empty());
}

#[test]
fn an_ended_session_is_answered_with_its_message_and_said_once() {
    // 6-second credentials, refreshed inside 3 s of expiry.
    let sandbox = Sandbox::with_mock(MockConfig {
        access_token_lifetime_secs: 6,
        ..MockConfig::default()
    });
    sandbox.login("dev", "alice");
    let mut serve = Serve::start(&sandbox, &["--refresh-window", "3s"]);
    assert!(serve.good().starts_with("HTTP/1.1 200"));
    sandbox.mock.expire_sessions();
    std::thread::sleep(Duration::from_secs(7));
    for _ in 0..3 {
        let answer = serve.raw_answer(
            format!(
                "GET /credentials HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {}\r\nConnection: close\r\n\r\n",
                serve.token
            )
            .as_bytes(),
        );
        assert!(answer.starts_with("HTTP/1.1 500"), "{answer}");
        let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["code"], "SessionExpired", "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("aws-login login --profile dev"),
            "{body}"
        );
    }
    assert!(serve.still_running());
    let err = serve.stderr();
    assert_eq!(err.matches("has expired").count(), 1, "said once: {err}");
}
