//! `WebhookStore` on PostgreSQL.

use async_trait::async_trait;

use chrono::{DateTime, Utc};

use super::PgDb;
use crate::error::{Context, Result};
use crate::webhooks::{EventStatus, Webhook, WebhookEvent, WebhookStore};

const WEBHOOK_COLUMNS: &str =
    "id, project_id, url, description, triggers::text AS triggers, secret, enabled, failures, created_at, updated_at";
const EVENT_COLUMNS: &str = "id, webhook_id, status, status_info, attempts, response_code, \
     response_excerpt, payload::text AS payload, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: String,
    project_id: String,
    url: String,
    description: Option<String>,
    triggers: String,
    secret: Option<String>,
    enabled: bool,
    failures: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: r.id,
            project_id: r.project_id,
            url: r.url,
            description: r.description,
            triggers: serde_json::from_str(&r.triggers).unwrap_or_default(),
            secret: r.secret,
            enabled: r.enabled,
            failures: r.failures.into(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: String,
    webhook_id: String,
    status: i16,
    status_info: String,
    attempts: i32,
    response_code: Option<i32>,
    response_excerpt: Option<String>,
    payload: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<EventRow> for WebhookEvent {
    fn from(r: EventRow) -> Self {
        WebhookEvent {
            id: r.id,
            webhook_id: r.webhook_id,
            status: EventStatus::from_number(r.status.into()),
            status_info: r.status_info,
            attempts: r.attempts.into(),
            response_code: r.response_code.map(Into::into),
            response_excerpt: r.response_excerpt,
            payload: serde_json::from_str(&r.payload).unwrap_or_default(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[async_trait]
impl WebhookStore for PgDb {
    async fn save_webhook(&self, w: &Webhook) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhooks (id, project_id, url, description, triggers, secret, enabled,
                                   failures, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10)
             ON CONFLICT (id) DO UPDATE SET
                url = excluded.url, description = excluded.description,
                triggers = excluded.triggers, secret = excluded.secret,
                enabled = excluded.enabled, failures = excluded.failures,
                updated_at = excluded.updated_at",
        )
        .bind(&w.id)
        .bind(&w.project_id)
        .bind(&w.url)
        .bind(&w.description)
        .bind(serde_json::to_string(&w.triggers).unwrap_or_else(|_| "[]".into()))
        .bind(&w.secret)
        .bind(w.enabled)
        .bind(w.failures as i32)
        .bind(w.created_at)
        .bind(w.updated_at)
        .execute(&self.pool)
        .await
        .context(|| "saving a webhook".into())?;
        Ok(())
    }

    async fn webhook(&self, id: &str) -> Result<Option<Webhook>> {
        let row: Option<WebhookRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .context(|| "reading a webhook".into())?;
        Ok(row.map(Webhook::from))
    }

    async fn webhooks(&self, project_id: &str) -> Result<Vec<Webhook>> {
        let rows: Vec<WebhookRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE project_id = $1 ORDER BY created_at, id"
        )))
        .bind(project_id)
        .fetch_all(&self.pool)
        .await
        .context(|| "listing webhooks".into())?;
        Ok(rows.into_iter().map(Webhook::from).collect())
    }

    async fn delete_webhook(&self, project_id: &str, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM webhooks WHERE project_id = $1 AND id = $2")
            .bind(project_id)
            .bind(id)
            .execute(&self.pool)
            .await
            .context(|| "deleting a webhook".into())?;
        Ok(done.rows_affected() > 0)
    }

    async fn save_webhook_event(&self, e: &WebhookEvent) -> Result<()> {
        sqlx::query(
            "INSERT INTO webhook_events (id, webhook_id, status, status_info, attempts, response_code,
                                         response_excerpt, payload, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)
             ON CONFLICT (id) DO UPDATE SET
                status = excluded.status, status_info = excluded.status_info,
                attempts = excluded.attempts, response_code = excluded.response_code,
                response_excerpt = excluded.response_excerpt, updated_at = excluded.updated_at",
        )
        .bind(&e.id)
        .bind(&e.webhook_id)
        .bind(e.status as i16)
        .bind(&e.status_info)
        .bind(e.attempts as i32)
        .bind(e.response_code.map(|c| c as i32))
        .bind(&e.response_excerpt)
        .bind(e.payload.to_string())
        .bind(e.created_at)
        .bind(e.updated_at)
        .execute(&self.pool)
        .await
        .context(|| "saving a webhook event".into())?;
        Ok(())
    }

    async fn webhook_event(&self, id: &str) -> Result<Option<WebhookEvent>> {
        let row: Option<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM webhook_events WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .context(|| "reading a webhook event".into())?;
        Ok(row.map(WebhookEvent::from))
    }

    async fn webhook_events(
        &self,
        webhook_id: &str,
        limit: i64,
    ) -> Result<(Vec<WebhookEvent>, i64)> {
        let rows: Vec<EventRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {EVENT_COLUMNS} FROM webhook_events WHERE webhook_id = $1
             ORDER BY created_at DESC, id LIMIT $2"
        )))
        .bind(webhook_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .context(|| "listing webhook events".into())?;
        let total: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM webhook_events WHERE webhook_id = $1")
                .bind(webhook_id)
                .fetch_one(&self.pool)
                .await
                .context(|| "counting webhook events".into())?;
        Ok((rows.into_iter().map(WebhookEvent::from).collect(), total))
    }

    async fn webhook_event_counts(&self) -> Result<Vec<(EventStatus, i64)>> {
        let rows: Vec<(i16, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM webhook_events GROUP BY status")
                .fetch_all(&self.pool)
                .await
                .context(|| "counting webhook events".into())?;
        Ok(rows
            .into_iter()
            .map(|(status, count)| (EventStatus::from_number(status.into()), count))
            .collect())
    }
}
