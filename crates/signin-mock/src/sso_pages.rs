//! The IAM Identity Center pages a person uses in a browser: `GET /authorize` (authorization
//! code + PKCE S256; pick a user, Allow or Deny) and the device verification page
//! (`GET /device`, user code entry, then Allow or Deny). `sso.auto_approve` skips both pages.

use std::collections::HashMap;

use axum::extract::{Form, OriginalUri, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::authorize::{escape, html_response, redirect, with_query};
use crate::sso::{ids, redirect_registered, DeviceDecision, SsoAuthorizeRequest, SsoCode};
use crate::state::{Millis, SharedState};

/// An `/authorize` page stays answerable as long as the CLI waits (10 minutes), once.
const PENDING_MS: Millis = 10 * 60 * 1000;

fn count(state: &SharedState, event: &str) {
    *state
        .lock()
        .stats
        .sso_pages
        .entry(event.to_owned())
        .or_default() += 1;
}

/// Validates an authorize query. Problems that make the redirect URI untrustworthy (client,
/// redirect URI) are listed on a 400 page; the others go back to the client as
/// `?error=…&state=…` (RFC 6749 §4.1.2.1).
enum Verdict {
    Page(Vec<String>),
    Redirect(String),
    Ok(SsoAuthorizeRequest),
}

fn validate(state: &SharedState, raw_query: &str) -> Verdict {
    let mut params: HashMap<String, String> = HashMap::new();
    let mut problems = Vec::new();
    for (key, value) in url::form_urlencoded::parse(raw_query.as_bytes()) {
        if params.insert(key.to_string(), value.to_string()).is_some() {
            problems.push(format!("parameter {key} is repeated"));
        }
    }
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    let client_id = get("client_id");
    let redirect_uri = get("redirect_uri");
    let client = state.lock().sso.clients.get(client_id).cloned();
    match &client {
        None => problems.push(format!(
            "client_id {client_id:?} is not a registered client"
        )),
        Some(c) if state.now_ms() >= c.expires_at => {
            problems.push("the client registration has expired".to_owned())
        }
        Some(c) if !c.allows("authorization_code") => problems
            .push("the client is not registered for the authorization_code grant".to_owned()),
        Some(c) if !redirect_registered(c, redirect_uri) => problems.push(format!(
            "redirect_uri {redirect_uri:?} is not registered for this client"
        )),
        Some(_) => {}
    }
    if !problems.is_empty() {
        return Verdict::Page(problems);
    }
    let client = client.unwrap_or_else(|| unreachable!("checked above"));
    let state_param = get("state");
    let back = |error: &str, description: &str| {
        let mut pairs = vec![("error", error), ("error_description", description)];
        if !state_param.is_empty() {
            pairs.push(("state", state_param));
        }
        Verdict::Redirect(with_query(redirect_uri, &pairs))
    };
    if get("response_type") != "code" {
        return back("unsupported_response_type", "response_type must be code");
    }
    let state_ok = (1..=512).contains(&state_param.len())
        && state_param.bytes().all(|b| (0x21..0x7f).contains(&b));
    if !state_ok {
        return back(
            "invalid_request",
            "state must be 1-512 printable characters",
        );
    }
    if get("code_challenge_method") != "S256" {
        return back("invalid_request", "code_challenge_method must be S256");
    }
    let challenge = get("code_challenge");
    let challenge_ok = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !challenge_ok {
        return back(
            "invalid_request",
            "code_challenge must be 43 base64url characters",
        );
    }
    // AWS CLI sends `scopes` (space-joined), the VS Code toolkit `scopes` comma-joined, RFC
    // 6749 clients `scope`: accept each, not both.
    if params.contains_key("scopes") && params.contains_key("scope") {
        return back("invalid_request", "send scopes or scope, not both");
    }
    let requested: Vec<String> = params
        .get("scopes")
        .or_else(|| params.get("scope"))
        .map(|s| {
            s.split([' ', ','])
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if let Some(bad) = requested.iter().find(|s| !client.scopes.contains(s)) {
        return back(
            "invalid_scope",
            &format!("scope {bad} was not registered by this client"),
        );
    }
    Verdict::Ok(SsoAuthorizeRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        state: state_param.to_owned(),
        code_challenge: challenge.to_owned(),
        scopes: requested,
    })
}

fn problems_page(problems: &[String]) -> Response {
    let items: String = problems
        .iter()
        .map(|p| format!("<li>{}</li>", escape(p)))
        .collect();
    html_response(
        StatusCode::BAD_REQUEST,
        "Invalid authorization request",
        &format!(
            "<h1 id=\"error-title\">This authorization request is not valid</h1>\
             <div class=\"error\"><ul class=\"problems\" id=\"problems\">{items}</ul></div>\
             <p>Nothing was approved; you can close this page.</p>"
        ),
    )
}

fn issue_code(state: &SharedState, request: SsoAuthorizeRequest, user: &str) -> Response {
    let code = ids::code();
    let location = with_query(
        &request.redirect_uri,
        &[("code", code.as_str()), ("state", request.state.as_str())],
    );
    let now = state.now_ms();
    state.lock().sso.codes.insert(
        code,
        SsoCode {
            request,
            user: user.to_owned(),
            issued_at: now,
            redeemed: false,
        },
    );
    redirect(&location)
}

fn user_choices(state: &SharedState) -> String {
    state
        .config
        .sso
        .users
        .iter()
        .map(|user| {
            let accounts = user.assignments.len();
            format!(
                "<label class=\"identity\" for=\"user-{name}\">\
                 <input type=\"radio\" name=\"user\" id=\"user-{name}\" value=\"{name}\" required> \
                 <strong>{name}</strong><small>{accounts} role assignment(s)</small></label>",
                name = escape(&user.name),
            )
        })
        .collect()
}

fn consent_page(
    state: &SharedState,
    pending: &str,
    request: &SsoAuthorizeRequest,
    notice: Option<&str>,
) -> Response {
    let scopes = if request.scopes.is_empty() {
        "the scopes it registered".to_owned()
    } else {
        request.scopes.join(", ")
    };
    let notice = notice
        .map(|n| format!("<p class=\"error\" id=\"notice\">{}</p>", escape(n)))
        .unwrap_or_default();
    html_response(
        StatusCode::OK,
        "Allow access to IAM Identity Center",
        &format!(
            "<h1>Allow this tool to access your AWS accounts?</h1>\
             <p>A tool on this computer asks for access to the AWS access portal ({scopes}).</p>{notice}\
             <form method=\"post\" action=\"/authorize/decision\" id=\"sign-in\">\
             <input type=\"hidden\" name=\"request\" value=\"{pending}\">\
             <fieldset><legend>Sign in as</legend>{users}</fieldset>\
             <div class=\"buttons\">\
             <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow access</button>\
             <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\" formnovalidate>Deny</button>\
             </div></form>",
            scopes = escape(&scopes),
            pending = escape(pending),
            users = user_choices(state),
        ),
    )
}

pub(crate) async fn authorize(
    State(state): State<SharedState>,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let request = match validate(&state, uri.query().unwrap_or("")) {
        Verdict::Page(problems) => {
            count(&state, "authorize_invalid");
            return problems_page(&problems);
        }
        Verdict::Redirect(location) => {
            count(&state, "authorize_invalid");
            return redirect(&location);
        }
        Verdict::Ok(request) => request,
    };
    let auto = state.lock().sso.auto_approve.clone();
    if let Some(user) = auto {
        count(&state, "authorize_auto_approved");
        return issue_code(&state, request, &user);
    }
    count(&state, "authorize_page");
    let pending = ids::opaque();
    let now = state.now_ms();
    state
        .lock()
        .sso
        .pending
        .insert(pending.clone(), (request.clone(), now));
    consent_page(&state, &pending, &request, None)
}

#[derive(Debug, Deserialize)]
pub(crate) struct AuthorizeDecision {
    request: String,
    #[serde(default)]
    user: Option<String>,
    decision: String,
}

pub(crate) async fn authorize_decision(
    State(state): State<SharedState>,
    Form(form): Form<AuthorizeDecision>,
) -> Response {
    let now = state.now_ms();
    let pending = state.lock().sso.pending.get(&form.request).cloned();
    let Some((request, _)) = pending.filter(|(_, created)| now - created < PENDING_MS) else {
        return html_response(
            StatusCode::BAD_REQUEST,
            "Request expired",
            "<h1 id=\"error-title\">This request has expired or was already answered</h1>\
             <p>Run the login command again.</p>",
        );
    };
    match form.decision.as_str() {
        "deny" => {
            state.lock().sso.pending.remove(&form.request);
            count(&state, "authorize_denied");
            let mut pairs = vec![
                ("error", "access_denied"),
                ("error_description", "The user denied the request"),
            ];
            pairs.push(("state", request.state.as_str()));
            redirect(&with_query(&request.redirect_uri, &pairs))
        }
        "allow" => {
            let user = form
                .user
                .as_deref()
                .and_then(|u| state.config.sso.user(u))
                .map(|u| u.name.clone());
            let Some(user) = user else {
                return consent_page(
                    &state,
                    &form.request,
                    &request,
                    Some("Pick a user to sign in as."),
                );
            };
            state.lock().sso.pending.remove(&form.request);
            count(&state, "authorize_approved");
            issue_code(&state, request, &user)
        }
        _ => html_response(
            StatusCode::BAD_REQUEST,
            "Invalid decision",
            "<h1 id=\"error-title\">Unknown decision</h1>",
        ),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeviceQuery {
    #[serde(default)]
    user_code: Option<String>,
}

/// The device a user code names, if it can still be answered.
fn pending_device(state: &SharedState, user_code: &str) -> Option<String> {
    let now = state.now_ms();
    let normalized = user_code.trim().to_ascii_uppercase();
    let inner = state.lock();
    let device_code = inner.sso.user_codes.get(&normalized)?;
    let device = inner.sso.devices.get(device_code)?;
    (device.decision == DeviceDecision::Pending && now < device.expires_at)
        .then(|| normalized.clone())
}

fn code_entry_page(notice: Option<&str>) -> Response {
    let notice = notice
        .map(|n| format!("<p class=\"error\" id=\"notice\">{}</p>", escape(n)))
        .unwrap_or_default();
    html_response(
        StatusCode::OK,
        "Authorize request",
        &format!(
            "<h1>Enter the code shown by your tool</h1>{notice}\
             <form method=\"get\" action=\"/device\" id=\"code-entry\">\
             <label for=\"user-code\">Code</label> \
             <input type=\"text\" name=\"user_code\" id=\"user-code\" placeholder=\"XXXX-XXXX\" required autocomplete=\"off\">\
             <div class=\"buttons\"><button type=\"submit\" id=\"next\">Next</button></div></form>"
        ),
    )
}

fn device_consent_page(state: &SharedState, user_code: &str) -> Response {
    html_response(
        StatusCode::OK,
        "Authorize request",
        &format!(
            "<h1>Allow this device to access your AWS accounts?</h1>\
             <p>Code <strong id=\"shown-code\">{code}</strong>. Only allow it if your tool shows the same code.</p>\
             <form method=\"post\" action=\"/device/decision\" id=\"sign-in\">\
             <input type=\"hidden\" name=\"user_code\" value=\"{code}\">\
             <fieldset><legend>Sign in as</legend>{users}</fieldset>\
             <div class=\"buttons\">\
             <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow access</button>\
             <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\" formnovalidate>Deny</button>\
             </div></form>",
            code = escape(user_code),
            users = user_choices(state),
        ),
    )
}

fn decide_device(state: &SharedState, user_code: &str, decision: DeviceDecision) -> bool {
    let mut inner = state.lock();
    let Some(device_code) = inner.sso.user_codes.get(user_code).cloned() else {
        return false;
    };
    match inner.sso.devices.get_mut(&device_code) {
        Some(device) if device.decision == DeviceDecision::Pending => {
            device.decision = decision;
            true
        }
        _ => false,
    }
}

fn done_page(approved: bool) -> Response {
    let (title, text) = if approved {
        (
            "Request approved",
            "You can close this window and return to your tool.",
        )
    } else {
        (
            "Request denied",
            "Nothing was approved; you can close this window.",
        )
    };
    html_response(
        StatusCode::OK,
        title,
        &format!("<h1 id=\"result\">{title}</h1><p>{text}</p>"),
    )
}

pub(crate) async fn device_page(
    State(state): State<SharedState>,
    query: Result<Query<DeviceQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let user_code = query.ok().and_then(|Query(q)| q.user_code);
    let Some(user_code) = user_code.filter(|c| !c.trim().is_empty()) else {
        count(&state, "device_page");
        return code_entry_page(None);
    };
    let Some(user_code) = pending_device(&state, &user_code) else {
        count(&state, "device_unknown_code");
        return code_entry_page(Some(
            "That code is not valid or has expired. Check it and try again.",
        ));
    };
    let auto = state.lock().sso.auto_approve.clone();
    if let Some(user) = auto {
        decide_device(&state, &user_code, DeviceDecision::Approved(user));
        count(&state, "device_auto_approved");
        return done_page(true);
    }
    count(&state, "device_page");
    device_consent_page(&state, &user_code)
}

#[derive(Debug, Deserialize)]
pub(crate) struct DeviceDecisionForm {
    user_code: String,
    #[serde(default)]
    user: Option<String>,
    decision: String,
}

pub(crate) async fn device_decision(
    State(state): State<SharedState>,
    Form(form): Form<DeviceDecisionForm>,
) -> Response {
    let Some(user_code) = pending_device(&state, &form.user_code) else {
        count(&state, "device_unknown_code");
        return code_entry_page(Some(
            "That code is not valid or has expired. Check it and try again.",
        ));
    };
    match form.decision.as_str() {
        "deny" => {
            decide_device(&state, &user_code, DeviceDecision::Denied);
            count(&state, "device_denied");
            done_page(false)
        }
        "allow" => {
            let user = form
                .user
                .as_deref()
                .and_then(|u| state.config.sso.user(u))
                .map(|u| u.name.clone());
            let Some(user) = user else {
                return device_consent_page(&state, &user_code);
            };
            decide_device(&state, &user_code, DeviceDecision::Approved(user));
            count(&state, "device_approved");
            done_page(true)
        }
        _ => (StatusCode::BAD_REQUEST, "unknown decision").into_response(),
    }
}

/// Approves (or denies) a device authorization by user code, for tests without a browser.
pub(crate) fn approve_device(
    state: &SharedState,
    user_code: &str,
    user: Option<&str>,
) -> Result<(), String> {
    let Some(user_code) = pending_device(state, user_code) else {
        return Err(format!(
            "no pending device authorization with user code {user_code:?}"
        ));
    };
    let decision = match user {
        Some(name) => match state.config.sso.user(name) {
            Some(u) => DeviceDecision::Approved(u.name.clone()),
            None => return Err(format!("no SSO user named {name:?}")),
        },
        None => DeviceDecision::Denied,
    };
    decide_device(state, &user_code, decision);
    Ok(())
}
