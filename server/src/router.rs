//! All HTTP routes and the layers around them.

use axum::http::{HeaderName, Request};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::rest::storage;
use crate::state::AppState;
use crate::{auth, graphql, metrics, ops, ratelimit, rest, ssr};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    let mut routes = Router::new()
        .route("/liveness", get(ops::liveness))
        .route("/readiness", get(ops::readiness))
        .route("/metrics", get(ops::metrics))
        .route("/api/ping", get(ops::ping))
        .route("/auth/local/register", post(rest::auth::register))
        .route("/auth/local/login", post(rest::auth::login))
        .route("/auth/token", post(rest::auth::token))
        .route("/auth/accesscode", get(rest::auth::access_code))
        .route("/auth/logout", post(rest::auth::logout))
        .route("/auth/verifyemail", get(rest::auth::verify_email))
        .route(
            "/auth/pwdreset/request",
            post(rest::auth::request_password_reset),
        )
        .route(
            "/auth/pwdreset/finalize",
            post(rest::auth::finalize_password_reset),
        )
        .route("/graphql", get(graphql::explorer).post(graphql::execute))
        .route("/explorer", get(graphql::explorer));
    if state.core.blobs.kind() == "disk" {
        routes = routes.route(
            "/storage/{*key}",
            get(storage::download).put(storage::upload),
        );
    }
    routes
        .merge(ssr::routes(&state))
        .layer(from_fn_with_state(state.clone(), ratelimit::limit))
        .layer(from_fn_with_state(state.clone(), auth::identify))
        .layer(CatchPanicLayer::new())
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO)))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // Keeps an id the caller (or a proxy) sent; otherwise makes one.
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}
