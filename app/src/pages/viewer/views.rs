//! The Views tab: a model's saved views. A member names the view on screen (camera, what is
//! shown, the section box and the selection) and saves it on the model; anyone who can read the
//! project opens it from the list or copies its link. Who may save or delete is core's
//! decision, read from the server.

use leptos::prelude::*;

use crate::pages::auth::error_text;
use crate::pages::shared::{copy_text, Confirm};
use crate::projects::views::{delete_view, fetch_views, save_view, SavedViews, ViewCard};

use super::Review;

/// `current`: the view on screen, as a view link's fragment. `restore` opens a saved one.
#[component]
pub fn SavedViewsPanel(
    review: Review,
    current: Callback<(), String>,
    restore: Callback<(String, Option<String>)>,
) -> impl IntoView {
    let Review {
        project_id,
        model_id,
        ..
    } = review;
    let listed = {
        let (project_id, model_id) = (project_id.clone(), model_id.clone());
        LocalResource::new(move || fetch_views(project_id.clone(), model_id.clone()))
    };
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let copied = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let ids = StoredValue::new((project_id, model_id));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (project_id, model_id) = ids.get_value();
        let state = current.run(());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let saved = save_view(project_id, model_id, name.get_untracked(), state).await;
            busy.set(false);
            match saved {
                Ok(Ok(_)) => {
                    name.set(String::new());
                    error.set(None);
                    listed.refetch();
                }
                Ok(Err(why)) => error.set(Some(why)),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let remove = move |view_id: String| {
        let project_id = ids.with_value(|(project, _)| project.clone());
        leptos::task::spawn_local(async move {
            match delete_view(project_id, view_id).await {
                Ok(Ok(())) => {
                    error.set(None);
                    listed.refetch();
                }
                Ok(Err(why)) => error.set(Some(why)),
                Err(e) => error.set(Some(error_text(&e))),
            }
        });
    };
    let row = move |view: ViewCard| {
        let ViewCard {
            id,
            name,
            state,
            author,
            created,
            can_delete,
        } = view;
        let (open_state, link_state) = (state.clone(), state);
        let copy_id = id.clone();
        let shows_copied = {
            let id = id.clone();
            move || copied.get().as_deref() == Some(id.as_str())
        };
        let delete_id = id.clone();
        view! {
            <li class="saved-view" data-view=id>
                <button type="button" class="link-button saved-view-name" title="Open this view"
                    on:click=move |_| restore.run((open_state.clone(), None))>{name}</button>
                <span class="muted">{format!("{author} · {created}")}</span>
                <div class="saved-view-actions">
                    <button type="button" class="button small secondary" on:click=move |_| {
                        copy_text(&link_to(&link_state));
                        copied.set(Some(copy_id.clone()));
                    }>{move || if shows_copied() { "Copied ✓" } else { "Copy link" }}</button>
                    {can_delete.then(|| view! {
                        <Confirm label="Delete…">
                            <p>"Delete this view for everyone?"</p>
                            <button type="button" class="button small danger"
                                on:click=move |_| remove(delete_id.clone())>"Delete view"</button>
                        </Confirm>
                    })}
                </div>
            </li>
        }
    };
    let answered = move || {
        listed
            .get()
            .map(|answer| answer.map_err(|e| error_text(&e)))
    };
    view! {
        <div class="saved-views">
            {move || match answered() {
                None => view! { <p class="muted">"Loading saved views…"</p> }.into_any(),
                Some(Err(why)) => view! { <p class="error" role="alert">{why}</p> }.into_any(),
                Some(Ok(SavedViews { items, can_save })) => view! {
                    {can_save.then(|| view! {
                        <form class="save-view" on:submit=save>
                            <label for="saved-view-name">"Save the view on screen as"</label>
                            <div class="inline-field">
                                <input id="saved-view-name" type="text" required maxlength="100"
                                    placeholder="e.g. Level 1 from the west" prop:value=move || name.get()
                                    on:input=move |e| name.set(event_target_value(&e)) />
                                <button type="submit" class="button small" disabled=move || busy.get()>"Save view"</button>
                            </div>
                            <p class="muted">"Keeps the camera, what is shown or hidden, the section box and the selected element."</p>
                        </form>
                    })}
                    {if items.is_empty() {
                        view! { <p class="muted">"No saved views on this model yet."</p> }.into_any()
                    } else {
                        view! { <ul class="saved-view-list">{items.into_iter().map(row).collect_view()}</ul> }.into_any()
                    }}
                }.into_any(),
            }}
            {move || error.get().map(|why| view! { <p class="error" role="alert">{why}</p> })}
        </div>
    }
}

/// The address of this page showing the view `state`.
fn link_to(state: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        let location = window().location();
        format!(
            "{}{}{}#{state}",
            location.origin().unwrap_or_default(),
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        )
    }
    #[cfg(not(feature = "hydrate"))]
    format!("#{state}")
}
