//! Finding apps, and the apps a user let act for them.

use crate::auth::{Actor, ServerApp};
use crate::authz::{self, Action};
use crate::core::Core;
use crate::error::Result;

/// An app registered on the server, by id (for its consent page and the access-code exchange).
pub async fn find(core: &Core, app_id: &str) -> Result<Option<ServerApp>> {
    core.auth.app(app_id).await
}

/// The apps people can authorize on this server, for anyone to see.
pub async fn public(core: &Core) -> Result<Vec<ServerApp>> {
    core.auth.public_apps().await
}

/// The apps the caller has let act for them (`apps:read`).
pub async fn authorized_by_caller(core: &Core, actor: &Actor) -> Result<Vec<ServerApp>> {
    authz::authorize(actor, Action::ReadOwnApps, None)?;
    core.auth.authorized_apps(&actor.signed_in()?.user.id).await
}

/// Ends an app's access to the caller's account (`apps:write`): its tokens and refresh tokens
/// stop working.
pub async fn revoke_access(core: &Core, actor: &Actor, app_id: &str) -> Result<()> {
    authz::authorize(actor, Action::RevokeOwnApps, None)?;
    core.auth
        .revoke_app_access(&actor.signed_in()?.user.id, app_id)
        .await
}
