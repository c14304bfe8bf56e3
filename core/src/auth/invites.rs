//! Invitations to join the server: mailed links that let someone register, even on an
//! invite-only server, with the role the inviter chose.

use chrono::Utc;

use super::flow::Principal;
use super::{tokens, Invite};
use crate::backends::Core;
use crate::error::{Error, Result};
use crate::users::{normalize_email, ServerRole};

/// Where invitation links point: the web app's sign-up page.
pub const REGISTER_PAGE: &str = "/authn/register";

/// Invites `email` to the server with `role`. Users invite as users or guests; only admins invite
/// admins; guests only when guest mode is on.
pub async fn create(
    core: &Core,
    inviter: &Principal,
    email: &str,
    role: ServerRole,
    message: Option<String>,
) -> Result<Invite> {
    if !inviter.user.role.at_least(ServerRole::User) {
        return Err(Error::Forbidden(
            "guests cannot invite people to the server".into(),
        ));
    }
    match role {
        ServerRole::Admin if inviter.user.role != ServerRole::Admin => {
            return Err(Error::Forbidden("only admins can invite admins".into()))
        }
        ServerRole::Guest if !core.store.server_settings().await?.guest_mode => {
            return Err(Error::invalid(
                "serverRole",
                "guest mode is off on this server",
            ))
        }
        ServerRole::Archived => {
            return Err(Error::invalid(
                "serverRole",
                "archived users cannot be invited",
            ))
        }
        _ => {}
    }
    let email = normalize_email(email)?;
    if core.store.user_by_email(&email).await?.is_some() {
        return Err(Error::Conflict(format!(
            "{email} already has an account on this server"
        )));
    }
    let message = message
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty());
    if message.as_ref().is_some_and(|m| m.chars().count() > 1024) {
        return Err(Error::invalid("message", "must be at most 1024 characters"));
    }
    let token = crate::ids::random_string(tokens::SECRET_LEN);
    let invite = Invite {
        id: crate::ids::new_id(),
        token_digest: tokens::digest(&token),
        email,
        inviter_id: inviter.user.id.clone(),
        server_role: role,
        message,
        created_at: Utc::now(),
    };
    core.auth.insert_invite(&invite).await?;
    send(core, &invite, &inviter.user.name, &token).await?;
    Ok(invite)
}

async fn send(core: &Core, invite: &Invite, inviter_name: &str, token: &str) -> Result<()> {
    let mut url = core.config.public_url.clone();
    url.set_path(REGISTER_PAGE);
    url.query_pairs_mut().append_pair("token", token);
    let server_name = core.store.server_settings().await?.name;
    super::emails::invitation(
        &invite.email,
        inviter_name,
        &server_name,
        invite.message.as_deref(),
        url.as_str(),
    )
    .enqueue(&core.jobs)
    .await?;
    Ok(())
}

/// The invite a link's token stands for.
pub async fn by_token(core: &Core, token: &str) -> Result<Option<Invite>> {
    core.auth
        .invite_by_token(&tokens::digest(token.trim()))
        .await
}

/// Whether `actor` may resend or cancel the invite: its inviter, or an admin.
async fn manageable(core: &Core, actor: &Principal, id: &str) -> Result<Invite> {
    let invite = core
        .auth
        .invite(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("invite {id}")))?;
    if invite.inviter_id != actor.user.id && actor.user.role != ServerRole::Admin {
        return Err(Error::Forbidden(
            "only the inviter or an admin can change this invite".into(),
        ));
    }
    Ok(invite)
}

/// Mails the invite again with a new link; the old link stops working.
pub async fn resend(core: &Core, actor: &Principal, id: &str) -> Result<()> {
    let invite = manageable(core, actor, id).await?;
    let token = crate::ids::random_string(tokens::SECRET_LEN);
    core.auth
        .replace_invite_token(&invite.id, &tokens::digest(&token))
        .await?;
    send(core, &invite, &actor.user.name, &token).await
}

pub async fn cancel(core: &Core, actor: &Principal, id: &str) -> Result<()> {
    let invite = manageable(core, actor, id).await?;
    core.auth.delete_invite(&invite.id).await?;
    Ok(())
}
