//! Speckle's login endpoints: local registration and login (ending in a redirect with an access
//! code), the code and refresh-token exchange, access codes for other apps, and logout.
//! Status codes and bodies follow what Speckle's clients parse.

use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use fleck_core::auth::apps::{self, WEB_APP};
use fleck_core::auth::{accounts, flow, links};
use fleck_core::users::UserInput;
use fleck_core::Error;
use serde::Deserialize;
use serde_json::json;

use super::input::FormOrJson;
use crate::auth::Actor;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Challenge {
    challenge: Option<String>,
    /// An invitation's token, on registration.
    token: Option<String>,
}

impl Challenge {
    fn required(self) -> Option<String> {
        self.challenge.filter(|c| !c.is_empty())
    }
}

fn no_challenge() -> Response {
    (
        StatusCode::BAD_REQUEST,
        "Invalid request: no challenge detected.",
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct Registration {
    email: String,
    password: String,
    name: String,
    company: Option<String>,
}

/// Registration errors as `{"error": {message, code}}` with the error's status.
fn registration_error(e: Error) -> Response {
    let (status, code) = match &e {
        Error::Invalid { .. } => (StatusCode::BAD_REQUEST, "BAD_REQUEST"),
        Error::Conflict(_) => (StatusCode::BAD_REQUEST, "USER_EMAIL_TAKEN"),
        Error::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "RATE_LIMIT_ERROR"),
        Error::Forbidden(_) => (StatusCode::FORBIDDEN, "FORBIDDEN"),
        _ => return ApiError(e).into_response(),
    };
    let message = match &e {
        Error::Conflict(_) => "Email taken. Try logging in?".to_string(),
        other => other.to_string(),
    };
    (
        status,
        Json(json!({ "error": { "message": message, "code": code } })),
    )
        .into_response()
}

/// Where the web app picks the code up.
fn redirect_with_code(state: &AppState, code: &str, registered: bool) -> Response {
    let mut url = state.core.config.public_url.clone();
    url.query_pairs_mut().append_pair("access_code", code);
    if registered {
        url.query_pairs_mut().append_pair("register", "true");
    }
    found(url.as_str())
}

/// A 302 redirect, which is what Speckle's clients look for.
fn found(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

pub async fn register(
    State(state): State<AppState>,
    Query(challenge): Query<Challenge>,
    FormOrJson(form): FormOrJson<Registration>,
) -> Response {
    let invite = challenge.token.clone();
    let Some(challenge) = challenge.required() else {
        return no_challenge();
    };
    let input = UserInput {
        email: form.email,
        name: form.name,
        company: form.company,
        password: Some(form.password),
    };
    let created = async {
        let user = accounts::register(&state.core, input, invite.as_deref()).await?;
        flow::issue_code(&state.core, WEB_APP, &user.id, &challenge).await
    }
    .await;
    match created {
        Ok(code) => redirect_with_code(&state, &code, true),
        Err(e) => registration_error(e),
    }
}

#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    Query(challenge): Query<Challenge>,
    FormOrJson(form): FormOrJson<Credentials>,
) -> Response {
    let Some(challenge) = challenge.required() else {
        return no_challenge();
    };
    let outcome = async {
        match flow::check_credentials(&state.core, &form.email, &form.password).await? {
            Some(user) => flow::issue_code(&state.core, WEB_APP, &user.id, &challenge)
                .await
                .map(Some),
            _ => Ok(None),
        }
    }
    .await;
    match outcome {
        Ok(Some(code)) => redirect_with_code(&state, &code, false),
        Ok(None) => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "err": true, "message": "Invalid credentials." })),
        )
            .into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    app_id: Option<String>,
    app_secret: Option<String>,
    access_code: Option<String>,
    challenge: Option<String>,
    refresh_token: Option<String>,
}

