//! The one context value every handler receives.

use std::sync::Arc;

use axum::extract::FromRef;
use fleck_core::Core;
use leptos::config::LeptosOptions;
use tokio_util::sync::CancellationToken;

use crate::config::ServerOptions;
use crate::metrics::Metrics;

#[derive(Clone)]
pub struct AppState {
    pub core: Core,
    pub options: Arc<ServerOptions>,
    pub metrics: Arc<Metrics>,
    pub leptos: LeptosOptions,
    pub graphql: crate::graphql::FleckSchema,
    /// Cancelled on SIGTERM, the shutdown grace period before `shutdown`: readiness answers
    /// 503 so load balancers move traffic away while requests are still served.
    pub draining: CancellationToken,
    /// Cancelled when shutdown begins: the listener closes and in-flight work finishes.
    pub shutdown: CancellationToken,
    /// Open GraphQL WebSockets per caller.
    pub sockets: crate::graphql::OpenSockets,
}

impl AppState {
    pub fn new(core: Core, options: ServerOptions) -> Self {
        let leptos = LeptosOptions::builder()
            .output_name("fleck")
            .site_root(options.site_dir.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(options.bind)
            .build();
        AppState {
            core,
            graphql: crate::graphql::schema(options.file_size_limit),
            options: Arc::new(options),
            metrics: Arc::new(Metrics::new()),
            leptos,
            draining: CancellationToken::new(),
            shutdown: CancellationToken::new(),
            sockets: Default::default(),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}
