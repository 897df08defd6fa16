//! IAM Identity Center over loopback: RegisterClient, the device flow, authorization code +
//! PKCE, refresh rotation, the portal (pagination, GetRoleCredentials accepted by STS, Logout),
//! faults and counters. One negative test per check.

mod common;

use common::*;
use serde_json::{json, Value};
use signin_mock::{FaultPlan, FaultTarget, MockConfig, RunningMock, SsoConfig};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const REDIRECT: &str = "http://127.0.0.1:55555/oauth/callback";

/// (status, x-amzn-ErrorType, body)
type Answer = (u16, Option<String>, Value);

async fn post_json(mock: &RunningMock, path: &str, body: &Value) -> Answer {
    let response = client()
        .post(format!("{}{path}", mock.base_url()))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    answer(response).await
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, error_type, body)
}

/// Asserts an OIDC error: status, the exception named in the header, the OAuth `error`.
fn assert_oidc(answer: &Answer, status: u16, exception: &str, error: &str) {
    assert_eq!(answer.0, status, "{answer:?}");
    let header = answer.1.as_deref().unwrap_or("");
    assert_eq!(header.split(':').next(), Some(exception), "{answer:?}");
    assert!(header.contains("com.amazonaws.sso.oidc"), "{header}");
    assert_eq!(answer.2["error"], error, "{answer:?}");
    assert!(answer.2["error_description"].is_string(), "{answer:?}");
}

fn assert_portal(answer: &Answer, status: u16, exception: &str) {
    assert_eq!(answer.0, status, "{answer:?}");
    assert_eq!(answer.1.as_deref(), Some(exception), "{answer:?}");
    assert!(answer.2["message"].is_string(), "{answer:?}");
}

struct Registration {
    client_id: String,
    client_secret: String,
}

async fn register(mock: &RunningMock, body: Value) -> Registration {
    let (status, _, answer) = post_json(mock, "/client/register", &body).await;
    assert_eq!(status, 200, "{answer}");
    Registration {
        client_id: answer["clientId"].as_str().unwrap().to_owned(),
        client_secret: answer["clientSecret"].as_str().unwrap().to_owned(),
    }
}

/// What botocore's device flow registers for an sso-session with scopes.
async fn device_client(mock: &RunningMock) -> Registration {
    register(
        mock,
        json!({"clientName": "botocore-client-my-sso", "clientType": "public", "scopes": ["sso:account:access"]}),
    )
    .await
}

/// What botocore's PKCE flow registers.
async fn pkce_client(mock: &RunningMock) -> Registration {
    register(
        mock,
        json!({"clientName": "botocore-client-my-sso", "clientType": "public",
               "grantTypes": ["authorization_code", "refresh_token"],
               "redirectUris": ["http://127.0.0.1/oauth/callback"],
               "issuerUrl": mock.sso_start_url(),
               "scopes": ["sso:account:access"]}),
    )
    .await
}

