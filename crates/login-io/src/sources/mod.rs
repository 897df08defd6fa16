//! Fetchers for the sources of a role chain: each turns one planned step into credentials.
//! The login-session source is resolve.rs's refresh path; the others live here.

pub mod process;
pub mod sts;

use login_core::{Credentials, SecretString, StaticKeys};

use crate::error::LoginIoError;
use crate::settings::Environment;

/// Keys that sign the next AssumeRole call. No `Debug` of the secrets.
#[derive(Debug, Clone)]
pub struct SigningCredentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: Option<SecretString>,
}

impl From<&Credentials> for SigningCredentials {
    fn from(c: &Credentials) -> Self {
        SigningCredentials {
            access_key_id: c.access_key_id.clone(),
            secret_access_key: c.secret_access_key.clone(),
            session_token: Some(c.session_token.clone()),
        }
    }
}

impl From<&StaticKeys> for SigningCredentials {
    fn from(k: &StaticKeys) -> Self {
        SigningCredentials {
            access_key_id: k.access_key_id.clone(),
            secret_access_key: k.secret_access_key.clone(),
            session_token: k.session_token.clone(),
        }
    }
}

/// `credential_source = Environment`: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the
/// optional `AWS_SESSION_TOKEN` of the environment.
pub fn environment_keys(
    profile: &str,
    env: &Environment,
) -> Result<SigningCredentials, LoginIoError> {
    let id = env.non_empty("AWS_ACCESS_KEY_ID");
    let secret = env.non_empty("AWS_SECRET_ACCESS_KEY");
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(SigningCredentials {
            access_key_id: id,
            secret_access_key: SecretString::from(secret),
            session_token: env
                .non_empty("AWS_SESSION_TOKEN")
                .or_else(|| env.non_empty("AWS_SECURITY_TOKEN"))
                .map(SecretString::from),
        }),
        (id, _) => Err(LoginIoError::SourceFailed {
            profile: profile.to_string(),
            message: format!(
                "Profile '{profile}' has `credential_source = Environment`, but {} is not set. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or use source_profile.",
                if id.is_none() { "AWS_ACCESS_KEY_ID" } else { "AWS_SECRET_ACCESS_KEY" }
            ),
        }),
    }
}
