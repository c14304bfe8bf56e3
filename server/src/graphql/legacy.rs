//! The stream / branch / commit API older connectors still use (graphql.md §4), answered from
//! the same projects, models and versions as the modern API.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use fleck_core::authz::{Action, ProjectRole, Visibility};
use fleck_core::projects::{
    self as domain, members, models, service, versions, ModelFilter, ProjectFilter,
};

use super::context::{actor, core, load};
use super::errors::{code, from_core};
use super::objects::Object as SpeckleObject;
use super::paging::{page, Page};

pub struct Stream(service::Access);

#[Object]
impl Stream {
    async fn id(&self) -> &str {
        &self.0.project.id
    }

    async fn name(&self) -> &str {
        &self.0.project.name
    }

    async fn description(&self) -> Option<&str> {
        Some(self.0.project.description.as_str())
    }

    async fn is_public(&self) -> bool {
        self.0.project.visibility == Visibility::Public
    }

    async fn is_discoverable(&self) -> bool {
        self.0.project.visibility == Visibility::Public
    }

    async fn allow_public_comments(&self) -> bool {
        self.0.project.allow_public_comments
    }

    async fn role(&self) -> Option<&str> {
        self.0.role.map(ProjectRole::as_str)
    }

    /// Bytes of object JSON the stream holds.
    async fn size(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let (_, bytes) = self
            .0
            .objects(core(ctx))
            .totals()
            .await
            .map_err(from_core)?;
        Ok(Some(bytes.to_string()))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.project.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.project.updated_at
    }

    async fn collaborators(&self, ctx: &Context<'_>) -> Result<Vec<StreamCollaborator>> {
        let members = self.0.members(core(ctx)).await.map_err(from_core)?;
        Ok(members
            .into_iter()
            .map(|m| StreamCollaborator {
                id: m.user.id,
                name: m.user.name,
                role: m.role.as_str().to_string(),
                company: m.user.company,
                avatar: m.user.avatar,
                server_role: m.user.role.as_str().to_string(),
            })
            .collect())
    }

    #[graphql(complexity = "super::paging::cost(limit, 25, 500, child_complexity)")]
    async fn branches(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<BranchCollection> {
        let window = page(limit, cursor.as_deref(), 25, 500)?;
        let listed = self
            .0
            .models(core(ctx), &ModelFilter::default(), window)
            .await
            .map_err(from_core)?;
        let Page { cursor } = Page::after(window, listed.items.len(), listed.total);
        Ok(BranchCollection {
            total_count: listed.total,
            cursor,
            items: listed
                .items
                .into_iter()
                .map(|model| Branch(model, self.0.clone()))
                .collect(),
        })
    }

    /// The stream's webhooks (owners only); with `id`, just that one.
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        id: Option<String>,
    ) -> Result<super::webhooks::WebhookCollection> {
        super::webhooks::list(ctx, &self.0.project.id, id).await
    }

    /// Files imported into the stream, newest first (the latest 100).
    async fn file_uploads(&self, ctx: &Context<'_>) -> Result<Vec<super::imports::FileUpload>> {
        let window = fleck_core::projects::Window {
            offset: 0,
            limit: 100,
        };
        let listed = fleck_core::projects::imports::list(
            core(ctx),
            actor(ctx),
            &self.0.project.id,
            None,
            window,
        )
        .await
        .map_err(from_core)?;
        Ok(listed.items.into_iter().map(Into::into).collect())
    }

