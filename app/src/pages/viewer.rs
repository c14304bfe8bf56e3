//! The 3D view of a version on the model page: the canvas the viewer draws into, its toolbar,
//! the object tree with hide / isolate by category, and the selected object's properties.
//! Everything here runs after hydration; the server renders the frame and a loading message.

use leptos::prelude::*;

/// One object in the tree, as the page lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeEntry {
    pub id: String,
    pub name: String,
    pub category: String,
    /// The nearest listed ancestor.
    pub parent: Option<String>,
}

/// What is hidden or isolated: whole categories from the tree, single objects from the selection.
#[derive(Clone, Debug, Default, PartialEq)]
struct Shown {
    hidden_categories: Vec<String>,
    isolated_category: Option<String>,
    hidden_objects: Vec<String>,
    /// Overrides an isolated category.
    isolated_object: Option<String>,
}

impl Shown {
    fn object_level(&self) -> bool {
        !self.hidden_objects.is_empty() || self.isolated_object.is_some()
    }
}

/// The ids of `roots` and of every entry below them.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn with_descendants(entries: &[TreeEntry], roots: &[String]) -> std::collections::HashSet<String> {
    let mut found: std::collections::HashSet<String> = roots.iter().cloned().collect();
    // Parents come before children in the list, so one pass finds every descendant.
    for entry in entries {
        if entry.parent.as_ref().is_some_and(|p| found.contains(p)) {
            found.insert(entry.id.clone());
        }
    }
    found
}

/// The selected object's id and properties.
type Selection = RwSignal<Option<(String, Vec<(String, String)>)>>;

/// What the page shows about the viewer's work.
#[derive(Clone, Debug, Default, PartialEq)]
struct Status {
    received: usize,
    total: usize,
    done: bool,
    error: Option<String>,
}

