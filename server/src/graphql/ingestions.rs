//! Model ingestions: `ModelIngestion` with its status union, `Project.ingestion`,
//! `projectMutations.modelIngestionMutations` and the subscription's message; the lifecycle's
//! rules are `fleck_core::ingestions::service`.

use async_graphql::{
    Context, Enum, InputObject, Interface, Object, OneofObject, Result, SimpleObject, Union, ID,
};
use chrono::{DateTime, Utc};
use fleck_core::ingestions::service::{self, NewIngestion, Step};
use fleck_core::ingestions::{Ingestion, IngestionStatus, SourceData};
use fleck_core::projects::events::IngestionNews;

use super::context::{actor, core};
use super::errors::from_core;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "ModelIngestionStatus", rename_items = "camelCase")]
pub enum Status {
    Cancelled,
    Failed,
    InvalidInput,
    Processing,
    Queued,
    Success,
    Timeout,
}

impl From<IngestionStatus> for Status {
    fn from(status: IngestionStatus) -> Self {
        match status {
            IngestionStatus::Queued => Self::Queued,
            IngestionStatus::Processing => Self::Processing,
            IngestionStatus::Success => Self::Success,
            IngestionStatus::Failed => Self::Failed,
            IngestionStatus::Cancelled => Self::Cancelled,
            IngestionStatus::InvalidInput => Self::InvalidInput,
            IngestionStatus::Timeout => Self::Timeout,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "ModelIngestionQueuedStatus")]
pub struct QueuedStatus {
    status: Status,
    progress_message: String,
}

#[derive(SimpleObject)]
#[graphql(name = "ModelIngestionProcessingStatus")]
pub struct ProcessingStatus {
    status: Status,
    progress_message: String,
}

#[derive(SimpleObject)]
#[graphql(name = "ModelIngestionSuccessStatus")]
pub struct SuccessStatus {
    status: Status,
    version_id: ID,
}

#[derive(SimpleObject)]
#[graphql(name = "ModelIngestionFailedStatus")]
pub struct FailedStatus {
    status: Status,
    error_reason: String,
}

#[derive(SimpleObject)]
#[graphql(name = "ModelIngestionCancelledStatus")]
pub struct CancelledStatus {
    status: Status,
}

#[derive(SimpleObject)]
#[graphql(name = "ModelIngestionInvalidStatus")]
pub struct InvalidStatus {
    status: Status,
}

#[derive(Union)]
#[graphql(name = "ModelIngestionStatusData")]
pub enum StatusData {
    Queued(QueuedStatus),
    Processing(ProcessingStatus),
    Success(SuccessStatus),
    Failed(FailedStatus),
    Cancelled(CancelledStatus),
    Invalid(InvalidStatus),
}

/// Every status has a `status`: clients select it through this interface.
#[derive(Interface)]
#[graphql(
    name = "HasModelIngestionStatus",
    field(name = "status", ty = "&Status")
)]
pub enum HasStatus {
    Queued(QueuedStatus),
    Processing(ProcessingStatus),
    Success(SuccessStatus),
    Failed(FailedStatus),
    Cancelled(CancelledStatus),
    Invalid(InvalidStatus),
}

/// Statuses of running ingestions carry what the client last reported.
#[derive(Interface)]
#[graphql(
    name = "HasProgressMessage",
    field(name = "progress_message", ty = "&String")
)]
pub enum HasProgressMessage {
    Queued(QueuedStatus),
    Processing(ProcessingStatus),
}

/// A model ingestion as clients see it.
pub struct ModelIngestion(pub Ingestion);

#[Object]
impl ModelIngestion {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn project_id(&self) -> &str {
        &self.0.project_id
    }

    async fn model_id(&self) -> &str {
        &self.0.model_id
    }

    async fn user_id(&self) -> Option<&str> {
        Some(&self.0.user_id)
    }

    async fn cancellation_requested(&self) -> bool {
        self.0.cancellation_requested
    }

