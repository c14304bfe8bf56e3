//! glTF 2.0, as `.glb` or `.gltf` with embedded buffers: every node with a mesh becomes an
//! element, its primitives meshes in their base colours, placed by the node hierarchy.

use super::speckle::{collection, element, material, mesh, Detached, Objects};
use super::{Converted, Failure};

type Matrix = [[f32; 4]; 4];

const IDENTITY: Matrix = [
    [1.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0],
    [0.0, 0.0, 1.0, 0.0],
    [0.0, 0.0, 0.0, 1.0],
];

/// `a · b` for column-major matrices.
fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    let mut out = [[0.0; 4]; 4];
    for (col, out_col) in out.iter_mut().enumerate() {
        for (row, value) in out_col.iter_mut().enumerate() {
            *value = (0..4).map(|k| a[k][row] * b[col][k]).sum();
        }
    }
    out
}

fn transform(m: &Matrix, p: [f32; 3]) -> [f64; 3] {
    let mut out = [0.0f64; 3];
    for (row, value) in out.iter_mut().enumerate() {
        *value = (m[0][row] * p[0] + m[1][row] * p[1] + m[2][row] * p[2] + m[3][row]) as f64;
    }
    out
}

struct Walk<'a> {
    buffers: &'a [gltf::buffer::Data],
    objects: Objects,
    elements: Vec<Detached>,
    warnings: Vec<String>,
}

impl Walk<'_> {
    fn node(&mut self, node: gltf::Node, parent: &Matrix, depth: usize) -> Result<(), Failure> {
        if depth > 64 {
            return Err(Failure("the node hierarchy is too deep (a cycle?)".into()));
        }
        let world = multiply(parent, &node.transform().matrix());
        if let Some(shape) = node.mesh() {
            let mut parts = Vec::new();
            for primitive in shape.primitives() {
                if primitive.mode() != gltf::mesh::Mode::Triangles {
                    self.warnings
                        .push(format!("{:?} primitives are skipped", primitive.mode()));
                    continue;
                }
                let reader = primitive.reader(|b| self.buffers.get(b.index()).map(|d| &d.0[..]));
                let Some(points) = reader.read_positions() else {
                    continue;
                };
                let mut positions = Vec::new();
                for p in points {
                    let [x, y, z] = transform(&world, p);
                    // glTF is Y-up; Speckle is Z-up.
                    positions.extend_from_slice(&[x, -z, y]);
                }
                let count = (positions.len() / 3) as u32;
                let indices: Vec<u32> = match reader.read_indices() {
                    Some(indices) => indices.into_u32().collect(),
                    None => (0..count).collect(),
                };
                if indices.iter().any(|&i| i >= count) {
                    return Err(Failure(
                        "a primitive refers to vertices that are not there".into(),
                    ));
                }
                let pbr = primitive.material().pbr_metallic_roughness();
                let name = primitive
                    .material()
                    .name()
                    .unwrap_or("glTF material")
                    .to_string();
                let colour = material(&name, pbr.base_color_factor());
                parts.push(
                    self.objects
                        .store(mesh(&positions, &indices, Some(colour)), &[]),
                );
            }
            if !parts.is_empty() {
                let refs: Vec<_> = parts.iter().collect();
                let title = node.name().or(shape.name()).unwrap_or("glTF node");
                let mut part = element("Objects.Other.Element", title, &refs);
                part.insert("category".into(), serde_json::json!("glTF meshes"));
                let stored = self.objects.store(part, &refs);
                self.elements.push(stored);
            }
        }
        for child in node.children() {
            self.node(child, &world, depth + 1)?;
        }
        Ok(())
    }
}

pub fn convert(name: &str, bytes: &[u8]) -> Result<Converted, Failure> {
    let (document, buffers, _) =
        gltf::import_slice(bytes).map_err(|e| Failure(format!("not a readable glTF file: {e}")))?;
    let mut walk = Walk {
        buffers: &buffers,
        objects: Objects::default(),
        elements: Vec::new(),
        warnings: Vec::new(),
    };
    let scene = document
        .default_scene()
        .or_else(|| document.scenes().next())
        .ok_or_else(|| Failure("the glTF file has no scene".into()))?;
    for node in scene.nodes() {
        walk.node(node, &IDENTITY, 0)?;
    }
    if walk.elements.is_empty() {
        return Err(Failure("the glTF scene has no triangle meshes".into()));
    }
    let mut objects = walk.objects;
    let refs: Vec<_> = walk.elements.iter().collect();
    let root = objects.store(collection(name, "glTF file", &refs), &refs);
    walk.warnings.dedup();
    Ok(Converted {
        objects,
        root,
        warnings: walk.warnings,
        parser: "gltf",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One red triangle in a node moved 10 m along +X.
    const ROOF: &[u8] = include_bytes!("../../tests/fixtures/roof.glb");

    #[test]
    fn nodes_become_elements_placed_and_coloured() {
        let converted = convert("roof.glb", ROOF).unwrap();
        let mesh: serde_json::Value =
            serde_json::from_str(&converted.objects.list[0].data).unwrap();
        assert_eq!(
            mesh["vertices"][0],
            serde_json::json!(10.0),
            "the node's translation applies"
        );
        // (0, 1, 0) in glTF's Y-up is (0, 0, 1) in Z-up.
        assert_eq!(mesh["vertices"][8], serde_json::json!(1.0));
        assert_eq!(
            mesh["renderMaterial"]["diffuse"],
            serde_json::json!(0xFFFF0000_u32 as i32)
        );
        let element: serde_json::Value =
            serde_json::from_str(&converted.objects.list[1].data).unwrap();
        assert_eq!(element["name"], "roof");
    }

    #[test]
    fn broken_files_fail_with_a_reason() {
        assert!(convert("x.glb", b"glTF\x02\x00\x00\x00").is_err());
        assert!(convert("x.gltf", b"{\"asset\":{\"version\":\"2.0\"}}").is_err());
    }
}
