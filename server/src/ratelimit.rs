//! Applies the per-action rate limits to every request: by user when authenticated, otherwise by
//! client address. Over the limit: 429 with `Retry-After` and Speckle's `RATE_LIMIT_ERROR` body.
//! The client address is the connection's, or behind a trusted proxy the one it forwards.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fleck_core::net::ClientAddress;
use fleck_core::ratelimit::Action;
use fleck_core::Error;
use serde_json::json;

use crate::auth::Actor;
use crate::state::AppState;

pub const RATE_LIMITED: &str =
    "You have sent too many requests. You are being rate limited. Please try again later.";

fn action(method: &Method, route: &str) -> Action {
    match (method, route) {
        (&Method::POST, "/graphql") => Action::Graphql,
        (&Method::POST, "/auth/local/login" | "/auth/pwdreset/request") => Action::Login,
        (&Method::POST, "/auth/local/register") => Action::Register,
        (&Method::POST, "/objects/{project_id}") => Action::ObjectUpload,
        _ => Action::AllRequests,
    }
}

/// Middleware: finds the caller's address once ([`ClientAddress`] in the request's extensions)
/// for the rate limits here and in the web app's server functions.
pub async fn find_client(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    if let Some(peer) = peer {
        let forwarded = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        let client = state.options.trusted_proxies.client(peer, forwarded);
        request.extensions_mut().insert(client);
    }
    next.run(request).await
}

/// The caller's address, as `find_client` found it.
pub fn client_address(request: &Request) -> String {
    request
        .extensions()
        .get::<ClientAddress>()
        .map(ClientAddress::to_string)
        .unwrap_or_else(|| "unknown".into())
}

pub fn too_many_requests(retry_after: std::time::Duration) -> Response {
    let seconds = retry_after.as_secs().max(1);
    let reset = chrono::Utc::now() + chrono::Duration::seconds(seconds as i64);
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({ "error": { "message": RATE_LIMITED, "code": "RATE_LIMIT_ERROR" } })),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    if let Ok(value) = HeaderValue::from_str(&reset.to_rfc3339()) {
        headers.insert("x-ratelimit-reset", value);
    }
    response
}

/// Whom a request's rate-limit points are counted against, for handlers that spend more than
/// one (a GraphQL batch spends one per operation).
#[derive(Clone, Debug)]
pub struct Source(pub String);

pub async fn limit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    // Probes and scrapes must keep working whatever the traffic.
    if matches!(route.as_str(), "/liveness" | "/readiness" | "/metrics") {
        return next.run(request).await;
    }
    let action = action(request.method(), &route);
    // Sign-ups count per address whoever asks; everything else per user when there is one.
    let source = match request.extensions().get::<Actor>() {
        Some(Actor::User(principal)) if action != Action::Register => principal.user.id.clone(),
        _ => client_address(&request),
    };
    request.extensions_mut().insert(Source(source.clone()));
    match state.core.rate_limiter.spend(action, &source).await {
        Ok(remaining) => {
            let mut response = next.run(request).await;
            if remaining != i64::MAX {
                response
                    .headers_mut()
                    .insert("x-ratelimit-remaining", HeaderValue::from(remaining));
            }
            response
        }
        Err(Error::RateLimited { retry_after }) => too_many_requests(retry_after),
        // The limiter lets cache outages through itself; anything else is a bug to see.
        Err(e) => {
            tracing::error!(error = %e, "cannot count the request against its rate limit");
            next.run(request).await
        }
    }
}
