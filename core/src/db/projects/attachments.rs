//! `AttachmentStore`, written once: files attached to a project (`projects::attachments`).

/// `impl AttachmentStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! attachment_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use $crate::db::dialect::Dialect;
            use $crate::db::project_rows::{AttachmentRow, ATTACHMENTS, ATTACHMENT_COLUMNS};
            use $crate::db::query::{list_window, Write};
            use $crate::error::{Context, Result};
            use $crate::projects::{Attachment, AttachmentStore, Listed, Window};

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl AttachmentStore for $db {
                async fn save_attachment(&self, a: &Attachment) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO blobs (project_id, id, user_id, object_key, file_name, file_type, file_size,
                                            file_hash, upload_status, upload_error, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                         ON CONFLICT (project_id, id) DO UPDATE SET
                            file_size = excluded.file_size, file_hash = excluded.file_hash,
                            upload_status = excluded.upload_status, upload_error = excluded.upload_error",
                    )
                    .bind(&a.project_id)
                    .bind(&a.id)
                    .bind(&a.user_id)
                    .bind(&a.object_key)
                    .bind(&a.file_name)
                    .bind(&a.file_type)
                    .bind(a.file_size)
                    .bind(&a.file_hash)
                    .bind(a.status as i64)
                    .bind(&a.upload_error)
                    .bind(Self::time(a.created_at))
                    .write(&self.pool, "saving an attachment")
                    .await?;
                    Ok(())
                }

                async fn attachment(
                    &self,
                    project_id: &str,
                    id: &str,
                ) -> Result<Option<Attachment>> {
                    ATTACHMENTS
                        .find::<AttachmentRow<Time>, _, _>(&self.pool, project_id, id)
                        .await
                }

                async fn attachments(
                    &self,
                    project_id: &str,
                    name: Option<&str>,
                    window: Window,
                ) -> Result<Listed<Attachment>> {
                    let condition = format!(
                        "project_id = $1 AND upload_status = 1 AND ($2 IS NULL OR {})",
                        Self::contains("lower(file_name)", "lower($2)")
                    );
                    list_window::<AttachmentRow<Time>, _, _>(
                        &self.pool,
                        sqlx::AssertSqlSafe(format!(
                            "SELECT {ATTACHMENT_COLUMNS} FROM blobs WHERE {condition}
                             ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"
                        )),
                        sqlx::AssertSqlSafe(format!(
                            "SELECT COUNT(*) FROM blobs WHERE {condition}"
                        )),
                        |q| q.bind(project_id).bind(name),
                        window,
                        "attachments",
                    )
                    .await
                }

                async fn attachments_size(&self, project_id: &str) -> Result<i64> {
                    sqlx::query_scalar(
                        "SELECT CAST(COALESCE(SUM(file_size), 0) AS BIGINT) FROM blobs WHERE project_id = $1 AND upload_status = 1",
                    )
                    .bind(project_id)
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "adding up attachment sizes".into())
                }

                async fn delete_attachment(&self, project_id: &str, id: &str) -> Result<bool> {
                    ATTACHMENTS.delete(&self.pool, project_id, id).await
                }

                async fn known_attachments(
                    &self,
                    project_id: &str,
                    ids: &[String],
                ) -> Result<Vec<String>> {
                    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT id FROM blobs WHERE project_id = $1 AND {}",
                        Self::in_list("id", "$2")
                    )))
                    .bind(project_id)
                    .bind(Self::list(ids))
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "looking up attachments".into())
                }
            }
        };
    };
}

pub(crate) use attachment_store;
