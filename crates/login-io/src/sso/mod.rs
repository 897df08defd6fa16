//! IAM Identity Center (SSO) profiles: the token in `~/.aws/sso/cache`, refreshed under the
//! cache lock when fewer than 15 minutes remain, then `GetRoleCredentials`, cached in
//! `~/.aws/cli/cache` exactly as AWS CLI caches it, under the same lock rule: read without a
//! lock, answer at once while fresh; otherwise lock, re-read, and only if still needed call the
//! service and replace the file atomically (0600). N processes at expiry make one call.
//!
//! Endpoints: `AWS_ENDPOINT_URL_SSO_OIDC` / `AWS_ENDPOINT_URL_SSO`, the profile's
//! `[services]` keys `sso_oidc` / `sso`, `AWS_ENDPOINT_URL`, else
//! `https://oidc.{region}.{dns}` and `https://portal.sso.{region}.{dns}`.

pub mod login;
pub mod logout;
pub mod start_url;

use std::path::{Path, PathBuf};
use std::time::Duration;

use login_core::sso::{
    oidc, portal, token_cache_file_name, PortalErrorKind, RoleCredentialsCache, SsoLoginTarget,
    SsoProfile, SsoProfileError, SsoSessionConfig, SsoToken, TokenPlan, UnrefreshableReason,
    ROLE_CREDENTIALS_WINDOW_SECONDS, TOKEN_REFRESH_WINDOW_SECONDS,
};
use login_core::{Credentials, HttpRequest, HttpResponse, Partition};
use time::OffsetDateTime;

use crate::cache_store::{CacheStore, LockError, SettledRead};
use crate::error::{ErrorKind, LoginIoError};
use crate::http::{HttpError, HttpSettings, SigninHttp};
use crate::paths::expand_path;
use crate::profile::{load_config, LoadedConfig, ResolveOptions};
use crate::resolve::ResolvedCredentials;
use crate::settings::Environment;

