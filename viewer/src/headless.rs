//! Drawing without a window or GPU, for preview images and `fleck render`: an EGL context on
//! Mesa's surfaceless platform (llvmpipe, the software renderer, when there is no GPU) runs the
//! same [`Renderer`] as the browser into an offscreen target, and frames are encoded as PNG.
//!
//! An EGL context belongs to the thread that made it current, and three-d keeps compiled shaders
//! in its context, so [`RenderThread`] keeps one context alive on a thread of its own: the first
//! image pays for compiling shaders, later ones don't.

use std::sync::mpsc;
use std::sync::Arc;

use khronos_egl as egl;
use three_d::{
    ColorTarget, Context, DepthTexture2D, Interpolation, RenderTarget, RenderTargetMultisample,
    Texture2D, Wrapping,
};

use crate::camera::Orbit;
use crate::render::Renderer;
use crate::scene::{Bounds, Scene};

/// `EGL_PLATFORM_SURFACELESS_MESA`: a display that needs no window system.
const PLATFORM_SURFACELESS: egl::Enum = 0x31DD;
/// Samples per pixel; smooth edges are worth it at thumbnail size.
const SAMPLES: u32 = 4;

#[derive(Debug)]
pub struct HeadlessError(String);

impl std::fmt::Display for HeadlessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HeadlessError {}

fn fail(context: &str) -> impl FnOnce(egl::Error) -> HeadlessError + '_ {
    move |e| HeadlessError(format!("{context}: {e}"))
}

/// An RGBA picture, rows from the top.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl Image {
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        let i = ((y * self.width + x) * 4) as usize;
        [
            self.rgba[i],
            self.rgba[i + 1],
            self.rgba[i + 2],
            self.rgba[i + 3],
        ]
    }

    pub fn png(&self) -> Result<Vec<u8>, HeadlessError> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder
            .write_header()
            .map_err(|e| HeadlessError(format!("cannot encode PNG: {e}")))?;
        writer
            .write_image_data(&self.rgba)
            .and_then(|()| writer.finish())
            .map_err(|e| HeadlessError(format!("cannot encode PNG: {e}")))?;
        Ok(out)
    }

    pub fn from_png(bytes: &[u8]) -> Result<Image, HeadlessError> {
        let bad = |e: png::DecodingError| HeadlessError(format!("not a PNG image: {e}"));
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::ALPHA);
        let mut reader = decoder.read_info().map_err(bad)?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| HeadlessError("the PNG image is too large".into()))?;
        let mut buffer = vec![0; size];
        let info = reader.next_frame(&mut buffer).map_err(bad)?;
        buffer.truncate(info.buffer_size());
        let rgba = match info.color_type {
            png::ColorType::Rgba => buffer,
            png::ColorType::GrayscaleAlpha => buffer
                .chunks_exact(2)
                .flat_map(|ga| [ga[0], ga[0], ga[0], ga[1]])
                .collect(),
            other => {
                return Err(HeadlessError(format!(
                    "unexpected PNG colour type {other:?}"
                )))
            }
        };
        Ok(Image {
            width: info.width,
            height: info.height,
            rgba,
        })
    }

    /// The images side by side, left to right (Speckle's "all angles" preview).
    pub fn sprite(images: &[Image]) -> Option<Image> {
        let first = images.first()?;
        let (width, height) = (first.width, first.height);
        if images
            .iter()
            .any(|i| i.width != width || i.height != height)
        {
            return None;
        }
        let count = images.len() as u32;
        let row = (width * 4) as usize;
        let mut rgba = Vec::with_capacity(row * images.len() * height as usize);
        for y in 0..height as usize {
            for image in images {
                rgba.extend_from_slice(&image.rgba[y * row..(y + 1) * row]);
            }
        }
        Some(Image {
            width: width * count,
            height,
            rgba,
        })
    }
}

/// The camera angles of a preview: the isometric view, turned around the scene by equal steps
/// (Speckle takes 24, 15° apart), each as close as an image `aspect` wide allows.
pub fn preview_views(scene: &Scene, count: usize, aspect: f32) -> Vec<Orbit> {
    let (min, max) = scene
        .bounds
        .map_or(([-1.0; 3], [1.0; 3]), |b| (b.min, b.max));
    let fitted = Orbit::fit(min, max);
    (0..count.max(1))
        .map(|step| {
            let mut orbit = fitted;
            orbit.azimuth += step as f32 * std::f32::consts::TAU / count.max(1) as f32;
            orbit.frame_tightly(min, max, aspect);
            orbit
        })
        .collect()
}

