//! Colouring a scene object by object, whatever its materials say: comparing two versions draws
//! added elements green, changed ones amber, the rest grey, and the older version's removed
//! elements red and see-through beside them (`Scene::with_objects_of`).

use std::collections::{HashMap, HashSet};

use crate::batches::{LineBatch, MeshBatch, ObjectRange, PointBatch};
use crate::material::Material;
use crate::scene::Scene;

/// The colour each object is drawn in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Paint {
    /// sRGB and alpha by object id; alpha below 255 draws the object see-through.
    pub colors: HashMap<String, [u8; 4]>,
    /// Every other object's colour.
    pub rest: [u8; 4],
}

impl Paint {
    fn of(&self, object_id: &str) -> [u8; 4] {
        self.colors.get(object_id).copied().unwrap_or(self.rest)
    }
}

impl Scene {
    /// This scene with every object drawn in its paint: one mesh batch per colour (vertex
    /// colours dropped), lines and points in their object's colour made opaque.
    pub fn painted(&self, paint: &Paint) -> Scene {
        let mut meshes: Vec<MeshBatch> = Vec::new();
        let mut by_color: HashMap<[u8; 4], usize> = HashMap::new();
        for batch in &self.meshes {
            for range in &batch.objects {
                let color = paint.of(&range.object_id);
                let at = *by_color.entry(color).or_insert_with(|| {
                    meshes.push(empty_mesh(color));
                    meshes.len() - 1
                });
                copy_triangles(batch, range, &mut meshes[at]);
            }
        }
        let opaque = |id: &str| {
            let [r, g, b, _] = paint.of(id);
            [r, g, b, 255]
        };
        let lines = self
            .lines
            .iter()
            .flat_map(|batch| {
                per_object(&batch.positions, &batch.objects).map(|(range, positions)| LineBatch {
                    color: opaque(&range.object_id),
                    positions: positions.to_vec(),
                    objects: vec![whole(range)],
                })
            })
            .collect();
        let points = self
            .points
            .iter()
            .flat_map(|batch| {
                per_object(&batch.positions, &batch.objects).map(|(range, positions)| PointBatch {
                    color: opaque(&range.object_id),
                    positions: positions.to_vec(),
                    colors: None,
                    objects: vec![whole(range)],
                })
            })
            .collect();
        Scene {
            origin: self.origin,
            meshes,
            lines,
            points,
            bounds: self.bounds,
            objects: self.objects.clone(),
            report: self.report.clone(),
        }
    }

    /// Adds what `other` (another version of the same model) draws for the objects in `ids`,
    /// moved onto this scene's origin; they can be picked, and framed, like this scene's own.
    pub fn with_objects_of(&mut self, other: &Scene, ids: &HashSet<String>) {
        let shift = [0, 1, 2].map(|k| (other.origin[k] - self.origin[k]) as f32);
        let moved = |p: &[f32; 3]| [0, 1, 2].map(|k| p[k] + shift[k]);
        for batch in &other.meshes {
            let mut copy = empty_mesh(batch.material.color);
            copy.material = batch.material;
            for range in batch.objects.iter().filter(|r| ids.contains(&r.object_id)) {
                copy_triangles(batch, range, &mut copy);
            }
            if copy.objects.is_empty() {
                continue;
            }
            copy.positions = copy.positions.iter().map(moved).collect();
            self.grow_bounds(&copy.positions);
            self.meshes.push(copy);
        }
        for batch in &other.lines {
            let wanted = per_object(&batch.positions, &batch.objects)
                .filter(|(range, _)| ids.contains(&range.object_id));
            for (range, positions) in wanted {
                let positions: Vec<[f32; 3]> = positions.iter().map(moved).collect();
                self.grow_bounds(&positions);
                self.lines.push(LineBatch {
                    color: batch.color,
                    positions,
                    objects: vec![whole(range)],
                });
            }
        }
    }

    fn grow_bounds(&mut self, positions: &[[f32; 3]]) {
        for p in positions {
            crate::Bounds::grow(&mut self.bounds, p);
        }
    }
}

fn empty_mesh(color: [u8; 4]) -> MeshBatch {
    MeshBatch {
        material: Material {
            color,
            opacity: color[3] as f32 / 255.0,
        },
        positions: Vec::new(),
        normals: Vec::new(),
        colors: None,
        indices: Vec::new(),
        objects: Vec::new(),
    }
}

/// Appends the object's triangles, with only the vertices they use, to `into`.
fn copy_triangles(from: &MeshBatch, range: &ObjectRange, into: &mut MeshBatch) {
    let Some(indices) = from.indices.get(range.span()) else {
        return;
    };
    let first = into.indices.len() as u32;
    let mut remap: HashMap<u32, u32> = HashMap::new();
    for &i in indices {
        let (Some(p), Some(n)) = (from.positions.get(i as usize), from.normals.get(i as usize))
        else {
            continue;
        };
        let at = *remap.entry(i).or_insert_with(|| {
            into.positions.push(*p);
            into.normals.push(*n);
            into.positions.len() as u32 - 1
        });
        into.indices.push(at);
    }
    into.objects.push(ObjectRange {
        first_index: first,
        index_count: into.indices.len() as u32 - first,
        ..range.clone()
    });
}

