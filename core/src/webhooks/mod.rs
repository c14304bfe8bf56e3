//! Webhooks: a project's owners register URLs that hear about the project's activity. Every
//! activity entry (`projects::activity`) becomes, for each enabled webhook subscribed to its
//! action, a stored event and a `webhook` job that delivers it (in `workers`), recording each
//! attempt. A webhook whose events fail [`FAILURES_BEFORE_DISABLING`] times in a row is disabled
//! and its project's owners are told by e-mail.
//!
//! What a settings page needs: [`TRIGGERS`] to choose from, [`list`], [`create`], [`update`]
//! (also to enable or disable), [`delete`], [`history`] (the latest events) and [`attempts`]
//! (each try at delivering one event).

pub mod delivery;
mod dispatch;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::numbered::Numbered;

pub use dispatch::{dispatch, DELIVERY_ATTEMPTS, RETRY_BASE, WEBHOOK_JOB};

mod service;

pub use service::*;

/// The events a webhook may subscribe to (Speckle's `WebhookTriggers`, plus the activity
/// actions Fleck records that Speckle also lets a webhook match, and Fleck's own `commit_changes`).
pub const TRIGGERS: [&str; 20] = [
    "stream_update",
    "stream_delete",
    "branch_create",
    "branch_update",
    "branch_delete",
    "commit_create",
    "commit_update",
    "commit_receive",
    "commit_delete",
    "commit_move",
    "comment_created",
    "comment_archived",
    "comment_replied",
    "stream_permissions_add",
    "stream_permissions_remove",
    "stream_invite_sent",
    "stream_invite_declined",
    "model_ingestion_created",
    "model_ingestion_updated",
    // Fleck's: what changed since the model's previous version (`changes::VERSION_CHANGES_ACTION`).
    "commit_changes",
];

/// Most webhooks one project may have.
pub const MAX_PER_PROJECT: usize = 100;
/// A webhook is disabled after this many events in a row could not be delivered.
pub const FAILURES_BEFORE_DISABLING: i64 = 5;

#[derive(Clone, Debug, PartialEq)]
pub struct Webhook {
    pub id: String,
    pub project_id: String,
    pub url: String,
    pub description: Option<String>,
    pub triggers: Vec<String>,
    /// Signs deliveries; never shown again once set.
    pub secret: Option<String>,
    pub enabled: bool,
    /// Events in a row that failed to arrive.
    pub failures: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Speckle's delivery states, with its numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventStatus {
    Pending = 0,
    Sending = 1,
    Delivered = 2,
    Failed = 3,
}

impl Numbered for EventStatus {
    const ALL: &'static [Self] = &[Self::Pending, Self::Sending, Self::Delivered, Self::Failed];
}

impl EventStatus {
    pub fn name(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// One event for one webhook, and how its delivery went.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookEvent {
    pub id: String,
    pub webhook_id: String,
    pub status: EventStatus,
    /// What the last attempt came to, in words.
    pub status_info: String,
    pub attempts: i64,
    /// The receiver's HTTP status on the last attempt.
    pub response_code: Option<i64>,
    /// The start of the receiver's answer on the last attempt.
    pub response_excerpt: Option<String>,
    /// The event as sent, without the `{"payload": …}` envelope.
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One try at delivering an event.
#[derive(Clone, Debug, PartialEq)]
pub struct WebhookAttempt {
    pub event_id: String,
    /// 1 for the first try.
    pub attempt: i64,
    /// The receiver's HTTP status, when it answered.
    pub response_code: Option<i64>,
    /// The start of the receiver's answer (at most [`EXCERPT_CHARS`] characters).
    pub response_excerpt: Option<String>,
    /// Why the attempt failed; `None` when it delivered the event.
    pub error: Option<String>,
    pub started_at: DateTime<Utc>,
    pub duration_ms: i64,
}

/// How much of a receiver's answer the history keeps, in characters.
pub const EXCERPT_CHARS: usize = 500;

#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Inserts or updates a webhook.
    async fn save_webhook(&self, webhook: &Webhook) -> Result<()>;
    async fn webhook(&self, id: &str) -> Result<Option<Webhook>>;
    /// A project's webhooks, oldest first.
    async fn webhooks(&self, project_id: &str) -> Result<Vec<Webhook>>;
    async fn delete_webhook(&self, project_id: &str, id: &str) -> Result<bool>;
    /// Inserts or updates an event.
    async fn save_webhook_event(&self, event: &WebhookEvent) -> Result<()>;
    async fn webhook_event(&self, id: &str) -> Result<Option<WebhookEvent>>;
    /// A webhook's latest events (newest first) and how many it has.
    async fn webhook_events(
        &self,
        webhook_id: &str,
        limit: i64,
    ) -> Result<(Vec<WebhookEvent>, i64)>;
    /// Events by status, across the server (for metrics).
    async fn webhook_event_counts(&self) -> Result<Vec<(EventStatus, i64)>>;
    /// Counts an event that could not be delivered and disables the webhook when that makes
    /// `disable_after` in a row. Returns whether this call disabled it.
    async fn count_webhook_failure(
        &self,
        id: &str,
        disable_after: i64,
        at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Ends a webhook's run of failures.
    async fn reset_webhook_failures(&self, id: &str) -> Result<()>;
    async fn add_webhook_attempt(&self, attempt: &WebhookAttempt) -> Result<()>;
    /// An event's attempts, first first.
    async fn webhook_attempts(&self, event_id: &str) -> Result<Vec<WebhookAttempt>>;
    /// Removes the webhooks of `project_id` when that project no longer exists, except those
    /// with an event still waiting to be delivered. Returns how many went.
    async fn delete_orphaned_webhooks(&self, project_id: &str) -> Result<u64>;
}

/// What a project owner sets on a webhook; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct WebhookChanges {
    pub url: Option<String>,
    pub description: Option<String>,
    pub triggers: Option<Vec<String>>,
    /// `Some("")` removes the secret.
    pub secret: Option<String>,
    pub enabled: Option<bool>,
}
