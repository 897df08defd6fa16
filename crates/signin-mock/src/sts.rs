//! STS over the awsQuery protocol (form-encoded request, XML response), which is what boto3
//! (old and new) and `@aws-sdk/client-sts` send: `GetCallerIdentity` and `AssumeRole`, each
//! authenticated by verifying the SigV4 signature against the secret this server issued.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::authorize::escape;
use crate::sigv4;
use crate::state::{tokens, IssuedCredentials, Millis, SharedState};

const XMLNS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// STS refuses signatures more than 15 minutes away from its clock.
const MAX_SIGNATURE_SKEW_SECS: i64 = 15 * 60;

#[derive(Debug)]
pub(crate) struct StsError {
    status: StatusCode,
    sender_fault: bool,
    code: &'static str,
    message: String,
}

fn sts_error(status: u16, code: &'static str, message: impl Into<String>) -> StsError {
    StsError {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
        sender_fault: status < 500,
        code,
        message: message.into(),
    }
}

pub(crate) fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let kind = if status.is_server_error() {
        "Receiver"
    } else {
        "Sender"
    };
    let request_id = uuid::Uuid::new_v4().to_string();
    let body = format!(
        "<ErrorResponse xmlns=\"{XMLNS}\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    \
         <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
        escape(code),
        escape(message)
    );
    xml_response(status, body, &request_id)
}

fn xml_response(status: StatusCode, body: String, request_id: &str) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-RequestId", v);
    }
    response
}

pub(crate) async fn sts(
    State(state): State<SharedState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = state.now_ms();
    let raw_query = uri.query().unwrap_or("");
    let mut params: HashMap<String, String> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.split(';').next().is_some_and(|m| {
        m.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    }) {
        params.extend(url::form_urlencoded::parse(&body).into_owned());
    }
    let action = params.get("Action").cloned().unwrap_or_default();
    let label = if action.is_empty() {
        "unknown".to_owned()
    } else {
        action.clone()
    };

    let mut authenticated = false;
    let result = authenticate(&state, &method, uri.path(), raw_query, &headers, &body, now)
        .and_then(|(caller, region)| {
            authenticated = true;
            region_enabled(&state, &region, &caller)?;
            dispatch(&state, &action, &params, &caller, now)
        });
    let outcome = match &result {
        Ok(_) => "ok",
        Err(e) => e.code,
    };
    {
        let mut inner = state.lock();
        inner.count_sts(&label, outcome);
        if authenticated && action == "AssumeRole" {
            let role_arn = params.get("RoleArn").map_or("", String::as_str);
            inner.count_assume_role(role_arn, outcome);
        }
        inner.prune(now);
    }
    match result {
        Ok((body, request_id)) => xml_response(StatusCode::OK, body, &request_id),
        Err(e) => {
            tracing::info!(action = %label, code = e.code, message = %e.message, "sts refused");
            let _ = e.sender_fault;
            error_response(e.status, e.code, &e.message)
        }
    }
}

