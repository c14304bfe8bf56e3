//! All HTTP routes and the layers around them.

use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Request};
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::CorsLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::rest::storage;
use crate::state::AppState;
use crate::{auth, graphql, headers, metrics, ops, ratelimit, rest, ssr};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// CORS for the API: any origin may call it with a token (as Speckle's viewer and scripts do
/// from their own sites), never with credentials, so the cookie session stays same-site. The
/// requested headers are echoed: a `*` would not cover `Authorization` under the Fetch standard.
fn api_cors() -> CorsLayer {
    use tower_http::cors::{AllowHeaders, AllowMethods, Any};
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers(Any)
        .max_age(std::time::Duration::from_secs(3600))
}

/// Speckle's object transport, open to any origin (the viewer and scripts call it from anywhere;
/// access is by token, never by cookie alone). The routes taking lists of ids read their bodies
/// themselves, bounding the bytes, the ids and each id's length as the body arrives.
fn object_routes() -> Router<AppState> {
    use rest::objects;
    Router::new()
        .route(
            "/objects/{project_id}",
            // Each part is checked against the batch limit as it arrives.
            post(objects::upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/objects/{project_id}/{object_id}", get(objects::download))
        .route(
            "/objects/{project_id}/{object_id}/single",
            get(objects::single),
        )
        .route("/api/getobjects/{project_id}", post(objects::get_objects))
        .route("/api/diff/{project_id}", post(objects::diff))
        .route(
            "/api/v2/projects/{project_id}/object-stream",
            post(objects::object_stream),
        )
        .route(
            "/api/v2/projects/{project_id}/object-stream/",
            post(objects::object_stream),
        )
        .merge(attachment_routes())
        .merge(ingestion_routes())
        .layer(api_cors())
}

/// Model ingestions' uploads and a version's files (Speckle's v2 bundle routes).
fn ingestion_routes() -> Router<AppState> {
    use rest::ingestions;
    let ingestion = "/api/v2/projects/{project_id}/modelingestion/{ingestion_id}/uploads";
    Router::new()
        .route(&format!("{ingestion}/sign"), post(ingestions::sign))
        .route(&format!("{ingestion}/complete"), post(ingestions::complete))
        .route(
            "/api/v2/projects/{project_id}/models/{model_id}/versions/{version_id}/artifacts",
            get(ingestions::artifacts),
        )
        .route(
            "/api/v1/projects/{project_id}/modelingestion/{ingestion_id}/uploads/sign",
            post(ingestions::sign_objects_file),
        )
        .route(
            "/api/v1/projects/{project_id}/modelingestion/{ingestion_id}/uploads/process",
            post(ingestions::process_objects_file),
        )
        .layer(api_cors())
}

/// Files attached to projects (Speckle's blob routes).
fn attachment_routes() -> Router<AppState> {
    use rest::attachments;
    Router::new()
        .route(
            "/api/stream/{project_id}/blob",
            // Each file is checked against the size limit as it streams to the blob store.
            post(attachments::upload).layer(DefaultBodyLimit::disable()),
        )
        .route(
            "/api/stream/{project_id}/blob/diff",
            post(attachments::diff),
        )
        .route(
            "/api/stream/{project_id}/blob/{blob_id}",
            get(attachments::download).delete(attachments::delete),
        )
        .route(
            "/api/stream/{project_id}/blobs",
            get(attachments::list).delete(attachments::delete_all),
        )
}

/// Preview images, open to any origin like Speckle's (they answer with a placeholder image,
/// never an error status, when the caller may not see the model).
fn preview_routes() -> Router<AppState> {
    use fleck_core::previews::Subject;
    use rest::previews;
    let routes = [
        ("/preview/{project_id}", get(previews::project)),
        (
            "/preview/{project_id}/branches/{name}",
            previews::nested(|name| Subject::Model(name)),
        ),
        (
            "/preview/{project_id}/commits/{id}",
            previews::nested(|id| Subject::Version(id)),
        ),
        (
            "/preview/{project_id}/objects/{id}",
            previews::nested(|id| Subject::Object(id)),
        ),
    ];
    routes
        .into_iter()
        .fold(Router::new(), |router, (path, handler)| {
            // Each preview may also be asked for at an angle.
            router
                .route(path, handler.clone())
                .route(&format!("{path}/{{angle}}"), handler)
        })
        .layer(api_cors())
}

pub fn router(state: AppState) -> Router {
    let mut routes = Router::new()
        .route("/liveness", get(ops::liveness))
        .route("/readiness", get(ops::readiness))
        .route("/metrics", get(ops::metrics))
        .route("/api/ping", get(ops::ping))
        .route("/auth/local/register", post(rest::auth::register))
        .route("/auth/local/login", post(rest::auth::login))
        .route("/auth/token", post(rest::auth::token))
        .route("/auth/accesscode", get(rest::auth::access_code))
        .route("/auth/logout", post(rest::auth::logout))
        .route("/auth/verifyemail", get(rest::auth::verify_email))
        .route(
            "/auth/pwdreset/request",
            post(rest::auth::request_password_reset),
        )
        .route(
            "/auth/pwdreset/finalize",
            post(rest::auth::finalize_password_reset),
        )
        .merge(object_routes())
        .merge(preview_routes())
        .merge(
            Router::new()
                .route(
                    "/graphql",
                    get(graphql::get)
                        .post(graphql::execute)
                        .layer(DefaultBodyLimit::max(graphql::BODY_LIMIT)),
                )
                .layer(api_cors()),
        )
        .route("/explorer", get(graphql::explorer));
    if state.core.blobs.kind() == "disk" {
        routes = routes.route(
            "/storage/{*key}",
            get(storage::download).put(storage::upload),
        );
    }
    routes
        .merge(ssr::routes(&state))
        .layer(from_fn_with_state(state.clone(), ratelimit::limit))
        .layer(from_fn_with_state(state.clone(), auth::identify))
        .layer(from_fn_with_state(state.clone(), ratelimit::find_client))
        .layer(CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(headers::secure))
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            let id = request
                .headers()
                .get(&REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO)))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        // Keeps an id the caller (or a proxy) sent; otherwise makes one.
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .with_state(state)
}
