//! The comment rules, each checked by `authz` through the project service: reading needs the
//! project; starting threads and replying needs `Comment` (reviewers, and anyone signed in on a
//! public project that allows it); only authors edit their comments; authors and owners archive.
//! Every change is recorded in the activity log (so webhooks hear it), published for
//! `projectCommentsUpdated`, and mentions and replies are mailed through the job queue.

use serde_json::{json, Value};

use super::resources::{self, ViewerResource};
use super::{
    notify, text, Archived, Comment, Link, ResourceKind, RichText, Targets, ThreadFilter,
    ThreadPage,
};
use crate::auth::Actor;
use crate::authz::Action;
use crate::core::Core;
use crate::error::{Error, Result};
use crate::ids;
use crate::projects::activity::{self, Entry};
use crate::projects::events::{self, CommentNews, ProjectEvent};
use crate::projects::service::{load, principal, Access};
use crate::projects::{versions, Listed, ModelFilter, Window};

/// The largest screenshot kept (a data URL, as the viewer sends it).
pub const MAX_SCREENSHOT: usize = 2 * 1024 * 1024;
/// The largest viewer state (or legacy viewer data) kept, as JSON.
pub const MAX_VIEWER_STATE: usize = 64 * 1024;
/// The most resources one thread may be about.
pub const MAX_LINKS: usize = 50;

/// What a comment says: a rich-text document and ids of files attached to the project.
pub struct Content {
    pub doc: Option<Value>,
    pub blob_ids: Vec<String>,
}

pub struct NewThread {
    /// What the thread is about.
    pub about: About,
    pub content: Content,
    pub viewer_state: Option<Value>,
    /// Legacy viewer data (`commentCreate`'s `data`).
    pub data: Option<Value>,
    pub screenshot: Option<String>,
}

/// What a new thread is about: the viewer's resource string, or legacy resource pairs.
pub enum About {
    ResourceIdString(String),
    Resources(Vec<Link>),
}

/// Starts a thread.
pub async fn create_thread(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    input: NewThread,
) -> Result<Comment> {
    let access = load(core, actor, project_id, Action::Comment).await?;
    let author = principal(actor)?.user.id.clone();
    let links = match input.about {
        About::ResourceIdString(s) => links_for(core, project_id, &resources::parse(&s)?).await?,
        About::Resources(links) => checked_links(core, project_id, links).await?,
    };
    let written = content(core, project_id, input.content).await?;
    let comment = Comment {
        screenshot: checked_screenshot(input.screenshot)?,
        viewer_state: checked_state("viewerState", input.viewer_state)?,
        data: checked_state("data", input.data)?,
        links,
        ..new_comment(project_id, author, None, written)
    };
    core.comments.insert_comment(&comment).await?;
    // The author has seen what they wrote.
    core.comments
        .mark_comment_viewed(&comment.id, &comment.author_id, comment.created_at)
        .await?;
    record(
        core,
        actor,
        &comment,
        "comment_created",
        json!({
            "input": {
                "streamId": project_id,
                "resources": links_json(&comment.links),
                "text": comment.text,
            },
        }),
        "Comment added",
    )
    .await;
    announce(core, &comment, CommentNews::Created).await;
    notify::after_comment(core, &access.project, &comment, None).await;
    Ok(comment)
}

/// Replies to a thread (replies to a reply go to its thread).
pub async fn reply(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    thread_id: &str,
    content_in: Content,
    data: Option<Value>,
) -> Result<Comment> {
    let access = load(core, actor, project_id, Action::Comment).await?;
    let author = principal(actor)?.user.id.clone();
    let mut thread = stored(core, project_id, thread_id, None).await?;
    if let Some(parent) = &thread.parent_id {
        thread = stored(core, project_id, parent, None).await?;
    }
    let written = content(core, project_id, content_in).await?;
    let comment = Comment {
        data: checked_state("data", data)?,
        ..new_comment(project_id, author, Some(thread.id.clone()), written)
    };
    core.comments.insert_comment(&comment).await?;
    // Replying means having read the thread.
    core.comments
        .mark_comment_viewed(&thread.id, &comment.author_id, comment.created_at)
        .await?;
    record(
        core,
        actor,
        &comment,
        "comment_replied",
        json!({
            "input": {
                "streamId": project_id,
                "parentComment": thread.id,
                "text": comment.text,
            },
            "parentCommentId": thread.id,
        }),
        "Comment reply added",
    )
    .await;
    announce(core, &comment, CommentNews::Created).await;
    notify::after_comment(core, &access.project, &comment, Some(&thread)).await;
    Ok(comment)
}

