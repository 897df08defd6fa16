//! The Sign-In endpoints over real loopback HTTP: the full code grant and refresh, the remote
//! flow, and one negative test per check the token endpoint makes.

mod common;

use common::*;
use serde_json::{json, Value};
use signin_mock::MockConfig;

fn decode_jwt_payload(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&Base64UrlUnpadded::decode_vec(payload).unwrap()).unwrap()
}

use base64ct::{Base64UrlUnpadded, Encoding};

#[tokio::test]
async fn full_code_grant_then_refresh_rotates_and_is_counted_per_key() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let base = mock.base_url();
    let (login, body) = login(&http, base, "alice").await;

    let key_id = body["accessToken"]["accessKeyId"].as_str().unwrap();
    assert!(key_id.starts_with("ASIA") && key_id.len() == 20, "{key_id}");
    assert_eq!(
        body["accessToken"]["secretAccessKey"]
            .as_str()
            .unwrap()
            .len(),
        40
    );
    assert!(!body["accessToken"]["sessionToken"]
        .as_str()
        .unwrap()
        .is_empty());
    assert_eq!(body["tokenType"], "aws_sigv4");
    assert_eq!(body["expiresIn"], 900);
    let first_refresh = body["refreshToken"].as_str().unwrap().to_owned();
    assert!(first_refresh.starts_with("ASOR"));
    let claims = decode_jwt_payload(body["idToken"].as_str().unwrap());
    assert_eq!(claims["sub"], "arn:aws:iam::111122223333:user/alice");

    let token_url = format!("{base}/v1/token");
    let (status, _, refreshed) = post_token(
        &http,
        base,
        Some(&login.key.proof(&token_url)),
        &refresh_body(&first_refresh),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert!(
        refreshed.get("idToken").is_none(),
        "refresh answers carry no id token"
    );
    let second_refresh = refreshed["refreshToken"].as_str().unwrap();
    assert_ne!(second_refresh, first_refresh, "refresh token rotates");
    assert_ne!(
        refreshed["accessToken"]["accessKeyId"],
        body["accessToken"]["accessKeyId"]
    );

    let (status, _, again) = post_token(
        &http,
        base,
        Some(&login.key.proof(&token_url)),
        &refresh_body(second_refresh),
    )
    .await;
    assert_eq!(status, 200, "{again}");

    let stats = mock.stats();
    let jkt = login.key.thumbprint();
    assert_eq!(stats.token_outcome("authorization_code", "ok"), 1);
    assert_eq!(stats.token_outcome("refresh_token", "ok"), 2);
    assert_eq!(stats.token_calls_for_key(&jkt, "refresh_token"), 2);
    assert_eq!(stats.authorize_outcome("page"), 1);
    assert_eq!(stats.authorize_outcome("approved"), 1);
}

#[tokio::test]
async fn assumed_role_identity_is_the_id_token_subject() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let (_, body) = login(&http, mock.base_url(), "admin").await;
    let claims = decode_jwt_payload(body["idToken"].as_str().unwrap());
    assert_eq!(
        claims["sub"],
        "arn:aws:sts::111122223333:assumed-role/Admin/alice"
    );
}

#[tokio::test]
async fn remote_flow_shows_a_code_to_paste() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let base = mock.base_url();
    let pkce = Pkce::generate();
    let state = uuid::Uuid::new_v4().to_string();
    let redirect = mock.confirmation_url();
    let url = authorize_url(base, CROSS_DEVICE, &state, &redirect, &pkce.challenge);
    let location = approve_on_page(&http, &url, "alice", "allow").await;
    assert!(location.starts_with(&redirect), "{location}");

    let page = http.get(&location).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"copy\""), "copy button");
    let start = html.find("id=\"code\">").unwrap() + "id=\"code\">".len();
    let pasted = &html[start..start + html[start..].find('<').unwrap()];
    let decoded = String::from_utf8(base64ct::Base64::decode_vec(pasted).unwrap()).unwrap();
    let fields: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(decoded.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(fields["state"], state);

    let key = DpopKey::generate();
    let body = json!({
        "clientId": CROSS_DEVICE, "grantType": "authorization_code", "code": fields["code"],
        "codeVerifier": pkce.verifier, "redirectUri": redirect,
    });
    let (status, _, answer) =
        post_token(&http, base, Some(&key.proof(&mock.token_url())), &body).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let pkce = Pkce::generate();
    let url = authorize_url(
        mock.base_url(),
        SAME_DEVICE,
        "st-1",
        CALLBACK,
        &pkce.challenge,
    );
    let location = approve_on_page(&http, &url, "alice", "deny").await;
    let query = query_of(&location);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], "st-1");
    assert!(!query.contains_key("code"));
}

