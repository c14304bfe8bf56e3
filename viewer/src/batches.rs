//! The scene's draw-ready output: geometry merged into few large buffers, one per material (or
//! colour), so a renderer issues few draw calls. Each buffer remembers which object each stretch
//! of it came from, so a renderer can still pick, highlight and hide objects one by one.

use std::collections::HashMap;

use crate::material::Material;
use crate::math::{is_finite, normalize, sub, Vec3};
use crate::mesh::MeshData;
use crate::normals::vertex_normals;
use crate::report::Skip;
use crate::transform::Transform;

/// The stretch of a batch that one object drew.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRange {
    pub object_id: String,
    pub speckle_type: String,
    /// In a [`MeshBatch`], the first entry of `indices`; in a [`LineBatch`] or [`PointBatch`],
    /// the first entry of `positions`.
    pub first_index: u32,
    /// How many entries, from `first_index`: three per triangle, two per segment, one per point.
    pub index_count: u32,
}

impl ObjectRange {
    /// The entries this object drew.
    pub fn span(&self) -> std::ops::Range<usize> {
        let start = self.first_index as usize;
        start..start + self.index_count as usize
    }
}

/// Indexed triangles sharing one material.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshBatch {
    pub material: Material,
    /// Scene coordinates: metres, Z up, relative to [`crate::scene::Scene::origin`].
    pub positions: Vec<[f32; 3]>,
    /// Unit vertex normals, one per position.
    pub normals: Vec<[f32; 3]>,
    /// Per-vertex sRGB colours (alpha 255), one per position, when the batch's meshes carry
    /// them; draw these instead of the material's colour, with the material's opacity.
    pub colors: Option<Vec<[u8; 4]>>,
    /// Three per triangle, counter-clockwise seen from the front.
    pub indices: Vec<u32>,
    /// Which object drew which run of `indices`, in order.
    pub objects: Vec<ObjectRange>,
}

impl MeshBatch {
    pub fn triangle_count(&self) -> usize {
        self.indices.len() / 3
    }
}

/// Line segments sharing one colour: `positions` in pairs, one pair per segment.
#[derive(Debug, Clone, PartialEq)]
pub struct LineBatch {
    /// sRGB, alpha 255.
    pub color: [u8; 4],
    pub positions: Vec<[f32; 3]>,
    pub objects: Vec<ObjectRange>,
}

impl LineBatch {
    pub fn segment_count(&self) -> usize {
        self.positions.len() / 2
    }
}

/// Points sharing one colour, unless they carry their own.
#[derive(Debug, Clone, PartialEq)]
pub struct PointBatch {
    pub color: [u8; 4],
    pub positions: Vec<[f32; 3]>,
    /// Per-point colours (point clouds), one per position.
    pub colors: Option<Vec<[u8; 4]>>,
    pub objects: Vec<ObjectRange>,
}

/// An axis-aligned box in scene coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: [f32; 3],
    pub max: [f32; 3],
}

impl Bounds {
    pub fn center(&self) -> [f32; 3] {
        [0, 1, 2].map(|k| (self.min[k] + self.max[k]) / 2.0)
    }

    pub fn size(&self) -> [f32; 3] {
        [0, 1, 2].map(|k| self.max[k] - self.min[k])
    }

    /// Half the diagonal: the radius of a sphere holding the box.
    pub fn radius(&self) -> f32 {
        let [x, y, z] = self.size();
        (x * x + y * y + z * z).sqrt() / 2.0
    }

    /// Grows `bounds` to hold `p`; with no box yet, the box is the point.
    pub fn grow(bounds: &mut Option<Bounds>, p: &[f32; 3]) {
        let b = bounds.get_or_insert(Bounds { min: *p, max: *p });
        for (axis, &value) in p.iter().enumerate() {
            b.min[axis] = b.min[axis].min(value);
            b.max[axis] = b.max[axis].max(value);
        }
    }
}

/// The object geometry is attributed to: the element the user would pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner<'a> {
    pub(crate) id: &'a str,
    pub(crate) speckle_type: &'a str,
}

/// Coordinates further than this from the world origin (metres) move the scene origin, so that
/// f32 positions keep millimetres on georeferenced models.
const FAR_FROM_ORIGIN: f64 = 10_000.0;

