//! Runs a profile's chain plan: fetch the base source, then assume each role in turn. Each role
//! step has its own file in the role cache AWS CLI v2 keeps (`~/.aws/cli/cache/<sha1>.json`,
//! login-core's key and content), reused while more than 15 minutes remain, and replaced under
//! the same lock-and-atomic-write rule as the login cache: N processes at expiry make one
//! AssumeRole call, and the base (the login session) is refreshed only when a role call needs
//! fresh source credentials.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Mutex;

use login_core::{
    plan, AssumeRoleArgs, ChainError, ChainPlan, Credentials, RoleCacheEntry,
    SharedCredentialsFile, Source,
};
use time::OffsetDateTime;

use crate::cache_store::{CacheStore, LockError, SettledRead};
use crate::error::LoginIoError;
use crate::http::HttpSettings;
use crate::mfa::{prompt_code, MfaPromptError};
use crate::paths::expand_path;
use crate::profile::{load_config, LoadedConfig, LoginProfileContext, ResolveOptions};
use crate::settings::{EnvSettings, Environment};
use crate::sources::sts::{assume_role, failure_of, sts_endpoint, StsEndpoint};
use crate::sources::{environment_keys, process, SigningCredentials};

/// A profile's plan with everything needed to run it.
#[derive(Debug)]
pub struct ChainContext {
    pub plan: ChainPlan,
    pub config_file: PathBuf,
    pub credentials_file: PathBuf,
    pub role_cache: CacheStore,
    options: ResolveOptions,
    settings: EnvSettings,
    env: Environment,
    config: LoadedConfig,
    /// Set at load: names generated role sessions (`botocore-session-<now>`).
    now: OffsetDateTime,
    warnings: Mutex<Vec<String>>,
}

/// Credentials at the end of the chain, with how they were obtained.
#[derive(Debug)]
pub(crate) struct ChainOutcome {
    pub credentials: Credentials,
    pub assumed_role_arn: Option<String>,
    pub from_cache: bool,
    pub warnings: Vec<String>,
}

/// What a profile is, once planned.
#[derive(Debug)]
pub(crate) enum Planned {
    /// A login profile: served by the login-session path alone.
    Login(Box<LoginProfileContext>),
    /// One or more roles over any base.
    Roles(Box<ChainContext>),
    /// An IAM Identity Center profile without roles on top.
    Sso(Box<(crate::sso::SsoContext, login_core::sso::SsoProfile)>),
}