#[tokio::test]
async fn invalid_authorize_requests_get_an_error_page_never_a_redirect() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let base = mock.base_url();
    let challenge = Pkce::generate().challenge;
    let cases = [
        authorize_url(
            base,
            SAME_DEVICE,
            "s",
            "http://evil.example/oauth/callback",
            &challenge,
        ),
        authorize_url(base, SAME_DEVICE, "s", CALLBACK, "short"),
        authorize_url(
            base,
            "arn:aws:signin:::devtools/other",
            "s",
            CALLBACK,
            &challenge,
        ),
        authorize_url(base, CROSS_DEVICE, "s", CALLBACK, &challenge),
        authorize_url(base, SAME_DEVICE, "s", CALLBACK, &challenge).replace("SHA-256", "S256"),
        authorize_url(base, SAME_DEVICE, "s", CALLBACK, &challenge)
            .replace("scope=openid", "scope=email"),
        authorize_url(base, SAME_DEVICE, "s", CALLBACK, &challenge).replace("&state=s", ""),
        authorize_url(base, SAME_DEVICE, "s", CALLBACK, &challenge)
            .replace("response_type=code", "response_type=token"),
    ];
    for url in cases {
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 400, "{url}");
        assert!(response.headers().get("location").is_none(), "{url}");
        let html = response.text().await.unwrap();
        assert!(html.contains("id=\"problems\""), "{url}");
    }
    assert_eq!(mock.stats().authorize_outcome("invalid"), 8);
}

#[tokio::test]
async fn auto_approve_redirects_at_once() {
    let mock = start(MockConfig {
        auto_approve: Some("alice".to_owned()),
        ..MockConfig::default()
    })
    .await;
    let http = client();
    let pkce = Pkce::generate();
    let url = authorize_url(
        mock.base_url(),
        SAME_DEVICE,
        "st",
        CALLBACK,
        &pkce.challenge,
    );
    let response = http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 302);
    let query = query_of(response.headers()["location"].to_str().unwrap());
    assert_eq!(query["state"], "st");
    assert!(!query["code"].is_empty());
}

/// Sends a code-grant request for a fresh code with the given proof; returns (status, type, body).
async fn code_grant_with_proof(
    mock: &signin_mock::RunningMock,
    make_proof: impl Fn(&DpopKey, &str) -> String,
) -> (u16, Option<String>, Value) {
    let http = client();
    let login = code_for(&http, mock.base_url(), "alice").await;
    let proof = make_proof(&login.key, &mock.token_url());
    post_token(&http, mock.base_url(), Some(&proof), &code_body(&login)).await
}

fn assert_invalid_dpop(result: (u16, Option<String>, Value), needle: &str) {
    let (status, error_type, body) = result;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_type.as_deref(), Some("ValidationException"));
    assert_eq!(body["error"], "INVALID_REQUEST");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(needle),
        "{message:?} should mention {needle:?}"
    );
}

#[tokio::test]
async fn dpop_missing_header() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let login = code_for(&http, mock.base_url(), "alice").await;
    assert_invalid_dpop(
        post_token(&http, mock.base_url(), None, &code_body(&login)).await,
        "missing DPoP",
    );
}

#[tokio::test]
async fn dpop_bad_signature() {
    let mock = start(MockConfig::default()).await;
    let other = DpopKey::generate();
    // Header carries one key, the signature is made with another.
    let result = code_grant_with_proof(&mock, |key, htu| {
        other.proof_with(&key.default_header(), &default_payload(htu, now_secs()))
    })
    .await;
    assert_invalid_dpop(result, "signature");
}

#[tokio::test]
async fn dpop_der_signature_is_refused() {
    let mock = start(MockConfig::default()).await;
    let result = code_grant_with_proof(&mock, |key, htu| {
        use p256::ecdsa::signature::Signer;
        let header = key.default_header();
        let payload = default_payload(htu, now_secs());
        let input = format!(
            "{}.{}",
            b64url(header.to_string().as_bytes()),
            b64url(payload.to_string().as_bytes())
        );
        let signature: p256::ecdsa::Signature = key.key.sign(input.as_bytes());
        format!("{input}.{}", b64url(signature.to_der().as_bytes()))
    })
    .await;
    assert_invalid_dpop(result, "64 bytes");
}

