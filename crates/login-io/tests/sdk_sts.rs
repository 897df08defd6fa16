//! The AWS SDK for Rust itself (`aws-sdk-sts`, no default features, rustls with ring over
//! plain HTTP to the mock) calling GetCallerIdentity with `LoginCredentialsProvider` as its
//! credentials provider, across credential expiries: a role profile over a login profile, and
//! an IAM Identity Center profile. This is also the example of wiring the provider into an
//! SDK client; a program with `aws-config` passes the provider to
//! `aws_config::defaults(..).credentials_provider(..)` the same way.

mod support;

use std::time::Duration;

use aws_sdk_sts::config::{BehaviorVersion, IdentityCache, Region};
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use login_core::sso::TargetSelector;
use login_io::sso::login::{sso_login, SsoLoginEvent, SsoLoginMethod, SsoLoginObserver};
use login_io::sso::start_url::login_destination;
use login_io::sso::SsoContext;
use login_io::{LoginCredentialsProvider, ResolveOptions};
use signin_mock::{BlockingMock, MockConfig};
use support::Sandbox;

const DEPLOY: &str = "arn:aws:iam::111122223333:role/Deploy";

/// Credentials of the mock's login sessions and IAM Identity Center roles live this long.
const SHORT_LIFETIME_SECS: u64 = 4;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// An STS client for the mock, as a program would build one, with `provider` for credentials.
fn sts_client(
    sandbox: &Sandbox,
    provider: LoginCredentialsProvider,
    cache: impl aws_sdk_sts::config::ResolveCachedIdentity + 'static,
) -> aws_sdk_sts::Client {
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let config = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(sandbox.base_url())
        .http_client(http)
        .identity_cache(cache)
        .credentials_provider(provider)
        .build();
    aws_sdk_sts::Client::from_conf(config)
}

async fn caller_arn(client: &aws_sdk_sts::Client) -> String {
    match client.get_caller_identity().send().await {
        Ok(out) => out.arn().unwrap_or_default().to_owned(),
        Err(e) => panic!(
            "GetCallerIdentity: {}",
            aws_sdk_sts::error::DisplayErrorContext(&e)
        ),
    }
}

fn sts_ok(mock: &BlockingMock) -> u64 {
    mock.stats().sts_outcome("GetCallerIdentity", "ok")
}

#[test]
fn a_role_over_a_login_profile_keeps_answering_after_its_credentials_expire() {
    let rt = runtime();
    let sandbox = Sandbox::with_mock(MockConfig {
        access_token_lifetime_secs: SHORT_LIFETIME_SECS,
        ..MockConfig::default()
    });
    sandbox.login("signin", "alice");
    sandbox.add_profile(
        "deploy",
        &[("role_arn", DEPLOY), ("source_profile", "signin")],
    );
    // The provider caches in AWS CLI's role cache itself; the SDK asks it on every call.
    let client = sts_client(
        &sandbox,
        LoginCredentialsProvider::new(sandbox.options("deploy")),
        IdentityCache::no_cache(),
    );

    let arn = rt.block_on(caller_arn(&client));
    assert!(arn.contains(":assumed-role/Deploy/"), "{arn}");
    assert_eq!(sandbox.mock.stats().assume_role_calls(DEPLOY), 1);
    // Again: the role cache answers, no AssumeRole.
    rt.block_on(caller_arn(&client));
    assert_eq!(sandbox.mock.stats().assume_role_calls(DEPLOY), 1);
    let refreshes = sandbox.refresh_calls();

    // Everything runs out: the login credentials by their short lifetime, the role credentials
    // at the service (STS does not issue them for less than 15 minutes, so the mock expires
    // them, and the cached copy is marked as expired).
    std::thread::sleep(Duration::from_secs(SHORT_LIFETIME_SECS + 1));
    sandbox.mock.expire_credentials();
    let cache = sandbox.home.join(".aws/cli/cache");
    for file in std::fs::read_dir(&cache).unwrap().flatten() {
        if file.path().extension().is_some_and(|x| x == "json") {
            let mut json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(file.path()).unwrap()).unwrap();
            json["Credentials"]["Expiration"] = "2020-01-01T00:00:00+00:00".into();
            std::fs::write(file.path(), json.to_string()).unwrap();
        }
    }
    let ok_before = sts_ok(&sandbox.mock);
    let again = rt.block_on(caller_arn(&client));
    assert!(again.contains(":assumed-role/Deploy/"), "{again}");
    assert_ne!(again, arn, "a new role session (botocore-session-<time>)");
    assert_eq!(sts_ok(&sandbox.mock), ok_before + 1);
    assert_eq!(sandbox.mock.stats().assume_role_calls(DEPLOY), 2);
    assert!(
        sandbox.refresh_calls() > refreshes,
        "the login session was refreshed"
    );
}

