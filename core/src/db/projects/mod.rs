//! The `ProjectStore` and the stores it is made of, written once, one file per service module:
//! each backend expands `project_store!`, and what its database spells differently comes from
//! its `Dialect`.

pub(super) mod activity;
pub(super) mod attachments;
pub(super) mod imports;
pub(super) mod invites;
pub(super) mod members;
pub(super) mod models;
pub(super) mod versions;
pub(super) mod views;

/// `impl ProjectStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect` (and every store a project is made of).
macro_rules! project_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use $crate::authz::ProjectRole;
            use $crate::db::dialect::Dialect;
            use $crate::db::project_rows::{
                visibility_to_db, ProjectRow, ProjectWithRoleRow, PROJECT_COLUMNS,
            };
            use $crate::db::query::{delete_by_id, list_window, Fetch, Write};
            use $crate::error::{Context, Result};
            use $crate::projects::{
                Listed, Model, Project, ProjectFilter, ProjectStore, ProjectTotals, Window,
            };

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl ProjectStore for $db {
                async fn create_project(
                    &self,
                    project: &Project,
                    owner_id: &str,
                    first_model: Option<&Model>,
                ) -> Result<()> {
                    let what = || "creating a project".to_string();
                    let mut tx = self.pool.begin().await.context(what)?;
                    sqlx::query(
                        "INSERT INTO projects (id, name, description, visibility, allow_public_comments, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&project.id)
                    .bind(&project.name)
                    .bind(&project.description)
                    .bind(visibility_to_db(project.visibility))
                    .bind(project.allow_public_comments)
                    .bind(Self::time(project.created_at))
                    .bind(Self::time(project.updated_at))
                    .execute(&mut *tx)
                    .await
                    .context(what)?;
                    sqlx::query(
                        "INSERT INTO project_members (project_id, user_id, role, created_at) VALUES ($1, $2, 'stream:owner', $3)",
                    )
                    .bind(&project.id)
                    .bind(owner_id)
                    .bind(Self::time(project.created_at))
                    .execute(&mut *tx)
                    .await
                    .context(what)?;
                    if let Some(model) = first_model {
                        Self::insert_model(&mut *tx, model).await?;
                    }
                    tx.commit().await.context(what)
                }

                async fn project(&self, id: &str) -> Result<Option<Project>> {
                    sqlx::query_as::<_, ProjectRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.id = $1"
                    )))
                    .bind(id)
                    .optional(&self.pool, "reading a project")
                    .await
                }

                async fn update_project(&self, project: &Project) -> Result<()> {
                    sqlx::query(
                        "UPDATE projects SET name = $2, description = $3, visibility = $4, allow_public_comments = $5, updated_at = $6
                         WHERE id = $1",
                    )
                    .bind(&project.id)
                    .bind(&project.name)
                    .bind(&project.description)
                    .bind(visibility_to_db(project.visibility))
                    .bind(project.allow_public_comments)
                    .bind(Self::time(project.updated_at))
                    .write(&self.pool, "updating a project")
                    .await?;
                    Ok(())
                }

                async fn delete_project(&self, id: &str) -> Result<bool> {
                    delete_by_id(&self.pool, "projects", id, "deleting a project").await
                }

                async fn user_projects(
                    &self,
                    user_id: &str,
                    filter: &ProjectFilter,
                    window: Window,
                ) -> Result<Listed<(Project, ProjectRole)>> {
                    let roles: Option<Vec<String>> = filter
                        .roles
                        .as_ref()
                        .map(|r| r.iter().map(|r| r.as_str().to_string()).collect());
                    let roles = roles.as_deref().map(Self::list);
                    let ids = filter.ids.as_deref().map(Self::list);
                    // $2 the search, $3 the roles, $4 the ids.
                    let condition = format!(
                        "m.user_id = $1
                                 AND ($2 IS NULL OR {name_has} OR {description_has} OR p.id = $2)
                                 AND ($3 IS NULL OR {role_listed})
                                 AND ($4 IS NULL OR {id_listed})",
                        name_has = Self::contains("lower(p.name)", "lower($2)"),
                        description_has = Self::contains("lower(p.description)", "lower($2)"),
                        role_listed = Self::in_list("m.role", "$3"),
                        id_listed = Self::in_list("p.id", "$4"),
                    );
                    list_window::<ProjectWithRoleRow<Time>, _, _>(
                        &self.pool,
                        sqlx::AssertSqlSafe(format!(
                            "SELECT {PROJECT_COLUMNS}, m.role
                             FROM project_members m JOIN projects p ON p.id = m.project_id
                             WHERE {condition}
                             ORDER BY p.updated_at DESC, p.id
                             LIMIT $5 OFFSET $6"
                        )),
                        sqlx::AssertSqlSafe(format!(
                            "SELECT COUNT(*)
                             FROM project_members m JOIN projects p ON p.id = m.project_id
                             WHERE {condition}"
                        )),
                        |q| q.bind(user_id).bind(&filter.search).bind(&roles).bind(&ids),
                        window,
                        "a user's projects",
                    )
                    .await
                }

                async fn all_projects(
                    &self,
                    search: Option<&str>,
                    window: Window,
                ) -> Result<Listed<Project>> {
                    let condition = format!(
                        "$1 IS NULL OR {}",
                        Self::contains("lower(p.name)", "lower($1)")
                    );
                    list_window::<ProjectRow<Time>, _, _>(
                        &self.pool,
                        sqlx::AssertSqlSafe(format!(
                            "SELECT {PROJECT_COLUMNS} FROM projects p
                             WHERE {condition}
                             ORDER BY p.updated_at DESC, p.id
                             LIMIT $2 OFFSET $3"
                        )),
                        sqlx::AssertSqlSafe(format!(
                            "SELECT COUNT(*) FROM projects p WHERE {condition}"
                        )),
                        |q| q.bind(search),
                        window,
                        "projects",
                    )
                    .await
                }

                async fn totals(&self) -> Result<ProjectTotals> {
                    let (projects, models, versions, attachments, attachment_bytes): (i64, i64, i64, i64, i64) =
                        sqlx::query_as(
                            "SELECT (SELECT COUNT(*) FROM projects),
                                    (SELECT COUNT(*) FROM models),
                                    (SELECT COUNT(*) FROM versions),
                                    (SELECT COUNT(*) FROM blobs WHERE upload_status = 1),
                                    (SELECT CAST(COALESCE(SUM(file_size), 0) AS BIGINT) FROM blobs WHERE upload_status = 1)",
                        )
                        .fetch_one(&self.pool)
                        .await
                        .context(|| "counting the server's projects".into())?;
                    Ok(ProjectTotals {
                        projects,
                        models,
                        versions,
                        attachments,
                        attachment_bytes,
                    })
                }

                async fn public_projects(&self, window: Window) -> Result<Listed<Project>> {
                    list_window::<ProjectRow<Time>, _, _>(
                        &self.pool,
                        sqlx::AssertSqlSafe(format!(
                            "SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.visibility = 'public'
                             ORDER BY p.updated_at DESC, p.id LIMIT $1 OFFSET $2"
                        )),
                        "SELECT COUNT(*) FROM projects WHERE visibility = 'public'",
                        |q| q,
                        window,
                        "public projects",
                    )
                    .await
                }
            }
        };

        $crate::db::projects::members::member_store!($db);
        $crate::db::projects::models::model_store!($db);
        $crate::db::projects::versions::version_store!($db);
        $crate::db::projects::invites::project_invite_store!($db);
        $crate::db::projects::activity::activity_store!($db);
        $crate::db::projects::attachments::attachment_store!($db);
        $crate::db::projects::imports::import_store!($db);
        $crate::db::projects::views::view_store!($db);
    };
}

pub(crate) use project_store;