/// Places world positions (metres, f64) into scene coordinates (f32) and tracks the bounds.
#[derive(Debug, Default)]
pub(crate) struct Frame {
    origin: Option<Vec3>,
    bounds: Option<(Vec3, Vec3)>,
}

impl Frame {
    pub(crate) fn origin(&self) -> Vec3 {
        self.origin.unwrap_or([0.0; 3])
    }

    pub(crate) fn bounds(&self) -> Option<Bounds> {
        self.bounds.map(|(min, max)| Bounds {
            min: min.map(|c| c as f32),
            max: max.map(|c| c as f32),
        })
    }

    fn place(&mut self, world: Vec3) -> [f32; 3] {
        // The first position decides: models are far smaller than their distance from the origin.
        let origin = *self.origin.get_or_insert_with(|| {
            if world.iter().any(|c| c.abs() > FAR_FROM_ORIGIN) {
                world.map(f64::round)
            } else {
                [0.0; 3]
            }
        });
        let local = sub(world, origin);
        let (min, max) = self.bounds.get_or_insert((local, local));
        for k in 0..3 {
            min[k] = min[k].min(local[k]);
            max[k] = max[k].max(local[k]);
        }
        local.map(|c| c as f32)
    }
}

/// Collects geometry into batches.
#[derive(Debug, Default)]
pub(crate) struct Batches {
    pub(crate) meshes: Vec<MeshBatch>,
    pub(crate) lines: Vec<LineBatch>,
    pub(crate) points: Vec<PointBatch>,
    pub(crate) frame: Frame,
    mesh_lookup: HashMap<((u32, u32), bool), usize>,
    line_lookup: HashMap<[u8; 4], usize>,
    point_lookup: HashMap<([u8; 4], bool), usize>,
    normals: Vec<Vec3>,
    copies: Vec<u32>,
}

impl Batches {
    /// Adds a mesh read into `mesh` (whose buffers this reuses and changes), placed by `transform`.
    pub(crate) fn add_mesh(
        &mut self,
        mesh: &mut MeshData,
        transform: &Transform,
        material: Material,
        owner: Owner<'_>,
    ) -> Result<(), Skip> {
        if mesh.triangles.is_empty() {
            return Ok(());
        }
        place_points(&mut mesh.positions, transform)?;
        if transform.flips_winding() {
            for triangle in &mut mesh.triangles {
                triangle.swap(1, 2);
            }
        }
        if mesh.normals.is_empty() {
            vertex_normals(
                &mesh.positions,
                &mut mesh.triangles,
                &mut self.normals,
                &mut self.copies,
            );
        } else {
            self.copies.clear();
            self.normals.clear();
            self.normals.extend(
                mesh.normals
                    .iter()
                    .map(|&n| normalize(transform.apply_normal(n)).unwrap_or([0.0, 0.0, 1.0])),
            );
        }

        let has_colors = !mesh.colors.is_empty();
        let key = (material.batch_key(), has_colors);
        let index = *self.mesh_lookup.entry(key).or_insert_with(|| {
            self.meshes.push(MeshBatch {
                material,
                positions: Vec::new(),
                normals: Vec::new(),
                colors: has_colors.then(Vec::new),
                indices: Vec::new(),
                objects: Vec::new(),
            });
            self.meshes.len() - 1
        });
        let batch = &mut self.meshes[index];
        let base = batch.positions.len();
        let added = mesh.positions.len() + self.copies.len();
        if base + added > u32::MAX as usize {
            return Err(Skip::malformed("too many vertices for one batch"));
        }
        let sources = (0..mesh.positions.len()).chain(self.copies.iter().map(|&c| c as usize));
        for (vertex, normal) in sources.zip(&self.normals) {
            batch
                .positions
                .push(self.frame.place(mesh.positions[vertex]));
            batch.normals.push(normal.map(|c| c as f32));
            if let Some(colors) = &mut batch.colors {
                colors.push(mesh.colors[vertex]);
            }
        }
        let first = batch.indices.len();
        let base = base as u32;
        batch
            .indices
            .extend(mesh.triangles.iter().flatten().map(|&i| base + i));
        add_range(
            &mut batch.objects,
            owner,
            first,
            batch.indices.len() - first,
        );
        Ok(())
    }

