//! The token endpoint (`POST {base}/v1/token`): requests as data, responses
//! parsed into [`TokenOutput`] or a [`TokenError`] that says what to do.

use std::fmt;

use serde_json::{Map, Value};

use crate::dpop::DpopKey;
use crate::http::{HttpRequest, HttpResponse};
use crate::secret::SecretString;

/// The same-device client id (loopback redirect).
pub const CLIENT_ID_SAME_DEVICE: &str = "arn:aws:signin:::devtools/same-device";
/// The remote (cross-device) client id (user pastes a code).
pub const CLIENT_ID_CROSS_DEVICE: &str = "arn:aws:signin:::devtools/cross-device";

/// Builders for the two token grants.
#[derive(Debug, Clone, Copy)]
pub struct TokenRequest;

impl TokenRequest {
    /// Authorization-code grant: body
    /// `{"clientId","grantType":"authorization_code","code","codeVerifier","redirectUri"}`,
    /// signed with a DPoP proof for `token_url`.
    #[allow(clippy::too_many_arguments)]
    pub fn authorization_code(
        client_id: &str,
        code: &str,
        code_verifier: &str,
        redirect_uri: &str,
        token_url: &str,
        key: &DpopKey,
        iat: i64,
        jti: &str,
    ) -> HttpRequest {
        let mut body = Map::new();
        body.insert("clientId".into(), client_id.into());
        body.insert("grantType".into(), "authorization_code".into());
        body.insert("code".into(), code.into());
        body.insert("codeVerifier".into(), code_verifier.into());
        body.insert("redirectUri".into(), redirect_uri.into());
        build(body, token_url, key, iat, jti)
    }

    /// Refresh grant: body `{"clientId","grantType":"refresh_token","refreshToken"}`,
    /// signed by the session's DPoP key (the refresh token is bound to it).
    pub fn refresh(
        client_id: &str,
        refresh_token: &SecretString,
        token_url: &str,
        key: &DpopKey,
        iat: i64,
        jti: &str,
    ) -> HttpRequest {
        let mut body = Map::new();
        body.insert("clientId".into(), client_id.into());
        body.insert("grantType".into(), "refresh_token".into());
        body.insert("refreshToken".into(), refresh_token.expose().into());
        build(body, token_url, key, iat, jti)
    }
}

fn build(
    body: Map<String, Value>,
    token_url: &str,
    key: &DpopKey,
    iat: i64,
    jti: &str,
) -> HttpRequest {
    let proof = key.proof("POST", token_url, iat, jti);
    HttpRequest {
        method: "POST".into(),
        url: token_url.into(),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Accept".into(), "application/json".into()),
            ("DPoP".into(), proof.into_string()),
        ],
        body: serde_json::to_vec(&Value::Object(body)).unwrap_or_default(),
    }
}

/// A successful token response.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenOutput {
    /// `accessToken.accessKeyId`
    pub access_key_id: String,
    /// `accessToken.secretAccessKey`
    pub secret_access_key: SecretString,
    /// `accessToken.sessionToken`
    pub session_token: SecretString,
    /// `tokenType` (`aws_sigv4`); defaults to that when absent.
    pub token_type: String,
    /// `expiresIn`, seconds.
    pub expires_in: u64,
    /// `refreshToken`, rotated on every call.
    pub refresh_token: SecretString,
    /// `idToken`, only on the authorization-code grant.
    pub id_token: Option<SecretString>,
}

impl fmt::Debug for TokenOutput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenOutput")
            .field("access_key_id", &self.access_key_id)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .finish_non_exhaustive()
    }
}

const RELOGIN: &str = "Log in again to start a new session.";

