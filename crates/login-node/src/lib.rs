//! login-node: the napi-rs addon behind the npm package `aws-login-provider`.
//!
//! A thin binding over login-io: it converts JS options to a `ResolveOptions`, runs the
//! resolution of any profile kind login-io serves (login session, IAM Identity Center, roles on
//! top of any base) on napi's tokio runtime (never on the JS thread), converts the credentials
//! back and turns a `LoginIoError` into a JS `Error` whose `name` is the error kind and whose
//! message is the one the `aws-login` CLI prints. It never reads files, the network or the clock
//! itself, and never logs a secret. The environment is snapshotted on the JS thread, because
//! Node writes `process.env` from that thread.

mod errors;
mod protocol;

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use login_io::{Environment, LoginIoError, ResolveOptions, ResolvedCredentials};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// Where to find the session; every field left out is discovered as the AWS CLI does
/// (`AWS_PROFILE`, `AWS_CONFIG_FILE`, `AWS_LOGIN_CACHE_DIRECTORY`, then the defaults).
#[napi(object)]
#[derive(Debug, Default)]
pub struct LoginOptions {
    /// Profile to resolve: a login, IAM Identity Center or role profile (default: `AWS_PROFILE`,
    /// then `default`).
    pub profile: Option<String>,
    /// Token cache directory (default: `AWS_LOGIN_CACHE_DIRECTORY`, then `~/.aws/login/cache`).
    pub cache_directory: Option<String>,
    /// Shared config file (default: `AWS_CONFIG_FILE`, then `~/.aws/config`).
    pub config_filepath: Option<String>,
}

/// Temporary credentials of a profile (a login session's, an SSO role's, an assumed role's), in
/// the shape of the JS SDK v3's `AwsCredentialIdentity`.
#[napi(object)]
pub struct LoginCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// When the credentials expire; login credentials are refreshed five minutes before, role
    /// and SSO credentials fifteen.
    pub expiration: DateTime<Utc>,
    /// The account the credentials are for (the role's, the SSO account, the login session's).
    pub account_id: String,
}

/// The credentials plus what the user should hear although they were delivered (a refresh
/// that failed while the cached credentials are still valid, for instance).
#[napi(object)]
#[derive(Debug)]
pub struct LoginResolution {
    pub credentials: LoginCredentials,
    pub warnings: Vec<String>,
}

/// A profile of the shared config holding a login session.
#[napi(object)]
#[derive(Debug)]
pub struct LoginProfile {
    pub name: String,
    pub session_arn: String,
    /// The account of the session (the ARN's account field).
    pub account_id: Option<String>,
    pub region: Option<String>,
}

/// A profile of the shared config as planned, nothing fetched (no secrets).
#[napi(object)]
#[derive(Debug)]
pub struct PlannedProfile {
    pub name: String,
    /// What the chain starts from: `LoginSession`, `Sso`, `StaticKeys`, `CredentialProcess` or
    /// `Environment`.
    pub base: String,
    /// The roles assumed on top of the base, from the base outwards.
    pub role_arns: Vec<String>,
    /// The account of the credentials: the outermost role's, else the SSO account or the login
    /// session's account.
    pub account_id: Option<String>,
    pub region: Option<String>,
    /// True when aws-login resolves the profile (a login-session or IAM Identity Center base).
    pub served: bool,
}

impl std::fmt::Debug for LoginCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[redacted]")
            .field("session_token", &"[redacted]")
            .field("expiration", &self.expiration)
            .field("account_id", &self.account_id)
            .finish()
    }
}

impl LoginOptions {
    /// Runs on the JS thread, so the environment snapshot cannot race a `process.env` write.
    fn to_resolve_options(&self) -> ResolveOptions {
        ResolveOptions {
            profile: self.profile.clone().filter(|p| !p.is_empty()),
            config_file: self.config_filepath.as_deref().map(PathBuf::from),
            cache_dir: self.cache_directory.as_deref().map(PathBuf::from),
            env: Some(Environment::from_process()),
            ..ResolveOptions::default()
        }
    }
}

