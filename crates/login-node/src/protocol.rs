//! `aws-login-provider/protocol`: login-core's pure functions, so the Node suite runs the shared
//! `fixtures/` vectors through the same addon users install (and so JS tooling can check a
//! cache file or render `export-credentials` output without IO). Each function converts its
//! arguments, calls login-core and converts the result; a failure throws an `Error` whose `code`
//! is the login-core error variant (`NotJson`, `InvalidDpopKey`, `StateMismatch`, …).

use login_core::timefmt::parse_timestamp;
use login_core::{
    authorize_url, cache_file_name, decode_remote_code, is_login_cache_entry, parse_callback,
    parse_token_response, CacheEntry, CodeVerifier, Credentials, DpopKey, DpopProof, Endpoint,
    ExportFormat, HttpResponse, LoginSession, OffsetDateTime, Refresh, RefreshPlan, SecretString,
};
use login_core::{plan, ConfigFile, KeysFile, SharedCredentialsFile, Source};
use napi::bindgen_prelude::*;
use napi_derive::napi;

/// A thrown JS `Error` with `name` `LoginProtocolError` and `code` = `kind`.
fn fail(env: &Env, kind: &str, message: impl ToString) -> Error {
    let message = message.to_string();
    let built = env
        .create_error(Error::new(Status::GenericFailure, message.clone()))
        .and_then(|mut object| {
            object.set_named_property("name", "LoginProtocolError")?;
            object.set_named_property("code", kind)?;
            Ok(Error::from(object.to_unknown()))
        });
    built.unwrap_or_else(|_| Error::new(Status::GenericFailure, format!("{kind}: {message}")))
}

fn timestamp(env: &Env, text: &str) -> Result<OffsetDateTime> {
    parse_timestamp(text)
        .ok_or_else(|| fail(env, "BadTimestamp", format!("not a timestamp: {text}")))
}

/// `code_challenge` of a PKCE verifier: base64url(SHA-256(verifier)) without padding.
#[napi(namespace = "protocol")]
pub fn pkce_challenge(env: &Env, verifier: String) -> Result<String> {
    let verifier = CodeVerifier::new(&verifier).map_err(|e| fail(env, "InvalidVerifier", e))?;
    Ok(verifier.challenge())
}

/// The verifier that rejection sampling picks from these random bytes (null if too few).
#[napi(namespace = "protocol")]
pub fn pkce_verifier_from_random_bytes(bytes: Buffer) -> Option<String> {
    CodeVerifier::from_random_bytes(&bytes).map(|v| v.as_str().to_owned())
}

/// `{base}/v1/authorize?…` with the parameters in AWS's order and encoding.
#[napi(namespace = "protocol")]
pub fn authorize_request_url(
    env: &Env,
    base: String,
    client_id: String,
    state: String,
    code_challenge: String,
    redirect_uri: String,
) -> Result<String> {
    let endpoint = Endpoint::from_override(&base).map_err(|e| fail(env, "InvalidEndpoint", e))?;
    Ok(authorize_url(
        &endpoint.authorize_url(),
        &client_id,
        &state,
        &code_challenge,
        &redirect_uri,
    ))
}

/// The remote flow's redirect URI (`{base}/v1/sessions/confirmation`).
#[napi(namespace = "protocol")]
pub fn confirmation_url(env: &Env, base: String) -> Result<String> {
    let endpoint = Endpoint::from_override(&base).map_err(|e| fail(env, "InvalidEndpoint", e))?;
    Ok(endpoint.confirmation_url())
}

/// The Sign-In base URL of a region (FIPS and dual-stack variants as botocore's rules).
#[napi(namespace = "protocol")]
pub fn endpoint_base(env: &Env, region: String, fips: bool, dual_stack: bool) -> Result<String> {
    Endpoint::for_region(&region, fips, dual_stack)
        .map(|e| e.base().to_owned())
        .map_err(|e| fail(env, "InvalidEndpoint", e))
}

/// The token URL an endpoint override (`AWS_ENDPOINT_URL_SIGNIN`, …) leads to.
#[napi(namespace = "protocol")]
pub fn override_token_url(env: &Env, url: String) -> Result<String> {
    Endpoint::from_override(&url)
        .map(|e| e.token_url())
        .map_err(|e| fail(env, "InvalidEndpoint", e))
}

/// What a DPoP key PEM (SEC1 or PKCS#8) holds.
#[napi(object, namespace = "protocol")]
pub struct DpopKeyInfo {
    /// The JWK as the proof header carries it (`{"kty":"EC","x":…,"y":…,"crv":"P-256"}`).
    pub public_jwk: String,
    pub x: String,
    pub y: String,
    /// RFC 7638 thumbprint (the refresh token's `cnf.jkt`).
    pub thumbprint: String,
    pub sec1_pem: String,
    pub pkcs8_pem: String,
}

