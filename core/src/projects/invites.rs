//! Invitations to a project: by e-mail or to a registered user, accepted or declined by the
//! invitee, cancelled or resent by the project's owners.

use serde_json::json;

use super::activity::{self, Entry};
use super::members;
use super::service::{load, principal, Access};
use super::{Invitee, Project, ProjectInvite};
use crate::auth::{emails, Actor};
use crate::authz::{Action, ProjectRole};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::ids;
use crate::users::{normalize_email, ServerRole};

/// How many invitations one batch may hold.
pub const BATCH_LIMIT: usize = 200;
const TOKEN_LEN: usize = 50;

/// Who to invite, with which role.
pub struct NewInvite {
    pub email: Option<String>,
    pub user_id: Option<String>,
    pub role: Option<ProjectRole>,
    pub server_role: Option<ServerRole>,
    pub message: Option<String>,
}

/// Invites someone to a project (owners). Members cannot be invited again, an address that
/// belongs to an account becomes an invitation to that user, and guests cannot become owners.
pub async fn create(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    input: NewInvite,
) -> Result<ProjectInvite> {
    let access = load(core, actor, project_id, Action::InviteToProject).await?;
    let inviter = principal(actor)?;
    let role = input.role.unwrap_or(ProjectRole::Contributor);
    let message = crate::auth::invites::checked_message(input.message)?;
    let invitee_user = match (&input.user_id, &input.email) {
        (Some(user_id), _) => Some(
            core.store
                .user_by_id(user_id)
                .await?
                .ok_or_else(|| Error::NotFound("user".into()))?,
        ),
        (None, Some(email)) => core.store.user_by_email(&normalize_email(email)?).await?,
        (None, None) => {
            return Err(Error::invalid(
                "email",
                "give an e-mail address or a user id",
            ))
        }
    };
    let invitee = match &invitee_user {
        Some(user) => {
            if core.projects.role_of(project_id, &user.id).await?.is_some() {
                return Err(Error::Conflict(format!(
                    "{} is already a member of this project",
                    user.name
                )));
            }
            if role == ProjectRole::Owner && user.role == ServerRole::Guest {
                return Err(Error::invalid("role", "server guests cannot own projects"));
            }
            Invitee::User(user.id.clone())
        }
        None => Invitee::Email(normalize_email(input.email.as_deref().unwrap_or_default())?),
    };
    let server_role = match input.server_role {
        Some(ServerRole::Admin) if inviter.user.role != ServerRole::Admin => {
            return Err(Error::Forbidden("only admins can invite admins".into()))
        }
        Some(ServerRole::Archived) => {
            return Err(Error::invalid(
                "serverRole",
                "archived users cannot be invited",
            ))
        }
        Some(ServerRole::Guest) if !core.store.server_settings().await?.guest_mode => {
            return Err(Error::invalid(
                "serverRole",
                "guest mode is off on this server",
            ))
        }
        other => other,
    };
    let existing = core.projects.project_invites(project_id).await?;
    if existing.iter().any(|i| i.invitee == invitee) {
        return Err(Error::Conflict(
            "this person has already been invited".into(),
        ));
    }
    let invite = ProjectInvite {
        id: ids::new_id(),
        project_id: project_id.to_string(),
        invitee,
        role,
        server_role,
        inviter_id: inviter.user.id.clone(),
        token: ids::random_string(TOKEN_LEN),
        message,
        created_at: super::now(),
    };
    core.projects.insert_project_invite(&invite).await?;
    let to = match &invitee_user {
        Some(user) => user.email.clone(),
        None => match &invite.invitee {
            Invitee::Email(email) => email.clone(),
            Invitee::User(_) => unreachable!("an invitation without an account is by e-mail"),
        },
    };
    mail(core, &invite, &to, &inviter.user.name, &access.project.name).await?;
    let info = json!({ "targetId": invitee_user.as_ref().map(|u| &u.id), "role": role.as_str() });
    let entry = Entry::project(
        project_id,
        "stream_invite_sent",
        Some(&inviter.user.id),
        info,
        "Project invitation sent",
    );
    activity::record(core, entry).await;
    Ok(invite)
}

/// Mails an invitation again (owners), limited per inviter (`InviteResend`), as each one sends
/// a mail.
pub async fn resend(core: &Core, actor: &Actor, project_id: &str, invite_id: &str) -> Result<()> {
    let access = load(core, actor, project_id, Action::InviteToProject).await?;
    let invite = of_project(core, project_id, invite_id).await?;
    core.rate_limiter
        .spend(
            crate::ratelimit::Action::InviteResend,
            &principal(actor)?.user.id,
        )
        .await?;
    let to = match &invite.invitee {
        Invitee::Email(email) => email.clone(),
        Invitee::User(id) => {
            core.store
                .user_by_id(id)
                .await?
                .ok_or_else(|| Error::NotFound("user".into()))?
                .email
        }
    };
    let inviter = principal(actor)?;
    mail(core, &invite, &to, &inviter.user.name, &access.project.name).await
}

