//! Role profiles end to end against signin-mock's STS: chains over a login profile, static keys,
//! a credential_process and the environment; the role cache (reuse, 0600, refresh of the base
//! only when a role call needs it); errors that name the chain and say what to do.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use login_core::RoleCacheEntry;
use login_io::{resolve_credentials_blocking, ErrorKind, ResolveOptions};
use signin_mock::{MockConfig, Role};
use support::Sandbox;

const OPS: &str = "arn:aws:iam::111122223333:role/Ops";
const ADMIN: &str = "arn:aws:iam::111122223333:role/Admin";
const MFA_ROLE: &str = "arn:aws:iam::111122223333:role/Guarded";
const EXT_ROLE: &str = "arn:aws:iam::111122223333:role/Partner";

fn mock_config() -> MockConfig {
    let mut config = MockConfig::default();
    config.roles.push(Role::new(OPS));
    // Admin trusts only sessions of Ops: reachable by chaining alone.
    config.roles.push(Role {
        trusted: vec![OPS.into()],
        ..Role::new(ADMIN)
    });
    config.roles.push(Role {
        mfa_required: true,
        ..Role::new(MFA_ROLE)
    });
    config.roles.push(Role {
        external_id: Some("partner-42".into()),
        ..Role::new(EXT_ROLE)
    });
    config
}

fn sandbox() -> Sandbox {
    Sandbox::with_mock(mock_config())
}

fn quick(mut options: ResolveOptions) -> ResolveOptions {
    options.http.base_backoff = Duration::from_millis(5);
    options.http.max_backoff = Duration::from_millis(20);
    options.http.attempt_timeout = Duration::from_secs(5);
    options
}

fn role_cache_dir(sandbox: &Sandbox) -> std::path::PathBuf {
    sandbox.home.join(".aws/cli/cache")
}

fn role_cache_files(sandbox: &Sandbox) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(role_cache_dir(sandbox))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn two_roles(sandbox: &Sandbox) {
    sandbox.add_profile("ops", &[("role_arn", OPS), ("source_profile", "signin")]);
    sandbox.add_profile(
        "admin",
        &[
            ("role_arn", ADMIN),
            ("source_profile", "ops"),
            ("region", "us-east-1"),
        ],
    );
}