    /// The id the version will have (reserved when the ingestion was made).
    async fn version_id(&self) -> Option<ID> {
        Some(ID(self.0.version_id.clone()))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    async fn status_data(&self) -> StatusData {
        let i = &self.0;
        let status = Status::from(i.status);
        let message = || i.progress_message.clone().unwrap_or_default();
        match i.status {
            IngestionStatus::Queued => StatusData::Queued(QueuedStatus {
                status,
                progress_message: message(),
            }),
            IngestionStatus::Processing => StatusData::Processing(ProcessingStatus {
                status,
                progress_message: message(),
            }),
            IngestionStatus::Success => StatusData::Success(SuccessStatus {
                status,
                version_id: ID(i.version_id.clone()),
            }),
            IngestionStatus::Failed | IngestionStatus::Timeout => {
                StatusData::Failed(FailedStatus {
                    status,
                    error_reason: i.error_reason.clone().unwrap_or_default(),
                })
            }
            IngestionStatus::Cancelled => StatusData::Cancelled(CancelledStatus { status }),
            IngestionStatus::InvalidInput => StatusData::Invalid(InvalidStatus { status }),
        }
    }
}

/// `Project.ingestion(id)`.
pub async fn find(ctx: &Context<'_>, project_id: &str, id: &str) -> Result<ModelIngestion> {
    service::find(core(ctx), actor(ctx), project_id, id)
        .await
        .map(ModelIngestion)
        .map_err(from_core)
}

#[derive(InputObject)]
#[graphql(name = "SourceDataInput")]
pub struct SourceDataInput {
    source_application_slug: String,
    source_application_version: String,
    file_name: Option<String>,
    file_size_bytes: Option<i64>,
}

impl From<SourceDataInput> for SourceData {
    fn from(input: SourceDataInput) -> Self {
        SourceData {
            source_application_slug: input.source_application_slug,
            source_application_version: input.source_application_version,
            file_name: input.file_name,
            file_size_bytes: input.file_size_bytes,
        }
    }
}

#[derive(InputObject)]
pub struct ModelIngestionCreateInput {
    model_id: ID,
    project_id: ID,
    progress_message: String,
    source_data: SourceDataInput,
    max_idle_timeout_seconds: Option<i32>,
}

#[derive(InputObject)]
pub struct ModelIngestionUpdateInput {
    ingestion_id: ID,
    project_id: ID,
    progress: Option<f64>,
    progress_message: String,
}

#[derive(InputObject)]
pub struct ModelIngestionStartProcessingInput {
    ingestion_id: ID,
    project_id: ID,
    progress_message: String,
    source_data: SourceDataInput,
}

#[derive(InputObject)]
pub struct ModelIngestionRequeueInput {
    ingestion_id: ID,
    project_id: ID,
    progress_message: String,
}

#[derive(InputObject)]
pub struct ModelIngestionSuccessInput {
    ingestion_id: ID,
    project_id: ID,
    root_object_id: ID,
    version_message: Option<String>,
}

#[derive(InputObject)]
pub struct ModelIngestionFailedInput {
    ingestion_id: ID,
    project_id: ID,
    error_reason: String,
    /// Accepted for the clients that send it; not kept (it may hold the client's file paths).
    error_stacktrace: Option<String>,
}

#[derive(InputObject)]
pub struct ModelIngestionCancelledInput {
    ingestion_id: ID,
    project_id: ID,
    cancellation_message: String,
}

#[derive(InputObject)]
pub struct ModelIngestionRequestCancellationInput {
    ingestion_id: ID,
    project_id: ID,
    cancellation_message: String,
}

pub struct ModelIngestionMutations;

fn answer(result: fleck_core::Result<Ingestion>) -> Result<ModelIngestion> {
    result.map(ModelIngestion).map_err(from_core)
}

/// Takes one step of the ingestion and answers it as it now is.
async fn advance(
    ctx: &Context<'_>,
    project_id: &ID,
    id: &ID,
    step: Step,
) -> Result<ModelIngestion> {
    answer(service::advance(core(ctx), actor(ctx), project_id, id, step).await)
}

#[Object]
impl ModelIngestionMutations {
    async fn create(
        &self,
        ctx: &Context<'_>,
        input: ModelIngestionCreateInput,
    ) -> Result<ModelIngestion> {
        let new = NewIngestion {
            model_id: input.model_id.0,
            progress_message: input.progress_message,
            source: input.source_data.into(),
            max_idle_seconds: input.max_idle_timeout_seconds,
        };
        answer(service::create(core(ctx), actor(ctx), &input.project_id, new).await)
    }

