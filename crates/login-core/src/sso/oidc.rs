//! The SSO OIDC service (`oidc.{region}.amazonaws.com`, rest-json, unsigned):
//! `RegisterClient`, `StartDeviceAuthorization` and `CreateToken` requests as
//! botocore sends them, and their answers. Errors are named by the
//! `x-amzn-ErrorType` header (what the SDKs read), else the body's `error`.

use std::fmt;

use serde_json::{Map, Value};

use crate::http::{HttpRequest, HttpResponse};
use crate::secret::SecretString;

/// The scope `aws sso login` registers with when none is configured.
pub const DEFAULT_SCOPE: &str = "sso:account:access";
/// The redirect URI registered for PKCE: no port (RFC 8252 §7.3); the
/// authorize request and `CreateToken` use the real port.
pub const REGISTERED_REDIRECT_URI: &str = "http://127.0.0.1/oauth/callback";
/// `grantType` of the device flow.
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn json_post(url: String, body: Map<String, Value>) -> HttpRequest {
    HttpRequest {
        method: "POST".into(),
        url,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: serde_json::to_vec(&Value::Object(body)).unwrap_or_default(),
    }
}

fn endpoint(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

fn strings(items: &[String]) -> Value {
    Value::Array(items.iter().cloned().map(Value::String).collect())
}

/// `RegisterClient` for the device flow: `{"clientName", "clientType":
/// "public"}` plus `scopes` only when configured.
pub fn register_client_device(
    base: &str,
    client_name: &str,
    scopes: Option<&[String]>,
) -> HttpRequest {
    let mut body = Map::new();
    body.insert("clientName".into(), client_name.into());
    body.insert("clientType".into(), "public".into());
    if let Some(scopes) = scopes {
        body.insert("scopes".into(), strings(scopes));
    }
    json_post(endpoint(base, "/client/register"), body)
}

/// The grant types a PKCE registration asks for.
pub fn pkce_grant_types() -> Vec<String> {
    vec!["authorization_code".into(), "refresh_token".into()]
}

/// `RegisterClient` for the authorization-code flow, as botocore sends it.
pub fn register_client_pkce(
    base: &str,
    client_name: &str,
    issuer_url: &str,
    scopes: &[String],
) -> HttpRequest {
    let mut body = Map::new();
    body.insert("clientName".into(), client_name.into());
    body.insert("clientType".into(), "public".into());
    body.insert("grantTypes".into(), strings(&pkce_grant_types()));
    body.insert(
        "redirectUris".into(),
        strings(&[REGISTERED_REDIRECT_URI.to_owned()]),
    );
    body.insert("issuerUrl".into(), issuer_url.into());
    body.insert("scopes".into(), strings(scopes));
    json_post(endpoint(base, "/client/register"), body)
}

/// `StartDeviceAuthorization`.
pub fn start_device_authorization(
    base: &str,
    client_id: &str,
    client_secret: &SecretString,
    start_url: &str,
) -> HttpRequest {
    let mut body = Map::new();
    body.insert("clientId".into(), client_id.into());
    body.insert("clientSecret".into(), client_secret.expose().into());
    body.insert("startUrl".into(), start_url.into());
    json_post(endpoint(base, "/device_authorization"), body)
}

/// `CreateToken` with the device-code grant.
pub fn create_token_device(
    base: &str,
    client_id: &str,
    client_secret: &SecretString,
    device_code: &SecretString,
) -> HttpRequest {
    let mut body = Map::new();
    body.insert("grantType".into(), DEVICE_GRANT.into());
    body.insert("clientId".into(), client_id.into());
    body.insert("clientSecret".into(), client_secret.expose().into());
    body.insert("deviceCode".into(), device_code.expose().into());
    json_post(endpoint(base, "/token"), body)
}

/// `CreateToken` with the authorization-code grant (PKCE).
pub fn create_token_auth_code(
    base: &str,
    client_id: &str,
    client_secret: &SecretString,
    redirect_uri: &str,
    code_verifier: &str,
    code: &SecretString,
) -> HttpRequest {
    let mut body = Map::new();
    body.insert("grantType".into(), "authorization_code".into());
    body.insert("clientId".into(), client_id.into());
    body.insert("clientSecret".into(), client_secret.expose().into());
    body.insert("redirectUri".into(), redirect_uri.into());
    body.insert("codeVerifier".into(), code_verifier.into());
    body.insert("code".into(), code.expose().into());
    json_post(endpoint(base, "/token"), body)
}

/// `CreateToken` with the refresh grant, as the SDK token providers send it.
pub fn create_token_refresh(
    base: &str,
    client_id: &str,
    client_secret: &SecretString,
    refresh_token: &SecretString,
) -> HttpRequest {
    let mut body = Map::new();
    body.insert("grantType".into(), "refresh_token".into());
    body.insert("clientId".into(), client_id.into());
    body.insert("clientSecret".into(), client_secret.expose().into());
    body.insert("refreshToken".into(), refresh_token.expose().into());
    json_post(endpoint(base, "/token"), body)
}

/// A `RegisterClient` answer.
#[derive(Clone, PartialEq, Eq)]
pub struct RegisterClientOutput {
    /// `clientId`
    pub client_id: String,
    /// `clientSecret`
    pub client_secret: SecretString,
    /// `clientSecretExpiresAt` (epoch seconds).
    pub client_secret_expires_at: i64,
    /// `authorizationEndpoint`, when the service sends one.
    pub authorization_endpoint: Option<String>,
}

impl fmt::Debug for RegisterClientOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterClientOutput")
            .field("client_id", &self.client_id)
            .field("client_secret_expires_at", &self.client_secret_expires_at)
            .finish_non_exhaustive()
    }
}

