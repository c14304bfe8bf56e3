//! Models: `Project.models`, `Project.model`, `modelMutations`.

use async_graphql::{Context, InputObject, Object, Result, ID};
use chrono::{DateTime, Utc};
use fleck_core::authz::Action;
use fleck_core::projects::{self as domain, service, ModelFilter};

use super::context::{actor, core, load};
use super::errors::from_core;
use super::paging::{page, Collection};
use super::permissions::{check, PermissionCheckResult};
use super::users::LimitedUser;
use super::versions::{preview_url, Version, VersionCollection};

/// Most models one page may hold (Speckle's MAX_PROJECT_MODELS_PER_PAGE).
const MAX_PAGE: i64 = 500;

pub struct Model {
    model: domain::Model,
    access: service::Access,
}

impl Model {
    pub fn new(model: domain::Model, access: service::Access) -> Self {
        Model { model, access }
    }
}

#[Object]
impl Model {
    async fn id(&self) -> ID {
        ID(self.model.id.clone())
    }

    /// Comment threads about any version of the model, most recently active first.
    #[graphql(complexity = "super::paging::cost(Some(limit), 25, 100, child_complexity)")]
    async fn comment_threads(
        &self,
        ctx: &Context<'_>,
        cursor: Option<String>,
        #[graphql(default = 25)] limit: i32,
    ) -> Result<super::comments::CommentCollection> {
        let targets = fleck_core::comments::Targets {
            models: vec![self.model.id.clone()],
            ..Default::default()
        };
        super::comments::threads_about(ctx, &self.access, targets, cursor, limit).await
    }

    /// The full name, `/`-separated and lower-case.
    async fn name(&self) -> &str {
        &self.model.name
    }

    /// The last segment of the name.
    async fn display_name(&self) -> &str {
        self.model.display_name()
    }

    async fn description(&self) -> Option<&str> {
        self.model.description.as_deref()
    }

    async fn project_id(&self) -> &str {
        &self.model.project_id
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.model.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.model.updated_at
    }

    async fn author(&self, ctx: &Context<'_>) -> Result<Option<LimitedUser>> {
        let Some(author) = &self.model.author_id else {
            return Ok(None);
        };
        let user = fleck_core::users::by_id(core(ctx), author)
            .await
            .map_err(from_core)?;
        Ok(user.map(LimitedUser::from))
    }

    /// The preview of the latest version; `null` while the model has none.
    async fn preview_url(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let (latest, _) = self
            .access
            .latest_version_of(core(ctx), &self.model)
            .await
            .map_err(from_core)?;
        Ok(latest.map(|v| preview_url(core(ctx), &v.project_id, &v.id)))
    }

    #[graphql(complexity = "super::paging::cost(limit, 25, 100, child_complexity)")]
    async fn versions(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
        filter: Option<ModelVersionsFilter>,
    ) -> Result<VersionCollection> {
        let window = page(limit, cursor.as_deref(), 25, 100)?;
        let filter = filter.unwrap_or_default();
        let listed = self
            .access
            .versions_of(
                core(ctx),
                &self.model,
                filter.priority_ids.as_deref().unwrap_or_default(),
                filter.priority_ids_only.unwrap_or(false),
                window,
            )
            .await
            .map_err(from_core)?;
        Ok(VersionCollection::new(listed, window, &self.access))
    }

    async fn version(&self, ctx: &Context<'_>, id: String) -> Result<Version> {
        let version = domain::versions::find(core(ctx), &self.model.project_id, &id)
            .await
            .map_err(from_core)?;
        if version.model_id != self.model.id {
            return Err(super::errors::code("Version not found", "NOT_FOUND_ERROR"));
        }
        Ok(Version::new(version, self.access.clone()))
    }

    /// Files imported into this model, newest first.
    #[graphql(complexity = "super::paging::cost(None, 100, 100, child_complexity)")]
    async fn uploads(
        &self,
        ctx: &Context<'_>,
        input: Option<super::imports::GetModelUploadsInput>,
    ) -> Result<super::imports::FileUploadCollection> {
        let input = input.unwrap_or_default();
        super::imports::list(
            ctx,
            &self.model.project_id,
            Some(&self.model.id),
            input.limit,
            input.cursor,
        )
        .await
    }

    async fn permissions(&self) -> ModelPermissionChecks<'_> {
        ModelPermissionChecks(self)
    }
}