fn sso_error(kind: ErrorKind, message: impl Into<String>) -> LoginIoError {
    LoginIoError::Sso {
        kind,
        message: message.into(),
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Settings, config file and cache directories for IAM Identity Center.
#[derive(Debug, Clone)]
pub struct SsoContext {
    /// The selected profile (`--profile`, `AWS_PROFILE`, else `default`).
    pub profile: String,
    pub config: std::sync::Arc<LoadedConfig>,
    pub env: Environment,
    /// `~/.aws/sso/cache`: tokens and client registrations.
    pub token_store: CacheStore,
    /// `~/.aws/cli/cache`: role credentials.
    pub role_store: CacheStore,
    pub http: HttpSettings,
    pub lock_timeout: Duration,
    ignore_configured_endpoints: bool,
}

impl SsoContext {
    /// Discovers settings (as [`ResolveOptions`] does for login profiles) and reads the config.
    pub fn load(options: &ResolveOptions) -> Result<SsoContext, LoginIoError> {
        let (settings, env) = options.env_settings()?;
        let config = load_config(&settings.config_file)?;
        let home = env.home_dir().ok_or_else(|| {
            LoginIoError::config(
                "Cannot find ~/.aws/sso/cache: the home directory is unknown (HOME is not set).",
            )
        })?;
        let aws = home.join(".aws");
        let profile = settings.profile.clone();
        let ca_bundle = settings
            .ca_bundle
            .as_ref()
            .map(|(p, _)| p.clone())
            .or_else(|| {
                config.file.profile(&profile).and_then(|v| {
                    v.get("ca_bundle")
                        .filter(|p| !p.is_empty())
                        .map(|p| expand_path(p, &env))
                })
            });
        Ok(SsoContext {
            profile,
            config: std::sync::Arc::new(config),
            ignore_configured_endpoints: settings.ignore_configured_endpoint_urls,
            env,
            token_store: CacheStore::new(aws.join("sso").join("cache")),
            role_store: CacheStore::new(aws.join("cli").join("cache")),
            http: HttpSettings {
                policy: options.http.clone(),
                ca_bundle,
                proxy: settings.proxy,
            },
            lock_timeout: options.lock_timeout,
        })
    }

    /// The config file's path.
    pub fn config_path(&self) -> &Path {
        &self.config.path
    }

    /// The SSO profile `name`, `Ok(None)` when it is not one.
    pub fn sso_profile(&self, name: &str) -> Result<Option<SsoProfile>, LoginIoError> {
        SsoProfile::from_config(&self.config.file, name).map_err(|e| self.profile_error(e))
    }

    /// What `sso login --profile NAME` signs in to.
    pub fn target_for_profile(&self, name: &str) -> Result<SsoLoginTarget, LoginIoError> {
        SsoLoginTarget::for_profile(&self.config.file, name).map_err(|e| self.profile_error(e))
    }

    /// What `sso login --sso-session NAME` signs in to.
    pub fn target_for_session(&self, name: &str) -> Result<SsoLoginTarget, LoginIoError> {
        SsoSessionConfig::from_config(&self.config.file, name)
            .map(SsoLoginTarget::Session)
            .map_err(|e| self.profile_error(e))
    }

    fn profile_error(&self, e: SsoProfileError) -> LoginIoError {
        LoginIoError::config(format!("{e} (config file {})", self.config.path.display()))
    }

    fn endpoint(&self, env_var: &str, services_key: &str, profile: Option<&str>) -> Option<String> {
        if self.ignore_configured_endpoints {
            return None;
        }
        if let Some(v) = self.env.non_empty(env_var) {
            return Some(v);
        }
        let view = profile.and_then(|p| self.config.file.profile(p));
        if let Some(view) = &view {
            if view
                .get("ignore_configured_endpoint_urls")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
            {
                return None;
            }
            if let Some(url) = view
                .get("services")
                .and_then(|n| self.config.file.services(n))
                .and_then(|s| s.sub(services_key, "endpoint_url").map(str::to_owned))
            {
                return Some(url);
            }
        }
        if let Some(v) = self.env.non_empty("AWS_ENDPOINT_URL") {
            return Some(v);
        }
        view.and_then(|v| {
            v.get("endpoint_url")
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
        })
    }

    /// The OIDC API base for `region`.
    pub fn oidc_base(&self, region: &str, profile: Option<&str>) -> String {
        self.endpoint("AWS_ENDPOINT_URL_SSO_OIDC", "sso_oidc", profile)
            .unwrap_or_else(|| {
                format!(
                    "https://oidc.{region}.{}",
                    Partition::of_region(region).dns_suffix()
                )
            })
    }

    /// The portal API base for `region`.
    pub fn portal_base(&self, region: &str, profile: Option<&str>) -> String {
        self.endpoint("AWS_ENDPOINT_URL_SSO", "sso", profile)
            .unwrap_or_else(|| {
                format!(
                    "https://portal.sso.{region}.{}",
                    Partition::of_region(region).dns_suffix()
                )
            })
    }

    /// The token file of a target.
    pub fn token_path(&self, target: &SsoLoginTarget) -> PathBuf {
        self.token_store
            .path_of(&token_cache_file_name(target.token_key()))
    }

    /// Sends one request (retrying 429, 5xx and transport errors with backoff).
    pub(crate) async fn send(
        &self,
        request: HttpRequest,
        what: &str,
    ) -> Result<HttpResponse, LoginIoError> {
        let http = SigninHttp::for_url(&self.http, &request.url)
            .map_err(|e| LoginIoError::config(format!("{e}.")))?;
        match http
            .exchange(|_| Ok::<_, std::convert::Infallible>(request.clone()))
            .await
        {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e @ HttpError::Transport { .. })) => Err(sso_error(
                ErrorKind::Network,
                format!("Could not reach IAM Identity Center to {what}: {e}. Check your network connection (and HTTPS_PROXY / NO_PROXY if you need a proxy); the cached files were left as they are."),
            )),
            Ok(Err(other)) => Err(LoginIoError::config(format!("{other}."))),
            Err(never) => match never {},
        }
    }
}

fn lock_error(profile: &str, error: LockError) -> LoginIoError {
    match error {
        LockError::TimedOut { path, waited } => LoginIoError::LockBusy {
            profile: profile.to_owned(),
            path,
            waited_secs: waited.as_secs(),
        },
        LockError::Io { path, source } => LoginIoError::CacheWrite {
            path,
            detail: source.to_string(),
        },
    }
}