/// A GL context with nothing to show it on, current on the thread that made it.
pub struct Headless {
    egl: egl::DynamicInstance<egl::EGL1_5>,
    display: egl::Display,
    egl_context: egl::Context,
    context: Context,
}

impl Headless {
    pub fn new() -> Result<Self, HeadlessError> {
        // SAFETY: loading the system's EGL library runs its initialisers; it is the library the
        // GL driver ships for exactly this use.
        let egl = unsafe {
            egl::DynamicInstance::<egl::EGL1_5>::load_required_from_filename("libEGL.so.1")
        }
        .map_err(|e| {
            HeadlessError(format!(
                "cannot load libEGL.so.1 (install libegl1 and libegl-mesa0): {e}"
            ))
        })?;
        // SAFETY: the default display needs no native handle on the surfaceless platform.
        let display = unsafe {
            egl.get_platform_display(
                PLATFORM_SURFACELESS,
                egl::DEFAULT_DISPLAY,
                &[egl::ATTRIB_NONE],
            )
        }
        .map_err(fail(
            "no surfaceless EGL display (install libegl-mesa0 and libgl1-mesa-dri)",
        ))?;
        egl.initialize(display)
            .map_err(fail("cannot initialise EGL"))?;
        egl.bind_api(egl::OPENGL_API)
            .map_err(fail("EGL cannot run OpenGL"))?;
        // Only the API: a surfaceless display offers no configs with colour or depth sizes.
        let config = egl
            .choose_first_config(
                display,
                &[
                    egl::RENDERABLE_TYPE,
                    egl::OPENGL_BIT,
                    egl::SURFACE_TYPE,
                    0,
                    egl::NONE,
                ],
            )
            .map_err(fail("cannot choose an EGL config"))?
            .ok_or_else(|| HeadlessError("no EGL config renders OpenGL".into()))?;
        let egl_context = egl
            .create_context(
                display,
                config,
                None,
                &[
                    egl::CONTEXT_MAJOR_VERSION,
                    3,
                    egl::CONTEXT_MINOR_VERSION,
                    3,
                    egl::CONTEXT_OPENGL_PROFILE_MASK,
                    egl::CONTEXT_OPENGL_CORE_PROFILE_BIT,
                    egl::NONE,
                ],
            )
            .map_err(fail("cannot create an OpenGL 3.3 context"))?;
        egl.make_current(display, None, None, Some(egl_context))
            .map_err(fail("cannot make the GL context current"))?;
        // SAFETY: the context is current on this thread, and the pointers come from its driver.
        let gl = unsafe {
            three_d::context::Context::from_loader_function(|name| {
                egl.get_proc_address(name)
                    .map_or(std::ptr::null(), |f| f as *const std::ffi::c_void)
            })
        };
        let context = Context::from_gl_context(Arc::new(gl))
            .map_err(|e| HeadlessError(format!("cannot use the GL context: {e}")))?;
        Ok(Headless {
            egl,
            display,
            egl_context,
            context,
        })
    }

    /// The GL driver's name, e.g. "llvmpipe (LLVM 15.0.6, 256 bits)".
    pub fn renderer_name(&self) -> String {
        use three_d::context::HasContext;
        // SAFETY: a plain query on the current context.
        unsafe {
            self.context
                .get_parameter_string(three_d::context::RENDERER)
        }
    }

    /// Draws `scene` once per camera in `views`, each `width` × `height` pixels.
    pub fn render(
        &self,
        scene: &Scene,
        views: &[Orbit],
        width: u32,
        height: u32,
    ) -> Result<Vec<Image>, HeadlessError> {
        self.render_section(scene, None, views, width, height)
    }

    /// `render`, showing only what lies inside `section` (scene coordinates) when given.
    pub fn render_section(
        &self,
        scene: &Scene,
        section: Option<Bounds>,
        views: &[Orbit],
        width: u32,
        height: u32,
    ) -> Result<Vec<Image>, HeadlessError> {
        if width == 0 || height == 0 || width > 8192 || height > 8192 {
            return Err(HeadlessError(format!(
                "an image of {width} × {height} pixels is out of range (1–8192 each way)"
            )));
        }
        let mut renderer = Renderer::new(self.context.clone(), width, height);
        renderer.set_grid(false);
        renderer.set_section(section);
        renderer.load(scene, &|_: &str| true);
        let samples =
            RenderTargetMultisample::<[u8; 4], f32>::new(&self.context, width, height, SAMPLES);
        let color = Texture2D::new_empty::<[u8; 4]>(
            &self.context,
            width,
            height,
            Interpolation::Nearest,
            Interpolation::Nearest,
            None,
            Wrapping::ClampToEdge,
            Wrapping::ClampToEdge,
        );
        let depth = DepthTexture2D::new::<f32>(
            &self.context,
            width,
            height,
            Wrapping::ClampToEdge,
            Wrapping::ClampToEdge,
        );
        let mut images = Vec::with_capacity(views.len());
        for orbit in views {
            renderer.set_camera(orbit, width, height);
            renderer.render(&samples);
            let resolved = RenderTarget::new(color.as_color_target(None), depth.as_depth_target());
            samples.resolve_to(&resolved);
            // three-d hands rows back from the top already.
            let pixels: Vec<[u8; 4]> = ColorTarget::read(&color.as_color_target(None));
            images.push(Image {
                width,
                height,
                rgba: pixels.into_iter().flatten().collect(),
            });
        }
        Ok(images)
    }
}

