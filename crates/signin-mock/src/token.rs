//! `POST /v1/token`: authorization-code and refresh grants, DPoP-bound, with the error table of
//! the real service (status, `{"error","message"}`, and `x-amzn-ErrorType` naming the model's
//! exception shape, which is what botocore and the JS SDK dispatch on).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};
use p256::ecdsa::signature::Signer;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::dpop::{verify_proof, VerifiedProof};
use crate::state::{
    tokens, IssuedCredentials, LoginSessionRecord, Millis, RefreshAnswer, RefreshRecord,
    SharedState,
};

pub(crate) const SAME_DEVICE: &str = "arn:aws:signin:::devtools/same-device";
pub(crate) const CROSS_DEVICE: &str = "arn:aws:signin:::devtools/cross-device";

/// One row of PROTOCOL.md's error table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenErrorCode {
    InvalidRequest,
    TokenExpired,
    AuthcodeExpired,
    UserCredentialsChanged,
    InsufficientPermissions,
    Throttled,
    ServerError,
}

impl TokenErrorCode {
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidRequest | Self::Throttled => "INVALID_REQUEST",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::AuthcodeExpired => "AUTHCODE_EXPIRED",
            Self::UserCredentialsChanged => "USER_CREDENTIALS_CHANGED",
            Self::InsufficientPermissions => "INSUFFICIENT_PERMISSIONS",
            Self::ServerError => "server_error",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::TokenExpired | Self::AuthcodeExpired => StatusCode::UNAUTHORIZED,
            Self::UserCredentialsChanged | Self::InsufficientPermissions => StatusCode::FORBIDDEN,
            Self::Throttled => StatusCode::TOO_MANY_REQUESTS,
            Self::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The exception shape in the signin service model.
    fn shape(self) -> &'static str {
        match self {
            Self::InvalidRequest => "ValidationException",
            Self::TokenExpired
            | Self::AuthcodeExpired
            | Self::UserCredentialsChanged
            | Self::InsufficientPermissions => "AccessDeniedException",
            Self::Throttled => "TooManyRequestsError",
            Self::ServerError => "InternalServerException",
        }
    }
}

#[derive(Debug)]
pub(crate) struct TokenError {
    pub code: TokenErrorCode,
    pub message: String,
}

fn fail<T>(code: TokenErrorCode, message: impl Into<String>) -> Result<T, TokenError> {
    Err(TokenError {
        code,
        message: message.into(),
    })
}

pub(crate) fn error_response(code: TokenErrorCode, message: &str) -> Response {
    let body = json!({"error": code.code(), "message": message}).to_string();
    let mut response = (code.status(), body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert("x-amzn-ErrorType", HeaderValue::from_static(code.shape()));
    add_request_id(headers);
    response
}

pub(crate) fn add_request_id(headers: &mut HeaderMap) {
    if let Ok(value) = HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()) {
        headers.insert("x-amzn-RequestId", value);
    }
}

/// The URL this request was addressed to, as the client saw it (for `htu` and the remote
/// redirect URI): the `Host` header, or the HTTP/2 `:authority`. We serve plain HTTP only.
/// `arn:aws:sts::A:assumed-role/R/S` → `arn:aws:iam::A:role/R`; `None` for users and root.
pub(crate) fn assumed_role_arn(session_arn: &str) -> Option<String> {
    let account = crate::config::arn_account(session_arn);
    let resource = session_arn.splitn(6, ':').nth(5)?;
    let mut parts = resource.split('/');
    match (parts.next(), parts.next()) {
        (Some("assumed-role"), Some(role)) if !role.is_empty() => {
            Some(format!("arn:aws:iam::{account}:role/{role}"))
        }
        _ => None,
    }
}

pub(crate) fn addressed_base(headers: &HeaderMap, uri: &Uri) -> Option<String> {
    let host = match headers.get(header::HOST) {
        Some(value) => value.to_str().ok()?.to_owned(),
        None => uri.authority()?.as_str().to_owned(),
    };
    if host.is_empty() || host.contains(['/', ' ', '@']) {
        return None;
    }
    Some(format!("http://{host}"))
}