/// A usable access token and what happened getting it.
#[derive(Debug, Clone)]
pub struct SsoAccess {
    pub token: SsoToken,
    /// This call refreshed it.
    pub refreshed: bool,
    pub warnings: Vec<String>,
}

/// Reads the token file of `target` (no lock).
pub fn read_token(
    ctx: &SsoContext,
    target: &SsoLoginTarget,
    profile: Option<&str>,
) -> Result<SsoToken, LoginIoError> {
    let path = ctx.token_path(target);
    let login = target.login_command(profile);
    // A peer rewriting the file in place may leave it torn for a moment: re-read it first.
    let bytes = match ctx.token_store.read_settled(&path) {
        Ok(SettledRead::Whole(bytes)) => bytes,
        Ok(SettledRead::Torn(torn)) => {
            return Err(sso_error(
                ErrorKind::CacheCorrupt,
                format!(
                    "The IAM Identity Center token for {} cannot be used: {} ({}). The file was left as it is. Run `{login}` to sign in again.",
                    target.describe(),
                    torn.describe(),
                    path.display()
                ),
            ))
        }
        Ok(SettledRead::Missing) => {
            return Err(sso_error(
                ErrorKind::CacheMissing,
                format!(
                    "No IAM Identity Center token for {} ({} does not exist). Run `{login}` to sign in.",
                    target.describe(),
                    path.display()
                ),
            ))
        }
        Err(e) => {
            return Err(sso_error(
                ErrorKind::CacheCorrupt,
                format!("Cannot read the IAM Identity Center token {}: {e}. Run `{login}` to sign in again.", path.display()),
            ))
        }
    };
    SsoToken::from_json(&bytes).map_err(|e| {
        sso_error(
            ErrorKind::CacheCorrupt,
            format!(
                "The IAM Identity Center token for {} cannot be used: {e} ({}). The file was left as it is. Run `{login}` to sign in again.",
                target.describe(),
                path.display()
            ),
        )
    })
}

fn expired_error(
    target: &SsoLoginTarget,
    profile: Option<&str>,
    reason: UnrefreshableReason,
) -> LoginIoError {
    sso_error(
        ErrorKind::SessionExpired,
        format!(
            "The IAM Identity Center session for {} has expired and cannot be refreshed ({}). Run `{}` to sign in again.",
            target.describe(),
            reason.describe(),
            target.login_command(profile)
        ),
    )
}

