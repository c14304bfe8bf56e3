//! Speckle objects as a converter writes them: content-addressed ids, detached children
//! referenced by id, and each parent's `__closure` (every object below it, with its depth), the
//! way specklepy sends a model.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::NewObject;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The objects of one converted file, children before parents.
#[derive(Default)]
pub struct Objects {
    pub list: Vec<NewObject>,
    /// Vertex coordinates and face entries stored so far: what a converter's memory grows with.
    geometry_numbers: usize,
    /// Where batches go as they fill, when the tree is stored while it is built.
    sink: Option<Sink>,
}

/// Takes a batch of objects; false when it can take no more (its reader is gone).
type Sink = Box<dyn FnMut(Vec<NewObject>) -> bool + Send>;

/// Objects handed on at a time by `Objects::streaming`.
const BATCH: usize = 5_000;

/// An object already stored: what a parent needs to reference it.
#[derive(Clone, Debug)]
pub struct Detached {
    pub id: String,
    /// Everything below it, with its depth under it. A list rather than a map: a tree keeps
    /// one of these for every element until its parent is stored.
    closure: Vec<(String, u32)>,
}

impl Detached {
    pub fn reference(&self) -> Value {
        json!({ "referencedId": self.id, "speckle_type": "reference" })
    }
}

impl Objects {
    /// Objects handed to `sink` a batch at a time as they are made, so that a large tree is never
    /// held whole; `flush` hands on the last ones. Once `sink` refuses a batch, later ones are
    /// dropped: whoever stores them has given up.
    pub fn streaming(sink: impl FnMut(Vec<NewObject>) -> bool + Send + 'static) -> Self {
        Objects {
            sink: Some(Box::new(sink)),
            ..Objects::default()
        }
    }

    /// Hands the objects made since the last batch to the sink, if there is one.
    pub fn flush(&mut self) {
        let Some(sink) = &mut self.sink else {
            return;
        };
        let batch = std::mem::take(&mut self.list);
        if !batch.is_empty() && !sink(batch) {
            self.sink = Some(Box::new(|_| false));
        }
    }

    /// Vertex coordinates and face entries of every mesh stored so far.
    pub fn geometry_numbers(&self) -> usize {
        self.geometry_numbers
    }

    /// Stores `object` whose detached children are `children`, and returns its reference.
    pub fn store(&mut self, object: Map<String, Value>, children: &[&Detached]) -> Detached {
        self.store_with(object, None, children)
    }

    /// `store`, with `children` also referenced under `key` (such as `@elements`). The list is
    /// written straight into the object's text: a model's root collection references every
    /// element, and as JSON values those references would take several times the memory.
    pub fn store_referencing(
        &mut self,
        object: Map<String, Value>,
        key: &str,
        children: &[&Detached],
    ) -> Detached {
        self.store_with(object, Some(key), children)
    }

    fn store_with(
        &mut self,
        mut object: Map<String, Value>,
        references_key: Option<&str>,
        children: &[&Detached],
    ) -> Detached {
        for key in ["vertices", "faces"] {
            self.geometry_numbers += object
                .get(key)
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
        }
        let mut closure: BTreeMap<&str, u32> = BTreeMap::new();
        for child in children {
            merge(&mut closure, &child.id, 1);
            for (id, depth) in &child.closure {
                merge(&mut closure, id, depth + 1);
            }
        }
        object.remove("id");
        if let Some(key) = references_key {
            object.remove(key);
        }
        let speckle_type = object
            .get("speckle_type")
            .and_then(Value::as_str)
            .unwrap_or("Base")
            .to_string();
        // The references and the closure are appended to the object's own fields as text, one
        // entry at a time. Ids are hex digests made here, so they need no escaping.
        let mut text = Value::Object(object).to_string();
        text.pop();
        let mut separator = if text.len() > 1 { "," } else { "" };
        if let Some(key) = references_key {
            let _ = write!(text, "{separator}{}:[", Value::from(key));
            for (n, child) in children.iter().enumerate() {
                let comma = if n == 0 { "" } else { "," };
                let _ = write!(text, "{comma}{}", child.reference());
            }
            text.push(']');
            separator = ",";
        }
        if !closure.is_empty() {
            let _ = write!(text, "{separator}\"__closure\":{{");
            for (n, (id, depth)) in closure.iter().enumerate() {
                let comma = if n == 0 { "" } else { "," };
                let _ = write!(text, "{comma}\"{id}\":{depth}");
            }
            let _ = write!(text, "}},\"totalChildrenCount\":{}", closure.len());
        }
        text.push('}');
        // The id hashes the object without it, as Speckle's serializers do; it is then written
        // first into that same text, rather than into a copy of the object written again.
        let id = hex::encode(&Sha256::digest(text.as_bytes())[..16]);
        let fields = text.strip_prefix('{').unwrap_or("}");
        let separator = if fields == "}" { "" } else { "," };
        self.list.push(NewObject {
            id: id.clone(),
            speckle_type,
            total_children_count: Some(closure.len() as i64),
            data: format!("{{\"id\":\"{id}\"{separator}{fields}"),
        });
        let closure = closure
            .into_iter()
            .map(|(id, depth)| (id.to_string(), depth))
            .collect();
        if self.list.len() >= BATCH {
            self.flush();
        }
        Detached { id, closure }
    }
}