impl std::fmt::Debug for DpopKeyInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKeyInfo")
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

fn dpop_key(env: &Env, pem: &str) -> Result<DpopKey> {
    DpopKey::from_pem(pem).map_err(|e| fail(env, "InvalidDpopKey", e))
}

#[napi(namespace = "protocol")]
pub fn dpop_key_info(env: &Env, pem: String) -> Result<DpopKeyInfo> {
    let key = dpop_key(env, &pem)?;
    Ok(DpopKeyInfo {
        public_jwk: key.public_jwk().to_owned(),
        x: key.jwk_x().to_owned(),
        y: key.jwk_y().to_owned(),
        thumbprint: key.thumbprint(),
        sec1_pem: key.to_sec1_pem().expose().to_owned(),
        pkcs8_pem: key.to_pkcs8_pem().expose().to_owned(),
    })
}

/// A DPoP proof (compact JWS, ES256 with RFC 6979 nonces) for one request.
#[napi(namespace = "protocol")]
pub fn dpop_proof(
    env: &Env,
    pem: String,
    htm: String,
    htu: String,
    iat: i64,
    jti: String,
) -> Result<String> {
    Ok(dpop_key(env, &pem)?
        .proof(&htm, &htu, iat, &jti)
        .into_string())
}

/// The claims of a verified DPoP proof and the thumbprint of its embedded key.
#[napi(object, namespace = "protocol")]
#[derive(Debug)]
pub struct DpopClaims {
    pub htm: String,
    pub htu: String,
    pub iat: i64,
    pub jti: String,
    pub thumbprint: String,
}

/// Verifies a proof's signature with the key in its header.
#[napi(namespace = "protocol")]
pub fn dpop_verify(env: &Env, proof: String) -> Result<DpopClaims> {
    let verified = DpopProof::verify(&proof).map_err(|e| fail(env, "InvalidProof", e))?;
    Ok(DpopClaims {
        htm: verified.htm,
        htu: verified.htu,
        iat: verified.iat,
        jti: verified.jti,
        thumbprint: verified.thumbprint,
    })
}

/// The cache file name of a session: `sha256_hex(session ARN).json`.
#[napi(namespace = "protocol", js_name = "cacheFileName")]
pub fn cache_file_name_of(session_arn: String) -> String {
    cache_file_name(&session_arn)
}

/// The credentials a cache entry holds, and its DPoP key's thumbprint.
#[napi(object, namespace = "protocol")]
pub struct CacheEntryInfo {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// `expiresAt` in whole Unix seconds.
    pub expiration_unix: i64,
    pub account_id: Option<String>,
    pub thumbprint: String,
}

impl std::fmt::Debug for CacheEntryInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheEntryInfo")
            .field("access_key_id", &self.access_key_id)
            .field("expiration_unix", &self.expiration_unix)
            .finish_non_exhaustive()
    }
}

fn cache_entry(env: &Env, data: &[u8]) -> Result<CacheEntry> {
    CacheEntry::from_json(data).map_err(|e| fail(env, e.kind(), &e))
}

/// Reads a cache file's bytes; throws (`code` `NotJson`, `MissingFields`, …) with a message that
/// tells the user to log in again.
#[napi(namespace = "protocol")]
pub fn parse_cache_entry(env: &Env, data: Buffer) -> Result<CacheEntryInfo> {
    let entry = cache_entry(env, &data)?;
    let credentials = entry.credentials();
    let thumbprint = entry
        .dpop_key()
        .map_err(|e| fail(env, e.kind(), &e))?
        .thumbprint();
    Ok(CacheEntryInfo {
        access_key_id: credentials.access_key_id.clone(),
        secret_access_key: credentials.secret_access_key.expose().to_owned(),
        session_token: credentials.session_token.expose().to_owned(),
        expiration_unix: credentials.expiration_unix(),
        account_id: credentials.account_id.clone(),
        thumbprint,
    })
}

/// The entry written back the way aws-login writes it.
#[napi(namespace = "protocol")]
pub fn rewrite_cache_entry(env: &Env, data: Buffer) -> Result<String> {
    Ok(cache_entry(env, &data)?.to_json())
}

/// `'fresh'` or `'refresh'` for this entry at `now` (ISO 8601).
#[napi(namespace = "protocol", ts_return_type = "'fresh' | 'refresh'")]
pub fn refresh_decision(env: &Env, data: Buffer, now: String) -> Result<&'static str> {
    let entry = cache_entry(env, &data)?;
    Ok(match RefreshPlan::decide(&entry, timestamp(env, &now)?) {
        RefreshPlan::Fresh(_) => "fresh",
        RefreshPlan::NeedsRefresh => "refresh",
    })
}

