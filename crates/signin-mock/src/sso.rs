//! IAM Identity Center's OIDC service (`sso-oidc`, rest-json): `RegisterClient`
//! (`POST /client/register`), `StartDeviceAuthorization` (`POST /device_authorization`) and
//! `CreateToken` (`POST /token`: device code, authorization code with PKCE S256, refresh token
//! with rotation). Errors are `{"error","error_description"}` with the `x-amzn-ErrorType`
//! header SDKs dispatch on. The browser pages live in `sso_pages`, the portal in `portal`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};
use rand::{Rng, RngCore};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::state::{bump, Millis, SharedState};
use crate::token::{add_request_id, addressed_base};

pub(crate) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const KNOWN_GRANTS: [&str; 3] = ["authorization_code", "refresh_token", DEVICE_GRANT];
const ERROR_NAMESPACE: &str = "http://internal.amazon.com/coral/com.amazonaws.sso.oidc/";

/// A client registration (`RegisterClient`).
#[derive(Debug, Clone)]
pub(crate) struct SsoClient {
    pub client_secret: String,
    pub scopes: Vec<String>,
    pub redirect_uris: Vec<String>,
    /// Empty = what a registration without `grantTypes` gets: device code and refresh.
    pub grant_types: Vec<String>,
    pub expires_at: Millis,
}

