//! The page's handle on the viewer: the WebGL viewer in the browser, nothing on the server
//! (there is no canvas there, and every call answers "nothing").

use leptos::prelude::*;

use fleck_viewer::properties::PropertyGroup;
use fleck_viewer::Paint;

use super::section::Extent;
use super::visibility::TreeEntry;

/// What the page shows about the viewer's work.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    pub received: usize,
    pub total: usize,
    pub done: bool,
    pub error: Option<String>,
}

/// Where the page's signals are that the viewer feeds.
#[derive(Clone, Copy)]
pub struct Feeds {
    pub status: RwSignal<Status>,
    pub entries: RwSignal<Vec<TreeEntry>>,
    /// Counts pictures drawn: what is drawn over the canvas follows the camera by it.
    pub drawn: RwSignal<u32>,
}

#[derive(Clone, Copy)]
pub struct Controls {
    #[cfg(feature = "hydrate")]
    live: StoredValue<Option<browser::Live>, LocalStorage>,
}

#[cfg(not(feature = "hydrate"))]
impl Controls {
    pub fn start(
        _canvas: NodeRef<leptos::html::Canvas>,
        _source: (String, String),
        _camera: Option<String>,
        _feeds: Feeds,
    ) -> Self {
        Controls {}
    }
    pub fn apply(
        &self,
        _hidden: std::collections::HashSet<String>,
        _isolated: Option<std::collections::HashSet<String>>,
    ) {
    }
    pub fn pointer_down(&self, _: &leptos::ev::PointerEvent) {}
    pub fn pointer_move(&self, _: &leptos::ev::PointerEvent) {}
    pub fn pointer_up(&self, _: &leptos::ev::PointerEvent) -> Option<(f64, f64)> {
        None
    }
    pub fn wheel(&self, _: &leptos::ev::WheelEvent) {}
    pub fn camera_key(&self, _: &leptos::ev::KeyboardEvent) -> bool {
        false
    }
    pub fn fit(&self, _selection: bool) {}
    pub fn view(&self, _name: &str) {}
    pub fn set_section(&self, _: Option<super::link::SectionRanges>) {}
    pub fn pick(&self, _x: f64, _y: f64) -> Option<String> {
        None
    }
    pub fn select(&self, _id: Option<String>) {}
    pub fn property_groups(&self, _id: &str) -> Vec<PropertyGroup> {
        Vec::new()
    }
    pub fn properties(&self, _id: &str) -> Vec<(String, String)> {
        Vec::new()
    }
    pub fn measure_point(&self, _x: f64, _y: f64) -> Option<[f32; 3]> {
        None
    }
    pub fn hit(&self, _x: f64, _y: f64) -> Option<(String, [f32; 3])> {
        None
    }
    pub fn set_camera(&self, _camera: &str) {}
    pub fn compare(
        &self,
        _older: (String, String),
        _paint: Paint,
        _removed: std::collections::HashSet<String>,
        _done: impl FnOnce(Result<(), String>) + 'static,
    ) {
    }
    pub fn end_comparison(&self) {}
    pub fn paint(&self, _paint: Option<Paint>) {}
    pub fn screen_position(&self, _point: [f32; 3]) -> Option<(f64, f64)> {
        None
    }
    pub fn model_units(&self) -> String {
        "m".into()
    }
    pub fn extent(&self) -> Extent {
        None
    }
    pub fn camera(&self) -> Option<String> {
        None
    }
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
    }

    /// The distance between two fingers and their midpoint.
    pub fn span(a: &Touch, b: &Touch) -> (f64, f64, f64) {
        let distance = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
        (distance, (a.x + b.x) / 2.0, (a.y + b.y) / 2.0)
    }
}

