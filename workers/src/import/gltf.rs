//! glTF 2.0, as `.glb` or `.gltf` with its buffers embedded (`data:` URIs): every node with a
//! mesh becomes an element, its triangle primitives meshes in their base colours, placed by the
//! node hierarchy (each use of a shared mesh placed on its own). Textures are not read.

use super::{Bounds, Converted, Failure};
use fleck_core::objects::build::{collection, element, material, mesh, Detached, Objects};

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
    bounds: Bounds,
}

impl Walk<'_> {
    fn node(&mut self, node: gltf::Node, parent: &Matrix, depth: usize) -> Result<(), Failure> {
        self.bounds.check()?;
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
                // The reader assumes positions are 3D points of floats, as the format says.
                let points_of_floats = primitive.get(&gltf::Semantic::Positions).is_none_or(|a| {
                    a.data_type() == gltf::accessor::DataType::F32
                        && a.dimensions() == gltf::accessor::Dimensions::Vec3
                });
                if !points_of_floats {
                    return Err(Failure(
                        "a primitive's positions are not 3D points of floating-point numbers"
                            .into(),
                    ));
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
                // The reader takes indices of any other type for a broken file and panics.
                let whole = |kind| {
                    use gltf::accessor::DataType::{U16, U32, U8};
                    matches!(kind, U8 | U16 | U32)
                };
                if primitive.indices().is_some_and(|a| !whole(a.data_type())) {
                    return Err(Failure(
                        "a primitive's vertex indices are not whole numbers".into(),
                    ));
                }
                let indices: Vec<u32> = match reader.read_indices() {
                    Some(indices) => indices.into_u32().collect(),
                    None => (0..count).collect(),
                };
                if indices.iter().any(|&i| i >= count) {
                    return Err(Failure(
                        "a primitive refers to vertices that are not there".into(),
                    ));
                }
                let surface = primitive.material();
                let mut rgba = surface.pbr_metallic_roughness().base_color_factor();
                if surface.alpha_mode() == gltf::material::AlphaMode::Opaque {
                    // Alpha is ignored unless the material blends or masks.
                    rgba[3] = 1.0;
                }
                let name = surface.name().unwrap_or("glTF material").to_string();
                let colour = material(&name, rgba);
                parts.push(
                    self.objects
                        .store(mesh(&positions, &indices, Some(colour)), &[]),
                );
                self.bounds.check_geometry(&self.objects)?;
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

/// A GLB header: `glTF`, the version and the whole file's length.
const GLB_HEADER: usize = 12;

/// Converts a glTF or GLB file. The glTF reader panics on some damaged files (found by
/// fuzzing: a data URI that is not UTF-8, among others); such a panic fails the file with a
/// reason, as the checks before it do for the damage they know.
pub fn convert(name: &str, bytes: &[u8], bounds: Bounds) -> Result<Converted, Failure> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read(name, bytes, bounds)))
        .unwrap_or_else(|_| {
            Err(Failure(
                "not a readable glTF file: it is damaged in a way the glTF reader cannot take"
                    .into(),
            ))
        })
}

