//! The legacy subscriptions (`commitCreated`, `streamUpdated`, `userStreamAdded`, …): the
//! modern subscriptions' events, answered as the JSON older connectors expect.

use async_graphql::{Context, Result, Subscription};
use fleck_core::auth::Actor;
use fleck_core::authz::Action;
use fleck_core::projects::events::{Change, ProjectEvent};
use fleck_core::projects::{models, service, versions};
use fleck_core::Core;
use futures::stream::BoxStream;
use futures::StreamExt;
use serde_json::json;

use crate::graphql::scalars::JsonObject;
use crate::graphql::subscriptions::{project_events, user_events};

#[derive(Default)]
pub struct LegacySubscription;

/// What each legacy subscription sends: JSON, or nothing for an event it leaves out.
type LegacyEvents = BoxStream<'static, Option<JsonObject>>;

#[Subscription]
impl LegacySubscription {
    /// Legacy: a version was created on the stream, as JSON.
    async fn commit_created(&self, ctx: &Context<'_>, stream_id: String) -> Result<LegacyEvents> {
        stream_events(ctx, &stream_id, Watch::Commit(Change::Created, None)).await
    }

    /// Legacy: a commit changed (only `commitId` when given), as JSON.
    async fn commit_updated(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
        commit_id: Option<String>,
    ) -> Result<LegacyEvents> {
        stream_events(ctx, &stream_id, Watch::Commit(Change::Updated, commit_id)).await
    }

    /// Legacy: a commit was deleted, as JSON with its id.
    async fn commit_deleted(&self, ctx: &Context<'_>, stream_id: String) -> Result<LegacyEvents> {
        stream_events(ctx, &stream_id, Watch::Commit(Change::Deleted, None)).await
    }

    /// Legacy: a model was created on the stream, as JSON.
    async fn branch_created(&self, ctx: &Context<'_>, stream_id: String) -> Result<LegacyEvents> {
        stream_events(ctx, &stream_id, Watch::Branch(Change::Created, None)).await
    }

    /// Legacy: a branch changed (only `branchId` when given), as JSON.
    async fn branch_updated(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
        branch_id: Option<String>,
    ) -> Result<LegacyEvents> {
        stream_events(ctx, &stream_id, Watch::Branch(Change::Updated, branch_id)).await
    }

    /// Legacy: a branch was deleted, as JSON with its id.
    async fn branch_deleted(&self, ctx: &Context<'_>, stream_id: String) -> Result<LegacyEvents> {
        stream_events(ctx, &stream_id, Watch::Branch(Change::Deleted, None)).await
    }

    /// Legacy: the stream's fields changed, as JSON.
    async fn stream_updated(&self, ctx: &Context<'_>, stream_id: String) -> Result<LegacyEvents> {
        stream_events(ctx, &stream_id, Watch::Stream(Change::Updated)).await
    }

    /// Legacy: the stream was deleted, as JSON with its id.
    async fn stream_deleted(&self, ctx: &Context<'_>, stream_id: String) -> Result<LegacyEvents> {
        stream_events(ctx, &stream_id, Watch::Stream(Change::Deleted)).await
    }

    /// Legacy: a stream was added to the caller's list, as JSON.
    async fn user_stream_added(&self, ctx: &Context<'_>) -> Result<LegacyEvents> {
        user_stream_events(ctx, true).await
    }

    /// Legacy: a stream was removed from the caller's list, as JSON.
    async fn user_stream_removed(&self, ctx: &Context<'_>) -> Result<LegacyEvents> {
        user_stream_events(ctx, false).await
    }
}

/// The project events one legacy subscription passes on: a change of the stream, or of its
/// branches or commits (one of them when an id is given).
#[derive(Clone)]
enum Watch {
    Stream(Change),
    Branch(Change, Option<String>),
    Commit(Change, Option<String>),
}

/// The stream's events that `watch` picks, each as the JSON legacy clients expect.
async fn stream_events(ctx: &Context<'_>, stream_id: &str, watch: Watch) -> Result<LegacyEvents> {
    let events = project_events(ctx, stream_id).await?;
    Ok(events
        .filter_map(move |(event, core, actor, project_id)| {
            let watch = watch.clone();
            async move {
                legacy_json(&core, &actor, &project_id, event, &watch)
                    .await
                    .map(Some)
            }
        })
        .boxed())
}

/// The JSON of a picked event; `None` for events `watch` does not pick, or whose subject is
/// gone (or no longer readable) by the time it is sent.
async fn legacy_json(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    event: ProjectEvent,
    watch: &Watch,
) -> Option<JsonObject> {
    let wanted = |wanted: &Option<String>, id: &str| wanted.as_deref().is_none_or(|w| w == id);
    let json = match (watch, event) {
        (Watch::Stream(watched), ProjectEvent::Project { change }) if *watched == change => {
            match change {
                Change::Deleted => json!({ "streamId": project_id }),
                _ => {
                    let access = service::load(core, actor, project_id, Action::ReadProject)
                        .await
                        .ok()?;
                    let project = access.project;
                    json!({
                        "id": project.id,
                        "name": project.name,
                        "description": project.description,
                    })
                }
            }
        }
        (Watch::Branch(watched, id), ProjectEvent::Model { model_id, change })
            if *watched == change && wanted(id, &model_id) =>
        {
            if change == Change::Deleted {
                json!({ "id": model_id, "streamId": project_id })
            } else {
                let model = models::find(core, project_id, &model_id).await.ok()?;
                let mut json = json!({
                    "id": model.id,
                    "streamId": project_id,
                    "name": model.name,
                    "description": model.description,
                });
                if change == Change::Created {
                    json["authorId"] = json!(model.author_id);
                }
                json
            }
        }
        (
            Watch::Commit(watched, id),
            ProjectEvent::Version {
                version_id, change, ..
            },
        ) if *watched == change && wanted(id, &version_id) => {
            if change == Change::Deleted {
                json!({ "id": version_id, "streamId": project_id })
            } else {
                return commit_json(core, project_id, &version_id).await;
            }
        }
        _ => return None,
    };
    Some(JsonObject(json))
}

/// A version as legacy clients receive it in `commitCreated` and `commitUpdated`.
async fn commit_json(core: &Core, project_id: &str, version_id: &str) -> Option<JsonObject> {
    let version = versions::find(core, project_id, version_id).await.ok()?;
    let branch = models::find(core, project_id, &version.model_id)
        .await
        .ok()?;
    Some(JsonObject(json!({
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
async fn user_stream_events(ctx: &Context<'_>, added: bool) -> Result<LegacyEvents> {
    Ok(user_events(ctx)
        .await?
        .filter_map(move |event| async move {
            (event.added == added).then(|| Some(JsonObject(json!({ "id": event.project_id }))))
        })
        .boxed())
}
