//! The database monitor's figures: counts of what the server holds, sizes, file imports,
//! previews, webhook deliveries and the job queue. One worker collects them on an interval and
//! publishes them in the cache; `/metrics` on every replica and the admin statistics page read
//! what was published, so a scrape never queries the database.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::core::Core;
use crate::error::{Error, Result};
use crate::projects::ImportStatus;
use crate::queue::QueueCount;

/// Where the latest figures are published.
const FIGURES_KEY: &str = "monitor:figures";
/// Held by the process collecting this interval's figures.
const LOCK_KEY: &str = "monitor:lock";

/// Everything the monitor reports, as of `collected_at`. Fields missing from published figures
/// read as empty, so replicas of different versions understand each other's figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Figures {
    pub collected_at: DateTime<Utc>,
    pub users: i64,
    pub projects: i64,
    pub models: i64,
    pub versions: i64,
    pub objects: i64,
    /// Bytes of object JSON, before compression.
    pub object_bytes: i64,
    /// Completed attachments (uploaded files, kept in the blob store).
    pub attachments: i64,
    /// Bytes of completed attachments.
    pub attachment_bytes: i64,
    pub database_bytes: i64,
    /// Bytes per table, indexes included, largest first.
    pub tables: Vec<(String, i64)>,
    /// Previews by status name.
    pub previews: Vec<(String, i64)>,
    /// File imports by file type and status.
    pub file_imports: Vec<ImportFigure>,
    /// Webhook events (one per webhook and activity) by delivery status name.
    pub webhook_events: Vec<(String, i64)>,
    /// Jobs by kind and state, with the oldest one's creation time.
    pub jobs: Vec<QueueCount>,
}

/// File imports of one file type in one status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportFigure {
    /// The lower-cased extension.
    pub file_type: String,
    /// Speckle's words: `queued`, `converting`, `success`, `error`.
    pub status: String,
    pub count: i64,
    /// The imported files' bytes.
    pub bytes: i64,
}

fn import_status_name(status: ImportStatus) -> &'static str {
    match status {
        ImportStatus::Queued => "queued",
        ImportStatus::Converting => "converting",
        ImportStatus::Succeeded => "success",
        ImportStatus::Failed => "error",
    }
}

/// Reads every figure from the database now.
pub async fn collect(core: &Core) -> Result<Figures> {
    let (users, totals, (objects, object_bytes), (database_bytes, tables)) = tokio::try_join!(
        core.store.count_users(),
        core.projects.totals(),
        core.objects.server_object_totals(),
        core.store.table_sizes(),
    )?;
    let (previews, imports, webhook_events, jobs) = tokio::try_join!(
        core.previews.preview_counts(),
        core.projects.import_totals(),
        core.webhooks.webhook_event_counts(),
        core.queue.counts(),
    )?;
    Ok(Figures {
        collected_at: Utc::now(),
        users,
        projects: totals.projects,
        models: totals.models,
        versions: totals.versions,
        objects,
        object_bytes,
        attachments: totals.attachments,
        attachment_bytes: totals.attachment_bytes,
        database_bytes,
        tables,
        previews: previews
            .into_iter()
            .map(|(s, n)| (s.name().to_string(), n))
            .collect(),
        file_imports: imports
            .into_iter()
            .map(|i| ImportFigure {
                file_type: i.file_type,
                status: import_status_name(i.status).to_string(),
                count: i.count,
                bytes: i.bytes,
            })
            .collect(),
        webhook_events: webhook_events
            .into_iter()
            .map(|(s, n)| (s.name().to_string(), n))
            .collect(),
        jobs,
    })
}

/// Makes `figures` the latest for every process sharing the cache, for `ttl`: a monitor that
/// stops publishing shows as stale figures, then as none.
pub async fn publish(core: &Core, figures: &Figures, ttl: Duration) -> Result<()> {
    let bytes =
        serde_json::to_vec(figures).map_err(|e| Error::backend("encoding the figures", e))?;
    core.cache.set(FIGURES_KEY, &bytes, Some(ttl)).await
}

/// The figures last published; `None` before the first collection, or once they expired.
pub async fn latest(core: &Core) -> Result<Option<Figures>> {
    let Some(bytes) = core.cache.get(FIGURES_KEY).await? else {
        return Ok(None);
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| Error::backend("reading the published figures", e))
}

/// The published figures, or fresh ones when none are (a page must show something).
pub async fn latest_or_collect(core: &Core) -> Result<Figures> {
    match latest(core).await? {
        Some(figures) => Ok(figures),
        None => collect(core).await,
    }
}

/// One round of the monitor: collects and publishes the figures unless another process sharing
/// the cache took this interval's turn. Returns whether this call collected.
pub async fn refresh(core: &Core, interval: Duration) -> Result<bool> {
    // The turn lapses a little before the next round, so the next tick, a little late or on
    // another process, finds it free; collections are never closer than this.
    let turn = interval.mul_f32(0.9).max(Duration::from_millis(100));
    if !core.cache.set_if_absent(LOCK_KEY, b"1", Some(turn)).await? {
        return Ok(false);
    }
    let figures = collect(core).await?;
    publish(core, &figures, interval * 5).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_published_by_another_version_read_with_what_they_have() {
        let older: Figures =
            serde_json::from_str(r#"{"collected_at":"2026-01-02T03:04:05Z","users":3}"#).unwrap();
        assert_eq!(older.users, 3);
        assert_eq!(older.collected_at.to_rfc3339(), "2026-01-02T03:04:05+00:00");
        assert!(older.file_imports.is_empty() && older.jobs.is_empty());

        let newer = r#"{"users":4,"a_figure_from_later":1}"#;
        assert_eq!(serde_json::from_str::<Figures>(newer).unwrap().users, 4);
    }
}
