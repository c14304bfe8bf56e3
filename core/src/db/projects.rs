//! The `ProjectStore`, written once: each backend expands `project_store!`, and what its
//! database spells differently comes from its `Dialect`.

/// `impl ProjectStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! project_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::Utc;
            use $crate::authz::ProjectRole;
            use $crate::db::dialect::Dialect;
            use $crate::db::map_write_error;
            use $crate::db::project_rows::{
                performance_to_db, visibility_to_db, ActivityRow, AttachmentRow, FileImportRow, InviteRow,
                MemberRow, ModelRow, ProjectRow, ProjectWithRoleRow, VersionRow, ATTACHMENT_COLUMNS,
                FILE_IMPORT_COLUMNS, INVITE_COLUMNS, MODEL_COLUMNS, VERSION_COLUMNS,
            };
            use $crate::error::{Context, Result};
            use $crate::projects::{
                Activity, Attachment, FileImport, ImportStatus, ImportTotal, Invitee, Listed, Member,
                Model, ModelFilter, Project, ProjectFilter, ProjectInvite, ProjectStore, ProjectTotals,
                Version, Window,
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
                        insert_model(&mut *tx, model).await?;
                    }
                    tx.commit().await.context(what)
                }

                async fn project(&self, id: &str) -> Result<Option<Project>> {
                    let row: Option<ProjectRow<Time>> = sqlx::query_as(
                        "SELECT p.id, p.name, p.description, p.visibility, p.allow_public_comments, p.created_at, p.updated_at
                         FROM projects p WHERE p.id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "reading a project".into())?;
                    Ok(row.map(Project::from))
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
                    .execute(&self.pool)
                    .await
                    .context(|| "updating a project".into())?;
                    Ok(())
                }

                async fn delete_project(&self, id: &str) -> Result<bool> {
                    let done = sqlx::query("DELETE FROM projects WHERE id = $1")
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .context(|| "deleting a project".into())?;
                    Ok(done.rows_affected() > 0)
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
                    let rows: Vec<ProjectWithRoleRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT p.id, p.name, p.description, p.visibility, p.allow_public_comments, p.created_at, p.updated_at, m.role
                         FROM project_members m JOIN projects p ON p.id = m.project_id
                         WHERE {condition}
                         ORDER BY p.updated_at DESC, p.id
                         LIMIT $5 OFFSET $6"
                    )))
                    .bind(user_id)
                    .bind(&filter.search)
                    .bind(&roles)
                    .bind(&ids)
                    .bind(window.limit)
                    .bind(window.offset)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing a user's projects".into())?;
                    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT COUNT(*)
                                 FROM project_members m JOIN projects p ON p.id = m.project_id
                                 WHERE {condition}"
                    )))
                    .bind(user_id)
                    .bind(&filter.search)
                    .bind(&roles)
                    .bind(&ids)
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "counting a user's projects".into())?;
                    let items = rows
                        .into_iter()
                        .map(|r| Ok((Project::from(r.project), r.role.parse()?)))
                        .collect::<Result<_>>()?;
                    Ok(Listed { items, total })
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
                    let rows: Vec<ProjectRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT p.id, p.name, p.description, p.visibility, p.allow_public_comments, p.created_at, p.updated_at
                         FROM projects p
                         WHERE {condition}
                         ORDER BY p.updated_at DESC, p.id
                         LIMIT $2 OFFSET $3"
                    )))
                    .bind(search)
                    .bind(window.limit)
                    .bind(window.offset)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing projects".into())?;
                    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT COUNT(*) FROM projects p WHERE {condition}"
                    )))
                    .bind(search)
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "counting projects".into())?;
                    Ok(Listed {
                        items: rows.into_iter().map(Project::from).collect(),
                        total,
                    })
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
                            status: ImportStatus::from_code(status),
                            count,
                            bytes,
                        })
                        .collect())
                }

                async fn public_projects(&self, window: Window) -> Result<Listed<Project>> {
                    let rows: Vec<ProjectRow<Time>> = sqlx::query_as(
                        "SELECT p.id, p.name, p.description, p.visibility, p.allow_public_comments, p.created_at, p.updated_at
                         FROM projects p WHERE p.visibility = 'public'
                         ORDER BY p.updated_at DESC, p.id LIMIT $1 OFFSET $2",
                    )
                    .bind(window.limit)
                    .bind(window.offset)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing public projects".into())?;
                    let total: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM projects WHERE visibility = 'public'")
                            .fetch_one(&self.pool)
                            .await
                            .context(|| "counting public projects".into())?;
                    Ok(Listed {
                        items: rows.into_iter().map(Project::from).collect(),
                        total,
                    })
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

                async fn role_of(&self, project_id: &str, user_id: &str) -> Result<Option<ProjectRole>> {
                    let role: Option<String> = sqlx::query_scalar(
                        "SELECT role FROM project_members WHERE project_id = $1 AND user_id = $2",
                    )
                    .bind(project_id)
                    .bind(user_id)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "reading a project role".into())?;
                    role.map(|r| r.parse()).transpose()
                }

                async fn members(&self, project_id: &str) -> Result<Vec<Member>> {
                    let rows: Vec<MemberRow<Time>> = sqlx::query_as(
                        "SELECT u.id, u.email, u.name, u.bio, u.company, u.avatar, u.server_role, u.verified, u.created_at, m.role
                         FROM project_members m JOIN users u ON u.id = m.user_id
                         WHERE m.project_id = $1
                         ORDER BY CASE m.role WHEN 'stream:owner' THEN 0 WHEN 'stream:contributor' THEN 1 ELSE 2 END,
                                  m.created_at, u.id",
                    )
                    .bind(project_id)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing project members".into())?;
                    rows.into_iter().map(MemberRow::into_member).collect()
                }

                async fn set_member(
                    &self,
                    project_id: &str,
                    user_id: &str,
                    role: ProjectRole,
                ) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO project_members (project_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
                    )
                    .bind(project_id)
                    .bind(user_id)
                    .bind(role.as_str())
                    .bind(Self::time(Utc::now()))
                    .execute(&self.pool)
                    .await
                    .context(|| "setting a project role".into())?;
                    Ok(())
                }

                async fn remove_member(&self, project_id: &str, user_id: &str) -> Result<bool> {
                    let done =
                        sqlx::query("DELETE FROM project_members WHERE project_id = $1 AND user_id = $2")
                            .bind(project_id)
                            .bind(user_id)
                            .execute(&self.pool)
                            .await
                            .context(|| "removing a project member".into())?;
                    Ok(done.rows_affected() > 0)
                }

                async fn create_model(&self, model: &Model) -> Result<()> {
                    insert_model(&self.pool, model).await
                }

                async fn model(&self, project_id: &str, id: &str) -> Result<Option<Model>> {
                    let row: Option<ModelRow<Time>> = sqlx::query_as(
                        "SELECT id, project_id, name, description, author_id, created_at, updated_at
                                 FROM models WHERE project_id = $1 AND id = $2",
                    )
                    .bind(project_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "reading a model".into())?;
                    Ok(row.map(Model::from))
                }

                async fn model_by_name(&self, project_id: &str, name: &str) -> Result<Option<Model>> {
                    let row: Option<ModelRow<Time>> = sqlx::query_as(
                        "SELECT id, project_id, name, description, author_id, created_at, updated_at
                                 FROM models WHERE project_id = $1 AND name = $2",
                    )
                    .bind(project_id)
                    .bind(name.to_lowercase())
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "reading a model".into())?;
                    Ok(row.map(Model::from))
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
                    .execute(&self.pool)
                    .await
                    .map_err(|e| {
                        map_write_error(
                            e,
                            || format!("the project already has a model named {}", model.name),
                            || "updating a model".into(),
                        )
                    })?;
                    Ok(())
                }

                async fn delete_model(&self, project_id: &str, id: &str) -> Result<bool> {
                    let done = sqlx::query("DELETE FROM models WHERE project_id = $1 AND id = $2")
                        .bind(project_id)
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .context(|| "deleting a model".into())?;
                    Ok(done.rows_affected() > 0)
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
                    let rows: Vec<ModelRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {MODEL_COLUMNS} FROM models WHERE {condition}
                                 ORDER BY updated_at DESC, id LIMIT $8 OFFSET $9"
                    )))
                    .bind(project_id)
                    .bind(&filter.search)
                    .bind(&ids)
                    .bind(&exclude)
                    .bind(filter.only_with_versions)
                    .bind(&contributors)
                    .bind(&apps)
                    .bind(window.limit)
                    .bind(window.offset)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing models".into())?;
                    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT COUNT(*) FROM models WHERE {condition}"
                    )))
                    .bind(project_id)
                    .bind(&filter.search)
                    .bind(&ids)
                    .bind(&exclude)
                    .bind(filter.only_with_versions)
                    .bind(&contributors)
                    .bind(&apps)
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "counting models".into())?;
                    Ok(Listed {
                        items: rows.into_iter().map(Model::from).collect(),
                        total,
                    })
                }

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
                    let row: Option<VersionRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {VERSION_COLUMNS} FROM versions WHERE project_id = $1 AND id = $2"
                    )))
                    .bind(project_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "reading a version".into())?;
                    Ok(row.map(Version::from))
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
                    let rows: Vec<VersionRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {VERSION_COLUMNS} FROM versions WHERE {condition}
                                 ORDER BY {prioritized} DESC, created_at DESC, id
                                 LIMIT $4 OFFSET $5"
                    )))
                    .bind(model_id)
                    .bind(&priority)
                    .bind(only_priority)
                    .bind(window.limit)
                    .bind(window.offset)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing versions".into())?;
                    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT COUNT(*) FROM versions WHERE {condition}"
                    )))
                    .bind(model_id)
                    .bind(&priority)
                    .bind(only_priority)
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "counting versions".into())?;
                    Ok(Listed {
                        items: rows.into_iter().map(Version::from).collect(),
                        total,
                    })
                }

                async fn project_versions(
                    &self,
                    project_id: &str,
                    window: Window,
                ) -> Result<Listed<Version>> {
                    let rows: Vec<VersionRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {VERSION_COLUMNS} FROM versions WHERE project_id = $1
                                 ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
                    )))
                    .bind(project_id)
                    .bind(window.limit)
                    .bind(window.offset)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing versions".into())?;
                    let total: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM versions WHERE project_id = $1")
                            .bind(project_id)
                            .fetch_one(&self.pool)
                            .await
                            .context(|| "counting versions".into())?;
                    Ok(Listed {
                        items: rows.into_iter().map(Version::from).collect(),
                        total,
                    })
                }

                async fn update_version_message(
                    &self,
                    project_id: &str,
                    id: &str,
                    message: &str,
                ) -> Result<()> {
                    sqlx::query("UPDATE versions SET message = $3 WHERE project_id = $1 AND id = $2")
                        .bind(project_id)
                        .bind(id)
                        .bind(message)
                        .execute(&self.pool)
                        .await
                        .context(|| "updating a version".into())?;
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
                    .execute(&self.pool)
                    .await
                    .context(|| "moving versions".into())?;
                    sqlx::query("UPDATE models SET updated_at = $2 WHERE id = $1")
                        .bind(model_id)
                        .bind(Self::time(Utc::now()))
                        .execute(&self.pool)
                        .await
                        .context(|| "moving versions".into())?;
                    Ok(done.rows_affected())
                }

                async fn delete_versions(&self, project_id: &str, ids: &[String]) -> Result<u64> {
                    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM versions WHERE project_id = $1 AND {}",
                        Self::in_list("id", "$2")
                    )))
                    .bind(project_id)
                    .bind(Self::list(ids))
                    .execute(&self.pool)
                    .await
                    .context(|| "deleting versions".into())?;
                    Ok(done.rows_affected())
                }

                async fn insert_project_invite(&self, invite: &ProjectInvite) -> Result<()> {
                    let (user_id, email) = match &invite.invitee {
                        Invitee::User(id) => (Some(id), None),
                        Invitee::Email(email) => (None, Some(email)),
                    };
                    sqlx::query(
                        "INSERT INTO project_invites (id, project_id, user_id, email, role, server_role, inviter_id, token, message, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(&invite.id)
                    .bind(&invite.project_id)
                    .bind(user_id)
                    .bind(email)
                    .bind(invite.role.as_str())
                    .bind(invite.server_role.map(|r| r.as_str()))
                    .bind(&invite.inviter_id)
                    .bind(&invite.token)
                    .bind(&invite.message)
                    .bind(Self::time(invite.created_at))
                    .execute(&self.pool)
                    .await
                    .context(|| "saving a project invitation".into())?;
                    Ok(())
                }

                async fn project_invite(&self, id: &str) -> Result<Option<ProjectInvite>> {
                    let row: Option<InviteRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {INVITE_COLUMNS} FROM project_invites WHERE id = $1"
                    )))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "reading a project invitation".into())?;
                    row.map(InviteRow::into_invite).transpose()
                }

                async fn project_invite_by_token(&self, token: &str) -> Result<Option<ProjectInvite>> {
                    let row: Option<InviteRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {INVITE_COLUMNS} FROM project_invites WHERE token = $1"
                    )))
                    .bind(token)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "reading a project invitation".into())?;
                    row.map(InviteRow::into_invite).transpose()
                }

                async fn project_invites(&self, project_id: &str) -> Result<Vec<ProjectInvite>> {
                    let rows: Vec<InviteRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {INVITE_COLUMNS} FROM project_invites WHERE project_id = $1 ORDER BY created_at, id"
                    )))
                    .bind(project_id)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing project invitations".into())?;
                    rows.into_iter().map(InviteRow::into_invite).collect()
                }

                async fn invites_for(&self, user_id: &str, email: &str) -> Result<Vec<ProjectInvite>> {
                    let rows: Vec<InviteRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {INVITE_COLUMNS} FROM project_invites WHERE user_id = $1 OR email = $2
                                 ORDER BY created_at, id"
                    )))
                    .bind(user_id)
                    .bind(email.to_lowercase())
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing a user's invitations".into())?;
                    rows.into_iter().map(InviteRow::into_invite).collect()
                }

                async fn delete_project_invite(&self, id: &str) -> Result<bool> {
                    let done = sqlx::query("DELETE FROM project_invites WHERE id = $1")
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .context(|| "deleting a project invitation".into())?;
                    Ok(done.rows_affected() > 0)
                }

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
                    .execute(&self.pool)
                    .await
                    .context(|| "recording activity".into())?;
                    Ok(())
                }

                async fn project_activity(
                    &self,
                    project_id: &str,
                    before: Option<i64>,
                    limit: i64,
                ) -> Result<Vec<Activity>> {
                    let rows: Vec<ActivityRow<Time>> = sqlx::query_as(
                        "SELECT seq, project_id, resource_type, resource_id, action_type, user_id, info, message, time
                         FROM activity WHERE project_id = $1 AND ($2 IS NULL OR seq < $2)
                         ORDER BY seq DESC LIMIT $3",
                    )
                    .bind(project_id)
                    .bind(before)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "reading activity".into())?;
                    Ok(rows.into_iter().map(Activity::from).collect())
                }

                async fn count_project_activity(&self, project_id: &str) -> Result<i64> {
                    sqlx::query_scalar("SELECT COUNT(*) FROM activity WHERE project_id = $1")
                        .bind(project_id)
                        .fetch_one(&self.pool)
                        .await
                        .context(|| "counting activity".into())
                }
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
                    .execute(&self.pool)
                    .await
                    .context(|| "saving an attachment".into())?;
                    Ok(())
                }

                async fn attachment(&self, project_id: &str, id: &str) -> Result<Option<Attachment>> {
                    let row: Option<AttachmentRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {ATTACHMENT_COLUMNS} FROM blobs WHERE project_id = $1 AND id = $2"
                    )))
                    .bind(project_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "reading an attachment".into())?;
                    Ok(row.map(Attachment::from))
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
                    let rows: Vec<AttachmentRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {ATTACHMENT_COLUMNS} FROM blobs WHERE {condition}
                                 ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"
                    )))
                    .bind(project_id)
                    .bind(name)
                    .bind(window.limit)
                    .bind(window.offset)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing attachments".into())?;
                    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT COUNT(*) FROM blobs WHERE {condition}"
                    )))
                    .bind(project_id)
                    .bind(name)
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "counting attachments".into())?;
                    Ok(Listed {
                        items: rows.into_iter().map(Attachment::from).collect(),
                        total,
                    })
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
                    let done = sqlx::query("DELETE FROM blobs WHERE project_id = $1 AND id = $2")
                        .bind(project_id)
                        .bind(id)
                        .execute(&self.pool)
                        .await
                        .context(|| "deleting an attachment".into())?;
                    Ok(done.rows_affected() > 0)
                }

                async fn known_attachments(&self, project_id: &str, ids: &[String]) -> Result<Vec<String>> {
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
                    .execute(&self.pool)
                    .await
                    .context(|| "saving a file import".into())?;
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
                    .execute(&self.pool)
                    .await
                    .context(|| "updating a file import".into())?;
                    Ok(updated.rows_affected() == 1)
                }

                async fn file_import(&self, project_id: &str, id: &str) -> Result<Option<FileImport>> {
                    let row: Option<FileImportRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {FILE_IMPORT_COLUMNS} FROM file_imports WHERE project_id = $1 AND id = $2"
                    )))
                    .bind(project_id)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "reading a file import".into())?;
                    Ok(row.map(FileImport::from))
                }

                async fn file_imports(
                    &self,
                    project_id: &str,
                    model_id: Option<&str>,
                    window: Window,
                ) -> Result<Listed<FileImport>> {
                    let condition = "project_id = $1 AND (CAST($2 AS TEXT) IS NULL OR model_id = $2)";
                    let rows: Vec<FileImportRow<Time>> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "SELECT {FILE_IMPORT_COLUMNS} FROM file_imports WHERE {condition}
                                 ORDER BY created_at DESC, id LIMIT $3 OFFSET $4"
                    )))
                    .bind(project_id)
                    .bind(model_id)
                    .bind(window.limit)
                    .bind(window.offset)
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "listing file imports".into())?;
                    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT COUNT(*) FROM file_imports WHERE {condition}"
                    )))
                    .bind(project_id)
                    .bind(model_id)
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "counting file imports".into())?;
                    Ok(Listed {
                        items: rows.into_iter().map(FileImport::from).collect(),
                        total,
                    })
                }
            }

            /// Inserts a model, on the transaction that creates its project or on its own.
            async fn insert_model<'e>(
                db: impl sqlx::Executor<'e, Database = <$db as Dialect>::Db>,
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
                .bind(<$db as Dialect>::time(model.created_at))
                .bind(<$db as Dialect>::time(model.updated_at))
                .execute(db)
                .await
                .map_err(|e| {
                    map_write_error(
                        e,
                        || format!("the project already has a model named {}", model.name),
                        || "creating a model".into(),
                    )
                })?;
                Ok(())
            }
        };
    };
}

pub(crate) use project_store;
