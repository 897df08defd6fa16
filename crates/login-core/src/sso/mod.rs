//! IAM Identity Center (AWS SSO) as values: the profile and `[sso-session]`
//! settings, the OIDC service (`RegisterClient`, `StartDeviceAuthorization`,
//! `CreateToken`), the access portal (`GetRoleCredentials`, `ListAccounts`,
//! `ListAccountRoles`, `Logout`), the authorization-code (PKCE S256) and
//! device-code flows, and the three caches AWS CLI v2 shares with botocore,
//! the JS SDK and the Rust SDK:
//!
//! - the token cache `~/.aws/sso/cache/<sha1(session name | start URL)>.json`
//!   ([`SsoToken`]), read from every writer's spelling and written as AWS CLI
//!   writes it;
//! - the client registration in the same directory ([`Registration`]);
//! - the role credentials `~/.aws/cli/cache/<sha1(args)>.json`
//!   ([`RoleCredentialsCache`]).
//!
//! Like the rest of the crate it does no IO: `now` and randomness are
//! arguments and every exchange is an [`HttpRequest`](crate::HttpRequest) out
//! and an [`HttpResponse`](crate::HttpResponse) in.

pub mod flow;
pub mod oidc;
pub mod portal;
pub mod profile;
pub mod registration;
pub mod role_cache;
pub mod start_url;
pub mod token;

use sha1::{Digest, Sha1};

pub use flow::{
    AuthCodeFlow, DeviceFlow, DevicePoll, SsoFlowError, SsoLoginParams,
    DEFAULT_POLL_INTERVAL_SECONDS, SLOW_DOWN_STEP_SECONDS,
};
pub use oidc::{
    CreateTokenOutput, DeviceAuthorizationOutput, OidcError, OidcErrorKind, RegisterClientOutput,
    DEFAULT_SCOPE, REGISTERED_REDIRECT_URI,
};
pub use portal::{AccountInfo, PortalError, PortalErrorKind, RoleInfo};
pub use profile::{SsoLoginTarget, SsoProfile, SsoProfileError, SsoSessionConfig, TargetSelector};
pub use registration::{Registration, RegistrationFlow, RegistrationKey};
pub use role_cache::{role_cache_file_name, RoleCacheError, RoleCacheKey, RoleCredentialsCache};
pub use start_url::{
    ProbeStep, ResolvedStartUrl, SchemePolicy, StartUrlError, StartUrlKind, StartUrlProbe,
};
pub use token::{token_cache_file_name, SsoToken, SsoTokenError, TokenPlan, UnrefreshableReason};

/// Refresh the access token when fewer than this many seconds remain: the 15
/// minutes of botocore's `SSOTokenProvider` and of `aws configure sso`'s
/// reuse check. The JS and Rust SDKs wait until 5 minutes; refreshing at 15
/// means a token we leave in the file is never one botocore would refresh at
/// once behind our lock, and every SDK still finds it fresh.
pub const TOKEN_REFRESH_WINDOW_SECONDS: i64 = 15 * 60;

/// Reuse cached role credentials until this many seconds before they expire
/// (AWS CLI's `CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS`).
pub const ROLE_CREDENTIALS_WINDOW_SECONDS: i64 = 15 * 60;

/// Treat a cached client registration as expired this long before its
/// `expiresAt` (botocore's `_is_expired` in `SSOTokenFetcher`).
pub const REGISTRATION_WINDOW_SECONDS: i64 = 15 * 60;

/// Lowercase hex SHA-1 of `text`.
pub fn sha1_hex(text: &str) -> String {
    hex::encode(Sha1::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_matches_the_documented_examples() {
        assert_eq!(
            sha1_hex("my-sso"),
            "0ad374308c5a4e22f723adf10145eafad7c4031c"
        );
        assert_eq!(
            sha1_hex("admin"),
            "d033e22ae348aeb5660fc2140aec35850c4da997"
        );
    }
}