/// Replaces the text of one's own comment.
pub async fn edit(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    comment_id: &str,
    content_in: Content,
) -> Result<Comment> {
    load(core, actor, project_id, Action::Comment).await?;
    let caller = principal(actor)?.user.id.clone();
    let existing = stored(core, project_id, comment_id, None).await?;
    if existing.author_id != caller {
        return Err(Error::Forbidden(
            "only its author can edit a comment".into(),
        ));
    }
    if existing.archived {
        return Err(Error::invalid(
            "commentId",
            "an archived comment cannot be edited",
        ));
    }
    let (text, raw_text) = content(core, project_id, content_in).await?;
    let now = crate::projects::now();
    core.comments
        .update_comment_text(project_id, comment_id, &text, &raw_text, now)
        .await?;
    let comment = stored(core, project_id, comment_id, Some(&caller)).await?;
    announce(core, &comment, CommentNews::Updated).await;
    Ok(comment)
}

/// Archives (resolves) a comment, or restores it: its author or the project's owners.
pub async fn archive(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    comment_id: &str,
    archived: bool,
) -> Result<()> {
    let access = load(core, actor, project_id, Action::ReadProject).await?;
    let comment = stored(core, project_id, comment_id, None).await?;
    if !may_archive(&access, actor, &comment) {
        return Err(Error::Forbidden(
            "only its author or the project's owners can archive a comment".into(),
        ));
    }
    if comment.archived == archived {
        return Ok(());
    }
    core.comments
        .set_comment_archived(project_id, comment_id, archived)
        .await?;
    record(
        core,
        actor,
        &comment,
        "comment_archived",
        json!({
            "commentId": comment_id,
            "input": { "streamId": project_id, "commentId": comment_id, "archived": archived },
        }),
        if archived {
            "Comment archived"
        } else {
            "Comment restored"
        },
    )
    .await;
    let news = if archived {
        CommentNews::Archived
    } else {
        CommentNews::Updated
    };
    announce(core, &comment, news).await;
    Ok(())
}

/// Whether the caller may archive the comment: owners any, commenters their own.
pub fn may_archive(access: &Access, actor: &Actor, comment: &Comment) -> bool {
    let own = actor
        .principal()
        .is_some_and(|p| p.user.id == comment.author_id);
    access.allows(actor, Action::ModerateComments) || (own && access.allows(actor, Action::Comment))
}

/// The people a comment in the project may mention: its members, for callers who may comment
/// (none for others).
pub async fn mentionable(
    core: &Core,
    access: &Access,
    actor: &Actor,
) -> Result<Vec<text::Mentionable>> {
    if !access.allows(actor, Action::Comment) {
        return Ok(Vec::new());
    }
    Ok(access
        .members(core)
        .await?
        .into_iter()
        .map(|m| text::Mentionable {
            id: m.user.id,
            name: m.user.name,
        })
        .collect())
}

/// Records that the caller has read a comment (a thread, for unread marks).
pub async fn mark_viewed(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    comment_id: &str,
) -> Result<()> {
    load(core, actor, project_id, Action::ReadProject).await?;
    let user = principal(actor)?.user.id.clone();
    stored(core, project_id, comment_id, None).await?;
    core.comments
        .mark_comment_viewed(comment_id, &user, crate::projects::now())
        .await
}

/// A comment (thread or reply) of a project the caller may read.
pub async fn find(core: &Core, actor: &Actor, project_id: &str, id: &str) -> Result<Comment> {
    let access = load(core, actor, project_id, Action::ReadProject).await?;
    find_in(core, &access, actor, id).await
}

/// A comment of a project already checked for reading.
pub async fn find_in(core: &Core, access: &Access, actor: &Actor, id: &str) -> Result<Comment> {
    stored(core, &access.project.id, id, reader(actor)).await
}

/// Which threads to list, as Speckle's `ProjectCommentsFilter` asks.
#[derive(Default)]
pub struct ThreadQuery {
    pub resource_id_string: Option<String>,
    /// Only threads of the versions named (or the models' latest), not of any version.
    pub loaded_versions_only: bool,
    pub archived: Option<Archived>,
}

