//! The objects of one Speckle model as they arrive: the root first, then its children in any order.
//!
//! Speckle stores each detached object once, by id, and points at it from its parents with
//! `{"referencedId": "<id>", "speckle_type": "reference"}` (in arrays, as property values, under
//! "@"-prefixed keys alike). Large arrays (mesh `vertices`, `faces`, `colors`, polyline `value`) are
//! split into `Speckle.Core.Models.DataChunk` objects: the array holds references to chunks, each
//! chunk holds `"data": [...]`, and the real array is the chunks' data end to end.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// The id a Speckle reference points at, or `None` when `value` is not a reference.
pub fn reference_id(value: &Value) -> Option<&str> {
    value.as_object()?.get("referencedId")?.as_str()
}

/// A reference whose object has not arrived (yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missing<'a>(pub &'a str);

/// Why an array could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrayError<'a> {
    /// One of its chunks has not arrived (yet).
    Missing(&'a str),
    /// The value is not an array.
    NotAnArray,
    /// An element that should be a number is something else.
    NotANumber,
}

/// Speckle objects by id. Objects are kept as parsed JSON; nothing is copied out of them until a
/// scene is built.
#[derive(Debug, Default, Clone)]
pub struct ObjectSource {
    objects: HashMap<String, Value>,
    /// `applicationId` → `id`: Speckle 3 proxies (instances, render materials) name objects by the
    /// id the sending application gave them.
    by_application_id: HashMap<String, String>,
}

impl ObjectSource {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores one object. Returns `false` (and stores nothing) unless it is a JSON object with a
    /// string `id`. Ids are content hashes, so a second copy of an id is the same object and is ignored.
    pub fn insert(&mut self, object: Value) -> bool {
        let Some(id) = object.get("id").and_then(Value::as_str) else {
            return false;
        };
        if self.objects.contains_key(id) {
            return true;
        }
        let id = id.to_owned();
        if let Some(application_id) = object.get("applicationId").and_then(Value::as_str) {
            self.by_application_id
                .entry(application_id.to_owned())
                .or_insert_with(|| id.clone());
        }
        self.objects.insert(id, object);
        true
    }

    /// Stores the objects in a JSON text holding one object or an array of them (the shape of
    /// Speckle's `/objects/:project/:object` download). Returns how many were stored.
    pub fn insert_json(&mut self, json: &str) -> Result<usize, serde_json::Error> {
        Ok(match serde_json::from_str(json)? {
            Value::Array(objects) => objects
                .into_iter()
                .map(|o| self.insert(o))
                .filter(|&stored| stored)
                .count(),
            object => usize::from(self.insert(object)),
        })
    }

    /// Stores the objects in Speckle's plain-text object stream: one `id\t{json}` per line (the id
    /// and tab are optional). Lines that are not objects are skipped. Returns how many were stored.
    pub fn insert_lines(&mut self, text: &str) -> usize {
        let mut stored = 0;
        for line in text.lines() {
            let json = line.split_once('\t').map_or(line, |(_, json)| json).trim();
            if json.is_empty() {
                continue;
            }
            if let Ok(object) = serde_json::from_str::<Value>(json) {
                stored += usize::from(self.insert(object));
            }
        }
        stored
    }

    pub fn get(&self, id: &str) -> Option<&Value> {
        self.objects.get(id)
    }

    pub fn get_object(&self, id: &str) -> Option<&Map<String, Value>> {
        self.objects.get(id)?.as_object()
    }

    /// The object an application gave this `applicationId`, if it has arrived.
    pub fn by_application_id(&self, application_id: &str) -> Option<&Value> {
        self.objects
            .get(self.by_application_id.get(application_id)?)
    }

    pub fn contains(&self, id: &str) -> bool {
        self.objects.contains_key(id)
    }

