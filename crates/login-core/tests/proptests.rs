//! Property tests: every parser returns an error instead of panicking on
//! arbitrary input, and encoders round-trip through their parsers.

use base64ct::Encoding;
use login_core::config::SectionId;
use login_core::login::{authorize_url, CodeVerifier};
use login_core::*;
use proptest::prelude::*;

fn fixture_key() -> DpopKey {
    DpopKey::from_scalar_bytes(&[0x42; 32]).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn callback_parser_never_panics(query in ".*", state in "[a-z0-9-]{0,40}") {
        let _ = parse_callback(&query, &state);
    }

    #[test]
    fn callback_with_right_state_returns_code(code in "[ -~]{1,60}", state in "[a-f0-9-]{36}") {
        let query = format!(
            "code={}&state={}",
            url::form_urlencoded::byte_serialize(code.as_bytes()).collect::<String>(),
            state
        );
        let got = parse_callback(&query, &state).unwrap();
        prop_assert_eq!(got.code.expose(), code.as_str());
    }

    #[test]
    fn remote_code_parser_never_panics(pasted in "\\PC*", state in "[a-z0-9-]{0,40}") {
        let _ = decode_remote_code(&pasted, &state);
    }

    #[test]
    fn remote_code_round_trips_with_line_breaks(code in "[A-Za-z0-9._~-]{1,80}", state in "[a-f0-9-]{36}", wrap in 1usize..40) {
        let encoded = base64ct::Base64::encode_string(format!("state={state}&code={code}").as_bytes());
        let wrapped: String = encoded
            .as_bytes()
            .chunks(wrap)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\r\n");
        let got = decode_remote_code(&format!("  {wrapped}\n"), &state).unwrap();
        prop_assert_eq!(got.code.expose(), code.as_str());
    }

    #[test]
    fn remote_code_parser_never_panics_on_base64(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_remote_code(&base64ct::Base64::encode_string(&bytes), "s");
    }

    #[test]
    fn cache_parser_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = CacheEntry::from_json(&bytes);
    }

    #[test]
    fn cache_parser_never_panics_on_json(json in arb_json()) {
        let _ = CacheEntry::from_json(json.to_string().as_bytes());
        let _ = is_login_cache_entry(json.to_string().as_bytes());
    }



    #[test]
    fn config_parser_never_panics(text in "\\PC*") {
        let c = ConfigFile::parse(&text);
        for name in c.profile_names() {
            let _ = c.credential_style(&name);
            let _ = c.signin_endpoint_url(&name);
        }
    }

    #[test]
    fn config_parser_never_panics_on_ini_like_text(text in ini_like_text()) {
        let c = ConfigFile::parse(&text);
        prop_assert_eq!(c.text(), text.as_str());
    }

    #[test]
    fn config_edit_round_trips(
        text in ini_like_text(),
        section in arb_section_id(),
        key in prop::sample::select(vec!["region", "login_session", "output", "Region", "new_key", "s3"]),
        value in "[!-~]([ -~]{0,30}[!-~])?",
    ) {
        let before = ConfigFile::parse(&text);
        let edited = before.set(&section, key, &value).unwrap();
        let after = ConfigFile::parse(&edited);
        let view = after.section(&section).unwrap();
        prop_assert_eq!(view.get(key), Some(value.as_str()), "edited text:\n{}", edited);
        // Every other section reads exactly as before.
        for other in all_ids(&before).into_iter().filter(|id| *id != section) {
            prop_assert_eq!(before.section(&other), after.section(&other), "section {} changed:\n{}", other, edited);
        }
        // Other keys of the edited section are untouched.
        if let Some(old) = before.section(&section) {
            let new = after.section(&section).unwrap();
            for k in old.keys().filter(|k| !k.eq_ignore_ascii_case(key)) {
                prop_assert_eq!(old.get(k), new.get(k));
            }
        }
        // The edit is one small contiguous change: a common prefix and
        // suffix cover everything but the new line (and header), and no
        // section header of the original is removed.
        let (a, b) = (text.as_bytes(), edited.as_bytes());
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        let max_suffix = a.len().min(b.len()) - prefix;
        let suffix = a.iter().rev().zip(b.iter().rev()).take(max_suffix).take_while(|(x, y)| x == y).count();
        let inserted = &edited[prefix..edited.len() - suffix];
        let removed = &text[prefix..text.len() - suffix];
        prop_assert!(inserted.len() <= section.header().len() + key.len() + value.len() + 12, "inserted {:?}", inserted);
        prop_assert!(!removed.contains("\n["), "removed {:?}", removed);
    }

    #[test]
    fn id_token_parser_never_panics(jwt in "\\PC*") {
        let _ = LoginSession::from_id_token(&jwt);
        let _ = LoginSession::from_arn(&jwt);
    }

    #[test]
    fn id_token_parser_never_panics_on_base64_payloads(payload in arb_json(), sig in "[A-Za-z0-9_-]{0,20}") {
        let jwt = format!("e30.{}.{sig}", base64ct::Base64UrlUnpadded::encode_string(payload.to_string().as_bytes()));
        let _ = LoginSession::from_id_token(&jwt);
    }

    #[test]
    fn pem_parser_never_panics(pem in "\\PC*") {
        let _ = DpopKey::from_pem(&pem);
    }

    #[test]
    fn pem_parser_never_panics_on_framed_garbage(
        label in prop::sample::select(vec!["EC PRIVATE KEY", "PRIVATE KEY", "PUBLIC KEY", ""]),
        body in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let pem = format!(
            "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
            base64ct::Base64::encode_string(&body)
        );
        let _ = DpopKey::from_pem(&pem);
    }



    #[test]
    fn proof_verifier_never_panics(text in "\\PC*") {
        let _ = DpopProof::verify(&text);
    }

    #[test]
    fn token_response_parser_never_panics(status in 0u16..1000, body in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_token_response(&HttpResponse::new(status, vec![], body));
    }

    #[test]
    fn token_response_parser_never_panics_on_json(status in prop::sample::select(vec![200u16, 400, 401, 403, 429, 500, 503]), body in arb_json()) {
        let _ = parse_token_response(&HttpResponse::new(status, vec![], body.to_string()));
    }

    #[test]
    fn timestamp_parsers_never_panic(text in "\\PC*") {
        let _ = login_core::timefmt::parse_timestamp(&text);
        let _ = login_core::timefmt::parse_http_date(&text);
    }

    #[test]
    fn authorize_url_round_trips(state in "\\PC{1,40}", redirect in "\\PC{1,60}", port in 1u16..) {
        let verifier = CodeVerifier::from_random_bytes(&[7u8; 64]).unwrap();
        let redirect = format!("http://127.0.0.1:{port}/{redirect}");
        let url = authorize_url("https://x.test/v1/authorize", CLIENT_ID_SAME_DEVICE, &state, &verifier.challenge(), &redirect);
        let parsed = url::Url::parse(&url).unwrap();
        let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
        let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
        prop_assert_eq!(names, ["response_type", "client_id", "state", "code_challenge_method", "scope", "redirect_uri", "code_challenge"]);
        prop_assert_eq!(&pairs[2].1, &state);
        prop_assert_eq!(&pairs[5].1, &redirect);
        prop_assert!(parsed.query().unwrap().bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%=&".contains(&b)));
    }

}

