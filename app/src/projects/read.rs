//! Reading projects for the pages: the dashboard, a project, a model and its versions.

use leptos::prelude::*;

use super::{Dashboard, Loaded, ModelPage, ProjectPage};

/// The signed-in user's projects (by a part of their name) and the invitations waiting for them.
#[server]
pub async fn fetch_dashboard(search: String) -> Result<Loaded<Dashboard>, ServerFnError> {
    use fleck_core::projects::{invites, service, ProjectFilter};
    use server::*;
    let (core, actor) = context().await?;
    if actor.principal().is_none() {
        return Ok(Loaded::SignIn);
    }
    let filter = ProjectFilter {
        search: Some(search.trim().to_string()).filter(|s| !s.is_empty()),
        ..ProjectFilter::default()
    };
    let window = first(200);
    let listed = service::of_caller(&core, &actor, filter, window)
        .await
        .map_err(crate::shared::server::message)?;
    let pending = invites::of_caller(&core, &actor)
        .await
        .map_err(crate::shared::server::message)?;
    let mut invites = Vec::with_capacity(pending.len());
    for invite in pending {
        invites.push(invite_card(&core, invite).await?);
    }
    let mut projects = Vec::with_capacity(listed.items.len());
    for access in listed.items {
        let latest = access
            .versions(&core, first(1))
            .await
            .map_err(crate::shared::server::message)?;
        let mut card = project_card(access);
        card.preview = latest
            .items
            .first()
            .map(|version| crate::projects::preview_url(&card.id, &version.id));
        projects.push(card);
    }
    Ok(Loaded::Found(Dashboard {
        total: listed.total,
        projects,
        invites,
    }))
}

/// A project with its models (each with its latest version), recent activity and files.
/// `invite_token` comes from an invitation e-mail's link.
#[server]
pub async fn fetch_project(
    id: String,
    invite_token: Option<String>,
) -> Result<Loaded<ProjectPage>, ServerFnError> {
    use fleck_core::authz::Action;
    use fleck_core::projects::{attachments, invites, service, ModelFilter};
    use server::*;
    let (core, actor) = context().await?;
    // An invitee is not a member yet: show them the invitation, not a 403.
    let invite = match &invite_token {
        Some(token) => invites::for_caller(&core, &actor, &id, token)
            .await
            .map_err(crate::shared::server::message)?,
        None => None,
    };
    if let Some(invite) = invite {
        if !is_member(&core, &actor, &id).await {
            return invited_only(&core, &id, invite).await;
        }
    }
    let access = match service::load(&core, &actor, &id, Action::ReadProject).await {
        Ok(access) => access,
        Err(e) => return refused(&actor, e),
    };
    let models = access
        .models(&core, &ModelFilter::default(), first(500))
        .await
        .map_err(crate::shared::server::message)?;
    let mut authors = Authors::new(&core);
    let mut rows = Vec::with_capacity(models.items.len());
    for model in models.items {
        rows.push(model_row(&core, &actor, &access, &mut authors, model).await?);
    }
    let activity = access
        .activity(&core, None, 20)
        .await
        .map_err(crate::shared::server::message)?;
    let mut activity_rows = Vec::with_capacity(activity.len());
    for entry in activity {
        activity_rows.push(activity_row(&mut authors, entry).await?);
    }
    let files = attachments::list(&core, &actor, &id, None, first(50))
        .await
        .map_err(crate::shared::server::message)?;
    Ok(Loaded::Found(ProjectPage {
        project: header(&actor, &access),
        models: rows,
        activity: activity_rows,
        files: files.items.into_iter().map(file_row).collect(),
        invite: None,
    }))
}

