//! Subscriptions: change notifications from the cache's pub/sub (so every replica sees every
//! change), each reloaded with the subscriber's own access rights before it is sent.

use async_graphql::{Context, Enum, Result, SimpleObject, Subscription};
use fleck_core::auth::Actor;
use fleck_core::authz::Action;
use fleck_core::projects::events::{self, Change, ProjectEvent, UserProjectsEvent};
use fleck_core::projects::{models, service, versions};
use fleck_core::Core;
use futures::{Stream, StreamExt};

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use fleck_core::auth::flow;

use fleck_core::ingestions::service as ingestion_service;

use super::context::{actor, core, load};
use super::errors::{code, from_core, unauthenticated};
use super::ingestions::{
    ModelIngestion, ModelIngestionReference, ProjectModelIngestionSubscriptionInput,
    ProjectModelIngestionUpdatedMessage, ProjectModelIngestionUpdatedMessageType,
};
use super::models::Model;
use super::projects::Project;
use super::versions::Version;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ProjectUpdatedMessageType {
    Updated,
    Deleted,
}

#[derive(SimpleObject)]
pub struct ProjectUpdatedMessage {
    id: String,
    project: Option<Project>,
    #[graphql(name = "type")]
    kind: ProjectUpdatedMessageType,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ProjectModelsUpdatedMessageType {
    Created,
    Updated,
    Deleted,
}

#[derive(SimpleObject)]
pub struct ProjectModelsUpdatedMessage {
    id: String,
    model: Option<Model>,
    #[graphql(name = "type")]
    kind: ProjectModelsUpdatedMessageType,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ProjectVersionsUpdatedMessageType {
    Created,
    Updated,
    Deleted,
}

#[derive(SimpleObject)]
pub struct ProjectVersionsUpdatedMessage {
    id: String,
    model_id: String,
    version: Option<Version>,
    #[graphql(name = "type")]
    kind: ProjectVersionsUpdatedMessageType,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum UserProjectsUpdatedMessageType {
    Added,
    Removed,
}

#[derive(SimpleObject)]
pub struct UserProjectsUpdatedMessage {
    id: String,
    project: Option<Project>,
    #[graphql(name = "type")]
    kind: UserProjectsUpdatedMessageType,
}

fn model_kind(change: Change) -> ProjectModelsUpdatedMessageType {
    match change {
        Change::Created => ProjectModelsUpdatedMessageType::Created,
        Change::Updated => ProjectModelsUpdatedMessageType::Updated,
        Change::Deleted => ProjectModelsUpdatedMessageType::Deleted,
    }
}

fn version_kind(change: Change) -> ProjectVersionsUpdatedMessageType {
    match change {
        Change::Created => ProjectVersionsUpdatedMessageType::Created,
        Change::Updated => ProjectVersionsUpdatedMessageType::Updated,
        Change::Deleted => ProjectVersionsUpdatedMessageType::Deleted,
    }
}

/// The most subscriptions one WebSocket may hold at once.
pub const MAX_PER_SOCKET: usize = 50;

/// The subscriptions a WebSocket holds, in its connection data.
#[derive(Clone, Default)]
pub struct SocketSubscriptions(Arc<AtomicUsize>);

/// One subscription counted against its socket's budget for as long as it lives.
struct Held(Arc<AtomicUsize>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl SocketSubscriptions {
    fn hold(&self) -> Result<Held> {
        if self.0.fetch_add(1, Ordering::SeqCst) >= MAX_PER_SOCKET {
            self.0.fetch_sub(1, Ordering::SeqCst);
            return Err(code(
                format!("A connection may hold at most {MAX_PER_SOCKET} subscriptions."),
                "TOO_MANY_SUBSCRIPTIONS",
            ));
        }
        Ok(Held(self.0.clone()))
    }
}

/// The messages of one channel, counted against the socket's budget while the stream lives;
/// they end once the subscriber's token stops working or `still_allowed` says no.
async fn listen<F, Fut>(
    ctx: &Context<'_>,
    channel: &str,
    still_allowed: F,
) -> Result<impl Stream<Item = Vec<u8>>>
where
    F: Fn(Core, Actor) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = fleck_core::Result<bool>> + Send,
{
    let held = ctx
        .data_opt::<SocketSubscriptions>()
        .map(SocketSubscriptions::hold)
        .transpose()?;
    let core = core(ctx).clone();
    let actor = actor(ctx).clone();
    let messages = core.cache.subscribe(channel).await.map_err(from_core)?;
    let still_allowed = Arc::new(still_allowed);
    Ok(messages
        .then(move |message| {
            let (core, actor, still_allowed) = (core.clone(), actor.clone(), still_allowed.clone());
            async move {
                // A store that cannot answer now ends nobody's subscription.
                let allowed = still_allowed(core, actor).await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "cannot recheck a subscriber's access");
                    true
                });
                (message, allowed)
            }
        })
        .take_while(|(_, allowed)| std::future::ready(*allowed))
        .map(move |(message, _)| {
            let _counted = &held;
            message
        }))
}

/// The events of one project the subscriber may read, with what they need to reload entities.
pub(super) async fn project_events(
    ctx: &Context<'_>,
    project_id: &str,
) -> Result<impl Stream<Item = (ProjectEvent, Core, Actor, String)>> {
    load(ctx, project_id, Action::ReadProject).await?;
    let core = core(ctx).clone();
    let actor = actor(ctx).clone();
    let project_id = project_id.to_string();
    let id = project_id.clone();
    let messages = listen(
        ctx,
        &events::project_channel(&project_id),
        move |core, actor| {
            let id = id.clone();
            async move { service::still_readable(&core, &actor, &id).await }
        },
    )
    .await?;
    Ok(messages.filter_map(move |message| {
        let event = serde_json::from_slice::<ProjectEvent>(&message).ok();
        let extra = (core.clone(), actor.clone(), project_id.clone());
        async move { event.map(|e| (e, extra.0, extra.1, extra.2)) }
    }))
}

/// The messages about the caller's list of projects, while their token works.
pub(super) async fn user_events(
    ctx: &Context<'_>,
) -> Result<impl Stream<Item = UserProjectsEvent>> {
    let Some(principal) = actor(ctx).principal() else {
        return Err(unauthenticated());
    };
    let channel = events::user_channel(&principal.user.id);
    let messages = listen(ctx, &channel, |core, actor| async move {
        match actor.principal() {
            Some(principal) => flow::still_valid(&core, principal).await,
            None => Ok(false),
        }
    })
    .await?;
    Ok(messages.filter_map(|message| async move { serde_json::from_slice(&message).ok() }))
}

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// The project's own fields changed, or it was deleted.
    async fn project_updated(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> Result<impl Stream<Item = ProjectUpdatedMessage>> {
        Ok(project_events(ctx, &id)
            .await?
            .filter_map(|(event, core, actor, id)| async move {
                let ProjectEvent::Project { change } = event else {
                    return None;
                };
                let project = service::load(&core, &actor, &id, Action::ReadProject).await;
                Some(match (change, project) {
                    (Change::Deleted, _) | (_, Err(_)) => ProjectUpdatedMessage {
                        id,
                        project: None,
                        kind: ProjectUpdatedMessageType::Deleted,
                    },
                    (_, Ok(access)) => ProjectUpdatedMessage {
                        id,
                        project: Some(Project(access)),
                        kind: ProjectUpdatedMessageType::Updated,
                    },
                })
            }))
    }

    /// Models of the project were created, changed or deleted (only `modelIds` when given).
    async fn project_models_updated(
        &self,
        ctx: &Context<'_>,
        id: String,
        model_ids: Option<Vec<String>>,
    ) -> Result<impl Stream<Item = ProjectModelsUpdatedMessage>> {
        Ok(project_events(ctx, &id)
            .await?
            .filter_map(move |(event, core, actor, project_id)| {
                let wanted = model_ids.clone();
                async move {
                    let ProjectEvent::Model { model_id, change } = event else {
                        return None;
                    };
                    if wanted.is_some_and(|ids| !ids.contains(&model_id)) {
                        return None;
                    }
                    let model = match change {
                        Change::Deleted => None,
                        _ => {
                            let access =
                                service::load(&core, &actor, &project_id, Action::ReadProject)
                                    .await
                                    .ok()?;
                            let model = models::find(&core, &project_id, &model_id).await.ok()?;
                            Some(Model::new(model, access))
                        }
                    };
                    Some(ProjectModelsUpdatedMessage {
                        id: model_id,
                        model,
                        kind: model_kind(change),
                    })
                }
            }))
    }

    /// Versions of the project were created, changed or deleted.
    async fn project_versions_updated(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> Result<impl Stream<Item = ProjectVersionsUpdatedMessage>> {
        Ok(project_events(ctx, &id).await?.filter_map(
            |(event, core, actor, project_id)| async move {
                let ProjectEvent::Version {
                    version_id,
                    model_id,
                    change,
                } = event
                else {
                    return None;
                };
                let version = match change {
                    Change::Deleted => None,
                    _ => {
                        let access = service::load(&core, &actor, &project_id, Action::ReadProject)
                            .await
                            .ok()?;
                        let version = versions::find(&core, &project_id, &version_id).await.ok()?;
                        Some(Version::new(version, access))
                    }
                };
                Some(ProjectVersionsUpdatedMessage {
                    id: version_id,
                    model_id,
                    version,
                    kind: version_kind(change),
                })
            },
        ))
    }

    /// Projects were added to or removed from the caller's list.
    async fn user_projects_updated(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = UserProjectsUpdatedMessage>> {
        let core = core(ctx).clone();
        let actor = actor(ctx).clone();
        Ok(user_events(ctx).await?.then(move |event| {
            let core = core.clone();
            let actor = actor.clone();
            async move {
                let project = if event.added {
                    service::load(&core, &actor, &event.project_id, Action::ReadProject)
                        .await
                        .ok()
                        .map(Project)
                } else {
                    None
                };
                UserProjectsUpdatedMessage {
                    id: event.project_id,
                    kind: if event.added {
                        UserProjectsUpdatedMessageType::Added
                    } else {
                        UserProjectsUpdatedMessageType::Removed
                    },
                    project,
                }
            }
        }))
    }

    /// Model ingestions of the project changed: one, or any of a model's; only messages of
    /// `messageType` when given.
    async fn project_model_ingestion_updated(
        &self,
        ctx: &Context<'_>,
        input: ProjectModelIngestionSubscriptionInput,
    ) -> Result<impl Stream<Item = ProjectModelIngestionUpdatedMessage>> {
        let wanted = input.message_type;
        let reference = input.ingestion_reference;
        Ok(project_events(ctx, &input.project_id).await?.filter_map(
            move |(event, core, actor, project_id)| {
                let reference = reference.clone();
                async move {
                    let ProjectEvent::Ingestion {
                        ingestion_id,
                        model_id,
                        news,
                    } = event
                    else {
                        return None;
                    };
                    let kind = ProjectModelIngestionUpdatedMessageType::from(news);
                    let about = match &reference {
                        ModelIngestionReference::IngestionId(id) => id.0 == ingestion_id,
                        ModelIngestionReference::ModelId(id) => id.0 == model_id,
                    };
                    if !about || wanted.is_some_and(|wanted| wanted != kind) {
                        return None;
                    }
                    let ingestion =
                        ingestion_service::find(&core, &actor, &project_id, &ingestion_id)
                            .await
                            .ok()?;
                    Some(ProjectModelIngestionUpdatedMessage {
                        model_ingestion: ModelIngestion(ingestion),
                        kind,
                    })
                }
            },
        ))
    }

    /// Comment threads of the project (only those about `target`'s resources) were created,
    /// replied to, edited or archived.
    async fn project_comments_updated(
        &self,
        ctx: &Context<'_>,
        target: super::comments::ViewerUpdateTrackingTarget,
    ) -> Result<impl Stream<Item = super::comments::ProjectCommentsUpdatedMessage>> {
        super::comments::updates(ctx, target).await
    }
}
