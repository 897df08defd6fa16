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
