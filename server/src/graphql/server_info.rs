//! `serverInfo`: what clients read about the server when they connect.

use async_graphql::{Context, Object, SimpleObject};
use fleck_core::auth::Scope as CoreScope;
use fleck_core::Core;

#[derive(Default)]
pub struct ServerInfoQuery;

#[Object]
impl ServerInfoQuery {
    async fn server_info(&self, ctx: &Context<'_>) -> ServerInfo {
        let core = ctx.data_unchecked::<Core>();
        ServerInfo {
            canonical_url: core
                .config
                .public_url
                .as_str()
                .trim_end_matches('/')
                .to_string(),
        }
    }
}

pub struct ServerInfo {
    canonical_url: String,
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
        "Fleck"
    }

    async fn company(&self) -> Option<String> {
        None
    }

    async fn description(&self) -> Option<&str> {
        Some("A Speckle-compatible data server for architecture, engineering and construction.")
    }

    async fn admin_contact(&self) -> Option<String> {
        None
    }

    async fn canonical_url(&self) -> &str {
        &self.canonical_url
    }

    async fn version(&self) -> &str {
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
        false
    }

    async fn workspaces(&self) -> ServerWorkspacesInfo {
        ServerWorkspacesInfo {
            workspaces_enabled: false,
        }
    }
}
