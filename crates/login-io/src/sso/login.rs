//! `sso login`: the client registration (reused from `~/.aws/sso/cache` when AWS CLI's rules
//! allow), then authorization code + PKCE through the loopback callback server on 127.0.0.1,
//! or the device-code flow; the token is written under the cache lock, atomically, 0600.

use std::path::PathBuf;
use std::time::Duration;

use login_core::sso::{
    AuthCodeFlow, DeviceFlow, DevicePoll, Registration, RegistrationFlow, SsoFlowError,
    SsoLoginParams, SsoLoginTarget, SsoToken,
};
use login_core::HttpResponse;
use time::OffsetDateTime;

use crate::browser::{open_browser, BrowserEnvironment, BrowserError, LaunchCommand};
use crate::cache_store::{CacheLock, CacheRead, LockError};
use crate::callback::{CallbackPage, CallbackServer, CallbackVerdict};
use crate::error::{ErrorKind, LoginIoError};

use super::start_url::{write_region, LoginDestination};
use super::{lock_error, sso_error, SsoContext};

/// How the person approves the sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SsoLoginMethod {
    /// Authorization code + PKCE with the loopback redirect (sso-session default).
    AuthCode { open_browser: bool },
    /// Device code: a code to enter at a URL on any device (legacy profiles, `--use-device-code`).
    Device { open_browser: bool },
}

/// Progress a frontend shows.
#[derive(Debug)]
#[non_exhaustive]
pub enum SsoLoginEvent<'a> {
    /// PKCE: the URL to open (printed in case no browser opens).
    AuthorizeUrl {
        url: &'a str,
        open_browser: bool,
    },
    /// Device flow: what to enter where.
    DeviceCode {
        user_code: &'a str,
        verification_uri: &'a str,
        verification_uri_complete: &'a str,
        open_browser: bool,
    },
    BrowserOpened {
        via: &'a LaunchCommand,
    },
    BrowserFailed {
        error: &'a BrowserError,
    },
    /// Waiting for the approval.
    Waiting,
    /// A request reached the callback but does not belong to this login.
    CallbackRejected {
        reason: &'a str,
    },
    /// Redeeming the code.
    Redeeming,
}