#[cfg(feature = "hydrate")]
impl Controls {
    /// Starts the viewer on the canvas once it exists and loads `(project, object)` into it.
    pub fn start(
        canvas: NodeRef<leptos::html::Canvas>,
        source: (String, String),
        camera: Option<String>,
        feeds: Feeds,
    ) -> Self {
        use fleck_viewer::web::{Progress, WebViewer};
        let Feeds {
            status,
            entries,
            drawn,
        } = feeds;
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
            if let Some(orbit) = camera
                .as_deref()
                .and_then(fleck_viewer::camera::Orbit::from_param)
            {
                viewer.set_orbit(orbit);
            }
            viewer.on_draw(move || drawn.update(|n| *n = n.wrapping_add(1)));
            live.set_value(Some(browser::Live {
                viewer: viewer.clone(),
                drag: None,
                touches: Vec::new(),
            }));
            let (project_id, object_id) = source.clone();
            leptos::task::spawn_local(async move {
                let report = move |p: Progress| {
                    status.update(|s| {
                        s.received = p.received;
                        s.total = p.total;
                    })
                };
                match viewer.load("", &project_id, &object_id, report).await {
                    Ok(()) => {
                        entries.set(viewer.objects().into_iter().map(tree_entry).collect());
                        status.update(|s| s.done = true);
                    }
                    Err(why) => status.update(|s| s.error = Some(why)),
                }
            });
        });
        Controls { live }
    }

    fn with<T>(&self, f: impl FnOnce(&mut browser::Live) -> T) -> Option<T> {
        let mut out = None;
        self.live.update_value(|live| {
            if let Some(live) = live.as_mut() {
                out = Some(f(live));
            }
        });
        out
    }

    pub fn apply(
        &self,
        hidden: std::collections::HashSet<String>,
        isolated: Option<std::collections::HashSet<String>>,
    ) {
        self.with(|live| {
            live.viewer.set_hidden(hidden);
            live.viewer.set_isolated(isolated);
        });
    }

    pub fn pointer_down(&self, e: &leptos::ev::PointerEvent) {
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

    pub fn pointer_move(&self, e: &leptos::ev::PointerEvent) {
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

    /// Ends a drag or pinch; a press that hardly moved is a click, whose place on the canvas
    /// (CSS pixels from its top left) is returned for the page to select or measure.
    pub fn pointer_up(&self, e: &leptos::ev::PointerEvent) -> Option<(f64, f64)> {
        self.with(|live| {
            let pinched = live.touches.len() > 1;
            live.touches.retain(|t| t.id != e.pointer_id());
            if pinched {
                return None;
            }
            let drag = live.drag.take()?;
            (drag.travelled < 4.0 && !drag.pan).then(|| (e.offset_x() as f64, e.offset_y() as f64))
        })
        .flatten()
    }

    pub fn wheel(&self, e: &leptos::ev::WheelEvent) {
        e.prevent_default();
        self.with(|live| live.viewer.zoom(e.delta_y()));
    }

    /// Moves the camera for arrow keys, + and - and F; whether the key was one of those.
    pub fn camera_key(&self, e: &leptos::ev::KeyboardEvent) -> bool {
        let step: Option<CameraStep> = match e.key().as_str() {
            "ArrowLeft" => Some(Box::new(|v| v.rotate(-20.0, 0.0))),
            "ArrowRight" => Some(Box::new(|v| v.rotate(20.0, 0.0))),
            "ArrowUp" => Some(Box::new(|v| v.rotate(0.0, 20.0))),
            "ArrowDown" => Some(Box::new(|v| v.rotate(0.0, -20.0))),
            "+" | "=" => Some(Box::new(|v| v.zoom(-200.0))),
            "-" | "_" => Some(Box::new(|v| v.zoom(200.0))),
            "f" | "F" => Some(Box::new(|v| v.fit())),
            _ => None,
        };
        match step {
            Some(step) => {
                self.with(|live| step(&live.viewer));
                true
            }
            None => false,
        }
    }

    pub fn fit(&self, selection: bool) {
        self.with(|live| live.viewer.fit_to(selection));
    }

    pub fn view(&self, name: &str) {
        use fleck_viewer::camera::StandardView;
        let view = match name {
            "top" => StandardView::Top,
            "front" => StandardView::Front,
            "side" => StandardView::Side,
            _ => StandardView::Isometric,
        };
        self.with(|live| live.viewer.set_view(view));
    }

    /// Cuts the model to the box given as percentages of its extent along each axis.
    pub fn set_section(&self, ranges: Option<super::link::SectionRanges>) {
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

    pub fn pick(&self, x: f64, y: f64) -> Option<String> {
        self.with(|live| live.viewer.pick(x, y)).flatten()
    }

    pub fn select(&self, id: Option<String>) {
        self.with(|live| live.viewer.select(id));
    }

    pub fn property_groups(&self, id: &str) -> Vec<PropertyGroup> {
        self.with(|live| live.viewer.property_groups(id))
            .unwrap_or_default()
    }

    pub fn properties(&self, id: &str) -> Vec<(String, String)> {
        self.with(|live| live.viewer.properties(id))
            .unwrap_or_default()
    }

    pub fn measure_point(&self, x: f64, y: f64) -> Option<[f32; 3]> {
        self.with(|live| live.viewer.measure_point(x, y).map(|(p, _)| p))
            .flatten()
    }

    /// The element under the pointer and the point of its surface there.
    pub fn hit(&self, x: f64, y: f64) -> Option<(String, [f32; 3])> {
        self.with(|live| live.viewer.hit(x, y)).flatten()
    }

    /// Moves the camera to a view's camera (`Orbit::to_param`'s form); anything else is ignored.
    pub fn set_camera(&self, camera: &str) {
        if let Some(orbit) = fleck_viewer::camera::Orbit::from_param(camera) {
            self.with(|live| live.viewer.set_orbit(orbit));
        }
    }

    /// Loads an older version (`(project, root object)`) beside the shown one, then draws every
    /// object in its paint and the older version's `removed` objects too; `done` hears whether
    /// the older version loaded.
    pub fn compare(
        &self,
        older: (String, String),
        paint: Paint,
        removed: std::collections::HashSet<String>,
        done: impl FnOnce(Result<(), String>) + 'static,
    ) {
        let Some(viewer) = self.with(|live| live.viewer.clone()) else {
            return;
        };
        let (project_id, root) = older;
        leptos::task::spawn_local(async move {
            let loaded = viewer.load_beside("", &project_id, &root, |_| {}).await;
            if loaded.is_ok() {
                viewer.compare(Some(paint), Some((root, removed)));
            }
            done(loaded);
        });
    }

    /// Draws the shown version in its own materials again.
    pub fn end_comparison(&self) {
        self.paint(None);
    }

    /// Draws every object of the shown version in its paint, or in its own materials (`None`).
    pub fn paint(&self, paint: Option<Paint>) {
        self.with(|live| live.viewer.compare(paint, None));
    }

    pub fn screen_position(&self, point: [f32; 3]) -> Option<(f64, f64)> {
        self.with(|live| live.viewer.screen_position(point))
            .flatten()
    }

    pub fn model_units(&self) -> String {
        self.with(|live| live.viewer.model_units())
            .unwrap_or_else(|| "m".into())
    }

    /// The model's extent in world metres.
    pub fn extent(&self) -> Extent {
        self.with(|live| {
            let bounds = live.viewer.bounds()?;
            let origin = live.viewer.origin();
            let world = |p: [f32; 3]| [0, 1, 2].map(|k| p[k] as f64 + origin[k]);
            Some((world(bounds.min), world(bounds.max)))
        })
        .flatten()
    }

    /// The camera in the form a link keeps.
    pub fn camera(&self) -> Option<String> {
        self.with(|live| live.viewer.orbit().map(|o| o.to_param()))
            .flatten()
    }
}

/// A camera move a key makes.
#[cfg(feature = "hydrate")]
type CameraStep = Box<dyn FnOnce(&fleck_viewer::web::WebViewer)>;

/// The page's entry for one of the scene's objects.
#[cfg(feature = "hydrate")]
fn tree_entry(object: fleck_viewer::SceneObject) -> TreeEntry {
    TreeEntry {
        collection: object.speckle_type.contains("Collection"),
        non_physical: fleck_viewer::scene::is_non_physical(&object.category),
        id: object.id,
        name: object.name,
        category: object.category,
        parent: object.parent,
    }
}
