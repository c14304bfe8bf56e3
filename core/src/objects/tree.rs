//! Reading a tree: the root, then its `__closure` children in id order, a chunk at a time, so a
//! download of any size holds one chunk in memory.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::stream::{self, BoxStream, StreamExt};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::ObjectStore;
use crate::error::{Error, Result};

/// Ids asked of the database at once.
pub const CHUNK: usize = 1000;

/// `(id, json)` rows, a chunk at a time.
pub type Rows = BoxStream<'static, Result<Vec<(String, String)>>>;

#[derive(Deserialize)]
struct Closure {
    #[serde(rename = "__closure", default)]
    closure: Option<BTreeMap<String, IgnoredAny>>,
}

/// The ids in an object's `__closure`, sorted.
pub fn closure_ids(json: &str) -> Result<Vec<String>> {
    let parsed: Closure = serde_json::from_str(json)
        .map_err(|e| Error::invalid("object", format!("stored object is not valid JSON: {e}")))?;
    Ok(parsed
        .closure
        .map(|c| c.into_keys().collect())
        .unwrap_or_default())
}

/// The objects among `ids` that the project has, in chunks of `CHUNK` ids, each chunk ordered by id.
/// The next chunk is read while the previous one is written out.
pub fn rows(store: Arc<dyn ObjectStore>, project_id: String, ids: Vec<String>) -> Rows {
    let chunks: Vec<Vec<String>> = ids.chunks(CHUNK).map(<[String]>::to_vec).collect();
    stream::iter(chunks)
        .map(move |chunk| {
            let store = store.clone();
            let project_id = project_id.clone();
            async move { store.objects_json(&project_id, &chunk).await }
        })
        .buffered(2)
        .boxed()
}

/// The root object followed by every child in its closure that the project has; `None` when
/// the project has no such root.
pub async fn whole(
    store: Arc<dyn ObjectStore>,
    project_id: &str,
    root_id: &str,
) -> Result<Option<Rows>> {
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
