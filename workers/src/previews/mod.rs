//! The `preview` job: draws a version's object tree headless with the viewer's own scene code,
//! from Speckle's preview angles, and stores the PNGs (the first angle, and all of them side by
//! side as a sprite).

mod sandboxed;

use std::time::{Duration, Instant};

use async_trait::async_trait;
use fleck_core::objects::tree::Rows;
use fleck_core::previews::{self, DEFAULT_ANGLE, PREVIEW_JOB, SPRITE_ANGLE};
use fleck_core::queue::Job;
use fleck_core::Core;
use fleck_viewer::headless::{preview_views, Headless, Image, RenderThread};
use fleck_viewer::{BuildLimits, ObjectSource, Scene};
use futures::TryStreamExt;
use serde::Deserialize;
use tokio::sync::OnceCell;

use crate::runtime::{payload, Handler, JobError};
use crate::sandbox::Isolation;
pub use sandboxed::serve;

/// Speckle's preview size and angle count: 24 views, 15° apart.
pub const WIDTH: u32 = 700;
pub const HEIGHT: u32 = 400;
pub const ANGLES: usize = 24;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Payload {
    project_id: String,
    object_id: String,
}

/// What one preview may take. A model past any of these fails its preview with the reason
/// (retrying cannot help) instead of taking the worker's memory or time.
#[derive(Clone, Copy, Debug)]
pub struct PreviewLimits {
    /// Objects read from the store.
    pub max_objects: usize,
    /// Bytes of stored JSON read.
    pub max_bytes: u64,
    /// Triangles, line segments and points drawn.
    pub max_primitives: usize,
    /// Triangles drawn in full: past it, each further mesh is drawn as its bounding box, so a
    /// model too large to draw whole still gets a (coarser) preview in reasonable time.
    pub triangle_budget: usize,
    /// Reading, building and drawing together.
    pub time_limit: Duration,
}

impl Default for PreviewLimits {
    fn default() -> Self {
        PreviewLimits {
            max_objects: 1_000_000,
            max_bytes: 1024 * 1024 * 1024,
            max_primitives: 20_000_000,
            triangle_budget: 2_000_000,
            time_limit: Duration::from_secs(300),
        }
    }
}

fn too_large(why: impl std::fmt::Display) -> JobError {
    JobError::Permanent(format!("the model is too large to preview: {why}"))
}

pub struct RenderPreview {
    core: Core,
    limits: PreviewLimits,
    isolation: Isolation,
    /// One GL context per process, started by the first preview.
    renderer: OnceCell<Result<RenderThread, String>>,
}

impl RenderPreview {
    pub fn new(core: Core) -> Self {
        RenderPreview {
            core,
            limits: PreviewLimits::default(),
            isolation: Isolation::InProcess,
            renderer: OnceCell::new(),
        }
    }

    /// Draws in child processes under these limits, or in this process.
    pub fn with_isolation(mut self, isolation: Isolation) -> Self {
        self.isolation = isolation;
        self
    }

