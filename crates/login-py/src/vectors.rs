//! `aws_login._native.vectors`: login-core's pure functions, exposed so the Python suite can run
//! the shared `fixtures/` vectors through the same build users install. Each function converts
//! arguments, calls login-core and converts the result; errors become
//! `ValueError(kind, message)` with the Rust variant name as `kind`.

use login_core::timefmt::parse_timestamp;
use login_core::{
    authorize_url, cache_file_name, decode_remote_code, is_login_cache_entry, parse_callback,
    parse_token_response, CacheEntry, CacheError, CodeVerifier, ConfigFile, Credentials, DpopKey,
    DpopProof, Endpoint, ExportFormat, HttpResponse, LoginSession, OffsetDateTime, Refresh,
    RefreshPlan, SecretString, SectionId, TokenRequest,
};
use login_core::{plan, KeysFile, SharedCredentialsFile, Source};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn value_error(kind: &str, message: impl ToString) -> PyErr {
    PyValueError::new_err((kind.to_owned(), message.to_string()))
}

fn timestamp(text: &str) -> PyResult<OffsetDateTime> {
    parse_timestamp(text)
        .ok_or_else(|| value_error("BadTimestamp", format!("not a timestamp: {text}")))
}

fn cache_error(e: &CacheError) -> PyErr {
    value_error(e.kind(), e)
}

/// `code_challenge` of a PKCE verifier (ValueError for a verifier the service would refuse).
#[pyfunction]
fn pkce_challenge(verifier: &str) -> PyResult<String> {
    let verifier = CodeVerifier::new(verifier).map_err(|e| value_error("InvalidVerifier", e))?;
    Ok(verifier.challenge())
}

/// The verifier rejection sampling picks from these random bytes (None if too few).
#[pyfunction]
fn pkce_verifier_from_random_bytes(data: &[u8]) -> Option<String> {
    CodeVerifier::from_random_bytes(data).map(|v| v.as_str().to_owned())
}

/// `GET {base}/v1/authorize?…` for a base URL, client id, state, challenge and redirect URI.
#[pyfunction]
fn authorize_request_url(
    base: &str,
    client_id: &str,
    state: &str,
    code_challenge: &str,
    redirect_uri: &str,
) -> PyResult<String> {
    let endpoint = Endpoint::from_override(base).map_err(|e| value_error("InvalidEndpoint", e))?;
    Ok(authorize_url(
        &endpoint.authorize_url(),
        client_id,
        state,
        code_challenge,
        redirect_uri,
    ))
}

/// The confirmation URL (remote flow's redirect URI) of a base URL.
#[pyfunction]
fn confirmation_url(base: &str) -> PyResult<String> {
    let endpoint = Endpoint::from_override(base).map_err(|e| value_error("InvalidEndpoint", e))?;
    Ok(endpoint.confirmation_url())
}

/// The Sign-In base URL of a region.
#[pyfunction]
fn endpoint_base(region: &str, fips: bool, dual_stack: bool) -> PyResult<String> {
    Endpoint::for_region(region, fips, dual_stack)
        .map(|e| e.base().to_owned())
        .map_err(|e| value_error("InvalidEndpoint", e))
}

/// The token URL an endpoint override leads to.
#[pyfunction]
fn override_token_url(url: &str) -> PyResult<String> {
    Endpoint::from_override(url)
        .map(|e| e.token_url())
        .map_err(|e| value_error("InvalidEndpoint", e))
}

fn dpop_key(pem: &str) -> PyResult<DpopKey> {
    DpopKey::from_pem(pem).map_err(|e| value_error("InvalidDpopKey", e))
}

/// What a DPoP key PEM (SEC1 or PKCS#8) holds: public JWK, coordinates, thumbprint, and the key
/// written back in both PEM forms.
#[pyfunction]
fn dpop_key_info<'py>(py: Python<'py>, pem: &str) -> PyResult<Bound<'py, PyDict>> {
    let key = dpop_key(pem)?;
    let info = PyDict::new(py);
    info.set_item("publicJwk", key.public_jwk())?;
    info.set_item("x", key.jwk_x())?;
    info.set_item("y", key.jwk_y())?;
    info.set_item("thumbprint", key.thumbprint())?;
    info.set_item("sec1Pem", key.to_sec1_pem().expose())?;
    info.set_item("pkcs8Pem", key.to_pkcs8_pem().expose())?;
    Ok(info)
}