/// A `CreateToken` answer.
#[derive(Clone, PartialEq, Eq)]
pub struct CreateTokenOutput {
    /// `accessToken`
    pub access_token: SecretString,
    /// `expiresIn` (seconds).
    pub expires_in: i64,
    /// `refreshToken`, when issued.
    pub refresh_token: Option<SecretString>,
    /// `tokenType` (`Bearer`).
    pub token_type: Option<String>,
}

impl fmt::Debug for CreateTokenOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateTokenOutput")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// The OIDC exceptions (model names), plus answers we cannot read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OidcErrorKind {
    /// `AuthorizationPendingException`: keep polling.
    AuthorizationPending,
    /// `SlowDownException`: poll 5 s slower.
    SlowDown,
    /// `ExpiredTokenException`: the device or authorization code expired.
    ExpiredToken,
    /// `AccessDeniedException`: the person denied the request.
    AccessDenied,
    /// `InvalidGrantException`: bad or expired refresh token or code (session over).
    InvalidGrant,
    /// `InvalidClientException`: the client registration is invalid or revoked.
    InvalidClient,
    /// `UnauthorizedClientException`.
    UnauthorizedClient,
    /// `UnsupportedGrantTypeException`.
    UnsupportedGrantType,
    /// `InvalidScopeException`.
    InvalidScope,
    /// `InvalidRequestException` (and `InvalidRequestRegionException`).
    InvalidRequest,
    /// `InvalidClientMetadataException` / `InvalidRedirectUriException`.
    InvalidClientMetadata,
    /// `InternalServerException` or any 5xx.
    ServerError,
    /// HTTP 429.
    Throttled,
    /// An error we do not know, or a success body we cannot read.
    Unexpected,
}

impl OidcErrorKind {
    fn from_code(code: &str) -> Option<OidcErrorKind> {
        Some(match code {
            "AuthorizationPendingException" | "authorization_pending" => Self::AuthorizationPending,
            "SlowDownException" | "slow_down" => Self::SlowDown,
            "ExpiredTokenException" | "expired_token" => Self::ExpiredToken,
            "AccessDeniedException" | "access_denied" => Self::AccessDenied,
            "InvalidGrantException" | "invalid_grant" => Self::InvalidGrant,
            "InvalidClientException" | "invalid_client" => Self::InvalidClient,
            "UnauthorizedClientException" | "unauthorized_client" => Self::UnauthorizedClient,
            "UnsupportedGrantTypeException" | "unsupported_grant_type" => {
                Self::UnsupportedGrantType
            }
            "InvalidScopeException" | "invalid_scope" => Self::InvalidScope,
            "InvalidRequestException" | "InvalidRequestRegionException" | "invalid_request" => {
                Self::InvalidRequest
            }
            "InvalidClientMetadataException"
            | "InvalidRedirectUriException"
            | "invalid_client_metadata"
            | "invalid_redirect_uri" => Self::InvalidClientMetadata,
            "InternalServerException" | "server_error" => Self::ServerError,
            _ => return None,
        })
    }

