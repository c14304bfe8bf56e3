//! The 3D view of a version on the model page, as a reviewer's tool: the canvas filling the
//! screen with its toolbar (fit, standard views, measure, spaces, link, full screen, keys),
//! a collapsible panel of the model's tree, categories, search and section box, and a
//! collapsible panel of the selected object's properties; on the model page, comment threads
//! pinned in the model (`comments`). The view (camera, section box, what is hidden or isolated,
//! the open thread) lives in the address, so a copied link reopens it.
//! Everything here runs after hydration; the server renders the frame and a loading message.

mod colour;
mod comments;
mod compare;
mod controls;
mod find;
pub(crate) mod link;
mod measure;
mod properties;
mod section;
mod tree;
mod views;
mod visibility;

use leptos::prelude::*;

use comments::{CommentPins, Comments, Draft, ThreadsPanel};
use compare::{Compare, ComparePanel};
use controls::{Controls, Feeds, Status};
use find::Find;
use link::ViewLink;
use measure::{MeasureOverlay, MeasureReadout, Measurement};
use properties::{PropertiesPanel, Selected};
use section::SectionBox;
use tree::{CategoryList, SpatialTree};
use views::SavedViewsPanel;
use visibility::{Shown, TreeEntry};

/// What the model page tells the view about the version it shows, so it can comment on it and
/// compare it with an earlier one.
#[derive(Clone, Debug, PartialEq)]
pub struct Review {
    pub project_id: String,
    pub model_id: String,
    pub version_id: String,
    /// The model's versions, newest first.
    pub versions: Vec<ReviewVersion>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ReviewVersion {
    pub id: String,
    /// Its place in the model: the first version is 1.
    pub number: i64,
    /// Its root object, which the view loads.
    pub object_id: String,
    pub label: String,
}

/// The tabs of the model panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Tree,
    Categories,
    Find,
    Section,
    Views,
    Comments,
    Compare,
}

impl Tab {
    const ALL: [Tab; 7] = [
        Tab::Tree,
        Tab::Categories,
        Tab::Find,
        Tab::Section,
        Tab::Views,
        Tab::Comments,
        Tab::Compare,
    ];

    /// Whether the tab is about a version on the model page, not any view.
    fn reviews(self) -> bool {
        matches!(self, Tab::Views | Tab::Comments | Tab::Compare)
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Tree => "Tree",
            Tab::Categories => "Categories",
            Tab::Find => "Find",
            Tab::Section => "Section",
            Tab::Views => "Views",
            Tab::Comments => "Comments",
            Tab::Compare => "Compare",
        }
    }
}

/// The keys the `?` overlay lists.
const KEYS: [(&str, &str); 11] = [
    ("Drag", "orbit around the model"),
    ("Right-drag or Shift + drag", "pan"),
    ("Wheel or pinch", "zoom"),
    (
        "Click",
        "select an object (or pick a point while measuring)",
    ),
    ("Arrow keys", "orbit"),
    ("+ and −", "zoom in and out"),
    ("F", "fit what is shown"),
    ("M", "measure on or off"),
    ("C", "comment mode on or off: a click pins a comment"),
    ("Esc", "clear the measurement, close this list"),
    ("?", "show or hide this list"),
];

