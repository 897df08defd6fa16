//! Credential resolution against a real signin-mock over loopback: fresh caches need no network,
//! expiring ones refresh once and are rewritten without losing anything, every error row of the
//! protocol maps to its error kind and leaves the cache file untouched.

mod support;

use std::sync::Arc;
use std::time::Duration;

use login_io::{
    resolve_credentials, resolve_credentials_blocking, ErrorKind, LoginIoError, ResolveOptions,
};
use signin_mock::{FaultPlan, FaultTarget, MockConfig};
use support::{Sandbox, Session};

fn quick_retries(mut options: ResolveOptions) -> ResolveOptions {
    options.http.base_backoff = Duration::from_millis(5);
    options.http.max_backoff = Duration::from_millis(20);
    options.http.attempt_timeout = Duration::from_secs(5);
    options
}

fn expect_error(sandbox: &Sandbox, session: &Session, kind: ErrorKind) -> LoginIoError {
    let before = std::fs::read(&session.cache_file).unwrap();
    let err = resolve_credentials_blocking(&quick_retries(sandbox.options(&session.profile)))
        .expect_err("resolution must fail");
    assert_eq!(err.kind(), kind, "{err}");
    assert_eq!(
        std::fs::read(&session.cache_file).unwrap(),
        before,
        "cache file must be left as it was"
    );
    let text = err.to_string();
    for secret in secrets_of(session) {
        assert!(
            !text.contains(&secret),
            "error message leaks a secret: {text}"
        );
    }
    err
}

fn secrets_of(session: &Session) -> Vec<String> {
    let json = support::cache_json(&session.cache_file);
    ["refreshToken", "dpopKey"]
        .iter()
        .filter_map(|k| json[k].as_str().map(str::to_string))
        .chain(
            ["secretAccessKey", "sessionToken"]
                .iter()
                .filter_map(|k| json["accessToken"][k].as_str().map(str::to_string)),
        )
        .collect()
}

#[test]
fn fresh_cache_needs_no_network() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let calls_before = sandbox.mock.stats().token_calls("authorization_code");
    let bytes_before = std::fs::read(&session.cache_file).unwrap();
    let creds = resolve_credentials_blocking(&sandbox.options("dev")).unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert_eq!(creds.account_id(), Some("111122223333"));
    assert_eq!(creds.login_session(), support::ALICE_ARN);
    assert!(!creds.refreshed());
    assert_eq!(sandbox.refresh_calls(), 0);
    assert_eq!(
        sandbox.mock.stats().token_calls("authorization_code"),
        calls_before
    );
    assert_eq!(std::fs::read(&session.cache_file).unwrap(), bytes_before);
}

#[test]
fn expiring_cache_refreshes_once_and_rewrites_the_file() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, 120);
    let before = sandbox.read_cache(&session);

    let creds = resolve_credentials_blocking(&sandbox.options("dev")).unwrap();
    assert!(creds.refreshed());
    assert_eq!(sandbox.refresh_calls(), 1);
    let after = sandbox.read_cache(&session);
    assert_ne!(
        after["accessToken"]["accessKeyId"],
        before["accessToken"]["accessKeyId"]
    );
    assert_eq!(after["accessToken"]["accessKeyId"], creds.access_key_id());
    assert_ne!(
        after["refreshToken"], before["refreshToken"],
        "the refresh token rotates"
    );
    for kept in [
        "idToken",
        "dpopKey",
        "clientId",
        "tokenType",
        "signInRegion",
    ] {
        assert_eq!(after[kept], before[kept], "{kept} must be kept");
    }
    assert_eq!(after["accessToken"]["accountId"], "111122223333");
    let left = creds.expiration() - login_core::OffsetDateTime::now_utc();
    assert!(
        left.whole_seconds() > 800,
        "new credentials last ~15 minutes: {left}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&session.cache_file)
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600);
    }

    // The refreshed file is fresh: no second call.
    let again = resolve_credentials_blocking(&sandbox.options("dev")).unwrap();
    assert_eq!(again.access_key_id(), creds.access_key_id());
    assert_eq!(sandbox.refresh_calls(), 1);
}

