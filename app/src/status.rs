//! The server as visitors see it (its address for connectors, whether anyone may sign up), and
//! its backends' health, which only server admins may check.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the signed-out home page says about this server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerIntro {
    /// The name its admins gave it.
    pub name: String,
    /// The address to give a Speckle connector or specklepy, without a trailing `/`.
    pub url: String,
    /// Whether signing up needs an invitation.
    pub invite_only: bool,
    /// Whom to ask for one; empty when the admins left it unset.
    pub admin_contact: String,
}

/// The server's public description: what GraphQL's `serverInfo` tells anyone.
#[server]
pub async fn fetch_server_intro() -> Result<ServerIntro, ServerFnError> {
    let core = crate::shared::server::core()?;
    let settings = fleck_core::settings::current(&core)
        .await
        .map_err(crate::shared::server::message)?;
    Ok(ServerIntro {
        name: settings.name,
        url: core.config.public_url.as_str().trim_end_matches('/').into(),
        invite_only: settings.invite_only,
        admin_contact: settings.admin_contact.unwrap_or_default(),
    })
}

/// One backend: which implementation and whether it answers. Error details stay in the
/// server's log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendStatus {
    pub name: String,
    pub backend: String,
    pub ok: bool,
    pub millis: f64,
}

/// Pings every backend now, for server admins (`authz`'s `AdministerServer`): which database,
/// storage and cache a server runs on is not for everyone.
#[server]
pub async fn check_backends() -> Result<Vec<BackendStatus>, ServerFnError> {
    use fleck_core::authz::{self, Action};
    let core = crate::shared::server::core()?;
    let actor = crate::shared::server::actor().await?;
    authz::authorize(&actor, Action::AdministerServer, None)
        .map_err(crate::shared::server::refused)?;
    Ok(core
        .check_backends()
        .await
        .into_iter()
        .map(|check| BackendStatus {
            name: check.name,
            backend: check.backend,
            ok: check.ok,
            millis: check.millis,
        })
        .collect())
}