    /// A stable name (`"InvalidGrant"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::AuthorizationPending => "AuthorizationPending",
            Self::SlowDown => "SlowDown",
            Self::ExpiredToken => "ExpiredToken",
            Self::AccessDenied => "AccessDenied",
            Self::InvalidGrant => "InvalidGrant",
            Self::InvalidClient => "InvalidClient",
            Self::UnauthorizedClient => "UnauthorizedClient",
            Self::UnsupportedGrantType => "UnsupportedGrantType",
            Self::InvalidScope => "InvalidScope",
            Self::InvalidRequest => "InvalidRequest",
            Self::InvalidClientMetadata => "InvalidClientMetadata",
            Self::ServerError => "ServerError",
            Self::Throttled => "Throttled",
            Self::Unexpected => "Unexpected",
        }
    }
}

/// An error answer from the OIDC service (or one we cannot read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} (HTTP {status}{}{})", .kind.name(), code.as_deref().map(|c| format!(", {c}")).unwrap_or_default(), description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
pub struct OidcError {
    /// What it means.
    pub kind: OidcErrorKind,
    /// HTTP status.
    pub status: u16,
    /// The exception name as sent (`x-amzn-ErrorType` or body `error`).
    pub code: Option<String>,
    /// `error_description` (printable characters only, bounded).
    pub description: Option<String>,
}

impl OidcError {
    /// Worth retrying later (5xx, throttling).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            OidcErrorKind::ServerError | OidcErrorKind::Throttled
        )
    }

    fn unexpected(status: u16, description: String) -> OidcError {
        OidcError {
            kind: OidcErrorKind::Unexpected,
            status,
            code: None,
            description: Some(description),
        }
    }
}

/// `x-amzn-ErrorType: Name:http://…` or `ns#Name` → `Name` (botocore's rule).
pub(crate) fn error_type_header(response: &HttpResponse) -> Option<String> {
    let raw = response.header("x-amzn-errortype")?;
    let name = raw.split(':').next().unwrap_or(raw);
    let name = name.rsplit('#').next().unwrap_or(name).trim();
    (!name.is_empty()).then(|| printable(name))
}

/// Text from the network shown to a person: no control characters, bounded.
pub(crate) fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).take(300).collect()
}

fn body_object(response: &HttpResponse) -> Option<Map<String, Value>> {
    match serde_json::from_slice(&response.body) {
        Ok(Value::Object(map)) => Some(map),
        _ => None,
    }
}

fn classify(response: &HttpResponse) -> OidcError {
    let status = response.status;
    let body = body_object(response);
    let body_code = body
        .as_ref()
        .and_then(|b| {
            b.get("error")
                .or_else(|| b.get("code"))
                .or_else(|| b.get("Code"))
        })
        .and_then(Value::as_str)
        .map(printable);
    let code = error_type_header(response).or(body_code.clone());
    let description = body
        .as_ref()
        .and_then(|b| {
            b.get("error_description")
                .or_else(|| b.get("message"))
                .or_else(|| b.get("Message"))
        })
        .and_then(Value::as_str)
        .map(printable);
    let kind = code
        .as_deref()
        .and_then(OidcErrorKind::from_code)
        .or_else(|| body_code.as_deref().and_then(OidcErrorKind::from_code))
        .unwrap_or(if status == 429 {
            OidcErrorKind::Throttled
        } else if status >= 500 {
            OidcErrorKind::ServerError
        } else {
            OidcErrorKind::Unexpected
        });
    let description = description.or_else(|| {
        (body.is_none() && !response.body.is_empty()).then(|| {
            printable(&String::from_utf8_lossy(
                &response.body[..response.body.len().min(80)],
            ))
        })
    });
    OidcError {
        kind,
        status,
        code,
        description,
    }
}

