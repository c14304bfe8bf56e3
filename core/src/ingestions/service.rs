//! The ingestion lifecycle, each step checked by `authz`: `create` (status `processing`, the
//! version id reserved), progress reports, `requeue`/`start_processing`, a cancellation request,
//! and the endings: `complete_with_version`, `fail_with_error`, `fail_with_cancel`. A finished
//! ingestion changes no more.

use serde_json::json;

use super::{Ingestion, IngestionStatus, SourceData};
use crate::auth::Actor;
use crate::authz::Action;
use crate::core::Core;
use crate::error::{Error, Result};
use crate::ids;
use crate::projects::activity::{self, Entry};
use crate::projects::events::{self, IngestionNews, ProjectEvent};
use crate::projects::service::{load, principal};
use crate::projects::versions::{self, ModelRef, NewVersion};
use crate::projects::{models, Version};

/// The longest progress message, error reason or cancellation message kept.
const MAX_MESSAGE: usize = 10_000;

pub struct NewIngestion {
    pub model_id: String,
    pub progress_message: String,
    pub source: SourceData,
    pub max_idle_seconds: Option<i32>,
}

/// Starts an ingestion of a model, reserving its version's id.
pub async fn create(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    input: NewIngestion,
) -> Result<Ingestion> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let user_id = principal(actor)?.user.id.clone();
    let model = models::find(core, project_id, &input.model_id).await?;
    if input.max_idle_seconds.is_some_and(|s| s <= 0) {
        return Err(Error::invalid(
            "maxIdleTimeoutSeconds",
            "must be a positive number of seconds",
        ));
    }
    let now = crate::projects::now();
    let ingestion = Ingestion {
        id: ids::new_id(),
        project_id: project_id.to_string(),
        model_id: model.id,
        user_id,
        status: IngestionStatus::Processing,
        progress_message: Some(message("progressMessage", input.progress_message)?),
        progress: None,
        error_reason: None,
        cancellation_requested: false,
        version_id: ids::new_id(),
        source: checked_source(input.source)?,
        max_idle_seconds: input.max_idle_seconds,
        created_at: now,
        updated_at: now,
    };
    core.ingestions.insert_ingestion(&ingestion).await?;
    record(core, actor, &ingestion, "model_ingestion_created").await;
    announce(core, &ingestion, IngestionNews::Created).await;
    Ok(ingestion)
}

/// An ingestion of a project the caller may read.
pub async fn find(core: &Core, actor: &Actor, project_id: &str, id: &str) -> Result<Ingestion> {
    load(core, actor, project_id, Action::ReadProject).await?;
    stored(core, project_id, id).await
}

/// Whether the caller may start ingestions of this project's models.
pub async fn may_create(core: &Core, actor: &Actor, project_id: &str) -> Result<()> {
    load(core, actor, project_id, Action::WriteProject)
        .await
        .map(|_| ())
}

/// The client reports progress (0 to 1, when it knows) and what it is doing.
pub async fn update_progress(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    progress: Option<f64>,
    progress_message: String,
) -> Result<Ingestion> {
    if progress.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
        return Err(Error::invalid("progress", "must be between 0 and 1"));
    }
    let progress_message = message("progressMessage", progress_message)?;
    change(core, actor, project_id, id, IngestionNews::Updated, |i| {
        i.progress = progress;
        i.progress_message = Some(progress_message);
    })
    .await
}

/// The ingestion waits again, e.g. for a worker.
pub async fn requeue(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    progress_message: String,
) -> Result<Ingestion> {
    let progress_message = message("progressMessage", progress_message)?;
    change(core, actor, project_id, id, IngestionNews::Updated, |i| {
        i.status = IngestionStatus::Queued;
        i.progress_message = Some(progress_message);
    })
    .await
}

/// A worker took the ingestion up.
pub async fn start_processing(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    progress_message: String,
    source: SourceData,
) -> Result<Ingestion> {
    let progress_message = message("progressMessage", progress_message)?;
    let source = checked_source(source)?;
    change(core, actor, project_id, id, IngestionNews::Updated, |i| {
        i.status = IngestionStatus::Processing;
        i.progress_message = Some(progress_message);
        i.source = source;
    })
    .await
}

/// Someone asks the client doing the work to stop; it ends the ingestion with `fail_with_cancel`.
pub async fn request_cancellation(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    cancellation_message: String,
) -> Result<Ingestion> {
    let cancellation_message = message("cancellationMessage", cancellation_message)?;
    change(
        core,
        actor,
        project_id,
        id,
        IngestionNews::CancellationRequested,
        |i| {
            i.cancellation_requested = true;
            i.progress_message = Some(cancellation_message);
        },
    )
    .await
}

pub async fn fail_with_error(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    error_reason: String,
) -> Result<Ingestion> {
    let error_reason = message("errorReason", error_reason)?;
    change(core, actor, project_id, id, IngestionNews::Updated, |i| {
        i.status = IngestionStatus::Failed;
        i.error_reason = Some(error_reason);
        i.progress_message = None;
    })
    .await
}

pub async fn fail_with_cancel(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    cancellation_message: String,
) -> Result<Ingestion> {
    let cancellation_message = message("cancellationMessage", cancellation_message)?;
    change(core, actor, project_id, id, IngestionNews::Updated, |i| {
        i.status = IngestionStatus::Cancelled;
        i.error_reason = Some(cancellation_message);
        i.progress_message = None;
    })
    .await
}