#[test]
fn expired_credentials_refresh_and_force_refresh_works() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, -3600);
    let creds = resolve_credentials_blocking(&sandbox.options("dev")).unwrap();
    assert!(creds.refreshed());
    let forced = resolve_credentials_blocking(&ResolveOptions {
        force_refresh: true,
        ..sandbox.options("dev")
    })
    .unwrap();
    assert!(forced.refreshed());
    assert_ne!(forced.access_key_id(), creds.access_key_id());
    assert_eq!(sandbox.refresh_calls(), 2);
}

#[test]
fn peer_written_cache_keeps_unknown_fields_identity_token_and_pkcs8_key() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    // Rewrite the file the way the JS SDK writes it, with a PKCS#8 key, `identityToken`,
    // millisecond expiry and fields we do not know.
    let mut json = sandbox.read_cache(&session);
    let key = login_core::DpopKey::from_pem(json["dpopKey"].as_str().unwrap()).unwrap();
    let id_token = json.as_object_mut().unwrap().remove("idToken").unwrap();
    json["identityToken"] = id_token.clone();
    json["dpopKey"] = key.to_pkcs8_pem().expose().into();
    json["futureField"] = serde_json::json!({"nested": [1, 2, 3]});
    json["accessToken"]["extraInner"] = "kept".into();
    json["accessToken"]["expiresAt"] = "2000-01-01T00:00:00.123Z".into();
    std::fs::write(
        &session.cache_file,
        serde_json::to_string_pretty(&json).unwrap(),
    )
    .unwrap();

    let creds = resolve_credentials_blocking(&sandbox.options("dev")).unwrap();
    assert!(creds.refreshed());
    let after = sandbox.read_cache(&session);
    assert_eq!(after["identityToken"], id_token);
    assert!(
        after.get("idToken").is_none(),
        "the id token keeps its spelling"
    );
    assert_eq!(
        after["dpopKey"], json["dpopKey"],
        "the PKCS#8 key is kept as written"
    );
    assert_eq!(after["futureField"], json["futureField"]);
    assert_eq!(after["accessToken"]["extraInner"], "kept");
    assert_eq!(after["signInRegion"], json["signInRegion"]);
}

#[test]
fn session_errors_map_to_kinds_and_leave_the_cache_alone() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, -10);

    sandbox.mock.set_can_create_token("alice", false).unwrap();
    let err = expect_error(&sandbox, &session, ErrorKind::InsufficientPermissions);
    assert!(
        err.to_string().contains("signin:CreateOAuth2Token")
            && err.to_string().contains("SignInLocalDevelopmentAccess")
    );
    sandbox.mock.set_can_create_token("alice", true).unwrap();

    sandbox.mock.set_password_changed("alice").unwrap();
    let err = expect_error(&sandbox, &session, ErrorKind::CredentialsChanged);
    assert!(
        err.to_string().contains("aws-login login --profile dev"),
        "{err}"
    );

    let other = sandbox.login("ops", "admin");
    sandbox.set_seconds_left(&other, -10);
    sandbox.mock.expire_sessions();
    let err = expect_error(&sandbox, &other, ErrorKind::SessionExpired);
    assert!(
        err.to_string().contains("TOKEN_EXPIRED")
            && err.to_string().contains("aws-login login --profile ops"),
        "{err}"
    );
}

#[test]
fn invalid_request_is_not_retried() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let mut json = sandbox.read_cache(&session);
    json["clientId"] = "arn:aws:signin:::devtools/unknown".into();
    json["accessToken"]["expiresAt"] = "2000-01-01T00:00:00Z".into();
    std::fs::write(&session.cache_file, serde_json::to_string(&json).unwrap()).unwrap();
    let err = expect_error(&sandbox, &session, ErrorKind::ServiceRejected);
    assert!(
        err.to_string().contains("INVALID_REQUEST") && err.to_string().contains("HTTP 400"),
        "{err}"
    );
    assert_eq!(sandbox.refresh_calls(), 1, "4xx is never retried");
}

