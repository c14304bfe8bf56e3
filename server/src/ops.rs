//! Operations endpoints: liveness, readiness, metrics, ping.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use crate::state::AppState;

/// The process is up and serving HTTP. Load balancers restart it when this fails.
pub async fn liveness() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Every configured backend answers. 503 names the failing ones (details go to the log), and
/// from SIGTERM on (the shutdown grace period, then shutdown), so traffic moves to other replicas.
pub async fn readiness(State(state): State<AppState>) -> impl IntoResponse {
    if state.draining.is_cancelled() || state.shutdown.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "shutting down" })),
        );
    }
    let checks = state.core.check_backends().await;
    let failing: Vec<&str> = checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    for check in checks.iter().filter(|c| !c.ok) {
        tracing::warn!(backend = %check.name, implementation = %check.backend, error = check.error.as_deref().unwrap_or(""), "readiness check failed");
    }
    let backends: serde_json::Map<String, serde_json::Value> = checks
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                json!({ "backend": c.backend, "ok": c.ok, "ms": (c.millis * 10.0).round() / 10.0 }),
            )
        })
        .collect();
    if failing.is_empty() {
        (
            StatusCode::OK,
            Json(json!({ "status": "ok", "backends": backends })),
        )
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "failing": failing, "backends": backends })),
        )
    }
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let body = state.metrics.render(&state).await;
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        body,
    )
}

/// Speckle's `GET /api/ping`.
pub async fn ping() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "pong",
    )
}
