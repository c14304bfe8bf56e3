//! An object's fields as text, for the selected-object panel.

use serde_json::{Map, Value};

use crate::objects::{reference_id, ObjectSource};

/// Shown first, in this order, when present.
const HEADLINE: [&str; 6] = ["name", "speckle_type", "category", "family", "type", "id"];

/// Grouped parameters, flattened into the list. Speckle 2 (Revit) puts `Parameter` objects one
/// level down in `parameters`; Speckle 3 nests groups in `properties`.
const PARAMETERS: [(&str, usize); 3] = [("parameters", 0), ("@parameters", 0), ("properties", 3)];

/// Bookkeeping, not properties.
const HIDDEN: [&str; 4] = ["totalChildrenCount", "speckle_type", "id", "applicationId"];

/// Lists longer than this are data (coordinates, ids), not something to read.
const MAX_LIST: usize = 8;

/// An object's displayable properties as (label, text): headline fields first, then the rest in
/// key order, then its parameters. Skips Speckle bookkeeping (`__closure`,
/// `totalChildrenCount`), references to other objects and long arrays. Empty when the object
/// has not arrived.
pub fn properties(source: &ObjectSource, id: &str) -> Vec<(String, String)> {
    let Some(object) = source.get_object(id) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for key in HEADLINE {
        if let Some(text) = object.get(key).and_then(display) {
            out.push((key.to_owned(), text));
        }
    }
    for (key, value) in object {
        let listed = HEADLINE.contains(&key.as_str())
            || PARAMETERS.iter().any(|(k, _)| k == key)
            || key.starts_with("__")
            || key == "totalChildrenCount";
        if listed {
            continue;
        }
        if let Some(text) = display(value) {
            out.push((key.clone(), text));
        }
    }
    for (key, depth) in PARAMETERS {
        if let Some(parameters) = object.get(key) {
            flatten(source, parameters, depth, &mut out);
        }
    }
    out
}

/// Adds the entries of a parameter group: `Parameter`-like objects (`name`, `value`, `units`)
/// by name, plain values by key, and nested groups up to `depth` more levels.
fn flatten(source: &ObjectSource, group: &Value, depth: usize, out: &mut Vec<(String, String)>) {
    let Some(group) = source.resolve(group).ok().and_then(Value::as_object) else {
        return;
    };
    for (key, entry) in group {
        if HIDDEN.contains(&key.as_str()) || key.starts_with("__") {
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
                    out.push((label.to_owned(), text));
                }
            }
            Value::Object(_) if depth > 0 => flatten(source, entry, depth - 1, out),
            value => {
                if let Some(text) = display(value) {
                    out.push((key.clone(), text));
                }
            }
        }
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
fn format_number(x: f64) -> String {
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

    #[test]
    fn lists_readable_fields_headline_first() {
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
        let list = properties(&source, "w1");
        assert_eq!(list[0].0, "speckle_type");
        assert_eq!(list[1], ("category".to_owned(), "Walls".to_owned()));
        assert_eq!(list[2], ("id".to_owned(), "w1".to_owned()));
        assert_eq!(lookup(&list, "height"), Some("3.2"));
        assert_eq!(lookup(&list, "flipped"), Some("false"));
        assert_eq!(lookup(&list, "elementId"), Some("4711"));
        assert_eq!(lookup(&list, "tags"), Some("a, b"));
        assert_eq!(lookup(&list, "level"), Some("Level 1"));
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
    fn flattens_revit_parameters_one_level() {
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
                "nested": { "deeper": { "value": 1, "name": "Too deep" } }
            }
        }));
        let list = properties(&source, "w1");
        assert_eq!(lookup(&list, "Width"), Some("200 mm"));
        assert_eq!(lookup(&list, "Comments"), Some("load bearing"));
        assert_eq!(lookup(&list, "Fire Rating"), Some("EI 60"));
        assert_eq!(lookup(&list, "Too deep"), None);
        assert_eq!(lookup(&list, "parameters"), None);
        assert_eq!(lookup(&list, "speckle_type"), None);
    }

    #[test]
    fn flattens_speckle3_property_groups() {
        let source = source_with(json!({
            "id": "o1",
            "name": "Basic Wall",
            "properties": {
                "Parameters": {
                    "Instance Parameters": {
                        "Dimensions": { "Length": { "name": "Length", "value": 5.5, "units": "m" } }
                    }
                },
                "Material": "Concrete"
            }
        }));
        let list = properties(&source, "o1");
        assert_eq!(list[0], ("name".to_owned(), "Basic Wall".to_owned()));
        assert_eq!(lookup(&list, "Length"), Some("5.5 m"));
        assert_eq!(lookup(&list, "Material"), Some("Concrete"));
    }

    #[test]
    fn missing_objects_have_no_properties() {
        assert!(properties(&ObjectSource::new(), "nope").is_empty());
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
