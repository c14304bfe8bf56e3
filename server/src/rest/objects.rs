//! The object transport of Speckle's clients (objects.md §4): upload in multipart batches, the
//! "what do you have" diff, and downloads of one object, a whole tree or a list of ids. Bodies
//! stream both ways, a batch or a chunk of rows at a time, so memory stays flat at any size.

use std::io::Read;

use async_compression::tokio::bufread::GzipEncoder;
use async_compression::Level;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use bytes::Bytes;
use fleck_core::authz::Action;
use fleck_core::objects::{batch, tree};
use fleck_core::projects::service;
use fleck_core::Error;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio_util::io::{ReaderStream, StreamReader};

use crate::auth::Actor;
use crate::rest::input::FormOrJson;
use crate::state::AppState;

mod mask;

/// A refusal in the object routes' own format: a status and a message.
pub struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// Bad input in a JSON body, in the shape of Speckle's default error handler.
pub struct InputError(String);

impl IntoResponse for InputError {
    fn into_response(self) -> Response {
        let body = json!({ "error": { "message": self.0, "code": "BAD_REQUEST_ERROR" } });
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
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
async fn writable(state: &AppState, actor: &Actor, project_id: &str) -> Result<(), Refusal> {
    match service::load(&state.core, actor, project_id, Action::WriteProject).await {
        Ok(_) => Ok(()),
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
    writable(&state, &actor, &project_id).await?;
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
        state
            .core
            .objects
            .insert_objects(&project_id, objects)
            .await?;
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
    let gzip = GzipEncoder::with_quality(StreamReader::new(body), Level::Fastest);
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (header::CONTENT_ENCODING, HeaderValue::from_static("gzip")),
        ],
        Body::from_stream(ReaderStream::with_capacity(gzip, 64 * 1024)),
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
    service::load(&state.core, &actor, &project_id, Action::ReadProject).await?;
    let rows = tree::whole(state.core.objects.clone(), &project_id, &object_id).await?;
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
    service::load(&state.core, &actor, &project_id, Action::ReadProject).await?;
    Ok(
        match state.core.objects.object(&project_id, &object_id).await? {
            Some(object) => (
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                object.data,
            )
                .into_response(),
            None => object_not_found(),
        },
    )
}

/// The body of `getobjects` and `diff`: a JSON array of ids, itself sent as a string.
#[derive(Deserialize)]
pub struct IdList {
    objects: String,
}

impl IdList {
    fn ids(&self) -> Result<Vec<String>, InputError> {
        serde_json::from_str(&self.objects)
            .map_err(|e| InputError(format!("objects must be a JSON array of object ids: {e}")))
    }
}

/// `POST /api/getobjects/{project_id}`: the listed objects the project has.
pub async fn get_objects(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    Extension(actor): Extension<Actor>,
    headers: HeaderMap,
    FormOrJson(body): FormOrJson<IdList>,
) -> Result<Response, Response> {
    service::load(&state.core, &actor, &project_id, Action::ReadProject)
        .await
        .map_err(|e| Refusal::from(e).into_response())?;
    let mut ids = body.ids().map_err(IntoResponse::into_response)?;
    ids.sort_unstable();
    ids.dedup();
    let rows = tree::rows(state.core.objects.clone(), project_id, ids);
    Ok(gzipped_rows(rows, Format::of(&headers), None))
}

/// Ids looked up at once by `diff`.
const DIFF_CHUNK: usize = 10_000;

/// `POST /api/diff/{project_id}`: `{id: true|false}` for every listed id. Needs write access,
/// as it tells what a project holds.
pub async fn diff(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    Extension(actor): Extension<Actor>,
    FormOrJson(body): FormOrJson<IdList>,
) -> Result<Response, Response> {
    writable(&state, &actor, &project_id)
        .await
        .map_err(IntoResponse::into_response)?;
    let ids = body.ids().map_err(IntoResponse::into_response)?;
    let mut found = std::collections::HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(DIFF_CHUNK) {
        let existing = state
            .core
            .objects
            .existing_ids(&project_id, chunk)
            .await
            .map_err(|e| Refusal::from(e).into_response())?;
        found.extend(existing);
    }
    // Written out directly, in the order asked: a map type would allocate and sort 100k entries.
    let mut json = Vec::with_capacity(ids.len() * 44 + 2);
    json.push(b'{');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            json.push(b',');
        }
        serde_json::to_writer(&mut json, id).unwrap_or_default();
        json.extend_from_slice(if found.contains(id) {
            b":true"
        } else {
            b":false"
        });
    }
    json.push(b'}');
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gzip, &json)
        .and_then(|_| gzip.finish())
        .map(|body| {
            (
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::CONTENT_ENCODING, "gzip"),
                ],
                body,
            )
                .into_response()
        })
        .map_err(|e| Refusal::from(Error::backend("compressing a diff", e)).into_response())
}

/// The body of the modern object stream: ids, and optionally which top-level keys to keep.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StreamRequest {
    object_ids: Vec<String>,
    attribute_mask: Option<mask::Mask>,
}

/// `POST /api/v2/projects/{project_id}/object-stream`: `id\tjson\n` lines for the listed ids.
pub async fn object_stream(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    Extension(actor): Extension<Actor>,
    body: Result<Json<StreamRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, Refusal> {
    service::load(&state.core, &actor, &project_id, Action::ReadProject).await?;
    let Json(request) = body.map_err(|e| bad_request(e.body_text()))?;
    if request.object_ids.is_empty() {
        return Err(bad_request("objectIds must list at least one id"));
    }
    if let Some(mask) = &request.attribute_mask {
        mask.check().map_err(bad_request)?;
    }
    let mut ids = request.object_ids;
    ids.sort_unstable();
    ids.dedup();
    let rows = tree::rows(state.core.objects.clone(), project_id, ids);
    Ok(gzipped_rows(rows, Format::Lines, request.attribute_mask))
}
