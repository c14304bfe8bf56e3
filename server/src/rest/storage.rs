//! Signed blob URLs of the disk blob store (`/storage/{key}?method=…&expires=…&signature=…`):
//! what an S3 presigned URL is when blobs live on local disk. Mounted only with disk blobs.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fleck_core::blobs::Method;
use fleck_core::Error;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Signature {
    method: String,
    expires: i64,
    signature: String,
}

fn check(state: &AppState, method: Method, key: &str, query: &Signature) -> ApiResult<()> {
    if query.method != method.as_str() {
        return Err(Error::Forbidden("this link is for another method".into()).into());
    }
    state
        .core
        .signer
        .verify(method, key, query.expires, &query.signature)?;
    Ok(())
}

pub async fn download(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<Signature>,
) -> ApiResult<Response> {
    check(&state, Method::Get, &key, &query)?;
    let blob = state
        .core
        .blobs
        .get(&key)
        .await?
        .ok_or_else(|| Error::NotFound(format!("blob {key}")))?;
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.info.size));
    if let Ok(etag) = HeaderValue::from_str(&format!("\"{}\"", blob.info.etag)) {
        headers.insert(header::ETAG, etag);
    }
    let content_type = blob
        .info
        .content_type
        .as_deref()
        .unwrap_or("application/octet-stream");
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    Ok((headers, Body::from_stream(blob.body)).into_response())
}

pub async fn upload(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<Signature>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    check(&state, Method::Put, &key, &query)?;
    if !fleck_core::projects::attachments::awaits_upload(&state.core, &key).await? {
        return Err(Error::Forbidden(
            "this upload link no longer works: its file was already uploaded, or its project deleted"
                .into(),
        )
        .into());
    }
    let limit = state.options.file_size_limit;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit) {
        return Ok(too_large(limit));
    }
    // Count as the bytes arrive, so a body without a length cannot exceed the limit either.
    let mut received = 0u64;
    let stream = body
        .into_data_stream()
        .map_err(std::io::Error::other)
        .and_then(move |chunk| {
            received += chunk.len() as u64;
            let over = received > limit;
            async move {
                if over {
                    Err(std::io::Error::new(
                        std::io::ErrorKind::FileTooLarge,
                        "upload exceeds the size limit",
                    ))
                } else {
                    Ok(chunk)
                }
            }
        })
        .boxed();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    match state.core.blobs.put(&key, stream, content_type).await {
        Ok(info) => {
            let etag = HeaderValue::from_str(&format!("\"{}\"", info.etag)).map_err(|_| {
                ApiError(Error::backend(
                    "storing a blob",
                    "the store returned an unprintable ETag",
                ))
            })?;
            Ok((StatusCode::OK, [(header::ETAG, etag)]).into_response())
        }
        Err(Error::Backend { cause, .. })
            if cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::FileTooLarge) =>
        {
            Ok(too_large(limit))
        }
        Err(e) => Err(e.into()),
    }
}

fn too_large(limit: u64) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        axum::Json(serde_json::json!({
            "error": format!("the file is larger than this server accepts ({} MiB)", limit / (1024 * 1024))
        })),
    )
        .into_response()
}
