//! Projects: `project`, `activeUser.projects`, `projectMutations`, collaborators and invitations.

use async_graphql::{Context, Enum, InputObject, Object, Result, SimpleObject, ID};
use chrono::{DateTime, Utc};
use fleck_core::authz::{Action, ProjectRole, Visibility};
use fleck_core::projects::{
    self as domain, invites, members, service, Invitee, ProjectFilter, ProjectInvite,
};

use super::context::{actor, core, load};
use super::errors::{code, from_core};
use super::models::{Model, ModelCollection, ProjectModelsFilter};
use super::objects::Object as SpeckleObject;
use super::paging::{page, Collection};
use super::permissions::{check, PermissionCheckResult};
use super::users::LimitedUser;
use super::versions::{Version, VersionCollection};

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ProjectVisibility {
    Private,
    /// Stored as public, as Speckle does.
    Unlisted,
    Public,
    Workspace,
}

impl ProjectVisibility {
    pub fn to_domain(self) -> Result<Visibility> {
        match self {
            Self::Private => Ok(Visibility::Private),
            Self::Public | Self::Unlisted => Ok(Visibility::Public),
            Self::Workspace => Err(code(
                "Workspaces are not enabled on this server.",
                "BAD_USER_INPUT",
            )),
        }
    }

    fn of(visibility: Visibility) -> Self {
        match visibility {
            Visibility::Private => Self::Private,
            Visibility::Public => Self::Public,
        }
    }
}

/// A project as the caller sees it.
#[derive(Clone)]
pub struct Project(pub service::Access);

impl Project {
    fn id(&self) -> &str {
        &self.0.project.id
    }
}

#[Object]
impl Project {
    #[graphql(name = "id")]
    async fn gql_id(&self) -> ID {
        ID(self.0.project.id.clone())
    }

    async fn name(&self) -> &str {
        &self.0.project.name
    }

    async fn description(&self) -> Option<&str> {
        Some(self.0.project.description.as_str())
    }

    async fn visibility(&self) -> ProjectVisibility {
        ProjectVisibility::of(self.0.project.visibility)
    }

    async fn allow_public_comments(&self) -> bool {
        self.0.project.allow_public_comments
    }

