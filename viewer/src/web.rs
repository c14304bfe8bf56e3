//! The viewer in a web page: a WebGL2 canvas, objects streamed from a Fleck (or Speckle) server
//! and drawn as they arrive, and the camera, picking and visibility calls the page's controls make.

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;
use std::sync::Arc;

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlCanvasElement, Request, RequestInit, Response, WebGl2RenderingContext};

use crate::camera::{Orbit, StandardView};
use crate::objects::ObjectSource;
use crate::paint::Paint;
use crate::render::Renderer;
use crate::scene::{Bounds, Scene, SceneObject};

/// How far loading got: objects received, and how many the root says there are.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    pub received: usize,
    pub total: usize,
}

/// The first picture is drawn after this many objects, so geometry shows early; later ones each
/// time the count doubles, so rebuilding the scene costs O(n log n) over a whole load, not O(n²).
const FIRST_REDRAW: usize = 2_000;

/// A scene with more triangles than this is drawn at a lower resolution while the camera moves,
/// so software GL (no GPU) keeps up with the pointer; the full picture follows when it stops.
const HEAVY_SCENE: usize = 300_000;
/// The share of each side drawn while a heavy scene moves.
const MOVING_SCALE: f64 = 0.5;
/// The camera counts as stopped this long after its last change.
const SETTLE_MS: i32 = 250;

struct State {
    canvas: HtmlCanvasElement,
    renderer: Renderer,
    source: ObjectSource,
    root: String,
    scene: Scene,
    /// Each object's colour while comparing versions; `None` draws the model's materials.
    paint: Option<Paint>,
    /// While comparing: the older version's root and its objects drawn beside this version's.
    older: Option<(String, HashSet<String>)>,
    orbit: Option<Orbit>,
    hidden: HashSet<String>,
    isolated: Option<HashSet<String>>,
    selected: Option<String>,
    /// The section box, in scene coordinates.
    section: Option<Bounds>,
    marked_first_geometry: bool,
    /// Whether the scene is big enough to draw coarser while the camera moves.
    heavy: bool,
    /// Whether a heavy scene's camera is moving; counts each change, so a settle timer knows
    /// it is stale.
    moving: Option<u32>,
    /// A frame is requested and not drawn yet: camera changes within it draw once.
    frame_requested: bool,
    /// Called after each picture, so the page can move what it draws over the canvas.
    after_draw: Option<Rc<dyn Fn()>>,
    /// Draws again when the canvas changes size (window, fullscreen, panels, phone rotation).
    resize: Option<ResizeWatch>,
}

/// A ResizeObserver on the canvas and the callback it calls; disconnected when the viewer goes,
/// so the observer never calls a dropped callback.
struct ResizeWatch {
    observer: web_sys::ResizeObserver,
    _callback: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

impl Drop for ResizeWatch {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

impl State {
    fn shows(&self, id: &str) -> bool {
        is_shown(&self.hidden, self.isolated.as_ref(), id)
    }

    /// `shows`, detached from the state so the renderer can be borrowed mutably beside it.
    fn visibility(&self) -> impl Fn(&str) -> bool + 'static {
        let (hidden, isolated) = (self.hidden.clone(), self.isolated.clone());
        move |id| is_shown(&hidden, isolated.as_ref(), id)
    }

    fn size(&self) -> (u32, u32) {
        let ratio = device_pixel_ratio();
        let width = (self.canvas.client_width() as f64 * ratio).round().max(1.0) as u32;
        let height = (self.canvas.client_height() as f64 * ratio)
            .round()
            .max(1.0) as u32;
        (width, height)
    }

    /// Points the camera as the full picture has it, whatever the last (coarser?) frame drew,
    /// for rays through the canvas.
    fn aim(&mut self) -> Aim<'_> {
        let (width, height) = self.size();
        if let Some(orbit) = self.orbit {
            self.renderer.set_camera(&orbit, width, height);
        }
        Aim {
            state: self,
            ratio: device_pixel_ratio(),
            height,
        }
    }

