//! The IAM Identity Center portal (`sso`, rest-json, bearer token in `x-amz-sso_bearer_token`):
//! `GetRoleCredentials`, `ListAccounts`, `ListAccountRoles` (paginated with
//! `next_token`/`max_result`) and `Logout`. Role credentials are real mock credentials: this
//! server's STS verifies their SigV4 signatures.

use std::collections::HashMap;

use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{json, Value};

use crate::sso::{json_response, secs_to_ms};
use crate::state::{bump, tokens, IssuedCredentials, Millis, SharedState};

const DEFAULT_PAGE: usize = 20;

#[derive(Debug)]
pub(crate) struct PortalError {
    status: StatusCode,
    exception: &'static str,
    message: String,
}

fn fail<T>(
    status: u16,
    exception: &'static str,
    message: impl Into<String>,
) -> Result<T, PortalError> {
    Err(PortalError {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        exception,
        message: message.into(),
    })
}

pub(crate) fn portal_error_response(
    status: StatusCode,
    exception: &str,
    message: &str,
) -> Response {
    let mut response = json_response(status, &json!({ "message": message }));
    if let Ok(value) = HeaderValue::from_str(exception) {
        response.headers_mut().insert("x-amzn-ErrorType", value);
    }
    response
}

fn unauthorized<T>() -> Result<T, PortalError> {
    fail(
        401,
        "UnauthorizedException",
        "Session token not found or invalid",
    )
}

fn respond(
    state: &SharedState,
    operation: &str,
    result: Result<Option<Value>, PortalError>,
) -> Response {
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) => e.exception,
    };
    bump(&mut state.lock().stats.sso_portal, operation, outcome);
    match result {
        Ok(Some(body)) => json_response(StatusCode::OK, &body),
        Ok(None) => {
            let mut response = StatusCode::OK.into_response();
            crate::token::add_request_id(response.headers_mut());
            response
        }
        Err(e) => {
            tracing::info!(operation, exception = e.exception, message = %e.message, "sso portal refused");
            portal_error_response(e.status, e.exception, &e.message)
        }
    }
}

fn query_map(uri: &axum::http::Uri) -> Result<HashMap<String, String>, PortalError> {
    let mut map = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if map.insert(key.to_string(), value.to_string()).is_some() {
            return fail(400, "InvalidRequestException", format!("{key} is repeated"));
        }
    }
    Ok(map)
}

/// The signed-in user behind the bearer token.
fn user_of(state: &SharedState, headers: &HeaderMap, now: Millis) -> Result<String, PortalError> {
    let mut tokens = headers.get_all("x-amz-sso_bearer_token").iter();
    let (Some(token), None) = (tokens.next(), tokens.next()) else {
        return unauthorized();
    };
    let Ok(token) = token.to_str() else {
        return unauthorized();
    };
    let inner = state.lock();
    match inner.sso.signed_in(token, now) {
        Some(sign_in) => Ok(sign_in.user.clone()),
        None => unauthorized(),
    }
}

/// `next_token` is opaque to clients: the offset, bound to the list it pages through.
fn page_token(list: &str, offset: usize) -> String {
    Base64UrlUnpadded::encode_string(format!("{list}|{offset}").as_bytes())
}

/// One page of `items` as `{field: [...], "nextToken": ...}` (no `nextToken` on the last page).
fn page(
    query: &HashMap<String, String>,
    list: &str,
    field: &str,
    items: &[Value],
) -> Result<Value, PortalError> {
    let len = items.len();
    let size = match query.get("max_result") {
        None => DEFAULT_PAGE,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return fail(
                    400,
                    "InvalidRequestException",
                    format!("maxResults must be between 1 and 100, got {v}"),
                )
            }
        },
    };
    let offset = match query.get("next_token") {
        None => 0,
        Some(t) => {
            let decoded = Base64UrlUnpadded::decode_vec(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok());
            let offset = decoded.and_then(|d| {
                let (l, o) = d.rsplit_once('|')?;
                (l == list).then(|| o.parse::<usize>().ok()).flatten()
            });
            match offset {
                Some(o) if o > 0 && o < len => o,
                _ => return fail(400, "InvalidRequestException", "Invalid nextToken"),
            }
        }
    };
    let end = (offset + size).min(len);
    let mut body = json!({ field: items[offset..end] });
    if end < len {
        body["nextToken"] = json!(page_token(list, end));
    }
    Ok(body)
}

