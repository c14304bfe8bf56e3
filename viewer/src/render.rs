//! Draws a `Scene` with three-d, on any OpenGL / WebGL2 context: the browser's canvas or a
//! headless context on the server. One GPU mesh per material batch keeps draw calls few.

use three_d::{
    AmbientLight, Camera, ClearState, ColorMaterial, Context, CpuMaterial, CpuMesh, DepthTest,
    DirectionalLight, Gm, Indices, Light, Mesh, Object, PhysicalMaterial, Positions, RenderStates,
    RenderTarget, RenderTargetMultisample, Srgba, TriangleBuffer, Vec3, Viewport,
};

use crate::camera::{Orbit, FIELD_OF_VIEW};
use crate::caps;
use crate::depth_order::{DepthOrder, Part};
use crate::scene::{Bounds, LineBatch, MeshBatch, ObjectRange, PointBatch, Scene};
use crate::section::{self, CutVertices};
use crate::strokes::Strokes;

/// The page's background, and the colour a picked object is drawn in.
pub const BACKGROUND: [f32; 4] = [0.96, 0.97, 0.98, 1.0];
const HIGHLIGHT: Srgba = Srgba::new(31, 140, 255, 255);
const GRID: Srgba = Srgba::new(205, 210, 218, 255);
/// The section box's edges, drawn so the box shows where it cuts.
const SECTION_EDGES: Srgba = Srgba::new(230, 120, 20, 255);
/// The section box's edges are this many line widths wide.
const SECTION_EDGE_WIDTH: f32 = 1.5;
/// Lines are drawn this wide, as a fraction of the scene's bounding radius.
const LINE_WIDTH: f32 = 0.002;
/// Points are drawn this many line widths across.
const POINT_SIZE: f32 = 3.0;

/// What the renderer draws: which objects are shown, and which one is selected.
pub trait Visibility {
    fn shows(&self, object_id: &str) -> bool;
}

impl<F: Fn(&str) -> bool> Visibility for F {
    fn shows(&self, object_id: &str) -> bool {
        self(object_id)
    }
}

pub struct Renderer {
    context: Context,
    camera: Camera,
    /// Opaque triangles, one mesh per material batch.
    meshes: Vec<Gm<Mesh, PhysicalMaterial>>,
    /// Every transparent triangle in one mesh, its objects ordered far to near.
    translucent: Option<(Gm<Mesh, PhysicalMaterial>, DepthOrder)>,
    /// Only what lies inside is drawn; `None` draws everything.
    section: Option<Bounds>,
    /// Curves, points and the ground grid, unlit.
    strokes: Vec<Gm<Mesh, ColorMaterial>>,
    grid: bool,
    highlight: Option<Gm<Mesh, ColorMaterial>>,
    ambient: AmbientLight,
    key: DirectionalLight,
    fill: DirectionalLight,
}

impl Renderer {
    pub fn new(context: Context, width: u32, height: u32) -> Self {
        let camera = Camera::new_perspective(
            Viewport::new_at_origo(width.max(1), height.max(1)),
            Vec3::new(10.0, -10.0, 10.0),
            Vec3::new(0.0, 0.0, 0.0),
            Vec3::new(0.0, 0.0, 1.0),
            three_d::radians(FIELD_OF_VIEW),
            0.01,
            1000.0,
        );
        Renderer {
            ambient: AmbientLight::new(&context, 0.45, Srgba::WHITE),
            key: DirectionalLight::new(&context, 1.6, Srgba::WHITE, Vec3::new(-0.4, 0.6, -1.0)),
            fill: DirectionalLight::new(&context, 0.6, Srgba::WHITE, Vec3::new(0.6, -0.3, -0.4)),
            context,
            camera,
            meshes: Vec::new(),
            translucent: None,
            section: None,
            strokes: Vec::new(),
            grid: true,
            highlight: None,
        }
    }

    /// Whether `load` adds the ground grid (on by default; previews leave it out).
    pub fn set_grid(&mut self, grid: bool) {
        self.grid = grid;
    }

    pub fn context(&self) -> &Context {
        &self.context
    }

    /// Cuts what `load` uploads next to `section`; `None` shows everything again.
    pub fn set_section(&mut self, section: Option<Bounds>) {
        self.section = section;
    }

