//! IFC (STEP, IFC2X3/IFC4/IFC4X3), read with ifc-lite: the spatial tree (project → site →
//! building → storey) becomes nested collections; each element becomes an object with its IFC
//! type, GlobalId, name, property sets and quantities (its type's first, then its own), its
//! materials, and the meshes ifc-lite's geometry kernel makes of it, openings cut out, in the
//! colours the file gives its shapes or materials.

use std::collections::{BTreeMap, HashMap, HashSet};

use ifc_lite_core::{AttributeValue, DecodedEntity, EntityDecoder, EntityScanner, IfcType};
use ifc_lite_geometry::{GeometryRouter, SubMeshCollection};
use rustc_hash::FxHashMap;
use serde_json::{json, Map, Value};

use super::{Bounds, Converted, Failure};
use fleck_core::objects::build::{collection, element, material, mesh, Detached, Objects};

/// Where an IfcRoot keeps its GlobalId and name, an IfcProduct its shape, an IfcTypeObject its
/// property sets; relationships keep their related objects at 4 and the relating one at 5.
const GLOBAL_ID: usize = 0;
const NAME: usize = 2;
const REPRESENTATION: usize = 6;
const TYPE_PROPERTY_SETS: usize = 5;
const RELATED: usize = 4;
const RELATING: usize = 5;

/// Elements that are never drawn: the holes other elements' shapes are cut by, and helpers.
const NOT_DRAWN: [&str; 4] = [
    "IFCOPENINGELEMENT",
    "IFCOPENINGSTANDARDCASE",
    "IFCVIRTUALELEMENT",
    "IFCANNOTATION",
];

type Rgba = [f32; 4];

/// What ties objects together, and the colours the file gives.
#[derive(Default)]
struct Relations {
    /// Decomposition and containment: parent → children.
    children: HashMap<u32, Vec<u32>>,
    /// Object or type → its property sets and quantity sets.
    property_sets: HashMap<u32, Vec<u32>>,
    /// Object → its type object.
    types: HashMap<u32, u32>,
    /// Object or type → its material definition (a material, layer set, list, …).
    materials: HashMap<u32, u32>,
    /// Element → the openings cut out of it.
    voids: FxHashMap<u32, Vec<u32>>,
    /// Shape item → its colour, from IfcStyledItem.
    item_colours: HashMap<u32, Rgba>,
    /// IfcMaterial → its colour, from its IfcMaterialDefinitionRepresentation.
    material_colours: HashMap<u32, Rgba>,
}

struct Reader<'a> {
    decoder: EntityDecoder<'a>,
    router: GeometryRouter,
    relations: Relations,
    objects: Objects,
    visited: HashSet<u32>,
    bounds: Bounds,
    /// Elements whose shape the kernel could not make, by IFC type.
    skipped: BTreeMap<String, usize>,
    elements: usize,
    /// The project's unit symbols by IFC unit type (`LENGTHUNIT` → `mm`), for quantities.
    units: HashMap<String, String>,
}

