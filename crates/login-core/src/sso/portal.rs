//! The access portal (`portal.sso.{region}.amazonaws.com`, rest-json,
//! unsigned, bearer token in `x-amz-sso_bearer_token`): `GetRoleCredentials`,
//! `ListAccounts`, `ListAccountRoles` and `Logout`.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::credentials::Credentials;
use crate::http::{HttpRequest, HttpResponse};
use crate::login::percent_encode;
use crate::secret::SecretString;

use super::oidc::{error_type_header, printable};

/// The header the portal reads the access token from (with the underscore).
pub const BEARER_HEADER: &str = "x-amz-sso_bearer_token";

fn get(base: &str, path: &str, query: &[(&str, &str)], token: &SecretString) -> HttpRequest {
    let query: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    let mut url = format!("{}{path}", base.trim_end_matches('/'));
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query.join("&"));
    }
    HttpRequest {
        method: "GET".into(),
        url,
        headers: vec![(BEARER_HEADER.into(), token.expose().to_owned())],
        body: Vec::new(),
    }
}

/// `GET /federation/credentials?role_name=R&account_id=A`.
pub fn get_role_credentials(
    base: &str,
    token: &SecretString,
    account_id: &str,
    role_name: &str,
) -> HttpRequest {
    get(
        base,
        "/federation/credentials",
        &[("role_name", role_name), ("account_id", account_id)],
        token,
    )
}

/// `GET /assignment/accounts` (one page).
pub fn list_accounts(base: &str, token: &SecretString, next_token: Option<&str>) -> HttpRequest {
    let mut q = Vec::new();
    if let Some(n) = next_token {
        q.push(("next_token", n));
    }
    get(base, "/assignment/accounts", &q, token)
}

/// `GET /assignment/roles?account_id=A` (one page).
pub fn list_account_roles(
    base: &str,
    token: &SecretString,
    account_id: &str,
    next_token: Option<&str>,
) -> HttpRequest {
    let mut q = vec![("account_id", account_id)];
    if let Some(n) = next_token {
        q.push(("next_token", n));
    }
    get(base, "/assignment/roles", &q, token)
}

/// `POST /logout`.
pub fn logout(base: &str, token: &SecretString) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        url: format!("{}/logout", base.trim_end_matches('/')),
        headers: vec![(BEARER_HEADER.into(), token.expose().to_owned())],
        body: Vec::new(),
    }
}

/// The portal's exceptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PortalErrorKind {
    /// 401 `UnauthorizedException`: the access token is invalid or expired.
    Unauthorized,
    /// 403 `ForbiddenException: No access`: no such account / role assignment.
    Forbidden,
    /// 404 `ResourceNotFoundException`.
    ResourceNotFound,
    /// 400 `InvalidRequestException`.
    InvalidRequest,
    /// 429 `TooManyRequestsException`.
    TooManyRequests,
    /// 5xx.
    ServerError,
    /// Anything else, or a success body we cannot read.
    Unexpected,
}

impl PortalErrorKind {
    /// A stable name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unauthorized => "Unauthorized",
            Self::Forbidden => "Forbidden",
            Self::ResourceNotFound => "ResourceNotFound",
            Self::InvalidRequest => "InvalidRequest",
            Self::TooManyRequests => "TooManyRequests",
            Self::ServerError => "ServerError",
            Self::Unexpected => "Unexpected",
        }
    }
}

/// An error answer from the portal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} (HTTP {status}{}{})", .kind.name(), code.as_deref().map(|c| format!(", {c}")).unwrap_or_default(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
pub struct PortalError {
    /// What it means.
    pub kind: PortalErrorKind,
    /// HTTP status.
    pub status: u16,
    /// The exception name, when sent.
    pub code: Option<String>,
    /// The service's `message`.
    pub message: Option<String>,
}

impl PortalError {
    /// Worth retrying (429, 5xx).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            PortalErrorKind::TooManyRequests | PortalErrorKind::ServerError
        )
    }

    fn unexpected(status: u16, message: &str) -> PortalError {
        PortalError {
            kind: PortalErrorKind::Unexpected,
            status,
            code: None,
            message: Some(message.to_owned()),
        }
    }
}

