//! One project's objects, reached only through a checked access: `Access::objects` for reading,
//! [`store`] for writing. Everything outside `core` that reads or writes objects goes through here.

use std::sync::Arc;

use super::tree::{self, Rows};
use super::{NewObject, Objects, StoredObject};
use crate::auth::Actor;
use crate::authz::Action;
use crate::core::Core;
use crate::error::{Error, Result};
use crate::projects::service::Access;

/// The objects of the project an `Access` is for.
#[derive(Clone)]
pub struct ProjectObjects {
    objects: Arc<Objects>,
    project_id: String,
}

impl ProjectObjects {
    pub(crate) fn new(core: &Core, project_id: &str) -> Self {
        ProjectObjects {
            objects: core.objects.clone(),
            project_id: project_id.to_string(),
        }
    }

    pub fn project_id(&self) -> &str {
        &self.project_id
    }

    /// One object; `None` when the project has none with this id.
    pub async fn object(&self, id: &str) -> Result<Option<StoredObject>> {
        self.objects.object(&self.project_id, id).await
    }

    /// `(id, json)` of those of `ids` the project has, ordered by id.
    pub async fn json(&self, ids: &[String]) -> Result<Vec<(String, String)>> {
        self.objects.objects_json(&self.project_id, ids).await
    }

    /// Those of `ids` the project has.
    pub async fn existing_ids(&self, ids: &[String]) -> Result<Vec<String>> {
        self.objects.existing_ids(&self.project_id, ids).await
    }

    /// How many objects the project has, and their bytes of JSON.
    pub async fn totals(&self) -> Result<(i64, i64)> {
        self.objects.object_totals(&self.project_id).await
    }

    /// Those of `ids` the project has, a chunk at a time (as `tree` reads a closure).
    pub fn rows(&self, ids: Vec<String>) -> Rows {
        tree::rows(self.objects.clone(), self.project_id.clone(), ids)
    }

    /// The root object followed by every child in its closure; `None` without such a root.
    pub async fn tree(&self, root_id: &str) -> Result<Option<Rows>> {
        tree::whole(self.objects.clone(), &self.project_id, root_id).await
    }
}

/// Stores objects in the project of `access`, for callers who may write to it.
pub async fn store(
    core: &Core,
    actor: &Actor,
    access: &Access,
    objects: Vec<NewObject>,
) -> Result<()> {
    if !access.allows(actor, Action::WriteProject) {
        return Err(Error::Forbidden("you may not write to this project".into()));
    }
    core.objects
        .insert_objects(&access.project.id, objects)
        .await
}
