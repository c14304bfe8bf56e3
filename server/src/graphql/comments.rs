//! Comment threads with Speckle's names: `Comment`, `Project.commentThreads`/`comment`,
//! `Model`/`Version.commentThreads`, `commentMutations`, the legacy `comment*` operations and
//! the notification preferences; the rules are `fleck_core::comments::service`.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use fleck_core::comments::service::{self, About, Content, NewThread, ThreadQuery};
use fleck_core::comments::{
    notify, text, Archived, Comment as Domain, Link, ResourceKind, Targets,
};
use fleck_core::projects::service::Access;
use fleck_core::projects::Window;

use super::attachments::BlobMetadata;
use super::context::{actor, core, load, signed_in};
use super::errors::from_core;
use super::paging::{page, Collection, Page};
use super::permissions::PermissionCheckResult;
use super::scalars::JsonObject;
use super::users::LimitedUser;

/// The largest page of threads or replies.
pub const MAX_PAGE: i64 = 100;

/// A thread or reply as the caller sees it, with the project access it was read under.
#[derive(Clone)]
pub struct Comment {
    comment: Domain,
    access: Access,
}

impl Comment {
    pub fn new(comment: Domain, access: Access) -> Self {
        Comment { comment, access }
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "lowercase")]
pub enum ResourceType {
    Comment,
    Object,
    Commit,
    Stream,
}

impl ResourceType {
    fn of(kind: ResourceKind) -> Self {
        match kind {
            ResourceKind::Stream => Self::Stream,
            ResourceKind::Commit => Self::Commit,
            ResourceKind::Object => Self::Object,
        }
    }
}

#[derive(SimpleObject)]
pub struct ResourceIdentifier {
    resource_id: String,
    resource_type: ResourceType,
}

#[derive(InputObject)]
pub struct ResourceIdentifierInput {
    resource_id: String,
    resource_type: ResourceType,
}

#[derive(SimpleObject)]
pub struct ViewerResourceItem {
    /// `null` for an object.
    model_id: Option<String>,
    /// `null` for an object.
    version_id: Option<String>,
    object_id: String,
}

/// A comment's text: the document and the files attached to it.
pub struct SmartTextEditorValue {
    text: fleck_core::comments::RichText,
    project_id: String,
}

#[Object]
impl SmartTextEditorValue {
    async fn version(&self) -> &str {
        &self.text.version
    }

    #[graphql(name = "type")]
    async fn kind(&self) -> &str {
        &self.text.kind
    }

    async fn doc(&self) -> Option<JsonObject> {
        self.text.doc.clone().map(JsonObject)
    }

    /// The attached files that still exist.
    async fn attachments(&self, ctx: &Context<'_>) -> Result<Option<Vec<BlobMetadata>>> {
        if self.text.blob_ids.is_empty() {
            return Ok(None);
        }
        let files = service::attachments(core(ctx), &self.project_id, &self.text.blob_ids)
            .await
            .map_err(from_core)?;
        Ok(Some(files.into_iter().map(BlobMetadata::from).collect()))
    }
}

#[derive(SimpleObject)]
pub struct CommentReplyAuthorCollection {
    items: Vec<LimitedUser>,
    total_count: i64,
}

pub struct CommentPermissionChecks<'a>(&'a Comment);

#[Object]
impl CommentPermissionChecks<'_> {
    async fn can_archive(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        if service::may_archive(&self.0.access, actor(ctx), &self.0.comment) {
            PermissionCheckResult::ok()
        } else {
            PermissionCheckResult::denied(
                "Only the comment's author or the project's owners can archive it.",
            )
        }
    }
}

#[Object]
impl Comment {
    async fn id(&self) -> &str {
        &self.comment.id
    }

    async fn author_id(&self) -> &str {
        &self.comment.author_id
    }

    async fn author(&self, ctx: &Context<'_>) -> Result<LimitedUser> {
        service::author(core(ctx), &self.comment)
            .await
            .map(LimitedUser::from)
            .map_err(from_core)
    }

    async fn archived(&self) -> bool {
        self.comment.archived
    }

    async fn screenshot(&self) -> Option<&str> {
        self.comment.screenshot.as_deref()
    }

