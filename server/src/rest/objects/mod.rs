//! The object transport of Speckle's clients (objects.md §4): upload in multipart batches, the
//! "what do you have" diff, and downloads of one object, a whole tree or a list of ids. Bodies
//! stream both ways, a batch or a chunk of rows at a time, so memory stays flat at any size.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use bytes::Bytes;
use fleck_core::authz::Action;
use fleck_core::objects::{self, batch, tree, ProjectObjects};
use fleck_core::projects::service;
use fleck_core::Error;
use futures::{StreamExt, TryStreamExt};
use serde_json::json;

use crate::auth::Actor;
use crate::error::UNAVAILABLE;
use crate::state::AppState;
use idlist::IdList;
use json::Problem;

pub mod gzip;
pub mod idlist;
pub mod json;
pub mod mask;

/// A refusal in the object routes' own format: a status and a message.
pub struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// Bad input in a request body, in the shape of Speckle's default error handler.
pub struct InputError(StatusCode, String);

impl IntoResponse for InputError {
    fn into_response(self) -> Response {
        let code = match self.0 {
            StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
            _ => "BAD_REQUEST_ERROR",
        };
        let body = json!({ "error": { "message": self.1, "code": code } });
        (self.0, Json(body)).into_response()
    }
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound(what) => Refusal(StatusCode::NOT_FOUND, format!("{what} not found")),
            // Speckle answers every access refusal on these routes with 401.
            Error::Forbidden(why) => Refusal(StatusCode::UNAUTHORIZED, why),
            Error::RateLimited { retry_after } => Refusal(
                StatusCode::TOO_MANY_REQUESTS,
                format!("rate limited, retry after {} s", retry_after.as_secs()),
            ),
            e @ Error::Invalid { .. } => Refusal(StatusCode::BAD_REQUEST, e.to_string()),
            e @ Error::Conflict(_) => Refusal(StatusCode::CONFLICT, e.to_string()),
            e @ Error::Backend { .. } if e.is_unavailable() => {
                tracing::error!(error = %e, "object request failed: a backend is unreachable");
                Refusal(StatusCode::SERVICE_UNAVAILABLE, UNAVAILABLE.into())
            }
            e @ Error::Backend { .. } => {
                tracing::error!(error = %e, "object request failed");
                Refusal(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal server error; the details are in the server's log.".into(),
                )
            }
        }
    }
}

/// Checks write access; as in Speckle, a missing project is refused like a forbidden one, so
/// writers cannot probe which ids exist.
async fn writable(
    state: &AppState,
    actor: &Actor,
    project_id: &str,
) -> Result<service::Access, Refusal> {
    match service::load(&state.core, actor, project_id, Action::WriteProject).await {
        Ok(access) => Ok(access),
        Err(Error::NotFound(_)) => Err(Refusal(
            StatusCode::UNAUTHORIZED,
            "you do not have write access to this project".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

fn bad_request(message: impl Into<String>) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, message.into())
}

/// `POST /objects/{project_id}`: every file part is one batch (a JSON array of objects, gzip or
/// plain), stored in arrival order. 201 once all are stored; the first bad batch stops the upload.
pub async fn upload(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    Extension(actor): Extension<Actor>,
    request: Request,
) -> Result<StatusCode, Refusal> {
    let access = writable(&state, &actor, &project_id).await?;
    let mut multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|_| {
            bad_request(
                "Failed to parse request headers and body content as valid multipart/form-data.",
            )
        })?;
    let batch_limit = state.options.upload_batch_limit as usize;
    let object_limit = state.options.object_size_limit as usize;
    loop {
        let part = match multipart.next_field().await {
            Ok(Some(part)) => part,
            Ok(None) => break,
            Err(e) => {
                tracing::warn!(error = %e, "object upload stream failed");
                return Err(bad_request(
                    "Upload request error. The server logs have more details.",
                ));
            }
        };
        let gzipped = match part.content_type().unwrap_or("text/plain") {
            "application/gzip" | "application/x-gzip" => true,
            "text/plain" | "application/json" | "application/octet-stream" => false,
            _ => {
                return Err(bad_request(
                    "Invalid ContentType header. This route only accepts \"application/gzip\", \"text/plain\" or \"application/json\".",
                ))
            }
        };
        let bytes = read_part(part, batch_limit).await?;
        let objects = tokio::task::spawn_blocking(move || {
            // One copy of a batch at a time: a root object alone can be a hundred megabytes.
            let json = if gzipped {
                let json = gunzip(&bytes, batch_limit)?;
                drop(bytes);
                json
            } else {
                bytes
            };
            batch::parse_owned(json, object_limit).map_err(|e| bad_request(e.to_string()))
        })
        .await
        .map_err(|e| Refusal::from(Error::backend("parsing an object batch", e)))??;
        objects::store(&state.core, &actor, &access, objects).await?;
    }
    Ok(StatusCode::CREATED)
}

fn too_large(limit: usize) -> Refusal {
    Refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("File size too large (over {} MiB)", limit / (1024 * 1024)),
    )
}