    /// The project's webhooks (owners only); with `id`, just that one.
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        id: Option<String>,
    ) -> Result<super::webhooks::WebhookCollection> {
        super::webhooks::list(ctx, self.id(), id).await
    }

    /// The caller's role on the project; `null` for non-members.
    async fn role(&self) -> Option<&str> {
        self.0.role.map(ProjectRole::as_str)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.project.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.project.updated_at
    }

    /// The applications versions were sent from.
    async fn source_apps(&self, ctx: &Context<'_>) -> Result<Vec<String>> {
        self.0.source_apps(core(ctx)).await.map_err(from_core)
    }

    /// Always `null`: this server has no workspaces.
    async fn workspace_id(&self) -> Option<String> {
        None
    }

    async fn team(&self, ctx: &Context<'_>) -> Result<Vec<ProjectCollaborator>> {
        let members = self.0.members(core(ctx)).await.map_err(from_core)?;
        Ok(members
            .into_iter()
            .map(|m| ProjectCollaborator {
                id: ID(m.user.id.clone()),
                role: m.role.as_str().to_string(),
                user: LimitedUser::from(m.user),
            })
            .collect())
    }

    /// Pending invitations; empty for callers below contributor.
    async fn invited_team(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<Vec<PendingStreamCollaborator>>> {
        Ok(Some(pending_team(ctx, &self.0).await?.unwrap_or_default()))
    }

    #[graphql(complexity = "super::paging::cost(limit, 25, 500, child_complexity)")]
    async fn models(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        limit: Option<i32>,
        filter: Option<ProjectModelsFilter>,
    ) -> Result<ModelCollection> {
        ModelCollection::load(ctx, &self.0, cursor, limit, filter).await
    }

    /// A model ingestion of this project.
    async fn ingestion(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<super::ingestions::ModelIngestion> {
        super::ingestions::find(ctx, self.id(), &id).await
    }

    async fn model(&self, ctx: &Context<'_>, id: String) -> Result<Model> {
        let model = domain::models::find(core(ctx), self.id(), &id)
            .await
            .map_err(from_core)?;
        Ok(Model::new(model, self.0.clone()))
    }

    /// A model by its full name, in any case.
    async fn model_by_name(&self, ctx: &Context<'_>, name: String) -> Result<Model> {
        let model = self
            .0
            .model_by_name(core(ctx), &name)
            .await
            .map_err(from_core)?
            .ok_or_else(|| code("Model not found", "NOT_FOUND_ERROR"))?;
        Ok(Model::new(model, self.0.clone()))
    }

    /// Every version of the project, newest first.
    #[graphql(complexity = "super::paging::cost(limit, 25, 100, child_complexity)")]
    async fn versions(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<VersionCollection> {
        let window = page(limit, cursor.as_deref(), 25, 100)?;
        let listed = self
            .0
            .versions(core(ctx), window)
            .await
            .map_err(from_core)?;
        Ok(VersionCollection::new(listed, window, &self.0))
    }

    async fn version(&self, ctx: &Context<'_>, id: String) -> Result<Version> {
        let version = domain::versions::find(core(ctx), self.id(), &id)
            .await
            .map_err(from_core)?;
        Ok(Version::new(version, self.0.clone()))
    }

    /// An object of the project; `null` when it has none with this id.
    async fn object(&self, ctx: &Context<'_>, id: String) -> Result<Option<SpeckleObject>> {
        let objects = self.0.objects(core(ctx));
        let object = objects.object(&id).await.map_err(from_core)?;
        Ok(object.map(|o| SpeckleObject::new(o, objects)))
    }

    /// Who did what in the project, newest first.
    #[graphql(complexity = "super::paging::cost(limit, 25, 200, child_complexity)")]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<super::activity::ActivityCollection> {
        super::activity::ActivityCollection::load(ctx, &self.0, limit, cursor).await
    }

    /// Files attached to the project, newest first.
    #[graphql(complexity = "super::paging::cost(limit, 25, 100, child_complexity)")]
    async fn blobs(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<super::attachments::BlobMetadataCollection> {
        super::attachments::list(ctx, &self.0, query, limit, cursor).await
    }

    async fn blob(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> Result<Option<super::attachments::BlobMetadata>> {
        super::attachments::one(ctx, &self.0, &id).await
    }

    async fn permissions(&self) -> ProjectPermissionChecks {
        ProjectPermissionChecks(self.0.clone())
    }

    /// Comment threads, most recently active first.
    #[graphql(complexity = "super::paging::cost(limit, 25, 100, child_complexity)")]
    async fn comment_threads(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        limit: Option<i32>,
        filter: Option<super::comments::ProjectCommentsFilter>,
    ) -> Result<super::comments::ProjectCommentCollection> {
        super::comments::project_threads(ctx, &self.0, cursor, limit, filter).await
    }

    /// What changed, element by element, from version `from` to version `to` of the project
    /// (computed on first use, then kept).
    async fn version_diff(
        &self,
        ctx: &Context<'_>,
        from: ID,
        to: ID,
    ) -> Result<super::changes::VersionDiff> {
        super::changes::diff(ctx, &self.0, &from, &to).await
    }

    /// A comment (thread or reply) of the project; `null` when there is none.
    async fn comment(
        &self,
        ctx: &Context<'_>,
        id: String,
    ) -> Result<Option<super::comments::Comment>> {
        super::comments::project_comment(ctx, &self.0, &id).await
    }
}

#[derive(SimpleObject)]
pub struct ProjectCollaborator {
    id: ID,
    role: String,
    user: LimitedUser,
}

/// What the caller may do with a project, each with the reason when not.
pub struct ProjectPermissionChecks(service::Access);

#[Object]
impl ProjectPermissionChecks {
    async fn can_read(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0, actor(ctx), Action::ReadProject)
    }

    async fn can_update(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0, actor(ctx), Action::AdministerProject)
    }

    async fn can_read_settings(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0, actor(ctx), Action::AdministerProject)
    }

    async fn can_read_webhooks(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0, actor(ctx), Action::AdministerProject)
    }

    async fn can_update_allow_public_comments(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0, actor(ctx), Action::AdministerProject)
    }

    async fn can_delete(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0, actor(ctx), Action::DeleteProject)
    }

    async fn can_invite(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0, actor(ctx), Action::InviteToProject)
    }

    async fn can_publish(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0, actor(ctx), Action::WriteProject)
    }

    /// Loading into a connector needs contributor access, as in Speckle.
    async fn can_load(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0, actor(ctx), Action::WriteProject)
    }

    async fn can_create_comment(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        super::comments::can_create(&self.0, actor(ctx))
    }

    async fn can_create_model(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0, actor(ctx), Action::WriteProject)
    }

    async fn can_request_render(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0, actor(ctx), Action::WriteProject)
    }

    /// Members may leave, except a project's only owner (core's `members::may_leave`).
    async fn can_leave(&self, ctx: &Context<'_>) -> Result<PermissionCheckResult> {
        match members::may_leave(core(ctx), actor(ctx), &self.0.project.id).await {
            Ok(_) => Ok(PermissionCheckResult::ok()),
            Err(e @ fleck_core::Error::Backend { .. }) => Err(from_core(e)),
            Err(refusal) => Ok(PermissionCheckResult::denied(&refusal.to_string())),
        }
    }
}

