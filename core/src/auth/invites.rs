//! Invitations to join the server: mailed links that let someone register, even on an
//! invite-only server, with the role the inviter chose.

use chrono::Utc;

use super::Principal;
use super::{tokens, Actor, Invite};
use crate::authz::{self, Action};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::users::{normalize_email, ServerRole};

/// Where invitation links point: the web app's sign-up page.
pub const REGISTER_PAGE: &str = "/authn/register";

/// The most characters an invitation's personal message may have.
pub const MESSAGE_LIMIT: usize = 1024;

/// An invitation's personal message, trimmed (`None` when empty), for invitations to the server
/// and to projects alike: at most `MESSAGE_LIMIT` characters.
pub fn checked_message(message: Option<String>) -> Result<Option<String>> {
    let message = message
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty());
    if message
        .as_ref()
        .is_some_and(|m| m.chars().count() > MESSAGE_LIMIT)
    {
        return Err(Error::invalid(
            "message",
            format!("the message must be at most {MESSAGE_LIMIT} characters"),
        ));
    }
    Ok(message)
}

/// Invites `email` to the server with `role` (`InviteToServer`: users and admins, with
/// `users:invite`). Users invite as users or guests; only admins invite admins; guests only when
/// guest mode is on.
pub async fn create(
    core: &Core,
    actor: &Actor,
    email: &str,
    role: ServerRole,
    message: Option<String>,
) -> Result<Invite> {
    let inviter = inviting(actor)?;
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
    let message = checked_message(message)?;
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

/// The caller, when `authz` lets them invite people to the server.
fn inviting(actor: &Actor) -> Result<&Principal> {
    authz::authorize(actor, Action::InviteToServer, None)?;
    actor.signed_in()
}

/// Every pending invitation to the server, newest first, for the admin pages.
pub async fn pending(core: &Core, actor: &Actor) -> Result<Vec<Invite>> {
    authz::authorize(actor, Action::AdministerServer, None)?;
    core.auth.invites().await
}

/// Whether `actor` may resend or cancel the invite: its inviter, or an admin.
async fn manageable<'a>(
    core: &Core,
    actor: &'a Actor,
    id: &str,
) -> Result<(&'a Principal, Invite)> {
    let actor = inviting(actor)?;
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
    Ok((actor, invite))
}

/// Mails the invite again with a new link; the old link stops working. Limited per inviter
/// (`InviteResend`), as each one sends a mail.
pub async fn resend(core: &Core, actor: &Actor, id: &str) -> Result<()> {
    let (actor, invite) = manageable(core, actor, id).await?;
    core.rate_limiter
        .spend(crate::ratelimit::Action::InviteResend, &actor.user.id)
        .await?;
    let token = crate::ids::random_string(tokens::SECRET_LEN);
    core.auth
        .replace_invite_token(&invite.id, &tokens::digest(&token))
        .await?;
    send(core, &invite, &actor.user.name, &token).await
}

/// Withdraws an invitation (its inviter or an admin).
pub async fn cancel(core: &Core, actor: &Actor, id: &str) -> Result<()> {
    let (_, invite) = manageable(core, actor, id).await?;
    core.auth.delete_invite(&invite.id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_trimmed_and_capped_in_characters() {
        assert_eq!(checked_message(None).unwrap(), None);
        assert_eq!(checked_message(Some("  ".into())).unwrap(), None);
        assert_eq!(
            checked_message(Some(" Welcome! ".into()))
                .unwrap()
                .as_deref(),
            Some("Welcome!")
        );
        let longest = "é".repeat(MESSAGE_LIMIT);
        assert_eq!(
            checked_message(Some(longest.clone())).unwrap(),
            Some(longest)
        );
        let err = checked_message(Some("x".repeat(MESSAGE_LIMIT + 1))).unwrap_err();
        assert!(matches!(err, Error::Invalid { ref field, .. } if field == "message"));
        assert!(err.to_string().contains("1024"), "{err}");
    }
}
