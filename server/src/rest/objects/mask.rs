//! Attribute masks of the object stream: keep or drop an object's top-level properties, leaving
//! every kept value exactly as stored.

use std::borrow::Cow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub enum Mask {
    Include(Vec<String>),
    Exclude(Vec<String>),
}

impl Mask {
    pub fn check(&self) -> Result<(), &'static str> {
        let (Mask::Include(keys) | Mask::Exclude(keys)) = self;
        if keys.is_empty() {
            return Err("attributeMask must list at least one property");
        }
        Ok(())
    }

    /// The object with only the kept properties; `id` is always kept, since clients key on it.
    pub fn apply(&self, json: &str) -> String {
        let Ok(Properties(properties)) = serde_json::from_str::<Properties>(json) else {
            return json.to_string();
        };
        let keep = |key: &str| {
            key == "id"
                || match self {
                    Mask::Include(keys) => keys.iter().any(|k| k == key),
                    Mask::Exclude(keys) => !keys.iter().any(|k| k == key),
                }
        };
        let mut out = String::with_capacity(json.len());
        out.push('{');
        for (key, value) in properties.iter().filter(|(key, _)| keep(key)) {
            if out.len() > 1 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(key.as_ref()).unwrap_or_default());
            out.push(':');
            out.push_str(value.get());
        }
        out.push('}');
        out
    }
}

/// An object's top-level properties in their order, values left as text.
struct Properties<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Properties<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = Properties<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<Cow<'de, str>, &'de RawValue>()? {
                    entries.push(entry);
                }
                Ok(Properties(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}
