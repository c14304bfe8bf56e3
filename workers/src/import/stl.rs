//! STL, ASCII or binary: one mesh.

use std::io::Cursor;

use super::{Converted, Failure};
use fleck_core::objects::build::{collection, element, material, mesh, Objects};

pub fn convert(name: &str, bytes: &[u8]) -> Result<Converted, Failure> {
    let stl = stl_io::read_stl(&mut Cursor::new(bytes))
        .map_err(|e| Failure(format!("not a readable STL file: {e}")))?;
    if stl.faces.is_empty() {
        return Err(Failure("the STL file has no triangles".into()));
    }
    let positions: Vec<f64> = stl
        .vertices
        .iter()
        .flat_map(|v| [v[0] as f64, v[1] as f64, v[2] as f64])
        .collect();
    let mut triangles = Vec::with_capacity(stl.faces.len() * 3);
    for face in &stl.faces {
        for &i in &face.vertices {
            if i >= stl.vertices.len() {
                return Err(Failure(
                    "a triangle refers to a vertex that is not there".into(),
                ));
            }
            triangles.push(i as u32);
        }
    }
    let mut objects = Objects::default();
    let grey = material("STL", [0.75, 0.76, 0.78, 1.0]);
    let shape = objects.store(mesh(&positions, &triangles, Some(grey)), &[]);
    let mut part = element("Objects.Other.Element", name, &[&shape]);
    part.insert("category".into(), serde_json::json!("STL solids"));
    let part = objects.store(part, &[&shape]);
    let root = objects.store(collection(name, "STL file", &[&part]), &[&part]);
    Ok(Converted {
        objects,
        root,
        warnings: Vec::new(),
        parser: "stl_io",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const ASCII: &[u8] = include_bytes!("../../tests/fixtures/cube_ascii.stl");
    const BINARY: &[u8] = include_bytes!("../../tests/fixtures/cube_binary.stl");

    #[test]
    fn ascii_and_binary_cubes_become_the_same_mesh() {
        let mut ids = Vec::new();
        for bytes in [ASCII, BINARY] {
            let converted = convert("cube.stl", bytes).unwrap();
            let mesh: Value = serde_json::from_str(&converted.objects.list[0].data).unwrap();
            // Twelve triangles over the cube's eight corners, shared.
            assert_eq!(mesh["faces"].as_array().unwrap().len(), 12 * 4);
            assert_eq!(mesh["vertices"].as_array().unwrap().len(), 8 * 3);
            assert_eq!(converted.objects.list.len(), 3, "mesh, element, file");
            ids.push(converted.root.id);
        }
        assert_eq!(ids[0], ids[1], "both files hold the same cube");
    }

    #[test]
    fn damaged_files_fail_with_a_reason() {
        assert!(convert("bad.stl", b"solid nothing but words").is_err());
        assert!(convert("bad.stl", &[1, 2, 3]).is_err());
        // A binary file cut short: its header promises twelve triangles.
        assert!(convert("bad.stl", &BINARY[..BINARY.len() - 60]).is_err());
    }
}
