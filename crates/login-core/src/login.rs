//! The login exchange: PKCE, the authorize URL, the browser callback or the
//! pasted remote code, the id token, and the state machine tying them up.
//!
//! ```text
//! LoginFlow::start(params, rng)      → open / print flow.authorize_url()
//! flow.on_callback(query)            → TokenExchange   (same device)
//! flow.on_remote_code(pasted)        → TokenExchange   (--remote)
//! exchange.request(iat, jti)         → HttpRequest     (again per retry)
//! exchange.on_response(&resp, now)   → LoggedIn { entry, session, credentials }
//! ```

use std::fmt;

use base64ct::{Base64Unpadded, Base64UrlUnpadded, Encoding};
use rand_core::CryptoRngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::cache::{cache_file_name, CacheEntry};
use crate::credentials::Credentials;
use crate::dpop::DpopKey;
use crate::endpoint::Endpoint;
use crate::http::{HttpRequest, HttpResponse};
use crate::secret::SecretString;
use crate::token::{
    parse_token_response, TokenError, TokenRequest, CLIENT_ID_CROSS_DEVICE, CLIENT_ID_SAME_DEVICE,
};

/// The PKCE method, spelled the way the service wants it (not `S256`).
pub const CODE_CHALLENGE_METHOD: &str = "SHA-256";
/// The characters a code verifier is drawn from (RFC 7636 unreserved).
pub const VERIFIER_ALPHABET: &[u8; 66] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
/// Length of the verifiers we generate.
pub const VERIFIER_LENGTH: usize = 64;

/// A PKCE code verifier (secret until the token exchange).
#[derive(Clone, PartialEq, Eq)]
pub struct CodeVerifier(SecretString);

impl CodeVerifier {
    /// 64 characters drawn uniformly from the unreserved set.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut out = String::with_capacity(VERIFIER_LENGTH);
        let mut buf = [0u8; 96];
        while out.len() < VERIFIER_LENGTH {
            rng.fill_bytes(&mut buf);
            push_unbiased(&mut out, &buf);
        }
        zeroize::Zeroize::zeroize(&mut buf);
        CodeVerifier(SecretString::new(out))
    }

    /// The verifier the generator makes from this byte stream: each byte
    /// below 198 (= 3 × 66) picks `ALPHABET[b % 66]`, others are skipped
    /// (rejection sampling keeps it uniform). `None` if fewer than 64 bytes
    /// were accepted. Documented so other languages can reproduce fixtures.
    pub fn from_random_bytes(bytes: &[u8]) -> Option<Self> {
        let mut out = String::with_capacity(VERIFIER_LENGTH);
        push_unbiased(&mut out, bytes);
        (out.len() == VERIFIER_LENGTH).then(|| CodeVerifier(SecretString::new(out)))
    }

    /// Wraps an existing verifier after checking RFC 7636's rules
    /// (43–128 unreserved characters).
    pub fn new(verifier: &str) -> Result<Self, LoginError> {
        let ok = (43..=128).contains(&verifier.len())
            && verifier.bytes().all(|b| VERIFIER_ALPHABET.contains(&b));
        if ok {
            Ok(CodeVerifier(SecretString::new(verifier)))
        } else {
            Err(LoginError::InvalidVerifier)
        }
    }

    /// The verifier text.
    pub fn as_str(&self) -> &str {
        self.0.expose()
    }

    /// `base64url(SHA-256(verifier))` without padding (43 characters).
    pub fn challenge(&self) -> String {
        Base64UrlUnpadded::encode_string(&Sha256::digest(self.as_str().as_bytes()))
    }
}

impl fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeVerifier([redacted])")
    }
}

fn push_unbiased(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        if out.len() == VERIFIER_LENGTH {
            break;
        }
        if b < 198 {
            out.push(VERIFIER_ALPHABET[(b % 66) as usize] as char);
        }
    }
}