    async fn text(&self) -> SmartTextEditorValue {
        SmartTextEditorValue {
            text: self.comment.text.clone(),
            project_id: self.comment.project_id.clone(),
        }
    }

    /// The text without formatting, for previews.
    async fn raw_text(&self) -> &str {
        &self.comment.raw_text
    }

    /// The viewer's serialized state when the thread was written.
    async fn viewer_state(&self) -> Option<JsonObject> {
        self.comment.viewer_state.clone().map(JsonObject)
    }

    #[graphql(deprecation = "Use the new viewerState field instead")]
    async fn data(&self) -> Option<JsonObject> {
        self.comment.data.clone().map(JsonObject)
    }

    /// What the thread is about; a reply is about its thread.
    async fn resources(&self) -> Vec<ResourceIdentifier> {
        if let Some(parent) = &self.comment.parent_id {
            return vec![ResourceIdentifier {
                resource_id: parent.clone(),
                resource_type: ResourceType::Comment,
            }];
        }
        self.comment
            .links
            .iter()
            .map(|l| ResourceIdentifier {
                resource_id: l.id.clone(),
                resource_type: ResourceType::of(l.kind),
            })
            .collect()
    }

    /// What the thread is about, as the viewer loads it (a model's version, or an object).
    async fn viewer_resources(&self, ctx: &Context<'_>) -> Result<Vec<ViewerResourceItem>> {
        let items = service::viewer_resources(core(ctx), &self.comment)
            .await
            .map_err(from_core)?;
        Ok(items
            .into_iter()
            .map(|i| ViewerResourceItem {
                model_id: i.model_id,
                version_id: i.version_id,
                object_id: i.object_id,
            })
            .collect())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.comment.created_at
    }

    /// The last change, or the newest reply for a thread.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.comment.updated_at
    }

    /// When the caller last opened it; `null` for anonymous callers and unread threads.
    async fn viewed_at(&self) -> Option<DateTime<Utc>> {
        self.comment.viewed_at
    }

    #[graphql(complexity = "super::paging::cost(limit, 25, 100, child_complexity)")]
    async fn replies(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<CommentCollection> {
        let window = page(limit, cursor.as_deref(), 25, MAX_PAGE)?;
        let listed = service::replies(
            core(ctx),
            &self.access,
            actor(ctx),
            &self.comment.id,
            window,
        )
        .await
        .map_err(from_core)?;
        Ok(CommentCollection::new(
            listed.items,
            listed.total,
            window,
            &self.access,
        ))
    }

    async fn replies_count(&self) -> i64 {
        self.comment.reply_count
    }

    #[graphql(complexity = "super::paging::cost(Some(limit), 25, 100, child_complexity)")]
    async fn reply_authors(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 25)] limit: i32,
    ) -> Result<CommentReplyAuthorCollection> {
        let limit = i64::from(limit).clamp(0, MAX_PAGE);
        let (users, total) = service::reply_authors(core(ctx), &self.comment.id, limit)
            .await
            .map_err(from_core)?;
        Ok(CommentReplyAuthorCollection {
            items: users.into_iter().map(LimitedUser::from).collect(),
            total_count: total,
        })
    }

    #[graphql(deprecation = "Not actually implemented")]
    async fn reactions(&self) -> Option<Vec<Option<String>>> {
        None
    }

    async fn has_parent(&self) -> bool {
        self.comment.parent_id.is_some()
    }

    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<Comment>> {
        let Some(parent) = &self.comment.parent_id else {
            return Ok(None);
        };
        let found = service::find_in(core(ctx), &self.access, actor(ctx), parent)
            .await
            .map_err(from_core)?;
        Ok(Some(Comment::new(found, self.access.clone())))
    }

    async fn permissions(&self) -> CommentPermissionChecks<'_> {
        CommentPermissionChecks(self)
    }
}

pub type CommentCollection = Collection<Comment>;

impl CommentCollection {
    fn new(items: Vec<Domain>, total: i64, window: Window, access: &Access) -> Self {
        let items = items
            .into_iter()
            .map(|c| Comment::new(c, access.clone()))
            .collect();
        Collection::page(window, total, items)
    }
}

#[derive(SimpleObject)]
pub struct ProjectCommentCollection {
    total_count: i64,
    total_archived_count: i64,
    cursor: Option<String>,
    items: Vec<Comment>,
}

