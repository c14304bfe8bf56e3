//! Reading a Speckle `Objects.Geometry.Mesh` into triangles, in metres.
//!
//! `vertices` is flat `[x, y, z, x, y, z, …]`; `faces` is a run of faces, each its vertex count
//! `n` and then `n` vertex indices. Very old data wrote `0` for triangles and `1` for quads.
//! `colors` holds one ARGB integer per vertex; `vertexNormals`, when a sender includes them,
//! one normal per vertex. Any of these may be chunked.

use serde_json::{Map, Value};

use crate::material::{argb_of, argb_to_rgba};
use crate::math::Vec3;
use crate::objects::ObjectSource;
use crate::points::read_points;
use crate::report::Skip;
use crate::transform::units_of;
use crate::triangulate::Triangulator;
use crate::units::metres_per_unit;

/// One mesh, read. Kept between meshes so its buffers are reused.
#[derive(Debug, Default)]
pub(crate) struct MeshData {
    /// Metres, in the mesh's own frame (before any instance transform).
    pub(crate) positions: Vec<Vec3>,
    pub(crate) triangles: Vec<[u32; 3]>,
    /// One per vertex, or empty.
    pub(crate) colors: Vec<[u8; 4]>,
    /// The sender's normals, one per vertex, or empty.
    pub(crate) normals: Vec<Vec3>,
    triangulator: Triangulator,
    polygon: Vec<u32>,
}

/// A box's 12 triangles over its corners, numbered by bits: x is bit 0, y bit 1, z bit 2.
const BOX_TRIANGLES: [[u32; 3]; 12] = [
    [0, 2, 1],
    [1, 2, 3],
    [4, 5, 6],
    [5, 7, 6],
    [0, 1, 4],
    [1, 5, 4],
    [2, 6, 3],
    [3, 6, 7],
    [0, 4, 2],
    [2, 4, 6],
    [1, 3, 5],
    [3, 7, 5],
];

impl MeshData {
    /// Replaces the mesh with its axis-aligned bounding box (its colour given by the
    /// material); false, leaving it as it is, when it has no more triangles than a box.
    pub(crate) fn replace_with_bounding_box(&mut self) -> bool {
        if self.triangles.len() <= BOX_TRIANGLES.len() {
            return false;
        }
        let (mut low, mut high) = ([f64::INFINITY; 3], [f64::NEG_INFINITY; 3]);
        for point in &self.positions {
            for axis in 0..3 {
                low[axis] = low[axis].min(point[axis]);
                high[axis] = high[axis].max(point[axis]);
            }
        }
        self.positions.clear();
        for corner in 0..8 {
            let pick = |axis: usize| {
                if corner >> axis & 1 == 1 {
                    high[axis]
                } else {
                    low[axis]
                }
            };
            self.positions.push([pick(0), pick(1), pick(2)]);
        }
        self.triangles.clear();
        self.triangles.extend_from_slice(&BOX_TRIANGLES);
        self.colors.clear();
        self.normals.clear();
        true
    }

    /// Reads `mesh`, whose `units` default to `inherited_units`. On error the mesh is to be
    /// skipped whole: a broken index means the sender's data cannot be trusted.
    pub(crate) fn read(
        &mut self,
        source: &ObjectSource,
        mesh: &Map<String, Value>,
        inherited_units: Option<&str>,
    ) -> Result<(), Skip> {
        self.positions.clear();
        self.triangles.clear();
        self.colors.clear();
        self.normals.clear();
        let scale = metres_per_unit(units_of(mesh).or(inherited_units));
        let vertices = mesh
            .get("vertices")
            .ok_or_else(|| Skip::malformed("mesh has no vertices"))?;
        read_points(source, vertices, scale, &mut self.positions)?;
        if self.positions.len() > u32::MAX as usize {
            return Err(Skip::malformed("mesh has too many vertices"));
        }
        let faces = mesh
            .get("faces")
            .ok_or_else(|| Skip::malformed("mesh has no faces"))?;
        self.read_faces(source, faces)?;
        if let Some(colors) = mesh.get("colors") {
            self.read_colors(source, colors);
        }
        if let Some(normals) = mesh.get("vertexNormals") {
            self.read_normals(source, normals);
        }
        Ok(())
    }

    fn read_faces(&mut self, source: &ObjectSource, faces: &Value) -> Result<(), Skip> {
        let faces = source.flat_array(faces)?;
        let vertex_count = self.positions.len() as u64;
        let mut items = faces.iter();
        while let Some(head) = items.next() {
            let n =
                match index_of(head).ok_or_else(|| Skip::malformed("face size is not a count"))? {
                    0 => 3,
                    1 => 4,
                    2 => return Err(Skip::malformed("face with two vertices")),
                    n => n,
                };
            self.polygon.clear();
            for _ in 0..n {
                let index = items
                    .next()
                    .ok_or_else(|| Skip::malformed("last face runs past the end of faces"))?;
                let index = index_of(index)
                    .filter(|&i| i < vertex_count)
                    .ok_or_else(|| Skip::malformed("face index out of range"))?;
                self.polygon.push(index as u32);
            }
            self.triangulator
                .triangulate(&self.positions, &self.polygon, &mut self.triangles);
        }
        Ok(())
    }