    async fn update_progress(
        &self,
        ctx: &Context<'_>,
        input: ModelIngestionUpdateInput,
    ) -> Result<ModelIngestion> {
        let step = Step::Progress {
            progress: input.progress,
            message: input.progress_message,
        };
        advance(ctx, &input.project_id, &input.ingestion_id, step).await
    }

    async fn start_processing(
        &self,
        ctx: &Context<'_>,
        input: ModelIngestionStartProcessingInput,
    ) -> Result<ModelIngestion> {
        let step = Step::StartProcessing {
            message: input.progress_message,
            source: input.source_data.into(),
        };
        advance(ctx, &input.project_id, &input.ingestion_id, step).await
    }

    async fn requeue(
        &self,
        ctx: &Context<'_>,
        input: ModelIngestionRequeueInput,
    ) -> Result<ModelIngestion> {
        let step = Step::Requeue {
            message: input.progress_message,
        };
        advance(ctx, &input.project_id, &input.ingestion_id, step).await
    }

    async fn complete_with_version(
        &self,
        ctx: &Context<'_>,
        input: ModelIngestionSuccessInput,
    ) -> Result<ModelIngestion> {
        service::complete_with_version(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &input.ingestion_id,
            input.root_object_id.0,
            input.version_message,
        )
        .await
        .map(|(ingestion, _)| ModelIngestion(ingestion))
        .map_err(from_core)
    }

    async fn fail_with_error(
        &self,
        ctx: &Context<'_>,
        input: ModelIngestionFailedInput,
    ) -> Result<ModelIngestion> {
        let _ = input.error_stacktrace;
        let step = Step::Fail {
            reason: input.error_reason,
        };
        advance(ctx, &input.project_id, &input.ingestion_id, step).await
    }

    async fn fail_with_cancel(
        &self,
        ctx: &Context<'_>,
        input: ModelIngestionCancelledInput,
    ) -> Result<ModelIngestion> {
        let step = Step::Cancelled {
            message: input.cancellation_message,
        };
        advance(ctx, &input.project_id, &input.ingestion_id, step).await
    }

    async fn request_cancellation(
        &self,
        ctx: &Context<'_>,
        input: ModelIngestionRequestCancellationInput,
    ) -> Result<ModelIngestion> {
        let step = Step::RequestCancellation {
            message: input.cancellation_message,
        };
        advance(ctx, &input.project_id, &input.ingestion_id, step).await
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "camelCase")]
pub enum ProjectModelIngestionUpdatedMessageType {
    CancellationRequested,
    Created,
    Deleted,
    Updated,
}

impl From<IngestionNews> for ProjectModelIngestionUpdatedMessageType {
    fn from(news: IngestionNews) -> Self {
        match news {
            IngestionNews::Created => Self::Created,
            IngestionNews::Updated => Self::Updated,
            IngestionNews::CancellationRequested => Self::CancellationRequested,
        }
    }
}

#[derive(SimpleObject)]
pub struct ProjectModelIngestionUpdatedMessage {
    pub model_ingestion: ModelIngestion,
    #[graphql(name = "type")]
    pub kind: ProjectModelIngestionUpdatedMessageType,
}

/// Which ingestions to hear about: one, or every one of a model.
#[derive(OneofObject, Clone)]
pub enum ModelIngestionReference {
    IngestionId(ID),
    ModelId(ID),
}

#[derive(InputObject)]
pub struct ProjectModelIngestionSubscriptionInput {
    pub project_id: ID,
    pub ingestion_reference: ModelIngestionReference,
    pub message_type: Option<ProjectModelIngestionUpdatedMessageType>,
}