#[derive(InputObject)]
pub struct ProjectCommentsFilter {
    /// Only threads about these resources (the viewer's resource string).
    resource_id_string: Option<String>,
    /// Only threads of the versions named, not of any version of the models named.
    loaded_versions_only: Option<bool>,
    /// Archived (resolved) threads too.
    include_archived: Option<bool>,
}

/// `Project.commentThreads`.
pub async fn project_threads(
    ctx: &Context<'_>,
    access: &Access,
    cursor: Option<String>,
    limit: Option<i32>,
    filter: Option<ProjectCommentsFilter>,
) -> Result<ProjectCommentCollection> {
    let window = page(limit, cursor.as_deref(), 25, MAX_PAGE)?;
    let query = match filter {
        Some(f) => ThreadQuery {
            resource_id_string: f.resource_id_string,
            loaded_versions_only: f.loaded_versions_only.unwrap_or(false),
            archived: Some(if f.include_archived.unwrap_or(false) {
                Archived::Include
            } else {
                Archived::Exclude
            }),
        },
        None => ThreadQuery::default(),
    };
    let found = service::threads(core(ctx), access, actor(ctx), query, window)
        .await
        .map_err(from_core)?;
    let Page { cursor } = Page::after(window, found.items.len(), found.total);
    Ok(ProjectCommentCollection {
        total_count: found.total,
        total_archived_count: found.total_archived,
        cursor,
        items: found
            .items
            .into_iter()
            .map(|c| Comment::new(c, access.clone()))
            .collect(),
    })
}

/// `Model.commentThreads` (any version of the model) and `Version.commentThreads`.
pub async fn threads_about(
    ctx: &Context<'_>,
    access: &Access,
    targets: Targets,
    cursor: Option<String>,
    limit: i32,
) -> Result<CommentCollection> {
    let window = page(Some(limit), cursor.as_deref(), 25, MAX_PAGE)?;
    let found = service::threads_about(core(ctx), access, actor(ctx), targets, window)
        .await
        .map_err(from_core)?;
    Ok(CommentCollection::new(
        found.items,
        found.total,
        window,
        access,
    ))
}

/// `Project.comment(id)`: `null` when the project has no such comment.
pub async fn project_comment(
    ctx: &Context<'_>,
    access: &Access,
    id: &str,
) -> Result<Option<Comment>> {
    match service::find_in(core(ctx), access, actor(ctx), id).await {
        Ok(found) => Ok(Some(Comment::new(found, access.clone()))),
        Err(fleck_core::Error::NotFound(_)) => Ok(None),
        Err(e) => Err(from_core(e)),
    }
}

/// `ProjectPermissionChecks.canCreateComment`.
pub fn can_create(access: &Access, actor: &fleck_core::auth::Actor) -> PermissionCheckResult {
    super::permissions::check(access, actor, fleck_core::authz::Action::Comment)
}

#[derive(InputObject)]
pub struct CommentContentInput {
    doc: Option<JsonObject>,
    blob_ids: Option<Vec<String>>,
}

impl From<CommentContentInput> for Content {
    fn from(input: CommentContentInput) -> Self {
        Content {
            doc: input.doc.map(|d| d.0),
            blob_ids: input.blob_ids.unwrap_or_default(),
        }
    }
}

#[derive(InputObject)]
pub struct CreateCommentInput {
    project_id: String,
    content: CommentContentInput,
    /// The viewer's serialized state; without it the thread shows in lists but not in 3D.
    viewer_state: Option<JsonObject>,
    /// What the thread is about (the viewer's resource string).
    resource_id_string: String,
    screenshot: Option<String>,
}

#[derive(InputObject)]
pub struct CreateCommentReplyInput {
    content: CommentContentInput,
    thread_id: String,
    project_id: String,
}

#[derive(InputObject)]
pub struct EditCommentInput {
    comment_id: String,
    project_id: String,
    content: CommentContentInput,
}

#[derive(InputObject)]
pub struct MarkCommentViewedInput {
    comment_id: String,
    project_id: String,
}

#[derive(InputObject)]
pub struct ArchiveCommentInput {
    comment_id: String,
    project_id: String,
    archived: bool,
}

