//! The selected object's panel: its properties grouped by property and quantity set, each
//! group collapsible, identifiers last and closed; a copy button on every value; hide,
//! isolate and zoom for the object; while comparing versions, what changed in its properties.

use leptos::prelude::*;

use fleck_viewer::properties::{PropertyGroup, ELEMENT_GROUP, INTERNAL_GROUP};

use crate::pages::shared::{copy_icon, copy_text};
use crate::projects::changes::PropertyRow;

use super::visibility::Shown;

/// The picked object and what it says about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Selected {
    pub id: String,
    pub groups: Vec<PropertyGroup>,
}

impl Selected {
    /// Its name, else its category, else the most derived class of its Speckle type, for the
    /// panel's heading.
    fn title(&self) -> String {
        let field = |group: &str, key: &str| {
            self.groups
                .iter()
                .find(|g| g.name == group)
                .and_then(|g| g.entries.iter().find(|(k, _)| k == key))
                .map(|(_, v)| v.clone())
        };
        field(ELEMENT_GROUP, "name")
            .or_else(|| field(ELEMENT_GROUP, "category"))
            .or_else(|| {
                field(INTERNAL_GROUP, "speckle_type")
                    .and_then(|t| t.rsplit(['.', ':']).next().map(str::to_string))
            })
            .unwrap_or_else(|| "Object".to_string())
    }
}

#[component]
pub fn PropertiesPanel(
    selected: RwSignal<Option<Selected>>,
    shown: RwSignal<Shown>,
    on_zoom: Callback<()>,
    /// The selected element's property changes while comparing versions (`None` when not).
    changes: Signal<Option<Vec<PropertyRow>>>,
) -> impl IntoView {
    // Which value was copied last, so its button can say so.
    let copied = RwSignal::new(None::<(String, String)>);
    move || match selected.get() {
        None => view! {
            <p class="hint">"Click an object in the view or in the tree to see its properties."</p>
        }
        .into_any(),
        Some(selection) => {
            let title = selection.title();
            let (hide_id, isolate_id) = (selection.id.clone(), selection.id.clone());
            view! {
                <h3 class="selected-title">{title}</h3>
                <div class="object-actions">
                    <button type="button" class="button small secondary" on:click=move |_| {
                        shown.update(|s| s.hidden_nodes.push(hide_id.clone()));
                        selected.set(None);
                    }>"Hide"</button>
                    <button type="button" class="button small secondary" on:click=move |_| {
                        shown.update(|s| s.isolated_nodes = Some(vec![isolate_id.clone()]));
                    }>"Isolate"</button>
                    <button type="button" class="button small secondary" on:click=move |_| on_zoom.run(())>"Zoom to"</button>
                </div>
                {move || changes.get().filter(|c| !c.is_empty()).map(|rows| view! { <Changes rows /> })}
                <div class="properties" data-selected=selection.id.clone()>
                    {selection.groups.into_iter().map(|group| view! { <Group group copied /> }).collect_view()}
                </div>
            }
            .into_any()
        }
    }
}

/// The properties that changed since the earlier version: old → new.
#[component]
fn Changes(rows: Vec<PropertyRow>) -> impl IntoView {
    view! {
        <details class="property-group changes" open data-group="Changes">
            <summary>"Changed properties" <span class="count">{rows.len()}</span></summary>
            <table class="property-table">
                <tbody>
                    {rows.into_iter().map(|row| view! {
                        <tr data-property=row.path.clone()>
                            <th scope="row">{row.path.clone()}</th>
                            <td><span class="property-value"><del>{row.old}</del>" → "<ins>{row.new}</ins></span></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}

#[component]
fn Group(group: PropertyGroup, copied: RwSignal<Option<(String, String)>>) -> impl IntoView {
    let open = group.name != INTERNAL_GROUP;
    let count = group.entries.len();
    let name = group.name.clone();
    view! {
        <details class="property-group" open=open data-group=group.name.clone()>
            <summary>{group.name.clone()} <span class="count">{count}</span></summary>
            <table class="property-table">
                <tbody>
                    {group.entries.into_iter().map(|(key, value)| {
                        let id = (name.clone(), key.clone());
                        let is_copied = {
                            let id = id.clone();
                            move || copied.with(|c| c.as_ref() == Some(&id))
                        };
                        let label = format!("Copy {key}");
                        let text = value.clone();
                        view! {
                            <tr data-property=key.clone()>
                                <th scope="row">{key.clone()}</th>
                                <td>
                                    <span class="property-value">{value}</span>
                                    <button type="button" class="copy" aria-label=label title="Copy the value"
                                        on:click=move |_| {
                                            copy_text(&text);
                                            copied.set(Some(id.clone()));
                                        }>
                                        {move || if is_copied() { view! { <span>"✓"</span> }.into_any() } else { copy_icon().into_any() }}
                                    </button>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}