#[component]
pub fn ModelViewer(project_id: String, object_id: String) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let status = RwSignal::new(Status::default());
    let entries = RwSignal::new(Vec::<TreeEntry>::new());
    let shown = RwSignal::new(Shown::default());
    let selected = RwSignal::new(None::<(String, Vec<(String, String)>)>);
    let controls = Controls::start(canvas, project_id, object_id, status, entries, selected);
    // The section box, as percentages of the model's extent along X, Y and Z.
    let section_on = RwSignal::new(false);
    let section = RwSignal::new([(0.0f32, 100.0f32); 3]);
    // Applied again once loading finished, when the model's extent is known; not on each
    // progress report.
    let loaded = Memo::new(move |_| status.with(|s| s.done));
    Effect::new(move |_| {
        let on = section_on.get();
        let ranges = section.get();
        if loaded.get() || !on {
            controls.set_section(on.then_some(ranges));
        }
    });
    // Hiding and isolating act on categories, as the tree groups them.
    Effect::new(move |_| {
        let shown = shown.get();
        entries.with(|list| controls.apply_visibility(list, &shown));
    });
    let categories = Memo::new(move |_| {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for entry in entries.get() {
            match counts.iter_mut().find(|(c, _)| *c == entry.category) {
                Some((_, n)) => *n += 1,
                None => counts.push((entry.category.clone(), 1)),
            }
        }
        counts.sort();
        counts
    });
    let percent = move || {
        let s = status.get();
        (s.received * 100)
            .checked_div(s.total)
            .unwrap_or(0)
            .min(100)
    };
    view! {
        <section class="viewer" aria-label="3D view">
            <div class="viewer-stage">
                <canvas
                    node_ref=canvas
                    class="viewer-canvas"
                    tabindex="0"
                    aria-label="3D view of the version: drag to orbit, right-drag or shift-drag to pan, wheel to zoom, click to select; arrow keys orbit, + and - zoom, F fits"
                    data-loaded=move || status.get().done.to_string()
                    on:pointerdown=move |e| controls.pointer_down(&e)
                    on:pointermove=move |e| controls.pointer_move(&e)
                    on:pointerup=move |e| controls.pointer_up(&e)
                    on:pointercancel=move |e| controls.pointer_up(&e)
                    on:wheel=move |e| controls.wheel(&e)
                    on:contextmenu=move |e| e.prevent_default()
                    on:keydown=move |e| controls.key(&e)
                ></canvas>
                <div class="viewer-toolbar" role="toolbar" aria-label="View">
                    <button type="button" class="button small secondary" on:click=move |_| controls.fit(false)>"Fit"</button>
                    <button type="button" class="button small secondary" on:click=move |_| controls.fit(true) disabled=move || selected.get().is_none()>"Zoom to selection"</button>
                    <button type="button" class="button small secondary" on:click=move |_| controls.view("top")>"Top"</button>
                    <button type="button" class="button small secondary" on:click=move |_| controls.view("front")>"Front"</button>
                    <button type="button" class="button small secondary" on:click=move |_| controls.view("side")>"Side"</button>
                    <button type="button" class="button small secondary" on:click=move |_| controls.view("iso")>"Isometric"</button>
                </div>
                {move || {
                    let s = status.get();
                    match (&s.error, s.done) {
                        (Some(error), _) => view! { <p class="viewer-message error" role="alert">{error.clone()}</p> }.into_any(),
                        (None, false) => view! {
                            <div class="viewer-message" role="status">
                                <label for="viewer-progress">{format!("Loading objects: {} of {}", s.received, s.total)}</label>
                                <progress id="viewer-progress" max="100" value=percent()></progress>
                            </div>
                        }.into_any(),
                        (None, true) => ().into_any(),
                    }
                }}
            </div>
            <aside class="viewer-side">
                <section aria-labelledby="tree-heading">
                    <h3 id="tree-heading">"Objects by category"</h3>
                    {move || {
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
                                    let isolate = {
                                        let name = name.clone();
                                        move |_| shown.update(|s| {
                                            let i = &mut s.isolated_category;
                                            *i = if i.as_deref() == Some(name.as_str()) { None } else { Some(name.clone()) };
                                        })
                                    };
                                    let isolated = {
                                        let name = name.clone();
                                        Signal::derive(move || shown.with(|s| s.isolated_category.as_deref() == Some(name.as_str())))
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
                    }}
                </section>
                <SectionBox on=section_on ranges=section />
                <section aria-labelledby="properties-heading" aria-live="polite">
                    <h3 id="properties-heading">"Selected object"</h3>
                    {move || match selected.get() {
                        None => view! { <p class="hint">"Click an object to see its properties."</p> }.into_any(),
                        Some((id, properties)) => {
                            let (hide_id, isolate_id) = (id.clone(), id.clone());
                            view! {
                                <div class="object-actions">
                                    <button type="button" class="button small secondary" on:click=move |_| {
                                        shown.update(|s| s.hidden_objects.push(hide_id.clone()));
                                        selected.set(None);
                                    }>"Hide object"</button>
                                    <button type="button" class="button small secondary" on:click=move |_| {
                                        shown.update(|s| s.isolated_object = Some(isolate_id.clone()));
                                    }>"Isolate object"</button>
                                </div>
                                <dl class="properties" data-selected=id.clone()>
                                    {properties.into_iter().map(|(k, v)| view! { <dt>{k}</dt><dd>{v}</dd> }).collect_view()}
                                </dl>
                            }.into_any()
                        }
                    }}
                    {move || shown.with(Shown::object_level).then(|| view! {
                        <p>
                            <button type="button" class="link-button" on:click=move |_| shown.update(|s| {
                                s.hidden_objects.clear();
                                s.isolated_object = None;
                            })>"Show hidden and isolated objects again"</button>
                        </p>
                    })}
                </section>
            </aside>
        </section>
    }
}

