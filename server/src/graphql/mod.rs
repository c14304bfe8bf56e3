//! GraphQL at `/graphql`, with Speckle's names, nullability and error codes. One module per
//! area; resolvers stay thin and call `fleck_core`.

mod activity;
mod attachments;
mod errors;
mod invites;
mod legacy;
mod models;
mod objects;
mod paging;
mod permissions;
mod projects;
mod scalars;
mod server_info;
mod subscriptions;
mod tokens;
mod users;
mod versions;
mod websocket;
mod workspaces;

use async_graphql::http::GraphiQLSource;
use async_graphql::{MergedObject, Schema};
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
    projects::ProjectQuery,
    workspaces::WorkspaceQuery,
    legacy::LegacyQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    tokens::TokenMutation,
    users::UserMutation,
    users::AppMutation,
    invites::InviteMutation,
    server_info::ServerInfoMutation,
    projects::ProjectMutation,
    models::ModelMutation,
    versions::VersionMutation,
    objects::ObjectMutation,
    legacy::LegacyMutation,
    attachments::FileUploadMutation,
);

pub type FleckSchema = Schema<Query, Mutation, subscriptions::SubscriptionRoot>;

pub fn schema() -> FleckSchema {
    Schema::build(
        Query::default(),
        Mutation::default(),
        subscriptions::SubscriptionRoot,
    )
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

/// `GET /graphql`: subscriptions over a WebSocket, or the explorer for people in a browser.
pub async fn get(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    request: axum::extract::Request,
) -> axum::response::Response {
    if websocket::is_upgrade(&request) {
        websocket::upgrade(state, actor, request).await
    } else {
        explorer().await.into_response()
    }
}

/// The GraphiQL explorer, for people opening `/graphql` in a browser.
pub async fn explorer() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql")
            .title("Fleck GraphQL")
            .finish(),
    )
}
