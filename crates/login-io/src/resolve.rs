//! Profile → credentials. The profile is planned first (login-core's chain planner): a login
//! profile reads its cache, uses it while more than five minutes remain, else refreshes under the
//! cache lock (re-reading first: another process may have refreshed) and writes the result back
//! atomically; a role profile runs its chain (chain.rs) over any base source.

use std::future::Future;
use std::sync::Mutex;
use std::time::SystemTime;

use login_core::{CacheEntry, Credentials, Refresh, RefreshPlan, SecretString, TokenError};
use time::OffsetDateTime;

use crate::cache_store::{LockError, SettledRead, TornFile};
use crate::chain::{self, ChainContext, ChainOutcome, Planned};
use crate::error::LoginIoError;
use crate::http::{HttpError, SigninHttp};
use crate::profile::{LoginProfileContext, ResolveOptions};

/// Temporary credentials of a profile: a login session's, or a role's at the end of a chain.
#[derive(Debug, Clone)]
pub struct ResolvedCredentials {
    credentials: Credentials,
    profile: String,
    login_session: String,
    refreshed: bool,
    warnings: Vec<String>,
    role_chain: Option<RoleChain>,
}

/// How a role profile's credentials were obtained (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleChain {
    /// From the profile asked for down to the base: `["admin", "ops", "signin"]`.
    pub profiles: Vec<String>,
    /// The role ARNs assumed, from the base outwards.
    pub role_arns: Vec<String>,
    /// `AssumedRoleUser.Arn` of the last role, when known.
    pub assumed_role_arn: Option<String>,
    /// The base source, described (`login profile 'signin' (arn:…)`).
    pub base: String,
    /// True when the role credentials came from the role cache unchanged.
    pub from_cache: bool,
}

impl ResolvedCredentials {
    /// Credentials from another source than a login session (IAM Identity Center);
    /// `source` is what [`ResolvedCredentials::login_session`] reports.
    pub(crate) fn from_source(
        credentials: Credentials,
        profile: &str,
        source: String,
        refreshed: bool,
        warnings: Vec<String>,
    ) -> Self {
        ResolvedCredentials {
            credentials,
            profile: profile.to_owned(),
            login_session: source,
            refreshed,
            warnings,
            role_chain: None,
        }
    }
    pub fn access_key_id(&self) -> &str {
        &self.credentials.access_key_id
    }
    pub fn secret_access_key(&self) -> &SecretString {
        &self.credentials.secret_access_key
    }
    pub fn session_token(&self) -> &SecretString {
        &self.credentials.session_token
    }
    pub fn expiration(&self) -> OffsetDateTime {
        self.credentials.expiration
    }
    pub fn expiration_system_time(&self) -> SystemTime {
        let secs = self.credentials.expiration.unix_timestamp();
        SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(secs).unwrap_or(0))
    }
    pub fn account_id(&self) -> Option<&str> {
        self.credentials.account_id.as_deref()
    }
    /// The profile these came from.
    pub fn profile(&self) -> &str {
        &self.profile
    }
    /// The login session ARN the credentials derive from: the profile's own `login_session`,
    /// or that of the login profile at the base of a role chain; empty when the chain's base is
    /// not a login session (static keys, credential_process, environment).
    pub fn login_session(&self) -> &str {
        &self.login_session
    }
    /// For a role profile: the chain that produced the credentials; `None` for a login profile.
    pub fn role_chain(&self) -> Option<&RoleChain> {
        self.role_chain.as_ref()
    }
    /// True when this call refreshed the session itself.
    pub fn refreshed(&self) -> bool {
        self.refreshed
    }
    /// Things the user should know although credentials were delivered (e.g. the refresh
    /// failed on the network but the cached credentials are still valid for a few minutes).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
    /// The credentials as the protocol core models them (for `ExportFormat::render`).
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }
}

