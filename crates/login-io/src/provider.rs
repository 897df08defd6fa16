//! `aws_credential_types::provider::ProvideCredentials` for Rust programs on the official AWS
//! SDK: the same resolution as every other frontend (login, IAM Identity Center and role
//! profiles, the same caches and locks). Behind the `provide-credentials` feature;
//! `tests/sdk_sts.rs` wires it into a real `aws-sdk-sts` client.

use aws_credential_types::provider::{error::CredentialsError, future, ProvideCredentials};

use crate::error::ErrorKind;
use crate::profile::ResolveOptions;
use crate::resolve::resolve_credentials;

/// Credentials of one profile for the AWS SDK for Rust, e.g.
/// `aws_sdk_sts::Config::builder().credentials_provider(LoginCredentialsProvider::for_profile("admin"))`.
#[derive(Debug, Clone)]
pub struct LoginCredentialsProvider {
    options: ResolveOptions,
}

impl LoginCredentialsProvider {
    pub fn new(options: ResolveOptions) -> Self {
        LoginCredentialsProvider { options }
    }

    pub fn for_profile(profile: impl Into<String>) -> Self {
        Self::new(ResolveOptions::for_profile(profile))
    }
}

impl ProvideCredentials for LoginCredentialsProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let resolved = resolve_credentials(&self.options).await.map_err(|e| {
                // "Not a profile aws-login serves" lets an SDK chain try its next provider.
                match e.kind() {
                    ErrorKind::ProfileNotFound | ErrorKind::NoLoginSession => {
                        CredentialsError::not_loaded(e)
                    }
                    _ => CredentialsError::provider_error(e),
                }
            })?;
            for warning in resolved.warnings() {
                tracing::warn!("{warning}");
            }
            Ok(aws_credential_types::Credentials::new(
                resolved.access_key_id(),
                resolved.secret_access_key().expose(),
                Some(resolved.session_token().expose().to_string()),
                Some(resolved.expiration_system_time()),
                "aws-login",
            ))
        })
    }
}