#[derive(Default)]
pub struct CommentMutation;

#[Object]
impl CommentMutation {
    async fn comment_mutations(&self, ctx: &Context<'_>) -> Result<CommentMutations> {
        signed_in(ctx)?;
        Ok(CommentMutations)
    }

    /// Legacy: starts a thread about resources; answers its id.
    #[graphql(deprecation = "Use commentMutations version")]
    async fn comment_create(&self, ctx: &Context<'_>, input: CommentCreateInput) -> Result<String> {
        signed_in(ctx)?;
        let links = input
            .resources
            .into_iter()
            .flatten()
            .map(|r| legacy_link(r, &input.stream_id))
            .collect::<Result<Vec<Link>>>()?;
        let new = NewThread {
            about: About::Resources(links),
            content: legacy_content(input.text, input.blob_ids),
            viewer_state: None,
            data: Some(input.data.0),
            screenshot: input.screenshot,
        };
        service::create_thread(core(ctx), actor(ctx), &input.stream_id, new)
            .await
            .map(|c| c.id)
            .map_err(from_core)
    }

    /// Legacy: replies to a thread; answers the reply's id.
    #[graphql(deprecation = "Use commentMutations version")]
    async fn comment_reply(&self, ctx: &Context<'_>, input: ReplyCreateInput) -> Result<String> {
        signed_in(ctx)?;
        service::reply(
            core(ctx),
            actor(ctx),
            &input.stream_id,
            &input.parent_comment,
            legacy_content(input.text, input.blob_ids),
            input.data.map(|d| d.0),
        )
        .await
        .map(|c| c.id)
        .map_err(from_core)
    }

    /// Legacy: replaces the text of one's own comment.
    #[graphql(deprecation = "Use commentMutations version")]
    async fn comment_edit(&self, ctx: &Context<'_>, input: CommentEditInput) -> Result<bool> {
        signed_in(ctx)?;
        service::edit(
            core(ctx),
            actor(ctx),
            &input.stream_id,
            &input.id,
            legacy_content(input.text, input.blob_ids),
        )
        .await
        .map(|_| true)
        .map_err(from_core)
    }

    /// Legacy: archives (or restores) a comment.
    #[graphql(deprecation = "Use commentMutations version")]
    async fn comment_archive(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
        comment_id: String,
        #[graphql(default = true)] archived: bool,
    ) -> Result<bool> {
        signed_in(ctx)?;
        service::archive(core(ctx), actor(ctx), &stream_id, &comment_id, archived)
            .await
            .map(|_| true)
            .map_err(from_core)
    }

    /// Legacy: marks a comment read by the caller.
    #[graphql(deprecation = "Use commentMutations version")]
    async fn comment_view(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
        comment_id: String,
    ) -> Result<bool> {
        signed_in(ctx)?;
        service::mark_viewed(core(ctx), actor(ctx), &stream_id, &comment_id)
            .await
            .map(|_| true)
            .map_err(from_core)
    }

    /// Saves which notifications the caller wants by e-mail.
    async fn user_notification_preferences_update(
        &self,
        ctx: &Context<'_>,
        preferences: JsonObject,
    ) -> Result<Option<bool>> {
        signed_in(ctx)?;
        notify::update_preferences(core(ctx), actor(ctx), preferences.0)
            .await
            .map(|_| Some(true))
            .map_err(from_core)
    }
}

pub struct CommentMutations;

#[Object]
impl CommentMutations {
    async fn mark_viewed(&self, ctx: &Context<'_>, input: MarkCommentViewedInput) -> Result<bool> {
        service::mark_viewed(core(ctx), actor(ctx), &input.project_id, &input.comment_id)
            .await
            .map(|_| true)
            .map_err(from_core)
    }

    async fn create(&self, ctx: &Context<'_>, input: CreateCommentInput) -> Result<Comment> {
        let new = NewThread {
            about: About::ResourceIdString(input.resource_id_string),
            content: input.content.into(),
            viewer_state: input.viewer_state.map(|s| s.0),
            data: None,
            screenshot: input.screenshot,
        };
        let created = service::create_thread(core(ctx), actor(ctx), &input.project_id, new)
            .await
            .map_err(from_core)?;
        with_access(ctx, created).await
    }