/// The file aws-login writes after a successful refresh response at `now`.
#[napi(namespace = "protocol")]
pub fn apply_refresh(
    env: &Env,
    data: Buffer,
    response_body: String,
    now: String,
) -> Result<String> {
    let now = timestamp(env, &now)?;
    let planned =
        Refresh::plan(cache_entry(env, &data)?, now).map_err(|e| fail(env, e.kind(), &e))?;
    let pending = match planned {
        Refresh::Send(pending) => pending,
        Refresh::Fresh(_) => {
            return Err(fail(
                env,
                "Fresh",
                "the entry needs no refresh at this time",
            ))
        }
    };
    let response = HttpResponse::new(200, vec![], response_body);
    let done = pending
        .on_response(&response, now)
        .map_err(|e| fail(env, e.kind(), &e))?;
    Ok(done.entry.to_json())
}

/// Whether `logout --all` may delete a JSON file with these bytes.
#[napi(namespace = "protocol")]
pub fn is_login_entry(data: Buffer) -> bool {
    is_login_cache_entry(&data)
}

/// Credentials to render with `renderExport`; `expiration` is ISO 8601.
#[napi(object, namespace = "protocol")]
pub struct ExportInput {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: String,
    pub account_id: Option<String>,
}

impl std::fmt::Debug for ExportInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportInput")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// `aws-login export-credentials --format FORMAT` output (`process`, `env`, `env-no-export`,
/// `powershell`, `windows-cmd`, `fish`).
#[napi(namespace = "protocol")]
pub fn render_export(env: &Env, format: String, credentials: ExportInput) -> Result<String> {
    let format: ExportFormat = format
        .parse()
        .map_err(|e| fail(env, "UnknownExportFormat", e))?;
    let credentials = Credentials {
        access_key_id: credentials.access_key_id,
        secret_access_key: SecretString::new(credentials.secret_access_key),
        session_token: SecretString::new(credentials.session_token),
        expiration: timestamp(env, &credentials.expiration)?,
        account_id: credentials.account_id,
    };
    Ok(format.render(&credentials))
}

/// A token endpoint response as login-core reads it.
#[napi(object, namespace = "protocol")]
pub struct TokenReply {
    /// `'ok'` or `'error'`.
    pub kind: String,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    pub expires_in: Option<i64>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
    /// login-core's `TokenError` variant.
    pub error: Option<String>,
    pub retryable: Option<bool>,
    pub needs_login: Option<bool>,
    /// The service's error code, when it sent one.
    pub code: Option<String>,
    pub message: Option<String>,
}

impl std::fmt::Debug for TokenReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenReply")
            .field("kind", &self.kind)
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

#[napi(namespace = "protocol")]
pub fn parse_token_reply(status: u16, headers: Vec<Vec<String>>, body: String) -> TokenReply {
    let headers = headers
        .into_iter()
        .filter_map(|pair| match <[String; 2]>::try_from(pair) {
            Ok([name, value]) => Some((name, value)),
            Err(_) => None,
        })
        .collect();
    let mut reply = TokenReply {
        kind: String::new(),
        access_key_id: None,
        secret_access_key: None,
        session_token: None,
        expires_in: None,
        refresh_token: None,
        id_token: None,
        error: None,
        retryable: None,
        needs_login: None,
        code: None,
        message: None,
    };
    match parse_token_response(&HttpResponse::new(status, headers, body)) {
        Ok(output) => {
            reply.kind = "ok".into();
            reply.access_key_id = Some(output.access_key_id.clone());
            reply.secret_access_key = Some(output.secret_access_key.expose().to_owned());
            reply.session_token = Some(output.session_token.expose().to_owned());
            reply.expires_in = i64::try_from(output.expires_in).ok();
            reply.refresh_token = Some(output.refresh_token.expose().to_owned());
            reply.id_token = output.id_token.as_ref().map(|t| t.expose().to_owned());
        }
        Err(e) => {
            reply.kind = "error".into();
            reply.error = Some(e.kind().into());
            reply.retryable = Some(e.is_retryable());
            reply.needs_login = Some(e.needs_login());
            reply.code = e.code().map(str::to_owned);
            reply.message = Some(e.to_string());
        }
    }
    reply
}

/// The authorization code of a loopback callback query, checked against the expected state.
#[napi(namespace = "protocol")]
pub fn callback_code(env: &Env, query: String, expected_state: String) -> Result<String> {
    parse_callback(&query, &expected_state)
        .map(|c| c.code.expose().to_owned())
        .map_err(|e| fail(env, e.kind(), &e))
}

