//! Which properties of an element differ between two of its objects, path by path.

use std::collections::BTreeMap;

use foldhash::HashSet;

use serde_json::{Map, Value};

use super::elements::{is_geometry, is_meta, reference};
use super::{Limits, PropertyChange};

/// The changed properties of an element whose object went from `old` to `new`. Geometry and
/// references to other elements are left out (they are compared on their own); lists are
/// compared whole. Returns at most `limits.max_properties` changes, in path order.
pub fn changed(
    old: &Map<String, Value>,
    new: &Map<String, Value>,
    speckle_type: &str,
    element_ids: &HashSet<String>,
    limits: &Limits,
) -> Vec<PropertyChange> {
    let before = flatten(old, speckle_type, element_ids);
    let after = flatten(new, speckle_type, element_ids);
    let paths: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    paths
        .into_iter()
        .filter(|path| before.get(*path) != after.get(*path))
        .take(limits.max_properties)
        .map(|path| PropertyChange {
            path: path.clone(),
            old: before.get(path).map(|v| cut(v, limits.max_value_chars)),
            new: after.get(path).map(|v| cut(v, limits.max_value_chars)),
        })
        .collect()
}

/// The element's properties as `path → value`, objects opened into dotted paths.
fn flatten(
    fields: &Map<String, Value>,
    speckle_type: &str,
    element_ids: &HashSet<String>,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (key, value) in fields {
        if is_meta(key) || is_geometry(speckle_type, key) {
            continue;
        }
        walk(key.clone(), value, element_ids, &mut out);
    }
    out
}

fn is_element_ref(value: &Value, element_ids: &HashSet<String>) -> bool {
    reference(value).is_some_and(|id| element_ids.contains(id))
}

fn walk(
    path: String,
    value: &Value,
    element_ids: &HashSet<String>,
    out: &mut BTreeMap<String, Value>,
) {
    match value {
        _ if is_element_ref(value, element_ids) => {}
        Value::Object(map) if reference(value).is_none() && !map.is_empty() => {
            for (key, child) in map {
                walk(format!("{path}.{key}"), child, element_ids, out);
            }
        }
        Value::Array(items) => {
            let kept: Vec<Value> = items
                .iter()
                .filter(|v| !is_element_ref(v, element_ids))
                .cloned()
                .collect();
            if !kept.is_empty() || items.is_empty() {
                out.insert(path, Value::Array(kept));
            }
        }
        other => {
            out.insert(path, other.clone());
        }
    }
}

/// A value short enough to list: long ones become the start of their JSON text.
fn cut(value: &Value, max_chars: usize) -> Value {
    let text = value.to_string();
    if text.chars().count() <= max_chars {
        return value.clone();
    }
    let start: String = text.chars().take(max_chars).collect();
    Value::String(format!("{start}…"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use foldhash::HashSetExt;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn lists_changed_added_and_removed_paths_without_geometry() {
        let old = map(
            json!({"id": "a", "height": 3, "properties": {"Fire": "EI60", "Old": 1},
            "displayValue": [{"referencedId": "m1", "speckle_type": "reference"}]}),
        );
        let new = map(
            json!({"id": "b", "height": 3, "properties": {"Fire": "EI90", "New": true},
            "displayValue": [{"referencedId": "m2", "speckle_type": "reference"}]}),
        );
        let changes = changed(&old, &new, "Base", &HashSet::new(), &Limits::default());
        let listed: Vec<(&str, Option<Value>, Option<Value>)> = changes
            .iter()
            .map(|c| (c.path.as_str(), c.old.clone(), c.new.clone()))
            .collect();
        assert_eq!(
            listed,
            [
                ("properties.Fire", Some(json!("EI60")), Some(json!("EI90"))),
                ("properties.New", None, Some(json!(true))),
                ("properties.Old", Some(json!(1)), None),
            ]
        );
    }

    #[test]
    fn references_to_elements_and_long_values_are_handled() {
        let elements: HashSet<String> = ["c1".to_string(), "c2".to_string()].into_iter().collect();
        let old = map(
            json!({"elements": [{"referencedId": "c1", "speckle_type": "reference"}],
            "note": "x".repeat(2000)}),
        );
        let new = map(
            json!({"elements": [{"referencedId": "c2", "speckle_type": "reference"}],
            "note": "y"}),
        );
        let limits = Limits {
            max_value_chars: 10,
            ..Limits::default()
        };
        let changes = changed(&old, &new, "Base", &elements, &limits);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].path, "note");
        assert_eq!(changes[0].old, Some(json!(format!("\"{}…", "x".repeat(9)))));
    }
}
