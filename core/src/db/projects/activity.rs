//! `ActivityStore`, written once: a project's activity stream (`projects::activity`).

/// `impl ActivityStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! activity_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use $crate::db::dialect::Dialect;
            use $crate::db::project_rows::ActivityRow;
            use $crate::db::query::{Fetch, Write};
            use $crate::error::{Context, Result};
            use $crate::projects::{Activity, ActivityStore};

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl ActivityStore for $db {
                async fn add_activity(&self, activity: &Activity) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO activity (project_id, resource_type, resource_id, action_type, user_id, info, message, time)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&activity.project_id)
                    .bind(&activity.resource_type)
                    .bind(&activity.resource_id)
                    .bind(&activity.action_type)
                    .bind(&activity.user_id)
                    .bind(activity.info.to_string())
                    .bind(&activity.message)
                    .bind(Self::time(activity.time))
                    .write(&self.pool, "recording activity")
                    .await?;
                    Ok(())
                }

                async fn project_activity(
                    &self,
                    project_id: &str,
                    before: Option<i64>,
                    limit: i64,
                ) -> Result<Vec<Activity>> {
                    sqlx::query_as::<_, ActivityRow<Time>>(
                        "SELECT seq, project_id, resource_type, resource_id, action_type, user_id, info, message, time
                         FROM activity WHERE project_id = $1 AND ($2 IS NULL OR seq < $2)
                         ORDER BY seq DESC LIMIT $3",
                    )
                    .bind(project_id)
                    .bind(before)
                    .bind(limit)
                    .all(&self.pool, "reading activity")
                    .await
                }

                async fn count_project_activity(&self, project_id: &str) -> Result<i64> {
                    sqlx::query_scalar("SELECT COUNT(*) FROM activity WHERE project_id = $1")
                        .bind(project_id)
                        .fetch_one(&self.pool)
                        .await
                        .context(|| "counting activity".into())
                }
            }
        };
    };
}

pub(crate) use activity_store;