/// A token for `target` that has more than 15 minutes left, refreshing it under the cache lock
/// when needed (one `CreateToken` however many processes ask at once). Tokens that cannot be
/// refreshed are used until they expire.
pub async fn access_token(
    ctx: &SsoContext,
    target: &SsoLoginTarget,
    profile: Option<&str>,
) -> Result<SsoAccess, LoginIoError> {
    let done = |token| SsoAccess {
        token,
        refreshed: false,
        warnings: Vec::new(),
    };
    let token = read_token(ctx, target, profile)?;
    match token.plan(now(), TOKEN_REFRESH_WINDOW_SECONDS) {
        TokenPlan::Fresh | TokenPlan::UseUnrefreshable(_) => return Ok(done(token)),
        TokenPlan::Expired(reason) => return Err(expired_error(target, profile, reason)),
        TokenPlan::Refresh => {}
    }
    let path = ctx.token_path(target);
    let lock_owner = profile.unwrap_or(target.token_key());
    let _lock = ctx
        .token_store
        .lock(&path, ctx.lock_timeout)
        .await
        .map_err(|e| lock_error(lock_owner, e))?;
    // Another process may have refreshed while we waited.
    let token = read_token(ctx, target, profile)?;
    match token.plan(now(), TOKEN_REFRESH_WINDOW_SECONDS) {
        TokenPlan::Fresh | TokenPlan::UseUnrefreshable(_) => return Ok(done(token)),
        TokenPlan::Expired(reason) => return Err(expired_error(target, profile, reason)),
        TokenPlan::Refresh => {}
    }
    ctx.token_store
        .sweep_stale_temps(path.file_name().and_then(|n| n.to_str()).unwrap_or(""));
    let region = token
        .region
        .clone()
        .unwrap_or_else(|| target.region().to_owned());
    let base = ctx.oidc_base(&region, profile);
    let Some(request) = token.refresh_request(&base) else {
        return Err(expired_error(
            target,
            profile,
            UnrefreshableReason::NoRefreshToken,
        ));
    };
    tracing::debug!(url = %request.url, seconds_left = token.seconds_left(now()), "refreshing the IAM Identity Center token");
    let fallback = |error: LoginIoError, token: SsoToken| {
        let left = token.seconds_left(now());
        if left > 0 {
            let warning = format!(
                "{error} Using the cached token, which stays valid for {left} more seconds."
            );
            tracing::warn!("{warning}");
            Ok(SsoAccess {
                token,
                refreshed: false,
                warnings: vec![warning],
            })
        } else {
            Err(error)
        }
    };
    let response = match ctx.send(request, "refresh the SSO token").await {
        Ok(r) => r,
        Err(e) => return fallback(e, token),
    };
    match oidc::parse_create_token(&response) {
        Ok(output) => {
            let next = token.apply_refresh(&output, now());
            let mut access = SsoAccess {
                token: next,
                refreshed: true,
                warnings: Vec::new(),
            };
            let json = access.token.to_json();
            if let Err(e) = ctx.token_store.write_atomic(&path, json.as_bytes()) {
                let warning = LoginIoError::CacheWrite {
                    path: path.clone(),
                    detail: e.to_string(),
                }
                .to_string();
                tracing::warn!("{warning}");
                access.warnings.push(warning);
            }
            zeroize::Zeroize::zeroize(&mut json.into_bytes());
            Ok(access)
        }
        Err(e) if e.is_retryable() => fallback(
            sso_error(
                ErrorKind::ServiceUnavailable,
                format!("IAM Identity Center could not refresh the token for {}: {e}. Try again in a moment.", target.describe()),
            ),
            token,
        ),
        Err(e) => fallback(
            sso_error(
                ErrorKind::SessionExpired,
                format!(
                    "IAM Identity Center refused to refresh the token for {} ({e}): the session has ended or its client registration was revoked. Run `{}` to sign in again.",
                    target.describe(),
                    target.login_command(profile)
                ),
            ),
            token,
        ),
    }
}

/// Role credentials of an SSO profile and how they were obtained.
#[derive(Debug, Clone)]
pub struct SsoCredentials {
    pub credentials: Credentials,
    /// From `~/.aws/cli/cache` without any request.
    pub from_cache: bool,
    /// The token was refreshed on the way.
    pub token_refreshed: bool,
    pub warnings: Vec<String>,
}

fn read_role_cache(store: &CacheStore, path: &Path) -> Option<Credentials> {
    match store.read_settled(path) {
        Ok(SettledRead::Whole(bytes)) => RoleCredentialsCache::from_json(&bytes).ok(),
        _ => None,
    }
}

/// The role credentials in `~/.aws/cli/cache` when they have more than 15 minutes left (no
/// lock, no runtime: the fast path).
pub fn cached_role_credentials(ctx: &SsoContext, profile: &SsoProfile) -> Option<Credentials> {
    let path = ctx
        .role_store
        .path_of(&profile.role_cache_key().file_name());
    read_role_cache(&ctx.role_store, &path)
        .filter(|c| RoleCredentialsCache::is_fresh(c, now(), ROLE_CREDENTIALS_WINDOW_SECONDS))
}

