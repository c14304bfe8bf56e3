//! Parsing one uploaded batch: a JSON array of objects, each kept as its exact text. Only the
//! few properties the server needs are decoded; everything else is skipped without allocating.

use std::borrow::Cow;
use std::fmt;

use md5::{Digest, Md5};
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::{NewObject, ID_LEN};

/// Why a batch was refused; the texts are Speckle's, which clients show to people.
#[derive(Debug, PartialEq, thiserror::Error)]
pub enum BatchError {
    #[error("Batch is expected to be wrapped in a JSON array.")]
    NotAnArray,
    #[error("Failed to parse data: {0}")]
    Unparsable(String),
    #[error("Error inserting object in the database: {0}")]
    BadObject(String),
}

/// The properties read from each object.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow, default)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    hash: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    speckle_type: Option<Cow<'a, str>>,
    #[serde(rename = "__closure", default)]
    closure: Option<ClosureSize>,
}

/// The number of entries of a `__closure` map, counted without keeping them.
struct ClosureSize(i64);

impl<'de> Deserialize<'de> for ClosureSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Count;
        impl<'de> Visitor<'de> for Count {
            type Value = ClosureSize;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of object ids to depths")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ClosureSize, A::Error> {
                let mut n = 0;
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(ClosureSize(n))
            }
            fn visit_unit<E: de::Error>(self) -> Result<ClosureSize, E> {
                Ok(ClosureSize(0))
            }
        }
        deserializer.deserialize_any(Count)
    }
}

/// Batches of one object this large reuse their buffer for its text rather than copy it.
const REUSE_BYTES: usize = 1 << 20;

/// Parses a batch. Objects larger than `max_object_bytes` are refused.
pub fn parse(bytes: &[u8], max_object_bytes: usize) -> Result<Vec<NewObject>, BatchError> {
    array(bytes)?
        .into_iter()
        .map(|raw| object(raw, max_object_bytes))
        .collect()
}

/// Like `parse`, owning the batch: a batch that is one large object (a root whose `__closure`
/// lists a million children) keeps its buffer as the object's text, so it is never held twice.
pub fn parse_owned(bytes: Vec<u8>, max_object_bytes: usize) -> Result<Vec<NewObject>, BatchError> {
    let single = {
        let raws = array(&bytes)?;
        match raws.as_slice() {
            [raw] if raw.get().len() >= REUSE_BYTES => {
                let mut object = object_head(raw, max_object_bytes)?;
                let start = raw.get().as_ptr() as usize - bytes.as_ptr() as usize;
                Some((start, start + raw.get().len(), object.take()))
            }
            _ => None,
        }
    };
    let Some((start, end, head)) = single else {
        return parse(&bytes, max_object_bytes);
    };
    let mut bytes = bytes;
    bytes.truncate(end);
    bytes.drain(..start);
    let data = String::from_utf8(bytes).map_err(|e| BatchError::Unparsable(e.to_string()))?;
    Ok(vec![head.with_data(data)])
}

/// One object's JSON text (a line of an objects file), checked as an object in a batch is.
pub fn parse_one(text: String, max_object_bytes: usize) -> Result<NewObject, BatchError> {
    let raw: &RawValue = serde_json::from_str(&text)
        .map_err(|e| BatchError::BadObject(format!("not JSON ({e})")))?;
    let head = object_head(raw, max_object_bytes)?;
    Ok(head.with_data(text))
}

fn array(bytes: &[u8]) -> Result<Vec<&RawValue>, BatchError> {
    serde_json::from_slice(bytes).map_err(|e| match serde_json::from_slice::<IgnoredAny>(bytes) {
        Ok(_) => BatchError::NotAnArray,
        Err(_) => BatchError::Unparsable(e.to_string()),
    })
}

/// What `object_head` read of an object, its text still to be attached.
struct Headed {
    object: NewObject,
    /// The text with an `id` written in, when the object came without one.
    rewritten: Option<String>,
}

impl Headed {
    fn take(&mut self) -> Headed {
        Headed {
            object: std::mem::replace(
                &mut self.object,
                NewObject {
                    id: String::new(),
                    speckle_type: String::new(),
                    total_children_count: None,
                    data: String::new(),
                },
            ),
            rewritten: self.rewritten.take(),
        }
    }

    fn with_data(self, text: String) -> NewObject {
        NewObject {
            data: self.rewritten.unwrap_or(text),
            ..self.object
        }
    }
}

fn object(raw: &RawValue, max_object_bytes: usize) -> Result<NewObject, BatchError> {
    Ok(object_head(raw, max_object_bytes)?.with_data(raw.get().to_string()))
}

