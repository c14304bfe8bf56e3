//! Server invitations: `serverInviteCreate`, `serverInviteByToken`, `inviteResend`, `inviteDelete`.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use fleck_core::auth::invites;
use fleck_core::users::ServerRole;

use super::context::{core, signed_in};
use super::errors::from_core;
use super::users::LimitedUser;

#[derive(InputObject)]
pub struct ServerInviteCreateInput {
    email: String,
    message: Option<String>,
    server_role: Option<String>,
}

#[derive(SimpleObject)]
pub struct ServerInvite {
    id: String,
    email: String,
    invited_by: LimitedUser,
}

#[derive(Default)]
pub struct ServerInviteQuery;

#[Object]
impl ServerInviteQuery {
    /// The invitation a sign-up link carries; `null` when it is unknown or used.
    async fn server_invite_by_token(
        &self,
        ctx: &Context<'_>,
        token: Option<String>,
    ) -> Result<Option<ServerInvite>> {
        let Some(token) = token else { return Ok(None) };
        let core = core(ctx);
        let Some(invite) = invites::by_token(core, &token).await.map_err(from_core)? else {
            return Ok(None);
        };
        let inviter = fleck_core::users::by_id(core, &invite.inviter_id)
            .await
            .map_err(from_core)?;
        Ok(inviter.map(|inviter| ServerInvite {
            id: invite.id,
            email: invite.email,
            invited_by: LimitedUser::from(inviter),
        }))
    }
}

#[derive(Default)]
pub struct ServerInviteMutation;

#[Object]
impl ServerInviteMutation {
    /// Invites someone to the server by e-mail (`users:invite`).
    async fn server_invite_create(
        &self,
        ctx: &Context<'_>,
        input: ServerInviteCreateInput,
    ) -> Result<bool> {
        let actor = signed_in(ctx)?;
        let role: ServerRole = match input.server_role {
            Some(role) => role.parse().map_err(from_core)?,
            None => ServerRole::User,
        };
        let core = core(ctx);
        invites::create(core, actor, &input.email, role, input.message)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    /// Mails an invitation again, with a new link.
    async fn invite_resend(&self, ctx: &Context<'_>, invite_id: String) -> Result<bool> {
        invites::resend(core(ctx), signed_in(ctx)?, &invite_id)
            .await
            .map_err(from_core)?;
        Ok(true)
    }

    /// Cancels an invitation (its inviter or an admin).
    async fn invite_delete(&self, ctx: &Context<'_>, invite_id: String) -> Result<bool> {
        invites::cancel(core(ctx), signed_in(ctx)?, &invite_id)
            .await
            .map_err(from_core)?;
        Ok(true)
    }
}
