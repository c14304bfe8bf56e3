//! Helpers for writing Speckle objects by hand.

#![allow(dead_code)]

use fleck_viewer::{MeshBatch, ObjectSource, Scene};
use serde_json::{json, Value};

pub fn source(objects: Vec<Value>) -> ObjectSource {
    let mut source = ObjectSource::new();
    for object in objects {
        assert!(source.insert(object), "test objects need ids");
    }
    source
}

pub fn build(objects: Vec<Value>) -> Scene {
    Scene::build(&source(objects), "root")
}

/// A Speckle reference to a detached object.
pub fn r(id: &str) -> Value {
    json!({ "referencedId": id, "speckle_type": "reference" })
}

pub fn refs(ids: &[&str]) -> Value {
    Value::Array(ids.iter().map(|id| r(id)).collect())
}

pub fn root(elements: &[&str]) -> Value {
    json!({ "id": "root", "speckle_type": "Base", "@elements": refs(elements) })
}

pub fn mesh(id: &str, vertices: Value, faces: Value) -> Value {
    json!({
        "id": id,
        "speckle_type": "Objects.Geometry.Mesh",
        "vertices": vertices,
        "faces": faces,
        "units": "m"
    })
}

/// A right triangle at the origin, legs of one unit along X and Y.
pub fn triangle(id: &str) -> Value {
    mesh(id, json!([0, 0, 0, 1, 0, 0, 0, 1, 0]), json!([3, 0, 1, 2]))
}

pub fn chunk(id: &str, data: Value) -> Value {
    json!({ "id": id, "speckle_type": "Speckle.Core.Models.DataChunk", "data": data })
}

pub fn material(argb: i64, opacity: f64) -> Value {
    json!({ "speckle_type": "Objects.Other.RenderMaterial", "diffuse": argb, "opacity": opacity })
}

/// Row-major translation by (x, y, z).
pub fn translation(x: f64, y: f64, z: f64) -> Value {
    json!([1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, z, 0, 0, 0, 1])
}

/// The triangles of a batch as world positions.
pub fn triangles(batch: &MeshBatch) -> Vec<[[f32; 3]; 3]> {
    batch
        .indices
        .chunks(3)
        .map(|t| [0, 1, 2].map(|k| batch.positions[t[k] as usize]))
        .collect()
}

/// Twice the signed area of a triangle's projection on XY: positive when counter-clockwise seen
/// from above.
pub fn turn(a: [f32; 3], b: [f32; 3], c: [f32; 3]) -> f32 {
    (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
}

pub fn close(a: [f32; 3], b: [f32; 3]) -> bool {
    (0..3).all(|k| (a[k] - b[k]).abs() < 1e-5)
}

/// Whether `expected` is among the positions a batch's triangles use.
pub fn has_vertex(batch: &MeshBatch, expected: [f32; 3]) -> bool {
    batch
        .indices
        .iter()
        .any(|&i| close(batch.positions[i as usize], expected))
}

/// A synthetic model: `count` floor elements, each a 10 × 5 grid of quads (100 triangles) in
/// one of four materials, with vertices and faces chunked as Speckle sends them.
pub fn synthetic_model(count: usize) -> ObjectSource {
    let mut source = ObjectSource::new();
    let mut elements = Vec::new();
    for e in 0..count {
        let (x0, y0) = ((e % 40) as f64 * 12.0, (e / 40) as f64 * 7.0);
        let mut vertices = Vec::new();
        for j in 0..=5 {
            for i in 0..=10 {
                vertices.extend([x0 + i as f64, y0 + j as f64, (i * j) as f64 * 0.01]);
            }
        }
        let mut faces = Vec::new();
        for j in 0..5 {
            for i in 0..10 {
                let v = j * 11 + i;
                faces.extend([4, v, v + 1, v + 12, v + 11]);
            }
        }
        let (vertices_a, vertices_b) = vertices.split_at(99);
        source.insert(chunk(&format!("v{e}a"), json!(vertices_a)));
        source.insert(chunk(&format!("v{e}b"), json!(vertices_b)));
        source.insert(chunk(&format!("f{e}"), json!(faces)));
        source.insert(json!({
            "id": format!("m{e}"),
            "speckle_type": "Objects.Geometry.Mesh",
            "units": "m",
            "vertices": refs(&[&format!("v{e}a"), &format!("v{e}b")]),
            "faces": [r(&format!("f{e}"))],
            "renderMaterial": material(-16777216 + (e % 4) as i64 * 40, 1.0)
        }));
        source.insert(json!({
            "id": format!("e{e}"),
            "speckle_type": "Objects.BuiltElements.Floor:Objects.BuiltElements.Revit.RevitFloor",
            "category": "Floors",
            "displayValue": [r(&format!("m{e}"))]
        }));
        elements.push(r(&format!("e{e}")));
    }
    source.insert(json!({ "id": "root", "speckle_type": "Base", "@Floors": elements }));
    source
}
