//! Preview images on Speckle's routes (services.md §1.4). They always answer with a PNG, so an
//! `<img>` never breaks: the rendered preview, or a placeholder saying why there is none.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, Extensions, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Extension;
use fleck_core::previews::{self, PreviewImage, Requester, Subject, DEFAULT_ANGLE};
use fleck_core::Error;

use crate::auth::Actor;
use crate::state::AppState;

const PENDING: &[u8] = include_bytes!("../../assets/previews/no_preview.png");
const UNAUTHORIZED: &[u8] = include_bytes!("../../assets/previews/preview_401.png");
const NOT_FOUND: &[u8] = include_bytes!("../../assets/previews/preview_404.png");
const FAILED: &[u8] = include_bytes!("../../assets/previews/preview_error.png");

/// `GET /preview/{project_id}` and `/preview/{project_id}/{angle}`: the project's latest version.
pub async fn project(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    extensions: Extensions,
    Path(path): Path<Vec<String>>,
) -> Response {
    let (project_id, angle) = split(&path);
    let caller = Caller::new(&actor, &extensions);
    shown_anywhere(answer(&state, &caller, project_id, Subject::Project, angle).await)
}

/// `GET /preview/{project_id}/<keyword>/{name_or_id}[/{angle}]`, where `subject` says what the
/// name or id stands for: `branches` a model's latest version, `commits` a version, `objects` an
/// object.
pub fn nested(subject: fn(&str) -> Subject<'_>) -> MethodRouter<AppState> {
    get(
        move |State(state): State<AppState>,
              Extension(actor): Extension<Actor>,
              extensions: Extensions,
              Path(path): Path<Vec<String>>| async move {
            let caller = Caller::new(&actor, &extensions);
            let (project_id, rest) = (&path[0], &path[1..]);
            let (name_or_id, angle) = split(rest);
            shown_anywhere(answer(&state, &caller, project_id, subject(name_or_id), angle).await)
        },
    )
}

/// Who asks: their identity decides access, and with their address what they may queue.
struct Caller<'a> {
    actor: &'a Actor,
    address: String,
}

impl<'a> Caller<'a> {
    fn new(actor: &'a Actor, extensions: &Extensions) -> Self {
        let address = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string())
            .unwrap_or_else(|| "unknown".into());
        Caller { actor, address }
    }
}

/// The first path segment, and the angle after it (`"0"` when absent).
fn split(path: &[String]) -> (&str, &str) {
    let first = path.first().map_or("", String::as_str);
    let angle = path.get(1).map_or(DEFAULT_ANGLE, String::as_str);
    (first, angle)
}

/// Lets pages on other origins show the preview (the images carry no secrets beyond the model).
fn shown_anywhere(mut response: Response) -> Response {
    response.headers_mut().insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    response
}

async fn answer(
    state: &AppState,
    caller: &Caller<'_>,
    project_id: &str,
    subject: Subject<'_>,
    angle: &str,
) -> Response {
    let actor = caller.actor;
    let object_id = match previews::subject_object(&state.core, actor, project_id, subject).await {
        Ok(id) => id,
        Err(Error::Forbidden(_)) => return placeholder(UNAUTHORIZED, None),
        Err(Error::NotFound(_)) => return placeholder(NOT_FOUND, Some("OBJECT_NOT_FOUND")),
        Err(e) => return failure(e),
    };
    let requester = Requester::of(actor, &caller.address);
    match previews::image_for(&state.core, requester, project_id, &object_id, angle).await {
        Ok(PreviewImage::Png(png)) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "private, max-age=604800"),
            ],
            png,
        )
            .into_response(),
        // Not drawn yet: the client should ask again, so nothing may cache this answer.
        Ok(PreviewImage::Pending) => (
            [
                (header::CONTENT_TYPE, "image/png"),
                (header::CACHE_CONTROL, "no-cache, no-store"),
            ],
            PENDING,
        )
            .into_response(),
        Ok(PreviewImage::Failed) => placeholder(FAILED, Some("PREVIEW_NOT_FOUND")),
        Ok(PreviewImage::NoSuchAngle) => placeholder(FAILED, Some("ANGLE_NOT_FOUND")),
        // An anonymous caller asking for too many renders.
        Err(Error::RateLimited { retry_after }) => crate::ratelimit::too_many_requests(retry_after),
        Err(e) => failure(e),
    }
}

fn placeholder(png: &'static [u8], code: Option<&'static str>) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "image/png")], png).into_response();
    if let Some(code) = code {
        let headers = response.headers_mut();
        headers.insert("x-preview-error", HeaderValue::from_static("true"));
        headers.insert("x-preview-error-code", HeaderValue::from_static(code));
    }
    response
}

fn failure(e: Error) -> Response {
    tracing::error!(error = %e, "cannot serve a preview");
    let mut response = placeholder(FAILED, Some("PREVIEW_NOT_FOUND"));
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store"),
    );
    response
}
