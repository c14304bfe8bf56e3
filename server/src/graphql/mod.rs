//! GraphQL at `/graphql`, with Speckle's names, nullability and error codes. One module per
//! area; resolvers stay thin and call `fleck_core`.

mod errors;
mod invites;
mod scalars;
mod server_info;
mod tokens;
mod users;

use async_graphql::http::GraphiQLSource;
use async_graphql::{EmptySubscription, MergedObject, Schema};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::Extension;

use crate::auth::Actor;
use crate::state::AppState;

pub use errors::{code, forbidden, unauthenticated};

#[derive(MergedObject, Default)]
pub struct Query(
    server_info::ServerInfoQuery,
    users::UserQuery,
    users::AppQuery,
    invites::InviteQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    tokens::TokenMutation,
    users::UserMutation,
    users::AppMutation,
    invites::InviteMutation,
    server_info::ServerInfoMutation,
);

pub type FleckSchema = Schema<Query, Mutation, EmptySubscription>;

pub fn schema() -> FleckSchema {
    Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(64)
        .limit_complexity(20_000)
        .finish()
}

/// Runs a request (or a batch) with the caller and the core in the context.
pub async fn execute(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    request: GraphQLBatchRequest,
) -> GraphQLResponse {
    let request = request.into_inner().data(actor).data(state.core.clone());
    state.graphql.execute_batch(request).await.into()
}

/// The GraphiQL explorer, for people opening `/graphql` in a browser.
pub async fn explorer() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("Fleck GraphQL")
            .finish(),
    )
}