/// Everything that can go wrong at the token endpoint, one variant per row of
/// the service's error table plus transport-level surprises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// 400 `INVALID_REQUEST` (and other 4xx validation codes).
    #[error("the sign-in service rejected the request ({code}: {message}). If this keeps happening, log in again.")]
    InvalidRequest {
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
    },
    /// 401 `TOKEN_EXPIRED`: the refresh token or the session expired.
    #[error("your login session has expired ({message}). {RELOGIN}")]
    TokenExpired {
        /// The service's message.
        message: String,
    },
    /// 401 `AUTHCODE_EXPIRED`: the authorization code is too old or was reused.
    #[error("the authorization code expired or was already used ({message}). {RELOGIN}")]
    AuthCodeExpired {
        /// The service's message.
        message: String,
    },
    /// 403 `USER_CREDENTIALS_CHANGED`: password or keys changed since login.
    #[error("your password or access keys changed since you logged in ({message}). {RELOGIN}")]
    UserCredentialsChanged {
        /// The service's message.
        message: String,
    },
    /// 403 `INSUFFICIENT_PERMISSIONS`: the principal may not call the token API.
    #[error("your IAM principal is not allowed to call `signin:CreateOAuth2Token` ({message}). Ask an administrator to attach the AWS managed policy `SignInLocalDevelopmentAccess` (or a policy allowing `signin:AuthorizeOAuth2Access` and `signin:CreateOAuth2Token`), then log in again.")]
    InsufficientPermissions {
        /// The service's message.
        message: String,
    },
    /// 429: throttled; retry with backoff.
    #[error("the sign-in service is throttling requests ({message}); retry in a moment.")]
    Throttled {
        /// The service's message.
        message: String,
    },
    /// 5xx: a service fault; retry with backoff.
    #[error("the sign-in service had a temporary problem (HTTP {status}, {code}: {message}); retry in a moment.")]
    ServerError {
        /// HTTP status.
        status: u16,
        /// The service's error code, or `unknown`.
        code: String,
        /// The service's message, or a body excerpt.
        message: String,
    },
    /// A status the protocol does not use, without a known error code.
    #[error("unexpected HTTP {status} from the sign-in token endpoint ({detail}). Check the endpoint (region, AWS_ENDPOINT_URL_SIGNIN, proxy settings) and try again.")]
    UnexpectedStatus {
        /// HTTP status.
        status: u16,
        /// Error code and message, or a short excerpt of the body.
        detail: String,
    },
    /// A success status whose body is not JSON.
    #[error("the sign-in token endpoint answered HTTP {status} with a body that is not JSON (starts with {excerpt:?}). Check the endpoint and proxy settings.")]
    NotJson {
        /// HTTP status.
        status: u16,
        /// The first characters of the body.
        excerpt: String,
    },
    /// A success response without a required field.
    #[error("the sign-in token response has no `{0}`. The service may have changed or a proxy altered the reply; try again, then log in again.")]
    MissingField(&'static str),
    /// A success response with a field of the wrong type or value.
    #[error("the sign-in token response has an invalid `{field}` ({reason}). Try again, then log in again.")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl TokenError {
    /// The variant's stable name: what the shared fixtures and the Python and Node bindings
    /// report as the error kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidRequest { .. } => "InvalidRequest",
            Self::TokenExpired { .. } => "TokenExpired",
            Self::AuthCodeExpired { .. } => "AuthCodeExpired",
            Self::UserCredentialsChanged { .. } => "UserCredentialsChanged",
            Self::InsufficientPermissions { .. } => "InsufficientPermissions",
            Self::Throttled { .. } => "Throttled",
            Self::ServerError { .. } => "ServerError",
            Self::UnexpectedStatus { .. } => "UnexpectedStatus",
            Self::NotJson { .. } => "NotJson",
            Self::MissingField(_) => "MissingField",
            Self::InvalidField { .. } => "InvalidField",
        }
    }
}

impl TokenError {
    /// Worth retrying with backoff (throttling, service faults).
    pub fn is_retryable(&self) -> bool {
        match self {
            TokenError::Throttled { .. } | TokenError::ServerError { .. } => true,
            TokenError::UnexpectedStatus { status, .. } => *status == 408 || *status >= 500,
            _ => false,
        }
    }

    /// The session is over; only a new login helps.
    pub fn needs_login(&self) -> bool {
        matches!(
            self,
            TokenError::TokenExpired { .. }
                | TokenError::AuthCodeExpired { .. }
                | TokenError::UserCredentialsChanged { .. }
        )
    }