/// `compact`: the panels start folded (a framed view on another site has little room).
/// `review`: the version on the model page, which can be commented on.
#[component]
pub fn ModelViewer(
    project_id: String,
    object_id: String,
    #[prop(optional)] compact: bool,
    #[prop(optional)] review: Option<Review>,
) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let root = NodeRef::<leptos::html::Section>::new();
    let feeds = Feeds {
        status: RwSignal::new(Status::default()),
        entries: RwSignal::new(Vec::<TreeEntry>::new()),
        drawn: RwSignal::new(0),
    };
    let Feeds {
        status,
        entries,
        drawn,
    } = feeds;
    let controls = Controls::start(
        canvas,
        (project_id, object_id),
        link_in_address().camera,
        feeds,
    );
    let shown = RwSignal::new(Shown::default());
    let selected = RwSignal::new(None::<Selected>);
    let section_on = RwSignal::new(false);
    let section = RwSignal::new([(0.0f32, 100.0f32); 3]);
    let measuring = RwSignal::new(false);
    let measurement = RwSignal::new(Measurement::default());
    let help = RwSignal::new(false);
    let tab = RwSignal::new(Tab::Tree);
    let model_open = RwSignal::new(!compact);
    let object_open = RwSignal::new(!compact);
    // Bumped when the camera comes to rest, so the address follows it without a write per frame.
    let settled = RwSignal::new(0u32);
    let loaded = Memo::new(move |_| status.with(|s| s.done));
    let units = Signal::derive(move || {
        loaded.get();
        controls.model_units()
    });
    let extent = Signal::derive(move || {
        loaded.get();
        controls.extent()
    });
    let reviewing = review.is_some();
    let comments = review.as_ref().map(Comments::new);
    let compare = review.as_ref().map(Compare::new);
    let changed_properties = Signal::derive(move || {
        let id = selected.with(|s| s.as_ref().map(|s| s.id.clone()))?;
        compare.map(|c| c.properties_of(&id))
    });
    let open_thread = move || comments.and_then(|c| c.open.get());
    let commenting = move || comments.is_some_and(|c| c.mode.get());

    // The element a link selects, once the model is there.
    let linked_selection = StoredValue::new(None::<String>);
    let in_model = move |id: &str| entries.with_untracked(|list| list.iter().any(|e| e.id == id));
    // A link's view, once the page is interactive (never during hydration, which must match
    // what the server rendered).
    Effect::new(move |_| {
        let link = link_in_address();
        if let Some(c) = comments {
            c.linked.set_value(link.thread.clone());
            c.open.set(link.thread.clone());
        }
        shown.set(link.shown);
        if let Some(ranges) = link.section {
            section.set(ranges);
            section_on.set(true);
        }
        linked_selection.set_value(link.selected);
    });
    // Applied again once loading finished, when the model's extent is known; not on each
    // progress report.
    Effect::new(move |_| {
        let on = section_on.get();
        let ranges = section.get();
        if loaded.get() || !on {
            controls.set_section(on.then_some(ranges));
        }
    });
    Effect::new(move |_| {
        let (hidden, isolated) = entries.with(|list| shown.with(|s| s.resolve(list)));
        controls.apply(hidden, isolated);
    });
    // The view as it is now, as a link would carry it (tracking what it reads).
    let view_now = move || ViewLink {
        camera: controls.camera(),
        section: section_on.get().then(|| section.get()),
        shown: shown.get(),
        selected: selected.with(|s| s.as_ref().map(|s| s.id.clone())),
        thread: open_thread(),
    };
    // The address keeps the view.
    Effect::new(move |_| {
        settled.track();
        let link = view_now();
        if loaded.get() {
            keep_in_address(&link);
        }
    });
    let screen = Signal::derive(move || {
        drawn.track();
        measurement.with(|m| {
            m.points
                .iter()
                .map(|p| controls.screen_position(*p))
                .collect::<Vec<_>>()
        })
    });

    let select = move |id: Option<String>| {
        controls.select(id.clone());
        selected.set(id.map(|id| Selected {
            groups: controls.property_groups(&id),
            id,
        }));
        if selected.with_untracked(Option::is_some) {
            object_open.set(true);
        }
    };
    let select_and_zoom = Callback::new(move |id: String| {
        select(Some(id));
        controls.fit(true);
        settled.update(|n| *n += 1);
    });
    let select_in_tree = Callback::new(move |id: String| select(Some(id)));
    let zoom_to_selection = Callback::new(move |()| {
        controls.fit(true);
        settled.update(|n| *n += 1);
    });
    let clear_measurement = Callback::new(move |()| measurement.set(Measurement::default()));
    // Comments open in the model panel's Comments tab.
    Effect::new(move |_| {
        if let Some(c) = comments {
            if c.open.get().is_some() || c.mode.get() || c.draft.with(Option::is_some) {
                tab.set(Tab::Comments);
                model_open.set(true);
            }
        }
    });
    // A thread's saved view, and the element it was pinned on selected.
    let restore = Callback::new(move |(fragment, object): (String, Option<String>)| {
        let link = ViewLink::parse(&fragment);
        if let Some(camera) = &link.camera {
            controls.set_camera(camera);
        }
        shown.set(link.shown);
        section_on.set(link.section.is_some());
        if let Some(ranges) = link.section {
            section.set(ranges);
        }
        // Another version may not have the element (its object changes with each edit).
        let here = object.or(link.selected).filter(|id| in_model(id));
        if here.is_some() {
            select(here);
        }
        settled.update(|n| *n += 1);
    });
    Effect::new(move |_| {
        if loaded.get() {
            let linked = linked_selection.try_update_value(Option::take).flatten();
            if let Some(id) = linked.filter(|id| in_model(id)) {
                select(Some(id));
            }
        }
    });
    // One tool at a time: measuring ends comment mode.
    Effect::new(move |_| {
        if measuring.get() {
            if let Some(c) = comments {
                c.mode.set(false);
            }
        }
    });
    let toggle_comments = move || {
        if let Some(c) = comments {
            let on = !c.mode.get_untracked();
            c.mode.set(on);
            if on {
                measuring.set(false);
            } else {
                c.draft.set(None);
            }
        }
    };
    let on_click = move |(x, y): (f64, f64)| {
        if measuring.get_untracked() {
            if let Some(point) = controls.measure_point(x, y) {
                measurement.update(|m| m.add(point));
            }
        } else if let Some(c) = comments.filter(|c| c.mode.get_untracked()) {
            // A new thread is pinned where the click met an element, in the view seen now.
            if let Some((object_id, point)) = controls.hit(x, y) {
                select(Some(object_id.clone()));
                let view = ViewLink {
                    selected: None,
                    thread: None,
                    ..untrack(view_now)
                };
                c.open.set(None);
                c.draft.set(Some(Draft {
                    point,
                    object_id,
                    view: view.to_fragment(),
                }));
            }
        } else {
            select(controls.pick(x, y));
        }
    };
    let on_key = move |e: leptos::ev::KeyboardEvent| {
        if typing(&e) {
            return;
        }
        let handled = match e.key().as_str() {
            "?" => {
                help.update(|h| *h = !*h);
                true
            }
            "Escape" => {
                help.set(false);
                measurement.set(Measurement::default());
                true
            }
            "m" | "M" => {
                measuring.update(|m| *m = !*m);
                true
            }
            "c" | "C" if comments.is_some() => {
                toggle_comments();
                true
            }
            _ => controls.camera_key(&e),
        };
        if handled {
            e.prevent_default();
            settled.update(|n| *n += 1);
        }
    };
    let percent = move || {
        let s = status.get();
        (s.received * 100)
            .checked_div(s.total)
            .unwrap_or(0)
            .min(100)
    };
    // A saved view has no open thread: it is the model's, not a conversation's.
    let current_fragment = Callback::new(move |()| {
        ViewLink {
            thread: None,
            ..untrack(view_now)
        }
        .to_fragment()
    });
    let link_copied = RwSignal::new(None::<String>);
    let copy_link = move |_| {
        keep_in_address(&untrack(view_now));
        let href = current_address();
        crate::pages::shared::copy_text(&href);
        link_copied.set(Some(href));
    };
    let camera_button = move |label: &'static str, name: &'static str| {
        view! {
            <button type="button" class="button small secondary" on:click=move |_| {
                controls.view(name);
                settled.update(|n| *n += 1);
            }>{label}</button>
        }
    };
    let any_hidden = move || shown.with(|s| s.object_level());

    view! {
        <section class="viewer" aria-label="3D view" node_ref=root on:keydown=on_key
            class:model-closed=move || !model_open.get() class:object-closed=move || !object_open.get()>
            <div class="viewer-stage">
                <div class="viewer-canvas-box">
                <canvas
                    node_ref=canvas
                    class="viewer-canvas"
                    class:measuring=move || measuring.get() || commenting()
                    tabindex="0"
                    aria-label="3D view of the version: drag to orbit, right-drag or shift-drag to pan, wheel to zoom, click to select; arrow keys orbit, + and - zoom, F fits, ? lists the keys"
                    data-loaded=move || status.get().done.to_string()
                    on:pointerdown=move |e| controls.pointer_down(&e)
                    on:pointermove=move |e| controls.pointer_move(&e)
                    on:pointerup=move |e| {
                        if let Some(at) = controls.pointer_up(&e) { on_click(at); }
                        settled.update(|n| *n += 1);
                    }
                    on:pointercancel=move |e| { controls.pointer_up(&e); }
                    on:wheel=move |e| { controls.wheel(&e); settled.update(|n| *n += 1); }
                    on:contextmenu=move |e| e.prevent_default()
                ></canvas>
                <MeasureOverlay screen />
                {comments.map(|comments| view! { <CommentPins comments controls drawn /> })}
                {move || commenting().then(|| view! {
                    <div class="viewer-readout" role="status">
                        <span>"Click a point on an element to pin a comment there."</span>
                        <button type="button" class="link-button" on:click=move |_| toggle_comments()>"Stop commenting (C)"</button>
                    </div>
                })}
                {move || link_copied.get().map(|href| view! {
                    <div class="viewer-share" role="status">
                        <label for="view-link">"Link to this view (copied)"</label>
                        <input id="view-link" type="text" readonly value=href />
                        <button type="button" class="link-button" on:click=move |_| link_copied.set(None)>"Close"</button>
                    </div>
                })}
                {move || measuring.get().then(|| view! { <MeasureReadout measurement units on_clear=clear_measurement /> })}
                <p class="viewer-hint">"Drag to orbit · right-drag or Shift to pan · wheel to zoom · click to select · " <kbd>"?"</kbd> " for keys"</p>
                {move || help.get().then(|| view! {
                    <div class="viewer-help" role="dialog" aria-label="Keys and mouse">
                        <h3>"Moving around"</h3>
                        <dl>
                            {KEYS.into_iter().map(|(key, what)| view! { <dt><kbd>{key}</kbd></dt><dd>{what}</dd> }).collect_view()}
                        </dl>
                        <button type="button" class="button small" on:click=move |_| help.set(false)>"Close"</button>
                    </div>
                })}
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
                <div class="viewer-toolbar" role="toolbar" aria-label="View">
                    <button type="button" class="button small secondary" on:click=move |_| { controls.fit(false); settled.update(|n| *n += 1); }
                        title="Frame what is shown (F)">"Fit"</button>
                    {camera_button("Top", "top")}
                    {camera_button("Front", "front")}
                    {camera_button("Side", "side")}
                    {camera_button("3D", "iso")}
                    <button type="button" class="button small secondary" aria-pressed=move || measuring.get().to_string()
                        on:click=move |_| measuring.update(|m| *m = !*m) title="Measure a distance (M)">"Measure"</button>
                    {compare.map(|_| view! {
                        <button type="button" class="button small secondary" aria-pressed=move || (tab.get() == Tab::Compare && model_open.get()).to_string()
                            on:click=move |_| { tab.set(Tab::Compare); model_open.set(true); }
                            title="Compare this version with an earlier one">"Compare"</button>
                    })}
                    {comments.map(|c| view! {
                        <button type="button" class="button small secondary" aria-pressed=move || c.mode.get().to_string()
                            hidden=move || !c.can_comment()
                            on:click=move |_| toggle_comments() title="Pin a comment on an element (C)">"Comment"</button>
                    })}
                    <button type="button" class="button small secondary" aria-pressed=move || shown.with(|s| s.spaces).to_string()
                        on:click=move |_| shown.update(|s| s.spaces = !s.spaces)
                        title="Spaces, zones and openings, drawn see-through">"Spaces"</button>
                    {move || any_hidden().then(|| view! {
                        <button type="button" class="button small secondary" on:click=move |_| shown.update(|s| {
                            s.hidden_nodes.clear();
                            s.isolated_nodes = None;
                        })>"Show all"</button>
                    })}
                    <button type="button" class="button small secondary" on:click=copy_link title="Copy a link to this view">"Copy link"</button>
                    <button type="button" class="button small secondary" on:click=move |_| toggle_fullscreen(root) title="Full screen">"Full screen"</button>
                    <button type="button" class="button small secondary" aria-pressed=move || help.get().to_string()
                        aria-label="Keyboard and mouse help" on:click=move |_| help.update(|h| *h = !*h)>"?"</button>
                </div>
                <aside class="viewer-panel model-panel" aria-label="Model">
                    <div class="panel-bar">
                        <div class="tabs" role="tablist">
                            {Tab::ALL.into_iter().filter(|t| !t.reviews() || reviewing).map(|t| view! {
                                <button type="button" role="tab" aria-selected=move || (tab.get() == t).to_string()
                                    on:click=move |_| { tab.set(t); model_open.set(true); }>{t.label()}</button>
                            }).collect_view()}
                        </div>
                        <button type="button" class="panel-toggle" aria-expanded=move || model_open.get().to_string()
                            aria-label="Model panel" on:click=move |_| model_open.update(|o| *o = !*o)>
                            {move || if model_open.get() { "◂" } else { "▸" }}
                        </button>
                    </div>
                    <div class="panel-body" hidden=move || !model_open.get()>
                        <div hidden=move || tab.get() != Tab::Tree>
                            <SpatialTree entries shown selected=Signal::derive(move || selected.with(|s| s.as_ref().map(|s| s.id.clone()))) on_select=select_in_tree />
                        </div>
                        <div hidden=move || tab.get() != Tab::Categories>
                            <CategoryList entries shown />
                        </div>
                        <div hidden=move || tab.get() != Tab::Find>
                            <Find controls entries shown on_select=select_and_zoom />
                        </div>
                        <div hidden=move || tab.get() != Tab::Section>
                            <SectionBox on=section_on ranges=section extent units />
                        </div>
                        {review.clone().map(|review| view! {
                            <div hidden=move || tab.get() != Tab::Views>
                                <SavedViewsPanel review current=current_fragment restore />
                            </div>
                        })}
                        {comments.zip(review.clone()).map(|(comments, review)| view! {
                            <div hidden=move || tab.get() != Tab::Comments>
                                <ThreadsPanel comments review restore loaded />
                            </div>
                        })}
                        {compare.zip(review).map(|(compare, review)| view! {
                            <div hidden=move || tab.get() != Tab::Compare>
                                <ComparePanel compare review controls on_select=select_and_zoom />
                            </div>
                        })}
                    </div>
                </aside>
                <aside class="viewer-panel object-panel" aria-labelledby="properties-heading" aria-live="polite">
                    <div class="panel-bar">
                        <h3 id="properties-heading">"Selected object"</h3>
                        <button type="button" class="panel-toggle" aria-expanded=move || object_open.get().to_string()
                            aria-label="Properties panel" on:click=move |_| object_open.update(|o| *o = !*o)>
                            {move || if object_open.get() { "▸" } else { "◂" }}
                        </button>
                    </div>
                    <div class="panel-body" hidden=move || !object_open.get()>
                        <PropertiesPanel selected shown on_zoom=zoom_to_selection changes=changed_properties />
                    </div>
                </aside>
            </div>
        </section>
    }
}