pub fn convert(name: &str, bytes: &[u8], bounds: Bounds) -> Result<Converted, Failure> {
    if !bytes.starts_with(b"ISO-10303-21") {
        return Err(Failure(
            "not an IFC file: it does not start with ISO-10303-21".into(),
        ));
    }
    // Every STEP file ends with this line; a file without it was cut short (an interrupted
    // export or upload), and whatever is missing would only show as a puzzling error later.
    let end = bytes.trim_ascii_end();
    if !end.ends_with(b"END-ISO-10303-21;") {
        return Err(Failure(
            "the IFC file is incomplete: it does not end with END-ISO-10303-21; it may have been cut short while exporting or uploading".into(),
        ));
    }
    let mut decoder = EntityDecoder::new(bytes);
    let mut scanner = EntityScanner::new(bytes);
    let mut projects = Vec::new();
    let mut relation_ids = Vec::new();
    let mut styled_items = Vec::new();
    let mut material_representations = Vec::new();
    while let Some((id, kind, _, _)) = scanner.next_entity() {
        match kind {
            "IFCPROJECT" => projects.push(id),
            "IFCRELAGGREGATES"
            | "IFCRELCONTAINEDINSPATIALSTRUCTURE"
            | "IFCRELNESTS"
            | "IFCRELDEFINESBYPROPERTIES"
            | "IFCRELDEFINESBYTYPE"
            | "IFCRELASSOCIATESMATERIAL"
            | "IFCRELVOIDSELEMENT" => relation_ids.push((id, kind)),
            "IFCSTYLEDITEM" => styled_items.push(id),
            "IFCMATERIALDEFINITIONREPRESENTATION" => material_representations.push(id),
            _ => {}
        }
    }
    bounds.check()?;
    let project = *projects
        .first()
        .ok_or_else(|| Failure("the IFC file has no IfcProject".into()))?;
    let mut relations = Relations::default();
    for (id, kind) in relation_ids {
        let Ok(rel) = decoder.decode_by_id(id) else {
            continue;
        };
        let (related, relating) = (rel.get_refs(RELATED), rel.get_ref(RELATING));
        match (kind, related, relating) {
            ("IFCRELCONTAINEDINSPATIALSTRUCTURE", Some(children), Some(parent)) => {
                relations
                    .children
                    .entry(parent)
                    .or_default()
                    .extend(children);
            }
            ("IFCRELDEFINESBYPROPERTIES", Some(objects), Some(set)) => {
                for object in objects {
                    relations.property_sets.entry(object).or_default().push(set);
                }
            }
            ("IFCRELDEFINESBYTYPE", Some(objects), Some(kind)) => {
                for object in objects {
                    relations.types.insert(object, kind);
                }
            }
            ("IFCRELASSOCIATESMATERIAL", Some(objects), Some(definition)) => {
                for object in objects {
                    relations.materials.insert(object, definition);
                }
            }
            ("IFCRELVOIDSELEMENT", _, Some(opening)) => {
                if let Some(host) = rel.get_ref(RELATED) {
                    relations.voids.entry(host).or_default().push(opening);
                }
            }
            ("IFCRELAGGREGATES" | "IFCRELNESTS", _, _) => {
                // Decomposition lists the parent first: RelatingObject, then RelatedObjects.
                if let (Some(parent), Some(children)) = (rel.get_ref(4), rel.get_refs(5)) {
                    relations
                        .children
                        .entry(parent)
                        .or_default()
                        .extend(children);
                }
            }
            _ => {}
        }
    }
    for id in styled_items {
        let Ok(styled) = decoder.decode_by_id(id) else {
            continue;
        };
        if let (Some(item), Some(colour)) = (styled.get_ref(0), style_colour(&mut decoder, &styled))
        {
            relations.item_colours.insert(item, colour);
        }
    }
    for id in material_representations {
        if let Some((material, colour)) = material_colour(&mut decoder, id) {
            relations.material_colours.insert(material, colour);
        }
    }
    bounds.check()?;
    let router = GeometryRouter::with_units(bytes, &mut decoder);
    let units = project_units(&mut decoder, project);
    let mut reader = Reader {
        decoder,
        router,
        relations,
        objects: Objects::default(),
        visited: HashSet::new(),
        bounds,
        skipped: BTreeMap::new(),
        elements: 0,
        units,
    };
    let tree = reader.node(project, 0)?;
    if reader.elements == 0 {
        return Err(Failure(
            "the IFC file has no elements with geometry under its project".into(),
        ));
    }
    let warnings: Vec<String> = reader
        .skipped
        .iter()
        .map(|(kind, n)| format!("{n} {kind} without a shape the geometry kernel could make"))
        .collect();
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

/// Levels of the spatial tree become collections; everything else (spaces included) elements.
fn is_spatial(kind: &IfcType) -> bool {
    *kind == IfcType::IfcProject
        || (kind.is_subtype_of(IfcType::IfcSpatialStructureElement) && *kind != IfcType::IfcSpace)
}

impl Reader<'_> {
    /// The object for entity `id` and everything under it; `None` when nothing under it is drawn.
    fn node(&mut self, id: u32, depth: usize) -> Result<Option<Detached>, Failure> {
        self.bounds.check()?;
        self.bounds.check_geometry(&self.objects)?;
        if depth > 32 || !self.visited.insert(id) {
            return Ok(None);
        }
        let entity = self
            .decoder
            .decode_by_id(id)
            .map_err(|e| Failure(format!("entity #{id} cannot be read: {e}")))?;
        let keyword = entity.ifc_type.as_str().to_string();
        if NOT_DRAWN.contains(&keyword.as_str()) {
            return Ok(None);
        }
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
        let readable = entity.ifc_type.name().to_string();
        let name = entity
            .get_string(NAME)
            .filter(|n| !n.is_empty())
            .unwrap_or(&readable)
            .to_string();
        let shapes = self.shapes(&entity, &readable);
        if shapes.is_empty() && children.is_empty() {
            return Ok(None);
        }
        let display: Vec<_> = shapes.iter().collect();
        let mut below: Vec<&Detached> = display.clone();
        below.extend(children.iter());
        let object = if is_spatial(&entity.ifc_type) {
            let refs: Vec<_> = children.iter().collect();
            let mut level = collection(&name, &readable, &refs);
            // A site's terrain, say.
            if !display.is_empty() {
                level.insert(
                    "@displayValue".into(),
                    Value::Array(display.iter().map(|d| d.reference()).collect()),
                );
            }
            self.describe(&entity, &readable, &mut level);
            level
        } else {
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
            if !display.is_empty() {
                self.elements += 1;
            }
            object
        };
        Ok(Some(self.objects.store(object, &below)))
    }

    /// IFC type, GlobalId, type name, materials, property sets and quantities, as Speckle's IFC
    /// importer shows them.
    fn describe(
        &mut self,
        entity: &DecodedEntity,
        readable: &str,
        object: &mut Map<String, Value>,
    ) {
        object.insert("category".into(), json!(readable));
        object.insert("ifcType".into(), json!(readable));
        if let Some(guid) = entity.get_string(GLOBAL_ID) {
            object.insert("applicationId".into(), json!(guid));
            object.insert("globalId".into(), json!(guid));
        }
        if let Some(description) = entity.get_string(3).filter(|d| !d.is_empty()) {
            object.insert("description".into(), json!(description));
        }
        let kind = self
            .relations
            .types
            .get(&entity.id)
            .and_then(|&t| self.decoder.decode_by_id(t).ok());
        let mut sets = Map::new();
        if let Some(kind) = &kind {
            if let Some(type_name) = kind.get_string(NAME) {
                object.insert("typeName".into(), json!(type_name));
            }
            let mut own = kind.get_refs(TYPE_PROPERTY_SETS).unwrap_or_default();
            own.extend(
                self.relations
                    .property_sets
                    .get(&kind.id)
                    .cloned()
                    .unwrap_or_default(),
            );
            self.read_sets(&own, &mut sets);
        }
        let own = self
            .relations
            .property_sets
            .get(&entity.id)
            .cloned()
            .unwrap_or_default();
        self.read_sets(&own, &mut sets);
        if !sets.is_empty() {
            object.insert("properties".into(), Value::Object(sets));
        }
        let names: Vec<String> = self
            .materials_of(entity.id, kind.as_ref().map(|k| k.id))
            .into_iter()
            .filter_map(|m| self.decoder.decode_by_id(m).ok())
            .filter_map(|m| m.get_string(0).map(str::to_string))
            .collect();
        if !names.is_empty() {
            object.insert("materials".into(), json!(names));
        }
    }

    /// Property sets (single, enumerated and listed values) and quantity sets, by set name; a
    /// later set's values win.
    fn read_sets(&mut self, ids: &[u32], sets: &mut Map<String, Value>) {
        for &id in ids {
            let Ok(set) = self.decoder.decode_by_id(id) else {
                continue;
            };
            let set_name = set.get_string(NAME).unwrap_or("Properties").to_string();
            let quantities = set.ifc_type == IfcType::IfcElementQuantity;
            let members = set
                .get_refs(if quantities { 5 } else { 4 })
                .unwrap_or_default();
            let mut values = Map::new();
            for member in members {
                let Ok(member) = self.decoder.decode_by_id(member) else {
                    continue;
                };
                let Some(name) = member.get_string(0) else {
                    continue;
                };
                // IfcPropertySingleValue, IfcPropertyEnumeratedValue, IfcPropertyListValue: the
                // value(s) third; IfcPhysicalSimpleQuantity: the value fourth.
                let value = if quantities {
                    member.get(3)
                } else {
                    member.get(2)
                };
                if let Some(value) = value.and_then(plain) {
                    // A quantity is a measure in its own unit or the project's: shown with it.
                    let units = quantities.then(|| self.quantity_units(&member)).flatten();
                    let value = match units {
                        Some(units) if value.is_number() => {
                            json!({ "value": value, "units": units })
                        }
                        _ => value,
                    };
                    values.insert(name.to_string(), value);
                }
            }
            if values.is_empty() {
                continue;
            }
            match sets.get_mut(&set_name) {
                Some(Value::Object(existing)) => existing.extend(values),
                _ => {
                    sets.insert(set_name, Value::Object(values));
                }
            }
        }
    }

    /// The symbol of a quantity's unit: its own (attribute 2), else the project's for its kind.
    fn quantity_units(&mut self, quantity: &DecodedEntity) -> Option<String> {
        if let Some(unit) = quantity.get_ref(2) {
            return unit_symbol(&mut self.decoder, unit).map(|(_, symbol)| symbol);
        }
        let kind = match quantity.ifc_type {
            IfcType::IfcQuantityLength => "LENGTHUNIT",
            IfcType::IfcQuantityArea => "AREAUNIT",
            IfcType::IfcQuantityVolume => "VOLUMEUNIT",
            IfcType::IfcQuantityWeight => "MASSUNIT",
            IfcType::IfcQuantityTime => "TIMEUNIT",
            _ => return None,
        };
        self.units.get(kind).cloned()
    }

    /// The IfcMaterials associated with the element, or else with its type.
    fn materials_of(&mut self, element: u32, kind: Option<u32>) -> Vec<u32> {
        let definition = self
            .relations
            .materials
            .get(&element)
            .or_else(|| kind.and_then(|k| self.relations.materials.get(&k)))
            .copied();
        let mut found = Vec::new();
        if let Some(definition) = definition {
            collect_materials(&mut self.decoder, definition, 0, &mut found);
        }
        found
    }

    /// The element's meshes, in metres and world coordinates, Z up, one per colour.
    fn shapes(&mut self, entity: &DecodedEntity, readable: &str) -> Vec<Detached> {
        if entity.get_ref(REPRESENTATION).is_none() {
            return Vec::new();
        }
        let made = match self.relations.voids.get(&entity.id) {
            Some(_) => self
                .router
                .process_element_with_submeshes_and_voids(
                    entity,
                    &mut self.decoder,
                    &self.relations.voids,
                )
                .ok()
                .filter(|m| !m.sub_meshes.is_empty())
                .or_else(|| {
                    self.router
                        .process_element_with_submeshes(entity, &mut self.decoder)
                        .ok()
                }),
            None => self
                .router
                .process_element_with_submeshes(entity, &mut self.decoder)
                .ok(),
        };
        let made: SubMeshCollection = made.unwrap_or_default();
        let materials = self.materials_of(entity.id, self.relations.types.get(&entity.id).copied());
        let fallback = materials
            .iter()
            .find_map(|m| self.relations.material_colours.get(m))
            .copied()
            .unwrap_or_else(|| colour_of(readable));
        // Sub-meshes of one colour become one mesh.
        let mut by_colour: Vec<(Rgba, Vec<f64>, Vec<u32>)> = Vec::new();
        for part in &made.sub_meshes {
            let m = &part.mesh;
            if m.indices.is_empty() {
                continue;
            }
            let colour = if made.ids_are_materials {
                self.relations.material_colours.get(&part.geometry_id)
            } else {
                self.relations.item_colours.get(&part.geometry_id)
            }
            .copied()
            .unwrap_or(fallback);
            let slot = match by_colour.iter().position(|(c, _, _)| *c == colour) {
                Some(slot) => slot,
                None => {
                    by_colour.push((colour, Vec::new(), Vec::new()));
                    by_colour.len() - 1
                }
            };
            let (_, positions, indices) = &mut by_colour[slot];
            let base = (positions.len() / 3) as u32;
            let count = (m.positions.len() / 3) as u32;
            let [ox, oy, oz] = m.origin;
            positions.extend(
                m.positions
                    .chunks_exact(3)
                    .flat_map(|p| [ox + p[0] as f64, oy + p[1] as f64, oz + p[2] as f64]),
            );
            for t in m.indices.chunks_exact(3) {
                if t.iter().all(|&i| i < count) {
                    indices.extend(t.iter().map(|i| base + i));
                }
            }
        }
        by_colour.retain(|(_, _, indices)| !indices.is_empty());
        if by_colour.is_empty() {
            *self.skipped.entry(readable.to_string()).or_default() += 1;
            return Vec::new();
        }
        by_colour
            .into_iter()
            .map(|(colour, positions, indices)| {
                let name = colour_name(readable, colour);
                self.objects.store(
                    mesh(&positions, &indices, Some(material(&name, colour))),
                    &[],
                )
            })
            .collect()
    }
}