pub(crate) async fn token(
    State(state): State<SharedState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = state.now_ms();
    let mut outcome = Outcome::default();
    let result = handle(&state, &uri, &headers, &body, now, &mut outcome);
    let label = match &result {
        Ok(_) => "ok",
        Err(e) => e.code.code(),
    };
    {
        let mut inner = state.lock();
        inner.count_token(&outcome.grant, label, outcome.jkt.as_deref());
        inner.prune(now);
    }
    match result {
        Ok(body) => {
            tracing::info!(grant = %outcome.grant, "token issued");
            let mut response = (StatusCode::OK, body.to_string()).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            add_request_id(headers);
            response
        }
        Err(e) => {
            tracing::info!(grant = %outcome.grant, code = e.code.code(), message = %e.message, "token refused");
            error_response(e.code, &e.message)
        }
    }
}

/// What the counters need to know about a call, filled in as parsing goes.
#[derive(Debug)]
struct Outcome {
    grant: String,
    jkt: Option<String>,
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome {
            grant: "unknown".to_owned(),
            jkt: None,
        }
    }
}

fn string_field<'a>(
    body: &'a serde_json::Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, TokenError> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => fail(
            TokenErrorCode::InvalidRequest,
            format!("\"{name}\" must be a string"),
        ),
    }
}

fn required<'a>(
    body: &'a serde_json::Map<String, Value>,
    name: &str,
) -> Result<&'a str, TokenError> {
    match string_field(body, name)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => fail(
            TokenErrorCode::InvalidRequest,
            format!("\"{name}\" is required"),
        ),
    }
}

fn handle(
    state: &SharedState,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: Millis,
    outcome: &mut Outcome,
) -> Result<Value, TokenError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        return fail(
            TokenErrorCode::InvalidRequest,
            format!("Content-Type must be application/json, got {content_type:?}"),
        );
    }
    let body: serde_json::Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => map,
        _ => {
            return fail(
                TokenErrorCode::InvalidRequest,
                "request body must be a JSON object",
            )
        }
    };
    let grant = string_field(&body, "grantType")?.unwrap_or("");
    if grant == "authorization_code" || grant == "refresh_token" {
        outcome.grant = grant.to_owned();
    }

    let Some(base) = addressed_base(headers, uri) else {
        return fail(
            TokenErrorCode::InvalidRequest,
            "request has no usable Host header",
        );
    };
    let htu = format!("{base}/v1/token");
    let dpop_values: Vec<&str> = headers
        .get_all("dpop")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let now_secs = now.div_euclid(1000);
    let skew = i64::try_from(state.config.dpop_iat_skew_secs).unwrap_or(i64::MAX);
    let proof = match verify_proof(&dpop_values, "POST", &htu, now_secs, skew) {
        Ok(proof) => proof,
        Err(rejected) => {
            outcome.jkt = rejected.jkt;
            return fail(
                TokenErrorCode::InvalidRequest,
                format!("invalid DPoP proof: {}", rejected.reason),
            );
        }
    };
    outcome.jkt = Some(proof.jkt.clone());

    let mut inner = state.lock();
    if inner.seen_jti.contains_key(&proof.jti) {
        return fail(
            TokenErrorCode::InvalidRequest,
            "invalid DPoP proof: this \"jti\" was already used; send a fresh proof with every request",
        );
    }
    // Once `iat` leaves the window the proof is refused anyway, so the jti can be forgotten then.
    inner
        .seen_jti
        .insert(proof.jti.clone(), (proof.iat + skew + 1) * 1000 + 1000);
    drop(inner);

    let client_id = required(&body, "clientId")?;
    if client_id != SAME_DEVICE && client_id != CROSS_DEVICE {
        return fail(
            TokenErrorCode::InvalidRequest,
            format!("unknown clientId {client_id:?}; expected {SAME_DEVICE} or {CROSS_DEVICE}"),
        );
    }
    match grant {
        "authorization_code" => redeem_code(state, &body, client_id, &proof, now),
        "refresh_token" => refresh(state, &body, client_id, &proof, now),
        "" => fail(TokenErrorCode::InvalidRequest, "\"grantType\" is required"),
        other => fail(
            TokenErrorCode::InvalidRequest,
            format!("unsupported grantType {other:?}; use authorization_code or refresh_token"),
        ),
    }
}