impl Drop for Headless {
    fn drop(&mut self) {
        let _ = self.egl.make_current(self.display, None, None, None);
        let _ = self.egl.destroy_context(self.display, self.egl_context);
    }
}

type Work = Box<dyn FnOnce(&Headless) + Send>;

/// One headless context on a thread of its own, shared by everyone who holds a handle. When the
/// last handle goes, the thread finishes its work and destroys the context before the handle's
/// drop returns: a process must not exit while the driver is still drawing.
#[derive(Clone)]
pub struct RenderThread {
    inner: Arc<Inner>,
}

struct Inner {
    work: Option<mpsc::Sender<Work>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue ends the thread's loop once the work in hand is done.
        self.work.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl RenderThread {
    /// Starts the thread and its context; fails when the machine has no usable EGL.
    pub fn start() -> Result<Self, HeadlessError> {
        let (work, queue) = mpsc::channel::<Work>();
        let (ready, started) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("fleck-render".into())
            .spawn(move || match Headless::new() {
                Ok(headless) => {
                    let _ = ready.send(Ok(()));
                    for job in queue {
                        job(&headless);
                    }
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            })
            .map_err(|e| HeadlessError(format!("cannot start the render thread: {e}")))?;
        started
            .recv()
            .map_err(|_| HeadlessError("the render thread stopped while starting".into()))??;
        Ok(RenderThread {
            inner: Arc::new(Inner {
                work: Some(work),
                thread: Some(thread),
            }),
        })
    }

    /// Runs `job` with the context and waits for its result. Blocks: call it from a thread
    /// that may block (e.g. `tokio::task::spawn_blocking`).
    pub fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce(&Headless) -> R + Send + 'static,
    ) -> Result<R, HeadlessError> {
        let (done, result) = mpsc::channel();
        let queue = self
            .inner
            .work
            .as_ref()
            .ok_or_else(|| HeadlessError("the render thread has stopped".into()))?;
        queue
            .send(Box::new(move |headless| {
                // A panic in the job must not end the thread that others share.
                let outcome =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(headless)));
                let _ = done.send(outcome);
            }))
            .map_err(|_| HeadlessError("the render thread has stopped".into()))?;
        match result.recv() {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(_)) => Err(HeadlessError("rendering panicked".into())),
            Err(_) => Err(HeadlessError("the render thread has stopped".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(width: u32, height: u32, value: u8) -> Image {
        Image {
            width,
            height,
            rgba: vec![value; (width * height * 4) as usize],
        }
    }

    #[test]
    fn images_round_trip_through_png() {
        let mut image = solid(3, 2, 10);
        image.rgba[4..8].copy_from_slice(&[1, 2, 3, 4]);
        let back = Image::from_png(&image.png().unwrap()).unwrap();
        assert_eq!(back, image);
        assert_eq!(back.pixel(1, 0), [1, 2, 3, 4]);
    }

    #[test]
    fn a_sprite_puts_images_side_by_side() {
        let sprite = Image::sprite(&[solid(2, 2, 1), solid(2, 2, 2)]).unwrap();
        assert_eq!((sprite.width, sprite.height), (4, 2));
        assert_eq!(sprite.pixel(1, 1), [1; 4]);
        assert_eq!(sprite.pixel(2, 1), [2; 4]);
        assert!(Image::sprite(&[solid(2, 2, 1), solid(3, 2, 1)]).is_none());
        assert!(Image::sprite(&[]).is_none());
    }

    #[test]
    fn preview_views_turn_around_the_model() {
        let views = preview_views(&Scene::default(), 4, 1.75);
        assert_eq!(views.len(), 4);
        let step = views[1].azimuth - views[0].azimuth;
        assert!((step - std::f32::consts::FRAC_PI_2).abs() < 1e-5);
        assert!(views.iter().all(|v| v.target == views[0].target));
    }
}