/// The IfcMaterials a material definition is made of (layers, lists, constituents, profiles).
fn collect_materials(decoder: &mut EntityDecoder, id: u32, depth: usize, found: &mut Vec<u32>) {
    if depth > 4 || found.len() > 32 {
        return;
    }
    let Ok(entity) = decoder.decode_by_id(id) else {
        return;
    };
    let next: Vec<u32> = match entity.ifc_type.as_str() {
        "IFCMATERIAL" => {
            if !found.contains(&id) {
                found.push(id);
            }
            Vec::new()
        }
        "IFCMATERIALLAYERSETUSAGE" | "IFCMATERIALPROFILESETUSAGE" => {
            entity.get_ref(0).into_iter().collect()
        }
        "IFCMATERIALLAYERSET" | "IFCMATERIALLIST" => entity.get_refs(0).unwrap_or_default(),
        "IFCMATERIALLAYER" => entity.get_ref(0).into_iter().collect(),
        "IFCMATERIALCONSTITUENTSET" | "IFCMATERIALPROFILESET" => {
            entity.get_refs(2).unwrap_or_default()
        }
        "IFCMATERIALCONSTITUENT" | "IFCMATERIALPROFILE" => entity.get_ref(2).into_iter().collect(),
        _ => Vec::new(),
    };
    for id in next {
        collect_materials(decoder, id, depth + 1, found);
    }
}

