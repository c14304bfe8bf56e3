//! Preview images of versions. Creating a version asks for a preview of its root object; the
//! `preview` job (in `workers`) renders it headless and hands the PNGs to [`store_images`]. The
//! API serves them at Speckle's `/preview/…` routes, through [`image`].
//!
//! Images live in the blob store under `previews/<project>/<object>/<angle>.png`; the
//! `object_previews` table says which exist, or why not.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::numbered::Numbered;

mod service;

pub use service::*;

/// The job kind that renders one object's preview.
pub const PREVIEW_JOB: &str = "preview";
/// The blob store folder of preview images, a subfolder per project.
pub const PREVIEW_FOLDER: &str = "previews";
/// The angle served when a route names none, and the one the web app shows.
pub const DEFAULT_ANGLE: &str = "0";
/// All angles side by side, for scrubbing through them.
pub const SPRITE_ANGLE: &str = "all";

/// Speckle's preview states, with its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreviewStatus {
    Pending = 0,
    Rendering = 1,
    Done = 2,
    Failed = 3,
}

impl Numbered for PreviewStatus {
    const ALL: &'static [Self] = &[Self::Pending, Self::Rendering, Self::Done, Self::Failed];
}

impl PreviewStatus {
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Rendering => "rendering",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Preview {
    pub project_id: String,
    pub object_id: String,
    pub status: PreviewStatus,
    /// Render attempts so far.
    pub attempts: i64,
    /// Angle name → blob key of its PNG.
    pub angles: BTreeMap<String, String>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[async_trait]
pub trait PreviewStore: Send + Sync + 'static {
    /// Records a pending preview unless the object has one; `true` when this call recorded it
    /// (and so the caller queues the render: the insert is the lock).
    async fn request_preview(
        &self,
        project_id: &str,
        object_id: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;

    /// `request_preview`, unless the project has `max_unfinished` previews pending or
    /// rendering already; `false` then too.
    async fn request_preview_within(
        &self,
        project_id: &str,
        object_id: &str,
        at: DateTime<Utc>,
        max_unfinished: i64,
    ) -> Result<bool>;

    async fn preview(&self, project_id: &str, object_id: &str) -> Result<Option<Preview>>;

    /// Writes the preview's status, attempts, angles and error.
    async fn save_preview(&self, preview: &Preview) -> Result<()>;

    /// Previews by status, across the server (for metrics).
    async fn preview_counts(&self) -> Result<Vec<(PreviewStatus, i64)>>;
}