#[tokio::test]
async fn dpop_replayed_jti() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let base = mock.base_url();
    let (login, body) = login(&http, base, "alice").await;
    let header = login.key.default_header();
    let payload = default_payload(&mock.token_url(), now_secs());
    let proof = login.key.proof_with(&header, &payload);
    let refresh = body["refreshToken"].as_str().unwrap();
    let (status, _, first) = post_token(&http, base, Some(&proof), &refresh_body(refresh)).await;
    assert_eq!(status, 200, "{first}");
    let next = first["refreshToken"].as_str().unwrap();
    assert_invalid_dpop(
        post_token(&http, base, Some(&proof), &refresh_body(next)).await,
        "already used",
    );
}

#[tokio::test]
async fn dpop_wrong_htu() {
    let mock = start(MockConfig::default()).await;
    let result = code_grant_with_proof(&mock, |key, htu| {
        key.proof(&htu.replace("/v1/token", "/v1/other"))
    })
    .await;
    assert_invalid_dpop(result, "htu");
    let result = code_grant_with_proof(&mock, |key, htu| {
        key.proof(&htu.replace("127.0.0.1", "localhost"))
    })
    .await;
    assert_invalid_dpop(result, "htu");
}

#[tokio::test]
async fn dpop_htu_ignores_query_as_rfc_9449_says() {
    let mock = start(MockConfig::default()).await;
    let (status, _, body) =
        code_grant_with_proof(&mock, |key, htu| key.proof(&format!("{htu}?x=1"))).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn dpop_stale_and_future_iat() {
    let mock = start(MockConfig::default()).await;
    let stale = code_grant_with_proof(&mock, |key, htu| {
        key.proof_with(
            &key.default_header(),
            &default_payload(htu, now_secs() - 301),
        )
    })
    .await;
    assert_invalid_dpop(stale, "iat");
    let future = code_grant_with_proof(&mock, |key, htu| {
        key.proof_with(
            &key.default_header(),
            &default_payload(htu, now_secs() + 400),
        )
    })
    .await;
    assert_invalid_dpop(future, "iat");
}

#[tokio::test]
async fn dpop_server_clock_offset_shifts_the_iat_window() {
    let mock = start(MockConfig::default()).await;
    mock.set_clock_offset(3600);
    let result = code_grant_with_proof(&mock, |key, htu| key.proof(htu)).await;
    assert_invalid_dpop(result, "iat");
}

type HeaderMaker = Box<dyn Fn(&DpopKey) -> Value>;

#[tokio::test]
async fn dpop_header_shape_is_checked() {
    let mock = start(MockConfig::default()).await;
    let cases: Vec<(HeaderMaker, &str)> = vec![
        (
            Box::new(|k| json!({"typ": "JWT", "alg": "ES256", "jwk": k.jwk()})),
            "typ",
        ),
        (
            Box::new(|k| json!({"typ": "dpop+jwt", "alg": "RS256", "jwk": k.jwk()})),
            "alg",
        ),
        (
            Box::new(|_| json!({"typ": "dpop+jwt", "alg": "ES256"})),
            "jwk",
        ),
        (
            Box::new(|k| {
                let mut jwk = k.jwk();
                jwk["d"] = json!(b64url(&k.key.to_bytes()));
                json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk})
            }),
            "private",
        ),
        (
            Box::new(|k| {
                let mut jwk = k.jwk();
                jwk["crv"] = json!("P-384");
                json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk})
            }),
            "crv",
        ),
    ];
    for (make_header, needle) in cases {
        let result = code_grant_with_proof(&mock, |key, htu| {
            key.proof_with(&make_header(key), &default_payload(htu, now_secs()))
        })
        .await;
        assert_invalid_dpop(result, needle);
    }
    let wrong_method = code_grant_with_proof(&mock, |key, htu| {
        let mut payload = default_payload(htu, now_secs());
        payload["htm"] = json!("GET");
        key.proof_with(&key.default_header(), &payload)
    })
    .await;
    assert_invalid_dpop(wrong_method, "htm");
}

async fn redeem_expecting(
    mock: &signin_mock::RunningMock,
    body: Value,
    login: &Login,
    status: u16,
    code: &str,
) {
    let http = client();
    let (got, error_type, answer) = post_token(
        &http,
        mock.base_url(),
        Some(&login.key.proof(&mock.token_url())),
        &body,
    )
    .await;
    assert_eq!(got, status, "{answer}");
    assert_eq!(answer["error"], code, "{answer}");
    let expected_type = if status == 400 {
        "ValidationException"
    } else {
        "AccessDeniedException"
    };
    assert_eq!(error_type.as_deref(), Some(expected_type));
}