/// Whether a key press is typing into a field, which the view's shortcuts leave alone.
fn typing(e: &leptos::ev::KeyboardEvent) -> bool {
    use leptos::wasm_bindgen::JsCast;
    e.target()
        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"))
}

/// The view a link carried in the address's fragment.
#[cfg(feature = "hydrate")]
fn link_in_address() -> ViewLink {
    window()
        .location()
        .hash()
        .map(|hash| ViewLink::parse(&hash))
        .unwrap_or_default()
}

#[cfg(not(feature = "hydrate"))]
fn link_in_address() -> ViewLink {
    ViewLink::default()
}

/// Writes the view into the address without a history entry.
#[cfg(feature = "hydrate")]
fn keep_in_address(link: &ViewLink) {
    let Ok(history) = window().history() else {
        return;
    };
    let fragment = link.to_fragment();
    let location = window().location();
    let (path, search) = (
        location.pathname().unwrap_or_default(),
        location.search().unwrap_or_default(),
    );
    let url = format!("{path}{search}#{fragment}");
    let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
}

#[cfg(not(feature = "hydrate"))]
fn keep_in_address(_link: &ViewLink) {}

fn current_address() -> String {
    #[cfg(feature = "hydrate")]
    return window().location().href().unwrap_or_default();
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// Shows the view alone on the whole screen, or leaves full screen.
fn toggle_fullscreen(root: NodeRef<leptos::html::Section>) {
    #[cfg(feature = "hydrate")]
    {
        if document().fullscreen_element().is_some() {
            document().exit_fullscreen();
        } else if let Some(element) = root.get_untracked() {
            let _ = element.request_fullscreen();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = root;
}
