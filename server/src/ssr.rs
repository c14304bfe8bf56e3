//! The web app: Leptos server-side rendering, server functions and the compiled assets.

use axum::Router;
use fleck_app::projects::imports::ImportLimit;
use fleck_app::{shell, App};
use leptos::config::LeptosOptions;
use leptos::prelude::{provide_context, IntoView};
use leptos_axum::{generate_route_list, LeptosRoutes};

use crate::state::AppState;

pub fn routes(state: &AppState) -> Router<AppState> {
    let core = state.core.clone();
    let leptos = state.leptos.clone();
    let file_size_limit = state.options.file_size_limit;
    Router::new()
        .leptos_routes_with_context(
            state,
            generate_route_list(App),
            move || {
                provide_context(core.clone());
                provide_context(ImportLimit(file_size_limit));
            },
            move || page(leptos.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(page))
}

/// The app's document, with the Content-Security-Policy for the nonce of this response.
fn page(options: LeptosOptions) -> impl IntoView {
    crate::headers::set_page_policy();
    shell(options)
}