    /// A branch by name (`main` by default); `null` when there is none.
    async fn branch(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = "main")] name: String,
    ) -> Result<Option<Branch>> {
        let model = self
            .0
            .model_by_name(core(ctx), &name)
            .await
            .map_err(from_core)?;
        Ok(model.map(|model| Branch(model, self.0.clone())))
    }

    #[graphql(complexity = "super::paging::cost(limit, 25, 100, child_complexity)")]
    async fn commits(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<CommitCollection> {
        let window = page(limit, cursor.as_deref(), 25, 100)?;
        let listed = self
            .0
            .versions(core(ctx), window)
            .await
            .map_err(from_core)?;
        CommitCollection::build(ctx, &self.0, listed, window).await
    }

    /// A commit by id; the latest one without an id.
    async fn commit(&self, ctx: &Context<'_>, id: Option<String>) -> Result<Option<Commit>> {
        let core = core(ctx);
        let version = match id {
            Some(id) => self.0.version(core, &id).await,
            None => self
                .0
                .versions(
                    core,
                    domain::Window {
                        offset: 0,
                        limit: 1,
                    },
                )
                .await
                .map(|listed| listed.items.into_iter().next()),
        }
        .map_err(from_core)?;
        match version {
            Some(version) => Ok(Some(Commit::build(ctx, &self.0, version).await?)),
            None => Ok(None),
        }
    }

    async fn object(&self, ctx: &Context<'_>, id: String) -> Result<Option<SpeckleObject>> {
        let objects = self.0.objects(core(ctx));
        let object = objects.object(&id).await.map_err(from_core)?;
        Ok(object.map(|o| SpeckleObject::new(o, objects)))
    }

    #[graphql(complexity = "super::paging::cost(limit, 25, 200, child_complexity)")]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<super::activity::ActivityCollection> {
        super::activity::ActivityCollection::load(ctx, &self.0, limit, cursor).await
    }

    /// Pending invitations; `null` for callers below contributor.
    async fn pending_collaborators(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<Vec<super::projects::PendingStreamCollaborator>>> {
        super::projects::pending_team(ctx, &self.0).await
    }
}

#[derive(SimpleObject)]
pub struct StreamCollaborator {
    id: String,
    name: String,
    role: String,
    company: Option<String>,
    avatar: Option<String>,
    server_role: String,
}

/// A model, with the access to its project that reaching it proved.
pub struct Branch(domain::Model, service::Access);