fn success_body(response: &HttpResponse) -> Result<Map<String, Value>, OidcError> {
    if !(200..300).contains(&response.status) {
        return Err(classify(response));
    }
    body_object(response).ok_or_else(|| {
        OidcError::unexpected(response.status, "the answer is not a JSON object".into())
    })
}

fn required_str(
    body: &Map<String, Value>,
    key: &'static str,
    status: u16,
) -> Result<String, OidcError> {
    match body.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(OidcError::unexpected(
            status,
            format!("the answer has no `{key}`"),
        )),
    }
}

fn optional_str(body: &Map<String, Value>, key: &str) -> Option<String> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn required_int(
    body: &Map<String, Value>,
    key: &'static str,
    status: u16,
) -> Result<i64, OidcError> {
    body.get(key)
        .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
        .ok_or_else(|| OidcError::unexpected(status, format!("the answer has no number `{key}`")))
}

/// Reads a `RegisterClient` answer.
pub fn parse_register_client(response: &HttpResponse) -> Result<RegisterClientOutput, OidcError> {
    let body = success_body(response)?;
    let status = response.status;
    Ok(RegisterClientOutput {
        client_id: required_str(&body, "clientId", status)?,
        client_secret: SecretString::new(required_str(&body, "clientSecret", status)?),
        client_secret_expires_at: required_int(&body, "clientSecretExpiresAt", status)?,
        authorization_endpoint: optional_str(&body, "authorizationEndpoint"),
    })
}

/// Reads a `CreateToken` answer (any grant).
pub fn parse_create_token(response: &HttpResponse) -> Result<CreateTokenOutput, OidcError> {
    let body = success_body(response)?;
    let status = response.status;
    let expires_in = required_int(&body, "expiresIn", status)?;
    if expires_in <= 0 {
        return Err(OidcError::unexpected(
            status,
            "`expiresIn` is not positive".into(),
        ));
    }
    Ok(CreateTokenOutput {
        access_token: SecretString::new(required_str(&body, "accessToken", status)?),
        expires_in,
        refresh_token: optional_str(&body, "refreshToken").map(SecretString::new),
        token_type: optional_str(&body, "tokenType"),
    })
}

/// A `StartDeviceAuthorization` answer.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceAuthorizationOutput {
    /// `deviceCode` (secret: it redeems the token).
    pub device_code: SecretString,
    /// `userCode` (`XXXX-XXXX`), shown to the person.
    pub user_code: String,
    /// `verificationUri`
    pub verification_uri: String,
    /// `verificationUriComplete` (the code filled in).
    pub verification_uri_complete: Option<String>,
    /// `expiresIn` seconds.
    pub expires_in: i64,
    /// `interval` seconds between polls, when given.
    pub interval: Option<i64>,
}