    pub fn with_limits(mut self, limits: PreviewLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The render thread of this process, started by the first preview drawn here. Starting it
    /// loads the GL driver, which takes seconds on a busy machine: that waits on a blocking
    /// thread, never on the async ones that serve requests.
    async fn renderer(&self) -> Result<RenderThread, JobError> {
        self.renderer
            .get_or_init(|| async {
                match tokio::task::spawn_blocking(RenderThread::start).await {
                    Ok(Ok(thread)) => Ok(thread),
                    Ok(Err(e)) => {
                        tracing::error!(error = %e, "no headless GL: previews cannot be drawn");
                        Err(e.to_string())
                    }
                    Err(e) => Err(format!("starting the render thread failed: {e}")),
                }
            })
            .await
            .clone()
            .map_err(JobError::Permanent)
    }

    /// The PNGs of the object's tree, by angle name, within the time limit.
    async fn draw(
        &self,
        project_id: &str,
        object_id: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, JobError> {
        let rows = previews::object_tree(&self.core, project_id, object_id)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?
            .ok_or_else(|| JobError::Permanent("the object is not in the project".into()))?;
        let reading = Reading::new(self.limits);
        if let Isolation::Child(child) = &self.isolation {
            return sandboxed::draw_in_child(child, rows, reading, object_id).await;
        }
        let limit = self.limits.time_limit;
        let deadline = Instant::now() + limit;
        match tokio::time::timeout(limit, self.draw_here(rows, reading, object_id, deadline)).await
        {
            Ok(drawn) => drawn,
            Err(_) => Err(took_too_long(limit)),
        }
    }

    /// Draws in this process: builds the scene on a blocking thread, renders on the GL thread.
    async fn draw_here(
        &self,
        mut rows: Rows,
        mut reading: Reading,
        object_id: &str,
        deadline: Instant,
    ) -> Result<Vec<(String, Vec<u8>)>, JobError> {
        let mut chunks = Vec::new();
        while let Some(chunk) = rows
            .try_next()
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?
        {
            reading.count(&chunk)?;
            chunks.push(chunk);
        }
        let (root, limits) = (object_id.to_string(), self.limits);
        let scene = tokio::task::spawn_blocking(move || {
            let objects = chunks.iter().flatten().map(|(_, json)| json.as_bytes());
            scene_of(objects, &root, limits, deadline)
        })
        .await
        .map_err(|e| JobError::Permanent(format!("building the scene failed: {e}")))??;
        let renderer = self.renderer().await?;
        let drawn = tokio::task::spawn_blocking(move || {
            renderer.run(move |headless| images_of(headless, &scene))
        })
        .await
        .map_err(|e| JobError::Retry(format!("the render task failed: {e}")))?;
        match drawn {
            Ok(Ok(images)) => Ok(images),
            Ok(Err(e)) => Err(JobError::Retry(e)),
            Err(e) => Err(JobError::Retry(e.to_string())),
        }
    }
}

/// Counts a tree's objects and bytes as they arrive, so an enormous tree is refused before it
/// is all in memory.
struct Reading {
    limits: PreviewLimits,
    objects: usize,
    bytes: u64,
}

impl Reading {
    fn new(limits: PreviewLimits) -> Self {
        Reading {
            limits,
            objects: 0,
            bytes: 0,
        }
    }

    fn count(&mut self, chunk: &[(String, String)]) -> Result<(), JobError> {
        self.objects += chunk.len();
        self.bytes += chunk.iter().map(|(_, json)| json.len() as u64).sum::<u64>();
        if self.objects > self.limits.max_objects {
            return Err(too_large(format!(
                "it has more than {} objects",
                self.limits.max_objects
            )));
        }
        if self.bytes > self.limits.max_bytes {
            return Err(too_large(format!(
                "its objects take more than {} MiB",
                self.limits.max_bytes / (1024 * 1024)
            )));
        }
        Ok(())
    }
}

fn took_too_long(limit: Duration) -> JobError {
    too_large(format!(
        "drawing it took longer than the limit of {} s",
        limit.as_secs()
    ))
}

/// The scene of the stored objects' JSON under `root`; a model past a limit is too large.
fn scene_of(
    objects: impl Iterator<Item = impl AsRef<[u8]>>,
    root: &str,
    limits: PreviewLimits,
    deadline: Instant,
) -> Result<Scene, JobError> {
    let mut source = ObjectSource::new();
    for json in objects {
        // A stored object that is not JSON is skipped like any unreadable child.
        if let Ok(object) = serde_json::from_slice(json.as_ref()) {
            source.insert(object);
        }
    }
    let build = BuildLimits {
        max_objects: Some(limits.max_objects),
        max_primitives: Some(limits.max_primitives),
        triangle_budget: Some(limits.triangle_budget),
        deadline: Some(deadline),
        ..BuildLimits::default()
    };
    let scene = Scene::build_within(&source, root, build);
    if let Some(why) = &scene.report.stopped {
        return Err(too_large(why));
    }
    if scene.is_empty() {
        tracing::info!("the model has no geometry; its preview shows an empty view");
    }
    if scene.report.boxed > 0 {
        tracing::info!(
            boxed = scene.report.boxed,
            budget = limits.triangle_budget,
            "the model passes the preview's triangle budget: meshes past it are drawn as boxes"
        );
    }
    Ok(scene)
}

/// The preview's PNGs: the first angle, and every angle side by side as a sprite.
fn images_of(headless: &Headless, scene: &Scene) -> Result<Vec<(String, Vec<u8>)>, String> {
    let views = preview_views(scene, ANGLES, WIDTH as f32 / HEIGHT as f32);
    let images = headless
        .render(scene, &views, WIDTH, HEIGHT)
        .map_err(|e| e.to_string())?;
    let first = images.first().ok_or("no image was drawn")?.png();
    let sprite = Image::sprite(&images).ok_or("no image was drawn")?.png();
    Ok(vec![
        (DEFAULT_ANGLE.to_string(), first.map_err(|e| e.to_string())?),
        (SPRITE_ANGLE.to_string(), sprite.map_err(|e| e.to_string())?),
    ])
}

#[async_trait]
impl Handler for RenderPreview {
    fn kind(&self) -> &'static str {
        PREVIEW_JOB
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let payload: Payload = payload(job, "a preview job")?;
        let retry = |e: fleck_core::Error| JobError::Retry(e.to_string());
        let Some(preview) = previews::begin(&self.core, &payload.project_id, &payload.object_id)
            .await
            .map_err(retry)?
        else {
            // The project (and with it the preview's record) was deleted meanwhile.
            return Ok(());
        };
        let started = std::time::Instant::now();
        match self.draw(&payload.project_id, &payload.object_id).await {
            Ok(images) => {
                previews::store_images(&self.core, preview, images)
                    .await
                    .map_err(retry)?;
                tracing::info!(ms = started.elapsed().as_millis() as u64, "preview drawn");
                Ok(())
            }
            Err(error) => {
                let will_retry =
                    matches!(error, JobError::Retry(_)) && job.attempt < job.max_attempts;
                previews::record_failure(&self.core, preview, &error.to_string(), will_retry)
                    .await
                    .map_err(retry)?;
                Err(error)
            }
        }
    }
}