/// Ends the ingestion with a version of its model under the reserved id, pointing at an object
/// already uploaded to the project.
pub async fn complete_with_version(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    root_object_id: String,
    version_message: Option<String>,
) -> Result<(Ingestion, Version)> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let ingestion = open(core, project_id, id).await?;
    finish_with_version(
        core,
        actor,
        ingestion,
        root_object_id,
        version_message,
        None,
    )
    .await
}

/// Creates the ingestion's version under its reserved id, then marks the ingestion a success.
pub(crate) async fn finish_with_version(
    core: &Core,
    actor: &Actor,
    ingestion: Ingestion,
    root_object_id: String,
    version_message: Option<String>,
    total_children_count: Option<i64>,
) -> Result<(Ingestion, Version)> {
    let (project_id, id) = (ingestion.project_id.as_str(), ingestion.id.as_str());
    let version = versions::create_with_id(
        core,
        actor,
        project_id,
        ingestion.version_id.clone(),
        NewVersion {
            model: ModelRef::Id(ingestion.model_id.clone()),
            object_id: root_object_id,
            message: version_message,
            source_application: Some(ingestion.source.source_application_slug.clone())
                .filter(|s| !s.is_empty()),
            total_children_count,
            parents: Vec::new(),
        },
    )
    .await?;
    let ingestion = change(core, actor, project_id, id, IngestionNews::Updated, |i| {
        i.status = IngestionStatus::Success;
        i.progress = Some(1.0);
        i.progress_message = None;
    })
    .await?;
    Ok((ingestion, version))
}

/// Applies `apply` to an open ingestion and saves it, unless another change finished it first.
async fn change(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    news: IngestionNews,
    apply: impl FnOnce(&mut Ingestion),
) -> Result<Ingestion> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let mut ingestion = open(core, project_id, id).await?;
    let before = ingestion.status;
    apply(&mut ingestion);
    ingestion.updated_at = crate::projects::now();
    if !core.ingestions.update_open_ingestion(&ingestion).await? {
        return Err(finished(&stored(core, project_id, id).await?));
    }
    if ingestion.status != before {
        record(core, actor, &ingestion, "model_ingestion_updated").await;
    }
    announce(core, &ingestion, news).await;
    Ok(ingestion)
}

pub(crate) async fn stored(core: &Core, project_id: &str, id: &str) -> Result<Ingestion> {
    core.ingestions
        .ingestion(project_id, id)
        .await?
        .ok_or_else(|| Error::NotFound("model ingestion".into()))
}

/// An ingestion that still runs, or why it cannot change.
pub(crate) async fn open(core: &Core, project_id: &str, id: &str) -> Result<Ingestion> {
    let ingestion = stored(core, project_id, id).await?;
    if !ingestion.status.is_open() {
        return Err(finished(&ingestion));
    }
    Ok(ingestion)
}

fn finished(ingestion: &Ingestion) -> Error {
    Error::invalid(
        "ingestionId",
        format!(
            "the ingestion has already ended ({}) and cannot change",
            ingestion.status.as_str()
        ),
    )
}

fn message(field: &'static str, text: String) -> Result<String> {
    if text.chars().count() > MAX_MESSAGE {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_MESSAGE} characters"),
        ));
    }
    Ok(text)
}

fn checked_source(source: SourceData) -> Result<SourceData> {
    for (field, value) in [
        ("sourceApplicationSlug", &source.source_application_slug),
        (
            "sourceApplicationVersion",
            &source.source_application_version,
        ),
    ] {
        if value.chars().count() > 256 {
            return Err(Error::invalid(field, "must be at most 256 characters"));
        }
    }
    if source
        .file_name
        .as_ref()
        .is_some_and(|name| name.chars().count() > 1024)
    {
        return Err(Error::invalid(
            "fileName",
            "must be at most 1024 characters",
        ));
    }
    Ok(source)
}

/// Status changes go to the activity log, and so to webhooks.
async fn record(core: &Core, actor: &Actor, ingestion: &Ingestion, action_type: &'static str) {
    activity::record(
        core,
        Entry {
            project_id: &ingestion.project_id,
            resource_type: "model_ingestion",
            resource_id: &ingestion.id,
            action_type,
            user_id: actor.principal().map(|p| p.user.id.as_str()),
            info: json!({
                "modelIngestion": {
                    "id": ingestion.id,
                    "modelId": ingestion.model_id,
                    "status": ingestion.status.as_str(),
                    "versionId": ingestion.version_id,
                    "errorReason": ingestion.error_reason,
                    "sourceApplication": ingestion.source.source_application_slug,
                },
            }),
            message: format!(
                "Model ingestion {} is {}",
                ingestion.id,
                ingestion.status.as_str()
            ),
        },
    )
    .await;
}

async fn announce(core: &Core, ingestion: &Ingestion, news: IngestionNews) {
    events::project(
        core,
        &ingestion.project_id,
        ProjectEvent::Ingestion {
            ingestion_id: ingestion.id.clone(),
            model_id: ingestion.model_id.clone(),
            news,
        },
    )
    .await;
}