/// The section box's controls: on or off, and from where to where along each axis.
#[component]
fn SectionBox(on: RwSignal<bool>, ranges: RwSignal<[(f32, f32); 3]>) -> impl IntoView {
    let axes = [
        (0usize, "X", "west to east"),
        (1, "Y", "south to north"),
        (2, "Z", "bottom to top"),
    ];
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
                        <label for=to_id.clone()>"To"</label>
                        <input type="range" id=to_id min="0" max="100" step="1" prop:value=move || ranges.get()[axis].1.to_string() on:input=input(1) />
                    </fieldset>
                }
            }).collect_view()}
        </section>
    }
}

/// The page's handle on the viewer: a no-op on the server, the WebGL viewer in the browser.
#[derive(Clone, Copy)]
struct Controls {
    #[cfg(feature = "hydrate")]
    live: StoredValue<Option<browser::Live>, LocalStorage>,
}

/// On the server there is no canvas: every control does nothing.
#[cfg(not(feature = "hydrate"))]
impl Controls {
    fn start(
        _canvas: NodeRef<leptos::html::Canvas>,
        _project_id: String,
        _object_id: String,
        _status: RwSignal<Status>,
        _entries: RwSignal<Vec<TreeEntry>>,
        _selected: Selection,
    ) -> Self {
        Controls {}
    }
    fn apply_visibility(&self, _: &[TreeEntry], _: &Shown) {}
    fn pointer_down(&self, _: &leptos::ev::PointerEvent) {}
    fn pointer_move(&self, _: &leptos::ev::PointerEvent) {}
    fn pointer_up(&self, _: &leptos::ev::PointerEvent) {}
    fn wheel(&self, _: &leptos::ev::WheelEvent) {}
    fn key(&self, _: &leptos::ev::KeyboardEvent) {}
    fn fit(&self, _selection: bool) {}
    fn view(&self, _name: &str) {}
    fn set_section(&self, _: Option<[(f32, f32); 3]>) {}
}

#[cfg(feature = "hydrate")]
mod browser {
    use fleck_viewer::web::WebViewer;

    /// A pointer held down on the canvas.
    pub struct Drag {
        pub x: f64,
        pub y: f64,
        /// How far it travelled, to tell a click from a drag.
        pub travelled: f64,
        pub pan: bool,
    }

    /// A finger on the canvas; two pinch to zoom and move together to pan.
    pub struct Touch {
        pub id: i32,
        pub x: f64,
        pub y: f64,
    }

    pub struct Live {
        pub viewer: WebViewer,
        pub drag: Option<Drag>,
        pub touches: Vec<Touch>,
        pub selected: super::Selection,
    }

    /// The distance between two fingers and their midpoint.
    pub fn span(a: &Touch, b: &Touch) -> (f64, f64, f64) {
        let distance = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
        (distance, (a.x + b.x) / 2.0, (a.y + b.y) / 2.0)
    }
}

#[cfg(feature = "hydrate")]
impl Controls {
    fn start(
        canvas: NodeRef<leptos::html::Canvas>,
        project_id: String,
        object_id: String,
        status: RwSignal<Status>,
        entries: RwSignal<Vec<TreeEntry>>,
        selected: Selection,
    ) -> Self {
        use fleck_viewer::web::{Progress, WebViewer};
        let live = StoredValue::new_local(None::<browser::Live>);
        Effect::new(move |_| {
            let Some(element) = canvas.get() else { return };
            if live.with_value(|l| l.is_some()) {
                return;
            }
            let viewer = match WebViewer::new(element) {
                Ok(viewer) => viewer,
                Err(why) => {
                    status.update(|s| s.error = Some(format!("The 3D view cannot start: {why}.")));
                    return;
                }
            };
            if let Some(orbit) = view_in_url() {
                viewer.set_orbit(orbit);
            }
            live.set_value(Some(browser::Live {
                viewer: viewer.clone(),
                drag: None,
                touches: Vec::new(),
                selected,
            }));
            let (project_id, object_id) = (project_id.clone(), object_id.clone());
            leptos::task::spawn_local(async move {
                let report = move |p: Progress| {
                    status.update(|s| {
                        s.received = p.received;
                        s.total = p.total;
                    })
                };
                match viewer.load("", &project_id, &object_id, report).await {
                    Ok(()) => {
                        entries.set(
                            viewer
                                .objects()
                                .into_iter()
                                .map(|o| TreeEntry {
                                    id: o.id,
                                    name: o.name,
                                    category: o.category,
                                    parent: o.parent,
                                })
                                .collect(),
                        );
                        status.update(|s| s.done = true);
                    }
                    Err(why) => status.update(|s| s.error = Some(why)),
                }
            });
        });
        Controls { live }
    }

