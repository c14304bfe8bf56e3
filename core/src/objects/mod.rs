//! Speckle objects: immutable JSON documents identified by a client-computed 32-character hash,
//! scoped per project. Stored compressed (see `codec`) and returned exactly as uploaded; a tree
//! is the root plus every id in its `__closure`.

pub mod batch;
pub mod build;
pub mod codec;
mod project;
pub mod tree;

pub use project::{store, ProjectObjects};

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

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

/// An object as the database keeps it: its JSON compressed.
#[derive(Clone, Debug, PartialEq)]
pub struct PackedObject {
    pub id: String,
    pub speckle_type: String,
    pub total_children_count: Option<i64>,
    /// The length of the JSON text.
    pub json_bytes: i64,
    /// Compressed with the project's dictionary.
    pub dictionary: bool,
    pub data: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

/// What is known of an object without reading its JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectHead {
    pub id: String,
    pub total_children_count: Option<i64>,
}

/// An object's compressed JSON, as read back in bulk.
#[derive(Clone, Debug, PartialEq)]
pub struct PackedJson {
    pub id: String,
    pub dictionary: bool,
    pub data: Vec<u8>,
}

/// The database side of objects; `Objects` puts compression in front of it.
#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// How many `insert_objects` calls are worth running at once.
    fn concurrent_writes(&self) -> usize;

    /// Inserts objects the project does not have yet; ones it has are left as they are.
    async fn insert_objects(&self, project_id: &str, objects: &[PackedObject]) -> Result<()>;

    async fn object(&self, project_id: &str, id: &str) -> Result<Option<PackedObject>>;

    /// The object's id and child count, without its data (a root can be a hundred megabytes).
    async fn head(&self, project_id: &str, id: &str) -> Result<Option<ObjectHead>>;

    /// Those of `ids` the project has, ordered by id.
    async fn packed_json(&self, project_id: &str, ids: &[String]) -> Result<Vec<PackedJson>>;

    /// Those of `ids` the project has.
    async fn existing_ids(&self, project_id: &str, ids: &[String]) -> Result<Vec<String>>;

    /// How many objects a project holds, and how many bytes of JSON they have.
    async fn object_totals(&self, project_id: &str) -> Result<(i64, i64)>;

    /// How many objects all projects hold together, and how many bytes of JSON they have.
    async fn server_object_totals(&self) -> Result<(i64, i64)>;

    async fn dictionary(&self, project_id: &str) -> Result<Option<Vec<u8>>>;

    /// Keeps `dictionary` as the project's unless it has one; returns the one it keeps.
    async fn save_dictionary(&self, project_id: &str, dictionary: &[u8]) -> Result<Vec<u8>>;
}

/// Objects as the rest of Fleck sees them: JSON in, the same JSON out; compressed in between.
pub struct Objects {
    store: Arc<dyn ObjectStore>,
    codec: codec::Codec,
}

impl Objects {
    /// The store the objects are kept in, for tests that inspect it.
    #[cfg(feature = "testing")]
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Objects {
            store,
            codec: codec::Codec::default(),
        }
    }

    /// How many `insert_objects` calls are worth running at once on this database.
    pub fn concurrent_writes(&self) -> usize {
        self.store.concurrent_writes()
    }

    /// Stores the objects the project does not have yet. Compression runs off the async
    /// workers; the project's first large batch trains its dictionary.
    pub async fn insert_objects(&self, project_id: &str, objects: Vec<NewObject>) -> Result<()> {
        if objects.is_empty() {
            return Ok(());
        }
        let dictionary = self
            .codec
            .dictionary(&*self.store, project_id, &objects)
            .await?;
        let packed =
            tokio::task::spawn_blocking(move || codec::pack(objects, dictionary.as_deref()))
                .await
                .map_err(|e| Error::backend("compressing objects", e))??;
        self.store.insert_objects(project_id, &packed).await
    }

    pub async fn object(&self, project_id: &str, id: &str) -> Result<Option<StoredObject>> {
        let Some(packed) = self.store.object(project_id, id).await? else {
            return Ok(None);
        };
        let dictionary = self
            .codec
            .for_reading(&*self.store, project_id, packed.dictionary)
            .await?;
        let data =
            codec::Unpacker::new(dictionary.as_deref())?.unpack(&packed.data, packed.dictionary)?;
        Ok(Some(StoredObject {
            data,
            id: packed.id,
            speckle_type: packed.speckle_type,
            total_children_count: packed.total_children_count,
            created_at: packed.created_at,
        }))
    }

    pub async fn head(&self, project_id: &str, id: &str) -> Result<Option<ObjectHead>> {
        self.store.head(project_id, id).await
    }

    /// `(id, json)` of those of `ids` the project has, ordered by id.
    pub async fn objects_json(
        &self,
        project_id: &str,
        ids: &[String],
    ) -> Result<Vec<(String, String)>> {
        let packed = self.store.packed_json(project_id, ids).await?;
        let with_dictionary = packed.iter().any(|p| p.dictionary);
        let dictionary = self
            .codec
            .for_reading(&*self.store, project_id, with_dictionary)
            .await?;
        let mut unpacker = codec::Unpacker::new(dictionary.as_deref())?;
        packed
            .into_iter()
            .map(|p| Ok((p.id, unpacker.unpack(&p.data, p.dictionary)?)))
            .collect()
    }

    pub async fn existing_ids(&self, project_id: &str, ids: &[String]) -> Result<Vec<String>> {
        self.store.existing_ids(project_id, ids).await
    }

    pub async fn object_totals(&self, project_id: &str) -> Result<(i64, i64)> {
        self.store.object_totals(project_id).await
    }

    pub async fn server_object_totals(&self) -> Result<(i64, i64)> {
        self.store.server_object_totals().await
    }
}