/// Threads of a project already checked for reading, most recently active first.
pub async fn threads(
    core: &Core,
    access: &Access,
    actor: &Actor,
    query: ThreadQuery,
    window: Window,
) -> Result<ThreadPage> {
    let project_id = &access.project.id;
    let about = match query.resource_id_string.filter(|s| !s.trim().is_empty()) {
        Some(s) => {
            targets_for(
                core,
                project_id,
                &resources::parse(&s)?,
                query.loaded_versions_only,
            )
            .await?
        }
        None => None,
    };
    let filter = ThreadFilter {
        archived: query.archived.unwrap_or(Archived::Exclude),
        about,
    };
    core.comments
        .threads(project_id, &filter, reader(actor), window)
        .await
}

/// Threads about a model (any of its versions) or one version.
pub async fn threads_about(
    core: &Core,
    access: &Access,
    actor: &Actor,
    targets: Targets,
    window: Window,
) -> Result<ThreadPage> {
    let filter = ThreadFilter {
        archived: Archived::Exclude,
        about: Some(targets),
    };
    core.comments
        .threads(&access.project.id, &filter, reader(actor), window)
        .await
}

/// Threads about any of the given legacy resources (`comments(streamId, resources)`); an
/// archived flag picks archived threads or live ones, as Speckle's legacy query does.
pub async fn threads_by_links(
    core: &Core,
    access: &Access,
    actor: &Actor,
    links: Option<Vec<Link>>,
    archived: bool,
    window: Window,
) -> Result<ThreadPage> {
    let about = links.map(|links| {
        let mut targets = Targets::default();
        for link in links {
            match link.kind {
                ResourceKind::Stream => targets.project = true,
                ResourceKind::Commit => targets.versions.push(link.id),
                ResourceKind::Object => targets.objects.push(link.id),
            }
        }
        targets
    });
    let filter = ThreadFilter {
        archived: if archived {
            Archived::Only
        } else {
            Archived::Exclude
        },
        about,
    };
    core.comments
        .threads(&access.project.id, &filter, reader(actor), window)
        .await
}

/// A thread's replies, oldest first.
pub async fn replies(
    core: &Core,
    access: &Access,
    actor: &Actor,
    thread_id: &str,
    window: Window,
) -> Result<Listed<Comment>> {
    core.comments
        .replies(&access.project.id, thread_id, reader(actor), window)
        .await
}