pub struct ModelPermissionChecks<'a>(&'a Model);

#[Object]
impl ModelPermissionChecks<'_> {
    async fn can_update(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0.access, actor(ctx), Action::WriteProject)
    }

    async fn can_create_version(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0.access, actor(ctx), Action::WriteProject)
    }

    /// Whether the caller may send a new version through a model ingestion.
    async fn can_create_ingestion(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        check(&self.0.access, actor(ctx), Action::WriteProject)
    }

    /// Its author (with write access) or an owner; never `main`.
    async fn can_delete(&self, ctx: &Context<'_>) -> PermissionCheckResult {
        let write = check(&self.0.access, actor(ctx), Action::WriteProject);
        if !write.is_authorized() {
            return write;
        }
        if self.0.model.name == service::MAIN_MODEL {
            return PermissionCheckResult::denied("the main model cannot be deleted");
        }
        if !domain::models::may_change_own_or_any(
            actor(ctx),
            &self.0.access,
            self.0.model.author_id.as_deref(),
        ) {
            return PermissionCheckResult::denied(
                "only the model's author or a project owner can delete it",
            );
        }
        PermissionCheckResult::ok()
    }
}

#[derive(InputObject, Default)]
pub struct ModelVersionsFilter {
    priority_ids: Option<Vec<String>>,
    priority_ids_only: Option<bool>,
}

#[derive(InputObject, Default)]
pub struct ProjectModelsFilter {
    contributors: Option<Vec<String>>,
    exclude_ids: Option<Vec<String>>,
    ids: Option<Vec<String>>,
    only_with_versions: Option<bool>,
    search: Option<String>,
    source_apps: Option<Vec<String>>,
}

pub type ModelCollection = Collection<Model>;

impl ModelCollection {
    pub async fn load(
        ctx: &Context<'_>,
        access: &service::Access,
        cursor: Option<String>,
        limit: Option<i32>,
        filter: Option<ProjectModelsFilter>,
    ) -> Result<Self> {
        let window = page(limit, cursor.as_deref(), 25, MAX_PAGE)?;
        let filter = filter.unwrap_or_default();
        let listed = access
            .models(
                core(ctx),
                &ModelFilter {
                    search: filter.search.filter(|s| !s.trim().is_empty()),
                    ids: filter.ids,
                    exclude_ids: filter.exclude_ids,
                    only_with_versions: filter.only_with_versions.unwrap_or(false),
                    contributors: filter.contributors,
                    source_apps: filter.source_apps,
                },
                window,
            )
            .await
            .map_err(from_core)?;
        Ok(Collection::of(window, listed, |m| {
            Model::new(m, access.clone())
        }))
    }
}

#[derive(InputObject)]
pub struct CreateModelInput {
    name: String,
    description: Option<String>,
    project_id: ID,
}

#[derive(InputObject)]
pub struct UpdateModelInput {
    id: ID,
    name: Option<String>,
    description: Option<String>,
    project_id: ID,
}

#[derive(InputObject)]
pub struct DeleteModelInput {
    id: ID,
    project_id: ID,
}

#[derive(Default)]
pub struct ModelMutation;

#[Object]
impl ModelMutation {
    async fn model_mutations(&self) -> ModelMutations {
        ModelMutations
    }
}

pub struct ModelMutations;

#[Object]
impl ModelMutations {
    async fn create(&self, ctx: &Context<'_>, input: CreateModelInput) -> Result<Model> {
        let model = domain::models::create(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &input.name,
            input.description,
        )
        .await
        .map_err(from_core)?;
        let access = load(ctx, &input.project_id, Action::ReadProject).await?;
        Ok(Model::new(model, access))
    }

    async fn update(&self, ctx: &Context<'_>, input: UpdateModelInput) -> Result<Model> {
        let model = domain::models::update(
            core(ctx),
            actor(ctx),
            &input.project_id,
            &input.id,
            input.name,
            input.description,
        )
        .await
        .map_err(from_core)?;
        let access = load(ctx, &input.project_id, Action::ReadProject).await?;
        Ok(Model::new(model, access))
    }

    async fn delete(&self, ctx: &Context<'_>, input: DeleteModelInput) -> Result<bool> {
        domain::models::delete(core(ctx), actor(ctx), &input.project_id, &input.id)
            .await
            .map_err(from_core)?;
        Ok(true)
    }
}
