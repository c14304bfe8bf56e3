//! Models: create, rename, delete, each checked by `authz`.

use serde_json::json;

use super::activity::{self, Entry};
use super::events::{self, Change, ProjectEvent};
use super::service::{load, principal, Access, MAIN_MODEL};
use super::{names, Model};
use crate::auth::Actor;
use crate::authz::{Action, ProjectRole};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::ids;

pub async fn create(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    name: &str,
    description: Option<String>,
) -> Result<Model> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let author = principal(actor)?;
    let now = super::now();
    let model = Model {
        id: ids::new_id(),
        project_id: project_id.to_string(),
        name: names::model_name(name)?,
        description: description.filter(|d| !d.trim().is_empty()),
        author_id: Some(author.user.id.clone()),
        created_at: now,
        updated_at: now,
    };
    core.projects.create_model(&model).await?;
    record(core, actor, &model, Change::Created).await;
    Ok(model)
}

/// The model named `name` (any case), created when there is none (moving versions by name).
pub async fn get_or_create(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    name: &str,
) -> Result<Model> {
    let name = names::model_name(name)?;
    if let Some(model) = core.projects.model_by_name(project_id, &name).await? {
        return Ok(model);
    }
    match create(core, actor, project_id, &name, None).await {
        // Another request made it meanwhile.
        Err(Error::Conflict(_)) => core
            .projects
            .model_by_name(project_id, &name)
            .await?
            .ok_or_else(|| Error::NotFound("model".into())),
        other => other,
    }
}

pub async fn update(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    model_id: &str,
    name: Option<String>,
    description: Option<String>,
) -> Result<Model> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let mut model = find(core, project_id, model_id).await?;
    if let Some(name) = name {
        let name = names::model_name(&name)?;
        if model.name == MAIN_MODEL && name != MAIN_MODEL {
            return Err(Error::invalid("name", "the main model cannot be renamed"));
        }
        model.name = name;
    }
    if let Some(description) = description {
        model.description = Some(description).filter(|d| !d.trim().is_empty());
    }
    model.updated_at = super::now();
    core.projects.update_model(&model).await?;
    record(core, actor, &model, Change::Updated).await;
    Ok(model)
}

/// Deletes a model and its versions: its author (with write access) or an owner; never `main`.
pub async fn delete(core: &Core, actor: &Actor, project_id: &str, model_id: &str) -> Result<()> {
    let access = load(core, actor, project_id, Action::WriteProject).await?;
    let model = find(core, project_id, model_id).await?;
    if model.name == MAIN_MODEL {
        return Err(Error::invalid("id", "the main model cannot be deleted"));
    }
    if !may_change_own_or_any(actor, &access, model.author_id.as_deref()) {
        return Err(Error::Forbidden(
            "only the model's author or a project owner can delete it".into(),
        ));
    }
    if !core.projects.delete_model(project_id, model_id).await? {
        return Err(Error::NotFound("model".into()));
    }
    record(core, actor, &model, Change::Deleted).await;
    Ok(())
}

pub async fn find(core: &Core, project_id: &str, model_id: &str) -> Result<Model> {
    core.projects
        .model(project_id, model_id)
        .await?
        .ok_or_else(|| Error::NotFound("model".into()))
}

/// Owners change anything; others only what they authored.
pub fn may_change_own_or_any(actor: &Actor, access: &Access, author: Option<&str>) -> bool {
    access.role == Some(ProjectRole::Owner)
        || actor
            .principal()
            .is_some_and(|p| Some(p.user.id.as_str()) == author)
}

async fn record(core: &Core, actor: &Actor, model: &Model, change: Change) {
    let (action_type, message) = match change {
        Change::Created => ("branch_create", format!("Model created: {}", model.name)),
        Change::Updated => ("branch_update", format!("Model updated: {}", model.name)),
        Change::Deleted => ("branch_delete", format!("Model deleted: {}", model.name)),
    };
    activity::record(
        core,
        Entry {
            project_id: &model.project_id,
            resource_type: "branch",
            resource_id: &model.id,
            action_type,
            user_id: actor.principal().map(|p| p.user.id.as_str()),
            info: json!({ "branch": { "name": model.name, "description": model.description } }),
            message,
        },
    )
    .await;
    events::project(
        core,
        &model.project_id,
        ProjectEvent::Model {
            model_id: model.id.clone(),
            change,
        },
    )
    .await;
}