impl fmt::Debug for DeviceAuthorizationOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorizationOutput")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// Reads a `StartDeviceAuthorization` answer.
pub fn parse_device_authorization(
    response: &HttpResponse,
) -> Result<DeviceAuthorizationOutput, OidcError> {
    let body = success_body(response)?;
    let status = response.status;
    Ok(DeviceAuthorizationOutput {
        device_code: SecretString::new(required_str(&body, "deviceCode", status)?),
        user_code: printable(&required_str(&body, "userCode", status)?),
        verification_uri: printable(&required_str(&body, "verificationUri", status)?),
        verification_uri_complete: optional_str(&body, "verificationUriComplete")
            .map(|s| printable(&s)),
        expires_in: required_int(&body, "expiresIn", status)?,
        interval: body
            .get("interval")
            .and_then(Value::as_i64)
            .filter(|i| *i > 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &HttpRequest) -> Value {
        serde_json::from_slice(&r.body).unwrap()
    }

    #[test]
    fn requests_match_botocore() {
        let r = register_client_pkce(
            "http://127.0.0.1:9/",
            "botocore-client-my-sso",
            "https://d-1.awsapps.com/start",
            &[DEFAULT_SCOPE.to_owned()],
        );
        assert_eq!(r.url, "http://127.0.0.1:9/client/register");
        assert_eq!(
            String::from_utf8(r.body.clone()).unwrap(),
            r#"{"clientName":"botocore-client-my-sso","clientType":"public","grantTypes":["authorization_code","refresh_token"],"redirectUris":["http://127.0.0.1/oauth/callback"],"issuerUrl":"https://d-1.awsapps.com/start","scopes":["sso:account:access"]}"#
        );
        let r = register_client_device("http://h", "botocore-client-s", None);
        assert_eq!(
            body(&r),
            serde_json::json!({"clientName": "botocore-client-s", "clientType": "public"})
        );
        let r = create_token_refresh("http://h", "cid", &"sec".into(), &"rt".into());
        assert_eq!(r.url, "http://h/token");
        assert_eq!(
            body(&r),
            serde_json::json!({"grantType": "refresh_token", "clientId": "cid", "clientSecret": "sec", "refreshToken": "rt"})
        );
        assert!(!format!("{r:?}").contains("sec"));
    }

    #[test]
    fn errors_come_from_the_header_first() {
        let resp = HttpResponse::new(
            400,
            vec![(
                "x-amzn-ErrorType".into(),
                "AuthorizationPendingException:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/".into(),
            )],
            r#"{"error":"authorization_pending","error_description":"Authorization is still pending"}"#,
        );
        let e = parse_create_token(&resp).unwrap_err();
        assert_eq!(e.kind, OidcErrorKind::AuthorizationPending);
        assert_eq!(e.code.as_deref(), Some("AuthorizationPendingException"));
        let resp = HttpResponse::new(401, vec![], r#"{"error":"invalid_client"}"#);
        assert_eq!(
            parse_create_token(&resp).unwrap_err().kind,
            OidcErrorKind::InvalidClient
        );
        let resp = HttpResponse::new(
            400,
            vec![(
                "x-amzn-ErrorType".into(),
                "com.amazonaws#InvalidGrantException".into(),
            )],
            "",
        );
        assert_eq!(
            parse_create_token(&resp).unwrap_err().kind,
            OidcErrorKind::InvalidGrant
        );
        let resp = HttpResponse::new(503, vec![], "<html>");
        let e = parse_create_token(&resp).unwrap_err();
        assert!(
            e.is_retryable() && e.kind == OidcErrorKind::ServerError,
            "{e}"
        );
        let resp = HttpResponse::new(200, vec![], r#"{"accessToken":"a"}"#);
        assert_eq!(
            parse_create_token(&resp).unwrap_err().kind,
            OidcErrorKind::Unexpected
        );
    }

    #[test]
    fn reads_answers() {
        let resp = HttpResponse::new(
            200,
            vec![],
            r#"{"accessToken":"AT","tokenType":"Bearer","expiresIn":3600,"refreshToken":"RT"}"#,
        );
        let out = parse_create_token(&resp).unwrap();
        assert_eq!(out.expires_in, 3600);
        assert_eq!(out.refresh_token.unwrap().expose(), "RT");
        let resp = HttpResponse::new(
            200,
            vec![],
            r#"{"clientId":"c","clientSecret":"s","clientIdIssuedAt":1,"clientSecretExpiresAt":1754000000}"#,
        );
        assert_eq!(
            parse_register_client(&resp)
                .unwrap()
                .client_secret_expires_at,
            1_754_000_000
        );
        let resp = HttpResponse::new(
            200,
            vec![],
            r#"{"deviceCode":"d","userCode":"ABCD-EFGH","verificationUri":"http://v/","verificationUriComplete":"http://v/?user_code=ABCD-EFGH","expiresIn":600,"interval":1}"#,
        );
        let d = parse_device_authorization(&resp).unwrap();
        assert_eq!((d.user_code.as_str(), d.interval), ("ABCD-EFGH", Some(1)));
    }
}