#[tokio::test]
async fn code_grant_wrong_verifier() {
    let mock = start(MockConfig::default()).await;
    let login = code_for(&client(), mock.base_url(), "alice").await;
    let mut body = code_body(&login);
    body["codeVerifier"] = json!(Pkce::generate().verifier);
    redeem_expecting(&mock, body, &login, 400, "INVALID_REQUEST").await;
    // The right verifier still works afterwards.
    redeem_expecting_ok(&mock, &login).await;
}

async fn redeem_expecting_ok(mock: &signin_mock::RunningMock, login: &Login) {
    let (status, _, body) = post_token(
        &client(),
        mock.base_url(),
        Some(&login.key.proof(&mock.token_url())),
        &code_body(login),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn code_grant_reused_code() {
    let mock = start(MockConfig::default()).await;
    let login = code_for(&client(), mock.base_url(), "alice").await;
    redeem_expecting_ok(&mock, &login).await;
    redeem_expecting(&mock, code_body(&login), &login, 401, "AUTHCODE_EXPIRED").await;
}

#[tokio::test]
async fn code_grant_expired_code() {
    let mock = start(MockConfig {
        auth_code_lifetime_secs: 60,
        ..MockConfig::default()
    })
    .await;
    let login = code_for(&client(), mock.base_url(), "alice").await;
    // Move the server clock past the code's lifetime but keep the proof's iat in the window.
    mock.set_clock_offset(61);
    let header = login.key.default_header();
    let proof = login.key.proof_with(
        &header,
        &default_payload(&mock.token_url(), now_secs() + 61),
    );
    let (status, error_type, body) =
        post_token(&client(), mock.base_url(), Some(&proof), &code_body(&login)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("AUTHCODE_EXPIRED")),
        "{body}"
    );
    assert_eq!(error_type.as_deref(), Some("AccessDeniedException"));
}

#[tokio::test]
async fn code_grant_wrong_redirect_uri_and_client() {
    let mock = start(MockConfig::default()).await;
    let login = code_for(&client(), mock.base_url(), "alice").await;
    let mut body = code_body(&login);
    body["redirectUri"] = json!("http://127.0.0.1:53128/oauth/callback");
    redeem_expecting(&mock, body, &login, 400, "INVALID_REQUEST").await;
    let mut body = code_body(&login);
    body["clientId"] = json!(CROSS_DEVICE);
    redeem_expecting(&mock, body, &login, 400, "INVALID_REQUEST").await;
    let mut body = code_body(&login);
    body["code"] = json!("not-a-code");
    redeem_expecting(&mock, body, &login, 400, "INVALID_REQUEST").await;
}

#[tokio::test]
async fn token_requires_json() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let key = DpopKey::generate();
    let response = http
        .post(mock.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .header("DPoP", key.proof(&mock.token_url()))
        .body("grant_type=refresh_token")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "INVALID_REQUEST");
}

#[tokio::test]
async fn principal_without_create_token_gets_insufficient_permissions() {
    let mock = start(MockConfig::default()).await;
    let login = code_for(&client(), mock.base_url(), "bob").await;
    redeem_expecting(
        &mock,
        code_body(&login),
        &login,
        403,
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
}

#[tokio::test]
async fn refresh_with_another_key_is_refused() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let (_, body) = login(&http, mock.base_url(), "alice").await;
    let thief = DpopKey::generate();
    let refresh = body["refreshToken"].as_str().unwrap();
    let (status, _, answer) = post_token(
        &http,
        mock.base_url(),
        Some(&thief.proof(&mock.token_url())),
        &refresh_body(refresh),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"].as_str().unwrap().contains("bound"),
        "{answer}"
    );
    assert_eq!(
        mock.stats()
            .token_outcome("refresh_token", "INVALID_REQUEST"),
        1
    );
    assert_eq!(
        mock.stats()
            .token_calls_for_key(&thief.thumbprint(), "refresh_token"),
        1
    );
}

