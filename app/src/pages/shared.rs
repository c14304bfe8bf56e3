//! What the pages share: showing a page's data or why there is none, reloading the data after a
//! form changed it, and the small pieces of forms (a confirmation step, a done message).

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::pages::auth::{failed, FormError};
use crate::projects::Loaded;
use crate::shared::Outcome;

/// A counter the page's data depends on; forms bump it after a change so the page reloads.
#[derive(Clone, Copy)]
pub struct Refresh(pub RwSignal<u32>);

impl Refresh {
    pub fn provide() -> Self {
        let refresh = Refresh(RwSignal::new(0));
        provide_context(refresh);
        refresh
    }

    pub fn get(&self) -> u32 {
        self.0.get()
    }
}

/// After a form's answer: go where it says, or reload the page's data.
pub fn after(result: Signal<Option<Result<Outcome, ServerFnError>>>) {
    let refresh = use_context::<Refresh>();
    Effect::new(move |_| match result.get() {
        Some(Ok(Ok(Some(next)))) => {
            let _ = window().location().set_href(&next);
        }
        Some(Ok(Ok(None))) => {
            if let Some(refresh) = refresh {
                refresh.0.update(|n| *n += 1);
            }
        }
        _ => {}
    });
}

fn set_status(_code: u16) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(_code) {
            response.set_status(status);
        }
    }
}

/// A whole page read from a server function: `loading` until it is first read, then the page
/// `children` make of its data, or the page that says why it cannot be shown. While the data is
/// read again (after a form changed it), the old page stays.
#[component]
pub fn PageData<T, F, V>(
    loading: &'static str,
    data: Fetched<Loaded<T>>,
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let fallback = move || view! { <p class="loading" aria-busy="true">{loading}</p> };
    transition(fallback, SignalSetter::default(), data, move |result| {
        show(result, |found| children(found).into_any())
    })
}

/// A section's data as `children` show it, "Loading…" until it is first read, and why it could
/// not be read in its place. While it is read again, the section keeps what it showed.
#[component]
pub fn WhenLoaded<T, F, V>(
    data: Fetched<T>,
    children: F,
    /// Told whether the data is being read again.
    #[prop(optional, into)]
    set_pending: SignalSetter<bool>,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let fallback = || view! { <p>"Loading…"</p> };
    transition(fallback, set_pending, data, move |result| match result {
        Ok(value) => children(value).into_any(),
        Err(e) => failed(&e),
    })
}

/// What `shown` makes of `data`, with `fallback` until it is first read.
fn transition<R, F, V>(
    fallback: impl FnOnce() -> F + Send + 'static,
    set_pending: SignalSetter<bool>,
    data: Resource<R>,
    shown: impl Fn(R) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    R: Clone + Send + Sync + 'static,
    F: IntoView + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback set_pending>
            {move || {
                let shown = shown.clone();
                Suspend::new(async move { shown(data.await) })
            }}
        </Transition>
    }
}

/// A form's submit button, which says `busy` and waits while the form is on its way.
#[component]
pub fn Submit(
    #[prop(into)] pending: Signal<bool>,
    label: &'static str,
    busy: &'static str,
    #[prop(default = "button")] class: &'static str,
) -> impl IntoView {
    view! {
        <button class=class type="submit" disabled=pending>
            {move || if pending.get() { busy } else { label }}
        </button>
    }
}

/// A page's data shown by `found`, or the page that says why it cannot be shown (with the
/// matching HTTP status when rendered on the server).
fn show<T>(result: Result<Loaded<T>, ServerFnError>, found: impl FnOnce(T) -> AnyView) -> AnyView {
    match result {
        Ok(Loaded::Found(data)) => found(data),
        Ok(Loaded::SignIn) => {
            set_status(401);
            view! { <SignInNeeded /> }.into_any()
        }
        Ok(Loaded::Forbidden(why)) => {
            set_status(403);
            view! {
                <section class="panel narrow" data-problem="forbidden">
                    <h1>"You do not have access"</h1>
                    <p>{format!("This page is not open to you ({why}).")}</p>
                    <p>"Ask one of the project's owners to invite you, or go back to your projects."</p>
                    <p><a class="button" href="/">"Your projects"</a></p>
                </section>
            }
            .into_any()
        }
        Ok(Loaded::NotFound(what)) => {
            set_status(404);
            view! {
                <section class="panel narrow" data-problem="not-found">
                    <h1>"Not found"</h1>
                    <p>{format!("There is no such {what}. It may have been deleted, or the link may be mistyped.")}</p>
                    <p><a class="button" href="/">"Your projects"</a></p>
                </section>
            }
            .into_any()
        }
        Err(e) => view! {
            <section class="panel narrow">
                <h1>"This page could not be loaded"</h1>
                {failed(&e)}
            </section>
        }
        .into_any(),
    }
}