    fn rebuild(&mut self) {
        self.scene = Scene::build(&self.source, &self.root);
        if let Some((root, ids)) = &self.older {
            let older = Scene::build(&self.source, root);
            self.scene.with_objects_of(&older, ids);
        }
        if let Some(paint) = &self.paint {
            self.scene = self.scene.painted(paint);
        }
        self.heavy = self.scene.triangle_count() > HEAVY_SCENE;
        let shows = self.visibility();
        self.renderer.load(&self.scene, &shows);
        if self.orbit.is_none() {
            if let Some(bounds) = self.scene.bounds {
                self.orbit = Some(Orbit::fit(bounds.min, bounds.max));
            }
        }
    }

    fn draw(&mut self) {
        let (mut width, mut height) = self.size();
        if self.moving.is_some() {
            let scaled = |side: u32| ((side as f64 * MOVING_SCALE).round() as u32).max(1);
            (width, height) = (scaled(width), scaled(height));
        }
        if self.canvas.width() != width || self.canvas.height() != height {
            self.canvas.set_width(width);
            self.canvas.set_height(height);
        }
        if let Some(orbit) = self.orbit {
            self.renderer.set_camera(&orbit, width, height);
        }
        let target = three_d::RenderTarget::screen(self.renderer.context(), width, height);
        self.renderer.render(&target);
    }
}

/// A viewer drawing into one canvas. Cloning shares it.
#[derive(Clone)]
pub struct WebViewer {
    state: Rc<RefCell<State>>,
}