/// The surface colour of an IfcStyledItem: its styles are IfcSurfaceStyles, directly (IFC4) or
/// through IfcPresentationStyleAssignments (IFC2X3).
fn style_colour(decoder: &mut EntityDecoder, styled: &DecodedEntity) -> Option<Rgba> {
    let mut styles = styled.get_refs(1).unwrap_or_default();
    let mut seen = 0;
    while let Some(id) = styles.pop() {
        seen += 1;
        if seen > 64 {
            return None;
        }
        let style = decoder.decode_by_id(id).ok()?;
        match style.ifc_type.as_str() {
            "IFCPRESENTATIONSTYLEASSIGNMENT" => {
                styles.extend(style.get_refs(0).unwrap_or_default())
            }
            "IFCSURFACESTYLE" => styles.extend(style.get_refs(2).unwrap_or_default()),
            "IFCSURFACESTYLESHADING" | "IFCSURFACESTYLERENDERING" => {
                let colour = decoder.decode_by_id(style.get_ref(0)?).ok()?;
                let channel = |i| colour.get_float(i).map(|v| v as f32);
                let transparency = style.get_float(1).unwrap_or(0.0) as f32;
                return Some([
                    channel(1)?,
                    channel(2)?,
                    channel(3)?,
                    (1.0 - transparency).clamp(0.0, 1.0),
                ]);
            }
            _ => {}
        }
    }
    None
}