/// A model and its versions, newest first.
#[server]
pub async fn fetch_model(
    project_id: String,
    model_id: String,
) -> Result<Loaded<ModelPage>, ServerFnError> {
    use fleck_core::authz::Action;
    use fleck_core::projects::{models, service};
    use server::*;
    let (core, actor) = context().await?;
    let access = match service::load(&core, &actor, &project_id, Action::ReadProject).await {
        Ok(access) => access,
        Err(e) => return refused(&actor, e),
    };
    let model = match models::find(&core, &project_id, &model_id).await {
        Ok(model) => model,
        Err(e) => return refused(&actor, e),
    };
    let changeable = models::may_change_own_or_any(&actor, &access, model.author_id.as_deref());
    let versions = access
        .versions_of(&core, &model, &[], false, first(200))
        .await
        .map_err(crate::shared::server::message)?;
    let mut authors = Authors::new(&core);
    let mut rows = Vec::with_capacity(versions.items.len());
    for version in versions.items {
        rows.push(version_row(&core, &actor, &access, &mut authors, version).await?);
    }
    let row = model_row(&core, &actor, &access, &mut authors, model).await?;
    Ok(Loaded::Found(ModelPage {
        project: header(&actor, &access),
        model: row,
        total: versions.total,
        versions: rows,
        changeable,
    }))
}

/// Conversions from core's types to the pages' views, on the server only.
#[cfg(feature = "ssr")]
pub(crate) mod server {
    use std::collections::HashMap;

    use chrono::{DateTime, Utc};
    use fleck_core::auth::Actor;
    use fleck_core::authz::{Action, ProjectRole};
    use fleck_core::projects::service::Access;
    use fleck_core::projects::{
        models, Activity, Attachment, Model, Project, ProjectInvite, Version,
    };
    use fleck_core::{Core, Error};
    use leptos::prelude::*;

    use crate::projects::{
        human_size, role_label, Abilities, ActivityRow, FileRow, InviteCard, Loaded, ModelRow,
        ProjectCard, ProjectHeader, ProjectPage, VersionRow,
    };
    use crate::shared::server::message;
    pub use crate::shared::server::{context, first};

    /// Times as every page shows them: absolute and in UTC, the same for every viewer.
    pub fn when(time: DateTime<Utc>) -> String {
        time.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    /// Why a page cannot be shown, as the page that says so.
    pub fn refused<T>(actor: &Actor, error: Error) -> Result<Loaded<T>, ServerFnError> {
        match error {
            Error::Forbidden(_) if actor.principal().is_none() => Ok(Loaded::SignIn),
            Error::Forbidden(why) => Ok(Loaded::Forbidden(why)),
            Error::NotFound(what) => Ok(Loaded::NotFound(what)),
            other => Err(message(other)),
        }
    }

    /// Whether the signed-in caller is already a member of the project.
    pub async fn is_member(core: &Core, actor: &Actor, project_id: &str) -> bool {
        matches!(
            fleck_core::projects::service::role_of(core, actor, project_id).await,
            Ok(Some(_))
        )
    }

    /// The project page of someone holding an invitation: the project's name and the invitation.
    pub async fn invited_only(
        core: &Core,
        project_id: &str,
        invite: ProjectInvite,
    ) -> Result<Loaded<ProjectPage>, ServerFnError> {
        let project = fleck_core::projects::invites::project_of(core, &invite)
            .await
            .map_err(message)?;
        let Some(project) = project.filter(|p| p.id == project_id) else {
            return Ok(Loaded::NotFound("project".into()));
        };
        let card = invite_card(core, invite).await?;
        Ok(Loaded::Found(ProjectPage {
            project: header_of(&project, None, Abilities::default()),
            models: Vec::new(),
            activity: Vec::new(),
            files: Vec::new(),
            invite: Some(card),
        }))
    }

    pub fn header(actor: &Actor, access: &Access) -> ProjectHeader {
        let can = Abilities {
            write: access.allows(actor, Action::WriteProject),
            administer: access.allows(actor, Action::AdministerProject),
            member: access.role.is_some(),
        };
        header_of(&access.project, access.role, can)
    }

    fn header_of(p: &Project, role: Option<ProjectRole>, can: Abilities) -> ProjectHeader {
        ProjectHeader {
            id: p.id.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            visibility: visibility(p),
            role: role.map(|r| r.as_str().to_string()).unwrap_or_default(),
            can,
        }
    }

    fn visibility(project: &Project) -> String {
        match project.visibility {
            fleck_core::authz::Visibility::Public => "public".into(),
            fleck_core::authz::Visibility::Private => "private".into(),
        }
    }

    pub fn project_card(access: Access) -> ProjectCard {
        let Access { project, role, .. } = access;
        ProjectCard {
            visibility: visibility(&project),
            role: role_label(role.map(ProjectRole::as_str).unwrap_or_default()),
            updated: when(project.updated_at),
            id: project.id,
            name: project.name,
            description: project.description,
            preview: None,
        }
    }

    pub async fn invite_card(
        core: &Core,
        invite: ProjectInvite,
    ) -> Result<InviteCard, ServerFnError> {
        let project_name = fleck_core::projects::invites::project_of(core, &invite)
            .await
            .map_err(message)?
            .map(|p| p.name)
            .unwrap_or_default();
        let inviter = fleck_core::users::by_id(core, &invite.inviter_id)
            .await
            .map_err(message)?
            .map(|u| u.name)
            .unwrap_or_else(|| "Someone".into());
        Ok(InviteCard {
            project_id: invite.project_id,
            project_name,
            inviter,
            role: role_label(invite.role.as_str()),
            token: invite.token,
        })
    }

    /// Users' names by id, each looked up once per page.
    pub struct Authors<'a> {
        core: &'a Core,
        names: HashMap<String, String>,
    }

