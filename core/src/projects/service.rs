//! Projects: create, read, update, delete, list, each checked by `authz`.

use serde_json::json;

use super::activity::{self, Entry};
use super::events::{self, Change};
use super::{names, Listed, Model, Project, ProjectFilter, Window};
use crate::auth::Actor;
use crate::auth::Principal;
use crate::authz::{self, Action, ProjectAccess, ProjectRole, Visibility};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::ids;

/// The name of the model every project starts with; it cannot be deleted.
pub const MAIN_MODEL: &str = "main";

/// A project and the caller's relation to it, after `authz` allowed at least reading it. Only
/// `core` makes one (`non_exhaustive`), and only this module does, so holding an `Access` proves
/// the check was made: resolvers and pages may read a project's parts without asking again.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Access {
    pub project: Project,
    pub role: Option<ProjectRole>,
}

impl Access {
    pub fn access(&self) -> ProjectAccess {
        ProjectAccess {
            visibility: self.project.visibility,
            role: self.role,
            allow_public_comments: self.project.allow_public_comments,
        }
    }

    /// Whether the caller may also do `action` on this project.
    pub fn allows(&self, actor: &Actor, action: Action) -> bool {
        authz::authorize(actor, action, Some(self.access())).is_ok()
    }
}

/// The caller's role on a project; `None` for anonymous callers, non-members and tokens limited
/// to other projects.
pub async fn role_of(core: &Core, actor: &Actor, project_id: &str) -> Result<Option<ProjectRole>> {
    match actor.principal() {
        // A token limited to other projects acts here as a stranger would.
        Some(principal) if principal.reaches(project_id) => {
            core.projects.role_of(project_id, &principal.user.id).await
        }
        _ => Ok(None),
    }
}

/// Loads a project and checks that the caller may do `action` on it. A private project the
/// caller cannot read is reported as forbidden, not missing, as Speckle does.
pub async fn load(core: &Core, actor: &Actor, project_id: &str, action: Action) -> Result<Access> {
    let project = core
        .projects
        .project(project_id)
        .await?
        .ok_or_else(|| Error::NotFound("project".into()))?;
    checked(core, actor, project, action).await
}

/// Checks `action` on a project already read from the store.
async fn checked(core: &Core, actor: &Actor, project: Project, action: Action) -> Result<Access> {
    let role = role_of(core, actor, &project.id).await?;
    let limited_elsewhere = actor
        .principal()
        .is_some_and(|principal| !principal.reaches(&project.id));
    // A limited token may still read public projects, as anyone may, but acts on none but its own.
    if limited_elsewhere && action != Action::ReadProject {
        return Err(Error::Forbidden(
            "your token is limited to other projects".into(),
        ));
    }
    let access = Access { project, role };
    authz::authorize(actor, action, Some(access.access()))?;
    Ok(access)
}

