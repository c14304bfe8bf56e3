//! Maps `fleck_core::Error` to HTTP responses for the REST handlers. The object routes and the
//! login flow answer in the shapes Speckle's clients parse there (`rest::objects::Refusal`, the
//! login redirects), built from the same statuses.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fleck_core::Error;
use serde_json::json;

pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Error::RateLimited { retry_after } = &self.0 {
            return crate::ratelimit::too_many_requests(*retry_after);
        }
        if self.0.is_unavailable() {
            return unavailable(&self.0);
        }
        let status = match &self.0 {
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Forbidden(_) => StatusCode::FORBIDDEN,
            Error::Invalid { .. } => StatusCode::BAD_REQUEST,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Backend { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let message = match &self.0 {
            // Backend details (hosts, queries) are for the log, not for clients.
            Error::Backend { .. } => {
                tracing::error!(error = %self.0, "request failed");
                "Internal server error; the details are in the server's log.".to_string()
            }
            other => other.to_string(),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

/// What clients are told when a backend could not be reached (the details are logged).
pub const UNAVAILABLE: &str =
    "A service this server depends on is unreachable; try again in a few seconds.";

/// 503 for a backend that could not be reached, with when to try again; the details (hosts,
/// the library's words) go to the log only.
pub fn unavailable(error: &Error) -> Response {
    tracing::error!(error = %error, "a backend is unreachable");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(axum::http::header::RETRY_AFTER, "5")],
        Json(json!({ "error": UNAVAILABLE })),
    )
        .into_response()
}