fn pkce_challenge(verifier: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes()))
}

fn redeem_code(
    state: &SharedState,
    body: &serde_json::Map<String, Value>,
    client_id: &str,
    proof: &VerifiedProof,
    now: Millis,
) -> Result<Value, TokenError> {
    let code = required(body, "code")?;
    let verifier = required(body, "codeVerifier")?;
    let redirect_uri = required(body, "redirectUri")?;
    let verifier_ok = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    if !verifier_ok {
        return fail(
            TokenErrorCode::InvalidRequest,
            "codeVerifier must be 43 to 128 characters from A-Z a-z 0-9 - . _ ~",
        );
    }

    let mut inner = state.lock();
    let Some(issued) = inner.codes.get(code).cloned() else {
        return fail(
            TokenErrorCode::InvalidRequest,
            "authorization code is not valid",
        );
    };
    if issued.redeemed {
        return fail(
            TokenErrorCode::AuthcodeExpired,
            "authorization code was already used; log in again",
        );
    }
    let lifetime =
        i64::try_from(state.config.auth_code_lifetime_secs).unwrap_or(i64::MAX / 2000) * 1000;
    if now - issued.issued_at > lifetime {
        return fail(
            TokenErrorCode::AuthcodeExpired,
            "authorization code has expired; log in again",
        );
    }
    if issued.request.client_id != client_id {
        return fail(
            TokenErrorCode::InvalidRequest,
            "clientId does not match the client the code was issued to",
        );
    }
    if issued.request.redirect_uri != redirect_uri {
        return fail(
            TokenErrorCode::InvalidRequest,
            "redirectUri does not match the redirect_uri of the authorization request",
        );
    }
    if pkce_challenge(verifier) != issued.request.code_challenge {
        return fail(
            TokenErrorCode::InvalidRequest,
            "codeVerifier does not match the code_challenge of the authorization request",
        );
    }
    let Some(identity) = state.identity(&issued.identity).cloned() else {
        return fail(
            TokenErrorCode::ServerError,
            "the identity behind this code is gone",
        );
    };
    if let Some(code) = inner.codes.get_mut(code) {
        code.redeemed = true;
    }
    if !inner.permissions(&identity.name).can_create_token {
        return fail(
            TokenErrorCode::InsufficientPermissions,
            format!(
                "User: {} is not authorized to perform: signin:CreateOAuth2Token. Attach the \
                 AWS managed policy SignInLocalDevelopmentAccess or grant signin:CreateOAuth2Token.",
                identity.arn
            ),
        );
    }

    let lifetime_secs = identity
        .session_lifetime_secs
        .unwrap_or(state.config.session_lifetime_secs);
    let session_id = tokens::opaque_id();
    let session = LoginSessionRecord {
        identity: identity.name.clone(),
        arn: identity.arn.clone(),
        client_id: client_id.to_owned(),
        jkt: proof.jkt.clone(),
        created_at: now,
        expires_at: now
            .saturating_add(i64::try_from(lifetime_secs).unwrap_or(i64::MAX / 2000) * 1000),
    };
    inner.sessions.insert(session_id.clone(), session.clone());
    let (access_key_id, expires_in) = issue_credentials(state, &mut inner, &session, now);
    let refresh_token = tokens::refresh_token();
    inner.refresh_tokens.insert(
        refresh_token.clone(),
        RefreshRecord {
            session_id: session_id.clone(),
            used: None,
        },
    );
    let credentials = inner.credentials.get(&access_key_id).cloned();
    drop(inner);
    let credentials = credentials.ok_or_else(|| TokenError {
        code: TokenErrorCode::ServerError,
        message: "credentials vanished".to_owned(),
    })?;

    let id_token = id_token(state, &session, &session_id, client_id, now);
    Ok(json!({
        "accessToken": {
            "accessKeyId": access_key_id,
            "secretAccessKey": credentials.secret_access_key,
            "sessionToken": credentials.session_token,
        },
        "tokenType": "aws_sigv4",
        "expiresIn": expires_in,
        "refreshToken": refresh_token,
        "idToken": id_token,
    }))
}