/// Whether a subscriber may still hear about a project: its token still works and it may still
/// read the project. A deleted project still counts, so that subscribers hear of the deletion.
pub async fn still_readable(core: &Core, actor: &Actor, project_id: &str) -> Result<bool> {
    if let Some(principal) = actor.principal() {
        if !crate::auth::flow::still_valid(core, principal).await? {
            return Ok(false);
        }
    }
    match load(core, actor, project_id, Action::ReadProject).await {
        Ok(_) | Err(Error::NotFound(_)) => Ok(true),
        Err(Error::Forbidden(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Public projects (Speckle's discoverable streams), most recently updated first, each with the
/// caller's role.
pub async fn public(core: &Core, actor: &Actor, window: Window) -> Result<Listed<Access>> {
    let listed = core.projects.public_projects(window).await?;
    let mut items = Vec::with_capacity(listed.items.len());
    for project in listed.items {
        items.push(checked(core, actor, project, Action::ReadProject).await?);
    }
    Ok(Listed {
        items,
        total: listed.total,
    })
}

pub struct NewProject {
    pub name: String,
    pub description: Option<String>,
    pub visibility: Visibility,
    /// Whether it starts with a `main` model, as the legacy `streamCreate` and the web app make
    /// it; Speckle's current `projectMutations.create` makes a project without models.
    pub with_main_model: bool,
}

/// Creates a project owned by the caller (with a `main` model when asked).
pub async fn create(core: &Core, actor: &Actor, input: NewProject) -> Result<Access> {
    authz::authorize(actor, Action::CreateProject, None)?;
    let principal = principal(actor)?;
    let now = super::now();
    let project = Project {
        id: ids::new_id(),
        name: names::project_name(&input.name)?,
        description: checked_description(input.description)?,
        visibility: input.visibility,
        allow_public_comments: false,
        created_at: now,
        updated_at: now,
    };
    let main = input.with_main_model.then(|| Model {
        id: ids::new_id(),
        project_id: project.id.clone(),
        name: MAIN_MODEL.into(),
        description: Some("default model".into()),
        author_id: Some(principal.user.id.clone()),
        created_at: now,
        updated_at: now,
    });
    core.projects
        .create_project(&project, &principal.user.id, main.as_ref())
        .await?;
    let info = json!({ "stream": { "name": project.name, "description": project.description } });
    let message = format!("Project created: {}", project.name);
    let user_id = Some(principal.user.id.as_str());
    let entry = Entry::project(&project.id, "stream_create", user_id, info, message);
    activity::record(core, entry).await;
    events::user_projects(core, &principal.user.id, &project.id, true).await;
    Ok(Access {
        project,
        role: Some(ProjectRole::Owner),
    })
}

/// What to change on a project; `None` leaves a field as it is.
#[derive(Default)]
pub struct ProjectUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub visibility: Option<Visibility>,
    pub allow_public_comments: Option<bool>,
}

pub async fn update(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    update: ProjectUpdate,
) -> Result<Project> {
    let mut project = load(core, actor, project_id, Action::AdministerProject)
        .await?
        .project;
    if let Some(name) = update.name {
        project.name = names::project_name(&name)?;
    }
    if let Some(description) = update.description {
        project.description = checked_description(Some(description))?;
    }
    if let Some(visibility) = update.visibility {
        project.visibility = visibility;
    }
    if let Some(allow) = update.allow_public_comments {
        project.allow_public_comments = allow;
    }
    // Strangers can only comment on what they can see.
    if project.visibility == Visibility::Private {
        project.allow_public_comments = false;
    }
    project.updated_at = super::now();
    core.projects.update_project(&project).await?;
    let user_id = actor.principal().map(|p| p.user.id.as_str());
    let info = json!({ "new": { "name": project.name, "description": project.description } });
    let entry = Entry::project(
        project_id,
        "stream_update",
        user_id,
        info,
        "Project metadata changed",
    );
    activity::record(core, entry).await;
    events::project_changed(core, project_id, Change::Updated).await;
    Ok(project)
}

/// Deletes a project with everything in it (owners; admins for moderation).
pub async fn delete(core: &Core, actor: &Actor, project_id: &str) -> Result<()> {
    load(core, actor, project_id, Action::DeleteProject).await?;
    let members = core.projects.members(project_id).await?;
    // Recorded first so that the webhooks' `stream_delete` events still describe the project;
    // the webhooks themselves outlive it until those are delivered.
    let user_id = actor.principal().map(|p| p.user.id.as_str());
    let entry = Entry::project(
        project_id,
        "stream_delete",
        user_id,
        json!({}),
        "Project deleted",
    );
    activity::record(core, entry).await;
    if !core.projects.delete_project(project_id).await? {
        return Err(Error::NotFound("project".into()));
    }
    // Files go after the rows, so a failure leaves unreachable files, never rows without files.
    queue_file_removal(core, project_id).await?;
    if let Err(e) = crate::webhooks::forget_deleted_project(core, project_id).await {
        tracing::warn!(error = %e, project = project_id, "could not remove a deleted project's webhooks");
    }
    events::project_changed(core, project_id, Change::Deleted).await;
    for member in members {
        events::user_projects(core, &member.user.id, project_id, false).await;
    }
    Ok(())
}

/// Whether the caller already has a project of this name (any case, spaces trimmed): a second
/// one is allowed, as in Speckle, but worth a question first.
pub async fn has_project_named(core: &Core, actor: &Actor, name: &str) -> Result<bool> {
    let name = name.trim().to_lowercase();
    if name.is_empty() {
        return Ok(false);
    }
    let filter = ProjectFilter {
        search: Some(name.clone()),
        ..Default::default()
    };
    // The search also matches descriptions and longer names; a page of them is checked.
    let window = Window {
        offset: 0,
        limit: 100,
    };
    let listed = of_caller(core, actor, filter, window).await?;
    Ok(listed
        .items
        .iter()
        .any(|access| access.project.name.trim().to_lowercase() == name))
}

/// The caller's projects, most recently updated first; for a token limited to some projects,
/// only those.
pub async fn of_caller(
    core: &Core,
    actor: &Actor,
    filter: ProjectFilter,
    window: Window,
) -> Result<Listed<Access>> {
    let principal = principal(actor)?;
    if !principal.has(crate::auth::Scope::StreamsRead) {
        return Err(Error::Forbidden(
            "your token lacks the streams:read scope".into(),
        ));
    }
    let filter = ProjectFilter {
        ids: principal.projects.clone(),
        ..filter
    };
    let listed = core
        .projects
        .user_projects(&principal.user.id, &filter, window)
        .await?;
    Ok(Listed {
        items: listed
            .items
            .into_iter()
            .map(|(project, role)| Access {
                project,
                role: Some(role),
            })
            .collect(),
        total: listed.total,
    })
}

/// Every project on the server whose name contains `search`, most recently updated first, for
/// the admin pages (admins only; a moderator's list, not access to the projects).
pub async fn all(
    core: &Core,
    actor: &Actor,
    search: Option<&str>,
    window: Window,
) -> Result<Listed<Project>> {
    authz::authorize(actor, Action::AdministerServer, None)?;
    core.projects.all_projects(search, window).await
}

/// The job that removes a deleted project's files from the blob store.
pub const FORGET_FILES_JOB: &str = "forget-project-files";

/// Queues the removal of a deleted project's files (attachments, pending uploads, previews): at
/// once, and again when every upload URL handed out before the deletion has expired, for files
/// that arrive through one in the meantime.
async fn queue_file_removal(core: &Core, project_id: &str) -> Result<()> {
    for delay in [
        std::time::Duration::ZERO,
        super::UPLOAD_URL_LIFETIME + std::time::Duration::from_secs(60),
    ] {
        let mut job =
            crate::queue::NewJob::new(FORGET_FILES_JOB, json!({ "projectId": project_id }));
        job.delay = delay;
        core.jobs.enqueue(job).await?;
    }
    Ok(())
}

/// Removes the files of a project that no longer exists (the `forget-project-files` job).
pub async fn forget_files(core: &Core, project_id: &str) -> Result<()> {
    if core.projects.project(project_id).await?.is_some() {
        return Err(Error::Conflict(format!(
            "project {project_id} still exists; its files stay"
        )));
    }
    for folder in super::FOLDER_PREFIXES {
        core.blobs
            .delete_prefix(&format!("{folder}/{project_id}"))
            .await?;
    }
    Ok(())
}

pub(crate) fn principal(actor: &Actor) -> Result<&Principal> {
    actor.signed_in()
}

fn checked_description(description: Option<String>) -> Result<String> {
    let description = description.unwrap_or_default();
    if description.chars().count() > 65_536 {
        return Err(Error::invalid(
            "description",
            "must be at most 65536 characters",
        ));
    }
    Ok(description)
}
