//! `stream`, `streams` and `discoverableStreams`.

use async_graphql::{Context, Object, Result};
use fleck_core::authz::Action;
use fleck_core::projects::{service, ProjectFilter};

use super::types::{Stream, UserStreamCollection};
use crate::graphql::context::{actor, core, load};
use crate::graphql::errors::from_core;
use crate::graphql::paging::{page, Collection};

#[derive(Default)]
pub struct LegacyQuery;

#[Object]
impl LegacyQuery {
    async fn stream(&self, ctx: &Context<'_>, id: String) -> Result<Stream> {
        Ok(Stream(load(ctx, &id, Action::ReadProject).await?))
    }

    /// Public streams anyone may open, most recently updated first.
    #[graphql(complexity = "crate::graphql::paging::cost(limit, 25, 50, child_complexity)")]
    async fn discoverable_streams(
        &self,
        ctx: &Context<'_>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<UserStreamCollection> {
        let window = page(limit, cursor.as_deref(), 25, 50)?;
        let listed = service::public(core(ctx), actor(ctx), window)
            .await
            .map_err(from_core)?;
        Ok(Collection::of(window, listed, Stream))
    }

    /// The caller's streams, most recently updated first.
    #[graphql(complexity = "crate::graphql::paging::cost(limit, 25, 50, child_complexity)")]
    async fn streams(
        &self,
        ctx: &Context<'_>,
        query: Option<String>,
        limit: Option<i32>,
        cursor: Option<String>,
    ) -> Result<UserStreamCollection> {
        let window = page(limit, cursor.as_deref(), 25, 50)?;
        let listed = service::of_caller(
            core(ctx),
            actor(ctx),
            ProjectFilter {
                search: query.filter(|q| !q.trim().is_empty()),
                ..ProjectFilter::default()
            },
            window,
        )
        .await
        .map_err(from_core)?;
        Ok(Collection::of(window, listed, Stream))
    }
}