    /// One sentence telling the user what to do next.
    pub fn user_action(&self) -> &'static str {
        match self {
            TokenError::TokenExpired { .. }
            | TokenError::AuthCodeExpired { .. }
            | TokenError::UserCredentialsChanged { .. } => RELOGIN,
            TokenError::InsufficientPermissions { .. } => {
                "Attach the AWS managed policy SignInLocalDevelopmentAccess (or allow signin:AuthorizeOAuth2Access and signin:CreateOAuth2Token), then log in again."
            }
            TokenError::Throttled { .. } | TokenError::ServerError { .. } => "Retry in a moment.",
            TokenError::InvalidRequest { .. } => "Log in again; if it keeps failing, check the region and endpoint settings.",
            TokenError::UnexpectedStatus { .. } | TokenError::NotJson { .. } => {
                "Check the region, AWS_ENDPOINT_URL_SIGNIN / AWS_ENDPOINT_URL and proxy settings, then try again."
            }
            TokenError::MissingField(_) | TokenError::InvalidField { .. } => "Try again; if it keeps failing, log in again.",
        }
    }

    /// The service's error code, when the response carried one.
    pub fn code(&self) -> Option<&str> {
        match self {
            TokenError::InvalidRequest { code, .. } | TokenError::ServerError { code, .. } => {
                Some(code)
            }
            TokenError::TokenExpired { .. } => Some("TOKEN_EXPIRED"),
            TokenError::AuthCodeExpired { .. } => Some("AUTHCODE_EXPIRED"),
            TokenError::UserCredentialsChanged { .. } => Some("USER_CREDENTIALS_CHANGED"),
            TokenError::InsufficientPermissions { .. } => Some("INSUFFICIENT_PERMISSIONS"),
            _ => None,
        }
    }
}

/// Parses a token endpoint response.
pub fn parse_token_response(response: &HttpResponse) -> Result<TokenOutput, TokenError> {
    let status = response.status;
    let json: Option<Value> = serde_json::from_slice(&response.body).ok();
    if (200..300).contains(&status) {
        let Some(Value::Object(body)) = json else {
            return Err(TokenError::NotJson {
                status,
                excerpt: excerpt(&response.body),
            });
        };
        return parse_success(&body);
    }
    let body = match json {
        Some(Value::Object(map)) => Some(map),
        _ => None,
    };
    Err(classify_error(status, body.as_ref(), response))
}

fn parse_success(body: &Map<String, Value>) -> Result<TokenOutput, TokenError> {
    // Some gateways wrap the payload; accept `{"tokenOutput": {...}}` too.
    if let Some(Value::Object(inner)) = body.get("tokenOutput") {
        if !body.contains_key("accessToken") {
            return parse_success(inner);
        }
    }
    let access = match body.get("accessToken") {
        Some(Value::Object(a)) => a,
        Some(_) => {
            return Err(TokenError::InvalidField {
                field: "accessToken",
                reason: "not an object",
            })
        }
        None => return Err(TokenError::MissingField("accessToken")),
    };
    let string = |map: &Map<String, Value>,
                  field: &'static str,
                  path: &'static str|
     -> Result<String, TokenError> {
        match map.get(field) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            Some(Value::String(_)) => Err(TokenError::InvalidField {
                field: path,
                reason: "empty",
            }),
            Some(_) => Err(TokenError::InvalidField {
                field: path,
                reason: "not a string",
            }),
            None => Err(TokenError::MissingField(path)),
        }
    };
    let access_key_id = string(access, "accessKeyId", "accessToken.accessKeyId")?;
    let secret_access_key = SecretString::new(string(
        access,
        "secretAccessKey",
        "accessToken.secretAccessKey",
    )?);
    let session_token =
        SecretString::new(string(access, "sessionToken", "accessToken.sessionToken")?);
    let refresh_token = SecretString::new(string(body, "refreshToken", "refreshToken")?);
    let expires_in = match body.get("expiresIn") {
        None => return Err(TokenError::MissingField("expiresIn")),
        Some(v) => positive_seconds(v).ok_or(TokenError::InvalidField {
            field: "expiresIn",
            reason: "not a positive whole number of seconds",
        })?,
    };
    let token_type = match body.get("tokenType") {
        None | Some(Value::Null) => "aws_sigv4".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            return Err(TokenError::InvalidField {
                field: "tokenType",
                reason: "not a string",
            })
        }
    };
    let id_token = match body.get("idToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(SecretString::new(s.as_str())),
        Some(_) => {
            return Err(TokenError::InvalidField {
                field: "idToken",
                reason: "not a string",
            })
        }
    };
    Ok(TokenOutput {
        access_key_id,
        secret_access_key,
        session_token,
        token_type,
        expires_in,
        refresh_token,
        id_token,
    })
}

