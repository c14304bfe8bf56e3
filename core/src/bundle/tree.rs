//! Between a bundle and a Speckle object tree.
//!
//! [`from_bundle`] builds the tree Fleck draws for a version sent as a bundle: a root
//! collection, the bundle's containers as nested collections, and each object as an element
//! with its properties and `displayValue` meshes (materials and colours as render materials,
//! instances placed by their transforms). [`to_bundle`] goes the other way for a version sent
//! as objects, so that `receive3` can read it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use serde_json::{json, Map, Value as Json};

use super::sgeo::{self, Shape};
use super::{kind, rel, Bundle, BundleError, GeometryRow, Node, Relation, Value};
use crate::objects::build::{Detached, Objects};

/// How deep instances may nest inside definitions.
const MAX_INSTANCE_DEPTH: usize = 8;
/// How many placed copies of geometry one bundle may unfold into; instancing can multiply a
/// small file into more than any viewer can draw, and this keeps the tree bounded.
pub const MAX_PLACED_GEOMETRY: usize = 250_000;

type Matrix = [f64; 16];
const IDENTITY: Matrix = [
    1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0,
];

/// The tree of a bundle, named `name`, stored in `objects` (which may hand them on as they
/// come, children first), and its root. A geometry only one object draws is freed once it is
/// stored, and the relations once they are indexed.
pub fn from_bundle(
    mut bundle: Bundle,
    name: &str,
    objects: Objects,
) -> Result<(Objects, Detached), BundleError> {
    let values = std::mem::take(&mut bundle.values);
    let relations = std::mem::take(&mut bundle.relations);
    let geometries = std::mem::take(&mut bundle.geometries);
    Builder::new(&bundle, values, relations, geometries, objects)?.build(name)
}

struct Builder<'a> {
    bundle: &'a Bundle,
    nodes: HashMap<i32, &'a Node>,
    geometries: HashMap<i32, GeometryRow>,
    /// Geometries one object draws and nothing else: freed as soon as they are stored.
    drawn_once: HashSet<i32>,
    /// Relations by kind, then by source, in their order.
    edges: HashMap<(i32, i32), Vec<i32>>,
    paths: HashMap<i32, &'a str>,
    /// Property values sorted by object, and where each object's are; made into JSON one object
    /// at a time, when it is built.
    values: Vec<Value>,
    values_of: HashMap<i32, Range<usize>>,
    units: Option<String>,
    objects: Objects,
    /// Geometry already stored untransformed, by geometry index and material.
    stored: HashMap<(i32, Option<i32>), Detached>,
    placed: usize,
}

impl<'a> Builder<'a> {
    fn new(
        bundle: &'a Bundle,
        mut values: Vec<Value>,
        mut relations: Vec<Relation>,
        geometries: Vec<GeometryRow>,
        objects: Objects,
    ) -> Result<Self, BundleError> {
        let nodes = bundle.nodes.iter().map(|n| (n.id, n)).collect();
        let geometries = geometries.into_iter().map(|g| (g.index, g)).collect();
        relations.sort_by_key(|r| r.ord.unwrap_or(0));
        let drawn_once = drawn_once(&relations);
        let mut edges: HashMap<(i32, i32), Vec<i32>> = HashMap::new();
        for r in relations {
            edges.entry((r.rel, r.src)).or_default().push(r.dst);
        }
        let paths: HashMap<i32, &str> =
            bundle.paths.iter().map(|(k, p)| (*k, p.as_str())).collect();
        values.sort_unstable_by_key(|v| v.object);
        let mut values_of: HashMap<i32, Range<usize>> = HashMap::new();
        let mut units = None;
        for (at, value) in values.iter().enumerate() {
            let path = paths.get(&value.path).ok_or_else(|| {
                BundleError::new(format!(
                    "a property names path {}, which the bundle lacks",
                    value.path
                ))
            })?;
            // The model's units: the first object's that has them.
            if units.is_none() && *path == "units" {
                units = value.text.clone().filter(|u| !u.is_empty());
            }
            values_of
                .entry(value.object)
                .and_modify(|r| r.end = at + 1)
                .or_insert(at..at + 1);
        }
        Ok(Builder {
            bundle,
            nodes,
            geometries,
            drawn_once,
            edges,
            paths,
            values,
            values_of,
            units,
            objects,
            stored: HashMap::new(),
            placed: 0,
        })
    }

