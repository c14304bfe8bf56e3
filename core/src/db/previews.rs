//! The `PreviewStore`, written once: each backend expands `preview_store!` with its `Dialect`.

use crate::db::dialect::StoredTime;
use crate::numbered::Numbered;
use crate::previews::{Preview, PreviewStatus};

#[derive(sqlx::FromRow)]
pub struct PreviewRow<T> {
    project_id: String,
    object_id: String,
    status: i16,
    attempts: i32,
    angles: String,
    error: Option<String>,
    created_at: T,
    updated_at: T,
}

impl<T: StoredTime> From<PreviewRow<T>> for Preview {
    fn from(row: PreviewRow<T>) -> Self {
        Preview {
            project_id: row.project_id,
            object_id: row.object_id,
            status: PreviewStatus::from_number(row.status.into()),
            attempts: row.attempts.into(),
            angles: serde_json::from_str(&row.angles).unwrap_or_default(),
            error: row.error,
            created_at: row.created_at.into_utc(),
            updated_at: row.updated_at.into_utc(),
        }
    }
}

/// `impl PreviewStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! preview_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use $crate::db::dialect::Dialect;
            use $crate::db::previews::PreviewRow;
            use $crate::db::query::{Fetch, Write};
            use $crate::numbered::Numbered;
            use $crate::error::{Context, Result};
            use $crate::previews::{Preview, PreviewStatus, PreviewStore};

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl PreviewStore for $db {
                async fn request_preview(
                    &self,
                    project_id: &str,
                    object_id: &str,
                    at: DateTime<Utc>,
                ) -> Result<bool> {
                    let inserted = sqlx::query(
                        "INSERT INTO object_previews (project_id, object_id, status, created_at, updated_at)
                         SELECT $1, $2, 0, $3, $3 WHERE EXISTS (SELECT 1 FROM projects WHERE id = $1)
                         ON CONFLICT (project_id, object_id) DO NOTHING",
                    )
                    .bind(project_id)
                    .bind(object_id)
                    .bind(Self::time(at))
                    .write(&self.pool, "asking for a preview")
                    .await?;
                    Ok(inserted.rows_affected() == 1)
                }

                async fn request_preview_within(
                    &self,
                    project_id: &str,
                    object_id: &str,
                    at: DateTime<Utc>,
                    max_unfinished: i64,
                ) -> Result<bool> {
                    let inserted = sqlx::query(
                        "INSERT INTO object_previews (project_id, object_id, status, created_at, updated_at)
                         SELECT $1, $2, 0, $3, $3 WHERE EXISTS (SELECT 1 FROM projects WHERE id = $1)
                            AND (SELECT count(*) FROM object_previews
                                 WHERE project_id = $1 AND status IN (0, 1)) < $4
                         ON CONFLICT (project_id, object_id) DO NOTHING",
                    )
                    .bind(project_id)
                    .bind(object_id)
                    .bind(Self::time(at))
                    .bind(max_unfinished)
                    .write(&self.pool, "asking for a preview")
                    .await?;
                    Ok(inserted.rows_affected() == 1)
                }

                async fn preview(
                    &self,
                    project_id: &str,
                    object_id: &str,
                ) -> Result<Option<Preview>> {
                    sqlx::query_as::<_, PreviewRow<Time>>(
                        "SELECT project_id, object_id, status, attempts, CAST(angles AS TEXT) AS angles, error, created_at, updated_at
                         FROM object_previews WHERE project_id = $1 AND object_id = $2",
                    )
                    .bind(project_id)
                    .bind(object_id)
                    .optional(&self.pool, "reading a preview")
                    .await
                }

                async fn save_preview(&self, p: &Preview) -> Result<()> {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE object_previews
                         SET status = $3, attempts = $4, angles = {angles}, error = $6, updated_at = $7
                         WHERE project_id = $1 AND object_id = $2",
                        angles = Self::json("$5"),
                    )))
                    .bind(&p.project_id)
                    .bind(&p.object_id)
                    .bind(p.status as i16)
                    .bind(p.attempts as i32)
                    .bind(serde_json::to_string(&p.angles).unwrap_or_else(|_| "{}".into()))
                    .bind(&p.error)
                    .bind(Self::time(p.updated_at))
                    .write(&self.pool, "saving a preview")
                    .await?;
                    Ok(())
                }

                async fn preview_counts(&self) -> Result<Vec<(PreviewStatus, i64)>> {
                    let rows: Vec<(i16, i64)> = sqlx::query_as(
                        "SELECT status, COUNT(*) FROM object_previews GROUP BY status",
                    )
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "counting previews".into())?;
                    Ok(rows
                        .into_iter()
                        .map(|(status, count)| (PreviewStatus::from_number(status.into()), count))
                        .collect())
                }
            }
        };
    };
}

pub(crate) use preview_store;
