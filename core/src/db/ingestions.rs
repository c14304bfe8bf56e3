//! The `IngestionStore`, written once: the SQL is the same on both databases, so each backend
//! expands `ingestion_store!` with its pool and its `Dialect`'s time type.

use crate::db::dialect::StoredTime;
use crate::db::query::ProjectTable;
use crate::ingestions::{Artifact, Ingestion, IngestionStatus, SourceData};

pub const INGESTIONS: ProjectTable =
    ProjectTable::new("model_ingestions", INGESTION_COLUMNS, "a model ingestion");
pub const INGESTION_COLUMNS: &str = "id, project_id, model_id, user_id, status, progress_message, progress, error_reason, cancellation_requested, version_id, source_data, max_idle_seconds, created_at, updated_at";

pub const INSERT_INGESTION: &str = "INSERT INTO model_ingestions
     (id, project_id, model_id, user_id, status, progress_message, progress, error_reason,
      cancellation_requested, version_id, source_data, max_idle_seconds, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";

pub const UPDATE_OPEN_INGESTION: &str = "UPDATE model_ingestions
     SET status = $3, progress_message = $4, progress = $5, error_reason = $6,
         cancellation_requested = $7, updated_at = $8
     WHERE project_id = $1 AND id = $2 AND status IN ('queued', 'processing')";

#[derive(sqlx::FromRow)]
pub struct IngestionRow<T> {
    id: String,
    project_id: String,
    model_id: String,
    user_id: String,
    status: String,
    progress_message: Option<String>,
    progress: Option<f64>,
    error_reason: Option<String>,
    cancellation_requested: bool,
    version_id: String,
    source_data: String,
    max_idle_seconds: Option<i32>,
    created_at: T,
    updated_at: T,
}

impl<T: StoredTime> From<IngestionRow<T>> for Ingestion {
    fn from(r: IngestionRow<T>) -> Self {
        Ingestion {
            // Only this module writes the column, and the table's check allows no other value.
            status: IngestionStatus::parse(&r.status).unwrap_or(IngestionStatus::InvalidInput),
            source: serde_json::from_str(&r.source_data).unwrap_or_default(),
            id: r.id,
            project_id: r.project_id,
            model_id: r.model_id,
            user_id: r.user_id,
            progress_message: r.progress_message,
            progress: r.progress,
            error_reason: r.error_reason,
            cancellation_requested: r.cancellation_requested,
            version_id: r.version_id,
            max_idle_seconds: r.max_idle_seconds,
            created_at: r.created_at.into_utc(),
            updated_at: r.updated_at.into_utc(),
        }
    }
}

// A version's files are written once; a second writer of the same files (two first readers
// of a version's bundle at once) leaves the first's rows.
pub const INSERT_ARTIFACT: &str = "INSERT INTO version_artifacts
     (project_id, version_id, name, object_key, size, etag, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (project_id, version_id, name) DO NOTHING";

pub const INSERT_DISPLAY_TREE: &str = "INSERT INTO version_display_trees
     (project_id, version_id, object_id) VALUES ($1, $2, $3)
     ON CONFLICT (project_id, version_id) DO NOTHING";

pub const SELECT_DISPLAY_TREE: &str =
    "SELECT object_id FROM version_display_trees WHERE project_id = $1 AND version_id = $2";

pub const SELECT_ARTIFACTS: &str =
    "SELECT project_id, version_id, name, object_key, size, etag, created_at
     FROM version_artifacts WHERE project_id = $1 AND version_id = $2 ORDER BY name";

#[derive(sqlx::FromRow)]
pub struct ArtifactRow<T> {
    project_id: String,
    version_id: String,
    name: String,
    object_key: String,
    size: i64,
    etag: String,
    created_at: T,
}

impl<T: StoredTime> From<ArtifactRow<T>> for Artifact {
    fn from(r: ArtifactRow<T>) -> Self {
        Artifact {
            project_id: r.project_id,
            version_id: r.version_id,
            name: r.name,
            object_key: r.object_key,
            size: r.size,
            etag: r.etag,
            created_at: r.created_at.into_utc(),
        }
    }
}

pub fn source_to_db(source: &SourceData) -> String {
    serde_json::to_string(source).unwrap_or_else(|_| "{}".into())
}

/// `impl IngestionStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! ingestion_store {
    ($db:ty) => {
        const _: () = {
            use $crate::db::dialect::Dialect;
            use $crate::db::query::{Fetch, Write};

            type Time = <$db as Dialect>::Time;

            #[async_trait::async_trait]
            impl $crate::ingestions::IngestionStore for $db {
                async fn insert_ingestion(
                    &self,
                    i: &$crate::ingestions::Ingestion,
                ) -> $crate::error::Result<()> {
                    sqlx::query($crate::db::ingestions::INSERT_INGESTION)
                        .bind(&i.id)
                        .bind(&i.project_id)
                        .bind(&i.model_id)
                        .bind(&i.user_id)
                        .bind(i.status.as_str())
                        .bind(&i.progress_message)
                        .bind(i.progress)
                        .bind(&i.error_reason)
                        .bind(i.cancellation_requested)
                        .bind(&i.version_id)
                        .bind($crate::db::ingestions::source_to_db(&i.source))
                        .bind(i.max_idle_seconds)
                        .bind(<$db as Dialect>::time(i.created_at))
                        .bind(<$db as Dialect>::time(i.updated_at))
                        .write(&self.pool, "storing a model ingestion")
                        .await?;
                    Ok(())
                }

                async fn ingestion(
                    &self,
                    project_id: &str,
                    id: &str,
                ) -> $crate::error::Result<Option<$crate::ingestions::Ingestion>> {
                    use $crate::db::ingestions::{IngestionRow, INGESTIONS};
                    INGESTIONS
                        .find::<IngestionRow<Time>, _, _>(&self.pool, project_id, id)
                        .await
                }

                async fn update_open_ingestion(
                    &self,
                    i: &$crate::ingestions::Ingestion,
                ) -> $crate::error::Result<bool> {
                    let done = sqlx::query($crate::db::ingestions::UPDATE_OPEN_INGESTION)
                        .bind(&i.project_id)
                        .bind(&i.id)
                        .bind(i.status.as_str())
                        .bind(&i.progress_message)
                        .bind(i.progress)
                        .bind(&i.error_reason)
                        .bind(i.cancellation_requested)
                        .bind(<$db as Dialect>::time(i.updated_at))
                        .write(&self.pool, "updating a model ingestion")
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn insert_artifacts(
                    &self,
                    artifacts: &[$crate::ingestions::Artifact],
                ) -> $crate::error::Result<()> {
                    use $crate::error::Context;
                    let mut tx = self
                        .pool
                        .begin()
                        .await
                        .context(|| "recording a version's files".into())?;
                    for a in artifacts {
                        sqlx::query($crate::db::ingestions::INSERT_ARTIFACT)
                            .bind(&a.project_id)
                            .bind(&a.version_id)
                            .bind(&a.name)
                            .bind(&a.object_key)
                            .bind(a.size)
                            .bind(&a.etag)
                            .bind(<$db as Dialect>::time(a.created_at))
                            .write(&mut *tx, "recording a version's file")
                            .await?;
                    }
                    tx.commit()
                        .await
                        .context(|| "recording a version's files".into())
                }

                async fn artifacts(
                    &self,
                    project_id: &str,
                    version_id: &str,
                ) -> $crate::error::Result<Vec<$crate::ingestions::Artifact>> {
                    sqlx::query_as::<_, $crate::db::ingestions::ArtifactRow<Time>>(
                        $crate::db::ingestions::SELECT_ARTIFACTS,
                    )
                    .bind(project_id)
                    .bind(version_id)
                    .all(&self.pool, "listing a version's files")
                    .await
                }

                async fn record_display_tree(
                    &self,
                    project_id: &str,
                    version_id: &str,
                    object_id: &str,
                ) -> $crate::error::Result<()> {
                    sqlx::query($crate::db::ingestions::INSERT_DISPLAY_TREE)
                        .bind(project_id)
                        .bind(version_id)
                        .bind(object_id)
                        .write(&self.pool, "recording a bundle version's object tree")
                        .await?;
                    Ok(())
                }

                async fn display_tree(
                    &self,
                    project_id: &str,
                    version_id: &str,
                ) -> $crate::error::Result<Option<String>> {
                    use $crate::error::Context;
                    sqlx::query_scalar($crate::db::ingestions::SELECT_DISPLAY_TREE)
                        .bind(project_id)
                        .bind(version_id)
                        .fetch_optional(&self.pool)
                        .await
                        .context(|| "reading a bundle version's object tree".into())
                }
            }
        };
    };
}

pub(crate) use ingestion_store;
