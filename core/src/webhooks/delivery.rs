//! What one delivery of a webhook event does to stored state, around the HTTP request the
//! worker makes: `begin` claims the event for an attempt, `finish` records how it went, counts
//! the webhook's failures and forgets a deleted project's webhooks once nothing is left to send.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::service::{forget_deleted_project, record_failure, record_success};
use super::{EventStatus, Webhook, WebhookAttempt, WebhookEvent};
use crate::core::Core;
use crate::error::Result;
use crate::projects::now;

/// An event being sent, with the webhook it goes to.
pub struct Delivery {
    pub event: WebhookEvent,
    pub webhook: Webhook,
}

/// How one HTTP attempt went.
pub struct Attempt {
    /// The receiver's HTTP status, when it answered.
    pub code: Option<u16>,
    /// The start of the receiver's answer.
    pub excerpt: Option<String>,
    pub outcome: Outcome,
    pub started_at: DateTime<Utc>,
    pub duration: Duration,
}

pub enum Outcome {
    Delivered,
    /// Worth trying again later.
    Retry(String),
    /// Trying again cannot help.
    Refused(String),
}

/// Where the event stands after an attempt.
#[derive(Debug, PartialEq, Eq)]
pub enum Finished {
    Delivered,
    /// To be tried again, for the reason given.
    Again(String),
    /// Given up, for the reason given.
    Failed(String),
}

/// Starts an attempt at an event: marks it sending and counts the attempt. `None` when there is
/// nothing to send: the event or its webhook is gone, it was delivered or given up already (a
/// job that lost its lease at the very end runs again), or the webhook is disabled (the event
/// fails then).
pub async fn begin(core: &Core, event_id: &str) -> Result<Option<Delivery>> {
    let store = &core.webhooks;
    let Some(mut event) = store.webhook_event(event_id).await? else {
        return Ok(None);
    };
    if matches!(event.status, EventStatus::Delivered | EventStatus::Failed) {
        return Ok(None);
    }
    let Some(webhook) = store.webhook(&event.webhook_id).await? else {
        return Ok(None);
    };
    if !webhook.enabled {
        event.status = EventStatus::Failed;
        event.status_info = "Webhook disabled".into();
        event.updated_at = now();
        store.save_webhook_event(&event).await?;
        forget_if_deleted(core, &webhook.project_id).await?;
        return Ok(None);
    }
    event.status = EventStatus::Sending;
    event.attempts += 1;
    event.updated_at = now();
    store.save_webhook_event(&event).await?;
    Ok(Some(Delivery { event, webhook }))
}

/// Records an attempt and what it means for the event: delivered, tried again while the job has
/// attempts left (this is its `job_attempt` of `max_attempts`), or failed. A failure counts
/// towards disabling the webhook.
pub async fn finish(
    core: &Core,
    delivery: Delivery,
    attempt: Attempt,
    job_attempt: u32,
    max_attempts: u32,
) -> Result<Finished> {
    let store = &core.webhooks;
    let Delivery { mut event, webhook } = delivery;
    let error = match &attempt.outcome {
        Outcome::Delivered => None,
        Outcome::Retry(why) | Outcome::Refused(why) => Some(why.clone()),
    };
    store
        .add_webhook_attempt(&WebhookAttempt {
            event_id: event.id.clone(),
            attempt: event.attempts,
            response_code: attempt.code.map(i64::from),
            response_excerpt: attempt.excerpt.clone(),
            error,
            started_at: attempt.started_at,
            duration_ms: attempt.duration.as_millis().try_into().unwrap_or(i64::MAX),
        })
        .await?;
    event.response_code = attempt.code.map(i64::from);
    event.response_excerpt = attempt.excerpt;
    event.updated_at = now();
    let finished = match attempt.outcome {
        Outcome::Delivered => {
            event.status = EventStatus::Delivered;
            event.status_info = "Webhook called".into();
            Finished::Delivered
        }
        Outcome::Retry(why) if job_attempt < max_attempts => {
            event.status = EventStatus::Pending;
            event.status_info =
                format!("{why}; trying again (attempt {job_attempt} of {max_attempts})");
            Finished::Again(why)
        }
        Outcome::Retry(why) | Outcome::Refused(why) => {
            event.status = EventStatus::Failed;
            event.status_info = why.clone();
            Finished::Failed(why)
        }
    };
    store.save_webhook_event(&event).await?;
    match &finished {
        Finished::Again(_) => return Ok(finished),
        Finished::Delivered => record_success(core, &webhook.id).await?,
        Finished::Failed(_) => {
            if record_failure(core, &webhook.id, &event.status_info).await? {
                tracing::warn!(webhook = %webhook.id, url = %webhook.url, "webhook disabled after repeated failures");
            }
        }
    }
    forget_if_deleted(core, &webhook.project_id).await?;
    Ok(finished)
}

/// Once an event is done with, a deleted project's webhooks may go.
async fn forget_if_deleted(core: &Core, project_id: &str) -> Result<()> {
    if core.projects.project(project_id).await?.is_none() {
        forget_deleted_project(core, project_id).await?;
    }
    Ok(())
}
