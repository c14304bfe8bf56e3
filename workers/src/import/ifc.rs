//! IFC (STEP, IFC2X3/IFC4/IFC4X3), read with ifc-lite: the spatial tree (project → site →
//! building → storey) becomes nested collections; each element becomes an object with its IFC
//! type, GlobalId, name, property sets and the meshes ifc-lite's geometry kernel makes of it.

use std::collections::{HashMap, HashSet};

use ifc_lite_core::{AttributeValue, DecodedEntity, EntityDecoder, EntityScanner};
use ifc_lite_geometry::GeometryRouter;
use serde_json::{json, Map, Value};

use super::speckle::{collection, element, material, mesh, Detached, Objects};
use super::{Converted, Failure};

/// Where an IfcProduct keeps its name and its shape.
const NAME: usize = 2;
const REPRESENTATION: usize = 6;

const SPATIAL: [&str; 5] = [
    "IFCPROJECT",
    "IFCSITE",
    "IFCBUILDING",
    "IFCBUILDINGSTOREY",
    "IFCFACILITY",
];

/// What ties objects together.
#[derive(Default)]
struct Relations {
    /// Decomposition and containment: parent → children.
    children: HashMap<u32, Vec<u32>>,
    /// Object → its property sets.
    property_sets: HashMap<u32, Vec<u32>>,
}

struct Reader<'a> {
    decoder: EntityDecoder<'a>,
    router: GeometryRouter,
    relations: Relations,
    objects: Objects,
    visited: HashSet<u32>,
    /// Elements whose shape the kernel could not make, by IFC type.
    skipped: HashMap<String, usize>,
    elements: usize,
}

pub fn convert(name: &str, bytes: &[u8]) -> Result<Converted, Failure> {
    if !bytes.starts_with(b"ISO-10303-21") {
        return Err(Failure(
            "not an IFC file: it does not start with ISO-10303-21".into(),
        ));
    }
    let mut decoder = EntityDecoder::new(bytes);
    let mut scanner = EntityScanner::new(bytes);
    let mut projects = Vec::new();
    let mut relation_ids = Vec::new();
    while let Some((id, kind, _, _)) = scanner.next_entity() {
        match kind {
            "IFCPROJECT" => projects.push(id),
            "IFCRELAGGREGATES"
            | "IFCRELCONTAINEDINSPATIALSTRUCTURE"
            | "IFCRELNESTS"
            | "IFCRELDEFINESBYPROPERTIES" => relation_ids.push((id, kind)),
            _ => {}
        }
    }
    let project = *projects
        .first()
        .ok_or_else(|| Failure("the IFC file has no IfcProject".into()))?;
    let mut relations = Relations::default();
    for (id, kind) in relation_ids {
        let Ok(rel) = decoder.decode_by_id(id) else {
            continue;
        };
        match kind {
            "IFCRELCONTAINEDINSPATIALSTRUCTURE" => {
                if let (Some(children), Some(parent)) = (rel.get_refs(4), rel.get_ref(5)) {
                    relations
                        .children
                        .entry(parent)
                        .or_default()
                        .extend(children);
                }
            }
            "IFCRELDEFINESBYPROPERTIES" => {
                if let (Some(objects), Some(set)) = (rel.get_refs(4), rel.get_ref(5)) {
                    for object in objects {
                        relations.property_sets.entry(object).or_default().push(set);
                    }
                }
            }
            _ => {
                if let (Some(parent), Some(children)) = (rel.get_ref(4), rel.get_refs(5)) {
                    relations
                        .children
                        .entry(parent)
                        .or_default()
                        .extend(children);
                }
            }
        }
    }
    let router = GeometryRouter::with_units(bytes, &mut decoder);
    let mut reader = Reader {
        decoder,
        router,
        relations,
        objects: Objects::default(),
        visited: HashSet::new(),
        skipped: HashMap::new(),
        elements: 0,
    };
    let tree = reader.node(project, 0)?;
    if reader.elements == 0 {
        return Err(Failure(
            "the IFC file has no elements with geometry under its project".into(),
        ));
    }
    let mut warnings: Vec<String> = reader
        .skipped
        .iter()
        .map(|(kind, n)| format!("{n} {kind} without a shape the geometry kernel could make"))
        .collect();
    warnings.sort();
    let mut objects = reader.objects;
    let tree = tree.ok_or_else(|| Failure("the IFC project is empty".into()))?;
    let root = objects.store(collection(name, "IFC file", &[&tree]), &[&tree]);
    Ok(Converted {
        objects,
        root,
        warnings,
        parser: "ifc-lite",
    })
}

