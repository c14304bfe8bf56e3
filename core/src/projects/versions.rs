//! Versions: create, edit, move, delete and mark received, each checked by `authz`.

use serde_json::json;

use super::activity::{self, Entry};
use super::events::{self, Change, ProjectEvent};
use super::models::{self, may_change_own_or_any};
use super::service::{load, principal, Access};
use super::{Model, Version};
use crate::auth::Actor;
use crate::authz::Action;
use crate::core::Core;
use crate::error::{Error, Result};
use crate::ids;

/// Which model a new version goes to.
pub enum ModelRef {
    Id(String),
    /// Speckle's legacy `commitCreate`: a branch name in any case, or else a model id.
    NameOrId(String),
}

pub struct NewVersion {
    pub model: ModelRef,
    pub object_id: String,
    pub message: Option<String>,
    pub source_application: Option<String>,
    pub total_children_count: Option<i64>,
    pub parents: Vec<String>,
}

/// Creates a version of a model pointing at an object already uploaded to the project.
pub async fn create(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    input: NewVersion,
) -> Result<Version> {
    create_with_id(core, actor, project_id, ids::new_id(), input).await
}

/// `create`, with an id reserved earlier (a model ingestion's).
pub(crate) async fn create_with_id(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: String,
    input: NewVersion,
) -> Result<Version> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let author = principal(actor)?;
    let model = match &input.model {
        ModelRef::Id(id) => models::find(core, project_id, id).await?,
        ModelRef::NameOrId(name) => match core.projects.model_by_name(project_id, name).await? {
            Some(model) => model,
            None => models::find(core, project_id, name)
                .await
                .map_err(|_| Error::NotFound(format!("branch {name:?}")))?,
        },
    };
    // A bundle's version points at its files (`bundle.{project}.{model}.{version}`), not at an
    // object; only a bundle upload completing knows its version id before the version exists.
    let bundle = crate::ingestions::bundle_root_id(project_id, &model.id, &id);
    let (referenced_object, children) = if input.object_id == bundle {
        (bundle, None)
    } else {
        let root = core
            .objects
            .head(project_id, &input.object_id)
            .await?
            .ok_or_else(|| {
                Error::invalid(
                    "objectId",
                    "no object with this id was uploaded to the project",
                )
            })?;
        (root.id, root.total_children_count)
    };
    let message = input.message.filter(|m| !m.is_empty());
    if message.as_ref().is_some_and(|m| m.chars().count() > 65_536) {
        return Err(Error::invalid(
            "message",
            "must be at most 65536 characters",
        ));
    }
    let version = Version {
        id,
        project_id: project_id.to_string(),
        model_id: model.id.clone(),
        referenced_object,
        author_id: Some(author.user.id.clone()),
        message,
        source_application: input.source_application.filter(|s| !s.is_empty()),
        total_children_count: input.total_children_count.or(children).or(Some(0)),
        parents: input.parents,
        created_at: super::now(),
    };
    core.projects.create_version(&version).await?;
    record(
        core,
        actor,
        &version,
        &model,
        "commit_create",
        Change::Created,
    )
    .await;
    // A bundle's object tree is built after this; completing the bundle asks for these then.
    if !version.is_bundle() {
        // The version exists either way; a preview can still be asked for by opening its route.
        if let Err(e) = crate::previews::request(core, project_id, &version.referenced_object).await
        {
            tracing::warn!(error = %e, version = %version.id, "could not queue the version's preview");
        }
        // What changed since the model's previous version, summed up off the request path.
        crate::changes::request_summary(core, project_id, &version.id).await;
    }
    Ok(version)
}

/// Changes a version's message: its author or an owner.
pub async fn update_message(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    version_id: &str,
    message: &str,
) -> Result<Version> {
    let access = load(core, actor, project_id, Action::WriteProject).await?;
    let mut version = own_version(core, actor, &access, version_id).await?;
    core.projects
        .update_version_message(project_id, version_id, message)
        .await?;
    version.message = Some(message.to_string());
    let model = models::find(core, project_id, &version.model_id).await?;
    record(
        core,
        actor,
        &version,
        &model,
        "commit_update",
        Change::Updated,
    )
    .await;
    Ok(version)
}