/// Resolves a profile's credentials: a login profile's session (refreshed when fewer than five
/// minutes remain), or a role profile's role credentials (cached, assumed when fewer than 15
/// minutes remain), whatever the base of its chain.
pub async fn resolve_credentials(
    options: &ResolveOptions,
) -> Result<ResolvedCredentials, LoginIoError> {
    match chain::load(options)? {
        Planned::Login(context) => resolve_login(&context, options.force_refresh).await,
        Planned::Sso(sso) => {
            let (ctx, profile) = &*sso;
            crate::sso::resolve_as_credentials(ctx, profile, options.force_refresh).await
        }
        Planned::Roles(chain) => {
            let outcome = match chain.fast_path(options.force_refresh) {
                Some(done) => done,
                None => chain.run(options.force_refresh).await?,
            };
            Ok(resolved_role(&chain, outcome))
        }
    }
}

/// The blocking form of [`resolve_credentials`]. Needs no runtime from the caller: a valid
/// cache is answered without any; a refresh runs on a shared background runtime. Safe to call
/// from many threads at once, and from inside an async runtime.
pub fn resolve_credentials_blocking(
    options: &ResolveOptions,
) -> Result<ResolvedCredentials, LoginIoError> {
    match chain::load(options)? {
        Planned::Login(context) => {
            let read = context.store.read_settled(&context.cache_path);
            if let Some(done) = fast_path(&context, options.force_refresh, read)? {
                return Ok(done);
            }
            block_on(refresh_locked(&context, options.force_refresh))
        }
        Planned::Sso(sso) => {
            let (ctx, profile) = &*sso;
            if !options.force_refresh {
                if let Some(c) = crate::sso::cached_role_credentials(ctx, profile) {
                    return Ok(crate::sso::as_resolved(profile, c, false, Vec::new()));
                }
            }
            block_on(crate::sso::resolve_as_credentials(
                ctx,
                profile,
                options.force_refresh,
            ))
        }
        Planned::Roles(chain) => {
            let outcome = match chain.fast_path(options.force_refresh) {
                Some(done) => done,
                None => block_on(chain.run(options.force_refresh))?,
            };
            Ok(resolved_role(&chain, outcome))
        }
    }
}

/// A login session's credentials (the base of role chains goes through here too).
pub(crate) async fn resolve_login(
    context: &LoginProfileContext,
    force: bool,
) -> Result<ResolvedCredentials, LoginIoError> {
    let read = context.store.read_settled_async(&context.cache_path).await;
    match fast_path(context, force, read)? {
        Some(done) => Ok(done),
        None => refresh_locked(context, force).await,
    }
}

fn resolved_role(chain: &ChainContext, outcome: ChainOutcome) -> ResolvedCredentials {
    let plan = &chain.plan;
    let login_session = match &plan.base {
        login_core::Source::LoginSession { session_arn, .. } => session_arn.clone(),
        _ => String::new(),
    };
    ResolvedCredentials {
        credentials: outcome.credentials,
        profile: plan.profile.clone(),
        login_session,
        refreshed: !outcome.from_cache,
        warnings: outcome.warnings,
        role_chain: Some(RoleChain {
            profiles: plan.profiles().into_iter().map(str::to_string).collect(),
            role_arns: plan.roles.iter().map(|r| r.role_arn.clone()).collect(),
            assumed_role_arn: outcome.assumed_role_arn,
            base: plan.base.describe(),
            from_cache: outcome.from_cache,
        }),
    }
}