    fn targets(&self, rel: i32, src: i32) -> &[i32] {
        self.edges.get(&(rel, src)).map_or(&[], Vec::as_slice)
    }

    fn build(mut self, name: &str) -> Result<(Objects, Detached), BundleError> {
        // Elements by the container they are listed in (`None`: the root).
        let mut by_container: BTreeMap<Option<i32>, Vec<Detached>> = BTreeMap::new();
        for (index, application_id) in &self.bundle.objects {
            let container = self.targets(rel::IN_COLLECTION, *index).first().copied();
            let container = container.filter(|c| self.is_container(*c));
            let element = self.element(*index, application_id)?;
            by_container.entry(container).or_default().push(element);
        }
        // Containers nest through `def_ref`; store each after everything below it.
        let mut children: BTreeMap<Option<i32>, Vec<i32>> = BTreeMap::new();
        for node in self
            .bundle
            .nodes
            .iter()
            .filter(|n| n.kind == kind::CONTAINER)
        {
            let parent = node
                .def_ref
                .filter(|p| *p != node.id && self.is_container(*p));
            children.entry(parent).or_default().push(node.id);
        }
        let mut top = self.containers(None, &children, &mut by_container);
        // Containers that no path from the root reaches (their parents loop): their
        // elements are still drawn, at the root.
        top.extend(by_container.into_values().flatten());
        let mut root = Map::new();
        root.insert(
            "speckle_type".into(),
            json!("Speckle.Core.Models.Collection"),
        );
        root.insert("name".into(), json!(name));
        root.insert("collectionType".into(), json!("model"));
        if let Some(units) = &self.units {
            root.insert("units".into(), json!(units));
        }
        let refs: Vec<&Detached> = top.iter().collect();
        let root = self.objects.store_referencing(root, "@elements", &refs);
        Ok((self.objects, root))
    }

    fn is_container(&self, id: i32) -> bool {
        self.nodes
            .get(&id)
            .is_some_and(|n| n.kind == kind::CONTAINER)
    }

    /// The collections under `parent` and the elements listed directly in it.
    fn containers(
        &mut self,
        parent: Option<i32>,
        children: &BTreeMap<Option<i32>, Vec<i32>>,
        elements: &mut BTreeMap<Option<i32>, Vec<Detached>>,
    ) -> Vec<Detached> {
        let mut below = Vec::new();
        for id in children.get(&parent).into_iter().flatten() {
            let inner = self.containers(Some(*id), children, elements);
            let node = self.nodes[id];
            let mut collection = Map::new();
            collection.insert(
                "speckle_type".into(),
                json!("Speckle.Core.Models.Collection"),
            );
            collection.insert(
                "name".into(),
                json!(node.name.as_deref().unwrap_or("Collection")),
            );
            collection.insert(
                "collectionType".into(),
                json!(node.subtype.as_deref().unwrap_or("Collection")),
            );
            let refs: Vec<&Detached> = inner.iter().collect();
            below.push(
                self.objects
                    .store_referencing(collection, "@elements", &refs),
            );
        }
        below.extend(elements.remove(&parent).unwrap_or_default());
        below
    }