impl Reader<'_> {
    /// The object for entity `id` and everything under it; `None` when nothing under it is drawn.
    fn node(&mut self, id: u32, depth: usize) -> Result<Option<Detached>, Failure> {
        if depth > 32 || !self.visited.insert(id) {
            return Ok(None);
        }
        let entity = self
            .decoder
            .decode_by_id(id)
            .map_err(|e| Failure(format!("entity #{id} cannot be read: {e}")))?;
        let kind = entity.ifc_type.as_str().to_string();
        let children_ids = self
            .relations
            .children
            .get(&id)
            .cloned()
            .unwrap_or_default();
        let mut children = Vec::new();
        for child in children_ids {
            children.extend(self.node(child, depth + 1)?);
        }
        let readable = format!("{:?}", entity.ifc_type);
        let name = entity
            .get_string(NAME)
            .filter(|n| !n.is_empty())
            .unwrap_or(&readable)
            .to_string();
        if SPATIAL.contains(&kind.as_str()) {
            if children.is_empty() {
                return Ok(None);
            }
            let refs: Vec<_> = children.iter().collect();
            let mut level = collection(&name, &readable, &refs);
            self.describe(&entity, &readable, &mut level);
            return Ok(Some(self.objects.store(level, &refs)));
        }
        let shape = self.shape(&entity, &readable);
        if shape.is_none() && children.is_empty() {
            return Ok(None);
        }
        let display: Vec<_> = shape.iter().collect();
        let mut object = element(
            &format!("Objects.BuiltElements.{readable}"),
            &name,
            &display,
        );
        self.describe(&entity, &readable, &mut object);
        if !children.is_empty() {
            object.insert(
                "@elements".into(),
                Value::Array(children.iter().map(Detached::reference).collect()),
            );
        }
        let mut below: Vec<&Detached> = display;
        below.extend(children.iter());
        self.elements += 1;
        Ok(Some(self.objects.store(object, &below)))
    }

    /// IFC type, GlobalId and property sets, as Speckle's IFC importer shows them.
    fn describe(
        &mut self,
        entity: &DecodedEntity,
        readable: &str,
        object: &mut Map<String, Value>,
    ) {
        object.insert("category".into(), json!(readable));
        object.insert("ifcType".into(), json!(readable));
        if let Some(guid) = entity.get_string(0) {
            object.insert("applicationId".into(), json!(guid));
            object.insert("globalId".into(), json!(guid));
        }
        let mut sets = Map::new();
        for set in self
            .relations
            .property_sets
            .get(&entity.id)
            .cloned()
            .unwrap_or_default()
        {
            let Ok(set) = self.decoder.decode_by_id(set) else {
                continue;
            };
            let set_name = set.get_string(NAME).unwrap_or("Properties").to_string();
            let mut values = Map::new();
            for property in set.get_refs(4).unwrap_or_default() {
                let Ok(property) = self.decoder.decode_by_id(property) else {
                    continue;
                };
                let (Some(name), Some(value)) = (property.get_string(0), property.get(2)) else {
                    continue;
                };
                if let Some(value) = plain(value) {
                    values.insert(name.to_string(), value);
                }
            }
            if !values.is_empty() {
                sets.insert(set_name, Value::Object(values));
            }
        }
        if !sets.is_empty() {
            object.insert("properties".into(), Value::Object(sets));
        }
    }

    /// The element's mesh, in metres and world coordinates, Z up.
    fn shape(&mut self, entity: &DecodedEntity, readable: &str) -> Option<Detached> {
        entity.get_ref(REPRESENTATION)?;
        let made = self.router.process_element(entity, &mut self.decoder);
        let shape = match made {
            Ok(shape) if !shape.indices.is_empty() => shape,
            _ => {
                *self.skipped.entry(readable.to_string()).or_default() += 1;
                return None;
            }
        };
        let [ox, oy, oz] = shape.origin;
        let positions: Vec<f64> = shape
            .positions
            .chunks_exact(3)
            .flat_map(|p| [ox + p[0] as f64, oy + p[1] as f64, oz + p[2] as f64])
            .collect();
        let colour = material(readable, colour_of(readable));
        Some(
            self.objects
                .store(mesh(&positions, &shape.indices, Some(colour)), &[]),
        )
    }
}

