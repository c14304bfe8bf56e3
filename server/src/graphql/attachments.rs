//! Files attached to a project: `Project.blobs`, `Project.blob`, and presigned uploads through
//! `fileUploadMutations.generateUploadUrl`.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use fleck_core::projects::{attachments, service, Attachment};

use super::context::{actor, core};
use super::errors::from_core;
use super::paging::{page, Page};

#[derive(SimpleObject)]
pub struct BlobMetadata {
    id: String,
    stream_id: String,
    user_id: Option<String>,
    file_name: String,
    file_type: String,
    file_hash: Option<String>,
    file_size: Option<i64>,
    upload_status: i32,
    upload_error: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<Attachment> for BlobMetadata {
    fn from(a: Attachment) -> Self {
        BlobMetadata {
            upload_status: a.status as i32,
            id: a.id,
            stream_id: a.project_id,
            user_id: a.user_id,
            file_name: a.file_name,
            file_type: a.file_type,
            file_hash: a.file_hash,
            file_size: a.file_size,
            upload_error: a.upload_error,
            created_at: a.created_at,
        }
    }
}

#[derive(SimpleObject)]
pub struct BlobMetadataCollection {
    total_count: i64,
    /// Bytes in all the project's files.
    total_size: i64,
    cursor: Option<String>,
    items: Vec<BlobMetadata>,
}

/// `Project.blobs`: completed files, newest first, optionally by a part of their name.
pub async fn list(
    ctx: &Context<'_>,
    access: &service::Access,
    query: Option<String>,
    limit: Option<i32>,
    cursor: Option<String>,
) -> Result<BlobMetadataCollection> {
    let window = page(limit, cursor.as_deref(), 25, 100)?;
    let query = query.filter(|q| !q.trim().is_empty());
    let listed = attachments::list(
        core(ctx),
        actor(ctx),
        &access.project.id,
        query.as_deref(),
        window,
    )
    .await
    .map_err(from_core)?;
    let total_size = access
        .attachments_size(core(ctx))
        .await
        .map_err(from_core)?;
    let Page { cursor } = Page::after(window, listed.items.len(), listed.total);
    Ok(BlobMetadataCollection {
        total_count: listed.total,
        total_size,
        cursor,
        items: listed.items.into_iter().map(BlobMetadata::from).collect(),
    })
}

/// `Project.blob`: one file's record; `null` when there is none.
pub async fn one(
    ctx: &Context<'_>,
    access: &service::Access,
    id: &str,
) -> Result<Option<BlobMetadata>> {
    let attachment = access.attachment(core(ctx), id).await.map_err(from_core)?;
    Ok(attachment.map(BlobMetadata::from))
}

#[derive(InputObject)]
pub struct GenerateFileUploadUrlInput {
    project_id: String,
    file_name: String,
    /// The file's exact length in bytes (Fleck's addition, optional): the URL then accepts only
    /// a body of that length.
    file_size: Option<u64>,
}

#[derive(SimpleObject)]
pub struct GenerateFileUploadUrlOutput {
    url: String,
    file_id: String,
}

#[derive(Default)]
pub struct FileUploadMutation;

#[Object]
impl FileUploadMutation {
    async fn file_upload_mutations(&self) -> FileUploadMutations {
        FileUploadMutations
    }
}

pub struct FileUploadMutations;

#[Object]
impl FileUploadMutations {
    /// Reserves a file and returns a URL to `PUT` it to (no token needed; it answers an ETag).
    async fn generate_upload_url(
        &self,
        ctx: &Context<'_>,
        input: GenerateFileUploadUrlInput,
    ) -> Result<GenerateFileUploadUrlOutput> {
        let limit = ctx.data_unchecked::<super::imports::ImportSizeLimit>().0;
        let request = attachments::UploadRequest {
            project_id: &input.project_id,
            file_name: &input.file_name,
            file_size: input.file_size,
        };
        let (attachment, url) = attachments::upload_url(core(ctx), actor(ctx), request, limit)
            .await
            .map_err(from_core)?;
        Ok(GenerateFileUploadUrlOutput {
            url,
            file_id: attachment.id,
        })
    }

    /// Queues the conversion of an uploaded file into a version of a model.
    async fn start_file_import(
        &self,
        ctx: &Context<'_>,
        input: super::imports::StartFileImportInput,
    ) -> Result<super::imports::FileUpload> {
        super::imports::start(ctx, input).await
    }

    /// Converts an uploaded file into a version of a model, followed as a model ingestion.
    async fn start_file_ingestion(
        &self,
        ctx: &Context<'_>,
        input: super::imports::StartFileImportInput,
    ) -> Result<super::ingestions::ModelIngestion> {
        super::imports::start_ingestion(ctx, input).await
    }

    /// How a conversion ended, reported by the converter.
    async fn finish_file_import(
        &self,
        ctx: &Context<'_>,
        input: super::imports::FinishFileImportInput,
    ) -> Result<bool> {
        super::imports::finish(ctx, input).await
    }
}