/// Percent-encodes everything but `A-Z a-z 0-9 - _ . ~` (uppercase hex).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The browser URL: `{authorize_endpoint}?response_type=code&client_id=…&state=…
/// &code_challenge_method=SHA-256&scope=openid&redirect_uri=…&code_challenge=…`,
/// in exactly that order and encoding.
pub fn authorize_url(
    authorize_endpoint: &str,
    client_id: &str,
    state: &str,
    code_challenge: &str,
    redirect_uri: &str,
) -> String {
    let params = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("state", state),
        ("code_challenge_method", CODE_CHALLENGE_METHOD),
        ("scope", "openid"),
        ("redirect_uri", redirect_uri),
        ("code_challenge", code_challenge),
    ];
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    format!("{authorize_endpoint}?{}", query.join("&"))
}

/// What the browser (or the pasted code) handed back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    /// The code to redeem.
    pub code: SecretString,
    /// The state that came with it (already checked).
    pub state: String,
}

/// Text from the network shown to a person: no control characters (no
/// terminal escapes), bounded length.
fn printable(s: &str) -> String {
    let cleaned: String = s.chars().filter(|c| !c.is_control()).take(300).collect();
    cleaned
}

/// Why the loopback callback could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The sign-in page returned an OAuth error instead of a code.
    #[error("sign-in was not completed: {error}{}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default(), if .error == "access_denied" { ". If you were not allowed to continue, your principal may lack `signin:AuthorizeOAuth2Access`; the AWS managed policy `SignInLocalDevelopmentAccess` grants it" } else { "" })]
    Denied {
        /// The `error` parameter (sanitized).
        error: String,
        /// The `error_description` parameter (sanitized).
        description: Option<String>,
    },
    /// `state` differs from the one we sent: a stale tab or a forged request.
    #[error("the sign-in callback's state does not match this login (a stale browser tab or a forged request); start the login again")]
    StateMismatch,
    /// No `code` parameter.
    #[error("the sign-in callback has no authorization code; start the login again")]
    MissingCode,
    /// No `state` parameter.
    #[error("the sign-in callback has no state parameter; start the login again")]
    MissingState,
    /// A parameter appears more than once.
    #[error("the sign-in callback repeats the `{0}` parameter; start the login again")]
    DuplicateParameter(&'static str),
}

impl CallbackError {
    /// The variant's stable name: what the shared fixtures and the Python and Node bindings
    /// report as the error kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Denied { .. } => "Denied",
            Self::StateMismatch => "StateMismatch",
            Self::MissingCode => "MissingCode",
            Self::MissingState => "MissingState",
            Self::DuplicateParameter(_) => "DuplicateParameter",
        }
    }
}

/// Reads the loopback callback's query (`code=…&state=…` or
/// `error=…&error_description=…`). Accepts the bare query, `?query`, a path
/// with query or a full URL.
pub fn parse_callback(
    query: &str,
    expected_state: &str,
) -> Result<AuthorizationCode, CallbackError> {
    let query = query.split_once('?').map_or(query, |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let mut code = None;
    let mut state = None;
    let mut error = None;
    let mut description = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match k.as_ref() {
            "code" => (&mut code, "code"),
            "state" => (&mut state, "state"),
            "error" => (&mut error, "error"),
            "error_description" => (&mut description, "error_description"),
            _ => continue,
        };
        if slot.0.is_some() {
            return Err(CallbackError::DuplicateParameter(slot.1));
        }
        *slot.0 = Some(v.into_owned());
    }
    if let Some(error) = error {
        // An error carrying another login's state is not ours to act on (a
        // stale tab, or a page poking the port); one without state is taken
        // at its word, since some servers leave state out of errors.
        if state
            .as_deref()
            .is_some_and(|st| !constant_time_eq(st.as_bytes(), expected_state.as_bytes()))
        {
            return Err(CallbackError::StateMismatch);
        }
        return Err(CallbackError::Denied {
            error: printable(&error),
            description: description.map(|d| printable(&d)),
        });
    }
    let state = state.ok_or(CallbackError::MissingState)?;
    if !constant_time_eq(state.as_bytes(), expected_state.as_bytes()) {
        return Err(CallbackError::StateMismatch);
    }
    let code = code
        .filter(|c| !c.is_empty())
        .ok_or(CallbackError::MissingCode)?;
    Ok(AuthorizationCode {
        code: SecretString::new(code),
        state,
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Why a pasted remote-flow code could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteCodeError {
    /// Nothing was pasted.
    #[error("no authorization code was entered; paste the code shown in your browser")]
    Empty,
    /// Not base64.
    #[error("that is not the authorization code shown in the browser (it is not base64); copy the whole code and try again")]
    NotBase64,
    /// Base64, but not a `state=…&code=…` text.
    #[error("that code does not decode to a sign-in result; copy the whole code shown in the browser and try again")]
    NotACode,
    /// The decoded text has no `code`.
    #[error("the pasted code holds no authorization code; copy the whole code and try again")]
    MissingCode,
    /// The decoded text has no `state`.
    #[error("the pasted code holds no state; copy the whole code and try again")]
    MissingState,
    /// The state belongs to another login.
    #[error("the pasted code belongs to a different login attempt (state mismatch); use the URL printed by this login")]
    StateMismatch,
}

impl RemoteCodeError {
    /// The variant's stable name: what the shared fixtures and the Python and Node bindings
    /// report as the error kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Empty => "Empty",
            Self::NotBase64 => "NotBase64",
            Self::NotACode => "NotACode",
            Self::MissingCode => "MissingCode",
            Self::MissingState => "MissingState",
            Self::StateMismatch => "StateMismatch",
        }
    }
}

/// Whether `pasted` could be the first part of a remote code that a terminal wrapped over
/// several lines (so the next line should be joined to it): base64 or base64url characters only
/// (whitespace aside), and no `=` padding, which only ever ends a code.
pub fn may_continue_remote_code(pasted: &str) -> bool {
    let mut any = false;
    for c in pasted.chars().filter(|c| !c.is_whitespace()) {
        if !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '-' | '_')) {
            return false;
        }
        any = true;
    }
    any
}

