//! Webhooks: a project's owners register URLs that hear about the project's activity. Every
//! activity entry (`projects::activity`) becomes, for each enabled webhook subscribed to its
//! action, a stored event and a `webhook` job that delivers it (in `workers`), recording each
//! attempt. A webhook whose events fail [`FAILURES_BEFORE_DISABLING`] times in a row is disabled
//! and its project's owners are told by e-mail.
//!
//! What a settings page needs: [`TRIGGERS`] to choose from, [`list`], [`create`], [`update`]
//! (also to enable or disable), [`delete`], [`history`] (the latest events) and [`attempts`]
//! (each try at delivering one event).

mod dispatch;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::authz::{Action, ProjectRole};
use crate::backends::Core;
use crate::error::{Error, Result};
use crate::projects::now;
use crate::projects::service::load;
use crate::users::ServerRole;

pub use dispatch::{dispatch, DELIVERY_ATTEMPTS, RETRY_BASE, WEBHOOK_JOB};

/// The events a webhook may subscribe to (Speckle's `WebhookTriggers`, plus the activity
/// actions Fleck records that Speckle also lets a webhook match).
pub const TRIGGERS: [&str; 19] = [
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

impl EventStatus {
    pub fn from_number(n: i64) -> Self {
        match n {
            1 => Self::Sending,
            2 => Self::Delivered,
            3 => Self::Failed,
            _ => Self::Pending,
        }
    }

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

/// Registers a webhook on a project (owners only). Returns it with its new id.
pub async fn create(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    changes: WebhookChanges,
) -> Result<Webhook> {
    manage(core, actor, project_id).await?;
    if core.webhooks.webhooks(project_id).await?.len() >= MAX_PER_PROJECT {
        return Err(Error::invalid(
            "webhook",
            format!("a project may have at most {MAX_PER_PROJECT} webhooks"),
        ));
    }
    let url = changes
        .url
        .clone()
        .ok_or_else(|| Error::invalid("url", "a webhook needs a URL"))?;
    let at = now();
    let mut webhook = Webhook {
        id: crate::ids::new_id(),
        project_id: project_id.to_string(),
        url,
        description: None,
        triggers: Vec::new(),
        secret: None,
        enabled: true,
        failures: 0,
        created_at: at,
        updated_at: at,
    };
    apply(&mut webhook, changes)?;
    if webhook.triggers.is_empty() {
        return Err(Error::invalid("triggers", "choose at least one event"));
    }
    core.webhooks.save_webhook(&webhook).await?;
    Ok(webhook)
}

/// Changes a webhook (owners only). Enabling it again, or pointing it somewhere else, forgets
/// its failures.
pub async fn update(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    changes: WebhookChanges,
) -> Result<Webhook> {
    manage(core, actor, project_id).await?;
    let mut webhook = of_project(core, project_id, id).await?;
    let enabling = changes.enabled == Some(true) && !webhook.enabled;
    let url = webhook.url.clone();
    apply(&mut webhook, changes)?;
    if webhook.triggers.is_empty() {
        return Err(Error::invalid("triggers", "choose at least one event"));
    }
    if enabling || webhook.url != url {
        webhook.failures = 0;
    }
    webhook.updated_at = now();
    core.webhooks.save_webhook(&webhook).await?;
    Ok(webhook)
}

/// Removes a webhook with its history (owners only).
pub async fn delete(core: &Core, actor: &Actor, project_id: &str, id: &str) -> Result<()> {
    manage(core, actor, project_id).await?;
    of_project(core, project_id, id).await?;
    core.webhooks.delete_webhook(project_id, id).await?;
    Ok(())
}

/// A project's webhooks, oldest first (owners only).
pub async fn list(core: &Core, actor: &Actor, project_id: &str) -> Result<Vec<Webhook>> {
    load(core, actor, project_id, Action::AdministerProject).await?;
    core.webhooks.webhooks(project_id).await
}

/// One of a project's webhooks (owners only).
pub async fn find(core: &Core, actor: &Actor, project_id: &str, id: &str) -> Result<Webhook> {
    load(core, actor, project_id, Action::AdministerProject).await?;
    of_project(core, project_id, id).await
}

async fn of_project(core: &Core, project_id: &str, id: &str) -> Result<Webhook> {
    core.webhooks
        .webhook(id)
        .await?
        .filter(|w| w.project_id == project_id)
        .ok_or_else(|| Error::NotFound("no such webhook in this project".into()))
}

/// A webhook's latest `limit` (1 to 100) events, newest first, and how many it has (owners
/// only).
pub async fn history(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    limit: i64,
) -> Result<(Vec<WebhookEvent>, i64)> {
    find(core, actor, project_id, id).await?;
    core.webhooks.webhook_events(id, limit.clamp(1, 100)).await
}

/// Each try at delivering one of a webhook's events, first first (owners only).
pub async fn attempts(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
    event_id: &str,
) -> Result<Vec<WebhookAttempt>> {
    find(core, actor, project_id, id).await?;
    match core.webhooks.webhook_event(event_id).await? {
        Some(event) if event.webhook_id == id => core.webhooks.webhook_attempts(event_id).await,
        _ => Err(Error::NotFound("no such event of this webhook".into())),
    }
}

/// Owners manage webhooks, as long as they are not guests of the server (as in Speckle).
async fn manage(core: &Core, actor: &Actor, project_id: &str) -> Result<()> {
    load(core, actor, project_id, Action::AdministerProject).await?;
    match actor.principal() {
        Some(p) if p.user.role.at_least(ServerRole::User) => Ok(()),
        _ => Err(Error::Forbidden("guests cannot manage webhooks".into())),
    }
}

/// Counts an event the webhook's receiver never accepted. After
/// [`FAILURES_BEFORE_DISABLING`] in a row the webhook is disabled and the project's owners are
/// told by e-mail; returns whether that happened now.
pub async fn record_failure(core: &Core, webhook_id: &str, reason: &str) -> Result<bool> {
    let disabled = core
        .webhooks
        .count_webhook_failure(webhook_id, FAILURES_BEFORE_DISABLING, now())
        .await?;
    if disabled {
        if let Some(webhook) = core.webhooks.webhook(webhook_id).await? {
            tell_owners(core, &webhook, reason).await?;
        }
    }
    Ok(disabled)
}

/// A delivered event: the webhook's run of failures is over.
pub async fn record_success(core: &Core, webhook_id: &str) -> Result<()> {
    core.webhooks.reset_webhook_failures(webhook_id).await
}

/// Removes a deleted project's webhooks, once none has an event left to deliver (its
/// `stream_delete` among them). The project service calls this after deleting a project, the
/// delivery job after each event.
pub async fn forget_deleted_project(core: &Core, project_id: &str) -> Result<()> {
    core.webhooks.delete_orphaned_webhooks(project_id).await?;
    Ok(())
}

async fn tell_owners(core: &Core, webhook: &Webhook, reason: &str) -> Result<()> {
    let Some(project) = core.projects.project(&webhook.project_id).await? else {
        return Ok(());
    };
    let mut settings = core.config.public_url.clone();
    settings.set_path(&format!("/projects/{}/settings", project.id));
    for member in core.projects.members(&project.id).await? {
        if member.role != ProjectRole::Owner {
            continue;
        }
        let lead = format!(
            "The webhook to {} of the project \"{}\" was disabled after {} events in a row could not be delivered. The last attempt: {}. Fix the receiver, then enable the webhook again in the project's settings.",
            webhook.url, project.name, FAILURES_BEFORE_DISABLING, reason
        );
        let email = crate::auth::emails::with_link(
            &member.user.email,
            &format!("A webhook of {} was disabled", project.name),
            &member.user.name,
            &lead,
            "Open the project's settings",
            settings.as_str(),
            "You receive this because you own the project.",
        );
        email.enqueue(&core.jobs).await?;
    }
    Ok(())
}

fn apply(webhook: &mut Webhook, changes: WebhookChanges) -> Result<()> {
    if let Some(url) = changes.url {
        webhook.url = checked_url(&url)?;
    }
    if let Some(description) = changes.description {
        if description.chars().count() > 1000 {
            return Err(Error::invalid(
                "description",
                "must be at most 1000 characters",
            ));
        }
        webhook.description = Some(description).filter(|d| !d.trim().is_empty());
    }
    if let Some(triggers) = changes.triggers {
        let mut checked = Vec::new();
        for trigger in triggers {
            if !TRIGGERS.contains(&trigger.as_str()) {
                return Err(Error::invalid(
                    "triggers",
                    format!(
                        "{trigger:?} is not an event; choose from {}",
                        TRIGGERS.join(", ")
                    ),
                ));
            }
            if !checked.contains(&trigger) {
                checked.push(trigger);
            }
        }
        webhook.triggers = checked;
    }
    if let Some(secret) = changes.secret {
        if secret.len() > 1000 {
            return Err(Error::invalid("secret", "must be at most 1000 characters"));
        }
        webhook.secret = Some(secret).filter(|s| !s.is_empty());
    }
    if let Some(enabled) = changes.enabled {
        webhook.enabled = enabled;
    }
    Ok(())
}

/// An absolute http(s) URL without credentials. Where it points is checked at delivery, when
/// its name is resolved.
fn checked_url(url: &str) -> Result<String> {
    if url.len() > 2048 {
        return Err(Error::invalid("url", "must be at most 2048 characters"));
    }
    let parsed = url::Url::parse(url.trim())
        .map_err(|e| Error::invalid("url", format!("{url:?} is not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Error::invalid(
            "url",
            "must be an http:// or https:// address",
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::invalid(
            "url",
            "must not hold a user name or password; use the secret to authenticate",
        ));
    }
    Ok(parsed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank() -> Webhook {
        Webhook {
            id: "w".into(),
            project_id: "p".into(),
            url: "http://example.com/".into(),
            description: None,
            triggers: vec![],
            secret: None,
            enabled: true,
            failures: 0,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    #[test]
    fn urls_must_be_plain_http_addresses() {
        assert_eq!(
            checked_url(" https://hooks.example.com/a?b=1 ").unwrap(),
            "https://hooks.example.com/a?b=1"
        );
        for bad in [
            "ftp://example.com",
            "example.com",
            "http://user:pw@example.com/",
            "file:///etc/passwd",
        ] {
            assert!(checked_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn triggers_are_checked_and_deduplicated_and_an_empty_secret_removes_it() {
        let mut webhook = blank();
        let changes = WebhookChanges {
            triggers: Some(vec![
                "commit_create".into(),
                "commit_create".into(),
                "branch_delete".into(),
            ]),
            secret: Some("s3cret".into()),
            ..Default::default()
        };
        apply(&mut webhook, changes).unwrap();
        assert_eq!(webhook.triggers, ["commit_create", "branch_delete"]);
        assert_eq!(webhook.secret.as_deref(), Some("s3cret"));
        let clear = WebhookChanges {
            secret: Some(String::new()),
            ..Default::default()
        };
        apply(&mut webhook, clear).unwrap();
        assert_eq!(webhook.secret, None);
        let bad = WebhookChanges {
            triggers: Some(vec!["everything".into()]),
            ..Default::default()
        };
        assert!(apply(&mut webhook, bad).is_err());
    }
}