/// Mints credentials for a session; `expiresIn` never outlives the session.
fn issue_credentials(
    state: &SharedState,
    inner: &mut crate::state::Inner,
    session: &LoginSessionRecord,
    now: Millis,
) -> (String, i64) {
    let configured = i64::try_from(state.config.access_token_lifetime_secs).unwrap_or(900);
    let session_left = (session.expires_at - now).div_euclid(1000);
    let expires_in = configured.min(session_left).max(1);
    let access_key_id = tokens::access_key_id();
    let user_id = if session.arn.contains(":assumed-role/") {
        let session_name = session.arn.rsplit('/').next().unwrap_or("");
        let role = session.arn.split('/').nth(1).unwrap_or("");
        format!("{}:{session_name}", tokens::unique_id("AROA", role))
    } else {
        tokens::unique_id("AIDA", &session.arn)
    };
    inner.credentials.insert(
        access_key_id.clone(),
        IssuedCredentials {
            secret_access_key: tokens::secret_access_key(),
            session_token: tokens::session_token(),
            expires_at: now + expires_in * 1000,
            arn: session.arn.clone(),
            user_id,
            identity: session.identity.clone(),
            from_assume_role: false,
            role_arn: assumed_role_arn(&session.arn),
            mfa_authenticated: false,
        },
    );
    (access_key_id, expires_in)
}

fn refresh(
    state: &SharedState,
    body: &serde_json::Map<String, Value>,
    client_id: &str,
    proof: &VerifiedProof,
    now: Millis,
) -> Result<Value, TokenError> {
    let refresh_token = required(body, "refreshToken")?;
    if refresh_token.len() > 2048 || !refresh_token.starts_with("ASOR") {
        return fail(
            TokenErrorCode::InvalidRequest,
            "refreshToken is not a Sign-In refresh token",
        );
    }
    let mut inner = state.lock();
    let Some(record) = inner.refresh_tokens.get(refresh_token).cloned() else {
        return fail(
            TokenErrorCode::TokenExpired,
            "refresh token is not known (expired or revoked); log in again",
        );
    };
    let Some(session) = inner.sessions.get(&record.session_id).cloned() else {
        return fail(
            TokenErrorCode::TokenExpired,
            "login session has ended; log in again",
        );
    };
    if session.client_id != client_id {
        return fail(
            TokenErrorCode::InvalidRequest,
            "clientId does not match the client the refresh token was issued to",
        );
    }
    if session.jkt != proof.jkt {
        return fail(
            TokenErrorCode::InvalidRequest,
            "invalid DPoP proof: it is not signed by the key this refresh token is bound to",
        );
    }
    if now >= session.expires_at {
        return fail(
            TokenErrorCode::TokenExpired,
            "login session has expired; log in again",
        );
    }
    if inner
        .password_changed
        .get(&session.identity)
        .is_some_and(|changed| *changed >= session.created_at)
    {
        return fail(
            TokenErrorCode::UserCredentialsChanged,
            "the password or keys of this principal changed since login; log in again",
        );
    }
    let Some(identity) = state.identity(&session.identity).cloned() else {
        return fail(
            TokenErrorCode::ServerError,
            "the identity behind this session is gone",
        );
    };
    if !inner.permissions(&identity.name).can_create_token {
        return fail(
            TokenErrorCode::InsufficientPermissions,
            format!(
                "User: {} is not authorized to perform: signin:CreateOAuth2Token. Attach the AWS \
                 managed policy SignInLocalDevelopmentAccess, then log in again.",
                identity.arn
            ),
        );
    }

    if let Some(answer) = &record.used {
        let grace = i64::try_from(state.config.refresh_grace_secs).unwrap_or(0) * 1000;
        if now - answer.used_at > grace {
            return fail(
                TokenErrorCode::TokenExpired,
                "refresh token was already used; log in again",
            );
        }
        // Within the grace window the same request gets the same answer.
        let credentials = inner.credentials.get(&answer.access_key_id).cloned();
        let Some(credentials) = credentials else {
            return fail(
                TokenErrorCode::TokenExpired,
                "refresh token was already used; log in again",
            );
        };
        let expires_in = ((credentials.expires_at - now).div_euclid(1000)).max(1);
        return Ok(json!({
            "accessToken": {
                "accessKeyId": answer.access_key_id,
                "secretAccessKey": credentials.secret_access_key,
                "sessionToken": credentials.session_token,
            },
            "tokenType": "aws_sigv4",
            "expiresIn": expires_in,
            "refreshToken": answer.next_refresh_token,
        }));
    }

    let (access_key_id, expires_in) = issue_credentials(state, &mut inner, &session, now);
    let next_refresh_token = tokens::refresh_token();
    inner.refresh_tokens.insert(
        next_refresh_token.clone(),
        RefreshRecord {
            session_id: record.session_id.clone(),
            used: None,
        },
    );
    if let Some(old) = inner.refresh_tokens.get_mut(refresh_token) {
        old.used = Some(RefreshAnswer {
            used_at: now,
            access_key_id: access_key_id.clone(),
            next_refresh_token: next_refresh_token.clone(),
        });
    }
    let credentials = inner.credentials.get(&access_key_id).cloned();
    drop(inner);
    let credentials = credentials.ok_or_else(|| TokenError {
        code: TokenErrorCode::ServerError,
        message: "credentials vanished".to_owned(),
    })?;
    Ok(json!({
        "accessToken": {
            "accessKeyId": access_key_id,
            "secretAccessKey": credentials.secret_access_key,
            "sessionToken": credentials.session_token,
        },
        "tokenType": "aws_sigv4",
        "expiresIn": expires_in,
        "refreshToken": next_refresh_token,
    }))
}

