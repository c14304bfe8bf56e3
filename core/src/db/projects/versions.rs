//! `VersionStore`, written once: the versions sent to models (`projects::versions`).

/// `impl VersionStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! version_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::Utc;
            use $crate::db::dialect::Dialect;
            use $crate::db::project_rows::{VersionRow, VERSIONS, VERSION_COLUMNS};
            use $crate::db::query::{list_window, Write};
            use $crate::error::{Context, Result};
            use $crate::projects::{Listed, Version, VersionStore, Window};

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl VersionStore for $db {
                async fn create_version(&self, version: &Version) -> Result<()> {
                    let what = || "creating a version".to_string();
                    let mut tx = self.pool.begin().await.context(what)?;
                    sqlx::query(
                        "INSERT INTO versions (id, project_id, model_id, referenced_object, author_id, message,
                                               source_application, total_children_count, parents, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&version.id)
                    .bind(&version.project_id)
                    .bind(&version.model_id)
                    .bind(&version.referenced_object)
                    .bind(&version.author_id)
                    .bind(&version.message)
                    .bind(&version.source_application)
                    .bind(version.total_children_count)
                    .bind(serde_json::to_string(&version.parents).unwrap_or_else(|_| "[]".into()))
                    .bind(Self::time(version.created_at))
                    .execute(&mut *tx)
                    .await
                    .context(what)?;
                    sqlx::query("UPDATE models SET updated_at = $2 WHERE id = $1")
                        .bind(&version.model_id)
                        .bind(Self::time(version.created_at))
                        .execute(&mut *tx)
                        .await
                        .context(what)?;
                    sqlx::query("UPDATE projects SET updated_at = $2 WHERE id = $1")
                        .bind(&version.project_id)
                        .bind(Self::time(version.created_at))
                        .execute(&mut *tx)
                        .await
                        .context(what)?;
                    tx.commit().await.context(what)
                }

                async fn version(&self, project_id: &str, id: &str) -> Result<Option<Version>> {
                    VERSIONS
                        .find::<VersionRow<Time>, _, _>(&self.pool, project_id, id)
                        .await
                }

                async fn model_versions(
                    &self,
                    model_id: &str,
                    priority: &[String],
                    only_priority: bool,
                    window: Window,
                ) -> Result<Listed<Version>> {
                    let priority = Self::list(priority);
                    let prioritized = Self::in_list("id", "$2");
                    let condition = format!("model_id = $1 AND (NOT $3 OR {prioritized})");
                    list_window::<VersionRow<Time>, _, _>(
                        &self.pool,
                        sqlx::AssertSqlSafe(format!(
                            "SELECT {VERSION_COLUMNS} FROM versions WHERE {condition}
                                 ORDER BY {prioritized} DESC, created_at DESC, id
                                 LIMIT $4 OFFSET $5"
                        )),
                        sqlx::AssertSqlSafe(format!(
                            "SELECT COUNT(*) FROM versions WHERE {condition}"
                        )),
                        |q| q.bind(model_id).bind(&priority).bind(only_priority),
                        window,
                        "versions",
                    )
                    .await
                }

                async fn project_versions(
                    &self,
                    project_id: &str,
                    window: Window,
                ) -> Result<Listed<Version>> {
                    list_window::<VersionRow<Time>, _, _>(
                        &self.pool,
                        sqlx::AssertSqlSafe(format!(
                            "SELECT {VERSION_COLUMNS} FROM versions WHERE project_id = $1
                                 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
                        )),
                        "SELECT COUNT(*) FROM versions WHERE project_id = $1",
                        |q| q.bind(project_id),
                        window,
                        "versions",
                    )
                    .await
                }

                async fn update_version_message(
                    &self,
                    project_id: &str,
                    id: &str,
                    message: &str,
                ) -> Result<()> {
                    sqlx::query(
                        "UPDATE versions SET message = $3 WHERE project_id = $1 AND id = $2",
                    )
                    .bind(project_id)
                    .bind(id)
                    .bind(message)
                    .write(&self.pool, "updating a version")
                    .await?;
                    Ok(())
                }

                async fn move_versions(
                    &self,
                    project_id: &str,
                    ids: &[String],
                    model_id: &str,
                ) -> Result<u64> {
                    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE versions SET model_id = $3 WHERE project_id = $1 AND {}",
                        Self::in_list("id", "$2")
                    )))
                    .bind(project_id)
                    .bind(Self::list(ids))
                    .bind(model_id)
                    .write(&self.pool, "moving versions")
                    .await?;
                    sqlx::query("UPDATE models SET updated_at = $2 WHERE id = $1")
                        .bind(model_id)
                        .bind(Self::time(Utc::now()))
                        .write(&self.pool, "moving versions")
                        .await?;
                    Ok(done.rows_affected())
                }

                async fn delete_versions(&self, project_id: &str, ids: &[String]) -> Result<u64> {
                    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM versions WHERE project_id = $1 AND {}",
                        Self::in_list("id", "$2")
                    )))
                    .bind(project_id)
                    .bind(Self::list(ids))
                    .write(&self.pool, "deleting versions")
                    .await?;
                    Ok(done.rows_affected())
                }

                async fn source_apps(&self, project_id: &str) -> Result<Vec<String>> {
                    sqlx::query_scalar(
                        "SELECT DISTINCT source_application FROM versions
                                 WHERE project_id = $1 AND source_application IS NOT NULL
                                 ORDER BY source_application",
                    )
                    .bind(project_id)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing a project's source applications".into())
                }
            }
        };
    };
}

pub(crate) use version_store;
