//! # login-io
//!
//! The IO driver for AWS console-credentials login: the one crate that touches disk, network,
//! clock, environment and browser. It discovers settings with the AWS conventions, reads and
//! atomically rewrites the shared token cache under a cross-process lock, talks HTTP to the
//! Sign-In service, and runs login-core's state machines. It never re-implements protocol rules
//! (those live in login-core), never logs or returns a secret in an error, and never panics on
//! bad input.
//!
//! ## API for frontends (CLI, Python, Node)
//! ```text
//! ResolveOptions { profile, config_file, cache_dir, region, endpoint_url, ca_bundle,
//!                  env: Option<Environment>, http, lock_timeout, force_refresh,
//!                  torn_read_wait, credentials_file, role_cache_dir }               // None = discover
//! resolve_credentials(&opts).await        -> Result<ResolvedCredentials, LoginIoError>
//! resolve_credentials_blocking(&opts)     -> same, no runtime needed from the caller
//!     ResolvedCredentials: access_key_id(), secret_access_key(), session_token() (SecretString),
//!     expiration() (OffsetDateTime) / expiration_system_time(), account_id(), login_session(),
//!     profile(), refreshed(), warnings(), credentials() (login_core::Credentials for rendering)
//!     role_chain() -> Option<&RoleChain>: for a role profile, the profiles, role ARNs and base
//!     (login_session() is then the base login profile's session, or "" for other bases)
//! profile_status(&opts)                   -> ProfileStatus::{Login(SessionStatus), Role(..), Sso(..)}
//! plan_profile(&opts) / plan_profiles(&opts) -> ProfilePlan { base: BaseKind, role_arns, account_id }
//!     nothing fetched; served() is true for login-session and IAM Identity Center bases
//! login_profiles(&opts)                   -> Vec<LoginProfile>   every profile with login_session
//! session_status(&opts) / all_session_statuses(&opts) -> SessionStatus (no secrets)
//! logout(&opts) -> LogoutOutcome;  logout_all(&opts) -> LogoutAll
//! LoginIoError: Display = the message users see; kind() -> ErrorKind (stable, `name()`);
//!     ErrorKind::{ProfileNotFound, NoLoginSession} mean "not a profile aws-login serves" (try
//!     the next provider); kind().needs_login() means only a new browser login helps, and
//!     login_profile() names the profile to log in to (the login profile under a role).
//! credential_server::CredentialServer::start(CredentialServerConfig, first).await  -> the
//!     container-credentials server of `exec` / `serve` (127.0.0.1, token, refresh window, one
//!     resolution at a time); ChildEnvironment::for_child(..) -> the child's variables
//! ```
//! Role profiles (`role_arn` + `source_profile` / `credential_source`) are planned by
//! login-core's chain planner and run by [`chain`]: the base (login session, static keys,
//! credential_process, environment), then each AssumeRole, each step cached in AWS CLI v2's
//! `~/.aws/cli/cache` under the same lock-and-atomic-replace rule as the login cache. With the
//! `provide-credentials` feature, `LoginCredentialsProvider` serves the same resolution to the
//! AWS SDK for Rust (`aws_credential_types::provider::ProvideCredentials`).
//!
//! Resolution reads the cache without a lock and answers at once while more than five minutes
//! remain. Otherwise it takes the session's lock (an in-process mutex keyed by cache file plus
//! an `flock` on a sibling `.<hash>.lock`), re-reads, and only if still needed calls
//! `/v1/token` and replaces the file atomically: any number of threads and processes at expiry
//! make one token request. When the refresh fails on the network or the service, or another
//! process holds the lock too long, credentials that have not expired yet are still returned,
//! with the failure in `warnings()`.
//!
//! AWS CLI v2 and the JS SDK rewrite the cache in place (truncate, then write), so a reader can
//! catch the file empty or cut short. Every cache read goes through
//! `CacheStore::read_settled`: such a file is re-read with a short backoff (`torn_read_wait`,
//! 250 ms by default), then once more with the session's lock held, and only a file that stays
//! torn is reported as unusable.

pub mod browser;
pub mod cache_store;
pub mod callback;
pub mod chain;
pub mod credential_server;
pub mod error;
pub mod http;
pub mod login;
pub mod mfa;
pub mod paths;
pub mod profile;
#[cfg(feature = "provide-credentials")]
pub mod provider;
pub mod resolve;
pub mod session;
pub mod settings;
pub mod sources;
pub mod sso;

pub use chain::{
    plan_profile, plan_profiles, profile_status, BaseKind, ProfilePlan, ProfileStatus,
    RoleProfileStatus, RoleStepStatus,
};
pub use error::{AssumeRoleFailure, ErrorKind, LoginIoError};
pub use profile::{login_profiles, LoginProfile, LoginProfileContext, ResolveOptions};
#[cfg(feature = "provide-credentials")]
pub use provider::LoginCredentialsProvider;
pub use resolve::{
    resolve_credentials, resolve_credentials_blocking, ResolvedCredentials, RoleChain,
};
pub use session::{
    all_session_statuses, logout, logout_all, session_status, LogoutAll, LogoutOutcome,
    SessionHealth, SessionStatus,
};
pub use settings::Environment;