#[test]
fn two_role_chain_over_a_login_profile() {
    let sandbox = sandbox();
    let session = sandbox.login("signin", "alice");
    two_roles(&sandbox);

    let resolved = resolve_credentials_blocking(&quick(sandbox.options("admin"))).unwrap();
    let chain = resolved.role_chain().expect("a role profile");
    assert_eq!(chain.profiles, ["admin", "ops", "signin"]);
    assert_eq!(chain.role_arns, [OPS, ADMIN]);
    assert!(!chain.from_cache);
    assert!(chain
        .assumed_role_arn
        .as_deref()
        .unwrap()
        .starts_with("arn:aws:sts::111122223333:assumed-role/Admin/botocore-session-"));
    assert_eq!(resolved.account_id(), Some("111122223333"));
    assert_eq!(resolved.login_session(), session.arn);
    assert!(resolved.access_key_id().starts_with("ASIA"));
    let stats = sandbox.mock.stats();
    assert_eq!(stats.assume_role_calls(OPS), 1);
    assert_eq!(stats.assume_role_calls(ADMIN), 1);
    assert_eq!(
        sandbox.refresh_calls(),
        0,
        "the fresh login session was used as is"
    );

    // Both steps are cached, 0600, in the AWS CLI's format.
    let files = role_cache_files(&sandbox);
    assert_eq!(files.len(), 2, "{files:?}");
    for file in &files {
        let mode = std::fs::metadata(file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", file.display());
        let entry = RoleCacheEntry::from_json(&std::fs::read(file).unwrap()).unwrap();
        assert!(entry.credentials.expiration_iso().ends_with("+00:00"));
    }

    // The next call is answered from the cache: no STS call, same key.
    let again = resolve_credentials_blocking(&quick(sandbox.options("admin"))).unwrap();
    assert_eq!(again.access_key_id(), resolved.access_key_id());
    assert!(again.role_chain().unwrap().from_cache);
    assert_eq!(sandbox.mock.stats().assume_role_calls(ADMIN), 1);

    // A force refresh assumes only the last role again; Ops keeps its cache.
    let forced = resolve_credentials_blocking(&ResolveOptions {
        force_refresh: true,
        ..quick(sandbox.options("admin"))
    })
    .unwrap();
    assert_ne!(forced.access_key_id(), resolved.access_key_id());
    let stats = sandbox.mock.stats();
    assert_eq!(
        (stats.assume_role_calls(OPS), stats.assume_role_calls(ADMIN)),
        (1, 2)
    );
}

/// Rewrites every role cache file's expiration to now + `seconds`.
fn age_role_cache(sandbox: &Sandbox, seconds: i64) {
    for file in role_cache_files(sandbox) {
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let at = time::OffsetDateTime::now_utc() + time::Duration::seconds(seconds);
        json["Credentials"]["Expiration"] = login_core::timefmt::format_iso_offset(at).into();
        std::fs::write(&file, serde_json::to_string(&json).unwrap()).unwrap();
    }
}

#[test]
fn the_base_is_refreshed_only_when_a_role_call_needs_it() {
    let sandbox = sandbox();
    let session = sandbox.login("signin", "alice");
    sandbox.add_profile(
        "deploy",
        &[
            ("role_arn", "arn:aws:iam::111122223333:role/Deploy"),
            ("source_profile", "signin"),
        ],
    );
    resolve_credentials_blocking(&quick(sandbox.options("deploy"))).unwrap();

    // The login session is about to expire, but the role credentials have 20 minutes: no
    // refresh, no AssumeRole.
    sandbox.set_seconds_left(&session, 60);
    age_role_cache(&sandbox, 20 * 60);
    let r = resolve_credentials_blocking(&quick(sandbox.options("deploy"))).unwrap();
    assert!(r.role_chain().unwrap().from_cache);
    assert_eq!(sandbox.refresh_calls(), 0);
    assert_eq!(
        sandbox
            .mock
            .stats()
            .assume_role_calls("arn:aws:iam::111122223333:role/Deploy"),
        1
    );

    // Under 15 minutes left: AssumeRole again, which needs the session refreshed first.
    age_role_cache(&sandbox, 14 * 60);
    let r = resolve_credentials_blocking(&quick(sandbox.options("deploy"))).unwrap();
    assert!(!r.role_chain().unwrap().from_cache);
    assert_eq!(sandbox.refresh_calls(), 1);
    assert_eq!(
        sandbox
            .mock
            .stats()
            .assume_role_calls("arn:aws:iam::111122223333:role/Deploy"),
        2
    );
}

#[test]
fn static_keys_credential_process_and_environment_as_the_base() {
    let sandbox = sandbox();
    // Keys STS knows: the temporary keys of a login session, pasted as static keys.
    sandbox.login("signin", "alice");
    let keys = resolve_credentials_blocking(&sandbox.options("signin")).unwrap();
    let credentials_file = sandbox.home.join(".aws/credentials");
    std::fs::write(
        &credentials_file,
        format!(
            "[keys]\naws_access_key_id = {}\naws_secret_access_key = {}\naws_session_token = {}\n",
            keys.access_key_id(),
            keys.secret_access_key().expose(),
            keys.session_token().expose()
        ),
    )
    .unwrap();
    sandbox.add_profile(
        "from-keys",
        &[
            ("role_arn", OPS),
            ("source_profile", "keys"),
            ("role_session_name", "from-keys"),
        ],
    );
    let r = resolve_credentials_blocking(&quick(sandbox.options("from-keys"))).unwrap();
    assert_eq!(
        r.role_chain().unwrap().assumed_role_arn.as_deref(),
        Some("arn:aws:sts::111122223333:assumed-role/Ops/from-keys")
    );
    assert_eq!(r.login_session(), "", "the base is not a login session");

    // A credential_process that prints the same keys.
    let json_file = sandbox.home.join("process.json");
    std::fs::write(
        &json_file,
        format!(
            r#"{{"Version": 1, "AccessKeyId": "{}", "SecretAccessKey": "{}", "SessionToken": "{}", "Expiration": "{}"}}"#,
            keys.access_key_id(),
            keys.secret_access_key().expose(),
            keys.session_token().expose(),
            keys.credentials().expiration_iso()
        ),
    )
    .unwrap();
    sandbox.add_profile(
        "proc",
        &[(
            "credential_process",
            &format!("cat '{}'", json_file.display()),
        )],
    );
    sandbox.add_profile(
        "from-proc",
        &[
            ("role_arn", OPS),
            ("source_profile", "proc"),
            ("role_session_name", "from-proc"),
        ],
    );
    let r = resolve_credentials_blocking(&quick(sandbox.options("from-proc"))).unwrap();
    assert_eq!(
        r.role_chain().unwrap().assumed_role_arn.as_deref(),
        Some("arn:aws:sts::111122223333:assumed-role/Ops/from-proc")
    );
    assert!(r.role_chain().unwrap().base.contains("credential_process"));

    // credential_source = Environment.
    sandbox.add_profile(
        "from-env",
        &[
            ("role_arn", OPS),
            ("credential_source", "Environment"),
            ("role_session_name", "from-env"),
        ],
    );
    let mut pairs = sandbox.env_pairs();
    pairs.push(("AWS_ACCESS_KEY_ID".into(), keys.access_key_id().into()));
    pairs.push((
        "AWS_SECRET_ACCESS_KEY".into(),
        keys.secret_access_key().expose().into(),
    ));
    pairs.push((
        "AWS_SESSION_TOKEN".into(),
        keys.session_token().expose().into(),
    ));
    let r = resolve_credentials_blocking(&quick(ResolveOptions {
        env: Some(login_io::Environment::from_pairs(pairs)),
        ..sandbox.options("from-env")
    }))
    .unwrap();
    assert!(r
        .role_chain()
        .unwrap()
        .assumed_role_arn
        .as_deref()
        .unwrap()
        .ends_with("/Ops/from-env"));
    // Without the variables it says which one is missing (a profile with no cached session:
    // the cache key, like botocore's, does not depend on the source credentials).
    sandbox.add_profile(
        "from-env-2",
        &[
            ("role_arn", OPS),
            ("credential_source", "Environment"),
            ("role_session_name", "from-env-2"),
        ],
    );
    let e = resolve_credentials_blocking(&quick(sandbox.options("from-env-2"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SourceFailed);
    assert!(e.to_string().contains("AWS_ACCESS_KEY_ID"), "{e}");

    // A profile of plain keys assumes nothing: the SDK's own providers serve it.
    let e = resolve_credentials_blocking(&sandbox.options("keys")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NoLoginSession, "{e}");
    assert!(e.to_string().contains("source_profile = keys"), "{e}");
    assert!(!e.to_string().contains(keys.secret_access_key().expose()));

    // A failing process is reported with the profile and the command.
    sandbox.add_profile("bad-proc", &[("credential_process", "false")]);
    sandbox.add_profile(
        "from-bad",
        &[("role_arn", OPS), ("source_profile", "bad-proc")],
    );
    let e = resolve_credentials_blocking(&quick(sandbox.options("from-bad"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::SourceFailed);
    assert!(e.to_string().contains("'bad-proc' (`false`) failed"), "{e}");
}

#[test]
fn configuration_errors_name_the_chain() {
    let sandbox = sandbox();
    sandbox.login("signin", "alice");
    sandbox.add_profile("a", &[("role_arn", OPS), ("source_profile", "b")]);
    sandbox.add_profile("b", &[("role_arn", OPS), ("source_profile", "a")]);
    let e = resolve_credentials_blocking(&sandbox.options("a")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("a -> b -> a"), "{e}");
    assert!(
        e.to_string()
            .contains(&sandbox.config_file.display().to_string()),
        "{e}"
    );

    sandbox.add_profile("lost", &[("role_arn", OPS), ("source_profile", "nowhere")]);
    let e = resolve_credentials_blocking(&sandbox.options("lost")).unwrap_err();
    assert!(
        e.to_string()
            .contains("\"nowhere\" referenced in the profile \"lost\" does not exist"),
        "{e}"
    );
    assert!(e.to_string().contains("lost -> nowhere"), "{e}");

    sandbox.add_profile(
        "ec2",
        &[
            ("role_arn", OPS),
            ("credential_source", "Ec2InstanceMetadata"),
        ],
    );
    let e = resolve_credentials_blocking(&sandbox.options("ec2")).unwrap_err();
    assert!(e.to_string().contains("not supported by aws-login"), "{e}");
    assert_eq!(
        sandbox.mock.stats().sts_calls("AssumeRole"),
        0,
        "nothing was called"
    );
}

#[test]
fn sts_errors_say_what_to_do_and_leave_the_cache_alone() {
    let sandbox = sandbox();
    sandbox.login("signin", "alice");
    // Admin trusts only Ops sessions, not alice herself.
    sandbox.add_profile(
        "direct-admin",
        &[("role_arn", ADMIN), ("source_profile", "signin")],
    );
    let e = resolve_credentials_blocking(&quick(sandbox.options("direct-admin"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AssumeRoleDenied);
    let text = e.to_string();
    assert!(
        text.contains("could not assume arn:aws:iam::111122223333:role/Admin"),
        "{text}"
    );
    assert!(text.contains("trust policy"), "{text}");

    // ExternalId: wrong, then right.
    sandbox.add_profile(
        "partner-wrong",
        &[
            ("role_arn", EXT_ROLE),
            ("source_profile", "signin"),
            ("external_id", "nope-00"),
        ],
    );
    let e = resolve_credentials_blocking(&quick(sandbox.options("partner-wrong"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AssumeRoleDenied, "{e}");
    assert!(e.to_string().contains("external_id"), "{e}");
    sandbox.add_profile(
        "partner",
        &[
            ("role_arn", EXT_ROLE),
            ("source_profile", "signin"),
            ("external_id", "partner-42"),
        ],
    );
    resolve_credentials_blocking(&quick(sandbox.options("partner"))).unwrap();

    // A duration above the role's maximum.
    sandbox.add_profile(
        "long",
        &[
            ("role_arn", OPS),
            ("source_profile", "signin"),
            ("duration_seconds", "7200"),
        ],
    );
    let e = resolve_credentials_blocking(&quick(sandbox.options("long"))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AssumeRoleDenied);
    assert!(e.to_string().contains("duration_seconds"), "{e}");

    // Throttling answered for every attempt: a retryable failure, nothing cached.
    sandbox.add_profile(
        "busy",
        &[
            ("role_arn", OPS),
            ("source_profile", "signin"),
            ("role_session_name", "busy"),
        ],
    );
    let before = role_cache_files(&sandbox);
    sandbox
        .mock
        .set_faults(signin_mock::FaultPlan {
            target: signin_mock::FaultTarget::Sts,
            error_status: Some(429),
            error_count: 10,
            ..Default::default()
        })
        .unwrap();
    let e = resolve_credentials_blocking(&quick(sandbox.options("busy"))).unwrap_err();
    sandbox.mock.clear_faults();
    assert_eq!(e.kind(), ErrorKind::ServiceUnavailable, "{e}");
    assert!(e.to_string().contains("Try again"), "{e}");
    assert_eq!(role_cache_files(&sandbox), before);
    resolve_credentials_blocking(&quick(sandbox.options("busy"))).unwrap();
}