/// An ES256 JWT whose `sub` is the login session ARN.
fn id_token(
    state: &SharedState,
    session: &LoginSessionRecord,
    session_id: &str,
    client_id: &str,
    now: Millis,
) -> String {
    let account = crate::config::arn_account(&session.arn);
    let header = json!({"alg": "ES256", "typ": "JWT", "kid": "signin-mock"});
    let now_secs = now.div_euclid(1000);
    let payload = json!({
        "iss": "https://signin.aws.amazon.com",
        "sub": session.arn,
        "aud": client_id,
        "iat": now_secs,
        "auth_time": now_secs,
        "exp": session.expires_at.div_euclid(1000),
        "account_id": account,
        "signin_session": format!("arn:aws:signin:us-east-1:{account}:session/{session_id}"),
    });
    let signing_input = format!(
        "{}.{}",
        Base64UrlUnpadded::encode_string(header.to_string().as_bytes()),
        Base64UrlUnpadded::encode_string(payload.to_string().as_bytes())
    );
    let signature: p256::ecdsa::Signature = state.id_token_key.sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        Base64UrlUnpadded::encode_string(&signature.to_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn error_table_matches_protocol() {
        let rows = [
            (TokenErrorCode::InvalidRequest, 400, "INVALID_REQUEST"),
            (TokenErrorCode::TokenExpired, 401, "TOKEN_EXPIRED"),
            (TokenErrorCode::AuthcodeExpired, 401, "AUTHCODE_EXPIRED"),
            (
                TokenErrorCode::UserCredentialsChanged,
                403,
                "USER_CREDENTIALS_CHANGED",
            ),
            (
                TokenErrorCode::InsufficientPermissions,
                403,
                "INSUFFICIENT_PERMISSIONS",
            ),
            (TokenErrorCode::Throttled, 429, "INVALID_REQUEST"),
            (TokenErrorCode::ServerError, 500, "server_error"),
        ];
        for (code, status, text) in rows {
            assert_eq!(code.status().as_u16(), status);
            assert_eq!(code.code(), text);
        }
    }
}
