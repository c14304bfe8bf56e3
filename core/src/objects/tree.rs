//! Reading a tree: the root, then its `__closure` children in id order, a chunk at a time, so a
//! download of any size holds one chunk in memory.

use std::fmt;
use std::sync::Arc;

use futures::stream::{self, BoxStream, StreamExt};
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::Objects;
use crate::error::{Error, Result};

/// Ids asked of the database at once.
pub const CHUNK: usize = 1000;

/// `(id, json)` rows, a chunk at a time.
pub type Rows = BoxStream<'static, Result<Vec<(String, String)>>>;

#[derive(Deserialize)]
struct Closure {
    #[serde(rename = "__closure", default)]
    closure: Option<ClosureKeys>,
}

/// A `__closure`'s keys, collected into a plain list (a root may list a million).
struct ClosureKeys(Vec<String>);

impl<'de> Deserialize<'de> for ClosureKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Keys;
        impl<'de> Visitor<'de> for Keys {
            type Value = ClosureKeys;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of object ids to depths")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ClosureKeys, A::Error> {
                let mut keys = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((key, IgnoredAny)) = map.next_entry::<String, IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(ClosureKeys(keys))
            }
        }
        deserializer.deserialize_map(Keys)
    }
}

/// The ids in an object's `__closure`, sorted.
pub fn closure_ids(json: &str) -> Result<Vec<String>> {
    let parsed: Closure = serde_json::from_str(json)
        .map_err(|e| Error::invalid("object", format!("stored object is not valid JSON: {e}")))?;
    let mut ids = parsed.closure.map(|c| c.0).unwrap_or_default();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The objects among `ids` that the project has, in chunks of `CHUNK` ids, each chunk ordered by id.
/// The next chunk is read while the previous one is written out.
pub fn rows(store: Arc<Objects>, project_id: String, ids: Vec<String>) -> Rows {
    let ids = Arc::new(ids);
    let starts = (0..ids.len()).step_by(CHUNK);
    stream::iter(starts)
        .map(move |start| {
            let (store, project_id, ids) = (store.clone(), project_id.clone(), ids.clone());
            async move {
                let end = (start + CHUNK).min(ids.len());
                store.objects_json(&project_id, &ids[start..end]).await
            }
        })
        .buffered(2)
        .boxed()
}

/// The root object followed by every child in its closure that the project has; `None` when
/// the project has no such root.
pub async fn whole(store: Arc<Objects>, project_id: &str, root_id: &str) -> Result<Option<Rows>> {
    let Some(root) = store.object(project_id, root_id).await? else {
        return Ok(None);
    };
    let children = closure_ids(&root.data)?;
    let first = stream::once(async move { Ok(vec![(root.id, root.data)]) });
    Ok(Some(
        first
            .chain(rows(store, project_id.to_string(), children))
            .boxed(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closure_ids_come_sorted() {
        let ids = closure_ids(r#"{"id":"r","__closure":{"b":1,"a":2,"c":1}}"#).unwrap();
        assert_eq!(ids, ["a", "b", "c"]);
        assert!(closure_ids(r#"{"id":"r"}"#).unwrap().is_empty());
    }
}
