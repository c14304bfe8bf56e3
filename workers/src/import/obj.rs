//! Wavefront OBJ: each object (`o`/`g`) becomes an element with a mesh per material, coloured
//! by its MTL material when the `.mtl` file was uploaded to the project too, or else by the
//! vertex colours the file gives (`v x y z r g b`), or else grey.

use std::collections::HashMap;
use std::io::{BufReader, Cursor};

use super::{Bounds, Converted, Failure};
use fleck_core::objects::build::{
    collection, element, material, mesh, vertex_colours, Detached, Objects,
};

/// The file name of a material library as written after `mtllib` (maybe with a folder).
fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path).trim()
}

/// The `mtllib` file names the OBJ text asks for, without their folders.
pub fn material_libraries(obj: &[u8]) -> Vec<String> {
    let mut names: Vec<String> = String::from_utf8_lossy(obj)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("mtllib "))
        .map(|path| file_name(path).to_string())
        .filter(|name| !name.is_empty())
        .collect();
    names.dedup();
    names
}

/// Converts an OBJ file; `libraries` holds the bytes of the `.mtl` files that were found, by
/// lower-case file name.
pub fn convert(
    name: &str,
    bytes: &[u8],
    libraries: &HashMap<String, Vec<u8>>,
    bounds: Bounds,
) -> Result<Converted, Failure> {
    let mut warnings = Vec::new();
    let options = tobj::LoadOptions {
        triangulate: true,
        single_index: true,
        // Points and lines would come out as triangles of no area.
        ignore_points: true,
        ignore_lines: true,
    };
    let (models, materials) =
        tobj::load_obj_buf(&mut BufReader::new(Cursor::new(bytes)), &options, |path| {
            let file = file_name(path.to_str().unwrap_or_default()).to_lowercase();
            match libraries.get(&file) {
                Some(mtl) => tobj::load_mtl_buf(&mut BufReader::new(Cursor::new(mtl))),
                None => Err(tobj::LoadError::OpenFileFailed),
            }
        })
        .map_err(|e| Failure(format!("not a readable OBJ file: {e}")))?;
    let materials = match materials {
        Ok(materials) => materials,
        Err(_) => {
            for library in material_libraries(bytes) {
                if !libraries.contains_key(&library.to_lowercase()) {
                    warnings.push(format!(
                        "{library} was not uploaded along with the OBJ file, so the model is grey; upload it just before the OBJ file and import that again for its colours"
                    ));
                } else {
                    warnings.push(format!("{library} is not a readable material library"));
                }
            }
            Vec::new()
        }
    };
    let mut objects = Objects::default();
    // Elements by object name, in file order: tobj splits an object at each change of material.
    let mut parts: Vec<(String, Vec<Detached>)> = Vec::new();
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
        let mut shape = mesh(&positions, &m.indices, colour);
        if m.vertex_color.len() == m.positions.len() && shape.get("renderMaterial").is_none() {
            shape.insert("colors".into(), vertex_colours(&m.vertex_color));
        }
        let shape = objects.store(shape, &[]);
        bounds.check_geometry(&objects)?;
        let title = if model.name.trim().is_empty() {
            format!("object {}", index + 1)
        } else {
            model.name.trim().to_string()
        };
        match parts.iter_mut().find(|(t, _)| *t == title) {
            Some((_, shapes)) => shapes.push(shape),
            None => parts.push((title, vec![shape])),
        }
    }
    if parts.is_empty() {
        return Err(Failure("the OBJ file has no faces to show".into()));
    }
    let mut elements = Vec::new();
    for (title, shapes) in &parts {
        let refs: Vec<_> = shapes.iter().collect();
        let mut part = element("Objects.Other.Element", title, &refs);
        part.insert("category".into(), serde_json::json!("OBJ objects"));
        elements.push(objects.store(part, &refs));
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
    use serde_json::{json, Value};

    const CUBE: &[u8] = include_bytes!("../../tests/fixtures/cube.obj");
    const CUBE_MTL: &[u8] = include_bytes!("../../tests/fixtures/cube.mtl");

    fn bounds() -> Bounds {
        Bounds::after(std::time::Duration::from_secs(30))
    }

    #[test]
    fn millions_of_faces_over_few_vertices_stop_at_the_geometry_limit() {
        let mut file = String::from("v 0 0 0\nv 1 0 0\nv 0 1 0\n");
        file.push_str(&"f 1 2 3\n".repeat(100_000));
        let small = bounds().with_geometry_limit(100_000);
        let Err(Failure(why)) = convert("many.obj", file.as_bytes(), &HashMap::new(), small) else {
            panic!("the faces were converted past the limit");
        };
        assert!(
            why.contains("more geometry than an import may hold"),
            "{why}"
        );
    }

    #[test]
    fn a_cube_becomes_one_element_with_a_mesh_per_mtl_colour() {
        let libraries = HashMap::from([("cube.mtl".to_string(), CUBE_MTL.to_vec())]);
        let converted = convert("cube.obj", CUBE, &libraries, bounds()).unwrap();
        assert!(converted.warnings.is_empty(), "{:?}", converted.warnings);
        let objects = converted.stored();
        let meshes: Vec<&Value> = objects
            .iter()
            .filter(|o| o["speckle_type"] == "Objects.Geometry.Mesh")
            .collect();
        assert_eq!(meshes.len(), 2, "the red sides and the blue top");
        let colours: Vec<&Value> = meshes
            .iter()
            .map(|m| &m["renderMaterial"]["diffuse"])
            .collect();
        assert!(
            colours.contains(&&json!(0xFFCC2222_u32 as i32)),
            "{colours:?}"
        );
        assert!(
            colours.contains(&&json!(0xFF2244CC_u32 as i32)),
            "{colours:?}"
        );
        // Six quads, each two triangles: [3, a, b, c] per triangle.
        let faces: usize = meshes
            .iter()
            .map(|m| m["faces"].as_array().unwrap().len())
            .sum();
        assert_eq!(faces, 12 * 4);
        let cube: Vec<&Value> = objects.iter().filter(|o| o["name"] == "cube").collect();
        assert_eq!(cube.len(), 1);
        assert_eq!(cube[0]["@displayValue"].as_array().unwrap().len(), 2);
        // The top (y = 2 in the Y-up file) is at z = 2; the cube spans 0..2 on every axis.
        for m in meshes {
            let zs: Vec<f64> = m["vertices"]
                .as_array()
                .unwrap()
                .iter()
                .skip(2)
                .step_by(3)
                .map(|v| v.as_f64().unwrap())
                .collect();
            assert!(zs.iter().all(|z| (0.0..=2.0).contains(z)), "{zs:?}");
        }
        let root = objects.last().unwrap();
        assert_eq!(root["speckle_type"], "Speckle.Core.Models.Collection");
        assert_eq!(root["totalChildrenCount"], json!(3));
    }

    #[test]
    fn without_its_mtl_the_cube_is_grey_with_a_warning() {
        let converted = convert("cube.obj", CUBE, &HashMap::new(), bounds()).unwrap();
        assert!(converted.warnings[0].contains("cube.mtl"));
        let objects = converted.stored();
        assert!(objects
            .iter()
            .filter(|o| o["speckle_type"] == "Objects.Geometry.Mesh")
            .all(|m| m.get("renderMaterial").is_none()));
        assert_eq!(material_libraries(CUBE), ["cube.mtl"]);
        assert_eq!(
            material_libraries(b"mtllib ./materials\\My Colours.mtl\n"),
            ["My Colours.mtl"]
        );
    }

    #[test]
    fn vertex_colours_are_kept_when_there_is_no_material() {
        let obj = b"v 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 0 1 0 0 0 1\nf 1 2 3\n";
        let converted = convert("t.obj", obj, &HashMap::new(), bounds()).unwrap();
        let objects = converted.stored();
        assert_eq!(
            objects[0]["colors"],
            json!([
                0xFFFF0000_u32 as i32,
                0xFF00FF00_u32 as i32,
                0xFF0000FF_u32 as i32
            ])
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(convert("x.obj", b"f 1 2 3\n", &HashMap::new(), bounds()).is_err());
        assert!(convert("x.obj", b"\x00\x01binary", &HashMap::new(), bounds()).is_err());
        assert!(convert("x.obj", b"v 0 0 0\nv 1 0 0\n", &HashMap::new(), bounds()).is_err());
        let lines = b"v 0 0 0\nv 1 0 0\nl 1 2\np 1\n";
        assert!(convert("x.obj", lines, &HashMap::new(), bounds()).is_err());
    }
}