#[tokio::test]
async fn refresh_after_session_lifetime_is_token_expired() {
    let mock = start(MockConfig {
        session_lifetime_secs: 120,
        ..MockConfig::default()
    })
    .await;
    let http = client();
    let (login, body) = login(&http, mock.base_url(), "alice").await;
    assert!(
        body["expiresIn"].as_i64().unwrap() <= 120,
        "credentials never outlive the session"
    );
    mock.set_clock_offset(121);
    let proof = login.key.proof_with(
        &login.key.default_header(),
        &default_payload(&mock.token_url(), now_secs() + 121),
    );
    let (status, error_type, answer) = post_token(
        &http,
        mock.base_url(),
        Some(&proof),
        &refresh_body(body["refreshToken"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("TOKEN_EXPIRED")),
        "{answer}"
    );
    assert_eq!(error_type.as_deref(), Some("AccessDeniedException"));
}

#[tokio::test]
async fn admin_expire_sessions_ends_refreshes() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let (login, body) = login(&http, mock.base_url(), "alice").await;
    mock.expire_sessions();
    let (status, _, answer) = post_token(
        &http,
        mock.base_url(),
        Some(&login.key.proof(&mock.token_url())),
        &refresh_body(body["refreshToken"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("TOKEN_EXPIRED")),
        "{answer}"
    );
}

#[tokio::test]
async fn password_change_ends_refreshes_with_user_credentials_changed() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let (login, body) = login(&http, mock.base_url(), "alice").await;
    mock.set_password_changed("alice").unwrap();
    let (status, error_type, answer) = post_token(
        &http,
        mock.base_url(),
        Some(&login.key.proof(&mock.token_url())),
        &refresh_body(body["refreshToken"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (403, Some("USER_CREDENTIALS_CHANGED")),
        "{answer}"
    );
    assert_eq!(error_type.as_deref(), Some("AccessDeniedException"));
    // A new login after the change works again.
    let (_, fresh) = common::login(&http, mock.base_url(), "alice").await;
    assert!(fresh["refreshToken"].is_string());
    assert!(mock.set_password_changed("nobody").is_err());
}

#[tokio::test]
async fn revoking_create_token_mid_session() {
    let mock = start(MockConfig::default()).await;
    let http = client();
    let (login, body) = login(&http, mock.base_url(), "alice").await;
    mock.set_can_create_token("alice", false).unwrap();
    let (status, _, answer) = post_token(
        &http,
        mock.base_url(),
        Some(&login.key.proof(&mock.token_url())),
        &refresh_body(body["refreshToken"].as_str().unwrap()),
    )
    .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (403, Some("INSUFFICIENT_PERMISSIONS")),
        "{answer}"
    );
}

#[tokio::test]
async fn used_refresh_token_answers_the_same_within_grace_then_expires() {
    let mock = start(MockConfig {
        refresh_grace_secs: 30,
        ..MockConfig::default()
    })
    .await;
    let http = client();
    let base = mock.base_url();
    let (login, body) = login(&http, base, "alice").await;
    let old = body["refreshToken"].as_str().unwrap();
    let (_, _, first) = post_token(
        &http,
        base,
        Some(&login.key.proof(&mock.token_url())),
        &refresh_body(old),
    )
    .await;
    let (status, _, second) = post_token(
        &http,
        base,
        Some(&login.key.proof(&mock.token_url())),
        &refresh_body(old),
    )
    .await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(first["refreshToken"], second["refreshToken"]);
    assert_eq!(first["accessToken"], second["accessToken"]);
    assert_eq!(mock.stats().token_outcome("refresh_token", "ok"), 2);

    mock.set_clock_offset(31);
    let proof = login.key.proof_with(
        &login.key.default_header(),
        &default_payload(&mock.token_url(), now_secs() + 31),
    );
    let (status, _, late) = post_token(&http, base, Some(&proof), &refresh_body(old)).await;
    assert_eq!(
        (status, late["error"].as_str()),
        (401, Some("TOKEN_EXPIRED")),
        "{late}"
    );
    // The rotated token is still good.
    let proof = login.key.proof_with(
        &login.key.default_header(),
        &default_payload(&mock.token_url(), now_secs() + 31),
    );
    let (status, _, next) = post_token(
        &http,
        base,
        Some(&proof),
        &refresh_body(first["refreshToken"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, 200, "{next}");
}

#[tokio::test]
async fn unknown_refresh_token() {
    let mock = start(MockConfig::default()).await;
    let key = DpopKey::generate();
    let (status, _, body) = post_token(
        &client(),
        mock.base_url(),
        Some(&key.proof(&mock.token_url())),
        &refresh_body("ASORunknown"),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("TOKEN_EXPIRED")),
        "{body}"
    );
    let (status, _, body) = post_token(
        &client(),
        mock.base_url(),
        Some(&key.proof(&mock.token_url())),
        &refresh_body("garbage"),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("INVALID_REQUEST")),
        "{body}"
    );
}