/// A property's value as JSON: numbers, text and booleans; `None` for what has no plain form.
fn plain(value: &AttributeValue) -> Option<Value> {
    match value {
        AttributeValue::Typed { value, .. } => plain(value),
        AttributeValue::String(s) => Some(json!(s)),
        AttributeValue::Integer(i) => Some(json!(i)),
        AttributeValue::Float(f) if f.is_finite() => Some(json!(f)),
        AttributeValue::Enum(e) => Some(match e.trim_matches('.') {
            "T" => json!(true),
            "F" => json!(false),
            other => json!(other),
        }),
        _ => None,
    }
}

/// Colours by element type, as IFC viewers commonly show them when a file has no styles.
fn colour_of(readable: &str) -> [f32; 4] {
    match readable {
        "IfcWall" | "IfcWallStandardCase" => [0.90, 0.89, 0.86, 1.0],
        "IfcSlab" | "IfcFooting" => [0.70, 0.70, 0.72, 1.0],
        "IfcRoof" => [0.62, 0.30, 0.22, 1.0],
        "IfcWindow" | "IfcPlate" => [0.55, 0.75, 0.90, 0.45],
        "IfcDoor" => [0.55, 0.38, 0.22, 1.0],
        "IfcBeam" | "IfcColumn" | "IfcMember" => [0.58, 0.62, 0.68, 1.0],
        "IfcStair" | "IfcStairFlight" | "IfcRailing" => [0.66, 0.60, 0.52, 1.0],
        "IfcSpace" => [0.60, 0.80, 0.60, 0.25],
        _ => [0.80, 0.80, 0.80, 1.0],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUSE: &[u8] = include_bytes!("../../tests/fixtures/small_house.ifc");

    fn object(converted: &Converted, name: &str) -> Value {
        converted
            .objects
            .list
            .iter()
            .map(|o| serde_json::from_str::<Value>(&o.data).unwrap())
            .find(|o| o["name"] == name)
            .unwrap_or_else(|| panic!("no object named {name}"))
    }

    #[test]
    fn the_spatial_tree_elements_properties_and_shapes_come_through() {
        let converted = convert("small_house.ifc", HOUSE).unwrap();
        assert!(converted.warnings.is_empty(), "{:?}", converted.warnings);
        for level in ["Small house", "Plot 7", "House", "Ground floor"] {
            assert_eq!(
                object(&converted, level)["speckle_type"],
                "Speckle.Core.Models.Collection"
            );
        }
        let wall = object(&converted, "South wall");
        assert_eq!(wall["speckle_type"], "Objects.BuiltElements.IfcWall");
        assert_eq!(wall["globalId"], "3vB2YO$MX4xv5uCqZZG05x");
        assert_eq!(
            wall["properties"]["Pset_WallCommon"]["IsExternal"],
            json!(true)
        );
        assert_eq!(
            wall["properties"]["Pset_WallCommon"]["FireRating"],
            json!("REI 60")
        );

        // The wall's mesh: 6 m long in metres (the file is in millimetres), 2.8 m up Z.
        let mesh_id = wall["@displayValue"][0]["referencedId"]
            .as_str()
            .unwrap()
            .to_string();
        let mesh: Value = converted
            .objects
            .list
            .iter()
            .find(|o| o.id == mesh_id)
            .map(|o| serde_json::from_str(&o.data).unwrap())
            .unwrap();
        let vertices: Vec<f64> = mesh["vertices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let axis = |k: usize| {
            let values = vertices.iter().skip(k).step_by(3);
            let (lo, hi) =
                values.fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)));
            hi - lo
        };
        assert!((axis(0) - 6.0).abs() < 1e-3, "length {}", axis(0));
        assert!((axis(1) - 0.2).abs() < 1e-3, "thickness {}", axis(1));
        assert!((axis(2) - 2.8).abs() < 1e-3, "height {}", axis(2));
    }

    #[test]
    fn files_that_are_not_ifc_fail_with_a_reason() {
        let Err(Failure(why)) = convert("x.ifc", b"hello") else {
            panic!("converted")
        };
        assert!(why.contains("not an IFC file"));
        let truncated = &HOUSE[..HOUSE.len() / 3];
        assert!(convert("x.ifc", truncated).is_err());
    }
}