/// A frontend's view of the login.
pub trait SsoLoginObserver {
    fn on_event(&mut self, event: SsoLoginEvent<'_>);
}

/// What `sso login` saved.
#[derive(Debug, Clone)]
pub struct SsoLoggedIn {
    pub target: SsoLoginTarget,
    pub token_path: PathBuf,
    pub expires_at: OffsetDateTime,
    pub refreshable: bool,
    /// The `sso_region` written after the sign-in (a vanity start URL named another region).
    pub region_updated: Option<String>,
    /// What went wrong after the token was saved (writing `sso_region`).
    pub warnings: Vec<String>,
}

fn flow_error(target: &SsoLoginTarget, profile: Option<&str>, e: SsoFlowError) -> LoginIoError {
    let kind = match &e {
        SsoFlowError::Denied { .. } | SsoFlowError::Callback(_) | SsoFlowError::Expired => {
            ErrorKind::SessionExpired
        }
        e if e.is_retryable() => ErrorKind::ServiceUnavailable,
        _ => ErrorKind::ServiceRejected,
    };
    let text = e.to_string().replace(
        "`aws-login sso login`",
        &format!("`{}`", target.login_command(profile)),
    );
    sso_error(
        kind,
        format!(
            "IAM Identity Center sign-in for {}: {text}.",
            target.describe()
        ),
    )
}

async fn registration(
    ctx: &SsoContext,
    params: &SsoLoginParams,
    flow: RegistrationFlow,
    profile: Option<&str>,
) -> Result<Registration, LoginIoError> {
    let path = ctx
        .token_store
        .path_of(&params.target.registration_key().file_name());
    if let Ok(CacheRead::Found(bytes)) = ctx.token_store.read(&path) {
        if let Some(r) = Registration::from_json(&bytes) {
            if r.usable_for(flow, OffsetDateTime::now_utc()) {
                tracing::debug!(client_id = %r.client_id, "reusing the cached client registration");
                return Ok(r);
            }
        }
    }
    let request = params.register_request(flow, OffsetDateTime::now_utc());
    let response = ctx.send(request, "register this client").await?;
    let registration = params
        .on_register_response(flow, &response)
        .map_err(|e| flow_error(&params.target, profile, e))?;
    let json = registration.to_json();
    ctx.token_store
        .write_atomic(&path, json.as_bytes())
        .map_err(|e| LoginIoError::CacheWrite {
            path: path.clone(),
            detail: e.to_string(),
        })?;
    zeroize::Zeroize::zeroize(&mut json.into_bytes());
    Ok(registration)
}

/// Serialises interactive sign-ins to `target` across processes: `credential-process` and
/// `exec --login` invocations that all find the session expired wait here for the first one's
/// sign-in instead of each opening a browser tab. After getting it, re-read the token: the
/// process before may have signed in already.
pub async fn lock_pending_sso_login(
    ctx: &SsoContext,
    target: &SsoLoginTarget,
    timeout: Duration,
) -> Result<CacheLock, LoginIoError> {
    // A marker of its own: the token file's lock is held only briefly while writing, and a
    // refresh must not wait behind a browser sign-in.
    let key = format!("aws-login pending sso login\0{}", target.token_key());
    let marker = ctx
        .token_store
        .path_of(&login_core::sso::token_cache_file_name(&key));
    ctx.token_store
        .lock(&marker, timeout)
        .await
        .map_err(|e| match e {
            LockError::TimedOut { waited, .. } => sso_error(
                ErrorKind::CacheWrite,
                format!(
                    "Another aws-login process has been signing in to {} for {} s and has not finished. Finish or cancel that sign-in, then try again (or run `{}`).",
                    target.describe(),
                    waited.as_secs(),
                    target.login_command(None)
                ),
            ),
            LockError::Io { path, source } => LoginIoError::CacheWrite {
                path,
                detail: source.to_string(),
            },
        })
}

/// True when this process runs in an SSH session (a browser elsewhere cannot reach our
/// 127.0.0.1 callback).
pub fn over_ssh(env: &crate::settings::Environment) -> bool {
    ["SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY"]
        .iter()
        .any(|v| env.non_empty(v).is_some())
}

/// Signs `destination` in and saves the token; then writes the region its vanity start URL
/// named into `sso_region` when that differs. `profile` only shapes messages.
pub async fn sso_login(
    ctx: &SsoContext,
    destination: &LoginDestination,
    profile: Option<&str>,
    method: SsoLoginMethod,
    timeout: Duration,
    observer: &mut dyn SsoLoginObserver,
) -> Result<SsoLoggedIn, LoginIoError> {
    let target = &destination.target;
    let params = SsoLoginParams {
        oidc_base: ctx.oidc_base(target.region(), profile),
        target: target.clone(),
        issuer_url: destination.issuer_url.clone(),
    };
    // Legacy profiles have no refresh tokens and AWS CLI uses the device flow for them.
    let method = match (method, target) {
        (SsoLoginMethod::AuthCode { open_browser }, SsoLoginTarget::Legacy { .. }) => {
            SsoLoginMethod::Device { open_browser }
        }
        (m, _) => m,
    };
    let deadline = tokio::time::Instant::now() + timeout;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let cancelled = || {
        sso_error(
            ErrorKind::SessionExpired,
            format!(
                "Sign-in cancelled; nothing was saved. Run `{}` to try again.",
                target.login_command(profile)
            ),
        )
    };
    let timed_out = || {
        sso_error(
            ErrorKind::SessionExpired,
            format!(
                "No approval within {} s; nothing was saved. Run `{}` to try again.",
                timeout.as_secs(),
                target.login_command(profile)
            ),
        )
    };
    let token: SsoToken = match method {
        SsoLoginMethod::AuthCode { open_browser: open } => {
            let reg = registration(ctx, &params, RegistrationFlow::AuthCode, profile).await?;
            let mut server = CallbackServer::bind(None).await.map_err(|e| {
                LoginIoError::config(format!(
                    "{e}. Run `{} --use-device-code` instead.",
                    target.login_command(profile)
                ))
            })?;
            let flow = AuthCodeFlow::start(
                params.clone(),
                reg,
                &server.redirect_uri(),
                &mut rand::rngs::OsRng,
            );
            observer.on_event(SsoLoginEvent::AuthorizeUrl {
                url: flow.authorize_url(),
                open_browser: open,
            });
            let (rejected_tx, mut rejected_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
            let judge = |query: &str| {
                let state_matches = url::form_urlencoded::parse(query.as_bytes())
                    .any(|(k, v)| k == "state" && v == flow.state());
                match flow.on_callback(query) {
                    Ok(request) => CallbackVerdict::Accept(Ok(request)),
                    Err(e @ SsoFlowError::Denied { .. }) if state_matches => {
                        CallbackVerdict::Accept(Err(e))
                    }
                    Err(e) if state_matches => CallbackVerdict::Accept(Err(e)),
                    Err(e) => {
                        let reason = e.to_string();
                        let _ = rejected_tx.send(reason.clone());
                        CallbackVerdict::Reject(CallbackPage::failure(
                            "This sign-in does not belong to the waiting login",
                            format!("aws-login ignored this request: {reason}. The terminal is still waiting for its own sign-in."),
                        ))
                    }
                }
            };
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
            observer.on_event(SsoLoginEvent::Waiting);
            let (outcome, reply) = loop {
                tokio::select! {
                    accepted = &mut callback => break accepted,
                    result = &mut launch, if !launched => {
                        launched = true;
                        match result {
                            Some(Ok(via)) => observer.on_event(SsoLoginEvent::BrowserOpened { via: &via }),
                            Some(Err(error)) => observer.on_event(SsoLoginEvent::BrowserFailed { error: &error }),
                            None => {}
                        }
                    }
                    Some(reason) = rejected_rx.recv() => observer.on_event(SsoLoginEvent::CallbackRejected { reason: &reason }),
                    _ = tokio::time::sleep_until(deadline) => return Err(timed_out()),
                    _ = &mut ctrl_c => return Err(cancelled()),
                }
            };
            let request = match outcome {
                Ok(r) => r,
                Err(e) => {
                    let headline = if matches!(e, SsoFlowError::Denied { .. }) {
                        "Sign-in was denied"
                    } else {
                        "The sign-in did not finish"
                    };
                    reply
                        .send(&CallbackPage::failure(
                            headline,
                            format!("{e}. The terminal has the details."),
                        ))
                        .await;
                    return Err(flow_error(target, profile, e));
                }
            };
            observer.on_event(SsoLoginEvent::Redeeming);
            let response: Result<HttpResponse, LoginIoError> = tokio::select! {
                r = ctx.send(request, "redeem the authorization code") => r,
                _ = &mut ctrl_c => Err(cancelled()),
            };
            let token = response.and_then(|resp| {
                flow.on_token_response(&resp, OffsetDateTime::now_utc())
                    .map_err(|e| flow_error(target, profile, e))
            });
            match &token {
                Ok(_) => reply.send(&CallbackPage::success(format!("You are signed in to {}. You can close this tab and return to the terminal.", target.start_url()))).await,
                Err(e) => reply.send(&CallbackPage::failure("The sign-in did not finish", format!("{e}"))).await,
            }
            token?
        }
        SsoLoginMethod::Device { open_browser: open } => {
            let reg = registration(ctx, &params, RegistrationFlow::Device, profile).await?;
            let start = DeviceFlow::start_request(&params, &reg);
            let response = ctx.send(start, "start the device authorization").await?;
            let mut flow = DeviceFlow::on_start_response(
                params.clone(),
                reg,
                &response,
                OffsetDateTime::now_utc(),
            )
            .map_err(|e| flow_error(target, profile, e))?;
            // One attempt right away (a pre-approved device), then show the code.
            let mut first = true;
            let mut shown = false;
            let token = loop {
                let response = tokio::select! {
                    r = ctx.send(flow.poll_request(), "poll for the device authorization") => r?,
                    _ = &mut ctrl_c => return Err(cancelled()),
                };
                let wait = match flow.on_poll_response(&response, OffsetDateTime::now_utc()) {
                    Ok(DevicePoll::Done(token)) => break *token,
                    Ok(DevicePoll::Pending { wait_seconds }) => wait_seconds,
                    Err(e) => return Err(flow_error(target, profile, e)),
                };
                if !shown {
                    shown = true;
                    observer.on_event(SsoLoginEvent::DeviceCode {
                        user_code: flow.user_code(),
                        verification_uri: flow.verification_uri(),
                        verification_uri_complete: flow.verification_uri_complete(),
                        open_browser: open,
                    });
                    if open {
                        match open_browser(
                            flow.verification_uri_complete(),
                            &BrowserEnvironment::detect(),
                        )
                        .await
                        {
                            Ok(via) => {
                                observer.on_event(SsoLoginEvent::BrowserOpened { via: &via })
                            }
                            Err(error) => {
                                observer.on_event(SsoLoginEvent::BrowserFailed { error: &error })
                            }
                        }
                    }
                    observer.on_event(SsoLoginEvent::Waiting);
                }
                if first {
                    // AWS CLI polls again at once after showing the code.
                    first = false;
                    continue;
                }
                // The service's expiresIn is the client-side deadline too.
                let until_deadline = (flow.deadline() - OffsetDateTime::now_utc())
                    .whole_milliseconds()
                    .max(0) as u64;
                let pause = Duration::from_secs(wait_seconds_u64(wait))
                    .min(Duration::from_millis(until_deadline));
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = tokio::time::sleep_until(deadline) => return Err(timed_out()),
                    _ = &mut ctrl_c => return Err(cancelled()),
                }
                if flow.expired(OffsetDateTime::now_utc()) {
                    return Err(flow_error(target, profile, SsoFlowError::Expired));
                }
            };
            token
        }
    };
    let path = ctx.token_path(target);
    let _lock = ctx
        .token_store
        .lock(&path, ctx.lock_timeout)
        .await
        .map_err(|e| lock_error(profile.unwrap_or(target.token_key()), e))?;
    let json = token.to_json();
    ctx.token_store
        .write_atomic(&path, json.as_bytes())
        .map_err(|e| LoginIoError::CacheWrite {
            path: path.clone(),
            detail: e.to_string(),
        })?;
    zeroize::Zeroize::zeroize(&mut json.into_bytes());
    drop(_lock);
    // The token is saved whatever happens here: a config that cannot be written is a warning.
    let mut warnings = Vec::new();
    let region_updated = match &destination.region_update {
        Some(update) => match write_region(ctx, update) {
            Ok(()) => Some(update.region.clone()),
            Err(e) => {
                warnings.push(e.to_string());
                None
            }
        },
        None => None,
    };
    Ok(SsoLoggedIn {
        target: target.clone(),
        token_path: path,
        expires_at: token.expires_at,
        refreshable: token.refresh_token.is_some(),
        region_updated,
        warnings,
    })
}

fn wait_seconds_u64(wait: i64) -> u64 {
    u64::try_from(wait).unwrap_or(1).max(1)
}