#[component]
fn SignInNeeded() -> impl IntoView {
    let location = use_location();
    let next = move || {
        format!(
            "/authn/login?next={}",
            crate::pages::auth::urlencode(&location.pathname.get())
        )
    };
    view! {
        <section class="panel narrow" data-problem="sign-in">
            <h1>"Sign in to continue"</h1>
            <p>"This page is for signed-in users."</p>
            <p><a class="button" href=next>"Sign in"</a></p>
        </section>
    }
}

/// Data a page section shows, read from a server function.
pub type Fetched<T> = Resource<Result<T, ServerFnError>>;

/// A page's section with its heading, linked to by `#<id>`.
#[component]
pub fn Panel(id: &'static str, title: &'static str, children: Children) -> impl IntoView {
    let heading = format!("{id}-heading");
    let labelled_by = heading.clone();
    view! {
        <section class="panel" id=id aria-labelledby=labelled_by>
            <h2 id=heading>{title}</h2>
            {children()}
        </section>
    }
}

/// Says that the last submission of a form went through: as a notice, or with `beside` as a
/// note beside the form's button.
#[component]
pub fn Done(
    #[prop(into)] result: Signal<Option<Result<Outcome, ServerFnError>>>,
    message: &'static str,
    #[prop(optional)] beside: bool,
) -> impl IntoView {
    move || {
        matches!(result.get(), Some(Ok(Ok(_)))).then(|| {
            if beside {
                view! { <span class="saved" role="status">{message}</span> }.into_any()
            } else {
                view! { <p class="notice ok" role="status">{message}</p> }.into_any()
            }
        })
    }
}

/// How a form's last submission went: why it failed, or `done` when it went through.
#[component]
pub fn FormAnswer(
    #[prop(into)] result: Signal<Option<Result<Outcome, ServerFnError>>>,
    done: &'static str,
) -> impl IntoView {
    view! {
        <FormError result />
        <Done result message=done />
    }
}

/// A table of a list's rows, scrolling sideways on narrow screens. `columns` head it, and with
/// `actions` a last column holds each row's buttons.
#[component]
pub fn ListTable(
    caption: &'static str,
    columns: &'static [&'static str],
    #[prop(optional)] actions: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
            <table class="list">
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        {columns.iter().map(|column| view! { <th scope="col">{*column}</th> }).collect_view()}
                        {actions.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// A button that asks before it acts: a disclosure opening onto the form with the real button,
/// so it works before the page's script has loaded too.
#[component]
pub fn Confirm(label: &'static str, children: Children) -> impl IntoView {
    view! {
        <details class="confirm">
            <summary class="button small secondary">{label}</summary>
            <div class="confirm-body">{children()}</div>
        </details>
    }
}

/// Runs `then` in the browser after each successful submission of a form, typically to read
/// the changed data again. Failed submissions leave the form as the person typed it.
pub fn on_success<T: 'static>(
    result: impl With<Value = Option<Result<Result<T, String>, ServerFnError>>> + 'static,
    then: impl Fn() + 'static,
) {
    Effect::new(move |_| {
        if result.with(|result| matches!(result, Some(Ok(Ok(_))))) {
            // Only a new result runs it again: what `then` reads (a form re-rendered by the
            // refetch it starts) must not.
            untrack(&then);
        }
    });
}

/// A count with its noun, singular for one: "1 project", "3 projects".
pub fn counted(count: i64, one: &str, many: &str) -> String {
    match count {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// An RFC 3339 time as its date, machine-readable in `datetime`.
pub fn day(at: &str) -> impl IntoView {
    let date = at.get(..10).unwrap_or(at).to_string();
    view! { <time datetime=at.to_string()>{date}</time> }
}

/// Puts `text` on the clipboard (the browser may refuse outside a secure page; the text stays
/// selectable where it is shown then).
#[cfg(feature = "hydrate")]
pub fn copy_text(text: &str) {
    let _ = window().navigator().clipboard().write_text(text);
}

#[cfg(not(feature = "hydrate"))]
pub fn copy_text(_text: &str) {}

/// Two overlapping sheets: the usual sign for "copy", drawn so no font needs to have it.
pub fn copy_icon() -> impl IntoView {
    view! {
        <svg class="copy-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
            <rect x="5" y="5" width="9" height="9" rx="1.5" fill="none" stroke="currentColor" stroke-width="1.5" />
            <path d="M3 11V3.5A1.5 1.5 0 0 1 4.5 2H11" fill="none" stroke="currentColor" stroke-width="1.5" />
        </svg>
    }
}

/// A button that copies `text` and says so with a tick.
#[component]
pub fn CopyButton(text: String, label: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    view! {
        <button type="button" class="copy" aria-label=label title="Copy"
            on:click=move |_| {
                copy_text(&text);
                copied.set(true);
            }>
            {move || if copied.get() { view! { <span>"✓"</span> }.into_any() } else { copy_icon().into_any() }}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(counted(1, "project", "projects"), "1 project");
        assert_eq!(counted(0, "project", "projects"), "0 projects");
        assert_eq!(counted(12, "object", "objects"), "12 objects");
    }
}
