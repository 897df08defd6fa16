//! Routing, the fault layer, and a hand-rolled accept loop so that a fault can close a
//! connection without answering (axum's `serve` offers no way to do that).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use crate::faults::{FaultAction, FaultTarget};
use crate::state::SharedState;
use crate::{admin, authorize, portal, sso, sso_pages, sts, token};

/// Lets a handler close the connection its request came on, with no response at all.
#[derive(Clone, Debug)]
struct ConnectionKill(Arc<Mutex<Option<oneshot::Sender<()>>>>);

impl ConnectionKill {
    fn fire(&self) {
        let sender = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(sender) = sender {
            let _ = sender.send(());
        }
    }
}

pub(crate) fn router(state: SharedState) -> Router {
    let admin = Router::new()
        .route("/stats", get(admin::stats))
        .route("/reset-stats", post(admin::reset_stats))
        .route(
            "/faults",
            get(admin::get_faults)
                .post(admin::set_faults)
                .delete(admin::clear_faults),
        )
        .route(
            "/principals/{name}/password-changed",
            post(admin::password_changed),
        )
        .route("/principals/{name}/permissions", post(admin::permissions))
        .route("/clock", post(admin::set_clock))
        .route("/auto-approve", post(admin::auto_approve))
        .route("/sessions/expire", post(admin::expire_sessions_handler))
        .route(
            "/credentials/expire",
            post(admin::expire_credentials_handler),
        )
        .route("/identities", get(admin::identities))
        .route("/sso", get(admin::sso_overview))
        .route("/sso/auto-approve", post(admin::sso_auto_approve))
        .route("/sso/device/approve", post(admin::sso_device_approve))
        .route("/sso/tokens/expire", post(admin::sso_expire_tokens))
        .route("/sso/sessions/expire", post(admin::sso_expire_sessions))
        .route(
            "/sso/registrations/expire",
            post(admin::sso_expire_registrations),
        )
        .route("/mfa/code", get(admin::mfa_code_handler))
        .route(
            "/sts/regions",
            get(admin::get_sts_regions).post(admin::set_sts_regions),
        )
        .route("/health", get(admin::health));
    Router::new()
        .route("/v1/authorize", get(authorize::authorize))
        .route("/v1/authorize/decision", post(authorize::decide))
        .route("/v1/sessions/confirmation", get(authorize::confirmation))
        .route("/v1/token", post(token::token))
        .route("/", get(sts::sts).post(sts::sts))
        .route("/client/register", post(sso::register_client))
        .route(
            "/device_authorization",
            post(sso::start_device_authorization),
        )
        .route("/token", post(sso::create_token))
        .route("/authorize", get(sso_pages::authorize))
        .route("/authorize/decision", post(sso_pages::authorize_decision))
        .route("/device", get(sso_pages::device_page))
        .route("/device/decision", post(sso_pages::device_decision))
        .route("/federation/credentials", get(portal::get_role_credentials))
        .route("/assignment/accounts", get(portal::list_accounts))
        .route("/assignment/roles", get(portal::list_account_roles))
        .route("/logout", post(portal::logout))
        .nest("/__admin", admin)
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            fault_layer,
        ))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> Response {
    let body = serde_json::json!({
        "error": "RESOURCE_NOT_FOUND",
        "message": format!("signin-mock serves /v1/authorize, /v1/token, /v1/sessions/confirmation, STS at /, IAM Identity Center (/client/register, /device_authorization, /token, /authorize, /device, /federation/credentials, /assignment/accounts, /assignment/roles, /logout) and /__admin; not {}", uri.path()),
    });
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

fn http_date(unix_secs: i64) -> Option<String> {
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::OffsetDateTime::from_unix_timestamp(unix_secs)
        .ok()?
        .format(format)
        .ok()
}

fn injected_status(path: &str, status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match FaultTarget::of_path(path) {
        Some(FaultTarget::Sts) => {
            let code = if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::BAD_REQUEST {
                "Throttling"
            } else if status == StatusCode::SERVICE_UNAVAILABLE {
                "ServiceUnavailable"
            } else {
                "InternalFailure"
            };
            let message = if code == "Throttling" {
                "Rate exceeded"
            } else {
                "Injected fault"
            };
            sts::error_response(status, code, message)
        }
        Some(FaultTarget::SsoOidc) => {
            let kind = if status == StatusCode::BAD_REQUEST {
                sso::OidcErrorKind::SlowDown
            } else if status.is_server_error() {
                sso::OidcErrorKind::InternalServer
            } else {
                sso::OidcErrorKind::InvalidRequest
            };
            if status == StatusCode::TOO_MANY_REQUESTS {
                portal::portal_error_response(status, "TooManyRequestsException", "Rate exceeded")
            } else {
                sso::oidc_error_response(kind, status, "Injected fault")
            }
        }
        Some(FaultTarget::Sso) => {
            let exception = match status.as_u16() {
                429 => "TooManyRequestsException",
                401 => "UnauthorizedException",
                403 => "ForbiddenException",
                404 => "ResourceNotFoundException",
                s if s >= 500 => "InternalServerException",
                _ => "InvalidRequestException",
            };
            portal::portal_error_response(status, exception, "Injected fault")
        }
        Some(FaultTarget::Authorize) => authorize::html_response(
            status,
            "Service error",
            "<h1 id=\"error-title\">Sign-in is unavailable right now</h1><p>Try again in a moment.</p>",
        ),
        _ => {
            let code = if status == StatusCode::TOO_MANY_REQUESTS {
                token::TokenErrorCode::Throttled
            } else if status.is_server_error() {
                token::TokenErrorCode::ServerError
            } else {
                token::TokenErrorCode::InvalidRequest
            };
            let mut response = token::error_response(code, "Injected fault");
            *response.status_mut() = status;
            response
        }
    }
}

fn malformed(path: &str) -> Response {
    let (content_type, body) = match FaultTarget::of_path(path) {
        Some(FaultTarget::Sts) => ("text/xml", "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>"),
        Some(FaultTarget::Authorize) => ("text/html; charset=utf-8", "<!doctype html><html><body><h1>Sign"),
        _ => ("application/json", "{\"accessToken\":{\"accessKeyId\":\"ASIA"),
    };
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// Applies faults to non-admin requests and stamps every response with the server's `Date`.
async fn fault_layer(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let (latency_ms, action, date_offset) = {
        let mut inner = state.lock();
        let date_offset = inner.faults.date_offset_secs;
        if path.starts_with("/__admin") {
            (0, None, date_offset)
        } else {
            let latency = if inner.faults.target.matches(&path) {
                inner.faults.latency_ms
            } else {
                0
            };
            let action = inner.faults.take(&path);
            match action {
                Some(FaultAction::Drop) => inner.count_fault("drop"),
                Some(FaultAction::Status(s)) => inner.count_fault(&format!("status_{s}")),
                Some(FaultAction::Malformed) => inner.count_fault("malformed"),
                None => {}
            }
            if latency > 0 {
                inner.count_fault("latency");
            }
            (latency, action, date_offset)
        }
    };
    if latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(latency_ms)).await;
    }
    let mut response = match action {
        Some(FaultAction::Drop) => {
            tracing::info!(%path, "fault: dropping connection");
            if let Some(kill) = request.extensions().get::<ConnectionKill>() {
                kill.fire();
            }
            // The connection task drops this future along with the socket.
            std::future::pending::<()>().await;
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        Some(FaultAction::Status(status)) => {
            tracing::info!(%path, status, "fault: injected status");
            injected_status(&path, status)
        }
        Some(FaultAction::Malformed) => {
            tracing::info!(%path, "fault: malformed body");
            malformed(&path)
        }
        None => next.run(request).await,
    };
    let now_secs = state.now_ms().div_euclid(1000) + date_offset;
    if let Some(value) = http_date(now_secs).and_then(|d| HeaderValue::from_str(&d).ok()) {
        response.headers_mut().insert(header::DATE, value);
    }
    response
}

/// Accepts connections until `shutdown` flips (or its sender is dropped), then lets open
/// connections finish for up to five seconds.
pub(crate) async fn serve(listener: TcpListener, router: Router, shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    let mut stop = shutdown.clone();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    let router = router.clone();
                    let shutdown = shutdown.clone();
                    connections.spawn(serve_connection(stream, router, shutdown));
                }
                Err(error) => {
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            _ = wait_for_stop(&mut stop) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain)
        .await
        .is_err()
    {
        connections.abort_all();
    }
}

async fn wait_for_stop(stop: &mut watch::Receiver<bool>) {
    loop {
        if *stop.borrow_and_update() {
            return;
        }
        if stop.changed().await.is_err() {
            return;
        }
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    let (kill_tx, mut kill_rx) = oneshot::channel::<()>();
    let kill = ConnectionKill(Arc::new(Mutex::new(Some(kill_tx))));
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(kill.clone());
            let router = router.clone();
            async move {
                let response = tower::ServiceExt::oneshot(router, request).await;
                Ok::<_, Infallible>(response.unwrap_or_else(|never| match never {}))
            }
        });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut stopping = false;
    loop {
        tokio::select! {
            result = connection.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%error, "connection ended with an error");
                }
                return;
            }
            _ = &mut kill_rx => return,
            _ = wait_for_stop(&mut shutdown), if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}
