//! A version's elements, read from its tree a chunk at a time. Each object is reduced to a
//! summary (what it is, where it points, and two fingerprints) as its chunk arrives, so a
//! comparison holds summaries, never the trees' JSON.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

// Maps keyed by object id hold hundreds of thousands of entries per comparison; foldhash hashes
// those keys several times faster than the standard SipHash. Fingerprints stay on SipHash.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use futures::StreamExt;
use serde_json::value::RawValue;
use serde_json::Value;

use super::{fingerprint, Limits};
use crate::error::{Error, Result};
use crate::objects::tree::Rows;

/// Fields that are the object's identity or bookkeeping, never a change of their own.
const META_KEYS: [&str; 4] = ["id", "applicationId", "__closure", "totalChildrenCount"];

/// Fields that hold an element's shape rather than its data.
const GEOMETRY_KEYS: [&str; 24] = [
    "displayValue",
    "@displayValue",
    "displayMesh",
    "@displayMesh",
    "displayStyle",
    "baseLine",
    "@baseLine",
    "baseCurve",
    "outline",
    "location",
    "basePoint",
    "transform",
    "geometry",
    "@geometry",
    "vertices",
    "faces",
    "colors",
    "textureCoordinates",
    "vertexNormals",
    "start",
    "end",
    "points",
    "bbox",
    "units",
];

/// Fields that hold the members of a collection (or a model's root), whose items are elements.
const MEMBER_KEYS: [&str; 2] = ["elements", "@elements"];

/// Whether a field holds geometry on an object of `speckle_type`. Every field of a geometry
/// class (`Objects.Geometry.*`) is its shape, except what names or describes it.
pub fn is_geometry(speckle_type: &str, key: &str) -> bool {
    if GEOMETRY_KEYS.contains(&key) {
        return true;
    }
    speckle_type.starts_with("Objects.Geometry.")
        && !matches!(
            key,
            "name" | "properties" | "renderMaterial" | "@renderMaterial" | "speckle_type"
        )
}

pub fn is_meta(key: &str) -> bool {
    META_KEYS.contains(&key)
}

fn is_collection(speckle_type: &str) -> bool {
    speckle_type
        .rsplit(':')
        .next()
        .is_some_and(|last| last.ends_with("Collection"))
}

/// Where a detached child hangs from its parent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Geometry,
    Member,
    Other,
}

/// One stored object, reduced to what deciding and comparing elements needs.
pub struct Summary {
    id: String,
    application_id: Option<String>,
    speckle_type: String,
    name: Option<String>,
    category: Option<String>,
    collection: bool,
    /// Its geometry fields, detached geometry counted by id (content-addressed).
    geometry: u64,
    /// Its other fields, with detached children left out (they are `refs`).
    properties: u64,
    refs: Vec<(Role, String)>,
}

/// An element of one version.
#[derive(Clone, Debug)]
pub struct Element {
    pub key: String,
    pub application_id: Option<String>,
    pub object_id: String,
    pub speckle_type: String,
    pub name: Option<String>,
    pub category: Option<String>,
    pub geometry: u64,
    /// Its own properties and the ids of detached children that are not elements.
    pub properties: u64,
}

/// A version's elements, and the object ids of all of them (to tell element references apart
/// from data when listing property changes).
pub struct VersionElements {
    pub elements: Vec<Element>,
    pub element_ids: HashSet<String>,
}

/// Summaries of stored objects by id. Objects never change, so the objects two versions share
/// (most of them, usually) are read and summarized once for both.
pub type Summaries = HashMap<String, Summary>;

/// Chunks summarized at once, each on a blocking thread, while the next is read.
const SUMMARIZING_AT_ONCE: usize = 2;

/// Adds the summaries of `rows` to `known`; at most `limits.max_objects` rows.
pub async fn summarize_into(
    rows: Rows,
    known: &mut Summaries,
    limits: &Limits,
    what: &str,
) -> Result<()> {
    let mut read = 0;
    let mut summarized = rows
        .map(|chunk| {
            let counted = chunk.and_then(|chunk| {
                read += chunk.len();
                match read > limits.max_objects {
                    true => Err(too_large(what, "objects", limits.max_objects)),
                    false => Ok(chunk),
                }
            });
            async move {
                let chunk = counted?;
                // Parsing is CPU work: off the async workers.
                tokio::task::spawn_blocking(move || {
                    chunk
                        .iter()
                        .map(|(id, json)| summarize(id, json))
                        .collect::<Result<Vec<_>>>()
                })
                .await
                .map_err(|e| Error::backend("reading a version's objects", e))?
            }
        })
        .buffered(SUMMARIZING_AT_ONCE);
    while let Some(summaries) = summarized.next().await {
        known.extend(summaries?.into_iter().map(|s| (s.id.clone(), s)));
    }
    Ok(())
}

