//! `serverInfo`: what clients read about the server when they connect.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use fleck_core::auth::Scope as CoreScope;
use fleck_core::settings::{self, ServerSettings};
use fleck_core::users::ServerRole;

use super::context::{core, signed_in};
use super::errors::from_core;

/// See `ServerInfo.version`.
pub const SPECKLE_COMPATIBLE_VERSION: &str = "2026.9.0";

#[derive(Default)]
pub struct ServerInfoQuery;

#[Object]
impl ServerInfoQuery {
    async fn server_info(&self, ctx: &Context<'_>) -> Result<ServerInfo> {
        let core = core(ctx);
        Ok(ServerInfo {
            settings: settings::current(core).await.map_err(from_core)?,
            canonical_url: core
                .config
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_string(),
        })
    }
}

pub struct ServerInfo {
    settings: ServerSettings,
    canonical_url: String,
}

#[derive(SimpleObject)]
pub struct ServerRoleItem {
    id: String,
    title: String,
}

#[derive(SimpleObject)]
pub struct Scope {
    name: String,
    description: String,
}

#[derive(SimpleObject)]
pub struct AuthStrategy {
    id: String,
    name: String,
    icon: String,
    url: String,
    color: Option<String>,
}

#[derive(SimpleObject)]
pub struct ServerWorkspacesInfo {
    workspaces_enabled: bool,
}

#[Object]
impl ServerInfo {
    async fn name(&self) -> &str {
        &self.settings.name
    }

    async fn company(&self) -> Option<&str> {
        self.settings.company.as_deref()
    }

    async fn description(&self) -> Option<&str> {
        self.settings.description.as_deref()
    }

    async fn admin_contact(&self) -> Option<&str> {
        self.settings.admin_contact.as_deref()
    }

    async fn terms_of_service(&self) -> Option<&str> {
        self.settings.terms_of_service.as_deref()
    }

    async fn guest_mode_enabled(&self) -> bool {
        self.settings.guest_mode
    }

    async fn server_roles(&self) -> Vec<ServerRoleItem> {
        ServerRole::ALL
            .iter()
            .map(|role| ServerRoleItem {
                id: role.as_str().into(),
                title: match role {
                    ServerRole::Admin => "Admin",
                    ServerRole::User => "User",
                    ServerRole::Guest => "Guest",
                    ServerRole::Archived => "Archived",
                }
                .into(),
            })
            .collect()
    }

    async fn canonical_url(&self) -> &str {
        &self.canonical_url
    }

    /// The Speckle server version whose API Fleck speaks: clients parse it and turn features
    /// on by it (the model-ingestion API, reserved version ids and bundles of 2026.9, which the
    /// .NET SDK wants at least 3.0.3 for).
    async fn version(&self) -> &str {
        SPECKLE_COMPATIBLE_VERSION
    }

    /// Fleck's own version.
    async fn fleck_version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }

    async fn scopes(&self) -> Vec<Scope> {
        CoreScope::ALL
            .iter()
            .map(|s| Scope {
                name: s.name().into(),
                description: s.description().into(),
            })
            .collect()
    }

    /// E-mail and password is the one way to sign in.
    async fn auth_strategies(&self) -> Vec<AuthStrategy> {
        vec![AuthStrategy {
            id: "local".into(),
            name: "Local".into(),
            icon: "mdi-email".into(),
            url: "/auth/local".into(),
            color: None,
        }]
    }

    async fn invite_only(&self) -> bool {
        self.settings.invite_only
    }

    async fn workspaces(&self) -> ServerWorkspacesInfo {
        ServerWorkspacesInfo {
            workspaces_enabled: false,
        }
    }
}

#[derive(InputObject)]
pub struct ServerInfoUpdateInput {
    name: String,
    company: Option<String>,
    description: Option<String>,
    admin_contact: Option<String>,
    terms_of_service: Option<String>,
    invite_only: Option<bool>,
    guest_mode_enabled: Option<bool>,
}

#[derive(Default)]
pub struct ServerInfoMutation;

#[Object]
impl ServerInfoMutation {
    /// Changes the server's description and registration policy (admins, `server:setup`).
    async fn server_info_update(
        &self,
        ctx: &Context<'_>,
        info: ServerInfoUpdateInput,
    ) -> Result<bool> {
        let update = settings::SettingsUpdate {
            name: info.name,
            company: info.company,
            description: info.description,
            admin_contact: info.admin_contact,
            terms_of_service: info.terms_of_service,
            invite_only: info.invite_only,
            guest_mode: info.guest_mode_enabled,
        };
        settings::update(core(ctx), signed_in(ctx)?, update)
            .await
            .map_err(from_core)?;
        Ok(true)
    }
}