/// Decodes the remote flow's pasted code: standard base64 of
/// `state=…&code=…`. Whitespace anywhere (terminal line wraps) is ignored;
/// missing padding and the URL-safe alphabet are tolerated.
pub fn decode_remote_code(
    pasted: &str,
    expected_state: &str,
) -> Result<AuthorizationCode, RemoteCodeError> {
    let compact: String = pasted.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(RemoteCodeError::Empty);
    }
    let normalized: String = compact
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            other => other,
        })
        .collect();
    let bytes = Base64Unpadded::decode_vec(&normalized).map_err(|_| RemoteCodeError::NotBase64)?;
    let text = String::from_utf8(bytes).map_err(|_| RemoteCodeError::NotACode)?;
    if text.chars().any(char::is_control) || !text.contains('=') {
        return Err(RemoteCodeError::NotACode);
    }
    let mut code = None;
    let mut state = None;
    for (k, v) in url::form_urlencoded::parse(text.as_bytes()) {
        match k.as_ref() {
            "code" if code.is_none() => code = Some(v.into_owned()),
            "state" if state.is_none() => state = Some(v.into_owned()),
            "code" | "state" => return Err(RemoteCodeError::NotACode),
            _ => {}
        }
    }
    let state = state
        .filter(|s| !s.is_empty())
        .ok_or(RemoteCodeError::MissingState)?;
    if !constant_time_eq(state.as_bytes(), expected_state.as_bytes()) {
        return Err(RemoteCodeError::StateMismatch);
    }
    let code = code
        .filter(|c| !c.is_empty())
        .ok_or(RemoteCodeError::MissingCode)?;
    Ok(AuthorizationCode {
        code: SecretString::new(code),
        state,
    })
}

/// Why the id token or session ARN cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// Not a three-part JWT with a base64url JSON payload.
    #[error(
        "the sign-in service returned an id token that is not a JWT ({0}); try logging in again"
    )]
    Malformed(&'static str),
    /// No string `sub` claim.
    #[error("the id token has no `sub` (login session) claim; try logging in again")]
    MissingSub,
    /// `sub` is not an ARN of the expected shape.
    #[error("`{arn}` is not a login session ARN ({reason})")]
    InvalidArn {
        /// The offending text (sanitized).
        arn: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl IdTokenError {
    /// The variant's stable name: what the shared fixtures and the Python and Node bindings
    /// report as the error kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "Malformed",
            Self::MissingSub => "MissingSub",
            Self::InvalidArn { .. } => "InvalidArn",
        }
    }
}