/// Credentials of an SSO profile: cached role credentials while fresh, else (under the role
/// cache's lock, re-reading first) a token and `GetRoleCredentials`, cached for the next caller.
pub async fn resolve_sso_profile(
    ctx: &SsoContext,
    profile: &SsoProfile,
    force: bool,
) -> Result<SsoCredentials, LoginIoError> {
    let cached = |credentials| SsoCredentials {
        credentials,
        from_cache: true,
        token_refreshed: false,
        warnings: Vec::new(),
    };
    if !force {
        if let Some(c) = cached_role_credentials(ctx, profile) {
            return Ok(cached(c));
        }
    }
    let path = ctx
        .role_store
        .path_of(&profile.role_cache_key().file_name());
    let _lock = ctx
        .role_store
        .lock(&path, ctx.lock_timeout)
        .await
        .map_err(|e| lock_error(&profile.profile, e))?;
    if !force {
        if let Some(c) = cached_role_credentials(ctx, profile) {
            return Ok(cached(c));
        }
    }
    let access = access_token(ctx, &profile.target, Some(&profile.profile)).await?;
    let region = profile.target.region();
    let base = ctx.portal_base(region, Some(&profile.profile));
    let request = portal::get_role_credentials(
        &base,
        &access.token.access_token,
        &profile.account_id,
        &profile.role_name,
    );
    tracing::debug!(url = %request.url, "GetRoleCredentials");
    let response = ctx.send(request, "get role credentials").await?;
    let credentials = portal::parse_role_credentials(&response, &profile.account_id).map_err(|e| {
        let login = profile.login_command();
        match e.kind {
            PortalErrorKind::Unauthorized => sso_error(
                ErrorKind::SessionExpired,
                format!("The IAM Identity Center session for profile '{}' has expired or was signed out ({e}). Run `{login}` to sign in again.", profile.profile),
            ),
            PortalErrorKind::Forbidden => sso_error(
                ErrorKind::InsufficientPermissions,
                format!(
                    "IAM Identity Center gives you no access to role '{}' in account {} (profile '{}': {e}). Check sso_account_id and sso_role_name (`aws-login configure sso --profile {}` lists the accounts and roles you can use), or ask your administrator for the assignment.",
                    profile.role_name, profile.account_id, profile.profile, profile.profile
                ),
            ),
            _ if e.is_retryable() => sso_error(
                ErrorKind::ServiceUnavailable,
                format!("IAM Identity Center could not return role credentials for profile '{}': {e}. Try again in a moment.", profile.profile),
            ),
            _ => sso_error(
                ErrorKind::ServiceRejected,
                format!("IAM Identity Center rejected the role-credentials request for profile '{}': {e}. Check sso_account_id and sso_role_name, then run `{login}`.", profile.profile),
            ),
        }
    })?;
    let mut result = SsoCredentials {
        credentials,
        from_cache: false,
        token_refreshed: access.refreshed,
        warnings: access.warnings,
    };
    let json = RoleCredentialsCache::to_json(&result.credentials);
    if let Err(e) = ctx.role_store.write_atomic(&path, json.as_bytes()) {
        let warning = LoginIoError::CacheWrite {
            path: path.clone(),
            detail: e.to_string(),
        }
        .to_string();
        tracing::warn!("{warning}");
        result.warnings.push(warning);
    }
    zeroize::Zeroize::zeroize(&mut json.into_bytes());
    Ok(result)
}

fn portal_list_error(target: &SsoLoginTarget, e: login_core::sso::PortalError) -> LoginIoError {
    match e.kind {
        PortalErrorKind::Unauthorized => sso_error(
            ErrorKind::SessionExpired,
            format!("Unable to list AWS accounts and/or roles: the IAM Identity Center session for {} has expired or was signed out ({e}). Run `{}`.", target.describe(), target.login_command(None)),
        ),
        _ if e.is_retryable() => sso_error(ErrorKind::ServiceUnavailable, format!("IAM Identity Center could not list accounts or roles: {e}. Try again in a moment.")),
        _ => sso_error(ErrorKind::ServiceRejected, format!("IAM Identity Center refused to list accounts or roles: {e}.")),
    }
}

/// Every account the token can use (`ListAccounts`, all pages), in AWS CLI's order.
pub async fn list_accounts(
    ctx: &SsoContext,
    target: &SsoLoginTarget,
    token: &SsoToken,
) -> Result<Vec<login_core::sso::AccountInfo>, LoginIoError> {
    let base = ctx.portal_base(target.region(), None);
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let request = portal::list_accounts(&base, &token.access_token, next.as_deref());
        let response = ctx.send(request, "list your AWS accounts").await?;
        let (page, token_next) =
            portal::parse_accounts(&response).map_err(|e| portal_list_error(target, e))?;
        out.extend(page);
        match token_next {
            Some(n) if Some(&n) != next.as_ref() => next = Some(n),
            _ => break,
        }
    }
    login_core::sso::AccountInfo::sort(&mut out);
    Ok(out)
}

