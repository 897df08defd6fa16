//! The credential server of `aws-login exec` and `aws-login serve`: the container-credentials
//! protocol every AWS SDK speaks (`AWS_CONTAINER_CREDENTIALS_FULL_URI` +
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`), answered from [`resolve_credentials`], so any profile
//! the chain resolves can be served and stays fresh for as long as the consumer runs.
//!
//! - It listens on 127.0.0.1 only, on a free port unless one is asked for.
//! - Every request must carry the server's token in `Authorization` (a fresh random 256-bit
//!   value per server, compared in constant time) and a loopback `Host` (a page in a browser
//!   cannot reach it through DNS rebinding). A missing token gets 401, a wrong one 403, a foreign
//!   `Host` 403, and none of them learns anything else: the checks run before the method and path
//!   are looked at.
//! - Only `GET` of [`CREDENTIALS_PATH`] without a body answers credentials:
//!   `{"AccessKeyId","SecretAccessKey","Token","Expiration","AccountId"}` with `Expiration` in the
//!   `2025-12-05T10:51:31Z` form (the JS SDK's parser accepts nothing else).
//! - Answers always have more than the refresh window left (default five minutes, login-io's
//!   own window) while the source can deliver that. The last answer is kept in memory; once it
//!   is inside the window, one task resolves again while concurrent requests wait for its
//!   result, so a burst at expiry makes one resolution and login-io's lock makes that one token
//!   request across processes. A resolution runs in a task of its own: a client that gives up
//!   (botocore waits two seconds, the JS SDK one) never cancels a refresh halfway.
//! - Slow clients are dropped when their request head takes longer than the header timeout, and
//!   the number of connections served at once is bounded (further ones wait in the kernel's
//!   backlog), so nothing a client does can stall the others for long or exhaust the process.
//!
//! It never logs the token or a credential; error answers carry the resolution's message, which
//! never contains a secret.

use std::convert::Infallible;
use std::fmt;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{
    HeaderValue, ALLOW, AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, HOST,
    TRANSFER_ENCODING,
};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use login_core::cache::REFRESH_WINDOW_SECONDS;
use login_core::timefmt::format_expires_at;
use login_core::{SecretString, SharedCredentialsFile};
use rand::RngCore;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use zeroize::Zeroizing;

use crate::error::LoginIoError;
use crate::paths::expand_path;
use crate::profile::{load_config, ResolveOptions};
use crate::resolve::{resolve_credentials, ResolvedCredentials};
use crate::settings::Environment;

/// The one path that answers credentials.
pub const CREDENTIALS_PATH: &str = "/credentials";
/// The variable a nested `aws-login exec` recognises; its value is the profile served.
pub const EXEC_MARKER: &str = "AWS_LOGIN_EXEC";
pub const FULL_URI_VAR: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
pub const TOKEN_VAR: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";

/// Variables a child must not inherit: they would select other credentials than the server's
/// (every `AWS_CONTAINER_*` is removed as well).
const CONFLICTING_VARS: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ACCOUNT_ID",
    // botocore and the JS SDK try web identity before the container endpoint.
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    EXEC_MARKER,
];

/// Something the person running the server should see (a refresh problem, a warning).
pub type NoticeSink = Arc<dyn Fn(&str) + Send + Sync>;

/// How to run a [`CredentialServer`].
#[derive(Clone)]
pub struct CredentialServerConfig {
    /// What to resolve (profile, files, endpoints); handed to [`resolve_credentials`] as is.
    pub options: ResolveOptions,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Answers have more than this left; inside it the server resolves again first.
    pub refresh_window: Duration,
    /// A client that has not sent its whole request head by then is disconnected.
    pub header_timeout: Duration,
    /// Connections served at once; further ones wait to be accepted.
    pub max_connections: usize,
    /// Where notices go (the CLI prints them on stderr); `None` drops them.
    pub notices: Option<NoticeSink>,
}

impl CredentialServerConfig {
    pub fn new(options: ResolveOptions) -> Self {
        CredentialServerConfig {
            options,
            port: 0,
            refresh_window: Duration::from_secs(REFRESH_WINDOW_SECONDS as u64),
            header_timeout: Duration::from_secs(10),
            max_connections: 128,
            notices: None,
        }
    }
}

impl fmt::Debug for CredentialServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialServerConfig")
            .field("options", &self.options)
            .field("port", &self.port)
            .field("refresh_window", &self.refresh_window)
            .field("header_timeout", &self.header_timeout)
            .field("max_connections", &self.max_connections)
            .field("notices", &self.notices.is_some())
            .finish()
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialServerError {
    #[error("port {port} on 127.0.0.1 is already in use by another program; choose another with --port, or leave it out to use a free port")]
    PortInUse { port: u16 },
    #[error("not allowed to listen on 127.0.0.1:{port} ({source}); choose a port above 1023")]
    PortNotPermitted { port: u16, source: io::Error },
    #[error("could not listen on 127.0.0.1:{port} for the credential server: {source}")]
    Bind { port: u16, source: io::Error },
}

/// A running credential server. Dropping it stops the server too; [`CredentialServer::shutdown`]
/// also waits for open requests (at most two seconds).
pub struct CredentialServer {
    address: SocketAddr,
    token: SecretString,
    stop: watch::Sender<bool>,
    accept_loop: Option<tokio::task::JoinHandle<()>>,
}

impl fmt::Debug for CredentialServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialServer")
            .field("address", &self.address)
            .field("token", &"[redacted]")
            .finish()
    }
}

impl CredentialServer {
    /// Listens on 127.0.0.1 and starts answering. `first` (credentials the caller already
    /// resolved, e.g. to check that the profile works) is served until it enters the window.
    /// Must be called inside a Tokio runtime, which then runs the server.
    pub async fn start(
        config: CredentialServerConfig,
        first: Option<ResolvedCredentials>,
    ) -> Result<CredentialServer, CredentialServerError> {
        let port = config.port;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))
            .await
            .map_err(|source| match source.kind() {
                io::ErrorKind::AddrInUse => CredentialServerError::PortInUse { port },
                io::ErrorKind::PermissionDenied => {
                    CredentialServerError::PortNotPermitted { port, source }
                }
                _ => CredentialServerError::Bind { port, source },
            })?;
        let address = listener
            .local_addr()
            .map_err(|source| CredentialServerError::Bind { port, source })?;
        let token = new_token();
        let shared = Arc::new(Shared {
            token: token.clone(),
            options: config.options,
            window: time::Duration::try_from(config.refresh_window)
                .unwrap_or(time::Duration::minutes(5)),
            current: Mutex::new(first.map(|c| Arc::new(Served::from_resolved(&c)))),
            resolving: tokio::sync::Mutex::new(()),
            notices: config.notices,
            last_notice: Mutex::new(None),
        });
        let (stop, stopped) = watch::channel(false);
        let accept_loop = tokio::spawn(accept_loop(
            listener,
            shared,
            stopped,
            config.header_timeout,
            config.max_connections.max(1),
        ));
        tracing::debug!(%address, "credential server listening");
        Ok(CredentialServer {
            address,
            token,
            stop,
            accept_loop: Some(accept_loop),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:PORT/credentials`: the value of `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub fn url(&self) -> String {
        format!("http://{}{CREDENTIALS_PATH}", self.address)
    }

    /// The value of `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub fn authorization_token(&self) -> &SecretString {
        &self.token
    }

    /// Stops accepting, lets open requests finish (at most two seconds) and returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.accept_loop.take() {
            let _ = task.await;
        }
    }
}

