//! Personal access tokens: `apiTokenCreate`, `apiTokenRevoke`.

use std::time::Duration;

use async_graphql::{Context, InputObject, Object, Result};
use fleck_core::auth::{flow, tokens, Scope, TokenKind};
use fleck_core::authz::Action;
use fleck_core::ratelimit::Action as Limited;

use super::context::{allow, core};
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
        let principal = allow(ctx, Action::ManageOwnTokens)?;
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
        // A limited token can only make tokens limited the same way or more.
        let projects = match (projects, &principal.projects) {
            (None, inherited) => inherited.clone(),
            (Some(asked), Some(allowed)) if asked.iter().any(|p| !allowed.contains(p)) => {
                return Err(code(
                    "Your token cannot grant access to projects it cannot reach.",
                    "FORBIDDEN",
                ))
            }
            (asked, _) => asked,
        };
        let core = core(ctx);
        core.rate_limiter
            .spend(Limited::TokenCreate, &principal.user.id)
            .await
            .map_err(from_core)?;
        flow::create_personal_token(
            core,
            &principal.user,
            &token.name,
            &scopes,
            &principal.scopes,
            lifespan,
            projects,
        )
        .await
        .map_err(from_core)
    }

    /// Revokes one of the caller's tokens, given whole or by its 10-character id.
    async fn api_token_revoke(&self, ctx: &Context<'_>, token: String) -> Result<bool> {
        let principal = allow(ctx, Action::ManageOwnTokens)?;
        let id: String = token.trim().chars().take(tokens::ID_LEN).collect();
        let core = core(ctx);
        let stored = core.auth.api_token(&id).await.map_err(from_core)?;
        match stored {
            Some(stored)
                if stored.owner_id == principal.user.id && stored.kind == TokenKind::Personal =>
            {
                core.auth.delete_api_token(&id).await.map_err(from_core)
            }
            _ => Err(code("No such token.", "NOT_FOUND_ERROR")),
        }
    }
}