/// Approves the device authorization at the mock as soon as the code is shown.
struct ApproveAtOnce<'a>(&'a BlockingMock);

impl SsoLoginObserver for ApproveAtOnce<'_> {
    fn on_event(&mut self, event: SsoLoginEvent<'_>) {
        if let SsoLoginEvent::DeviceCode { user_code, .. } = event {
            self.0.approve_device(user_code, Some("alice")).unwrap();
        }
    }
}

fn sso_options(sandbox: &Sandbox, profile: &str) -> ResolveOptions {
    let mut pairs = sandbox.env_pairs();
    pairs.push(("AWS_ENDPOINT_URL_SSO_OIDC".into(), sandbox.base_url()));
    pairs.push(("AWS_ENDPOINT_URL_SSO".into(), sandbox.base_url()));
    ResolveOptions {
        profile: Some(profile.into()),
        env: Some(login_io::Environment::from_pairs(pairs)),
        ..Default::default()
    }
}

#[test]
fn an_sso_profile_keeps_answering_after_its_role_credentials_expire() {
    let rt = runtime();
    let mut config = MockConfig::default();
    config.sso.role_credentials_lifetime_secs = SHORT_LIFETIME_SECS;
    let sandbox = Sandbox::with_mock(config);
    std::fs::write(
        &sandbox.config_file,
        format!(
            "[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\n\
             [sso-session my-sso]\nsso_start_url = {}\nsso_region = us-east-1\nsso_registration_scopes = sso:account:access\n",
            signin_mock::DEFAULT_SSO_START_URL
        ),
    )
    .unwrap();
    let options = sso_options(&sandbox, "dev");
    let ctx = SsoContext::load(&options).unwrap();
    rt.block_on(async {
        let destination = login_destination(&ctx, &TargetSelector::Profile("dev".into()))
            .await
            .unwrap();
        sso_login(
            &ctx,
            &destination,
            Some("dev"),
            SsoLoginMethod::Device {
                open_browser: false,
            },
            Duration::from_secs(60),
            &mut ApproveAtOnce(&sandbox.mock),
        )
        .await
        .unwrap();
    });

    // The SDK's own cache, told to renew 1 s before expiry (its default of 10 s is longer
    // than these credentials live).
    let cache = IdentityCache::lazy()
        .buffer_time(Duration::from_secs(1))
        .build();
    let client = sts_client(&sandbox, LoginCredentialsProvider::new(options), cache);
    let arn = rt.block_on(caller_arn(&client));
    assert!(arn.contains("AWSReservedSSO_ReadOnly"), "{arn}");
    let portal = || sandbox.mock.stats().sso_portal_calls("GetRoleCredentials");
    assert_eq!(portal(), 1);
    // While they last, the SDK reuses them.
    rt.block_on(caller_arn(&client));
    assert_eq!(portal(), 1);

    // They expire (the mock now refuses them): the SDK asks the provider, which gets new ones.
    std::thread::sleep(Duration::from_secs(SHORT_LIFETIME_SECS + 1));
    let ok_before = sts_ok(&sandbox.mock);
    assert_eq!(rt.block_on(caller_arn(&client)), arn);
    assert_eq!(portal(), 2);
    assert_eq!(sts_ok(&sandbox.mock), ok_before + 1);
    assert_eq!(
        sandbox
            .mock
            .stats()
            .sts_outcome("GetCallerIdentity", "ExpiredToken"),
        0,
        "expired credentials were never sent"
    );
}
