//! The `stream*`, `branch*` and `commit*` mutations, each a call of the service the modern
//! mutation calls.

use async_graphql::{Context, InputObject, Object, Result};
use fleck_core::authz::{Action, ProjectRole, Visibility};
use fleck_core::projects::{self as domain, members, models, service, versions};

use crate::graphql::context::{actor, core, load};
use crate::graphql::errors::{code, from_core};

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
                with_main_model: true,
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
        let invite = crate::graphql::projects::invite_from(
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
