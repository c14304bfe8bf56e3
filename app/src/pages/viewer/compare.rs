//! Compare mode: the shown version against an earlier one. The view colours added elements
//! green, changed ones amber and the rest grey, and draws the earlier version's removed elements
//! red and see-through; the panel counts them and lists them by category, and a click flies to
//! one. The change set comes from the server (computed there on first use, so the first
//! comparison of two versions may take a moment, shown as such).

use std::collections::{BTreeMap, HashMap, HashSet};

use leptos::prelude::*;

use fleck_viewer::Paint;

use crate::projects::changes::{compare_versions, ChangeRow, Comparison, PropertyRow};

use super::controls::Controls;
use super::Review;

const ADDED: [u8; 4] = [46, 160, 67, 255];
const CHANGED: [u8; 4] = [240, 160, 0, 255];
/// Removed elements are drawn see-through, so what replaced them shows through.
const REMOVED: [u8; 4] = [220, 50, 47, 90];
const UNCHANGED: [u8; 4] = [200, 203, 208, 255];

/// The comparison the view shows, shared with the properties panel.
#[derive(Clone, Copy)]
pub struct Compare {
    /// The earlier version chosen.
    pub against: RwSignal<Option<String>>,
    pub shown: RwSignal<Option<Comparison>>,
    pub busy: RwSignal<bool>,
    pub error: RwSignal<Option<String>>,
}

impl Compare {
    pub fn new(review: &Review) -> Self {
        // The version before the shown one, by default.
        let previous = review
            .versions
            .iter()
            .skip_while(|v| v.id != review.version_id)
            .nth(1)
            .map(|v| v.id.clone());
        Compare {
            against: RwSignal::new(previous),
            shown: RwSignal::new(None),
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
        }
    }

    /// The property changes of an element of the comparison (none when it is not changed).
    pub fn properties_of(&self, object_id: &str) -> Vec<PropertyRow> {
        self.shown.with(|c| {
            c.iter()
                .flat_map(|c| &c.changes)
                .find(|row| row.object_id == object_id)
                .map(|row| row.properties.clone())
                .unwrap_or_default()
        })
    }
}

/// Each listed element's colour, and the removed ones (drawn from the earlier version).
fn paint(comparison: &Comparison) -> (Paint, HashSet<String>) {
    let mut colors = HashMap::new();
    let mut removed = HashSet::new();
    for row in &comparison.changes {
        let color = match row.kind.as_str() {
            "added" => ADDED,
            "removed" => {
                removed.insert(row.object_id.clone());
                REMOVED
            }
            _ => CHANGED,
        };
        colors.insert(row.object_id.clone(), color);
    }
    let paint = Paint {
        colors,
        rest: UNCHANGED,
    };
    (paint, removed)
}

/// The listed changes by category, categories in alphabetical order.
fn by_category(changes: &[ChangeRow]) -> BTreeMap<String, Vec<ChangeRow>> {
    let mut groups: BTreeMap<String, Vec<ChangeRow>> = BTreeMap::new();
    for row in changes {
        groups
            .entry(row.category.clone())
            .or_default()
            .push(row.clone());
    }
    groups
}