/// The elements of a version whose objects (root and closure) are `ids`, all summarized in
/// `known` (those the project lacks are left out).
pub fn elements_of(
    known: &Summaries,
    ids: &[String],
    limits: &Limits,
    what: &str,
) -> Result<VersionElements> {
    let elements = decide(known, ids.iter().filter_map(|id| known.get(id)).collect());
    if elements.elements.len() > limits.max_elements {
        return Err(too_large(what, "elements", limits.max_elements));
    }
    Ok(elements)
}

pub fn too_large(what: &str, things: &str, limit: usize) -> Error {
    Error::invalid(
        "versions",
        format!("{what} has more than {limit} {things}; versions that large cannot be compared"),
    )
}

/// Which objects are elements, and their fingerprints with children that are elements left out
/// (a wall's hosted window changing is the window's change, not the wall's).
fn decide(known: &Summaries, summaries: Vec<&Summary>) -> VersionElements {
    let mut geometry = HashSet::new();
    let mut members = HashSet::new();
    for s in summaries.iter().copied() {
        for (role, child) in &s.refs {
            match role {
                Role::Geometry => {
                    geometry.insert(child.as_str());
                }
                Role::Member if s.collection => {
                    members.insert(child.as_str());
                }
                Role::Member | Role::Other => {}
            }
        }
    }
    let is_element = |s: &Summary| {
        !s.collection
            && !geometry.contains(s.id.as_str())
            && (s.application_id.is_some() || members.contains(s.id.as_str()))
    };
    let element_ids: HashSet<String> = summaries
        .iter()
        .filter(|s| is_element(s))
        .map(|s| s.id.clone())
        .collect();
    // An applicationId used by more than one element cannot match on its own.
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for s in summaries.iter().filter(|s| element_ids.contains(&s.id)) {
        if let Some(app) = &s.application_id {
            *uses.entry(app.as_str()).or_default() += 1;
        }
    }
    let mut content = Content {
        by_id: known,
        known: HashMap::new(),
    };
    let mut elements: Vec<Element> = summaries
        .iter()
        .filter(|s| element_ids.contains(&s.id))
        .map(|s| {
            let key = match &s.application_id {
                Some(app) if uses.get(app.as_str()) == Some(&1) => app.clone(),
                Some(app) => format!("{app}#{}", s.id),
                None => s.id.clone(),
            };
            let mut geometry = DefaultHasher::new();
            s.geometry.hash(&mut geometry);
            let mut properties = DefaultHasher::new();
            s.properties.hash(&mut properties);
            for (role, child) in &s.refs {
                if element_ids.contains(child) {
                    continue;
                }
                let hasher = if *role == Role::Geometry {
                    &mut geometry
                } else {
                    &mut properties
                };
                content.of(child, 0).hash(hasher);
            }
            Element {
                key,
                application_id: s.application_id.clone(),
                object_id: s.id.clone(),
                speckle_type: s.speckle_type.clone(),
                name: s.name.clone(),
                category: s.category.clone(),
                geometry: geometry.finish(),
                properties: properties.finish(),
            }
        })
        .collect();
    elements.sort_by(|a, b| a.key.cmp(&b.key));
    VersionElements {
        elements,
        element_ids,
    }
}

/// Deeper than this, a child counts by its id (stored trees are at most 100 levels deep; this
/// also ends a loop of references in objects sent with made-up ids).
const MAX_DEPTH: usize = 128;

/// What a detached object holds, down through its own detached children, whatever their ids.
/// Ids are content addresses: a summary read for either version describes the object in both.
struct Content<'a> {
    by_id: &'a Summaries,
    known: HashMap<&'a str, u64>,
}

impl<'a> Content<'a> {
    fn of(&mut self, id: &'a str, depth: usize) -> u64 {
        if let Some(known) = self.known.get(id) {
            return *known;
        }
        let mut hasher = DefaultHasher::new();
        match self.by_id.get(id) {
            Some(s) if depth < MAX_DEPTH => {
                (&s.speckle_type, s.geometry, s.properties).hash(&mut hasher);
                for (role, child) in &s.refs {
                    (*role as u8, self.of(child, depth + 1)).hash(&mut hasher);
                }
            }
            // Missing from the tree, or too deep: only its id says what it is.
            _ => id.hash(&mut hasher),
        }
        let fingerprint = hasher.finish();
        self.known.insert(id, fingerprint);
        fingerprint
    }
}

fn invalid_object(id: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid(
        "object",
        format!("stored object {id} is not valid JSON: {e}"),
    )
}