impl Drop for CredentialServer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn new_token() -> SecretString {
    let mut bytes = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(bytes.as_mut());
    let mut text = String::with_capacity(64);
    for b in bytes.iter() {
        text.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        text.push(char::from(b"0123456789abcdef"[usize::from(b & 0x0f)]));
    }
    SecretString::new(text)
}

struct Shared {
    token: SecretString,
    options: ResolveOptions,
    window: time::Duration,
    /// The last credentials served, as the JSON body.
    current: Mutex<Option<Arc<Served>>>,
    /// Held by the one task that resolves; others wait for its result.
    resolving: tokio::sync::Mutex<()>,
    notices: Option<NoticeSink>,
    last_notice: Mutex<Option<String>>,
}

impl Shared {
    /// Passes a notice on, once until a different one comes.
    fn notice(&self, text: &str) {
        let Some(sink) = &self.notices else { return };
        let mut last = self
            .last_notice
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.as_deref() != Some(text) {
            *last = Some(text.to_string());
            drop(last);
            sink(text);
        }
    }

    fn fresh(&self, now: OffsetDateTime) -> Option<Arc<Served>> {
        let current = self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        current
            .as_ref()
            .filter(|served| served.expiration - now > self.window)
            .cloned()
    }

    fn last_unexpired(&self, now: OffsetDateTime) -> Option<Arc<Served>> {
        let current = self
            .current
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        current
            .as_ref()
            .filter(|served| served.expiration > now)
            .cloned()
    }
}

