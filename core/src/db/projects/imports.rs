//! `ImportStore`, written once: uploaded files and their conversion (`projects::imports`).

/// `impl ImportStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! import_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use $crate::db::dialect::Dialect;
            use $crate::db::project_rows::{
                performance_to_db, FileImportRow, FILE_IMPORTS, FILE_IMPORT_COLUMNS,
            };
            use $crate::db::query::{list_window, Write};
            use $crate::numbered::Numbered;
            use $crate::error::{Context, Result};
            use $crate::projects::{
                FileImport, ImportStatus, ImportStore, ImportTotal, Listed, Window,
            };

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl ImportStore for $db {
                async fn save_file_import(&self, i: &FileImport) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO file_imports (project_id, id, model_id, user_id, file_name, file_type, file_size,
                                                   status, message, version_id, performance, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                         ON CONFLICT (project_id, id) DO UPDATE SET
                            status = excluded.status, message = excluded.message, version_id = excluded.version_id,
                            performance = excluded.performance, updated_at = excluded.updated_at",
                    )
                    .bind(&i.project_id)
                    .bind(&i.id)
                    .bind(&i.model_id)
                    .bind(&i.user_id)
                    .bind(&i.file_name)
                    .bind(&i.file_type)
                    .bind(i.file_size)
                    .bind(i.status as i64)
                    .bind(&i.message)
                    .bind(&i.version_id)
                    .bind(performance_to_db(i))
                    .bind(Self::time(i.created_at))
                    .bind(Self::time(i.updated_at))
                    .write(&self.pool, "saving a file import")
                    .await?;
                    Ok(())
                }

                async fn update_unfinished_file_import(&self, i: &FileImport) -> Result<bool> {
                    let updated = sqlx::query(
                        "UPDATE file_imports
                         SET status = $3, message = $4, version_id = $5, performance = $6, updated_at = $7
                         WHERE project_id = $1 AND id = $2 AND status IN ($8, $9)",
                    )
                    .bind(&i.project_id)
                    .bind(&i.id)
                    .bind(i.status as i64)
                    .bind(&i.message)
                    .bind(&i.version_id)
                    .bind(performance_to_db(i))
                    .bind(Self::time(i.updated_at))
                    .bind(ImportStatus::Queued as i64)
                    .bind(ImportStatus::Converting as i64)
                    .write(&self.pool, "updating a file import")
                    .await?;
                    Ok(updated.rows_affected() == 1)
                }

                async fn delete_file_import(&self, project_id: &str, id: &str) -> Result<bool> {
                    FILE_IMPORTS.delete(&self.pool, project_id, id).await
                }

                async fn file_import(
                    &self,
                    project_id: &str,
                    id: &str,
                ) -> Result<Option<FileImport>> {
                    FILE_IMPORTS
                        .find::<FileImportRow<Time>, _, _>(&self.pool, project_id, id)
                        .await
                }

                async fn file_imports(
                    &self,
                    project_id: &str,
                    model_id: Option<&str>,
                    window: Window,
                ) -> Result<Listed<FileImport>> {
                    let condition =
                        "project_id = $1 AND (CAST($2 AS TEXT) IS NULL OR model_id = $2)";
                    list_window::<FileImportRow<Time>, _, _>(
                        &self.pool,
                        sqlx::AssertSqlSafe(format!(
                            "SELECT {FILE_IMPORT_COLUMNS} FROM file_imports WHERE {condition}
                                 ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"
                        )),
                        sqlx::AssertSqlSafe(format!(
                            "SELECT COUNT(*) FROM file_imports WHERE {condition}"
                        )),
                        |q| q.bind(project_id).bind(model_id),
                        window,
                        "file imports",
                    )
                    .await
                }

                async fn import_totals(&self) -> Result<Vec<ImportTotal>> {
                    let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
                        "SELECT file_type, status, COUNT(*), CAST(COALESCE(SUM(file_size), 0) AS BIGINT)
                                 FROM file_imports
                                 GROUP BY file_type, status
                                 ORDER BY file_type, status",
                    )
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "counting the server's file imports".into())?;
                    Ok(rows
                        .into_iter()
                        .map(|(file_type, status, count, bytes)| ImportTotal {
                            file_type,
                            status: ImportStatus::from_number(status),
                            count,
                            bytes,
                        })
                        .collect())
                }
            }
        };
    };
}

pub(crate) use import_store;
