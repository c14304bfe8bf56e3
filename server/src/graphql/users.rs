//! `activeUser` and `otherUser`.

use async_graphql::{Context, Object, Result, ID};
use fleck_core::auth::{links, Scope};
use fleck_core::ratelimit::Action;
use fleck_core::Core;

use super::errors::{forbidden, from_core, unauthenticated};
use crate::auth::Actor;

#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The caller; `null` when anonymous or when the token may not read the profile.
    async fn active_user(&self, ctx: &Context<'_>) -> Option<User> {
        match ctx.data_unchecked::<Actor>() {
            Actor::User(principal) if principal.has(Scope::ProfileRead) => Some(User {
                show_email: principal.has(Scope::ProfileEmail),
                user: principal.user.clone(),
            }),
            _ => None,
        }
    }

    /// Another user's public profile; `null` when there is no such user.
    async fn other_user(&self, ctx: &Context<'_>, id: String) -> Result<Option<LimitedUser>> {
        let core = ctx.data_unchecked::<Core>();
        let user = core.store.user_by_id(&id).await.map_err(from_core)?;
        Ok(user.map(LimitedUser))
    }
}

#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Sends the caller a new e-mail verification link.
    async fn request_verification(&self, ctx: &Context<'_>) -> Result<bool> {
        let Actor::User(principal) = ctx.data_unchecked::<Actor>() else {
            return Err(unauthenticated());
        };
        if !principal.has(Scope::ProfileRead) {
            return Err(forbidden(
                "Your token may not read your profile (profile:read).",
            ));
        }
        let core = ctx.data_unchecked::<Core>();
        core.rate_limiter
            .spend(Action::VerificationEmail, &principal.user.id)
            .await
            .map_err(from_core)?;
        links::send_verification(core, &principal.user)
            .await
            .map_err(from_core)?;
        Ok(true)
    }
}

pub struct User {
    user: fleck_core::users::User,
    show_email: bool,
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.user.id.clone())
    }

    async fn email(&self) -> Option<&str> {
        self.show_email.then_some(self.user.email.as_str())
    }

    async fn name(&self) -> &str {
        &self.user.name
    }

    async fn bio(&self) -> Option<&str> {
        self.user.bio.as_deref()
    }

    async fn company(&self) -> Option<&str> {
        self.user.company.as_deref()
    }

    async fn avatar(&self) -> Option<&str> {
        self.user.avatar.as_deref()
    }

    async fn verified(&self) -> Option<bool> {
        Some(self.user.verified)
    }

    async fn role(&self) -> Option<&str> {
        Some(self.user.role.as_str())
    }

    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.user.created_at
    }
}

/// What anyone may see of another user.
pub struct LimitedUser(fleck_core::users::User);

#[Object]
impl LimitedUser {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn bio(&self) -> Option<&str> {
        self.0.bio.as_deref()
    }

    async fn company(&self) -> Option<&str> {
        self.0.company.as_deref()
    }

    async fn avatar(&self) -> Option<&str> {
        self.0.avatar.as_deref()
    }

    async fn verified(&self) -> Option<bool> {
        Some(self.0.verified)
    }

    async fn role(&self) -> Option<&str> {
        Some(self.0.role.as_str())
    }
}
