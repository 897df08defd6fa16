//! signin-mock: a local AWS Sign-In service (authorize page, DPoP-bound token endpoint, remote
//! confirmation page), the slice of STS that SDKs use to prove credentials work
//! (`GetCallerIdentity`, `AssumeRole` with MFA, ExternalId and role chaining, SigV4-verified),
//! and an IAM Identity Center (OIDC `sso-oidc` with its browser pages, and the `sso` portal
//! whose role credentials this STS accepts), all on one port. Every suite and the demo run
//! against it.
//!
//! It is as strict as the real service: it never redirects a bad authorize request, never
//! accepts a replayed DPoP proof, a stale `iat`, a reused code or MFA code, a wrong PKCE
//! verifier or an unsigned STS call. It listens
//! on 127.0.0.1 only, keeps everything in memory, and never reuses the client crates' encoders
//! for its checks (p256, sha2, hmac and base64ct directly), so it catches their mistakes.
//!
//! ```no_run
//! # async fn demo() -> Result<(), signin_mock::StartError> {
//! let mock = signin_mock::MockServer::start(signin_mock::MockConfig::default()).await?;
//! println!("{}", mock.base_url());
//! assert_eq!(mock.stats().token_calls("refresh_token"), 0);
//! mock.shutdown().await;
//! # Ok(()) }
//! ```

mod admin;
mod authorize;
mod config;
mod dpop;
mod faults;
pub mod mfa;
mod portal;
mod server;
mod sigv4;
mod sso;
mod sso_pages;
mod state;
mod sts;
mod token;

use std::sync::Arc;

pub use config::{
    builtin_identities, ConfigError, Identity, MfaDevice, MockConfig, Role, SsoAccount,
    SsoAssignment, SsoConfig, SsoUser, BUILTIN_MFA_SECRET, DEFAULT_SSO_START_URL,
};
pub use faults::{FaultPlan, FaultTarget};
pub use state::{Permissions, Stats};

use tokio::sync::watch;

/// Client ids the service knows.
pub const SAME_DEVICE_CLIENT_ID: &str = token::SAME_DEVICE;
pub const CROSS_DEVICE_CLIENT_ID: &str = token::CROSS_DEVICE;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("cannot start the server's runtime: {0}")]
    Runtime(std::io::Error),
}

/// Why an admin action was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    #[error("{0}")]
    UnknownIdentity(String),
    #[error("invalid fault plan: {0}")]
    InvalidFaults(String),
    #[error("{0}")]
    Mfa(String),
    #[error("{0}")]
    Sso(String),
}

/// Entry point: `MockServer::start(config).await`.
#[derive(Debug)]
pub struct MockServer;

impl MockServer {
    /// Binds 127.0.0.1 (port 0 picks a free one) and serves on the current tokio runtime.
    pub async fn start(config: MockConfig) -> Result<RunningMock, StartError> {
        config.validate()?;
        config
            .faults
            .validate()
            .map_err(|m| StartError::Config(ConfigError::Invalid(m)))?;
        let port = config.port;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| StartError::Bind { port, source })?;
        let address = listener
            .local_addr()
            .map_err(|source| StartError::Bind { port, source })?;
        let state = Arc::new(state::MockState::new(config));
        let (stop_tx, stop_rx) = watch::channel(false);
        let router = server::router(state.clone());
        let task = tokio::spawn(server::serve(listener, router, stop_rx));
        Ok(RunningMock {
            base_url: format!("http://{address}"),
            state,
            stop: stop_tx,
            task: Some(task),
        })
    }
}