/// The claims of a JWT, decoded without verifying the signature.
fn id_token_claims(jwt: &str) -> Result<serde_json::Map<String, Value>, IdTokenError> {
    let mut parts = jwt.trim().split('.');
    let (Some(_header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdTokenError::Malformed(
            "expected three dot-separated parts",
        ));
    };
    let bytes = Base64UrlUnpadded::decode_vec(payload.trim_end_matches('='))
        .map_err(|_| IdTokenError::Malformed("payload is not base64url"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(claims)) => Ok(claims),
        Ok(_) => Err(IdTokenError::Malformed("payload is not a JSON object")),
        Err(_) => Err(IdTokenError::Malformed("payload is not JSON")),
    }
}

/// When the user signed in, from an id token: its `auth_time` claim, else
/// `iat` (unix seconds). `None` when the token or the claims are unreadable.
/// The session ends at most 12 hours after this.
pub fn id_token_signed_in_at(jwt: &str) -> Option<OffsetDateTime> {
    let claims = id_token_claims(jwt).ok()?;
    ["auth_time", "iat"].iter().find_map(|name| {
        let v = claims.get(*name)?;
        let secs = v
            .as_i64()
            .or_else(|| v.as_f64().filter(|f| f.is_finite()).map(|f| f as i64))?;
        OffsetDateTime::from_unix_timestamp(secs).ok()
    })
}

/// A login session: the principal's ARN from the id token's `sub`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoginSession {
    arn: String,
    partition: String,
    service: String,
    region: String,
    account_id: String,
    resource: String,
}

impl LoginSession {
    /// Decodes the id token's payload (no signature check: it came over TLS
    /// straight from the token endpoint) and parses its `sub`.
    pub fn from_id_token(jwt: &str) -> Result<Self, IdTokenError> {
        let claims = id_token_claims(jwt)?;
        let sub = claims
            .get("sub")
            .and_then(Value::as_str)
            .ok_or(IdTokenError::MissingSub)?;
        Self::from_arn(sub)
    }

    /// Parses `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
    pub fn from_arn(arn: &str) -> Result<Self, IdTokenError> {
        let bad = |reason| IdTokenError::InvalidArn {
            arn: printable(arn),
            reason,
        };
        if arn.len() > 2048 || arn.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(bad(
                "contains whitespace or control characters, or is too long",
            ));
        }
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
            return Err(bad(
                "expected arn:partition:service:region:account:resource",
            ));
        };
        if *prefix != "arn" {
            return Err(bad("does not start with `arn:`"));
        }
        if partition.is_empty()
            || !partition
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'-')
        {
            return Err(bad("invalid partition"));
        }
        if service.is_empty()
            || !service
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(bad("invalid service"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("the account must be 12 digits"));
        }
        if resource.is_empty() {
            return Err(bad("empty resource"));
        }
        Ok(LoginSession {
            arn: arn.to_owned(),
            partition: (*partition).to_owned(),
            service: (*service).to_owned(),
            region: (*region).to_owned(),
            account_id: (*account).to_owned(),
            resource: (*resource).to_owned(),
        })
    }

    /// The full ARN: the value of `login_session` in the config.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// `aws`, `aws-cn`, …
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// `iam`, `sts`, …
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The ARN's region field (usually empty).
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The 12-digit account id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// `user/alice`, `assumed-role/Admin/alice`, `root`, …
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// The cache file name for this session.
    pub fn cache_file_name(&self) -> String {
        cache_file_name(&self.arn)
    }
}

impl fmt::Display for LoginSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.arn)
    }
}

/// How the authorization code comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMode {
    /// Browser on this machine, redirect to `http://127.0.0.1:{port}/oauth/callback`.
    SameDevice {
        /// The loopback port the driver already listens on.
        redirect_port: u16,
    },
    /// No browser here: the user pastes the code shown at
    /// `{base}/v1/sessions/confirmation`.
    Remote,
}