/// The background runtime for blocking calls, one per process id: a child forked after the
/// parent used it (Python's multiprocessing) has no worker thread for the parent's runtime, so
/// it builds its own and leaves the parent's alone.
fn shared_runtime(pid: u32) -> Result<&'static tokio::runtime::Runtime, String> {
    static RUNTIME: Mutex<Option<(u32, &'static tokio::runtime::Runtime)>> = Mutex::new(None);
    let mut slot = RUNTIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((owner, runtime)) = *slot {
        if owner == pid {
            return Ok(runtime);
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("login-io")
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let runtime: &'static tokio::runtime::Runtime = Box::leak(Box::new(runtime));
    *slot = Some((pid, runtime));
    Ok(runtime)
}

/// Runs a future to completion from synchronous code.
pub(crate) fn block_on<F: Future + Send>(future: F) -> F::Output
where
    F::Output: Send,
{
    let runtime = shared_runtime(std::process::id());
    match runtime {
        // Inside another runtime `block_on` would panic; a scoped thread keeps it out.
        Ok(rt) if tokio::runtime::Handle::try_current().is_ok() => {
            std::thread::scope(|scope| match scope.spawn(|| rt.block_on(future)).join() {
                Ok(output) => output,
                Err(panic) => std::panic::resume_unwind(panic),
            })
        }
        Ok(rt) => rt.block_on(future),
        Err(e) => {
            // Cannot happen short of the OS refusing threads; build a throwaway runtime then.
            tracing::warn!(error = %e, "shared runtime unavailable; using a current-thread runtime");
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(future),
                Err(e) => panic!("cannot start an async runtime: {e}"),
            }
        }
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn resolved(
    context: &LoginProfileContext,
    credentials: Credentials,
    refreshed: bool,
) -> ResolvedCredentials {
    ResolvedCredentials {
        credentials,
        profile: context.profile.clone(),
        login_session: context.login_session.clone(),
        refreshed,
        warnings: Vec::new(),
        role_chain: None,
    }
}

/// `None`: go to the lock (to refresh, or to read a still-torn file once more under it).
fn fast_path(
    context: &LoginProfileContext,
    force: bool,
    read: std::io::Result<SettledRead>,
) -> Result<Option<ResolvedCredentials>, LoginIoError> {
    let entry = match entry_from(context, read)? {
        Ok(entry) => entry,
        Err(torn) => {
            tracing::debug!(path = %context.cache_path.display(), reads = torn.reads, waited_ms = torn.waited.as_millis() as u64, "the cache file looks torn (a peer is writing it?); reading it again under the lock");
            return Ok(None);
        }
    };
    if force {
        return Ok(None);
    }
    match RefreshPlan::decide(&entry, now()) {
        RefreshPlan::Fresh(credentials) => {
            tracing::debug!(profile = %context.profile, path = %context.cache_path.display(), expires_at = %entry.expires_at_string(), "cached credentials are fresh");
            Ok(Some(resolved(context, credentials, false)))
        }
        RefreshPlan::NeedsRefresh => {
            tracing::debug!(profile = %context.profile, seconds_left = entry.seconds_left(now()), "cached credentials expire within 5 minutes; refreshing");
            Ok(None)
        }
    }
}

/// Validates what [`crate::cache_store::CacheStore::read_settled`] read; `Ok(Err(torn))` for a
/// file that still looked torn.
fn entry_from(
    context: &LoginProfileContext,
    read: std::io::Result<SettledRead>,
) -> Result<Result<CacheEntry, TornFile>, LoginIoError> {
    let bytes = match read {
        Ok(SettledRead::Whole(bytes)) => bytes,
        Ok(SettledRead::Torn(torn)) => return Ok(Err(torn)),
        Ok(SettledRead::Missing) => {
            return Err(LoginIoError::CacheMissing {
                profile: context.profile.clone(),
                session: context.login_session.clone(),
                path: context.cache_path.clone(),
            })
        }
        Err(e) => {
            return Err(LoginIoError::CacheCorrupt {
                profile: context.profile.clone(),
                path: context.cache_path.clone(),
                detail: format!("it cannot be read: {e}"),
            })
        }
    };
    CacheEntry::from_json(&bytes)
        .map(Ok)
        .map_err(|e| LoginIoError::CacheCorrupt {
            profile: context.profile.clone(),
            path: context.cache_path.clone(),
            detail: cache_problem(&e),
        })
}

/// Reads the session's cache file while holding its lock: the last read before a torn-looking
/// file is called unusable.
async fn read_entry_locked(context: &LoginProfileContext) -> Result<CacheEntry, LoginIoError> {
    let read = context.store.read_settled_async(&context.cache_path).await;
    entry_from(context, read)?.map_err(|torn| LoginIoError::CacheCorrupt {
        profile: context.profile.clone(),
        path: context.cache_path.clone(),
        detail: torn.under_lock().describe(),
    })
}

/// login-core's cache messages end in their own "log in again" advice; ours adds the command.
pub(crate) fn cache_problem(error: &login_core::CacheError) -> String {
    let text = error.to_string();
    text.split("; log in again")
        .next()
        .unwrap_or(&text)
        .trim_end_matches('.')
        .to_string()
}

async fn refresh_locked(
    context: &LoginProfileContext,
    force: bool,
) -> Result<ResolvedCredentials, LoginIoError> {
    let waited = std::time::Instant::now();
    let lock = context
        .store
        .lock(&context.cache_path, context.lock_timeout)
        .await;
    let _lock = match lock {
        Ok(lock) => lock,
        Err(LockError::TimedOut { path, waited }) => {
            let error = LoginIoError::LockBusy {
                profile: context.profile.clone(),
                path,
                waited_secs: waited.as_secs(),
            };
            // Still-valid credentials beat an error while another process is stuck.
            let read = context.store.read_settled_async(&context.cache_path).await;
            return match entry_from(context, read) {
                Ok(Ok(entry)) => fall_back_to_cached(context, &entry, error),
                _ => Err(error),
            };
        }
        Err(e) => {
            let error = LoginIoError::CacheWrite {
                path: e.path().to_path_buf(),
                detail: e.to_string(),
            };
            // A cache directory this process cannot write (a read-only mount, another owner):
            // still-valid credentials beat an error here too; expired ones cannot be helped.
            let read = context.store.read_settled_async(&context.cache_path).await;
            return match entry_from(context, read) {
                Ok(Ok(entry)) => fall_back_to_cached(context, &entry, error),
                _ => Err(error),
            };
        }
    };
    tracing::debug!(
        waited_ms = waited.elapsed().as_millis() as u64,
        "holding the cache lock"
    );
    if let Some(name) = context.cache_path.file_name().and_then(|n| n.to_str()) {
        context.store.sweep_stale_temps(name);
    }

    // Another process may have refreshed while we waited (or finished writing a torn file).
    let entry = read_entry_locked(context).await?;
    let pending = match Refresh::plan(entry.clone(), now()) {
        Ok(Refresh::Fresh(credentials)) if !force => {
            tracing::debug!("another process refreshed the session; using its result");
            return Ok(resolved(context, credentials, false));
        }
        Ok(Refresh::Fresh(_)) => Refresh::force(entry.clone()),
        Ok(Refresh::Send(pending)) => Ok(pending),
        Err(e) => Err(e),
    }
    .map_err(|e| LoginIoError::CacheCorrupt {
        profile: context.profile.clone(),
        path: context.cache_path.clone(),
        detail: cache_problem(&e),
    })?;

    let endpoint = context.endpoint(pending.entry().sign_in_region.as_deref())?;
    let token_url = endpoint.token_url();
    let host = url::Url::parse(&token_url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?;
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            })
        })
        .unwrap_or_else(|| token_url.clone());
    tracing::debug!(url = %token_url, profile = %context.profile, "refreshing the login session");

    let http = SigninHttp::for_url(&context.http, &token_url)
        .map_err(|e| LoginIoError::config(format!("{e}.")))?;
    let exchange = http
        .exchange(|sign_time| {
            let iat = sign_time
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0);
            Ok::<_, std::convert::Infallible>(pending.request(
                &token_url,
                iat,
                &uuid::Uuid::new_v4().to_string(),
            ))
        })
        .await;
    let response = match exchange {
        Ok(Ok(response)) => response,
        Ok(Err(HttpError::Transport {
            host,
            proxy,
            attempts,
            cause,
        })) => {
            let error = LoginIoError::Network {
                profile: context.profile.clone(),
                detail: HttpError::Transport {
                    host,
                    proxy: proxy.clone(),
                    attempts,
                    cause,
                }
                .to_string(),
                proxy,
            };
            return fall_back_to_cached(context, &entry, error);
        }
        Ok(Err(other)) => return Err(LoginIoError::config(format!("{other}."))),
        Err(never) => match never {},
    };

    let refreshed = match pending.on_response(&response, now()) {
        Ok(r) => r,
        Err(e) => {
            let error = token_error(context, &host, response.status, e);
            return if error.kind() == crate::ErrorKind::ServiceUnavailable {
                fall_back_to_cached(context, &entry, error)
            } else {
                Err(error)
            };
        }
    };

    let mut result = resolved(context, refreshed.credentials, true);
    let json = refreshed.entry.to_json();
    if let Err(e) = context
        .store
        .write_atomic(&context.cache_path, json.as_bytes())
    {
        // The new credentials are good; the old refresh token stays usable, so the next call
        // refreshes again. Deliver, and say why the cache did not change.
        let warning = LoginIoError::CacheWrite {
            path: context.cache_path.clone(),
            detail: e.to_string(),
        }
        .to_string();
        tracing::warn!("{warning}");
        result.warnings.push(warning);
    } else {
        tracing::debug!(path = %context.cache_path.display(), expires_at = %refreshed.entry.expires_at_string(), "wrote the refreshed session");
    }
    Ok(result)
}