/// Moves versions to the model named `target` (created when missing); returns that model.
pub async fn move_to(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    version_ids: &[String],
    target: &str,
) -> Result<Model> {
    let access = load(core, actor, project_id, Action::WriteProject).await?;
    let mut moved = Vec::with_capacity(version_ids.len());
    for id in version_ids {
        moved.push(own_version(core, actor, &access, id).await?);
    }
    let model = models::get_or_create(core, actor, project_id, target).await?;
    core.projects
        .move_versions(project_id, version_ids, &model.id)
        .await?;
    for version in &moved {
        events::project(
            core,
            project_id,
            ProjectEvent::Version {
                version_id: version.id.clone(),
                model_id: version.model_id.clone(),
                change: Change::Deleted,
            },
        )
        .await;
        let mut version = version.clone();
        version.model_id = model.id.clone();
        record(
            core,
            actor,
            &version,
            &model,
            "commit_move",
            Change::Created,
        )
        .await;
    }
    Ok(model)
}

/// Deletes versions: each must be the caller's own, unless the caller owns the project.
pub async fn delete(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    version_ids: &[String],
) -> Result<()> {
    let access = load(core, actor, project_id, Action::WriteProject).await?;
    let mut doomed = Vec::with_capacity(version_ids.len());
    for id in version_ids {
        doomed.push(own_version(core, actor, &access, id).await?);
    }
    core.projects
        .delete_versions(project_id, version_ids)
        .await?;
    for version in &doomed {
        if let Ok(model) = models::find(core, project_id, &version.model_id).await {
            record(
                core,
                actor,
                version,
                &model,
                "commit_delete",
                Change::Deleted,
            )
            .await;
        }
    }
    Ok(())
}

/// Records that someone loaded a version in an application (no change to the version).
pub async fn mark_received(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    version_id: &str,
    source_application: &str,
    message: Option<String>,
) -> Result<()> {
    load(core, actor, project_id, Action::RecordReceive).await?;
    let user = principal(actor)?;
    let version = find(core, project_id, version_id).await?;
    activity::record(
        core,
        Entry {
            project_id,
            resource_type: "commit",
            resource_id: &version.id,
            action_type: "commit_receive",
            user_id: Some(&user.user.id),
            info: json!({ "sourceApplication": source_application, "message": message }),
            message: format!("Version {} received in {source_application}", version.id),
        },
    )
    .await;
    Ok(())
}

pub async fn find(core: &Core, project_id: &str, version_id: &str) -> Result<Version> {
    core.projects
        .version(project_id, version_id)
        .await?
        .ok_or_else(|| Error::NotFound("version".into()))
}

async fn own_version(
    core: &Core,
    actor: &Actor,
    access: &Access,
    version_id: &str,
) -> Result<Version> {
    let version = find(core, &access.project.id, version_id).await?;
    if !may_change_own_or_any(actor, access, version.author_id.as_deref()) {
        return Err(Error::Forbidden(
            "only the version's author or a project owner can change it".into(),
        ));
    }
    Ok(version)
}

async fn record(
    core: &Core,
    actor: &Actor,
    version: &Version,
    model: &Model,
    action_type: &'static str,
    change: Change,
) {
    activity::record(
        core,
        Entry {
            project_id: &version.project_id,
            resource_type: "commit",
            resource_id: &version.id,
            action_type,
            user_id: actor.principal().map(|p| p.user.id.as_str()),
            info: json!({
                "id": version.id,
                "commit": {
                    "message": version.message,
                    "sourceApplication": version.source_application,
                    "objectId": version.referenced_object,
                    "branchName": model.name,
                },
            }),
            message: format!("Version {} on {}", version.id, model.name),
        },
    )
    .await;
    events::project(
        core,
        &version.project_id,
        ProjectEvent::Version {
            version_id: version.id.clone(),
            model_id: model.id.clone(),
            change,
        },
    )
    .await;
}