fn merge<'a>(closure: &mut BTreeMap<&'a str, u32>, id: &'a str, depth: u32) {
    closure
        .entry(id)
        .and_modify(|d| *d = (*d).min(depth))
        .or_insert(depth);
}

/// An opaque colour (channels 0..1) as Speckle's signed ARGB integer.
fn argb(r: f32, g: f32, b: f32) -> i32 {
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u32;
    (0xFF00_0000 | byte(r) << 16 | byte(g) << 8 | byte(b)) as i32
}

/// A mesh's `colors`: one ARGB integer per vertex, from `rgb` triples.
pub fn vertex_colours(rgb: &[f32]) -> Value {
    Value::Array(
        rgb.chunks_exact(3)
            .map(|c| json!(argb(c[0], c[1], c[2])))
            .collect(),
    )
}

/// A render material: diffuse colour as Speckle's signed ARGB integer, and opacity.
pub fn material(name: &str, rgba: [f32; 4]) -> Value {
    json!({
        "speckle_type": "Objects.Other.RenderMaterial",
        "name": name,
        "diffuse": argb(rgba[0], rgba[1], rgba[2]),
        "opacity": rgba[3].clamp(0.0, 1.0),
        "metalness": 0.0,
        "roughness": 1.0,
        "emissive": 0xFF00_0000_u32 as i32,
    })
}

/// A triangle mesh in metres, Z up: `positions` xyz triples, `triangles` index triples.
pub fn mesh(positions: &[f64], triangles: &[u32], material: Option<Value>) -> Map<String, Value> {
    let mut faces = Vec::with_capacity(triangles.len() / 3 * 4);
    for t in triangles.chunks_exact(3) {
        faces.extend_from_slice(&[3, t[0], t[1], t[2]]);
    }
    // Millimetre precision keeps the JSON small without changing what anyone can see.
    let vertices: Vec<f64> = positions.iter().map(|v| (v * 1e4).round() / 1e4).collect();
    let mut mesh = Map::new();
    mesh.insert("speckle_type".into(), json!("Objects.Geometry.Mesh"));
    mesh.insert("units".into(), json!("m"));
    mesh.insert("vertices".into(), json!(vertices));
    mesh.insert("faces".into(), json!(faces));
    if let Some(material) = material {
        mesh.insert("renderMaterial".into(), material);
    }
    mesh
}

/// An object of the model tree: its type, name, properties and the meshes that draw it.
pub fn element(speckle_type: &str, name: &str, display: &[&Detached]) -> Map<String, Value> {
    let mut element = Map::new();
    element.insert("speckle_type".into(), json!(speckle_type));
    element.insert("name".into(), json!(name));
    element.insert("units".into(), json!("m"));
    if !display.is_empty() {
        element.insert(
            "@displayValue".into(),
            Value::Array(display.iter().map(|d| d.reference()).collect()),
        );
    }
    element
}

/// A named collection of elements (Speckle's `Collection`).
pub fn collection(name: &str, kind: &str, elements: &[&Detached]) -> Map<String, Value> {
    let mut collection = Map::new();
    collection.insert(
        "speckle_type".into(),
        json!("Speckle.Core.Models.Collection"),
    );
    collection.insert("name".into(), json!(name));
    collection.insert("collectionType".into(), json!(kind));
    collection.insert(
        "@elements".into(),
        Value::Array(elements.iter().map(|d| d.reference()).collect()),
    );
    collection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_list_every_descendant_at_its_shallowest_depth() {
        let mut objects = Objects::default();
        let a = objects.store(mesh(&[0.0; 9], &[0, 1, 2], None), &[]);
        let wall = objects.store(element("Objects.BuiltElements.Wall", "w", &[&a]), &[&a]);
        let root = objects.store(collection("file", "file", &[&wall, &a]), &[&wall, &a]);
        let stored: Value = serde_json::from_str(&objects.list[2].data).unwrap();
        assert_eq!(stored["id"], json!(root.id));
        assert_eq!(
            stored["__closure"],
            json!({ (a.id.clone()): 1, (wall.id.clone()): 1 })
        );
        assert_eq!(stored["totalChildrenCount"], json!(2));
        assert_eq!(objects.list[2].total_children_count, Some(2));
        assert_eq!(root.id.len(), 32);
    }

    #[test]
    fn equal_objects_get_equal_ids_and_colours_are_argb() {
        let mut objects = Objects::default();
        let one = objects.store(mesh(&[1.0; 9], &[0, 1, 2], None), &[]);
        let two = objects.store(mesh(&[1.0; 9], &[0, 1, 2], None), &[]);
        assert_eq!(one.id, two.id);
        assert_eq!(
            material("red", [1.0, 0.0, 0.0, 1.0])["diffuse"],
            json!(0xFFFF0000_u32 as i32)
        );
        let m = mesh(
            &[0.0, 0.0, 0.0, 1.23456789, 0.0, 0.0, 0.0, 1.0, 0.0],
            &[0, 1, 2],
            None,
        );
        assert_eq!(m["faces"], json!([3, 0, 1, 2]));
        assert_eq!(m["vertices"][3], json!(1.2346));
    }
}
