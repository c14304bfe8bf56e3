//! What callers do with users: server roles, profiles, lookups and search, each checked by
//! `authz`.

use super::{ProfileUpdate, ServerRole, User};
use crate::auth::Actor;
use crate::authz::{self, Action};
use crate::core::Core;
use crate::error::{Error, Result};

/// Changes a user's server role (admins only); `Archived` archives them, so their tokens and
/// sessions stop working. The server's last admin cannot be demoted.
pub async fn set_server_role(
    core: &Core,
    actor: &Actor,
    user_id: &str,
    role: ServerRole,
) -> Result<User> {
    authz::authorize(actor, Action::AdministerServer, None)?;
    change_server_role(core, user_id, role).await
}

/// The one write of server roles, for admins (`set_server_role`) and the server's operator
/// (`operator::set_server_role`). The store refuses to demote the last admin inside the update
/// itself, so the rule holds when two admins demote each other at the same moment.
pub(crate) async fn change_server_role(
    core: &Core,
    user_id: &str,
    role: ServerRole,
) -> Result<User> {
    core.store.set_server_role(user_id, role).await
}

/// Changes the caller's own profile (`profile:write`); see `ProfileUpdate` for the fields.
pub async fn update_profile(core: &Core, actor: &Actor, update: ProfileUpdate) -> Result<User> {
    authz::authorize(actor, Action::UpdateOwnProfile, None)?;
    let user_id = &actor.signed_in()?.user.id;
    core.store.update_profile(user_id, &update.checked()?).await
}

/// Users whose name or e-mail contains `search`, oldest first, for the admin pages.
pub async fn list(
    core: &Core,
    actor: &Actor,
    search: Option<&str>,
    page: crate::store::Page,
) -> Result<Vec<User>> {
    authz::authorize(actor, Action::AdministerServer, None)?;
    core.store.list_users(search, page).await
}

/// A user's record by id, for showing who did something (authors, inviters, members); callers
/// show others only their public profile.
pub async fn by_id(core: &Core, id: &str) -> Result<Option<User>> {
    core.store.user_by_id(id).await
}

/// A page of `search_users`: the users found and whether more follow.
pub struct Found {
    pub users: Vec<User>,
    pub more: bool,
}

/// Users whose name or e-mail contains `query` (at least 3 characters), oldest first, for
/// anyone who may read users (`users:read`). Archived users only with `archived`; with
/// `email_only` only the user whose address is exactly `query`, so that names cannot be used
/// to probe addresses.
pub async fn search(
    core: &Core,
    actor: &Actor,
    query: &str,
    archived: bool,
    email_only: bool,
    page: crate::store::Page,
) -> Result<Found> {
    authz::authorize(actor, Action::ReadUsers, None)?;
    let query = query.trim();
    if query.chars().count() < 3 {
        return Err(Error::invalid(
            "query",
            "a search needs at least 3 characters",
        ));
    }
    let mut users = core
        .store
        .list_users(
            Some(query),
            crate::store::Page {
                limit: page.limit + 1,
                offset: page.offset,
            },
        )
        .await?;
    let more = users.len() as i64 > page.limit;
    users.truncate(page.limit.max(0) as usize);
    let exact = query.to_lowercase();
    users.retain(|u| {
        (archived || u.role != ServerRole::Archived) && (!email_only || u.email == exact)
    });
    Ok(Found { users, more })
}
