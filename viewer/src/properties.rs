//! An object's fields as text, for the selected-object panel and for searching: grouped as a
//! BIM reviewer reads them (the element's own fields, then each property or quantity set, then
//! Speckle's bookkeeping last).

use serde_json::{Map, Value};

use crate::objects::{reference_id, ObjectSource};

/// The group of the element's own fields.
pub const ELEMENT_GROUP: &str = "Element";
/// The group of identifiers a reviewer rarely needs: listed last.
pub const INTERNAL_GROUP: &str = "Identifiers";

/// Shown first, in this order, when present.
const HEADLINE: [&str; 9] = [
    "name",
    "category",
    "ifcType",
    "typeName",
    "family",
    "type",
    "description",
    "materials",
    "level",
];

/// Identifiers, listed in the internal group.
const INTERNAL: [&str; 5] = ["globalId", "applicationId", "id", "speckle_type", "units"];

/// Grouped parameters: Speckle 2 (Revit) puts `Parameter` objects one level down in
/// `parameters`; Speckle 3 and Fleck's IFC importer nest sets in `properties`.
const PARAMETERS: [&str; 3] = ["parameters", "@parameters", "properties"];

/// How deep nested sets are followed (Revit's `Parameters › Instance Parameters › Dimensions`).
const MAX_SET_DEPTH: usize = 3;

/// Bookkeeping inside parameter groups, not properties.
const BOOKKEEPING: [&str; 4] = ["totalChildrenCount", "speckle_type", "id", "applicationId"];

/// Lists longer than this are data (coordinates, ids), not something to read.
const MAX_LIST: usize = 8;

/// One named set of properties: the element's own fields, a property set, a quantity set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyGroup {
    pub name: String,
    /// (name, value with its units) in the order the sender wrote them.
    pub entries: Vec<(String, String)>,
}

/// An object's readable properties as groups: the element's own fields first (headline fields
/// in a fixed order, then the rest by key), then one group per property or quantity set, then
/// the identifiers. Skips Speckle bookkeeping (`__closure`, `totalChildrenCount`), references
/// to other objects and long arrays. Empty when the object has not arrived.
pub fn property_groups(source: &ObjectSource, id: &str) -> Vec<PropertyGroup> {
    let Some(object) = source.get_object(id) else {
        return Vec::new();
    };
    let mut own = Vec::new();
    for key in HEADLINE {
        if let Some(text) = object.get(key).and_then(display) {
            own.push((key.to_owned(), text));
        }
    }
    for (key, value) in object {
        let listed = HEADLINE.contains(&key.as_str())
            || INTERNAL.contains(&key.as_str())
            || PARAMETERS.contains(&key.as_str())
            || key.starts_with("__")
            || key == "totalChildrenCount";
        if listed {
            continue;
        }
        if let Some(text) = display(value) {
            own.push((key.clone(), text));
        }
    }
    let mut groups = vec![PropertyGroup {
        name: ELEMENT_GROUP.to_owned(),
        entries: own,
    }];
    for key in PARAMETERS {
        if let Some(parameters) = object.get(key) {
            let name = if key == "properties" {
                "Properties"
            } else {
                "Parameters"
            };
            collect_sets(source, parameters, name, true, MAX_SET_DEPTH, &mut groups);
        }
    }
    let internal: Vec<(String, String)> = INTERNAL
        .iter()
        .filter_map(|key| Some((key.to_string(), object.get(*key).and_then(display)?)))
        .collect();
    groups.push(PropertyGroup {
        name: INTERNAL_GROUP.to_owned(),
        entries: internal,
    });
    groups.retain(|group| !group.entries.is_empty());
    groups
}

/// Every property as (name, value), groups in order: what a search looks through.
pub fn properties(source: &ObjectSource, id: &str) -> Vec<(String, String)> {
    property_groups(source, id)
        .into_iter()
        .flat_map(|group| group.entries)
        .collect()
}

