//! Fingerprints of JSON values taken while they are parsed, never building them: a comparison
//! reads every object of a version, and building each property's `Value` only to hash it was
//! most of that work.
//!
//! A fingerprint ignores the order of an object's keys (a client may write them in any order)
//! and leaves out detached children (`{"referencedId": …}`), which it lists instead: they are
//! compared by their own content, as a re-send may give the same content a new id.

use std::collections::hash_map::DefaultHasher;
use std::fmt;
use std::hash::{Hash, Hasher};

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::elements::types_a_reference;

/// The fingerprint of the JSON text `json`, adding the ids of the detached children it holds to
/// `refs`. A value that is itself a detached child fingerprints as nothing but that.
pub fn of(json: &str, refs: &mut Vec<String>) -> serde_json::Result<u64> {
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let hashed = Fingerprint { refs }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(match hashed {
        Hashed::Value(fingerprint) => fingerprint,
        Hashed::Reference(id) => {
            refs.push(id);
            REFERENCE
        }
    })
}

/// What a value that is only a detached child contributes to its parent's fingerprint.
const REFERENCE: u64 = 0x5eed_0fde_7ac4_ed00;

enum Hashed {
    Value(u64),
    Reference(String),
}

fn hash(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// Parses one value into its fingerprint; children found below it go to `refs`.
struct Fingerprint<'r> {
    refs: &'r mut Vec<String>,
}

impl<'de> DeserializeSeed<'de> for Fingerprint<'_> {
    type Value = Hashed;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Hashed, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Fingerprint<'_> {
    type Value = Hashed;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Hashed, E> {
        Ok(Hashed::Value(hash(0u8)))
    }

    fn visit_bool<E>(self, b: bool) -> Result<Hashed, E> {
        Ok(Hashed::Value(hash((1u8, b))))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Hashed, E> {
        Ok(Hashed::Value(hash((2u8, n))))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Hashed, E> {
        Ok(Hashed::Value(hash((3u8, n))))
    }

    fn visit_f64<E>(self, n: f64) -> Result<Hashed, E> {
        // -0.0 and 0.0 are one number to a reader.
        let n = if n == 0.0 { 0.0 } else { n };
        Ok(Hashed::Value(hash((4u8, n.to_bits()))))
    }

    fn visit_str<E>(self, s: &str) -> Result<Hashed, E> {
        Ok(Hashed::Value(hash((5u8, s))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Hashed, A::Error> {
        let mut hasher = DefaultHasher::new();
        6u8.hash(&mut hasher);
        let mut kept = 0usize;
        while let Some(item) = items.next_element_seed(Fingerprint {
            refs: &mut *self.refs,
        })? {
            match item {
                Hashed::Value(fingerprint) => {
                    fingerprint.hash(&mut hasher);
                    kept += 1;
                }
                Hashed::Reference(id) => self.refs.push(id),
            }
        }
        kept.hash(&mut hasher);
        Ok(Hashed::Value(hasher.finish()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Hashed, A::Error> {
        // Entries are combined by a sum, which no order of keys changes. Children of a map that
        // turns out to be a reference itself are not the parent's.
        let mut sum = 0u64;
        let mut kept = 0usize;
        let mut refs = Vec::new();
        let (mut referenced_id, mut speckle_type) = (None, None);
        while let Some(key) = entries.next_key_seed(Key)? {
            let value = match key.special {
                Some(Special::ReferencedId) | Some(Special::SpeckleType) => {
                    let text: serde_json::Value = entries.next_value()?;
                    let fingerprint = match &text {
                        serde_json::Value::String(s) => hash((5u8, s.as_str())),
                        other => Fingerprint { refs: &mut refs }
                            .deserialize(other)
                            .map_err(serde::de::Error::custom)
                            .map(|h| match h {
                                Hashed::Value(v) => v,
                                Hashed::Reference(_) => REFERENCE,
                            })?,
                    };
                    let text = text.as_str().map(str::to_string);
                    match key.special {
                        Some(Special::ReferencedId) => referenced_id = Some(text),
                        _ => speckle_type = Some(text),
                    }
                    Hashed::Value(fingerprint)
                }
                None => entries.next_value_seed(Fingerprint { refs: &mut refs })?,
            };
            match value {
                Hashed::Value(fingerprint) => {
                    sum = sum.wrapping_add(hash((key.hash, fingerprint)));
                    kept += 1;
                }
                Hashed::Reference(id) => refs.push(id),
            }
        }
        if let Some(Some(id)) = referenced_id {
            if types_a_reference(speckle_type.flatten().as_deref()) {
                return Ok(Hashed::Reference(id));
            }
        }
        self.refs.append(&mut refs);
        Ok(Hashed::Value(hash((7u8, kept, sum))))
    }
}

/// The keys whose values decide whether a map is a reference.
#[derive(Clone, Copy)]
enum Special {
    ReferencedId,
    SpeckleType,
}

struct HashedKey {
    hash: u64,
    special: Option<Special>,
}

/// Reads a map's key as its hash, noting the keys a reference is told by.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = HashedKey;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<HashedKey, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = HashedKey;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<HashedKey, E> {
        Ok(HashedKey {
            hash: hash(key),
            special: match key {
                "referencedId" => Some(Special::ReferencedId),
                "speckle_type" => Some(Special::SpeckleType),
                _ => None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fingerprint(json: &str) -> (u64, Vec<String>) {
        let mut refs = Vec::new();
        (of(json, &mut refs).unwrap(), refs)
    }

    #[test]
    fn key_order_is_no_change_but_a_value_is() {
        let (a, _) = fingerprint(r#"{"a":1,"b":{"c":[1,2.5,"x",null,true]}}"#);
        let (b, _) = fingerprint(r#"{"b":{"c":[1,2.5,"x",null,true]},"a":1}"#);
        let (c, _) = fingerprint(r#"{"a":1,"b":{"c":[1,2.5,"x",null,false]}}"#);
        let (d, _) = fingerprint(r#"{"a":1,"b":{"c":[2.5,1,"x",null,true]}}"#);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d, "the order of a list's items is part of it");
    }

    #[test]
    fn detached_children_are_listed_not_hashed() {
        let (a, refs) = fingerprint(
            r#"[{"referencedId":"m1","speckle_type":"reference"},{"referencedId":"m2"},{"x":1}]"#,
        );
        let (b, _) =
            fingerprint(r#"[{"referencedId":"other","speckle_type":"reference"},{"x":1}]"#);
        assert_eq!(refs, ["m1", "m2"]);
        assert_eq!(a, b);
    }

    #[test]
    fn a_typed_object_with_a_referenced_id_is_data() {
        let (_, refs) =
            fingerprint(r#"{"referencedId":"m1","speckle_type":"Objects.Other.Thing"}"#);
        assert!(refs.is_empty());
        let (_, refs) = fingerprint(r#"{"referencedId":"m1","speckle_type":"reference"}"#);
        assert_eq!(refs, ["m1"]);
    }

    #[test]
    fn nested_references_are_found_and_malformed_json_is_an_error() {
        let (_, refs) =
            fingerprint(r#"{"p":{"q":[[{"referencedId":"deep","speckle_type":"reference"}]]}}"#);
        assert_eq!(refs, ["deep"]);
        assert!(of(r#"{"a":"#, &mut Vec::new()).is_err());
        assert!(of(r#"{"a":1} trailing"#, &mut Vec::new()).is_err());
    }
}