/// Each object of a line or point batch with the positions it drew.
fn per_object<'a>(
    positions: &'a [[f32; 3]],
    objects: &'a [ObjectRange],
) -> impl Iterator<Item = (&'a ObjectRange, &'a [[f32; 3]])> {
    objects
        .iter()
        .map(|range| (range, positions.get(range.span()).unwrap_or_default()))
}

/// A range that is the whole of a batch of its own.
fn whole(range: &ObjectRange) -> ObjectRange {
    ObjectRange {
        first_index: 0,
        ..range.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Bounds;

    fn range(id: &str, first: u32, count: u32) -> ObjectRange {
        ObjectRange {
            object_id: id.into(),
            speckle_type: "Objects.Geometry.Mesh".into(),
            first_index: first,
            index_count: count,
        }
    }

    /// Two triangles in one grey batch: object `a` at x = 0, object `b` at x = 5.
    fn scene(origin: [f64; 3]) -> Scene {
        let positions = vec![
            [0.0, 0.0, 0.0],
            [1.0, 0.0, 0.0],
            [0.0, 1.0, 0.0],
            [5.0, 0.0, 0.0],
            [6.0, 0.0, 0.0],
            [5.0, 1.0, 0.0],
        ];
        Scene {
            origin,
            meshes: vec![MeshBatch {
                material: Material::DEFAULT,
                normals: vec![[0.0, 0.0, 1.0]; positions.len()],
                positions,
                colors: Some(vec![[1, 2, 3, 255]; 6]),
                indices: vec![0, 1, 2, 3, 4, 5],
                objects: vec![range("a", 0, 3), range("b", 3, 3)],
            }],
            lines: vec![LineBatch {
                color: [0, 0, 0, 255],
                positions: vec![[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]],
                objects: vec![range("a", 0, 2)],
            }],
            bounds: Some(Bounds {
                min: [0.0, 0.0, 0.0],
                max: [6.0, 1.0, 1.0],
            }),
            ..Scene::default()
        }
    }

    #[test]
    fn each_object_is_drawn_in_its_colour() {
        let paint = Paint {
            colors: HashMap::from([("a".to_string(), [0, 200, 0, 255])]),
            rest: [200, 200, 200, 255],
        };
        let painted = scene([0.0; 3]).painted(&paint);
        assert_eq!(painted.meshes.len(), 2);
        let green = &painted.meshes[0];
        assert_eq!(green.material.color, [0, 200, 0, 255]);
        assert_eq!(green.colors, None, "vertex colours give way to the paint");
        assert_eq!(green.objects, vec![range("a", 0, 3)]);
        assert_eq!(green.positions[1], [1.0, 0.0, 0.0]);
        let grey = &painted.meshes[1];
        assert_eq!(grey.objects, vec![range("b", 0, 3)]);
        assert_eq!(
            grey.positions,
            vec![[5.0, 0.0, 0.0], [6.0, 0.0, 0.0], [5.0, 1.0, 0.0]]
        );
        assert_eq!(grey.indices, vec![0, 1, 2]);
        assert_eq!(painted.lines[0].color, [0, 200, 0, 255]);
        assert_eq!(painted.objects, scene([0.0; 3]).objects);
    }

    #[test]
    fn see_through_paint_makes_a_transparent_material() {
        let paint = Paint {
            colors: HashMap::from([("b".to_string(), [220, 40, 40, 90])]),
            rest: [200, 200, 200, 255],
        };
        let painted = scene([0.0; 3]).painted(&paint);
        let red = painted
            .meshes
            .iter()
            .find(|m| m.objects[0].object_id == "b")
            .unwrap();
        assert!(red.material.is_transparent());
        assert!((red.material.opacity - 90.0 / 255.0).abs() < 1e-6);
    }

    #[test]
    fn another_versions_objects_join_on_this_origin() {
        let mut newer = scene([0.0; 3]);
        let older = scene([10.0, 0.0, 0.0]);
        newer.with_objects_of(&older, &HashSet::from(["b".to_string()]));
        assert_eq!(newer.meshes.len(), 2);
        let added = &newer.meshes[1];
        assert_eq!(added.objects, vec![range("b", 0, 3)]);
        assert_eq!(
            added.positions[0],
            [15.0, 0.0, 0.0],
            "moved by the origins' difference"
        );
        assert_eq!(newer.bounds.unwrap().max[0], 16.0);
        assert!(newer.lines.len() == 1, "only the objects asked for");
    }
}
