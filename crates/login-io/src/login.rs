//! The browser login, driven end to end: choose the profile, region and endpoint
//! ([`LoginTarget::prepare`]), get an authorization code from the browser through the loopback
//! callback server or from a pasted remote code and redeem it ([`authorize`]), then save the
//! session: the cache entry first, then `login_session` (and the region) in the profile with a
//! format-preserving edit ([`save_login`]).
//!
//! The protocol itself (PKCE, state, the token exchange, the cache format, the config edit) is
//! login-core's [`LoginFlow`]; this module only performs its IO. Nothing is written before the
//! token exchange succeeded, and both files are replaced atomically, so an interrupted login
//! (Ctrl-C, timeout, a closed terminal) leaves the person's files as they were.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use login_core::{
    cache_file_name, may_continue_remote_code, CallbackError, ConfigFile, Endpoint, EndpointConfig,
    LoggedIn, LoginError as FlowError, LoginFlow, LoginMode, LoginParams, RemoteCodeError,
    SectionId, TokenError, TokenExchange,
};
use tokio::sync::mpsc;

use crate::browser::{open_browser, BrowserEnvironment, BrowserError, LaunchCommand};
use crate::cache_store::{CacheLock, CacheStore, LockError};
use crate::callback::{CallbackPage, CallbackServer, CallbackServerError, CallbackVerdict};
use crate::http::{HttpError, HttpSettings, SigninHttp};
use crate::paths::expand_path;
use crate::profile::{load_config, ResolveOptions};
use crate::settings::Source;
use crate::LoginIoError;

/// AWS CLI gives up on the browser after ten minutes; so do we unless told otherwise.
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(600);

/// Everything that can stop a login, each with what to do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Settings or config problems shared with credential resolution.
    #[error(transparent)]
    Io(#[from] LoginIoError),

    #[error(
        "Profile '{profile}' in {} already uses {style} credentials, so it cannot become a login \
         profile. Log in to a profile of its own instead, e.g. `aws-login login --profile {profile}-login`.",
        config_file.display()
    )]
    OtherCredentialStyle {
        profile: String,
        style: &'static str,
        config_file: PathBuf,
    },

    #[error(
        "No region for profile '{profile}'. Pass --region (for example --region us-east-1), set \
         AWS_REGION, or add `region = …` to the profile."
    )]
    NoRegion { profile: String },

    #[error("{0}")]
    CallbackServer(#[from] CallbackServerError),

    #[error("Sign-in was denied in the browser{}. Run the login again and choose Allow.", detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Denied { detail: Option<String> },

    #[error("The browser callback could not be used: {0}")]
    BadCallback(CallbackError),

    #[error("{0}")]
    BadRemoteCode(RemoteCodeError),

    #[error("No authorization code was entered (standard input closed). Paste the code the browser shows after you sign in.")]
    NoCodeEntered,

    #[error(
        "Timed out after {} waiting for the sign-in to finish. Run the login again (--timeout sets \
         the limit){}.",
        human_duration(*waited),
        if *remote { "" } else { "; if the browser is on another machine, use --remote" }
    )]
    TimedOut { waited: Duration, remote: bool },

    #[error("{error}")]
    NoBrowser { error: BrowserError },

    #[error("Login cancelled; nothing was changed.")]
    Cancelled,

    #[error(
        "The authorization code expired or was already used (AUTHCODE_EXPIRED): the sign-in took \
         too long or the code was redeemed twice. Run the login again and finish it promptly."
    )]
    AuthCodeExpired,

    #[error(
        "You signed in, but your IAM principal may not create CLI sessions \
         (INSUFFICIENT_PERMISSIONS): it needs the actions signin:AuthorizeOAuth2Access and \
         signin:CreateOAuth2Token. Ask an administrator to attach the AWS managed policy \
         SignInLocalDevelopmentAccess (AdministratorAccess includes it), then log in again."
    )]
    InsufficientPermissions,

    #[error("The sign-in service refused the login: {0}")]
    Token(TokenError),

    #[error("The sign-in service's answer could not be used: {0}")]
    Flow(FlowError),

    #[error("Could not reach the AWS Sign-In service: {detail}. Check your network connection{}.", proxy_hint(proxy.as_deref()))]
    Network {
        detail: String,
        proxy: Option<String>,
    },

    #[error(
        "Profile '{profile}' is logged in as {current}, but you signed in as {new}. Re-run with \
         --yes to replace it, or log in to another profile with --profile NAME."
    )]
    SessionConflict {
        profile: String,
        current: String,
        new: String,
    },

    #[error("Could not save the login session to {}: {detail}. Check that the directory is writable (AWS_LOGIN_CACHE_DIRECTORY sets its location).", path.display())]
    CacheWrite { path: PathBuf, detail: String },

    #[error("Could not update the AWS config file {}: {detail}. The login session was saved; fix the problem and log in again.", path.display())]
    ConfigWrite { path: PathBuf, detail: String },

    #[error("Timed out waiting for another aws-login process that is logging in to profile '{profile}'. Finish or cancel that sign-in and try again.")]
    PendingLoginTimedOut { profile: String },
}

