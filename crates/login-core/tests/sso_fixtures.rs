//! The IAM Identity Center vectors in `fixtures/sso.json` (shared with the Python and Node
//! suites): token files from every writer, invalid files, cache file names, the registration
//! and role-credential cache keys, the role cache file, refresh decisions and refresh results.

use std::path::Path;

use login_core::sso::oidc::parse_create_token;
use login_core::sso::portal::parse_role_credentials;
use login_core::sso::registration::RegistrationKey;
use login_core::sso::{
    token_cache_file_name, RoleCacheKey, RoleCredentialsCache, SsoToken, SsoTokenError, TokenPlan,
    UnrefreshableReason,
};
use login_core::timefmt::parse_timestamp;
use login_core::HttpResponse;
use serde_json::Value;

fn vectors() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sso.json");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()
        .map(|a| a.iter().map(|x| s(x).to_owned()).collect())
}

#[test]
fn every_writers_token_file_loads_and_rewrites_as_aws_cli_writes_it() {
    let v = vectors();
    let files = v["tokenFiles"].as_array().unwrap();
    assert!(files.len() >= 6);
    for case in files {
        let token = SsoToken::from_json(s(&case["text"]).as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", case["format"]));
        let want = &case["expect"];
        assert_eq!(
            token.access_token.expose(),
            s(&want["accessToken"]),
            "{}",
            case["format"]
        );
        assert_eq!(
            token.expires_at.unix_timestamp(),
            want["expiresAtUnix"].as_i64().unwrap()
        );
        assert_eq!(
            Some(token.expires_at),
            parse_timestamp(s(&want["expiresAt"]))
        );
        let now = parse_timestamp("2025-01-01T00:00:00Z").unwrap();
        assert_eq!(
            token.unrefreshable(now).is_none(),
            want["refreshable"].as_bool().unwrap(),
            "{}",
            case["format"]
        );
        assert_eq!(token.to_json(), s(&want["rewrite"]), "{}", case["format"]);
        if let Some(extra) = want.get("extra") {
            for (k, v) in extra.as_object().unwrap() {
                assert_eq!(token.extra.get(k), Some(v));
            }
        }
    }
}

#[test]
fn unusable_token_files_are_rejected_with_their_kind() {
    let v = vectors();
    for case in v["invalidTokenFiles"].as_array().unwrap() {
        let err = SsoToken::from_json(s(&case["text"]).as_bytes()).unwrap_err();
        assert_eq!(err.kind(), s(&case["kind"]), "{}", case["name"]);
        if let Some(missing) = strings(&case["missing"]) {
            let SsoTokenError::MissingFields(got) = &err else {
                panic!("{err}")
            };
            assert_eq!(
                got.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
                missing
            );
        }
        if let Some(field) = case["field"].as_str() {
            let SsoTokenError::InvalidField { field: got, .. } = &err else {
                panic!("{err}")
            };
            assert_eq!(*got, field);
        }
    }
}

#[test]
fn cache_names_and_keys() {
    let v = vectors();
    for case in v["tokenCacheNames"].as_array().unwrap() {
        assert_eq!(token_cache_file_name(s(&case["key"])), s(&case["fileName"]));
    }
    for case in v["registrationKeys"].as_array().unwrap() {
        let key = RegistrationKey {
            start_url: s(&case["startUrl"]).into(),
            region: s(&case["region"]).into(),
            scopes: strings(&case["scopes"]),
            session_name: case["sessionName"].as_str().map(str::to_owned),
        };
        assert_eq!(key.hashed_json(), s(&case["hashedJson"]));
        assert_eq!(key.file_name(), s(&case["fileName"]));
    }
    for case in v["roleCacheKeys"].as_array().unwrap() {
        let account_id = s(&case["accountId"]).to_owned();
        let role_name = s(&case["roleName"]).to_owned();
        let key = match case["sessionName"].as_str() {
            Some(session) => RoleCacheKey::Session {
                account_id,
                role_name,
                session_name: session.into(),
            },
            None => RoleCacheKey::StartUrl {
                account_id,
                role_name,
                start_url: s(&case["startUrl"]).into(),
            },
        };
        assert_eq!(key.hashed_json(), s(&case["hashedJson"]));
        assert_eq!(key.file_name(), s(&case["fileName"]));
    }
}

#[test]
fn role_credentials_are_cached_as_aws_cli_caches_them() {
    let v = vectors();
    let case = &v["roleCacheFile"];
    let c = &case["credentials"];
    let body = serde_json::json!({"roleCredentials": {
        "accessKeyId": c["accessKeyId"], "secretAccessKey": c["secretAccessKey"],
        "sessionToken": c["sessionToken"], "expiration": c["expirationMillis"]}});
    let response = HttpResponse::new(200, vec![], body.to_string());
    let creds = parse_role_credentials(&response, s(&c["accountId"])).unwrap();
    assert_eq!(RoleCredentialsCache::to_json(&creds), s(&case["text"]));
    assert_eq!(
        RoleCredentialsCache::from_json(s(&case["text"]).as_bytes()).unwrap(),
        creds
    );
    assert!(RoleCredentialsCache::is_sso_entry(
        s(&case["text"]).as_bytes()
    ));
}

#[test]
fn refresh_decisions_and_results() {
    let v = vectors();
    let window = v["refreshWindowSeconds"].as_i64().unwrap();
    assert_eq!(window, login_core::sso::TOKEN_REFRESH_WINDOW_SECONDS);
    let token = SsoToken::from_json(s(&v["tokenFiles"][0]["text"]).as_bytes()).unwrap();
    for case in v["refreshDecisions"].as_array().unwrap() {
        let now = parse_timestamp(s(&case["now"])).unwrap();
        let want = match (s(&case["plan"]), case["reason"].as_str()) {
            ("Fresh", _) => TokenPlan::Fresh,
            ("Refresh", _) => TokenPlan::Refresh,
            ("Expired", Some("RegistrationExpired")) => {
                TokenPlan::Expired(UnrefreshableReason::RegistrationExpired)
            }
            other => panic!("unknown plan {other:?}"),
        };
        assert_eq!(token.plan(now, window), want, "{case}");
    }
    for case in v["applyRefresh"].as_array().unwrap() {
        let now = parse_timestamp(s(&case["now"])).unwrap();
        let response = HttpResponse::new(200, vec![], s(&case["responseBody"]));
        let out = parse_create_token(&response).unwrap();
        assert_eq!(
            token.apply_refresh(&out, now).to_json(),
            s(&case["expectedFile"]),
            "{case}"
        );
    }
}