    /// One object: its properties, and the geometry that draws it.
    fn element(&mut self, index: i32, application_id: &str) -> Result<Detached, BundleError> {
        let mut element = Map::new();
        let range = self.values_of.remove(&index).unwrap_or_default();
        for value in &self.values[range] {
            // Every path was found when the builder was made.
            if let Some(path) = self.paths.get(&value.path) {
                insert_path(&mut element, path, value.json());
            }
        }
        if !element.contains_key("speckle_type") {
            element.insert("speckle_type".into(), json!("Objects.Data.DataObject"));
        }
        element.insert("applicationId".into(), json!(application_id));
        if !element.contains_key("units") {
            if let Some(units) = &self.units {
                element.insert("units".into(), json!(units));
            }
        }
        let material = self.object_material(index);
        let mut display = Vec::new();
        for geometry in self.targets(rel::DISPLAY, index).to_vec() {
            if let Some(d) = self.geometry(geometry, material, None)? {
                display.push(d);
            }
        }
        for instance in self.targets(rel::DISPLAY_INSTANCE, index).to_vec() {
            self.instance(instance, IDENTITY, material, 0, &mut display)?;
        }
        let refs: Vec<&Detached> = display.iter().collect();
        if refs.is_empty() {
            return Ok(self.objects.store(element, &refs));
        }
        Ok(self
            .objects
            .store_referencing(element, "@displayValue", &refs))
    }

    /// The material or colour node set on a whole object.
    fn object_material(&self, index: i32) -> Option<i32> {
        let material = self.targets(rel::OBJECT_HAS_MATERIAL, index).first();
        material
            .or_else(|| self.targets(rel::OBJECT_HAS_COLOR, index).first())
            .copied()
    }

    /// Places an instance's definition (its geometry and nested instances) under `parent`.
    fn instance(
        &mut self,
        instance: i32,
        parent: Matrix,
        material: Option<i32>,
        depth: usize,
        display: &mut Vec<Detached>,
    ) -> Result<(), BundleError> {
        if depth >= MAX_INSTANCE_DEPTH {
            return Err(BundleError::new(format!(
                "instances nest deeper than {MAX_INSTANCE_DEPTH} levels"
            )));
        }
        let Some(node) = self.nodes.get(&instance).copied() else {
            return Ok(());
        };
        let matrix = multiply(&parent, &parse_transform(node.transform.as_deref())?);
        let Some(definition) = node.def_ref else {
            return Ok(());
        };
        for geometry in self.targets(rel::DEFINES, definition).to_vec() {
            if let Some(d) = self.geometry(geometry, material, Some(&matrix))? {
                display.push(d);
            }
        }
        for nested in self.targets(rel::DEFINES_INSTANCE, definition).to_vec() {
            self.instance(nested, matrix, material, depth + 1, display)?;
        }
        Ok(())
    }

    /// One geometry as a stored mesh or polyline; `None` for kinds Fleck does not draw.
    fn geometry(
        &mut self,
        index: i32,
        object_material: Option<i32>,
        transform: Option<&Matrix>,
    ) -> Result<Option<Detached>, BundleError> {
        let material = self
            .targets(rel::HAS_MATERIAL, index)
            .first()
            .or_else(|| self.targets(rel::HAS_COLOR, index).first())
            .copied()
            .or(object_material);
        if transform.is_none() {
            if let Some(stored) = self.stored.get(&(index, material)) {
                return Ok(Some(stored.clone()));
            }
        }
        self.placed += 1;
        if self.placed > MAX_PLACED_GEOMETRY {
            return Err(BundleError::new(format!(
                "the bundle places more than {MAX_PLACED_GEOMETRY} geometries"
            )));
        }
        let once = self.drawn_once.contains(&index);
        let removed;
        let row = if once {
            removed = self.geometries.remove(&index);
            removed.as_ref()
        } else {
            self.geometries.get(&index)
        };
        let Some(row) = row else {
            return Err(BundleError::new(format!(
                "geometry {index} is drawn but not in the bundle's geometries"
            )));
        };
        let decoded = sgeo::decode(&row.content)?;
        let units = decoded
            .units
            .map(str::to_string)
            .or_else(|| self.units.clone());
        let mut object = Map::new();
        match decoded.shape {
            Shape::Mesh {
                mut vertices,
                faces,
                colors,
            } => {
                if let Some(m) = transform {
                    place(&mut vertices, m);
                }
                object.insert("speckle_type".into(), json!("Objects.Geometry.Mesh"));
                object.insert("vertices".into(), json!(vertices));
                object.insert("faces".into(), json!(faces));
                if !colors.is_empty() {
                    object.insert("colors".into(), json!(colors));
                }
            }
            Shape::Polyline { mut points } => {
                if let Some(m) = transform {
                    place(&mut points, m);
                }
                object.insert("speckle_type".into(), json!("Objects.Geometry.Polyline"));
                object.insert("value".into(), json!(points));
                object.insert("closed".into(), json!(false));
            }
            Shape::Other { .. } => return Ok(None),
        }
        if let Some(units) = units {
            object.insert("units".into(), json!(units));
        }
        if let Some(material) = material.and_then(|m| self.render_material(m)) {
            object.insert("renderMaterial".into(), material);
        }
        let stored = self.objects.store(object, &[]);
        if transform.is_none() && !once {
            self.stored.insert((index, material), stored.clone());
        }
        Ok(Some(stored))
    }

