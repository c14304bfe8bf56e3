//! The server functions of the webhooks panel on a project's settings page (`pages/webhooks.rs`):
//! list them with their latest deliveries, add one, enable or disable it, delete it. Owners only,
//! as core decides.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::shared::Outcome;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WebhookRow {
    pub id: String,
    pub url: String,
    pub description: String,
    pub triggers: Vec<String>,
    pub enabled: bool,
    pub has_secret: bool,
    /// Events in a row that could not be delivered.
    pub failures: i64,
    pub deliveries: Vec<DeliveryRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryRow {
    pub when: String,
    /// `pending`, `sending`, `delivered` or `failed`.
    pub status: String,
    pub info: String,
    pub event: String,
    pub response_code: Option<i64>,
    pub attempts: i64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Webhooks {
    pub hooks: Vec<WebhookRow>,
    /// The events a webhook can subscribe to.
    pub triggers: Vec<String>,
}

#[server]
pub async fn fetch_webhooks(project_id: String) -> Result<Webhooks, ServerFnError> {
    use crate::shared::server::{context, message};
    use fleck_core::webhooks;
    let (core, actor) = context().await?;
    let list = webhooks::list(&core, &actor, &project_id)
        .await
        .map_err(message)?;
    let mut hooks = Vec::with_capacity(list.len());
    for hook in list {
        let (events, _) = webhooks::history(&core, &actor, &project_id, &hook.id, 10)
            .await
            .map_err(message)?;
        hooks.push(WebhookRow {
            deliveries: events
                .into_iter()
                .map(|e| DeliveryRow {
                    when: crate::projects::read::server::when(e.updated_at),
                    status: e.status.name().to_string(),
                    info: e.status_info,
                    event: e.payload["event"]["event_name"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string(),
                    response_code: e.response_code,
                    attempts: e.attempts,
                })
                .collect(),
            id: hook.id,
            url: hook.url,
            description: hook.description.unwrap_or_default(),
            triggers: hook.triggers,
            enabled: hook.enabled,
            has_secret: hook.secret.is_some(),
            failures: hook.failures,
        });
    }
    Ok(Webhooks {
        hooks,
        triggers: webhooks::TRIGGERS.iter().map(|t| t.to_string()).collect(),
    })
}

#[server]
pub async fn create_webhook(
    project_id: String,
    url: String,
    description: String,
    secret: String,
    triggers: Option<Vec<String>>,
) -> Result<Outcome, ServerFnError> {
    use crate::projects::edit::server::{context, fail, stay};
    use fleck_core::webhooks::{self, WebhookChanges};
    let (core, actor) = context().await?;
    let changes = WebhookChanges {
        url: Some(url),
        description: Some(description),
        triggers: Some(triggers.unwrap_or_default()),
        secret: Some(secret),
        enabled: Some(true),
    };
    stay(
        webhooks::create(&core, &actor, &project_id, changes).await,
        fail,
    )
}

/// Enables (`enabled` = "true") or disables a webhook.
#[server]
pub async fn switch_webhook(
    project_id: String,
    webhook_id: String,
    enabled: String,
) -> Result<Outcome, ServerFnError> {
    use crate::projects::edit::server::{context, fail, stay};
    use fleck_core::webhooks::{self, WebhookChanges};
    let (core, actor) = context().await?;
    let changes = WebhookChanges {
        enabled: Some(enabled == "true"),
        ..Default::default()
    };
    stay(
        webhooks::update(&core, &actor, &project_id, &webhook_id, changes).await,
        fail,
    )
}

#[server]
pub async fn delete_webhook(
    project_id: String,
    webhook_id: String,
) -> Result<Outcome, ServerFnError> {
    use crate::projects::edit::server::{context, fail, stay};
    let (core, actor) = context().await?;
    stay(
        fleck_core::webhooks::delete(&core, &actor, &project_id, &webhook_id).await,
        fail,
    )
}
