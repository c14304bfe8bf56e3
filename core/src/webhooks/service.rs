//! Managing a project's webhooks, and what their deliveries do to them.

use super::*;
use crate::auth::Actor;
use crate::authz::{Action, ProjectRole};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::projects::now;
use crate::projects::service::load;
use crate::users::ServerRole;

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
pub(super) async fn record_failure(core: &Core, webhook_id: &str, reason: &str) -> Result<bool> {
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
pub(super) async fn record_success(core: &Core, webhook_id: &str) -> Result<()> {
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