    fn render_material(&self, node: i32) -> Option<Json> {
        let node = self.nodes.get(&node)?;
        let diffuse = node.argb?;
        let opacity = match node.kind {
            kind::MATERIAL => node.opacity.unwrap_or(1.0),
            kind::COLOR => f64::from((diffuse as u32 >> 24) as u8) / 255.0,
            _ => return None,
        };
        Some(json!({
            "speckle_type": "Objects.Other.RenderMaterial",
            "name": node.name.as_deref().unwrap_or("material"),
            "diffuse": diffuse,
            "opacity": opacity,
            "metalness": node.metalness.unwrap_or(0.0),
            "roughness": node.roughness.unwrap_or(1.0),
            "emissive": node.emissive.unwrap_or(0xFF00_0000_u32 as i32),
        }))
    }
}

/// The geometries that exactly one object draws directly and no definition places.
fn drawn_once(relations: &[Relation]) -> HashSet<i32> {
    let mut uses: HashMap<i32, (u32, bool)> = HashMap::new();
    for r in relations {
        if r.rel == rel::DISPLAY || r.rel == rel::DEFINES {
            let entry = uses.entry(r.dst).or_default();
            entry.0 += 1;
            entry.1 |= r.rel == rel::DEFINES;
        }
    }
    uses.into_iter()
        .filter(|(_, (count, placed))| *count == 1 && !placed)
        .map(|(geometry, _)| geometry)
        .collect()
}

/// Sets `a.b.c` in a nested map, as bundle readers expand property paths.
fn insert_path(target: &mut Map<String, Json>, path: &str, value: Json) {
    let mut parts = path.split('.').peekable();
    let mut cursor = target;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            cursor.insert(part.to_string(), value);
            return;
        }
        let entry = cursor
            .entry(part.to_string())
            .or_insert_with(|| Json::Object(Map::new()));
        if !entry.is_object() {
            *entry = Json::Object(Map::new());
        }
        cursor = entry.as_object_mut().expect("just made an object");
    }
}

fn parse_transform(text: Option<&str>) -> Result<Matrix, BundleError> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(IDENTITY);
    };
    let numbers: Vec<f64> = text
        .split(',')
        .map(|n| n.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| {
            BundleError::new(format!("an instance's transform {text:?} is not numbers"))
        })?;
    numbers
        .try_into()
        .map_err(|_| BundleError::new("an instance's transform does not have 16 numbers"))
}

/// Row-major 4×4 product `a · b`.
fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    let mut out = [0.0; 16];
    for row in 0..4 {
        for col in 0..4 {
            out[row * 4 + col] = (0..4).map(|i| a[row * 4 + i] * b[i * 4 + col]).sum();
        }
    }
    out
}

/// Moves xyz triples by a row-major matrix (translation in the last column).
fn place(points: &mut [f64], m: &Matrix) {
    for p in points.chunks_exact_mut(3) {
        let (x, y, z) = (p[0], p[1], p[2]);
        p[0] = m[0] * x + m[1] * y + m[2] * z + m[3];
        p[1] = m[4] * x + m[5] * y + m[6] * z + m[7];
        p[2] = m[8] * x + m[9] * y + m[10] * z + m[11];
    }
}