/// Withdraws an invitation (owners).
pub async fn cancel(core: &Core, actor: &Actor, project_id: &str, invite_id: &str) -> Result<()> {
    load(core, actor, project_id, Action::InviteToProject).await?;
    of_project(core, project_id, invite_id).await?;
    core.projects.delete_project_invite(invite_id).await?;
    Ok(())
}

/// A project's pending invitations (tokens included: callers show them only to invitees), for
/// those `authz` lets see them (`ReadProjectInvites`: the project's contributors and owners, as
/// Speckle's `invitedTeam`); `None` for everyone else.
pub async fn pending(
    core: &Core,
    actor: &Actor,
    access: &Access,
) -> Result<Option<Vec<ProjectInvite>>> {
    if !access.allows(actor, Action::ReadProjectInvites) {
        return Ok(None);
    }
    core.projects
        .project_invites(&access.project.id)
        .await
        .map(Some)
}

/// The invitation `token` stands for, when it is addressed to the caller; `None` otherwise.
pub async fn for_caller(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    token: &str,
) -> Result<Option<ProjectInvite>> {
    let Some(invite) = core.projects.project_invite_by_token(token.trim()).await? else {
        return Ok(None);
    };
    let addressed = match actor.principal() {
        Some(principal) => addressed_to(&invite, &principal.user, true),
        None => false,
    };
    Ok((invite.project_id == project_id && addressed).then_some(invite))
}

/// The project an invitation is to, as its invitee sees it before joining; `None` once the
/// project is gone.
pub async fn project_of(core: &Core, invite: &ProjectInvite) -> Result<Option<Project>> {
    core.projects.project(&invite.project_id).await
}

/// Invitations the caller can act on: those to their account, and to their address once verified.
pub async fn of_caller(core: &Core, actor: &Actor) -> Result<Vec<ProjectInvite>> {
    let user = &principal(actor)?.user;
    let invites = core.projects.invites_for(&user.id, &user.email).await?;
    Ok(invites
        .into_iter()
        .filter(|i| addressed_to(i, user, false))
        .collect())
}

/// Accepts (joining with the invitation's role) or declines an invitation addressed to the caller.
pub async fn answer(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    token: &str,
    accept: bool,
) -> Result<()> {
    let user = &members::changing_own_membership(actor, project_id)?.user;
    let invite = for_caller(core, actor, project_id, token)
        .await?
        .ok_or_else(|| Error::NotFound("invitation".into()))?;
    if accept {
        let role = match invite.role {
            ProjectRole::Owner if user.role == ServerRole::Guest => ProjectRole::Contributor,
            role => role,
        };
        members::add(core, project_id, &user.id, role).await?;
    }
    core.projects.delete_project_invite(&invite.id).await?;
    let (action_type, message) = if accept {
        ("stream_permissions_invite_accepted", "Invitation accepted")
    } else {
        ("stream_invite_declined", "Invitation declined")
    };
    activity::record(
        core,
        Entry {
            project_id,
            resource_type: "user",
            resource_id: &user.id,
            action_type,
            user_id: Some(&user.id),
            info: json!({ "inviterUser": invite.inviter_id, "role": invite.role.as_str() }),
            message: message.into(),
        },
    )
    .await;
    Ok(())
}

/// Whether an invitation is for `user`. Invitations by e-mail count once the address is verified,
/// or when the caller holds the mailed token (which proves they read that mailbox).
fn addressed_to(invite: &ProjectInvite, user: &crate::users::User, has_token: bool) -> bool {
    match &invite.invitee {
        Invitee::User(id) => *id == user.id,
        Invitee::Email(email) => *email == user.email && (user.verified || has_token),
    }
}

async fn of_project(core: &Core, project_id: &str, invite_id: &str) -> Result<ProjectInvite> {
    core.projects
        .project_invite(invite_id)
        .await?
        .filter(|i| i.project_id == project_id)
        .ok_or_else(|| Error::NotFound("invitation".into()))
}

async fn mail(
    core: &Core,
    invite: &ProjectInvite,
    to: &str,
    inviter_name: &str,
    project_name: &str,
) -> Result<()> {
    // Someone without an account signs up through the invitation; members open the project.
    let mut url = core.config.public_url.clone();
    match invite.invitee {
        Invitee::Email(_) => {
            url.set_path(crate::auth::invites::REGISTER_PAGE);
            url.query_pairs_mut().append_pair("token", &invite.token);
        }
        Invitee::User(_) => {
            url.set_path(&format!("/projects/{}", invite.project_id));
            url.query_pairs_mut()
                .append_pair("token", &invite.token)
                .append_pair("accept", "true");
        }
    }
    emails::project_invitation(
        to,
        inviter_name,
        project_name,
        invite.message.as_deref(),
        url.as_str(),
    )
    .enqueue(&core.jobs)
    .await?;
    Ok(())
}