/// A server that is running. Dropping it stops accepting connections; `shutdown` also waits.
#[derive(Debug)]
pub struct RunningMock {
    base_url: String,
    state: state::SharedState,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningMock {
    /// `http://127.0.0.1:PORT`, with no trailing slash. Use it as `AWS_ENDPOINT_URL_SIGNIN`
    /// and `AWS_ENDPOINT_URL_STS`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn port(&self) -> u16 {
        self.base_url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    /// `{base}/v1/token`
    pub fn token_url(&self) -> String {
        format!("{}/v1/token", self.base_url)
    }

    /// `{base}/v1/sessions/confirmation`, the remote flow's redirect URI.
    pub fn confirmation_url(&self) -> String {
        format!("{}/v1/sessions/confirmation", self.base_url)
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> Stats {
        self.state.lock().stats.clone()
    }

    pub fn reset_stats(&self) {
        self.state.lock().stats = Stats::default();
    }

    /// Replaces the fault plan.
    pub fn set_faults(&self, plan: FaultPlan) -> Result<(), AdminError> {
        plan.validate().map_err(AdminError::InvalidFaults)?;
        self.state.lock().faults = plan;
        Ok(())
    }

    /// The fault plan with its remaining counts.
    pub fn faults(&self) -> FaultPlan {
        self.state.lock().faults.clone()
    }

    pub fn clear_faults(&self) {
        self.state.lock().faults = FaultPlan::default();
    }

    /// Marks the principal's password changed now; its sessions then refresh with
    /// `USER_CREDENTIALS_CHANGED`. Takes an identity name or ARN.
    pub fn set_password_changed(&self, principal: &str) -> Result<(), AdminError> {
        admin::mark_password_changed(&self.state, principal).map_err(AdminError::UnknownIdentity)
    }

    /// Grants or revokes `signin:CreateOAuth2Token` from now on (existing sessions included:
    /// their refreshes then get `INSUFFICIENT_PERMISSIONS`).
    pub fn set_can_create_token(&self, principal: &str, allowed: bool) -> Result<(), AdminError> {
        let change = admin::PermissionsBody {
            can_create_token: Some(allowed),
            ..Default::default()
        };
        admin::change_permissions(&self.state, principal, &change)
            .map(|_| ())
            .map_err(AdminError::UnknownIdentity)
    }

    /// Grants or revokes `signin:AuthorizeOAuth2Access` (the sign-in page then refuses).
    pub fn set_can_authorize(&self, principal: &str, allowed: bool) -> Result<(), AdminError> {
        let change = admin::PermissionsBody {
            can_authorize: Some(allowed),
            ..Default::default()
        };
        admin::change_permissions(&self.state, principal, &change)
            .map(|_| ())
            .map_err(AdminError::UnknownIdentity)
    }

    /// Shifts the server clock (Date headers, DPoP `iat`, SigV4 time, expiry checks).
    pub fn set_clock_offset(&self, offset_secs: i64) {
        self.state.lock().clock_offset_secs = offset_secs;
    }

    /// Approve valid authorize requests at once as this identity, or show the page (`None`).
    pub fn set_auto_approve(&self, identity: Option<&str>) -> Result<(), AdminError> {
        admin::set_auto_approve(&self.state, identity).map_err(AdminError::UnknownIdentity)
    }

    /// Ends every login session now: refreshes get `TOKEN_EXPIRED`.
    pub fn expire_sessions(&self) {
        admin::expire_sessions(&self.state);
    }

    /// Expires every issued credential now: STS answers `ExpiredToken`.
    pub fn expire_credentials(&self) {
        admin::expire_credentials(&self.state);
    }

    /// A code of this MFA device that AssumeRole accepts now and has not seen yet (the
    /// current step's, else the next step's). Does not spend it.
    pub fn mfa_code(&self, serial: &str) -> Result<String, AdminError> {
        admin::mfa_code(&self.state, serial)
            .map(|(code, _)| code)
            .map_err(AdminError::Mfa)
    }

    /// STS answers `RegionDisabledException` for signatures scoped to these regions from now on.
    pub fn set_sts_disabled_regions(&self, regions: &[&str]) {
        self.state.lock().sts_disabled_regions = regions.iter().map(|r| (*r).to_owned()).collect();
    }

    /// IAM Identity Center: approve `/authorize` and device verification at once as this SSO
    /// user, or show the pages (`None`).
    pub fn set_sso_auto_approve(&self, user: Option<&str>) -> Result<(), AdminError> {
        admin::set_sso_auto_approve(&self.state, user).map_err(AdminError::UnknownIdentity)
    }

    /// Approves the pending device authorization with this user code as `user` (or denies it
    /// with `None`), as a person on the verification page would.
    pub fn approve_device(&self, user_code: &str, user: Option<&str>) -> Result<(), AdminError> {
        sso_pages::approve_device(&self.state, user_code, user).map_err(AdminError::Sso)
    }

    /// Every IAM Identity Center access token expires now (the portal answers
    /// `UnauthorizedException`; refresh tokens still work).
    pub fn expire_sso_tokens(&self) {
        admin::expire_sso_tokens(&self.state);
    }

    /// Every IAM Identity Center sign-in ends now: refreshes get `InvalidGrantException`.
    pub fn expire_sso_sessions(&self) {
        admin::expire_sso_sessions(&self.state);
    }

    /// Every client registration expires now: calls with it get `InvalidClientException`.
    pub fn expire_sso_registrations(&self) {
        admin::expire_sso_registrations(&self.state);
    }

    /// The access portal URL clients must use as `sso_start_url`.
    pub fn sso_start_url(&self) -> &str {
        &self.state.config.sso.start_url
    }

    pub fn config(&self) -> &MockConfig {
        &self.state.config
    }

    /// Stops accepting, lets open requests finish (at most 5 s), and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for RunningMock {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// The same server on its own runtime threads, for synchronous tests in other crates (and for
/// tests that block on subprocesses that call the mock). Derefs to [`RunningMock`]; dropping it
/// shuts the server down.
#[derive(Debug)]
pub struct BlockingMock {
    mock: Option<RunningMock>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl BlockingMock {
    pub fn start(config: MockConfig) -> Result<Self, StartError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("signin-mock")
            .enable_all()
            .build()
            .map_err(StartError::Runtime)?;
        // On a separate thread, so this also works when called from inside another runtime.
        let mock = std::thread::scope(|scope| {
            scope
                .spawn(|| runtime.block_on(MockServer::start(config)))
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        })?;
        Ok(BlockingMock {
            mock: Some(mock),
            runtime: Some(runtime),
        })
    }

    /// Stops the server and waits for it.
    pub fn shutdown(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        if let (Some(mock), Some(runtime)) = (self.mock.take(), self.runtime.as_ref()) {
            // A scoped thread may block even when the caller is inside a runtime.
            std::thread::scope(|scope| {
                let _ = scope.spawn(|| runtime.block_on(mock.shutdown())).join();
            });
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl std::ops::Deref for BlockingMock {
    type Target = RunningMock;

    fn deref(&self) -> &RunningMock {
        // Present from `start` until `shutdown`/drop consumes `self`.
        self.mock
            .as_ref()
            .unwrap_or_else(|| unreachable!("BlockingMock used after shutdown"))
    }
}

impl Drop for BlockingMock {
    fn drop(&mut self) {
        self.stop_now();
    }
}
