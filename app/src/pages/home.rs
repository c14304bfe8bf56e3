use leptos::prelude::*;
use leptos_meta::Title;

use leptos_router::hooks::use_query_map;

use crate::pages::auth::error_text;
use crate::pages::dashboard::DashboardView;
use crate::session::ResendVerification;
use crate::status::{BackendStatus, CheckBackends};
use crate::CurrentUser;

/// The signed-in user's dashboard, or what Fleck is for visitors.
#[component]
pub fn HomePage() -> impl IntoView {
    let user = expect_context::<CurrentUser>();
    view! {
        <Title text="" />
        <AccountNotices />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(_)) => view! { <DashboardView /> }.into_any(),
                    _ => view! { <Welcome /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What Fleck is, for visitors, with a live check of the server's backends.
#[component]
fn Welcome() -> impl IntoView {
    // Effects only run in the browser, so this flips once the page is interactive.
    let (interactive, set_interactive) = signal(false);
    Effect::new(move |_| set_interactive.set(true));

    let check = ServerAction::<CheckBackends>::new();
    let pending = check.pending();
    let result = check.value();

    view! {
        <section class="hero">
            <h1>"Fleck"</h1>
            <p class="lead">
                "An open data platform for architecture, engineering and construction. "
                "Fleck stores 3D and BIM data as versioned object trees in projects and models, "
                "and speaks the Speckle server API, so Speckle's connectors and SDKs work with it unchanged."
            </p>
        </section>
        <section class="panel" aria-labelledby="status-heading">
            <div class="panel-head">
                <h2 id="status-heading">"Server status"</h2>
                <span class="hydration" data-interactive=move || interactive.get().to_string()>
                    {move || if interactive.get() { "interactive" } else { "loading…" }}
                </span>
            </div>
            <p>"Check that the database, blob storage, cache and mail service answer."</p>
            <button
                class="button"
                on:click=move |_| { check.dispatch(CheckBackends {}); }
                disabled=move || pending.get() || !interactive.get()
            >
                {move || if pending.get() { "Checking…" } else { "Check backends" }}
            </button>
            <div aria-live="polite">
                {move || match result.get() {
                    None => ().into_any(),
                    Some(Err(e)) => view! {
                        <p class="error" role="alert">{format!("The check could not run: {e}. Reload the page and try again.")}</p>
                    }.into_any(),
                    Some(Ok(checks)) => view! { <StatusTable checks /> }.into_any(),
                }}
            </div>
        </section>
    }
}

#[component]
fn StatusTable(checks: Vec<BackendStatus>) -> impl IntoView {
    view! {
        <table class="status-table">
            <thead>
                <tr><th scope="col">"Service"</th><th scope="col">"Backend"</th><th scope="col">"State"</th><th scope="col">"Time"</th></tr>
            </thead>
            <tbody>
                {checks.into_iter().map(|check| view! {
                    <tr data-backend=check.name.clone() data-ok=check.ok.to_string()>
                        <td>{check.name.clone()}</td>
                        <td>{check.backend}</td>
                        <td class=if check.ok { "ok" } else { "failing" }>{if check.ok { "ready" } else { "not answering" }}</td>
                        <td>{format!("{:.1} ms", check.millis)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// The outcome of a verification link, and a reminder to verify with a way to resend the mail.
#[component]
fn AccountNotices() -> impl IntoView {
    let query = use_query_map();
    let user = expect_context::<CurrentUser>();
    let resend = ServerAction::<ResendVerification>::new();
    let link_outcome = move || {
        let query = query.read();
        if query.get("emailverifiedstatus").as_deref() == Some("true") {
            Some(view! { <p class="notice ok" role="status">"Your e-mail address is verified. Thank you!"</p> }.into_any())
        } else {
            query.get("emailverifiederror").map(|why| {
                view! { <p class="notice error" role="alert">{format!("The e-mail address was not verified: {why}.")}</p> }.into_any()
            })
        }
    };
    view! {
        {link_outcome}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Ok(Some(user)) if !user.verified => view! {
                        <div class="notice" role="status">
                            <p>{format!("Please verify {}: we sent you a link.", user.email)}</p>
                            {move || match resend.value().get() {
                                Some(Ok(Ok(_))) => view! { <p>"A new link is on its way."</p> }.into_any(),
                                Some(Ok(Err(message))) => view! { <p class="error" role="alert">{message}</p> }.into_any(),
                                Some(Err(e)) => view! { <p class="error" role="alert">{error_text(&e)}</p> }.into_any(),
                                None => view! {
                                    <ActionForm action=resend attr:class="inline">
                                        <button class="link-button" type="submit">"Send the link again"</button>
                                    </ActionForm>
                                }.into_any(),
                            }}
                        </div>
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}