    /// Per-vertex colours, kept only when there is exactly one per vertex.
    fn read_colors(&mut self, source: &ObjectSource, colors: &Value) {
        let Ok(colors) = source.flat_array(colors) else {
            return;
        };
        if colors.len() != self.positions.len() || colors.is_empty() {
            return;
        }
        for color in colors.iter() {
            let Some(argb) = argb_of(color) else {
                self.colors.clear();
                return;
            };
            self.colors.push(argb_to_rgba(argb));
        }
    }

    /// The sender's normals, kept only when there is exactly one per vertex.
    fn read_normals(&mut self, source: &ObjectSource, normals: &Value) {
        if read_points(source, normals, 1.0, &mut self.normals).is_err()
            || self.normals.len() != self.positions.len()
        {
            self.normals.clear();
        }
    }
}

/// A non-negative integer, written as an integer or as a float holding one.
fn index_of(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|v| *v >= 0.0 && v.fract() == 0.0 && *v < u64::MAX as f64)
            .map(|v| v as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(source: &ObjectSource, mesh: Value) -> Result<MeshData, Skip> {
        let mut data = MeshData::default();
        data.read(source, mesh.as_object().unwrap(), None)?;
        Ok(data)
    }

    fn unit_square(faces: Value) -> Value {
        json!({
            "speckle_type": "Objects.Geometry.Mesh",
            "vertices": [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0],
            "faces": faces,
            "units": "m"
        })
    }

    #[test]
    fn reads_triangles_quads_and_legacy_counts() {
        let source = ObjectSource::new();
        assert_eq!(
            read(&source, unit_square(json!([3, 0, 1, 2])))
                .unwrap()
                .triangles
                .len(),
            1
        );
        assert_eq!(
            read(&source, unit_square(json!([4, 0, 1, 2, 3])))
                .unwrap()
                .triangles
                .len(),
            2
        );
        // Legacy: 0 meant a triangle, 1 a quad.
        let legacy = read(&source, unit_square(json!([0, 0, 1, 2, 1, 0, 1, 2, 3]))).unwrap();
        assert_eq!(legacy.triangles.len(), 3);
        assert_eq!(legacy.triangles[0], [0, 1, 2]);
    }

    #[test]
    fn converts_units_and_inherits_them() {
        let source = ObjectSource::new();
        let mut mesh = unit_square(json!([3, 0, 1, 2]));
        mesh["units"] = json!("mm");
        assert_eq!(
            read(&source, mesh.clone()).unwrap().positions[2],
            [0.001, 0.001, 0.0]
        );
        mesh.as_object_mut().unwrap().remove("units");
        let mut data = MeshData::default();
        data.read(&source, mesh.as_object().unwrap(), Some("ft"))
            .unwrap();
        assert_eq!(data.positions[1], [0.3048, 0.0, 0.0]);
    }

    #[test]
    fn rejects_broken_meshes() {
        let source = ObjectSource::new();
        let broken = [
            unit_square(json!([3, 0, 1, 9])),
            unit_square(json!([3, 0, 1])),
            unit_square(json!([2, 0, 1])),
            unit_square(json!([3, 0, -1, 2])),
            unit_square(json!([3, 0, "a", 2])),
            json!({ "vertices": [0, 0], "faces": [] }),
            json!({ "vertices": [0, 0, null], "faces": [] }),
            json!({ "vertices": [0, 0, 1e308], "faces": [], "units": "km" }),
            json!({ "faces": [] }),
            json!({ "vertices": [] }),
        ];
        for mesh in broken {
            assert!(
                matches!(read(&source, mesh.clone()), Err(Skip::Malformed(_))),
                "{mesh}"
            );
        }
    }

    #[test]
    fn keeps_colours_and_normals_only_one_per_vertex() {
        let source = ObjectSource::new();
        let mut mesh = unit_square(json!([4, 0, 1, 2, 3]));
        mesh["colors"] = json!([-65536, -16711936, -16776961, -1]);
        mesh["vertexNormals"] = json!([0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
        let data = read(&source, mesh.clone()).unwrap();
        assert_eq!(data.colors[0], [255, 0, 0, 255]);
        assert_eq!(data.colors[3], [255, 255, 255, 255]);
        assert_eq!(data.normals.len(), 4);

        mesh["colors"] = json!([-65536]);
        mesh["vertexNormals"] = json!([0, 0, 1]);
        let data = read(&source, mesh).unwrap();
        assert!(data.colors.is_empty());
        assert!(data.normals.is_empty());
    }

    #[test]
    fn reads_chunked_arrays() {
        let mut source = ObjectSource::new();
        let chunk = |id: &str, data: Value| json!({ "id": id, "speckle_type": "Speckle.Core.Models.DataChunk", "data": data });
        source.insert(chunk("v1", json!([0, 0, 0, 1, 0])));
        source.insert(chunk("v2", json!([0, 1, 1, 0])));
        source.insert(chunk("f1", json!([3, 0, 1])));
        source.insert(chunk("f2", json!([2])));
        let mesh = json!({
            "vertices": [{ "referencedId": "v1" }, { "referencedId": "v2" }],
            "faces": [{ "referencedId": "f1" }, { "referencedId": "f2" }]
        });
        let data = read(&source, mesh.clone()).unwrap();
        assert_eq!(
            data.positions,
            vec![[0.0; 3], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
        );
        assert_eq!(data.triangles, vec![[0, 1, 2]]);

        let mut partial = ObjectSource::new();
        partial.insert(chunk("v1", json!([0, 0, 0])));
        assert_eq!(read(&partial, mesh).err(), Some(Skip::Missing("v2".into())));
    }
}