impl SsoClient {
    pub fn allows(&self, grant: &str) -> bool {
        if self.grant_types.is_empty() {
            grant == DEVICE_GRANT || grant == "refresh_token"
        } else {
            self.grant_types.iter().any(|g| g == grant)
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DeviceDecision {
    Pending,
    Approved(String),
    Denied,
}

#[derive(Debug, Clone)]
pub(crate) struct DeviceAuthorization {
    pub client_id: String,
    pub expires_at: Millis,
    /// The interval the client must keep; raised by 5 s on each `slow_down` (RFC 8628 §3.5).
    pub interval_secs: u64,
    pub last_poll: Option<Millis>,
    /// Polls in a row that came sooner than the interval.
    pub early_polls: u32,
    pub decision: DeviceDecision,
    pub redeemed: bool,
}

/// A validated `/authorize` request.
#[derive(Debug, Clone)]
pub(crate) struct SsoAuthorizeRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub code_challenge: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct SsoCode {
    pub request: SsoAuthorizeRequest,
    pub user: String,
    pub issued_at: Millis,
    pub redeemed: bool,
}

/// One sign-in of a user through one client: its access and refresh tokens descend from it.
#[derive(Debug, Clone)]
pub(crate) struct SsoSignIn {
    pub user: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires_at: Millis,
    pub revoked: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct SsoAccessToken {
    pub sign_in: String,
    pub expires_at: Millis,
}

#[derive(Debug, Clone)]
pub(crate) struct SsoRefresh {
    pub sign_in: String,
    /// When it was redeemed and the refresh token that redemption returned.
    pub used: Option<(Millis, String)>,
}

#[derive(Debug, Default)]
pub(crate) struct SsoState {
    pub clients: HashMap<String, SsoClient>,
    pub devices: HashMap<String, DeviceAuthorization>,
    /// user code → device code
    pub user_codes: HashMap<String, String>,
    /// pending `/authorize` page id → (request, created)
    pub pending: HashMap<String, (SsoAuthorizeRequest, Millis)>,
    pub codes: HashMap<String, SsoCode>,
    pub sign_ins: HashMap<String, SsoSignIn>,
    pub access_tokens: HashMap<String, SsoAccessToken>,
    pub refresh_tokens: HashMap<String, SsoRefresh>,
    pub auto_approve: Option<String>,
}

const DAY_MS: Millis = 24 * 3600 * 1000;

impl SsoState {
    pub fn prune(&mut self, now: Millis) {
        self.devices.retain(|_, d| d.expires_at + DAY_MS > now);
        let devices = &self.devices;
        self.user_codes
            .retain(|_, device| devices.contains_key(device));
        self.pending
            .retain(|_, (_, created)| now - *created < DAY_MS);
        self.codes.retain(|_, c| now - c.issued_at < DAY_MS);
        self.access_tokens
            .retain(|_, t| t.expires_at + DAY_MS > now);
        self.sign_ins.retain(|_, s| s.expires_at + DAY_MS > now);
        let sign_ins = &self.sign_ins;
        self.refresh_tokens
            .retain(|_, r| sign_ins.contains_key(&r.sign_in));
    }

    /// The sign-in an access token belongs to, if the token is valid now.
    pub fn signed_in(&self, access_token: &str, now: Millis) -> Option<&SsoSignIn> {
        let token = self.access_tokens.get(access_token)?;
        let sign_in = self.sign_ins.get(&token.sign_in)?;
        (token.expires_at > now && !sign_in.revoked).then_some(sign_in)
    }
}

/// The OIDC exceptions of the model (SSO-PROTOCOL.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OidcErrorKind {
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
    AccessDenied,
    InvalidGrant,
    InvalidClient,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    InvalidRequest,
    InvalidClientMetadata,
    InvalidRedirectUri,
    InternalServer,
}

impl OidcErrorKind {
    pub fn exception(self) -> &'static str {
        match self {
            Self::AuthorizationPending => "AuthorizationPendingException",
            Self::SlowDown => "SlowDownException",
            Self::ExpiredToken => "ExpiredTokenException",
            Self::AccessDenied => "AccessDeniedException",
            Self::InvalidGrant => "InvalidGrantException",
            Self::InvalidClient => "InvalidClientException",
            Self::UnauthorizedClient => "UnauthorizedClientException",
            Self::UnsupportedGrantType => "UnsupportedGrantTypeException",
            Self::InvalidScope => "InvalidScopeException",
            Self::InvalidRequest => "InvalidRequestException",
            Self::InvalidClientMetadata => "InvalidClientMetadataException",
            Self::InvalidRedirectUri => "InvalidRedirectUriException",
            Self::InternalServer => "InternalServerException",
        }
    }

    pub fn error(self) -> &'static str {
        match self {
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::AccessDenied => "access_denied",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidClient => "invalid_client",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InternalServer => "server_error",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::InvalidClient => StatusCode::UNAUTHORIZED,
            Self::InternalServer => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

#[derive(Debug)]
pub(crate) struct OidcError {
    pub kind: OidcErrorKind,
    pub description: String,
}

fn fail<T>(kind: OidcErrorKind, description: impl Into<String>) -> Result<T, OidcError> {
    Err(OidcError {
        kind,
        description: description.into(),
    })
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    add_request_id(headers);
    response
}

/// `x-amzn-ErrorType: Name:namespace` as the real service sends it, and the OAuth body.
pub(crate) fn oidc_error_response(
    kind: OidcErrorKind,
    status: StatusCode,
    description: &str,
) -> Response {
    let mut response = json_response(
        status,
        &json!({"error": kind.error(), "error_description": description}),
    );
    if let Ok(value) = HeaderValue::from_str(&format!("{}:{ERROR_NAMESPACE}", kind.exception())) {
        response.headers_mut().insert("x-amzn-ErrorType", value);
    }
    response
}

fn respond(state: &SharedState, operation: &str, result: Result<Value, OidcError>) -> Response {
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) => e.kind.exception(),
    };
    bump(&mut state.lock().stats.sso_oidc, operation, outcome);
    match result {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(e) => {
            tracing::info!(operation, error = e.kind.error(), description = %e.description, "sso-oidc refused");
            oidc_error_response(e.kind, e.kind.status(), &e.description)
        }
    }
}

/// The JSON object body (rest-json). botocore sends `application/json`; old CLIs sent no
/// Content-Type, so it is not required.
fn object(body: &[u8]) -> Result<Map<String, Value>, OidcError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => fail(
            OidcErrorKind::InvalidRequest,
            "The request body must be a JSON object.",
        ),
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => Ok(Map::new()),
        Err(_) => fail(
            OidcErrorKind::InvalidRequest,
            "The request body is not valid JSON.",
        ),
    }
}

fn string<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, OidcError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => fail(
            OidcErrorKind::InvalidRequest,
            format!("{name} must be a string."),
        ),
    }
}

fn required<'a>(body: &'a Map<String, Value>, name: &str) -> Result<&'a str, OidcError> {
    match string(body, name)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => fail(
            OidcErrorKind::InvalidRequest,
            format!("{name} is required."),
        ),
    }
}

fn string_list(body: &Map<String, Value>, name: &str) -> Result<Vec<String>, OidcError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                _ => fail(
                    OidcErrorKind::InvalidRequest,
                    format!("{name} must be a list of strings."),
                ),
            })
            .collect(),
        Some(_) => fail(
            OidcErrorKind::InvalidRequest,
            format!("{name} must be a list of strings."),
        ),
    }
}

