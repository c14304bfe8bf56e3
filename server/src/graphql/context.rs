//! What every resolver takes from the request's context: the `Core`, the caller, and the few
//! ways of asking `fleck_core` whether the caller may go on, each with the error codes Speckle's
//! clients expect. Resolvers use these and nothing else to reach the context.

use async_graphql::{Context, Result};
use fleck_core::auth::Actor;
use fleck_core::authz::Action;
use fleck_core::projects::service;
use fleck_core::Core;

use super::errors::{code, from_core, unauthenticated};

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
