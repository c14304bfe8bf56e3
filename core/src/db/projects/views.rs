//! `ViewStore`, written once: the named views saved on a project's models (`projects::views`).

use crate::db::dialect::StoredTime;
use crate::db::query::ProjectTable;
use crate::projects::SavedView;

pub const VIEW_COLUMNS: &str = "id, project_id, model_id, name, state, author_id, created_at";
pub const VIEWS: ProjectTable = ProjectTable::new("saved_views", VIEW_COLUMNS, "a saved view");

#[derive(sqlx::FromRow)]
pub struct ViewRow<T> {
    id: String,
    project_id: String,
    model_id: String,
    name: String,
    state: String,
    author_id: Option<String>,
    created_at: T,
}

impl<T: StoredTime> From<ViewRow<T>> for SavedView {
    fn from(r: ViewRow<T>) -> Self {
        SavedView {
            id: r.id,
            project_id: r.project_id,
            model_id: r.model_id,
            name: r.name,
            state: r.state,
            author_id: r.author_id,
            created_at: r.created_at.into_utc(),
        }
    }
}

/// `impl ViewStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! view_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use $crate::db::dialect::Dialect;
            use $crate::db::projects::views::{ViewRow, VIEWS, VIEW_COLUMNS};
            use $crate::db::query::{Fetch, Write};
            use $crate::error::{Context, Result};
            use $crate::projects::{SavedView, ViewStore};

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl ViewStore for $db {
                async fn create_view(&self, view: &SavedView) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO saved_views (id, project_id, model_id, name, state, author_id, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&view.id)
                    .bind(&view.project_id)
                    .bind(&view.model_id)
                    .bind(&view.name)
                    .bind(&view.state)
                    .bind(&view.author_id)
                    .bind(Self::time(view.created_at))
                    .write_unique(
                        &self.pool,
                        || format!("the model already has a view named {}", view.name),
                        "saving a view",
                    )
                    .await?;
                    Ok(())
                }

                async fn view(&self, project_id: &str, id: &str) -> Result<Option<SavedView>> {
                    VIEWS
                        .find::<ViewRow<Time>, _, _>(&self.pool, project_id, id)
                        .await
                }

                async fn model_views(&self, model_id: &str, limit: i64) -> Result<Vec<SavedView>> {
                    sqlx::query_as::<_, ViewRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {VIEW_COLUMNS} FROM saved_views WHERE model_id = $1 ORDER BY name, id LIMIT $2"
                    )))
                    .bind(model_id)
                    .bind(limit)
                    .all(&self.pool, "listing a model's saved views")
                    .await
                }

                async fn count_model_views(&self, model_id: &str) -> Result<i64> {
                    sqlx::query_scalar("SELECT COUNT(*) FROM saved_views WHERE model_id = $1")
                        .bind(model_id)
                        .fetch_one(&self.pool)
                        .await
                        .context(|| "counting a model's saved views".into())
                }

                async fn delete_view(&self, project_id: &str, id: &str) -> Result<bool> {
                    VIEWS.delete(&self.pool, project_id, id).await
                }
            }
        };
    };
}

pub(crate) use view_store;
