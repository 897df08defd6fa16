//! TLS trust: an HTTPS token endpoint whose certificate comes from a private CA is refused
//! until that CA is given through `AWS_CA_BUNDLE` or the profile's `ca_bundle`. The HTTPS
//! endpoint is a TLS stub that answers every request with the service's
//! INSUFFICIENT_PERMISSIONS error, so reaching it proves the handshake was trusted.

mod support;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use login_io::{resolve_credentials_blocking, ErrorKind, ResolveOptions};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use support::Sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A private CA and a `localhost` server certificate it signed.
fn make_certs(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    openssl(
        dir,
        &[
            &["req", "-x509"][..],
            &ec,
            &[
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=aws-login test CA",
            ],
        ]
        .concat(),
    );
    openssl(
        dir,
        &[
            &["req"][..],
            &ec,
            &[
                "-keyout",
                "server.key",
                "-out",
                "server.csr",
                "-subj",
                "/CN=localhost",
            ],
        ]
        .concat(),
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

struct TlsStub {
    port: u16,
    requests: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

fn start_tls_stub(dir: &Path) -> TlsStub {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("server.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    runtime.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut buf = vec![0u8; 16384];
                let mut seen = Vec::new();
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                let body = r#"{"error":"INSUFFICIENT_PERMISSIONS","message":"stub"}"#;
                let response = format!(
                    "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    TlsStub {
        port,
        requests,
        _runtime: runtime,
    }
}

fn options(sandbox: &Sandbox, port: u16, extra: &[(&str, String)]) -> ResolveOptions {
    sandbox.options_via(format!("https://localhost:{port}"), extra)
}

#[test]
fn private_ca_is_trusted_only_through_the_ca_bundle() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, -1);
    let certs = tempfile::tempdir().unwrap();
    make_certs(certs.path());
    let stub = start_tls_stub(certs.path());
    let ca = certs.path().join("ca.pem").display().to_string();

    let err = resolve_credentials_blocking(&options(&sandbox, stub.port, &[])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(
        err.to_string().to_ascii_lowercase().contains("certificate"),
        "{err}"
    );
    assert_eq!(
        stub.requests.load(Ordering::SeqCst),
        0,
        "no request over an untrusted connection"
    );

    let err = resolve_credentials_blocking(&options(
        &sandbox,
        stub.port,
        &[("AWS_CA_BUNDLE", ca.clone())],
    ))
    .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::InsufficientPermissions,
        "trusted through AWS_CA_BUNDLE: {err}"
    );
    assert_eq!(stub.requests.load(Ordering::SeqCst), 1);

    // The profile's `ca_bundle` works the same way.
    let config = std::fs::read_to_string(&sandbox.config_file).unwrap();
    std::fs::write(
        &sandbox.config_file,
        config.replace(
            "[profile dev]\n",
            &format!("[profile dev]\nca_bundle = {ca}\n"),
        ),
    )
    .unwrap();
    let err = resolve_credentials_blocking(&options(&sandbox, stub.port, &[])).unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::InsufficientPermissions,
        "trusted through the profile's ca_bundle: {err}"
    );
    assert_eq!(stub.requests.load(Ordering::SeqCst), 2);
    assert_eq!(sandbox.refresh_calls(), 0, "signin-mock was never involved");
}