    pub fn len(&self) -> usize {
        self.objects.len()
    }

    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Ids the root's `__closure` (Speckle's list of every descendant) names that have not
    /// arrived: what a loader still has to fetch. Empty when the root itself is missing.
    pub fn missing_children<'a>(&'a self, root_id: &str) -> Vec<&'a str> {
        let closure = self
            .get(root_id)
            .and_then(|root| root.get("__closure"))
            .and_then(Value::as_object);
        closure.map_or_else(Vec::new, |closure| {
            closure
                .keys()
                .map(String::as_str)
                .filter(|id| !self.contains(id))
                .collect()
        })
    }

    /// `value` itself, or the object it references.
    pub fn resolve<'a>(&'a self, value: &'a Value) -> Result<&'a Value, Missing<'a>> {
        match reference_id(value) {
            Some(id) => self.get(id).ok_or(Missing(id)),
            None => Ok(value),
        }
    }

    /// The elements of an array with its chunks expanded in place, without copying them.
    /// Elements that are references to objects other than chunks are kept as they are.
    pub fn flat_array<'a>(&'a self, value: &'a Value) -> Result<FlatArray<'a>, ArrayError<'a>> {
        let value = self
            .resolve(value)
            .map_err(|Missing(id)| ArrayError::Missing(id))?;
        let items = value.as_array().ok_or(ArrayError::NotAnArray)?;
        let mut parts = Vec::new();
        let mut run_start = 0;
        for (index, item) in items.iter().enumerate() {
            if !item.is_object() {
                continue;
            }
            let Some(data) = self.chunk_data(item)? else {
                continue;
            };
            if run_start < index {
                parts.push(&items[run_start..index]);
            }
            parts.push(data.as_slice());
            run_start = index + 1;
        }
        if run_start < items.len() {
            parts.push(&items[run_start..]);
        }
        let len = parts.iter().map(|part| part.len()).sum();
        Ok(FlatArray { parts, len })
    }

    /// The numbers of a (possibly chunked) array.
    pub fn numbers<'a>(&'a self, value: &'a Value) -> Result<Vec<f64>, ArrayError<'a>> {
        let array = self.flat_array(value)?;
        let mut numbers = Vec::with_capacity(array.len());
        for item in array.iter() {
            numbers.push(item.as_f64().ok_or(ArrayError::NotANumber)?);
        }
        Ok(numbers)
    }

    /// A chunk's `data`, when `item` is a chunk or a reference to one.
    fn chunk_data<'a>(&'a self, item: &'a Value) -> Result<Option<&'a Vec<Value>>, ArrayError<'a>> {
        let is_reference = reference_id(item).is_some();
        let object = self
            .resolve(item)
            .map_err(|Missing(id)| ArrayError::Missing(id))?;
        let data = object.get("data").and_then(Value::as_array);
        // Inline objects with `data` are chunks only when they say so; referenced ones always are.
        let is_chunk = is_reference
            || object
                .get("speckle_type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.ends_with("DataChunk"));
        Ok(data.filter(|_| is_chunk))
    }
}

/// An array seen through its chunks: borrowed slices, read in order.
#[derive(Debug, Clone)]
pub struct FlatArray<'a> {
    parts: Vec<&'a [Value]>,
    len: usize,
}