/// On a network or service failure, cached credentials that have not expired yet are still
/// good (the JS SDK does the same); the failure becomes a warning.
fn fall_back_to_cached(
    context: &LoginProfileContext,
    entry: &CacheEntry,
    error: LoginIoError,
) -> Result<ResolvedCredentials, LoginIoError> {
    let left = entry.seconds_left(now());
    if left <= 0 {
        return Err(error);
    }
    let mut result = resolved(context, entry.credentials(), false);
    result.warnings.push(format!(
        "{error} Using the cached credentials, which stay valid for {left} more seconds."
    ));
    tracing::warn!(
        seconds_left = left,
        "refresh failed; using cached credentials"
    );
    Ok(result)
}

fn token_error(
    context: &LoginProfileContext,
    host: &str,
    status: u16,
    error: TokenError,
) -> LoginIoError {
    let profile = context.profile.clone();
    match error {
        TokenError::TokenExpired { .. } => LoginIoError::SessionExpired {
            profile,
            code: "TOKEN_EXPIRED".into(),
        },
        TokenError::AuthCodeExpired { .. } => LoginIoError::SessionExpired {
            profile,
            code: "AUTHCODE_EXPIRED".into(),
        },
        TokenError::UserCredentialsChanged { .. } => LoginIoError::CredentialsChanged { profile },
        TokenError::InsufficientPermissions { .. } => LoginIoError::InsufficientPermissions {
            profile,
            session: context.login_session.clone(),
        },
        TokenError::InvalidRequest { code, message } => LoginIoError::ServiceRejected {
            profile,
            host: host.to_string(),
            status,
            code: Some(code),
            message: Some(message).filter(|m| !m.is_empty()),
        },
        TokenError::UnexpectedStatus { status, detail }
            if (400..500).contains(&status) && status != 408 && status != 429 =>
        {
            LoginIoError::ServiceRejected {
                profile,
                host: host.to_string(),
                status,
                code: None,
                message: Some(detail),
            }
        }
        other => LoginIoError::ServiceUnavailable {
            profile,
            host: host.to_string(),
            detail: trim_period(&other.to_string()),
        },
    }
}

fn trim_period(text: &str) -> String {
    text.trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_runtime_per_process_id() {
        let a = shared_runtime(u32::MAX - 1).unwrap();
        assert!(std::ptr::eq(a, shared_runtime(u32::MAX - 1).unwrap()));
        // A different pid (a forked child) gets a runtime of its own that works.
        let b = shared_runtime(u32::MAX - 2).unwrap();
        assert!(!std::ptr::eq(a, b));
        assert_eq!(b.block_on(async { 40 + 2 }), 42);
        assert_eq!(block_on(async { 7 }), 7);
    }
}
