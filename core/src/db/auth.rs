//! The `AuthStore`, written once: each backend expands `auth_store!` with its `Dialect`.

/// `impl AuthStore for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! auth_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, Utc};
            use $crate::auth::store::{AuthStore, EmailLink, LinkKind};
            use $crate::auth::{
                scopes, ApiToken, AuthCode, Invite, RefreshToken, ServerApp, TokenKind,
            };
            use $crate::db::auth_rows::{
                grant, grant_projects, grant_scopes, projects_to_db, AppRow, InviteRow, LinkRow,
                TokenRow, APP_COLUMNS, INVITE_COLUMNS, TOKEN_COLUMNS,
            };
            use $crate::db::dialect::Dialect;
            use $crate::db::dialect::StoredTime;
            use $crate::db::query::{delete_by_id, Fetch, Write};
            use $crate::error::{Context, Result};

            type Time = <$db as Dialect>::Time;

            #[async_trait]
            impl AuthStore for $db {
                async fn insert_api_token(&self, token: &ApiToken) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO api_tokens (id, digest, last_chars, owner_id, name, kind, app_id, scopes, created_at, expires_at, projects)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(&token.id)
                    .bind(&token.digest)
                    .bind(&token.last_chars)
                    .bind(&token.owner_id)
                    .bind(&token.name)
                    .bind(token.kind.as_str())
                    .bind(&token.app_id)
                    .bind(scopes::join(&token.scopes))
                    .bind(Self::time(token.created_at))
                    .bind(token.expires_at.map(Self::time))
                    .bind(projects_to_db(token.projects.as_ref()))
                    .write(&self.pool, "storing an API token")
                    .await?;
                    Ok(())
                }

                async fn api_token(&self, id: &str) -> Result<Option<ApiToken>> {
                    sqlx::query_as::<_, TokenRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"
                    )))
                    .bind(id)
                    .optional(&self.pool, "reading an API token")
                    .await
                }

                async fn touch_api_token(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
                    sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                        .bind(id)
                        .bind(Self::time(at))
                        .write(&self.pool, "recording an API token's use")
                        .await?;
                    Ok(())
                }

                async fn delete_api_token(&self, id: &str) -> Result<bool> {
                    delete_by_id(&self.pool, "api_tokens", id, "revoking an API token").await
                }

                async fn api_tokens_of(
                    &self,
                    owner_id: &str,
                    kind: TokenKind,
                ) -> Result<Vec<ApiToken>> {
                    sqlx::query_as::<_, TokenRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {TOKEN_COLUMNS} FROM api_tokens
                         WHERE owner_id = $1 AND kind = $2 ORDER BY created_at DESC, id"
                    )))
                    .bind(owner_id)
                    .bind(kind.as_str())
                    .all(&self.pool, "listing API tokens")
                    .await
                }

                async fn delete_app_sessions(&self, user_id: &str) -> Result<()> {
                    let mut tx = self
                        .pool
                        .begin()
                        .await
                        .context(|| "ending sessions".into())?;
                    for statement in [
                        "DELETE FROM api_tokens WHERE owner_id = $1 AND kind = 'app'",
                        "DELETE FROM refresh_tokens WHERE user_id = $1",
                        "DELETE FROM auth_codes WHERE user_id = $1",
                    ] {
                        sqlx::query(statement)
                            .bind(user_id)
                            .write(&mut *tx, "ending sessions")
                            .await?;
                    }
                    tx.commit().await.context(|| "ending sessions".into())
                }

                async fn upsert_app(&self, app: &ServerApp) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO server_apps (id, secret, name, description, terms_url, logo, public, trust_by_default,
                                                  redirect_url, scopes, author_id, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                         ON CONFLICT (id) DO UPDATE SET secret = excluded.secret, name = excluded.name,
                             description = excluded.description, terms_url = excluded.terms_url, logo = excluded.logo,
                             public = excluded.public, trust_by_default = excluded.trust_by_default,
                             redirect_url = excluded.redirect_url, scopes = excluded.scopes",
                    )
                    .bind(&app.id)
                    .bind(&app.secret)
                    .bind(&app.name)
                    .bind(&app.description)
                    .bind(&app.terms_url)
                    .bind(&app.logo)
                    .bind(app.public)
                    .bind(app.trust_by_default)
                    .bind(&app.redirect_url)
                    .bind(scopes::join(&app.scopes))
                    .bind(&app.author_id)
                    .bind(Self::time(Utc::now()))
                    .execute(&self.pool)
                    .await
                    .context(|| format!("registering app {}", app.id))?;
                    Ok(())
                }

                async fn app(&self, id: &str) -> Result<Option<ServerApp>> {
                    sqlx::query_as::<_, AppRow>(sqlx::AssertSqlSafe(format!(
                        "SELECT {APP_COLUMNS} FROM server_apps WHERE id = $1"
                    )))
                    .bind(id)
                    .optional(&self.pool, "reading an app")
                    .await
                }

                async fn public_apps(&self) -> Result<Vec<ServerApp>> {
                    sqlx::query_as::<_, AppRow>(sqlx::AssertSqlSafe(format!(
                        "SELECT {APP_COLUMNS} FROM server_apps WHERE public ORDER BY name, id"
                    )))
                    .all(&self.pool, "listing apps")
                    .await
                }

                async fn authorized_apps(&self, user_id: &str) -> Result<Vec<ServerApp>> {
                    sqlx::query_as::<_, AppRow>(sqlx::AssertSqlSafe(format!(
                        "SELECT {APP_COLUMNS} FROM server_apps
                         WHERE id IN (SELECT app_id FROM api_tokens WHERE owner_id = $1 AND kind = 'app')
                         ORDER BY name, id"
                    )))
                    .bind(user_id)
                    .all(&self.pool, "listing authorized apps")
                    .await
                }

                async fn revoke_app_access(&self, user_id: &str, app_id: &str) -> Result<()> {
                    let mut tx = self
                        .pool
                        .begin()
                        .await
                        .context(|| "revoking an app's access".into())?;
                    for statement in [
                        "DELETE FROM api_tokens WHERE owner_id = $1 AND app_id = $2",
                        "DELETE FROM refresh_tokens WHERE user_id = $1 AND app_id = $2",
                        "DELETE FROM auth_codes WHERE user_id = $1 AND app_id = $2",
                    ] {
                        sqlx::query(statement)
                            .bind(user_id)
                            .bind(app_id)
                            .write(&mut *tx, "revoking an app's access")
                            .await?;
                    }
                    tx.commit()
                        .await
                        .context(|| "revoking an app's access".into())
                }

                async fn insert_auth_code(&self, digest: &str, code: &AuthCode) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO auth_codes (digest, app_id, user_id, challenge, created_at, expires_at, scopes, projects)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(digest)
                    .bind(&code.app_id)
                    .bind(&code.user_id)
                    .bind(&code.challenge)
                    .bind(Self::time(Utc::now()))
                    .bind(Self::time(code.expires_at))
                    .bind(grant_scopes(&code.grant))
                    .bind(grant_projects(&code.grant))
                    .write(&self.pool, "storing an access code")
                    .await?;
                    Ok(())
                }

                async fn take_auth_code(&self, digest: &str) -> Result<Option<AuthCode>> {
                    type Row = (String, String, String, Time, Option<String>, Option<String>);
                    let row: Option<Row> = sqlx::query_as(
                        "DELETE FROM auth_codes WHERE digest = $1
                         RETURNING app_id, user_id, challenge, expires_at, scopes, projects",
                    )
                    .bind(digest)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "redeeming an access code".into())?;
                    Ok(row.map(
                        |(app_id, user_id, challenge, expires_at, scopes, projects)| AuthCode {
                            app_id,
                            user_id,
                            challenge,
                            expires_at: expires_at.into_utc(),
                            grant: grant(scopes, projects),
                        },
                    ))
                }

                async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO refresh_tokens
                             (id, digest, app_id, user_id, created_at, expires_at, scopes, projects, replaced_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&token.id)
                    .bind(&token.digest)
                    .bind(&token.app_id)
                    .bind(&token.user_id)
                    .bind(Self::time(Utc::now()))
                    .bind(Self::time(token.expires_at))
                    .bind(grant_scopes(&token.grant))
                    .bind(grant_projects(&token.grant))
                    .bind(token.replaced_at.map(Self::time))
                    .write(&self.pool, "storing a refresh token")
                    .await?;
                    Ok(())
                }

                async fn refresh_token(&self, id: &str) -> Result<Option<RefreshToken>> {
                    #[derive(sqlx::FromRow)]
                    struct Row {
                        id: String,
                        digest: String,
                        app_id: String,
                        user_id: String,
                        expires_at: Time,
                        scopes: Option<String>,
                        projects: Option<String>,
                        replaced_at: Option<Time>,
                    }
                    let row: Option<Row> = sqlx::query_as(
                        "SELECT id, digest, app_id, user_id, expires_at, scopes, projects, replaced_at
                         FROM refresh_tokens WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "reading a refresh token".into())?;
                    Ok(row.map(|row| RefreshToken {
                        id: row.id,
                        digest: row.digest,
                        app_id: row.app_id,
                        user_id: row.user_id,
                        expires_at: row.expires_at.into_utc(),
                        grant: grant(row.scopes, row.projects),
                        replaced_at: row.replaced_at.map(StoredTime::into_utc),
                    }))
                }

                async fn delete_refresh_token(&self, id: &str) -> Result<bool> {
                    delete_by_id(&self.pool, "refresh_tokens", id, "deleting a refresh token").await
                }

                async fn replace_refresh_token(&self, id: &str, at: DateTime<Utc>) -> Result<()> {
                    sqlx::query(
                        "UPDATE refresh_tokens SET replaced_at = $2 WHERE id = $1 AND replaced_at IS NULL",
                    )
                    .bind(id)
                    .bind(Self::time(at))
                    .write(&self.pool, "replacing a refresh token")
                    .await?;
                    Ok(())
                }

                async fn insert_link(
                    &self,
                    kind: LinkKind,
                    digest: &str,
                    link: &EmailLink,
                ) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO email_links (digest, kind, user_id, email, created_at, expires_at)
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(digest)
                    .bind(kind.as_str())
                    .bind(&link.user_id)
                    .bind(&link.email)
                    .bind(Self::time(Utc::now()))
                    .bind(Self::time(link.expires_at))
                    .write(&self.pool, "storing an e-mail link")
                    .await?;
                    Ok(())
                }

                async fn link(&self, kind: LinkKind, digest: &str) -> Result<Option<EmailLink>> {
                    self.email_link(
                        "SELECT user_id, email, expires_at FROM email_links WHERE digest = $1 AND kind = $2",
                        kind,
                        digest,
                        "reading an e-mail link",
                    )
                    .await
                }

                async fn take_link(
                    &self,
                    kind: LinkKind,
                    digest: &str,
                ) -> Result<Option<EmailLink>> {
                    self.email_link(
                        "DELETE FROM email_links WHERE digest = $1 AND kind = $2
                         RETURNING user_id, email, expires_at",
                        kind,
                        digest,
                        "using an e-mail link",
                    )
                    .await
                }

                async fn delete_links(&self, kind: LinkKind, user_id: &str) -> Result<()> {
                    sqlx::query("DELETE FROM email_links WHERE user_id = $1 AND kind = $2")
                        .bind(user_id)
                        .bind(kind.as_str())
                        .write(&self.pool, "deleting e-mail links")
                        .await?;
                    Ok(())
                }

                async fn mark_verified(&self, user_id: &str, email: &str) -> Result<bool> {
                    let done = sqlx::query(
                        "UPDATE users SET verified = TRUE WHERE id = $1 AND email = $2",
                    )
                    .bind(user_id)
                    .bind(email)
                    .write(&self.pool, "marking an e-mail verified")
                    .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<()> {
                    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                        .bind(user_id)
                        .bind(hash)
                        .write(&self.pool, "changing a password")
                        .await?;
                    Ok(())
                }

                async fn insert_invite(&self, invite: &Invite) -> Result<()> {
                    sqlx::query(
                        "INSERT INTO invites (id, token_digest, email, inviter_id, server_role, message, created_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(&invite.id)
                    .bind(&invite.token_digest)
                    .bind(&invite.email)
                    .bind(&invite.inviter_id)
                    .bind(invite.server_role.as_str())
                    .bind(&invite.message)
                    .bind(Self::time(invite.created_at))
                    .write(&self.pool, "storing an invite")
                    .await?;
                    Ok(())
                }

                async fn invite(&self, id: &str) -> Result<Option<Invite>> {
                    self.invite_where("id", id).await
                }

                async fn invite_by_token(&self, token_digest: &str) -> Result<Option<Invite>> {
                    self.invite_where("token_digest", token_digest).await
                }

                async fn invites(&self) -> Result<Vec<Invite>> {
                    sqlx::query_as::<_, InviteRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {INVITE_COLUMNS} FROM invites ORDER BY created_at DESC, id"
                    )))
                    .all(&self.pool, "listing invites")
                    .await
                }

                async fn replace_invite_token(&self, id: &str, token_digest: &str) -> Result<bool> {
                    let done = sqlx::query("UPDATE invites SET token_digest = $2 WHERE id = $1")
                        .bind(id)
                        .bind(token_digest)
                        .write(&self.pool, "renewing an invite")
                        .await?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_invite(&self, id: &str) -> Result<bool> {
                    delete_by_id(&self.pool, "invites", id, "deleting an invite").await
                }

                async fn delete_invites_for(&self, email: &str) -> Result<()> {
                    sqlx::query("DELETE FROM invites WHERE email = $1")
                        .bind(email)
                        .write(&self.pool, "deleting invites")
                        .await?;
                    Ok(())
                }

                async fn password_hash(
                    &self,
                    email: &str,
                ) -> Result<Option<(String, Option<String>)>> {
                    sqlx::query_as("SELECT id, password_hash FROM users WHERE email = $1")
                        .bind(email.trim().to_lowercase())
                        .fetch_optional(&self.pool)
                        .await
                        .context(|| "reading credentials".into())
                }
            }

            impl $db {
                /// The server invite whose `column` holds `value`.
                async fn invite_where(
                    &self,
                    column: &'static str,
                    value: &str,
                ) -> Result<Option<Invite>> {
                    sqlx::query_as::<_, InviteRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {INVITE_COLUMNS} FROM invites WHERE {column} = $1"
                    )))
                    .bind(value)
                    .optional(&self.pool, "reading an invite")
                    .await
                }

                /// The e-mail link that `statement` returns (reading or taking it), its digest
                /// bound as $1 and its kind as $2.
                async fn email_link(
                    &self,
                    statement: &'static str,
                    kind: LinkKind,
                    digest: &str,
                    what: &str,
                ) -> Result<Option<EmailLink>> {
                    sqlx::query_as::<_, LinkRow<Time>>(statement)
                        .bind(digest)
                        .bind(kind.as_str())
                        .optional(&self.pool, what)
                        .await
                }
            }
        };
    };
}

pub(crate) use auth_store;