/// Reads a file that may be missing (then empty) and must be UTF-8.
fn read_optional_text(path: &std::path::Path, what: &str) -> Result<String, LoginIoError> {
    match std::fs::read(path) {
        Ok(bytes) => String::from_utf8(bytes).map_err(|_| {
            LoginIoError::config(format!(
                "The {what} {} is not valid UTF-8 text.",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(LoginIoError::config(format!(
            "Cannot read the {what} {}: {e}.",
            path.display()
        ))),
    }
}

/// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
fn credentials_file_path(
    options: &ResolveOptions,
    env: &Environment,
) -> Result<PathBuf, LoginIoError> {
    if let Some(path) = &options.credentials_file {
        return Ok(path.clone());
    }
    if let Some(path) = env.non_empty("AWS_SHARED_CREDENTIALS_FILE") {
        return Ok(expand_path(&path, env));
    }
    env.home_dir()
        .map(|h| h.join(".aws").join("credentials"))
        .ok_or_else(|| LoginIoError::config("Cannot find the shared credentials file: the home directory is unknown (HOME is not set); set AWS_SHARED_CREDENTIALS_FILE to its path."))
}

/// `~/.aws/cli/cache`, where AWS CLI v2 caches role credentials.
fn role_cache_dir(options: &ResolveOptions, env: &Environment) -> Result<PathBuf, LoginIoError> {
    if let Some(dir) = &options.role_cache_dir {
        return Ok(dir.clone());
    }
    env.home_dir()
        .map(|h| h.join(".aws").join("cli").join("cache"))
        .ok_or_else(|| LoginIoError::config("Cannot find the role credential cache ~/.aws/cli/cache: the home directory is unknown (HOME is not set)."))
}

/// A planner error as frontends report it.
fn plan_error(error: ChainError, config_file: &Path, credentials_file: &Path) -> LoginIoError {
    match error {
        ChainError::ProfileNotFound { profile } => LoginIoError::ProfileNotFound {
            profile,
            config_file: config_file.to_path_buf(),
        },
        ChainError::NoCredentials { profile, chain } if chain.len() <= 1 => {
            LoginIoError::NoLoginSession {
                profile,
                config_file: config_file.to_path_buf(),
            }
        }
        error => LoginIoError::ProfileChain {
            error: Box::new(error),
            config_file: config_file.to_path_buf(),
            credentials_file: credentials_file.to_path_buf(),
        },
    }
}

/// What planning reads: the settings, the config file and the shared credentials file.
struct PlanInputs {
    settings: EnvSettings,
    env: Environment,
    config: LoadedConfig,
    credentials: SharedCredentialsFile,
    credentials_file: PathBuf,
}

impl PlanInputs {
    fn read(options: &ResolveOptions) -> Result<PlanInputs, LoginIoError> {
        let (settings, env) = options.env_settings()?;
        let config = load_config(&settings.config_file)?;
        let credentials_file = credentials_file_path(options, &env)?;
        let credentials = SharedCredentialsFile::parse(&read_optional_text(
            &credentials_file,
            "shared credentials file",
        )?);
        Ok(PlanInputs {
            settings,
            env,
            config,
            credentials,
            credentials_file,
        })
    }

    /// The chain of the selected profile.
    fn plan(&self) -> Result<ChainPlan, LoginIoError> {
        plan(&self.config.file, &self.credentials, &self.settings.profile)
            .map_err(|error| plan_error(error, &self.config.path, &self.credentials_file))
    }
}

/// Plans the profile of `options`.
pub(crate) fn load(options: &ResolveOptions) -> Result<Planned, LoginIoError> {
    let inputs = PlanInputs::read(options)?;
    let planned = inputs.plan()?;
    let PlanInputs {
        settings,
        env,
        config,
        credentials_file,
        ..
    } = inputs;
    if planned.roles.is_empty() {
        return match &planned.base {
            Source::LoginSession { .. } => Ok(Planned::Login(Box::new(
                LoginProfileContext::from_parts(options, &settings, &env, &config)?,
            ))),
            Source::Sso { profile } => {
                let ctx = crate::sso::SsoContext::load(options)?;
                match ctx.sso_profile(profile)? {
                    Some(sso) => Ok(Planned::Sso(Box::new((ctx, sso)))),
                    None => Err(LoginIoError::NoLoginSession {
                        profile: profile.clone(),
                        config_file: config.path.clone(),
                    }),
                }
            }
            other => Err(LoginIoError::NotServed {
                profile: planned.profile.clone(),
                style: match other {
                    Source::StaticKeys { file, .. } => format!("an access key from the {file}"),
                    Source::CredentialProcess { .. } => "credential_process".to_string(),
                    _ => "environment credentials".to_string(),
                },
            }),
        };
    }
    Ok(Planned::Roles(Box::new(ChainContext {
        plan: planned,
        config_file: config.path.clone(),
        credentials_file,
        role_cache: CacheStore::new(role_cache_dir(options, &env)?),
        options: options.clone(),
        settings,
        env,
        config,
        now: OffsetDateTime::now_utc(),
        warnings: Mutex::new(Vec::new()),
    })))
}

/// The IAM Identity Center profile a profile's credentials come from: the profile itself, or
/// the SSO profile at the base of its role chain (what a sign-in renews when that session has
/// ended). `Ok(None)` when the chain has another base.
pub fn sso_base(
    options: &ResolveOptions,
) -> Result<Option<(crate::sso::SsoContext, login_core::sso::SsoProfile)>, LoginIoError> {
    let base_profile = match load(options)? {
        Planned::Sso(sso) => return Ok(Some(*sso)),
        Planned::Login(_) => return Ok(None),
        Planned::Roles(chain) => match &chain.plan.base {
            Source::Sso { profile } => profile.clone(),
            _ => return Ok(None),
        },
    };
    let ctx = crate::sso::SsoContext::load(&ResolveOptions {
        profile: Some(base_profile.clone()),
        ..options.clone()
    })?;
    Ok(ctx.sso_profile(&base_profile)?.map(|p| (ctx, p)))
}

type StepFuture<'a> =
    Pin<Box<dyn Future<Output = Result<StepCredentials, LoginIoError>> + Send + 'a>>;

#[derive(Debug)]
struct StepCredentials {
    credentials: Credentials,
    assumed_role_arn: Option<String>,
    from_cache: bool,
}

impl ChainContext {
    /// The region AssumeRole is sent to: `--region` / `AWS_REGION`, then the profile's `region`.
    pub fn region(&self) -> Option<String> {
        self.settings
            .region
            .as_ref()
            .map(|(r, _)| r.clone())
            .or_else(|| {
                self.config.file.profile(&self.plan.profile).and_then(|v| {
                    v.get("region")
                        .filter(|r| !r.is_empty())
                        .map(str::to_string)
                })
            })
    }

    pub fn sts_endpoint(&self) -> Result<StsEndpoint, LoginIoError> {
        sts_endpoint(
            &self.env,
            &self.config.file,
            &self.plan.profile,
            self.region().as_deref(),
        )
    }

    fn http(&self) -> HttpSettings {
        let view = self
            .config
            .file
            .profile(&self.plan.profile)
            .unwrap_or_default();
        let ca_bundle = self
            .settings
            .ca_bundle
            .as_ref()
            .map(|(p, _)| p.clone())
            .or_else(|| {
                view.get("ca_bundle")
                    .filter(|p| !p.is_empty())
                    .map(|p| expand_path(p, &self.env))
            });
        HttpSettings {
            policy: self.options.http.clone(),
            ca_bundle,
            proxy: self.settings.proxy.clone(),
        }
    }

    /// The arguments of role step `index` (cache key and request).
    pub fn role_args(&self, index: usize) -> AssumeRoleArgs {
        AssumeRoleArgs::for_step(&self.plan.roles[index], self.now)
    }

    /// The cache file of role step `index`.
    pub fn role_cache_path(&self, index: usize) -> PathBuf {
        self.role_cache
            .path_of(&self.role_args(index).cache_file_name())
    }

    /// The cached credentials of role step `index`, if the file is there and readable. A file
    /// AWS CLI is rewriting in place is re-read while it looks torn; one that stays so reads as
    /// no cache.
    pub fn cached_role(&self, index: usize) -> Option<RoleCacheEntry> {
        match self.role_cache.read_settled(&self.role_cache_path(index)) {
            Ok(SettledRead::Whole(bytes)) => RoleCacheEntry::from_json(&bytes)
                .map_err(|e| tracing::debug!(error = %e, "role cache file unusable; ignoring it"))
                .ok(),
            _ => None,
        }
    }

    /// The last role's cached credentials when they are fresh enough to hand out unchanged.
    pub(crate) fn fast_path(&self, force: bool) -> Option<ChainOutcome> {
        if force {
            return None;
        }
        let last = self.plan.roles.len() - 1;
        let entry = self.cached_role(last)?;
        if !entry.reusable(OffsetDateTime::now_utc()) {
            return None;
        }
        tracing::debug!(profile = %self.plan.profile, expires = %entry.credentials.expiration_iso(), "cached role credentials are fresh");
        Some(ChainOutcome {
            credentials: entry.credentials,
            assumed_role_arn: entry.assumed_role_arn,
            from_cache: true,
            warnings: Vec::new(),
        })
    }

    /// Runs the whole chain (cached steps are reused).
    pub(crate) async fn run(&self, force: bool) -> Result<ChainOutcome, LoginIoError> {
        let last = self.plan.roles.len() - 1;
        let step = self.role_step(last, force).await?;
        let warnings =
            std::mem::take(&mut *self.warnings.lock().unwrap_or_else(|p| p.into_inner()));
        Ok(ChainOutcome {
            credentials: step.credentials,
            assumed_role_arn: step.assumed_role_arn,
            from_cache: step.from_cache,
            warnings,
        })
    }

    fn warn(&self, warning: String) {
        tracing::warn!("{warning}");
        self.warnings
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(warning);
    }

    /// Credentials that sign role step `index`'s call: the base, or the role before it.
    async fn source_for(
        &self,
        index: usize,
        force: bool,
    ) -> Result<SigningCredentials, LoginIoError> {
        if index > 0 {
            let before = self.role_step(index - 1, force).await?;
            return Ok(SigningCredentials::from(&before.credentials));
        }
        match &self.plan.base {
            Source::LoginSession { profile, .. } => {
                let options = ResolveOptions {
                    profile: Some(profile.clone()),
                    force_refresh: false,
                    ..self.options.clone()
                };
                let mut settings = self.settings.clone();
                settings.profile = profile.clone();
                let context =
                    LoginProfileContext::from_parts(&options, &settings, &self.env, &self.config)?;
                let resolved = crate::resolve::resolve_login(&context, force).await?;
                for warning in resolved.warnings() {
                    self.warn(warning.clone());
                }
                Ok(SigningCredentials::from(resolved.credentials()))
            }
            Source::StaticKeys { keys, .. } => Ok(SigningCredentials::from(keys)),
            Source::CredentialProcess { profile, command } => {
                Ok(process::run(profile, command, &self.env).await?.keys)
            }
            Source::Environment { profile } => environment_keys(profile, &self.env),
            Source::Sso { profile } => {
                let options = ResolveOptions {
                    profile: Some(profile.clone()),
                    force_refresh: false,
                    ..self.options.clone()
                };
                let ctx = crate::sso::SsoContext::load(&options)?;
                let Some(sso) = ctx.sso_profile(profile)? else {
                    return Err(LoginIoError::config(format!(
                        "Profile '{profile}' has no complete IAM Identity Center settings."
                    )));
                };
                let resolved = crate::sso::resolve_sso_profile(&ctx, &sso, false).await?;
                for warning in resolved.warnings {
                    self.warn(warning);
                }
                Ok(SigningCredentials::from(&resolved.credentials))
            }
            other => Err(LoginIoError::config(format!(
                "The source of profile '{}' is not supported by this build of aws-login.",
                other.profile()
            ))),
        }
    }

    /// Role step `index`: its cache while fresh, else AssumeRole under the step's lock.
    fn role_step(&self, index: usize, force: bool) -> StepFuture<'_> {
        Box::pin(async move {
            let step = &self.plan.roles[index];
            let args = self.role_args(index);
            let path = self.role_cache_path(index);
            let is_last = index == self.plan.roles.len() - 1;
            // Only the role asked for is forced; the ones under it keep their caches.
            let force_this = force && is_last;
            if !force_this {
                if let Some(entry) = self.cached_role(index) {
                    if entry.reusable(OffsetDateTime::now_utc()) {
                        return Ok(StepCredentials {
                            credentials: entry.credentials,
                            assumed_role_arn: entry.assumed_role_arn,
                            from_cache: true,
                        });
                    }
                }
            }
            let lock = match self.role_cache.lock(&path, self.options.lock_timeout).await {
                Ok(lock) => lock,
                Err(LockError::TimedOut { path, waited }) => {
                    return Err(LoginIoError::LockBusy {
                        profile: step.profile.clone(),
                        path,
                        waited_secs: waited.as_secs(),
                    })
                }
                Err(e) => {
                    return Err(LoginIoError::CacheWrite {
                        path: e.path().to_path_buf(),
                        detail: e.to_string(),
                    })
                }
            };
            if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
                self.role_cache.sweep_stale_temps(name);
            }
            // Another process may have assumed the role while we waited.
            if !force_this {
                if let Some(entry) = self.cached_role(index) {
                    if entry.reusable(OffsetDateTime::now_utc()) {
                        tracing::debug!(profile = %step.profile, "another process assumed the role; using its result");
                        return Ok(StepCredentials {
                            credentials: entry.credentials,
                            assumed_role_arn: entry.assumed_role_arn,
                            from_cache: true,
                        });
                    }
                }
            }
            let endpoint = self.sts_endpoint()?;
            let http = self.http();
            let mut source = self.source_for(index, false).await?;
            let token_code = match &args.serial_number {
                Some(serial) => Some(self.ask_mfa(&step.profile, serial, &step.role_arn).await?),
                None => None,
            };
            tracing::debug!(profile = %step.profile, role = %step.role_arn, url = %endpoint.url, "assuming role");
            let mut retried = false;
            let outcome = loop {
                match assume_role(&http, &endpoint, &source, &args, token_code.as_deref()).await {
                    Ok(outcome) => break outcome,
                    // Source credentials that STS calls expired although they looked valid:
                    // fetch fresh ones once (not with an MFA code, which is spent).
                    Err(crate::sources::sts::AssumeRoleCallError::Sts(
                        login_core::StsError::ExpiredToken { .. },
                    )) if !retried && token_code.is_none() => {
                        retried = true;
                        tracing::debug!("source credentials expired at STS; fetching fresh ones");
                        source = self.source_for(index, true).await?;
                    }
                    Err(e) => {
                        return Err(LoginIoError::AssumeRole {
                            profile: step.profile.clone(),
                            role_arn: step.role_arn.clone(),
                            host: endpoint.host(),
                            failure: Box::new(failure_of(e)?),
                        })
                    }
                }
            };
            if let Err(e) = self
                .role_cache
                .write_atomic(&path, outcome.cache_json.as_bytes())
            {
                self.warn(
                    LoginIoError::CacheWrite {
                        path: path.clone(),
                        detail: e.to_string(),
                    }
                    .to_string(),
                );
            }
            drop(lock);
            Ok(StepCredentials {
                credentials: outcome.role.credentials,
                assumed_role_arn: Some(outcome.role.assumed_role_arn),
                from_cache: false,
            })
        })
    }

    async fn ask_mfa(
        &self,
        profile: &str,
        serial: &str,
        role_arn: &str,
    ) -> Result<String, LoginIoError> {
        let serial_owned = serial.to_string();
        let asked = tokio::task::spawn_blocking(move || prompt_code(&serial_owned))
            .await
            .map_err(|e| LoginIoError::config(format!("The MFA prompt failed: {e}.")))?;
        asked.map_err(|e| match e {
            MfaPromptError::NoTerminal(detail) => LoginIoError::MfaUnavailable {
                profile: profile.to_string(),
                serial: serial.to_string(),
                role_arn: role_arn.to_string(),
                detail,
            },
            MfaPromptError::Empty => LoginIoError::MfaUnavailable {
                profile: profile.to_string(),
                serial: serial.to_string(),
                role_arn: role_arn.to_string(),
                detail: "no code was entered".into(),
            },
        })
    }
}

/// One role step as the caches show it now (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStepStatus {
    pub profile: String,
    pub role_arn: String,
    pub mfa_serial: Option<String>,
    pub cache_file: PathBuf,
    /// Expiration of the cached role credentials, when a readable cache file exists.
    pub cached_until: Option<OffsetDateTime>,
    /// True while the cached credentials have more than 15 minutes left.
    pub reusable: bool,
    pub assumed_role_arn: Option<String>,
}

/// A role profile's chain as the caches show it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleProfileStatus {
    pub profile: String,
    /// From the profile asked for down to the base.
    pub profiles: Vec<String>,
    /// From the base outwards.
    pub roles: Vec<RoleStepStatus>,
    /// The base, described (`login profile 'signin' (arn:…)`).
    pub base: String,
    /// The base's login session, when the base is a login profile.
    pub base_session: Option<crate::session::SessionStatus>,
    /// The base's IAM Identity Center profile, when the base is one.
    pub base_sso: Option<crate::sso::SsoProfileStatus>,
}