impl From<ResolvedCredentials> for LoginResolution {
    fn from(resolved: ResolvedCredentials) -> Self {
        let expiration = resolved.expiration();
        let credentials = LoginCredentials {
            access_key_id: resolved.access_key_id().to_string(),
            secret_access_key: resolved.secret_access_key().expose().to_string(),
            session_token: resolved.session_token().expose().to_string(),
            expiration: DateTime::from_timestamp(
                expiration.unix_timestamp(),
                expiration.nanosecond(),
            )
            .unwrap_or(DateTime::UNIX_EPOCH),
            // Every source login-io reads carries the account; for a role the assumed-role ARN
            // has it too, and only a plain login session falls back to the session ARN.
            account_id: resolved
                .account_id()
                .map(str::to_string)
                .or_else(|| match resolved.role_chain() {
                    Some(chain) => chain
                        .assumed_role_arn
                        .as_deref()
                        .or(chain.role_arns.last().map(String::as_str))
                        .and_then(login_io::profile::account_of_arn),
                    None => login_io::profile::account_of_arn(resolved.login_session()),
                })
                .unwrap_or_default(),
        };
        LoginResolution {
            credentials,
            warnings: resolved.warnings().to_vec(),
        }
    }
}

/// Resolves the credentials of a profile through login-io's chain (login session, IAM Identity
/// Center, roles), each step refreshed under its cache lock. Rejects with an `Error` named after
/// the failure kind (see `loginErrorNames`).
#[napi(ts_return_type = "Promise<LoginResolution>")]
pub fn resolve_login_credentials(
    env: &Env,
    options: Option<LoginOptions>,
) -> Result<PromiseRaw<'_, LoginResolution>> {
    let options = options.unwrap_or_default().to_resolve_options();
    env.spawn_future_with_callback(
        async move { Ok(login_io::resolve_credentials(&options).await) },
        |env, outcome: std::result::Result<ResolvedCredentials, LoginIoError>| match outcome {
            Ok(resolved) => Ok(LoginResolution::from(resolved)),
            Err(error) => Err(errors::to_js_error(env, &error)),
        },
    )
}

/// The profiles of the shared config with a `login_session`, in file order (the CDK plugin
/// picks the one whose session is in the account the CLI asks for).
#[napi(ts_return_type = "Promise<LoginProfile[]>")]
pub fn list_login_profiles(
    env: &Env,
    options: Option<LoginOptions>,
) -> Result<PromiseRaw<'_, Vec<LoginProfile>>> {
    let options = options.unwrap_or_default().to_resolve_options();
    env.spawn_future_with_callback(
        async move {
            let listed =
                tokio::task::spawn_blocking(move || login_io::login_profiles(&options)).await;
            listed.map_err(|e| Error::from_reason(format!("listing login profiles stopped: {e}")))
        },
        |env, outcome| match outcome {
            Ok(profiles) => Ok(profiles
                .into_iter()
                .map(|p| LoginProfile {
                    name: p.name,
                    session_arn: p.session_arn,
                    account_id: p.account_id,
                    region: p.region,
                })
                .collect::<Vec<_>>()),
            Err(error) => Err(errors::to_js_error(env, &error)),
        },
    )
}

/// Every profile of the shared config whose chain can be planned, in file order, with its base
/// and account (the CDK plugin picks the served one in the account the CLI asks for).
#[napi(ts_return_type = "Promise<PlannedProfile[]>")]
pub fn list_profiles(
    env: &Env,
    options: Option<LoginOptions>,
) -> Result<PromiseRaw<'_, Vec<PlannedProfile>>> {
    let options = options.unwrap_or_default().to_resolve_options();
    env.spawn_future_with_callback(
        async move {
            let planned =
                tokio::task::spawn_blocking(move || login_io::plan_profiles(&options)).await;
            planned.map_err(|e| Error::from_reason(format!("planning the profiles stopped: {e}")))
        },
        |env, outcome| match outcome {
            Ok(plans) => Ok(plans
                .into_iter()
                .map(|p| PlannedProfile {
                    served: p.served(),
                    base: p.base.name().to_string(),
                    name: p.profile,
                    role_arns: p.role_arns,
                    account_id: p.account_id,
                    region: p.region,
                })
                .collect::<Vec<_>>()),
            Err(error) => Err(errors::to_js_error(env, &error)),
        },
    )
}

/// Every `name` the addon gives its errors.
#[napi]
pub fn login_error_names() -> Vec<String> {
    errors::all_names()
}