    async fn reply(&self, ctx: &Context<'_>, input: CreateCommentReplyInput) -> Result<Comment> {
        let created = service::reply(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &input.thread_id,
            input.content.into(),
            None,
        )
        .await
        .map_err(from_core)?;
        with_access(ctx, created).await
    }

    async fn edit(&self, ctx: &Context<'_>, input: EditCommentInput) -> Result<Comment> {
        let edited = service::edit(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &input.comment_id,
            input.content.into(),
        )
        .await
        .map_err(from_core)?;
        with_access(ctx, edited).await
    }

    async fn archive(&self, ctx: &Context<'_>, input: ArchiveCommentInput) -> Result<bool> {
        service::archive(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &input.comment_id,
            input.archived,
        )
        .await
        .map(|_| true)
        .map_err(from_core)
    }
}

/// A comment the caller just wrote, with their access to its project for its fields.
async fn with_access(ctx: &Context<'_>, comment: Domain) -> Result<Comment> {
    let access = load(
        ctx,
        &comment.project_id,
        fleck_core::authz::Action::ReadProject,
    )
    .await?;
    Ok(Comment::new(comment, access))
}

#[derive(InputObject)]
pub struct CommentCreateInput {
    stream_id: String,
    resources: Vec<Option<ResourceIdentifierInput>>,
    /// A rich-text document.
    text: Option<JsonObject>,
    data: JsonObject,
    blob_ids: Vec<String>,
    screenshot: Option<String>,
}

#[derive(InputObject)]
pub struct ReplyCreateInput {
    stream_id: String,
    parent_comment: String,
    text: Option<JsonObject>,
    blob_ids: Vec<String>,
    data: Option<JsonObject>,
}

#[derive(InputObject)]
pub struct CommentEditInput {
    stream_id: String,
    id: String,
    text: Option<JsonObject>,
    blob_ids: Vec<String>,
}

/// Legacy texts are the document itself, or Speckle's stored value holding one.
fn legacy_content(text: Option<JsonObject>, blob_ids: Vec<String>) -> Content {
    let doc = text.map(|t| match t.0.get("doc") {
        Some(doc) if t.0.get("type").and_then(|v| v.as_str()) != Some("doc") => doc.clone(),
        _ => t.0,
    });
    let doc = match doc {
        Some(serde_json::Value::String(plain)) => Some(text::document_of(&plain)),
        other => other,
    };
    Content { doc, blob_ids }
}

fn legacy_link(input: ResourceIdentifierInput, project_id: &str) -> Result<Link> {
    let kind =
        match input.resource_type {
            ResourceType::Commit => ResourceKind::Commit,
            ResourceType::Object => ResourceKind::Object,
            ResourceType::Stream => ResourceKind::Stream,
            ResourceType::Comment => return Err(super::errors::code(
                "A thread is about versions, objects or its project; reply to a comment instead.",
                "BAD_USER_INPUT",
            )),
        };
    let id = if kind == ResourceKind::Stream && input.resource_id.is_empty() {
        project_id.to_string()
    } else {
        input.resource_id
    };
    Ok(Link { kind, id })
}

#[derive(Default)]
pub struct CommentQuery;

#[Object]
impl CommentQuery {
    /// Legacy: one comment of a stream.
    #[graphql(deprecation = "Use Project.comment instead.")]
    async fn comment(
        &self,
        ctx: &Context<'_>,
        id: String,
        stream_id: String,
    ) -> Result<Option<Comment>> {
        let access = load(ctx, &stream_id, fleck_core::authz::Action::ReadProject).await?;
        project_comment(ctx, &access, &id).await
    }

