//! The ingestion lifecycle, each step checked by `authz`: `create` (status `processing`, the
//! version id reserved), then `advance` by one `Step` (progress, requeue, start processing, a
//! cancellation request, failure or cancellation) until `complete_with_version` or a failure ends
//! it. A finished ingestion changes no more.

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
        progress_message: Some(limited("progressMessage", input.progress_message)?),
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

/// What a client or worker reports about an ingestion that is still open.
pub enum Step {
    /// Progress (0 to 1, when it knows) and what it is doing.
    Progress {
        progress: Option<f64>,
        message: String,
    },
    /// The ingestion waits again, e.g. for a worker.
    Requeue { message: String },
    /// A worker took the ingestion up.
    StartProcessing { message: String, source: SourceData },
    /// Someone asks the client doing the work to stop; it ends the ingestion with `Cancelled`.
    RequestCancellation { message: String },
    /// The work failed.
    Fail { reason: String },
    /// The work stopped on request.
    Cancelled { message: String },
}

impl Step {
    /// The step with its texts checked against the limits.
    fn checked(self) -> Result<Self> {
        Ok(match self {
            Step::Progress { progress, message } => {
                if progress.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
                    return Err(Error::invalid("progress", "must be between 0 and 1"));
                }
                let message = limited("progressMessage", message)?;
                Step::Progress { progress, message }
            }
            Step::Requeue { message } => Step::Requeue {
                message: limited("progressMessage", message)?,
            },
            Step::StartProcessing { message, source } => Step::StartProcessing {
                message: limited("progressMessage", message)?,
                source: checked_source(source)?,
            },
            Step::RequestCancellation { message } => Step::RequestCancellation {
                message: limited("cancellationMessage", message)?,
            },
            Step::Fail { reason } => Step::Fail {
                reason: limited("errorReason", reason)?,
            },
            Step::Cancelled { message } => Step::Cancelled {
                message: limited("cancellationMessage", message)?,
            },
        })
    }

    fn news(&self) -> IngestionNews {
        match self {
            Step::RequestCancellation { .. } => IngestionNews::CancellationRequested,
            _ => IngestionNews::Updated,
        }
    }

    fn apply(self, i: &mut Ingestion) {
        match self {
            Step::Progress { progress, message } => {
                i.progress = progress;
                i.progress_message = Some(message);
            }
            Step::Requeue { message } => {
                i.status = IngestionStatus::Queued;
                i.progress_message = Some(message);
            }
            Step::StartProcessing { message, source } => {
                i.status = IngestionStatus::Processing;
                i.progress_message = Some(message);
                i.source = source;
            }
            Step::RequestCancellation { message } => {
                i.cancellation_requested = true;
                i.progress_message = Some(message);
            }
            Step::Fail { reason } => {
                i.status = IngestionStatus::Failed;
                i.error_reason = Some(reason);
                i.progress_message = None;
            }
            Step::Cancelled { message } => {
                i.status = IngestionStatus::Cancelled;
                i.error_reason = Some(message);
                i.progress_message = None;
            }
        }
    }
}

/// Takes one step of an open ingestion (any but its success: `complete_with_version`).
pub async fn advance(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    step: Step,
) -> Result<Ingestion> {
    let step = step.checked()?;
    change(core, actor, project_id, id, step.news(), |i| step.apply(i)).await
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

fn limited(field: &'static str, text: String) -> Result<String> {
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
