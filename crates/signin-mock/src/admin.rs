//! The admin API under `/__admin` (a path no real client uses): counters, faults, clock, and
//! principal actions, as JSON for Python and Node tests.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::faults::FaultPlan;
use crate::state::{Permissions, SharedState, Stats};

fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message.into()})),
    )
        .into_response()
}

fn ok() -> Response {
    Json(json!({"ok": true})).into_response()
}

pub(crate) async fn stats(State(state): State<SharedState>) -> Json<Stats> {
    Json(state.lock().stats.clone())
}

pub(crate) async fn reset_stats(State(state): State<SharedState>) -> Response {
    state.lock().stats = Stats::default();
    ok()
}

pub(crate) async fn get_faults(State(state): State<SharedState>) -> Json<FaultPlan> {
    Json(state.lock().faults.clone())
}

pub(crate) async fn set_faults(
    State(state): State<SharedState>,
    body: axum::body::Bytes,
) -> Response {
    let plan: FaultPlan = match serde_json::from_slice(&body) {
        Ok(plan) => plan,
        Err(e) => return bad_request(format!("fault plan is not valid JSON for this shape: {e}")),
    };
    if let Err(message) = plan.validate() {
        return bad_request(message);
    }
    state.lock().faults = plan.clone();
    Json(plan).into_response()
}

pub(crate) async fn clear_faults(State(state): State<SharedState>) -> Response {
    state.lock().faults = FaultPlan::default();
    ok()
}

/// Marks a principal's password changed now: its existing sessions can no longer refresh.
pub(crate) fn mark_password_changed(state: &SharedState, principal: &str) -> Result<(), String> {
    let Some(identity) = state.identity(principal) else {
        return Err(format!("no identity named {principal:?}"));
    };
    let name = identity.name.clone();
    let now = state.now_ms();
    state.lock().password_changed.insert(name, now);
    Ok(())
}

pub(crate) async fn password_changed(
    State(state): State<SharedState>,
    Path(name): Path<String>,
) -> Response {
    match mark_password_changed(&state, &name) {
        Ok(()) => ok(),
        Err(message) => (StatusCode::NOT_FOUND, Json(json!({"error": message}))).into_response(),
    }
}

/// Changes a principal's Sign-In permissions from now on (fields left out stay as they are).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PermissionsBody {
    pub can_authorize: Option<bool>,
    pub can_create_token: Option<bool>,
}

pub(crate) fn change_permissions(
    state: &SharedState,
    principal: &str,
    change: &PermissionsBody,
) -> Result<Permissions, String> {
    let Some(identity) = state.identity(principal) else {
        return Err(format!("no identity named {principal:?}"));
    };
    let mut inner = state.lock();
    let entry = inner.permissions.entry(identity.name.clone()).or_default();
    if let Some(v) = change.can_authorize {
        entry.can_authorize = v;
    }
    if let Some(v) = change.can_create_token {
        entry.can_create_token = v;
    }
    Ok(*entry)
}

