//! File ingestion (`startFileIngestion`): Fleck's own importer (IFC, OBJ, STL, glTF) converts an
//! uploaded file as a model ingestion, reporting progress while it converts and ending with the
//! reserved version, or the reason it failed, or the cancellation it was asked for.

use super::service::{self, NewIngestion, Step};
use super::{Ingestion, SourceData};
use crate::auth::Actor;
use crate::authz::Action;
use crate::core::Core;
use crate::error::Result;
use crate::projects::imports::{self, ImportRequest};
use crate::projects::service::load;
use crate::projects::{attachments, Version};

/// The `sourceApplicationSlug` of ingestions that Fleck's importer performs.
pub const IMPORTER: &str = "fleck-importer";

/// Starts an ingestion of an uploaded file, converted by a file-import job.
pub async fn start(
    core: &Core,
    actor: &Actor,
    request: ImportRequest<'_>,
    size_limit: u64,
) -> Result<Ingestion> {
    let project_id = request.project_id;
    load(core, actor, project_id, Action::WriteProject).await?;
    let file = attachments::find(core, project_id, request.file_id).await?;
    let ingestion = service::create(
        core,
        actor,
        project_id,
        NewIngestion {
            model_id: request.model_id.to_string(),
            progress_message: format!("Waiting to convert {}", file.file_name),
            source: SourceData {
                source_application_slug: IMPORTER.into(),
                source_application_version: env!("CARGO_PKG_VERSION").into(),
                file_name: Some(file.file_name.clone()),
                file_size_bytes: file.file_size,
            },
            max_idle_seconds: None,
        },
    )
    .await?;
    if let Err(e) = imports::start_for(core, actor, request, size_limit, Some(&ingestion.id)).await
    {
        let step = Step::Fail {
            reason: e.to_string(),
        };
        service::advance(core, actor, project_id, &ingestion.id, step).await?;
        return Err(e);
    }
    let step = Step::Requeue {
        message: format!("Waiting to convert {}", file.file_name),
    };
    service::advance(core, actor, project_id, &ingestion.id, step).await
}

/// The converter reports what it is doing; `false` when the ingestion was asked to stop (it
/// is then cancelled) or has ended.
pub async fn converting(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    ingestion_id: &str,
    message: String,
) -> Result<bool> {
    let Ok(ingestion) = service::open(core, project_id, ingestion_id).await else {
        return Ok(false);
    };
    if ingestion.cancellation_requested {
        let step = Step::Cancelled {
            message: "Cancelled while converting".into(),
        };
        service::advance(core, actor, project_id, ingestion_id, step).await?;
        return Ok(false);
    }
    let source = ingestion.source;
    let step = Step::StartProcessing { message, source };
    service::advance(core, actor, project_id, ingestion_id, step).await?;
    Ok(true)
}

/// The converted model becomes the ingestion's reserved version.
pub async fn converted(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    ingestion_id: &str,
    root_object_id: String,
    message: String,
) -> Result<Version> {
    let ingestion = service::open(core, project_id, ingestion_id).await?;
    let (_, version) =
        service::finish_with_version(core, actor, ingestion, root_object_id, Some(message), None)
            .await?;
    Ok(version)
}

/// The conversion failed: so does the ingestion, with the reason (unless it already ended).
pub async fn failed(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    ingestion_id: &str,
    reason: String,
) -> Result<()> {
    if service::open(core, project_id, ingestion_id).await.is_ok() {
        service::advance(core, actor, project_id, ingestion_id, Step::Fail { reason }).await?;
    }
    Ok(())
}

/// The import job gave up: the ingestion fails with the reason, as its user's.
pub async fn abandoned(
    core: &Core,
    project_id: &str,
    ingestion_id: &str,
    reason: &str,
) -> Result<()> {
    let ingestion = service::stored(core, project_id, ingestion_id).await?;
    let Some(user) = core.store.user_by_id(&ingestion.user_id).await? else {
        return Ok(());
    };
    failed(
        core,
        &Actor::from_session(user),
        project_id,
        ingestion_id,
        reason.to_string(),
    )
    .await
}
