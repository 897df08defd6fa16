//! The browser side: `GET /v1/authorize` (validate, then a sign-in page or an error page, never a
//! redirect for a bad request), the Allow/Deny form post, and the remote-flow confirmation page.

use std::collections::HashMap;

use axum::extract::{Form, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use base64ct::{Base64, Encoding};

use crate::state::{tokens, AuthorizeRequest, IssuedCode, PendingSignIn, SharedState};
use crate::token::{addressed_base, CROSS_DEVICE, SAME_DEVICE};

const REQUIRED: [&str; 7] = [
    "response_type",
    "client_id",
    "state",
    "code_challenge_method",
    "scope",
    "redirect_uri",
    "code_challenge",
];

/// Validates every parameter; returns all problems at once so a developer can fix them together.
pub(crate) fn validate(raw_query: &str, base: &str) -> Result<AuthorizeRequest, Vec<String>> {
    let mut params: HashMap<String, Vec<String>> = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(raw_query.as_bytes()) {
        params
            .entry(key.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    let mut problems = Vec::new();
    let mut get = |name: &str| -> Option<String> {
        match params.get(name).map(Vec::as_slice) {
            None | Some([]) => {
                problems.push(format!("{name} is missing"));
                None
            }
            Some([one]) => Some(one.clone()),
            Some(_) => {
                problems.push(format!("{name} is given more than once"));
                None
            }
        }
    };
    let values: Vec<Option<String>> = REQUIRED.iter().map(|name| get(name)).collect();
    let [response_type, client_id, state, method, scope, redirect_uri, challenge] =
        <[Option<String>; 7]>::try_from(values).unwrap_or_default();

    if let Some(v) = &response_type {
        if v != "code" {
            problems.push(format!("response_type must be \"code\", got {v:?}"));
        }
    }
    if let Some(v) = &client_id {
        if v != SAME_DEVICE && v != CROSS_DEVICE {
            problems.push(format!(
                "client_id {v:?} is not {SAME_DEVICE} or {CROSS_DEVICE}"
            ));
        }
    }
    if let Some(v) = &state {
        let ok = !v.is_empty() && v.len() <= 512 && v.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            problems.push("state must be 1 to 512 printable ASCII characters".to_owned());
        }
    }
    if let Some(v) = &method {
        if v != "SHA-256" {
            problems.push(format!(
                "code_challenge_method must be \"SHA-256\", got {v:?}"
            ));
        }
    }
    if let Some(v) = &scope {
        if v != "openid" {
            problems.push(format!("scope must be \"openid\", got {v:?}"));
        }
    }
    if let Some(v) = &challenge {
        let ok = v.len() == 43
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            problems.push(
                "code_challenge must be base64url(SHA-256(verifier)) without padding: 43 characters"
                    .to_owned(),
            );
        }
    }
    if let (Some(uri), Some(client)) = (&redirect_uri, &client_id) {
        if client == SAME_DEVICE && !is_loopback_callback(uri) {
            problems.push(format!(
                "redirect_uri {uri:?} is not allowed for the same-device client; use \
                 http://127.0.0.1:PORT/oauth/callback"
            ));
        }
        let confirmation = format!("{base}/v1/sessions/confirmation");
        if client == CROSS_DEVICE && *uri != confirmation {
            problems.push(format!(
                "redirect_uri {uri:?} is not allowed for the cross-device client; use {confirmation}"
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    match (client_id, redirect_uri, state, challenge) {
        (Some(client_id), Some(redirect_uri), Some(state), Some(code_challenge)) => {
            Ok(AuthorizeRequest {
                client_id,
                redirect_uri,
                state,
                code_challenge,
            })
        }
        _ => Err(vec!["request is incomplete".to_owned()]),
    }
}

fn is_loopback_callback(uri: &str) -> bool {
    let Some(rest) = uri.strip_prefix("http://127.0.0.1:") else {
        return false;
    };
    let Some(port) = rest.strip_suffix("/oauth/callback") else {
        return false;
    };
    !port.is_empty()
        && port.len() <= 5
        && !port.starts_with('0')
        && port.bytes().all(|b| b.is_ascii_digit())
        && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p))
}

pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f2f3f3;color:#16191f;margin:0}
main{max-width:34rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem 2.25rem;box-shadow:0 1px 4px rgba(0,0,0,.15)}
h1{font-size:1.35rem;margin:0 0 .75rem}
p{line-height:1.45}
.mock{font-size:.8rem;color:#5f6b7a;text-transform:uppercase;letter-spacing:.05em}
fieldset{border:1px solid #d1d5db;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
label.identity{display:block;padding:.55rem 0;cursor:pointer}
label.identity small{display:block;color:#5f6b7a;margin-left:1.6rem;word-break:break-all}
.buttons{display:flex;gap:.75rem;margin-top:1.25rem}
button{font-size:1rem;padding:.55rem 1.4rem;border-radius:20px;border:1px solid #0972d3;cursor:pointer}
#allow{background:#0972d3;color:#fff}
#deny{background:#fff;color:#0972d3}
.error{background:#fff0f0;border-left:4px solid #d91515;padding:.75rem 1rem}
ul.problems li{margin:.3rem 0}
#code{display:block;font-family:ui-monospace,Menlo,Consolas,monospace;background:#f4f4f4;border:1px solid #d1d5db;border-radius:4px;padding:.75rem;word-break:break-all;user-select:all}
code{font-family:ui-monospace,Menlo,Consolas,monospace}
"#;

pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head>\
         <body><main><div class=\"mock\">AWS Sign-In (local mock)</div>{body}</main></body></html>\n",
        title = escape(title)
    )
}

pub(crate) fn html_response(status: StatusCode, title: &str, body: &str) -> Response {
    let mut response = (status, Html(page(title, body))).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    response
}

fn invalid_request_page(problems: &[String]) -> Response {
    let items: String = problems
        .iter()
        .map(|p| format!("<li>{}</li>", escape(p)))
        .collect();
    html_response(
        StatusCode::BAD_REQUEST,
        "Invalid sign-in request",
        &format!(
            "<h1 id=\"error-title\">This sign-in request is not valid</h1>\
             <div class=\"error\"><ul class=\"problems\" id=\"problems\">{items}</ul></div>\
             <p>The tool that opened this page sent a malformed request. Nothing was approved. \
             Start the login again from your terminal; if it keeps failing, report the problems above.</p>"
        ),
    )
}

fn forbidden_page(arn: &str) -> Response {
    html_response(
        StatusCode::FORBIDDEN,
        "Not authorized",
        &format!(
            "<h1 id=\"error-title\">{arn} cannot sign in to the CLI</h1>\
             <div class=\"error\"><p>The principal is not authorized to perform \
             <code>signin:AuthorizeOAuth2Access</code>.</p></div>\
             <p>Ask an administrator to attach the AWS managed policy \
             <code>SignInLocalDevelopmentAccess</code>, then start the login again.</p>",
            arn = escape(arn)
        ),
    )
}

pub(crate) fn redirect(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(crate) fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish();
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}{query}")
}

pub(crate) async fn authorize(
    State(state): State<SharedState>,
    uri: Uri,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(base) = addressed_base(&headers, &uri) else {
        return invalid_request_page(&["the request has no usable Host header".to_owned()]);
    };
    let request = match validate(query.as_deref().unwrap_or(""), &base) {
        Ok(request) => request,
        Err(problems) => {
            state.lock().count_authorize("invalid");
            return invalid_request_page(&problems);
        }
    };
    let now = state.now_ms();
    let mut inner = state.lock();
    inner.prune(now);
    if let Some(name) = inner.auto_approve.clone() {
        if !inner.permissions(&name).can_authorize {
            inner.count_authorize("forbidden");
            let arn = state.identity(&name).map(|i| i.arn.clone()).unwrap_or(name);
            return forbidden_page(&arn);
        }
        inner.count_authorize("auto_approved");
        let code = tokens::authorization_code();
        let location = with_query(
            &request.redirect_uri,
            &[("code", &code), ("state", &request.state)],
        );
        inner.codes.insert(
            code,
            IssuedCode {
                request,
                identity: name,
                issued_at: now,
                redeemed: false,
            },
        );
        return redirect(&location);
    }
    inner.count_authorize("page");
    let pending_id = tokens::opaque_id();
    inner.pending.insert(
        pending_id.clone(),
        PendingSignIn {
            request: request.clone(),
            created_at: now,
        },
    );
    drop(inner);
    sign_in_page(&state, &pending_id, &request, None)
}

fn sign_in_page(
    state: &SharedState,
    pending_id: &str,
    request: &AuthorizeRequest,
    notice: Option<&str>,
) -> Response {
    let identities: String = state
        .config
        .identities
        .iter()
        .map(|identity| {
            let note = if identity.can_create_token {
                ""
            } else {
                " (lacks signin:CreateOAuth2Token)"
            };
            format!(
                "<label class=\"identity\" for=\"identity-{name}\">\
                 <input type=\"radio\" name=\"identity\" id=\"identity-{name}\" value=\"{name}\" required> \
                 <strong>{name}</strong>{note}<small>{arn}</small></label>",
                name = escape(&identity.name),
                arn = escape(&identity.arn),
            )
        })
        .collect();
    let device = if request.client_id == CROSS_DEVICE {
        "a device without a browser (you will copy a code back to it)"
    } else {
        "this computer"
    };
    let notice = notice
        .map(|n| format!("<p class=\"error\" id=\"notice\">{}</p>", escape(n)))
        .unwrap_or_default();
    html_response(
        StatusCode::OK,
        "Sign in to the AWS CLI",
        &format!(
            "<h1>Allow the AWS CLI to use your credentials?</h1>\
             <p>A command-line tool on {device} asks for temporary credentials for the identity you pick. \
             They last 15 minutes and are refreshed for up to the session lifetime.</p>{notice}\
             <form method=\"post\" action=\"/v1/authorize/decision\" id=\"sign-in\">\
             <input type=\"hidden\" name=\"request\" value=\"{pending}\">\
             <fieldset><legend>Sign in as</legend>{identities}</fieldset>\
             <div class=\"buttons\">\
             <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow</button>\
             <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"deny\" formnovalidate>Deny</button>\
             </div></form>",
            pending = escape(pending_id),
        ),
    )
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct Decision {
    request: String,
    #[serde(default)]
    identity: Option<String>,
    decision: String,
}

pub(crate) async fn decide(
    State(state): State<SharedState>,
    Form(decision): Form<Decision>,
) -> Response {
    let now = state.now_ms();
    let mut inner = state.lock();
    inner.prune(now);
    let Some(pending) = inner.pending.get(&decision.request).cloned() else {
        inner.count_authorize("expired_request");
        return html_response(
            StatusCode::BAD_REQUEST,
            "Sign-in request expired",
            "<h1 id=\"error-title\">This sign-in request has expired or was already answered</h1>\
             <p>Start the login again from your terminal.</p>",
        );
    };
    let request = pending.request;
    match decision.decision.as_str() {
        "deny" => {
            inner.pending.remove(&decision.request);
            inner.count_authorize("denied");
            redirect(&with_query(
                &request.redirect_uri,
                &[
                    ("error", "access_denied"),
                    ("error_description", "The user denied the request"),
                    ("state", &request.state),
                ],
            ))
        }
        "allow" => {
            let chosen = decision
                .identity
                .as_deref()
                .and_then(|name| state.identity(name))
                .cloned();
            let Some(identity) = chosen else {
                drop(inner);
                return sign_in_page(
                    &state,
                    &decision.request,
                    &request,
                    Some("Choose an identity first."),
                );
            };
            inner.pending.remove(&decision.request);
            if !inner.permissions(&identity.name).can_authorize {
                inner.count_authorize("forbidden");
                return forbidden_page(&identity.arn);
            }
            inner.count_authorize("approved");
            let code = tokens::authorization_code();
            let location = with_query(
                &request.redirect_uri,
                &[("code", &code), ("state", &request.state)],
            );
            inner.codes.insert(
                code,
                IssuedCode {
                    request,
                    identity: identity.name.clone(),
                    issued_at: now,
                    redeemed: false,
                },
            );
            redirect(&location)
        }
        other => html_response(
            StatusCode::BAD_REQUEST,
            "Invalid decision",
            &format!(
                "<h1 id=\"error-title\">Unknown decision {:?}</h1>",
                escape(other)
            ),
        ),
    }
}

/// The page the remote flow lands on: shows base64(`state=…&code=…`) to paste into the terminal.
pub(crate) async fn confirmation(
    State(state): State<SharedState>,
    RawQuery(query): RawQuery,
) -> Response {
    let params: HashMap<String, String> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    state.lock().count_authorize("confirmation");
    if let Some(error) = params.get("error") {
        return html_response(
            StatusCode::OK,
            "Sign-in denied",
            &format!(
                "<h1 id=\"error-title\">Sign-in was not approved</h1>\
                 <p>The request ended with <code>{}</code>. Nothing was shared with the CLI; \
                 you can close this page and start again from your terminal.</p>",
                escape(error)
            ),
        );
    }
    let (Some(code), Some(st)) = (params.get("code"), params.get("state")) else {
        return html_response(
            StatusCode::BAD_REQUEST,
            "Nothing to confirm",
            "<h1 id=\"error-title\">There is no sign-in to confirm</h1>\
             <p>This page is reached at the end of <code>aws login --remote</code>; start there.</p>",
        );
    };
    let pasted = Base64::encode_string(format!("state={st}&code={code}").as_bytes());
    html_response(
        StatusCode::OK,
        "Authorization code",
        &format!(
            "<h1>Copy this code into your terminal</h1>\
             <p>Paste it where the CLI asks for the authorization code. Do not share it with anyone.</p>\
             <code id=\"code\">{pasted}</code>\
             <div class=\"buttons\"><button type=\"button\" id=\"copy\">Copy code</button>\
             <span id=\"copied\" role=\"status\"></span></div>\
             <script>\
             document.getElementById('copy').addEventListener('click',function(){{\
             var t=document.getElementById('code').textContent,s=document.getElementById('copied');\
             function sel(){{var r=document.createRange();r.selectNodeContents(document.getElementById('code'));\
             var w=window.getSelection();w.removeAllRanges();w.addRange(r);\
             try{{document.execCommand('copy');s.textContent=' Copied.';}}catch(e){{s.textContent=' Press Ctrl+C to copy.';}}}}\
             if(navigator.clipboard){{navigator.clipboard.writeText(t).then(function(){{s.textContent=' Copied.';}},sel);}}else{{sel();}}\
             }});</script>",
            pasted = escape(&pasted)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(redirect: &str, client: &str) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", client)
            .append_pair("state", "6f1b6a1e-8f0e-4a9a-9e53-0c7e2c3a1d11")
            .append_pair("code_challenge_method", "SHA-256")
            .append_pair("scope", "openid")
            .append_pair("redirect_uri", redirect)
            .append_pair(
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            )
            .finish()
    }

    #[test]
    fn accepts_both_flows() {
        let base = "http://127.0.0.1:4000";
        assert!(validate(
            &query("http://127.0.0.1:53127/oauth/callback", SAME_DEVICE),
            base
        )
        .is_ok());
        assert!(validate(
            &query(
                "http://127.0.0.1:4000/v1/sessions/confirmation",
                CROSS_DEVICE
            ),
            base
        )
        .is_ok());
    }

    #[test]
    fn refuses_foreign_redirects() {
        let base = "http://127.0.0.1:4000";
        for bad in [
            "http://evil.example/oauth/callback",
            "http://127.0.0.1:0/oauth/callback",
            "http://127.0.0.1:99999/oauth/callback",
            "http://127.0.0.1:80/oauth/callback/x",
            "https://127.0.0.1:80/oauth/callback",
            "http://localhost:80/oauth/callback",
        ] {
            assert!(validate(&query(bad, SAME_DEVICE), base).is_err(), "{bad}");
        }
        assert!(validate(
            &query("http://127.0.0.1:53127/oauth/callback", CROSS_DEVICE),
            base
        )
        .is_err());
    }

    #[test]
    fn reports_every_problem() {
        let problems = validate("response_type=token&scope=email", "http://x").unwrap_err();
        assert!(problems.iter().any(|p| p.contains("response_type")));
        assert!(problems.iter().any(|p| p.contains("scope")));
        assert!(problems.iter().any(|p| p.contains("client_id is missing")));
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics_on_hostile_queries(query in ".{0,600}") {
            let _ = validate(&query, "http://127.0.0.1:4000");
        }
    }
}