/// A project's pending invitations as its team sees them (tokens hidden); `None` for callers
/// core does not show them to (below contributor).
pub async fn pending_team(
    ctx: &Context<'_>,
    access: &service::Access,
) -> Result<Option<Vec<PendingStreamCollaborator>>> {
    let Some(invites) = invites::pending(core(ctx), actor(ctx), access)
        .await
        .map_err(from_core)?
    else {
        return Ok(None);
    };
    let mut pending = Vec::with_capacity(invites.len());
    for invite in invites {
        pending
            .push(PendingStreamCollaborator::load(ctx, invite, &access.project.name, false).await?);
    }
    Ok(Some(pending))
}

/// An invitation as shown to the project's team or to the invitee.
pub struct PendingStreamCollaborator {
    invite: ProjectInvite,
    project_name: String,
    title: String,
    invited_by: LimitedUser,
    user: Option<LimitedUser>,
    /// Only the invitee sees the token.
    show_token: bool,
}

impl PendingStreamCollaborator {
    pub async fn load(
        ctx: &Context<'_>,
        invite: ProjectInvite,
        project_name: &str,
        show_token: bool,
    ) -> Result<Self> {
        let core = core(ctx);
        let inviter = fleck_core::users::by_id(core, &invite.inviter_id)
            .await
            .map_err(from_core)?
            .ok_or_else(|| code("The inviter no longer exists", "NOT_FOUND_ERROR"))?;
        let (user, title) = match &invite.invitee {
            Invitee::User(id) => {
                let user = fleck_core::users::by_id(core, id)
                    .await
                    .map_err(from_core)?;
                let title = user.as_ref().map(|u| u.name.clone()).unwrap_or_default();
                (user.map(LimitedUser::from), title)
            }
            Invitee::Email(email) => (None, email.clone()),
        };
        Ok(PendingStreamCollaborator {
            project_name: project_name.to_string(),
            title,
            invited_by: LimitedUser::from(inviter),
            user,
            show_token,
            invite,
        })
    }
}

#[Object]
impl PendingStreamCollaborator {
    async fn id(&self) -> &str {
        &self.invite.id
    }

    async fn invite_id(&self) -> &str {
        &self.invite.id
    }

    async fn project_id(&self) -> &str {
        &self.invite.project_id
    }

    async fn stream_id(&self) -> &str {
        &self.invite.project_id
    }

    async fn project_name(&self) -> &str {
        &self.project_name
    }

    async fn stream_name(&self) -> &str {
        &self.project_name
    }

    /// The invitee's name, or the address for invitations by e-mail.
    async fn title(&self) -> &str {
        &self.title
    }

    async fn role(&self) -> &str {
        self.invite.role.as_str()
    }

    async fn invited_by(&self) -> &LimitedUser {
        &self.invited_by
    }

    async fn user(&self) -> Option<&LimitedUser> {
        self.user.as_ref()
    }

    async fn token(&self) -> Option<&str> {
        self.show_token.then_some(self.invite.token.as_str())
    }
}

#[derive(InputObject, Default)]
pub struct UserProjectsFilter {
    search: Option<String>,
    only_with_roles: Option<Vec<String>>,
    workspace_id: Option<ID>,
    personal_only: Option<bool>,
    include_implicit_access: Option<bool>,
}

/// The caller's projects (`activeUser.projects`).
pub async fn of_caller(
    ctx: &Context<'_>,
    limit: Option<i32>,
    cursor: Option<String>,
    filter: Option<UserProjectsFilter>,
) -> Result<Collection<Project>> {
    // Every project here is personal and explicitly shared, so `personalOnly` and
    // `includeImplicitAccess` change nothing.
    let UserProjectsFilter {
        search,
        only_with_roles,
        workspace_id,
        ..
    } = filter.unwrap_or_default();
    if workspace_id.is_some() {
        return Ok(Collection {
            total_count: 0,
            cursor: None,
            items: Vec::new(),
        });
    }
    let roles = only_with_roles
        .map(|roles| {
            roles
                .iter()
                .map(|r| r.parse())
                .collect::<fleck_core::Result<Vec<_>>>()
        })
        .transpose()
        .map_err(from_core)?;
    let window = page(limit, cursor.as_deref(), 25, 100)?;
    let listed = service::of_caller(
        core(ctx),
        actor(ctx),
        ProjectFilter {
            search: search.filter(|s| !s.trim().is_empty()),
            roles,
            ids: None,
        },
        window,
    )
    .await
    .map_err(from_core)?;
    Ok(Collection::of(window, listed, Project))
}