impl RoleProfileStatus {
    /// True when the next use can deliver credentials without a new browser login.
    pub fn usable(&self) -> bool {
        self.roles.last().is_some_and(|r| r.reusable)
            || (self.base_session.as_ref().is_none_or(|s| s.health.usable())
                && self.base_sso.as_ref().is_none_or(|s| !s.needs_sign_in))
    }
}

/// What `status` shows for one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileStatus {
    Login(Box<crate::session::SessionStatus>),
    Role(Box<RoleProfileStatus>),
    /// An IAM Identity Center profile without roles on top.
    Sso(Box<crate::sso::SsoProfileStatus>),
}

/// The selected profile's status, whatever kind it is; nothing is fetched or refreshed.
pub fn profile_status(options: &ResolveOptions) -> Result<ProfileStatus, LoginIoError> {
    match load(options)? {
        Planned::Login(_) => Ok(ProfileStatus::Login(Box::new(
            crate::session::session_status(options)?,
        ))),
        Planned::Sso(sso) => {
            let (ctx, profile) = &*sso;
            Ok(ProfileStatus::Sso(Box::new(crate::sso::profile_status(
                ctx, profile,
            ))))
        }
        Planned::Roles(chain) => {
            let now = OffsetDateTime::now_utc();
            let roles = (0..chain.plan.roles.len())
                .map(|i| {
                    let step = &chain.plan.roles[i];
                    let cached = chain.cached_role(i);
                    RoleStepStatus {
                        profile: step.profile.clone(),
                        role_arn: step.role_arn.clone(),
                        mfa_serial: step.mfa_serial.clone(),
                        cache_file: chain.role_cache_path(i),
                        cached_until: cached.as_ref().map(|c| c.credentials.expiration),
                        reusable: cached.as_ref().is_some_and(|c| c.reusable(now)),
                        assumed_role_arn: cached.and_then(|c| c.assumed_role_arn),
                    }
                })
                .collect();
            let base_session = match &chain.plan.base {
                Source::LoginSession { profile, .. } => {
                    Some(crate::session::session_status(&ResolveOptions {
                        profile: Some(profile.clone()),
                        ..options.clone()
                    })?)
                }
                _ => None,
            };
            let base_sso = match &chain.plan.base {
                Source::Sso { .. } => sso_base(options)?
                    .map(|(ctx, profile)| crate::sso::profile_status(&ctx, &profile)),
                _ => None,
            };
            Ok(ProfileStatus::Role(Box::new(RoleProfileStatus {
                profile: chain.plan.profile.clone(),
                profiles: chain
                    .plan
                    .profiles()
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
                roles,
                base: chain.plan.base.describe(),
                base_session,
                base_sso,
            })))
        }
    }
}

