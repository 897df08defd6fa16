//! `LoginCredentialsProvider` (feature `provide-credentials`) through the
//! `aws_credential_types::provider::ProvideCredentials` trait, as the AWS SDK for Rust calls it:
//! a role profile over a login profile, across an expiry of the role credentials, and a profile
//! aws-login does not serve reported as "not loaded" so an SDK chain moves on.

mod support;

use aws_credential_types::provider::{error::CredentialsError, ProvideCredentials};
use login_io::LoginCredentialsProvider;
use signin_mock::MockConfig;
use support::Sandbox;

const DEPLOY: &str = "arn:aws:iam::111122223333:role/Deploy";

/// The SDK's own runtime, as a Rust program on the SDK has one.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn provides_role_credentials_across_an_expiry() {
    let rt = runtime();
    let sandbox = Sandbox::with_mock(MockConfig::default());
    let session = sandbox.login("signin", "alice");
    sandbox.add_profile(
        "deploy",
        &[("role_arn", DEPLOY), ("source_profile", "signin")],
    );
    let provider = LoginCredentialsProvider::new(sandbox.options("deploy"));

    let first = rt.block_on(provider.provide_credentials()).unwrap();
    assert!(first.access_key_id().starts_with("ASIA"));
    assert!(first.session_token().is_some());
    let expiry = first.expiry().expect("temporary credentials expire");
    assert!(expiry > std::time::SystemTime::now() + std::time::Duration::from_secs(900));
    assert!(!format!("{first:?}").contains(first.secret_access_key()));

    // Cached: the same credentials, no call.
    let again = rt.block_on(provider.provide_credentials()).unwrap();
    assert_eq!(again.access_key_id(), first.access_key_id());
    assert_eq!(sandbox.mock.stats().assume_role_calls(DEPLOY), 1);

    // The role credentials and the login session both run out: the provider refreshes the
    // session and assumes the role again.
    let cache = sandbox.home.join(".aws/cli/cache");
    for file in std::fs::read_dir(&cache).unwrap().flatten() {
        if file.path().extension().is_some_and(|x| x == "json") {
            let mut json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(file.path()).unwrap()).unwrap();
            json["Credentials"]["Expiration"] = "2020-01-01T00:00:00+00:00".into();
            std::fs::write(file.path(), json.to_string()).unwrap();
        }
    }
    sandbox.set_seconds_left(&session, -10);
    let renewed = rt.block_on(provider.provide_credentials()).unwrap();
    assert_ne!(renewed.access_key_id(), first.access_key_id());
    assert_eq!(sandbox.mock.stats().assume_role_calls(DEPLOY), 2);
    assert_eq!(sandbox.refresh_calls(), 1);
}

#[test]
fn a_profile_it_does_not_serve_is_not_loaded() {
    let rt = runtime();
    let sandbox = Sandbox::with_mock(MockConfig::default());
    sandbox.add_profile("plain", &[("region", "us-east-1")]);
    let err = rt
        .block_on(LoginCredentialsProvider::new(sandbox.options("plain")).provide_credentials())
        .unwrap_err();
    assert!(
        matches!(err, CredentialsError::CredentialsNotLoaded(_)),
        "{err:?}"
    );
    sandbox.add_profile("loop", &[("role_arn", DEPLOY), ("source_profile", "loop")]);
    let err = rt
        .block_on(LoginCredentialsProvider::new(sandbox.options("loop")).provide_credentials())
        .unwrap_err();
    assert!(matches!(err, CredentialsError::ProviderError(_)), "{err:?}");
}