// Each case here does elliptic-curve math (key loading, signing), slow in
// debug builds; fewer cases keep the suite quick.
proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn cache_parser_never_panics_on_mutated_entries(
        field in prop::sample::select(vec!["accessToken", "clientId", "refreshToken", "dpopKey", "idToken", "signInRegion", "tokenType"]),
        sub in prop::sample::select(vec!["accessKeyId", "secretAccessKey", "sessionToken", "accountId", "expiresAt"]),
        value in arb_json(),
        top in any::<bool>(),
    ) {
        let mut v: serde_json::Value = serde_json::from_str(&sample_entry_json()).unwrap();
        if top {
            v[field] = value;
        } else {
            v["accessToken"][sub] = value;
        }
        if let Ok(entry) = CacheEntry::from_json(v.to_string().as_bytes()) {
            // Whatever loads must write back and load again.
            let again = CacheEntry::from_json(entry.to_json().as_bytes()).unwrap();
            prop_assert_eq!(again.to_json(), entry.to_json());
        }
    }

    #[test]
    fn cache_entry_round_trips(
        id in "[A-Z0-9]{16,20}", secret in "\\PC{1,40}", token in "\\PC{1,80}",
        account in "[0-9]{12}", refresh in "\\PC{1,60}", expires in 0i64..4_000_000_000,
        extra_key in "[a-z]{1,10}", extra_val in "\\PC{0,20}",
    ) {
        let at = time::OffsetDateTime::from_unix_timestamp(expires).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&sample_entry_json()).unwrap();
        v["accessToken"]["accessKeyId"] = id.clone().into();
        v["accessToken"]["secretAccessKey"] = secret.clone().into();
        v["accessToken"]["sessionToken"] = token.into();
        v["accessToken"]["accountId"] = account.clone().into();
        v["accessToken"]["expiresAt"] = login_core::timefmt::format_expires_at(at).into();
        v["refreshToken"] = refresh.into();
        v[format!("x{extra_key}")] = extra_val.into();
        let entry = CacheEntry::from_json(v.to_string().as_bytes()).unwrap();
        let written = entry.to_json();
        prop_assert!(written.is_ascii(), "python json.dumps output is ASCII");
        let back = CacheEntry::from_json(written.as_bytes()).unwrap();
        prop_assert_eq!(&back, &entry);
        let creds = back.credentials();
        prop_assert_eq!(creds.access_key_id, id);
        prop_assert_eq!(creds.secret_access_key.expose(), secret.as_str());
        prop_assert_eq!(creds.account_id.as_deref(), Some(account.as_str()));
        prop_assert_eq!(creds.expiration, at);
    }

    #[test]
    fn generated_keys_round_trip_through_pem(seed in any::<[u8; 32]>()) {
        if let Ok(key) = DpopKey::from_scalar_bytes(&seed) {
            let sec1 = DpopKey::from_pem(key.to_sec1_pem().expose()).unwrap();
            let pkcs8 = DpopKey::from_pem(key.to_pkcs8_pem().expose()).unwrap();
            prop_assert_eq!(sec1.thumbprint(), key.thumbprint());
            prop_assert_eq!(pkcs8.thumbprint(), key.thumbprint());
        }
    }

    #[test]
    fn proofs_verify_for_any_url(htu in "https?://[a-z0-9.:-]{1,30}/[ -~]{0,40}", iat in 0i64..4_000_000_000, jti in "[ -~]{1,40}") {
        let proof = fixture_key().proof("POST", &htu, iat, &jti);
        let v = DpopProof::verify(proof.as_str()).unwrap();
        prop_assert_eq!(v.htu, htu);
        prop_assert_eq!(v.iat, iat);
        prop_assert_eq!(v.jti, jti);
    }

    #[test]
    fn refresh_decision_matches_window(offset in -10_000i64..10_000) {
        let entry = CacheEntry::from_json(sample_entry_json().as_bytes()).unwrap();
        let now = entry.access_token.expires_at - time::Duration::seconds(offset);
        let fresh = matches!(RefreshPlan::decide(&entry, now), RefreshPlan::Fresh(_));
        prop_assert_eq!(fresh, offset > 300);
    }
}