/// A DPoP proof (compact JWS) signed with the key.
#[pyfunction]
fn dpop_proof(pem: &str, htm: &str, htu: &str, iat: i64, jti: &str) -> PyResult<String> {
    Ok(dpop_key(pem)?.proof(htm, htu, iat, jti).into_string())
}

/// Verifies a proof's signature with its embedded key; returns its claims and key thumbprint.
#[pyfunction]
fn dpop_verify<'py>(py: Python<'py>, proof: &str) -> PyResult<Bound<'py, PyDict>> {
    let verified = DpopProof::verify(proof).map_err(|e| value_error("InvalidProof", e))?;
    let claims = PyDict::new(py);
    claims.set_item("htm", verified.htm)?;
    claims.set_item("htu", verified.htu)?;
    claims.set_item("iat", verified.iat)?;
    claims.set_item("jti", verified.jti)?;
    claims.set_item("thumbprint", verified.thumbprint)?;
    Ok(claims)
}

/// Cache file name (`sha256_hex(session ARN).json`).
#[pyfunction]
#[pyo3(name = "cache_file_name")]
fn cache_file_name_of(session_arn: &str) -> String {
    cache_file_name(session_arn)
}

fn credentials_dict<'py>(py: Python<'py>, creds: &Credentials) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("accessKeyId", &creds.access_key_id)?;
    out.set_item("secretAccessKey", creds.secret_access_key.expose())?;
    out.set_item("sessionToken", creds.session_token.expose())?;
    out.set_item("expirationUnix", creds.expiration_unix())?;
    out.set_item("accountId", creds.account_id.as_deref())?;
    Ok(out)
}

fn cache_entry(text: &[u8]) -> PyResult<CacheEntry> {
    CacheEntry::from_json(text).map_err(|e| cache_error(&e))
}

/// Reads a cache file's bytes: its credentials and DPoP key thumbprint.
#[pyfunction]
fn parse_cache_entry<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyDict>> {
    let entry = cache_entry(data)?;
    let out = credentials_dict(py, &entry.credentials())?;
    out.set_item(
        "thumbprint",
        entry.dpop_key().map_err(|e| cache_error(&e))?.thumbprint(),
    )?;
    Ok(out)
}

/// The entry written back as our writer writes it.
#[pyfunction]
fn rewrite_cache_entry(data: &[u8]) -> PyResult<String> {
    Ok(cache_entry(data)?.to_json())
}

/// `"fresh"` or `"refresh"` for this entry at `now` (an ISO 8601 timestamp).
#[pyfunction]
fn refresh_decision(data: &[u8], now: &str) -> PyResult<&'static str> {
    let entry = cache_entry(data)?;
    Ok(match RefreshPlan::decide(&entry, timestamp(now)?) {
        RefreshPlan::Fresh(_) => "fresh",
        RefreshPlan::NeedsRefresh => "refresh",
    })
}

/// The entry after a successful refresh response at `now`, as the file we would write.
#[pyfunction]
fn apply_refresh(data: &[u8], response_body: &str, now: &str) -> PyResult<String> {
    let now = timestamp(now)?;
    let pending = match Refresh::plan(cache_entry(data)?, now).map_err(|e| cache_error(&e))? {
        Refresh::Send(pending) => pending,
        Refresh::Fresh(_) => {
            return Err(value_error(
                "Fresh",
                "the entry needs no refresh at this time",
            ))
        }
    };
    let response = HttpResponse::new(200, vec![], response_body.to_owned());
    let done = pending
        .on_response(&response, now)
        .map_err(|e| value_error(e.kind(), &e))?;
    Ok(done.entry.to_json())
}

/// Whether `logout --all` may delete a JSON file with these bytes.
#[pyfunction]
fn is_login_entry(data: &[u8]) -> bool {
    is_login_cache_entry(data)
}