/// Every role of `account_id` the token can use (`ListAccountRoles`, all pages), sorted
/// case-insensitively as AWS CLI shows them.
pub async fn list_roles(
    ctx: &SsoContext,
    target: &SsoLoginTarget,
    token: &SsoToken,
    account_id: &str,
) -> Result<Vec<String>, LoginIoError> {
    let base = ctx.portal_base(target.region(), None);
    let mut out = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let request =
            portal::list_account_roles(&base, &token.access_token, account_id, next.as_deref());
        let response = ctx.send(request, "list your roles").await?;
        let (page, token_next) =
            portal::parse_roles(&response).map_err(|e| portal_list_error(target, e))?;
        out.extend(page.into_iter().map(|r| r.role_name));
        match token_next {
            Some(n) if Some(&n) != next.as_ref() => next = Some(n),
            _ => break,
        }
    }
    out.sort_by_key(|r| r.to_lowercase());
    Ok(out)
}

/// An IAM Identity Center profile as the caches show it now: what it signs in to, the role it
/// gets, and when the cached role credentials and the token expire. Never a token or a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoProfileStatus {
    pub profile: String,
    /// `sso_session`; `None` for a legacy profile (start URL and region in the profile).
    pub sso_session: Option<String>,
    pub start_url: String,
    pub region: String,
    pub account_id: String,
    pub role_name: String,
    pub role_cache_file: PathBuf,
    /// Expiration of the cached role credentials, when a readable file exists.
    pub role_cached_until: Option<OffsetDateTime>,
    /// The cached role credentials have more than AWS CLI's 15 minutes left.
    pub role_reusable: bool,
    pub token_file: PathBuf,
    /// Expiry of the cached access token, when one is cached.
    pub token_expires_at: Option<OffsetDateTime>,
    /// The token can be refreshed (refresh token, unexpired registration).
    pub token_refreshable: bool,
    /// Why the token file cannot be used, when it cannot.
    pub token_problem: Option<String>,
    /// Only a new sign-in helps: no usable role credentials and no token that is valid or can
    /// be refreshed.
    pub needs_sign_in: bool,
    /// The command that signs in again.
    pub login_command: String,
}

/// The status of SSO profile `profile` (reads the caches; no request, no refresh).
pub fn profile_status(ctx: &SsoContext, profile: &SsoProfile) -> SsoProfileStatus {
    let now = now();
    let role_cache_file = ctx
        .role_store
        .path_of(&profile.role_cache_key().file_name());
    let role = read_role_cache(&ctx.role_store, &role_cache_file);
    let role_reusable = role
        .as_ref()
        .is_some_and(|c| RoleCredentialsCache::is_fresh(c, now, ROLE_CREDENTIALS_WINDOW_SECONDS));
    let token_file = ctx.token_path(&profile.target);
    let (token, token_problem) = match ctx.token_store.read_settled(&token_file) {
        Ok(SettledRead::Whole(bytes)) => match SsoToken::from_json(&bytes) {
            Ok(token) => (Some(token), None),
            Err(e) => (None, Some(e.to_string())),
        },
        Ok(SettledRead::Torn(torn)) => (None, Some(torn.describe())),
        Ok(SettledRead::Missing) => (None, None),
        Err(e) => (None, Some(format!("it cannot be read: {e}"))),
    };
    let token_refreshable = token
        .as_ref()
        .is_some_and(|t| t.unrefreshable(now).is_none());
    let token_usable = token
        .as_ref()
        .is_some_and(|t| t.seconds_left(now) > 0 || token_refreshable);
    SsoProfileStatus {
        profile: profile.profile.clone(),
        sso_session: profile.target.session_name().map(str::to_owned),
        start_url: profile.target.start_url().to_owned(),
        region: profile.target.region().to_owned(),
        account_id: profile.account_id.clone(),
        role_name: profile.role_name.clone(),
        role_cache_file,
        role_cached_until: role.as_ref().map(|c| c.expiration),
        role_reusable,
        token_file,
        token_expires_at: token.as_ref().map(|t| t.expires_at),
        token_refreshable,
        token_problem,
        needs_sign_in: !role_reusable && !token_usable,
        login_command: profile.login_command(),
    }
}