pub(crate) mod ids {
    use super::*;

    fn random_bytes(n: usize) -> Vec<u8> {
        let mut bytes = vec![0u8; n];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        bytes
    }

    fn b64(n: usize) -> String {
        Base64UrlUnpadded::encode_string(&random_bytes(n))
    }

    pub fn client_id() -> String {
        b64(16)
    }

    pub fn client_secret() -> String {
        format!(
            "eyJraWQiOiJrZXktMTU2NDAyODA5OSIsImFsZyI6IkhTMzg0In0.{}",
            b64(96)
        )
    }

    pub fn device_code() -> String {
        b64(48)
    }

    /// `XXXX-XXXX` from letters that cannot be misread (RFC 8628 §6.1).
    pub fn user_code() -> String {
        const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
        let mut rng = rand::rngs::OsRng;
        let mut pick = || ALPHABET[rng.gen_range(0..ALPHABET.len())] as char;
        let first: String = (0..4).map(|_| pick()).collect();
        let second: String = (0..4).map(|_| pick()).collect();
        format!("{first}-{second}")
    }

    pub fn access_token() -> String {
        format!("aoa{}", b64(96))
    }

    pub fn refresh_token() -> String {
        format!("aor{}", b64(96))
    }

    pub fn code() -> String {
        b64(32)
    }

    pub fn opaque() -> String {
        b64(18)
    }
}

/// The base URL the client addressed (scheme + Host), for the endpoints we hand out.
fn base_of(headers: &HeaderMap, uri: &axum::http::Uri) -> String {
    addressed_base(headers, uri).unwrap_or_else(|| "http://127.0.0.1".to_owned())
}

/// Loopback redirect URIs only (RFC 8252 §7.3): `http://127.0.0.1[:port]/path` or `[::1]`.
pub(crate) fn is_loopback_redirect(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http"
            && matches!(u.host_str(), Some("127.0.0.1") | Some("[::1]"))
            && u.fragment().is_none()
            && u.username().is_empty()
    })
}

/// Whether `used` matches a registered redirect URI, ignoring the port of loopback URIs.
pub(crate) fn redirect_registered(client: &SsoClient, used: &str) -> bool {
    let Ok(used_url) = url::Url::parse(used) else {
        return false;
    };
    client.redirect_uris.iter().any(|registered| {
        let Ok(reg) = url::Url::parse(registered) else {
            return false;
        };
        if registered == used {
            return true;
        }
        reg.port().is_none()
            && is_loopback_redirect(registered)
            && reg.scheme() == used_url.scheme()
            && reg.host_str() == used_url.host_str()
            && reg.path() == used_url.path()
            && reg.query() == used_url.query()
    })
}

pub(crate) async fn register_client(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = register(&state, &base_of(&headers, &uri), &body);
    respond(&state, "RegisterClient", result)
}