/// `export-credentials --format NAME` output for these credentials.
#[pyfunction]
#[pyo3(signature = (format, access_key_id, secret_access_key, session_token, expiration, account_id=None))]
fn render_export(
    format: &str,
    access_key_id: &str,
    secret_access_key: &str,
    session_token: &str,
    expiration: &str,
    account_id: Option<String>,
) -> PyResult<String> {
    let format: ExportFormat = format
        .parse()
        .map_err(|e| value_error("UnknownExportFormat", e))?;
    let creds = Credentials {
        access_key_id: access_key_id.to_owned(),
        secret_access_key: SecretString::new(secret_access_key),
        session_token: SecretString::new(session_token),
        expiration: timestamp(expiration)?,
        account_id,
    };
    Ok(format.render(&creds))
}

/// Parses a token endpoint response; a dict of fields, or ValueError(kind, message).
#[pyfunction]
fn parse_token_reply<'py>(
    py: Python<'py>,
    status: u16,
    headers: Vec<(String, String)>,
    body: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let response = HttpResponse::new(status, headers, body.to_owned());
    let out = PyDict::new(py);
    match parse_token_response(&response) {
        Ok(output) => {
            out.set_item("kind", "ok")?;
            out.set_item("accessKeyId", &output.access_key_id)?;
            out.set_item("secretAccessKey", output.secret_access_key.expose())?;
            out.set_item("sessionToken", output.session_token.expose())?;
            out.set_item("expiresIn", output.expires_in)?;
            out.set_item("refreshToken", output.refresh_token.expose())?;
            out.set_item("idToken", output.id_token.as_ref().map(|t| t.expose()))?;
        }
        Err(e) => {
            out.set_item("kind", "error")?;
            out.set_item("error", e.kind())?;
            out.set_item("retryable", e.is_retryable())?;
            out.set_item("needsLogin", e.needs_login())?;
            out.set_item("code", e.code())?;
            out.set_item("message", e.to_string())?;
        }
    }
    Ok(out)
}

/// The authorization code from a loopback callback query (ValueError(kind, message) otherwise).
#[pyfunction]
fn callback_code(query: &str, expected_state: &str) -> PyResult<String> {
    parse_callback(query, expected_state)
        .map(|c| c.code.expose().to_owned())
        .map_err(|e| value_error(e.kind(), &e))
}

/// The authorization code from a pasted remote-flow code.
#[pyfunction]
fn remote_code(pasted: &str, expected_state: &str) -> PyResult<String> {
    decode_remote_code(pasted, expected_state)
        .map(|c| c.code.expose().to_owned())
        .map_err(|e| value_error(e.kind(), &e))
}

/// The login session named by an id token's `sub`.
#[pyfunction]
fn login_session_of_id_token<'py>(py: Python<'py>, id_token: &str) -> PyResult<Bound<'py, PyDict>> {
    let session = LoginSession::from_id_token(id_token).map_err(|e| value_error(e.kind(), &e))?;
    let out = PyDict::new(py);
    out.set_item("arn", session.arn())?;
    out.set_item("partition", session.partition())?;
    out.set_item("accountId", session.account_id())?;
    out.set_item("resource", session.resource())?;
    out.set_item("cacheFileName", session.cache_file_name())?;
    Ok(out)
}

