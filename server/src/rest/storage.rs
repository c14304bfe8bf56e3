//! Signed blob URLs of the disk blob store (`/storage/{key}?method=…&expires=…&signature=…`):
//! what an S3 presigned URL is when blobs live on local disk. Mounted only with disk blobs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use fleck_core::blobs::{BlobStream, Method};
use fleck_core::Error;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct Signature {
    method: String,
    expires: i64,
    /// The exact body length an upload link was signed for, if it was.
    length: Option<u64>,
    signature: String,
}

fn check(state: &AppState, method: Method, key: &str, query: &Signature) -> ApiResult<()> {
    if query.method != method.as_str() {
        return Err(Error::Forbidden("this link is for another method".into()).into());
    }
    state.core.signer.verify_with_length(
        method,
        key,
        query.expires,
        query.length,
        &query.signature,
    )?;
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
    // A link signed for a length takes a body of that length only, as S3 does.
    let wrong_length = || {
        ApiError(Error::Forbidden(
            "the body's length is not the one this link was signed for".into(),
        ))
    };
    if let Some(length) = query.length {
        if declared != Some(length) {
            return Err(wrong_length());
        }
    }
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
    // The declared length is checked above; a body that ends up another length is not stored.
    let stream = match query.length {
        Some(length) => exactly(stream, length),
        None => stream,
    };
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
        Err(Error::Backend { cause, .. })
            if cause
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::InvalidData) =>
        {
            Err(wrong_length())
        }
        Err(e) => Err(e.into()),
    }
}

/// `body`, failing (so that nothing is stored) unless it is exactly `length` bytes long.
fn exactly(body: BlobStream, length: u64) -> BlobStream {
    fn wrong() -> std::io::Error {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the body is not the length the link was signed for",
        )
    }
    let received = Arc::new(AtomicU64::new(0));
    let counter = received.clone();
    let counted = body.map(move |chunk| {
        let chunk = chunk?;
        let size = chunk.len() as u64;
        if counter.fetch_add(size, Ordering::Relaxed) + size > length {
            return Err(wrong());
        }
        Ok(chunk)
    });
    // Polled once the body has ended: a body that came up short fails too.
    let end = futures::stream::once(async move {
        (received.load(Ordering::Relaxed) != length).then(|| Err(wrong()))
    })
    .filter_map(futures::future::ready);
    counted.chain(end).boxed()
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