impl WebViewer {
    pub fn new(canvas: HtmlCanvasElement) -> Result<Self, String> {
        // Kept drawing buffers let the page (and tests) read what is shown, e.g. to save an image.
        let options = js_sys::Object::new();
        js_sys::Reflect::set(&options, &"preserveDrawingBuffer".into(), &true.into())
            .map_err(js_error)?;
        js_sys::Reflect::set(&options, &"antialias".into(), &true.into()).map_err(js_error)?;
        let gl = canvas
            .get_context_with_context_options("webgl2", &options)
            .map_err(|_| "this browser refused a WebGL2 context".to_string())?
            .ok_or("this browser has no WebGL2")?
            .dyn_into::<WebGl2RenderingContext>()
            .map_err(|_| "the canvas gave no WebGL2 context".to_string())?;
        let gl = three_d::context::Context::from_webgl2_context(gl);
        // three-d takes an `Arc`; in the browser there is only one thread.
        #[allow(clippy::arc_with_non_send_sync)]
        let context = three_d::Context::from_gl_context(Arc::new(gl)).map_err(|e| e.to_string())?;
        let renderer = Renderer::new(context, canvas.width(), canvas.height());
        let viewer = WebViewer {
            state: Rc::new(RefCell::new(State {
                canvas: canvas.clone(),
                renderer,
                source: ObjectSource::default(),
                root: String::new(),
                scene: Scene::default(),
                paint: None,
                older: None,
                marked_first_geometry: false,
                orbit: None,
                hidden: HashSet::new(),
                isolated: None,
                selected: None,
                section: None,
                heavy: false,
                moving: None,
                frame_requested: false,
                after_draw: None,
                resize: None,
            })),
        };
        // Weak: the observer must not keep a page's viewer alive after the page has gone.
        let weak = Rc::downgrade(&viewer.state);
        let callback = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
            if let Some(state) = weak.upgrade() {
                WebViewer { state }.draw();
            }
        });
        let observer =
            web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()).map_err(js_error)?;
        observer.observe(&canvas);
        viewer.state.borrow_mut().resize = Some(ResizeWatch {
            observer,
            _callback: callback,
        });
        Ok(viewer)
    }

    /// Loads the object tree under `object_id` from the server at `origin` (`""` for this page's
    /// own), drawing as objects arrive and reporting progress.
    pub async fn load(
        &self,
        origin: &str,
        project_id: &str,
        object_id: &str,
        progress: impl Fn(Progress),
    ) -> Result<(), String> {
        self.state.borrow_mut().root = object_id.to_string();
        self.stream(origin, project_id, object_id, progress, true)
            .await
    }

    /// Loads another version's tree beside the shown one, without drawing it: `compare` draws
    /// some of its objects.
    pub async fn load_beside(
        &self,
        origin: &str,
        project_id: &str,
        object_id: &str,
        progress: impl Fn(Progress),
    ) -> Result<(), String> {
        self.stream(origin, project_id, object_id, progress, false)
            .await
    }

    /// Draws every object in its paint colour and, from the older version loaded beside this
    /// one, the objects `older` names (its root and their ids); `None` and `None` draw the
    /// model as it is again.
    pub fn compare(&self, paint: Option<Paint>, older: Option<(String, HashSet<String>)>) {
        {
            let mut state = self.state.borrow_mut();
            state.paint = paint;
            state.older = older;
        }
        self.redraw_scene();
        let selected = self.state.borrow().selected.clone();
        self.select(selected);
    }

    async fn stream(
        &self,
        origin: &str,
        project_id: &str,
        object_id: &str,
        progress: impl Fn(Progress),
        draw: bool,
    ) -> Result<(), String> {
        let root = fetch_text(
            &format!("{origin}/objects/{project_id}/{object_id}/single"),
            None,
        )
        .await?;
        let root: serde_json::Value =
            serde_json::from_str(&root).map_err(|e| format!("the root object is not JSON: {e}"))?;
        let total = root
            .get("__closure")
            .and_then(|c| c.as_object())
            .map_or(0, |c| c.len())
            + 1;
        self.state.borrow_mut().source.insert(root);
        progress(Progress { received: 1, total });

        let response = fetch(
            &format!("{origin}/objects/{project_id}/{object_id}"),
            Some("text/plain"),
        )
        .await?;
        let body = response.body().ok_or("the server sent no objects")?;
        let reader = body
            .get_reader()
            .dyn_into::<web_sys::ReadableStreamDefaultReader>()
            .map_err(|_| "cannot read the object stream".to_string())?;
        let decoder = web_sys::TextDecoder::new().map_err(js_error)?;
        let mut pending = String::new();
        let mut received = 1;
        let mut next_redraw = FIRST_REDRAW;
        loop {
            let chunk = JsFuture::from(reader.read()).await.map_err(js_error)?;
            let done = js_sys::Reflect::get(&chunk, &"done".into())
                .map_err(js_error)?
                .as_bool()
                .unwrap_or(true);
            if done {
                break;
            }
            let bytes: js_sys::Uint8Array = js_sys::Reflect::get(&chunk, &"value".into())
                .map_err(js_error)?
                .unchecked_into();
            let options = web_sys::TextDecodeOptions::new();
            options.set_stream(true);
            let text = decoder
                .decode_with_buffer_source_and_options(&bytes, &options)
                .map_err(js_error)?;
            pending.push_str(&text);
            let Some(last_line_end) = pending.rfind('\n') else {
                continue;
            };
            let complete: String = pending.drain(..=last_line_end).collect();
            {
                let mut state = self.state.borrow_mut();
                for line in complete.lines() {
                    let Some((_, json)) = line.split_once('\t') else {
                        continue;
                    };
                    if let Ok(object) = serde_json::from_str::<serde_json::Value>(json) {
                        state.source.insert(object);
                        received += 1;
                    }
                }
            }
            progress(Progress {
                received: received.min(total),
                total,
            });
            if draw && received >= next_redraw {
                next_redraw = received * 2;
                self.redraw_scene();
            }
        }
        if draw {
            self.redraw_scene();
        }
        progress(Progress {
            received: total,
            total,
        });
        Ok(())
    }

    fn redraw_scene(&self) {
        {
            let mut state = self.state.borrow_mut();
            state.rebuild();
            state.draw();
            if !state.marked_first_geometry && !state.scene.is_empty() {
                state.marked_first_geometry = true;
                // For measuring: the time from opening the page to the first geometry on screen.
                if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
                    let _ = performance.mark("fleck:first-geometry");
                }
            }
        }
        self.drawn();
    }

    pub fn draw(&self) {
        self.state.borrow_mut().draw();
        self.drawn();
    }

    /// Tells the page a picture was drawn, outside any borrow of the state, so the callback may
    /// call the viewer again.
    fn drawn(&self) {
        let callback = self.state.borrow().after_draw.clone();
        if let Some(callback) = callback {
            callback();
        }
    }

    /// Calls `callback` after each picture (camera moves, visibility changes, resizes).
    pub fn on_draw(&self, callback: impl Fn() + 'static) {
        self.state.borrow_mut().after_draw = Some(Rc::new(callback));
    }

    /// The scene's objects, for the page's tree.
    pub fn objects(&self) -> Vec<SceneObject> {
        self.state.borrow().scene.objects.clone()
    }

    /// Every readable property of an object, flat: what a search looks through.
    pub fn properties(&self, id: &str) -> Vec<(String, String)> {
        crate::properties(&self.state.borrow().source, id)
    }

    /// An object's properties grouped by property and quantity set, for the selection panel.
    pub fn property_groups(&self, id: &str) -> Vec<crate::properties::PropertyGroup> {
        crate::properties::property_groups(&self.state.borrow().source, id)
    }

    /// The length units the model was sent in (the root's, else its first element's); metres
    /// when none says.
    pub fn model_units(&self) -> String {
        let state = self.state.borrow();
        let units_of = |id: &str| {
            state
                .source
                .get_object(id)
                .and_then(|o| o.get("units"))
                .and_then(serde_json::Value::as_str)
                .filter(|u| !u.trim().is_empty() && *u != "none")
                .map(str::to_string)
        };
        units_of(&state.root)
            .or_else(|| state.scene.objects.iter().find_map(|o| units_of(&o.id)))
            .unwrap_or_else(|| "m".to_string())
    }

    pub fn orbit(&self) -> Option<Orbit> {
        self.state.borrow().orbit
    }

    pub fn set_orbit(&self, orbit: Orbit) {
        self.state.borrow_mut().orbit = Some(orbit);
        self.draw();
    }

    /// Moves the camera and draws at the next animation frame: pointer events come faster than
    /// frames, and each would otherwise draw a picture nobody sees. A heavy scene is drawn
    /// coarser until the camera has settled.
    fn change_orbit(&self, change: impl FnOnce(&mut Orbit)) {
        let (settling, frame_requested) = {
            let mut state = self.state.borrow_mut();
            let Some(orbit) = state.orbit.as_mut() else {
                return;
            };
            change(orbit);
            let settling = state.heavy.then(|| {
                let count = state.moving.map_or(1, |n| n.wrapping_add(1));
                state.moving = Some(count);
                count
            });
            (
                settling,
                std::mem::replace(&mut state.frame_requested, true),
            )
        };
        if !frame_requested {
            let viewer = self.clone();
            after_frame(move || {
                viewer.state.borrow_mut().frame_requested = false;
                viewer.draw();
            });
        }
        if let Some(change_count) = settling {
            // When no further change comes, draw the full picture.
            let viewer = self.clone();
            after_ms(SETTLE_MS, move || {
                let settled = {
                    let mut state = viewer.state.borrow_mut();
                    let settled = state.moving == Some(change_count);
                    if settled {
                        state.moving = None;
                    }
                    settled
                };
                if settled {
                    viewer.draw();
                }
            });
        }
    }

    /// Turns around the target by a pointer drag of `dx`, `dy` CSS pixels.
    pub fn rotate(&self, dx: f64, dy: f64) {
        self.change_orbit(|o| o.rotate(dx as f32 * 0.008, dy as f32 * 0.008));
    }

    /// Slides the view by a drag of `dx`, `dy` CSS pixels.
    pub fn pan(&self, dx: f64, dy: f64) {
        let height = self.state.borrow().canvas.client_height().max(1) as f32;
        self.change_orbit(|o| o.pan(-dx as f32 / height, dy as f32 / height));
    }

    /// Zooms in (`steps` < 0) or out by mouse-wheel steps.
    pub fn zoom(&self, steps: f64) {
        self.change_orbit(|o| o.zoom((steps as f32 * 0.001).exp()));
    }

    pub fn set_view(&self, view: StandardView) {
        self.change_orbit(|o| o.set_view(view));
        self.fit();
    }

    /// Frames everything shown (what hiding, isolating and the section box leave), or the
    /// selected object when there is one and `selection` says so.
    pub fn fit_to(&self, selection: bool) {
        let bounds = {
            let state = self.state.borrow();
            match (&state.selected, selection) {
                (Some(id), true) => crate::pick::object_bounds(&state.scene, id),
                _ => crate::pick::visible_bounds(
                    &state.scene,
                    &|id| state.shows(id),
                    state.section.as_ref(),
                )
                .or(state.scene.bounds),
            }
        };
        if let Some(crate::scene::Bounds { min, max }) = bounds {
            self.change_orbit(|o| o.frame(min, max));
        }
    }

    pub fn fit(&self) {
        self.fit_to(false);
    }

    /// Selects the object under the pointer at CSS pixel (`x`, `y`) from the canvas' top left;
    /// returns its id, or `None` when nothing is there (which clears the selection).
    pub fn pick(&self, x: f64, y: f64) -> Option<String> {
        let picked = {
            let mut state = self.state.borrow_mut();
            let aim = state.aim();
            aim.nearest_hit(x, y).map(|hit| hit.object_id.to_string())
        };
        self.select(picked.clone());
        picked
    }

    /// The element under CSS pixel (`x`, `y`) and the point of its surface there, in scene
    /// coordinates: where a comment is pinned.
    pub fn hit(&self, x: f64, y: f64) -> Option<(String, [f32; 3])> {
        let mut state = self.state.borrow_mut();
        let aim = state.aim();
        aim.nearest_hit(x, y)
            .map(|hit| (hit.object_id.to_string(), hit.point))
    }

    /// The point of the model under CSS pixel (`x`, `y`), snapped to the nearest corner (or
    /// edge) of the element there when one is within a few pixels, in scene coordinates.
    pub fn measure_point(&self, x: f64, y: f64) -> Option<([f32; 3], crate::pick::Snap)> {
        /// How near, in CSS pixels, a corner or edge must be to catch the pointer.
        const SNAP_PIXELS: f64 = 10.0;
        use three_d::{InnerSpace, Vec3};
        let mut state = self.state.borrow_mut();
        let aim = state.aim();
        let hit = aim.nearest_hit(x, y)?;
        let (_, direction) = aim.ray(x, y);
        let (_, beside) = aim.ray(x + SNAP_PIXELS, y);
        // The width of SNAP_PIXELS at the distance of the hit.
        let radius = hit.distance * (Vec3::from(beside) - Vec3::from(direction)).magnitude();
        Some(crate::pick::snap(&hit, radius))
    }

    /// Where a scene point appears, in CSS pixels from the canvas' top left; `None` when it is
    /// behind the camera.
    pub fn screen_position(&self, point: [f32; 3]) -> Option<(f64, f64)> {
        use three_d::InnerSpace;
        let mut state = self.state.borrow_mut();
        let (width, height) = state.size();
        let orbit = state.orbit?;
        state.renderer.set_camera(&orbit, width, height);
        let camera = state.renderer.camera();
        let p = three_d::Vec3::new(point[0], point[1], point[2]);
        if (p - camera.position()).dot(camera.view_direction()) <= 0.0 {
            return None;
        }
        let pixel = camera.pixel_at_position(p);
        let ratio = device_pixel_ratio();
        Some((
            pixel.x as f64 / ratio,
            (height as f64 - pixel.y as f64) / ratio,
        ))
    }

    /// Metres of the scene's (0, 0, 0) in the world, to report coordinates as the model has them.
    pub fn origin(&self) -> [f64; 3] {
        self.state.borrow().scene.origin
    }

    pub fn select(&self, id: Option<String>) {
        {
            let mut state = self.state.borrow_mut();
            let scene = std::mem::take(&mut state.scene);
            state.renderer.select(&scene, id.as_deref());
            state.scene = scene;
            state.selected = id;
        }
        self.draw();
    }

    /// Everything the model draws, in scene coordinates, for sizing a section box.
    pub fn bounds(&self) -> Option<Bounds> {
        self.state.borrow().scene.bounds
    }

    /// Draws only what lies inside `section`; `None` draws everything again. A selection
    /// outside the box is cleared.
    pub fn set_section(&self, section: Option<Bounds>) {
        if self.state.borrow().section == section {
            return;
        }
        {
            let mut state = self.state.borrow_mut();
            state.section = section;
            state.renderer.set_section(section);
            let scene = std::mem::take(&mut state.scene);
            let inside = |id: &str| {
                section.is_none_or(|section| {
                    crate::pick::object_bounds(&scene, id).is_some_and(|b| {
                        (0..3).all(|k| b.max[k] >= section.min[k] && b.min[k] <= section.max[k])
                    })
                })
            };
            let selected = state.selected.take().filter(|id| inside(id));
            // The highlight is cut by the box too.
            state.renderer.select(&scene, selected.as_deref());
            state.selected = selected;
            state.scene = scene;
        }
        self.reload_visibility();
    }

    /// Hides these objects (and shows every other), keeping any isolation.
    pub fn set_hidden(&self, hidden: HashSet<String>) {
        if self.state.borrow().hidden == hidden {
            return;
        }
        self.state.borrow_mut().hidden = hidden;
        self.reload_visibility();
    }

    /// Shows only these objects; `None` shows all again.
    pub fn set_isolated(&self, isolated: Option<HashSet<String>>) {
        if self.state.borrow().isolated == isolated {
            return;
        }
        self.state.borrow_mut().isolated = isolated;
        self.reload_visibility();
    }

    fn reload_visibility(&self) {
        let mut state = self.state.borrow_mut();
        let scene = std::mem::take(&mut state.scene);
        // A hidden object cannot stay highlighted.
        if state.selected.as_deref().is_some_and(|id| !state.shows(id)) {
            state.selected = None;
            state.renderer.select(&scene, None);
        }
        let shows = state.visibility();
        state.renderer.load(&scene, &shows);
        state.scene = scene;
        state.draw();
    }
}