fn positive_seconds(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return (n > 0).then_some(n);
    }
    let f = v.as_f64()?;
    // One year is far beyond any session; larger values are nonsense.
    (f.fract() == 0.0 && f > 0.0 && f <= 31_536_000.0).then_some(f as u64)
}

fn classify_error(
    status: u16,
    body: Option<&Map<String, Value>>,
    response: &HttpResponse,
) -> TokenError {
    let code = body
        .and_then(|b| {
            ["error", "__type", "code", "Code"]
                .iter()
                .find_map(|k| b.get(*k).and_then(Value::as_str))
        })
        .or_else(|| response.header("x-amzn-errortype"))
        .map(normalize_code);
    let message = body
        .and_then(|b| {
            ["message", "Message", "error_description", "errorMessage"]
                .iter()
                .find_map(|k| b.get(*k).and_then(Value::as_str))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| {
            if body.is_some() {
                "no message".to_owned()
            } else {
                excerpt(&response.body)
            }
        });
    match code.as_deref() {
        Some("TOKEN_EXPIRED") => return TokenError::TokenExpired { message },
        Some("AUTHCODE_EXPIRED") => return TokenError::AuthCodeExpired { message },
        Some("USER_CREDENTIALS_CHANGED") => return TokenError::UserCredentialsChanged { message },
        Some("INSUFFICIENT_PERMISSIONS") => return TokenError::InsufficientPermissions { message },
        Some(
            "rate_exceeded"
            | "ThrottlingException"
            | "TooManyRequestsError"
            | "TooManyRequestsException",
        ) => return TokenError::Throttled { message },
        _ => {}
    }
    match status {
        429 => TokenError::Throttled { message },
        500..=599 => TokenError::ServerError {
            status,
            code: code.unwrap_or_else(|| "unknown".to_owned()),
            message,
        },
        400..=499 if code.is_some() => TokenError::InvalidRequest {
            code: code.unwrap_or_default(),
            message,
        },
        _ => TokenError::UnexpectedStatus {
            status,
            detail: match code {
                Some(code) => format!("{code}: {message}"),
                None => message,
            },
        },
    }
}

/// `aws.signin#AccessDeniedException:http://…` → `AccessDeniedException`.
fn normalize_code(raw: &str) -> String {
    let raw = raw.split(':').next().unwrap_or(raw);
    raw.rsplit('#').next().unwrap_or(raw).trim().to_owned()
}

/// Field names whose values never reach a message. A token response cut short (a dropped
/// connection, a proxy) is not JSON but still holds the new secrets in its first bytes.
const SECRET_FIELDS: [&str; 5] = [
    "secretaccesskey",
    "sessiontoken",
    "refreshtoken",
    "idtoken",
    "identitytoken",
];

/// A short, printable excerpt of a body for error messages, ending before the first secret
/// field name (compared case-insensitively). The name is looked for in the whole body: one
/// that the length limit cuts in two would otherwise not be recognised.
fn excerpt(body: &[u8]) -> String {
    let lower = body.to_ascii_lowercase();
    let secret_at = SECRET_FIELDS
        .iter()
        .filter_map(|f| lower.windows(f.len()).position(|w| w == f.as_bytes()))
        .min();
    let end = body.len().min(120).min(secret_at.unwrap_or(usize::MAX));
    let text = String::from_utf8_lossy(&body[..end]);
    let text = match secret_at {
        Some(_) => format!("{text}…"),
        None => text.into_owned(),
    };
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "empty body".to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 200 whose body was cut short was quoted in the error message (the faults suite shows
    /// the mock's truncated body quoted up to `"accessKeyId":"ASIA`); cut a little later, the
    /// quote held the new secret access key. The `token_response` fuzz target checks the same.
    #[test]
    fn a_truncated_success_never_quotes_its_secrets() {
        for body in [
            r#"{"accessToken":{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","sessionTo"#,
            r#"{"refreshToken":"ASOR-very-secret-refresh-token-value","accessToken":{"#,
            r#"{"accessToken":{"accessKeyId":"A","SessionToken":"FwoGZXIvYXdzEXAMPLE"#,
        ] {
            let error = parse_token_response(&resp(200, body)).unwrap_err();
            let message = error.to_string();
            assert!(matches!(error, TokenError::NotJson { .. }), "{error:?}");
            for secret in ["wJalrXUtnFEMI", "ASOR-very-secret", "FwoGZXIvYXdz"] {
                assert!(!message.contains(secret), "{message}");
            }
        }
        // Found by the `token_response` fuzz target: a field name that the 120-byte limit cut
        // in two (`"sessionTok`) was not recognised, so the excerpt ran up to the limit.
        let body = format!(
            "{}\"sessionToken\":\"FwoGZXIvYXdzEXAMPLE\"",
            "x".repeat(120 - "\"sessionTok".len())
        );
        let message = parse_token_response(&resp(200, &body))
            .unwrap_err()
            .to_string();
        assert!(!message.contains("sessionTok"), "{message}");
        // A page that holds no token fields is still quoted, to show what answered.
        let message = parse_token_response(&resp(200, "<html>captive portal</html>"))
            .unwrap_err()
            .to_string();
        assert!(message.contains("captive portal"), "{message}");
    }

    fn key() -> DpopKey {
        DpopKey::from_scalar_bytes(&[7u8; 32]).unwrap()
    }

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(
            status,
            vec![("Content-Type".into(), "application/json".into())],
            body,
        )
    }

    #[test]
    fn authorization_code_request_shape() {
        let req = TokenRequest::authorization_code(
            CLIENT_ID_SAME_DEVICE,
            "the-code",
            "verifier",
            "http://127.0.0.1:53127/oauth/callback",
            "https://us-east-1.signin.aws.amazon.com/v1/token",
            &key(),
            100,
            "jti-1",
        );
        assert_eq!(req.method, "POST");
        assert_eq!(req.url, "https://us-east-1.signin.aws.amazon.com/v1/token");
        assert_eq!(req.header("content-type"), Some("application/json"));
        assert_eq!(
            String::from_utf8(req.body.clone()).unwrap(),
            r#"{"clientId":"arn:aws:signin:::devtools/same-device","grantType":"authorization_code","code":"the-code","codeVerifier":"verifier","redirectUri":"http://127.0.0.1:53127/oauth/callback"}"#
        );
        let proof = DpopProof::verify(req.header("dpop").unwrap()).unwrap();
        assert_eq!(proof.htu, req.url);
        assert_eq!(proof.jti, "jti-1");
    }

    use crate::dpop::DpopProof;

    #[test]
    fn refresh_request_shape() {
        let req = TokenRequest::refresh(
            CLIENT_ID_SAME_DEVICE,
            &"rt".into(),
            "http://127.0.0.1:9/v1/token",
            &key(),
            5,
            "j",
        );
        assert_eq!(
            String::from_utf8(req.body.clone()).unwrap(),
            r#"{"clientId":"arn:aws:signin:::devtools/same-device","grantType":"refresh_token","refreshToken":"rt"}"#
        );
    }

    #[test]
    fn success_parses() {
        let out = parse_token_response(&resp(
            200,
            r#"{"accessToken":{"accessKeyId":"ASIA1","secretAccessKey":"s","sessionToken":"t"},"tokenType":"aws_sigv4","expiresIn":900,"refreshToken":"r","idToken":"a.b.c"}"#,
        ))
        .unwrap();
        assert_eq!(out.access_key_id, "ASIA1");
        assert_eq!(out.expires_in, 900);
        assert_eq!(out.refresh_token.expose(), "r");
        assert_eq!(out.id_token.unwrap().expose(), "a.b.c");
    }

    #[test]
    fn missing_and_invalid_fields() {
        let e = parse_token_response(&resp(200, r#"{"accessToken":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t"},"expiresIn":900}"#)).unwrap_err();
        assert_eq!(e, TokenError::MissingField("refreshToken"));
        let e = parse_token_response(&resp(200, r#"{"accessToken":{"accessKeyId":"A","sessionToken":"t"},"expiresIn":900,"refreshToken":"r"}"#)).unwrap_err();
        assert_eq!(e, TokenError::MissingField("accessToken.secretAccessKey"));
        let e = parse_token_response(&resp(200, r#"{"accessToken":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t"},"expiresIn":-1,"refreshToken":"r"}"#)).unwrap_err();
        assert!(matches!(
            e,
            TokenError::InvalidField {
                field: "expiresIn",
                ..
            }
        ));
        let e = parse_token_response(&resp(200, "<html>")).unwrap_err();
        assert!(matches!(e, TokenError::NotJson { status: 200, .. }));
    }

    #[test]
    fn error_table() {
        let cases = [
            (400, "INVALID_REQUEST", "InvalidRequest"),
            (401, "TOKEN_EXPIRED", "TokenExpired"),
            (401, "AUTHCODE_EXPIRED", "AuthCodeExpired"),
            (403, "USER_CREDENTIALS_CHANGED", "UserCredentialsChanged"),
            (403, "INSUFFICIENT_PERMISSIONS", "InsufficientPermissions"),
            (429, "INVALID_REQUEST", "Throttled"),
            (500, "server_error", "ServerError"),
        ];
        for (status, code, want) in cases {
            let e = parse_token_response(&resp(
                status,
                &format!(r#"{{"error":"{code}","message":"m"}}"#),
            ))
            .unwrap_err();
            assert!(
                format!("{e:?}").starts_with(want),
                "{status} {code} -> {e:?}"
            );
        }
    }

    #[test]
    fn retry_and_messages() {
        let e = parse_token_response(&resp(500, r#"{"error":"server_error","message":"boom"}"#))
            .unwrap_err();
        assert!(e.is_retryable());
        let e = parse_token_response(&resp(
            429,
            r#"{"error":"INVALID_REQUEST","message":"slow down"}"#,
        ))
        .unwrap_err();
        assert!(e.is_retryable());
        let e = parse_token_response(&resp(
            403,
            r#"{"error":"INSUFFICIENT_PERMISSIONS","message":"no"}"#,
        ))
        .unwrap_err();
        assert!(!e.is_retryable());
        let text = e.to_string();
        assert!(
            text.contains("signin:CreateOAuth2Token")
                && text.contains("SignInLocalDevelopmentAccess")
        );
        let e = parse_token_response(&resp(401, r#"{"error":"TOKEN_EXPIRED","message":"x"}"#))
            .unwrap_err();
        assert!(e.needs_login());
    }

    #[test]
    fn odd_statuses_and_bodies() {
        let e = parse_token_response(&resp(502, "<html>Bad Gateway</html>")).unwrap_err();
        assert!(matches!(e, TokenError::ServerError { status: 502, .. }) && e.is_retryable());
        let e = parse_token_response(&resp(404, "not found")).unwrap_err();
        assert!(matches!(
            e,
            TokenError::UnexpectedStatus { status: 404, .. }
        ));
        let e = parse_token_response(&resp(302, "")).unwrap_err();
        assert!(matches!(
            e,
            TokenError::UnexpectedStatus { status: 302, .. }
        ));
        let mut r = resp(400, r#"{"message":"bad"}"#);
        r.headers.push((
            "x-amzn-ErrorType".into(),
            "ValidationException:http://internal".into(),
        ));
        let e = parse_token_response(&r).unwrap_err();
        assert_eq!(
            e,
            TokenError::InvalidRequest {
                code: "ValidationException".into(),
                message: "bad".into()
            }
        );
    }
}