/// What a profile's credentials start from, as planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BaseKind {
    LoginSession,
    Sso,
    StaticKeys,
    CredentialProcess,
    Environment,
}

impl BaseKind {
    /// A stable name (`"LoginSession"`, `"Sso"`, …) for bindings.
    pub fn name(self) -> &'static str {
        match self {
            BaseKind::LoginSession => "LoginSession",
            BaseKind::Sso => "Sso",
            BaseKind::StaticKeys => "StaticKeys",
            BaseKind::CredentialProcess => "CredentialProcess",
            BaseKind::Environment => "Environment",
        }
    }
}

/// A profile's chain as planned, without fetching anything: what SDK providers need to decide
/// whether aws-login should serve the profile, and which account it is for (no secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePlan {
    pub profile: String,
    pub base: BaseKind,
    /// The roles assumed on top of the base, from the base outwards.
    pub role_arns: Vec<String>,
    /// The account the profile's credentials are for: the outermost role's, else the SSO
    /// profile's `sso_account_id` or the login session's account; `None` for other bases.
    pub account_id: Option<String>,
    /// The profile's own `region`.
    pub region: Option<String>,
}

impl ProfilePlan {
    /// True when the chain starts from a login session or IAM Identity Center: the chains
    /// aws-login resolves itself, under its locks and caches. Keys, `credential_process` and
    /// environment bases without aws-login are the SDKs' own business.
    pub fn served(&self) -> bool {
        matches!(self.base, BaseKind::LoginSession | BaseKind::Sso)
    }
}