/// Checks the signature and returns who signed, the way STS orders its checks.
fn authenticate(
    state: &SharedState,
    method: &Method,
    raw_path: &str,
    raw_query: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: Millis,
) -> Result<(IssuedCredentials, String), StsError> {
    let Some(authorization) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        if raw_query.contains("X-Amz-Signature=") {
            return Err(sts_error(
                400,
                "IncompleteSignature",
                "Presigned (query-string) requests are not supported by this mock; sign with the Authorization header.",
            ));
        }
        return Err(sts_error(
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ));
    };
    let signed = sigv4::parse_authorization(authorization)
        .map_err(|m| sts_error(400, "IncompleteSignature", m))?;
    tracing::debug!(signed_headers = %signed.signed_headers.join(";"), region = %signed.region, "sts signature");
    if signed.service != "sts" {
        return Err(sts_error(
            403,
            "SignatureDoesNotMatch",
            format!(
                "Credential should be scoped to correct service: 'sts'. (got '{}')",
                signed.service
            ),
        ));
    }
    if !signed.signed_headers.iter().any(|h| h == "host") {
        return Err(sts_error(
            400,
            "IncompleteSignature",
            "'Host' must be a signed header.",
        ));
    }
    let amz_date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| sts_error(400, "IncompleteSignature", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."))?
        .to_owned();
    let signed_at = sigv4::parse_amz_date(&amz_date).ok_or_else(|| {
        sts_error(
            400,
            "IncompleteSignature",
            format!("X-Amz-Date '{amz_date}' is not YYYYMMDD'T'HHMMSS'Z'"),
        )
    })?;
    if !amz_date.starts_with(&signed.scope_date) {
        return Err(sts_error(
            403,
            "SignatureDoesNotMatch",
            format!("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}'", signed.scope_date, &amz_date[..8]),
        ));
    }

    let credentials = state.lock().credentials.get(&signed.access_key_id).cloned();
    let Some(credentials) = credentials else {
        return Err(sts_error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ));
    };
    let token = headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    if token != Some(credentials.session_token.as_str()) {
        return Err(sts_error(
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid.",
        ));
    }

    let now_secs = now.div_euclid(1000);
    if (now_secs - signed_at).abs() > MAX_SIGNATURE_SKEW_SECS {
        let format =
            time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
        let earliest =
            time::OffsetDateTime::from_unix_timestamp(now_secs - MAX_SIGNATURE_SKEW_SECS)
                .ok()
                .and_then(|t| t.format(format).ok())
                .unwrap_or_default();
        let message = if signed_at < now_secs {
            format!("Signature expired: {amz_date} is now earlier than {earliest} (now - 15 min.)")
        } else {
            format!("Signature not yet current: {amz_date} is still later than the server time plus 15 min.")
        };
        return Err(sts_error(403, "SignatureDoesNotMatch", message));
    }

    let canonical = sigv4::canonical_request(method, raw_path, raw_query, headers, &signed, body)
        .map_err(|m| sts_error(403, "SignatureDoesNotMatch", m))?;
    let expected = sigv4::expected_signature(
        &credentials.secret_access_key,
        &amz_date,
        &signed,
        &canonical,
    );
    if !sigv4::signatures_match(&expected, &signed.signature) {
        return Err(sts_error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ));
    }
    if now >= credentials.expires_at {
        return Err(sts_error(
            403,
            "ExpiredToken",
            "The security token included in the request is expired",
        ));
    }
    Ok((credentials, signed.region))
}

/// STS in a region the account has not activated refuses every call, after authentication.
fn region_enabled(
    state: &SharedState,
    region: &str,
    caller: &IssuedCredentials,
) -> Result<(), StsError> {
    if state.lock().sts_disabled_regions.contains(region) {
        let account = crate::config::arn_account(&caller.arn);
        return Err(sts_error(
            403,
            "RegionDisabledException",
            format!(
                "STS is not activated in this region for account:{account}. Your account administrator can activate STS in this region using the IAM Console."
            ),
        ));
    }
    Ok(())
}

fn dispatch(
    state: &SharedState,
    action: &str,
    params: &HashMap<String, String>,
    caller: &IssuedCredentials,
    now: Millis,
) -> Result<(String, String), StsError> {
    match params.get("Version").map(String::as_str) {
        Some("2011-06-15") => {}
        Some(other) => {
            return Err(sts_error(
                400,
                "InvalidAction",
                format!("Could not find operation {action} for version {other}"),
            ))
        }
        None => {
            return Err(sts_error(
                400,
                "MissingParameter",
                "The request must contain the parameter Version",
            ))
        }
    }
    let request_id = uuid::Uuid::new_v4().to_string();
    let account = crate::config::arn_account(&caller.arn);
    match action {
        "GetCallerIdentity" => Ok((
            format!(
                "<GetCallerIdentityResponse xmlns=\"{XMLNS}\">\n  <GetCallerIdentityResult>\n    \
                 <Arn>{}</Arn>\n    <UserId>{}</UserId>\n    <Account>{account}</Account>\n  \
                 </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>{request_id}</RequestId>\n  \
                 </ResponseMetadata>\n</GetCallerIdentityResponse>\n",
                escape(&caller.arn),
                escape(&caller.user_id),
            ),
            request_id,
        )),
        "AssumeRole" => assume_role(state, params, caller, now, request_id),
        "" => Err(sts_error(400, "MissingAction", "Missing Action")),
        other => Err(sts_error(
            400,
            "InvalidAction",
            format!("Could not find operation {other} for version 2011-06-15"),
        )),
    }
}

fn validation(message: String) -> StsError {
    sts_error(400, "ValidationError", message)
}