/// An IfcMaterialDefinitionRepresentation's material and the colour its styled items give it.
fn material_colour(decoder: &mut EntityDecoder, id: u32) -> Option<(u32, Rgba)> {
    let definition = decoder.decode_by_id(id).ok()?;
    let material = definition.get_ref(3)?;
    for representation in definition.get_refs(2).unwrap_or_default() {
        let Ok(representation) = decoder.decode_by_id(representation) else {
            continue;
        };
        for item in representation.get_refs(3).unwrap_or_default() {
            let Ok(styled) = decoder.decode_by_id(item) else {
                continue;
            };
            if let Some(colour) = style_colour(decoder, &styled) {
                return Some((material, colour));
            }
        }
    }
    None
}

/// A property's value as JSON: numbers, text, booleans and lists of them; `None` for what has
/// no plain form.
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
        AttributeValue::List(values) => {
            let values: Vec<Value> = values.iter().filter_map(plain).collect();
            match values.len() {
                0 => None,
                1 => values.into_iter().next(),
                _ => Some(Value::Array(values)),
            }
        }
        _ => None,
    }
}

/// The symbols of the units the project assigns (its `UnitsInContext`), by IFC unit type.
fn project_units(decoder: &mut EntityDecoder, project: u32) -> HashMap<String, String> {
    let assignment = decoder
        .decode_by_id(project)
        .ok()
        .and_then(|p| p.get_ref(8));
    let units = assignment
        .and_then(|a| decoder.decode_by_id(a).ok())
        .and_then(|a| a.get_refs(0))
        .unwrap_or_default();
    units
        .into_iter()
        .filter_map(|unit| unit_symbol(decoder, unit))
        .collect()
}