/// Anything that ends a login attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The browser callback.
    #[error(transparent)]
    Callback(#[from] CallbackError),
    /// The pasted remote code.
    #[error(transparent)]
    RemoteCode(#[from] RemoteCodeError),
    /// The token endpoint.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The id token.
    #[error(transparent)]
    IdToken(#[from] IdTokenError),
    /// The token response of the code grant had no `idToken`.
    #[error("the sign-in service did not return an id token, so the login session is unknown; try logging in again")]
    MissingIdToken,
    /// A code verifier that breaks RFC 7636.
    #[error("a PKCE code verifier must be 43-128 characters from A-Z a-z 0-9 - . _ ~")]
    InvalidVerifier,
    /// The callback arrived in remote mode or vice versa.
    #[error("this login expects {0}")]
    WrongMode(&'static str),
}

/// Inputs of a login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginParams {
    /// Where the Sign-In service is.
    pub endpoint: Endpoint,
    /// The region logged into, stored as `signInRegion` in the cache entry
    /// (botocore and the JS SDK refresh there).
    pub region: Option<String>,
    /// Same device or remote.
    pub mode: LoginMode,
}

/// A login waiting for the user to finish in the browser.
#[derive(Debug, Clone)]
pub struct LoginFlow {
    params: LoginParams,
    client_id: &'static str,
    redirect_uri: String,
    verifier: CodeVerifier,
    state: String,
    key: DpopKey,
    authorize_url: String,
}

impl LoginFlow {
    /// Starts a login. Draws from `rng`, in this order: the code verifier,
    /// 16 bytes for the UUIDv4 `state`, the DPoP key.
    pub fn start(params: LoginParams, rng: &mut impl CryptoRngCore) -> LoginFlow {
        let verifier = CodeVerifier::generate(rng);
        let mut state_bytes = [0u8; 16];
        rng.fill_bytes(&mut state_bytes);
        let state = uuid::Builder::from_random_bytes(state_bytes)
            .into_uuid()
            .to_string();
        let key = DpopKey::generate(rng);
        Self::with_parts(params, verifier, state, key)
    }

    /// Starts a login from given parts (tests, fixtures).
    pub fn with_parts(
        params: LoginParams,
        verifier: CodeVerifier,
        state: String,
        key: DpopKey,
    ) -> LoginFlow {
        let (client_id, redirect_uri) = match params.mode {
            LoginMode::SameDevice { redirect_port } => (
                CLIENT_ID_SAME_DEVICE,
                format!("http://127.0.0.1:{redirect_port}/oauth/callback"),
            ),
            LoginMode::Remote => (CLIENT_ID_CROSS_DEVICE, params.endpoint.confirmation_url()),
        };
        let authorize_url = authorize_url(
            &params.endpoint.authorize_url(),
            client_id,
            &state,
            &verifier.challenge(),
            &redirect_uri,
        );
        LoginFlow {
            params,
            client_id,
            redirect_uri,
            verifier,
            state,
            key,
            authorize_url,
        }
    }

    /// The URL to open in (or print for) the browser.
    pub fn authorize_url(&self) -> &str {
        &self.authorize_url
    }

    /// The redirect URI sent in the authorize URL and the token request.
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The `state` the callback must return.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The client id for this mode.
    pub fn client_id(&self) -> &'static str {
        self.client_id
    }

    /// Same device or remote.
    pub fn mode(&self) -> LoginMode {
        self.params.mode
    }

    /// The session's DPoP key.
    pub fn dpop_key(&self) -> &DpopKey {
        &self.key
    }

    /// Reads the loopback callback. Borrowing `self`: a stray or forged
    /// request is an error and the flow can keep waiting.
    pub fn on_callback(&self, query: &str) -> Result<TokenExchange, LoginError> {
        if self.params.mode == LoginMode::Remote {
            return Err(LoginError::WrongMode(
                "a pasted code, not a browser callback",
            ));
        }
        let code = parse_callback(query, &self.state)?;
        Ok(self.exchange(code.code))
    }

    /// Reads the code the user pasted (remote mode).
    pub fn on_remote_code(&self, pasted: &str) -> Result<TokenExchange, LoginError> {
        if self.params.mode != LoginMode::Remote {
            return Err(LoginError::WrongMode(
                "a browser callback, not a pasted code",
            ));
        }
        let code = decode_remote_code(pasted, &self.state)?;
        Ok(self.exchange(code.code))
    }

    /// Redeems an already checked authorization code.
    pub fn exchange(&self, code: SecretString) -> TokenExchange {
        TokenExchange {
            token_url: self.params.endpoint.token_url(),
            region: self.params.region.clone(),
            client_id: self.client_id,
            redirect_uri: self.redirect_uri.clone(),
            verifier: self.verifier.clone(),
            key: self.key.clone(),
            code,
        }
    }
}

/// A login with a code in hand, ready to call the token endpoint.
#[derive(Debug, Clone)]
pub struct TokenExchange {
    token_url: String,
    region: Option<String>,
    client_id: &'static str,
    redirect_uri: String,
    verifier: CodeVerifier,
    key: DpopKey,
    code: SecretString,
}

/// A finished login.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The cache entry to write to `cache_file_name(session.arn())`.
    pub entry: CacheEntry,
    /// The login session (write its ARN as `login_session` in the profile).
    pub session: LoginSession,
    /// The first credentials.
    pub credentials: Credentials,
}

