//! Who is calling: every request's bearer token becomes an `Actor` in the request's extensions.
//! A token that is present but unusable ends the request with Speckle's 403, on every route.

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fleck_core::auth::flow::{self, Principal, INVALID_TOKEN};
use fleck_core::Error;

use crate::error::ApiError;
use crate::state::AppState;

#[derive(Clone, Debug)]
pub enum Actor {
    Anonymous,
    User(Box<Principal>),
}

/// The token in `Authorization`, with or without the `Bearer ` prefix.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let token = value.strip_prefix("Bearer ").unwrap_or(value).trim();
    (!token.is_empty()).then_some(token)
}

pub fn invalid_token() -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(serde_json::json!({ "error": INVALID_TOKEN })),
    )
        .into_response()
}

pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let actor = match bearer(request.headers()) {
        None => Actor::Anonymous,
        Some(token) => match flow::authenticate(&state.core, token).await {
            Ok(principal) => Actor::User(Box::new(principal)),
            Err(Error::Forbidden(_)) => return invalid_token(),
            Err(e) => return ApiError(e).into_response(),
        },
    };
    request.extensions_mut().insert(actor);
    next.run(request).await
}