/// Whether a thread is about any of the resources of a resource string (for subscriptions);
/// an empty string is about everything.
pub async fn is_about(
    core: &Core,
    project_id: &str,
    thread: &Comment,
    resource_id_string: &str,
    loaded_versions_only: bool,
) -> Result<bool> {
    let parsed = resources::parse(resource_id_string)?;
    if parsed.is_empty() {
        return Ok(true);
    }
    let Some(targets) = targets_for(core, project_id, &parsed, loaded_versions_only).await? else {
        return Ok(true);
    };
    for link in &thread.links {
        let about = match link.kind {
            ResourceKind::Stream => targets.project,
            ResourceKind::Object => targets.objects.contains(&link.id),
            ResourceKind::Commit => {
                targets.versions.contains(&link.id)
                    || match core.projects.version(project_id, &link.id).await? {
                        Some(version) => targets.models.contains(&version.model_id),
                        None => false,
                    }
            }
        };
        if about {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The signed-in reader whose `viewedAt` a list shows.
fn reader(actor: &Actor) -> Option<&str> {
    actor.principal().map(|p| p.user.id.as_str())
}

async fn stored(core: &Core, project_id: &str, id: &str, viewer: Option<&str>) -> Result<Comment> {
    core.comments
        .comment(project_id, id, viewer)
        .await?
        .ok_or_else(|| Error::NotFound("comment".into()))
}

/// Checks the text and that every attached file is a completed file of the project.
/// A comment written now by `author_id`, carrying nothing but its text; threads and replies add
/// what else they carry.
fn new_comment(
    project_id: &str,
    author_id: String,
    parent_id: Option<String>,
    (text, raw_text): (RichText, String),
) -> Comment {
    let now = crate::projects::now();
    Comment {
        id: ids::new_id(),
        project_id: project_id.to_string(),
        author_id,
        parent_id,
        text,
        raw_text,
        screenshot: None,
        viewer_state: None,
        data: None,
        archived: false,
        links: Vec::new(),
        created_at: now,
        updated_at: now,
        viewed_at: Some(now),
        reply_count: 0,
    }
}

async fn content(core: &Core, project_id: &str, content: Content) -> Result<(RichText, String)> {
    let mut blob_ids: Vec<String> = Vec::new();
    for id in content.blob_ids {
        if !blob_ids.contains(&id) {
            blob_ids.push(id);
        }
    }
    let (text, raw) = text::checked(content.doc, blob_ids)?;
    if !text.blob_ids.is_empty() {
        let known = core
            .projects
            .known_attachments(project_id, &text.blob_ids)
            .await?;
        if let Some(missing) = text.blob_ids.iter().find(|id| !known.contains(id)) {
            return Err(Error::invalid(
                "blobIds",
                format!("the project has no file {missing}"),
            ));
        }
    }
    Ok((text, raw))
}

/// The links a new thread gets from the viewer's resources: a version for each model (its
/// latest when none is named), and each object.
async fn links_for(
    core: &Core,
    project_id: &str,
    resources: &[ViewerResource],
) -> Result<Vec<Link>> {
    let mut links = Vec::new();
    for resource in resources {
        let link = match resource {
            ViewerResource::Model {
                model_id,
                version_id: Some(version_id),
            } => {
                let version = versions::find(core, project_id, version_id).await?;
                if &version.model_id != model_id {
                    return Err(Error::invalid(
                        "resourceIdString",
                        format!("version {version_id} is not a version of model {model_id}"),
                    ));
                }
                Link {
                    kind: ResourceKind::Commit,
                    id: version.id,
                }
            }
            ViewerResource::Model {
                model_id,
                version_id: None,
            } => Link {
                kind: ResourceKind::Commit,
                id: latest_version(core, project_id, model_id).await?,
            },
            ViewerResource::Object(id) => Link {
                kind: ResourceKind::Object,
                id: id.clone(),
            },
            ViewerResource::Folder(_) | ViewerResource::All => {
                return Err(Error::invalid(
                    "resourceIdString",
                    "a thread is about models, versions or objects, not folders or everything",
                ))
            }
        };
        if !links.contains(&link) {
            links.push(link);
        }
    }
    checked_links(core, project_id, links).await
}

/// Legacy resource pairs: versions must be the project's, and some resource is needed.
async fn checked_links(core: &Core, project_id: &str, links: Vec<Link>) -> Result<Vec<Link>> {
    if links.is_empty() {
        return Err(Error::invalid(
            "resourceIdString",
            "a thread must be about at least one resource",
        ));
    }
    if links.len() > MAX_LINKS {
        return Err(Error::invalid(
            "resourceIdString",
            format!("a thread may be about at most {MAX_LINKS} resources"),
        ));
    }
    for link in &links {
        match link.kind {
            ResourceKind::Commit => {
                versions::find(core, project_id, &link.id).await?;
            }
            ResourceKind::Stream if link.id != project_id => {
                return Err(Error::invalid(
                    "resources",
                    "a stream resource must be the comment's own project",
                ))
            }
            _ => {}
        }
    }
    Ok(links)
}

/// The resources a list or subscription is restricted to; `None` for every thread (`all`).
async fn targets_for(
    core: &Core,
    project_id: &str,
    resources: &[ViewerResource],
    loaded_versions_only: bool,
) -> Result<Option<Targets>> {
    let mut targets = Targets::default();
    for resource in resources {
        match resource {
            ViewerResource::All => return Ok(None),
            ViewerResource::Object(id) => targets.objects.push(id.clone()),
            ViewerResource::Model {
                model_id,
                version_id,
            } if loaded_versions_only => match version_id {
                Some(version) => targets.versions.push(version.clone()),
                // A model without versions has no threads to show.
                None => {
                    if let Ok(latest) = latest_version(core, project_id, model_id).await {
                        targets.versions.push(latest);
                    }
                }
            },
            ViewerResource::Model { model_id, .. } => targets.models.push(model_id.clone()),
            ViewerResource::Folder(prefix) => {
                let filter = ModelFilter {
                    search: Some(prefix.clone()),
                    ..ModelFilter::default()
                };
                let window = Window {
                    offset: 0,
                    limit: resources::MAX_RESOURCES as i64,
                };
                let models = core.projects.models(project_id, &filter, window).await?;
                targets.models.extend(
                    models
                        .items
                        .into_iter()
                        .filter(|m| m.name.starts_with(prefix.as_str()))
                        .map(|m| m.id),
                );
            }
        }
    }
    Ok(Some(targets))
}

async fn latest_version(core: &Core, project_id: &str, model_id: &str) -> Result<String> {
    let model = crate::projects::models::find(core, project_id, model_id).await?;
    let window = Window {
        offset: 0,
        limit: 1,
    };
    let latest = core
        .projects
        .model_versions(&model.id, &[], false, window)
        .await?;
    latest
        .items
        .into_iter()
        .next()
        .map(|v| v.id)
        .ok_or_else(|| {
            Error::invalid(
                "resourceIdString",
                format!("model {model_id} has no versions to comment on"),
            )
        })
}

fn checked_screenshot(screenshot: Option<String>) -> Result<Option<String>> {
    if screenshot
        .as_ref()
        .is_some_and(|s| s.len() > MAX_SCREENSHOT)
    {
        return Err(Error::invalid(
            "screenshot",
            format!("may be at most {} MiB", MAX_SCREENSHOT / (1024 * 1024)),
        ));
    }
    Ok(screenshot.filter(|s| !s.is_empty()))
}

fn checked_state(field: &'static str, state: Option<Value>) -> Result<Option<Value>> {
    let state = state.filter(|s| !s.is_null());
    if let Some(state) = &state {
        if !state.is_object() {
            return Err(Error::invalid(field, "must be a JSON object"));
        }
        if state.to_string().len() > MAX_VIEWER_STATE {
            return Err(Error::invalid(
                field,
                format!("may be at most {} KiB", MAX_VIEWER_STATE / 1024),
            ));
        }
    }
    Ok(state)
}

fn links_json(links: &[Link]) -> Value {
    Value::Array(
        links
            .iter()
            .map(|l| json!({ "resourceId": l.id, "resourceType": l.kind.as_str() }))
            .collect(),
    )
}

/// Records `actor`'s change to `comment` in the project's activity.
async fn record(
    core: &Core,
    actor: &Actor,
    comment: &Comment,
    action_type: &'static str,
    info: Value,
    message: &str,
) {
    activity::record(
        core,
        Entry {
            project_id: &comment.project_id,
            resource_type: "comment",
            resource_id: &comment.id,
            action_type,
            user_id: reader(actor),
            info,
            message: message.to_string(),
        },
    )
    .await;
}

async fn announce(core: &Core, comment: &Comment, news: CommentNews) {
    events::project(
        core,
        &comment.project_id,
        ProjectEvent::Comment {
            comment_id: comment.id.clone(),
            thread_id: comment
                .parent_id
                .clone()
                .unwrap_or_else(|| comment.id.clone()),
            news,
        },
    )
    .await;
}

/// A comment's author.
pub async fn author(core: &Core, comment: &Comment) -> Result<crate::users::User> {
    core.store
        .user_by_id(&comment.author_id)
        .await?
        .ok_or_else(|| Error::NotFound("comment author".into()))
}

/// The people who replied to a thread (in the order of their first reply), and how many.
pub async fn reply_authors(
    core: &Core,
    thread_id: &str,
    limit: i64,
) -> Result<(Vec<crate::users::User>, i64)> {
    let listed = core.comments.reply_authors(thread_id, limit).await?;
    let mut users = Vec::with_capacity(listed.items.len());
    for id in &listed.items {
        if let Some(user) = core.store.user_by_id(id).await? {
            users.push(user);
        }
    }
    Ok((users, listed.total))
}

/// The attached files of a comment that still exist, in the order attached.
pub async fn attachments(
    core: &Core,
    project_id: &str,
    blob_ids: &[String],
) -> Result<Vec<crate::projects::Attachment>> {
    let mut files = Vec::with_capacity(blob_ids.len());
    for id in blob_ids.iter().take(text::MAX_ATTACHMENTS) {
        if let Some(file) = core.projects.attachment(project_id, id).await? {
            files.push(file);
        }
    }
    Ok(files)
}

/// One thing a thread is about, as the viewer loads it.
pub struct ViewerItem {
    pub model_id: Option<String>,
    pub version_id: Option<String>,
    pub object_id: String,
}

/// What a thread is about as the viewer loads it: each version as its model, version and root
/// object (versions deleted since are left out), each object alone.
pub async fn viewer_resources(core: &Core, comment: &Comment) -> Result<Vec<ViewerItem>> {
    let mut items = Vec::new();
    for link in &comment.links {
        match link.kind {
            ResourceKind::Commit => {
                if let Some(v) = core.projects.version(&comment.project_id, &link.id).await? {
                    items.push(ViewerItem {
                        object_id: crate::ingestions::bundles::drawn_root(core, &v).await?,
                        model_id: Some(v.model_id),
                        version_id: Some(v.id),
                    });
                }
            }
            ResourceKind::Object => items.push(ViewerItem {
                model_id: None,
                version_id: None,
                object_id: link.id.clone(),
            }),
            ResourceKind::Stream => {}
        }
    }
    Ok(items)
}