fn profile_plan(planned: ChainPlan, config: &LoadedConfig) -> ProfilePlan {
    let base_account = match &planned.base {
        Source::LoginSession { session_arn, .. } => crate::profile::account_of_arn(session_arn),
        Source::Sso { profile } => login_core::sso::SsoProfile::from_config(&config.file, profile)
            .ok()
            .flatten()
            .map(|sso| sso.account_id),
        _ => None,
    };
    let account_id = match planned.roles.last() {
        Some(role) => crate::profile::account_of_arn(&role.role_arn),
        None => base_account,
    };
    let region = config.file.profile(&planned.profile).and_then(|view| {
        view.get("region")
            .filter(|r| !r.is_empty())
            .map(str::to_string)
    });
    ProfilePlan {
        base: match planned.base {
            Source::LoginSession { .. } => BaseKind::LoginSession,
            Source::Sso { .. } => BaseKind::Sso,
            Source::StaticKeys { .. } => BaseKind::StaticKeys,
            Source::CredentialProcess { .. } => BaseKind::CredentialProcess,
            _ => BaseKind::Environment,
        },
        role_arns: planned.roles.iter().map(|r| r.role_arn.clone()).collect(),
        account_id,
        region,
        profile: planned.profile,
    }
}

/// Plans the selected profile without fetching anything; fails as [`crate::resolve_credentials`]
/// would for a profile that cannot be planned.
pub fn plan_profile(options: &ResolveOptions) -> Result<ProfilePlan, LoginIoError> {
    let inputs = PlanInputs::read(options)?;
    Ok(profile_plan(inputs.plan()?, &inputs.config))
}

