//! The section box's controls: on or off, and from where to where along each axis, as a share
//! of the model's extent with the coordinate it stands for in the model's units.

use leptos::prelude::*;

use super::link::SectionRanges;
use super::measure::format_length;

/// The model's extent in world metres (`min`, `max`), once it is loaded.
pub type Extent = Option<([f64; 3], [f64; 3])>;

#[component]
pub fn SectionBox(
    on: RwSignal<bool>,
    ranges: RwSignal<SectionRanges>,
    extent: Signal<Extent>,
    units: Signal<String>,
) -> impl IntoView {
    let axes = [
        (0usize, "X", "west to east"),
        (1, "Y", "south to north"),
        (2, "Z", "bottom to top"),
    ];
    // The coordinate a percentage along an axis stands for.
    let at = move |axis: usize, percent: f32| {
        extent.get().map(|(min, max)| {
            let value = min[axis] + (max[axis] - min[axis]) * percent as f64 / 100.0;
            format_length(value, &units.get())
        })
    };
    view! {
        <section aria-labelledby="section-heading" class="section-box">
            <h3 id="section-heading">"Section box"</h3>
            <div class="check">
                <input type="checkbox" id="section-on" prop:checked=move || on.get() on:change=move |e| on.set(event_target_checked(&e)) />
                <label for="section-on">"Cut the model to a box"</label>
            </div>
            {axes.into_iter().map(|(axis, name, span)| {
                let input = move |end: usize| move |e: leptos::ev::Event| {
                    let value = event_target_value(&e).parse::<f32>().unwrap_or(0.0);
                    ranges.update(|r| {
                        let (from, to) = &mut r[axis];
                        // Each end stops one percent short of the other.
                        if end == 0 { *from = value.min(*to - 1.0).max(0.0) } else { *to = value.max(*from + 1.0).min(100.0) }
                    });
                };
                let from_id = format!("section-{}-from", name.to_lowercase());
                let to_id = format!("section-{}-to", name.to_lowercase());
                view! {
                    <fieldset class="section-axis" prop:disabled=move || !on.get()>
                        <legend>{format!("{name}, {span}")}</legend>
                        <label for=from_id.clone()>"From"</label>
                        <input type="range" id=from_id min="0" max="100" step="1" prop:value=move || ranges.get()[axis].0.to_string() on:input=input(0) />
                        <output class="section-value">{move || at(axis, ranges.get()[axis].0)}</output>
                        <label for=to_id.clone()>"To"</label>
                        <input type="range" id=to_id min="0" max="100" step="1" prop:value=move || ranges.get()[axis].1.to_string() on:input=input(1) />
                        <output class="section-value">{move || at(axis, ranges.get()[axis].1)}</output>
                    </fieldset>
                }
            }).collect_view()}
        </section>
    }
}
