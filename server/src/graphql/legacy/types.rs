//! Streams, branches and commits: a project's `Access`, a model with it, a version with it.

use async_graphql::{Context, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use fleck_core::authz::{ProjectRole, Visibility};
use fleck_core::projects::{self as domain, service, ModelFilter};

use crate::graphql::context::{actor, core};
use crate::graphql::errors::from_core;
use crate::graphql::objects::Object as SpeckleObject;
use crate::graphql::paging::{page, Collection};

pub struct Stream(pub(super) service::Access);

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

    #[graphql(complexity = "crate::graphql::paging::cost(limit, 25, 500, child_complexity)")]
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
        Ok(Collection::of(window, listed, |model| {
            Branch(model, self.0.clone())
        }))
    }

    /// The stream's webhooks (owners only); with `id`, just that one.
    async fn webhooks(
        &self,
        ctx: &Context<'_>,
        id: Option<String>,
    ) -> Result<crate::graphql::webhooks::WebhookCollection> {
        crate::graphql::webhooks::list(ctx, &self.0.project.id, id).await
    }

    /// Files imported into the stream, newest first (the latest 100).
    async fn file_uploads(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<crate::graphql::imports::FileUpload>> {
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

    #[graphql(complexity = "crate::graphql::paging::cost(limit, 25, 100, child_complexity)")]
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

    #[graphql(complexity = "crate::graphql::paging::cost(limit, 25, 200, child_complexity)")]
    async fn activity(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<crate::graphql::activity::ActivityCollection> {
        crate::graphql::activity::ActivityCollection::load(ctx, &self.0, limit, cursor).await
    }

    /// Pending invitations; `null` for callers below contributor.
    async fn pending_collaborators(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<Vec<crate::graphql::projects::PendingStreamCollaborator>>> {
        crate::graphql::projects::pending_team(ctx, &self.0).await
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

    async fn author(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Option<crate::graphql::users::LimitedUser>> {
        let Some(id) = &self.0.author_id else {
            return Ok(None);
        };
        let user = fleck_core::users::by_id(core(ctx), id)
            .await
            .map_err(from_core)?;
        Ok(user.map(crate::graphql::users::LimitedUser::from))
    }

    #[graphql(complexity = "crate::graphql::paging::cost(limit, 25, 100, child_complexity)")]
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

pub type BranchCollection = Collection<Branch>;

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

pub type CommitCollection = Collection<Commit>;

impl CommitCollection {
    async fn build(
        ctx: &Context<'_>,
        access: &service::Access,
        listed: domain::Listed<domain::Version>,
        window: domain::Window,
    ) -> Result<Self> {
        let mut items = Vec::with_capacity(listed.items.len());
        for version in listed.items {
            items.push(Commit::build(ctx, access, version).await?);
        }
        Ok(Collection::page(window, listed.total, items))
    }
}

pub type UserStreamCollection = Collection<Stream>;