    /// Uploads the scene's batches, leaving out what `visibility` hides and what lies outside
    /// the section box.
    pub fn load(&mut self, scene: &Scene, visibility: &dyn Visibility) {
        let mut glass = Glass::default();
        self.meshes = Vec::new();
        for batch in &scene.meshes {
            let alpha = (batch.material.opacity.clamp(0.0, 1.0) * 255.0).round() as u8;
            if alpha < 255 {
                glass.add(batch, visibility, self.section.as_ref(), alpha);
                continue;
            }
            let mut added = CutVertices::for_batch(batch);
            let mut indices = section::cut_triangles(
                batch,
                &visible_indices(batch, visibility),
                self.section.as_ref(),
                &mut added,
            );
            if let Some(section) = &self.section {
                let spans = shown(&batch.objects, visibility);
                indices.extend(caps::cap_triangles(batch, spans, section, &mut added));
            }
            if indices.is_empty() {
                continue;
            }
            let cpu = cpu_mesh(batch, &added, indices);
            // Vertex colours multiply the albedo: a batch that has them is drawn in them alone.
            let [r, g, b, _] = match batch.colors {
                Some(_) => [255; 4],
                None => batch.material.color,
            };
            let material = CpuMaterial {
                albedo: Srgba::new(r, g, b, 255),
                metallic: 0.0,
                roughness: 0.85,
                ..Default::default()
            };
            let material = PhysicalMaterial::new_opaque(&self.context, &material);
            self.meshes
                .push(Gm::new(Mesh::new(&self.context, &cpu), material));
        }
        self.translucent = glass.upload(&self.context);
        let width = scene.bounds.map_or(0.01, |b| b.radius() * LINE_WIDTH);
        self.strokes = scene
            .lines
            .iter()
            .filter_map(|batch| {
                let strokes = visible_strokes(batch, visibility, self.section.as_ref(), width);
                let [r, g, b, a] = batch.color;
                self.stroke_mesh(&strokes, Srgba::new(r, g, b, a), None)
            })
            .collect();
        for batch in &scene.points {
            let (strokes, colors) =
                visible_points(batch, visibility, self.section.as_ref(), width * POINT_SIZE);
            let color = match colors {
                // Per-point colours multiply the material's, so it stays white.
                Some(_) => Srgba::WHITE,
                None => {
                    let [r, g, b, a] = batch.color;
                    Srgba::new(r, g, b, a)
                }
            };
            self.strokes
                .extend(self.stroke_mesh(&strokes, color, colors));
        }
        if self.grid {
            if let Some(grid) = scene.bounds.map(|b| Strokes::ground_grid(&b)) {
                self.strokes.extend(self.stroke_mesh(&grid, GRID, None));
            }
        }
        if let Some(section) = &self.section {
            let edges = Strokes::box_edges(section, width * SECTION_EDGE_WIDTH);
            self.strokes
                .extend(self.stroke_mesh(&edges, SECTION_EDGES, None));
        }
    }

    fn stroke_mesh(
        &self,
        strokes: &Strokes,
        color: Srgba,
        vertex_colors: Option<Vec<Srgba>>,
    ) -> Option<Gm<Mesh, ColorMaterial>> {
        if strokes.indices.is_empty() {
            return None;
        }
        let cpu = CpuMesh {
            positions: Positions::F32(
                strokes
                    .positions
                    .iter()
                    .map(|p| Vec3::new(p[0], p[1], p[2]))
                    .collect(),
            ),
            indices: Indices::U32(strokes.indices.clone()),
            colors: vertex_colors,
            ..Default::default()
        };
        let material = ColorMaterial {
            color,
            ..Default::default()
        };
        Some(Gm::new(Mesh::new(&self.context, &cpu), material))
    }

    /// Draws `object_id`'s triangles over the model in the highlight colour; `None` clears it.
    pub fn select(&mut self, scene: &Scene, object_id: Option<&str>) {
        self.highlight = object_id.and_then(|id| {
            let mut positions = Vec::new();
            for batch in &scene.meshes {
                for range in batch.objects.iter().filter(|r| r.object_id == id) {
                    let indices = batch.indices.get(range.span()).unwrap_or_default();
                    let mut added = CutVertices::for_batch(batch);
                    let mut indices =
                        section::cut_triangles(batch, indices, self.section.as_ref(), &mut added);
                    if let Some(section) = &self.section {
                        let span = std::iter::once(range.span());
                        indices.extend(caps::cap_triangles(batch, span, section, &mut added));
                    }
                    for i in indices {
                        let p = batch
                            .positions
                            .get(i as usize)
                            .or_else(|| added.positions.get(i as usize - batch.positions.len()));
                        if let Some(p) = p {
                            positions.push(Vec3::new(p[0], p[1], p[2]));
                        }
                    }
                }
            }
            if positions.is_empty() {
                return None;
            }
            let cpu = CpuMesh {
                positions: Positions::F32(positions),
                ..Default::default()
            };
            let material = ColorMaterial {
                color: HIGHLIGHT,
                render_states: RenderStates {
                    depth_test: DepthTest::LessOrEqual,
                    ..Default::default()
                },
                ..Default::default()
            };
            Some(Gm::new(Mesh::new(&self.context, &cpu), material))
        });
    }

