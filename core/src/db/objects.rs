//! The `ObjectStore`, written once: each backend expands `object_store!` with its `Dialect`,
//! and supplies `existing_object_ids`, whose one-row answer each database aggregates its own way.

/// Rows per INSERT statement: 8 parameters each stays far below either database's parameter limit.
pub const ROWS_PER_INSERT: usize = 100;

#[derive(sqlx::FromRow)]
pub struct ObjectRow<T> {
    pub id: String,
    pub speckle_type: String,
    pub total_children_count: Option<i64>,
    pub json_bytes: i64,
    pub dictionary: bool,
    pub data: Vec<u8>,
    pub created_at: T,
}

#[derive(sqlx::FromRow)]
pub struct JsonRow {
    pub id: String,
    pub dictionary: bool,
    pub data: Vec<u8>,
}

/// `impl ObjectStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! object_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::Utc;
            use sqlx::QueryBuilder;
            use $crate::db::dialect::Dialect;
            use $crate::db::objects::{JsonRow, ObjectRow, ROWS_PER_INSERT};
            use $crate::db::dialect::StoredTime;
            use $crate::error::{Context, Result};
            use $crate::objects::{ObjectHead, ObjectStore, PackedJson, PackedObject};

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl ObjectStore for $db {
                fn concurrent_writes(&self) -> usize {
                    <$db as Dialect>::CONCURRENT_WRITES
                }

                async fn insert_objects(
                    &self,
                    project_id: &str,
                    objects: &[PackedObject],
                ) -> Result<()> {
                    // Sorted, so concurrent uploads of overlapping batches take their locks in one
                    // order.
                    let mut sorted: Vec<&PackedObject> = objects.iter().collect();
                    sorted.sort_unstable_by(|a, b| a.id.cmp(&b.id));
                    sorted.dedup_by(|a, b| a.id == b.id);
                    let what = || format!("storing {} objects", objects.len());
                    let mut tx = self.pool.begin().await.context(what)?;
                    for rows in sorted.chunks(ROWS_PER_INSERT) {
                        let mut insert: QueryBuilder<<$db as Dialect>::Db> = QueryBuilder::new(
                            "INSERT INTO objects (project_id, id, speckle_type, total_children_count, json_bytes, dictionary, data, created_at) ",
                        );
                        insert.push_values(rows, |mut row, object| {
                            row.push_bind(project_id)
                                .push_bind(&object.id)
                                .push_bind(&object.speckle_type)
                                .push_bind(object.total_children_count)
                                .push_bind(object.json_bytes)
                                .push_bind(object.dictionary)
                                .push_bind(&object.data)
                                .push_bind(Self::time(object.created_at));
                        });
                        insert.push(" ON CONFLICT (project_id, id) DO NOTHING");
                        insert.build().execute(&mut *tx).await.context(what)?;
                    }
                    tx.commit().await.context(what)
                }

                async fn object(&self, project_id: &str, id: &str) -> Result<Option<PackedObject>> {
                    let row: Option<ObjectRow<Time>> = sqlx::query_as(
                        "SELECT id, speckle_type, total_children_count, json_bytes, dictionary, data, created_at
                         FROM objects WHERE project_id = $1 AND id = $2",
                    )
                    .bind(project_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| format!("reading object {id}"))?;
                    Ok(row.map(|r| PackedObject {
                        id: r.id,
                        speckle_type: r.speckle_type,
                        total_children_count: r.total_children_count,
                        json_bytes: r.json_bytes,
                        dictionary: r.dictionary,
                        data: r.data,
                        created_at: r.created_at.into_utc(),
                    }))
                }

                async fn head(&self, project_id: &str, id: &str) -> Result<Option<ObjectHead>> {
                    let row: Option<(String, Option<i64>)> = sqlx::query_as(
                        "SELECT id, total_children_count FROM objects WHERE project_id = $1 AND id = $2",
                    )
                    .bind(project_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| format!("looking up object {id}"))?;
                    Ok(row.map(|(id, total_children_count)| ObjectHead {
                        id,
                        total_children_count,
                    }))
                }

                async fn packed_json(
                    &self,
                    project_id: &str,
                    ids: &[String],
                ) -> Result<Vec<PackedJson>> {
                    let rows: Vec<JsonRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT id, dictionary, data FROM objects WHERE project_id = $1 AND {} ORDER BY id",
                        Self::in_list("id", "$2")
                    )))
                    .bind(project_id)
                    .bind(Self::list(ids))
                    .fetch_all(&self.pool)
                    .await
                    .context(|| format!("reading {} objects", ids.len()))?;
                    Ok(rows
                        .into_iter()
                        .map(|r| PackedJson {
                            id: r.id,
                            dictionary: r.dictionary,
                            data: r.data,
                        })
                        .collect())
                }

                async fn existing_ids(
                    &self,
                    project_id: &str,
                    ids: &[String],
                ) -> Result<Vec<String>> {
                    self.existing_object_ids(project_id, ids).await
                }

                async fn object_totals(&self, project_id: &str) -> Result<(i64, i64)> {
                    sqlx::query_as(
                        "SELECT COUNT(*), CAST(COALESCE(SUM(json_bytes), 0) AS BIGINT) FROM objects WHERE project_id = $1",
                    )
                    .bind(project_id)
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "counting a project's objects".into())
                }

                async fn server_object_totals(&self) -> Result<(i64, i64)> {
                    sqlx::query_as(
                        "SELECT COUNT(*), CAST(COALESCE(SUM(json_bytes), 0) AS BIGINT) FROM objects",
                    )
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "counting the server's objects".into())
                }

                async fn dictionary(&self, project_id: &str) -> Result<Option<Vec<u8>>> {
                    sqlx::query_scalar("SELECT data FROM object_dictionaries WHERE project_id = $1")
                        .bind(project_id)
                        .fetch_optional(&self.pool)
                        .await
                        .context(|| "reading an object dictionary".into())
                }

                async fn save_dictionary(
                    &self,
                    project_id: &str,
                    dictionary: &[u8],
                ) -> Result<Vec<u8>> {
                    let what = || "saving an object dictionary".to_string();
                    sqlx::query(
                        "INSERT INTO object_dictionaries (project_id, data, created_at) VALUES ($1, $2, $3)
                         ON CONFLICT (project_id) DO NOTHING",
                    )
                    .bind(project_id)
                    .bind(dictionary)
                    .bind(Self::time(Utc::now()))
                    .execute(&self.pool)
                    .await
                    .context(what)?;
                    sqlx::query_scalar("SELECT data FROM object_dictionaries WHERE project_id = $1")
                        .bind(project_id)
                        .fetch_one(&self.pool)
                        .await
                        .context(what)
                }
            }
        };
    };
}

pub(crate) use object_store;