fn not_authorized(caller: &IssuedCredentials, role_arn: &str) -> StsError {
    sts_error(
        403,
        "AccessDenied",
        format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            caller.arn
        ),
    )
}

const MFA_INVALID_CODE: &str =
    "MultiFactorAuthentication failed with invalid MFA one time pass code.";
const MFA_UNKNOWN_DEVICE: &str = "MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.";

/// The member constraints of the AssumeRole input, all reported at once as STS does.
fn check_constraints(params: &HashMap<String, String>) -> Result<u64, StsError> {
    let role_arn = params.get("RoleArn").map(String::as_str).unwrap_or("");
    let session_name = params
        .get("RoleSessionName")
        .map(String::as_str)
        .unwrap_or("");
    let mut problems = Vec::new();
    if role_arn.len() < 20 || role_arn.len() > 2048 {
        problems.push(format!(
            "Value '{role_arn}' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
        ));
    }
    let name_ok = (2..=64).contains(&session_name.len())
        && session_name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b));
    if !name_ok {
        problems.push(format!(
            "Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64"
        ));
    }
    let duration = match params.get("DurationSeconds") {
        None => 3600,
        Some(v) => match v.parse::<u64>() {
            Ok(d) if (900..=43200).contains(&d) => d,
            _ => {
                problems.push(format!(
                    "Value '{v}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200"
                ));
                3600
            }
        },
    };
    if let Some(external_id) = params.get("ExternalId") {
        if !crate::config::valid_external_id(external_id) {
            problems.push(format!(
                "Value '{external_id}' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]* and have length between 2 and 1224"
            ));
        }
    }
    if let Some(serial) = params.get("SerialNumber") {
        if !crate::config::valid_serial_number(serial) {
            problems.push(format!(
                "Value '{serial}' at 'serialNumber' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=/:,.@-]* and have length between 9 and 256"
            ));
        }
    }
    if let Some(code) = params.get("TokenCode") {
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            problems.push(format!(
                "Value '{code}' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]* and have length 6"
            ));
        }
    }
    if !problems.is_empty() {
        let count = problems.len();
        let plural = if count == 1 { "error" } else { "errors" };
        return Err(validation(format!(
            "{count} validation {plural} detected: {}",
            problems.join("; ")
        )));
    }
    match (params.get("SerialNumber"), params.get("TokenCode")) {
        (Some(_), None) => Err(sts_error(403, "AccessDenied", MFA_INVALID_CODE)),
        (None, Some(_)) => Err(validation(
            "TokenCode was given without the SerialNumber of the MFA device it came from."
                .to_owned(),
        )),
        _ => Ok(duration),
    }
}

/// Checks `SerialNumber` + `TokenCode` against the caller's devices and spends the code.
/// `Ok(true)` when a valid code was presented, `Ok(false)` when none was.
fn check_mfa(
    state: &SharedState,
    params: &HashMap<String, String>,
    caller: &IssuedCredentials,
    now: Millis,
) -> Result<bool, StsError> {
    let (Some(serial), Some(code)) = (params.get("SerialNumber"), params.get("TokenCode")) else {
        return Ok(false);
    };
    let device = state
        .config
        .mfa_devices
        .iter()
        .find(|d| d.serial == *serial && d.identity == caller.identity);
    let Some(device) = device else {
        return Err(sts_error(403, "AccessDenied", MFA_UNKNOWN_DEVICE));
    };
    let Some(step) = crate::mfa::matching_step(&device.secret, code, now.div_euclid(1000)) else {
        return Err(sts_error(403, "AccessDenied", MFA_INVALID_CODE));
    };
    let mut inner = state.lock();
    let used = inner.used_mfa_steps.entry(serial.clone()).or_default();
    if !used.insert(step) {
        // A code works once: a replay gets the same answer as a wrong code, as in AWS.
        return Err(sts_error(403, "AccessDenied", MFA_INVALID_CODE));
    }
    Ok(true)
}