fn read(name: &str, bytes: &[u8], bounds: Bounds) -> Result<Converted, Failure> {
    // The glTF reader subtracts the header from the length it declares without checking it.
    if let Some(declared) = bytes
        .strip_prefix(b"glTF")
        .and_then(|rest| rest.get(4..8))
        .and_then(|length| <[u8; 4]>::try_from(length).ok())
        .map(u32::from_le_bytes)
    {
        if (declared as usize) < GLB_HEADER {
            return Err(Failure(format!(
                "not a readable glTF file: its header says it is {declared} bytes long"
            )));
        }
    }
    refers_to_its_positions(bytes)?;
    let gltf::Gltf { document, blob } = gltf::Gltf::from_slice(bytes)
        .map_err(|e| Failure(format!("not a readable glTF file: {e}")))?;
    // Only the binary chunk of a .glb and data: URIs; never files or the network.
    let buffers = gltf::import_buffers(&document, None, blob).map_err(|e| match e {
        gltf::Error::ExternalReferenceInSliceImport | gltf::Error::UnsupportedScheme => Failure(
            "the glTF file keeps its data in other files; export it as .glb or with embedded buffers"
                .into(),
        ),
        other => Failure(format!("the glTF file's data cannot be read: {other}")),
    })?;
    let mut walk = Walk {
        buffers: &buffers,
        objects: Objects::default(),
        elements: Vec::new(),
        warnings: Vec::new(),
        bounds,
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

/// Fails a file whose meshes name a `POSITION` accessor it does not have: the glTF reader's
/// validation looks that accessor up without checking it is there.
fn refers_to_its_positions(bytes: &[u8]) -> Result<(), Failure> {
    use serde::de::IgnoredAny;
    // Only what the check needs, read as leniently as the reader reads the whole.
    #[derive(serde::Deserialize)]
    struct Document {
        #[serde(default)]
        accessors: Vec<IgnoredAny>,
        #[serde(default)]
        meshes: Vec<Mesh>,
    }
    #[derive(serde::Deserialize)]
    struct Mesh {
        #[serde(default)]
        primitives: Vec<Primitive>,
    }
    #[derive(serde::Deserialize)]
    struct Primitive {
        attributes: Attributes,
    }
    #[derive(serde::Deserialize)]
    struct Attributes {
        #[serde(rename = "POSITION")]
        position: Option<u64>,
    }
    let document = match gltf::Glb::from_slice(bytes) {
        Ok(glb) => serde_json::from_slice::<Document>(&glb.json),
        Err(_) => serde_json::from_slice::<Document>(bytes),
    };
    // Whatever does not parse here, the reader refuses with its own reason.
    let Ok(document) = document else {
        return Ok(());
    };
    let accessors = document.accessors.len() as u64;
    let positions = document
        .meshes
        .iter()
        .flat_map(|mesh| &mesh.primitives)
        .filter_map(|primitive| primitive.attributes.position);
    for position in positions {
        if position >= accessors {
            return Err(Failure(format!(
                "not a readable glTF file: a mesh's positions are accessor {position}, which the file does not have"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use std::time::Duration;

    /// One red triangle in a node moved 10 m along +X.
    const ROOF: &[u8] = include_bytes!("../../tests/fixtures/roof.glb");
    /// A translucent 1 m panel used by two nodes under a parent scaled ×2, one of them moved
    /// 3 m along +X by a matrix; its buffer is a `data:` URI.
    const FACADE: &[u8] = include_bytes!("../../tests/fixtures/facade.gltf");

    fn bounds() -> Bounds {
        Bounds::after(Duration::from_secs(30))
    }

    fn range(mesh: &Value, axis: usize) -> (f64, f64) {
        mesh["vertices"]
            .as_array()
            .unwrap()
            .iter()
            .skip(axis)
            .step_by(3)
            .map(|v| v.as_f64().unwrap())
            .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)))
    }

    #[test]
    fn a_glb_node_becomes_an_element_placed_and_coloured() {
        let converted = convert("roof.glb", ROOF, bounds()).unwrap();
        let objects = converted.stored();
        let mesh = &objects[0];
        assert_eq!(
            mesh["vertices"][0],
            json!(10.0),
            "the node's translation applies"
        );
        // (0, 1, 0) in glTF's Y-up is (0, 0, 1) in Z-up.
        assert_eq!(mesh["vertices"][8], json!(1.0));
        assert_eq!(
            mesh["renderMaterial"]["diffuse"],
            json!(0xFFFF0000_u32 as i32)
        );
        assert_eq!(mesh["renderMaterial"]["opacity"], json!(1.0));
        assert_eq!(objects[1]["name"], "roof");
    }

    #[test]
    fn a_gltf_with_an_embedded_buffer_places_every_use_of_a_shared_mesh() {
        let converted = convert("facade.gltf", FACADE, bounds()).unwrap();
        assert!(converted.warnings.is_empty(), "{:?}", converted.warnings);
        let objects = converted.stored();
        let panel = |name: &str| {
            let element = objects.iter().find(|o| o["name"] == name).unwrap();
            let id = element["@displayValue"][0]["referencedId"].clone();
            objects.iter().find(|o| o["id"] == id).unwrap().clone()
        };
        let (a, b) = (panel("panel A"), panel("panel B"));
        assert_eq!(a["faces"], json!([3, 0, 1, 2, 3, 0, 2, 3]));
        // Scaled ×2 by the parent; B moved 3 m before the scale, so 6 m after it.
        assert_eq!(range(&a, 0), (0.0, 2.0));
        assert_eq!(range(&b, 0), (6.0, 8.0));
        // Standing up: glTF's Y is Z.
        assert_eq!(range(&b, 2), (0.0, 2.0));
        assert_eq!(range(&b, 1), (0.0, 0.0));
        // Blended, so its alpha is the opacity.
        assert_eq!(b["renderMaterial"]["diffuse"], json!(0xFF3366CC_u32 as i32));
        assert_eq!(b["renderMaterial"]["opacity"], json!(0.5));
        let root = objects.last().unwrap();
        assert_eq!(root["elements"], Value::Null);
        assert_eq!(root["@elements"].as_array().unwrap().len(), 2);
    }

    /// A glTF whose one mesh of `triangles` triangles is placed 2^`levels` times: two nodes
    /// per level, each with both nodes of the next level as children.
    fn exponential(triangles: usize, levels: usize) -> Vec<u8> {
        let mut buffer = Vec::new();
        for i in 0..triangles * 3 {
            for v in [i as f32, (i % 3) as f32, 0.0] {
                buffer.extend_from_slice(&v.to_le_bytes());
            }
        }
        let mut nodes = Vec::new();
        for level in 0..levels {
            for _ in 0..2 {
                nodes.push(if level + 1 == levels {
                    json!({ "mesh": 0 })
                } else {
                    json!({ "children": [2 * (level + 1), 2 * (level + 1) + 1] })
                });
            }
        }
        let top = (triangles * 3 - 1) as f32;
        let file = json!({
            "asset": { "version": "2.0" },
            "buffers": [{ "byteLength": buffer.len() }],
            "bufferViews": [{ "buffer": 0, "byteLength": buffer.len() }],
            "accessors": [{
                "bufferView": 0, "componentType": 5126, "count": triangles * 3, "type": "VEC3",
                "min": [0.0, 0.0, 0.0], "max": [top, 2.0, 0.0]
            }],
            "meshes": [{ "primitives": [{ "attributes": { "POSITION": 0 } }] }],
            "nodes": nodes,
            "scenes": [{ "nodes": [0] }],
            "scene": 0
        });
        glb(serde_json::to_vec(&file).unwrap(), buffer)
    }

    /// A binary glTF: the header, then the JSON chunk and the buffer chunk, each padded to 4.
    fn glb(mut text: Vec<u8>, mut bin: Vec<u8>) -> Vec<u8> {
        text.resize(text.len().next_multiple_of(4), b' ');
        bin.resize(bin.len().next_multiple_of(4), 0);
        let total = 12 + 8 + text.len() + 8 + bin.len();
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(b"glTF");
        out.extend_from_slice(&2u32.to_le_bytes());
        out.extend_from_slice(&(total as u32).to_le_bytes());
        for (kind, chunk) in [(b"JSON", &text), (b"BIN\0", &bin)] {
            out.extend_from_slice(&(chunk.len() as u32).to_le_bytes());
            out.extend_from_slice(kind);
            out.extend_from_slice(chunk);
        }
        out
    }

    #[test]
    fn a_node_reused_under_many_parents_stops_at_the_budget() {
        let small = bounds().with_geometry_limit(1_000_000);
        let Err(failure) = convert("bomb", &exponential(1_000, 40), small) else {
            panic!("an exponential node graph was converted");
        };
        assert!(
            failure
                .0
                .contains("more geometry than an import may hold (1 million"),
            "{}",
            failure.0
        );
    }

    #[test]
    fn broken_or_outside_data_fails_with_a_reason() {
        assert!(convert("x.glb", b"glTF\x02\x00\x00\x00", bounds()).is_err());
        // Found by fuzzing (fuzz/ import_gltf): a GLB header declaring a length of 0.
        let zero = include_bytes!("../../tests/fixtures/fuzz/glb_length_zero.glb");
        let Err(Failure(why)) = convert("x.glb", zero, bounds()) else {
            panic!("converted")
        };
        assert!(why.contains("says it is 0 bytes long"), "{why}");
        // Also found by fuzzing, each with what its failure says.
        let missing = "which the file does not have";
        for (file, says) in [
            // A mesh whose positions are an accessor the file lacks.
            (
                &include_bytes!("../../tests/fixtures/fuzz/position_accessor_missing.gltf")[..],
                missing,
            ),
            // The same, with bytes that are not UTF-8 in a key the reader ignores.
            (
                &include_bytes!("../../tests/fixtures/fuzz/key_not_utf8.gltf")[..],
                missing,
            ),
            (
                &include_bytes!("../../tests/fixtures/fuzz/float_indices.gltf")[..],
                "not whole numbers",
            ),
            (
                &include_bytes!("../../tests/fixtures/fuzz/data_uri_not_utf8.gltf")[..],
                "damaged",
            ),
            (
                &include_bytes!("../../tests/fixtures/fuzz/positions_not_vec3.gltf")[..],
                "not 3D points",
            ),
        ] {
            let Err(Failure(why)) = convert("x.gltf", file, bounds()) else {
                panic!("converted")
            };
            assert!(why.contains(says), "{why}");
        }
        assert!(convert("x.gltf", b"{\"asset\":{\"version\":\"2.0\"}}", bounds()).is_err());
        let outside = String::from_utf8(FACADE.to_vec())
            .unwrap()
            .replace("data:application/octet-stream;base64,", "panel.bin#");
        let Err(Failure(why)) = convert("x.gltf", outside.as_bytes(), bounds()) else {
            panic!("converted")
        };
        assert!(why.contains("other files"), "{why}");
    }
}
