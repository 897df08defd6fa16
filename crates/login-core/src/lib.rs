//! # login-core
//!
//! The AWS console-credentials login protocol (`aws login`, AWS CLI v2.32+)
//! as pure values and state machines: PKCE and the authorize URL, callback
//! and remote-code parsing, token requests signed with DPoP (ES256), token
//! response and error parsing, the shared token cache entry and its refresh
//! rule, the shared config file with format-preserving edits, endpoint
//! resolution, the profile-chain planner (role profiles over any base source), STS AssumeRole
//! requests and the role-credential cache, and the `export-credentials` output formats. Everything it
//! writes is byte-compatible with AWS CLI, botocore and the JS SDK.
//!
//! It never does IO: no files, sockets, environment, clock or global RNG.
//! Time (`now`, `iat`) and randomness (`&mut impl CryptoRngCore`, `jti`) are
//! arguments; HTTP exchanges are [`HttpRequest`] / [`HttpResponse`] values
//! that a driver (login-io) sends and feeds back. Secrets are
//! [`SecretString`]s: `Debug` prints `[redacted]`, memory is wiped on drop.

pub mod cache;
pub mod chain;
pub mod config;
pub mod credentials;
pub mod dpop;
pub mod endpoint;
pub mod http;
pub mod login;
pub(crate) mod pyjson;
pub mod refresh;
pub mod secret;
pub mod shared_credentials;
pub mod sso;
pub mod sts;
pub mod timefmt;
pub mod token;

pub use cache::{
    cache_file_name, is_login_cache_entry, AccessToken, CacheEntry, CacheError, IdTokenField,
    RefreshPlan,
};
pub use chain::{plan, ChainError, ChainPlan, KeysFile, RoleStep, Source, StaticKeys};
pub use config::{ConfigEditError, ConfigFile, SectionId, SectionView};
pub use credentials::{Credentials, ExportFormat, UnknownExportFormat};
pub use dpop::{DpopKey, DpopKeyError, DpopProof, DpopProofError, VerifiedProof};
pub use endpoint::{Endpoint, EndpointConfig, EndpointError, Partition};
pub use http::{HttpRequest, HttpResponse};
pub use login::{
    authorize_url, decode_remote_code, id_token_signed_in_at, may_continue_remote_code,
    parse_callback, AuthorizationCode, CallbackError, CodeVerifier, IdTokenError, LoggedIn,
    LoginError, LoginFlow, LoginMode, LoginParams, LoginSession, RemoteCodeError, TokenExchange,
};
pub use refresh::{PendingRefresh, Refresh, Refreshed};
pub use secret::SecretString;
pub use shared_credentials::SharedCredentialsFile;
pub use sts::{
    parse_assume_role_response, AssumeRoleArgs, AssumedRole, RoleCacheEntry, RoleCacheError,
    StsError, ROLE_CACHE_REUSE_SECONDS,
};
pub use token::{
    parse_token_response, TokenError, TokenOutput, TokenRequest, CLIENT_ID_CROSS_DEVICE,
    CLIENT_ID_SAME_DEVICE,
};

/// Re-exported so callers can name the RNG bound without adding rand_core.
pub use rand_core::CryptoRngCore;
/// Re-exported time type used for every `now`.
pub use time::OffsetDateTime;