pub(crate) async fn permissions(
    State(state): State<SharedState>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let change: PermissionsBody = match serde_json::from_slice(&body) {
        Ok(change) => change,
        Err(e) => {
            return bad_request(format!(
            "expected {{\"can_authorize\": bool, \"can_create_token\": bool}} (both optional): {e}"
        ))
        }
    };
    match change_permissions(&state, &name, &change) {
        Ok(now) => Json(now).into_response(),
        Err(message) => (StatusCode::NOT_FOUND, Json(json!({"error": message}))).into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClockBody {
    offset_secs: i64,
}

pub(crate) async fn set_clock(
    State(state): State<SharedState>,
    body: axum::body::Bytes,
) -> Response {
    match serde_json::from_slice::<ClockBody>(&body) {
        Ok(clock) => {
            state.lock().clock_offset_secs = clock.offset_secs;
            ok()
        }
        Err(e) => bad_request(format!("expected {{\"offset_secs\": N}}: {e}")),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AutoApproveBody {
    identity: Option<String>,
}

pub(crate) fn set_auto_approve(state: &SharedState, identity: Option<&str>) -> Result<(), String> {
    let name = match identity {
        None => None,
        Some(name) => match state.identity(name) {
            Some(identity) => Some(identity.name.clone()),
            None => return Err(format!("no identity named {name:?}")),
        },
    };
    state.lock().auto_approve = name;
    Ok(())
}

pub(crate) async fn auto_approve(
    State(state): State<SharedState>,
    body: axum::body::Bytes,
) -> Response {
    match serde_json::from_slice::<AutoApproveBody>(&body) {
        Ok(b) => match set_auto_approve(&state, b.identity.as_deref()) {
            Ok(()) => ok(),
            Err(message) => bad_request(message),
        },
        Err(e) => bad_request(format!("expected {{\"identity\": \"alice\" | null}}: {e}")),
    }
}

/// Ends every login session now (refreshes then get `TOKEN_EXPIRED`).
pub(crate) fn expire_sessions(state: &SharedState) {
    let now = state.now_ms();
    for session in state.lock().sessions.values_mut() {
        session.expires_at = session.expires_at.min(now);
    }
}

/// Expires every issued credential now (STS then answers `ExpiredToken`).
pub(crate) fn expire_credentials(state: &SharedState) {
    let now = state.now_ms();
    for credentials in state.lock().credentials.values_mut() {
        credentials.expires_at = credentials.expires_at.min(now);
    }
}

pub(crate) async fn expire_sessions_handler(State(state): State<SharedState>) -> Response {
    expire_sessions(&state);
    ok()
}

pub(crate) async fn expire_credentials_handler(State(state): State<SharedState>) -> Response {
    expire_credentials(&state);
    ok()
}

pub(crate) async fn identities(State(state): State<SharedState>) -> Response {
    let permissions = state.lock().permissions.clone();
    Json(json!({
        "identities": state.config.identities,
        "permissions": permissions,
        "roles": state.config.roles,
        "mfa_devices": state.config.mfa_devices,
    }))
    .into_response()
}

/// A code of this MFA device that AssumeRole would accept now (not yet spent), and how many
/// seconds it stays acceptable. Does not spend it.
pub(crate) fn mfa_code(state: &SharedState, serial: &str) -> Result<(String, i64), String> {
    let Some(device) = state.config.mfa_devices.iter().find(|d| d.serial == serial) else {
        return Err(format!("no MFA device with serial {serial:?}"));
    };
    let now_secs = state.now_ms().div_euclid(1000);
    let current = crate::mfa::step_of(now_secs);
    let inner = state.lock();
    let used = inner.used_mfa_steps.get(serial);
    // The current step's code, else the next one's (accepted as drift for another step).
    for step in [current, current + 1] {
        if !used.is_some_and(|u| u.contains(&step)) {
            let valid_until = (step + 2) * crate::mfa::STEP_SECS;
            return Ok((
                crate::mfa::code_at_step(&device.secret, step),
                valid_until - now_secs,
            ));
        }
    }
    Err(format!(
        "both codes of {serial:?} acceptable now were already used; try again in {} s",
        (current + 1) * crate::mfa::STEP_SECS - now_secs
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MfaQuery {
    serial: String,
}

pub(crate) async fn mfa_code_handler(
    State(state): State<SharedState>,
    query: Result<axum::extract::Query<MfaQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(axum::extract::Query(query)) = query else {
        return bad_request("expected ?serial=arn:aws:iam::ACCOUNT:mfa/NAME");
    };
    match mfa_code(&state, &query.serial) {
        Ok((code, valid_for_secs)) => Json(json!({
            "serial": query.serial,
            "code": code,
            "valid_for_secs": valid_for_secs,
        }))
        .into_response(),
        Err(message) if message.starts_with("no MFA device") => {
            (StatusCode::NOT_FOUND, Json(json!({"error": message}))).into_response()
        }
        Err(message) => (StatusCode::CONFLICT, Json(json!({"error": message}))).into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegionsBody {
    disabled: Vec<String>,
}

pub(crate) async fn get_sts_regions(State(state): State<SharedState>) -> Response {
    let disabled = state.lock().sts_disabled_regions.clone();
    Json(json!({ "disabled": disabled })).into_response()
}

pub(crate) async fn set_sts_regions(
    State(state): State<SharedState>,
    body: axum::body::Bytes,
) -> Response {
    match serde_json::from_slice::<RegionsBody>(&body) {
        Ok(b) => {
            let disabled: std::collections::BTreeSet<String> = b.disabled.into_iter().collect();
            state.lock().sts_disabled_regions = disabled.clone();
            Json(json!({ "disabled": disabled })).into_response()
        }
        Err(e) => bad_request(format!(
            "expected {{\"disabled\": [\"eu-south-1\", …]}}: {e}"
        )),
    }
}

pub(crate) async fn health() -> Response {
    ok()
}

/// Accounts, users and their assignments, lifetimes and the auto-approve user in force.
pub(crate) async fn sso_overview(State(state): State<SharedState>) -> Response {
    let auto_approve = state.lock().sso.auto_approve.clone();
    let mut config = serde_json::to_value(&state.config.sso).unwrap_or_default();
    config["auto_approve"] = json!(auto_approve);
    Json(config).into_response()
}

pub(crate) fn set_sso_auto_approve(state: &SharedState, user: Option<&str>) -> Result<(), String> {
    let name = match user {
        None => None,
        Some(name) => match state.config.sso.user(name) {
            Some(user) => Some(user.name.clone()),
            None => return Err(format!("no SSO user named {name:?}")),
        },
    };
    state.lock().sso.auto_approve = name;
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SsoUserBody {
    user: Option<String>,
}

pub(crate) async fn sso_auto_approve(
    State(state): State<SharedState>,
    body: axum::body::Bytes,
) -> Response {
    match serde_json::from_slice::<SsoUserBody>(&body) {
        Ok(b) => match set_sso_auto_approve(&state, b.user.as_deref()) {
            Ok(()) => ok(),
            Err(message) => bad_request(message),
        },
        Err(e) => bad_request(format!("expected {{\"user\": \"alice\" | null}}: {e}")),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeviceApproveBody {
    user_code: String,
    user: Option<String>,
}

pub(crate) async fn sso_device_approve(
    State(state): State<SharedState>,
    body: axum::body::Bytes,
) -> Response {
    match serde_json::from_slice::<DeviceApproveBody>(&body) {
        Ok(b) => match crate::sso_pages::approve_device(&state, &b.user_code, b.user.as_deref()) {
            Ok(()) => ok(),
            Err(message) => {
                (StatusCode::NOT_FOUND, Json(json!({"error": message}))).into_response()
            }
        },
        Err(e) => bad_request(format!(
            "expected {{\"user_code\": \"ABCD-EFGH\", \"user\": \"alice\" | null}}: {e}"
        )),
    }
}

pub(crate) fn expire_sso_tokens(state: &SharedState) {
    let now = state.now_ms();
    for token in state.lock().sso.access_tokens.values_mut() {
        token.expires_at = token.expires_at.min(now);
    }
}

pub(crate) fn expire_sso_sessions(state: &SharedState) {
    let now = state.now_ms();
    for sign_in in state.lock().sso.sign_ins.values_mut() {
        sign_in.expires_at = sign_in.expires_at.min(now);
    }
}

pub(crate) fn expire_sso_registrations(state: &SharedState) {
    let now = state.now_ms();
    for client in state.lock().sso.clients.values_mut() {
        client.expires_at = client.expires_at.min(now);
    }
}

pub(crate) async fn sso_expire_tokens(State(state): State<SharedState>) -> Response {
    expire_sso_tokens(&state);
    ok()
}

pub(crate) async fn sso_expire_sessions(State(state): State<SharedState>) -> Response {
    expire_sso_sessions(&state);
    ok()
}

pub(crate) async fn sso_expire_registrations(State(state): State<SharedState>) -> Response {
    expire_sso_registrations(&state);
    ok()
}