fn classify(response: &HttpResponse) -> PortalError {
    let status = response.status;
    let body: Option<Map<String, Value>> = match serde_json::from_slice(&response.body) {
        Ok(Value::Object(m)) => Some(m),
        _ => None,
    };
    let code = error_type_header(response).or_else(|| {
        body.as_ref()
            .and_then(|b| b.get("__type").or_else(|| b.get("code")))
            .and_then(Value::as_str)
            .map(|c| printable(c.rsplit('#').next().unwrap_or(c)))
    });
    let message = body
        .as_ref()
        .and_then(|b| b.get("message").or_else(|| b.get("Message")))
        .and_then(Value::as_str)
        .map(printable);
    let by_code = code.as_deref().and_then(|c| {
        Some(match c {
            "UnauthorizedException" => PortalErrorKind::Unauthorized,
            "ForbiddenException" => PortalErrorKind::Forbidden,
            "ResourceNotFoundException" => PortalErrorKind::ResourceNotFound,
            "InvalidRequestException" => PortalErrorKind::InvalidRequest,
            "TooManyRequestsException" => PortalErrorKind::TooManyRequests,
            _ => return None,
        })
    });
    let kind = by_code.unwrap_or(match status {
        401 => PortalErrorKind::Unauthorized,
        403 => PortalErrorKind::Forbidden,
        404 => PortalErrorKind::ResourceNotFound,
        400 => PortalErrorKind::InvalidRequest,
        429 => PortalErrorKind::TooManyRequests,
        s if s >= 500 => PortalErrorKind::ServerError,
        _ => PortalErrorKind::Unexpected,
    });
    PortalError {
        kind,
        status,
        code,
        message,
    }
}

fn success_body(response: &HttpResponse) -> Result<Map<String, Value>, PortalError> {
    if !(200..300).contains(&response.status) {
        return Err(classify(response));
    }
    match serde_json::from_slice(&response.body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(PortalError::unexpected(
            response.status,
            "the answer is not a JSON object",
        )),
    }
}

/// Reads a `GetRoleCredentials` answer (`expiration` is epoch milliseconds).
pub fn parse_role_credentials(
    response: &HttpResponse,
    account_id: &str,
) -> Result<Credentials, PortalError> {
    let body = success_body(response)?;
    let status = response.status;
    let Some(Value::Object(rc)) = body.get("roleCredentials") else {
        return Err(PortalError::unexpected(
            status,
            "the answer has no `roleCredentials`",
        ));
    };
    let field = |k: &str| {
        rc.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let (Some(akid), Some(secret), Some(token)) = (
        field("accessKeyId"),
        field("secretAccessKey"),
        field("sessionToken"),
    ) else {
        return Err(PortalError::unexpected(
            status,
            "`roleCredentials` lacks accessKeyId, secretAccessKey or sessionToken",
        ));
    };
    let millis = rc
        .get("expiration")
        .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
        .ok_or_else(|| PortalError::unexpected(status, "`roleCredentials` has no `expiration`"))?;
    // botocore keeps whole seconds (`strftime('%Y-%m-%dT%H:%M:%SZ')`).
    let expiration = OffsetDateTime::from_unix_timestamp(millis.div_euclid(1000))
        .map_err(|_| PortalError::unexpected(status, "`expiration` is out of range"))?;
    Ok(Credentials {
        access_key_id: akid,
        secret_access_key: SecretString::new(secret),
        session_token: SecretString::new(token),
        expiration,
        account_id: Some(account_id.to_owned()),
    })
}

/// One account from `ListAccounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// `accountId`
    pub account_id: String,
    /// `accountName`
    pub account_name: Option<String>,
    /// `emailAddress`
    pub email_address: Option<String>,
}

impl AccountInfo {
    /// How `aws configure sso` shows it: `{accountName}, {emailAddress} ({accountId})`.
    pub fn display(&self) -> String {
        format!(
            "{}, {} ({})",
            self.account_name.as_deref().unwrap_or(""),
            self.email_address.as_deref().unwrap_or(""),
            self.account_id
        )
    }

    /// AWS CLI's order: accountName, then emailAddress, then accountId, case-insensitive.
    pub fn sort(accounts: &mut [AccountInfo]) {
        let key = |a: &AccountInfo| {
            (
                a.account_name.as_deref().unwrap_or("").to_lowercase(),
                a.email_address.as_deref().unwrap_or("").to_lowercase(),
                a.account_id.to_lowercase(),
            )
        };
        accounts.sort_by_key(key);
    }
}