    /// Adds segments (pairs of world positions before `transform`).
    pub(crate) fn add_segments(
        &mut self,
        segments: &mut [Vec3],
        transform: &Transform,
        color: [u8; 4],
        owner: Owner<'_>,
    ) -> Result<(), Skip> {
        if segments.is_empty() {
            return Ok(());
        }
        place_points(segments, transform)?;
        let index = *self.line_lookup.entry(color).or_insert_with(|| {
            self.lines.push(LineBatch {
                color,
                positions: Vec::new(),
                objects: Vec::new(),
            });
            self.lines.len() - 1
        });
        let batch = &mut self.lines[index];
        let first = batch.positions.len();
        for &point in segments.iter() {
            batch.positions.push(self.frame.place(point));
        }
        add_range(&mut batch.objects, owner, first, segments.len());
        Ok(())
    }

    /// Adds points, with one colour each or all in `color`.
    pub(crate) fn add_points(
        &mut self,
        points: &mut [Vec3],
        colors: &[[u8; 4]],
        transform: &Transform,
        color: [u8; 4],
        owner: Owner<'_>,
    ) -> Result<(), Skip> {
        if points.is_empty() {
            return Ok(());
        }
        place_points(points, transform)?;
        let has_colors = colors.len() == points.len();
        let index = *self
            .point_lookup
            .entry((color, has_colors))
            .or_insert_with(|| {
                self.points.push(PointBatch {
                    color,
                    positions: Vec::new(),
                    colors: has_colors.then(Vec::new),
                    objects: Vec::new(),
                });
                self.points.len() - 1
            });
        let batch = &mut self.points[index];
        let first = batch.positions.len();
        for &point in points.iter() {
            batch.positions.push(self.frame.place(point));
        }
        if let Some(batch_colors) = &mut batch.colors {
            batch_colors.extend_from_slice(colors);
        }
        add_range(&mut batch.objects, owner, first, points.len());
        Ok(())
    }
}

/// Applies `transform` in place; all-or-nothing, so a broken transform adds no stray geometry.
fn place_points(points: &mut [Vec3], transform: &Transform) -> Result<(), Skip> {
    if !transform.is_identity() {
        for point in points.iter_mut() {
            *point = transform.apply_point(*point);
        }
    }
    if points.iter().all(|&p| is_finite(p)) {
        Ok(())
    } else {
        Err(Skip::malformed(
            "positions are not finite after transforming",
        ))
    }
}