/// Adds the group `name` of `group`'s plain values and `Parameter`-like objects (`name`,
/// `value`, `units`), and a group of its own for each nested set, up to `depth` levels down,
/// named by its path below the `root` container (`Instance Parameters › Dimensions`). Sets of
/// the same name (a type's and the element's) merge, the later value winning.
fn collect_sets(
    source: &ObjectSource,
    group: &Value,
    name: &str,
    root: bool,
    depth: usize,
    groups: &mut Vec<PropertyGroup>,
) {
    let Some(group) = source.resolve(group).ok().and_then(Value::as_object) else {
        return;
    };
    let mut entries = Vec::new();
    let mut nested = Vec::new();
    for (key, entry) in group {
        if BOOKKEEPING.contains(&key.as_str()) || key.starts_with("__") {
            continue;
        }
        let Ok(entry) = source.resolve(entry) else {
            continue;
        };
        match entry {
            Value::Object(parameter) if parameter.contains_key("value") => {
                if let Some(text) = parameter_text(parameter) {
                    let label = parameter
                        .get("name")
                        .and_then(Value::as_str)
                        .filter(|name| !name.is_empty())
                        .unwrap_or(key);
                    entries.push((label.to_owned(), text));
                }
            }
            Value::Object(set) if depth > 0 && !set.contains_key("referencedId") => {
                nested.push((key, entry))
            }
            value => {
                if let Some(text) = display(value) {
                    entries.push((key.clone(), text));
                }
            }
        }
    }
    add_entries(groups, name, entries);
    for (key, set) in nested {
        let path = if root {
            key.clone()
        } else {
            format!("{name} › {key}")
        };
        collect_sets(source, set, &path, false, depth - 1, groups);
    }
}

fn add_entries(groups: &mut Vec<PropertyGroup>, name: &str, entries: Vec<(String, String)>) {
    if entries.is_empty() {
        return;
    }
    match groups.iter_mut().find(|group| group.name == name) {
        Some(group) => {
            for (key, value) in entries {
                match group.entries.iter_mut().find(|(k, _)| *k == key) {
                    Some(existing) => existing.1 = value,
                    None => group.entries.push((key, value)),
                }
            }
        }
        None => groups.push(PropertyGroup {
            name: name.to_owned(),
            entries,
        }),
    }
}

/// A parameter's value with its units when they are a short symbol (`200 mm`, not
/// `autodesk.unit.unit:millimeters-1.0.1`).
fn parameter_text(parameter: &Map<String, Value>) -> Option<String> {
    let value = parameter.get("value")?;
    let text = display(value)?;
    let units = parameter
        .get("units")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty() && u.len() <= 10 && !u.contains(':') && u != &"none");
    Some(match units {
        Some(units) if value.is_number() => format!("{text} {units}"),
        _ => text,
    })
}

/// A value as text, or `None` when it is not for reading: nulls, references, long or nested
/// arrays, objects without a name.
fn display(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(match n.as_i64() {
            Some(i) => i.to_string(),
            None => format_number(n.as_f64()?),
        }),
        Value::String(s) => Some(s.clone()),
        Value::Array(items) => {
            if items.is_empty() || items.len() > MAX_LIST {
                return None;
            }
            let texts: Option<Vec<String>> = items
                .iter()
                .map(|item| match item {
                    Value::Array(_) | Value::Object(_) => None,
                    scalar => display(scalar),
                })
                .collect();
            Some(texts?.join(", "))
        }
        Value::Object(object) => {
            if reference_id(value).is_some() {
                return None;
            }
            // Named things (levels, materials, types) read as their name.
            object
                .get("name")
                .and_then(Value::as_str)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
        }
    }
}