fn register(state: &SharedState, base: &str, body: &[u8]) -> Result<Value, OidcError> {
    let body = object(body)?;
    let client_name = required(&body, "clientName")?;
    let client_type = required(&body, "clientType")?;
    if client_type != "public" {
        return fail(
            OidcErrorKind::InvalidClientMetadata,
            format!("Invalid client type: {client_type}; only public clients are supported."),
        );
    }
    if client_name.len() > 128 {
        return fail(
            OidcErrorKind::InvalidClientMetadata,
            "clientName is too long.",
        );
    }
    let scopes = string_list(&body, "scopes")?;
    if let Some(bad) = scopes
        .iter()
        .find(|s| s.is_empty() || s.chars().any(char::is_whitespace))
    {
        return fail(
            OidcErrorKind::InvalidScope,
            format!("Invalid scope: {bad:?}"),
        );
    }
    let grant_types = string_list(&body, "grantTypes")?;
    if let Some(bad) = grant_types
        .iter()
        .find(|g| !KNOWN_GRANTS.contains(&g.as_str()))
    {
        return fail(
            OidcErrorKind::InvalidClientMetadata,
            format!("Invalid grant type: {bad}"),
        );
    }
    let redirect_uris = string_list(&body, "redirectUris")?;
    if let Some(bad) = redirect_uris.iter().find(|u| !is_loopback_redirect(u)) {
        return fail(
            OidcErrorKind::InvalidRedirectUri,
            format!("Invalid redirect URI: {bad}; only http loopback addresses are allowed."),
        );
    }
    let code_grant = grant_types.iter().any(|g| g == "authorization_code");
    if code_grant && redirect_uris.is_empty() {
        return fail(
            OidcErrorKind::InvalidRedirectUri,
            "redirectUris is required for the authorization_code grant.",
        );
    }
    if code_grant && scopes.is_empty() {
        return fail(
            OidcErrorKind::InvalidScope,
            "scopes is required for the authorization_code grant.",
        );
    }
    let issuer = string(&body, "issuerUrl")?;
    if code_grant && issuer.is_none() {
        return fail(
            OidcErrorKind::InvalidRequest,
            "issuerUrl is required for the authorization_code grant.",
        );
    }
    if let Some(issuer) = issuer {
        if issuer != state.config.sso.start_url {
            return fail(
                OidcErrorKind::InvalidRequest,
                format!("Invalid issuer URL: {issuer}"),
            );
        }
    }
    let now = state.now_ms();
    let lifetime = secs_to_ms(state.config.sso.registration_lifetime_secs);
    let client_id = ids::client_id();
    let client = SsoClient {
        client_secret: ids::client_secret(),
        scopes,
        redirect_uris,
        grant_types,
        expires_at: now + lifetime,
    };
    let mut answer = json!({
        "clientId": client_id,
        "clientSecret": client.client_secret,
        "clientIdIssuedAt": now.div_euclid(1000),
        "clientSecretExpiresAt": client.expires_at.div_euclid(1000),
    });
    if code_grant {
        answer["authorizationEndpoint"] = json!(format!("{base}/authorize"));
        answer["tokenEndpoint"] = json!(format!("{base}/token"));
    }
    state.lock().sso.clients.insert(client_id, client);
    Ok(answer)
}

pub(crate) fn secs_to_ms(secs: u64) -> Millis {
    i64::try_from(secs)
        .unwrap_or(i64::MAX / 2_000)
        .saturating_mul(1000)
}

/// Client authentication for StartDeviceAuthorization and CreateToken.
fn authenticate_client(
    state: &SharedState,
    body: &Map<String, Value>,
    now: Millis,
) -> Result<(String, SsoClient), OidcError> {
    let client_id = required(body, "clientId")?;
    let client_secret = required(body, "clientSecret")?;
    let client = state.lock().sso.clients.get(client_id).cloned();
    let Some(client) = client else {
        return fail(OidcErrorKind::InvalidClient, "Invalid client provided");
    };
    if !crate::sigv4::signatures_match(&client.client_secret, client_secret) {
        return fail(OidcErrorKind::InvalidClient, "Invalid client provided");
    }
    if now >= client.expires_at {
        return fail(
            OidcErrorKind::InvalidClient,
            "Client registration has expired",
        );
    }
    Ok((client_id.to_owned(), client))
}

pub(crate) async fn start_device_authorization(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = device_authorization(&state, &base_of(&headers, &uri), &body);
    respond(&state, "StartDeviceAuthorization", result)
}

fn device_authorization(state: &SharedState, base: &str, body: &[u8]) -> Result<Value, OidcError> {
    let now = state.now_ms();
    let body = object(body)?;
    let (client_id, client) = authenticate_client(state, &body, now)?;
    let start_url = required(&body, "startUrl")?;
    if start_url != state.config.sso.start_url {
        return fail(
            OidcErrorKind::InvalidRequest,
            format!("Invalid start URL: {start_url}"),
        );
    }
    if !client.allows(DEVICE_GRANT) {
        return fail(
            OidcErrorKind::UnauthorizedClient,
            "Client is not registered for the device code grant",
        );
    }
    let sso = &state.config.sso;
    let device_code = ids::device_code();
    let user_code = ids::user_code();
    let device = DeviceAuthorization {
        client_id,
        expires_at: now + secs_to_ms(sso.device_code_lifetime_secs),
        interval_secs: sso.device_poll_interval_secs,
        last_poll: None,
        early_polls: 0,
        decision: DeviceDecision::Pending,
        redeemed: false,
    };
    {
        let mut inner = state.lock();
        inner
            .sso
            .user_codes
            .insert(user_code.clone(), device_code.clone());
        inner.sso.devices.insert(device_code.clone(), device);
    }
    Ok(json!({
        "deviceCode": device_code,
        "userCode": user_code,
        "verificationUri": format!("{base}/device"),
        "verificationUriComplete": format!("{base}/device?user_code={user_code}"),
        "expiresIn": sso.device_code_lifetime_secs,
        "interval": sso.device_poll_interval_secs,
    }))
}