    fn with(&self, f: impl FnOnce(&mut browser::Live)) {
        self.live.update_value(|live| {
            if let Some(live) = live.as_mut() {
                f(live);
            }
        });
    }

    /// Keeps the camera in the address so a copied link reopens the same view.
    fn remember_view(live: &browser::Live) {
        let Some(orbit) = live.viewer.orbit() else {
            return;
        };
        let Ok(history) = window().history() else {
            return;
        };
        let url = format!("#view={}", orbit.to_param());
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }

    fn apply_visibility(&self, entries: &[TreeEntry], shown: &Shown) {
        use std::collections::HashSet;
        let mut hidden_ids: HashSet<String> = entries
            .iter()
            .filter(|e| shown.hidden_categories.contains(&e.category))
            .map(|e| e.id.clone())
            .collect();
        hidden_ids.extend(with_descendants(entries, &shown.hidden_objects));
        let isolated_ids: Option<HashSet<String>> =
            match (&shown.isolated_object, &shown.isolated_category) {
                (Some(object), _) => Some(with_descendants(entries, std::slice::from_ref(object))),
                (None, Some(category)) => Some(
                    entries
                        .iter()
                        .filter(|e| &e.category == category)
                        .map(|e| e.id.clone())
                        .collect(),
                ),
                (None, None) => None,
            };
        self.with(|live| {
            live.viewer.set_hidden(hidden_ids);
            live.viewer.set_isolated(isolated_ids);
        });
    }

    fn pointer_down(&self, e: &leptos::ev::PointerEvent) {
        if let Some(target) = e.target() {
            use wasm_bindgen::JsCast;
            if let Ok(element) = target.dyn_into::<leptos::web_sys::Element>() {
                let _ = element.set_pointer_capture(e.pointer_id());
            }
        }
        let pan = e.button() != 0 || e.shift_key();
        let (x, y) = (e.client_x() as f64, e.client_y() as f64);
        self.with(|live| {
            if e.pointer_type() == "touch" {
                live.touches.push(browser::Touch {
                    id: e.pointer_id(),
                    x,
                    y,
                });
                if live.touches.len() > 1 {
                    // A second finger starts a pinch: neither an orbit nor a tap.
                    live.drag = None;
                    return;
                }
            }
            live.drag = Some(browser::Drag {
                x,
                y,
                travelled: 0.0,
                pan,
            })
        });
    }

    fn pointer_move(&self, e: &leptos::ev::PointerEvent) {
        self.with(|live| {
            if live.touches.len() > 1 {
                let Some(moved) = live.touches[..2]
                    .iter()
                    .position(|t| t.id == e.pointer_id())
                else {
                    return;
                };
                let (before, x0, y0) = browser::span(&live.touches[0], &live.touches[1]);
                live.touches[moved].x = e.client_x() as f64;
                live.touches[moved].y = e.client_y() as f64;
                let (after, x1, y1) = browser::span(&live.touches[0], &live.touches[1]);
                if before > 0.0 && after > 0.0 {
                    // Fingers apart zoom in; `zoom` takes wheel steps of e^0.001.
                    live.viewer.zoom((before / after).ln() * 1000.0);
                }
                live.viewer.pan(x1 - x0, y1 - y0);
                return;
            }
            let Some(drag) = live.drag.as_mut() else {
                return;
            };
            let (x, y) = (e.client_x() as f64, e.client_y() as f64);
            let (dx, dy) = (x - drag.x, y - drag.y);
            drag.x = x;
            drag.y = y;
            drag.travelled += dx.abs() + dy.abs();
            if drag.pan {
                live.viewer.pan(dx, dy);
            } else {
                live.viewer.rotate(dx, dy);
            }
        });
    }