/// The Compare tab.
#[component]
pub fn ComparePanel(
    compare: Compare,
    review: Review,
    controls: Controls,
    /// Selects an element and flies to it.
    on_select: Callback<String>,
) -> impl IntoView {
    let earlier: Vec<_> = review
        .versions
        .iter()
        .skip_while(|v| v.id != review.version_id)
        .skip(1)
        .cloned()
        .collect();
    let review = StoredValue::new(review);
    let start = move |_| {
        let Some(from) = compare.against.get_untracked() else {
            return;
        };
        let Review {
            project_id,
            version_id,
            versions,
            ..
        } = review.get_value();
        let Some(root) = versions
            .iter()
            .find(|v| v.id == from)
            .map(|v| v.object_id.clone())
        else {
            return;
        };
        compare.busy.set(true);
        compare.error.set(None);
        leptos::task::spawn_local(async move {
            match compare_versions(project_id.clone(), from, version_id).await {
                Ok(comparison) => {
                    let (paint, removed) = paint(&comparison);
                    controls.compare((project_id, root), paint, removed, move |loaded| {
                        compare.busy.set(false);
                        match loaded {
                            Ok(()) => compare.shown.set(Some(comparison)),
                            Err(e) => compare.error.set(Some(e)),
                        }
                    });
                }
                Err(e) => {
                    compare.busy.set(false);
                    compare.error.set(Some(e.to_string()));
                }
            }
        });
    };
    let end = move |_| {
        controls.end_comparison();
        compare.shown.set(None);
    };
    let number_of = move |id: &str| {
        review.with_value(|r| {
            r.versions
                .iter()
                .find(|v| v.id == id)
                .map_or(0, |v| v.number)
        })
    };
    if earlier.is_empty() {
        return view! { <p class="hint" data-empty="compare">"This is the model's first version: there is nothing earlier to compare it with."</p> }.into_any();
    }
    view! {
        <div class="compare">
            <label for="compare-with">"Compare this version with"</label>
            <select id="compare-with" on:change=move |ev| compare.against.set(Some(event_target_value(&ev)))>
                {earlier.into_iter().map(|v| {
                    let selected = compare.against.get_untracked().as_deref() == Some(v.id.as_str());
                    view! { <option value=v.id.clone() selected=selected>{format!("Version {} · {}", v.number, v.label)}</option> }
                }).collect_view()}
            </select>
            <div class="form-actions">
                <button type="button" class="button small" on:click=start disabled=move || compare.busy.get()>"Show changes"</button>
                {move || compare.shown.with(Option::is_some).then(|| view! {
                    <button type="button" class="button small secondary" on:click=end>"End comparison"</button>
                })}
            </div>
            {move || compare.busy.get().then(|| view! { <p class="hint" role="status" aria-busy="true">"Comparing the versions…"</p> })}
            {move || compare.error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || compare.shown.get().map(|comparison| {
                let against = compare.against.get_untracked().map(|id| number_of(&id)).unwrap_or_default();
                let more = comparison.added + comparison.removed + comparison.changed - comparison.changes.len() as i64;
                view! {
                    <p class="hint">{format!("Since version {against}:")}</p>
                    <ul class="change-legend" data-added=comparison.added data-removed=comparison.removed
                        data-changed=comparison.changed data-unchanged=comparison.unchanged>
                        <li><span class="swatch added"></span>{format!("{} added", comparison.added)}</li>
                        <li><span class="swatch removed"></span>{format!("{} removed", comparison.removed)}</li>
                        <li><span class="swatch changed"></span>{format!("{} changed", comparison.changed)}</li>
                        <li><span class="swatch unchanged"></span>{format!("{} unchanged", comparison.unchanged)}</li>
                    </ul>
                    {by_category(&comparison.changes).into_iter().map(|(category, rows)| view! {
                        <details class="change-group" open data-category=category.clone()>
                            <summary>{category.clone()} <span class="count">{rows.len()}</span></summary>
                            <ul class="change-list">
                                {rows.into_iter().map(|row| {
                                    let id = row.object_id.clone();
                                    let what = match (row.kind.as_str(), row.geometry_changed, row.properties.is_empty()) {
                                        ("changed", true, false) => "geometry and properties changed".to_string(),
                                        ("changed", true, true) => "geometry changed".to_string(),
                                        ("changed", false, _) => "properties changed".to_string(),
                                        (kind, _, _) => kind.to_string(),
                                    };
                                    view! {
                                        <li data-change=row.kind.clone() data-object=row.object_id.clone()>
                                            <button type="button" class="link-button" on:click=move |_| on_select.run(id.clone())>{row.name.clone()}</button>
                                            <span class=format!("badge change {}", row.kind)>{what}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        </details>
                    }).collect_view()}
                    {(more > 0).then(|| view! { <p class="hint">{format!("{more} more changes are not listed.")}</p> })}
                }
            })}
        </div>
    }.into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, id: &str, category: &str) -> ChangeRow {
        ChangeRow {
            kind: kind.into(),
            object_id: id.into(),
            name: id.into(),
            category: category.into(),
            geometry_changed: false,
            properties: Vec::new(),
        }
    }

    #[test]
    fn each_kind_has_its_colour_and_removed_ones_come_from_the_older_version() {
        let comparison = Comparison {
            changes: vec![
                row("added", "a", "Walls"),
                row("removed", "r", "Doors"),
                row("changed", "c", "Walls"),
            ],
            ..Comparison::default()
        };
        let (paint, removed) = paint(&comparison);
        assert_eq!(paint.colors["a"], ADDED);
        assert_eq!(paint.colors["c"], CHANGED);
        assert_eq!(paint.colors["r"], REMOVED);
        assert_eq!(paint.rest, UNCHANGED);
        assert_eq!(removed, HashSet::from(["r".to_string()]));
        let groups = by_category(&comparison.changes);
        assert_eq!(groups.keys().collect::<Vec<_>>(), ["Doors", "Walls"]);
        assert_eq!(groups["Walls"].len(), 2);
    }
}
