//! GraphQL at `/graphql`, with Speckle's names, nullability and error codes. One module per
//! area; resolvers translate arguments and answers and leave every decision and write to the
//! services of `fleck_core`. Requests are bounded before they run (`execute`): body, document
//! length, batch length, and a cost in which list fields count their page sizes.

mod activity;
mod attachments;
mod changes;
mod comments;
mod context;
mod errors;
mod imports;
mod ingestions;
mod legacy;
mod models;
mod objects;
mod paging;
mod permissions;
mod projects;
mod scalars;
mod server_info;
mod server_invites;
mod subscriptions;
mod tokens;
mod users;
mod versions;
mod webhooks;
mod websocket;
mod workspaces;

use async_graphql::http::GraphiQLSource;
use async_graphql::{BatchRequest, MergedObject, MergedSubscription, Schema};
use async_graphql_axum::GraphQLResponse;
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::Extension;

use crate::auth::Actor;
use crate::ratelimit;
use crate::state::AppState;

pub use errors::{code, forbidden, unauthenticated};
pub use websocket::OpenSockets;

#[derive(MergedObject, Default)]
pub struct Query(
    server_info::ServerInfoQuery,
    users::UserQuery,
    users::AppQuery,
    server_invites::ServerInviteQuery,
    projects::ProjectQuery,
    workspaces::WorkspaceQuery,
    legacy::LegacyQuery,
    comments::CommentQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    tokens::TokenMutation,
    users::UserMutation,
    users::AppMutation,
    server_invites::ServerInviteMutation,
    server_info::ServerInfoMutation,
    projects::ProjectMutation,
    models::ModelMutation,
    versions::VersionMutation,
    objects::ObjectMutation,
    legacy::LegacyMutation,
    attachments::FileUploadMutation,
    webhooks::WebhookMutation,
    comments::CommentMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(subscriptions::SubscriptionRoot, legacy::LegacySubscription);

pub type FleckSchema = Schema<Query, Mutation, Subscription>;

/// `file_size_limit`: the largest file an import accepts, in bytes.
pub fn schema(file_size_limit: u64) -> FleckSchema {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .data(imports::ImportSizeLimit(file_size_limit))
    // Clients select statuses through these interfaces; no field returns them directly.
    .register_output_type::<ingestions::HasStatus>()
    .register_output_type::<ingestions::HasProgressMessage>()
    .limit_depth(64)
    .limit_complexity(MAX_COMPLEXITY)
    .finish()
}

/// The largest body `POST /graphql` reads (legacy `objectCreate` sends objects through it).
pub const BODY_LIMIT: usize = 4 * 1024 * 1024;
/// The most operations one request may batch; each spends a rate-limit point.
const MAX_BATCH: usize = 10;
/// The longest query document: Speckle's clients send a few kilobytes, and parsing costs memory.
const MAX_DOCUMENT: usize = 64 * 1024;
/// The most a query may cost: one per field, times the page size for fields under a list.
const MAX_COMPLEXITY: usize = 200_000;

/// Runs a request (or a batch) with the caller and the core in the context, once it is within
/// the bounds on size, batch length and rate.
pub async fn execute(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    Extension(source): Extension<ratelimit::Source>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let batch: BatchRequest = match serde_json::from_slice(&body) {
        Ok(batch) => batch,
        Err(e) => return bad_request(&format!("The body is not a GraphQL request: {e}")),
    };
    let requests: Vec<&async_graphql::Request> = match &batch {
        BatchRequest::Single(one) => vec![one],
        BatchRequest::Batch(many) => many.iter().collect(),
    };
    if requests.is_empty() || requests.len() > MAX_BATCH {
        return bad_request(&format!(
            "A batch holds 1 to {MAX_BATCH} operations, not {}.",
            requests.len()
        ));
    }
    if let Some(long) = requests.iter().find(|r| r.query.len() > MAX_DOCUMENT) {
        return bad_request(&format!(
            "The query is {} bytes; at most {MAX_DOCUMENT} are accepted.",
            long.query.len()
        ));
    }
    // The request itself spent the first point on its way in.
    for _ in 1..requests.len() {
        match state
            .core
            .rate_limiter
            .spend(fleck_core::ratelimit::Action::Graphql, &source.0)
            .await
        {
            Ok(_) => {}
            Err(fleck_core::Error::RateLimited { retry_after }) => {
                return ratelimit::too_many_requests(retry_after)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot count an operation against its rate limit")
            }
        }
    }
    let batch = batch.data(actor).data(state.core.clone());
    let mut response = state.graphql.execute_batch(batch).await;
    match &mut response {
        async_graphql::BatchResponse::Single(one) => label_refused(one),
        async_graphql::BatchResponse::Batch(many) => many.iter_mut().for_each(label_refused),
    }
    GraphQLResponse::from(response).into_response()
}

/// A request refused before it ran, in GraphQL's error shape.
fn bad_request(message: &str) -> axum::response::Response {
    (
        axum::http::StatusCode::BAD_REQUEST,
        axum::Json(serde_json::json!({
            "errors": [{ "message": message, "extensions": { "code": "BAD_REQUEST" } }]
        })),
    )
        .into_response()
}

/// Requests refused before running (unparsable, or invalid against the schema) get Apollo's
/// code, which clients match on; errors from resolvers already carry theirs.
fn label_refused(response: &mut async_graphql::Response) {
    if response.data != async_graphql::Value::Null {
        return;
    }
    for error in &mut response.errors {
        let extensions = error.extensions.get_or_insert_with(Default::default);
        if extensions.get("code").is_none() {
            extensions.set("code", "GRAPHQL_VALIDATION_FAILED");
        }
    }
}

/// A query sent as `GET /graphql?query=…`. As Apollo's CSRF prevention does, it needs a header
/// a plain link or form cannot send, and it may not change anything.
async fn execute_get(
    state: AppState,
    actor: Actor,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::http::StatusCode;
    let headers = request.headers();
    let preflighted = headers.contains_key("apollo-require-preflight")
        || headers.contains_key("x-apollo-operation-name")
        || headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
    if !preflighted {
        return (
            StatusCode::BAD_REQUEST,
            "This GET request needs an `apollo-require-preflight` header (CSRF protection).",
        )
            .into_response();
    }
    let query = request.uri().query().unwrap_or_default();
    let parsed = match async_graphql::http::parse_query_string(query) {
        Ok(parsed) => parsed,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    if parsed.query.len() > MAX_DOCUMENT {
        return bad_request("The query is too long.");
    }
    let mutates = async_graphql::parser::parse_query(&parsed.query).is_ok_and(|document| {
        document
            .operations
            .iter()
            .any(|(_, op)| op.node.ty != async_graphql::parser::types::OperationType::Query)
    });
    if mutates {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            "Mutations and subscriptions are not accepted over GET; use POST.",
        )
            .into_response();
    }
    let mut response = state
        .graphql
        .execute(parsed.data(actor).data(state.core.clone()))
        .await;
    label_refused(&mut response);
    GraphQLResponse::from(response).into_response()
}

/// `GET /graphql`: subscriptions over a WebSocket, a query in the URL, or the explorer for
/// people in a browser.
pub async fn get(
    State(state): State<AppState>,
    Extension(actor): Extension<Actor>,
    request: axum::extract::Request,
) -> axum::response::Response {
    if websocket::is_upgrade(&request) {
        websocket::upgrade(state, actor, request).await
    } else if request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair.starts_with("query=")))
    {
        execute_get(state, actor, request).await
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