pub(crate) async fn create_token(State(state): State<SharedState>, body: Bytes) -> Response {
    let now = state.now_ms();
    let mut grant = "unknown";
    let result = token(&state, &body, now, &mut grant);
    {
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.kind.exception(),
        };
        let mut inner = state.lock();
        bump(&mut inner.stats.sso_token, grant, outcome);
        inner.prune(now);
    }
    respond(&state, "CreateToken", result)
}

fn token(
    state: &SharedState,
    body: &[u8],
    now: Millis,
    grant_label: &mut &'static str,
) -> Result<Value, OidcError> {
    let body = object(body)?;
    let grant = string(&body, "grantType")?.unwrap_or("");
    *grant_label = match grant {
        DEVICE_GRANT => "device_code",
        "authorization_code" => "authorization_code",
        "refresh_token" => "refresh_token",
        _ => "unknown",
    };
    let (client_id, client) = authenticate_client(state, &body, now)?;
    if grant.is_empty() {
        return fail(OidcErrorKind::InvalidRequest, "grantType is required.");
    }
    if !KNOWN_GRANTS.contains(&grant) {
        return fail(
            OidcErrorKind::UnsupportedGrantType,
            format!("Unsupported grant type: {grant}"),
        );
    }
    if !client.allows(grant) {
        return fail(
            OidcErrorKind::UnauthorizedClient,
            format!("Client is not registered for the {grant} grant"),
        );
    }
    match grant {
        DEVICE_GRANT => device_grant(state, &body, &client_id, &client, now),
        "authorization_code" => code_grant(state, &body, &client_id, &client, now),
        _ => refresh_grant(state, &body, &client_id, now),
    }
}

fn device_grant(
    state: &SharedState,
    body: &Map<String, Value>,
    client_id: &str,
    client: &SsoClient,
    now: Millis,
) -> Result<Value, OidcError> {
    let device_code = required(body, "deviceCode")?;
    let user = {
        let mut inner = state.lock();
        let Some(device) = inner.sso.devices.get_mut(device_code) else {
            return fail(OidcErrorKind::InvalidGrant, "Invalid device code provided");
        };
        if device.client_id != client_id {
            return fail(OidcErrorKind::InvalidGrant, "Invalid device code provided");
        }
        if device.redeemed {
            return fail(
                OidcErrorKind::InvalidGrant,
                "Device code has already been used",
            );
        }
        if now >= device.expires_at {
            return fail(OidcErrorKind::ExpiredToken, "Device code has expired");
        }
        // Polling faster than `interval`: one early poll in a row is let through (AWS CLI
        // polls twice back to back at the start); the next is slow_down, and the interval
        // grows by 5 s (RFC 8628 §3.5).
        let interval_ms = secs_to_ms(device.interval_secs);
        let early = device
            .last_poll
            .is_some_and(|last| now - last < interval_ms);
        device.last_poll = Some(now);
        if early {
            device.early_polls += 1;
            if device.early_polls >= 2 {
                device.early_polls = 0;
                device.interval_secs += 5;
                return fail(OidcErrorKind::SlowDown, "Client is polling too fast");
            }
        } else {
            device.early_polls = 0;
        }
        match device.decision.clone() {
            DeviceDecision::Pending => {
                return fail(
                    OidcErrorKind::AuthorizationPending,
                    "Authorization is still pending",
                )
            }
            DeviceDecision::Denied => {
                return fail(
                    OidcErrorKind::AccessDenied,
                    "The user denied the authorization request",
                )
            }
            DeviceDecision::Approved(user) => {
                device.redeemed = true;
                user
            }
        }
    };
    Ok(issue_tokens(state, &user, client_id, &client.scopes, now))
}