/// A POST /v1/token request signed with the key: `{method, url, body, headers}`. `grant` is
/// `authorization_code` (needs code, code_verifier, redirect_uri) or `refresh_token`.
#[pyfunction]
#[pyo3(signature = (grant, client_id, token_url, key_pem, iat, jti, code=None, code_verifier=None, redirect_uri=None, refresh_token=None))]
#[allow(clippy::too_many_arguments)]
fn token_request<'py>(
    py: Python<'py>,
    grant: &str,
    client_id: &str,
    token_url: &str,
    key_pem: &str,
    iat: i64,
    jti: &str,
    code: Option<&str>,
    code_verifier: Option<&str>,
    redirect_uri: Option<&str>,
    refresh_token: Option<&str>,
) -> PyResult<Bound<'py, PyDict>> {
    let key = dpop_key(key_pem)?;
    let missing = |name: &str| value_error("MissingArgument", format!("{grant} needs {name}"));
    let request = match grant {
        "authorization_code" => TokenRequest::authorization_code(
            client_id,
            code.ok_or_else(|| missing("code"))?,
            code_verifier.ok_or_else(|| missing("code_verifier"))?,
            redirect_uri.ok_or_else(|| missing("redirect_uri"))?,
            token_url,
            &key,
            iat,
            jti,
        ),
        "refresh_token" => TokenRequest::refresh(
            client_id,
            &SecretString::new(refresh_token.ok_or_else(|| missing("refresh_token"))?),
            token_url,
            &key,
            iat,
            jti,
        ),
        other => {
            return Err(value_error(
                "UnknownGrant",
                format!("unknown grant type {other}"),
            ))
        }
    };
    let out = PyDict::new(py);
    out.set_item("method", &request.method)?;
    out.set_item("url", &request.url)?;
    out.set_item("body", String::from_utf8_lossy(&request.body).into_owned())?;
    let headers = PyDict::new(py);
    for (name, value) in &request.headers {
        headers.set_item(name, value)?;
    }
    out.set_item("headers", headers)?;
    Ok(out)
}

fn section_id(kind: &str, name: &str) -> PyResult<SectionId> {
    let name = name.to_owned();
    match kind {
        "profile" => Ok(SectionId::Profile(name)),
        "sso-session" => Ok(SectionId::SsoSession(name)),
        "services" => Ok(SectionId::Services(name)),
        other => Err(value_error(
            "UnknownSectionKind",
            format!("unknown section kind {other}"),
        )),
    }
}

/// A value of a config section as botocore reads it (`sub_key` for nested values); None when
/// the section or key is absent.
#[pyfunction]
#[pyo3(signature = (text, kind, name, key, sub_key=None))]
fn config_value(
    text: &str,
    kind: &str,
    name: &str,
    key: &str,
    sub_key: Option<&str>,
) -> PyResult<Option<String>> {
    let config = ConfigFile::parse(text);
    let Some(view) = config.section(&section_id(kind, name)?) else {
        return Ok(None);
    };
    Ok(match sub_key {
        Some(sub) => view.sub(key, sub).map(str::to_owned),
        None => view.get(key).map(str::to_owned),
    })
}

/// Profile names in file order (`[default]` is `default`).
#[pyfunction]
fn config_profile_names(text: &str) -> Vec<String> {
    ConfigFile::parse(text).profile_names()
}

/// The other credential style a profile holds (`"SSO"`, `"Access Key"`, …) or None.
#[pyfunction]
fn config_credential_style(text: &str, profile: &str) -> Option<&'static str> {
    ConfigFile::parse(text).credential_style(profile)
}

/// The Sign-In endpoint override configured for a profile (profile or services section).
#[pyfunction]
fn config_signin_endpoint_url(text: &str, profile: &str) -> Option<String> {
    ConfigFile::parse(text).signin_endpoint_url(profile)
}

/// The config text after a format-preserving `key = value` edit in one section.
#[pyfunction]
fn config_set(text: &str, kind: &str, name: &str, key: &str, value: &str) -> PyResult<String> {
    ConfigFile::parse(text)
        .set(&section_id(kind, name)?, key, value)
        .map_err(|e| value_error("ConfigEdit", e))
}

