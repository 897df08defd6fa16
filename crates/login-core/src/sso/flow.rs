//! The two ways `sso login` gets a token, as state machines:
//!
//! ```text
//! params.register_request(flow, now) → on_register_response → Registration   (unless cached)
//!
//! AuthCodeFlow::start(params, registration, redirect_uri, rng)
//!     → open flow.authorize_url()        (PKCE S256, state = UUID v4)
//!     → flow.on_callback(query)          → HttpRequest (CreateToken, authorization_code)
//!     → flow.on_token_response(resp, now) → SsoToken
//!
//! DeviceFlow::start_request(params, registration) → HttpRequest (StartDeviceAuthorization)
//! DeviceFlow::on_start_response(…, resp, now)     → DeviceFlow (user code, URLs, deadline)
//!     loop: flow.poll_request() → flow.on_poll_response(resp, now)
//!           → Pending { wait_seconds } | Done(SsoToken)
//! ```

use rand_core::CryptoRngCore;
use time::{Duration, OffsetDateTime};

use crate::http::{HttpRequest, HttpResponse};
use crate::login::{parse_callback, percent_encode, CallbackError, CodeVerifier};

use super::oidc::{
    self, parse_create_token, parse_device_authorization, parse_register_client,
    DeviceAuthorizationOutput, OidcError, OidcErrorKind, DEFAULT_SCOPE,
};
use super::profile::SsoLoginTarget;
use super::registration::{Registration, RegistrationFlow};
use super::token::SsoToken;

/// Poll every this many seconds when the service does not say (AWS CLI's default).
pub const DEFAULT_POLL_INTERVAL_SECONDS: i64 = 5;
/// `SlowDownException` adds this to the interval (AWS CLI does the same).
pub const SLOW_DOWN_STEP_SECONDS: i64 = 5;

/// Why `sso login` did not produce a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SsoFlowError {
    /// The person denied access in the browser (`access_denied`), or the
    /// device authorization was denied.
    #[error("the sign-in was denied ({error}{}). Nothing was saved; run `aws-login sso login` again and choose Allow", .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    Denied {
        /// The OAuth error (`access_denied`, …), printable only.
        error: String,
        /// Its description.
        description: Option<String>,
    },
    /// The callback could not be used (state mismatch, missing code, …).
    #[error("{0}")]
    Callback(CallbackError),
    /// The device or authorization code expired before it was approved.
    #[error("the authorization expired before it was approved. Run `aws-login sso login` again and approve it within the time shown")]
    Expired,
    /// `RegisterClient` failed.
    #[error("IAM Identity Center refused to register this client: {0}. Check sso_region, sso_start_url and sso_registration_scopes, then run `aws-login sso login` again")]
    Registration(OidcError),
    /// Another OIDC error.
    #[error("IAM Identity Center rejected the sign-in: {0}. Run `aws-login sso login` again; if it keeps failing, check sso_region and sso_start_url")]
    Service(OidcError),
}

impl SsoFlowError {
    /// A stable name.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Denied { .. } => "Denied",
            Self::Callback(c) => c.kind(),
            Self::Expired => "Expired",
            Self::Registration(_) => "Registration",
            Self::Service(_) => "Service",
        }
    }

    /// True when retrying the same request later may succeed (5xx, throttling).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Registration(e) | Self::Service(e) if e.is_retryable())
    }

    fn from_oidc(e: OidcError) -> SsoFlowError {
        match e.kind {
            OidcErrorKind::AccessDenied => SsoFlowError::Denied {
                error: e.code.clone().unwrap_or_else(|| "access_denied".into()),
                description: e.description.clone(),
            },
            OidcErrorKind::ExpiredToken => SsoFlowError::Expired,
            _ => SsoFlowError::Service(e),
        }
    }
}

/// What a login needs besides the registration: where OIDC is and what to sign in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoLoginParams {
    /// The OIDC API base (`https://oidc.{region}.amazonaws.com` or an override).
    pub oidc_base: String,
    /// The session or legacy start URL.
    pub target: SsoLoginTarget,
    /// The start URL sent to the service (`issuerUrl`, `startUrl`): the configured one, or
    /// the portal a vanity URL redirects to. The configured one keys the caches.
    pub issuer_url: String,
}

impl SsoLoginParams {
    /// `botocore-client-<session>`, or for legacy `botocore-client-<unix time>`
    /// (AWS CLI's names: the registration is shared with it).
    pub fn client_name(&self, now: OffsetDateTime) -> String {
        match self.target.session_name() {
            Some(name) => format!("botocore-client-{name}"),
            None => format!("botocore-client-{}", now.unix_timestamp()),
        }
    }

