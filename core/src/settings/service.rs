//! Reading and changing the server's settings.

use super::{ServerSettings, SettingsUpdate};
use crate::auth::Actor;
use crate::authz::{self, Action};
use crate::core::Core;
use crate::error::Result;

/// The server's settings, as anyone may read them (`serverInfo`).
pub async fn current(core: &Core) -> Result<ServerSettings> {
    core.store.server_settings().await
}

/// The server's settings for the admin pages (admins only).
pub async fn for_admin(core: &Core, actor: &Actor) -> Result<ServerSettings> {
    authz::authorize(actor, Action::AdministerServer, None)?;
    current(core).await
}

/// Changes the server's description and registration policy (admins, `server:setup`).
pub async fn update(core: &Core, actor: &Actor, update: SettingsUpdate) -> Result<ServerSettings> {
    let current = for_admin(core, actor).await?;
    let settings = ServerSettings {
        name: update.name,
        company: update.company,
        description: update.description,
        admin_contact: update.admin_contact,
        terms_of_service: update.terms_of_service,
        invite_only: update.invite_only.unwrap_or(current.invite_only),
        guest_mode: update.guest_mode.unwrap_or(current.guest_mode),
    }
    .checked()?;
    core.store.update_server_settings(&settings).await?;
    Ok(settings)
}