#[test]
fn throttling_and_server_errors_are_retried_with_backoff() {
    for status in [429u16, 500, 503] {
        let sandbox = Sandbox::new();
        let session = sandbox.login("dev", "alice");
        sandbox.set_seconds_left(&session, -10);
        sandbox
            .mock
            .set_faults(FaultPlan {
                target: FaultTarget::Token,
                error_status: Some(status),
                error_count: 2,
                ..Default::default()
            })
            .unwrap();
        let creds = resolve_credentials_blocking(&quick_retries(sandbox.options("dev"))).unwrap();
        assert!(creds.refreshed(), "status {status}");
        assert_eq!(
            sandbox.mock.stats().faults.values().sum::<u64>(),
            2,
            "status {status}: two faults then success"
        );

        // More failures than attempts: a service error, the file untouched.
        sandbox.set_seconds_left(&session, -10);
        sandbox
            .mock
            .set_faults(FaultPlan {
                target: FaultTarget::Token,
                error_status: Some(status),
                error_count: 10,
                ..Default::default()
            })
            .unwrap();
        let err = expect_error(&sandbox, &session, ErrorKind::ServiceUnavailable);
        assert!(err.to_string().contains("127.0.0.1"), "{err}");
    }
}

#[test]
fn malformed_response_is_a_service_error() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, -10);
    sandbox
        .mock
        .set_faults(FaultPlan {
            target: FaultTarget::Token,
            malformed_count: 10,
            ..Default::default()
        })
        .unwrap();
    expect_error(&sandbox, &session, ErrorKind::ServiceUnavailable);
}

#[test]
fn network_failures_name_the_host_and_fall_back_while_credentials_last() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, -10);
    sandbox
        .mock
        .set_faults(FaultPlan {
            target: FaultTarget::Token,
            drop_count: 10,
            ..Default::default()
        })
        .unwrap();
    let err = expect_error(&sandbox, &session, ErrorKind::Network);
    assert!(
        err.to_string()
            .contains(&format!("127.0.0.1:{}", sandbox.mock.port())),
        "{err}"
    );

    // Nothing listening at all.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut options = quick_retries(sandbox.options("dev"));
    options.endpoint_url = Some(format!("http://127.0.0.1:{port}"));
    let err = resolve_credentials_blocking(&options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );

    // Still valid for two minutes: the cached credentials are delivered with a warning.
    sandbox.set_seconds_left(&session, 120);
    let creds = resolve_credentials_blocking(&options).unwrap();
    assert!(!creds.refreshed());
    assert_eq!(creds.warnings().len(), 1, "{:?}", creds.warnings());
}

#[test]
fn unusable_caches_are_clear_errors_and_stay_untouched() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    let good = std::fs::read_to_string(&session.cache_file).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&good).unwrap();
    let mut cases: Vec<(&str, String)> = vec![
        ("empty", String::new()),
        ("whitespace", "  \n".into()),
        ("garbage", "not json at all".into()),
        ("truncated", good[..good.len() / 2].to_string()),
        ("array", "[1,2,3]".into()),
        ("null", "null".into()),
    ];
    json["accessToken"] = "ASIA".into();
    cases.push(("wrong-typed accessToken", json.to_string()));
    let mut json: serde_json::Value = serde_json::from_str(&good).unwrap();
    json["accessToken"]["expiresAt"] = 12345.into();
    cases.push(("wrong-typed expiresAt", json.to_string()));
    let mut json: serde_json::Value = serde_json::from_str(&good).unwrap();
    json["accessToken"]["expiresAt"] = "tomorrow".into();
    cases.push(("unparseable expiresAt", json.to_string()));
    for field in ["refreshToken", "dpopKey", "clientId", "accessToken"] {
        let mut json: serde_json::Value = serde_json::from_str(&good).unwrap();
        json.as_object_mut().unwrap().remove(field);
        cases.push(("missing field", json.to_string()));
    }
    let mut json: serde_json::Value = serde_json::from_str(&good).unwrap();
    json["dpopKey"] = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n".into();
    cases.push(("bad dpop key", json.to_string()));

    for (name, contents) in cases {
        std::fs::write(&session.cache_file, &contents).unwrap();
        let err = resolve_credentials_blocking(&sandbox.options("dev")).expect_err(name);
        assert_eq!(err.kind(), ErrorKind::CacheCorrupt, "{name}: {err}");
        assert!(
            err.to_string().contains("aws-login login --profile dev"),
            "{name}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(&session.cache_file).unwrap(),
            contents,
            "{name}: file untouched"
        );
    }
    assert_eq!(sandbox.refresh_calls(), 0);

    std::fs::remove_file(&session.cache_file).unwrap();
    let err = resolve_credentials_blocking(&sandbox.options("dev")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CacheMissing);
    assert!(err.to_string().contains(support::ALICE_ARN), "{err}");
}

