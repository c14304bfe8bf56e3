//! What a caller who may read a project reads of it. Each read takes the `Access` that
//! `service::load` (or a listing) made, so holding one is the whole permission check and the
//! reads cannot reach another project.

use super::service::Access;
use super::{Activity, Attachment, Listed, Member, Model, ModelFilter, Version, Window};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::objects::ProjectObjects;

impl Access {
    /// The project's models, most recently updated first.
    pub async fn models(
        &self,
        core: &Core,
        filter: &ModelFilter,
        window: Window,
    ) -> Result<Listed<Model>> {
        core.projects.models(&self.project.id, filter, window).await
    }

    /// One of the project's models by id; `None` when the project has no such model.
    pub async fn model(&self, core: &Core, model_id: &str) -> Result<Option<Model>> {
        core.projects.model(&self.project.id, model_id).await
    }

    /// One of the project's models by its (case-insensitive) name.
    pub async fn model_by_name(&self, core: &Core, name: &str) -> Result<Option<Model>> {
        core.projects.model_by_name(&self.project.id, name).await
    }

    /// A model's versions, newest first; `priority` ids come first (or alone, with
    /// `only_priority`).
    pub async fn versions_of(
        &self,
        core: &Core,
        model: &Model,
        priority: &[String],
        only_priority: bool,
        window: Window,
    ) -> Result<Listed<Version>> {
        if model.project_id != self.project.id {
            return Err(Error::NotFound("model".into()));
        }
        core.projects
            .model_versions(&model.id, priority, only_priority, window)
            .await
    }

    /// A model's newest version and how many it has.
    pub async fn latest_version_of(
        &self,
        core: &Core,
        model: &Model,
    ) -> Result<(Option<Version>, i64)> {
        let window = Window {
            offset: 0,
            limit: 1,
        };
        let listed = self.versions_of(core, model, &[], false, window).await?;
        Ok((listed.items.into_iter().next(), listed.total))
    }

    /// One of the project's versions by id.
    pub async fn version(&self, core: &Core, id: &str) -> Result<Option<Version>> {
        core.projects.version(&self.project.id, id).await
    }

    /// The root of the object tree that draws a version of this project: its own root, or the
    /// tree built from its files when it was sent as a bundle.
    pub async fn drawn_root(&self, core: &Core, version: &Version) -> Result<String> {
        if version.project_id != self.project.id {
            return Err(Error::NotFound("version".into()));
        }
        crate::ingestions::bundles::drawn_root(core, version).await
    }

    /// Every version of the project, newest first.
    pub async fn versions(&self, core: &Core, window: Window) -> Result<Listed<Version>> {
        core.projects
            .project_versions(&self.project.id, window)
            .await
    }

    /// Activity entries before the sequence number `before`, newest first.
    pub async fn activity(
        &self,
        core: &Core,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Activity>> {
        core.projects
            .project_activity(&self.project.id, before, limit)
            .await
    }

    /// How many activity entries the project has in all.
    pub async fn activity_count(&self, core: &Core) -> Result<i64> {
        core.projects.count_project_activity(&self.project.id).await
    }

    /// Members, owners first, then by when they joined.
    pub async fn members(&self, core: &Core) -> Result<Vec<Member>> {
        core.projects.members(&self.project.id).await
    }

    /// The applications versions of the project were sent from.
    pub async fn source_apps(&self, core: &Core) -> Result<Vec<String>> {
        core.projects.source_apps(&self.project.id).await
    }

    /// The project's objects.
    pub fn objects(&self, core: &Core) -> ProjectObjects {
        ProjectObjects::new(core, &self.project.id)
    }

    /// One of the project's attachments by id.
    pub async fn attachment(&self, core: &Core, id: &str) -> Result<Option<Attachment>> {
        core.projects.attachment(&self.project.id, id).await
    }

    /// The total size of the project's uploaded files.
    pub async fn attachments_size(&self, core: &Core) -> Result<i64> {
        core.projects.attachments_size(&self.project.id).await
    }
}