/// Writes an object tree as a bundle. `objects` holds the root and every object of its
/// closure by id; elements are the objects that carry a `displayValue`, or meshes and
/// polylines that stand alone, each listed in the collection above it.
pub fn to_bundle(root_id: &str, objects: &HashMap<String, Json>) -> Result<Bundle, BundleError> {
    let root = objects
        .get(root_id)
        .ok_or_else(|| BundleError::new("the version's root object is missing"))?;
    let mut writer = Writer {
        objects,
        bundle: Bundle::default(),
        paths: HashMap::new(),
        materials: HashMap::new(),
        geometries: HashMap::new(),
        next_node: 0,
    };
    writer.visit(root, None, 0)?;
    Ok(writer.bundle)
}

struct Writer<'a> {
    objects: &'a HashMap<String, Json>,
    bundle: Bundle,
    paths: HashMap<String, i32>,
    /// Material nodes by their render material's JSON.
    materials: HashMap<String, i32>,
    /// Geometry rows by the stored object they were written from.
    geometries: HashMap<String, i32>,
    next_node: i32,
}

/// Object trees nest collections and elements; deeper than this is a cycle or an attack.
const MAX_TREE_DEPTH: usize = 256;

impl<'a> Writer<'a> {
    /// A detached reference resolved to its object; anything else as it is.
    fn resolve(&self, value: &'a Json) -> Option<&'a Json> {
        let objects: &'a HashMap<String, Json> = self.objects;
        match value.get("referencedId").and_then(Json::as_str) {
            Some(id) => objects.get(id),
            None => Some(value),
        }
    }

    fn children(&self, object: &'a Json, keys: &[&str]) -> Vec<&'a Json> {
        keys.iter()
            .filter_map(|k| object.get(*k))
            .filter_map(Json::as_array)
            .flatten()
            .filter_map(|c| self.resolve(c))
            .collect()
    }

    fn visit(
        &mut self,
        object: &'a Json,
        container: Option<i32>,
        depth: usize,
    ) -> Result<(), BundleError> {
        if depth > MAX_TREE_DEPTH {
            return Err(BundleError::new("the object tree nests too deep"));
        }
        let speckle_type = object
            .get("speckle_type")
            .and_then(Json::as_str)
            .unwrap_or("Base");
        let elements = self.children(object, &["elements", "@elements"]);
        // The root collection is the bundle itself; what it holds is the bundle's top level.
        if speckle_type.contains("Collection") && depth == 0 {
            for child in elements {
                self.visit(child, None, depth + 1)?;
            }
            return Ok(());
        }
        if speckle_type.contains("Collection") {
            let id = self.node(Node {
                kind: kind::CONTAINER,
                name: object
                    .get("name")
                    .and_then(Json::as_str)
                    .map(str::to_string),
                subtype: Some(
                    object
                        .get("collectionType")
                        .and_then(Json::as_str)
                        .unwrap_or("Collection")
                        .to_string(),
                ),
                def_ref: container,
                ..Node::default()
            });
            for child in elements {
                self.visit(child, Some(id), depth + 1)?;
            }
            return Ok(());
        }
        let display = self.children(object, &["displayValue", "@displayValue"]);
        let drawable = is_drawable(speckle_type);
        if !display.is_empty() || drawable {
            let index = self.bundle.objects.len() as i32;
            let application_id = object
                .get("applicationId")
                .and_then(Json::as_str)
                .or_else(|| object.get("id").and_then(Json::as_str))
                .unwrap_or_default()
                .to_string();
            self.bundle.objects.push((index, application_id));
            if let Some(container) = container {
                self.relation(rel::IN_COLLECTION, index, container, None);
            }
            self.properties(index, object);
            let shapes = if drawable { vec![object] } else { display };
            for (ord, shape) in shapes.into_iter().enumerate() {
                if let Some(geometry) = self.geometry(shape)? {
                    self.relation(rel::DISPLAY, index, geometry, Some(ord as i32));
                }
            }
        }
        for child in elements {
            self.visit(child, container, depth + 1)?;
        }
        Ok(())
    }

    fn node(&mut self, mut node: Node) -> i32 {
        node.id = self.next_node;
        self.next_node += 1;
        self.bundle.nodes.push(node);
        self.next_node - 1
    }

    fn relation(&mut self, rel: i32, src: i32, dst: i32, ord: Option<i32>) {
        self.bundle.relations.push(Relation { rel, src, dst, ord });
    }

    /// The object's scalar fields and its `properties`, flattened into paths.
    fn properties(&mut self, index: i32, object: &Json) {
        let Some(fields) = object.as_object() else {
            return;
        };
        let mut flat = Vec::new();
        for key in ["speckle_type", "name", "units"] {
            if let Some(value) = fields.get(key) {
                flat.push((key.to_string(), value));
            }
        }
        if let Some(properties) = fields.get("properties") {
            flatten("properties", properties, &mut flat);
        }
        for (path, value) in flat {
            let next = self.paths.len() as i32;
            let path_index = *self.paths.entry(path.clone()).or_insert_with(|| {
                self.bundle.paths.push((next, path));
                next
            });
            self.bundle
                .values
                .push(bundle_value(index, path_index, value));
        }
    }

    fn geometry(&mut self, shape: &'a Json) -> Result<Option<i32>, BundleError> {
        let key = shape.get("id").and_then(Json::as_str).map(str::to_string);
        if let Some(index) = key.as_ref().and_then(|k| self.geometries.get(k)) {
            return Ok(Some(*index));
        }
        let speckle_type = shape
            .get("speckle_type")
            .and_then(Json::as_str)
            .unwrap_or("");
        if !speckle_type.ends_with("Mesh") {
            return Ok(None);
        }
        let numbers = |key: &str| -> Vec<f64> {
            shape
                .get(key)
                .and_then(Json::as_array)
                .map(|a| a.iter().filter_map(Json::as_f64).collect())
                .unwrap_or_default()
        };
        let integers = |key: &str| -> Vec<i32> {
            shape
                .get(key)
                .and_then(Json::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_i64())
                        .map(|v| v as i32)
                        .collect()
                })
                .unwrap_or_default()
        };
        let units = shape.get("units").and_then(Json::as_str);
        let content = sgeo::encode_mesh(
            &numbers("vertices"),
            &integers("faces"),
            &integers("colors"),
            units,
        );
        let index = self.bundle.geometries.len() as i32;
        let id = key.clone().unwrap_or_else(|| index.to_string());
        self.bundle.geometries.push(GeometryRow {
            index,
            content,
            id,
            kind: "mesh".into(),
        });
        if let Some(material) = shape
            .get("renderMaterial")
            .and_then(|m| self.resolve(m))
            .cloned()
        {
            let material = self.material(&material);
            self.relation(rel::HAS_MATERIAL, index, material, None);
        }
        if let Some(key) = key {
            self.geometries.insert(key, index);
        }
        Ok(Some(index))
    }