    impl<'a> Authors<'a> {
        pub fn new(core: &'a Core) -> Self {
            Authors {
                core,
                names: HashMap::new(),
            }
        }

        pub async fn name(&mut self, user_id: Option<&str>) -> Result<String, ServerFnError> {
            let Some(id) = user_id else {
                return Ok("A former user".into());
            };
            if let Some(name) = self.names.get(id) {
                return Ok(name.clone());
            }
            let name = fleck_core::users::by_id(self.core, id)
                .await
                .map_err(message)?
                .map(|u| u.name)
                .unwrap_or_else(|| "A former user".into());
            self.names.insert(id.to_string(), name.clone());
            Ok(name)
        }
    }

    pub async fn version_row(
        core: &Core,
        actor: &Actor,
        access: &Access,
        authors: &mut Authors<'_>,
        v: Version,
    ) -> Result<VersionRow, ServerFnError> {
        let object_id = access.drawn_root(core, &v).await.map_err(message)?;
        Ok(VersionRow {
            author: authors.name(v.author_id.as_deref()).await?,
            changeable: models::may_change_own_or_any(actor, access, v.author_id.as_deref()),
            id: v.id,
            model_id: v.model_id,
            message: v.message.unwrap_or_default(),
            source_application: v.source_application.unwrap_or_default(),
            created: when(v.created_at),
            object_id,
        })
    }

    pub async fn model_row(
        core: &Core,
        actor: &Actor,
        access: &Access,
        authors: &mut Authors<'_>,
        model: Model,
    ) -> Result<ModelRow, ServerFnError> {
        let (latest, versions) = access
            .latest_version_of(core, &model)
            .await
            .map_err(message)?;
        let latest = match latest {
            Some(v) => Some(version_row(core, actor, access, authors, v).await?),
            None => None,
        };
        Ok(ModelRow {
            id: model.id,
            name: model.name,
            description: model.description.unwrap_or_default(),
            versions,
            updated: when(model.updated_at),
            latest,
        })
    }

    pub async fn activity_row(
        authors: &mut Authors<'_>,
        entry: Activity,
    ) -> Result<ActivityRow, ServerFnError> {
        Ok(ActivityRow {
            who: authors.name(entry.user_id.as_deref()).await?,
            action: entry.action_type,
            message: entry.message.unwrap_or_default(),
            time: when(entry.time),
        })
    }

    pub fn file_row(a: Attachment) -> FileRow {
        FileRow {
            size: human_size(a.file_size.unwrap_or_default()),
            uploaded: when(a.created_at),
            id: a.id,
            name: a.file_name,
        }
    }
}