/// The camera of [`State::aim`], for rays through CSS pixels of the canvas.
struct Aim<'a> {
    state: &'a State,
    ratio: f64,
    /// The canvas' height in physical pixels.
    height: u32,
}

impl<'a> Aim<'a> {
    /// The ray through CSS pixel (`x`, `y`) from the canvas' top left: its origin and direction
    /// in scene coordinates.
    fn ray(&self, x: f64, y: f64) -> ([f32; 3], [f32; 3]) {
        let pixel = three_d::PhysicalPoint {
            x: (x * self.ratio) as f32,
            y: self.height as f32 - (y * self.ratio) as f32,
        };
        let camera = self.state.renderer.camera();
        let origin = camera.position_at_pixel(pixel);
        let direction = camera.view_direction_at_pixel(pixel);
        (origin.into(), direction.into())
    }

    /// The nearest shown element under CSS pixel (`x`, `y`), within the section when there is
    /// one.
    fn nearest_hit(&self, x: f64, y: f64) -> Option<crate::pick::Hit<'a>> {
        let (origin, direction) = self.ray(x, y);
        let state = self.state;
        crate::pick::nearest_hit(
            &state.scene,
            origin,
            direction,
            &|id| state.shows(id),
            state.section.as_ref(),
        )
    }
}