/// The caller's pending invitations (`activeUser.projectInvites`).
pub async fn invites_of_caller(ctx: &Context<'_>) -> Result<Vec<PendingStreamCollaborator>> {
    let invites = invites::of_caller(core(ctx), actor(ctx))
        .await
        .map_err(from_core)?;
    let mut pending = Vec::with_capacity(invites.len());
    for invite in invites {
        let Some(project) = invites::project_of(core(ctx), &invite)
            .await
            .map_err(from_core)?
        else {
            continue;
        };
        pending.push(PendingStreamCollaborator::load(ctx, invite, &project.name, true).await?);
    }
    Ok(pending)
}

#[derive(Default)]
pub struct ProjectQuery;

#[Object]
impl ProjectQuery {
    async fn project(&self, ctx: &Context<'_>, id: String) -> Result<Project> {
        Ok(Project(load(ctx, &id, Action::ReadProject).await?))
    }

    /// The invitation `token` stands for, when it is addressed to the caller; `null` otherwise.
    async fn project_invite(
        &self,
        ctx: &Context<'_>,
        project_id: String,
        token: Option<String>,
    ) -> Result<Option<PendingStreamCollaborator>> {
        let Some(token) = token else {
            return Ok(None);
        };
        let invite = invites::for_caller(core(ctx), actor(ctx), &project_id, &token)
            .await
            .map_err(from_core)?;
        let Some(invite) = invite else {
            return Ok(None);
        };
        let Some(project) = invites::project_of(core(ctx), &invite)
            .await
            .map_err(from_core)?
        else {
            return Ok(None);
        };
        Ok(Some(
            PendingStreamCollaborator::load(ctx, invite, &project.name, true).await?,
        ))
    }
}

#[derive(InputObject)]
pub struct ProjectCreateInput {
    name: Option<String>,
    description: Option<String>,
    visibility: Option<ProjectVisibility>,
}

#[derive(InputObject)]
pub struct ProjectUpdateInput {
    id: ID,
    name: Option<String>,
    description: Option<String>,
    allow_public_comments: Option<bool>,
    visibility: Option<ProjectVisibility>,
}

#[derive(InputObject)]
pub struct ProjectUpdateRoleInput {
    user_id: String,
    project_id: String,
    /// `null` removes the collaborator.
    role: Option<String>,
}

#[derive(InputObject)]
pub struct ProjectInviteCreateInput {
    email: Option<String>,
    role: Option<String>,
    server_role: Option<String>,
    user_id: Option<String>,
}

#[derive(InputObject)]
pub struct ProjectInviteUseInput {
    accept: bool,
    project_id: ID,
    token: String,
}

#[derive(Default)]
pub struct ProjectMutation;

#[Object]
impl ProjectMutation {
    async fn project_mutations(&self) -> ProjectMutations {
        ProjectMutations
    }
}

pub struct ProjectMutations;

/// The project as the caller sees it after a change.
async fn reload(ctx: &Context<'_>, id: &str) -> Result<Project> {
    Ok(Project(load(ctx, id, Action::ReadProject).await?))
}

#[Object]
impl ProjectMutations {
    /// Creates a project owned by the caller, without models; private unless asked otherwise.
    async fn create(
        &self,
        ctx: &Context<'_>,
        input: Option<ProjectCreateInput>,
    ) -> Result<Project> {
        let input = input.unwrap_or(ProjectCreateInput {
            name: None,
            description: None,
            visibility: None,
        });
        let visibility = input
            .visibility
            .unwrap_or(ProjectVisibility::Private)
            .to_domain()?;
        let created = service::create(
            core(ctx),
            actor(ctx),
            service::NewProject {
                name: input.name.unwrap_or_else(|| "Unnamed project".into()),
                description: input.description,
                visibility,
                // As Speckle's current server: clients make the models they send to.
                with_main_model: false,
            },
        )
        .await
        .map_err(from_core)?;
        Ok(Project(created))
    }

