//! `ModelStore`, written once: a project's models (`projects::models`); its `insert_model` also
//! writes the first model of `create_project`.

/// `impl ModelStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! model_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use $crate::db::dialect::Dialect;
            use $crate::db::project_rows::{ModelRow, MODELS, MODEL_COLUMNS};
            use $crate::db::query::{list_window, Fetch, Write};
            use $crate::error::Result;
            use $crate::projects::{Listed, Model, ModelFilter, ModelStore, Window};

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl ModelStore for $db {
                async fn create_model(&self, model: &Model) -> Result<()> {
                    Self::insert_model(&self.pool, model).await
                }

                async fn model(&self, project_id: &str, id: &str) -> Result<Option<Model>> {
                    MODELS
                        .find::<ModelRow<Time>, _, _>(&self.pool, project_id, id)
                        .await
                }

                async fn model_by_name(
                    &self,
                    project_id: &str,
                    name: &str,
                ) -> Result<Option<Model>> {
                    sqlx::query_as::<_, ModelRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {MODEL_COLUMNS} FROM models WHERE project_id = $1 AND name = $2"
                    )))
                    .bind(project_id)
                    .bind(name.to_lowercase())
                    .optional(&self.pool, "reading a model")
                    .await
                }

                async fn update_model(&self, model: &Model) -> Result<()> {
                    sqlx::query(
                        "UPDATE models SET name = $3, description = $4, updated_at = $5 WHERE project_id = $1 AND id = $2",
                    )
                    .bind(&model.project_id)
                    .bind(&model.id)
                    .bind(&model.name)
                    .bind(&model.description)
                    .bind(Self::time(model.updated_at))
                    .write_unique(
                        &self.pool,
                        || format!("the project already has a model named {}", model.name),
                        "updating a model",
                    )
                    .await?;
                    Ok(())
                }

                async fn delete_model(&self, project_id: &str, id: &str) -> Result<bool> {
                    MODELS.delete(&self.pool, project_id, id).await
                }

                async fn models(
                    &self,
                    project_id: &str,
                    filter: &ModelFilter,
                    window: Window,
                ) -> Result<Listed<Model>> {
                    let ids = filter.ids.as_deref().map(Self::list);
                    let exclude = filter.exclude_ids.as_deref().map(Self::list);
                    let contributors = filter.contributors.as_deref().map(Self::list);
                    let apps = filter.source_apps.as_deref().map(Self::list);
                    let condition = format!(
                        "project_id = $1
                         AND ($2 IS NULL OR {name_has})
                         AND ($3 IS NULL OR {id_listed})
                         AND ($4 IS NULL OR NOT ({id_excluded}))
                         AND (NOT $5 OR EXISTS (SELECT 1 FROM versions v WHERE v.model_id = models.id))
                         AND ($6 IS NULL OR EXISTS (SELECT 1 FROM versions v WHERE v.model_id = models.id
                                                    AND {author_listed}))
                         AND ($7 IS NULL OR EXISTS (SELECT 1 FROM versions v WHERE v.model_id = models.id
                                                    AND {app_listed}))",
                        name_has = Self::contains("name", "lower($2)"),
                        id_listed = Self::in_list("id", "$3"),
                        id_excluded = Self::in_list("id", "$4"),
                        author_listed = Self::in_list("v.author_id", "$6"),
                        app_listed = Self::in_list("v.source_application", "$7"),
                    );
                    list_window::<ModelRow<Time>, _, _>(
                        &self.pool,
                        sqlx::AssertSqlSafe(format!(
                            "SELECT {MODEL_COLUMNS} FROM models WHERE {condition}
                                 ORDER BY updated_at DESC, id LIMIT $8 OFFSET $9"
                        )),
                        sqlx::AssertSqlSafe(format!(
                            "SELECT COUNT(*) FROM models WHERE {condition}"
                        )),
                        |q| {
                            q.bind(project_id)
                                .bind(&filter.search)
                                .bind(&ids)
                                .bind(&exclude)
                                .bind(filter.only_with_versions)
                                .bind(&contributors)
                                .bind(&apps)
                        },
                        window,
                        "models",
                    )
                    .await
                }
            }

            impl $db {
                /// Inserts a model, on the transaction that creates its project or on its own.
                async fn insert_model<'e>(
                    db: impl 'e + sqlx::Executor<'e, Database = <$db as Dialect>::Db>,
                    model: &Model,
                ) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO models (id, project_id, name, description, author_id, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&model.id)
                    .bind(&model.project_id)
                    .bind(&model.name)
                    .bind(&model.description)
                    .bind(&model.author_id)
                    .bind(Self::time(model.created_at))
                    .bind(Self::time(model.updated_at))
                    .write_unique(
                        db,
                        || format!("the project already has a model named {}", model.name),
                        "creating a model",
                    )
                    .await?;
                    Ok(())
                }
            }
        };
    };
}

pub(crate) use model_store;
