//! Model ingestions (Speckle's current send API): a client reserves a version of a model, reports
//! progress while it prepares the model, and completes the ingestion with the version (or fails or
//! cancels it). Each change is recorded in the project's activity, reaches webhooks and is
//! published to `projectModelIngestionUpdated` subscribers.

pub mod bundles;
pub mod files;
pub mod objects_file;
pub mod service;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// The blob store folder of bundle files, a subfolder per project.
pub const BUNDLE_FOLDER: &str = "bundles";

/// The root id of a version sent as a bundle (what specklepy's legacy `receive` recognises).
pub fn bundle_root_id(project_id: &str, model_id: &str, version_id: &str) -> String {
    format!("bundle.{project_id}.{model_id}.{version_id}")
}

/// Where an ingestion stands; the names are the lower-case ones clients read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IngestionStatus {
    Queued,
    Processing,
    Success,
    Failed,
    Cancelled,
    InvalidInput,
    Timeout,
}

impl IngestionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Processing => "processing",
            Self::Success => "success",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::InvalidInput => "invalidInput",
            Self::Timeout => "timeout",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Processing,
            Self::Success,
            Self::Failed,
            Self::Cancelled,
            Self::InvalidInput,
            Self::Timeout,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }

    /// Whether the ingestion still runs (and may change).
    pub fn is_open(self) -> bool {
        matches!(self, Self::Queued | Self::Processing)
    }
}

/// What the ingestion is made from, as the client describes it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceData {
    pub source_application_slug: String,
    pub source_application_version: String,
    pub file_name: Option<String>,
    pub file_size_bytes: Option<i64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Ingestion {
    pub id: String,
    pub project_id: String,
    pub model_id: String,
    pub user_id: String,
    pub status: IngestionStatus,
    pub progress_message: Option<String>,
    /// 0 to 1, when the client reports it.
    pub progress: Option<f64>,
    pub error_reason: Option<String>,
    pub cancellation_requested: bool,
    /// The id the version will have, reserved at creation.
    pub version_id: String,
    pub source: SourceData,
    /// How long the client may stay silent before the ingestion is considered lost.
    pub max_idle_seconds: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait IngestionStore: Send + Sync + 'static {
    async fn insert_ingestion(&self, ingestion: &Ingestion) -> Result<()>;

    async fn ingestion(&self, project_id: &str, id: &str) -> Result<Option<Ingestion>>;

    /// Saves an ingestion's new state, unless it was already finished (`success`, `failed`, …)
    /// by someone else meanwhile; `true` when saved.
    async fn update_open_ingestion(&self, ingestion: &Ingestion) -> Result<bool>;

    /// Records the files a version was sent as (once its version exists).
    async fn insert_artifacts(&self, artifacts: &[Artifact]) -> Result<()>;

    /// A version's files, by name.
    async fn artifacts(&self, project_id: &str, version_id: &str) -> Result<Vec<Artifact>>;

    /// Records the object tree built from a bundle version (kept if one is already recorded).
    async fn record_display_tree(
        &self,
        project_id: &str,
        version_id: &str,
        object_id: &str,
    ) -> Result<()>;

    /// The object tree built from a bundle version, once built.
    async fn display_tree(&self, project_id: &str, version_id: &str) -> Result<Option<String>>;
}

/// One file of a version's bundle, in the blob store.
#[derive(Clone, Debug, PartialEq)]
pub struct Artifact {
    pub project_id: String,
    pub version_id: String,
    pub name: String,
    pub object_key: String,
    pub size: i64,
    pub etag: String,
    pub created_at: DateTime<Utc>,
}