    /// The scopes a PKCE registration asks for: configured, else `sso:account:access`.
    pub fn pkce_scopes(&self) -> Vec<String> {
        self.target
            .scopes()
            .map(<[String]>::to_vec)
            .unwrap_or_else(|| vec![DEFAULT_SCOPE.to_owned()])
    }

    /// `RegisterClient` for `flow`.
    pub fn register_request(&self, flow: RegistrationFlow, now: OffsetDateTime) -> HttpRequest {
        match flow {
            RegistrationFlow::AuthCode => oidc::register_client_pkce(
                &self.oidc_base,
                &self.client_name(now),
                &self.issuer_url,
                &self.pkce_scopes(),
            ),
            RegistrationFlow::Device => oidc::register_client_device(
                &self.oidc_base,
                &self.client_name(now),
                self.target.scopes(),
            ),
        }
    }

    /// Reads `RegisterClient`'s answer into the registration to cache.
    pub fn on_register_response(
        &self,
        flow: RegistrationFlow,
        response: &HttpResponse,
    ) -> Result<Registration, SsoFlowError> {
        let out = parse_register_client(response).map_err(SsoFlowError::Registration)?;
        let (scopes, grants) = match flow {
            RegistrationFlow::AuthCode => {
                (Some(self.pkce_scopes()), Some(oidc::pkce_grant_types()))
            }
            RegistrationFlow::Device => (self.target.scopes().map(<[String]>::to_vec), None),
        };
        Registration::from_output(&out, scopes, grants).ok_or_else(|| {
            SsoFlowError::Registration(OidcError {
                kind: OidcErrorKind::Unexpected,
                status: response.status,
                code: None,
                description: Some("`clientSecretExpiresAt` is out of range".into()),
            })
        })
    }

    fn token_from(
        &self,
        registration: &Registration,
        response: &HttpResponse,
        now: OffsetDateTime,
    ) -> Result<SsoToken, SsoFlowError> {
        let out = parse_create_token(response).map_err(SsoFlowError::from_oidc)?;
        Ok(SsoToken::from_create_token(
            &out,
            self.target.start_url(),
            self.target.region(),
            registration,
            now,
        ))
    }
}

/// Authorization code + PKCE (S256) with a loopback redirect.
#[derive(Debug, Clone)]
pub struct AuthCodeFlow {
    params: SsoLoginParams,
    registration: Registration,
    verifier: CodeVerifier,
    state: String,
    redirect_uri: String,
    authorize_url: String,
}

impl AuthCodeFlow {
    /// A new flow: fresh verifier (64 unreserved characters) and state (UUID v4).
    pub fn start(
        params: SsoLoginParams,
        registration: Registration,
        redirect_uri: &str,
        rng: &mut impl CryptoRngCore,
    ) -> AuthCodeFlow {
        let verifier = CodeVerifier::generate(rng);
        let mut bytes = [0u8; 16];
        rng.fill_bytes(&mut bytes);
        let state = uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string();
        Self::with_parts(params, registration, redirect_uri, verifier, state)
    }

    /// A flow with a given verifier and state (fixtures).
    pub fn with_parts(
        params: SsoLoginParams,
        registration: Registration,
        redirect_uri: &str,
        verifier: CodeVerifier,
        state: String,
    ) -> AuthCodeFlow {
        let authorize_url = authorize_url(
            &params.oidc_base,
            &registration.client_id,
            redirect_uri,
            &state,
            &params.pkce_scopes(),
            &verifier.challenge(),
        );
        AuthCodeFlow {
            params,
            registration,
            verifier,
            state,
            redirect_uri: redirect_uri.to_owned(),
            authorize_url,
        }
    }

    /// The URL to open in the browser.
    pub fn authorize_url(&self) -> &str {
        &self.authorize_url
    }

    /// The `state` sent.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The redirect URI (with the listener's port).
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The registration in use.
    pub fn registration(&self) -> &Registration {
        &self.registration
    }

    /// Checks the loopback callback and builds `CreateToken` (authorization_code).
    pub fn on_callback(&self, query: &str) -> Result<HttpRequest, SsoFlowError> {
        let code = parse_callback(query, &self.state).map_err(|e| match e {
            CallbackError::Denied { error, description } => {
                SsoFlowError::Denied { error, description }
            }
            other => SsoFlowError::Callback(other),
        })?;
        Ok(oidc::create_token_auth_code(
            &self.params.oidc_base,
            &self.registration.client_id,
            &self.registration.client_secret,
            &self.redirect_uri,
            self.verifier.as_str(),
            &code.code,
        ))
    }