/// The credential chain login-core plans for `profile` from a config and a shared credentials
/// file: `{"base": {"kind", "profile", …}, "roles": [{"profile", "roleArn", …}], "profiles": […]}`
/// in the spelling of `fixtures/chain.json`; a refusal is `ValueError(kind, message)`.
#[pyfunction]
fn chain_plan<'py>(
    py: Python<'py>,
    config: &str,
    credentials: &str,
    profile: &str,
) -> PyResult<Bound<'py, PyDict>> {
    let chain = plan(
        &ConfigFile::parse(config),
        &SharedCredentialsFile::parse(credentials),
        profile,
    )
    .map_err(|e| value_error(e.kind(), &e))?;
    let base = PyDict::new(py);
    base.set_item("profile", chain.base.profile())?;
    match &chain.base {
        Source::LoginSession { session_arn, .. } => {
            base.set_item("kind", "LoginSession")?;
            base.set_item("sessionArn", session_arn)?;
        }
        Source::StaticKeys { keys, file, .. } => {
            base.set_item("kind", "StaticKeys")?;
            base.set_item("accessKeyId", &keys.access_key_id)?;
            let file = match file {
                KeysFile::Credentials => "credentials",
                KeysFile::Config => "config",
            };
            base.set_item("file", file)?;
            base.set_item("hasSessionToken", keys.session_token.is_some())?;
        }
        Source::CredentialProcess { command, .. } => {
            base.set_item("kind", "CredentialProcess")?;
            base.set_item("command", command)?;
        }
        Source::Environment { .. } => base.set_item("kind", "Environment")?,
        other => {
            return Err(value_error(
                "UnknownSource",
                format!("no fixture spelling for {}", other.describe()),
            ))
        }
    }
    let roles = chain
        .roles
        .iter()
        .map(|role| -> PyResult<Bound<'py, PyDict>> {
            let step = PyDict::new(py);
            step.set_item("profile", &role.profile)?;
            step.set_item("roleArn", &role.role_arn)?;
            step.set_item("roleSessionName", &role.role_session_name)?;
            step.set_item("externalId", &role.external_id)?;
            step.set_item("mfaSerial", &role.mfa_serial)?;
            step.set_item("durationSeconds", role.duration_seconds)?;
            Ok(step)
        })
        .collect::<PyResult<Vec<_>>>()?;
    let result = PyDict::new(py);
    result.set_item("base", base)?;
    result.set_item("roles", roles)?;
    result.set_item("profiles", chain.profiles())?;
    Ok(result)
}

pub fn register(parent: &Bound<'_, PyModule>) -> PyResult<()> {
    let m = PyModule::new(parent.py(), "vectors")?;
    m.add_function(wrap_pyfunction!(pkce_challenge, &m)?)?;
    m.add_function(wrap_pyfunction!(chain_plan, &m)?)?;
    m.add_function(wrap_pyfunction!(pkce_verifier_from_random_bytes, &m)?)?;
    m.add_function(wrap_pyfunction!(authorize_request_url, &m)?)?;
    m.add_function(wrap_pyfunction!(confirmation_url, &m)?)?;
    m.add_function(wrap_pyfunction!(endpoint_base, &m)?)?;
    m.add_function(wrap_pyfunction!(override_token_url, &m)?)?;
    m.add_function(wrap_pyfunction!(dpop_key_info, &m)?)?;
    m.add_function(wrap_pyfunction!(dpop_proof, &m)?)?;
    m.add_function(wrap_pyfunction!(dpop_verify, &m)?)?;
    m.add_function(wrap_pyfunction!(cache_file_name_of, &m)?)?;
    m.add_function(wrap_pyfunction!(parse_cache_entry, &m)?)?;
    m.add_function(wrap_pyfunction!(rewrite_cache_entry, &m)?)?;
    m.add_function(wrap_pyfunction!(refresh_decision, &m)?)?;
    m.add_function(wrap_pyfunction!(apply_refresh, &m)?)?;
    m.add_function(wrap_pyfunction!(is_login_entry, &m)?)?;
    m.add_function(wrap_pyfunction!(render_export, &m)?)?;
    m.add_function(wrap_pyfunction!(parse_token_reply, &m)?)?;
    m.add_function(wrap_pyfunction!(callback_code, &m)?)?;
    m.add_function(wrap_pyfunction!(remote_code, &m)?)?;
    m.add_function(wrap_pyfunction!(login_session_of_id_token, &m)?)?;
    m.add_function(wrap_pyfunction!(token_request, &m)?)?;
    m.add_function(wrap_pyfunction!(config_value, &m)?)?;
    m.add_function(wrap_pyfunction!(config_profile_names, &m)?)?;
    m.add_function(wrap_pyfunction!(config_credential_style, &m)?)?;
    m.add_function(wrap_pyfunction!(config_signin_endpoint_url, &m)?)?;
    m.add_function(wrap_pyfunction!(config_set, &m)?)?;
    parent.add_submodule(&m)?;
    Ok(())
}