/// PKCE code verifier: 43–128 unreserved characters (RFC 7636 §4.1).
fn verifier_ok(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

fn code_grant(
    state: &SharedState,
    body: &Map<String, Value>,
    client_id: &str,
    client: &SsoClient,
    now: Millis,
) -> Result<Value, OidcError> {
    let code = required(body, "code")?;
    let redirect_uri = required(body, "redirectUri")?;
    let verifier = required(body, "codeVerifier")?;
    if !verifier_ok(verifier) {
        return fail(
            OidcErrorKind::InvalidRequest,
            "codeVerifier must be 43-128 characters of [A-Za-z0-9-._~]",
        );
    }
    let (user, scopes) = {
        let mut inner = state.lock();
        let Some(issued) = inner.sso.codes.get_mut(code) else {
            return fail(
                OidcErrorKind::InvalidGrant,
                "Invalid authorization code provided",
            );
        };
        if issued.request.client_id != client_id {
            return fail(
                OidcErrorKind::InvalidGrant,
                "Invalid authorization code provided",
            );
        }
        if issued.redeemed {
            return fail(
                OidcErrorKind::InvalidGrant,
                "Authorization code has already been used",
            );
        }
        if now - issued.issued_at >= secs_to_ms(state.config.sso.auth_code_lifetime_secs) {
            return fail(
                OidcErrorKind::ExpiredToken,
                "Authorization code has expired",
            );
        }
        if issued.request.redirect_uri != redirect_uri {
            return fail(
                OidcErrorKind::InvalidGrant,
                "redirectUri does not match the authorization request",
            );
        }
        let challenge = Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes()));
        if !crate::sigv4::signatures_match(&challenge, &issued.request.code_challenge) {
            // A wrong verifier does not burn the code.
            return fail(
                OidcErrorKind::InvalidGrant,
                "codeVerifier does not match the code challenge",
            );
        }
        issued.redeemed = true;
        (issued.user.clone(), issued.request.scopes.clone())
    };
    let scopes = if scopes.is_empty() {
        client.scopes.clone()
    } else {
        scopes
    };
    Ok(issue_tokens(state, &user, client_id, &scopes, now))
}

fn refresh_grant(
    state: &SharedState,
    body: &Map<String, Value>,
    client_id: &str,
    now: Millis,
) -> Result<Value, OidcError> {
    let refresh_token = required(body, "refreshToken")?;
    let grace = secs_to_ms(state.config.sso.refresh_reuse_grace_secs);
    let mut inner = state.lock();
    let sso = &mut inner.sso;
    let Some(record) = sso.refresh_tokens.get(refresh_token).cloned() else {
        return fail(
            OidcErrorKind::InvalidGrant,
            "Invalid refresh token provided",
        );
    };
    let Some(sign_in) = sso.sign_ins.get(&record.sign_in).cloned() else {
        return fail(
            OidcErrorKind::InvalidGrant,
            "Invalid refresh token provided",
        );
    };
    if sign_in.client_id != client_id {
        return fail(
            OidcErrorKind::InvalidGrant,
            "Invalid refresh token provided",
        );
    }
    let lifetime = access_lifetime(state, &sign_in.scopes);
    if sign_in.revoked {
        return fail(
            OidcErrorKind::InvalidGrant,
            "Refresh token has been revoked",
        );
    }
    if now >= sign_in.expires_at {
        return fail(OidcErrorKind::InvalidGrant, "Refresh token has expired");
    }
    let next = match record.used {
        // Rotation: the same answer's refresh token again within the grace window (two
        // processes refreshing at once both succeed) …
        Some((used_at, next)) if now - used_at < grace => next,
        // … and reuse after it is treated as theft: the whole sign-in is revoked.
        Some(_) => {
            if let Some(s) = sso.sign_ins.get_mut(&record.sign_in) {
                s.revoked = true;
            }
            return fail(
                OidcErrorKind::InvalidGrant,
                "Refresh token has already been used; the sign-in is revoked",
            );
        }
        None => {
            let next = ids::refresh_token();
            sso.refresh_tokens.insert(
                next.clone(),
                SsoRefresh {
                    sign_in: record.sign_in.clone(),
                    used: None,
                },
            );
            if let Some(r) = sso.refresh_tokens.get_mut(refresh_token) {
                r.used = Some((now, next.clone()));
            }
            next
        }
    };
    let access_token = ids::access_token();
    let expires_at = (now + lifetime).min(sign_in.expires_at);
    sso.access_tokens.insert(
        access_token.clone(),
        SsoAccessToken {
            sign_in: record.sign_in,
            expires_at,
        },
    );
    Ok(json!({
        "accessToken": access_token,
        "tokenType": "Bearer",
        "expiresIn": (expires_at - now).div_euclid(1000),
        "refreshToken": next,
    }))
}