    /// Reads `CreateToken`'s answer into the token to cache.
    pub fn on_token_response(
        &self,
        response: &HttpResponse,
        now: OffsetDateTime,
    ) -> Result<SsoToken, SsoFlowError> {
        self.params.token_from(&self.registration, response, now)
    }
}

/// `{origin}/authorize?response_type=code&client_id=…&redirect_uri=…&state=…
/// &code_challenge_method=S256&scopes=…&code_challenge=…`, as AWS CLI builds
/// it: the origin of the OIDC endpoint (a path in an override is dropped),
/// the non-standard `scopes` parameter space-joined, `%20` for spaces.
pub fn authorize_url(
    oidc_base: &str,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    scopes: &[String],
    code_challenge: &str,
) -> String {
    let origin = url::Url::parse(oidc_base)
        .ok()
        .map(|u| u.origin().ascii_serialization())
        .filter(|o| o != "null")
        .unwrap_or_else(|| oidc_base.trim_end_matches('/').to_owned());
    let params = [
        ("response_type", "code".to_owned()),
        ("client_id", client_id.to_owned()),
        ("redirect_uri", redirect_uri.to_owned()),
        ("state", state.to_owned()),
        ("code_challenge_method", "S256".to_owned()),
        ("scopes", scopes.join(" ")),
        ("code_challenge", code_challenge.to_owned()),
    ];
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    format!("{origin}/authorize?{}", query.join("&"))
}

/// What one device-flow poll found.
#[derive(Debug, Clone, PartialEq)]
pub enum DevicePoll {
    /// Not approved yet: wait this long, then poll again.
    Pending {
        /// Seconds to wait (grows by 5 after each `slow_down`).
        wait_seconds: i64,
    },
    /// Approved: the token to cache.
    Done(Box<SsoToken>),
}

/// The device-code flow.
#[derive(Debug, Clone)]
pub struct DeviceFlow {
    params: SsoLoginParams,
    registration: Registration,
    authorization: DeviceAuthorizationOutput,
    interval: i64,
    deadline: OffsetDateTime,
}

impl DeviceFlow {
    /// `StartDeviceAuthorization` (sent with the start URL).
    pub fn start_request(params: &SsoLoginParams, registration: &Registration) -> HttpRequest {
        oidc::start_device_authorization(
            &params.oidc_base,
            &registration.client_id,
            &registration.client_secret,
            &params.issuer_url,
        )
    }

    /// Reads `StartDeviceAuthorization`'s answer; the deadline is `now + expiresIn`.
    pub fn on_start_response(
        params: SsoLoginParams,
        registration: Registration,
        response: &HttpResponse,
        now: OffsetDateTime,
    ) -> Result<DeviceFlow, SsoFlowError> {
        let authorization =
            parse_device_authorization(response).map_err(SsoFlowError::from_oidc)?;
        let interval = authorization
            .interval
            .unwrap_or(DEFAULT_POLL_INTERVAL_SECONDS)
            .max(1);
        let deadline = now + Duration::seconds(authorization.expires_in.max(1));
        Ok(DeviceFlow {
            params,
            registration,
            authorization,
            interval,
            deadline,
        })
    }

    /// The code the person enters.
    pub fn user_code(&self) -> &str {
        &self.authorization.user_code
    }

    /// Where they enter it.
    pub fn verification_uri(&self) -> &str {
        &self.authorization.verification_uri
    }

    /// The URL with the code filled in (falls back to the plain one).
    pub fn verification_uri_complete(&self) -> &str {
        self.authorization
            .verification_uri_complete
            .as_deref()
            .unwrap_or(&self.authorization.verification_uri)
    }

    /// Current poll interval in seconds.
    pub fn interval(&self) -> i64 {
        self.interval
    }

    /// When the authorization expires (client-side deadline).
    pub fn deadline(&self) -> OffsetDateTime {
        self.deadline
    }

    /// The registration in use.
    pub fn registration(&self) -> &Registration {
        &self.registration
    }

    /// `CreateToken` with the device code.
    pub fn poll_request(&self) -> HttpRequest {
        oidc::create_token_device(
            &self.params.oidc_base,
            &self.registration.client_id,
            &self.registration.client_secret,
            &self.authorization.device_code,
        )
    }

