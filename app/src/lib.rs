//! Fleck's web app: pages and components rendered on the server and hydrated in the browser.
//! Server functions call `fleck_core` services for every decision and write; what they read
//! beyond that, they read for a project the services let them see (`projects::service::Access`).

// The pages nest deeply typed views; the optimised WebAssembly build needs more room to lay them out.
#![recursion_limit = "256"]

pub mod admin;
pub mod auth;
pub mod pages;
pub mod profile;
pub mod projects;
pub mod shared;
pub mod status;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode, StaticSegment};

use auth::{current_user, SignOut, SignedInUser};
use pages::auth::{
    AuthorizeAppPage, ForgotPasswordPage, ResetPasswordPage, SignInPage, SignUpPage,
};
use pages::{
    home::HomePage, model::ModelPage, not_found::NotFound, project::ProjectPage,
    settings::SettingsPage,
};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="description" content="Fleck: an open data platform for architecture, engineering and construction" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The signed-in user (or `None`), loaded once per page for every component that asks.
pub type CurrentUser = Resource<Result<Option<SignedInUser>, ServerFnError>>;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="fleck" href="/pkg/fleck.css" />
        <Title formatter=|page: String| if page.is_empty() { "Fleck".to_string() } else { format!("{page} · Fleck") } />
        <Router>
            <Layout />
        </Router>
    }
}

/// The page frame. Signing in, up or out always ends on another page, so the signed-in user
/// is read again whenever the path changes.
#[component]
fn Layout() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let user: CurrentUser = Resource::new(move || location.pathname.get(), |_| current_user());
    provide_context(user);
    // Framed pages are opened directly, never reached by navigating inside the app.
    let embedded = location.pathname.get_untracked().starts_with("/embed/");
    // Effects run only in the browser, once the page is hydrated: tests (and scripts) wait for
    // this mark instead of guessing how long the script takes to load.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
    view! {
            // A framed model (`/embed/…`) shows the view alone.
            {(!embedded).then(|| view! {
                <header class="topbar">
                    <a class="brand" href="/">
                        <span class="brand-mark" aria-hidden="true"></span>
                        "Fleck"
                    </a>
                    <AccountMenu />
                </header>
            })}
            <main id="main">
                <Routes fallback=NotFound>
                    // Pages with data render whole on the server (Async): they work before the
                    // script loads, and their status (403, 404) is set before the head is sent.
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:id") view=ProjectPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:id/models/:model_id") view=ModelPage ssr=SsrMode::Async />
                    <Route path=path!("/projects/:id/settings") view=SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/embed/projects/:id/models/:model_id") view=pages::embed::EmbedPage ssr=SsrMode::Async />
                    <Route path=path!("/profile") view=pages::profile::ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=pages::admin::AdminPage ssr=SsrMode::Async />
                    <Route path=path!("/authn/login") view=SignInPage />
                    <Route path=path!("/authn/register") view=SignUpPage />
                    <Route path=path!("/authn/forgot-password") view=ForgotPasswordPage />
                    <Route path=path!("/authn/reset-password") view=ResetPasswordPage />
                    <Route path=path!("/authn/verify/:app_id/:challenge") view=AuthorizeAppPage />
                </Routes>
            </main>
    }
}

/// Who is signed in, with a way out; or the ways in.
#[component]
fn AccountMenu() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    let sign_out = ServerAction::<SignOut>::new();
    // Signing out on the home page stays on the same path: read the user again.
    Effect::new(move |_| {
        if sign_out.version().get() > 0 {
            user.refetch();
        }
    });
    view! {
        <nav aria-label="Account" class="account">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match user.await {
                        Ok(Some(user)) => view! {
                            <span class="who" data-user=user.id.clone()>{user.name.clone()}</span>
                            <a href="/profile" id="profile-link">"Profile"</a>
                            // Only a convenience: the admin page asks core who may see it.
                            {(user.role == "server:admin").then(|| view! { <a href="/admin" id="admin-link">"Admin"</a> })}
                            <ActionForm action=sign_out attr:class="inline">
                                <button class="link-button" type="submit">"Sign out"</button>
                            </ActionForm>
                        }.into_any(),
                        _ => view! {
                            <a href="/authn/login">"Sign in"</a>
                            <a class="button small" href="/authn/register">"Create account"</a>
                        }.into_any(),
                    }
                })}
            </Transition>
        </nav>
    }
}