    /// Points the camera as `orbit` says, for a viewport of `width` × `height` pixels.
    pub fn set_camera(&mut self, orbit: &Orbit, width: u32, height: u32) {
        let p = orbit.position();
        let t = orbit.target;
        self.camera
            .set_viewport(Viewport::new_at_origo(width.max(1), height.max(1)));
        self.camera.set_view(
            Vec3::new(p[0], p[1], p[2]),
            Vec3::new(t[0], t[1], t[2]),
            Vec3::new(0.0, 0.0, 1.0),
        );
        // Near and far follow the distance so large sites and small parts both keep depth precision.
        let near = (orbit.distance / 1000.0).max(0.001);
        self.camera.set_perspective_projection(
            three_d::radians(FIELD_OF_VIEW),
            near,
            orbit.distance * 100.0 + 10.0,
        );
        if let Some((gm, order)) = &mut self.translucent {
            if let Some(indices) = order.sort_for(p) {
                if let TriangleBuffer::IndexedU32(buffer) = gm.geometry.indices_mut() {
                    buffer.fill(&indices);
                }
            }
        }
    }

    pub fn camera(&self) -> &Camera {
        &self.camera
    }

    /// Clears `target` and draws the scene into it.
    pub fn render(&self, target: &impl Target) {
        let [r, g, b, a] = BACKGROUND;
        target.clear_to(ClearState::color_and_depth(r, g, b, a, 1.0));
        let lights: [&dyn Light; 3] = [&self.ambient, &self.key, &self.fill];
        target.draw(&self.camera, &self.meshes, &lights);
        target.draw(&self.camera, &self.strokes, &[]);
        // Last, over everything opaque, without writing depth (the material's render states).
        if let Some((glass, _)) = &self.translucent {
            target.draw(&self.camera, [glass], &lights);
        }
        if let Some(highlight) = &self.highlight {
            target.draw(&self.camera, [highlight], &[]);
        }
    }
}

/// Where a renderer draws: the canvas, or an offscreen (multisampled) image.
pub trait Target {
    fn clear_to(&self, state: ClearState);
    fn draw<O: Object>(
        &self,
        camera: &Camera,
        objects: impl IntoIterator<Item = O>,
        lights: &[&dyn Light],
    );
}

/// three_d's targets clear and draw through inherent methods of the same names, not a trait.
macro_rules! target {
    ($target:ty) => {
        impl Target for $target {
            fn clear_to(&self, state: ClearState) {
                self.clear(state);
            }

            fn draw<O: Object>(
                &self,
                camera: &Camera,
                objects: impl IntoIterator<Item = O>,
                lights: &[&dyn Light],
            ) {
                self.render(camera, objects, lights);
            }
        }
    };
}

target!(RenderTarget<'_>);
target!(RenderTargetMultisample<[u8; 4], f32>);

/// The spans of the objects `visibility` shows.
fn shown<'a>(
    objects: &'a [ObjectRange],
    visibility: &'a dyn Visibility,
) -> impl Iterator<Item = std::ops::Range<usize>> + 'a {
    objects
        .iter()
        .filter(|r| visibility.shows(&r.object_id))
        .map(ObjectRange::span)
}

/// The batch's triangles of the objects `visibility` shows.
fn visible_indices(batch: &MeshBatch, visibility: &dyn Visibility) -> Vec<u32> {
    if batch.objects.iter().all(|r| visibility.shows(&r.object_id)) {
        return batch.indices.clone();
    }
    let mut indices = Vec::new();
    for span in shown(&batch.objects, visibility) {
        indices.extend_from_slice(batch.indices.get(span).unwrap_or_default());
    }
    indices
}

/// The batch's segments of the objects `visibility` shows, as tubes `width` wide.
fn visible_strokes(
    batch: &LineBatch,
    visibility: &dyn Visibility,
    section: Option<&Bounds>,
    width: f32,
) -> Strokes {
    let mut strokes = Strokes::default();
    for span in shown(&batch.objects, visibility) {
        for pair in batch
            .positions
            .get(span)
            .unwrap_or_default()
            .chunks_exact(2)
        {
            let cut = match section {
                Some(section) => section::cut_segment(pair[0], pair[1], section),
                None => Some((pair[0], pair[1])),
            };
            if let Some((a, b)) = cut {
                strokes.segment(a, b, width);
            }
        }
    }
    strokes
}

