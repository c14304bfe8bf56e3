//! Who is calling: a bearer token (API clients) or the web app's session cookie becomes an
//! `Actor` in the request's extensions. A token that is present but unusable ends the request
//! with Speckle's 403, on every route. Cookie-authenticated requests that change state must come
//! from the same origin (CSRF protection on top of `SameSite=Lax`), and so must every form that
//! signs someone in, cookie or not (login CSRF).

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fleck_core::auth::flow::{self, INVALID_TOKEN};
use fleck_core::auth::sessions;
use fleck_core::Error;

pub use fleck_core::auth::Actor;

use crate::error::ApiError;
use crate::state::AppState;

/// The token in `Authorization`, with or without the `Bearer ` prefix.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let token = match value.get(..6) {
        Some(scheme) if scheme.eq_ignore_ascii_case("bearer") => value[6..].trim(),
        _ => value,
    };
    (!token.is_empty()).then_some(token)
}

pub fn invalid_token() -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(serde_json::json!({ "error": INVALID_TOKEN })),
    )
        .into_response()
}

/// Whether the browser says the request comes from a page of this same site: its `Origin`
/// (or, without one, its `Referer`) names the host the request was sent to.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok());
    source.is_some_and(|url| {
        let origin_host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => return false,
        };
        origin_host.eq_ignore_ascii_case(host)
    })
}

/// Whether the browser says the request comes from another site: it names a source (`Origin`,
/// or without one `Referer`) that is not this host. Clients that are not browsers (specklepy,
/// the connectors) name none.
pub fn from_another_site(headers: &HeaderMap) -> bool {
    let names_a_source =
        headers.contains_key(header::ORIGIN) || headers.contains_key(header::REFERER);
    names_a_source && !same_origin(headers)
}

/// The routes that sign someone in or create an account, starting a session: the REST login
/// flow and the web app's server functions.
pub fn signs_in(path: &str) -> bool {
    use fleck_app::auth::{ResetPassword, SignIn, SignUp};
    use leptos::server_fn::ServerFn;
    matches!(
        path,
        "/auth/local/login" | "/auth/local/register" | "/auth/pwdreset/finalize"
    ) || [SignIn::PATH, SignUp::PATH, ResetPassword::PATH].contains(&path)
}

fn not_from_this_site() -> Response {
    (
        StatusCode::FORBIDDEN,
        Json(serde_json::json!({ "error": "This request did not come from this site's pages." })),
    )
        .into_response()
}

pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let actor = match bearer(request.headers()) {
        Some(token) => match flow::authenticate(&state.core, token).await {
            Ok(principal) => Actor::User(Box::new(principal)),
            Err(Error::Forbidden(_)) => return invalid_token(),
            Err(e) => return ApiError(e).into_response(),
        },
        None => {
            let session = request
                .headers()
                .get(header::COOKIE)
                .and_then(|v| v.to_str().ok())
                .and_then(sessions::from_cookie_header)
                .map(str::to_string);
            match session {
                Some(id) => match sessions::user(&state.core, &id).await {
                    Ok(Some(user)) => Actor::from_session(user),
                    Ok(None) => Actor::Anonymous,
                    Err(e) => return ApiError(e).into_response(),
                },
                None => Actor::Anonymous,
            }
        }
    };
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let via_cookie = actor.principal().is_some_and(|p| p.via_session);
    if via_cookie && changes_state && !same_origin(request.headers()) {
        return not_from_this_site();
    }
    // Signing in needs no cookie, but a page of another site must not sign its visitor in to
    // an account of its choosing.
    if changes_state && signs_in(request.uri().path()) && from_another_site(request.headers()) {
        return not_from_this_site();
    }
    request.extensions_mut().insert(actor);
    next.run(request).await
}
