//! Versions: `Model.versions`, `Project.version`, `versionMutations`.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use fleck_core::authz::Action;
use fleck_core::projects::{self as domain, service, versions, Listed, Window};
use fleck_core::Core;

use super::context::{actor, core, load};
use super::errors::from_core;
use super::models::Model;
use super::paging::Collection;
use super::permissions::{check, PermissionCheckResult};
use super::users::LimitedUser;

/// Where a version's preview image is served (Speckle's preview route).
pub fn preview_url(core: &Core, project_id: &str, version_id: &str) -> String {
    let mut url = core.config.public_url.clone();
    url.set_path(&format!("/preview/{project_id}/commits/{version_id}"));
    url.to_string()
}

pub struct Version {
    version: domain::Version,
    access: service::Access,
}

impl Version {
    pub fn new(version: domain::Version, access: service::Access) -> Self {
        Version { version, access }
    }
}

#[Object]
impl Version {
    async fn id(&self) -> ID {
        ID(self.version.id.clone())
    }

    /// Comment threads about this version, most recently active first.
    #[graphql(complexity = "super::paging::cost(Some(limit), 25, 100, child_complexity)")]
    async fn comment_threads(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        #[graphql(default = 25)] limit: i32,
    ) -> Result<super::comments::CommentCollection> {
        let targets = fleck_core::comments::Targets {
            versions: vec![self.version.id.clone()],
            ..Default::default()
        };
        super::comments::threads_about(ctx, &self.access, targets, cursor, limit).await
    }

    /// What changed, element by element, since version `against` (usually an older one).
    async fn changes(&self, ctx: &Context<'_>, against: ID) -> Result<super::changes::VersionDiff> {
        super::changes::diff(ctx, &self.access, &against, &self.version.id).await
    }

    async fn referenced_object(&self) -> Option<&str> {
        Some(self.version.referenced_object.as_str())
    }

    async fn message(&self) -> Option<&str> {
        self.version.message.as_deref()
    }

    async fn source_application(&self) -> Option<&str> {
        self.version.source_application.as_deref()
    }

    async fn total_children_count(&self) -> Option<i64> {
        self.version.total_children_count
    }

    async fn parents(&self) -> Option<&[String]> {
        Some(&self.version.parents)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.version.created_at
    }

    async fn preview_url(&self, ctx: &Context<'_>) -> String {
        preview_url(core(ctx), &self.version.project_id, &self.version.id)
    }

    async fn author_user(&self, ctx: &Context<'_>) -> Result<Option<LimitedUser>> {
        let Some(author) = &self.version.author_id else {
            return Ok(None);
        };
        let user = fleck_core::users::by_id(core(ctx), author)
            .await
            .map_err(from_core)?;
        Ok(user.map(LimitedUser::from))
    }

    async fn model(&self, ctx: &Context<'_>) -> Result<Model> {
        let model =
            domain::models::find(core(ctx), &self.version.project_id, &self.version.model_id)
                .await
                .map_err(from_core)?;
        Ok(Model::new(model, self.access.clone()))
    }

    async fn permissions(&self) -> VersionPermissionChecks<'_> {
        VersionPermissionChecks(self)
    }
}

pub struct VersionPermissionChecks<'a>(&'a Version);

#[Object]
impl VersionPermissionChecks<'_> {
    /// Its author or an owner.
    async fn can_update(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        let write = check(&self.0.access, actor(ctx), Action::WriteProject);
        if !write.is_authorized() {
            return write;
        }
        if domain::models::may_change_own_or_any(
            actor(ctx),
            &self.0.access,
            self.0.version.author_id.as_deref(),
        ) {
            PermissionCheckResult::ok()
        } else {
            PermissionCheckResult::denied(
                "only the version's author or a project owner can change it",
            )
        }
    }

    async fn can_receive(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0.access, actor(ctx), Action::ReadProject)
    }
}

pub type VersionCollection = Collection<Version>;

impl VersionCollection {
    pub fn new(listed: Listed<domain::Version>, window: Window, access: &service::Access) -> Self {
        Collection::of(window, listed, |v| Version::new(v, access.clone()))
    }
}

#[derive(InputObject)]
pub struct CreateVersionInput {
    object_id: String,
    model_id: String,
    project_id: String,
    message: Option<String>,
    source_application: Option<String>,
    total_children_count: Option<i32>,
    parents: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct UpdateVersionInput {
    version_id: ID,
    project_id: ID,
    message: Option<String>,
}

#[derive(InputObject)]
pub struct MoveVersionsInput {
    target_model_name: String,
    version_ids: Vec<ID>,
    project_id: ID,
}

#[derive(InputObject)]
pub struct DeleteVersionsInput {
    version_ids: Vec<ID>,
    project_id: ID,
}

#[derive(InputObject)]
pub struct MarkReceivedVersionInput {
    version_id: String,
    project_id: String,
    source_application: String,
    message: Option<String>,
}

#[derive(Default)]
pub struct VersionMutation;

#[Object]
impl VersionMutation {
    async fn version_mutations(&self) -> VersionMutations {
        VersionMutations
    }
}

pub struct VersionMutations;

fn ids(ids: Vec<ID>) -> Vec<String> {
    ids.into_iter().map(|id| id.0).collect()
}

#[Object]
impl VersionMutations {
    /// Creates a version of a model from an object already uploaded to the project.
    async fn create(&self, ctx: &Context<'_>, input: CreateVersionInput) -> Result<Version> {
        let version = versions::create(
            core(ctx),
            actor(ctx),
            &input.project_id,
            versions::NewVersion {
                model: versions::ModelRef::Id(input.model_id),
                object_id: input.object_id,
                message: input.message,
                source_application: input.source_application,
                total_children_count: input.total_children_count.map(i64::from),
                parents: input.parents.unwrap_or_default(),
            },
        )
        .await
        .map_err(from_core)?;
        let access = load(ctx, &input.project_id, Action::ReadProject).await?;
        Ok(Version::new(version, access))
    }

    async fn update(&self, ctx: &Context<'_>, input: UpdateVersionInput) -> Result<Version> {
        let version = versions::update_message(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &input.version_id,
            input.message.as_deref().unwrap_or_default(),
        )
        .await
        .map_err(from_core)?;
        let access = load(ctx, &input.project_id, Action::ReadProject).await?;
        Ok(Version::new(version, access))
    }

    /// Moves versions to the model named `targetModelName`, creating it when missing.
    async fn move_to_model(&self, ctx: &Context<'_>, input: MoveVersionsInput) -> Result<Model> {
        let model = versions::move_to(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &ids(input.version_ids),
            &input.target_model_name,
        )
        .await
        .map_err(from_core)?;
        let access = load(ctx, &input.project_id, Action::ReadProject).await?;
        Ok(Model::new(model, access))
    }

    async fn delete(&self, ctx: &Context<'_>, input: DeleteVersionsInput) -> Result<bool> {
        versions::delete(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &ids(input.version_ids),
        )
        .await
        .map_err(from_core)?;
        Ok(true)
    }

    /// Records that the caller loaded a version in an application.
    async fn mark_received(
        &self,
        ctx: &Context<'_>,
        input: MarkReceivedVersionInput,
    ) -> Result<bool> {
        versions::mark_received(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &input.version_id,
            &input.source_application,
            input.message,
        )
        .await
        .map_err(from_core)?;
        Ok(true)
    }
}