/// Records that `owner` drew `count` entries from `first`, extending its previous run when the
/// two touch (an element's several meshes in one material make one range).
fn add_range(ranges: &mut Vec<ObjectRange>, owner: Owner<'_>, first: usize, count: usize) {
    if let Some(last) = ranges.last_mut() {
        if last.object_id == owner.id && (last.first_index + last.index_count) as usize == first {
            last.index_count += count as u32;
            return;
        }
    }
    ranges.push(ObjectRange {
        object_id: owner.id.to_owned(),
        speckle_type: owner.speckle_type.to_owned(),
        first_index: first as u32,
        index_count: count as u32,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const WALL: Owner<'static> = Owner {
        id: "wall",
        speckle_type: "Objects.BuiltElements.Wall",
    };

    fn square(mesh: &mut MeshData) {
        mesh.positions = vec![[0.0; 3], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]];
        mesh.triangles = vec![[0, 1, 2], [0, 2, 3]];
        mesh.colors.clear();
        mesh.normals.clear();
    }

    #[test]
    fn merges_same_material_and_splits_others() {
        let mut batches = Batches::default();
        let mut mesh = MeshData::default();
        let red = Material::from_argb(-65536, 1.0);
        for material in [red, red, Material::DEFAULT] {
            square(&mut mesh);
            batches
                .add_mesh(&mut mesh, &Transform::IDENTITY, material, WALL)
                .unwrap();
        }
        assert_eq!(batches.meshes.len(), 2);
        let first = &batches.meshes[0];
        assert_eq!(first.triangle_count(), 4);
        assert_eq!(first.positions.len(), 8);
        assert_eq!(first.indices[6..9], [4, 5, 6]);
        // Both squares belong to the wall and touch: one range.
        assert_eq!(first.objects.len(), 1);
        assert_eq!(first.objects[0].index_count, 12);
        assert!(first.normals.iter().all(|n| *n == [0.0, 0.0, 1.0]));
    }

    #[test]
    fn vertex_coloured_meshes_batch_apart() {
        let mut batches = Batches::default();
        let mut mesh = MeshData::default();
        square(&mut mesh);
        batches
            .add_mesh(&mut mesh, &Transform::IDENTITY, Material::DEFAULT, WALL)
            .unwrap();
        square(&mut mesh);
        mesh.colors = vec![[1, 2, 3, 255]; 4];
        batches
            .add_mesh(&mut mesh, &Transform::IDENTITY, Material::DEFAULT, WALL)
            .unwrap();
        assert_eq!(batches.meshes.len(), 2);
        assert!(batches.meshes[0].colors.is_none());
        assert_eq!(batches.meshes[1].colors.as_ref().unwrap().len(), 4);
    }

    #[test]
    fn mirrored_meshes_keep_facing_out() {
        let mut batches = Batches::default();
        let mut mesh = MeshData::default();
        square(&mut mesh);
        let mirror = Transform::from_row_major(&[
            -1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0,
        ]);
        batches
            .add_mesh(&mut mesh, &mirror, Material::DEFAULT, WALL)
            .unwrap();
        let batch = &batches.meshes[0];
        assert_eq!(batch.indices[..3], [0, 2, 1]);
        assert!(batch.normals.iter().all(|n| *n == [0.0, 0.0, 1.0]));
    }

    #[test]
    fn far_away_models_move_the_origin() {
        let mut batches = Batches::default();
        let mut segments = vec![
            [500_000.4, 6_000_000.0, 10.0],
            [500_001.4, 6_000_000.0, 10.0],
        ];
        batches
            .add_segments(&mut segments, &Transform::IDENTITY, [0, 0, 0, 255], WALL)
            .unwrap();
        assert_eq!(batches.frame.origin(), [500_000.0, 6_000_000.0, 10.0]);
        let positions = &batches.lines[0].positions;
        assert!((positions[0][0] - 0.4).abs() < 1e-6);
        let bounds = batches.frame.bounds().unwrap();
        assert!((bounds.size()[0] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn ranges_per_object_for_lines_and_points() {
        let mut batches = Batches::default();
        let other = Owner {
            id: "grid",
            speckle_type: "Objects.BuiltElements.GridLine",
        };
        let black = [0, 0, 0, 255];
        let mut segment = vec![[0.0; 3], [1.0, 0.0, 0.0]];
        batches
            .add_segments(&mut segment.clone(), &Transform::IDENTITY, black, WALL)
            .unwrap();
        batches
            .add_segments(&mut segment, &Transform::IDENTITY, black, other)
            .unwrap();
        let ranges = &batches.lines[0].objects;
        assert_eq!(ranges.len(), 2);
        assert_eq!((ranges[1].first_index, ranges[1].index_count), (2, 2));

        let mut points = vec![[0.0; 3], [1.0; 3]];
        let colors = [[9, 9, 9, 255]; 2];
        batches
            .add_points(&mut points, &colors, &Transform::IDENTITY, black, WALL)
            .unwrap();
        assert_eq!(batches.points[0].colors.as_ref().unwrap().len(), 2);
    }

    #[test]
    fn non_finite_results_are_refused() {
        let mut batches = Batches::default();
        let huge = Transform::from_row_major(&[
            1e308, 0.0, 0.0, 0.0, 0.0, 1e308, 0.0, 0.0, 0.0, 0.0, 1e308, 0.0, 0.0, 0.0, 0.0, 1.0,
        ]);
        let mut points = vec![[10.0; 3]];
        assert!(batches
            .add_points(&mut points, &[], &huge, [0; 4], WALL)
            .is_err());
        assert!(batches.points.is_empty());
    }

    #[test]
    fn bounds_helpers() {
        let bounds = Bounds {
            min: [0.0, 0.0, 0.0],
            max: [2.0, 4.0, 4.0],
        };
        assert_eq!(bounds.center(), [1.0, 2.0, 2.0]);
        assert_eq!(bounds.size(), [2.0, 4.0, 4.0]);
        assert_eq!(bounds.radius(), 3.0);
    }
}