/// An IfcSIUnit's or IfcConversionBasedUnit's type (`AREAUNIT`) and symbol (`m²`); `None` for
/// units with no short symbol.
fn unit_symbol(decoder: &mut EntityDecoder, id: u32) -> Option<(String, String)> {
    let unit = decoder.decode_by_id(id).ok()?;
    let enumeration = |index: usize| match unit.get(index) {
        Some(AttributeValue::Enum(e)) => Some(e.trim_matches('.').to_string()),
        _ => None,
    };
    let kind = enumeration(1)?;
    let symbol = if unit.ifc_type == IfcType::IfcSIUnit {
        si_symbol(enumeration(2).as_deref(), &enumeration(3)?)?
    } else if unit.ifc_type.is_subtype_of(IfcType::IfcConversionBasedUnit) {
        named_symbol(unit.get_string(2)?)?
    } else {
        return None;
    };
    Some((kind, symbol))
}

/// `MILLI` `METRE` → `mm`, `SQUARE_METRE` → `m²`.
fn si_symbol(prefix: Option<&str>, name: &str) -> Option<String> {
    let prefix = match prefix {
        None => "",
        Some("KILO") => "k",
        Some("HECTO") => "h",
        Some("DECA") => "da",
        Some("DECI") => "d",
        Some("CENTI") => "c",
        Some("MILLI") => "m",
        Some("MICRO") => "µ",
        Some(_) => return None,
    };
    let (base, power) = match name {
        "METRE" => ("m", ""),
        "SQUARE_METRE" => ("m", "²"),
        "CUBIC_METRE" => ("m", "³"),
        "GRAM" => ("g", ""),
        "SECOND" => ("s", ""),
        _ => return None,
    };
    Some(format!("{prefix}{base}{power}"))
}

/// Imperial units by their usual IFC names (`square foot` → `ft²`).
fn named_symbol(name: &str) -> Option<String> {
    let symbol = match name.trim().to_lowercase().replace('_', " ").as_str() {
        "inch" => "in",
        "foot" => "ft",
        "yard" => "yd",
        "mile" => "mi",
        "square inch" => "in²",
        "square foot" => "ft²",
        "square yard" => "yd²",
        "acre" => "ac",
        "cubic inch" => "in³",
        "cubic foot" => "ft³",
        "cubic yard" => "yd³",
        "gallon" | "gallon us" => "gal",
        "pound" => "lb",
        "ton uk" | "ton us" => "t",
        _ => return None,
    };
    Some(symbol.to_string())
}

/// Colours by element type, as IFC viewers commonly show them when a file has no styles.
fn colour_of(readable: &str) -> Rgba {
    match readable {
        "IfcWall" | "IfcWallStandardCase" => [0.90, 0.89, 0.86, 1.0],
        "IfcSlab" | "IfcFooting" => [0.70, 0.70, 0.72, 1.0],
        "IfcRoof" => [0.62, 0.30, 0.22, 1.0],
        "IfcWindow" | "IfcPlate" => [0.55, 0.75, 0.90, 0.45],
        "IfcDoor" => [0.55, 0.38, 0.22, 1.0],
        "IfcBeam" | "IfcColumn" | "IfcMember" => [0.58, 0.62, 0.68, 1.0],
        "IfcStair" | "IfcStairFlight" | "IfcRailing" => [0.66, 0.60, 0.52, 1.0],
        "IfcSpace" => [0.60, 0.80, 0.60, 0.25],
        "IfcSite" => [0.55, 0.65, 0.45, 1.0],
        _ => [0.80, 0.80, 0.80, 1.0],
    }
}