async fn start_device(mock: &RunningMock, reg: &Registration) -> Value {
    let (status, _, body) = post_json(
        mock,
        "/device_authorization",
        &json!({"clientId": reg.client_id, "clientSecret": reg.client_secret, "startUrl": mock.sso_start_url()}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn device_token(mock: &RunningMock, reg: &Registration, device_code: &str) -> Answer {
    post_json(
        mock,
        "/token",
        &json!({"grantType": DEVICE_GRANT, "clientId": reg.client_id,
                "clientSecret": reg.client_secret, "deviceCode": device_code}),
    )
    .await
}

fn fast_polling() -> MockConfig {
    MockConfig {
        sso: SsoConfig {
            device_poll_interval_secs: 1,
            ..SsoConfig::default()
        },
        ..MockConfig::default()
    }
}

/// Signs in through the device flow as `user`, approving on the verification page.
async fn device_sign_in(mock: &RunningMock, user: &str) -> (Registration, Value) {
    let reg = device_client(mock).await;
    let device = start_device(mock, &reg).await;
    let url = device["verificationUriComplete"].as_str().unwrap();
    let http = client();
    let page = http.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("id=\"user-{user}\"")), "{html}");
    let user_code = device["userCode"].as_str().unwrap();
    let done = http
        .post(format!("{}/device/decision", mock.base_url()))
        .form(&[
            ("user_code", user_code),
            ("user", user),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    assert!(done.text().await.unwrap().contains("Request approved"));
    let token = device_token(mock, &reg, device["deviceCode"].as_str().unwrap()).await;
    assert_eq!(token.0, 200, "{token:?}");
    (reg, token.2)
}

async fn portal_get(mock: &RunningMock, path_and_query: &str, token: Option<&str>) -> Answer {
    let mut request = client().get(format!("{}{path_and_query}", mock.base_url()));
    if let Some(token) = token {
        request = request.header("x-amz-sso_bearer_token", token);
    }
    answer(request.send().await.unwrap()).await
}

fn s(value: &Value) -> &str {
    value.as_str().unwrap()
}

// ---- RegisterClient ----

#[tokio::test]
async fn register_client_answers_what_botocore_reads() {
    let mock = start(MockConfig::default()).await;
    let (status, _, body) = post_json(
        &mock,
        "/client/register",
        &json!({"clientName": "botocore-client-x", "clientType": "public"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let issued = body["clientIdIssuedAt"].as_i64().unwrap();
    let expires = body["clientSecretExpiresAt"].as_i64().unwrap();
    assert!((issued - now_secs()).abs() < 5, "epoch seconds: {issued}");
    assert_eq!(expires - issued, 90 * 24 * 3600);
    assert!(body["clientId"].is_string() && body["clientSecret"].is_string());
    assert!(
        body.get("authorizationEndpoint").is_none(),
        "only for code-grant clients"
    );

    let reg = pkce_client(&mock).await;
    assert!(!reg.client_id.is_empty());
}

#[tokio::test]
async fn register_client_refuses_a_confidential_client() {
    let mock = start(MockConfig::default()).await;
    let answer = post_json(
        &mock,
        "/client/register",
        &json!({"clientName": "x", "clientType": "confidential"}),
    )
    .await;
    assert_oidc(
        &answer,
        400,
        "InvalidClientMetadataException",
        "invalid_client_metadata",
    );
}

#[tokio::test]
async fn register_client_needs_a_client_name() {
    let mock = start(MockConfig::default()).await;
    let answer = post_json(&mock, "/client/register", &json!({"clientType": "public"})).await;
    assert_oidc(&answer, 400, "InvalidRequestException", "invalid_request");
}

#[tokio::test]
async fn register_client_refuses_a_non_loopback_redirect() {
    let mock = start(MockConfig::default()).await;
    let answer = post_json(
        &mock,
        "/client/register",
        &json!({"clientName": "x", "clientType": "public", "grantTypes": ["authorization_code"],
                "redirectUris": ["https://evil.example/cb"], "issuerUrl": mock.sso_start_url(),
                "scopes": ["sso:account:access"]}),
    )
    .await;
    assert_oidc(
        &answer,
        400,
        "InvalidRedirectUriException",
        "invalid_redirect_uri",
    );
}

#[tokio::test]
async fn register_client_refuses_another_issuer() {
    let mock = start(MockConfig::default()).await;
    let answer = post_json(
        &mock,
        "/client/register",
        &json!({"clientName": "x", "clientType": "public", "grantTypes": ["authorization_code"],
                "redirectUris": ["http://127.0.0.1/oauth/callback"],
                "issuerUrl": "https://d-9999999999.awsapps.com/start", "scopes": ["sso:account:access"]}),
    )
    .await;
    assert_oidc(&answer, 400, "InvalidRequestException", "invalid_request");
}

#[tokio::test]
async fn register_client_refuses_an_unknown_grant_type() {
    let mock = start(MockConfig::default()).await;
    let answer = post_json(
        &mock,
        "/client/register",
        &json!({"clientName": "x", "clientType": "public", "grantTypes": ["password"]}),
    )
    .await;
    assert_oidc(
        &answer,
        400,
        "InvalidClientMetadataException",
        "invalid_client_metadata",
    );
}

// ---- Device flow ----

#[tokio::test]
async fn device_flow_end_to_end_then_portal_and_sts() {
    let mock = start(fast_polling()).await;
    let reg = device_client(&mock).await;
    let device = start_device(&mock, &reg).await;
    let user_code = s(&device["userCode"]).to_owned();
    assert_eq!(user_code.len(), 9);
    assert_eq!(
        device["verificationUri"],
        format!("{}/device", mock.base_url())
    );
    assert_eq!(
        device["verificationUriComplete"],
        format!("{}/device?user_code={user_code}", mock.base_url())
    );
    assert_eq!(device["expiresIn"], 600);
    assert_eq!(device["interval"], 1);

    // AWS CLI polls twice back to back before showing the code: both are "pending".
    let device_code = s(&device["deviceCode"]).to_owned();
    for _ in 0..2 {
        let pending = device_token(&mock, &reg, &device_code).await;
        assert_oidc(
            &pending,
            400,
            "AuthorizationPendingException",
            "authorization_pending",
        );
    }
    mock.approve_device(&user_code, Some("alice")).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _, token) = device_token(&mock, &reg, &device_code).await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["tokenType"], "Bearer");
    assert_eq!(token["expiresIn"], 3600);
    assert!(s(&token["refreshToken"]).starts_with("aor"));
    let access = s(&token["accessToken"]).to_owned();

    let (status, _, accounts) =
        portal_get(&mock, "/assignment/accounts?max_result=100", Some(&access)).await;
    assert_eq!(status, 200, "{accounts}");
    assert_eq!(accounts["accountList"].as_array().unwrap().len(), 2);
    assert_eq!(
        accounts["accountList"][0],
        json!({"accountId": "111122223333", "accountName": "Development", "emailAddress": "dev@example.com"})
    );
    let (status, _, roles) = portal_get(
        &mock,
        "/assignment/roles?account_id=444455556666&max_result=100",
        Some(&access),
    )
    .await;
    assert_eq!(status, 200, "{roles}");
    assert_eq!(
        roles["roleList"],
        json!([{"roleName": "ReadOnly", "accountId": "444455556666"}, {"roleName": "Deploy", "accountId": "444455556666"}])
    );
    let (status, _, creds) = portal_get(
        &mock,
        "/federation/credentials?role_name=ReadOnly&account_id=444455556666",
        Some(&access),
    )
    .await;
    assert_eq!(status, 200, "{creds}");
    let role = &creds["roleCredentials"];
    let expiration = role["expiration"].as_i64().unwrap();
    assert!(
        (expiration / 1000 - now_secs() - 3600).abs() < 5,
        "epoch ms: {expiration}"
    );
    let sts_creds = Creds {
        access_key_id: s(&role["accessKeyId"]).to_owned(),
        secret_access_key: s(&role["secretAccessKey"]).to_owned(),
        session_token: Some(s(&role["sessionToken"]).to_owned()),
    };
    let (status, who) = sts_call(
        &client(),
        mock.base_url(),
        Some(&sts_creds),
        "Action=GetCallerIdentity&Version=2011-06-15",
        None,
    )
    .await;
    assert_eq!(status, 200, "{who}");
    let arn = xml_value(&who, "Arn").unwrap();
    assert!(
        arn.starts_with("arn:aws:sts::444455556666:assumed-role/AWSReservedSSO_ReadOnly_")
            && arn.ends_with("/alice"),
        "{arn}"
    );
    assert_eq!(xml_value(&who, "Account").unwrap(), "444455556666");

    // Logout ends the sign-in: the token no longer works, nor does its refresh token.
    let logout = answer(
        client()
            .post(format!("{}/logout", mock.base_url()))
            .header("x-amz-sso_bearer_token", &access)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(logout.0, 200);
    let after = portal_get(&mock, "/assignment/accounts", Some(&access)).await;
    assert_portal(&after, 401, "UnauthorizedException");
    assert_eq!(after.2["message"], "Session token not found or invalid");
    let refresh = post_json(
        &mock,
        "/token",
        &json!({"grantType": "refresh_token", "clientId": reg.client_id,
                "clientSecret": reg.client_secret, "refreshToken": token["refreshToken"]}),
    )
    .await;
    assert_oidc(&refresh, 400, "InvalidGrantException", "invalid_grant");

    let stats = mock.stats();
    assert_eq!(stats.sso_oidc_outcome("RegisterClient", "ok"), 1);
    assert_eq!(stats.sso_oidc_outcome("StartDeviceAuthorization", "ok"), 1);
    assert_eq!(
        stats.sso_token_outcome("device_code", "AuthorizationPendingException"),
        2
    );
    assert_eq!(stats.sso_token_outcome("device_code", "ok"), 1);
    assert_eq!(stats.sso_portal_outcome("GetRoleCredentials", "ok"), 1);
    assert_eq!(stats.sso_portal_outcome("Logout", "ok"), 1);
    assert_eq!(stats.sso_portal_calls("ListAccounts"), 2);
    let json: Value = client()
        .get(format!("{}/__admin/stats", mock.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["sso_portal"]["GetRoleCredentials"]["ok"], 1);
    assert_eq!(json["sso_token"]["device_code"]["ok"], 1);
}

#[tokio::test]
async fn device_authorization_refuses_another_start_url() {
    let mock = start(MockConfig::default()).await;
    let reg = device_client(&mock).await;
    let answer = post_json(
        &mock,
        "/device_authorization",
        &json!({"clientId": reg.client_id, "clientSecret": reg.client_secret,
                "startUrl": "https://d-0000000000.awsapps.com/start"}),
    )
    .await;
    assert_oidc(&answer, 400, "InvalidRequestException", "invalid_request");
}

#[tokio::test]
async fn wrong_client_secret_is_invalid_client() {
    let mock = start(MockConfig::default()).await;
    let reg = device_client(&mock).await;
    let answer = post_json(
        &mock,
        "/device_authorization",
        &json!({"clientId": reg.client_id, "clientSecret": format!("{}x", reg.client_secret),
                "startUrl": mock.sso_start_url()}),
    )
    .await;
    assert_oidc(&answer, 401, "InvalidClientException", "invalid_client");
}

#[tokio::test]
async fn expired_registration_is_invalid_client() {
    let mock = start(MockConfig::default()).await;
    let reg = device_client(&mock).await;
    mock.expire_sso_registrations();
    let answer = post_json(
        &mock,
        "/device_authorization",
        &json!({"clientId": reg.client_id, "clientSecret": reg.client_secret, "startUrl": mock.sso_start_url()}),
    )
    .await;
    assert_oidc(&answer, 401, "InvalidClientException", "invalid_client");
}

#[tokio::test]
async fn polling_too_fast_is_slow_down() {
    let mock = start(MockConfig::default()).await;
    let reg = device_client(&mock).await;
    let device = start_device(&mock, &reg).await;
    let code = s(&device["deviceCode"]);
    let first = device_token(&mock, &reg, code).await;
    assert_oidc(
        &first,
        400,
        "AuthorizationPendingException",
        "authorization_pending",
    );
    let second = device_token(&mock, &reg, code).await;
    assert_oidc(
        &second,
        400,
        "AuthorizationPendingException",
        "authorization_pending",
    );
    let third = device_token(&mock, &reg, code).await;
    assert_oidc(&third, 400, "SlowDownException", "slow_down");
}

#[tokio::test]
async fn denied_device_is_access_denied() {
    let mock = start(fast_polling()).await;
    let reg = device_client(&mock).await;
    let device = start_device(&mock, &reg).await;
    let done = client()
        .post(format!("{}/device/decision", mock.base_url()))
        .form(&[("user_code", s(&device["userCode"])), ("decision", "deny")])
        .send()
        .await
        .unwrap();
    assert!(done.text().await.unwrap().contains("Request denied"));
    let answer = device_token(&mock, &reg, s(&device["deviceCode"])).await;
    assert_oidc(&answer, 400, "AccessDeniedException", "access_denied");
    assert_eq!(mock.stats().sso_page_events("device_denied"), 1);
}

#[tokio::test]
async fn expired_device_code_is_expired_token() {
    let mock = start(MockConfig::default()).await;
    let reg = device_client(&mock).await;
    let device = start_device(&mock, &reg).await;
    mock.set_clock_offset(601);
    let answer = device_token(&mock, &reg, s(&device["deviceCode"])).await;
    assert_oidc(&answer, 400, "ExpiredTokenException", "expired_token");
}

#[tokio::test]
async fn a_redeemed_device_code_is_invalid_grant() {
    let mock = start(fast_polling()).await;
    let reg = device_client(&mock).await;
    let device = start_device(&mock, &reg).await;
    mock.approve_device(s(&device["userCode"]), Some("carol"))
        .unwrap();
    let code = s(&device["deviceCode"]);
    assert_eq!(device_token(&mock, &reg, code).await.0, 200);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let again = device_token(&mock, &reg, code).await;
    assert_oidc(&again, 400, "InvalidGrantException", "invalid_grant");
}

#[tokio::test]
async fn a_device_code_of_another_client_is_invalid_grant() {
    let mock = start(MockConfig::default()).await;
    let reg = device_client(&mock).await;
    let other = device_client(&mock).await;
    let device = start_device(&mock, &reg).await;
    let answer = device_token(&mock, &other, s(&device["deviceCode"])).await;
    assert_oidc(&answer, 400, "InvalidGrantException", "invalid_grant");
}

#[tokio::test]
async fn verification_page_refuses_an_unknown_code() {
    let mock = start(MockConfig::default()).await;
    let page = client()
        .get(format!("{}/device?user_code=BCDF-GHJK", mock.base_url()))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"notice\""), "{html}");
    assert!(
        html.contains("id=\"user-code\""),
        "code entry is shown again"
    );
    assert_eq!(mock.stats().sso_page_events("device_unknown_code"), 1);
}

#[tokio::test]
async fn auto_approve_approves_on_opening_the_verification_url() {
    let mock = start(fast_polling()).await;
    mock.set_sso_auto_approve(Some("carol")).unwrap();
    let reg = device_client(&mock).await;
    let device = start_device(&mock, &reg).await;
    let page = client()
        .get(s(&device["verificationUriComplete"]))
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("Request approved"));
    let (status, _, token) = device_token(&mock, &reg, s(&device["deviceCode"])).await;
    assert_eq!(status, 200, "{token}");
    // carol only has ReadOnly in the Development account.
    let accounts = portal_get(
        &mock,
        "/assignment/accounts",
        Some(s(&token["accessToken"])),
    )
    .await;
    assert_eq!(accounts.2["accountList"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn legacy_registration_gets_no_refresh_token() {
    let mock = start(fast_polling()).await;
    let reg = register(
        &mock,
        json!({"clientName": "botocore-client-1700000000", "clientType": "public"}),
    )
    .await;
    let device = start_device(&mock, &reg).await;
    mock.approve_device(s(&device["userCode"]), Some("alice"))
        .unwrap();
    let (status, _, token) = device_token(&mock, &reg, s(&device["deviceCode"])).await;
    assert_eq!(status, 200, "{token}");
    assert!(token.get("refreshToken").is_none(), "{token}");
    assert_eq!(token["expiresIn"], 28800);
}

#[tokio::test]
async fn unsupported_grant_type() {
    let mock = start(MockConfig::default()).await;
    let reg = device_client(&mock).await;
    let answer = post_json(
        &mock,
        "/token",
        &json!({"grantType": "password", "clientId": reg.client_id, "clientSecret": reg.client_secret}),
    )
    .await;
    assert_oidc(
        &answer,
        400,
        "UnsupportedGrantTypeException",
        "unsupported_grant_type",
    );
}

#[tokio::test]
async fn a_device_client_cannot_use_the_code_grant() {
    let mock = start(MockConfig::default()).await;
    let reg = device_client(&mock).await;
    let answer = post_json(
        &mock,
        "/token",
        &json!({"grantType": "authorization_code", "clientId": reg.client_id, "clientSecret": reg.client_secret,
                "code": "x", "redirectUri": REDIRECT, "codeVerifier": "a".repeat(43)}),
    )
    .await;
    assert_oidc(
        &answer,
        400,
        "UnauthorizedClientException",
        "unauthorized_client",
    );
}

// ---- Authorization code + PKCE ----

fn authorize_url(mock: &RunningMock, reg: &Registration, state: &str, challenge: &str) -> String {
    format!(
        "{}/authorize?response_type=code&client_id={}&redirect_uri={}&state={state}&code_challenge_method=S256&scopes={}&code_challenge={challenge}",
        mock.base_url(),
        encode(&reg.client_id),
        encode(REDIRECT),
        encode("sso:account:access"),
    )
}

async fn code_token(
    mock: &RunningMock,
    reg: &Registration,
    code: &str,
    verifier: &str,
    redirect: &str,
) -> Answer {
    post_json(
        mock,
        "/token",
        &json!({"grantType": "authorization_code", "clientId": reg.client_id, "clientSecret": reg.client_secret,
                "redirectUri": redirect, "codeVerifier": verifier, "code": code}),
    )
    .await
}

/// Authorizes with auto-approve on; returns (code, pkce).
async fn auto_code(mock: &RunningMock, reg: &Registration) -> (String, Pkce) {
    let pkce = Pkce::generate();
    let response = client()
        .get(authorize_url(mock, reg, "st-1", &pkce.challenge))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT), "{location}");
    let query = query_of(&location);
    assert_eq!(query["state"], "st-1");
    (query["code"].clone(), pkce)
}

fn auto_approving() -> MockConfig {
    MockConfig {
        sso: SsoConfig {
            auto_approve: Some("alice".to_owned()),
            ..SsoConfig::default()
        },
        ..MockConfig::default()
    }
}

#[tokio::test]
async fn pkce_flow_with_auto_approve() {
    let mock = start(auto_approving()).await;
    let reg = pkce_client(&mock).await;
    let (code, pkce) = auto_code(&mock, &reg).await;
    let (status, _, token) = code_token(&mock, &reg, &code, &pkce.verifier, REDIRECT).await;
    assert_eq!(status, 200, "{token}");
    assert!(token["refreshToken"].is_string());
    let reused = code_token(&mock, &reg, &code, &pkce.verifier, REDIRECT).await;
    assert_oidc(&reused, 400, "InvalidGrantException", "invalid_grant");
    assert_eq!(mock.stats().sso_page_events("authorize_auto_approved"), 1);
}

#[tokio::test]
async fn a_wrong_code_verifier_is_invalid_grant_and_does_not_burn_the_code() {
    let mock = start(auto_approving()).await;
    let reg = pkce_client(&mock).await;
    let (code, pkce) = auto_code(&mock, &reg).await;
    let wrong = Pkce::generate();
    let answer = code_token(&mock, &reg, &code, &wrong.verifier, REDIRECT).await;
    assert_oidc(&answer, 400, "InvalidGrantException", "invalid_grant");
    let (status, _, _) = code_token(&mock, &reg, &code, &pkce.verifier, REDIRECT).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_malformed_code_verifier_is_invalid_request() {
    let mock = start(auto_approving()).await;
    let reg = pkce_client(&mock).await;
    let (code, _) = auto_code(&mock, &reg).await;
    let answer = code_token(&mock, &reg, &code, "short", REDIRECT).await;
    assert_oidc(&answer, 400, "InvalidRequestException", "invalid_request");
}

#[tokio::test]
async fn another_redirect_uri_at_the_token_endpoint_is_invalid_grant() {
    let mock = start(auto_approving()).await;
    let reg = pkce_client(&mock).await;
    let (code, pkce) = auto_code(&mock, &reg).await;
    let answer = code_token(
        &mock,
        &reg,
        &code,
        &pkce.verifier,
        "http://127.0.0.1:55556/oauth/callback",
    )
    .await;
    assert_oidc(&answer, 400, "InvalidGrantException", "invalid_grant");
}

#[tokio::test]
async fn an_old_code_is_expired_token() {
    let mock = start(auto_approving()).await;
    let reg = pkce_client(&mock).await;
    let (code, pkce) = auto_code(&mock, &reg).await;
    mock.set_clock_offset(301);
    let answer = code_token(&mock, &reg, &code, &pkce.verifier, REDIRECT).await;
    assert_oidc(&answer, 400, "ExpiredTokenException", "expired_token");
}

#[tokio::test]
async fn authorize_refuses_an_unregistered_redirect_uri_on_a_page() {
    let mock = start(auto_approving()).await;
    let reg = pkce_client(&mock).await;
    let pkce = Pkce::generate();
    let url = authorize_url(&mock, &reg, "st", &pkce.challenge)
        .replace(&encode("/oauth/callback"), &encode("/elsewhere"));
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 400, "never redirected");
    assert!(response.text().await.unwrap().contains("id=\"problems\""));
}

#[tokio::test]
async fn authorize_refuses_an_unknown_client_on_a_page() {
    let mock = start(auto_approving()).await;
    let reg = Registration {
        client_id: "nope".to_owned(),
        client_secret: String::new(),
    };
    let response = client()
        .get(authorize_url(
            &mock,
            &reg,
            "st",
            &Pkce::generate().challenge,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn authorize_with_plain_pkce_redirects_with_invalid_request() {
    let mock = start(auto_approving()).await;
    let reg = pkce_client(&mock).await;
    let url = authorize_url(&mock, &reg, "st-9", &Pkce::generate().challenge)
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 302);
    let query = query_of(response.headers()["location"].to_str().unwrap());
    assert_eq!(query["error"], "invalid_request");
    assert_eq!(query["state"], "st-9");
}

#[tokio::test]
async fn authorize_with_an_unregistered_scope_redirects_with_invalid_scope() {
    let mock = start(auto_approving()).await;
    let reg = pkce_client(&mock).await;
    let url = authorize_url(&mock, &reg, "st", &Pkce::generate().challenge).replace(
        &encode("sso:account:access"),
        &encode("sso:account:access codewhisperer:completions"),
    );
    let response = client().get(url).send().await.unwrap();
    let query = query_of(response.headers()["location"].to_str().unwrap());
    assert_eq!(query["error"], "invalid_scope");
}

/// The consent page: pick a user and Allow, or Deny.
async fn decide_on_page(
    mock: &RunningMock,
    url: &str,
    user: Option<&str>,
    decision: &str,
) -> reqwest::Response {
    let http = client();
    let page = http.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("id=\"user-alice\"")
            && html.contains("id=\"allow\"")
            && html.contains("id=\"deny\"")
    );
    let marker = "name=\"request\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let request = &html[start..start + html[start..].find('"').unwrap()];
    let mut form = vec![("request", request), ("decision", decision)];
    if let Some(user) = user {
        form.push(("user", user));
    }
    http.post(format!("{}/authorize/decision", mock.base_url()))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn consent_page_allow_gives_a_code() {
    let mock = start(MockConfig::default()).await;
    let reg = pkce_client(&mock).await;
    let pkce = Pkce::generate();
    let response = decide_on_page(
        &mock,
        &authorize_url(&mock, &reg, "st-2", &pkce.challenge),
        Some("alice"),
        "allow",
    )
    .await;
    assert_eq!(response.status(), 302);
    let query = query_of(response.headers()["location"].to_str().unwrap());
    assert_eq!(query["state"], "st-2");
    let (status, _, _) = code_token(&mock, &reg, &query["code"], &pkce.verifier, REDIRECT).await;
    assert_eq!(status, 200);
    assert_eq!(mock.stats().sso_page_events("authorize_approved"), 1);
}

#[tokio::test]
async fn consent_page_deny_redirects_with_access_denied() {
    let mock = start(MockConfig::default()).await;
    let reg = pkce_client(&mock).await;
    let url = authorize_url(&mock, &reg, "st-3", &Pkce::generate().challenge);
    let response = decide_on_page(&mock, &url, None, "deny").await;
    assert_eq!(response.status(), 302);
    let query = query_of(response.headers()["location"].to_str().unwrap());
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], "st-3");
    assert!(!query.contains_key("code"));
}

#[tokio::test]
async fn consent_page_allow_without_a_user_asks_again() {
    let mock = start(MockConfig::default()).await;
    let reg = pkce_client(&mock).await;
    let url = authorize_url(&mock, &reg, "st-4", &Pkce::generate().challenge);
    let response = decide_on_page(&mock, &url, None, "allow").await;
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("id=\"notice\""));
}

// ---- Refresh ----

async fn refresh(mock: &RunningMock, reg: &Registration, token: &str) -> Answer {
    post_json(
        mock,
        "/token",
        &json!({"grantType": "refresh_token", "clientId": reg.client_id,
                "clientSecret": reg.client_secret, "refreshToken": token}),
    )
    .await
}

#[tokio::test]
async fn refresh_rotates_and_a_quick_replay_gets_the_same_next_token() {
    let mock = start(fast_polling()).await;
    let (reg, token) = device_sign_in(&mock, "alice").await;
    let first = s(&token["refreshToken"]).to_owned();
    let (status, _, one) = refresh(&mock, &reg, &first).await;
    assert_eq!(status, 200, "{one}");
    assert_ne!(one["refreshToken"], token["refreshToken"], "rotated");
    assert_ne!(one["accessToken"], token["accessToken"]);
    let (status, _, two) = refresh(&mock, &reg, &first).await;
    assert_eq!(status, 200, "replay within the grace window");
    assert_eq!(two["refreshToken"], one["refreshToken"]);
    let accounts = portal_get(&mock, "/assignment/accounts", Some(s(&two["accessToken"]))).await;
    assert_eq!(accounts.0, 200);
    assert_eq!(mock.stats().sso_token_outcome("refresh_token", "ok"), 2);
}

#[tokio::test]
async fn refresh_token_reuse_after_the_grace_window_revokes_the_sign_in() {
    let mock = start(MockConfig {
        sso: SsoConfig {
            refresh_reuse_grace_secs: 0,
            device_poll_interval_secs: 1,
            ..SsoConfig::default()
        },
        ..MockConfig::default()
    })
    .await;
    let (reg, token) = device_sign_in(&mock, "alice").await;
    let first = s(&token["refreshToken"]).to_owned();
    let (_, _, one) = refresh(&mock, &reg, &first).await;
    let reuse = refresh(&mock, &reg, &first).await;
    assert_oidc(&reuse, 400, "InvalidGrantException", "invalid_grant");
    // The whole family is gone, the rotated token included.
    let next = refresh(&mock, &reg, s(&one["refreshToken"])).await;
    assert_oidc(&next, 400, "InvalidGrantException", "invalid_grant");
}

#[tokio::test]
async fn refresh_after_the_session_ends_is_invalid_grant() {
    let mock = start(fast_polling()).await;
    let (reg, token) = device_sign_in(&mock, "alice").await;
    mock.expire_sso_sessions();
    let answer = refresh(&mock, &reg, s(&token["refreshToken"])).await;
    assert_oidc(&answer, 400, "InvalidGrantException", "invalid_grant");
}

#[tokio::test]
async fn refresh_by_another_client_is_invalid_grant() {
    let mock = start(fast_polling()).await;
    let (_, token) = device_sign_in(&mock, "alice").await;
    let other = device_client(&mock).await;
    let answer = refresh(&mock, &other, s(&token["refreshToken"])).await;
    assert_oidc(&answer, 400, "InvalidGrantException", "invalid_grant");
}

#[tokio::test]
async fn refresh_with_an_expired_registration_is_invalid_client() {
    let mock = start(fast_polling()).await;
    let (reg, token) = device_sign_in(&mock, "alice").await;
    mock.expire_sso_registrations();
    let answer = refresh(&mock, &reg, s(&token["refreshToken"])).await;
    assert_oidc(&answer, 401, "InvalidClientException", "invalid_client");
}

// ---- Portal ----

#[tokio::test]
async fn portal_without_a_token_is_unauthorized() {
    let mock = start(MockConfig::default()).await;
    let answer = portal_get(&mock, "/assignment/accounts", None).await;
    assert_portal(&answer, 401, "UnauthorizedException");
}

#[tokio::test]
async fn portal_with_an_expired_token_is_unauthorized() {
    let mock = start(fast_polling()).await;
    let (_, token) = device_sign_in(&mock, "alice").await;
    mock.expire_sso_tokens();
    let answer = portal_get(
        &mock,
        "/federation/credentials?role_name=ReadOnly&account_id=111122223333",
        Some(s(&token["accessToken"])),
    )
    .await;
    assert_portal(&answer, 401, "UnauthorizedException");
}

#[tokio::test]
async fn role_credentials_for_an_unassigned_role_are_forbidden() {
    let mock = start(fast_polling()).await;
    let (_, token) = device_sign_in(&mock, "carol").await;
    let answer = portal_get(
        &mock,
        "/federation/credentials?role_name=Deploy&account_id=444455556666",
        Some(s(&token["accessToken"])),
    )
    .await;
    assert_portal(&answer, 403, "ForbiddenException");
    assert_eq!(answer.2["message"], "No access");
}

#[tokio::test]
async fn role_credentials_need_both_parameters() {
    let mock = start(fast_polling()).await;
    let (_, token) = device_sign_in(&mock, "alice").await;
    let answer = portal_get(
        &mock,
        "/federation/credentials?role_name=ReadOnly",
        Some(s(&token["accessToken"])),
    )
    .await;
    assert_portal(&answer, 400, "InvalidRequestException");
}

#[tokio::test]
async fn list_accounts_pages_with_next_token() {
    let mock = start(fast_polling()).await;
    let (_, token) = device_sign_in(&mock, "alice").await;
    let access = s(&token["accessToken"]).to_owned();
    let (status, _, page1) =
        portal_get(&mock, "/assignment/accounts?max_result=1", Some(&access)).await;
    assert_eq!(status, 200);
    assert_eq!(page1["accountList"].as_array().unwrap().len(), 1);
    let next = s(&page1["nextToken"]).to_owned();
    let (status, _, page2) = portal_get(
        &mock,
        &format!(
            "/assignment/accounts?max_result=1&next_token={}",
            encode(&next)
        ),
        Some(&access),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page2["accountList"][0]["accountId"], "444455556666");
    assert!(page2.get("nextToken").is_none(), "last page: {page2}");
}

#[tokio::test]
async fn list_account_roles_pages_with_next_token() {
    let mock = start(fast_polling()).await;
    let (_, token) = device_sign_in(&mock, "alice").await;
    let access = s(&token["accessToken"]).to_owned();
    let mut names = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut path = "/assignment/roles?account_id=111122223333&max_result=1".to_owned();
        if let Some(t) = &next {
            path.push_str(&format!("&next_token={}", encode(t)));
        }
        let (status, _, page) = portal_get(&mock, &path, Some(&access)).await;
        assert_eq!(status, 200, "{page}");
        names.extend(
            page["roleList"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| s(&r["roleName"]).to_owned()),
        );
        match page.get("nextToken") {
            Some(t) => next = Some(s(t).to_owned()),
            None => break,
        }
    }
    assert_eq!(names, ["AdministratorAccess", "ReadOnly"]);
}

#[tokio::test]
async fn a_max_result_out_of_range_is_invalid_request() {
    let mock = start(fast_polling()).await;
    let (_, token) = device_sign_in(&mock, "alice").await;
    let answer = portal_get(
        &mock,
        "/assignment/accounts?max_result=0",
        Some(s(&token["accessToken"])),
    )
    .await;
    assert_portal(&answer, 400, "InvalidRequestException");
}

#[tokio::test]
async fn a_forged_next_token_is_invalid_request() {
    let mock = start(fast_polling()).await;
    let (_, token) = device_sign_in(&mock, "alice").await;
    // A token for another list (the roles of an account) does not page the accounts.
    let forged = <base64ct::Base64UrlUnpadded as base64ct::Encoding>::encode_string(
        b"roles:alice:111122223333|1",
    );
    let answer = portal_get(
        &mock,
        &format!("/assignment/accounts?next_token={forged}"),
        Some(s(&token["accessToken"])),
    )
    .await;
    assert_portal(&answer, 400, "InvalidRequestException");
}

#[tokio::test]
async fn logout_without_a_token_is_unauthorized() {
    let mock = start(MockConfig::default()).await;
    let answer = answer(
        client()
            .post(format!("{}/logout", mock.base_url()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_portal(&answer, 401, "UnauthorizedException");
}

// ---- Faults ----

#[tokio::test]
async fn oidc_fault_answers_internal_server_exception() {
    let mock = start(MockConfig::default()).await;
    mock.set_faults(FaultPlan {
        target: FaultTarget::SsoOidc,
        error_status: Some(500),
        error_count: 1,
        ..FaultPlan::default()
    })
    .unwrap();
    let answer = post_json(
        &mock,
        "/client/register",
        &json!({"clientName": "x", "clientType": "public"}),
    )
    .await;
    assert_oidc(&answer, 500, "InternalServerException", "server_error");
    let (status, _, _) = post_json(
        &mock,
        "/client/register",
        &json!({"clientName": "x", "clientType": "public"}),
    )
    .await;
    assert_eq!(status, 200, "the next call is served");
}

#[tokio::test]
async fn portal_fault_answers_too_many_requests() {
    let mock = start(fast_polling()).await;
    let (_, token) = device_sign_in(&mock, "alice").await;
    mock.set_faults(FaultPlan {
        target: FaultTarget::Sso,
        error_status: Some(429),
        error_count: 1,
        ..FaultPlan::default()
    })
    .unwrap();
    let answer = portal_get(
        &mock,
        "/assignment/accounts",
        Some(s(&token["accessToken"])),
    )
    .await;
    assert_portal(&answer, 429, "TooManyRequestsException");
    assert_eq!(mock.stats().faults["status_429"], 1);
}

#[tokio::test]
async fn admin_sso_endpoints_over_http() {
    let mock = start(fast_polling()).await;
    let http = client();
    let base = mock.base_url();
    let overview: Value = http
        .get(format!("{base}/__admin/sso"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        overview["start_url"],
        "https://d-1234567890.awsapps.com/start"
    );
    assert_eq!(overview["accounts"].as_array().unwrap().len(), 2);
    let bad = http
        .post(format!("{base}/__admin/sso/auto-approve"))
        .body(r#"{"user":"nobody"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let reg = device_client(&mock).await;
    let device = start_device(&mock, &reg).await;
    let approved = http
        .post(format!("{base}/__admin/sso/device/approve"))
        .body(json!({"user_code": device["userCode"], "user": "alice"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 200);
    let (status, _, _) = device_token(&mock, &reg, s(&device["deviceCode"])).await;
    assert_eq!(status, 200);
    let unknown = http
        .post(format!("{base}/__admin/sso/device/approve"))
        .body(r#"{"user_code":"BCDF-GHJK","user":"alice"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    for path in ["tokens/expire", "sessions/expire", "registrations/expire"] {
        let r = http
            .post(format!("{base}/__admin/sso/{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    let answer = post_json(
        &mock,
        "/device_authorization",
        &json!({"clientId": reg.client_id, "clientSecret": reg.client_secret, "startUrl": mock.sso_start_url()}),
    )
    .await;
    assert_oidc(&answer, 401, "InvalidClientException", "invalid_client");
}

#[test]
fn config_refuses_an_assignment_to_a_missing_role() {
    let mut config = MockConfig::default();
    config.sso.users[1]
        .assignments
        .push(signin_mock::SsoAssignment {
            account_id: "111122223333".to_owned(),
            role_name: "Nope".to_owned(),
        });
    assert!(config.validate().is_err());
}

#[tokio::test]
async fn a_consent_decision_cannot_be_sent_twice() {
    let mock = start(MockConfig::default()).await;
    let reg = pkce_client(&mock).await;
    let url = authorize_url(&mock, &reg, "st-5", &Pkce::generate().challenge);
    let http = client();
    let html = http.get(&url).send().await.unwrap().text().await.unwrap();
    let marker = "name=\"request\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let request = html[start..start + html[start..].find('"').unwrap()].to_owned();
    let decide = || {
        http.post(format!("{}/authorize/decision", mock.base_url()))
            .form(&[
                ("request", request.as_str()),
                ("user", "alice"),
                ("decision", "allow"),
            ])
            .send()
    };
    assert_eq!(decide().await.unwrap().status(), 302);
    let again = decide().await.unwrap();
    assert_eq!(again.status(), 400, "a page is answerable once");
    assert!(again
        .text()
        .await
        .unwrap()
        .contains("expired or was already answered"));
}

#[tokio::test]
async fn an_answered_device_code_cannot_be_answered_again() {
    let mock = start(MockConfig::default()).await;
    let reg = device_client(&mock).await;
    let device = start_device(&mock, &reg).await;
    let user_code = s(&device["userCode"]);
    mock.approve_device(user_code, None).unwrap();
    let again = client()
        .post(format!("{}/device/decision", mock.base_url()))
        .form(&[
            ("user_code", user_code),
            ("user", "alice"),
            ("decision", "allow"),
        ])
        .send()
        .await
        .unwrap();
    assert!(again.text().await.unwrap().contains("id=\"notice\""));
    let answer = device_token(&mock, &reg, s(&device["deviceCode"])).await;
    assert_oidc(&answer, 400, "AccessDeniedException", "access_denied");
    assert!(mock.approve_device(user_code, Some("alice")).is_err());
}

/// Portal credentials are a role session: they assume a role that trusts `sso:USER`, capped at
/// an hour (role chaining); a role trusting only the signed-in identity `alice` refuses them.
#[tokio::test]
async fn role_credentials_assume_a_role_as_role_chaining() {
    let mut config = fast_polling();
    config.roles = vec![
        signin_mock::Role {
            trusted: vec!["sso:alice".to_owned()],
            max_session_duration_secs: 43200,
            ..signin_mock::Role::new("arn:aws:iam::111122223333:role/FromSso")
        },
        signin_mock::Role {
            trusted: vec!["alice".to_owned()],
            ..signin_mock::Role::new("arn:aws:iam::111122223333:role/SignInOnly")
        },
    ];
    let mock = start(config).await;
    let (_, token) = device_sign_in(&mock, "alice").await;
    let (_, _, creds) = portal_get(
        &mock,
        "/federation/credentials?role_name=ReadOnly&account_id=111122223333",
        Some(s(&token["accessToken"])),
    )
    .await;
    let role = &creds["roleCredentials"];
    let sso_creds = Creds {
        access_key_id: s(&role["accessKeyId"]).to_owned(),
        secret_access_key: s(&role["secretAccessKey"]).to_owned(),
        session_token: Some(s(&role["sessionToken"]).to_owned()),
    };
    let form = |role: &str, extra: &str| {
        format!(
            "Action=AssumeRole&Version=2011-06-15&RoleArn={}&RoleSessionName=from-sso{extra}",
            encode(&format!("arn:aws:iam::111122223333:role/{role}"))
        )
    };
    let http = client();
    let (status, xml) = sts_call(
        &http,
        mock.base_url(),
        Some(&sso_creds),
        &form("FromSso", ""),
        None,
    )
    .await;
    assert_eq!(status, 200, "{xml}");
    let (status, xml) = sts_call(
        &http,
        mock.base_url(),
        Some(&sso_creds),
        &form("FromSso", "&DurationSeconds=7200"),
        None,
    )
    .await;
    assert_eq!(status, 400, "{xml}");
    assert!(
        xml.contains("1 hour session limit for roles assumed by role chaining"),
        "{xml}"
    );
    let (status, xml) = sts_call(
        &http,
        mock.base_url(),
        Some(&sso_creds),
        &form("SignInOnly", ""),
        None,
    )
    .await;
    assert_eq!(status, 403, "{xml}");
    assert_eq!(xml_value(&xml, "Code").as_deref(), Some("AccessDenied"));
}