impl<'a> FlatArray<'a> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a Value> + '_ {
        self.parts.iter().flat_map(|part| part.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reference(id: &str) -> Value {
        json!({ "referencedId": id, "speckle_type": "reference" })
    }

    fn chunk(id: &str, data: Value) -> Value {
        json!({ "id": id, "speckle_type": "Speckle.Core.Models.DataChunk", "data": data })
    }

    #[test]
    fn stores_objects_by_id_and_rejects_others() {
        let mut source = ObjectSource::new();
        assert!(source.insert(json!({ "id": "a", "speckle_type": "Base" })));
        assert!(!source.insert(json!({ "speckle_type": "Base" })));
        assert!(!source.insert(json!([1, 2])));
        assert!(!source.insert(json!({ "id": 7 })));
        assert_eq!(source.len(), 1);
        assert!(source.contains("a"));
        assert_eq!(source.get("a").unwrap()["speckle_type"], "Base");
    }

    #[test]
    fn reads_json_arrays_and_text_lines() {
        let mut source = ObjectSource::new();
        let stored = source
            .insert_json(r#"[{"id":"a"},{"id":"b"},{"nope":1}]"#)
            .unwrap();
        assert_eq!(stored, 2);
        assert_eq!(source.insert_json(r#"{"id":"c"}"#).unwrap(), 1);
        assert!(source.insert_json("not json").is_err());
        let text = "d\t{\"id\":\"d\"}\n\ngarbage\n{\"id\":\"e\"}\n";
        assert_eq!(source.insert_lines(text), 2);
        assert_eq!(source.len(), 5);
    }

    #[test]
    fn resolves_references_and_reports_missing_ones() {
        let mut source = ObjectSource::new();
        source.insert(json!({ "id": "child", "name": "wall" }));
        let present = reference("child");
        let absent = reference("later");
        let inline = json!({ "name": "inline" });
        assert_eq!(source.resolve(&present).unwrap()["name"], "wall");
        assert_eq!(source.resolve(&absent), Err(Missing("later")));
        assert_eq!(source.resolve(&inline).unwrap()["name"], "inline");
        assert_eq!(reference_id(&present), Some("child"));
        assert_eq!(reference_id(&inline), None);
    }

    #[test]
    fn flattens_chunked_arrays_in_order() {
        let mut source = ObjectSource::new();
        source.insert(chunk("c1", json!([1, 2, 3])));
        source.insert(chunk("c2", json!([4.5])));
        let chunked = json!([reference("c1"), reference("c2")]);
        assert_eq!(source.numbers(&chunked).unwrap(), vec![1.0, 2.0, 3.0, 4.5]);
        assert_eq!(source.flat_array(&chunked).unwrap().len(), 4);

        let plain = json!([9, 8]);
        assert_eq!(source.numbers(&plain).unwrap(), vec![9.0, 8.0]);

        let inline_chunk = json!([0, chunk("inline", json!([1])), 2]);
        assert_eq!(source.numbers(&inline_chunk).unwrap(), vec![0.0, 1.0, 2.0]);
    }

    #[test]
    fn keeps_references_to_other_objects_as_elements() {
        let mut source = ObjectSource::new();
        source.insert(json!({ "id": "wall", "speckle_type": "Objects.BuiltElements.Wall" }));
        let elements = json!([reference("wall")]);
        let flat = source.flat_array(&elements).unwrap();
        assert_eq!(flat.iter().next(), Some(&reference("wall")));
    }

    #[test]
    fn array_errors_name_the_problem() {
        let source = ObjectSource::new();
        assert_eq!(
            source.numbers(&json!([reference("gone")])),
            Err(ArrayError::Missing("gone"))
        );
        assert_eq!(source.numbers(&json!({})), Err(ArrayError::NotAnArray));
        assert_eq!(
            source.numbers(&json!([1, "x"])),
            Err(ArrayError::NotANumber)
        );
        assert!(source.flat_array(&json!([])).unwrap().is_empty());
    }

    #[test]
    fn finds_objects_by_application_id() {
        let mut source = ObjectSource::new();
        source.insert(json!({ "id": "h1", "applicationId": "rhino-guid" }));
        assert_eq!(source.by_application_id("rhino-guid").unwrap()["id"], "h1");
        assert!(source.by_application_id("other").is_none());
    }

    #[test]
    fn lists_closure_children_still_to_fetch() {
        let mut source = ObjectSource::new();
        source.insert(json!({ "id": "root", "__closure": { "a": 1, "b": 2 } }));
        source.insert(json!({ "id": "a" }));
        assert_eq!(source.missing_children("root"), vec!["b"]);
        assert!(source.missing_children("nobody").is_empty());
    }
}