/// Whether an entry of a role's `trusted` list names this caller: `*`, the account root
/// (`arn:aws:iam::ACCOUNT:root`, anyone in that account), the caller's session ARN, the role
/// an assumed-role caller is a session of, or the name of the signed-in identity when the
/// caller holds that identity's own credentials (not a role session assumed from them).
fn trusts(entry: &str, caller: &IssuedCredentials) -> bool {
    let account = crate::config::arn_account(&caller.arn);
    entry == "*"
        || entry == caller.arn
        || caller.role_arn.as_deref() == Some(entry)
        || entry == format!("arn:aws:iam::{account}:root")
        || (!caller.from_assume_role && entry == caller.identity)
}

fn assume_role(
    state: &SharedState,
    params: &HashMap<String, String>,
    caller: &IssuedCredentials,
    now: Millis,
    request_id: String,
) -> Result<(String, String), StsError> {
    let duration = check_constraints(params)?;
    let role_arn = params.get("RoleArn").map(String::as_str).unwrap_or("");
    let session_name = params
        .get("RoleSessionName")
        .map(String::as_str)
        .unwrap_or("");

    let role = state.config.roles.iter().find(|r| r.arn == role_arn);
    let Some(role) = role.filter(|r| r.trusted.iter().any(|t| trusts(t, caller))) else {
        return Err(not_authorized(caller, role_arn));
    };
    let mfa_presented = check_mfa(state, params, caller, now)?;
    let mfa_authenticated = mfa_presented || caller.mfa_authenticated;
    if role.mfa_required && !mfa_authenticated {
        return Err(not_authorized(caller, role_arn));
    }
    if let Some(expected) = &role.external_id {
        if params.get("ExternalId") != Some(expected) {
            return Err(not_authorized(caller, role_arn));
        }
    }
    // A role session (from this STS, or a console session of a role) assuming a role is role
    // chaining, which AWS caps at one hour.
    let chaining = caller.from_assume_role || caller.role_arn.is_some();
    if chaining && duration > 3600 {
        return Err(validation(
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
                .to_owned(),
        ));
    }
    if duration > role.max_session_duration_secs {
        return Err(validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
                .to_owned(),
        ));
    }

    let account = crate::config::arn_account(role_arn);
    let role_name = role_arn.rsplit('/').next().unwrap_or("");
    let assumed_arn = format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}");
    let role_id = tokens::unique_id("AROA", role_arn);
    let duration_ms = i64::try_from(duration).unwrap_or(3600) * 1000;
    let issued = IssuedCredentials {
        secret_access_key: tokens::secret_access_key(),
        session_token: tokens::session_token(),
        expires_at: now + duration_ms,
        arn: assumed_arn.clone(),
        user_id: format!("{role_id}:{session_name}"),
        identity: caller.identity.clone(),
        from_assume_role: true,
        role_arn: Some(role_arn.to_owned()),
        mfa_authenticated,
    };
    let access_key_id = tokens::access_key_id();
    let expiration =
        time::OffsetDateTime::from_unix_timestamp((now + duration_ms).div_euclid(1000))
            .ok()
            .and_then(|t| {
                t.format(time::macros::format_description!(
                    "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
                ))
                .ok()
            })
            .unwrap_or_default();
    let source_identity = params
        .get("SourceIdentity")
        .map(|s| format!("    <SourceIdentity>{}</SourceIdentity>\n", escape(s)))
        .unwrap_or_default();
    let body = format!(
        "<AssumeRoleResponse xmlns=\"{XMLNS}\">\n  <AssumeRoleResult>\n{source_identity}    <AssumedRoleUser>\n      \
         <Arn>{}</Arn>\n      <AssumedRoleId>{}</AssumedRoleId>\n    </AssumedRoleUser>\n    <Credentials>\n      \
         <AccessKeyId>{access_key_id}</AccessKeyId>\n      <SecretAccessKey>{}</SecretAccessKey>\n      \
         <SessionToken>{}</SessionToken>\n      <Expiration>{expiration}</Expiration>\n    </Credentials>\n    \
         <PackedPolicySize>{}</PackedPolicySize>\n  </AssumeRoleResult>\n  <ResponseMetadata>\n    \
         <RequestId>{request_id}</RequestId>\n  </ResponseMetadata>\n</AssumeRoleResponse>\n",
        escape(&assumed_arn),
        escape(&issued.user_id),
        escape(&issued.secret_access_key),
        escape(&issued.session_token),
        if params.contains_key("Policy") { 6 } else { 0 },
    );
    state.lock().credentials.insert(access_key_id, issued);
    Ok((body, request_id))
}
