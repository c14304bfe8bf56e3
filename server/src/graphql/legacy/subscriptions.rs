//! The legacy subscriptions (`commitCreated`, `streamUpdated`, `userStreamAdded`, …): the
//! modern subscriptions' events, answered as the JSON older connectors expect.

use async_graphql::{Context, Result, Subscription};
use fleck_core::authz::Action;
use fleck_core::projects::events::{Change, ProjectEvent};
use fleck_core::projects::{models, service, versions};
use fleck_core::Core;
use futures::{Stream, StreamExt};

use crate::graphql::scalars::JsonObject;
use crate::graphql::subscriptions::{project_events, user_events};

#[derive(Default)]
pub struct LegacySubscription;

#[Subscription]
impl LegacySubscription {
    /// Legacy: a version was created on the stream, as JSON.
    async fn commit_created(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
    ) -> Result<impl Stream<Item = Option<JsonObject>>> {
        Ok(project_events(ctx, &stream_id).await?.filter_map(
            |(event, core, _, project_id)| async move {
                let ProjectEvent::Version {
                    version_id,
                    change: Change::Created,
                    ..
                } = event
                else {
                    return None;
                };
                commit_json(&core, &project_id, &version_id).await.map(Some)
            },
        ))
    }

    /// Legacy: a model was created on the stream, as JSON.
    async fn branch_created(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
    ) -> Result<impl Stream<Item = Option<JsonObject>>> {
        Ok(project_events(ctx, &stream_id).await?.filter_map(
            |(event, core, _, project_id)| async move {
                let ProjectEvent::Model {
                    model_id,
                    change: Change::Created,
                } = event
                else {
                    return None;
                };
                let model = models::find(&core, &project_id, &model_id).await.ok()?;
                Some(Some(JsonObject(serde_json::json!({
                    "id": model.id,
                    "streamId": project_id,
                    "name": model.name,
                    "description": model.description,
                    "authorId": model.author_id,
                }))))
            },
        ))
    }

    /// Legacy: the stream's fields changed, as JSON.
    async fn stream_updated(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
    ) -> Result<impl Stream<Item = Option<JsonObject>>> {
        Ok(project_events(ctx, &stream_id).await?.filter_map(
            |(event, core, actor, project_id)| async move {
                let ProjectEvent::Project {
                    change: Change::Updated,
                } = event
                else {
                    return None;
                };
                let project = service::load(&core, &actor, &project_id, Action::ReadProject)
                    .await
                    .ok()?
                    .project;
                Some(Some(JsonObject(serde_json::json!({
                    "id": project.id,
                    "name": project.name,
                    "description": project.description,
                }))))
            },
        ))
    }

    /// Legacy: a commit changed (only `commitId` when given), as JSON.
    async fn commit_updated(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
        commit_id: Option<String>,
    ) -> Result<impl Stream<Item = Option<JsonObject>>> {
        Ok(project_events(ctx, &stream_id).await?.filter_map(
            move |(event, core, _, project_id)| {
                let wanted = commit_id.clone();
                async move {
                    let ProjectEvent::Version {
                        version_id,
                        change: Change::Updated,
                        ..
                    } = event
                    else {
                        return None;
                    };
                    if wanted.is_some_and(|id| id != version_id) {
                        return None;
                    }
                    commit_json(&core, &project_id, &version_id).await.map(Some)
                }
            },
        ))
    }

    /// Legacy: a commit was deleted, as JSON with its id.
    async fn commit_deleted(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
    ) -> Result<impl Stream<Item = Option<JsonObject>>> {
        Ok(project_events(ctx, &stream_id).await?.filter_map(
            |(event, _, _, project_id)| async move {
                let ProjectEvent::Version {
                    version_id,
                    change: Change::Deleted,
                    ..
                } = event
                else {
                    return None;
                };
                Some(Some(JsonObject(
                    serde_json::json!({ "id": version_id, "streamId": project_id }),
                )))
            },
        ))
    }

    /// Legacy: a branch changed (only `branchId` when given), as JSON.
    async fn branch_updated(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
        branch_id: Option<String>,
    ) -> Result<impl Stream<Item = Option<JsonObject>>> {
        Ok(project_events(ctx, &stream_id).await?.filter_map(
            move |(event, core, _, project_id)| {
                let wanted = branch_id.clone();
                async move {
                    let ProjectEvent::Model {
                        model_id,
                        change: Change::Updated,
                    } = event
                    else {
                        return None;
                    };
                    if wanted.is_some_and(|id| id != model_id) {
                        return None;
                    }
                    let model = models::find(&core, &project_id, &model_id).await.ok()?;
                    Some(Some(JsonObject(serde_json::json!({
                        "id": model.id,
                        "streamId": project_id,
                        "name": model.name,
                        "description": model.description,
                    }))))
                }
            },
        ))
    }

    /// Legacy: a branch was deleted, as JSON with its id.
    async fn branch_deleted(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
    ) -> Result<impl Stream<Item = Option<JsonObject>>> {
        Ok(project_events(ctx, &stream_id).await?.filter_map(
            |(event, _, _, project_id)| async move {
                let ProjectEvent::Model {
                    model_id,
                    change: Change::Deleted,
                } = event
                else {
                    return None;
                };
                Some(Some(JsonObject(
                    serde_json::json!({ "id": model_id, "streamId": project_id }),
                )))
            },
        ))
    }

    /// Legacy: the stream was deleted, as JSON with its id.
    async fn stream_deleted(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
    ) -> Result<impl Stream<Item = Option<JsonObject>>> {
        Ok(project_events(ctx, &stream_id).await?.filter_map(
            |(event, _, _, project_id)| async move {
                let ProjectEvent::Project {
                    change: Change::Deleted,
                } = event
                else {
                    return None;
                };
                Some(Some(JsonObject(
                    serde_json::json!({ "streamId": project_id }),
                )))
            },
        ))
    }

    /// Legacy: a stream was added to the caller's list, as JSON.
    async fn user_stream_added(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Option<JsonObject>>> {
        user_stream_events(ctx, true).await
    }

    /// Legacy: a stream was removed from the caller's list, as JSON.
    async fn user_stream_removed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Option<JsonObject>>> {
        user_stream_events(ctx, false).await
    }
}

/// A version as legacy clients receive it in `commitCreated` and `commitUpdated`.
async fn commit_json(core: &Core, project_id: &str, version_id: &str) -> Option<JsonObject> {
    let version = versions::find(core, project_id, version_id).await.ok()?;
    let branch = models::find(core, project_id, &version.model_id)
        .await
        .ok()?;
    Some(JsonObject(serde_json::json!({
        "id": version.id,
        "streamId": project_id,
        "branchName": branch.name,
        "objectId": version.referenced_object,
        "message": version.message,
        "sourceApplication": version.source_application,
        "totalChildrenCount": version.total_children_count,
        "parents": version.parents,
        "authorId": version.author_id,
        "createdAt": version.created_at,
    })))
}

/// The caller's streams added (`added`) or removed, as legacy JSON.
async fn user_stream_events(
    ctx: &Context<'_>,
    added: bool,
) -> Result<impl Stream<Item = Option<JsonObject>>> {
    Ok(user_events(ctx).await?.filter_map(move |event| async move {
        (event.added == added)
            .then(|| Some(JsonObject(serde_json::json!({ "id": event.project_id }))))
    }))
}
