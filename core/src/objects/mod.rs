//! Speckle objects: immutable JSON documents identified by a client-computed 32-character hash,
//! scoped per project. Stored exactly as uploaded; a tree is the root plus every id in its
//! `__closure`.

pub mod batch;
pub mod tree;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;

/// The length of every object id.
pub const ID_LEN: usize = 32;

/// An object as parsed from an upload.
#[derive(Clone, Debug, PartialEq)]
pub struct NewObject {
    pub id: String,
    pub speckle_type: String,
    /// Entries in its `__closure`: the detached objects under it.
    pub total_children_count: Option<i64>,
    /// The object's JSON text, byte for byte as received.
    pub data: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StoredObject {
    pub id: String,
    pub speckle_type: String,
    pub total_children_count: Option<i64>,
    pub data: String,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// Inserts objects the project does not have yet; ones it has are left as they are.
    async fn insert_objects(&self, project_id: &str, objects: &[NewObject]) -> Result<()>;

    async fn object(&self, project_id: &str, id: &str) -> Result<Option<StoredObject>>;

    /// `(id, json)` of those of `ids` the project has, ordered by id.
    async fn objects_json(&self, project_id: &str, ids: &[String])
        -> Result<Vec<(String, String)>>;

    /// Those of `ids` the project has.
    async fn existing_ids(&self, project_id: &str, ids: &[String]) -> Result<Vec<String>>;

    /// How many objects, and how many bytes of JSON, a project holds.
    async fn object_totals(&self, project_id: &str) -> Result<(i64, i64)>;
}
