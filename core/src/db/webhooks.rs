//! The `WebhookStore`, written once: each backend expands `webhook_store!` with its `Dialect`.
//! The narrow integer columns are read and bound at PostgreSQL's widths, which SQLite's
//! integers carry as well.

use crate::db::dialect::StoredTime;
use crate::db::query::ProjectTable;
use crate::numbered::Numbered;
use crate::webhooks::{EventStatus, Webhook, WebhookAttempt, WebhookEvent};

/// JSON columns are read as text on both databases.
pub const WEBHOOK_COLUMNS: &str = "id, project_id, url, description, CAST(triggers AS TEXT) AS triggers, secret, enabled, failures, created_at, updated_at";
pub const WEBHOOKS: ProjectTable = ProjectTable::new("webhooks", WEBHOOK_COLUMNS, "a webhook");
pub const EVENT_COLUMNS: &str = "id, webhook_id, status, status_info, attempts, response_code, \
     response_excerpt, CAST(payload AS TEXT) AS payload, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub struct WebhookRow<T> {
    id: String,
    project_id: String,
    url: String,
    description: Option<String>,
    triggers: String,
    secret: Option<String>,
    enabled: bool,
    failures: i32,
    created_at: T,
    updated_at: T,
}

impl<T: StoredTime> From<WebhookRow<T>> for Webhook {
    fn from(r: WebhookRow<T>) -> Self {
        Webhook {
            id: r.id,
            project_id: r.project_id,
            url: r.url,
            description: r.description,
            triggers: serde_json::from_str(&r.triggers).unwrap_or_default(),
            secret: r.secret,
            enabled: r.enabled,
            failures: r.failures.into(),
            created_at: r.created_at.into_utc(),
            updated_at: r.updated_at.into_utc(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct EventRow<T> {
    id: String,
    webhook_id: String,
    status: i16,
    status_info: String,
    attempts: i32,
    response_code: Option<i32>,
    response_excerpt: Option<String>,
    payload: String,
    created_at: T,
    updated_at: T,
}

impl<T: StoredTime> From<EventRow<T>> for WebhookEvent {
    fn from(r: EventRow<T>) -> Self {
        WebhookEvent {
            id: r.id,
            webhook_id: r.webhook_id,
            status: EventStatus::from_number(r.status.into()),
            status_info: r.status_info,
            attempts: r.attempts.into(),
            response_code: r.response_code.map(Into::into),
            response_excerpt: r.response_excerpt,
            payload: serde_json::from_str(&r.payload).unwrap_or_default(),
            created_at: r.created_at.into_utc(),
            updated_at: r.updated_at.into_utc(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct AttemptRow<T> {
    event_id: String,
    attempt: i32,
    response_code: Option<i32>,
    response_excerpt: Option<String>,
    error: Option<String>,
    started_at: T,
    duration_ms: i32,
}

impl<T: StoredTime> From<AttemptRow<T>> for WebhookAttempt {
    fn from(r: AttemptRow<T>) -> Self {
        WebhookAttempt {
            event_id: r.event_id,
            attempt: r.attempt.into(),
            response_code: r.response_code.map(Into::into),
            response_excerpt: r.response_excerpt,
            error: r.error,
            started_at: r.started_at.into_utc(),
            duration_ms: r.duration_ms.into(),
        }
    }
}

/// `impl WebhookStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! webhook_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use $crate::db::dialect::Dialect;
            use $crate::db::query::{Fetch, Write};
            use $crate::numbered::Numbered;
            use $crate::db::webhooks::{
                AttemptRow, EventRow, WebhookRow, EVENT_COLUMNS, WEBHOOKS, WEBHOOK_COLUMNS,
            };
            use $crate::error::{Context, Result};
            use $crate::webhooks::{
                EventStatus, Webhook, WebhookAttempt, WebhookEvent, WebhookStore,
            };

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl WebhookStore for $db {
                async fn save_webhook(&self, w: &Webhook) -> Result<()> {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO webhooks (id, project_id, url, description, triggers, secret, enabled,
                                               failures, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, {triggers}, $6, $7, $8, $9, $10)
                         ON CONFLICT (id) DO UPDATE SET
                            url = excluded.url, description = excluded.description,
                            triggers = excluded.triggers, secret = excluded.secret,
                            enabled = excluded.enabled, failures = excluded.failures,
                            updated_at = excluded.updated_at",
                        triggers = Self::json("$5"),
                    )))
                    .bind(&w.id)
                    .bind(&w.project_id)
                    .bind(&w.url)
                    .bind(&w.description)
                    .bind(serde_json::to_string(&w.triggers).unwrap_or_else(|_| "[]".into()))
                    .bind(&w.secret)
                    .bind(w.enabled)
                    .bind(w.failures as i32)
                    .bind(Self::time(w.created_at))
                    .bind(Self::time(w.updated_at))
                    .write(&self.pool, "saving a webhook")
                    .await?;
                    Ok(())
                }

                async fn webhook(&self, id: &str) -> Result<Option<Webhook>> {
                    sqlx::query_as::<_, WebhookRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1"
                    )))
                    .bind(id)
                    .optional(&self.pool, "reading a webhook")
                    .await
                }

                async fn webhooks(&self, project_id: &str) -> Result<Vec<Webhook>> {
                    sqlx::query_as::<_, WebhookRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE project_id = $1 ORDER BY created_at, id"
                    )))
                        .bind(project_id)
                        .all(&self.pool, "listing webhooks")
                        .await
                }

                async fn delete_webhook(&self, project_id: &str, id: &str) -> Result<bool> {
                    WEBHOOKS.delete(&self.pool, project_id, id).await
                }

                async fn save_webhook_event(&self, e: &WebhookEvent) -> Result<()> {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO webhook_events (id, webhook_id, status, status_info, attempts, response_code,
                                                     response_excerpt, payload, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, {payload}, $9, $10)
                         ON CONFLICT (id) DO UPDATE SET
                            status = excluded.status, status_info = excluded.status_info,
                            attempts = excluded.attempts, response_code = excluded.response_code,
                            response_excerpt = excluded.response_excerpt, updated_at = excluded.updated_at",
                        payload = Self::json("$8"),
                    )))
                    .bind(&e.id)
                    .bind(&e.webhook_id)
                    .bind(e.status as i16)
                    .bind(&e.status_info)
                    .bind(e.attempts as i32)
                    .bind(e.response_code.map(|c| c as i32))
                    .bind(&e.response_excerpt)
                    .bind(e.payload.to_string())
                    .bind(Self::time(e.created_at))
                    .bind(Self::time(e.updated_at))
                    .write(&self.pool, "saving a webhook event")
                    .await?;
                    Ok(())
                }

                async fn webhook_event(&self, id: &str) -> Result<Option<WebhookEvent>> {
                    sqlx::query_as::<_, EventRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {EVENT_COLUMNS} FROM webhook_events WHERE id = $1"
                    )))
                    .bind(id)
                    .optional(&self.pool, "reading a webhook event")
                    .await
                }

                async fn webhook_events(
                    &self,
                    webhook_id: &str,
                    limit: i64,
                ) -> Result<(Vec<WebhookEvent>, i64)> {
                    let rows: Vec<EventRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {EVENT_COLUMNS} FROM webhook_events WHERE webhook_id = $1
                         ORDER BY created_at DESC, id LIMIT $2"
                    )))
                    .bind(webhook_id)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing webhook events".into())?;
                    let total: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM webhook_events WHERE webhook_id = $1",
                    )
                    .bind(webhook_id)
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "counting webhook events".into())?;
                    Ok((rows.into_iter().map(WebhookEvent::from).collect(), total))
                }

                async fn webhook_event_counts(&self) -> Result<Vec<(EventStatus, i64)>> {
                    let rows: Vec<(i16, i64)> = sqlx::query_as(
                        "SELECT status, COUNT(*) FROM webhook_events GROUP BY status",
                    )
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "counting webhook events".into())?;
                    Ok(rows
                        .into_iter()
                        .map(|(status, count)| (EventStatus::from_number(status.into()), count))
                        .collect())
                }

                async fn count_webhook_failure(
                    &self,
                    id: &str,
                    disable_after: i64,
                    at: DateTime<Utc>,
                ) -> Result<bool> {
                    let mut tx = self
                        .pool
                        .begin()
                        .await
                        .context(|| "counting a webhook failure".into())?;
                    sqlx::query("UPDATE webhooks SET failures = failures + 1 WHERE id = $1")
                        .bind(id)
                        .write(&mut *tx, "counting a webhook failure")
                        .await?;
                    let disabled = sqlx::query(
                        "UPDATE webhooks SET enabled = FALSE, updated_at = $3
                         WHERE id = $1 AND enabled AND failures >= $2",
                    )
                    .bind(id)
                    .bind(disable_after)
                    .bind(Self::time(at))
                    .write(&mut *tx, "disabling a webhook")
                    .await?;
                    tx.commit()
                        .await
                        .context(|| "counting a webhook failure".into())?;
                    Ok(disabled.rows_affected() > 0)
                }

                async fn reset_webhook_failures(&self, id: &str) -> Result<()> {
                    sqlx::query("UPDATE webhooks SET failures = 0 WHERE id = $1 AND failures <> 0")
                        .bind(id)
                        .write(&self.pool, "resetting a webhook's failures")
                        .await?;
                    Ok(())
                }

                async fn add_webhook_attempt(&self, a: &WebhookAttempt) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO webhook_attempts (event_id, attempt, response_code, response_excerpt,
                                                       error, started_at, duration_ms)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)
                         ON CONFLICT (event_id, attempt) DO UPDATE SET
                            response_code = excluded.response_code,
                            response_excerpt = excluded.response_excerpt, error = excluded.error,
                            started_at = excluded.started_at, duration_ms = excluded.duration_ms",
                    )
                    .bind(&a.event_id)
                    .bind(a.attempt as i32)
                    .bind(a.response_code.map(|c| c as i32))
                    .bind(&a.response_excerpt)
                    .bind(&a.error)
                    .bind(Self::time(a.started_at))
                    .bind(a.duration_ms.clamp(0, i32::MAX.into()) as i32)
                    .write(&self.pool, "recording a webhook attempt")
                    .await?;
                    Ok(())
                }

                async fn webhook_attempts(&self, event_id: &str) -> Result<Vec<WebhookAttempt>> {
                    sqlx::query_as::<_, AttemptRow<Time>>(
                        "SELECT event_id, attempt, response_code, response_excerpt, error, started_at,
                                duration_ms
                         FROM webhook_attempts WHERE event_id = $1 ORDER BY attempt",
                    )
                    .bind(event_id)
                    .all(&self.pool, "listing webhook attempts")
                    .await
                }

                async fn delete_orphaned_webhooks(&self, project_id: &str) -> Result<u64> {
                    let done = sqlx::query(
                        "DELETE FROM webhooks
                         WHERE project_id = $1
                           AND NOT EXISTS (SELECT 1 FROM projects WHERE projects.id = webhooks.project_id)
                           AND NOT EXISTS (SELECT 1 FROM webhook_events
                                           WHERE webhook_events.webhook_id = webhooks.id
                                             AND webhook_events.status IN (0, 1))",
                    )
                    .bind(project_id)
                    .write(&self.pool, "removing a deleted project's webhooks")
                    .await?;
                    Ok(done.rows_affected())
                }
            }
        };
    };
}

pub(crate) use webhook_store;