fn sample_entry_json() -> String {
    serde_json::json!({
        "accessToken": {"accessKeyId": "ASIA", "secretAccessKey": "s", "sessionToken": "t", "accountId": "123456789012", "expiresAt": "2025-12-05T10:51:31Z"},
        "tokenType": "aws_sigv4",
        "clientId": CLIENT_ID_SAME_DEVICE,
        "refreshToken": "r",
        "idToken": "a.b.c",
        "dpopKey": fixture_key().to_sec1_pem().expose(),
    })
    .to_string()
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "\\PC{0,20}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
            proptest::collection::vec(
                (
                    prop::sample::select(vec![
                        "accessToken",
                        "accessKeyId",
                        "expiresAt",
                        "dpopKey",
                        "refreshToken",
                        "clientId",
                        "sub",
                        "error",
                        "message",
                        "x"
                    ]),
                    inner
                ),
                0..6
            )
            .prop_map(|kv| serde_json::Value::Object(
                kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

fn arb_section_id() -> impl Strategy<Value = SectionId> {
    let name = prop::sample::select(vec!["default", "dev", "prod", "x.y", "a-b"]);
    prop_oneof![
        3 => name.clone().prop_map(|n| SectionId::Profile(n.to_owned())),
        1 => name.clone().prop_map(|n| SectionId::SsoSession(n.to_owned())),
        1 => name.prop_map(|n| SectionId::Services(n.to_owned())),
    ]
}

fn all_ids(c: &ConfigFile) -> Vec<SectionId> {
    let names = ["default", "dev", "prod", "x.y", "a-b"];
    names
        .iter()
        .flat_map(|n| {
            [
                SectionId::Profile((*n).to_owned()),
                SectionId::SsoSession((*n).to_owned()),
                SectionId::Services((*n).to_owned()),
            ]
        })
        .filter(|id| c.section(id).is_some())
        .collect()
}

/// Config text botocore would accept: headers, keys with assorted spacing
/// and indentation, nested blocks, comments, blank lines; LF or CRLF; with
/// or without a final newline.
fn ini_like_text() -> impl Strategy<Value = String> {
    let header = prop_oneof![
        Just("[default]".to_owned()),
        prop::sample::select(vec!["dev", "prod", "x.y", "a-b", "default"])
            .prop_map(|n| format!("[profile {n}]")),
        prop::sample::select(vec!["dev", "corp"]).prop_map(|n| format!("[sso-session {n}]")),
        prop::sample::select(vec!["dev", "local"]).prop_map(|n| format!("[services {n}]")),
        Just("[plugins]".to_owned()),
    ];
    let key = prop::sample::select(vec![
        "region",
        "login_session",
        "output",
        "Region",
        "sso_role_name",
        "endpoint_url",
        "k1",
    ]);
    let value = "[!-~]([ -~]{0,20}[!-~])?";
    let line = prop_oneof![
        3 => (key.clone(), prop::sample::select(vec![" = ", "=", " =", "= ", ": "]), value).prop_map(|(k, d, v)| format!("{k}{d}{v}")),
        1 => (key, "[a-z_]{1,8}", "[a-z0-9]{1,8}").prop_map(|(k, sk, sv)| format!("{k} =\n  {sk} = {sv}")),
        1 => "[#;][ -~]{0,20}".prop_map(|c| c),
        1 => Just(String::new()),
    ];
    let section = (header, proptest::collection::vec(line, 0..5)).prop_map(|(h, lines)| {
        let mut s = h;
        for l in lines {
            s.push('\n');
            s.push_str(&l);
        }
        s
    });
    (
        proptest::collection::vec(section, 0..5),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(sections, crlf, final_newline)| {
            let mut text = sections.join("\n");
            if final_newline && !text.is_empty() {
                text.push('\n');
            }
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            text
        })
}