/// One answer: the response body and when its credentials expire.
struct Served {
    body: Zeroizing<Vec<u8>>,
    expiration: OffsetDateTime,
}

impl Served {
    fn from_resolved(credentials: &ResolvedCredentials) -> Served {
        let mut object = serde_json::Map::new();
        object.insert(
            "AccessKeyId".into(),
            credentials.access_key_id().to_string().into(),
        );
        object.insert(
            "SecretAccessKey".into(),
            credentials.secret_access_key().expose().into(),
        );
        object.insert("Token".into(), credentials.session_token().expose().into());
        object.insert(
            "Expiration".into(),
            format_expires_at(credentials.expiration()).into(),
        );
        if let Some(account) = credentials.account_id() {
            object.insert("AccountId".into(), account.into());
        }
        let value = serde_json::Value::Object(object);
        let body = Zeroizing::new(serde_json::to_vec(&value).unwrap_or_default());
        zeroize_json(value);
        Served {
            body,
            expiration: credentials.expiration(),
        }
    }
}

/// Overwrites the secret strings of a JSON value before it is dropped.
fn zeroize_json(value: serde_json::Value) {
    use zeroize::Zeroize;
    if let serde_json::Value::Object(map) = value {
        for (_, v) in map {
            if let serde_json::Value::String(mut s) = v {
                s.zeroize();
            }
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut stopped: watch::Receiver<bool>,
    header_timeout: Duration,
    max_connections: usize,
) {
    let slots = Arc::new(Semaphore::new(max_connections));
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_closed) => break,
            },
            _ = stopped.changed() => break,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stopped.changed() => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e) => {
                // Out of file descriptors and the like: wait a little instead of spinning.
                tracing::debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        while connections.try_join_next().is_some() {}
        let shared = shared.clone();
        let mut stop = stopped.clone();
        connections.spawn(async move {
            let _permit = permit;
            let service = service_fn(move |request| {
                let shared = shared.clone();
                async move { Ok::<_, Infallible>(answer(&shared, request).await) }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(16 * 1024)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stop.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = tokio::time::timeout(Duration::from_secs(2), connection).await;
                }
            }
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    connections.abort_all();
}

fn reply(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "message": message }).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `127.0.0.1`, `localhost` or `[::1]`, with or without a port.
fn loopback_host(value: Option<&HeaderValue>) -> bool {
    let Some(host) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((name, after)) if after.is_empty() || after.starts_with(':') => name,
            _ => return false,
        }
    } else {
        host.split_once(':').map_or(host, |(name, _)| name)
    };
    name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost") || name == "::1"
}