fn device_pixel_ratio() -> f64 {
    web_sys::window()
        .map(|w| w.device_pixel_ratio())
        .unwrap_or(1.0)
}

fn after_frame(then: impl FnOnce() + 'static) {
    let callback = wasm_bindgen::closure::Closure::once_into_js(then);
    if let Some(window) = web_sys::window() {
        let _ = window.request_animation_frame(callback.unchecked_ref());
    }
}

fn after_ms(ms: i32, then: impl FnOnce() + 'static) {
    let callback = wasm_bindgen::closure::Closure::once_into_js(then);
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(callback.unchecked_ref(), ms);
    }
}

fn is_shown(hidden: &HashSet<String>, isolated: Option<&HashSet<String>>, id: &str) -> bool {
    !hidden.contains(id) && isolated.is_none_or(|only| only.contains(id))
}

fn js_error(error: JsValue) -> String {
    error
        .as_string()
        .or_else(|| {
            js_sys::JSON::stringify(&error)
                .ok()
                .and_then(|s| s.as_string())
        })
        .unwrap_or_else(|| "a browser error".into())
}

async fn fetch(url: &str, accept: Option<&str>) -> Result<Response, String> {
    let init = RequestInit::new();
    init.set_method("GET");
    let request = Request::new_with_str_and_init(url, &init).map_err(js_error)?;
    if let Some(accept) = accept {
        request.headers().set("Accept", accept).map_err(js_error)?;
    }
    let window = web_sys::window().ok_or("no window")?;
    let response: Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(js_error)?
        .unchecked_into();
    if !response.ok() {
        return Err(match response.status() {
            401 | 403 => "You do not have access to this model's objects.".to_string(),
            404 => "The model's objects were not found on the server.".to_string(),
            status => format!("The server answered {status} while sending the objects."),
        });
    }
    Ok(response)
}

async fn fetch_text(url: &str, accept: Option<&str>) -> Result<String, String> {
    let response = fetch(url, accept).await?;
    let text = JsFuture::from(response.text().map_err(js_error)?)
        .await
        .map_err(js_error)?;
    text.as_string()
        .ok_or_else(|| "the server's answer is not text".into())
}