async fn read_part(
    mut part: axum::extract::multipart::Field<'_>,
    limit: usize,
) -> Result<Vec<u8>, Refusal> {
    let mut buffer = Vec::new();
    while let Some(chunk) = part.chunk().await.map_err(|e| {
        tracing::warn!(error = %e, "object upload stream failed");
        bad_request("Upload request error. The server logs have more details.")
    })? {
        if buffer.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        buffer.extend_from_slice(&chunk);
    }
    Ok(buffer)
}

fn gunzip(bytes: &[u8], limit: usize) -> Result<Vec<u8>, Refusal> {
    let mut json = Vec::with_capacity(bytes.len() * 4);
    flate2::read::GzDecoder::new(bytes)
        .take(limit as u64 + 1)
        .read_to_end(&mut json)
        .map_err(|e| bad_request(format!("Failed to decompress the batch: {e}")))?;
    if json.len() > limit {
        return Err(too_large(limit));
    }
    Ok(json)
}

/// Rows this large go out as they are instead of being copied into their chunk's buffer.
const LARGE_ROW: usize = 1 << 20;

/// How a list of objects is written out.
#[derive(Clone, Copy, PartialEq)]
enum Format {
    /// `id\tjson\n` per object.
    Lines,
    /// `[json,json,…]`.
    Array,
}

impl Format {
    fn of(headers: &HeaderMap) -> Self {
        let text = headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/plain"));
        if text {
            Format::Lines
        } else {
            Format::Array
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Lines => "text/plain; charset=UTF-8",
            Format::Array => "application/json",
        }
    }
}

/// Writes rows in `format` and gzips them on the way out, whatever the client asked for
/// (Speckle's clients expect it).
fn gzipped_rows(rows: tree::Rows, format: Format, mask: Option<mask::Mask>) -> Response {
    let mut first = true;
    let body = rows.map(move |chunk| {
        let chunk = chunk.map_err(|e| {
            tracing::error!(error = %e, "object download failed");
            std::io::Error::other(e.to_string())
        })?;
        let size: usize = chunk
            .iter()
            .filter(|(_, json)| json.len() < LARGE_ROW)
            .map(|(id, json)| id.len() + json.len() + 2)
            .sum();
        let mut pieces = Vec::new();
        let mut out = Vec::with_capacity(size + 2);
        for (id, json) in chunk {
            let json = match &mask {
                Some(mask) => mask.apply(&json),
                None => json,
            };
            match format {
                Format::Lines => {
                    out.extend_from_slice(id.as_bytes());
                    out.push(b'\t');
                }
                Format::Array => out.push(if first { b'[' } else { b',' }),
            }
            first = false;
            // A root listing a million children is a hundred megabytes: pass it on, don't copy it.
            if json.len() >= LARGE_ROW {
                pieces.push(Bytes::from(std::mem::take(&mut out)));
                pieces.push(Bytes::from(json));
            } else {
                out.extend_from_slice(json.as_bytes());
            }
            if format == Format::Lines {
                out.push(b'\n');
            }
        }
        pieces.push(Bytes::from(out));
        Ok::<_, std::io::Error>(futures::stream::iter(
            pieces.into_iter().map(Ok::<Bytes, std::io::Error>),
        ))
    });
    let body = body.try_flatten();
    let body = match format {
        Format::Lines => body.boxed(),
        Format::Array => {
            // `]` closes what the first row opened; `[]` when there were no rows.
            let opened = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let seen = opened.clone();
            body.inspect_ok(move |b| {
                if !b.is_empty() {
                    seen.store(true, std::sync::atomic::Ordering::Relaxed);
                }
            })
            .chain(futures::stream::once(async move {
                let end: &[u8] = if opened.load(std::sync::atomic::Ordering::Relaxed) {
                    b"]"
                } else {
                    b"[]"
                };
                Ok(Bytes::from_static(end))
            }))
            .boxed()
        }
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
        ],
        gzip::body(body),
    )
        .into_response()
}