fn has_body(request: &Request<Incoming>) -> bool {
    request.headers().contains_key(TRANSFER_ENCODING)
        || request
            .headers()
            .get(CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

async fn answer(shared: &Arc<Shared>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    if !loopback_host(request.headers().get(HOST)) {
        return reply(
            StatusCode::FORBIDDEN,
            "the credential server answers only requests to 127.0.0.1 or localhost",
        );
    }
    let Some(presented) = request.headers().get(AUTHORIZATION) else {
        return reply(
            StatusCode::UNAUTHORIZED,
            "missing authorization token (AWS_CONTAINER_AUTHORIZATION_TOKEN)",
        );
    };
    let matches: bool = presented
        .as_bytes()
        .ct_eq(shared.token.expose().as_bytes())
        .into();
    if !matches {
        return reply(StatusCode::FORBIDDEN, "wrong authorization token");
    }
    if request.method() != Method::GET {
        let mut response = reply(StatusCode::METHOD_NOT_ALLOWED, "only GET is served");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET"));
        return response;
    }
    if request.uri().path() != CREDENTIALS_PATH {
        return reply(
            StatusCode::NOT_FOUND,
            "no such path; credentials are served at /credentials",
        );
    }
    if has_body(&request) {
        return reply(
            StatusCode::PAYLOAD_TOO_LARGE,
            "a credentials request has no body",
        );
    }
    match credentials(shared).await {
        Ok(served) => {
            let mut response = Response::new(Full::new(Bytes::copy_from_slice(&served.body)));
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(failure) => {
            let body =
                serde_json::json!({ "code": failure.code, "message": failure.message }).to_string();
            let mut response = Response::new(Full::new(Bytes::from(body)));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
    }
}

#[derive(Debug, Clone)]
struct Failure {
    code: &'static str,
    message: String,
}

/// Credentials with more than the window left: the kept answer, or one resolution shared by
/// every request that arrives meanwhile.
async fn credentials(shared: &Arc<Shared>) -> Result<Arc<Served>, Failure> {
    if let Some(served) = shared.fresh(OffsetDateTime::now_utc()) {
        return Ok(served);
    }
    let task = tokio::spawn({
        let shared = shared.clone();
        async move {
            let _one_at_a_time = shared.resolving.lock().await;
            // Whoever held the lock before may have resolved already.
            if let Some(served) = shared.fresh(OffsetDateTime::now_utc()) {
                return Ok(served);
            }
            match resolve_credentials(&shared.options).await {
                Ok(resolved) => {
                    for warning in resolved.warnings() {
                        shared.notice(&format!("warning: {warning}"));
                    }
                    let served = Arc::new(Served::from_resolved(&resolved));
                    if served.expiration <= OffsetDateTime::now_utc() {
                        let message = format!(
                            "the credentials of profile '{}' have expired and could not be refreshed",
                            resolved.profile()
                        );
                        shared.notice(&message);
                        return Err(Failure {
                            code: "Expired",
                            message,
                        });
                    }
                    *shared
                        .current
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(served.clone());
                    Ok(served)
                }
                Err(error) => fail_or_keep(&shared, &error),
            }
        }
    });
    match task.await {
        Ok(result) => result,
        Err(join) => Err(Failure {
            code: "Unexpected",
            message: format!("resolving credentials failed: {join}"),
        }),
    }
}

/// A failed resolution: the last answer while it has not expired (with a notice), else the error.
fn fail_or_keep(shared: &Shared, error: &LoginIoError) -> Result<Arc<Served>, Failure> {
    let now = OffsetDateTime::now_utc();
    if let Some(served) = shared.last_unexpired(now) {
        shared.notice(&format!(
            "warning: {error} Serving the last credentials, which stay valid for {} more seconds.",
            (served.expiration - now).whole_seconds()
        ));
        return Ok(served);
    }
    shared.notice(&error.to_string());
    Err(Failure {
        code: error.kind().name(),
        message: error.to_string(),
    })
}

/// The `region` of the profile `options` names (after the usual discovery), if it has one.
pub fn profile_region(options: &ResolveOptions) -> Result<Option<String>, LoginIoError> {
    let (settings, _env) = options.env_settings()?;
    let config = load_config(&settings.config_file)?;
    Ok(config
        .file
        .profile(&settings.profile)
        .and_then(|view| view.get("region").map(|r| r.trim().to_string()))
        .filter(|r| !r.is_empty()))
}

/// The name of the profile `options` selects (`--profile`, `AWS_PROFILE`, …, `default`).
pub fn selected_profile(options: &ResolveOptions) -> Result<String, LoginIoError> {
    Ok(options.env_settings()?.0.profile)
}

/// When the served profile is not `default` but `default` has credentials of its own, AWS SDKs
/// in the child find those first (botocore and the JS SDK try the shared credentials and config
/// files before the container endpoint): the warning to show, naming the file.
pub fn default_profile_shadows(options: &ResolveOptions) -> Result<Option<String>, LoginIoError> {
    let (settings, env) = options.env_settings()?;
    if settings.profile == "default" {
        return Ok(None);
    }
    let served = &settings.profile;
    let warning = |style: &str, file: &std::path::Path| {
        format!(
            "profile 'default' in {} has credentials of its own ({style}); AWS SDKs try it before the credential server, so the command may use it instead of profile '{served}'.",
            file.display()
        )
    };
    let config = load_config(&settings.config_file)?;
    if let Some(view) = config.file.profile("default") {
        let style = config.file.credential_style("default").or_else(|| {
            view.get("login_session")
                .filter(|v| !v.trim().is_empty())
                .map(|_| "Login")
        });
        if let Some(style) = style {
            return Ok(Some(warning(style, &config.path)));
        }
    }
    let credentials_file = match env.non_empty("AWS_SHARED_CREDENTIALS_FILE") {
        Some(path) => expand_path(&path, &env),
        None => match env.home_dir() {
            Some(home) => home.join(".aws").join("credentials"),
            None => return Ok(None),
        },
    };
    let Ok(text) = std::fs::read_to_string(&credentials_file) else {
        return Ok(None);
    };
    let keys = SharedCredentialsFile::parse(&text);
    let has_keys = keys
        .profile("default")
        .and_then(|view| view.get("aws_access_key_id").map(|v| !v.trim().is_empty()))
        .unwrap_or(false);
    Ok(has_keys.then(|| warning("Access Key", &credentials_file)))
}

/// The credentials a child gets.
#[derive(Debug)]
pub enum ChildCredentials<'a> {
    /// A running server: the two container variables.
    Server(&'a CredentialServer),
    /// Plain variables (`exec --env`): fixed credentials that are not refreshed.
    Fixed(&'a ResolvedCredentials),
}

/// The changes to make to the parent's environment for a child of `aws-login exec`.
#[derive(Debug, Default)]
pub struct ChildEnvironment {
    pub remove: Vec<String>,
    /// Values may be secrets: never log them.
    pub set: Vec<(String, SecretString)>,
}

impl ChildEnvironment {
    /// From the current process environment.
    pub fn for_child(
        credentials: ChildCredentials<'_>,
        profile: &str,
        region: RegionChoice,
    ) -> ChildEnvironment {
        let parent: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        Self::plan(&parent, credentials, profile, region)
    }

    /// From `parent` (name, value pairs): conflicting variables removed, credentials, the
    /// marker and the region set.
    pub fn plan(
        parent: &[(String, String)],
        credentials: ChildCredentials<'_>,
        profile: &str,
        region: RegionChoice,
    ) -> ChildEnvironment {
        let env = Environment::from_pairs(parent.iter().cloned());
        let mut plan = ChildEnvironment::default();
        for (name, _) in parent {
            let upper = name.to_ascii_uppercase();
            if CONFLICTING_VARS.contains(&upper.as_str()) || upper.starts_with("AWS_CONTAINER_") {
                plan.remove.push(name.clone());
            }
        }
        let mut set = |name: &str, value: String| {
            plan.set.push((name.to_string(), SecretString::new(value)));
        };
        match credentials {
            ChildCredentials::Server(server) => {
                set(FULL_URI_VAR, server.url());
                set(TOKEN_VAR, server.authorization_token().expose().to_string());
            }
            ChildCredentials::Fixed(resolved) => {
                let c = resolved.credentials();
                set("AWS_ACCESS_KEY_ID", c.access_key_id.clone());
                set(
                    "AWS_SECRET_ACCESS_KEY",
                    c.secret_access_key.expose().to_string(),
                );
                set("AWS_SESSION_TOKEN", c.session_token.expose().to_string());
                set("AWS_CREDENTIAL_EXPIRATION", c.expiration_iso());
                if let Some(account) = &c.account_id {
                    set("AWS_ACCOUNT_ID", account.clone());
                }
            }
        }
        set(EXEC_MARKER, profile.to_string());
        match region {
            RegionChoice::Explicit(region) => {
                set("AWS_REGION", region.clone());
                set("AWS_DEFAULT_REGION", region);
            }
            RegionChoice::Profile(Some(region))
                if env.non_empty("AWS_REGION").is_none()
                    && env.non_empty("AWS_DEFAULT_REGION").is_none() =>
            {
                set("AWS_REGION", region.clone());
                set("AWS_DEFAULT_REGION", region);
            }
            RegionChoice::Profile(_) => {}
        }
        plan
    }
}

/// Where the child's region comes from.
#[derive(Debug, Clone)]
pub enum RegionChoice {
    /// `--region`: set for the child whatever it inherited.
    Explicit(String),
    /// The profile's `region`, used only when the parent sets neither region variable.
    Profile(Option<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_fresh_256_bit_hex() {
        let a = new_token();
        let b = new_token();
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn only_loopback_hosts_pass() {
        let ok = |h: &str| loopback_host(Some(&HeaderValue::from_str(h).unwrap()));
        assert!(ok("127.0.0.1:8080"));
        assert!(ok("127.0.0.1"));
        assert!(ok("LOCALHOST:1"));
        assert!(ok("[::1]:9"));
        assert!(!ok("evil.example:8080"));
        assert!(!ok("127.0.0.1.evil.example"));
        assert!(!ok("localhost.evil.example:80"));
        assert!(!ok("[::1]x"));
        assert!(!ok("169.254.170.2"));
        assert!(!loopback_host(None));
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[tokio::test]
    async fn the_child_environment_drops_conflicts_and_sets_the_server() {
        let server =
            CredentialServer::start(CredentialServerConfig::new(ResolveOptions::default()), None)
                .await
                .unwrap();
        let parent = pairs(&[
            ("AWS_PROFILE", "other"),
            ("AWS_DEFAULT_PROFILE", "other"),
            ("AWS_ACCESS_KEY_ID", "AKIA"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_SESSION_TOKEN", "t"),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/f"),
            ("AWS_LOGIN_EXEC", "outer"),
            ("AWS_CONFIG_FILE", "/keep"),
            ("PATH", "/bin"),
        ]);
        let plan = ChildEnvironment::plan(
            &parent,
            ChildCredentials::Server(&server),
            "dev",
            RegionChoice::Profile(Some("eu-west-1".into())),
        );
        let mut removed = plan.remove.clone();
        removed.sort();
        assert_eq!(
            removed,
            [
                "AWS_ACCESS_KEY_ID",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_DEFAULT_PROFILE",
                "AWS_LOGIN_EXEC",
                "AWS_PROFILE",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
            ]
        );
        let set: Vec<(&str, &str)> = plan
            .set
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose()))
            .collect();
        assert_eq!(
            set,
            [
                (FULL_URI_VAR, server.url().as_str()),
                (TOKEN_VAR, server.authorization_token().expose()),
                (EXEC_MARKER, "dev"),
                ("AWS_REGION", "eu-west-1"),
                ("AWS_DEFAULT_REGION", "eu-west-1"),
            ]
        );
        assert!(server.url().starts_with("http://127.0.0.1:"));
        assert!(server.url().ends_with("/credentials"));
        server.shutdown().await;
    }

    #[tokio::test]
    async fn an_inherited_region_wins_over_the_profile_but_not_over_the_flag() {
        let server =
            CredentialServer::start(CredentialServerConfig::new(ResolveOptions::default()), None)
                .await
                .unwrap();
        let parent = pairs(&[("AWS_DEFAULT_REGION", "ap-south-1")]);
        let region_vars = |plan: &ChildEnvironment| -> Vec<(String, String)> {
            plan.set
                .iter()
                .filter(|(k, _)| k.contains("REGION"))
                .map(|(k, v)| (k.clone(), v.expose().to_string()))
                .collect()
        };
        let inherited = ChildEnvironment::plan(
            &parent,
            ChildCredentials::Server(&server),
            "dev",
            RegionChoice::Profile(Some("eu-west-1".into())),
        );
        assert!(region_vars(&inherited).is_empty());
        let explicit = ChildEnvironment::plan(
            &parent,
            ChildCredentials::Server(&server),
            "dev",
            RegionChoice::Explicit("us-west-2".into()),
        );
        assert_eq!(
            region_vars(&explicit),
            [
                ("AWS_REGION".to_string(), "us-west-2".to_string()),
                ("AWS_DEFAULT_REGION".to_string(), "us-west-2".to_string())
            ]
        );
        let none = ChildEnvironment::plan(
            &[],
            ChildCredentials::Server(&server),
            "dev",
            RegionChoice::Profile(None),
        );
        assert!(region_vars(&none).is_empty());
    }

    #[tokio::test]
    async fn a_taken_port_is_named() {
        let first =
            CredentialServer::start(CredentialServerConfig::new(ResolveOptions::default()), None)
                .await
                .unwrap();
        let mut config = CredentialServerConfig::new(ResolveOptions::default());
        config.port = first.address().port();
        let error = CredentialServer::start(config, None).await.unwrap_err();
        assert!(matches!(error, CredentialServerError::PortInUse { .. }));
        assert!(error.to_string().contains("already in use"));
        assert!(!format!("{first:?}").contains(first.authorization_token().expose()));
    }
}
