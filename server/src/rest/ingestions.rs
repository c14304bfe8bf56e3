//! The REST half of model ingestions: Speckle's v2 bundle uploads (`send3`: sign a URL per
//! file, complete with their ETags), a version's files for `receive3`, and the v1 objects-file
//! upload of the .NET SDK's send pipeline (sign, PUT, process).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use fleck_core::ingestions::bundles::{self, Completion};
use fleck_core::ingestions::objects_file;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Actor;
use crate::error::ApiResult;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct SignRequest {
    files: Vec<String>,
}

/// `POST /api/v2/projects/{project}/modelingestion/{ingestion}/uploads/sign`:
/// `{"uploads": {name: {"url"}}}`, one presigned `PUT` per file.
pub async fn sign(
    State(state): State<AppState>,
    Path((project_id, ingestion_id)): Path<(String, String)>,
    Extension(actor): Extension<Actor>,
    Json(request): Json<SignRequest>,
) -> ApiResult<Json<Value>> {
    let urls = bundles::sign(
        &state.core,
        &actor,
        &project_id,
        &ingestion_id,
        &request.files,
    )
    .await?;
    let uploads: BTreeMap<String, Value> = urls
        .into_iter()
        .map(|(name, url)| (name, json!({ "url": url, "additionalRequestHeaders": {} })))
        .collect();
    Ok(Json(json!({ "uploads": uploads })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteRequest {
    etags: BTreeMap<String, String>,
    root_id: String,
    total_children_count: Option<i64>,
}

/// `POST …/uploads/complete`: the version, created under the ingestion's reserved id.
pub async fn complete(
    State(state): State<AppState>,
    Path((project_id, ingestion_id)): Path<(String, String)>,
    Extension(actor): Extension<Actor>,
    Json(request): Json<CompleteRequest>,
) -> ApiResult<Json<Value>> {
    let completion = Completion {
        etags: request.etags,
        root_id: request.root_id,
        total_children_count: request.total_children_count,
    };
    let version =
        bundles::complete(&state.core, &actor, &project_id, &ingestion_id, completion).await?;
    Ok(Json(json!({ "versionId": version.id })))
}

/// `GET /api/v2/projects/{project}/models/{model}/versions/{version}/artifacts`:
/// `{"files": [{"name", "url"}]}`; 404 for a version that was not sent as files.
pub async fn artifacts(
    State(state): State<AppState>,
    Path((project_id, model_id, version_id)): Path<(String, String, String)>,
    Extension(actor): Extension<Actor>,
) -> ApiResult<Json<Value>> {
    let files =
        bundles::artifacts(&state.core, &actor, &project_id, &model_id, &version_id).await?;
    let files: Vec<Value> = files
        .into_iter()
        .map(|(name, url)| json!({ "name": name, "url": url }))
        .collect();
    Ok(Json(json!({ "files": files })))
}

/// `POST /api/v1/projects/{project}/modelingestion/{ingestion}/uploads/sign` (the .NET SDK's
/// send pipeline): one presigned `PUT` for the ingestion's objects file.
pub async fn sign_objects_file(
    State(state): State<AppState>,
    Path((project_id, ingestion_id)): Path<(String, String)>,
    Extension(actor): Extension<Actor>,
) -> ApiResult<Json<Value>> {
    let (url, key) = objects_file::sign(&state.core, &actor, &project_id, &ingestion_id).await?;
    Ok(Json(
        json!({ "url": url, "key": key, "additionalRequestHeaders": {} }),
    ))
}

#[derive(Deserialize)]
pub struct ProcessRequest {
    etag: String,
}

/// `POST …/uploads/process {"etag"}`: queues the uploaded file's ingestion; the client follows
/// it through the ingestion's status.
pub async fn process_objects_file(
    State(state): State<AppState>,
    Path((project_id, ingestion_id)): Path<(String, String)>,
    Extension(actor): Extension<Actor>,
    Json(request): Json<ProcessRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let ingestion = objects_file::process(
        &state.core,
        &actor,
        &project_id,
        &ingestion_id,
        &request.etag,
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "ingestionId": ingestion.id, "status": ingestion.status.as_str() })),
    ))
}