/// One role from `ListAccountRoles`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInfo {
    /// `roleName`
    pub role_name: String,
    /// `accountId`
    pub account_id: String,
}

fn next_token(body: &Map<String, Value>) -> Option<String> {
    body.get("nextToken")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn opt(v: &Map<String, Value>, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(printable)
}

/// Reads one `ListAccounts` page: the accounts and the next page's token.
pub fn parse_accounts(
    response: &HttpResponse,
) -> Result<(Vec<AccountInfo>, Option<String>), PortalError> {
    let body = success_body(response)?;
    let list = body
        .get("accountList")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let Value::Object(a) = item else { continue };
        let Some(id) = opt(&a, "accountId") else {
            continue;
        };
        out.push(AccountInfo {
            account_id: id,
            account_name: opt(&a, "accountName"),
            email_address: opt(&a, "emailAddress"),
        });
    }
    Ok((out, next_token(&body)))
}

/// Reads one `ListAccountRoles` page.
pub fn parse_roles(
    response: &HttpResponse,
) -> Result<(Vec<RoleInfo>, Option<String>), PortalError> {
    let body = success_body(response)?;
    let list = body
        .get("roleList")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let Value::Object(r) = item else { continue };
        let Some(name) = opt(&r, "roleName") else {
            continue;
        };
        out.push(RoleInfo {
            role_name: name,
            account_id: opt(&r, "accountId").unwrap_or_default(),
        });
    }
    Ok((out, next_token(&body)))
}

/// Checks a `Logout` answer.
pub fn parse_logout(response: &HttpResponse) -> Result<(), PortalError> {
    if (200..300).contains(&response.status) {
        Ok(())
    } else {
        Err(classify(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn get_role_credentials_request_and_answer() {
        let r = get_role_credentials("http://p/", &"TOK".into(), "111122223333", "Read Only");
        assert_eq!(
            r.url,
            "http://p/federation/credentials?role_name=Read%20Only&account_id=111122223333"
        );
        assert_eq!(r.header("x-amz-sso_bearer_token"), Some("TOK"));
        assert!(!format!("{r:?}").contains("TOK\""));
        let resp = HttpResponse::new(
            200,
            vec![],
            r#"{"roleCredentials":{"accessKeyId":"ASIA1","secretAccessKey":"s","sessionToken":"t","expiration":1735790645123}}"#,
        );
        let c = parse_role_credentials(&resp, "111122223333").unwrap();
        assert_eq!(c.expiration, datetime!(2025-01-02 04:04:05 UTC));
        assert_eq!(c.account_id.as_deref(), Some("111122223333"));
    }

    #[test]
    fn errors() {
        let resp = HttpResponse::new(
            403,
            vec![("x-amzn-ErrorType".into(), "ForbiddenException".into())],
            r#"{"message":"No access"}"#,
        );
        let e = parse_role_credentials(&resp, "1").unwrap_err();
        assert_eq!(e.kind, PortalErrorKind::Forbidden);
        assert_eq!(e.message.as_deref(), Some("No access"));
        let resp = HttpResponse::new(
            401,
            vec![],
            r#"{"message":"Session token not found or invalid"}"#,
        );
        assert_eq!(
            parse_role_credentials(&resp, "1").unwrap_err().kind,
            PortalErrorKind::Unauthorized
        );
        let resp = HttpResponse::new(429, vec![], "");
        assert!(parse_accounts(&resp).unwrap_err().is_retryable());
    }

    #[test]
    fn accounts_sort_like_the_cli() {
        let resp = HttpResponse::new(
            200,
            vec![],
            r#"{"nextToken":"n2","accountList":[{"accountId":"2","accountName":"beta","emailAddress":"b@x"},{"accountId":"1","accountName":"Alpha","emailAddress":"a@x"}]}"#,
        );
        let (mut accounts, next) = parse_accounts(&resp).unwrap();
        assert_eq!(next.as_deref(), Some("n2"));
        AccountInfo::sort(&mut accounts);
        assert_eq!(accounts[0].display(), "Alpha, a@x (1)");
        let r = list_account_roles("http://p", &"T".into(), "1", Some("n/2"));
        assert_eq!(
            r.url,
            "http://p/assignment/roles?account_id=1&next_token=n%2F2"
        );
    }
}
