//! Personal access tokens: `apiTokenCreate`, `apiTokenRevoke`.

use std::time::Duration;

use async_graphql::{Context, InputObject, Object, Result};
use fleck_core::auth::{flow, Scope};

use super::context::{core, signed_in};
use super::errors::{code, from_core};
use super::scalars::BigInt;

#[derive(InputObject)]
pub struct ApiTokenCreateInput {
    scopes: Vec<String>,
    name: String,
    /// Milliseconds until the token expires; it never does without one.
    lifespan: Option<BigInt>,
    /// The only projects the token may act on; any the owner may without it.
    limit_resources: Option<Vec<TokenResourceIdentifierInput>>,
}

#[derive(InputObject)]
pub struct TokenResourceIdentifierInput {
    id: String,
    #[graphql(name = "type")]
    kind: TokenResourceIdentifierType,
}

#[derive(async_graphql::Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "lowercase")]
pub enum TokenResourceIdentifierType {
    Project,
    Workspace,
}

#[derive(Default)]
pub struct TokenMutation;

#[Object]
impl TokenMutation {
    /// Creates a personal access token and returns it; it is shown only this once.
    async fn api_token_create(
        &self,
        ctx: &Context<'_>,
        token: ApiTokenCreateInput,
    ) -> Result<String> {
        let actor = signed_in(ctx)?;
        let scopes = token
            .scopes
            .iter()
            .map(|s| s.parse::<Scope>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(from_core)?;
        let lifespan = match token.lifespan {
            Some(BigInt(ms)) if ms <= 0 => {
                return Err(code("lifespan must be positive", "BAD_USER_INPUT"))
            }
            Some(BigInt(ms)) => Some(Duration::from_millis(ms as u64)),
            None => None,
        };
        let projects = match token.limit_resources {
            Some(resources) => {
                if resources
                    .iter()
                    .any(|r| r.kind == TokenResourceIdentifierType::Workspace)
                {
                    return Err(code(
                        "Workspaces are not enabled on this server.",
                        "BAD_USER_INPUT",
                    ));
                }
                Some(resources.into_iter().map(|r| r.id).collect::<Vec<_>>())
            }
            None => None,
        };
        let request = flow::TokenRequest {
            name: token.name,
            scopes,
            lifespan,
            projects,
        };
        flow::create_own_token(core(ctx), actor, request)
            .await
            .map_err(from_core)
    }

    /// Revokes one of the caller's tokens, given whole or by its 10-character id.
    async fn api_token_revoke(&self, ctx: &Context<'_>, token: String) -> Result<bool> {
        match flow::revoke_own_token(core(ctx), signed_in(ctx)?, &token).await {
            Ok(()) => Ok(true),
            Err(fleck_core::Error::NotFound(_)) => Err(code("No such token.", "NOT_FOUND_ERROR")),
            Err(other) => Err(from_core(other)),
        }
    }
}