/// The batch's points of the objects `visibility` shows, as diamonds `size` across, with each
/// corner's colour when the points have their own.
fn visible_points(
    batch: &PointBatch,
    visibility: &dyn Visibility,
    section: Option<&Bounds>,
    size: f32,
) -> (Strokes, Option<Vec<Srgba>>) {
    let mut strokes = Strokes::default();
    let mut colors = batch.colors.as_ref().map(|_| Vec::new());
    for span in shown(&batch.objects, visibility) {
        for i in span.start..span.end.min(batch.positions.len()) {
            if section.is_some_and(|s| !section::contains(s, batch.positions[i])) {
                continue;
            }
            let before = strokes.positions.len();
            strokes.point(batch.positions[i], size);
            if let (Some(colors), Some(all)) = (colors.as_mut(), batch.colors.as_ref()) {
                let [r, g, b, a] = all.get(i).copied().unwrap_or(batch.color);
                let added = strokes.positions.len() - before;
                colors.extend(std::iter::repeat_n(Srgba::new(r, g, b, a), added));
            }
        }
    }
    (strokes, colors)
}

/// The batch's vertices, then those cutting added, with `indices` into them.
fn cpu_mesh(batch: &MeshBatch, added: &CutVertices, indices: Vec<u32>) -> CpuMesh {
    let vec3 = |p: &[f32; 3]| Vec3::new(p[0], p[1], p[2]);
    let srgba = |c: &[u8; 4]| Srgba::new(c[0], c[1], c[2], c[3]);
    CpuMesh {
        positions: Positions::F32(
            batch
                .positions
                .iter()
                .chain(&added.positions)
                .map(vec3)
                .collect(),
        ),
        normals: Some(
            batch
                .normals
                .iter()
                .chain(&added.normals)
                .map(vec3)
                .collect(),
        ),
        colors: batch.colors.as_ref().map(|colors| {
            colors
                .iter()
                .chain(added.colors.iter().flatten())
                .map(srgba)
                .collect()
        }),
        indices: Indices::U32(indices),
        ..Default::default()
    }
}

/// Transparent triangles of every batch gathered for one mesh: each vertex carries its colour
/// and opacity, each object is a part to sort by depth.
#[derive(Default)]
struct Glass {
    positions: Vec<Vec3>,
    normals: Vec<Vec3>,
    colors: Vec<Srgba>,
    parts: Vec<Part>,
}

impl Glass {
    fn add(
        &mut self,
        batch: &MeshBatch,
        visibility: &dyn Visibility,
        section: Option<&Bounds>,
        alpha: u8,
    ) {
        let mut added = CutVertices::for_batch(batch);
        let mut parts = Vec::new();
        for span in shown(&batch.objects, visibility) {
            let indices = batch.indices.get(span).unwrap_or_default();
            let indices = section::cut_triangles(batch, indices, section, &mut added);
            if !indices.is_empty() {
                parts.push(indices);
            }
        }
        if parts.is_empty() {
            return;
        }
        let offset = self.positions.len() as u32;
        let cpu = cpu_mesh(batch, &added, Vec::new());
        let Positions::F32(positions) = cpu.positions else {
            return;
        };
        let [r, g, b, _] = batch.material.color;
        let colors: Vec<Srgba> = match cpu.colors {
            Some(colors) => colors
                .into_iter()
                .map(|c| Srgba::new(c.r, c.g, c.b, alpha))
                .collect(),
            None => vec![Srgba::new(r, g, b, alpha); positions.len()],
        };
        for indices in parts {
            let mut center = Vec3::new(0.0, 0.0, 0.0);
            for &i in &indices {
                center += positions[i as usize];
            }
            center /= indices.len() as f32;
            self.parts.push(Part {
                center: [center.x, center.y, center.z],
                indices: indices.into_iter().map(|i| i + offset).collect(),
            });
        }
        self.positions.extend(positions);
        self.normals.extend(cpu.normals.unwrap_or_default());
        self.colors.extend(colors);
    }

    fn upload(self, context: &Context) -> Option<(Gm<Mesh, PhysicalMaterial>, DepthOrder)> {
        if self.parts.is_empty() {
            return None;
        }
        let order = DepthOrder::new(self.parts);
        let cpu = CpuMesh {
            positions: Positions::F32(self.positions),
            normals: Some(self.normals),
            colors: Some(self.colors),
            indices: Indices::U32(order.indices()),
            ..Default::default()
        };
        let material = CpuMaterial {
            albedo: Srgba::WHITE,
            metallic: 0.0,
            roughness: 0.3,
            ..Default::default()
        };
        let material = PhysicalMaterial::new_transparent(context, &material);
        Some((Gm::new(Mesh::new(context, &cpu), material), order))
    }
}
