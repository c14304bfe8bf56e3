//! Webhooks, with Speckle's names: `webhookCreate`, `webhookUpdate`, `webhookDelete`,
//! `Project.webhooks` / `Stream.webhooks` and each webhook's delivery `history`. Project owners
//! only; the secret is never returned, only whether there is one.

use async_graphql::{ComplexObject, Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use fleck_core::webhooks::{
    self, Webhook as CoreWebhook, WebhookAttempt as CoreAttempt, WebhookChanges,
    WebhookEvent as CoreEvent,
};

use super::context::{actor, core};
use super::errors::from_core;

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Webhook {
    id: String,
    project_id: String,
    /// The legacy name of `projectId`.
    stream_id: String,
    url: String,
    description: Option<String>,
    triggers: Vec<String>,
    enabled: Option<bool>,
    has_secret: bool,
}

impl From<CoreWebhook> for Webhook {
    fn from(w: CoreWebhook) -> Self {
        Webhook {
            id: w.id,
            stream_id: w.project_id.clone(),
            project_id: w.project_id,
            url: w.url,
            description: w.description,
            triggers: w.triggers,
            enabled: Some(w.enabled),
            has_secret: w.secret.is_some(),
        }
    }
}

#[ComplexObject]
impl Webhook {
    /// The latest deliveries, newest first.
    #[graphql(complexity = "super::paging::cost(Some(limit), 25, 100, child_complexity)")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 25)] limit: i32,
    ) -> Result<Option<WebhookEventCollection>> {
        let (events, total) = webhooks::history(
            core(ctx),
            actor(ctx),
            &self.project_id,
            &self.id,
            limit.into(),
        )
        .await
        .map_err(from_core)?;
        let items = events
            .into_iter()
            .map(|event| WebhookEvent::new(&self.project_id, event))
            .collect();
        Ok(Some(WebhookEventCollection {
            total_count: Some(total),
            items: Some(items),
        }))
    }
}

