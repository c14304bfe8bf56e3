//! The activity log: who did what in a project, with Speckle's action names (which are also the
//! webhook event names).

use serde_json::Value;

use super::Activity;
use crate::core::Core;

/// What happened, to record in a project's log.
pub struct Entry<'a> {
    pub project_id: &'a str,
    /// `stream`, `branch`, `commit` or `user`.
    pub resource_type: &'static str,
    pub resource_id: &'a str,
    /// e.g. `stream_create`, `branch_delete`, `commit_receive`.
    pub action_type: &'static str,
    pub user_id: Option<&'a str>,
    pub info: Value,
    pub message: String,
}

impl<'a> Entry<'a> {
    /// An entry about the project itself (Speckle's `stream` resource).
    pub fn project(
        project_id: &'a str,
        action_type: &'static str,
        user_id: Option<&'a str>,
        info: Value,
        message: impl Into<String>,
    ) -> Self {
        Entry {
            project_id,
            resource_type: "stream",
            resource_id: project_id,
            action_type,
            user_id,
            info,
            message: message.into(),
        }
    }
}

/// Records an entry; a failure is logged, never returned: the change itself has been made.
pub async fn record(core: &Core, entry: Entry<'_>) {
    let activity = Activity {
        seq: 0,
        project_id: entry.project_id.to_string(),
        resource_type: entry.resource_type.to_string(),
        resource_id: entry.resource_id.to_string(),
        action_type: entry.action_type.to_string(),
        user_id: entry.user_id.map(str::to_string),
        info: entry.info,
        message: Some(entry.message.chars().take(255).collect()),
        time: super::now(),
    };
    if let Err(e) = core.projects.add_activity(&activity).await {
        tracing::warn!(error = %e, action = entry.action_type, "could not record activity");
    }
    crate::webhooks::dispatch(core, &activity).await;
}