    async fn update(&self, ctx: &Context<'_>, update: ProjectUpdateInput) -> Result<Project> {
        let visibility = update.visibility.map(|v| v.to_domain()).transpose()?;
        service::update(
            core(ctx),
            actor(ctx),
            &update.id,
            service::ProjectUpdate {
                name: update.name,
                description: update.description,
                visibility,
                allow_public_comments: update.allow_public_comments,
            },
        )
        .await
        .map_err(from_core)?;
        reload(ctx, &update.id).await
    }

    async fn delete(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        service::delete(core(ctx), actor(ctx), &id)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    /// Changes a collaborator's role; a `null` role removes them.
    async fn update_role(
        &self,
        ctx: &Context<'_>,
        input: ProjectUpdateRoleInput,
    ) -> Result<Project> {
        let role = input
            .role
            .map(|r| r.parse::<ProjectRole>())
            .transpose()
            .map_err(from_core)?;
        members::set_role(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &input.user_id,
            role,
        )
        .await
        .map_err(from_core)?;
        reload(ctx, &input.project_id).await
    }

    async fn leave(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        members::leave(core(ctx), actor(ctx), &id)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    async fn model_ingestion_mutations(&self) -> super::ingestions::ModelIngestionMutations {
        super::ingestions::ModelIngestionMutations
    }

    async fn invites(&self) -> ProjectInviteMutations {
        ProjectInviteMutations
    }
}

pub struct ProjectInviteMutations;

fn new_invite(input: ProjectInviteCreateInput) -> Result<invites::NewInvite> {
    invite_from(
        input.email,
        input.user_id,
        input.role,
        input.server_role,
        None,
    )
}

/// An invitation as clients describe it, roles by their Speckle names; blank fields count as absent.
pub fn invite_from(
    email: Option<String>,
    user_id: Option<String>,
    role: Option<String>,
    server_role: Option<String>,
    message: Option<String>,
) -> Result<invites::NewInvite> {
    let role = role
        .map(|r| r.parse::<ProjectRole>())
        .transpose()
        .map_err(from_core)?;
    let server_role = server_role
        .map(|r| r.parse::<fleck_core::users::ServerRole>())
        .transpose()
        .map_err(from_core)?;
    Ok(invites::NewInvite {
        email: email.filter(|e| !e.trim().is_empty()),
        user_id: user_id.filter(|u| !u.trim().is_empty()),
        role,
        server_role,
        message,
    })
}

#[Object]
impl ProjectInviteMutations {
    /// Invites someone by e-mail or user id (owners); returns the project with its pending team.
    async fn create(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        input: ProjectInviteCreateInput,
    ) -> Result<Project> {
        invites::create(core(ctx), actor(ctx), &project_id, new_invite(input)?)
            .await
            .map_err(from_core)?;
        reload(ctx, &project_id).await
    }

    async fn batch_create(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        input: Vec<ProjectInviteCreateInput>,
    ) -> Result<Project> {
        if input.len() > invites::BATCH_LIMIT {
            return Err(code(
                format!("At most {} invitations at once.", invites::BATCH_LIMIT),
                "BAD_USER_INPUT",
            ));
        }
        for one in input {
            invites::create(core(ctx), actor(ctx), &project_id, new_invite(one)?)
                .await
                .map_err(from_core)?;
        }
        reload(ctx, &project_id).await
    }

    /// Accepts or declines an invitation addressed to the caller.
    #[graphql(name = "use")]
    async fn use_invite(&self, ctx: &Context<'_>, input: ProjectInviteUseInput) -> Result<bool> {
        invites::answer(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &input.token,
            input.accept,
        )
        .await
        .map_err(from_core)?;
        Ok(true)
    }

    async fn cancel(
        &self,
        ctx: &Context<'_>,
        project_id: ID,
        invite_id: String,
    ) -> Result<Project> {
        invites::cancel(core(ctx), actor(ctx), &project_id, &invite_id)
            .await
            .map_err(from_core)?;
        reload(ctx, &project_id).await
    }

    /// Mails an invitation again.
    async fn resend(&self, ctx: &Context<'_>, project_id: ID, invite_id: String) -> Result<bool> {
        invites::resend(core(ctx), actor(ctx), &project_id, &invite_id)
            .await
            .map_err(from_core)?;
        Ok(true)
    }
}

/// `activeUser.permissions`.
pub struct RootPermissionChecks;

#[Object]
impl RootPermissionChecks {
    async fn can_create_personal_project(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        match fleck_core::authz::authorize(actor(ctx), Action::CreateProject, None) {
            Ok(()) => PermissionCheckResult::ok(),
            Err(e) => PermissionCheckResult::denied(&e.to_string()),
        }
    }
}