    /// Folds in a poll's answer: pending (`authorization_pending`, or
    /// `slow_down`, which adds 5 s to the interval), done, or an error. Past the
    /// deadline a pending answer is [`SsoFlowError::Expired`].
    pub fn on_poll_response(
        &mut self,
        response: &HttpResponse,
        now: OffsetDateTime,
    ) -> Result<DevicePoll, SsoFlowError> {
        match parse_create_token(response) {
            Ok(_) => self
                .params
                .token_from(&self.registration, response, now)
                .map(|t| DevicePoll::Done(Box::new(t))),
            Err(e) => {
                let wait = match e.kind {
                    OidcErrorKind::AuthorizationPending => self.interval,
                    OidcErrorKind::SlowDown => {
                        self.interval += SLOW_DOWN_STEP_SECONDS;
                        self.interval
                    }
                    _ => return Err(SsoFlowError::from_oidc(e)),
                };
                if now >= self.deadline {
                    return Err(SsoFlowError::Expired);
                }
                Ok(DevicePoll::Pending { wait_seconds: wait })
            }
        }
    }

    /// True once `now` is past the deadline (stop polling).
    pub fn expired(&self, now: OffsetDateTime) -> bool {
        now >= self.deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sso::profile::SsoSessionConfig;
    use time::macros::datetime;

    fn params(base: &str) -> SsoLoginParams {
        SsoLoginParams {
            oidc_base: base.into(),
            target: SsoLoginTarget::Session(SsoSessionConfig {
                name: "my-sso".into(),
                start_url: "https://d-1234567890.awsapps.com/start".into(),
                region: "us-east-1".into(),
                scopes: None,
            }),
            issuer_url: "https://d-1234567890.awsapps.com/start".into(),
        }
    }

    #[test]
    fn a_resolved_vanity_url_is_sent_and_the_configured_one_is_kept() {
        let mut p = params("https://oidc.us-east-1.amazonaws.com");
        p.issuer_url = "https://ssoins-1.portal.us-east-1.app.aws".into();
        let now = datetime!(2025-01-02 03:04:05 UTC);
        let body = |r: &HttpRequest| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap();
        let register = p.register_request(RegistrationFlow::AuthCode, now);
        assert_eq!(
            body(&register)["issuerUrl"],
            "https://ssoins-1.portal.us-east-1.app.aws"
        );
        let start = DeviceFlow::start_request(&p, &registration(None));
        assert_eq!(
            body(&start)["startUrl"],
            "https://ssoins-1.portal.us-east-1.app.aws"
        );
        let token = HttpResponse::new(
            200,
            vec![],
            r#"{"accessToken":"AT","tokenType":"Bearer","expiresIn":3600,"refreshToken":"RT"}"#,
        );
        let t = p.token_from(&registration(None), &token, now).unwrap();
        assert_eq!(
            t.start_url.as_deref(),
            Some("https://d-1234567890.awsapps.com/start"),
            "the token keeps the configured URL"
        );
    }

    fn registration(grants: Option<Vec<String>>) -> Registration {
        Registration {
            client_id: "auth-client-id".into(),
            client_secret: "sec".into(),
            expires_at: datetime!(2025-04-02 02:46:40 UTC),
            scopes: Some(vec![DEFAULT_SCOPE.into()]),
            grant_types: grants,
        }
    }

    #[test]
    fn authorize_url_matches_aws_cli() {
        let verifier = CodeVerifier::new(&"a".repeat(64)).unwrap();
        let flow = AuthCodeFlow::with_parts(
            params("http://127.0.0.1:9000/prefix"),
            registration(Some(oidc::pkce_grant_types())),
            "http://127.0.0.1:55555/oauth/callback",
            verifier.clone(),
            "00000000-0000-0000-0000-000000000000".into(),
        );
        assert_eq!(
            flow.authorize_url(),
            format!("http://127.0.0.1:9000/authorize?response_type=code&client_id=auth-client-id&redirect_uri=http%3A%2F%2F127.0.0.1%3A55555%2Foauth%2Fcallback&state=00000000-0000-0000-0000-000000000000&code_challenge_method=S256&scopes=sso%3Aaccount%3Aaccess&code_challenge={}", verifier.challenge())
        );
        let e = flow.on_callback("code=c&state=forged").unwrap_err();
        assert_eq!(e, SsoFlowError::Callback(CallbackError::StateMismatch));
        let e = flow
            .on_callback("error=access_denied&state=00000000-0000-0000-0000-000000000000")
            .unwrap_err();
        assert_eq!(e.kind(), "Denied");
        let req = flow
            .on_callback("/oauth/callback?code=CODE&state=00000000-0000-0000-0000-000000000000")
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(body["grantType"], "authorization_code");
        assert_eq!(body["redirectUri"], "http://127.0.0.1:55555/oauth/callback");
        assert_eq!(body["codeVerifier"], "a".repeat(64));
        assert_eq!(req.url, "http://127.0.0.1:9000/prefix/token");
        let now = datetime!(2025-01-02 03:04:05 UTC);
        let resp = HttpResponse::new(
            200,
            vec![],
            r#"{"accessToken":"AT","expiresIn":3600,"refreshToken":"RT","tokenType":"Bearer"}"#,
        );
        let token = flow.on_token_response(&resp, now).unwrap();
        assert_eq!(
            token.to_json(),
            r#"{"startUrl": "https://d-1234567890.awsapps.com/start", "region": "us-east-1", "accessToken": "AT", "expiresAt": "2025-01-02T04:04:05Z", "clientId": "auth-client-id", "clientSecret": "sec", "registrationExpiresAt": "2025-04-02T02:46:40Z", "refreshToken": "RT"}"#
        );
    }

    #[test]
    fn random_state_is_a_uuid() {
        let mut rng = rand_core::OsRng;
        let flow = AuthCodeFlow::start(
            params("http://h"),
            registration(None),
            "http://127.0.0.1:1/oauth/callback",
            &mut rng,
        );
        assert!(uuid::Uuid::parse_str(flow.state()).is_ok());
        assert_eq!(
            uuid::Uuid::parse_str(flow.state())
                .unwrap()
                .get_version_num(),
            4
        );
    }

    #[test]
    fn device_flow_polls_as_told() {
        let p = params("http://h");
        let now = datetime!(2025-01-02 03:04:05 UTC);
        let start = DeviceFlow::start_request(&p, &registration(None));
        assert_eq!(start.url, "http://h/device_authorization");
        let resp = HttpResponse::new(
            200,
            vec![],
            r#"{"deviceCode":"DC","userCode":"ABCD-EFGH","verificationUri":"http://v/","verificationUriComplete":"http://v/?user_code=ABCD-EFGH","expiresIn":600,"interval":2}"#,
        );
        let mut flow = DeviceFlow::on_start_response(p, registration(None), &resp, now).unwrap();
        assert_eq!(
            flow.verification_uri_complete(),
            "http://v/?user_code=ABCD-EFGH"
        );
        let pending = HttpResponse::new(
            400,
            vec![(
                "x-amzn-ErrorType".into(),
                "AuthorizationPendingException".into(),
            )],
            "{}",
        );
        assert_eq!(
            flow.on_poll_response(&pending, now).unwrap(),
            DevicePoll::Pending { wait_seconds: 2 }
        );
        let slow = HttpResponse::new(400, vec![], r#"{"error":"slow_down"}"#);
        assert_eq!(
            flow.on_poll_response(&slow, now).unwrap(),
            DevicePoll::Pending { wait_seconds: 7 }
        );
        assert_eq!(
            flow.on_poll_response(&pending, now).unwrap(),
            DevicePoll::Pending { wait_seconds: 7 }
        );
        let late = now + Duration::seconds(601);
        assert!(flow.expired(late));
        assert_eq!(
            flow.on_poll_response(&pending, late).unwrap_err(),
            SsoFlowError::Expired
        );
        let denied = HttpResponse::new(
            400,
            vec![("x-amzn-ErrorType".into(), "AccessDeniedException".into())],
            r#"{"error":"access_denied"}"#,
        );
        assert_eq!(
            flow.on_poll_response(&denied, now).unwrap_err().kind(),
            "Denied"
        );
        let expired = HttpResponse::new(400, vec![], r#"{"error":"expired_token"}"#);
        assert_eq!(
            flow.on_poll_response(&expired, now).unwrap_err(),
            SsoFlowError::Expired
        );
        let ok = HttpResponse::new(200, vec![], r#"{"accessToken":"AT","expiresIn":28800}"#);
        let DevicePoll::Done(token) = flow.on_poll_response(&ok, now).unwrap() else {
            panic!("not done")
        };
        assert!(token.refresh_token.is_none());
        let body: serde_json::Value = serde_json::from_slice(&flow.poll_request().body).unwrap();
        assert_eq!(body["grantType"], oidc::DEVICE_GRANT);
    }
}