/// `POST /auth/token`: an access code (with its challenge) or a refresh token for a token pair.
/// Every failure is 401 `{"err": …}`.
pub async fn token(
    State(state): State<AppState>,
    FormOrJson(request): FormOrJson<TokenRequest>,
) -> Response {
    let unauthorized = |message: String| {
        (StatusCode::UNAUTHORIZED, Json(json!({ "err": message }))).into_response()
    };
    let (Some(app_id), Some(app_secret)) = (request.app_id, request.app_secret) else {
        return unauthorized("Invalid request: appId and appSecret are required.".into());
    };
    let pair = if let Some(refresh_token) = request.refresh_token {
        flow::refresh(&state.core, &app_id, &app_secret, &refresh_token).await
    } else {
        match (request.access_code, request.challenge) {
            (Some(code), Some(challenge)) => {
                flow::exchange_code(&state.core, &app_id, &app_secret, &code, &challenge).await
            }
            _ => {
                return unauthorized(
                    "Invalid request: accessCode and challenge are required.".into(),
                )
            }
        }
    };
    match pair {
        Ok(pair) => (
            [
                (header::CACHE_CONTROL, "no-cache, no-store"),
                (header::EXPIRES, "0"),
                (header::PRAGMA, "no-cache"),
            ],
            Json(pair),
        )
            .into_response(),
        Err(Error::Forbidden(message))
        | Err(Error::Invalid {
            reason: message, ..
        }) => unauthorized(message),
        Err(e) => ApiError(e).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessCodeRequest {
    app_id: Option<String>,
    challenge: Option<String>,
    token: Option<String>,
    prevent_redirect: Option<String>,
}

/// `GET /auth/accesscode`: a logged-in user (token with `tokens:write`) approves an app; the
/// app receives the code at its redirect URL.
pub async fn access_code(
    State(state): State<AppState>,
    Query(request): Query<AccessCodeRequest>,
) -> Response {
    let bad = |message: &str| (StatusCode::BAD_REQUEST, message.to_string()).into_response();
    let (Some(app_id), Some(challenge), Some(token)) =
        (request.app_id, request.challenge, request.token)
    else {
        return bad("Invalid request: appId, challenge and token are required.");
    };
    let actor = match flow::authenticate(&state.core, &token).await {
        Ok(principal) => Actor::User(Box::new(principal)),
        Err(Error::Forbidden(message)) => return bad(&message),
        Err(e) => return ApiError(e).into_response(),
    };
    let app = match apps::find(&state.core, &app_id).await {
        Ok(Some(app)) => app,
        Ok(None) => return bad("Invalid request: no such app."),
        Err(e) => return ApiError(e).into_response(),
    };
    let code = match flow::authorize_app(&state.core, &actor, &app.id, &challenge).await {
        Ok(code) => code,
        Err(Error::Forbidden(message)) => return bad(&format!("Forbidden: {message}.")),
        Err(e) => return ApiError(e).into_response(),
    };
    let Ok(mut url) = url::Url::parse(&app.redirect_url) else {
        return bad("The app's redirect URL is not a URL.");
    };
    url.query_pairs_mut().append_pair("access_code", &code);
    if request.prevent_redirect.as_deref() == Some("true") {
        Json(json!({ "redirectUrl": url.as_str() })).into_response()
    } else {
        found(url.as_str())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogoutRequest {
    token: Option<String>,
    refresh_token: Option<String>,
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(_actor): Extension<Actor>,
    FormOrJson(request): FormOrJson<LogoutRequest>,
) -> Response {
    let Some(token) = request.token else {
        return (
            StatusCode::BAD_REQUEST,
            "Invalid request: token is required.",
        )
            .into_response();
    };
    match flow::logout(&state.core, &token, request.refresh_token.as_deref()).await {
        Ok(()) => Json(json!({ "message": "You have logged out." })).into_response(),
        Err(Error::Forbidden(message)) => (StatusCode::BAD_REQUEST, message).into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

#[derive(Deserialize)]
pub struct VerifyQuery {
    t: Option<String>,
}

/// `GET /auth/verifyemail?t=…`: the link in the verification e-mail. Lands on the web app with
/// `emailverifiedstatus=true` or `emailverifiederror=<why>`.
pub async fn verify_email(
    State(state): State<AppState>,
    Query(query): Query<VerifyQuery>,
) -> Response {
    let mut url = state.core.config.public_url.clone();
    let outcome = match query.t {
        Some(token) => links::verify_email(&state.core, &token).await,
        None => Err(Error::invalid(
            "link",
            "the verification link is incomplete",
        )),
    };
    match outcome {
        Ok(_) => url
            .query_pairs_mut()
            .append_pair("emailverifiedstatus", "true"),
        Err(Error::Invalid { reason, .. }) => url
            .query_pairs_mut()
            .append_pair("emailverifiederror", &reason),
        Err(e) => return ApiError(e).into_response(),
    };
    found(url.as_str())
}

#[derive(Deserialize)]
pub struct ResetRequest {
    email: String,
}

/// `POST /auth/pwdreset/request`: the same answer whether or not the address has an account.
pub async fn request_password_reset(
    State(state): State<AppState>,
    FormOrJson(request): FormOrJson<ResetRequest>,
) -> Response {
    match links::request_password_reset(&state.core, &request.email).await {
        Ok(()) => (StatusCode::OK, "Password reset email sent.").into_response(),
        Err(e) => ApiError(e).into_response(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetFinalize {
    token_id: String,
    password: String,
}

/// `POST /auth/pwdreset/finalize`: sets the new password; 400 with the reason otherwise.
pub async fn finalize_password_reset(
    State(state): State<AppState>,
    FormOrJson(request): FormOrJson<ResetFinalize>,
) -> Response {
    match links::reset_password(&state.core, &request.token_id, &request.password).await {
        Ok(_) => (StatusCode::OK, "Password reset. Please log in.").into_response(),
        Err(Error::Invalid { field, reason }) => {
            (StatusCode::BAD_REQUEST, format!("{field}: {reason}")).into_response()
        }
        Err(e) => ApiError(e).into_response(),
    }
}
