//! HTTP for the sign-in token endpoint: reqwest + rustls (webpki and native roots plus an
//! optional CA bundle), explicit proxies, connect and per-attempt timeouts, bounded retries with
//! full-jitter backoff on 429, 5xx and transport errors (never on other 4xx), and clock-skew
//! detection from the server's `Date` header.
//!
//! Every attempt builds a new request through a closure, because each one needs a fresh DPoP
//! proof (new `jti`, current `iat`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime};

use login_core::{HttpRequest, HttpResponse};

use crate::settings::{redact_url_userinfo, ProxySettings};

/// Timeouts and retry bounds.
#[derive(Debug, Clone)]
pub struct HttpPolicy {
    pub connect_timeout: Duration,
    /// Whole-attempt timeout: connect, send, and read the full response.
    pub attempt_timeout: Duration,
    pub max_attempts: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for HttpPolicy {
    fn default() -> Self {
        HttpPolicy {
            connect_timeout: Duration::from_secs(5),
            attempt_timeout: Duration::from_secs(20),
            max_attempts: 3,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct HttpSettings {
    pub policy: HttpPolicy,
    pub ca_bundle: Option<PathBuf>,
    pub proxy: ProxySettings,
}

/// Why no HTTP response came back.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot use the CA bundle {}: {reason}", path.display())]
    CaBundle { path: PathBuf, reason: String },
    #[error("invalid proxy {proxy}: {reason}")]
    Proxy { proxy: String, reason: String },
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
    #[error("invalid endpoint URL {url}: {reason}")]
    BadUrl { url: String, reason: String },
    /// No response after every attempt.
    #[error("{}", transport_message(host, proxy.as_deref(), *attempts, cause))]
    Transport {
        host: String,
        proxy: Option<String>,
        attempts: u32,
        cause: String,
    },
}

fn transport_message(host: &str, proxy: Option<&str>, attempts: u32, cause: &str) -> String {
    let via = proxy
        .map(|p| format!(" through the proxy {p}"))
        .unwrap_or_default();
    let tries = if attempts == 1 {
        "1 attempt".to_string()
    } else {
        format!("{attempts} attempts")
    };
    format!("could not reach {host}{via} ({tries}): {cause}")
}

/// The HTTP client used for token requests. Build it only when a request is due: loading the
/// native root store costs more than resolving a valid cache.
#[derive(Debug, Clone)]
pub struct SigninHttp {
    client: reqwest::Client,
    proxy: ProxySettings,
    policy: HttpPolicy,
}

impl SigninHttp {
    pub fn new(settings: &HttpSettings) -> Result<Self, HttpError> {
        Self::build(settings, true)
    }

    /// A client for requests to `url`. When neither the URL nor its proxy uses TLS (a local
    /// signin-mock, a test server), the root stores and the CA bundle are not loaded: only TLS
    /// uses them, and loading the native roots costs more than the whole request.
    pub fn for_url(settings: &HttpSettings, url: &str) -> Result<Self, HttpError> {
        let is_https = |u: &str| u.trim_start().to_ascii_lowercase().starts_with("https://");
        let proxy_tls = url::Url::parse(url)
            .ok()
            .and_then(|u| settings.proxy.proxy_for(&u).map(is_https))
            .unwrap_or(false);
        Self::build(settings, is_https(url) || proxy_tls)
    }

    fn build(settings: &HttpSettings, tls: bool) -> Result<Self, HttpError> {
        let policy = settings.policy.clone();
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.attempt_timeout)
            .user_agent(concat!("aws-login/", env!("CARGO_PKG_VERSION")))
            // Proxies come only from what we configure below, so messages can name them.
            .no_proxy()
            // A redirect would resend the refresh token elsewhere; the service never redirects.
            .redirect(reqwest::redirect::Policy::none());
        if !tls {
            builder = builder.tls_built_in_root_certs(false);
        } else if let Some(path) = &settings.ca_bundle {
            for cert in read_ca_bundle(path)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let no_proxy = reqwest::NoProxy::from_string(&settings.proxy.no_proxy_with_loopback());
        if let Some(p) = &settings.proxy.https {
            let proxy = reqwest::Proxy::https(p).map_err(|e| HttpError::Proxy {
                proxy: redact_url_userinfo(p),
                reason: e.to_string(),
            })?;
            builder = builder.proxy(proxy.no_proxy(no_proxy.clone()));
        }
        if let Some(p) = &settings.proxy.http {
            let proxy = reqwest::Proxy::http(p).map_err(|e| HttpError::Proxy {
                proxy: redact_url_userinfo(p),
                reason: e.to_string(),
            })?;
            builder = builder.proxy(proxy.no_proxy(no_proxy));
        }
        let client = builder
            .build()
            .map_err(|e| HttpError::Setup(error_chain(&e)))?;
        Ok(SigninHttp {
            client,
            proxy: settings.proxy.clone(),
            policy,
        })
    }

    /// Sends the request `make` builds, retrying 429, 5xx and transport failures with jittered
    /// backoff, and re-signing once with the server's clock when a 4xx comes back while its
    /// `Date` shows our clock is off. `make` gets the time to sign with.
    pub async fn exchange<E>(
        &self,
        mut make: impl FnMut(SystemTime) -> Result<HttpRequest, E>,
    ) -> Result<Result<HttpResponse, HttpError>, E> {
        let mut attempt = 0u32;
        let mut resigned_for_skew = false;
        loop {
            attempt += 1;
            let signed_with_skew = clock_skew_secs();
            let request = make(server_now())?;
            let url = match url::Url::parse(&request.url) {
                Ok(u) => u,
                Err(e) => {
                    return Ok(Err(HttpError::BadUrl {
                        url: request.url.clone(),
                        reason: e.to_string(),
                    }))
                }
            };
            let started = std::time::Instant::now();
            let outcome = self.send_once(&url, &request).await;
            match outcome {
                Ok(response) => {
                    tracing::debug!(status = response.status, elapsed_ms = started.elapsed().as_millis() as u64, url = %url, "token endpoint answered");
                    let skew_changed =
                        observe_server_date(response.header("date"), SystemTime::now())
                            != signed_with_skew;
                    let status = response.status;
                    if (400..500).contains(&status)
                        && status != 429
                        && skew_changed
                        && !resigned_for_skew
                    {
                        tracing::debug!(
                            skew_secs = clock_skew_secs(),
                            "local clock is off; signing again with the server's time"
                        );
                        resigned_for_skew = true;
                        attempt -= 1;
                        continue;
                    }
                    let retryable = status == 429 || status >= 500;
                    if !retryable || attempt >= self.policy.max_attempts {
                        return Ok(Ok(response));
                    }
                    let wait = retry_after(&response)
                        .unwrap_or_else(|| self.backoff(attempt))
                        .min(self.policy.max_backoff);
                    tracing::debug!(
                        status,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "retrying token request"
                    );
                    tokio::time::sleep(wait).await;
                }
                Err(e) => {
                    // reqwest's own top line repeats the URL the message already names.
                    let cause = match std::error::Error::source(&e) {
                        Some(inner) => error_chain(inner),
                        None => error_chain(&e),
                    };
                    if attempt >= self.policy.max_attempts {
                        return Ok(Err(HttpError::Transport {
                            host: host_port(&url),
                            proxy: self.proxy.proxy_for(&url).map(redact_url_userinfo),
                            attempts: attempt,
                            cause,
                        }));
                    }
                    let wait = self.backoff(attempt);
                    tracing::debug!(attempt, wait_ms = wait.as_millis() as u64, error = %cause, "transport error; retrying");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    async fn send_once(
        &self,
        url: &url::Url,
        request: &HttpRequest,
    ) -> Result<HttpResponse, reqwest::Error> {
        let method =
            reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::POST);
        let mut builder = self
            .client
            .request(method, url.clone())
            .body(request.body.clone());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder.send().await?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let body = response.bytes().await?.to_vec();
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    }

    /// Full jitter: uniform in [0, min(max, base·2^(attempt-1))].
    fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .policy
            .base_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(self.policy.max_backoff);
        cap.mul_f64(rand::random::<f64>())
    }

    pub fn proxy_settings(&self) -> &ProxySettings {
        &self.proxy
    }
}

fn retry_after(response: &HttpResponse) -> Option<Duration> {
    response
        .header("retry-after")?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

fn read_ca_bundle(path: &Path) -> Result<Vec<reqwest::Certificate>, HttpError> {
    let bytes = std::fs::read(path).map_err(|e| HttpError::CaBundle {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let certs = reqwest::Certificate::from_pem_bundle(&bytes).map_err(|e| HttpError::CaBundle {
        path: path.to_path_buf(),
        reason: error_chain(&e),
    })?;
    if certs.is_empty() {
        return Err(HttpError::CaBundle {
            path: path.to_path_buf(),
            reason: "no PEM certificates in the file".into(),
        });
    }
    Ok(certs)
}

fn host_port(url: &url::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => url.as_str().to_string(),
    }
}

/// An error and its causes on one line ("error sending request: connection refused").
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

/// Seconds the server's clock is ahead of ours (negative: behind), as last observed.
static CLOCK_SKEW_SECS: AtomicI64 = AtomicI64::new(0);
/// Differences below this are network latency and `Date`'s one-second resolution, not skew.
const SKEW_THRESHOLD_SECS: i64 = 30;

pub fn clock_skew_secs() -> i64 {
    CLOCK_SKEW_SECS.load(Ordering::Relaxed)
}

/// Our best idea of the server's time: the local clock corrected by the observed skew. DPoP
/// proofs are signed with it, so a machine with a wrong clock can still refresh.
pub fn server_now() -> SystemTime {
    shift(SystemTime::now(), clock_skew_secs())
}

fn shift(t: SystemTime, secs: i64) -> SystemTime {
    if secs >= 0 {
        t + Duration::from_secs(secs as u64)
    } else {
        t - Duration::from_secs(secs.unsigned_abs())
    }
}

/// Records the skew a `Date` header shows; returns the skew now in force.
pub fn observe_server_date(date: Option<&str>, local_now: SystemTime) -> i64 {
    let Some(server) = date.and_then(|d| httpdate::parse_http_date(d).ok()) else {
        return clock_skew_secs();
    };
    let diff = match server.duration_since(local_now) {
        Ok(ahead) => ahead.as_secs() as i64,
        Err(behind) => -(behind.duration().as_secs() as i64),
    };
    let skew = if diff.abs() >= SKEW_THRESHOLD_SECS {
        diff
    } else {
        0
    };
    CLOCK_SKEW_SECS.store(skew, Ordering::Relaxed);
    skew
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_from_date_header() {
        let local = SystemTime::UNIX_EPOCH + Duration::from_secs(1_764_000_000);
        let ahead = httpdate::fmt_http_date(local + Duration::from_secs(600));
        assert_eq!(observe_server_date(Some(&ahead), local), 600);
        let behind = httpdate::fmt_http_date(local - Duration::from_secs(3600));
        assert_eq!(observe_server_date(Some(&behind), local), -3600);
        // Small differences are latency, not skew.
        let near = httpdate::fmt_http_date(local + Duration::from_secs(2));
        assert_eq!(observe_server_date(Some(&near), local), 0);
        assert_eq!(observe_server_date(Some("garbage"), local), 0);
        assert_eq!(shift(local, -10), local - Duration::from_secs(10));
    }

    #[test]
    fn backoff_is_bounded() {
        let http = SigninHttp::new(&HttpSettings::default()).unwrap();
        for attempt in 1..40 {
            assert!(http.backoff(attempt) <= http.policy.max_backoff);
        }
        assert!(http.backoff(1) <= http.policy.base_backoff);
    }

    #[test]
    fn plain_http_needs_no_trust_store() {
        let settings = HttpSettings {
            ca_bundle: Some("/nonexistent/bundle.pem".into()),
            ..Default::default()
        };
        // Only TLS reads the bundle: a plain-http endpoint works without it…
        assert!(SigninHttp::for_url(&settings, "http://127.0.0.1:9/v1/token").is_ok());
        // …but an https endpoint, or an https proxy in front of an http one, needs it.
        assert!(SigninHttp::for_url(
            &settings,
            "https://us-east-1.signin.aws.amazon.com/v1/token"
        )
        .is_err());
        let via_tls_proxy = HttpSettings {
            proxy: ProxySettings {
                http: Some("https://proxy.example:3129".into()),
                ..Default::default()
            },
            ..settings
        };
        assert!(SigninHttp::for_url(&via_tls_proxy, "http://signin.example/v1/token").is_err());
    }

    #[test]
    fn bad_ca_bundle_names_the_file() {
        let tmp = tempfile::tempdir().unwrap();
        let missing = tmp.path().join("nope.pem");
        let err = SigninHttp::new(&HttpSettings {
            ca_bundle: Some(missing.clone()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("nope.pem"), "{err}");
        let empty = tmp.path().join("empty.pem");
        std::fs::write(&empty, "not a cert").unwrap();
        let err = SigninHttp::new(&HttpSettings {
            ca_bundle: Some(empty),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("empty.pem"), "{err}");
    }
}