impl TokenExchange {
    /// The token URL this exchange posts to.
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// The authorization-code request with a fresh DPoP proof.
    pub fn request(&self, iat: i64, jti: &str) -> HttpRequest {
        TokenRequest::authorization_code(
            self.client_id,
            self.code.expose(),
            self.verifier.as_str(),
            &self.redirect_uri,
            &self.token_url,
            &self.key,
            iat,
            jti,
        )
    }

    /// Folds in the token endpoint's answer.
    pub fn on_response(
        &self,
        response: &HttpResponse,
        now: OffsetDateTime,
    ) -> Result<LoggedIn, LoginError> {
        let output = parse_token_response(response)?;
        let id_token = output.id_token.as_ref().ok_or(LoginError::MissingIdToken)?;
        let session = LoginSession::from_id_token(id_token.expose())?;
        let entry = CacheEntry::new(
            &output,
            Some(session.account_id()),
            self.client_id,
            &self.key,
            self.region.as_deref(),
            now,
        );
        let credentials = entry.credentials();
        Ok(LoggedIn {
            entry,
            session,
            credentials,
        })
    }
}

#[cfg(test)]
mod remote_code_continuation_tests {
    use super::*;

    #[test]
    fn only_unpadded_base64_may_continue() {
        assert!(may_continue_remote_code("c3RhdGU9MGYzYzJjMWUtOGQ0Yi00YzJh"));
        assert!(may_continue_remote_code("  c3Rh-_/+ \r"));
        assert!(!may_continue_remote_code(""));
        assert!(!may_continue_remote_code("   "));
        assert!(
            !may_continue_remote_code("c3RhdGU9eA=="),
            "padding ends a code"
        );
        assert!(!may_continue_remote_code("state=abc&code=x"));
        assert!(!may_continue_remote_code("not a code!"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    struct CountingRng(u8);
    impl rand_core::RngCore for CountingRng {
        fn next_u32(&mut self) -> u32 {
            rand_core::impls::next_u32_via_fill(self)
        }
        fn next_u64(&mut self) -> u64 {
            rand_core::impls::next_u64_via_fill(self)
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for b in dest {
                self.0 = self.0.wrapping_mul(31).wrapping_add(17);
                *b = self.0;
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }
    impl rand_core::CryptoRng for CountingRng {}

    #[test]
    fn rfc7636_appendix_b_challenge() {
        let v = CodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(v.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn generated_verifier_shape() {
        let v = CodeVerifier::generate(&mut CountingRng(1));
        assert_eq!(v.as_str().len(), 64);
        assert!(v.as_str().bytes().all(|b| VERIFIER_ALPHABET.contains(&b)));
        assert_eq!(v.challenge().len(), 43);
        assert!(CodeVerifier::new("short").is_err());
        assert!(CodeVerifier::from_random_bytes(&[255u8; 200]).is_none());
        let bytes: Vec<u8> = (0..64).collect();
        assert_eq!(
            CodeVerifier::from_random_bytes(&bytes).unwrap().as_str(),
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-."
        );
    }

    #[test]
    fn authorize_url_order_and_encoding() {
        let url = authorize_url(
            "https://us-east-1.signin.aws.amazon.com/v1/authorize",
            CLIENT_ID_SAME_DEVICE,
            "0f3c2c1e-8d4b-4c2a-9a57-0d9f2b1e6a11",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "http://127.0.0.1:53127/oauth/callback",
        );
        assert_eq!(url, "https://us-east-1.signin.aws.amazon.com/v1/authorize?response_type=code&client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device&state=0f3c2c1e-8d4b-4c2a-9a57-0d9f2b1e6a11&code_challenge_method=SHA-256&scope=openid&redirect_uri=http%3A%2F%2F127.0.0.1%3A53127%2Foauth%2Fcallback&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn callback_cases() {
        let ok = parse_callback("/oauth/callback?code=abc%2Fd&state=s1", "s1").unwrap();
        assert_eq!(ok.code.expose(), "abc/d");
        assert_eq!(
            parse_callback("code=a&state=s2", "s1"),
            Err(CallbackError::StateMismatch)
        );
        assert_eq!(
            parse_callback("code=a", "s1"),
            Err(CallbackError::MissingState)
        );
        assert_eq!(
            parse_callback("state=s1", "s1"),
            Err(CallbackError::MissingCode)
        );
        assert_eq!(
            parse_callback("code=a&code=b&state=s1", "s1"),
            Err(CallbackError::DuplicateParameter("code"))
        );
        let denied = parse_callback(
            "?error=access_denied&error_description=no%1b[31m&state=s1",
            "s1",
        )
        .unwrap_err();
        assert_eq!(
            denied,
            CallbackError::Denied {
                error: "access_denied".into(),
                description: Some("no[31m".into())
            }
        );
        assert!(denied.to_string().contains("SignInLocalDevelopmentAccess"));
    }

    #[test]
    fn remote_code_cases() {
        let encoded = base64ct::Base64::encode_string(b"state=s1&code=the-code");
        let wrapped = format!("  {}\r\n{}\n", &encoded[..10], &encoded[10..]);
        assert_eq!(
            decode_remote_code(&wrapped, "s1").unwrap().code.expose(),
            "the-code"
        );
        assert_eq!(
            decode_remote_code(&encoded, "s2"),
            Err(RemoteCodeError::StateMismatch)
        );
        assert_eq!(decode_remote_code("   ", "s1"), Err(RemoteCodeError::Empty));
        assert_eq!(
            decode_remote_code("!!!", "s1"),
            Err(RemoteCodeError::NotBase64)
        );
        let no_code = base64ct::Base64::encode_string(b"state=s1");
        assert_eq!(
            decode_remote_code(&no_code, "s1"),
            Err(RemoteCodeError::MissingCode)
        );
        let garbage = base64ct::Base64::encode_string(&[0xff, 0xfe, 0x00]);
        assert_eq!(
            decode_remote_code(&garbage, "s1"),
            Err(RemoteCodeError::NotACode)
        );
    }

    fn jwt(payload: &str) -> String {
        format!(
            "eyJhbGciOiJub25lIn0.{}.sig",
            Base64UrlUnpadded::encode_string(payload.as_bytes())
        )
    }

    #[test]
    fn signed_in_at_from_claims() {
        let at = |claims: &str| id_token_signed_in_at(&jwt(claims)).map(|t| t.unix_timestamp());
        assert_eq!(
            at(r#"{"auth_time":1700000000,"iat":1700000100}"#),
            Some(1_700_000_000)
        );
        assert_eq!(at(r#"{"iat":1700000100}"#), Some(1_700_000_100));
        assert_eq!(at(r#"{"iat":1700000100.5}"#), Some(1_700_000_100));
        assert_eq!(at(r#"{"auth_time":"soon"}"#), None);
        assert_eq!(at(r#"{"sub":"x"}"#), None);
        assert_eq!(id_token_signed_in_at("garbage"), None);
    }

    #[test]
    fn id_token_to_session() {
        let s = LoginSession::from_id_token(&jwt(
            r#"{"sub":"arn:aws:sts::012345678910:assumed-role/Admin/admin"}"#,
        ))
        .unwrap();
        assert_eq!(s.account_id(), "012345678910");
        assert_eq!(s.partition(), "aws");
        assert_eq!(s.service(), "sts");
        assert_eq!(s.resource(), "assumed-role/Admin/admin");
        assert_eq!(
            s.cache_file_name(),
            "4b0ba8f99f075c0633e122fd73346ce203a3faf18ea0310eb2d29df1bab2e255.json"
        );
        assert!(matches!(
            LoginSession::from_id_token("a.b"),
            Err(IdTokenError::Malformed(_))
        ));
        assert_eq!(
            LoginSession::from_id_token(&jwt(r#"{"x":1}"#)),
            Err(IdTokenError::MissingSub)
        );
        assert!(matches!(
            LoginSession::from_id_token(&jwt(r#"{"sub":"arn:aws:iam::12:user/a"}"#)),
            Err(IdTokenError::InvalidArn { .. })
        ));
        assert!(LoginSession::from_arn("arn:aws-cn:iam::123456789012:root").is_ok());
        assert!(LoginSession::from_arn("urn:aws:iam::123456789012:root").is_err());
    }

    #[test]
    fn full_same_device_flow() {
        let endpoint = Endpoint::from_override("http://127.0.0.1:9000").unwrap();
        let params = LoginParams {
            endpoint,
            region: Some("us-east-1".into()),
            mode: LoginMode::SameDevice {
                redirect_port: 4321,
            },
        };
        let flow = LoginFlow::start(params, &mut CountingRng(7));
        assert!(flow.authorize_url().starts_with("http://127.0.0.1:9000/v1/authorize?response_type=code&client_id=arn%3Aaws%3Asignin%3A%3A%3Adevtools%2Fsame-device&state="));
        assert!(flow.on_callback("code=x&state=wrong").is_err());
        let exchange = flow
            .on_callback(&format!("code=the-code&state={}", flow.state()))
            .unwrap();
        let req = exchange.request(1_700_000_000, "jti");
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["redirectUri"], "http://127.0.0.1:4321/oauth/callback");
        assert_eq!(body["code"], "the-code");
        let challenge = CodeVerifier::new(body["codeVerifier"].as_str().unwrap())
            .unwrap()
            .challenge();
        assert!(flow
            .authorize_url()
            .ends_with(&format!("code_challenge={challenge}")));

        let id = jwt(r#"{"sub":"arn:aws:iam::123456789012:user/alice"}"#);
        let resp = HttpResponse::new(
            200,
            vec![],
            format!(
                r#"{{"accessToken":{{"accessKeyId":"ASIA","secretAccessKey":"s","sessionToken":"t"}},"tokenType":"aws_sigv4","expiresIn":900,"refreshToken":"r","idToken":"{id}"}}"#
            ),
        );
        let now = datetime!(2025-12-05 10:36:31 UTC);
        let done = exchange.on_response(&resp, now).unwrap();
        assert_eq!(done.session.arn(), "arn:aws:iam::123456789012:user/alice");
        let v: Value = serde_json::from_str(&done.entry.to_json()).unwrap();
        assert_eq!(v["accessToken"]["expiresAt"], "2025-12-05T10:51:31Z");
        assert_eq!(v["accessToken"]["accountId"], "123456789012");
        assert_eq!(v["clientId"], CLIENT_ID_SAME_DEVICE);
        assert_eq!(v["signInRegion"], "us-east-1");
        assert!(v["dpopKey"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN EC PRIVATE KEY-----\n"));
        let missing_id = HttpResponse::new(
            200,
            vec![],
            r#"{"accessToken":{"accessKeyId":"A","secretAccessKey":"s","sessionToken":"t"},"expiresIn":900,"refreshToken":"r"}"#,
        );
        assert_eq!(
            exchange.on_response(&missing_id, now).unwrap_err(),
            LoginError::MissingIdToken
        );
    }

    #[test]
    fn remote_flow_uses_confirmation_redirect() {
        let endpoint = Endpoint::for_region("eu-west-1", false, false).unwrap();
        let flow = LoginFlow::start(
            LoginParams {
                endpoint,
                region: None,
                mode: LoginMode::Remote,
            },
            &mut CountingRng(3),
        );
        assert_eq!(
            flow.redirect_uri(),
            "https://eu-west-1.signin.aws.amazon.com/v1/sessions/confirmation"
        );
        assert_eq!(flow.client_id(), CLIENT_ID_CROSS_DEVICE);
        assert!(flow.on_callback("code=a&state=b").is_err());
        let pasted =
            base64ct::Base64::encode_string(format!("state={}&code=c", flow.state()).as_bytes());
        assert!(flow.on_remote_code(&pasted).is_ok());
    }
}