fn object_not_found() -> Response {
    (StatusCode::NOT_FOUND, "Failed to find object.").into_response()
}

/// `GET /objects/{project_id}/{object_id}`: the root, then every child in its closure by id.
pub async fn download(
    State(state): State<AppState>,
    Path((project_id, object_id)): Path<(String, String)>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let access = service::load(&state.core, &actor, &project_id, Action::ReadProject).await?;
    let rows = access.objects(&state.core).tree(&object_id).await?;
    Ok(match rows {
        Some(rows) => gzipped_rows(rows, Format::of(&headers), None),
        None => object_not_found(),
    })
}

/// `GET /objects/{project_id}/{object_id}/single`: one object, exactly as uploaded.
pub async fn single(
    State(state): State<AppState>,
    Path((project_id, object_id)): Path<(String, String)>,
    Extension(actor): Extension<Actor>,
) -> Result<Response, Refusal> {
    let access = service::load(&state.core, &actor, &project_id, Action::ReadProject).await?;
    Ok(
        match access.objects(&state.core).object(&object_id).await? {
            Some(object) => (
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                object.data,
            )
                .into_response(),
            None => object_not_found(),
        },
    )
}

/// What a list route's body is, from its `Content-Type`.
enum ListBody {
    Form,
    Json,
}

impl ListBody {
    fn of(headers: &HeaderMap) -> Result<Self, InputError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if content_type.starts_with("application/json") {
            Ok(ListBody::Json)
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            Ok(ListBody::Form)
        } else {
            Err(InputError(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected `Content-Type: application/x-www-form-urlencoded` or `application/json`"
                    .into(),
            ))
        }
    }

    /// The ids of `getobjects` and `diff`: a JSON array of ids, itself sent as a string in the
    /// form field or JSON field `objects`.
    async fn read(self, body: Body) -> Result<IdList, InputError> {
        let read = match self {
            ListBody::Form => idlist::decode_body(body, idlist::FormIds::default()).await,
            ListBody::Json => idlist::decode_body(body, idlist::JsonIds::default()).await,
        };
        read.map_err(|e| {
            let status = match e.problem {
                Problem::Syntax | Problem::Ids => StatusCode::BAD_REQUEST,
                Problem::Shape => StatusCode::UNPROCESSABLE_ENTITY,
                Problem::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            };
            let message = match e.problem {
                Problem::Syntax | Problem::Shape => format!("Invalid request body: {}", e.message),
                _ => e.message,
            };
            InputError(status, message)
        })
    }
}

/// The objects among `ids` (positions `order`) that the project has, in that order, read
/// `tree::CHUNK` ids at a time; the next chunk is read while one is written out.
fn listed_rows(objects: ProjectObjects, ids: Arc<IdList>, order: Vec<u32>) -> tree::Rows {
    let order = Arc::new(order);
    let starts = (0..order.len()).step_by(tree::CHUNK);
    futures::stream::iter(starts)
        .map(move |start| {
            let objects = objects.clone();
            let (ids, order) = (ids.clone(), order.clone());
            async move {
                let end = (start + tree::CHUNK).min(order.len());
                let chunk: Vec<String> = order
                    .get(start..end)
                    .unwrap_or_default()
                    .iter()
                    .map(|&i| ids.get(i as usize).to_string())
                    .collect();
                let mut found: HashMap<String, String> =
                    objects.json(&chunk).await?.into_iter().collect();
                Ok(chunk
                    .into_iter()
                    .filter_map(|id| found.remove(&id).map(|json| (id, json)))
                    .collect())
            }
        })
        .buffered(2)
        .boxed()
}

/// The distinct ids in the order asked, found off the async workers. Loaders ask for the deepest
/// objects first (objectloader2 sorts by closure depth) so that a parent arrives after its
/// children; in id order it would come first and the loader would ask for the children again.
async fn distinct(ids: Arc<IdList>) -> Result<Vec<u32>, Refusal> {
    tokio::task::spawn_blocking(move || ids.first_occurrences())
        .await
        .map_err(|e| Refusal::from(Error::backend("listing object ids", e)))
}

