//! Colouring the model by a property's values, with a legend: each value has its colour and
//! count, and a click on it isolates that value's elements.

use std::collections::{BTreeSet, HashMap};

use fleck_viewer::Paint;
use leptos::prelude::*;

use super::controls::Controls;
use super::find::loose;
use super::visibility::{Shown, TreeEntry};
use crate::pages::shared::counted;

/// The values' colours, most common value first: distinct hues of similar weight.
const PALETTE: [[u8; 4]; 10] = [
    [230, 120, 30, 255],
    [140, 80, 200, 255],
    [20, 160, 150, 255],
    [215, 60, 140, 255],
    [150, 150, 30, 255],
    [70, 160, 230, 255],
    [140, 90, 50, 255],
    [210, 50, 50, 255],
    [60, 170, 70, 255],
    [40, 60, 140, 255],
];
/// Values past the palette share one grey.
const OTHER: [u8; 4] = [150, 150, 150, 255];
/// Elements without the property: faint and see-through, so the coloured ones stand out.
const WITHOUT: [u8; 4] = [205, 205, 205, 70];

/// One line of the legend.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub label: String,
    pub color: [u8; 4],
    pub ids: Vec<String>,
}

/// The legend of property `name` over `elements` (id and properties): one band per value, most
/// common first (then by value), values past the palette together as "Other values", and the
/// elements without it last. `None` when no element has the property.
pub fn legend(name: &str, elements: &[(String, Vec<(String, String)>)]) -> Option<Vec<Band>> {
    let wanted = loose(name);
    let mut by_value: HashMap<String, Vec<String>> = HashMap::new();
    let mut without = Vec::new();
    for (id, properties) in elements {
        match properties.iter().find(|(n, _)| loose(n) == wanted) {
            Some((_, value)) => by_value.entry(value.clone()).or_default().push(id.clone()),
            None => without.push(id.clone()),
        }
    }
    if by_value.is_empty() {
        return None;
    }
    let mut values: Vec<(String, Vec<String>)> = by_value.into_iter().collect();
    values.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    let mut bands: Vec<Band> = Vec::new();
    let rest = values.split_off(values.len().min(PALETTE.len()));
    for ((value, ids), color) in values.into_iter().zip(PALETTE) {
        bands.push(Band {
            label: value,
            color,
            ids,
        });
    }
    if !rest.is_empty() {
        let count = rest.len();
        bands.push(Band {
            label: format!("{count} other values"),
            color: OTHER,
            ids: rest.into_iter().flat_map(|(_, ids)| ids).collect(),
        });
    }
    if !without.is_empty() {
        bands.push(Band {
            label: "No value".into(),
            color: WITHOUT,
            ids: without,
        });
    }
    Some(bands)
}

/// The viewer's paint for a legend.
pub fn paint(bands: &[Band]) -> Paint {
    let colors = bands
        .iter()
        .flat_map(|band| band.ids.iter().map(|id| (id.clone(), band.color)))
        .collect();
    Paint {
        colors,
        rest: WITHOUT,
    }
}

fn css(color: [u8; 4]) -> String {
    let [r, g, b, a] = color;
    format!("rgba({r}, {g}, {b}, {:.2})", f32::from(a) / 255.0)
}

