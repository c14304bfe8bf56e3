//! From an activity entry to stored webhook events, each with a queued delivery job. The payload
//! has Speckle's shape: the event, the server, the project, the acting user and the webhook.

use chrono::Utc;
use serde_json::{json, Value};

use super::{EventStatus, Webhook, WebhookEvent};
use crate::backends::Core;
use crate::error::Result;
use crate::projects::Activity;
use crate::queue::NewJob;

/// The job kind that delivers one webhook event.
pub const WEBHOOK_JOB: &str = "webhook";

/// Queues a delivery of `activity` to every enabled webhook of its project that subscribed to
/// its action. Failures are logged, never returned: the change itself has been made.
pub async fn dispatch(core: &Core, activity: &Activity) {
    if let Err(e) = try_dispatch(core, activity).await {
        tracing::warn!(error = %e, action = %activity.action_type, "could not queue webhook events");
    }
}

async fn try_dispatch(core: &Core, activity: &Activity) -> Result<()> {
    let webhooks: Vec<Webhook> = core
        .webhooks
        .webhooks(&activity.project_id)
        .await?
        .into_iter()
        .filter(|w| w.enabled && w.triggers.contains(&activity.action_type))
        .collect();
    if webhooks.is_empty() {
        return Ok(());
    }
    let context = context(core, activity).await?;
    for webhook in webhooks {
        let mut payload = context.clone();
        payload["webhook"] = json!({
            "id": webhook.id,
            "streamId": webhook.project_id,
            "url": webhook.url,
            "description": webhook.description,
            "enabled": webhook.enabled,
            "triggers": webhook.triggers,
            "createdAt": webhook.created_at,
            "updatedAt": webhook.updated_at,
        });
        let now = Utc::now();
        let event = WebhookEvent {
            id: crate::ids::new_id(),
            webhook_id: webhook.id.clone(),
            status: EventStatus::Pending,
            status_info: "Pending".into(),
            attempts: 0,
            response_code: None,
            response_excerpt: None,
            payload,
            created_at: now,
            updated_at: now,
        };
        core.webhooks.save_webhook_event(&event).await?;
        let mut job = NewJob::new(WEBHOOK_JOB, json!({ "eventId": event.id }));
        // Network errors and 5xx answers are retried: after 2 s, 4 s, 8 s, 16 s.
        job.max_attempts = 5;
        job.retry_base = std::time::Duration::from_secs(2);
        core.jobs.enqueue(job).await?;
    }
    Ok(())
}

/// Everything in a payload but the webhook itself.
async fn context(core: &Core, activity: &Activity) -> Result<Value> {
    let settings = core.store.server_settings().await?;
    let project = core.projects.project(&activity.project_id).await?;
    let user = match &activity.user_id {
        Some(id) => core.store.user_by_id(id).await?,
        None => None,
    };
    let role = match (&activity.user_id, &project) {
        (Some(user), Some(project)) => core.projects.role_of(&project.id, user).await?,
        _ => None,
    };
    Ok(json!({
        "streamId": activity.project_id,
        "userId": activity.user_id,
        "activityMessage": activity.message,
        "event": {
            "event_name": activity.action_type,
            "data": activity.info,
        },
        "server": {
            "name": settings.name,
            "company": settings.company,
            "description": settings.description,
            "adminContact": settings.admin_contact,
            "canonicalUrl": core.config.public_url.as_str().trim_end_matches('/'),
        },
        "stream": project.map(|p| json!({
            "id": p.id,
            "name": p.name,
            "description": p.description,
            "isPublic": p.visibility == crate::authz::Visibility::Public,
            "createdAt": p.created_at,
            "updatedAt": p.updated_at,
            "role": role.map(|r| r.as_str()),
        })),
        // Never the e-mail address or the password.
        "user": user.map(|u| json!({
            "id": u.id,
            "name": u.name,
            "company": u.company,
            "bio": u.bio,
            "avatar": u.avatar,
        })),
    }))
}
