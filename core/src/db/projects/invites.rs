//! `ProjectInviteStore`, written once: invitations to a project (`projects::invites`).

/// `impl ProjectInviteStore for $db`, whose `pool` field is its connection pool and which
/// implements `Dialect`.
macro_rules! project_invite_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use $crate::db::dialect::Dialect;
            use $crate::db::project_rows::{InviteRow, INVITE_COLUMNS};
            use $crate::db::query::{delete_by_id, Fetch, Write};
            use $crate::error::Result;
            use $crate::projects::{Invitee, ProjectInvite, ProjectInviteStore};

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl ProjectInviteStore for $db {
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
                    .write(&self.pool, "saving a project invitation")
                    .await?;
                    Ok(())
                }

                async fn project_invite(&self, id: &str) -> Result<Option<ProjectInvite>> {
                    self.project_invite_where("id", id).await
                }

                async fn project_invite_by_token(
                    &self,
                    token: &str,
                ) -> Result<Option<ProjectInvite>> {
                    self.project_invite_where("token", token).await
                }

                async fn project_invites(&self, project_id: &str) -> Result<Vec<ProjectInvite>> {
                    sqlx::query_as::<_, InviteRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {INVITE_COLUMNS} FROM project_invites WHERE project_id = $1 ORDER BY created_at, id"
                    )))
                    .bind(project_id)
                    .all(&self.pool, "listing project invitations")
                    .await
                }

                async fn invites_for(
                    &self,
                    user_id: &str,
                    email: &str,
                ) -> Result<Vec<ProjectInvite>> {
                    sqlx::query_as::<_, InviteRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {INVITE_COLUMNS} FROM project_invites WHERE user_id = $1 OR email = $2
                                 ORDER BY created_at, id"
                    )))
                    .bind(user_id)
                    .bind(email.to_lowercase())
                    .all(&self.pool, "listing a user's invitations")
                    .await
                }

                async fn delete_project_invite(&self, id: &str) -> Result<bool> {
                    delete_by_id(&self.pool, "project_invites", id, "deleting a project invitation").await
                }
            }

            impl $db {
                /// The project invitation whose `column` holds `value`.
                async fn project_invite_where(
                    &self,
                    column: &'static str,
                    value: &str,
                ) -> Result<Option<ProjectInvite>> {
                    sqlx::query_as::<_, InviteRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {INVITE_COLUMNS} FROM project_invites WHERE {column} = $1"
                    )))
                    .bind(value)
                    .optional(&self.pool, "reading a project invitation")
                    .await
                }
            }
        };
    };
}

pub(crate) use project_invite_store;
