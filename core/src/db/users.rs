//! The `Store`'s users and server settings, written once: each backend expands `user_store!`
//! with its `Dialect`, which also names it and supplies its migrations, its size queries and
//! the lock that keeps "first user" and "last admin" checks apart between replicas.

use crate::db::dialect::StoredTime;
use crate::error::{Error, Result};
use crate::users::User;

pub const USER_COLUMNS: &str =
    "id, email, name, bio, company, avatar, server_role, verified, created_at";

#[derive(sqlx::FromRow)]
pub struct UserRow<T> {
    id: String,
    email: String,
    name: String,
    bio: Option<String>,
    company: Option<String>,
    avatar: Option<String>,
    server_role: String,
    verified: bool,
    created_at: T,
}

impl<T: StoredTime> TryFrom<UserRow<T>> for User {
    type Error = Error;

    fn try_from(row: UserRow<T>) -> Result<Self> {
        Ok(User {
            role: row.server_role.parse()?,
            id: row.id,
            email: row.email,
            name: row.name,
            bio: row.bio,
            company: row.company,
            avatar: row.avatar,
            verified: row.verified,
            created_at: row.created_at.into_utc(),
        })
    }
}

/// `impl Store for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! user_store {
    ($db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::Utc;
            use $crate::db::dialect::Dialect;
            use $crate::db::map_write_error;
            use $crate::db::query::{Fetch, Write};
            use $crate::db::users::{UserRow, USER_COLUMNS};
            use $crate::error::{Context, Error, Result};
            use $crate::settings::ServerSettings;
            use $crate::store::{Page, Store};
            use $crate::users::{NewUser, ProfileUpdate, ServerRole, User};

            type Time = <$db as Dialect>::Time;

            /// Takes the backend's lock on the users table, where it needs one, for the
            /// transaction's length.
            async fn lock_users(
                tx: &mut sqlx::Transaction<'static, <$db as Dialect>::Db>,
            ) -> std::result::Result<(), sqlx::Error> {
                if let Some(lock) = <$db as Dialect>::LOCK_USERS {
                    sqlx::query(lock).execute(&mut **tx).await?;
                }
                Ok(())
            }

            #[async_trait]
            impl Store for $db {
                fn kind(&self) -> &'static str {
                    Self::KIND
                }

                async fn ping(&self) -> Result<()> {
                    sqlx::query("SELECT 1")
                        .execute(&self.pool)
                        .await
                        .context(|| format!("{} ping", Self::NAME))?;
                    Ok(())
                }

                async fn close(&self) {
                    self.pool.close().await;
                }

                async fn migrate(&self) -> Result<()> {
                    Self::migrator()
                        .run(&self.pool)
                        .await
                        .context(|| format!("migrating the {} database", Self::NAME))
                }

                async fn create_user(&self, user: NewUser, role: ServerRole) -> Result<User> {
                    let mut tx = self
                        .pool
                        .begin()
                        .await
                        .context(|| "creating a user".into())?;
                    lock_users(&mut tx)
                        .await
                        .context(|| "creating a user".into())?;
                    let row: UserRow<Time> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO users (id, email, name, password_hash, server_role, verified, created_at, company)
                         SELECT $1, $2, $3, $4,
                                CASE WHEN EXISTS (SELECT 1 FROM users) THEN $5 ELSE 'server:admin' END,
                                $6, $7, $8
                         RETURNING {USER_COLUMNS}"
                    )))
                    .bind(&user.id)
                    .bind(&user.email)
                    .bind(&user.name)
                    .bind(&user.password_hash)
                    .bind(role.as_str())
                    .bind(user.verified)
                    .bind(Self::time(Utc::now()))
                    .bind(&user.company)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(|e| {
                        map_write_error(
                            e,
                            || format!("a user with e-mail {} already exists", user.email),
                            || "creating a user".into(),
                        )
                    })?;
                    tx.commit().await.context(|| "creating a user".into())?;
                    row.try_into()
                }

                async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
                    self.user_where("id", id).await
                }

                async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
                    self.user_where("email", &email.to_lowercase()).await
                }

                async fn list_users(&self, query: Option<&str>, page: Page) -> Result<Vec<User>> {
                    sqlx::query_as::<_, UserRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {USER_COLUMNS} FROM users
                         WHERE $1 IS NULL OR {email_has} OR {name_has}
                         ORDER BY created_at, id LIMIT $2 OFFSET $3",
                        email_has = Self::contains("lower(email)", "lower($1)"),
                        name_has = Self::contains("lower(name)", "lower($1)"),
                    )))
                    .bind(query)
                    .bind(page.limit)
                    .bind(page.offset)
                    .all(&self.pool, "listing users")
                    .await
                }

                async fn table_sizes(&self) -> Result<(i64, Vec<(String, i64)>)> {
                    let total: i64 = sqlx::query_scalar(Self::DATABASE_BYTES)
                        .fetch_one(&self.pool)
                        .await
                        .context(|| "measuring the database".into())?;
                    let tables: Vec<(String, i64)> = sqlx::query_as(Self::TABLE_BYTES)
                        .fetch_all(&self.pool)
                        .await
                        .context(|| "measuring the tables".into())?;
                    Ok((total, tables))
                }

                async fn count_users(&self) -> Result<i64> {
                    sqlx::query_scalar("SELECT COUNT(*) FROM users")
                        .fetch_one(&self.pool)
                        .await
                        .context(|| "counting users".into())
                }

                async fn set_server_role(&self, user_id: &str, role: ServerRole) -> Result<User> {
                    let mut tx = self
                        .pool
                        .begin()
                        .await
                        .context(|| "changing a user's role".into())?;
                    lock_users(&mut tx)
                        .await
                        .context(|| "changing a user's role".into())?;
                    let user: Option<User> = sqlx::query_as::<_, UserRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "UPDATE users SET server_role = $2
                         WHERE id = $1
                           AND ($2 = 'server:admin' OR server_role <> 'server:admin'
                                OR (SELECT COUNT(*) FROM users WHERE server_role = 'server:admin') > 1)
                         RETURNING {USER_COLUMNS}"
                    )))
                    .bind(user_id)
                    .bind(role.as_str())
                    .optional(&mut *tx, "changing a user's role")
                    .await?;
                    tx.commit()
                        .await
                        .context(|| "changing a user's role".into())?;
                    match user {
                        Some(user) => Ok(user),
                        None if self.user_by_id(user_id).await?.is_some() => Err(Error::Conflict(
                            "the server must keep at least one admin; promote another user first"
                                .into(),
                        )),
                        None => Err(Error::NotFound(format!("user {user_id}"))),
                    }
                }

                async fn update_profile(
                    &self,
                    user_id: &str,
                    update: &ProfileUpdate,
                ) -> Result<User> {
                    // An empty string clears an optional field; NULL leaves it as it is.
                    let user: Option<User> =
                        sqlx::query_as::<_, UserRow<Time>>(sqlx::AssertSqlSafe(format!(
                            "UPDATE users SET
                             name = COALESCE($2, name),
                             company = CASE WHEN $3 IS NULL THEN company ELSE NULLIF($3, '') END,
                             bio = CASE WHEN $4 IS NULL THEN bio ELSE NULLIF($4, '') END,
                             avatar = CASE WHEN $5 IS NULL THEN avatar ELSE NULLIF($5, '') END
                         WHERE id = $1
                         RETURNING {USER_COLUMNS}"
                        )))
                        .bind(user_id)
                        .bind(&update.name)
                        .bind(&update.company)
                        .bind(&update.bio)
                        .bind(&update.avatar)
                        .optional(&self.pool, "updating a profile")
                        .await?;
                    user.ok_or_else(|| Error::NotFound(format!("user {user_id}")))
                }

                async fn server_settings(&self) -> Result<ServerSettings> {
                    let row: (String, Option<String>, Option<String>, Option<String>, Option<String>, bool, bool) = sqlx::query_as(
                        "SELECT name, company, description, admin_contact, terms_of_service, invite_only, guest_mode
                         FROM server_settings WHERE id = 1",
                    )
                    .fetch_one(&self.pool)
                    .await
                    .context(|| "reading the server settings".into())?;
                    Ok(ServerSettings {
                        name: row.0,
                        company: row.1,
                        description: row.2,
                        admin_contact: row.3,
                        terms_of_service: row.4,
                        invite_only: row.5,
                        guest_mode: row.6,
                    })
                }

                async fn update_server_settings(&self, settings: &ServerSettings) -> Result<()> {
                    sqlx::query(
                        "UPDATE server_settings SET name = $1, company = $2, description = $3, admin_contact = $4,
                                terms_of_service = $5, invite_only = $6, guest_mode = $7
                         WHERE id = 1",
                    )
                    .bind(&settings.name)
                    .bind(&settings.company)
                    .bind(&settings.description)
                    .bind(&settings.admin_contact)
                    .bind(&settings.terms_of_service)
                    .bind(settings.invite_only)
                    .bind(settings.guest_mode)
                    .write(&self.pool, "saving the server settings")
                    .await?;
                    Ok(())
                }
            }

            impl $db {
                /// The user whose `column` holds `value`.
                async fn user_where(
                    &self,
                    column: &'static str,
                    value: &str,
                ) -> Result<Option<User>> {
                    sqlx::query_as::<_, UserRow<Time>>(sqlx::AssertSqlSafe(format!(
                        "SELECT {USER_COLUMNS} FROM users WHERE {column} = $1"
                    )))
                    .bind(value)
                    .optional(&self.pool, "reading a user")
                    .await
                }
            }
        };
    };
}

pub(crate) use user_store;
