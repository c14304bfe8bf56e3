//! Files attached to a project, on Speckle's blob routes (objects.md §4.7).

use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use bytes::Bytes;
use fleck_core::projects::{attachments, Attachment, UploadStatus, Window};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio_stream::wrappers::ReceiverStream;

use crate::auth::Actor;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

fn metadata(a: &Attachment) -> Value {
    json!({
        "id": a.id,
        "streamId": a.project_id,
        "userId": a.user_id,
        "fileName": a.file_name,
        "fileType": a.file_type,
        "fileSize": a.file_size,
        "fileHash": a.file_hash,
        "uploadStatus": a.status as i64,
        "uploadError": a.upload_error,
        "createdAt": a.created_at,
    })
}

/// `POST /api/stream/{project_id}/blob`: every file part becomes an attachment. 201 with one
/// result per part; a part over the size limit is reported as failed, not refused.
pub async fn upload(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    Extension(actor): Extension<Actor>,
    mut multipart: Multipart,
) -> ApiResult<Response> {
    let limit = state.options.file_size_limit;
    let mut results = Vec::new();
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|e| ApiError(fleck_core::Error::invalid("upload", e.body_text())))?;
        let Some(field) = field else { break };
        // Only file parts become attachments; plain form fields are not files.
        let Some(file_name) = field.file_name().map(str::to_string) else {
            continue;
        };
        let form_key = field.name().unwrap_or_default().to_string();
        let content_type = field.content_type().map(str::to_string);
        // The part borrows the request, the blob store wants an owned stream: a small channel
        // carries the chunks across while both run.
        let (sender, receiver) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
        let forward = forward(field, sender, limit);
        let store = attachments::upload(
            &state.core,
            &actor,
            &project_id,
            &file_name,
            content_type.as_deref(),
            Box::pin(ReceiverStream::new(receiver)),
        );
        let ((), attachment) = tokio::join!(forward, store);
        let attachment = attachment?;
        results.push(json!({
            "blobId": attachment.id,
            "fileName": attachment.file_name,
            "fileSize": attachment.file_size,
            "uploadStatus": attachment.status as i64,
            "uploadError": attachment.upload_error,
            "formKey": form_key,
        }));
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "uploadResults": results })),
    )
        .into_response())
}

/// Sends a part's chunks on, ending with an error once more than `limit` bytes came.
async fn forward(
    mut field: axum::extract::multipart::Field<'_>,
    sender: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    limit: u64,
) {
    let mut received = 0u64;
    loop {
        let next = match field.chunk().await {
            Ok(Some(chunk)) => {
                received += chunk.len() as u64;
                if received > limit {
                    Err(std::io::Error::new(
                        std::io::ErrorKind::FileTooLarge,
                        format!("File size limit reached ({} MiB)", limit / (1024 * 1024)),
                    ))
                } else {
                    Ok(chunk)
                }
            }
            Ok(None) => return,
            Err(e) => Err(std::io::Error::other(e)),
        };
        let failed = next.is_err();
        if sender.send(next).await.is_err() || failed {
            return;
        }
    }
}

/// `attachment` with the name twice: plain for old clients, and UTF-8 (RFC 6266) for the rest.
fn content_disposition(file_name: &str) -> String {
    let plain: String = file_name
        .chars()
        .map(|c| {
            let safe = c == ' ' || (c.is_ascii_graphic() && c != '"' && c != '\\');
            if safe {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(file_name.len() * 3);
    for byte in file_name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

/// `POST /api/stream/{project_id}/blob/diff`: which of the listed ids the project lacks.
pub async fn diff(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    Extension(actor): Extension<Actor>,
    body: Bytes,
) -> ApiResult<Json<Vec<String>>> {
    let ids: Vec<String> = serde_json::from_slice(&body).map_err(|e| {
        ApiError(fleck_core::Error::invalid(
            "body",
            format!("expected a JSON array of file ids ({e})"),
        ))
    })?;
    Ok(Json(
        attachments::unknown(&state.core, &actor, &project_id, &ids).await?,
    ))
}

/// `GET /api/stream/{project_id}/blob/{blob_id}`: the file, as uploaded.
pub async fn download(
    State(state): State<AppState>,
    Path((project_id, blob_id)): Path<(String, String)>,
    Extension(actor): Extension<Actor>,
) -> ApiResult<Response> {
    let (attachment, blob) =
        attachments::download(&state.core, &actor, &project_id, &blob_id).await?;
    let disposition = content_disposition(&attachment.file_name);
    let mut response = Body::from_stream(blob.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(blob.info.size));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    Ok(response)
}

pub async fn delete(
    State(state): State<AppState>,
    Path((project_id, blob_id)): Path<(String, String)>,
    Extension(actor): Extension<Actor>,
) -> ApiResult<StatusCode> {
    attachments::delete(&state.core, &actor, &project_id, &blob_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    file_name: Option<String>,
}

/// `GET /api/stream/{project_id}/blobs?fileName=`: the project's files, newest first.
pub async fn list(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    Extension(actor): Extension<Actor>,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let listed = attachments::list(
        &state.core,
        &actor,
        &project_id,
        query.file_name.as_deref(),
        Window {
            offset: 0,
            limit: 1000,
        },
    )
    .await?;
    let blobs: Vec<Value> = listed
        .items
        .iter()
        .filter(|a| a.status == UploadStatus::Completed)
        .map(metadata)
        .collect();
    Ok(Json(json!({ "blobs": blobs, "totalCount": listed.total })))
}

/// `DELETE /api/stream/{project_id}/blobs`: not offered, as in Speckle.
pub async fn delete_all() -> StatusCode {
    StatusCode::NOT_IMPLEMENTED
}
