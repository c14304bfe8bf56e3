//! The server functions of `/admin` (`pages/admin/`), running the server: its settings, users,
//! invitations, projects and statistics. Every function asks `fleck_core::authz` first
//! (`AdministerServer`, `InviteToServer`, `ReadServerStats`) and then calls the same core
//! services as the GraphQL API.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::shared::Outcome;

/// Rows per page in the user and project lists.
pub const PAGE_SIZE: i64 = 25;

/// Whether the caller may see the admin pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Access {
    Allowed,
    SignedOut,
    Refused,
}

/// The server's description and registration policy; empty strings for unset texts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub name: String,
    pub company: String,
    pub description: String,
    pub admin_contact: String,
    pub terms_of_service: String,
    pub invite_only: bool,
    pub guest_mode: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminUser {
    pub id: String,
    pub name: String,
    pub email: String,
    /// `server:admin`, `server:user`, `server:guest` or `server:archived-user`.
    pub role: String,
    pub verified: bool,
}

/// One page of a list, and where the next one starts (if there is one).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<i64>,
    pub total: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingInvite {
    pub id: String,
    pub email: String,
    pub role: String,
    pub inviter: String,
    /// RFC 3339.
    pub sent: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminProject {
    pub id: String,
    pub name: String,
    pub public: bool,
    /// RFC 3339.
    pub updated: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statistics {
    pub users: i64,
    pub projects: i64,
    pub models: i64,
    pub versions: i64,
    pub objects: i64,
    /// Bytes of object JSON, before compression.
    pub object_bytes: i64,
    /// Bytes of uploaded files.
    pub attachment_bytes: i64,
    /// When the database monitor counted these, as pages show times.
    pub counted_at: String,
}

#[cfg(feature = "ssr")]
mod server {
    use fleck_core::auth::Principal;
    use fleck_core::authz::{self, Action};
    use leptos::prelude::ServerFnError;

    use crate::shared::server::actor;
    use crate::shared::server::refused;

    /// The caller, when `authz` allows them `action`; its refusal otherwise.
    pub async fn allowed(action: Action) -> Result<Principal, ServerFnError> {
        let actor = actor().await?;
        authz::authorize(&actor, action, None).map_err(refused)?;
        actor
            .principal()
            .cloned()
            .ok_or_else(|| ServerFnError::new("Please sign in first."))
    }

    /// A search box's text, or `None` when it is blank.
    pub fn search(text: Option<String>) -> Option<String> {
        text.map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
    }
}

#[server]
pub async fn admin_access() -> Result<Access, ServerFnError> {
    use fleck_core::authz::{self, Action};
    let actor = crate::shared::server::actor().await?;
    if actor.principal().is_none() {
        return Ok(Access::SignedOut);
    }
    Ok(
        match authz::authorize(&actor, Action::AdministerServer, None) {
            Ok(()) => Access::Allowed,
            Err(_) => Access::Refused,
        },
    )
}

#[server]
pub async fn admin_server_info() -> Result<ServerInfo, ServerFnError> {
    use crate::shared::server::context;
    let (core, actor) = context().await?;
    let settings = fleck_core::settings::for_admin(&core, &actor)
        .await
        .map_err(crate::shared::server::refused)?;
    Ok(ServerInfo {
        name: settings.name,
        company: settings.company.unwrap_or_default(),
        description: settings.description.unwrap_or_default(),
        admin_contact: settings.admin_contact.unwrap_or_default(),
        terms_of_service: settings.terms_of_service.unwrap_or_default(),
        invite_only: settings.invite_only,
        guest_mode: settings.guest_mode,
    })
}

/// Saves the server's settings as `serverInfoUpdate` does. Checkboxes are sent only when ticked.
#[server]
#[allow(clippy::too_many_arguments)]
pub async fn save_server_info(
    name: String,
    company: String,
    description: String,
    admin_contact: String,
    terms_of_service: String,
    invite_only: Option<String>,
    guest_mode: Option<String>,
) -> Result<Outcome, ServerFnError> {
    use crate::shared::server::{context, refusal, stay};
    use fleck_core::settings::{self, SettingsUpdate};
    let (core, actor) = context().await?;
    let update = SettingsUpdate {
        name,
        company: Some(company),
        description: Some(description),
        admin_contact: Some(admin_contact),
        terms_of_service: Some(terms_of_service),
        invite_only: Some(invite_only.is_some()),
        guest_mode: Some(guest_mode.is_some()),
    };
    stay(settings::update(&core, &actor, update).await, refusal)
}

/// Users whose name or e-mail contains `search`, oldest first.
#[server]
pub async fn admin_users(
    search: Option<String>,
    from: Option<i64>,
) -> Result<Page<AdminUser>, ServerFnError> {
    use crate::shared::server::context;
    use fleck_core::store::Page as Window;
    let (core, actor) = context().await?;
    let offset = from.unwrap_or(0).max(0);
    // One row more than shown tells whether another page follows.
    let mut found = fleck_core::users::list(
        &core,
        &actor,
        server::search(search).as_deref(),
        Window {
            limit: PAGE_SIZE + 1,
            offset,
        },
    )
    .await
    .map_err(crate::shared::server::refused)?;
    let next = (found.len() as i64 > PAGE_SIZE).then_some(offset + PAGE_SIZE);
    found.truncate(PAGE_SIZE as usize);
    Ok(Page {
        items: found
            .into_iter()
            .map(|u| AdminUser {
                role: u.role.as_str().to_string(),
                id: u.id,
                name: u.name,
                email: u.email,
                verified: u.verified,
            })
            .collect(),
        next,
        total: None,
    })
}

/// Changes a user's server role (`archived` archives them); core refuses to demote the last admin.
#[server]
pub async fn set_server_role(user_id: String, role: String) -> Result<Outcome, ServerFnError> {
    use crate::shared::server::{context, refusal, stay};
    use fleck_core::users::{self, ServerRole};
    let (core, actor) = context().await?;
    let set = async {
        let role: ServerRole = role.parse()?;
        users::set_server_role(&core, &actor, &user_id, role).await
    };
    stay(set.await, refusal)
}

/// Every pending invitation to the server, newest first.
#[server]
pub async fn server_invites() -> Result<Vec<PendingInvite>, ServerFnError> {
    use crate::shared::server::{context, refused};
    let (core, actor) = context().await?;
    let invites = fleck_core::auth::invites::pending(&core, &actor)
        .await
        .map_err(refused)?;
    let mut pending = Vec::with_capacity(invites.len());
    for invite in invites {
        let inviter = fleck_core::users::by_id(&core, &invite.inviter_id)
            .await
            .map_err(refused)?
            .map(|u| u.name)
            .unwrap_or_default();
        pending.push(PendingInvite {
            sent: invite.created_at.to_rfc3339(),
            role: invite.server_role.as_str().to_string(),
            id: invite.id,
            email: invite.email,
            inviter,
        });
    }
    Ok(pending)
}

/// Invites `email` to the server with `role` and an optional message, as `serverInviteCreate`.
#[server]
pub async fn invite_to_server(
    email: String,
    role: String,
    message: Option<String>,
) -> Result<Outcome, ServerFnError> {
    use crate::shared::server::{context, refusal, stay};
    use fleck_core::auth::invites;
    use fleck_core::users::ServerRole;
    let (core, actor) = context().await?;
    let invite = async {
        let role: ServerRole = role.parse()?;
        invites::create(&core, &actor, &email, role, message).await
    };
    stay(invite.await, refusal)
}

#[server]
pub async fn cancel_invite(id: String) -> Result<Outcome, ServerFnError> {
    use crate::shared::server::{context, refusal, stay};
    let (core, actor) = context().await?;
    stay(
        fleck_core::auth::invites::cancel(&core, &actor, &id).await,
        refusal,
    )
}

/// Mails an invitation again with a new link; the old link stops working.
#[server]
pub async fn resend_invite(id: String) -> Result<Outcome, ServerFnError> {
    use crate::shared::server::{context, refusal, stay};
    let (core, actor) = context().await?;
    stay(
        fleck_core::auth::invites::resend(&core, &actor, &id).await,
        refusal,
    )
}

/// Every project whose name contains `search`, most recently updated first.
#[server]
pub async fn admin_projects(
    search: Option<String>,
    from: Option<i64>,
) -> Result<Page<AdminProject>, ServerFnError> {
    use crate::shared::server::context;
    use fleck_core::authz::Visibility;
    use fleck_core::projects::{service, Window};
    let (core, actor) = context().await?;
    let offset = from.unwrap_or(0).max(0);
    let window = Window {
        offset,
        limit: PAGE_SIZE,
    };
    let listed = service::all(&core, &actor, server::search(search).as_deref(), window)
        .await
        .map_err(crate::shared::server::refused)?;
    let next = (offset + PAGE_SIZE < listed.total).then_some(offset + PAGE_SIZE);
    Ok(Page {
        items: listed
            .items
            .into_iter()
            .map(|p| AdminProject {
                public: p.visibility == Visibility::Public,
                updated: p.updated_at.to_rfc3339(),
                id: p.id,
                name: p.name,
            })
            .collect(),
        next,
        total: Some(listed.total),
    })
}

#[server]
pub async fn server_statistics() -> Result<Statistics, ServerFnError> {
    use crate::shared::server::refused;
    use fleck_core::authz::Action;
    server::allowed(Action::ReadServerStats).await?;
    let core = crate::shared::server::core()?;
    // The database monitor's figures, as /metrics shows them.
    let figures = fleck_core::monitor::latest_or_collect(&core)
        .await
        .map_err(refused)?;
    Ok(Statistics {
        users: figures.users,
        projects: figures.projects,
        models: figures.models,
        versions: figures.versions,
        objects: figures.objects,
        object_bytes: figures.object_bytes,
        attachment_bytes: figures.attachment_bytes,
        counted_at: crate::projects::read::server::when(figures.collected_at),
    })
}
