//! The cross-language fixture suite: reads `fixtures/` (shared with the
//! Python and Node suites) and checks login-core against every vector.
//!
//! `LOGIN_CORE_REGENERATE_FIXTURES=1 cargo test -p login-core --test fixtures -- --ignored regenerate`
//! rewrites the generated files; review the diff before committing.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use login_core::cache::REFRESH_WINDOW_SECONDS;
use login_core::config::SectionId;
use login_core::login::{authorize_url, CodeVerifier};
use login_core::timefmt::parse_timestamp;
use login_core::*;
use login_core::{LoginFlow, LoginMode};
use serde_json::{json, Map, Value};

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

fn read_json(name: &str) -> Value {
    let path = dir().join(name);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_text(name: &str) -> String {
    let path = dir().join(name);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

// ---------------------------------------------------------------- inputs

/// RFC 6979 A.2.5's P-256 private key: a well-known test key.
const KEY_SCALAR_HEX: &str = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
const EXAMPLE_SESSION: &str = "arn:aws:sts::012345678910:assumed-role/Admin/admin";
const IAT: i64 = 1_764_931_891; // 2025-12-05T10:51:31Z
const JTI: &str = "0b9e3f5c-2a6d-4c8e-9f1a-7d3b5e2c4a10";

fn fixture_key() -> DpopKey {
    DpopKey::from_scalar_bytes(&hex::decode(KEY_SCALAR_HEX).unwrap()).unwrap()
}

fn fake_jwt(claims: &Value) -> String {
    format!(
        "{}.{}.{}",
        Base64UrlUnpadded::encode_string(br#"{"alg":"ES384","typ":"JWT","kid":"fixture"}"#),
        Base64UrlUnpadded::encode_string(claims.to_string().as_bytes()),
        Base64UrlUnpadded::encode_string(b"not-a-real-signature")
    )
}

// ---------------------------------------------------------------- checks

#[test]
fn pkce_vectors() {
    let v = read_json("pkce.json");
    assert_eq!(
        s(&v["alphabet"]).as_bytes(),
        login_core::login::VERIFIER_ALPHABET
    );
    for case in v["pairs"].as_array().unwrap() {
        let verifier = CodeVerifier::new(s(&case["verifier"])).unwrap();
        assert_eq!(verifier.challenge(), s(&case["challenge"]), "{case}");
    }
    for case in v["fromRandomBytes"].as_array().unwrap() {
        let bytes = hex::decode(s(&case["bytesHex"])).unwrap();
        let got = CodeVerifier::from_random_bytes(&bytes).map(|v| v.as_str().to_owned());
        assert_eq!(got.as_deref(), case["verifier"].as_str(), "{case}");
    }
    for bad in v["invalidVerifiers"].as_array().unwrap() {
        assert!(CodeVerifier::new(s(bad)).is_err(), "{bad}");
    }
}

#[test]
fn authorize_url_vectors() {
    let v = read_json("authorize_urls.json");
    for case in v["cases"].as_array().unwrap() {
        let endpoint = Endpoint::from_override(s(&case["base"])).unwrap();
        let redirect = match s(&case["mode"]) {
            "same-device" => format!("http://127.0.0.1:{}/oauth/callback", case["redirectPort"]),
            _ => endpoint.confirmation_url(),
        };
        assert_eq!(redirect, s(&case["redirectUri"]));
        let url = authorize_url(
            &endpoint.authorize_url(),
            s(&case["clientId"]),
            s(&case["state"]),
            s(&case["codeChallenge"]),
            &redirect,
        );
        assert_eq!(url, s(&case["url"]), "{}", case["name"]);
    }
}

#[test]
fn dpop_vectors() {
    let v = read_json("dpop.json");
    let sec1 = read_text(s(&v["keySec1File"]));
    let pkcs8 = read_text(s(&v["keyPkcs8File"]));
    let key = DpopKey::from_pem(&sec1).unwrap();
    let key2 = DpopKey::from_pem(&pkcs8).unwrap();
    assert_eq!(
        key.to_sec1_pem().expose(),
        sec1,
        "SEC1 writing is byte-exact"
    );
    assert_eq!(key2.to_pkcs8_pem().expose(), pkcs8);
    assert_eq!(key.public_jwk(), s(&v["publicJwk"]));
    assert_eq!(key2.public_jwk(), s(&v["publicJwk"]));
    assert_eq!(key.thumbprint(), s(&v["thumbprint"]));
    assert_eq!(key.jwk_x(), s(&v["jwk"]["x"]));
    assert_eq!(key.jwk_y(), s(&v["jwk"]["y"]));
    for case in v["proofs"].as_array().unwrap() {
        let proof = key.proof(
            s(&case["htm"]),
            s(&case["htu"]),
            case["iat"].as_i64().unwrap(),
            s(&case["jti"]),
        );
        let parts: Vec<&str> = proof.as_str().split('.').collect();
        assert_eq!(parts[0], s(&case["headerSegment"]));
        assert_eq!(parts[1], s(&case["payloadSegment"]));
        let header = String::from_utf8(Base64UrlUnpadded::decode_vec(parts[0]).unwrap()).unwrap();
        let payload = String::from_utf8(Base64UrlUnpadded::decode_vec(parts[1]).unwrap()).unwrap();
        assert_eq!(header, s(&case["header"]));
        assert_eq!(payload, s(&case["payload"]));
        assert_eq!(
            proof.as_str(),
            s(&case["proof"]),
            "RFC 6979 signatures are deterministic"
        );
        let verified = DpopProof::verify(s(&case["proof"])).unwrap();
        assert_eq!(verified.thumbprint, s(&v["thumbprint"]));
    }
    for case in v["peerProofs"].as_array().unwrap() {
        let verified = DpopProof::verify(s(&case["proof"]))
            .unwrap_or_else(|e| panic!("{}: {e}", case["peer"]));
        assert_eq!(verified.thumbprint, s(&v["thumbprint"]));
        assert_eq!(verified.htu, s(&case["htu"]));
    }
    for case in v["badKeys"].as_array().unwrap() {
        assert!(
            DpopKey::from_pem(s(&case["pem"])).is_err(),
            "{}",
            case["name"]
        );
    }
}

#[test]
fn token_request_vectors() {
    let v = read_json("token_requests.json");
    let key = fixture_key();
    for case in v["cases"].as_array().unwrap() {
        let iat = case["iat"].as_i64().unwrap();
        let req = match s(&case["grantType"]) {
            "authorization_code" => TokenRequest::authorization_code(
                s(&case["clientId"]),
                s(&case["code"]),
                s(&case["codeVerifier"]),
                s(&case["redirectUri"]),
                s(&case["tokenUrl"]),
                &key,
                iat,
                s(&case["jti"]),
            ),
            _ => TokenRequest::refresh(
                s(&case["clientId"]),
                &SecretString::new(s(&case["refreshToken"])),
                s(&case["tokenUrl"]),
                &key,
                iat,
                s(&case["jti"]),
            ),
        };
        assert_eq!(req.method, s(&case["expected"]["method"]));
        assert_eq!(req.url, s(&case["expected"]["url"]));
        assert_eq!(
            String::from_utf8(req.body.clone()).unwrap(),
            s(&case["expected"]["body"])
        );
        for (name, value) in case["expected"]["headers"].as_object().unwrap() {
            assert_eq!(req.header(name), Some(s(value)), "{name}");
        }
    }
}

#[test]
fn token_response_vectors() {
    let v = read_json("token_responses.json");
    for case in v["cases"].as_array().unwrap() {
        let headers: Vec<(String, String)> = case["headers"]
            .as_object()
            .map(|h| {
                h.iter()
                    .map(|(k, v)| (k.clone(), s(v).to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        let resp = HttpResponse::new(
            case["status"].as_u64().unwrap() as u16,
            headers,
            s(&case["body"]),
        );
        let expect = &case["expect"];
        match parse_token_response(&resp) {
            Ok(out) => {
                assert_eq!(s(&expect["kind"]), "ok", "{}", case["name"]);
                assert_eq!(out.access_key_id, s(&expect["accessKeyId"]));
                assert_eq!(
                    out.secret_access_key.expose(),
                    s(&expect["secretAccessKey"])
                );
                assert_eq!(out.session_token.expose(), s(&expect["sessionToken"]));
                assert_eq!(out.expires_in, expect["expiresIn"].as_u64().unwrap());
                assert_eq!(out.refresh_token.expose(), s(&expect["refreshToken"]));
                assert_eq!(
                    out.id_token.as_ref().map(|t| t.expose()),
                    expect["idToken"].as_str()
                );
            }
            Err(e) => {
                assert_eq!(s(&expect["kind"]), "error", "{}: {e}", case["name"]);
                assert_eq!(e.kind(), s(&expect["error"]), "{}", case["name"]);
                assert_eq!(
                    e.is_retryable(),
                    expect["retryable"].as_bool().unwrap(),
                    "{}",
                    case["name"]
                );
                assert_eq!(
                    e.needs_login(),
                    expect["needsLogin"].as_bool().unwrap(),
                    "{}",
                    case["name"]
                );
                if let Some(code) = expect["code"].as_str() {
                    assert_eq!(e.code(), Some(code), "{}", case["name"]);
                }
                for needle in expect["messageContains"].as_array().into_iter().flatten() {
                    assert!(e.to_string().contains(s(needle)), "{}: {e}", case["name"]);
                }
            }
        }
    }
}

#[test]
fn cache_vectors() {
    let v = read_json("cache.json");
    for case in v["entries"].as_array().unwrap() {
        let text = read_text(s(&case["file"]));
        let entry = CacheEntry::from_json(text.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", case["file"]));
        assert_eq!(
            cache_file_name(s(&case["sessionArn"])),
            s(&case["fileName"])
        );
        let creds = entry.credentials();
        let want = &case["credentials"];
        assert_eq!(creds.access_key_id, s(&want["accessKeyId"]));
        assert_eq!(
            creds.secret_access_key.expose(),
            s(&want["secretAccessKey"])
        );
        assert_eq!(creds.session_token.expose(), s(&want["sessionToken"]));
        assert_eq!(
            creds.expiration_unix(),
            want["expirationUnix"].as_i64().unwrap()
        );
        assert_eq!(creds.account_id.as_deref(), want["accountId"].as_str());
        assert_eq!(
            entry.dpop_key().unwrap().thumbprint(),
            s(&case["thumbprint"])
        );
        if case["rewriteIsIdentity"].as_bool() == Some(true) {
            assert_eq!(
                entry.to_json(),
                text,
                "{}: rewrite must be byte-identical",
                case["file"]
            );
        }
    }
    for case in v["refreshDecisions"].as_array().unwrap() {
        let entry = CacheEntry::from_json(read_text(s(&case["file"])).as_bytes()).unwrap();
        let now = parse_timestamp(s(&case["now"])).unwrap();
        let got = match RefreshPlan::decide(&entry, now) {
            RefreshPlan::Fresh(_) => "fresh",
            RefreshPlan::NeedsRefresh => "refresh",
        };
        assert_eq!(got, s(&case["decision"]), "{case}");
    }
    assert_eq!(
        v["refreshWindowSeconds"].as_i64(),
        Some(REFRESH_WINDOW_SECONDS)
    );
    for case in v["applyRefresh"].as_array().unwrap() {
        let entry = CacheEntry::from_json(read_text(s(&case["file"])).as_bytes()).unwrap();
        let now = parse_timestamp(s(&case["now"])).unwrap();
        let Refresh::Send(pending) = Refresh::plan(entry, now).unwrap() else {
            panic!("{}: expected a refresh", case["file"])
        };
        let resp = HttpResponse::new(200, vec![], case["responseBody"].to_string());
        let done = pending.on_response(&resp, now).unwrap();
        assert_eq!(
            done.entry.to_json(),
            read_text(s(&case["expectedFile"])),
            "{}",
            case["expectedFile"]
        );
    }
    for case in v["invalid"].as_array().unwrap() {
        let err = CacheEntry::from_json(read_text(s(&case["file"])).as_bytes()).unwrap_err();
        assert_eq!(err.kind(), s(&case["error"]), "{}: {err}", case["file"]);
        if let Some(fields) = case["missingFields"].as_array() {
            let CacheError::MissingFields(got) = &err else {
                unreachable!()
            };
            let want: Vec<&str> = fields.iter().map(s).collect();
            assert_eq!(got, &want);
        }
        assert!(err.to_string().contains("log in again"));
    }
    for case in v["logoutAll"].as_array().unwrap() {
        assert_eq!(
            is_login_cache_entry(s(&case["json"]).as_bytes()),
            case["isLoginEntry"].as_bool().unwrap(),
            "{case}"
        );
    }
}

fn section_id(v: &Value) -> SectionId {
    let name = s(&v["name"]).to_owned();
    match s(&v["kind"]) {
        "profile" => SectionId::Profile(name),
        "sso-session" => SectionId::SsoSession(name),
        "services" => SectionId::Services(name),
        other => panic!("unknown section kind {other}"),
    }
}

#[test]
fn config_vectors() {
    let v = read_json("config.json");
    for case in v["parse"].as_array().unwrap() {
        let config = ConfigFile::parse(&read_text(s(&case["file"])));
        for (kind, key) in [
            ("profile", "profiles"),
            ("sso-session", "ssoSessions"),
            ("services", "services"),
        ] {
            for (name, want) in case[key].as_object().into_iter().flatten() {
                let id = section_id(&json!({"kind": kind, "name": name}));
                let view = config
                    .section(&id)
                    .unwrap_or_else(|| panic!("{}: no {id}", case["file"]));
                for (k, want_v) in want.as_object().unwrap() {
                    match want_v {
                        Value::Object(sub) => {
                            for (sk, sv) in sub {
                                assert_eq!(
                                    view.sub(k, sk),
                                    Some(s(sv)),
                                    "{} {id} {k}.{sk}",
                                    case["file"]
                                );
                            }
                        }
                        _ => assert_eq!(view.get(k), Some(s(want_v)), "{} {id} {k}", case["file"]),
                    }
                }
            }
        }
        if let Some(names) = case["profileNames"].as_array() {
            let want: Vec<&str> = names.iter().map(s).collect();
            assert_eq!(config.profile_names(), want, "{}", case["file"]);
        }
        for (profile, style) in case["credentialStyles"].as_object().into_iter().flatten() {
            assert_eq!(
                config.credential_style(profile),
                style.as_str(),
                "{} {profile}",
                case["file"]
            );
        }
        for (profile, url) in case["signinEndpointUrls"].as_object().into_iter().flatten() {
            assert_eq!(
                config.signin_endpoint_url(profile).as_deref(),
                url.as_str(),
                "{} {profile}",
                case["file"]
            );
        }
    }
    for case in v["edits"].as_array().unwrap() {
        let before = read_text(s(&case["before"]));
        let after = read_text(s(&case["after"]));
        let mut text = before.clone();
        for set in case["set"].as_array().unwrap() {
            text = ConfigFile::parse(&text)
                .set(
                    &section_id(&set["section"]),
                    s(&set["key"]),
                    s(&set["value"]),
                )
                .unwrap();
        }
        assert_eq!(text, after, "{}", case["name"]);
        // Reading the result back gives the values just written.
        let parsed = ConfigFile::parse(&text);
        for set in case["set"].as_array().unwrap() {
            let view = parsed.section(&section_id(&set["section"])).unwrap();
            assert_eq!(
                view.get(s(&set["key"])),
                Some(s(&set["value"])),
                "{}",
                case["name"]
            );
        }
    }
}

#[test]
fn export_format_vectors() {
    let v = read_json("export_formats.json");
    for case in v["cases"].as_array().unwrap() {
        let c = &case["credentials"];
        let creds = Credentials {
            access_key_id: s(&c["accessKeyId"]).into(),
            secret_access_key: s(&c["secretAccessKey"]).into(),
            session_token: s(&c["sessionToken"]).into(),
            expiration: parse_timestamp(s(&c["expiration"])).unwrap(),
            account_id: c["accountId"].as_str().map(str::to_owned),
        };
        for (format, want) in case["outputs"].as_object().unwrap() {
            let f: ExportFormat = format.parse().unwrap();
            assert_eq!(f.render(&creds), s(want), "{} {format}", case["name"]);
        }
        let aws_cli = case["awsCliOutputs"].as_object().unwrap();
        assert_eq!(aws_cli.len(), ExportFormat::ALL.len(), "{}", case["name"]);
        for (format, want) in aws_cli {
            let f: ExportFormat = format.parse().unwrap();
            assert_eq!(
                f.render_aws_cli(&creds),
                s(want),
                "{} {format}",
                case["name"]
            );
            assert!(
                !s(want).contains("AccountId") && !s(want).contains("AWS_ACCOUNT_ID"),
                "{} {format}",
                case["name"]
            );
        }
    }
}

#[test]
fn endpoint_vectors() {
    let v = read_json("endpoints.json");
    for case in v["cases"].as_array().unwrap() {
        let got = Endpoint::for_region(
            s(&case["region"]),
            case["fips"].as_bool().unwrap(),
            case["dualStack"].as_bool().unwrap(),
        );
        match case["base"].as_str() {
            Some(base) => assert_eq!(got.unwrap().base(), base, "{case}"),
            None => assert!(got.is_err(), "{case}"),
        }
    }
    for case in v["overrides"].as_array().unwrap() {
        let got = Endpoint::from_override(s(&case["url"]));
        match case["tokenUrl"].as_str() {
            Some(url) => assert_eq!(got.unwrap().token_url(), url, "{case}"),
            None => assert!(got.is_err(), "{case}"),
        }
    }
}

#[test]
fn callback_vectors() {
    let v = read_json("callbacks.json");
    let state = s(&v["expectedState"]);
    for case in v["callbacks"].as_array().unwrap() {
        match login_core::parse_callback(s(&case["query"]), state) {
            Ok(code) => assert_eq!(Some(code.code.expose()), case["code"].as_str(), "{case}"),
            Err(e) => assert_eq!(Some(e.kind()), case["error"].as_str(), "{case}"),
        }
    }
    for case in v["remoteCodes"].as_array().unwrap() {
        match login_core::decode_remote_code(s(&case["pasted"]), state) {
            Ok(code) => assert_eq!(Some(code.code.expose()), case["code"].as_str(), "{case}"),
            Err(e) => assert_eq!(Some(e.kind()), case["error"].as_str(), "{case}"),
        }
    }
}

#[test]
fn id_token_vectors() {
    let v = read_json("id_tokens.json");
    for case in v["cases"].as_array().unwrap() {
        match LoginSession::from_id_token(s(&case["idToken"])) {
            Ok(session) => {
                assert_eq!(session.arn(), s(&case["arn"]), "{case}");
                assert_eq!(session.partition(), s(&case["partition"]));
                assert_eq!(session.account_id(), s(&case["accountId"]));
                assert_eq!(session.resource(), s(&case["resource"]));
                assert_eq!(session.cache_file_name(), s(&case["cacheFileName"]));
                assert_eq!(
                    login_core::id_token_signed_in_at(s(&case["idToken"]))
                        .map(|t| t.unix_timestamp()),
                    case["signedInAt"].as_i64(),
                    "{case}"
                );
            }
            Err(e) => assert_eq!(Some(e.kind()), case["error"].as_str(), "{case}: {e}"),
        }
    }
}

#[test]
fn login_flow_vectors() {
    use login_core::login::LoginParams;
    let v = read_json("login_flow.json");
    for case in v["cases"].as_array().unwrap() {
        let endpoint = Endpoint::from_override(s(&case["base"])).unwrap();
        let mode = match case["redirectPort"].as_u64() {
            Some(port) => LoginMode::SameDevice {
                redirect_port: port as u16,
            },
            None => LoginMode::Remote,
        };
        let params = LoginParams {
            endpoint,
            region: case["region"].as_str().map(str::to_owned),
            mode,
        };
        let flow = LoginFlow::with_parts(
            params,
            CodeVerifier::new(s(&case["codeVerifier"])).unwrap(),
            s(&case["state"]).to_owned(),
            DpopKey::from_pem(&read_text(s(&case["dpopKeyFile"]))).unwrap(),
        );
        assert_eq!(
            flow.authorize_url(),
            s(&case["authorizeUrl"]),
            "{}",
            case["name"]
        );
        let exchange = match mode {
            LoginMode::SameDevice { .. } => flow.on_callback(s(&case["callbackQuery"])).unwrap(),
            LoginMode::Remote => flow.on_remote_code(s(&case["pastedCode"])).unwrap(),
        };
        let req = exchange.request(case["iat"].as_i64().unwrap(), s(&case["jti"]));
        assert_eq!(req.url, s(&case["tokenRequest"]["url"]));
        assert_eq!(
            String::from_utf8(req.body.clone()).unwrap(),
            s(&case["tokenRequest"]["body"])
        );
        assert_eq!(req.header("DPoP"), case["tokenRequest"]["dpop"].as_str());
        let resp = HttpResponse::new(200, vec![], s(&case["tokenResponseBody"]));
        let done = exchange
            .on_response(&resp, parse_timestamp(s(&case["now"])).unwrap())
            .unwrap();
        assert_eq!(done.session.arn(), s(&case["sessionArn"]));
        assert_eq!(done.session.cache_file_name(), s(&case["cacheFileName"]));
        assert_eq!(
            done.entry.to_json(),
            read_text(s(&case["expectedCacheFile"])),
            "{}",
            case["name"]
        );
    }
}

// ---------------------------------------------------------------- generator

fn write(name: &str, text: &str) {
    let path = dir().join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(path, text).unwrap();
}

fn write_json(name: &str, value: &Value) {
    write(name, &(serde_json::to_string_pretty(value).unwrap() + "\n"));
}

#[test]
#[ignore = "rewrites fixtures/; run by hand"]
fn regenerate() {
    if std::env::var("LOGIN_CORE_REGENERATE_FIXTURES").as_deref() != Ok("1") {
        return;
    }
    generate::all();
}

mod generate {
    use super::*;

    pub fn all() {
        pkce();
        authorize_urls();
        dpop();
        token_requests();
        token_responses();
        cache();
        export_formats();
        callbacks();
        id_tokens();
        login_flow();
    }

    fn login_flow() {
        use login_core::login::LoginParams;
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let state = "0f3c2c1e-8d4b-4c2a-9a57-0d9f2b1e6a11";
        let mut cases = Vec::new();
        for (name, base, port, region, session, out) in [
            (
                "same-device against a local endpoint",
                "http://127.0.0.1:8123",
                Some(40123u16),
                Some("us-east-1"),
                EXAMPLE_SESSION,
                "cache/after-login-same-device.json",
            ),
            (
                "remote in eu-west-1",
                "https://eu-west-1.signin.aws.amazon.com",
                None,
                Some("eu-west-1"),
                "arn:aws:iam::123456789012:user/alice",
                "cache/after-login-remote.json",
            ),
        ] {
            let mode = match port {
                Some(p) => LoginMode::SameDevice { redirect_port: p },
                None => LoginMode::Remote,
            };
            let params = LoginParams {
                endpoint: Endpoint::from_override(base).unwrap(),
                region: region.map(str::to_owned),
                mode,
            };
            let flow = LoginFlow::with_parts(
                params,
                CodeVerifier::new(verifier).unwrap(),
                state.to_owned(),
                fixture_key(),
            );
            let query = format!("code=fixture-code-123&state={state}");
            let pasted =
                Base64::encode_string(format!("state={state}&code=fixture-code-123").as_bytes());
            let exchange = match mode {
                LoginMode::SameDevice { .. } => flow.on_callback(&query).unwrap(),
                LoginMode::Remote => flow.on_remote_code(&pasted).unwrap(),
            };
            let req = exchange.request(IAT, JTI);
            let body = json!({"accessToken": {"accessKeyId": "ASIAFIXTURELOGIN001", "secretAccessKey": "loginSecret/+1", "sessionToken": "loginSessionToken=="},
                "tokenType": "aws_sigv4", "expiresIn": 900, "refreshToken": "login-refresh-token-1", "idToken": fake_jwt(&json!({"sub": session}))}).to_string();
            let now = "2025-12-05T10:36:31.400Z";
            let done = exchange
                .on_response(
                    &HttpResponse::new(200, vec![], body.clone()),
                    parse_timestamp(now).unwrap(),
                )
                .unwrap();
            write(out, &done.entry.to_json());
            let mut case = json!({"name": name, "base": base, "region": region, "state": state, "codeVerifier": verifier,
                "dpopKeyFile": "dpop/key-sec1.pem", "authorizeUrl": flow.authorize_url(),
                "iat": IAT, "jti": JTI,
                "tokenRequest": {"url": req.url.clone(), "body": String::from_utf8(req.body.clone()).unwrap(), "dpop": req.header("DPoP")},
                "tokenResponseBody": body, "now": now, "sessionArn": session, "cacheFileName": cache_file_name(session), "expectedCacheFile": out});
            match port {
                Some(p) => {
                    case["redirectPort"] = json!(p);
                    case["callbackQuery"] = json!(query);
                }
                None => case["pastedCode"] = json!(pasted),
            }
            cases.push(case);
        }
        write_json(
            "login_flow.json",
            &json!({
                "description": "A whole login with fixed verifier, state and DPoP key: the authorize URL, the callback (or pasted code), the authorization-code token request (body exact; DPoP exact for RFC 6979 signers), the token response, and the cache file written at `now` (expiresAt = now + 900 s, truncated; SEC1 key; accountId from the id token's session ARN; signInRegion = region).",
                "cases": cases,
            }),
        );
    }

    fn pkce() {
        let mut pairs = vec![json!({
            "source": "RFC 7636 appendix B",
            "verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        })];
        let mut from_bytes = Vec::new();
        for seed in 0u8..4 {
            let bytes: Vec<u8> = (0..96u32)
                .map(|i| {
                    (i as u8)
                        .wrapping_mul(seed.wrapping_mul(2).wrapping_add(37))
                        .wrapping_add(seed.wrapping_mul(59))
                })
                .collect();
            let verifier = CodeVerifier::from_random_bytes(&bytes);
            from_bytes.push(json!({"bytesHex": hex::encode(&bytes), "verifier": verifier.as_ref().map(|v| v.as_str())}));
            if let Some(v) = verifier {
                pairs.push(json!({"source": "generated", "verifier": v.as_str(), "challenge": v.challenge()}));
            }
        }
        from_bytes.push(json!({"bytesHex": hex::encode([0xffu8; 80]), "verifier": null}));
        let max = "~".repeat(128);
        pairs.push(json!({"source": "longest allowed", "verifier": max, "challenge": CodeVerifier::new(&max).unwrap().challenge()}));
        write_json(
            "pkce.json",
            &json!({
                "description": "PKCE code verifier -> code_challenge (base64url SHA-256, no padding, method SHA-256). fromRandomBytes: byte stream -> verifier by rejection sampling (byte < 198 picks alphabet[byte % 66]; others skipped; first 64 accepted; null if fewer).",
                "method": "SHA-256",
                "alphabet": std::str::from_utf8(login_core::login::VERIFIER_ALPHABET).unwrap(),
                "pairs": pairs,
                "fromRandomBytes": from_bytes,
                "invalidVerifiers": ["short", "a".repeat(129), format!("{}!", "a".repeat(50)), format!("{} ", "a".repeat(50))],
            }),
        );
    }

    fn authorize_urls() {
        let mut cases = Vec::new();
        let state = "0f3c2c1e-8d4b-4c2a-9a57-0d9f2b1e6a11";
        let verifier = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        for (name, base, mode, port) in [
            (
                "same-device us-east-1",
                "https://us-east-1.signin.aws.amazon.com",
                "same-device",
                53127u16,
            ),
            (
                "remote us-east-1",
                "https://us-east-1.signin.aws.amazon.com",
                "remote",
                0,
            ),
            (
                "same-device local mock",
                "http://127.0.0.1:8123",
                "same-device",
                40123,
            ),
            (
                "remote cn-north-1",
                "https://cn-north-1.signin.amazonaws.cn",
                "remote",
                0,
            ),
        ] {
            let endpoint = Endpoint::from_override(base).unwrap();
            let (client, redirect) = if mode == "same-device" {
                (
                    CLIENT_ID_SAME_DEVICE,
                    format!("http://127.0.0.1:{port}/oauth/callback"),
                )
            } else {
                (CLIENT_ID_CROSS_DEVICE, endpoint.confirmation_url())
            };
            let url = authorize_url(
                &endpoint.authorize_url(),
                client,
                state,
                &verifier.challenge(),
                &redirect,
            );
            let mut case = json!({"name": name, "base": base, "mode": mode, "clientId": client, "state": state,
                "codeVerifier": verifier.as_str(), "codeChallenge": verifier.challenge(), "redirectUri": redirect, "url": url});
            if mode == "same-device" {
                case["redirectPort"] = json!(port);
            }
            cases.push(case);
        }
        write_json(
            "authorize_urls.json",
            &json!({
                "description": "GET {base}/v1/authorize query: response_type, client_id, state, code_challenge_method, scope, redirect_uri, code_challenge, in this order; values percent-encoded leaving only A-Z a-z 0-9 - _ . ~ bare (uppercase hex).",
                "cases": cases,
            }),
        );
    }

    fn dpop() {
        let key = fixture_key();
        write("dpop/key-sec1.pem", key.to_sec1_pem().expose());
        write("dpop/key-pkcs8.pem", key.to_pkcs8_pem().expose());
        let mut proofs = Vec::new();
        for (htm, htu, iat, jti) in [
            (
                "POST",
                "https://us-east-1.signin.aws.amazon.com/v1/token",
                IAT,
                JTI,
            ),
            (
                "POST",
                "http://127.0.0.1:8123/v1/token",
                IAT + 900,
                "5d2f8a71-3c4e-4b9a-8e6f-1a2b3c4d5e6f",
            ),
            (
                "POST",
                "https://signin-fips.us-gov-west-1.api.aws/v1/token",
                1_700_000_000,
                "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
            ),
        ] {
            let proof = key.proof(htm, htu, iat, jti);
            let parts: Vec<&str> = proof.as_str().split('.').collect();
            let dec =
                |p: &str| String::from_utf8(Base64UrlUnpadded::decode_vec(p).unwrap()).unwrap();
            proofs.push(json!({"htm": htm, "htu": htu, "iat": iat, "jti": jti,
                "header": dec(parts[0]), "payload": dec(parts[1]),
                "headerSegment": parts[0], "payloadSegment": parts[1], "proof": proof.as_str()}));
        }
        // Keep the peer proofs recorded by fixtures/tools/peer_dpop.* when present.
        let peer_proofs = fs::read_to_string(dir().join("dpop.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v.get("peerProofs").cloned())
            .unwrap_or_else(|| json!([]));
        let mut jwk = Map::new();
        jwk.insert("kty".into(), "EC".into());
        jwk.insert("x".into(), key.jwk_x().into());
        jwk.insert("y".into(), key.jwk_y().into());
        jwk.insert("crv".into(), "P-256".into());
        write_json(
            "dpop.json",
            &json!({
                "description": "DPoP proofs (RFC 9449, ES256) from a fixed key. header/payload are the exact decoded JSON; segments are base64url without padding; the signature is raw r||s (64 bytes). `proof` uses RFC 6979 deterministic ECDSA (Rust); other implementations may use random nonces, so compare header/payload segments exactly and verify the signature instead of comparing it.",
                "privateScalarHex": KEY_SCALAR_HEX,
                "keySec1File": "dpop/key-sec1.pem",
                "keyPkcs8File": "dpop/key-pkcs8.pem",
                "jwk": Value::Object(jwk),
                "publicJwk": key.public_jwk(),
                "thumbprintInput": format!(r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#, key.jwk_x(), key.jwk_y()),
                "thumbprint": key.thumbprint(),
                "proofs": proofs,
                "peerProofs": peer_proofs,
                "badKeys": [
                    {"name": "empty", "pem": ""},
                    {"name": "rsa label", "pem": "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n"},
                    {"name": "truncated", "pem": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIMmvqdhFunUWa1whV2ex1pNOUMPbNuibEnuKYisSD2choAoGCCqGSM49\n-----END EC PRIVATE KEY-----\n"},
                    {"name": "not base64", "pem": "-----BEGIN EC PRIVATE KEY-----\n@@@@\n-----END EC PRIVATE KEY-----\n"},
                    {"name": "no end line", "pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n"},
                    {"name": "P-384 SEC1 key", "pem": "-----BEGIN EC PRIVATE KEY-----\nMIGkAgEBBDA3LAfqFUb/Fnaov4xqEz/grbeWzxFFSjVbNxL3whY85Lp2ZoqIuAbB\niejUyDuSjw2gBwYFK4EEACKhZANiAAReLKRjRp12NYoUb13d6vU4C+f4HsQYmhCH\nux1uu6p9OcFCFzEvZgNJyKHeJNxUWpC/7Lry6/C4TjP1dm+TcsJ29l7cbPkVmiZz\nlGk/IFv1BDxUFapq8DAeOHNZ6a8PS2U=\n-----END EC PRIVATE KEY-----\n"},
                    {"name": "Ed25519 PKCS#8 key", "pem": "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKfn1sOCueDY0gIXdjwhFwhh8cM7q/gtwGglzQrhWGdf\n-----END PRIVATE KEY-----\n"}
                ],
            }),
        );
    }

    fn token_requests() {
        let key = fixture_key();
        let mut cases = Vec::new();
        let ac = TokenRequest::authorization_code(
            CLIENT_ID_SAME_DEVICE,
            "fixture-authorization-code",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "http://127.0.0.1:53127/oauth/callback",
            "https://us-east-1.signin.aws.amazon.com/v1/token",
            &key,
            IAT,
            JTI,
        );
        let rf = TokenRequest::refresh(
            CLIENT_ID_SAME_DEVICE,
            &SecretString::new("fixture-refresh-token"),
            "http://127.0.0.1:8123/v1/token",
            &key,
            IAT + 600,
            "7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9",
        );
        let expected = |r: &HttpRequest| {
            let mut headers = Map::new();
            for (k, v) in &r.headers {
                headers.insert(k.clone(), v.clone().into());
            }
            json!({"method": r.method, "url": r.url, "headers": headers, "body": String::from_utf8(r.body.clone()).unwrap()})
        };
        cases.push(json!({"grantType": "authorization_code", "clientId": CLIENT_ID_SAME_DEVICE, "code": "fixture-authorization-code",
            "codeVerifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "redirectUri": "http://127.0.0.1:53127/oauth/callback",
            "tokenUrl": "https://us-east-1.signin.aws.amazon.com/v1/token", "iat": IAT, "jti": JTI, "expected": expected(&ac)}));
        cases.push(json!({"grantType": "refresh_token", "clientId": CLIENT_ID_SAME_DEVICE, "refreshToken": "fixture-refresh-token",
            "tokenUrl": "http://127.0.0.1:8123/v1/token", "iat": IAT + 600, "jti": "7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9", "expected": expected(&rf)}));
        write_json(
            "token_requests.json",
            &json!({
                "description": "POST {base}/v1/token requests signed with the dpop.json key. body is the exact compact JSON; the DPoP header is exact for RFC 6979 signers (compare its first two segments and verify otherwise).",
                "cases": cases,
            }),
        );
    }

    fn token_responses() {
        let id_token = fake_jwt(
            &json!({"sub": EXAMPLE_SESSION, "iss": "https://signin.aws.amazon.com", "aud": CLIENT_ID_SAME_DEVICE}),
        );
        let ok_body = json!({"accessToken": {"accessKeyId": "ASIAFIXTURENEW00001", "secretAccessKey": "fixtureSecretNew/+1", "sessionToken": "fixtureSessionTokenNew=="},
            "tokenType": "aws_sigv4", "expiresIn": 900, "refreshToken": "fixture-refresh-token-2", "idToken": id_token}).to_string();
        let refresh_body = json!({"accessToken": {"accessKeyId": "ASIAFIXTURENEW00002", "secretAccessKey": "s2", "sessionToken": "t2"},
            "tokenType": "aws_sigv4", "expiresIn": 900, "refreshToken": "rt3"}).to_string();
        let err = |code: &str, msg: &str| json!({"error": code, "message": msg}).to_string();
        let json_h = json!({"Content-Type": "application/json"});
        let mut cases = vec![
            json!({"name": "authorization_code success", "status": 200, "headers": json_h, "body": ok_body,
                "expect": {"kind": "ok", "accessKeyId": "ASIAFIXTURENEW00001", "secretAccessKey": "fixtureSecretNew/+1", "sessionToken": "fixtureSessionTokenNew==", "expiresIn": 900, "refreshToken": "fixture-refresh-token-2", "idToken": id_token}}),
            json!({"name": "refresh success (no idToken)", "status": 200, "headers": json_h, "body": refresh_body,
                "expect": {"kind": "ok", "accessKeyId": "ASIAFIXTURENEW00002", "secretAccessKey": "s2", "sessionToken": "t2", "expiresIn": 900, "refreshToken": "rt3", "idToken": null}}),
        ];
        let e = |name: &str,
                 status: u16,
                 body: String,
                 error: &str,
                 retryable: bool,
                 needs_login: bool,
                 code: Option<&str>,
                 contains: &[&str]| {
            json!({"name": name, "status": status, "headers": {"Content-Type": "application/json"}, "body": body,
                "expect": {"kind": "error", "error": error, "retryable": retryable, "needsLogin": needs_login, "code": code, "messageContains": contains}})
        };
        cases.extend([
            e("400 INVALID_REQUEST", 400, err("INVALID_REQUEST", "Invalid redirect_uri"), "InvalidRequest", false, false, Some("INVALID_REQUEST"), &["Invalid redirect_uri"]),
            e("401 TOKEN_EXPIRED", 401, err("TOKEN_EXPIRED", "Refresh token expired"), "TokenExpired", false, true, Some("TOKEN_EXPIRED"), &["Log in again"]),
            e("401 AUTHCODE_EXPIRED", 401, err("AUTHCODE_EXPIRED", "Code expired"), "AuthCodeExpired", false, true, Some("AUTHCODE_EXPIRED"), &["Log in again"]),
            e("403 USER_CREDENTIALS_CHANGED", 403, err("USER_CREDENTIALS_CHANGED", "Password changed"), "UserCredentialsChanged", false, true, Some("USER_CREDENTIALS_CHANGED"), &["Log in again"]),
            e("403 INSUFFICIENT_PERMISSIONS", 403, err("INSUFFICIENT_PERMISSIONS", "Not authorized"), "InsufficientPermissions", false, false, Some("INSUFFICIENT_PERMISSIONS"), &["signin:CreateOAuth2Token", "SignInLocalDevelopmentAccess"]),
            e("429 throttled", 429, err("INVALID_REQUEST", "Rate exceeded"), "Throttled", true, false, None, &["retry"]),
            e("500 server_error", 500, err("server_error", "Internal error"), "ServerError", true, false, Some("server_error"), &["retry"]),
            e("503 service_unavailable", 503, err("service_unavailable", "Try later"), "ServerError", true, false, Some("service_unavailable"), &[]),
            e("502 non-JSON gateway page", 502, "<html><body>Bad Gateway</body></html>".into(), "ServerError", true, false, None, &[]),
            e("404 non-JSON", 404, "Not Found".into(), "UnexpectedStatus", false, false, None, &["404"]),
            e("302 redirect", 302, "".into(), "UnexpectedStatus", false, false, None, &["302"]),
            e("200 non-JSON", 200, "<html>captive portal</html>".into(), "NotJson", false, false, None, &["not JSON"]),
            e("200 JSON array", 200, "[]".into(), "NotJson", false, false, None, &[]),
            e("200 missing accessToken", 200, json!({"tokenType": "aws_sigv4", "expiresIn": 900, "refreshToken": "r"}).to_string(), "MissingField", false, false, None, &["accessToken"]),
            e("200 missing refreshToken", 200, json!({"accessToken": {"accessKeyId": "A", "secretAccessKey": "s", "sessionToken": "t"}, "expiresIn": 900}).to_string(), "MissingField", false, false, None, &["refreshToken"]),
            e("200 missing sessionToken", 200, json!({"accessToken": {"accessKeyId": "A", "secretAccessKey": "s"}, "expiresIn": 900, "refreshToken": "r"}).to_string(), "MissingField", false, false, None, &["accessToken.sessionToken"]),
            e("200 missing expiresIn", 200, json!({"accessToken": {"accessKeyId": "A", "secretAccessKey": "s", "sessionToken": "t"}, "refreshToken": "r"}).to_string(), "MissingField", false, false, None, &["expiresIn"]),
            e("200 expiresIn is a string", 200, json!({"accessToken": {"accessKeyId": "A", "secretAccessKey": "s", "sessionToken": "t"}, "expiresIn": "900", "refreshToken": "r"}).to_string(), "InvalidField", false, false, None, &["expiresIn"]),
            e("200 accessToken not an object", 200, json!({"accessToken": "A", "expiresIn": 900, "refreshToken": "r"}).to_string(), "InvalidField", false, false, None, &["accessToken"]),
            e("400 unknown code", 400, err("invalid_grant", "Bad grant"), "InvalidRequest", false, false, Some("invalid_grant"), &["invalid_grant"]),
            e("418 JSON without known code", 418, json!({"message": "teapot"}).to_string(), "UnexpectedStatus", false, false, None, &["418"]),
        ]);
        cases.push(json!({"name": "400 code only in x-amzn-ErrorType", "status": 400,
            "headers": {"Content-Type": "application/json", "x-amzn-ErrorType": "ValidationException:http://internal.amazon.com/coral/"},
            "body": json!({"message": "bad input"}).to_string(),
            "expect": {"kind": "error", "error": "InvalidRequest", "retryable": false, "needsLogin": false, "code": "ValidationException", "messageContains": ["bad input"]}}));
        write_json(
            "token_responses.json",
            &json!({
                "description": "Token endpoint responses (status, headers, raw body) and the expected parse: ok with fields, or error kind (Rust TokenError variant name), retryable, needsLogin, error code, and substrings of the user-facing message.",
                "cases": cases,
            }),
        );
    }

    fn cache() {
        let key = fixture_key();
        let sec1 = key.to_sec1_pem();
        let pkcs8 = key.to_pkcs8_pem();
        let id_token = fake_jwt(&json!({"sub": EXAMPLE_SESSION}));
        let example_name = cache_file_name(EXAMPLE_SESSION);
        // AWS CLI layout, python json.dumps, SEC1 key.
        let mut aws_cli = Map::new();
        aws_cli.insert("accessToken".into(), json!({"accessKeyId": "ASIAFIXTUREOLD00001", "secretAccessKey": "fixtureSecretOld/+1", "sessionToken": "fixtureSessionTokenOld==", "accountId": "012345678910", "expiresAt": "2025-12-05T10:51:31Z"}));
        aws_cli.insert("tokenType".into(), "aws_sigv4".into());
        aws_cli.insert("clientId".into(), CLIENT_ID_SAME_DEVICE.into());
        aws_cli.insert("refreshToken".into(), "fixture-refresh-token-1".into());
        aws_cli.insert("idToken".into(), id_token.clone().into());
        aws_cli.insert("dpopKey".into(), sec1.expose().into());
        let aws_cli_text =
            CacheEntry::from_json(Value::Object(aws_cli.clone()).to_string().as_bytes())
                .unwrap()
                .to_json();
        write(&format!("cache/{example_name}"), &aws_cli_text);

        // JS SDK layout after a refresh: indent 2, millisecond expiresAt, PKCS#8, extras.
        let js = json!({
            "accessToken": {"accessKeyId": "ASIAFIXTUREJS000001", "secretAccessKey": "jsSecret", "sessionToken": "jsSession", "accountId": "111122223333", "expiresAt": "2025-12-05T10:51:31.123Z", "futureField": {"kept": true}},
            "tokenType": "aws_sigv4",
            "clientId": CLIENT_ID_CROSS_DEVICE,
            "refreshToken": "js-refresh-token",
            "identityToken": fake_jwt(&json!({"sub": "arn:aws:iam::111122223333:user/alice"})),
            "dpopKey": pkcs8.expose(),
            "signInRegion": "eu-west-1",
            "someNewTopLevelField": [1, 2, 3],
        });
        write(
            "cache/js-sdk-pkcs8.json",
            &serde_json::to_string_pretty(&js).unwrap(),
        );

        // Applying a refresh to each.
        let refresh_response = json!({"accessToken": {"accessKeyId": "ASIAFIXTURENEW00001", "secretAccessKey": "fixtureSecretNew/+1", "sessionToken": "fixtureSessionTokenNew=="},
            "tokenType": "aws_sigv4", "expiresIn": 900, "refreshToken": "fixture-refresh-token-2"});
        let now = "2025-12-05T10:47:00.750Z";
        let mut apply = Vec::new();
        for (file, out) in [
            (
                format!("cache/{example_name}"),
                "cache/refreshed/aws-cli-sec1.json",
            ),
            (
                "cache/js-sdk-pkcs8.json".to_owned(),
                "cache/refreshed/js-sdk-pkcs8.json",
            ),
        ] {
            let entry = CacheEntry::from_json(read_text(&file).as_bytes()).unwrap();
            let Refresh::Send(p) = Refresh::plan(entry, parse_timestamp(now).unwrap()).unwrap()
            else {
                panic!()
            };
            let done = p
                .on_response(
                    &HttpResponse::new(200, vec![], refresh_response.to_string()),
                    parse_timestamp(now).unwrap(),
                )
                .unwrap();
            write(out, &done.entry.to_json());
            apply.push(json!({"file": file, "now": now, "responseBody": refresh_response, "expectedFile": out, "expectedExpiresAt": "2025-12-05T11:02:00Z"}));
        }

        // Invalid entries.
        let mut invalid = Vec::new();
        let mut bad = |name: &str, text: String, error: &str, fields: Option<Vec<&str>>| {
            let file = format!("cache/invalid/{name}.json");
            write(&file, &text);
            let mut case = json!({"file": file, "error": error});
            if let Some(f) = fields {
                case["missingFields"] = json!(f);
            }
            invalid.push(case);
        };
        bad("empty", String::new(), "NotJson", None);
        bad(
            "truncated",
            aws_cli_text[..aws_cli_text.len() / 2].to_owned(),
            "NotJson",
            None,
        );
        bad("array", "[]".into(), "NotAnObject", None);
        let without = |keys: &[&str]| {
            let mut m = aws_cli.clone();
            for k in keys {
                m.remove(*k);
            }
            Value::Object(m).to_string()
        };
        bad(
            "missing-refresh-token",
            without(&["refreshToken"]),
            "MissingFields",
            Some(vec!["refreshToken"]),
        );
        bad(
            "missing-dpop-key-and-client-id",
            without(&["dpopKey", "clientId"]),
            "MissingFields",
            Some(vec!["clientId", "dpopKey"]),
        );
        bad(
            "missing-access-token",
            without(&["accessToken"]),
            "MissingFields",
            Some(vec!["accessToken"]),
        );
        let mut m = aws_cli.clone();
        m["accessToken"]
            .as_object_mut()
            .unwrap()
            .remove("sessionToken");
        bad(
            "missing-session-token",
            Value::Object(m).to_string(),
            "MissingFields",
            Some(vec!["accessToken.sessionToken"]),
        );
        let mut m = aws_cli.clone();
        m["accessToken"]["expiresAt"] = "next tuesday".into();
        bad(
            "bad-expires-at",
            Value::Object(m).to_string(),
            "InvalidField",
            None,
        );
        let mut m = aws_cli.clone();
        m["refreshToken"] = json!(42);
        bad(
            "refresh-token-number",
            Value::Object(m).to_string(),
            "InvalidField",
            None,
        );
        let mut m = aws_cli.clone();
        m["dpopKey"] =
            "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n".into();
        bad(
            "bad-dpop-key",
            Value::Object(m).to_string(),
            "InvalidDpopKey",
            None,
        );

        let cred = |id: &str, secret: &str, token: &str, exp: &str, account: &str| json!({"accessKeyId": id, "secretAccessKey": secret, "sessionToken": token, "expirationUnix": parse_timestamp(exp).unwrap().unix_timestamp(), "expiration": exp, "accountId": account});
        write_json(
            "cache.json",
            &json!({
                "description": "Token cache entries (file name = sha256_hex(session ARN) + .json). entries: files every reader must load; rewriteIsIdentity: our writer reproduces the file byte for byte (python json.dumps format). refreshDecisions: refresh when expiresAt - now <= refreshWindowSeconds. applyRefresh: the entry after folding in responseBody at now (expiresAt = now + expiresIn, truncated to seconds). invalid: files that must be rejected with the given error kind and a 'log in again' message. logoutAll: which JSON files `logout --all` may delete.",
                "refreshWindowSeconds": REFRESH_WINDOW_SECONDS,
                "entries": [
                    {"file": format!("cache/{example_name}"), "format": "AWS CLI / botocore (json.dumps, SEC1 key)", "sessionArn": EXAMPLE_SESSION, "fileName": example_name,
                     "credentials": cred("ASIAFIXTUREOLD00001", "fixtureSecretOld/+1", "fixtureSessionTokenOld==", "2025-12-05T10:51:31Z", "012345678910"),
                     "thumbprint": key.thumbprint(), "rewriteIsIdentity": true},
                    {"file": "cache/js-sdk-pkcs8.json", "format": "JS SDK (JSON.stringify indent 2, ms expiresAt, PKCS#8 key, identityToken, extra fields)", "sessionArn": "arn:aws:iam::111122223333:user/alice", "fileName": cache_file_name("arn:aws:iam::111122223333:user/alice"),
                     "credentials": {"accessKeyId": "ASIAFIXTUREJS000001", "secretAccessKey": "jsSecret", "sessionToken": "jsSession", "expirationUnix": parse_timestamp("2025-12-05T10:51:31.123Z").unwrap().unix_timestamp(), "expiration": "2025-12-05T10:51:31.123Z", "accountId": "111122223333"},
                     "thumbprint": key.thumbprint(), "rewriteIsIdentity": false}
                ],
                "refreshDecisions": [
                    {"file": format!("cache/{example_name}"), "now": "2025-12-05T10:36:31Z", "decision": "fresh"},
                    {"file": format!("cache/{example_name}"), "now": "2025-12-05T10:46:30Z", "decision": "fresh"},
                    {"file": format!("cache/{example_name}"), "now": "2025-12-05T10:46:31Z", "decision": "refresh"},
                    {"file": format!("cache/{example_name}"), "now": "2025-12-05T10:50:00Z", "decision": "refresh"},
                    {"file": format!("cache/{example_name}"), "now": "2025-12-05T12:00:00Z", "decision": "refresh"},
                    {"file": "cache/js-sdk-pkcs8.json", "now": "2025-12-05T10:46:30Z", "decision": "fresh"},
                    {"file": "cache/js-sdk-pkcs8.json", "now": "2025-12-05T10:46:31.123Z", "decision": "refresh"}
                ],
                "applyRefresh": apply,
                "invalid": invalid,
                "logoutAll": [
                    {"json": aws_cli_text, "isLoginEntry": true},
                    {"json": "{\"accessToken\": {\"accessKeyId\": \"A\"}}", "isLoginEntry": true},
                    {"json": "{\"accessToken\": \"eyJ...\", \"expiresAt\": \"2025-01-01T00:00:00Z\"}", "isLoginEntry": false},
                    {"json": "{\"startUrl\": \"https://x.awsapps.com/start\"}", "isLoginEntry": false},
                    {"json": "not json", "isLoginEntry": false}
                ],
            }),
        );
    }

    fn export_formats() {
        let mut cases = Vec::new();
        for (name, account, expiration) in [
            (
                "with account id",
                Some("012345678910"),
                "2025-12-05T10:51:31Z",
            ),
            ("without account id", None, "2025-12-05T10:51:31Z"),
            (
                "JS-written expiresAt with milliseconds",
                Some("111122223333"),
                "2025-12-05T10:51:31.123Z",
            ),
        ] {
            let creds = Credentials {
                access_key_id: "ASIAFIXTUREOLD00001".into(),
                secret_access_key: "fixtureSecretOld/+1".into(),
                session_token: "fixtureSessionTokenOld==".into(),
                expiration: parse_timestamp(expiration).unwrap(),
                account_id: account.map(str::to_owned),
            };
            let mut outputs = BTreeMap::new();
            let mut aws_cli_outputs = BTreeMap::new();
            for f in ExportFormat::ALL {
                outputs.insert(f.name(), f.render(&creds));
                aws_cli_outputs.insert(f.name(), f.render_aws_cli(&creds));
            }
            cases.push(json!({"name": name, "credentials": {"accessKeyId": creds.access_key_id, "secretAccessKey": "fixtureSecretOld/+1",
                "sessionToken": "fixtureSessionTokenOld==", "expiration": expiration, "accountId": account}, "outputs": outputs,
                "awsCliOutputs": aws_cli_outputs}));
        }
        write_json(
            "export_formats.json",
            &json!({
                "description": "`export-credentials --format X` output, byte for byte (trailing newline included). process = python json.dumps(indent=2) + newline; Expiration is Python's datetime.isoformat() of the cached expiresAt in UTC (+00:00; a fraction becomes 6-digit microseconds). outputs: aws-login's default, which adds the account id when known (\"AccountId\" last in process, an AWS_ACCOUNT_ID line last in the others). awsCliOutputs: `--no-account-id`, what AWS CLI v2 2.36.7's `aws configure export-credentials` prints (no account id in any format).",
                "cases": cases,
            }),
        );
    }

    fn callbacks() {
        let state = "0f3c2c1e-8d4b-4c2a-9a57-0d9f2b1e6a11";
        let b64 = |t: &str| Base64::encode_string(t.as_bytes());
        let good = b64(&format!("state={state}&code=fixture-code-123"));
        let wrapped = format!("  {}\r\n{}\n", &good[..20], &good[20..]);
        write_json(
            "callbacks.json",
            &json!({
                "description": "Loopback callback queries and remote-flow pasted codes, checked against expectedState: either code (the authorization code) or error (kind).",
                "expectedState": state,
                "callbacks": [
                    {"query": format!("code=fixture-code-123&state={state}"), "code": "fixture-code-123"},
                    {"query": format!("/oauth/callback?state={state}&code=abc%2Fdef%3D%3D"), "code": "abc/def=="},
                    {"query": format!("http://127.0.0.1:53127/oauth/callback?code=c1&state={state}&extra=1"), "code": "c1"},
                    {"query": "code=fixture-code-123&state=another-state", "error": "StateMismatch"},
                    {"query": format!("state={state}"), "error": "MissingCode"},
                    {"query": format!("code=&state={state}"), "error": "MissingCode"},
                    {"query": "code=c1", "error": "MissingState"},
                    {"query": format!("code=a&code=b&state={state}"), "error": "DuplicateParameter"},
                    {"query": format!("error=access_denied&error_description=User+denied&state={state}"), "error": "Denied"},
                    {"query": "error=server_error", "error": "Denied"},
                    {"query": "error=access_denied&state=another-state", "error": "StateMismatch"},
                    {"query": "", "error": "MissingState"},
                    {"query": "%%%&&&==", "error": "MissingState"}
                ],
                "remoteCodes": [
                    {"pasted": good, "code": "fixture-code-123"},
                    {"pasted": wrapped, "code": "fixture-code-123"},
                    {"pasted": good.trim_end_matches('='), "code": "fixture-code-123"},
                    {"pasted": b64(&format!("code=fixture-code-123&state={state}")), "code": "fixture-code-123"},
                    {"pasted": b64("state=another-state&code=c"), "error": "StateMismatch"},
                    {"pasted": b64(&format!("state={state}")), "error": "MissingCode"},
                    {"pasted": b64("code=c"), "error": "MissingState"},
                    {"pasted": "", "error": "Empty"},
                    {"pasted": " \n\t", "error": "Empty"},
                    {"pasted": "not base64!", "error": "NotBase64"},
                    {"pasted": b64("just some text"), "error": "NotACode"},
                    {"pasted": Base64::encode_string(&[0xff, 0xfe, 0xfd]), "error": "NotACode"}
                ],
            }),
        );
    }

    fn id_tokens() {
        let ok = |arn: &str, partition: &str, account: &str, resource: &str| json!({"idToken": fake_jwt(&json!({"sub": arn, "aud": CLIENT_ID_SAME_DEVICE})), "arn": arn, "partition": partition, "accountId": account, "resource": resource, "cacheFileName": cache_file_name(arn)});
        let with_times = |arn: &str, auth_time: Option<i64>, iat: Option<i64>| {
            let mut claims = json!({"sub": arn, "aud": CLIENT_ID_SAME_DEVICE});
            if let Some(t) = auth_time {
                claims["auth_time"] = json!(t);
            }
            if let Some(t) = iat {
                claims["iat"] = json!(t);
            }
            let mut case = ok(arn, "aws", "123456789012", "user/alice");
            case["idToken"] = json!(fake_jwt(&claims));
            case["signedInAt"] = json!(auth_time.or(iat));
            case
        };
        let err = |token: String, error: &str| json!({"idToken": token, "error": error});
        write_json(
            "id_tokens.json",
            &json!({
                "description": "id tokens (JWT, payload decoded without verification): `sub` is the login session ARN; or the error kind. signedInAt: unix seconds of `auth_time`, else `iat`, else null.",
                "cases": [
                    ok(EXAMPLE_SESSION, "aws", "012345678910", "assumed-role/Admin/admin"),
                    ok("arn:aws:iam::123456789012:user/alice", "aws", "123456789012", "user/alice"),
                    ok("arn:aws:iam::123456789012:root", "aws", "123456789012", "root"),
                    ok("arn:aws-cn:sts::123456789012:assumed-role/Dev/bob@example.com", "aws-cn", "123456789012", "assumed-role/Dev/bob@example.com"),
                    ok("arn:aws-us-gov:iam::123456789012:user/path/to/carol", "aws-us-gov", "123456789012", "user/path/to/carol"),
                    with_times("arn:aws:iam::123456789012:user/alice", Some(1_764_888_691), Some(1_764_931_891)),
                    with_times("arn:aws:iam::123456789012:user/alice", None, Some(1_764_931_891)),
                    err("not-a-jwt".into(), "Malformed"),
                    err("a.b".into(), "Malformed"),
                    err("a.!!!.c".into(), "Malformed"),
                    err(format!("a.{}.c", Base64UrlUnpadded::encode_string(b"not json")), "Malformed"),
                    err(format!("a.{}.c", Base64UrlUnpadded::encode_string(b"[1]")), "Malformed"),
                    err(fake_jwt(&json!({"aud": "x"})), "MissingSub"),
                    err(fake_jwt(&json!({"sub": 12})), "MissingSub"),
                    err(fake_jwt(&json!({"sub": "alice"})), "InvalidArn"),
                    err(fake_jwt(&json!({"sub": "arn:aws:iam::1234:user/a"})), "InvalidArn"),
                    err(fake_jwt(&json!({"sub": "arn:aws:iam::123456789012:"})), "InvalidArn"),
                    err(fake_jwt(&json!({"sub": "arn:aws:iam::123456789012:user/a b"})), "InvalidArn")
                ],
            }),
        );
    }
}