    fn material(&mut self, material: &Json) -> i32 {
        let key = material.to_string();
        if let Some(id) = self.materials.get(&key) {
            return *id;
        }
        let number = |k: &str| material.get(k).and_then(Json::as_f64);
        let id = self.node(Node {
            kind: kind::MATERIAL,
            name: material
                .get("name")
                .and_then(Json::as_str)
                .map(str::to_string),
            argb: material
                .get("diffuse")
                .and_then(Json::as_i64)
                .map(|v| v as i32),
            opacity: Some(number("opacity").unwrap_or(1.0)),
            metalness: Some(number("metalness").unwrap_or(0.0)),
            roughness: Some(number("roughness").unwrap_or(1.0)),
            emissive: material
                .get("emissive")
                .and_then(Json::as_i64)
                .map(|v| v as i32),
            ..Node::default()
        });
        self.materials.insert(key, id);
        id
    }
}

fn is_drawable(speckle_type: &str) -> bool {
    speckle_type.ends_with("Geometry.Mesh")
}

/// Scalars under `prefix`, nested maps as dotted paths; lists and references are left out.
fn flatten<'a>(prefix: &str, value: &'a Json, out: &mut Vec<(String, &'a Json)>) {
    match value {
        Json::Object(map) => {
            for (key, inner) in map {
                flatten(&format!("{prefix}.{key}"), inner, out);
            }
        }
        Json::Array(_) => {}
        scalar => out.push((prefix.to_string(), scalar)),
    }
}