/// A render material's name: the element type and its colour, so equal colours share one.
fn colour_name(readable: &str, [r, g, b, a]: Rgba) -> String {
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    format!(
        "{readable} #{:02x}{:02x}{:02x}{:02x}",
        byte(r),
        byte(g),
        byte(b),
        byte(a)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// IFC4 in millimetres: a site, building and storey holding a brick wall (an extruded
    /// rectangle with a window opening cut out, a type with properties, a layered material
    /// with a colour), a slab with quantities, and a roof placed 2.8 m up as a triangulated
    /// face set with a styled colour.
    const HOUSE: &[u8] = include_bytes!("../../tests/fixtures/small_house.ifc");

    fn bounds() -> Bounds {
        Bounds::after(Duration::from_secs(60))
    }

    fn named<'a>(objects: &'a [Value], name: &str) -> &'a Value {
        objects
            .iter()
            .find(|o| o["name"] == name)
            .unwrap_or_else(|| panic!("no object named {name}"))
    }

    /// The meshes an element is drawn with.
    fn meshes<'a>(objects: &'a [Value], element: &Value) -> Vec<&'a Value> {
        element["@displayValue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                objects
                    .iter()
                    .find(|o| o["id"] == r["referencedId"])
                    .unwrap()
            })
            .collect()
    }

    fn vertices(mesh: &Value) -> Vec<[f64; 3]> {
        let flat: Vec<f64> = mesh["vertices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        flat.chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect()
    }

    fn extent(points: &[[f64; 3]], axis: usize) -> (f64, f64) {
        points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
            (lo.min(p[axis]), hi.max(p[axis]))
        })
    }

    /// Asserts how far the points reach along each axis listed, to the millimetre.
    fn assert_extents(points: &[[f64; 3]], expected: &[(usize, (f64, f64))]) {
        for &(axis, (lo, hi)) in expected {
            let (min, max) = extent(points, axis);
            assert!(
                (min - lo).abs() < 1e-3 && (max - hi).abs() < 1e-3,
                "axis {axis}: {:?}",
                (min, max)
            );
        }
    }

    #[test]
    fn the_spatial_tree_becomes_nested_collections() {
        let converted = convert("small_house.ifc", HOUSE, bounds()).unwrap();
        assert!(converted.warnings.is_empty(), "{:?}", converted.warnings);
        let objects = converted.stored();
        let mut parent = objects.last().unwrap();
        assert_eq!(parent["name"], "small_house.ifc");
        for (level, kind) in [
            ("Small house", "IfcProject"),
            ("Plot 7", "IfcSite"),
            ("House", "IfcBuilding"),
            ("Ground floor", "IfcBuildingStorey"),
        ] {
            let child = named(&objects, level);
            assert_eq!(child["speckle_type"], "Speckle.Core.Models.Collection");
            assert_eq!(child["ifcType"], kind);
            assert_eq!(
                parent["@elements"][0]["referencedId"], child["id"],
                "{level}"
            );
            parent = child;
        }
        let storey: Vec<&Value> = parent["@elements"].as_array().unwrap().iter().collect();
        assert_eq!(
            storey.len(),
            3,
            "wall, slab and roof; the opening is not drawn"
        );
        assert!(!objects.iter().any(|o| o["name"] == "Window opening"));
    }

    #[test]
    fn elements_carry_their_type_properties_quantities_and_materials() {
        let converted = convert("small_house.ifc", HOUSE, bounds()).unwrap();
        let objects = converted.stored();
        let wall = named(&objects, "South wall");
        assert_eq!(wall["speckle_type"], "Objects.BuiltElements.IfcWall");
        assert_eq!(wall["globalId"], "3vB2YO$MX4xv5uCqZZG05x");
        assert_eq!(wall["applicationId"], "3vB2YO$MX4xv5uCqZZG05x");
        assert_eq!(wall["typeName"], "Brick wall 200");
        assert_eq!(wall["materials"], json!(["Brick"]));
        let common = &wall["properties"]["Pset_WallCommon"];
        assert_eq!(
            common["IsExternal"],
            json!(true),
            "the element's own value wins"
        );
        assert_eq!(common["FireRating"], json!("REI 60"));
        assert_eq!(common["ThermalTransmittance"], json!(0.3), "from the type");
        let slab = named(&objects, "Ground slab");
        assert_eq!(
            slab["properties"]["Qto_SlabBaseQuantities"],
            json!({
                "GrossArea": { "value": 24.0, "units": "m²" },
                // The project assigns no volume unit: the value stays bare.
                "GrossVolume": 6.0,
            }),
            "quantities carry the project's unit"
        );
    }

    #[test]
    fn unit_symbols_are_short() {
        assert_eq!(si_symbol(Some("MILLI"), "METRE").as_deref(), Some("mm"));
        assert_eq!(si_symbol(None, "CUBIC_METRE").as_deref(), Some("m³"));
        assert_eq!(si_symbol(Some("KILO"), "GRAM").as_deref(), Some("kg"));
        assert_eq!(si_symbol(None, "RADIAN"), None);
        assert_eq!(named_symbol("SQUARE FOOT").as_deref(), Some("ft²"));
        assert_eq!(named_symbol("furlong"), None);
    }

    #[test]
    fn shapes_are_placed_in_metres_with_openings_cut_and_colours_from_the_file() {
        let converted = convert("small_house.ifc", HOUSE, bounds()).unwrap();
        let objects = converted.stored();

        let wall = meshes(&objects, named(&objects, "South wall"));
        assert_eq!(wall.len(), 1);
        let points = vertices(wall[0]);
        // 6 m long, 0.2 m thick, 2.8 m high: the file is in millimetres.
        assert_extents(
            &points,
            &[(0, (0.0, 6.0)), (1, (0.0, 0.2)), (2, (0.0, 2.8))],
        );
        // The window opening's edges, x 2.5..3.5 and z 0.9..2.1, are corners of the wall now.
        for corner in [[2.5, 0.9], [3.5, 0.9], [2.5, 2.1], [3.5, 2.1]] {
            assert!(
                points
                    .iter()
                    .any(|p| (p[0] - corner[0]).abs() < 1e-3 && (p[2] - corner[1]).abs() < 1e-3),
                "no vertex at {corner:?}"
            );
        }
        // Brick's colour, from its material's styled representation.
        assert_eq!(
            wall[0]["renderMaterial"]["diffuse"],
            json!(0xFFCC6633_u32 as i32)
        );

        let roof = meshes(&objects, named(&objects, "Roof"));
        let points = vertices(roof[0]);
        assert_eq!(roof[0]["faces"].as_array().unwrap().len(), 8 * 4);
        assert_extents(&points, &[(2, (2.8, 4.3)), (1, (0.0, 4.0))]);
        // The face set's own styled colour.
        assert_eq!(
            roof[0]["renderMaterial"]["diffuse"],
            json!(0xFF99331A_u32 as i32)
        );

        let slab = meshes(&objects, named(&objects, "Ground slab"));
        let points = vertices(slab[0]);
        assert_extents(&points, &[(2, (-0.25, 0.0))]);
    }

    #[test]
    fn files_that_are_not_ifc_fail_with_a_reason() {
        let Err(Failure(why)) = convert("x.ifc", b"hello", bounds()) else {
            panic!("converted")
        };
        assert!(why.contains("not an IFC file"));
        let truncated = &HOUSE[..HOUSE.len() / 4];
        let Err(Failure(why)) = convert("x.ifc", truncated, bounds()) else {
            panic!("converted")
        };
        assert!(why.starts_with("the IFC file is incomplete"), "{why}");
        let Err(Failure(why)) = convert("x.ifc", HOUSE, Bounds::after(Duration::ZERO)) else {
            panic!("converted")
        };
        assert!(why.contains("longer than the limit"), "{why}");
    }
}
