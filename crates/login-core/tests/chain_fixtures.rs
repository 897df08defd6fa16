//! The planner vectors in `fixtures/chain.json` (shared with the Python and Node suites).

use std::path::Path;

use login_core::{plan, ConfigFile, KeysFile, SharedCredentialsFile, Source};
use serde_json::{json, Value};

fn read_json(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn base_json(base: &Source) -> Value {
    match base {
        Source::LoginSession {
            profile,
            session_arn,
        } => json!({"kind": "LoginSession", "profile": profile, "sessionArn": session_arn}),
        Source::StaticKeys {
            profile,
            keys,
            file,
        } => json!({"kind": "StaticKeys", "profile": profile, "accessKeyId": keys.access_key_id,
            "file": match file { KeysFile::Credentials => "credentials", KeysFile::Config => "config" },
            "hasSessionToken": keys.session_token.is_some()}),
        Source::CredentialProcess { profile, command } => {
            json!({"kind": "CredentialProcess", "profile": profile, "command": command})
        }
        Source::Environment { profile } => json!({"kind": "Environment", "profile": profile}),
        other => panic!("a new source kind needs a fixture spelling: {other:?}"),
    }
}

#[test]
fn chain_vectors() {
    let vectors = read_json("chain.json");
    let cases = vectors["cases"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let config = ConfigFile::parse(case["config"].as_str().unwrap());
        let credentials = SharedCredentialsFile::parse(case["credentials"].as_str().unwrap());
        let got = plan(&config, &credentials, case["profile"].as_str().unwrap());
        match (&case["plan"], &case["error"], got) {
            (want, Value::Null, Ok(p)) => {
                let roles: Vec<Value> = p
                    .roles
                    .iter()
                    .map(|r| {
                        json!({"profile": r.profile, "roleArn": r.role_arn, "roleSessionName": r.role_session_name,
                            "externalId": r.external_id, "mfaSerial": r.mfa_serial, "durationSeconds": r.duration_seconds})
                    })
                    .collect();
                let got =
                    json!({"base": base_json(&p.base), "roles": roles, "profiles": p.profiles()});
                assert_eq!(&got, want, "{name}");
            }
            (Value::Null, want, Err(e)) => {
                assert_eq!(e.kind(), want["kind"].as_str().unwrap(), "{name}: {e}");
                for part in want["messageContains"].as_array().unwrap() {
                    let part = part.as_str().unwrap();
                    assert!(e.to_string().contains(part), "{name}: `{e}` lacks `{part}`");
                }
            }
            (_, _, got) => panic!("{name}: unexpected {got:?}"),
        }
    }
}

#[test]
fn sts_vectors() {
    use login_core::{
        parse_assume_role_response, AssumeRoleArgs, HttpResponse, OffsetDateTime, RoleCacheEntry,
        RoleStep,
    };
    let v = read_json("sts.json");
    let text = |v: &Value| v.as_str().map(str::to_owned);
    for case in v["cacheKeys"].as_array().unwrap() {
        let step = &case["step"];
        let role = RoleStep {
            profile: "fixture".into(),
            role_arn: text(&step["roleArn"]).unwrap(),
            role_session_name: text(&step["roleSessionName"]),
            external_id: text(&step["externalId"]),
            mfa_serial: text(&step["mfaSerial"]),
            duration_seconds: step["durationSeconds"].as_u64().map(|d| d as u32),
        };
        let now = OffsetDateTime::from_unix_timestamp(case["now"].as_i64().unwrap()).unwrap();
        let args = AssumeRoleArgs::for_step(&role, now);
        assert_eq!(
            args.cache_key_json(),
            case["keyJson"].as_str().unwrap(),
            "{case}"
        );
        assert_eq!(
            args.cache_file_name(),
            case["fileName"].as_str().unwrap(),
            "{case}"
        );
    }
    for case in v["responses"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let headers: Vec<(String, String)> = case["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (text(&h[0]).unwrap(), text(&h[1]).unwrap()))
            .collect();
        let status = case["status"].as_u64().unwrap() as u16;
        let response = HttpResponse::new(status, headers.clone(), case["body"].as_str().unwrap());
        let want = &case["expect"];
        match (
            want["kind"].as_str().unwrap(),
            parse_assume_role_response(&response),
        ) {
            ("ok", Ok(role)) => {
                assert_eq!(
                    role.credentials.access_key_id,
                    want["accessKeyId"].as_str().unwrap(),
                    "{name}"
                );
                assert_eq!(
                    role.credentials.account_id.as_deref(),
                    want["accountId"].as_str(),
                    "{name}"
                );
                assert_eq!(
                    role.credentials.expiration_iso(),
                    want["expiration"].as_str().unwrap(),
                    "{name}"
                );
                assert_eq!(
                    role.assumed_role_arn,
                    want["assumedRoleArn"].as_str().unwrap(),
                    "{name}"
                );
                assert_eq!(
                    role.cache_json(status, &headers),
                    want["cacheJson"].as_str().unwrap(),
                    "{name}"
                );
            }
            ("error", Err(e)) => {
                assert_eq!(e.kind(), want["variant"].as_str().unwrap(), "{name}: {e}");
                assert_eq!(e.code(), want["code"].as_str().unwrap(), "{name}: {e}");
                assert_eq!(
                    e.retryable(),
                    want["retryable"].as_bool().unwrap(),
                    "{name}"
                );
            }
            (_, got) => panic!("{name}: unexpected {got:?}"),
        }
    }
    for case in v["cacheFiles"].as_array().unwrap() {
        let entry = RoleCacheEntry::from_json(case["json"].as_str().unwrap().as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        assert_eq!(
            entry.credentials.access_key_id,
            case["accessKeyId"].as_str().unwrap()
        );
        assert_eq!(
            entry.credentials.expiration_iso(),
            case["expiration"].as_str().unwrap()
        );
        assert_eq!(
            entry.credentials.account_id.as_deref(),
            case["accountId"].as_str()
        );
    }
    assert_eq!(
        v["reuseSeconds"].as_i64(),
        Some(login_core::ROLE_CACHE_REUSE_SECONDS)
    );
}
