//! Creating accounts: the one place registration rules live, for the REST API and the web app.

use super::{flow, sessions, Actor};
use crate::authz::{self, Action};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::ratelimit::Action as Limited;
use crate::users::{hash_password_off_workers, ServerRole, User, UserInput};

/// Sets a new password for the caller once they gave the current one (`profile:write`). Wrong
/// guesses count like failed sign-ins (`Login`). Every web session of the account ends, so
/// other browsers are signed out; app and personal tokens keep working.
pub async fn change_password(core: &Core, actor: &Actor, current: &str, new: &str) -> Result<()> {
    authz::authorize(actor, Action::UpdateOwnProfile, None)?;
    let user = &actor.signed_in()?.user;
    core.rate_limiter.spend(Limited::Login, &user.id).await?;
    let matches = flow::check_credentials(core, &user.email, current)
        .await?
        .is_some_and(|found| found.id == user.id);
    if !matches {
        return Err(Error::invalid(
            "current",
            "your current password is not right",
        ));
    }
    let hash = hash_password_off_workers(new).await?;
    core.auth.set_password_hash(&user.id, &hash).await?;
    sessions::end_all(core, &user.id).await
}

/// Registers a new user with a password: the password hashed (off the async workers: argon2 is
/// slow by design), the first user made admin, and a verification e-mail queued. With an
/// invitation's token the user gets its role and, since the invitation reached that address,
/// starts verified; without one, invite-only servers refuse.
pub async fn register(core: &Core, input: UserInput, invite_token: Option<&str>) -> Result<User> {
    if input.password.is_none() {
        return Err(Error::invalid("password", "a password is required"));
    }
    let invite = match invite_token.filter(|t| !t.trim().is_empty()) {
        Some(token) => Some(Invitation::find(core, token).await?.ok_or_else(|| {
            Error::invalid("invite", "this invitation is invalid or was already used")
        })?),
        None => None,
    };
    if invite.is_none() && core.store.server_settings().await?.invite_only {
        return Err(Error::Forbidden(
            "this server accepts new accounts only by invitation".into(),
        ));
    }
    let mut new_user = tokio::task::spawn_blocking(move || input.into_new_user())
        .await
        .map_err(|e| Error::backend("hashing a password", e))??;
    let role = match &invite {
        Some(invite) if invite.email() != new_user.email => {
            return Err(Error::invalid(
                "email",
                "use the address the invitation was sent to",
            ));
        }
        Some(invite) => {
            new_user.verified = true;
            invite.server_role()
        }
        None => ServerRole::User,
    };
    let user = core.store.create_user(new_user, role).await?;
    match invite {
        Some(Invitation::Server(_)) => core.auth.delete_invites_for(&user.email).await?,
        // Signing up through a project invitation's link accepts it.
        Some(Invitation::Project(invite)) => {
            crate::projects::members::add(core, &invite.project_id, &user.id, invite.role).await?;
            core.projects.delete_project_invite(&invite.id).await?;
            core.auth.delete_invites_for(&user.email).await?;
        }
        None => super::links::send_verification(core, &user).await?,
    }
    Ok(user)
}

/// What the sign-up page says of the invitation a link carries.
#[derive(Clone, Debug, PartialEq)]
pub struct SignUpInvitation {
    /// The address it was sent to, which the account is made for.
    pub email: String,
    pub inviter: String,
    /// The project it invites to, for invitations to a project.
    pub project: Option<String>,
}

/// The invitation behind a sign-up link's token (to the server, or to a project for an address
/// without an account); `None` when there is none, as `register` would find.
pub async fn sign_up_invitation(core: &Core, token: &str) -> Result<Option<SignUpInvitation>> {
    let Some(invitation) = Invitation::find(core, token).await? else {
        return Ok(None);
    };
    let (inviter_id, project) = match &invitation {
        Invitation::Server(invite) => (invite.inviter_id.as_str(), None),
        Invitation::Project(invite) => {
            let project = core.projects.project(&invite.project_id).await?;
            (invite.inviter_id.as_str(), project.map(|p| p.name))
        }
    };
    let inviter = core
        .store
        .user_by_id(inviter_id)
        .await?
        .map(|u| u.name)
        .unwrap_or_else(|| "Someone".into());
    Ok(Some(SignUpInvitation {
        email: invitation.email().to_string(),
        inviter,
        project,
    }))
}

/// What an invitation link's token can stand for.
enum Invitation {
    Server(super::Invite),
    /// An invitation to a project sent to an address without an account.
    Project(crate::projects::ProjectInvite),
}

impl Invitation {
    async fn find(core: &Core, token: &str) -> Result<Option<Self>> {
        if let Some(invite) = super::invites::by_token(core, token).await? {
            return Ok(Some(Invitation::Server(invite)));
        }
        let project_invite = core.projects.project_invite_by_token(token.trim()).await?;
        Ok(project_invite
            .filter(|i| matches!(i.invitee, crate::projects::Invitee::Email(_)))
            .map(Invitation::Project))
    }

    fn email(&self) -> &str {
        match self {
            Invitation::Server(invite) => &invite.email,
            Invitation::Project(invite) => match &invite.invitee {
                crate::projects::Invitee::Email(email) => email,
                crate::projects::Invitee::User(_) => "",
            },
        }
    }

    /// Project invitations give the server role chosen for the invitee, or a user's.
    fn server_role(&self) -> ServerRole {
        match self {
            Invitation::Server(invite) => invite.server_role,
            Invitation::Project(invite) => invite.server_role.unwrap_or(ServerRole::User),
        }
    }
}
