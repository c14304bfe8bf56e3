//! Change notifications for GraphQL subscriptions, published through the cache's pub/sub so a
//! subscriber on one replica hears about changes made on another. Messages carry ids only: each
//! subscriber reloads what changed with its own access rights.

use serde::{Deserialize, Serialize};

use crate::core::Core;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    Created,
    Updated,
    Deleted,
}

/// Something changed in one project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "on")]
pub enum ProjectEvent {
    Project {
        change: Change,
    },
    Model {
        model_id: String,
        change: Change,
    },
    Version {
        version_id: String,
        model_id: String,
        change: Change,
    },
    Ingestion {
        ingestion_id: String,
        model_id: String,
        news: IngestionNews,
    },
    /// A thread or a reply; `thread_id` is the thread (the comment itself for threads).
    Comment {
        comment_id: String,
        thread_id: String,
        news: CommentNews,
    },
}

/// What happened to a comment, as `projectCommentsUpdated` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CommentNews {
    Created,
    Updated,
    Archived,
}

/// What happened to a model ingestion, as `projectModelIngestionUpdated` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IngestionNews {
    Created,
    Updated,
    CancellationRequested,
}

/// A project was added to or removed from a user's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserProjectsEvent {
    pub project_id: String,
    pub added: bool,
}

pub fn project_channel(project_id: &str) -> String {
    format!("project:{project_id}")
}

pub fn user_channel(user_id: &str) -> String {
    format!("user-projects:{user_id}")
}

/// Publishes `event`; a failure is logged, never returned: the change itself has been made.
pub async fn project(core: &Core, project_id: &str, event: ProjectEvent) {
    publish(core, &project_channel(project_id), &event).await;
}

/// The project itself changed (its fields, its members) or went.
pub async fn project_changed(core: &Core, project_id: &str, change: Change) {
    project(core, project_id, ProjectEvent::Project { change }).await;
}

pub async fn user_projects(core: &Core, user_id: &str, project_id: &str, added: bool) {
    let event = UserProjectsEvent {
        project_id: project_id.to_string(),
        added,
    };
    publish(core, &user_channel(user_id), &event).await;
}

async fn publish(core: &Core, channel: &str, event: &impl Serialize) {
    let message = serde_json::to_vec(event).unwrap_or_default();
    if let Err(e) = core.cache.publish(channel, &message).await {
        tracing::warn!(error = %e, channel, "could not publish a change notification");
    }
}
