//! Proxies: a refresh goes through the configured proxy (a small forwarding proxy on loopback
//! that maps the made-up host `signin.proxytest` to signin-mock), NO_PROXY bypasses it, and a
//! dead proxy is named in the error.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use login_io::{resolve_credentials_blocking, ErrorKind, ResolveOptions};
use support::Sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// An HTTP forward proxy: reads the absolute-form request line, sends the request in origin
/// form to `upstream`, then relays bytes both ways. Counts the requests it forwarded.
struct ForwardProxy {
    port: u16,
    forwarded: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl ForwardProxy {
    fn start(upstream: std::net::SocketAddr) -> ForwardProxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        let forwarded = Arc::new(AtomicUsize::new(0));
        let counter = forwarded.clone();
        runtime.spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        if client.read(&mut byte).await.unwrap_or(0) == 0 {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let text = String::from_utf8_lossy(&head).into_owned();
                    let (line, rest) = text.split_once("\r\n").unwrap_or((&text, ""));
                    let mut parts = line.splitn(3, ' ');
                    let (method, target, version) = (
                        parts.next().unwrap_or(""),
                        parts.next().unwrap_or(""),
                        parts.next().unwrap_or(""),
                    );
                    let path = target
                        .strip_prefix("http://")
                        .and_then(|t| t.find('/').map(|i| &t[i..]))
                        .unwrap_or(target);
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    counter.fetch_add(1, Ordering::SeqCst);
                    let rewritten = format!("{method} {path} {version}\r\n{rest}");
                    if server.write_all(rewritten.as_bytes()).await.is_err() {
                        return;
                    }
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        ForwardProxy {
            port,
            forwarded,
            _runtime: runtime,
        }
    }
}

fn options(sandbox: &Sandbox, extra: &[(&str, String)]) -> ResolveOptions {
    let endpoint = format!("http://signin.proxytest:{}", sandbox.mock.port());
    sandbox.options_via(endpoint, extra)
}

#[test]
fn refresh_goes_through_the_proxy_and_no_proxy_bypasses_it() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let upstream: std::net::SocketAddr = format!("127.0.0.1:{}", sandbox.mock.port())
        .parse()
        .unwrap();
    let proxy = ForwardProxy::start(upstream);
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);

    sandbox.set_seconds_left(&session, -1);
    let creds =
        resolve_credentials_blocking(&options(&sandbox, &[("HTTP_PROXY", proxy_url.clone())]))
            .unwrap();
    assert!(creds.refreshed());
    assert_eq!(
        proxy.forwarded.load(Ordering::SeqCst),
        1,
        "the token request went through the proxy"
    );
    assert_eq!(sandbox.refresh_calls(), 1);

    // NO_PROXY covers the host: the request goes direct, and `signin.proxytest` does not resolve.
    sandbox.set_seconds_left(&session, -1);
    let err = resolve_credentials_blocking(&options(
        &sandbox,
        &[
            ("HTTP_PROXY", proxy_url.clone()),
            ("NO_PROXY", "example.com,.proxytest".into()),
        ],
    ))
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.to_string().contains("signin.proxytest"), "{err}");
    assert!(
        !err.to_string().contains(&format!("proxy {proxy_url}")),
        "no proxy was used: {err}"
    );
    assert_eq!(proxy.forwarded.load(Ordering::SeqCst), 1);

    // A dead proxy with a password: named, password redacted.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = dead.local_addr().unwrap().port();
    drop(dead);
    let err = resolve_credentials_blocking(&options(
        &sandbox,
        &[(
            "HTTP_PROXY",
            format!("http://me:hunter2@127.0.0.1:{dead_port}"),
        )],
    ))
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{dead_port}")), "{text}");
    assert!(!text.contains("hunter2"), "proxy password leaked: {text}");
}