#[Object]
impl Branch {
    async fn id(&self) -> &str {
        &self.0.id
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn author(&self, ctx: &Context<'_>) -> Result<Option<super::users::LimitedUser>> {
        let Some(id) = &self.0.author_id else {
            return Ok(None);
        };
        let user = fleck_core::users::by_id(core(ctx), id)
            .await
            .map_err(from_core)?;
        Ok(user.map(super::users::LimitedUser::from))
    }

    #[graphql(complexity = "super::paging::cost(limit, 25, 100, child_complexity)")]
    async fn commits(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<CommitCollection> {
        let window = page(limit, cursor.as_deref(), 25, 100)?;
        let listed = self
            .1
            .versions_of(core(ctx), &self.0, &[], false, window)
            .await
            .map_err(from_core)?;
        CommitCollection::build(ctx, &self.1, listed, window).await
    }
}

#[derive(SimpleObject)]
pub struct BranchCollection {
    total_count: i64,
    cursor: Option<String>,
    items: Vec<Branch>,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Commit {
    id: String,
    referenced_object: String,
    message: Option<String>,
    source_application: Option<String>,
    total_children_count: Option<i64>,
    branch_name: Option<String>,
    parents: Option<Vec<String>>,
    author_name: Option<String>,
    author_id: Option<String>,
    author_avatar: Option<String>,
    created_at: DateTime<Utc>,
    stream_id: String,
    stream_name: String,
    #[graphql(skip)]
    model: Option<domain::Model>,
    #[graphql(skip)]
    access: service::Access,
}

#[async_graphql::ComplexObject]
impl Commit {
    async fn branch(&self) -> Option<Branch> {
        self.model
            .clone()
            .map(|model| Branch(model, self.access.clone()))
    }

    async fn stream(&self) -> Stream {
        Stream(self.access.clone())
    }
}

impl Commit {
    async fn build(
        ctx: &Context<'_>,
        access: &service::Access,
        version: domain::Version,
    ) -> Result<Self> {
        let project = &access.project;
        let author = match &version.author_id {
            Some(id) => fleck_core::users::by_id(core(ctx), id)
                .await
                .map_err(from_core)?,
            None => None,
        };
        let branch = access
            .model(core(ctx), &version.model_id)
            .await
            .map_err(from_core)?;
        Ok(Commit {
            id: version.id,
            referenced_object: version.referenced_object,
            message: version.message,
            source_application: version.source_application,
            total_children_count: version.total_children_count,
            branch_name: branch.as_ref().map(|b| b.name.clone()),
            model: branch,
            access: access.clone(),
            parents: Some(version.parents),
            author_name: author.as_ref().map(|a| a.name.clone()),
            author_avatar: author.as_ref().and_then(|a| a.avatar.clone()),
            author_id: version.author_id,
            created_at: version.created_at,
            stream_id: project.id.clone(),
            stream_name: project.name.clone(),
        })
    }
}

#[derive(SimpleObject)]
pub struct CommitCollection {
    total_count: i64,
    cursor: Option<String>,
    items: Vec<Commit>,
}

impl CommitCollection {
    async fn build(
        ctx: &Context<'_>,
        access: &service::Access,
        listed: domain::Listed<domain::Version>,
        window: domain::Window,
    ) -> Result<Self> {
        let Page { cursor } = Page::after(window, listed.items.len(), listed.total);
        let mut items = Vec::with_capacity(listed.items.len());
        for version in listed.items {
            items.push(Commit::build(ctx, access, version).await?);
        }
        Ok(CommitCollection {
            total_count: listed.total,
            cursor,
            items,
        })
    }
}

#[derive(SimpleObject)]
pub struct UserStreamCollection {
    total_count: i64,
    cursor: Option<String>,
    items: Vec<Stream>,
}

#[derive(Default)]
pub struct LegacyQuery;

#[Object]
impl LegacyQuery {
    async fn stream(&self, ctx: &Context<'_>, id: String) -> Result<Stream> {
        Ok(Stream(load(ctx, &id, Action::ReadProject).await?))
    }

    /// Public streams anyone may open, most recently updated first.
    #[graphql(complexity = "super::paging::cost(limit, 25, 50, child_complexity)")]
    async fn discoverable_streams(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<UserStreamCollection> {
        let window = page(limit, cursor.as_deref(), 25, 50)?;
        let listed = service::public(core(ctx), actor(ctx), window)
            .await
            .map_err(from_core)?;
        let Page { cursor } = Page::after(window, listed.items.len(), listed.total);
        Ok(UserStreamCollection {
            total_count: listed.total,
            cursor,
            items: listed.items.into_iter().map(Stream).collect(),
        })
    }

    /// The caller's streams, most recently updated first.
    #[graphql(complexity = "super::paging::cost(limit, 25, 50, child_complexity)")]
    async fn streams(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<UserStreamCollection> {
        let window = page(limit, cursor.as_deref(), 25, 50)?;
        let listed = service::of_caller(
            core(ctx),
            actor(ctx),
            ProjectFilter {
                search: query.filter(|q| !q.trim().is_empty()),
                ..ProjectFilter::default()
            },
            window,
        )
        .await
        .map_err(from_core)?;
        let Page { cursor } = Page::after(window, listed.items.len(), listed.total);
        Ok(UserStreamCollection {
            total_count: listed.total,
            cursor,
            items: listed.items.into_iter().map(Stream).collect(),
        })
    }
}

#[derive(InputObject)]
pub struct StreamCreateInput {
    name: Option<String>,
    description: Option<String>,
    is_public: Option<bool>,
    is_discoverable: Option<bool>,
    with_contributors: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct StreamUpdateInput {
    id: String,
    name: Option<String>,
    description: Option<String>,
    is_public: Option<bool>,
    is_discoverable: Option<bool>,
    allow_public_comments: Option<bool>,
}

#[derive(InputObject)]
pub struct BranchCreateInput {
    stream_id: String,
    name: String,
    description: Option<String>,
}

#[derive(InputObject)]
pub struct BranchUpdateInput {
    stream_id: String,
    id: String,
    name: Option<String>,
    description: Option<String>,
}

#[derive(InputObject)]
pub struct BranchDeleteInput {
    stream_id: String,
    id: String,
}

#[derive(InputObject)]
pub struct CommitCreateInput {
    stream_id: String,
    branch_name: String,
    object_id: String,
    message: Option<String>,
    source_application: Option<String>,
    total_children_count: Option<i32>,
    parents: Option<Vec<String>>,
    previous_commit_ids: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct CommitReceivedInput {
    stream_id: String,
    commit_id: String,
    source_application: String,
    message: Option<String>,
}

#[derive(InputObject)]
pub struct CommitUpdateInput {
    stream_id: String,
    id: String,
    message: Option<String>,
    new_branch_name: Option<String>,
}

#[derive(InputObject)]
pub struct CommitDeleteInput {
    stream_id: String,
    id: String,
}

#[derive(InputObject)]
pub struct StreamUpdatePermissionInput {
    stream_id: String,
    user_id: String,
    role: String,
}

#[derive(InputObject)]
pub struct StreamRevokePermissionInput {
    stream_id: String,
    user_id: String,
}

#[derive(InputObject)]
pub struct CommitsMoveInput {
    stream_id: String,
    target_branch: String,
    commit_ids: Vec<String>,
}

#[derive(InputObject)]
pub struct CommitsDeleteInput {
    stream_id: String,
    commit_ids: Vec<String>,
}

#[derive(InputObject)]
pub struct StreamInviteCreateInput {
    stream_id: String,
    email: Option<String>,
    user_id: Option<String>,
    message: Option<String>,
    role: Option<String>,
    server_role: Option<String>,
}

#[derive(Default)]
pub struct LegacyMutation;

#[Object]
impl LegacyMutation {
    /// Creates a stream (public unless `isPublic` is false, as Speckle's legacy API did); returns its id.
    async fn stream_create(&self, ctx: &Context<'_>, stream: StreamCreateInput) -> Result<String> {
        let _ = (stream.is_discoverable, stream.with_contributors);
        let visibility = if stream.is_public == Some(false) {
            Visibility::Private
        } else {
            Visibility::Public
        };
        let created = service::create(
            core(ctx),
            actor(ctx),
            service::NewProject {
                name: stream.name.unwrap_or_else(|| "Unnamed stream".into()),
                description: stream.description,
                visibility,
            },
        )
        .await
        .map_err(from_core)?;
        Ok(created.project.id)
    }

    async fn stream_update(&self, ctx: &Context<'_>, stream: StreamUpdateInput) -> Result<bool> {
        let _ = stream.is_discoverable;
        service::update(
            core(ctx),
            actor(ctx),
            &stream.id,
            service::ProjectUpdate {
                name: stream.name,
                description: stream.description,
                visibility: stream.is_public.map(|public| {
                    if public {
                        Visibility::Public
                    } else {
                        Visibility::Private
                    }
                }),
                allow_public_comments: stream.allow_public_comments,
            },
        )
        .await
        .map_err(from_core)?;
        Ok(true)
    }

    async fn stream_delete(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        service::delete(core(ctx), actor(ctx), &id)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    async fn streams_delete(&self, ctx: &Context<'_>, ids: Option<Vec<String>>) -> Result<bool> {
        for id in ids.unwrap_or_default() {
            service::delete(core(ctx), actor(ctx), &id)
                .await
                .map_err(from_core)?;
        }
        Ok(true)
    }

    /// Invites someone to the stream by e-mail or user id.
    async fn stream_invite_create(
        &self,
        ctx: &Context<'_>,
        input: StreamInviteCreateInput,
    ) -> Result<bool> {
        let invite = super::projects::invite_from(
            input.email,
            input.user_id,
            input.role,
            input.server_role,
            input.message,
        )?;
        domain::invites::create(core(ctx), actor(ctx), &input.stream_id, invite)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    async fn stream_invite_use(
        &self,
        ctx: &Context<'_>,
        accept: bool,
        stream_id: String,
        token: String,
    ) -> Result<bool> {
        domain::invites::answer(core(ctx), actor(ctx), &stream_id, &token, accept)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    async fn stream_invite_cancel(
        &self,
        ctx: &Context<'_>,
        stream_id: String,
        invite_id: String,
    ) -> Result<bool> {
        domain::invites::cancel(core(ctx), actor(ctx), &stream_id, &invite_id)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    async fn stream_update_permission(
        &self,
        ctx: &Context<'_>,
        permission_params: StreamUpdatePermissionInput,
    ) -> Result<Option<bool>> {
        let role = permission_params
            .role
            .parse::<ProjectRole>()
            .map_err(from_core)?;
        members::set_role(
            core(ctx),
            actor(ctx),
            &permission_params.stream_id,
            &permission_params.user_id,
            Some(role),
        )
        .await
        .map_err(from_core)?;
        Ok(Some(true))
    }

    async fn stream_revoke_permission(
        &self,
        ctx: &Context<'_>,
        permission_params: StreamRevokePermissionInput,
    ) -> Result<Option<bool>> {
        members::set_role(
            core(ctx),
            actor(ctx),
            &permission_params.stream_id,
            &permission_params.user_id,
            None,
        )
        .await
        .map_err(from_core)?;
        Ok(Some(true))
    }

    async fn stream_leave(&self, ctx: &Context<'_>, stream_id: String) -> Result<bool> {
        members::leave(core(ctx), actor(ctx), &stream_id)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    /// Creates a branch; returns its id.
    async fn branch_create(&self, ctx: &Context<'_>, branch: BranchCreateInput) -> Result<String> {
        let model = models::create(
            core(ctx),
            actor(ctx),
            &branch.stream_id,
            &branch.name,
            branch.description,
        )
        .await
        .map_err(from_core)?;
        Ok(model.id)
    }

    async fn branch_update(&self, ctx: &Context<'_>, branch: BranchUpdateInput) -> Result<bool> {
        models::update(
            core(ctx),
            actor(ctx),
            &branch.stream_id,
            &branch.id,
            branch.name,
            branch.description,
        )
        .await
        .map_err(from_core)?;
        Ok(true)
    }

    async fn branch_delete(&self, ctx: &Context<'_>, branch: BranchDeleteInput) -> Result<bool> {
        models::delete(core(ctx), actor(ctx), &branch.stream_id, &branch.id)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    /// Creates a commit on the branch named `branchName` (or with that id); returns its id.
    async fn commit_create(&self, ctx: &Context<'_>, commit: CommitCreateInput) -> Result<String> {
        let parents = commit
            .parents
            .or(commit.previous_commit_ids)
            .unwrap_or_default();
        let branch = commit.branch_name;
        let version = versions::create(
            core(ctx),
            actor(ctx),
            &commit.stream_id,
            versions::NewVersion {
                model: versions::ModelRef::NameOrId(branch.clone()),
                object_id: commit.object_id,
                message: commit.message,
                source_application: commit.source_application,
                total_children_count: commit.total_children_count.map(i64::from),
                parents,
            },
        )
        .await
        .map_err(|e| match e {
            fleck_core::Error::NotFound(what) if what.starts_with("branch") => code(
                format!("Failed to find branch with name or id {branch}."),
                "BRANCH_NOT_FOUND",
            ),
            other => from_core(other),
        })?;
        Ok(version.id)
    }

    async fn commit_receive(&self, ctx: &Context<'_>, input: CommitReceivedInput) -> Result<bool> {
        versions::mark_received(
            core(ctx),
            actor(ctx),
            &input.stream_id,
            &input.commit_id,
            &input.source_application,
            input.message,
        )
        .await
        .map_err(from_core)?;
        Ok(true)
    }

    /// Changes a commit's message and/or moves it to another existing branch.
    async fn commit_update(&self, ctx: &Context<'_>, commit: CommitUpdateInput) -> Result<bool> {
        if commit.message.is_none() && commit.new_branch_name.is_none() {
            return Err(code("Nothing to update.", "BAD_USER_INPUT"));
        }
        // Strangers learn nothing of a private project's branches.
        let access = load(ctx, &commit.stream_id, Action::WriteProject).await?;
        if let Some(branch) = &commit.new_branch_name {
            let exists = access
                .model_by_name(core(ctx), branch)
                .await
                .map_err(from_core)?
                .is_some();
            if !exists {
                return Err(code(
                    "Failed to update commit branch: there is no such branch.",
                    "BRANCH_NOT_FOUND",
                ));
            }
        }
        if let Some(message) = &commit.message {
            versions::update_message(
                core(ctx),
                actor(ctx),
                &commit.stream_id,
                &commit.id,
                message,
            )
            .await
            .map_err(from_core)?;
        }
        if let Some(branch) = &commit.new_branch_name {
            versions::move_to(
                core(ctx),
                actor(ctx),
                &commit.stream_id,
                std::slice::from_ref(&commit.id),
                branch,
            )
            .await
            .map_err(from_core)?;
        }
        Ok(true)
    }

    /// Moves commits to the branch named `targetBranch`, created when missing.
    async fn commits_move(&self, ctx: &Context<'_>, input: CommitsMoveInput) -> Result<bool> {
        versions::move_to(
            core(ctx),
            actor(ctx),
            &input.stream_id,
            &input.commit_ids,
            &input.target_branch,
        )
        .await
        .map_err(from_core)?;
        Ok(true)
    }

    async fn commits_delete(&self, ctx: &Context<'_>, input: CommitsDeleteInput) -> Result<bool> {
        versions::delete(core(ctx), actor(ctx), &input.stream_id, &input.commit_ids)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    async fn commit_delete(&self, ctx: &Context<'_>, commit: CommitDeleteInput) -> Result<bool> {
        versions::delete(
            core(ctx),
            actor(ctx),
            &commit.stream_id,
            std::slice::from_ref(&commit.id),
        )
        .await
        .map_err(from_core)?;
        Ok(true)
    }
}