    fn pointer_up(&self, e: &leptos::ev::PointerEvent) {
        self.with(|live| {
            let pinched = live.touches.len() > 1;
            live.touches.retain(|t| t.id != e.pointer_id());
            if pinched {
                Self::remember_view(live);
                return;
            }
            let Some(drag) = live.drag.take() else { return };
            if drag.travelled < 4.0 && !drag.pan {
                let (x, y) = (e.offset_x() as f64, e.offset_y() as f64);
                let picked = live.viewer.pick(x, y);
                live.selected.set(picked.map(|id| {
                    let properties = live.viewer.properties(&id);
                    (id, properties)
                }));
            }
            Self::remember_view(live);
        });
    }

    fn wheel(&self, e: &leptos::ev::WheelEvent) {
        e.prevent_default();
        self.with(|live| {
            live.viewer.zoom(e.delta_y());
            Self::remember_view(live);
        });
    }

    fn key(&self, e: &leptos::ev::KeyboardEvent) {
        let handled = match e.key().as_str() {
            "ArrowLeft" => self.act(|v| v.rotate(-20.0, 0.0)),
            "ArrowRight" => self.act(|v| v.rotate(20.0, 0.0)),
            "ArrowUp" => self.act(|v| v.rotate(0.0, 20.0)),
            "ArrowDown" => self.act(|v| v.rotate(0.0, -20.0)),
            "+" | "=" => self.act(|v| v.zoom(-200.0)),
            "-" | "_" => self.act(|v| v.zoom(200.0)),
            "f" | "F" => self.act(|v| v.fit()),
            _ => false,
        };
        if handled {
            e.prevent_default();
        }
    }

    fn act(&self, f: impl FnOnce(&fleck_viewer::web::WebViewer)) -> bool {
        self.with(|live| {
            f(&live.viewer);
            Self::remember_view(live);
        });
        true
    }

    fn fit(&self, selection: bool) {
        self.act(|v| v.fit_to(selection));
    }

    /// Cuts the model to the box given as percentages of its extent along each axis.
    fn set_section(&self, ranges: Option<[(f32, f32); 3]>) {
        self.with(|live| {
            let section = ranges.and_then(|ranges| {
                let bounds = live.viewer.bounds()?;
                let at = |axis: usize, percent: f32| match percent {
                    // The ends exactly, so nothing at the model's edges is cut by rounding.
                    p if p <= 0.0 => bounds.min[axis],
                    p if p >= 100.0 => bounds.max[axis],
                    p => bounds.min[axis] + (bounds.max[axis] - bounds.min[axis]) * p / 100.0,
                };
                Some(fleck_viewer::Bounds {
                    min: [0, 1, 2].map(|k| at(k, ranges[k].0)),
                    max: [0, 1, 2].map(|k| at(k, ranges[k].1)),
                })
            });
            live.viewer.set_section(section);
        });
    }

    fn view(&self, name: &str) {
        use fleck_viewer::camera::StandardView;
        let view = match name {
            "top" => StandardView::Top,
            "front" => StandardView::Front,
            "side" => StandardView::Side,
            _ => StandardView::Isometric,
        };
        self.act(|v| v.set_view(view));
    }
}

/// The camera a link carried in `#view=…`, if any.
#[cfg(feature = "hydrate")]
fn view_in_url() -> Option<fleck_viewer::camera::Orbit> {
    let hash = window().location().hash().ok()?;
    let value = hash.strip_prefix("#view=")?;
    fleck_viewer::camera::Orbit::from_param(value)
}