fn object_head(raw: &RawValue, max_object_bytes: usize) -> Result<Headed, BatchError> {
    let text = raw.get();
    if text.len() > max_object_bytes {
        return Err(BatchError::BadObject(format!(
            "Object too large ({} MB > {} MB)",
            text.len() / 1_000_000,
            max_object_bytes / 1_000_000
        )));
    }
    if nesting(text) > MAX_NESTING {
        return Err(BatchError::BadObject(format!(
            "Object nested deeper than {MAX_NESTING} levels of lists and objects; such an object could not be read back"
        )));
    }
    let head: Head = serde_json::from_str(text)
        .map_err(|e| BatchError::BadObject(format!("objects must be JSON objects ({e})")))?;
    let given = head.hash.or(head.id).map(Cow::into_owned);
    let (id, rewritten) = match given {
        Some(id) => (id, None),
        // Speckle's fallback: the MD5 of the text, written into the object as its `id`.
        None => {
            let id = hex::encode(Md5::digest(text.as_bytes()));
            let rewritten = with_id(text, &id);
            (id, Some(rewritten))
        }
    };
    if id.len() != ID_LEN {
        return Err(BatchError::BadObject(
            "Object ID's must be hashes represented by a string of 32 characters".into(),
        ));
    }
    Ok(Headed {
        object: NewObject {
            id,
            speckle_type: head
                .speckle_type
                .map(Cow::into_owned)
                .unwrap_or_else(|| "Base".into()),
            total_children_count: head.closure.map(|c| c.0),
            data: String::new(),
        },
        rewritten,
    })
}

/// The deepest nesting of lists and objects an object may have. Readers parse objects whole
/// (GraphQL's `data`, attribute masks, clients), and the JSON parser stops at 128 levels: an
/// object the server accepted must stay readable.
pub const MAX_NESTING: usize = 100;

/// How deeply lists and objects nest in a JSON text (strings skipped), without parsing it.
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0usize);
    let (mut in_string, mut escaped) = (false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// `{"id":"…",` spliced in front of an object's properties.
fn with_id(text: &str, id: &str) -> String {
    let body = text
        .trim_start()
        .strip_prefix('{')
        .unwrap_or(text)
        .trim_start();
    if body.starts_with('}') {
        format!("{{\"id\":\"{id}\"}}")
    } else {
        format!("{{\"id\":\"{id}\",{body}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn objects_keep_their_exact_text() {
        let text = format!(
            r#"[{{"b":1.0,"id":"{ID}","n":12345678901234567890,"speckle_type":"Objects.Geometry.Mesh","__closure":{{"a":1,"b":2}}}}]"#
        );
        let parsed = parse(text.as_bytes(), 1 << 20).unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].id, ID);
        assert_eq!(parsed[0].speckle_type, "Objects.Geometry.Mesh");
        assert_eq!(parsed[0].total_children_count, Some(2));
        assert_eq!(parsed[0].data, &text[1..text.len() - 1]);
    }

    #[test]
    fn a_hash_property_wins_and_a_missing_id_is_computed() {
        let other = "f".repeat(32);
        let parsed = parse(
            format!(r#"[{{"id":"short","hash":"{other}"}}, {{"x":1}}, {{}}]"#).as_bytes(),
            1 << 20,
        )
        .unwrap();
        assert_eq!(parsed[0].id, other);
        assert_eq!(parsed[0].speckle_type, "Base");
        let computed = &parsed[1];
        assert_eq!(computed.id, hex::encode(Md5::digest(br#"{"x":1}"#)));
        assert_eq!(
            computed.data,
            format!(r#"{{"id":"{}","x":1}}"#, computed.id)
        );
        assert_eq!(parsed[2].data, format!(r#"{{"id":"{}"}}"#, parsed[2].id));
    }

    #[test]
    fn a_large_single_object_keeps_its_text_when_parsed_owned() {
        let big = format!(
            r#" [ {{"id":"{ID}","__closure":{{"a":1}},"pad":"{}"}} ] "#,
            "x".repeat(REUSE_BYTES)
        );
        let parsed = parse_owned(big.clone().into_bytes(), usize::MAX).unwrap();
        assert_eq!(parsed, parse(big.as_bytes(), usize::MAX).unwrap());
        assert_eq!(parsed[0].data, big.trim()[1..big.trim().len() - 1].trim());
        assert_eq!(parsed[0].total_children_count, Some(1));
    }

    #[test]
    fn objects_too_deep_to_read_back_are_refused() {
        let deep = |levels: usize| {
            format!(
                r#"[{{"id":"{ID}","a":{}1{},"s":"[[[[{{{{"}}]"#,
                "[".repeat(levels - 1),
                "]".repeat(levels - 1)
            )
        };
        let accepted = parse(deep(MAX_NESTING).as_bytes(), 1 << 20).unwrap();
        // What the server accepts, a whole-object parse reads back.
        serde_json::from_str::<serde_json::Value>(&accepted[0].data).unwrap();
        match parse(deep(MAX_NESTING + 1).as_bytes(), 1 << 20) {
            Err(BatchError::BadObject(message)) => assert!(message.contains("nested"), "{message}"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn bad_batches_say_what_is_wrong() {
        assert_eq!(parse(br#"{"id":1}"#, 100), Err(BatchError::NotAnArray));
        assert!(matches!(parse(b"[{", 100), Err(BatchError::Unparsable(_))));
        assert!(matches!(
            parse(br#"[{"id":"short"}]"#, 100),
            Err(BatchError::BadObject(_))
        ));
        assert!(matches!(parse(b"[1]", 100), Err(BatchError::BadObject(_))));
        let big = format!(r#"[{{"id":"{ID}","pad":"{}"}}]"#, "x".repeat(200));
        assert!(matches!(
            parse(big.as_bytes(), 100),
            Err(BatchError::BadObject(_))
        ));
    }
}