/// Every profile of the config file whose chain can be planned, in file order (`[default]` is
/// `default`); profiles that cannot be planned are left out.
pub fn plan_profiles(options: &ResolveOptions) -> Result<Vec<ProfilePlan>, LoginIoError> {
    let PlanInputs {
        config,
        credentials,
        ..
    } = PlanInputs::read(options)?;
    Ok(config
        .file
        .profile_names()
        .into_iter()
        .filter_map(|name| plan(&config.file, &credentials, &name).ok())
        .map(|planned| profile_plan(planned, &config))
        .collect())
}

#[cfg(test)]
mod plan_tests {
    use super::*;

    #[test]
    fn plans_say_the_base_and_the_account_of_every_profile() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(
            &config,
            "[profile signin]\nlogin_session = arn:aws:iam::111122223333:user/alice\n\
             [profile admin]\nrole_arn = arn:aws:iam::444455556666:role/Admin\nsource_profile = signin\nregion = eu-west-1\n\
             [profile sso]\nsso_session = s\nsso_account_id = 777788889999\nsso_role_name = ReadOnly\n\
             [sso-session s]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = us-east-1\n\
             [profile keys]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = s\n\
             [profile loop]\nrole_arn = arn:aws:iam::111122223333:role/R\nsource_profile = loop\n",
        )
        .unwrap();
        let options = ResolveOptions {
            config_file: Some(config),
            credentials_file: Some(dir.path().join("credentials")),
            env: Some(Environment::from_pairs([("HOME", "/h")])),
            ..ResolveOptions::default()
        };
        let plans = plan_profiles(&options).unwrap();
        let summary: Vec<_> = plans
            .iter()
            .map(|p| {
                (
                    p.profile.as_str(),
                    p.base,
                    p.account_id.as_deref(),
                    p.served(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("signin", BaseKind::LoginSession, Some("111122223333"), true),
                ("admin", BaseKind::LoginSession, Some("444455556666"), true),
                ("sso", BaseKind::Sso, Some("777788889999"), true),
                ("keys", BaseKind::StaticKeys, None, false),
            ]
        );
        assert_eq!(plans[1].region.as_deref(), Some("eu-west-1"));
        assert_eq!(plans[1].role_arns, ["arn:aws:iam::444455556666:role/Admin"]);

        let admin = plan_profile(&ResolveOptions {
            profile: Some("admin".into()),
            ..options.clone()
        })
        .unwrap();
        assert_eq!(admin, plans[1]);
        let looping = plan_profile(&ResolveOptions {
            profile: Some("loop".into()),
            ..options.clone()
        })
        .unwrap_err();
        assert_eq!(looping.kind(), crate::ErrorKind::Config);
        let missing = plan_profile(&ResolveOptions {
            profile: Some("nope".into()),
            ..options
        })
        .unwrap_err();
        assert_eq!(missing.kind(), crate::ErrorKind::ProfileNotFound);
    }
}