/// The "Colour by property" form and its legend, in the Find panel.
#[component]
pub fn ColourBy(
    controls: Controls,
    entries: RwSignal<Vec<TreeEntry>>,
    shown: RwSignal<Shown>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    // Offered names, read from the elements when the field is first used.
    let names = RwSignal::new(Vec::<String>::new());
    // The legend drawn; `Some(None)` when no element has the property.
    let bands = RwSignal::new(None::<Option<Vec<Band>>>);
    let elements = move || {
        entries.with_untracked(|list| {
            list.iter()
                .filter(|entry| !entry.collection)
                .map(|entry| (entry.id.clone(), controls.properties(&entry.id)))
                .collect::<Vec<_>>()
        })
    };
    let offer_names = move |_| {
        if names.with_untracked(Vec::is_empty) {
            let found: BTreeSet<String> = elements()
                .into_iter()
                .flat_map(|(_, properties)| properties.into_iter().map(|(n, _)| n))
                .collect();
            names.set(found.into_iter().collect());
        }
    };
    let colour = move || {
        let wanted = name.get_untracked();
        if wanted.trim().is_empty() {
            return;
        }
        let legend = legend(wanted.trim(), &elements());
        controls.paint(legend.as_deref().map(paint));
        bands.set(Some(legend));
    };
    let clear = move |_| {
        controls.paint(None);
        bands.set(None);
    };
    view! {
        <form class="colour-by" on:submit=move |e| { e.prevent_default(); colour(); }>
            <label for="colour-property">"Colour by property"</label>
            <div class="search">
                <input id="colour-property" list="colour-property-names" autocomplete="off" placeholder="e.g. FireRating"
                    prop:value=move || name.get() on:focus=offer_names on:input=move |e| name.set(event_target_value(&e)) />
                <button class="button small" type="submit">"Colour"</button>
            </div>
            <datalist id="colour-property-names">
                {move || names.get().into_iter().map(|n| view! { <option value=n></option> }).collect_view()}
            </datalist>
        </form>
        {move || bands.get().map(|legend| match legend {
            None => view! { <p class="hint" role="status">"No element has this property."</p> }.into_any(),
            Some(bands) => {
                let count = bands.len();
                view! {
                <div class="legend" role="status" data-bands=count>
                    <ul>
                        {bands.into_iter().map(|band| {
                            let ids = band.ids.clone();
                            let isolated = {
                                let ids = ids.clone();
                                move || shown.with(|s| s.isolates(&ids))
                            };
                            view! {
                                <li>
                                    <button type="button" class="link-button legend-band" data-value=band.label.clone()
                                        aria-pressed=move || isolated().to_string()
                                        title="Isolate these elements (again to show all)"
                                        on:click=move |_| {
                                            shown.update(|s| s.toggle_isolated(ids.clone()));
                                            controls.fit(false);
                                        }>
                                        <span class="swatch" aria-hidden="true" style:background-color=css(band.color)></span>
                                        <span class="band-label">{band.label.clone()}</span>
                                        <span class="band-count">{counted(band.ids.len() as i64, "element", "elements")}</span>
                                    </button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <button type="button" class="button small" on:click=clear>"Clear colours"</button>
                </div>
            }.into_any()
            }
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(id: &str, rating: Option<&str>) -> (String, Vec<(String, String)>) {
        let properties = rating
            .map(|r| vec![("FireRating".to_string(), r.to_string())])
            .unwrap_or_default();
        (id.to_string(), properties)
    }

    #[test]
    fn a_legend_lists_values_most_common_first_then_those_without() {
        let elements = vec![
            element("a", Some("REI 60")),
            element("b", Some("REI 30")),
            element("c", Some("REI 60")),
            element("d", None),
        ];
        let bands = legend("fire rating", &elements).unwrap();
        let labels: Vec<&str> = bands.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["REI 60", "REI 30", "No value"]);
        assert_eq!(bands[0].ids, ["a", "c"]);
        assert_eq!(bands[0].color, PALETTE[0]);
        assert_eq!(paint(&bands).colors["d"], WITHOUT);
        assert_eq!(legend("Height", &elements), None);
    }

    #[test]
    fn values_past_the_palette_share_one_band() {
        let elements: Vec<_> = (0..PALETTE.len() + 3)
            .map(|i| element(&format!("e{i}"), Some(&format!("value {i:02}"))))
            .collect();
        let bands = legend("FireRating", &elements).unwrap();
        assert_eq!(bands.len(), PALETTE.len() + 1);
        let other = bands.last().unwrap();
        assert_eq!(other.label, "3 other values");
        assert_eq!((other.ids.len(), other.color), (3, OTHER));
    }
}
