//! The database monitor's figures: counts of what the server holds, sizes, the job queue and
//! webhook deliveries. One worker collects them on an interval and publishes them in the cache;
//! `/metrics` on every replica and the admin statistics page read what was published, so a
//! scrape never queries the database.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::backends::Core;
use crate::error::{Error, Result};
use crate::queue::QueueCount;

const FIGURES_KEY: &str = "monitor:figures";
const LOCK_KEY: &str = "monitor:lock";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    pub collected_at: DateTime<Utc>,
    pub users: i64,
    pub projects: i64,
    pub models: i64,
    pub versions: i64,
    pub objects: i64,
    /// Bytes of object JSON, before compression.
    pub object_bytes: i64,
    /// Bytes of uploaded files.
    pub attachment_bytes: i64,
    pub database_bytes: i64,
    /// Bytes per table, indexes included.
    pub tables: Vec<(String, i64)>,
    /// Previews by status name.
    pub previews: Vec<(String, i64)>,
    /// Webhook events by status name.
    pub webhook_events: Vec<(String, i64)>,
    pub jobs: Vec<QueueCount>,
}

/// Reads every figure now.
pub async fn collect(core: &Core) -> Result<Figures> {
    let (users, totals, (objects, object_bytes), (database_bytes, tables)) = tokio::try_join!(
        core.store.count_users(),
        core.projects.totals(),
        core.objects.server_object_totals(),
        core.store.table_sizes(),
    )?;
    let (previews, webhook_events, jobs) = tokio::try_join!(
        core.previews.preview_counts(),
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
        attachment_bytes: totals.attachment_bytes,
        database_bytes,
        tables,
        previews: previews
            .into_iter()
            .map(|(s, n)| (s.name().to_string(), n))
            .collect(),
        webhook_events: webhook_events
            .into_iter()
            .map(|(s, n)| (s.name().to_string(), n))
            .collect(),
        jobs,
    })
}

/// The figures last published; `None` before the first collection (or once they are stale
/// beyond their time to live).
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

/// Collects and publishes the figures unless another process did within `interval`. Returns
/// whether this call collected.
pub async fn refresh(core: &Core, interval: Duration) -> Result<bool> {
    // The lock lapses a little before the next round, so a late tick still finds it free.
    let hold = interval.mul_f32(0.9).max(Duration::from_secs(1));
    if !core.cache.set_if_absent(LOCK_KEY, b"1", Some(hold)).await? {
        return Ok(false);
    }
    let figures = collect(core).await?;
    let bytes = serde_json::to_vec(&figures).map_err(|e| Error::backend("encoding figures", e))?;
    // Kept for a few rounds: a stalled monitor shows as stale figures, then as none.
    core.cache
        .set(FIGURES_KEY, &bytes, Some(interval * 5))
        .await?;
    Ok(true)
}
