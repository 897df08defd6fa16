//! login-node: the napi-rs addon behind the npm package `aws-login-provider`.
//!
//! A thin binding over login-io: it converts JS options to a `ResolveOptions`, runs the
//! resolution on napi's tokio runtime (never on the JS thread), converts the credentials back
//! and turns a `LoginIoError` into a JS `Error` whose `name` is the error kind and whose message
//! is the one the `aws-login` CLI prints. It never reads files, the network or the clock
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
    /// Profile whose `login_session` to use (default: `AWS_PROFILE`, then `default`).
    pub profile: Option<String>,
    /// Token cache directory (default: `AWS_LOGIN_CACHE_DIRECTORY`, then `~/.aws/login/cache`).
    pub cache_directory: Option<String>,
    /// Shared config file (default: `AWS_CONFIG_FILE`, then `~/.aws/config`).
    pub config_filepath: Option<String>,
}

/// Temporary credentials of a login session, in the shape of the JS SDK v3's
/// `AwsCredentialIdentity`.
#[napi(object)]
pub struct LoginCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// When the credentials expire; the provider refreshes five minutes before.
    pub expiration: DateTime<Utc>,
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
            // login-core requires the account in every usable cache entry; the session ARN
            // carries it too.
            account_id: resolved
                .account_id()
                .map(str::to_string)
                .or_else(|| login_io::profile::account_of_arn(resolved.login_session()))
                .unwrap_or_default(),
        };
        LoginResolution {
            credentials,
            warnings: resolved.warnings().to_vec(),
        }
    }
}

/// Resolves the credentials of a login profile, refreshing the session when fewer than five
/// minutes remain. Rejects with an `Error` named after the failure kind (see `loginErrorNames`).
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

/// Every `name` the addon gives its errors.
#[napi]
pub fn login_error_names() -> Vec<String> {
    errors::ALL_KINDS
        .iter()
        .map(|kind| errors::error_name(*kind))
        .collect()
}