/// The authorization code of a pasted remote-flow code, checked against the expected state.
#[napi(namespace = "protocol")]
pub fn remote_code(env: &Env, pasted: String, expected_state: String) -> Result<String> {
    decode_remote_code(&pasted, &expected_state)
        .map(|c| c.code.expose().to_owned())
        .map_err(|e| fail(env, e.kind(), &e))
}

/// The login session an id token's `sub` names.
#[napi(object, namespace = "protocol")]
#[derive(Debug)]
pub struct LoginSessionInfo {
    pub arn: String,
    pub partition: String,
    pub account_id: String,
    pub resource: String,
    pub cache_file_name: String,
}

#[napi(namespace = "protocol")]
pub fn login_session_of_id_token(env: &Env, id_token: String) -> Result<LoginSessionInfo> {
    let session = LoginSession::from_id_token(&id_token).map_err(|e| fail(env, e.kind(), &e))?;
    Ok(LoginSessionInfo {
        arn: session.arn().to_owned(),
        partition: session.partition().to_owned(),
        account_id: session.account_id().to_owned(),
        resource: session.resource().to_owned(),
        cache_file_name: session.cache_file_name(),
    })
}

/// The first source of a planned credential chain. `kind` is `LoginSession`, `StaticKeys`,
/// `CredentialProcess` or `Environment`; the other fields are set for the kinds they belong to.
#[napi(object, namespace = "protocol")]
pub struct ChainBase {
    pub kind: String,
    pub profile: String,
    pub session_arn: Option<String>,
    pub access_key_id: Option<String>,
    /// `credentials` or `config`: the file static keys are in.
    pub file: Option<String>,
    pub has_session_token: Option<bool>,
    pub command: Option<String>,
}

/// One AssumeRole step of a planned chain.
#[napi(object, namespace = "protocol")]
pub struct ChainRole {
    pub profile: String,
    pub role_arn: String,
    pub role_session_name: Option<String>,
    pub external_id: Option<String>,
    pub mfa_serial: Option<String>,
    pub duration_seconds: Option<u32>,
}

/// A planned credential chain: fetch `base`, then assume each of `roles` in order.
#[napi(object, namespace = "protocol")]
pub struct ChainPlanInfo {
    pub base: ChainBase,
    pub roles: Vec<ChainRole>,
    /// From the profile asked for down to the base's.
    pub profiles: Vec<String>,
}

/// The credential chain login-core plans for `profile` from the text of a config file and of a
/// shared credentials file; throws (`code` `InfiniteLoop`, `ProfileNotFound`, …) when it cannot.
#[napi(namespace = "protocol")]
pub fn chain_plan(
    env: &Env,
    config: String,
    credentials: String,
    profile: String,
) -> Result<ChainPlanInfo> {
    let chain = plan(
        &ConfigFile::parse(&config),
        &SharedCredentialsFile::parse(&credentials),
        &profile,
    )
    .map_err(|e| fail(env, e.kind(), &e))?;
    let mut base = ChainBase {
        kind: String::new(),
        profile: chain.base.profile().to_owned(),
        session_arn: None,
        access_key_id: None,
        file: None,
        has_session_token: None,
        command: None,
    };
    match &chain.base {
        Source::LoginSession { session_arn, .. } => {
            base.kind = "LoginSession".into();
            base.session_arn = Some(session_arn.clone());
        }
        Source::StaticKeys { keys, file, .. } => {
            base.kind = "StaticKeys".into();
            base.access_key_id = Some(keys.access_key_id.clone());
            base.file = Some(
                match file {
                    KeysFile::Credentials => "credentials",
                    KeysFile::Config => "config",
                }
                .into(),
            );
            base.has_session_token = Some(keys.session_token.is_some());
        }
        Source::CredentialProcess { command, .. } => {
            base.kind = "CredentialProcess".into();
            base.command = Some(command.clone());
        }
        Source::Environment { .. } => base.kind = "Environment".into(),
        other => {
            return Err(fail(
                env,
                "UnknownSource",
                format!("no fixture spelling for {}", other.describe()),
            ))
        }
    }
    let roles = chain
        .roles
        .iter()
        .map(|role| ChainRole {
            profile: role.profile.clone(),
            role_arn: role.role_arn.clone(),
            role_session_name: role.role_session_name.clone(),
            external_id: role.external_id.clone(),
            mfa_serial: role.mfa_serial.clone(),
            duration_seconds: role.duration_seconds,
        })
        .collect();
    Ok(ChainPlanInfo {
        profiles: chain.profiles().into_iter().map(str::to_owned).collect(),
        base,
        roles,
    })
}