/// `POST /api/getobjects/{project_id}`: the listed objects the project has.
pub async fn get_objects(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    Extension(actor): Extension<Actor>,
    request: Request,
) -> Result<Response, Response> {
    let access = service::load(&state.core, &actor, &project_id, Action::ReadProject)
        .await
        .map_err(|e| Refusal::from(e).into_response())?;
    let (parts, body) = request.into_parts();
    let format = ListBody::of(&parts.headers).map_err(IntoResponse::into_response)?;
    let ids = Arc::new(
        format
            .read(body)
            .await
            .map_err(IntoResponse::into_response)?,
    );
    let order = distinct(ids.clone())
        .await
        .map_err(IntoResponse::into_response)?;
    let rows = listed_rows(access.objects(&state.core), ids, order);
    Ok(gzipped_rows(rows, Format::of(&parts.headers), None))
}

/// Ids looked up at once by `diff`.
const DIFF_CHUNK: usize = 10_000;

/// `POST /api/diff/{project_id}`: `{id: true|false}` for every listed id, in the order asked.
/// Needs write access, as it tells what a project holds.
pub async fn diff(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    Extension(actor): Extension<Actor>,
    request: Request,
) -> Result<Response, Response> {
    let objects = writable(&state, &actor, &project_id)
        .await
        .map_err(IntoResponse::into_response)?
        .objects(&state.core);
    let (parts, body) = request.into_parts();
    let format = ListBody::of(&parts.headers).map_err(IntoResponse::into_response)?;
    let ids = format
        .read(body)
        .await
        .map_err(IntoResponse::into_response)?;
    // Every lookup is done before answering, so a failing database still gets a 500.
    let mut found = vec![false; ids.len()];
    for start in (0..ids.len()).step_by(DIFF_CHUNK) {
        let end = (start + DIFF_CHUNK).min(ids.len());
        let chunk: Vec<String> = (start..end).map(|i| ids.get(i).to_string()).collect();
        let existing = objects
            .existing_ids(&chunk)
            .await
            .map_err(|e| Refusal::from(e).into_response())?;
        let existing: std::collections::HashSet<&str> =
            existing.iter().map(String::as_str).collect();
        for (i, id) in (start..end).zip(&chunk) {
            if existing.contains(id.as_str()) {
                if let Some(flag) = found.get_mut(i) {
                    *flag = true;
                }
            }
        }
    }
    // Written out a chunk at a time as it is gzipped: a million ids are 40 MB of JSON.
    let ids = Arc::new(ids);
    let count = ids.len();
    let pieces = futures::stream::iter((0..count).step_by(DIFF_CHUNK)).map(move |start| {
        let end = (start + DIFF_CHUNK).min(count);
        let mut json = Vec::with_capacity((end - start) * (ids.get(start).len() + 10) + 2);
        for i in start..end {
            json.push(if i == 0 { b'{' } else { b',' });
            serde_json::to_writer(&mut json, ids.get(i)).unwrap_or_default();
            json.extend_from_slice(if found.get(i).copied().unwrap_or(false) {
                b":true"
            } else {
                b":false"
            });
        }
        Ok::<_, std::io::Error>(Bytes::from(json))
    });
    let close: &'static [u8] = if count == 0 { b"{}" } else { b"}" };
    let body = pieces.chain(futures::stream::once(async move {
        Ok(Bytes::from_static(close))
    }));
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_ENCODING, "gzip"),
        ],
        gzip::body(body),
    )
        .into_response())
}

/// `POST /api/v2/projects/{project_id}/object-stream`: `id\tjson\n` lines for the listed ids.
/// The body is `{"objectIds": [...], "attributeMask"?: {"include"|"exclude": [...]}}`, strictly.
pub async fn object_stream(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    Extension(actor): Extension<Actor>,
    request: Request,
) -> Result<Response, Refusal> {
    let access = service::load(&state.core, &actor, &project_id, Action::ReadProject).await?;
    let (parts, body) = request.into_parts();
    if !is_json(&parts.headers) {
        return Err(bad_request(
            "Expected request with `Content-Type: application/json`",
        ));
    }
    let request = idlist::decode_body(body, idlist::StreamIds::default())
        .await
        .map_err(|e| match e.problem {
            Problem::TooLarge => Refusal(StatusCode::PAYLOAD_TOO_LARGE, e.message),
            _ => bad_request(format!("Invalid request body: {}", e.message)),
        })?;
    if let Some(mask) = &request.mask {
        mask.check().map_err(bad_request)?;
    }
    let ids = Arc::new(request.ids);
    let order = distinct(ids.clone()).await?;
    let rows = listed_rows(access.objects(&state.core), ids, order);
    Ok(gzipped_rows(rows, Format::Lines, request.mask))
}

/// `application/json` or another JSON type (`application/…+json`), as axum's `Json` accepts.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}
