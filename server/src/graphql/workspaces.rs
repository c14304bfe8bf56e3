//! Workspaces are a feature of Speckle's commercial server. Clients select a few of their fields
//! even against servers without them, so the types exist and say the feature is off.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject, ID};

use super::errors::code;

pub fn disabled() -> async_graphql::Error {
    code(
        "Workspaces are not enabled on this server.",
        "WORKSPACES_NOT_ENABLED_ERROR",
    )
}

#[derive(SimpleObject)]
pub struct LimitedWorkspace {
    id: ID,
    name: String,
    role: Option<String>,
    slug: String,
    logo: Option<String>,
    description: Option<String>,
}

#[derive(SimpleObject)]
pub struct Workspace {
    id: ID,
    name: String,
    role: Option<String>,
    slug: String,
    logo: Option<String>,
    description: Option<String>,
}

pub type WorkspaceCollection = super::paging::Collection<Workspace>;

#[derive(InputObject)]
pub struct UserWorkspacesFilter {
    search: Option<String>,
}

#[derive(Default)]
pub struct WorkspaceQuery;

#[Object]
impl WorkspaceQuery {
    async fn workspace(&self, _ctx: &Context<'_>, id: String) -> Result<Workspace> {
        let _ = id;
        Err(disabled())
    }
}