#[derive(SimpleObject)]
pub struct WebhookCollection {
    total_count: i64,
    items: Vec<Webhook>,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct WebhookEvent {
    id: String,
    webhook_id: String,
    /// 0 pending, 1 sending, 2 delivered, 3 failed.
    status: i32,
    status_info: String,
    /// Delivery attempts beyond the first.
    retry_count: i64,
    last_update: DateTime<Utc>,
    /// The JSON the receiver got under `payload`.
    payload: String,
    /// The receiver's HTTP status on the last attempt.
    response_code: Option<i64>,
    /// The start of the receiver's answer on the last attempt.
    response_excerpt: Option<String>,
    #[graphql(skip)]
    project_id: String,
}

impl WebhookEvent {
    fn new(project_id: &str, e: CoreEvent) -> Self {
        WebhookEvent {
            id: e.id,
            webhook_id: e.webhook_id,
            status: e.status as i32,
            status_info: e.status_info,
            retry_count: (e.attempts - 1).max(0),
            last_update: e.updated_at,
            payload: e.payload.to_string(),
            response_code: e.response_code,
            response_excerpt: e.response_excerpt,
            project_id: project_id.to_string(),
        }
    }
}

#[ComplexObject]
impl WebhookEvent {
    /// Each try at delivering the event, first first.
    async fn attempts(&self, ctx: &Context<'_>) -> Result<Vec<WebhookAttempt>> {
        let attempts = webhooks::attempts(
            core(ctx),
            actor(ctx),
            &self.project_id,
            &self.webhook_id,
            &self.id,
        )
        .await
        .map_err(from_core)?;
        Ok(attempts.into_iter().map(WebhookAttempt::from).collect())
    }
}

/// One try at delivering an event (a Fleck addition to Speckle's schema).
#[derive(SimpleObject)]
pub struct WebhookAttempt {
    /// 1 for the first try.
    attempt: i64,
    /// The receiver's HTTP status, when it answered.
    response_code: Option<i64>,
    /// The start of the receiver's answer.
    response_excerpt: Option<String>,
    /// Why the attempt failed; null when it delivered the event.
    error: Option<String>,
    started_at: DateTime<Utc>,
    duration_ms: i64,
}

impl From<CoreAttempt> for WebhookAttempt {
    fn from(a: CoreAttempt) -> Self {
        WebhookAttempt {
            attempt: a.attempt,
            response_code: a.response_code,
            response_excerpt: a.response_excerpt,
            error: a.error,
            started_at: a.started_at,
            duration_ms: a.duration_ms,
        }
    }
}

#[derive(SimpleObject)]
pub struct WebhookEventCollection {
    total_count: Option<i64>,
    items: Option<Vec<WebhookEvent>>,
}

/// `Project.webhooks` and `Stream.webhooks`: all of them, or the one with `id`.
pub async fn list(
    ctx: &Context<'_>,
    project_id: &str,
    id: Option<String>,
) -> Result<WebhookCollection> {
    let items: Vec<Webhook> = match id {
        Some(id) => vec![webhooks::find(core(ctx), actor(ctx), project_id, &id)
            .await
            .map_err(from_core)?
            .into()],
        None => webhooks::list(core(ctx), actor(ctx), project_id)
            .await
            .map_err(from_core)?
            .into_iter()
            .map(Webhook::from)
            .collect(),
    };
    Ok(WebhookCollection {
        total_count: items.len() as i64,
        items,
    })
}

#[derive(InputObject)]
pub struct WebhookCreateInput {
    stream_id: String,
    url: String,
    description: Option<String>,
    triggers: Vec<Option<String>>,
    secret: Option<String>,
    enabled: Option<bool>,
}

#[derive(InputObject)]
pub struct WebhookUpdateInput {
    id: String,
    stream_id: String,
    url: Option<String>,
    description: Option<String>,
    secret: Option<String>,
    enabled: Option<bool>,
    triggers: Option<Vec<Option<String>>>,
}

#[derive(InputObject)]
pub struct WebhookDeleteInput {
    id: String,
    stream_id: String,
}

#[derive(Default)]
pub struct WebhookMutation;

#[Object]
impl WebhookMutation {
    /// Registers a webhook; answers its id.
    async fn webhook_create(
        &self,
        ctx: &Context<'_>,
        webhook: WebhookCreateInput,
    ) -> Result<String> {
        let changes = WebhookChanges {
            url: Some(webhook.url),
            description: webhook.description,
            triggers: Some(webhook.triggers.into_iter().flatten().collect()),
            secret: webhook.secret,
            enabled: webhook.enabled,
        };
        let created = webhooks::create(core(ctx), actor(ctx), &webhook.stream_id, changes)
            .await
            .map_err(from_core)?;
        Ok(created.id)
    }

    /// Changes a webhook; answers its id.
    async fn webhook_update(
        &self,
        ctx: &Context<'_>,
        webhook: WebhookUpdateInput,
    ) -> Result<String> {
        let changes = WebhookChanges {
            url: webhook.url,
            description: webhook.description,
            triggers: webhook.triggers.map(|t| t.into_iter().flatten().collect()),
            secret: webhook.secret,
            enabled: webhook.enabled,
        };
        let updated = webhooks::update(
            core(ctx),
            actor(ctx),
            &webhook.stream_id,
            &webhook.id,
            changes,
        )
        .await
        .map_err(from_core)?;
        Ok(updated.id)
    }

    /// Removes a webhook and its history; answers its id.
    async fn webhook_delete(
        &self,
        ctx: &Context<'_>,
        webhook: WebhookDeleteInput,
    ) -> Result<String> {
        webhooks::delete(core(ctx), actor(ctx), &webhook.stream_id, &webhook.id)
            .await
            .map_err(from_core)?;
        Ok(webhook.id)
    }
}
