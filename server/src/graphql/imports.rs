//! File imports: `fileUploadMutations.startFileImport` / `finishFileImport`, `Model.uploads`
//! and the legacy `Stream.fileUploads`.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Result, SimpleObject};
use chrono::{DateTime, Utc};
use fleck_core::projects::imports::{self, ImportOutcome, ImportRequest};
use fleck_core::projects::FileImport;
use serde_json::json;

use super::context::{actor, core};
use super::errors::from_core;
use super::paging::{page, Collection};

/// The largest file an import accepts, in bytes (the server's file size limit).
pub struct ImportSizeLimit(pub u64);

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct FileUpload {
    id: String,
    project_id: String,
    /// The legacy name of `projectId`.
    stream_id: String,
    model_id: Option<String>,
    user_id: String,
    file_name: String,
    file_type: String,
    file_size: i64,
    /// Always true: an import starts from a finished upload.
    upload_complete: bool,
    upload_date: DateTime<Utc>,
    /// 0 queued, 1 converting, 2 success, 3 error.
    converted_status: i32,
    converted_message: Option<String>,
    converted_version_id: Option<String>,
    /// The legacy name of `convertedVersionId`.
    converted_commit_id: Option<String>,
    converted_last_update: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[ComplexObject]
impl FileUpload {
    /// The full name of the model the file is imported into.
    async fn model_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let Some(model_id) = &self.model_id else {
            return Ok(None);
        };
        match fleck_core::projects::models::find(core(ctx), &self.project_id, model_id).await {
            Ok(model) => Ok(Some(model.name)),
            Err(fleck_core::Error::NotFound(_)) => Ok(None),
            Err(e) => Err(from_core(e)),
        }
    }

    /// The legacy name of `modelName`.
    async fn branch_name(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        self.model_name(ctx).await
    }
}

impl From<FileImport> for FileUpload {
    fn from(i: FileImport) -> Self {
        FileUpload {
            stream_id: i.project_id.clone(),
            project_id: i.project_id,
            model_id: Some(i.model_id),
            id: i.id,
            user_id: i.user_id,
            file_name: i.file_name,
            file_type: i.file_type,
            file_size: i.file_size,
            upload_complete: true,
            upload_date: i.created_at,
            converted_status: i.status as i32,
            converted_message: i.message,
            converted_commit_id: i.version_id.clone(),
            converted_version_id: i.version_id,
            converted_last_update: i.updated_at,
            updated_at: i.updated_at,
        }
    }
}

pub type FileUploadCollection = Collection<FileUpload>;

#[derive(InputObject, Default)]
pub struct GetModelUploadsInput {
    pub limit: Option<i32>,
    pub cursor: Option<String>,
}

/// A project's imports, or one model's, newest first.
pub async fn list(
    ctx: &Context<'_>,
    project_id: &str,
    model_id: Option<&str>,
    limit: Option<i32>,
    cursor: Option<String>,
) -> Result<FileUploadCollection> {
    let window = page(limit, cursor.as_deref(), 25, 100)?;
    let listed = imports::list(core(ctx), actor(ctx), project_id, model_id, window)
        .await
        .map_err(from_core)?;
    Ok(Collection::of(window, listed, FileUpload::from))
}

#[derive(InputObject)]
pub struct StartFileImportInput {
    project_id: String,
    model_id: String,
    file_id: String,
    etag: String,
}

impl StartFileImportInput {
    fn request(&self) -> ImportRequest<'_> {
        ImportRequest {
            project_id: &self.project_id,
            model_id: &self.model_id,
            file_id: &self.file_id,
            etag: Some(&self.etag),
        }
    }
}

pub async fn start(ctx: &Context<'_>, input: StartFileImportInput) -> Result<FileUpload> {
    let limit = ctx.data_unchecked::<ImportSizeLimit>().0;
    let import = imports::start(core(ctx), actor(ctx), input.request(), limit)
        .await
        .map_err(from_core)?;
    Ok(import.into())
}

/// `startFileIngestion`: the same conversion, followed as a model ingestion.
pub async fn start_ingestion(
    ctx: &Context<'_>,
    input: StartFileImportInput,
) -> Result<super::ingestions::ModelIngestion> {
    let limit = ctx.data_unchecked::<ImportSizeLimit>().0;
    fleck_core::ingestions::files::start(core(ctx), actor(ctx), input.request(), limit)
        .await
        .map(super::ingestions::ModelIngestion)
        .map_err(from_core)
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "lowercase")]
pub enum JobResultStatus {
    Success,
    Error,
}

#[derive(InputObject)]
pub struct FileImportResultInput {
    duration_seconds: f64,
    download_duration_seconds: f64,
    parse_duration_seconds: f64,
    parser: String,
    version_id: Option<String>,
}

#[derive(InputObject)]
pub struct FinishFileImportInput {
    project_id: String,
    /// The import's id (the uploaded file's id).
    job_id: String,
    warnings: Option<Vec<String>>,
    result: FileImportResultInput,
    status: JobResultStatus,
    reason: Option<String>,
}

pub async fn finish(ctx: &Context<'_>, input: FinishFileImportInput) -> Result<bool> {
    let result = input.result;
    let outcome = match input.status {
        JobResultStatus::Success => ImportOutcome::Succeeded {
            version_id: result.version_id.clone().ok_or_else(|| {
                super::code(
                    "A successful import must name the version it created (result.versionId)",
                    "BAD_USER_INPUT",
                )
            })?,
            warnings: input.warnings.unwrap_or_default(),
        },
        JobResultStatus::Error => ImportOutcome::Failed {
            reason: input.reason.unwrap_or_default(),
        },
    };
    let performance = json!({
        "durationSeconds": result.duration_seconds,
        "downloadDurationSeconds": result.download_duration_seconds,
        "parseDurationSeconds": result.parse_duration_seconds,
        "parser": result.parser,
    });
    imports::finish(
        core(ctx),
        actor(ctx),
        &input.project_id,
        &input.job_id,
        outcome,
        Some(performance),
    )
    .await
    .map_err(from_core)?;
    Ok(true)
}
