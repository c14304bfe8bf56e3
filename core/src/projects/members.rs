//! Project members: change a role, remove someone, leave.

use serde_json::json;

use super::activity::{self, Entry};
use super::events::{self, Change};
use super::service::{load, principal};
use crate::auth::Actor;
use crate::auth::Principal;
use crate::authz::{self, Action, ProjectRole};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::users::ServerRole;

/// Sets a member's role (`None` removes them). Owners only; nobody changes their own role, guests
/// cannot own projects, and a project always keeps an owner.
pub async fn set_role(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    user_id: &str,
    role: Option<ProjectRole>,
) -> Result<()> {
    load(core, actor, project_id, Action::AdministerProject).await?;
    let caller = principal(actor)?;
    if caller.user.id == user_id {
        return Err(Error::Forbidden(
            "you cannot change your own role; leave the project instead".into(),
        ));
    }
    let current = core
        .projects
        .role_of(project_id, user_id)
        .await?
        .ok_or_else(|| Error::NotFound("project collaborator".into()))?;
    match role {
        Some(role) => {
            if role == ProjectRole::Owner {
                let user = core
                    .store
                    .user_by_id(user_id)
                    .await?
                    .ok_or_else(|| Error::NotFound("user".into()))?;
                if user.role == ServerRole::Guest {
                    return Err(Error::invalid("role", "server guests cannot own projects"));
                }
            }
            if current == ProjectRole::Owner && role != ProjectRole::Owner {
                keep_an_owner(core, project_id).await?;
            }
            core.projects.set_member(project_id, user_id, role).await?;
            log_change(core, project_id, caller, user_id, Some(role)).await;
        }
        None => {
            if current == ProjectRole::Owner {
                keep_an_owner(core, project_id).await?;
            }
            core.projects.remove_member(project_id, user_id).await?;
            log_change(core, project_id, caller, user_id, None).await;
            events::user_projects(core, user_id, project_id, false).await;
        }
    }
    Ok(())
}

/// The caller, when they may join or leave this project themselves: a token that may change
/// projects (`streams:write`) and is not limited to other projects.
pub(crate) fn changing_own_membership<'a>(
    actor: &'a Actor,
    project_id: &str,
) -> Result<&'a Principal> {
    authz::authorize(actor, Action::ChangeOwnMembership, None)?;
    let caller = principal(actor)?;
    if !caller.reaches(project_id) {
        return Err(Error::Forbidden(
            "your token is limited to other projects".into(),
        ));
    }
    Ok(caller)
}

/// Whether the caller may leave a project: members may, with a token that may change their
/// memberships, except the project's only owner. `Ok` with the caller, or the refusal.
pub async fn may_leave<'a>(
    core: &Core,
    actor: &'a Actor,
    project_id: &str,
) -> Result<&'a Principal> {
    let caller = changing_own_membership(actor, project_id)?;
    let role = core
        .projects
        .role_of(project_id, &caller.user.id)
        .await?
        .ok_or_else(|| Error::NotFound("project membership".into()))?;
    if role == ProjectRole::Owner {
        keep_an_owner(core, project_id).await?;
    }
    Ok(caller)
}

/// The caller leaves a project; its last owner cannot.
pub async fn leave(core: &Core, actor: &Actor, project_id: &str) -> Result<()> {
    let caller = may_leave(core, actor, project_id).await?;
    core.projects
        .remove_member(project_id, &caller.user.id)
        .await?;
    log_change(core, project_id, caller, &caller.user.id, None).await;
    events::user_projects(core, &caller.user.id, project_id, false).await;
    Ok(())
}

/// Adds a member (accepted invitations).
pub(crate) async fn add(
    core: &Core,
    project_id: &str,
    user_id: &str,
    role: ProjectRole,
) -> Result<()> {
    core.projects.set_member(project_id, user_id, role).await?;
    events::user_projects(core, user_id, project_id, true).await;
    events::project_changed(core, project_id, Change::Updated).await;
    Ok(())
}

async fn keep_an_owner(core: &Core, project_id: &str) -> Result<()> {
    let owners = core
        .projects
        .members(project_id)
        .await?
        .into_iter()
        .filter(|m| m.role == ProjectRole::Owner)
        .count();
    if owners <= 1 {
        return Err(Error::Conflict(
            "a project needs an owner: make someone else owner first".into(),
        ));
    }
    Ok(())
}

async fn log_change(
    core: &Core,
    project_id: &str,
    caller: &crate::auth::Principal,
    user_id: &str,
    role: Option<ProjectRole>,
) {
    let (action_type, message) = match role {
        Some(role) => (
            "stream_permissions_add",
            format!("Permission granted: {role}"),
        ),
        None => (
            "stream_permissions_remove",
            "Permission revoked".to_string(),
        ),
    };
    activity::record(
        core,
        Entry {
            project_id,
            resource_type: "user",
            resource_id: user_id,
            action_type,
            user_id: Some(&caller.user.id),
            info: json!({ "targetUser": user_id, "role": role.map(|r| r.as_str()) }),
            message,
        },
    )
    .await;
    events::project_changed(core, project_id, Change::Updated).await;
}
