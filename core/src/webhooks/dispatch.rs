//! From an activity entry to stored webhook events, each with a queued delivery job. The payload
//! has Speckle's shape: the event, the server, the project, the acting user and the webhook.

use std::time::Duration;

use serde_json::{json, Value};

use super::{EventStatus, Webhook, WebhookEvent};
use crate::core::Core;
use crate::error::Result;
use crate::projects::{now, Activity};
use crate::queue::NewJob;

/// The job kind that delivers one webhook event.
pub const WEBHOOK_JOB: &str = "webhook";
/// Tries at delivering one event. Network errors and 5xx answers are retried after 5 s, 10 s,
/// 20 s, 40 s and 80 s, so a receiver may be away for about two and a half minutes.
pub const DELIVERY_ATTEMPTS: u32 = 6;
/// The wait before the first retry; each later one waits twice as long.
pub const RETRY_BASE: Duration = Duration::from_secs(5);

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
        let at = now();
        let event = WebhookEvent {
            id: crate::ids::new_id(),
            webhook_id: webhook.id.clone(),
            status: EventStatus::Pending,
            status_info: "Pending".into(),
            attempts: 0,
            response_code: None,
            response_excerpt: None,
            payload,
            created_at: at,
            updated_at: at,
        };
        core.webhooks.save_webhook_event(&event).await?;
        let mut job = NewJob::new(WEBHOOK_JOB, json!({ "eventId": event.id }));
        job.max_attempts = DELIVERY_ATTEMPTS;
        job.retry_base = RETRY_BASE;
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
            "termsOfService": settings.terms_of_service,
            "inviteOnly": settings.invite_only,
            "guestModeEnabled": settings.guest_mode,
            "canonicalUrl": core.config.public_url.as_str().trim_end_matches('/'),
        },
        "stream": project.map(|p| {
            let public = p.visibility == crate::authz::Visibility::Public;
            json!({
                "id": p.id,
                "name": p.name,
                "description": p.description,
                "isPublic": public,
                "isDiscoverable": public,
                "allowPublicComments": p.allow_public_comments,
                "createdAt": p.created_at,
                "updatedAt": p.updated_at,
                "role": role.map(|r| r.as_str()),
            })
        }),
        // Never the e-mail address or the password.
        "user": user.map(|u| json!({
            "id": u.id,
            "name": u.name,
            "company": u.company,
            "bio": u.bio,
            "avatar": u.avatar,
            "verified": u.verified,
            "createdAt": u.created_at,
        })),
    }))
}
