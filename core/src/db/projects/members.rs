//! `MemberStore`, written once: who belongs to a project, in which role (`projects::members`).

/// `impl MemberStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! member_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::Utc;
            use $crate::authz::ProjectRole;
            use $crate::db::dialect::Dialect;
            use $crate::db::project_rows::MemberRow;
            use $crate::db::query::{Fetch, Write};
            use $crate::error::{Context, Result};
            use $crate::projects::{Member, MemberStore};

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl MemberStore for $db {
                async fn role_of(
                    &self,
                    project_id: &str,
                    user_id: &str,
                ) -> Result<Option<ProjectRole>> {
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
                    sqlx::query_as::<_, MemberRow<Time>>(
                        "SELECT u.id, u.email, u.name, u.bio, u.company, u.avatar, u.server_role, u.verified, u.created_at, m.role
                         FROM project_members m JOIN users u ON u.id = m.user_id
                         WHERE m.project_id = $1
                         ORDER BY CASE m.role WHEN 'stream:owner' THEN 0 WHEN 'stream:contributor' THEN 1 ELSE 2 END,
                                  m.created_at, u.id",
                    )
                    .bind(project_id)
                    .all(&self.pool, "listing project members")
                    .await
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
                    .write(&self.pool, "setting a project role")
                    .await?;
                    Ok(())
                }

                async fn remove_member(&self, project_id: &str, user_id: &str) -> Result<bool> {
                    let done = sqlx::query(
                        "DELETE FROM project_members WHERE project_id = $1 AND user_id = $2",
                    )
                    .bind(project_id)
                    .bind(user_id)
                    .write(&self.pool, "removing a project member")
                    .await?;
                    Ok(done.rows_affected() > 0)
                }
            }
        };
    };
}

pub(crate) use member_store;