    /// Legacy: a stream's threads, or those about any of `resources`; a `comment` resource
    /// lists that thread's replies.
    #[graphql(
        deprecation = "Use Project/Version/Model 'commentThreads' fields instead",
        complexity = "super::paging::cost(limit, 25, 100, child_complexity)"
    )]
    async fn comments(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
        resources: Option<Vec<Option<ResourceIdentifierInput>>>,
        #[graphql(default = 25)] limit: Option<i32>,
        cursor: Option<String>,
        #[graphql(default = false)] archived: bool,
    ) -> Result<Option<CommentCollection>> {
        let access = load(ctx, &stream_id, fleck_core::authz::Action::ReadProject).await?;
        let window = page(limit, cursor.as_deref(), 25, MAX_PAGE)?;
        let resources: Vec<ResourceIdentifierInput> = resources
            .unwrap_or_default()
            .into_iter()
            .flatten()
            .collect();
        if let Some(thread) = resources
            .iter()
            .find(|r| r.resource_type == ResourceType::Comment)
        {
            let listed =
                service::replies(core(ctx), &access, actor(ctx), &thread.resource_id, window)
                    .await
                    .map_err(from_core)?;
            return Ok(Some(CommentCollection::new(
                listed.items,
                listed.total,
                window,
                &access,
            )));
        }
        let links = if resources.is_empty() {
            None
        } else {
            Some(
                resources
                    .into_iter()
                    .map(|r| legacy_link(r, &stream_id))
                    .collect::<Result<Vec<Link>>>()?,
            )
        };
        let found =
            service::threads_by_links(core(ctx), &access, actor(ctx), links, archived, window)
                .await
                .map_err(from_core)?;
        Ok(Some(CommentCollection::new(
            found.items,
            found.total,
            window,
            &access,
        )))
    }
}

/// `User.notificationPreferences` for the caller.
pub async fn preferences(ctx: &Context<'_>) -> Result<JsonObject> {
    notify::preferences(core(ctx), actor(ctx))
        .await
        .map(JsonObject)
        .map_err(from_core)
}

#[derive(InputObject)]
pub struct ViewerUpdateTrackingTarget {
    project_id: String,
    /// Only updates about these resources (the viewer's resource string).
    resource_id_string: String,
    /// Only updates of the versions named, not of any version of the models named.
    loaded_versions_only: Option<bool>,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ProjectCommentsUpdatedMessageType {
    Created,
    Updated,
    Archived,
}

#[derive(SimpleObject)]
pub struct ProjectCommentsUpdatedMessage {
    #[graphql(name = "type")]
    kind: ProjectCommentsUpdatedMessageType,
    id: String,
    /// `null` if deleted.
    comment: Option<Comment>,
}

/// `projectCommentsUpdated`: each change reloaded with the subscriber's access, and sent when
/// its thread is about the target's resources.
pub async fn updates(
    ctx: &Context<'_>,
    target: ViewerUpdateTrackingTarget,
) -> Result<impl futures::Stream<Item = ProjectCommentsUpdatedMessage>> {
    use fleck_core::projects::events::{CommentNews, ProjectEvent};
    use futures::StreamExt;
    // A malformed target is refused now rather than silently matching nothing.
    fleck_core::comments::resources::parse(&target.resource_id_string).map_err(from_core)?;
    let resources = target.resource_id_string;
    let loaded_only = target.loaded_versions_only.unwrap_or(false);
    let events = super::subscriptions::project_events(ctx, &target.project_id).await?;
    Ok(events.filter_map(move |(event, core, actor, project_id)| {
        let resources = resources.clone();
        async move {
            let ProjectEvent::Comment {
                comment_id,
                thread_id,
                news,
            } = event
            else {
                return None;
            };
            let access = fleck_core::projects::service::load(
                &core,
                &actor,
                &project_id,
                fleck_core::authz::Action::ReadProject,
            )
            .await
            .ok()?;
            let thread = service::find_in(&core, &access, &actor, &thread_id)
                .await
                .ok()?;
            let about = service::is_about(&core, &project_id, &thread, &resources, loaded_only)
                .await
                .ok()?;
            if !about {
                return None;
            }
            let comment = if comment_id == thread_id {
                thread
            } else {
                service::find_in(&core, &access, &actor, &comment_id)
                    .await
                    .ok()?
            };
            let kind = match news {
                CommentNews::Created => ProjectCommentsUpdatedMessageType::Created,
                CommentNews::Updated => ProjectCommentsUpdatedMessageType::Updated,
                CommentNews::Archived => ProjectCommentsUpdatedMessageType::Archived,
            };
            Some(ProjectCommentsUpdatedMessage {
                kind,
                id: comment_id,
                comment: Some(Comment::new(comment, access)),
            })
        }
    }))
}