/// Up to six decimals, without trailing zeros.
pub fn format_number(x: f64) -> String {
    if x != 0.0 && x.abs() < 1e-6 {
        return format!("{x:e}");
    }
    let text = format!("{x:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_owned()
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn source_with(object: Value) -> ObjectSource {
        let mut source = ObjectSource::new();
        source.insert(object);
        source
    }

    fn lookup<'a>(list: &'a [(String, String)], label: &str) -> Option<&'a str> {
        list.iter()
            .find(|(l, _)| l == label)
            .map(|(_, v)| v.as_str())
    }

    fn group<'a>(groups: &'a [PropertyGroup], name: &str) -> &'a PropertyGroup {
        groups
            .iter()
            .find(|g| g.name == name)
            .unwrap_or_else(|| panic!("no group {name} in {groups:?}"))
    }

    #[test]
    fn lists_readable_fields_headline_first_identifiers_last() {
        let source = source_with(json!({
            "id": "w1",
            "speckle_type": "Objects.BuiltElements.Wall:Objects.BuiltElements.Revit.RevitWall",
            "category": "Walls",
            "height": 3.2,
            "flipped": false,
            "elementId": 4711,
            "tags": ["a", "b"],
            "level": { "speckle_type": "Objects.BuiltElements.Level", "name": "Level 1" },
            "units": "mm",
            "totalChildrenCount": 12,
            "__closure": { "m1": 1 },
            "displayValue": [{ "referencedId": "m1", "speckle_type": "reference" }],
            "@elements": [{ "referencedId": "d1", "speckle_type": "reference" }],
            "renderMaterial": { "referencedId": "rm" },
            "vertices": [0, 0, 0, 1, 1, 1, 2, 2, 2],
            "nothing": null
        }));
        let groups = property_groups(&source, "w1");
        assert_eq!(groups.first().unwrap().name, ELEMENT_GROUP);
        assert_eq!(groups.last().unwrap().name, INTERNAL_GROUP);
        let own = &groups[0].entries;
        assert_eq!(own[0], ("category".to_owned(), "Walls".to_owned()));
        assert_eq!(own[1], ("level".to_owned(), "Level 1".to_owned()));
        assert_eq!(lookup(own, "height"), Some("3.2"));
        assert_eq!(lookup(own, "flipped"), Some("false"));
        assert_eq!(lookup(own, "elementId"), Some("4711"));
        assert_eq!(lookup(own, "tags"), Some("a, b"));
        assert_eq!(lookup(own, "id"), None, "identifiers come last");
        let internal = &groups.last().unwrap().entries;
        assert_eq!(lookup(internal, "id"), Some("w1"));
        assert_eq!(lookup(internal, "units"), Some("mm"));
        let list = properties(&source, "w1");
        for hidden in [
            "totalChildrenCount",
            "__closure",
            "displayValue",
            "@elements",
            "renderMaterial",
            "vertices",
            "nothing",
        ] {
            assert_eq!(lookup(&list, hidden), None, "{hidden} should be hidden");
        }
    }

    #[test]
    fn groups_revit_parameters() {
        let source = source_with(json!({
            "id": "w1",
            "parameters": {
                "speckle_type": "Base",
                "id": "p",
                "WALL_ATTR_WIDTH_PARAM": {
                    "speckle_type": "Objects.BuiltElements.Revit.Parameter",
                    "name": "Width", "value": 200.0, "units": "mm",
                    "applicationUnit": "autodesk.unit.unit:millimeters-1.0.1"
                },
                "COMMENTS": {
                    "speckle_type": "Objects.BuiltElements.Revit.Parameter",
                    "name": "Comments", "value": "load bearing",
                    "units": "autodesk.unit.unit:general-1.0.1"
                },
                "Fire Rating": "EI 60",
            }
        }));
        let groups = property_groups(&source, "w1");
        let parameters = &group(&groups, "Parameters").entries;
        assert_eq!(lookup(parameters, "Width"), Some("200 mm"));
        assert_eq!(lookup(parameters, "Comments"), Some("load bearing"));
        assert_eq!(lookup(parameters, "Fire Rating"), Some("EI 60"));
        assert_eq!(lookup(parameters, "speckle_type"), None);
    }

    #[test]
    fn each_ifc_property_and_quantity_set_is_a_group() {
        let source = source_with(json!({
            "id": "o1",
            "name": "South wall",
            "properties": {
                "Pset_WallCommon": { "IsExternal": true, "FireRating": "REI 60" },
                "Qto_WallBaseQuantities": { "Length": 6.0, "NetVolume": 3.36 },
                "Parameters": {
                    "Instance Parameters": {
                        "Dimensions": { "Length": { "name": "Length", "value": 5.5, "units": "m" } }
                    }
                },
                "Material": "Concrete"
            }
        }));
        let groups = property_groups(&source, "o1");
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            [
                ELEMENT_GROUP,
                "Properties",
                "Parameters › Instance Parameters › Dimensions",
                "Pset_WallCommon",
                "Qto_WallBaseQuantities",
                INTERNAL_GROUP
            ]
        );
        let pset = &group(&groups, "Pset_WallCommon").entries;
        assert_eq!(lookup(pset, "FireRating"), Some("REI 60"));
        assert_eq!(lookup(pset, "IsExternal"), Some("true"));
        assert_eq!(
            lookup(
                &group(&groups, "Parameters › Instance Parameters › Dimensions").entries,
                "Length"
            ),
            Some("5.5 m")
        );
        assert_eq!(
            lookup(&group(&groups, "Properties").entries, "Material"),
            Some("Concrete")
        );
    }

    #[test]
    fn missing_objects_have_no_properties() {
        assert!(property_groups(&ObjectSource::new(), "nope").is_empty());
    }

    #[test]
    fn formats_numbers_briefly() {
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(2.0), "2");
        assert_eq!(format_number(-0.0000001), "-1e-7");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(
            format_number(1234.56789),
            "1234.567890".trim_end_matches('0')
        );
    }
}