/// The SSO profile `options` select, with its context; `Ok(None)` when the profile is not an
/// SSO profile.
pub fn profile_for(
    options: &ResolveOptions,
) -> Result<Option<(SsoContext, SsoProfile)>, LoginIoError> {
    let ctx = SsoContext::load(options)?;
    let name = ctx.profile.clone();
    Ok(ctx.sso_profile(&name)?.map(|p| (ctx, p)))
}

pub(crate) fn as_resolved(
    profile: &SsoProfile,
    credentials: Credentials,
    refreshed: bool,
    warnings: Vec<String>,
) -> ResolvedCredentials {
    ResolvedCredentials::from_source(
        credentials,
        &profile.profile,
        profile.target.describe(),
        refreshed,
        warnings,
    )
}

/// [`resolve_sso_profile`] as the [`ResolvedCredentials`] every frontend takes.
pub async fn resolve_as_credentials(
    ctx: &SsoContext,
    profile: &SsoProfile,
    force: bool,
) -> Result<ResolvedCredentials, LoginIoError> {
    let r = resolve_sso_profile(ctx, profile, force).await?;
    Ok(as_resolved(
        profile,
        r.credentials,
        !r.from_cache,
        r.warnings,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(config: &str, env: &[(&str, &str)]) -> (tempfile::TempDir, SsoContext) {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("config");
        std::fs::write(&cfg, config).unwrap();
        let mut pairs: Vec<(String, String)> = vec![
            ("HOME".into(), dir.path().display().to_string()),
            ("AWS_CONFIG_FILE".into(), cfg.display().to_string()),
        ];
        pairs.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let options = ResolveOptions {
            env: Some(Environment::from_pairs(pairs)),
            ..Default::default()
        };
        let ctx = SsoContext::load(&options).unwrap();
        (dir, ctx)
    }

    #[test]
    fn endpoints_follow_the_sdk_rules() {
        let cfg = "[profile p]\nservices = local\n[services local]\nsso =\n  endpoint_url = http://127.0.0.1:7\n";
        let (_d, ctx) = context(cfg, &[]);
        assert_eq!(
            ctx.oidc_base("us-east-1", Some("p")),
            "https://oidc.us-east-1.amazonaws.com"
        );
        assert_eq!(
            ctx.oidc_base("cn-north-1", None),
            "https://oidc.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            ctx.portal_base("eu-west-1", Some("p")),
            "http://127.0.0.1:7"
        );
        let (_d, ctx) = context(
            cfg,
            &[
                ("AWS_ENDPOINT_URL_SSO_OIDC", "http://o"),
                ("AWS_ENDPOINT_URL", "http://all"),
            ],
        );
        assert_eq!(ctx.oidc_base("us-east-1", Some("p")), "http://o");
        assert_eq!(ctx.portal_base("us-east-1", None), "http://all");
        let (_d, ctx) = context(
            cfg,
            &[
                ("AWS_ENDPOINT_URL_SSO", "http://x"),
                ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
            ],
        );
        assert_eq!(
            ctx.portal_base("us-east-1", Some("p")),
            "https://portal.sso.us-east-1.amazonaws.com"
        );
    }

    #[test]
    fn unusable_token_files_are_left_alone_and_say_what_to_do() {
        let cfg = "[profile dev]\nsso_session = s\nsso_account_id = 1\nsso_role_name = R\n[sso-session s]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = us-east-1\n";
        let (_d, ctx) = context(cfg, &[]);
        let profile = ctx.sso_profile("dev").unwrap().unwrap();
        let e = read_token(&ctx, &profile.target, Some("dev")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CacheMissing);
        assert!(
            e.to_string()
                .contains("aws-login sso login --sso-session s"),
            "{e}"
        );
        let path = ctx.token_path(&profile.target);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{\"accessToken\": \"AT-SECRET").unwrap();
        let e = read_token(&ctx, &profile.target, Some("dev")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CacheCorrupt);
        assert!(e.to_string().contains("left as it is"), "{e}");
        assert!(!e.to_string().contains("AT-SECRET"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"accessToken\": \"AT-SECRET"
        );
    }
}