pub(crate) async fn list_accounts(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let result = (|| {
        let now = state.now_ms();
        let query = query_map(&uri)?;
        let user = user_of(&state, &headers, now)?;
        let assigned: Vec<&str> = state
            .config
            .sso
            .user(&user)
            .map(|u| {
                u.assignments
                    .iter()
                    .map(|a| a.account_id.as_str())
                    .collect()
            })
            .unwrap_or_default();
        let accounts: Vec<Value> = state
            .config
            .sso
            .accounts
            .iter()
            .filter(|a| assigned.contains(&a.account_id.as_str()))
            .map(|a| {
                json!({
                    "accountId": a.account_id,
                    "accountName": a.account_name,
                    "emailAddress": a.email_address,
                })
            })
            .collect();
        let list = format!("accounts:{user}");
        Ok(Some(page(&query, &list, "accountList", &accounts)?))
    })();
    respond(&state, "ListAccounts", result)
}

fn required_param<'a>(
    query: &'a HashMap<String, String>,
    name: &str,
) -> Result<&'a str, PortalError> {
    match query.get(name).map(String::as_str) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => fail(
            400,
            "InvalidRequestException",
            format!("{name} is required"),
        ),
    }
}

pub(crate) async fn list_account_roles(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let result = (|| {
        let now = state.now_ms();
        let query = query_map(&uri)?;
        let user = user_of(&state, &headers, now)?;
        let account_id = required_param(&query, "account_id")?;
        let roles: Vec<Value> = state
            .config
            .sso
            .user(&user)
            .map(|u| {
                u.assignments
                    .iter()
                    .filter(|a| a.account_id == account_id)
                    .map(|a| json!({"roleName": a.role_name, "accountId": a.account_id}))
                    .collect()
            })
            .unwrap_or_default();
        let list = format!("roles:{user}:{account_id}");
        Ok(Some(page(&query, &list, "roleList", &roles)?))
    })();
    respond(&state, "ListAccountRoles", result)
}

/// The reserved IAM role IAM Identity Center provisions for a permission set.
fn reserved_role_name(account_id: &str, role_name: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{account_id}/{role_name}").as_bytes());
    format!("AWSReservedSSO_{role_name}_{}", hex::encode(&digest[..8]))
}

pub(crate) async fn get_role_credentials(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let result = (|| {
        let now = state.now_ms();
        let query = query_map(&uri)?;
        let user = user_of(&state, &headers, now)?;
        let role_name = required_param(&query, "role_name")?;
        let account_id = required_param(&query, "account_id")?;
        let assigned = state.config.sso.user(&user).is_some_and(|u| {
            u.assignments
                .iter()
                .any(|a| a.account_id == account_id && a.role_name == role_name)
        });
        if !assigned {
            return fail(403, "ForbiddenException", "No access");
        }
        let reserved = reserved_role_name(account_id, role_name);
        let expires_at = now + secs_to_ms(state.config.sso.role_credentials_lifetime_secs);
        let access_key_id = tokens::access_key_id();
        let issued = IssuedCredentials {
            secret_access_key: tokens::secret_access_key(),
            session_token: tokens::session_token(),
            expires_at,
            arn: format!("arn:aws:sts::{account_id}:assumed-role/{reserved}/{user}"),
            user_id: format!("{}:{user}", tokens::unique_id("AROA", &reserved)),
            identity: format!("sso:{user}"),
            from_assume_role: false,
            role_arn: Some(format!(
                "arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/{reserved}"
            )),
            mfa_authenticated: false,
        };
        let body = json!({
            "roleCredentials": {
                "accessKeyId": access_key_id,
                "secretAccessKey": issued.secret_access_key,
                "sessionToken": issued.session_token,
                "expiration": expires_at,
            }
        });
        state.lock().credentials.insert(access_key_id, issued);
        Ok(Some(body))
    })();
    respond(&state, "GetRoleCredentials", result)
}

/// Ends the sign-in behind the token: its access tokens and refresh tokens stop working.
pub(crate) async fn logout(State(state): State<SharedState>, headers: HeaderMap) -> Response {
    let result = (|| {
        let now = state.now_ms();
        user_of(&state, &headers, now)?;
        let token = headers
            .get("x-amz-sso_bearer_token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut inner = state.lock();
        let sign_in = inner
            .sso
            .access_tokens
            .get(token)
            .map(|t| t.sign_in.clone());
        if let Some(s) = sign_in.and_then(|id| inner.sso.sign_ins.get_mut(&id)) {
            s.revoked = true;
        }
        Ok(None)
    })();
    respond(&state, "Logout", result)
}