fn bundle_value(object: i32, path: i32, value: &Json) -> Value {
    let mut row = Value {
        object,
        path,
        text: None,
        number: None,
        boolean: None,
        unit: None,
    };
    match value {
        Json::Bool(b) => row.boolean = Some(*b),
        Json::Number(n) => {
            row.number = n.as_f64();
            row.text = Some(n.to_string());
        }
        Json::String(s) => row.text = Some(s.clone()),
        _ => {}
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(objects: &Objects) -> HashMap<String, Json> {
        objects
            .list
            .iter()
            .map(|o| (o.id.clone(), serde_json::from_str(&o.data).unwrap()))
            .collect()
    }

    fn wall_bundle() -> Bundle {
        let vertices = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0];
        Bundle {
            objects: vec![(0, "wall-0".into()), (1, "door-0".into())],
            paths: vec![
                (0, "speckle_type".into()),
                (1, "name".into()),
                (2, "properties.Pset.FireRating".into()),
            ],
            values: vec![
                bundle_value(0, 0, &json!("Objects.BuiltElements.Wall")),
                bundle_value(0, 1, &json!("Wall 0")),
                bundle_value(0, 2, &json!("REI60")),
                bundle_value(1, 1, &json!("Door 0")),
            ],
            nodes: vec![
                Node {
                    id: 0,
                    kind: kind::CONTAINER,
                    name: Some("Level 1".into()),
                    ..Node::default()
                },
                Node {
                    id: 1,
                    kind: kind::MATERIAL,
                    argb: Some(0xFFFF0000_u32 as i32),
                    opacity: Some(0.5),
                    ..Node::default()
                },
                Node {
                    id: 2,
                    kind: kind::DEFINITION,
                    ..Node::default()
                },
                Node {
                    id: 3,
                    kind: kind::INSTANCE,
                    def_ref: Some(2),
                    transform: Some("1,0,0,10,0,1,0,0,0,0,1,0,0,0,0,1".into()),
                    ..Node::default()
                },
            ],
            relations: vec![
                Relation {
                    rel: rel::DISPLAY,
                    src: 0,
                    dst: 0,
                    ord: Some(0),
                },
                Relation {
                    rel: rel::HAS_MATERIAL,
                    src: 0,
                    dst: 1,
                    ord: None,
                },
                Relation {
                    rel: rel::IN_COLLECTION,
                    src: 0,
                    dst: 0,
                    ord: None,
                },
                Relation {
                    rel: rel::DISPLAY_INSTANCE,
                    src: 1,
                    dst: 3,
                    ord: Some(0),
                },
                Relation {
                    rel: rel::DEFINES,
                    src: 2,
                    dst: 0,
                    ord: Some(0),
                },
            ],
            geometries: vec![GeometryRow {
                index: 0,
                content: sgeo::encode_mesh(&vertices, &[3, 0, 1, 2], &[], Some("m")),
                id: "g0".into(),
                kind: "mesh".into(),
            }],
        }
    }

    #[test]
    fn a_bundle_becomes_collections_of_elements_with_meshes() {
        let (objects, root) = from_bundle(wall_bundle(), "house", Objects::default()).unwrap();
        let all = stored(&objects);
        let root = &all[&root.id];
        assert_eq!(root["name"], "house");
        let level = &all[root["@elements"][0]["referencedId"].as_str().unwrap()];
        assert_eq!(level["name"], "Level 1");
        let wall = &all[level["@elements"][0]["referencedId"].as_str().unwrap()];
        assert_eq!(wall["applicationId"], "wall-0");
        assert_eq!(wall["properties"]["Pset"]["FireRating"], "REI60");
        let mesh = &all[wall["@displayValue"][0]["referencedId"].as_str().unwrap()];
        assert_eq!(mesh["faces"], json!([3, 0, 1, 2]));
        assert_eq!(mesh["renderMaterial"]["opacity"], 0.5);
        // The door places the same mesh 10 m along x, through its instance.
        let door = &all[root["@elements"][1]["referencedId"].as_str().unwrap()];
        assert_eq!(door["speckle_type"], "Objects.Data.DataObject");
        let placed = &all[door["@displayValue"][0]["referencedId"].as_str().unwrap()];
        assert_eq!(placed["vertices"][3], 11.0);
    }

    #[test]
    fn a_tree_written_as_a_bundle_reads_back_with_the_same_elements() {
        let (objects, root) = from_bundle(wall_bundle(), "house", Objects::default()).unwrap();
        let bundle = to_bundle(&root.id, &stored(&objects)).unwrap();
        let ids: Vec<&str> = bundle.objects.iter().map(|o| o.1.as_str()).collect();
        assert_eq!(ids, ["wall-0", "door-0"]);
        let (again, again_root) = from_bundle(bundle, "house", Objects::default()).unwrap();
        let all = stored(&again);
        let level = &all[all[&again_root.id]["@elements"][0]["referencedId"]
            .as_str()
            .unwrap()];
        let wall = &all[level["@elements"][0]["referencedId"].as_str().unwrap()];
        assert_eq!(wall["properties"]["Pset"]["FireRating"], "REI60");
        assert_eq!(wall["@displayValue"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn missing_geometry_is_an_error_and_looping_containers_lose_no_element() {
        let mut bundle = wall_bundle();
        bundle.geometries.clear();
        let Err(error) = from_bundle(bundle, "m", Objects::default()) else {
            panic!("a bundle drawing missing geometry was read");
        };
        assert!(error.to_string().contains("geometry 0"), "{error}");
        let mut bundle = wall_bundle();
        bundle.nodes.push(Node {
            id: 4,
            kind: kind::CONTAINER,
            def_ref: Some(5),
            ..Node::default()
        });
        bundle.nodes.push(Node {
            id: 5,
            kind: kind::CONTAINER,
            def_ref: Some(4),
            ..Node::default()
        });
        bundle.relations.push(Relation {
            rel: rel::IN_COLLECTION,
            src: 1,
            dst: 4,
            ord: None,
        });
        let (objects, root) = from_bundle(bundle, "m", Objects::default()).unwrap();
        let all = stored(&objects);
        let top = all[&root.id]["@elements"].as_array().unwrap();
        let door = &all[top.last().unwrap()["referencedId"].as_str().unwrap()];
        assert_eq!(door["applicationId"], "door-0");
    }

    #[test]
    fn a_geometry_two_objects_draw_is_stored_once_for_both() {
        let mut bundle = wall_bundle();
        bundle.relations.push(Relation {
            rel: rel::DISPLAY,
            src: 1,
            dst: 0,
            ord: Some(1),
        });
        let (objects, root) = from_bundle(bundle, "m", Objects::default()).unwrap();
        let all = stored(&objects);
        let level = &all[all[&root.id]["@elements"][0]["referencedId"]
            .as_str()
            .unwrap()];
        let wall = &all[level["@elements"][0]["referencedId"].as_str().unwrap()];
        let door = &all[all[&root.id]["@elements"][1]["referencedId"]
            .as_str()
            .unwrap()];
        let drawn = |element: &Json| -> Vec<String> {
            element["@displayValue"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["referencedId"].as_str().unwrap().to_string())
                .collect()
        };
        // The door draws the shared mesh (with its own material: none) and its placed copy.
        assert_eq!(drawn(wall).len(), 1);
        assert_eq!(drawn(door).len(), 2);
        assert_eq!(all[&drawn(wall)[0]]["faces"], json!([3, 0, 1, 2]));
    }

    #[test]
    fn instances_that_multiply_are_bounded() {
        let mut bundle = wall_bundle();
        // Definition 2 places itself: unbounded recursion without the depth limit.
        bundle.relations.push(Relation {
            rel: rel::DEFINES_INSTANCE,
            src: 2,
            dst: 3,
            ord: Some(0),
        });
        let Err(error) = from_bundle(bundle, "m", Objects::default()) else {
            panic!("instances that place themselves were unfolded");
        };
        assert!(error.to_string().contains("nest deeper"), "{error}");
    }
}
