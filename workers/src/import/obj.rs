//! Wavefront OBJ: each object (`o`/`g`) becomes a mesh, coloured by its MTL material when the
//! `.mtl` file was uploaded to the project too.

use std::collections::HashMap;
use std::io::{BufReader, Cursor};

use super::speckle::{collection, element, material, mesh, Objects};
use super::{Converted, Failure};

/// `mtllib` file names the OBJ text asks for.
pub fn material_libraries(obj: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(obj)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("mtllib "))
        .flat_map(|names| names.split_whitespace())
        .map(str::to_string)
        .collect()
}

/// Converts an OBJ file; `libraries` holds the bytes of the `.mtl` files that were found.
pub fn convert(
    name: &str,
    bytes: &[u8],
    libraries: &HashMap<String, Vec<u8>>,
) -> Result<Converted, Failure> {
    let mut warnings = Vec::new();
    let options = tobj::LoadOptions {
        triangulate: true,
        single_index: true,
        ..Default::default()
    };
    let (models, materials) =
        tobj::load_obj_buf(&mut BufReader::new(Cursor::new(bytes)), &options, |path| {
            let file = path
                .file_name()
                .and_then(|f| f.to_str())
                .unwrap_or_default();
            match libraries.get(file) {
                Some(mtl) => tobj::load_mtl_buf(&mut BufReader::new(Cursor::new(mtl))),
                None => Err(tobj::LoadError::OpenFileFailed),
            }
        })
        .map_err(|e| Failure(format!("not a readable OBJ file: {e}")))?;
    let materials = match materials {
        Ok(materials) => materials,
        Err(_) => {
            for library in material_libraries(bytes) {
                if !libraries.contains_key(&library) {
                    warnings.push(format!(
                        "{library} was not uploaded to the project, so the model is grey; upload it and import again for its colours"
                    ));
                }
            }
            Vec::new()
        }
    };
    let mut objects = Objects::default();
    let mut elements = Vec::new();
    for (index, model) in models.iter().enumerate() {
        let m = &model.mesh;
        if m.indices.is_empty() {
            continue;
        }
        if m.positions.len() % 3 != 0
            || m.indices
                .iter()
                .any(|&i| i as usize * 3 >= m.positions.len())
        {
            return Err(Failure(format!(
                "object {} refers to vertices that are not there",
                model.name
            )));
        }
        // OBJ files are Y-up by convention; Speckle is Z-up.
        let positions: Vec<f64> = m
            .positions
            .chunks_exact(3)
            .flat_map(|p| [p[0] as f64, -(p[2] as f64), p[1] as f64])
            .collect();
        let colour = m.material_id.and_then(|id| materials.get(id)).map(|mat| {
            let [r, g, b] = mat.diffuse.unwrap_or([0.8, 0.8, 0.8]);
            material(&mat.name, [r, g, b, mat.dissolve.unwrap_or(1.0)])
        });
        let shape = objects.store(mesh(&positions, &m.indices, colour), &[]);
        let title = if model.name.is_empty() {
            format!("object {}", index + 1)
        } else {
            model.name.clone()
        };
        let mut part = element("Objects.Other.Element", &title, &[&shape]);
        part.insert("category".into(), serde_json::json!("OBJ objects"));
        elements.push(objects.store(part, &[&shape]));
    }
    if elements.is_empty() {
        return Err(Failure("the OBJ file has no faces to show".into()));
    }
    let refs: Vec<_> = elements.iter().collect();
    let root = objects.store(collection(name, "OBJ file", &refs), &refs);
    Ok(Converted {
        objects,
        root,
        warnings,
        parser: "tobj",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CUBE: &str =
        "mtllib cube.mtl\no cube\nv 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nusemtl red\nf 1 2 3 4\n";

    #[test]
    fn objects_become_meshes_with_their_mtl_colour() {
        let mtl = b"newmtl red\nKd 1 0 0\n".to_vec();
        let libraries = HashMap::from([("cube.mtl".to_string(), mtl)]);
        let converted = convert("cube.obj", CUBE.as_bytes(), &libraries).unwrap();
        assert!(converted.warnings.is_empty());
        let mesh: serde_json::Value =
            serde_json::from_str(&converted.objects.list[0].data).unwrap();
        assert_eq!(
            mesh["faces"].as_array().unwrap().len(),
            8,
            "a quad becomes two triangles"
        );
        assert_eq!(
            mesh["renderMaterial"]["diffuse"],
            serde_json::json!(0xFFFF0000_u32 as i32)
        );
        // Y up in the file becomes Z up.
        assert_eq!(mesh["vertices"][8], serde_json::json!(1.0));
    }

    #[test]
    fn a_missing_mtl_is_a_warning_and_garbage_is_an_error() {
        let converted = convert("cube.obj", CUBE.as_bytes(), &HashMap::new()).unwrap();
        assert!(converted.warnings[0].contains("cube.mtl"));
        assert!(convert("x.obj", b"f 1 2 3\n", &HashMap::new()).is_err());
        assert!(convert("x.obj", b"\x00\x01binary", &HashMap::new()).is_err());
        assert_eq!(material_libraries(CUBE.as_bytes()), ["cube.mtl"]);
    }
}
