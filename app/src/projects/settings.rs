//! The server functions of a project's settings page (`pages/settings.rs`): its details, its team
//! and pending invitations, leaving and deleting.

use leptos::prelude::*;

use super::{Loaded, SettingsPage};
use crate::shared::Outcome;

#[server]
pub async fn fetch_settings(id: String) -> Result<Loaded<SettingsPage>, ServerFnError> {
    use crate::projects::read::server::{context, header, refused, Authors};
    use crate::projects::{role_label, MemberRow, PendingRow};
    use crate::shared::server::message;
    use fleck_core::authz::Action;
    use fleck_core::projects::{invites, service, Invitee};
    let (core, actor) = context().await?;
    let access = match service::load(&core, &actor, &id, Action::ReadProject).await {
        Ok(access) => access,
        Err(e) => return refused(&actor, e),
    };
    let me = actor
        .principal()
        .map(|p| p.user.id.clone())
        .unwrap_or_default();
    let members = access.members(&core).await.map_err(message)?;
    let invites = invites::pending(&core, &actor, &access)
        .await
        .map_err(message)?
        .unwrap_or_default();
    let mut authors = Authors::new(&core);
    let mut pending = Vec::with_capacity(invites.len());
    for invite in invites {
        let who = match &invite.invitee {
            Invitee::Email(email) => email.clone(),
            Invitee::User(user_id) => authors.name(Some(user_id)).await?,
        };
        pending.push(PendingRow {
            id: invite.id,
            who,
            role: role_label(invite.role.as_str()),
        });
    }
    Ok(Loaded::Found(SettingsPage {
        project: header(&actor, &access),
        members: members
            .into_iter()
            .map(|m| MemberRow {
                is_me: m.user.id == me,
                user_id: m.user.id,
                name: m.user.name,
                company: m.user.company.unwrap_or_default(),
                role: m.role.as_str().to_string(),
            })
            .collect(),
        pending,
    }))
}

#[server]
pub async fn update_project(
    id: String,
    name: String,
    description: String,
    visibility: String,
) -> Result<Outcome, ServerFnError> {
    use crate::projects::edit::server::*;
    use fleck_core::projects::service::{self, ProjectUpdate};
    let (core, actor) = context().await?;
    finish(
        async {
            let update = ProjectUpdate {
                name: Some(name),
                description: Some(description),
                visibility: Some(visibility_from(&visibility)?),
                allow_public_comments: None,
            };
            service::update(&core, &actor, &id, update)
                .await
                .map_err(fail)?;
            Ok(None)
        }
        .await,
    )
}

/// Invites someone by e-mail address; an address with an account invites that user.
#[server]
pub async fn invite_member(
    project_id: String,
    email: String,
    role: String,
) -> Result<Outcome, ServerFnError> {
    use crate::projects::edit::server::*;
    use fleck_core::projects::invites::{self, NewInvite};
    let (core, actor) = context().await?;
    let invite = async {
        let input = NewInvite {
            email: Some(email),
            user_id: None,
            role: Some(role.parse()?),
            server_role: None,
            message: None,
        };
        invites::create(&core, &actor, &project_id, input).await
    };
    stay(invite.await, fail)
}

#[server]
pub async fn cancel_invite(
    project_id: String,
    invite_id: String,
) -> Result<Outcome, ServerFnError> {
    use crate::projects::edit::server::*;
    use fleck_core::projects::invites;
    let (core, actor) = context().await?;
    stay(
        invites::cancel(&core, &actor, &project_id, &invite_id).await,
        fail,
    )
}

/// Sets a collaborator's role; `role` = "remove" takes them off the project.
#[server]
pub async fn change_role(
    project_id: String,
    user_id: String,
    role: String,
) -> Result<Outcome, ServerFnError> {
    use crate::projects::edit::server::*;
    use fleck_core::projects::members;
    let (core, actor) = context().await?;
    let change = async {
        let role = match role.as_str() {
            "remove" => None,
            other => Some(other.parse()?),
        };
        members::set_role(&core, &actor, &project_id, &user_id, role).await
    };
    stay(change.await, fail)
}

#[server]
pub async fn leave_project(project_id: String) -> Result<Outcome, ServerFnError> {
    use crate::projects::edit::server::*;
    use fleck_core::projects::members;
    let (core, actor) = context().await?;
    finish(
        async {
            members::leave(&core, &actor, &project_id)
                .await
                .map_err(fail)?;
            go_to("/").await
        }
        .await,
    )
}

/// Deletes the project once the person typed its name, as a guard against slips.
#[server]
pub async fn delete_project(project_id: String, confirm: String) -> Result<Outcome, ServerFnError> {
    use crate::projects::edit::server::*;
    use fleck_core::authz::Action;
    use fleck_core::projects::service;
    let (core, actor) = context().await?;
    finish(
        async {
            let access = service::load(&core, &actor, &project_id, Action::DeleteProject)
                .await
                .map_err(fail)?;
            if confirm.trim() != access.project.name {
                return Err(Failure::User(
                    "Type the project's name exactly to confirm.".into(),
                ));
            }
            service::delete(&core, &actor, &project_id)
                .await
                .map_err(fail)?;
            go_to("/").await
        }
        .await,
    )
}