/// Reads one object's fields without parsing what only needs hashing (a mesh's vertices).
fn summarize(id: &str, json: &str) -> Result<Summary> {
    let fields: HashMap<&str, &RawValue> =
        serde_json::from_str(json).map_err(|e| invalid_object(id, e))?;
    let text = |key: &str| {
        fields
            .get(key)
            .and_then(|raw| {
                serde_json::from_str::<Option<String>>(raw.get())
                    .ok()
                    .flatten()
            })
            .filter(|s| !s.is_empty())
    };
    let speckle_type = text("speckle_type").unwrap_or_else(|| "Base".into());
    let mut summary = Summary {
        id: id.to_string(),
        application_id: text("applicationId"),
        name: text("name"),
        category: text("category").or_else(|| text("builtInCategory")),
        collection: is_collection(&speckle_type),
        speckle_type,
        geometry: 0,
        properties: 0,
        refs: Vec::new(),
    };
    let mut keys: Vec<&str> = fields.keys().copied().filter(|k| !is_meta(k)).collect();
    keys.sort_unstable();
    let mut geometry = DefaultHasher::new();
    let mut properties = DefaultHasher::new();
    for key in keys {
        let raw = fields[key].get();
        let role = if is_geometry(&summary.speckle_type, key) {
            Role::Geometry
        } else if MEMBER_KEYS.contains(&key) {
            Role::Member
        } else {
            Role::Other
        };
        let hasher = if role == Role::Geometry {
            &mut geometry
        } else {
            &mut properties
        };
        key.hash(hasher);
        if role == Role::Geometry && !raw.contains("referencedId") {
            // Geometry is hashed as sent: a connector writes the same shape the same way.
            raw.hash(hasher);
            continue;
        }
        let mut refs = Vec::new();
        fingerprint::of(raw, &mut refs)
            .map_err(|e| invalid_object(id, e))?
            .hash(hasher);
        summary
            .refs
            .extend(refs.into_iter().map(|child| (role, child)));
    }
    summary.geometry = geometry.finish();
    summary.properties = properties.finish();
    Ok(summary)
}

/// The id a value refers to when it is a detached child (`{"referencedId": …}`).
pub fn reference(value: &Value) -> Option<&str> {
    let map = value.as_object()?;
    let id = map.get("referencedId")?.as_str()?;
    types_a_reference(map.get("speckle_type").and_then(Value::as_str)).then_some(id)
}

/// Whether an object with a `referencedId` and this `speckle_type` (`None`: absent or not text)
/// is a detached child: typed "reference", or untyped.
pub fn types_a_reference(speckle_type: Option<&str>) -> bool {
    matches!(speckle_type, Some("reference") | None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn elements(objects: &[(&str, &str)]) -> Vec<Element> {
        let summaries: Vec<Summary> = objects
            .iter()
            .map(|(id, json)| summarize(id, json).unwrap())
            .collect();
        let known: Summaries = summaries.into_iter().map(|s| (s.id.clone(), s)).collect();
        let listed = objects
            .iter()
            .filter_map(|(id, _)| known.get(*id))
            .collect();
        decide(&known, listed).elements
    }

    #[test]
    fn collections_members_and_application_ids_are_elements_display_meshes_are_not() {
        let found = elements(&[
            (
                "root",
                r#"{"speckle_type":"Speckle.Core.Models.Collections.Collection","elements":[{"referencedId":"wall","speckle_type":"reference"},{"referencedId":"plain","speckle_type":"reference"}]}"#,
            ),
            (
                "wall",
                r#"{"speckle_type":"Objects.BuiltElements.Wall","applicationId":"w1","height":3,"displayValue":[{"referencedId":"mesh","speckle_type":"reference"}]}"#,
            ),
            ("plain", r#"{"speckle_type":"Base","height":2}"#),
            (
                "mesh",
                r#"{"speckle_type":"Objects.Geometry.Mesh","applicationId":"m1","vertices":[0,0,0]}"#,
            ),
        ]);
        let keys: Vec<&str> = found.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["plain", "w1"]);
    }

    #[test]
    fn property_order_is_no_change_but_a_value_is() {
        let a = summarize("a", r#"{"applicationId":"x","p":{"a":1,"b":2}}"#).unwrap();
        let b = summarize("b", r#"{"p":{"b":2,"a":1},"applicationId":"x"}"#).unwrap();
        let c = summarize("c", r#"{"applicationId":"x","p":{"a":1,"b":3}}"#).unwrap();
        assert_eq!(a.properties, b.properties);
        assert_ne!(a.properties, c.properties);
        assert_eq!(a.geometry, c.geometry);
    }

    #[test]
    fn a_hosted_element_changing_leaves_its_host_unchanged() {
        let host = |child: &str| {
            format!(
                r#"{{"applicationId":"host","elements":[{{"referencedId":"{child}","speckle_type":"reference"}}]}}"#
            )
        };
        let before = elements(&[
            ("h1", &host("c1")),
            ("c1", r#"{"applicationId":"child","v":1}"#),
        ]);
        let after = elements(&[
            ("h2", &host("c2")),
            ("c2", r#"{"applicationId":"child","v":2}"#),
        ]);
        assert_eq!(before[1].key, "host");
        assert_eq!(before[1].properties, after[1].properties);
        assert_ne!(before[0].properties, after[0].properties);
    }

    #[test]
    fn shared_application_ids_fall_back_to_the_object_id() {
        let found = elements(&[
            ("a", r#"{"applicationId":"same"}"#),
            ("b", r#"{"applicationId":"same","x":1}"#),
        ]);
        let keys: Vec<&str> = found.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["same#a", "same#b"]);
    }
}