fn proxy_hint(proxy: Option<&str>) -> String {
    match proxy {
        Some(p) => format!(" and the proxy {p} (HTTPS_PROXY, NO_PROXY)"),
        None => String::new(),
    }
}

/// `90s`, `10m`, `1h 30m` — for messages.
pub fn human_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs == 0 && !duration.is_zero() {
        return format!("{}ms", duration.as_millis().max(1));
    }
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s}s"));
    }
    parts.join(" ")
}

/// Where the login's region came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionSource {
    Option,
    Profile,
    Env(&'static str),
    /// Asked interactively (or set by the caller).
    Prompt,
}

/// The profile a login writes to, and everything needed to reach the Sign-In service for it.
#[derive(Debug, Clone)]
pub struct LoginTarget {
    pub profile: String,
    pub config_file: PathBuf,
    pub config_exists: bool,
    pub cache_dir: PathBuf,
    /// The profile's `login_session` before this login.
    pub current_session: Option<String>,
    /// The profile's own `region`, if any.
    pub profile_region: Option<String>,
    /// The region to sign in to; `None` when nothing names one (the caller prompts or fails).
    pub region: Option<(String, RegionSource)>,
    endpoint_override: Option<(String, String)>,
    use_fips: bool,
    use_dual_stack: bool,
    http: HttpSettings,
}

impl LoginTarget {
    /// Reads settings and the config file; refuses a profile that holds another credential
    /// style. Region: `--region`, then the profile's `region`, then `AWS_REGION` /
    /// `AWS_DEFAULT_REGION`.
    pub fn prepare(options: &ResolveOptions) -> Result<Self, LoginError> {
        let (settings, env) = options.env_settings()?;
        let config = load_config(&settings.config_file)?;
        let profile = settings.profile.clone();
        if let Some(style) = config.file.credential_style(&profile) {
            return Err(LoginError::OtherCredentialStyle {
                profile,
                style,
                config_file: config.path,
            });
        }
        let view = config.file.profile(&profile);
        let get = |key: &str| {
            view.as_ref()
                .and_then(|v| v.get(key))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let current_session = get("login_session").map(str::to_owned);
        let profile_region = get("region").map(str::to_owned);
        let region = match &settings.region {
            Some((r, Source::Option)) => Some((r.clone(), RegionSource::Option)),
            other => profile_region
                .clone()
                .map(|r| (r, RegionSource::Profile))
                .or_else(|| {
                    other.as_ref().map(|(r, source)| {
                        let source = match source {
                            Source::Env(name) => RegionSource::Env(name),
                            _ => RegionSource::Option,
                        };
                        (r.clone(), source)
                    })
                }),
        };

        let ignore_endpoints = settings.ignore_configured_endpoint_urls
            || get("ignore_configured_endpoint_urls")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let endpoint_override = match &settings.endpoint_url {
            Some((url, source)) => Some((url.clone(), source.to_string())),
            None if ignore_endpoints => None,
            None => config.file.signin_endpoint_url(&profile).map(|u| {
                (
                    u,
                    format!("profile '{profile}' in {}", config.path.display()),
                )
            }),
        };
        let flag = |env_name: &str, key: &str| {
            env.non_empty(env_name)
                .or_else(|| get(key).map(str::to_owned))
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
        };
        let ca_bundle = settings
            .ca_bundle
            .as_ref()
            .map(|(p, _)| p.clone())
            .or_else(|| get("ca_bundle").map(|p| expand_path(p, &env)));
        Ok(LoginTarget {
            profile,
            config_file: config.path,
            config_exists: config.exists,
            cache_dir: settings.cache_dir,
            current_session,
            profile_region,
            region,
            endpoint_override,
            use_fips: flag("AWS_USE_FIPS_ENDPOINT", "use_fips_endpoint"),
            use_dual_stack: flag("AWS_USE_DUALSTACK_ENDPOINT", "use_dualstack_endpoint"),
            http: HttpSettings {
                policy: options.http.clone(),
                ca_bundle,
                proxy: settings.proxy,
            },
        })
    }

    /// Sets the region chosen interactively.
    pub fn set_region(&mut self, region: impl Into<String>) {
        self.region = Some((region.into(), RegionSource::Prompt));
    }

    /// The Sign-In endpoint: an override wins, else the region's.
    pub fn endpoint(&self) -> Result<Endpoint, LoginError> {
        if let Some((url, source)) = &self.endpoint_override {
            return Endpoint::from_override(url).map_err(|e| {
                LoginError::Io(LoginIoError::Config {
                    message: format!("The Sign-In endpoint from {source} is unusable: {e}."),
                })
            });
        }
        let (region, _) = self.region.as_ref().ok_or_else(|| LoginError::NoRegion {
            profile: self.profile.clone(),
        })?;
        let config = EndpointConfig {
            region: region.clone(),
            use_fips: self.use_fips,
            use_dual_stack: self.use_dual_stack,
            override_url: None,
        };
        Endpoint::resolve(&config).map_err(|e| {
            LoginError::Io(LoginIoError::Config {
                message: format!("Cannot sign in to region '{region}': {e}."),
            })
        })
    }

    /// The session file a login of `session_arn` writes.
    pub fn cache_path(&self, session_arn: &str) -> PathBuf {
        self.cache_dir.join(cache_file_name(session_arn))
    }

    /// Whether saving `new_session` would replace a different `login_session` of the profile.
    pub fn conflicting_session(&self, new_session: &str) -> Option<&str> {
        self.current_session
            .as_deref()
            .filter(|current| *current != new_session)
    }

    /// Serialises logins of this profile across processes: `credential-process` invocations
    /// that all find no session wait here for the first one's login instead of each opening a
    /// browser tab.
    pub async fn lock_pending_login(&self, timeout: Duration) -> Result<CacheLock, LoginError> {
        let store = CacheStore::new(&self.cache_dir);
        let key = format!(
            "aws-login pending login\0{}\0{}",
            self.config_file.display(),
            self.profile
        );
        let marker = store.path_of(&cache_file_name(&key));
        store.lock(&marker, timeout).await.map_err(|e| match e {
            LockError::TimedOut { .. } => LoginError::PendingLoginTimedOut {
                profile: self.profile.clone(),
            },
            LockError::Io { path, source } => LoginError::CacheWrite {
                path,
                detail: source.to_string(),
            },
        })
    }
}

/// How the authorization code gets back to us.
#[derive(Debug)]
pub enum LoginMethod<'a> {
    /// A browser on this machine redirects to the loopback callback server.
    SameDevice {
        redirect_port: Option<u16>,
        /// False for `--no-browser`: only print the URL.
        open_browser: bool,
        /// When no browser opens, fail at once ([`LoginError::NoBrowser`]) instead of waiting
        /// for the URL to be opened by hand: nobody is there to see it.
        fail_without_browser: bool,
    },
    /// The person signs in anywhere and pastes the code the confirmation page shows. Lines
    /// arrive on `codes` (closed = end of input); with `retry_bad_codes` a bad code is reported
    /// and the next line is read, otherwise it ends the login.
    Remote {
        codes: &'a mut mpsc::Receiver<String>,
        retry_bad_codes: bool,
    },
}