#[test]
fn profiles_without_a_session_are_reported() {
    let sandbox = Sandbox::new();
    sandbox.add_profile("plain", &[("region", "us-east-1")]);
    let err = resolve_credentials_blocking(&sandbox.options("plain")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NoLoginSession);
    let err = resolve_credentials_blocking(&sandbox.options("missing")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ProfileNotFound);
}

#[test]
fn threads_and_tasks_at_expiry_share_one_refresh() {
    let sandbox = Arc::new(Sandbox::new());
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, 30);
    let options = sandbox.options("dev");

    let threads: Vec<_> = (0..16)
        .map(|_| {
            let options = options.clone();
            std::thread::spawn(move || {
                resolve_credentials_blocking(&options).map(|c| c.access_key_id().to_string())
            })
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let options = options.clone();
            runtime.spawn(async move {
                resolve_credentials(&options)
                    .await
                    .map(|c| c.access_key_id().to_string())
            })
        })
        .collect();
    let mut keys: Vec<String> = threads
        .into_iter()
        .map(|t| t.join().unwrap().unwrap())
        .collect();
    for task in tasks {
        keys.push(runtime.block_on(task).unwrap().unwrap());
    }
    assert_eq!(
        sandbox.refresh_calls(),
        1,
        "32 concurrent resolutions, one token request"
    );
    keys.dedup();
    assert_eq!(keys.len(), 1, "everyone got the refreshed credentials");
}

#[test]
fn blocking_form_works_inside_a_runtime() {
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, -1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let options = sandbox.options("dev");
    let creds = runtime
        .block_on(async { resolve_credentials_blocking(&options) })
        .unwrap();
    assert!(creds.refreshed());
}

#[test]
fn signin_region_endpoint_and_bad_endpoint_are_config_errors() {
    let sandbox = Sandbox::with_mock(MockConfig::default());
    let session = sandbox.login("dev", "alice");
    sandbox.set_seconds_left(&session, -1);
    let mut options = sandbox.options("dev");
    options.endpoint_url = Some("not a url".into());
    let err = resolve_credentials_blocking(&options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
}

#[test]
fn a_stuck_refresher_holding_the_lock_is_reported_or_outlived() {
    use fs4::fs_std::FileExt;
    let sandbox = Sandbox::new();
    let session = sandbox.login("dev", "alice");
    // Another "process" holds the session's lock (a separate descriptor: flock conflicts).
    let lock_path = login_io::cache_store::lock_path(&session.cache_file);
    let held = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap();
    assert!(held.try_lock_exclusive().unwrap());
    let options = ResolveOptions {
        lock_timeout: Duration::from_millis(200),
        ..sandbox.options("dev")
    };

    sandbox.set_seconds_left(&session, -5);
    let err = resolve_credentials_blocking(&options).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CacheWrite, "{err}");
    assert!(err.to_string().contains("Another process"), "{err}");

    sandbox.set_seconds_left(&session, 100);
    let creds = resolve_credentials_blocking(&options).unwrap();
    assert!(!creds.refreshed());
    assert_eq!(creds.warnings().len(), 1, "{:?}", creds.warnings());
    assert_eq!(sandbox.refresh_calls(), 0);

    FileExt::unlock(&held).unwrap();
    assert!(resolve_credentials_blocking(&options).unwrap().refreshed());
}
