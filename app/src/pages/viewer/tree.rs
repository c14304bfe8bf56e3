//! The model's tree (site → building → storey → elements, from the IFC hierarchy and Speckle
//! collections) and its categories, each with show/hide and isolate.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;

use super::visibility::{children_of, Shown, TreeEntry};

/// Children listed under one node at most; the rest are reached through Find.
const MAX_CHILDREN: usize = 500;

/// What every node of the tree reads and changes.
#[derive(Clone, Copy)]
struct TreeContext {
    entries: RwSignal<Vec<TreeEntry>>,
    children: Memo<HashMap<Option<String>, Vec<usize>>>,
    expanded: RwSignal<HashSet<String>>,
    shown: RwSignal<Shown>,
    selected: Signal<Option<String>>,
    on_select: Callback<String>,
}

#[component]
pub fn SpatialTree(
    entries: RwSignal<Vec<TreeEntry>>,
    shown: RwSignal<Shown>,
    selected: Signal<Option<String>>,
    on_select: Callback<String>,
) -> impl IntoView {
    let children = Memo::new(move |_| entries.with(|list| children_of(list)));
    let expanded = RwSignal::new(HashSet::<String>::new());
    // Open the levels down to the storeys: every node with a collection below it.
    Effect::new(move |_| {
        let open: HashSet<String> = entries.with(|list| {
            list.iter()
                .filter_map(|e| e.parent.clone().filter(|_| e.collection))
                .collect()
        });
        expanded.set(open);
    });
    // A pick in the view opens the tree down to the picked object.
    Effect::new(move |_| {
        let Some(id) = selected.get() else { return };
        let ancestors = entries.with_untracked(|list| ancestors_of(list, &id));
        if ancestors
            .iter()
            .any(|a| !expanded.with_untracked(|e| e.contains(a)))
        {
            expanded.update(|e| e.extend(ancestors));
        }
    });
    let context = TreeContext {
        entries,
        children,
        expanded,
        shown,
        selected,
        on_select,
    };
    move || {
        let roots = children.with(|c| c.get(&None).cloned().unwrap_or_default());
        if roots.is_empty() {
            return view! { <p class="hint">"Nothing to list yet."</p> }.into_any();
        }
        view! {
            <ul class="tree" role="tree" aria-label="Model tree">
                {roots.into_iter().map(|index| node(index, context)).collect_view()}
            </ul>
        }
        .into_any()
    }
}

/// The ids above `id` in the tree, nearest first.
fn ancestors_of(entries: &[TreeEntry], id: &str) -> Vec<String> {
    let parent_of = |id: &str| {
        entries
            .iter()
            .find(|e| e.id == id)
            .and_then(|e| e.parent.clone())
    };
    let mut found = Vec::new();
    let mut next = parent_of(id);
    while let Some(parent) = next {
        if found.contains(&parent) {
            break;
        }
        next = parent_of(&parent);
        found.push(parent);
    }
    found
}

