//! What every resolver takes from the request's context: the `Core`, the caller, and the few
//! ways of asking `fleck_core` whether the caller may go on, each with the error codes Speckle's
//! clients expect. Resolvers use these and nothing else to reach the context.

use async_graphql::{Context, Result};
use fleck_core::auth::Principal;
use fleck_core::auth::{Actor, Scope};
use fleck_core::authz::{self, Action};
use fleck_core::projects::service;
use fleck_core::Core;

use super::errors::{code, forbidden, from_core, unauthenticated};

pub fn core<'a>(ctx: &Context<'a>) -> &'a Core {
    ctx.data_unchecked::<Core>()
}

pub fn actor<'a>(ctx: &Context<'a>) -> &'a Actor {
    ctx.data_unchecked::<Actor>()
}

/// The caller, signed in; `UNAUTHENTICATED` for anonymous callers. Core's services decide what
/// the caller may do; this only gives anonymous callers the code clients expect.
pub fn signed_in<'a>(ctx: &'a Context<'_>) -> Result<&'a Actor> {
    let actor = actor(ctx);
    match actor {
        Actor::Anonymous => Err(unauthenticated()),
        Actor::User(_) => Ok(actor),
    }
}

/// Loads a project for `action`, with Speckle's error codes.
pub async fn load(ctx: &Context<'_>, id: &str, action: Action) -> Result<service::Access> {
    service::load(core(ctx), actor(ctx), id, action)
        .await
        .map_err(|e| match e {
            fleck_core::Error::NotFound(_) => code("Project not found", "STREAM_NOT_FOUND"),
            other => from_core(other),
        })
}

/// The caller when signed in with `scope`; the error clients expect otherwise.
pub fn require<'a>(ctx: &'a Context<'_>, scope: Scope) -> Result<&'a Principal> {
    match actor(ctx) {
        Actor::Anonymous => Err(unauthenticated()),
        Actor::User(principal) if principal.has(scope) => Ok(principal),
        Actor::User(_) => Err(forbidden(format!("Your token lacks the {scope} scope."))),
    }
}

/// The caller when `authz` allows `action` outside any project; its refusal otherwise.
pub fn allow<'a>(ctx: &'a Context<'_>, action: Action) -> Result<&'a Principal> {
    let actor = actor(ctx);
    let Some(principal) = actor.principal() else {
        return Err(unauthenticated());
    };
    authz::authorize(actor, action, None).map_err(from_core)?;
    Ok(principal)
}
