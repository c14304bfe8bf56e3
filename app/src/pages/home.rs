use leptos::prelude::*;
use leptos_meta::Title;

use crate::status::{BackendStatus, CheckBackends};

/// What Fleck is, and a live check of the server's backends.
#[component]
pub fn HomePage() -> impl IntoView {
    // Effects only run in the browser, so this flips once the page is interactive.
    let (interactive, set_interactive) = signal(false);
    Effect::new(move |_| set_interactive.set(true));

    let check = ServerAction::<CheckBackends>::new();
    let pending = check.pending();
    let result = check.value();

    view! {
        <Title text="" />
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
