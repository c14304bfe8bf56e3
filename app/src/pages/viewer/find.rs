//! Finding objects: by name, category or property value (`FireRating = REI 60`), then
//! selecting one result or isolating them all.

use leptos::prelude::*;

use super::colour::ColourBy;
use super::controls::Controls;
use super::visibility::{Shown, TreeEntry};
use crate::pages::shared::counted;

/// At most this many results are listed; all of them are isolated.
const LISTED: usize = 100;

/// What a reviewer asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// Text in an object's name, category or any property value.
    Text(String),
    /// A property with this name and value.
    Property { name: String, value: String },
}

impl Query {
    /// `Name = value` asks for a property; anything else is text. `None` for nothing at all.
    pub fn parse(text: &str) -> Option<Query> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if let Some((name, value)) = text.split_once('=') {
            let (name, value) = (name.trim(), value.trim());
            if !name.is_empty() && !value.is_empty() {
                return Some(Query::Property {
                    name: name.to_string(),
                    value: value.to_string(),
                });
            }
        }
        Some(Query::Text(text.to_string()))
    }

    /// Whether an object with this entry and these properties (name, value) matches. Text
    /// matches anywhere, ignoring case; a property's name and value must match whole, ignoring
    /// case and spaces (`REI60` finds `REI 60`).
    pub fn matches(&self, entry: &TreeEntry, properties: &[(String, String)]) -> bool {
        match self {
            Query::Text(text) => {
                let text = text.to_lowercase();
                let has = |s: &str| s.to_lowercase().contains(&text);
                has(&entry.name) || has(&entry.category) || properties.iter().any(|(_, v)| has(v))
            }
            Query::Property { name, value } => properties
                .iter()
                .any(|(n, v)| loose(n) == loose(name) && loose(v) == loose(value)),
        }
    }
}

/// Lower case without spaces.
pub(super) fn loose(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The find panel.
#[component]
pub fn Find(
    controls: Controls,
    entries: RwSignal<Vec<TreeEntry>>,
    shown: RwSignal<Shown>,
    on_select: Callback<String>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    // The ids found, with their names, for the last search; `None` before any.
    let found = RwSignal::new(None::<Vec<(String, String)>>);
    let search = move || {
        let Some(query) = Query::parse(&text.get_untracked()) else {
            found.set(None);
            return;
        };
        let results = entries.with_untracked(|list| {
            list.iter()
                .filter(|entry| !entry.collection)
                .filter(|entry| query.matches(entry, &controls.properties(&entry.id)))
                .map(|entry| (entry.id.clone(), entry.name.clone()))
                .collect::<Vec<_>>()
        });
        found.set(Some(results));
    };
    let isolated_results = move || {
        let ids: Option<Vec<String>> = found.with(|f| {
            f.as_ref()
                .map(|list| list.iter().map(|(id, _)| id.clone()).collect())
        });
        ids.is_some() && shown.with(|s| s.isolated_nodes == ids)
    };
    view! {
        <form class="find" role="search" on:submit=move |e| { e.prevent_default(); search(); }>
            <label for="find-query">"Find objects"</label>
            <div class="search">
                <input id="find-query" type="search" autocomplete="off" placeholder="Name, category, value, or Property = value"
                    prop:value=move || text.get() on:input=move |e| text.set(event_target_value(&e)) />
                <button class="button small" type="submit">"Find"</button>
            </div>
            <p class="hint">"For example " <code>"FireRating = REI 60"</code> " or " <code>"IfcDoor"</code> "."</p>
        </form>
        {move || found.get().map(|results| {
            let count = results.len();
            let ids: Vec<String> = results.iter().map(|(id, _)| id.clone()).collect();
            let listed: Vec<(String, String)> = results.into_iter().take(LISTED).collect();
            view! {
                <div class="find-results" data-found=count>
                    <p>
                        <strong>{format!("{} found", counted(count as i64, "object", "objects"))}</strong>
                        {(count > 0).then(|| view! {
                            " · "
                            <button type="button" class="link-button" aria-pressed=move || isolated_results().to_string()
                                on:click=move |_| {
                                    shown.update(|s| s.toggle_isolated(ids.clone()));
                                    controls.fit(false);
                                }>
                                {move || if isolated_results() { "Show all" } else { "Isolate results" }}
                            </button>
                        })}
                    </p>
                    {(count > LISTED).then(|| view! { <p class="hint">{format!("The first {LISTED} are listed.")}</p> })}
                    <ul class="find-list">
                        {listed.into_iter().map(|(id, name)| {
                            let select = id.clone();
                            view! {
                                <li><button type="button" class="link-button" data-object=id on:click=move |_| on_select.run(select.clone())>{name}</button></li>
                            }
                        }).collect_view()}
                    </ul>
                </div>
            }
        })}
        <ColourBy controls entries shown />
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wall() -> TreeEntry {
        TreeEntry {
            id: "w".into(),
            name: "South wall".into(),
            category: "IfcWall".into(),
            parent: None,
            collection: false,
            non_physical: false,
        }
    }

    #[test]
    fn property_queries_match_name_and_value_whole() {
        let query = Query::parse(" FireRating = REI60 ").unwrap();
        let properties = vec![("FireRating".to_string(), "REI 60".to_string())];
        assert!(query.matches(&wall(), &properties));
        let other = vec![("FireRating".to_string(), "REI 90".to_string())];
        assert!(!query.matches(&wall(), &other));
    }

    #[test]
    fn text_queries_match_names_categories_and_values() {
        let properties = vec![("Material".to_string(), "Brick".to_string())];
        for text in ["south", "ifcwall", "bri"] {
            assert!(Query::parse(text).unwrap().matches(&wall(), &properties));
        }
        assert!(!Query::parse("door").unwrap().matches(&wall(), &properties));
        assert_eq!(Query::parse("   "), None);
        assert_eq!(Query::parse("= x"), Some(Query::Text("= x".into())));
    }
}
