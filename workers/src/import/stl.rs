//! STL, ASCII or binary: one mesh.

use std::io::Cursor;

use super::speckle::{collection, element, material, mesh, Objects};
use super::{Converted, Failure};

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

    fn binary_triangle() -> Vec<u8> {
        let mut stl = vec![0u8; 80];
        stl.extend_from_slice(&1u32.to_le_bytes());
        for v in [
            0.0f32, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0, 0.0,
        ] {
            stl.extend_from_slice(&v.to_le_bytes());
        }
        stl.extend_from_slice(&[0, 0]);
        stl
    }

    #[test]
    fn ascii_and_binary_files_become_one_mesh() {
        let ascii = "solid t\nfacet normal 0 0 1\nouter loop\nvertex 0 0 0\nvertex 1 0 0\nvertex 0 1 0\nendloop\nendfacet\nendsolid t\n";
        for bytes in [ascii.as_bytes().to_vec(), binary_triangle()] {
            let converted = convert("part.stl", &bytes).unwrap();
            let mesh: serde_json::Value =
                serde_json::from_str(&converted.objects.list[0].data).unwrap();
            assert_eq!(mesh["faces"].as_array().unwrap().len(), 4);
            assert_eq!(mesh["vertices"].as_array().unwrap().len(), 9);
        }
        assert!(convert("bad.stl", b"solid nothing but words").is_err());
        assert!(convert("bad.stl", &[1, 2, 3]).is_err());
    }
}