fn access_lifetime(state: &SharedState, scopes: &[String]) -> Millis {
    let sso = &state.config.sso;
    if scopes.is_empty() {
        secs_to_ms(sso.legacy_access_token_lifetime_secs)
    } else {
        secs_to_ms(sso.access_token_lifetime_secs)
    }
}

/// A new sign-in with its first access token, and a refresh token when the client registered
/// scopes (legacy registrations without scopes get a longer token and no refresh token).
fn issue_tokens(
    state: &SharedState,
    user: &str,
    client_id: &str,
    scopes: &[String],
    now: Millis,
) -> Value {
    let sso = &state.config.sso;
    let refreshable = !scopes.is_empty();
    let lifetime = access_lifetime(state, scopes);
    let session_lifetime = if refreshable {
        secs_to_ms(sso.refresh_token_lifetime_secs)
    } else {
        lifetime
    };
    let sign_in_id = ids::opaque();
    let access_token = ids::access_token();
    let mut inner = state.lock();
    inner.sso.sign_ins.insert(
        sign_in_id.clone(),
        SsoSignIn {
            user: user.to_owned(),
            client_id: client_id.to_owned(),
            scopes: scopes.to_vec(),
            expires_at: now + session_lifetime,
            revoked: false,
        },
    );
    let expires_at = (now + lifetime).min(now + session_lifetime);
    inner.sso.access_tokens.insert(
        access_token.clone(),
        SsoAccessToken {
            sign_in: sign_in_id.clone(),
            expires_at,
        },
    );
    let mut answer = json!({
        "accessToken": access_token,
        "tokenType": "Bearer",
        "expiresIn": (expires_at - now).div_euclid(1000),
    });
    if refreshable {
        let refresh_token = ids::refresh_token();
        inner.sso.refresh_tokens.insert(
            refresh_token.clone(),
            SsoRefresh {
                sign_in: sign_in_id,
                used: None,
            },
        );
        answer["refreshToken"] = json!(refresh_token);
    }
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(redirects: &[&str]) -> SsoClient {
        SsoClient {
            client_secret: String::new(),
            scopes: vec![],
            redirect_uris: redirects.iter().map(|s| (*s).to_owned()).collect(),
            grant_types: vec!["authorization_code".to_owned()],
            expires_at: 0,
        }
    }

    #[test]
    fn a_portless_loopback_registration_matches_any_port() {
        let c = client(&["http://127.0.0.1/oauth/callback"]);
        assert!(redirect_registered(
            &c,
            "http://127.0.0.1:55555/oauth/callback"
        ));
        assert!(redirect_registered(&c, "http://127.0.0.1/oauth/callback"));
        assert!(!redirect_registered(&c, "http://127.0.0.1:55555/other"));
        assert!(!redirect_registered(
            &c,
            "http://localhost:55555/oauth/callback"
        ));
        assert!(!redirect_registered(
            &c,
            "https://127.0.0.1:55555/oauth/callback"
        ));
    }

    #[test]
    fn a_registration_with_a_port_matches_only_that_port() {
        let c = client(&["http://127.0.0.1:8080/cb"]);
        assert!(redirect_registered(&c, "http://127.0.0.1:8080/cb"));
        assert!(!redirect_registered(&c, "http://127.0.0.1:8081/cb"));
    }

    #[test]
    fn only_loopback_http_redirects_register() {
        assert!(is_loopback_redirect("http://127.0.0.1/oauth/callback"));
        assert!(!is_loopback_redirect("https://example.com/cb"));
        assert!(!is_loopback_redirect("http://localhost/cb"));
        assert!(!is_loopback_redirect("not a url"));
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_hostile_redirects_and_bodies(uri in ".{0,200}", body in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let c = client(&["http://127.0.0.1/oauth/callback", "http://127.0.0.1:1/x"]);
            let _ = redirect_registered(&c, &uri);
            let _ = is_loopback_redirect(&uri);
            let _ = object(&body);
        }
    }

    #[test]
    fn user_codes_look_like_the_real_ones() {
        let code = ids::user_code();
        assert_eq!(code.len(), 9);
        assert_eq!(&code[4..5], "-");
    }
}