/// One node and, when open, its children.
fn node(index: usize, context: TreeContext) -> AnyView {
    let Some(entry) = context
        .entries
        .with_untracked(|list| list.get(index).cloned())
    else {
        return ().into_any();
    };
    let TreeContext {
        children,
        expanded,
        shown,
        selected,
        on_select,
        ..
    } = context;
    let id = entry.id.clone();
    let kids = children.with_untracked(|c| c.get(&Some(id.clone())).cloned().unwrap_or_default());
    let has_children = !kids.is_empty();
    // Plain closures over the node's place in the list (Copy), not derived signals: a signal
    // made here would go with the node while its old view's last updates still read it.
    let entry_id = move |f: &dyn Fn(&str) -> bool| {
        context
            .entries
            .with_untracked(|list| list.get(index).is_some_and(|e| f(&e.id)))
    };
    let is_open = move || entry_id(&|id| expanded.with(|e| e.contains(id)));
    let toggle_open = {
        let id = id.clone();
        move |_| {
            expanded.update(|e| {
                if !e.remove(&id) {
                    e.insert(id.clone());
                }
            })
        }
    };
    let visible = {
        let id = id.clone();
        move || !shown.with(|s| s.hidden_nodes.contains(&id))
    };
    let toggle_visible = {
        let id = id.clone();
        move |_| {
            shown.update(|s| match s.hidden_nodes.iter().position(|n| *n == id) {
                Some(i) => {
                    s.hidden_nodes.remove(i);
                }
                None => s.hidden_nodes.push(id.clone()),
            })
        }
    };
    let isolated = move || {
        entry_id(&|id| {
            shown.with(|s| {
                s.isolated_nodes
                    .as_deref()
                    .is_some_and(|nodes| nodes.len() == 1 && nodes[0] == id)
            })
        })
    };
    let isolate = {
        let id = id.clone();
        move |_| {
            // Read before the update: `isolated` reads `shown`, which the update holds.
            let again = !untrack(isolated);
            shown.update(|s| s.isolated_nodes = again.then(|| vec![id.clone()]))
        }
    };
    let is_selected = move || entry_id(&|id| selected.with(|s| s.as_deref() == Some(id)));
    let select = {
        let id = id.clone();
        move |_| on_select.run(id.clone())
    };
    let open_label = format!("Open {}", entry.name);
    let show_label = format!("Show {}", entry.name);
    let isolate_label = format!("Isolate {}", entry.name);
    let hidden_kids = kids.len().saturating_sub(MAX_CHILDREN);
    let kids_view = move || {
        (has_children && is_open()).then(|| {
            view! {
                <ul role="group">
                    {kids.iter().take(MAX_CHILDREN).map(|&k| node(k, context)).collect_view()}
                    {(hidden_kids > 0).then(|| view! { <li class="hint">{format!("… and {hidden_kids} more: use Find to reach them.")}</li> })}
                </ul>
            }
        })
    };
    view! {
        <li role="treeitem" data-node=id.clone() data-category=entry.category.clone()
            aria-expanded=move || has_children.then(|| is_open().to_string())
            aria-selected=move || is_selected().to_string()>
            <div class="tree-row" class:selected=is_selected>
                {if has_children {
                    view! {
                        <button type="button" class="tree-toggle" aria-label=open_label on:click=toggle_open>
                            {move || if is_open() { "▾" } else { "▸" }}
                        </button>
                    }.into_any()
                } else {
                    view! { <span class="tree-toggle" aria-hidden="true"></span> }.into_any()
                }}
                <input type="checkbox" aria-label=show_label prop:checked=visible on:change=toggle_visible />
                <button type="button" class="tree-name" on:click=select title=format!("{} ({})", entry.name, entry.category)>{entry.name.clone()}</button>
                // Levels read as what they are by their names; elements say their kind.
                {(!entry.collection).then(|| view! { <span class="tree-category">{entry.category.clone()}</span> })}
                <button type="button" class="link-button tree-isolate" aria-label=isolate_label aria-pressed=move || isolated().to_string() on:click=isolate>
                    {move || if isolated() { "Show all" } else { "Isolate" }}
                </button>
            </div>
            {kids_view}
        </li>
    }
    .into_any()
}

/// Objects counted by category, each with show/hide and isolate.
#[component]
pub fn CategoryList(entries: RwSignal<Vec<TreeEntry>>, shown: RwSignal<Shown>) -> impl IntoView {
    let categories = Memo::new(move |_| {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for entry in entries.get().iter() {
            match counts.iter_mut().find(|(c, _)| *c == entry.category) {
                Some((_, n)) => *n += 1,
                None => counts.push((entry.category.clone(), 1)),
            }
        }
        counts.sort();
        counts
    });
    move || {
        if categories.get().is_empty() {
            return view! { <p class="hint">"Nothing to list yet."</p> }.into_any();
        }
        view! {
            <ul class="categories">
                {categories.get().into_iter().map(|(category, count)| {
                    let name = category.clone();
                    let visible = {
                        let name = name.clone();
                        move || !shown.with(|s| s.hidden_categories.contains(&name))
                    };
                    let toggle = {
                        let name = name.clone();
                        move |_| shown.update(|s| {
                            let h = &mut s.hidden_categories;
                            if let Some(i) = h.iter().position(|c| *c == name) { h.remove(i); } else { h.push(name.clone()); }
                        })
                    };
                    let isolated = {
                        let name = name.clone();
                        Signal::derive(move || shown.with(|s| s.isolated_category.as_deref() == Some(name.as_str())))
                    };
                    let isolate = {
                        let name = name.clone();
                        move |_| shown.update(|s| {
                            let i = &mut s.isolated_category;
                            *i = if i.as_deref() == Some(name.as_str()) { None } else { Some(name.clone()) };
                        })
                    };
                    let id = format!("show-{}", name.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
                    view! {
                        <li data-category=name.clone()>
                            <input type="checkbox" id=id.clone() prop:checked=visible on:change=toggle />
                            <label for=id>{format!("{category} ({count})")}</label>
                            <button type="button" class="link-button" aria-pressed=move || isolated.get().to_string() on:click=isolate>
                                {move || if isolated.get() { "Show all" } else { "Isolate" }}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any()
    }
}