/// Progress a frontend shows to the person.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoginEvent<'a> {
    /// The authorize URL: print it (same device: in case no browser opens; remote: to open
    /// elsewhere, then prompt for the code).
    AuthorizeUrl { url: &'a str, remote: bool },
    /// A browser (launcher) was started.
    BrowserOpened { via: &'a LaunchCommand },
    /// No browser could be opened; the URL must be opened by hand.
    BrowserFailed { error: &'a BrowserError },
    /// Now waiting for the callback / the pasted code.
    Waiting { remote: bool },
    /// A request reached the callback but does not belong to this login (wrong state…).
    CallbackRejected { reason: &'a CallbackError },
    /// A pasted code was not usable; the next line is read.
    RemoteCodeRejected { reason: &'a RemoteCodeError },
    /// Redeeming the code at the token endpoint.
    Redeeming,
}

/// A frontend's view of the login.
pub trait LoginObserver {
    fn on_event(&mut self, event: LoginEvent<'_>);
}

/// Runs the browser part of a login and redeems the code. Writes nothing.
pub async fn authorize(
    target: &LoginTarget,
    method: LoginMethod<'_>,
    timeout: Duration,
    observer: &mut dyn LoginObserver,
) -> Result<LoggedIn, LoginError> {
    let endpoint = target.endpoint()?;
    let region = target.region.as_ref().map(|(r, _)| r.clone());
    // Root stores are loaded only when the endpoint (or its proxy) uses TLS.
    let http = SigninHttp::for_url(&target.http, &endpoint.token_url()).map_err(|e| {
        LoginIoError::Config {
            message: format!("{e}."),
        }
    })?;
    let deadline = tokio::time::Instant::now() + timeout;
    let rng = &mut rand::rngs::OsRng;
    match method {
        LoginMethod::SameDevice {
            redirect_port,
            open_browser: open,
            fail_without_browser,
        } => {
            let mut server = CallbackServer::bind(redirect_port).await?;
            tracing::debug!(redirect_uri = %server.redirect_uri(), "callback server listening");
            let params = LoginParams {
                endpoint,
                region,
                mode: LoginMode::SameDevice {
                    redirect_port: server.port(),
                },
            };
            let flow = LoginFlow::start(params, rng);
            let mut ctrl_c = listen_for_ctrl_c();
            observer.on_event(LoginEvent::AuthorizeUrl {
                url: flow.authorize_url(),
                remote: false,
            });

            let (rejected_tx, mut rejected_rx) = mpsc::unbounded_channel::<CallbackError>();
            let judge = |query: &str| judge_callback(&flow, query, &rejected_tx);
            let callback = server.next_callback(judge);
            tokio::pin!(callback);

            let browser_env = BrowserEnvironment::detect();
            let url = flow.authorize_url().to_owned();
            let launch = async move {
                if open {
                    Some(open_browser(&url, &browser_env).await)
                } else {
                    None
                }
            };
            tokio::pin!(launch);
            let mut launched = false;
            // Waiting starts now; a launcher that keeps running (a browser started directly)
            // only reports back after a grace period.
            observer.on_event(LoginEvent::Waiting { remote: false });
            let (outcome, reply) = loop {
                tokio::select! {
                    accepted = &mut callback => break accepted,
                    result = &mut launch, if !launched => {
                        launched = true;
                        match result {
                            Some(Ok(via)) => {
                                tracing::debug!(via = %via.describe(), "browser launched");
                                observer.on_event(LoginEvent::BrowserOpened { via: &via })
                            }
                            Some(Err(error)) if fail_without_browser => return Err(LoginError::NoBrowser { error }),
                            Some(Err(error)) => observer.on_event(LoginEvent::BrowserFailed { error: &error }),
                            None => {}
                        }
                    }
                    Some(reason) = rejected_rx.recv() => observer.on_event(LoginEvent::CallbackRejected { reason: &reason }),
                    _ = tokio::time::sleep_until(deadline) => return Err(LoginError::TimedOut { waited: timeout, remote: false }),
                    _ = &mut ctrl_c => return Err(LoginError::Cancelled),
                }
            };
            let exchange = match outcome {
                Ok(exchange) => exchange,
                Err(error) => {
                    reply.send(&failure_page(&error)).await;
                    return Err(error);
                }
            };
            observer.on_event(LoginEvent::Redeeming);
            let redeemed = tokio::select! {
                redeemed = redeem(&exchange, &http) => redeemed,
                _ = &mut ctrl_c => Err(LoginError::Cancelled),
            };
            match &redeemed {
                Ok(logged_in) => {
                    let detail = format!(
                        "You are signed in as {}. You can close this tab and return to the terminal.",
                        logged_in.session.arn()
                    );
                    reply.send(&CallbackPage::success(detail)).await;
                }
                Err(error) => reply.send(&failure_page(error)).await,
            }
            redeemed
        }
        LoginMethod::Remote {
            codes,
            retry_bad_codes,
        } => {
            let params = LoginParams {
                endpoint,
                region,
                mode: LoginMode::Remote,
            };
            let flow = LoginFlow::start(params, rng);
            let mut ctrl_c = listen_for_ctrl_c();
            observer.on_event(LoginEvent::AuthorizeUrl {
                url: flow.authorize_url(),
                remote: true,
            });
            observer.on_event(LoginEvent::Waiting { remote: true });
            // Lines that may be the start of a code a terminal wrapped over several lines.
            let mut held = PastedLines::default();
            let mut held_reported = false;
            let mut decoded_so_far: Option<TokenExchange> = None;
            let exchange = loop {
                let quiet = tokio::time::sleep(PASTE_QUIET);
                let line = tokio::select! {
                    line = codes.recv() => line,
                    _ = tokio::time::sleep_until(deadline) => return Err(LoginError::TimedOut { waited: timeout, remote: true }),
                    _ = &mut ctrl_c => return Err(LoginError::Cancelled),
                    // Nothing more came: say what is wrong with what was pasted, and keep it in
                    // case the rest of it follows.
                    _ = quiet, if retry_bad_codes && !held.is_empty() && !held_reported => {
                        held_reported = true;
                        // Held lines that are no code together: what is wrong with the newest
                        // one is what the person just pasted.
                        let newest = held.joined(held.len() - 1);
                        if let Err(FlowError::RemoteCode(reason)) = flow.on_remote_code(&newest) {
                            observer.on_event(LoginEvent::RemoteCodeRejected { reason: &reason });
                        }
                        continue;
                    }
                };
                let Some(line) = line else {
                    // End of input: what was held is all there is.
                    match flow.on_remote_code(&held.joined(0)) {
                        Ok(exchange) => break exchange,
                        Err(FlowError::RemoteCode(RemoteCodeError::Empty)) => {
                            return Err(LoginError::NoCodeEntered)
                        }
                        Err(FlowError::RemoteCode(reason)) => {
                            return Err(LoginError::BadRemoteCode(reason))
                        }
                        Err(other) => return Err(LoginError::Flow(other)),
                    }
                };
                if line.trim().is_empty() && held.is_empty() {
                    // A bare Enter before anything was pasted.
                    continue;
                }
                if line.trim().is_empty() {
                    // Enter after part of a code: that part is the whole answer.
                    let answer = held.joined(0);
                    held.clear();
                    match flow.on_remote_code(&answer) {
                        Ok(exchange) => break exchange,
                        Err(FlowError::RemoteCode(reason)) if retry_bad_codes => {
                            if !held_reported {
                                observer
                                    .on_event(LoginEvent::RemoteCodeRejected { reason: &reason });
                            }
                            continue;
                        }
                        Err(FlowError::RemoteCode(reason)) => {
                            return Err(LoginError::BadRemoteCode(reason))
                        }
                        Err(other) => return Err(LoginError::Flow(other)),
                    }
                }
                held.push(line);
                held_reported = false;
                // The longest run of held lines that is a whole code wins (a false start
                // followed by a fresh paste still works).
                // What is wrong with the newest line on its own is what the person just pasted.
                let mut newest_error = None;
                let mut found = None;
                for skip in 0..held.len() {
                    match flow.on_remote_code(&held.joined(skip)) {
                        Ok(exchange) => {
                            found = Some(exchange);
                            break;
                        }
                        Err(e) => newest_error = Some(e),
                    }
                }
                if let Some(exchange) = found {
                    // The first lines of a wrapped code can decode to a code cut short; the rest
                    // of a paste arrives at once, so a line that follows within PASTE_BURST
                    // belongs to it.
                    if may_continue_remote_code(&held.joined(0)) {
                        if let Ok(Some(next)) =
                            tokio::time::timeout(PASTE_BURST, codes.recv()).await
                        {
                            if !next.trim().is_empty() {
                                held.push(next);
                                decoded_so_far = Some(exchange);
                                continue;
                            }
                        }
                    }
                    break exchange;
                }
                // More lines did not make a code: the code decoded before them stands.
                if let Some(exchange) = decoded_so_far.take() {
                    break exchange;
                }
                if may_continue_remote_code(&held.joined(0)) {
                    continue;
                }
                held.clear();
                match newest_error {
                    Some(FlowError::RemoteCode(RemoteCodeError::Empty)) if retry_bad_codes => {
                        continue
                    }
                    Some(FlowError::RemoteCode(reason)) if retry_bad_codes => {
                        observer.on_event(LoginEvent::RemoteCodeRejected { reason: &reason })
                    }
                    Some(FlowError::RemoteCode(reason)) => {
                        return Err(LoginError::BadRemoteCode(reason))
                    }
                    Some(other) => return Err(LoginError::Flow(other)),
                    None => continue,
                }
            };
            observer.on_event(LoginEvent::Redeeming);
            tokio::select! {
                redeemed = redeem(&exchange, &http) => redeemed,
                _ = &mut ctrl_c => Err(LoginError::Cancelled),
            }
        }
    }
}

/// Decides what a callback request means for this login. Only a request carrying this login's
/// `state` can end it (with a code, or with the browser's denial); anything else is answered
/// with an explanation, reported, and waited past.
fn judge_callback(
    flow: &LoginFlow,
    query: &str,
    rejected: &mpsc::UnboundedSender<CallbackError>,
) -> CallbackVerdict<Result<TokenExchange, LoginError>> {
    let state_matches = url::form_urlencoded::parse(query.as_bytes())
        .any(|(k, v)| k == "state" && v == flow.state());
    match flow.on_callback(query) {
        Ok(exchange) => CallbackVerdict::Accept(Ok(exchange)),
        Err(FlowError::Callback(CallbackError::Denied { description, error })) if state_matches => {
            let detail = description.unwrap_or(error);
            CallbackVerdict::Accept(Err(LoginError::Denied {
                detail: Some(detail),
            }))
        }
        Err(FlowError::Callback(CallbackError::MissingCode)) if state_matches => {
            CallbackVerdict::Accept(Err(LoginError::BadCallback(CallbackError::MissingCode)))
        }
        Err(FlowError::Callback(reason)) => {
            let reason = if state_matches {
                reason
            } else {
                CallbackError::StateMismatch
            };
            let page = CallbackPage::failure(
                "This sign-in does not belong to the waiting login",
                format!(
                    "aws-login ignored this request: {reason}. If you started a new login since, use the \
                     newest browser tab; the terminal is still waiting for it."
                ),
            );
            let _ = rejected.send(reason);
            CallbackVerdict::Reject(page)
        }
        Err(other) => CallbackVerdict::Accept(Err(LoginError::Flow(other))),
    }
}

fn failure_page(error: &LoginError) -> CallbackPage {
    let headline = match error {
        LoginError::Denied { .. } => "Sign-in was denied",
        LoginError::InsufficientPermissions => "Missing permissions for CLI sign-in",
        LoginError::AuthCodeExpired => "The sign-in code expired",
        LoginError::Network { .. } => "Could not reach AWS Sign-In",
        _ => "The login did not finish",
    };
    CallbackPage::failure(headline, format!("{error} The terminal has the details."))
}

/// Redeems the code: one token request, re-signed for each retry (fresh DPoP `jti`/`iat`).
async fn redeem(exchange: &TokenExchange, http: &SigninHttp) -> Result<LoggedIn, LoginError> {
    tracing::debug!(url = %exchange.token_url(), "redeeming the authorization code");
    let response = http
        .exchange(|sign_time| {
            let iat = sign_time
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            Ok::<_, std::convert::Infallible>(
                exchange.request(iat, &uuid::Uuid::new_v4().to_string()),
            )
        })
        .await;
    let response = match response {
        Ok(Ok(response)) => response,
        Ok(Err(HttpError::Transport {
            host,
            proxy,
            attempts,
            cause,
        })) => {
            let detail = HttpError::Transport {
                host,
                proxy: proxy.clone(),
                attempts,
                cause,
            }
            .to_string();
            return Err(LoginError::Network { detail, proxy });
        }
        Ok(Err(other)) => {
            return Err(LoginError::Io(LoginIoError::Config {
                message: format!("{other}."),
            }))
        }
        Err(never) => match never {},
    };
    tracing::debug!(status = response.status, "token endpoint answered");
    exchange
        .on_response(&response, time::OffsetDateTime::now_utc())
        .map_err(|e| match e {
            FlowError::Token(TokenError::AuthCodeExpired { .. }) => LoginError::AuthCodeExpired,
            FlowError::Token(TokenError::InsufficientPermissions { .. }) => {
                LoginError::InsufficientPermissions
            }
            FlowError::Token(other) => LoginError::Token(other),
            other => LoginError::Flow(other),
        })
}

/// What [`save_login`] wrote.
#[derive(Debug, Clone)]
pub struct SavedLogin {
    pub profile: String,
    pub session_arn: String,
    pub cache_path: PathBuf,
    pub config_file: PathBuf,
    /// The region written to the profile (it had none).
    pub region_written: Option<String>,
    /// The config file did not exist and was created.
    pub config_created: bool,
}

/// Saves a finished login: the cache entry (SEC1 PEM key, mode 0600, atomic), then
/// `login_session` — and the region when the profile has none — in the profile. Replacing a
/// different `login_session` needs `replace_session`. The config file is re-read here, so edits
/// made while the browser was open are kept.
pub async fn save_login(
    target: &LoginTarget,
    logged_in: &LoggedIn,
    replace_session: bool,
) -> Result<SavedLogin, LoginError> {
    let arn = logged_in.session.arn().to_owned();
    let config = load_config(&target.config_file)?;
    let profile = &target.profile;
    if let Some(style) = config.file.credential_style(profile) {
        return Err(LoginError::OtherCredentialStyle {
            profile: profile.clone(),
            style,
            config_file: config.path,
        });
    }
    let view = config.file.profile(profile);
    let get = |key: &str| {
        view.as_ref()
            .and_then(|v| v.get(key))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    if let Some(current) = get("login_session").filter(|current| *current != arn) {
        if !replace_session {
            return Err(LoginError::SessionConflict {
                profile: profile.clone(),
                current: current.to_owned(),
                new: arn,
            });
        }
    }
    let region_written = match (get("region"), &target.region) {
        (None, Some((region, _))) => Some(region.clone()),
        _ => None,
    };

    let store = CacheStore::new(&target.cache_dir);
    let cache_path = store.path_of(&logged_in.session.cache_file_name());
    let cache_error = |detail: String| LoginError::CacheWrite {
        path: cache_path.clone(),
        detail,
    };
    {
        // Another process may be refreshing the previous session in this file.
        let _lock = store
            .lock(&cache_path, Duration::from_secs(30))
            .await
            .map_err(|e| cache_error(e.to_string()))?;
        store
            .write_atomic(&cache_path, logged_in.entry.to_json().as_bytes())
            .map_err(|e| cache_error(e.to_string()))?;
        tracing::debug!(path = %cache_path.display(), "saved the login session");
    }

    let section = SectionId::profile(profile.clone());
    let edit_error = |e: login_core::config::ConfigEditError| LoginError::ConfigWrite {
        path: target.config_file.clone(),
        detail: e.to_string(),
    };
    let mut text = config
        .file
        .set(&section, "login_session", &arn)
        .map_err(edit_error)?;
    if let Some(region) = &region_written {
        text = ConfigFile::parse(&text)
            .set(&section, "region", region)
            .map_err(edit_error)?;
    }
    if text != config.file.text() {
        write_config_file(&target.config_file, &text).map_err(|e| LoginError::ConfigWrite {
            path: target.config_file.clone(),
            detail: e.to_string(),
        })?;
    }
    Ok(SavedLogin {
        profile: profile.clone(),
        session_arn: arn,
        cache_path,
        config_file: target.config_file.clone(),
        region_written,
        config_created: !config.exists,
    })
}

/// Replaces the config file atomically (temp file beside it, fsync, rename), keeping its
/// permissions; a symlinked config (dotfile managers) is written through to its target. A
/// missing file and directory are created (file mode 0600).
pub fn write_config_file(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let real = match std::fs::canonicalize(path) {
        Ok(real) => real,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => path.to_path_buf(),
        Err(e) => return Err(e),
    };
    let dir = match real.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let existing_permissions = std::fs::metadata(&real).ok().map(|m| m.permissions());
    let name = real
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("config");
    let temp = dir.join(format!(
        ".{name}.{}.{:08x}.tmp",
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temp)?;
        file.write_all(text.as_bytes())?;
        if let Some(permissions) = existing_permissions {
            file.set_permissions(permissions)?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, &real)?;
        if let Ok(dir) = std::fs::File::open(&dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// How long a pasted part of a remote code waits for its next line before its problem is shown
/// (it stays held: a wrapped paste's last line may come only when Enter is pressed).
const PASTE_QUIET: Duration = Duration::from_secs(1);

/// How soon the next line of one paste follows the previous one (a terminal delivers a paste at
/// once; this only has to cover scheduling).
const PASTE_BURST: Duration = Duration::from_millis(150);

/// At most this many lines of one wrapped code are kept.
const MAX_PASTED_LINES: usize = 16;

/// The lines of a remote code pasted over several lines, oldest first.
#[derive(Debug, Default)]
struct PastedLines(Vec<String>);

impl PastedLines {
    fn push(&mut self, line: String) {
        if self.0.len() == MAX_PASTED_LINES {
            self.0.remove(0);
        }
        self.0.push(line);
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn clear(&mut self) {
        self.0.clear();
    }
    /// The lines after the first `skip`, joined (the decoder ignores whitespace).
    fn joined(&self, skip: usize) -> String {
        self.0[skip.min(self.0.len())..].concat()
    }
}

/// Listens for Ctrl-C from the moment it is called. `tokio::signal::ctrl_c()` only starts to
/// listen when first polled, and a Ctrl-C before that would end the process by the signal instead
/// of with `LoginError::Cancelled`. If the listener cannot be set up, Ctrl-C keeps its default
/// effect (it ends the process) and this never completes.
fn listen_for_ctrl_c() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> {
    #[cfg(unix)]
    let listener = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).map(
        |mut signal| async move {
            signal.recv().await;
        },
    );
    #[cfg(windows)]
    let listener = tokio::signal::windows::ctrl_c().map(|mut signal| async move {
        signal.recv().await;
    });
    match listener {
        Ok(listener) => Box::pin(listener),
        Err(e) => {
            tracing::debug!(error = %e, "cannot listen for Ctrl-C");
            Box::pin(std::future::pending())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Environment;

    fn options(dir: &Path, config: Option<&str>, extra: &[(&str, &str)]) -> ResolveOptions {
        let config_path = dir.join("aws/config");
        if let Some(text) = config {
            std::fs::create_dir_all(config_path.parent().unwrap()).unwrap();
            std::fs::write(&config_path, text).unwrap();
        }
        let mut pairs = vec![
            ("HOME".to_owned(), dir.display().to_string()),
            (
                "AWS_CONFIG_FILE".to_owned(),
                config_path.display().to_string(),
            ),
            (
                "AWS_LOGIN_CACHE_DIRECTORY".to_owned(),
                dir.join("cache").display().to_string(),
            ),
        ];
        pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        ResolveOptions {
            env: Some(Environment::from_pairs(pairs)),
            ..ResolveOptions::default()
        }
    }

    #[test]
    fn region_comes_from_the_option_then_the_profile_then_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let config = "[profile dev]\nregion = eu-west-1\n";
        let mut o = options(dir.path(), Some(config), &[("AWS_REGION", "us-west-2")]);
        o.profile = Some("dev".into());
        assert_eq!(
            LoginTarget::prepare(&o).unwrap().region,
            Some(("eu-west-1".into(), RegionSource::Profile))
        );
        o.region = Some("ap-south-1".into());
        assert_eq!(
            LoginTarget::prepare(&o).unwrap().region,
            Some(("ap-south-1".into(), RegionSource::Option))
        );
        o.region = None;
        o.profile = Some("other".into());
        assert_eq!(
            LoginTarget::prepare(&o).unwrap().region,
            Some(("us-west-2".into(), RegionSource::Env("AWS_REGION")))
        );
        let o = options(dir.path(), None, &[]);
        let target = LoginTarget::prepare(&o).unwrap();
        assert_eq!(target.region, None);
        assert!(matches!(
            target.endpoint(),
            Err(LoginError::NoRegion { .. })
        ));
    }

    #[test]
    fn profiles_with_other_credential_styles_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let config =
            "[profile keys]\naws_access_key_id = AKIAEXAMPLE\n[profile sso]\nsso_account_id = 1\n";
        for (profile, style) in [("keys", "Access Key"), ("sso", "SSO")] {
            let mut o = options(dir.path(), Some(config), &[]);
            o.profile = Some(profile.into());
            let err = LoginTarget::prepare(&o).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(style) && text.contains("--profile"), "{text}");
        }
    }

    #[test]
    fn the_endpoint_override_wins_and_the_current_session_is_known() {
        let dir = tempfile::tempdir().unwrap();
        let config = "[default]\nlogin_session = arn:aws:iam::111122223333:user/alice\n";
        let o = options(
            dir.path(),
            Some(config),
            &[("AWS_ENDPOINT_URL_SIGNIN", "http://127.0.0.1:9/")],
        );
        let target = LoginTarget::prepare(&o).unwrap();
        assert_eq!(target.endpoint().unwrap().base(), "http://127.0.0.1:9");
        assert_eq!(
            target.conflicting_session("arn:aws:iam::111122223333:user/alice"),
            None
        );
        assert_eq!(
            target.conflicting_session("arn:aws:iam::111122223333:user/bob"),
            Some("arn:aws:iam::111122223333:user/alice")
        );
    }

    #[cfg(unix)]
    #[test]
    fn config_writes_are_atomic_keep_permissions_and_follow_symlinks() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("new/dir/config");
        write_config_file(&fresh, "[default]\n").unwrap();
        assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "[default]\n");
        assert_eq!(
            std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
            0o600
        );

        let real = dir.path().join("dotfiles-config");
        std::fs::write(&real, "old").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("config-link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_config_file(&link, "new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o644
        );
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    fn same_device_flow() -> LoginFlow {
        let endpoint = Endpoint::from_override("http://127.0.0.1:9").unwrap();
        let params = LoginParams {
            endpoint,
            region: None,
            mode: LoginMode::SameDevice {
                redirect_port: 4321,
            },
        };
        LoginFlow::start(params, &mut rand::rngs::OsRng)
    }

    #[test]
    fn only_a_callback_with_this_logins_state_can_end_it() {
        let flow = same_device_flow();
        let state = flow.state().to_owned();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let judge = |query: &str| judge_callback(&flow, query, &tx);

        assert!(matches!(
            judge(&format!("code=abc&state={state}")),
            CallbackVerdict::Accept(Ok(_))
        ));
        // A denial with our state ends the login with the reason.
        match judge(&format!(
            "error=access_denied&error_description=The%20user%20said%20no&state={state}"
        )) {
            CallbackVerdict::Accept(Err(LoginError::Denied { detail })) => {
                assert_eq!(detail.as_deref(), Some("The user said no"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            judge(&format!("state={state}")),
            CallbackVerdict::Accept(Err(LoginError::BadCallback(CallbackError::MissingCode)))
        ));
        // Anything else is answered, reported and waited past: a forged denial cannot end it.
        for stray in [
            "code=abc&state=wrong".to_owned(),
            "error=access_denied&state=wrong".to_owned(),
            "error=access_denied".to_owned(),
            "code=abc".to_owned(),
            String::new(),
            format!("code=a&code=b&state={state}"),
        ] {
            match judge(&stray) {
                CallbackVerdict::Reject(page) => assert_eq!(page.status(), 400, "{stray}"),
                other => panic!("{stray}: {other:?}"),
            }
        }
        let reported: Vec<CallbackError> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert_eq!(reported.len(), 6);
        assert_eq!(reported[0], CallbackError::StateMismatch);
        assert_eq!(reported[5], CallbackError::DuplicateParameter("code"));
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(Duration::from_secs(600)), "10m");
        assert_eq!(human_duration(Duration::from_secs(90)), "1m 30s");
        assert_eq!(human_duration(Duration::from_secs(3605)), "1h 5s");
        assert_eq!(human_duration(Duration::ZERO), "0s");
        assert_eq!(human_duration(Duration::from_millis(300)), "300ms");
    }
}
