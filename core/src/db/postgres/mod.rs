//! PostgreSQL: the production metadata database. Claims use `FOR UPDATE SKIP LOCKED` so any number
//! of workers take distinct jobs.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use super::dialect::Dialect;
use super::map_write_error;
use crate::config::{redact_url, CONNECT_TIMEOUT};
use crate::error::{Context, Error, Result};
use crate::settings::ServerSettings;
use crate::store::{Page, Store};
use crate::users::{NewUser, ProfileUpdate, ServerRole, User};

mod queue;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

pub struct PgDb {
    pool: PgPool,
}

impl PgDb {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let shown = redact_url(url);
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| Error::invalid("DATABASE_URL", format!("{shown}: {e}")))?;
        // One direct connection first: the pool would only report "timed out" for any failure.
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, options.connect())
            .await
            .map_err(|_| {
                Error::backend(
                    format!("cannot connect to PostgreSQL at {shown}"),
                    "timed out",
                )
            })?
            .context(|| format!("cannot connect to PostgreSQL at {shown}"))?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options)
            .await
            .context(|| format!("cannot connect to PostgreSQL at {shown}"))?;
        Ok(PgDb { pool })
    }
}

impl Dialect for PgDb {
    type Db = sqlx::Postgres;
    type Time = DateTime<Utc>;
    type List = Vec<String>;

    fn time(t: DateTime<Utc>) -> DateTime<Utc> {
        t
    }

    fn list(ids: &[String]) -> Vec<String> {
        ids.to_vec()
    }

    fn in_list(column: &str, param: &str) -> String {
        format!("{column} = ANY({param})")
    }

    fn contains(haystack: &str, needle: &str) -> String {
        format!("strpos({haystack}, {needle}) > 0")
    }

    fn json(param: &str) -> String {
        format!("{param}::jsonb")
    }
}

crate::db::projects::project_store!(PgDb);
crate::db::auth::auth_store!(PgDb);
crate::db::webhooks::webhook_store!(PgDb);
crate::db::objects::object_store!(PgDb);
crate::db::previews::preview_store!(PgDb);
crate::db::ingestions::ingestion_store!(PgDb);
crate::db::comments::comment_store!(PgDb);
crate::db::changes::change_store!(PgDb);

impl PgDb {
    /// The ids of `ids` the project holds, gathered into one array: decoding a row per id costs
    /// more than the lookups.
    async fn existing_object_ids(&self, project_id: &str, ids: &[String]) -> Result<Vec<String>> {
        sqlx::query_scalar(
            "SELECT COALESCE(array_agg(id), '{}') FROM objects WHERE project_id = $1 AND id = ANY($2)",
        )
        .bind(project_id)
        .bind(ids)
        .fetch_one(&self.pool)
        .await
        .context(|| format!("looking up {} object ids", ids.len()))
    }
}

fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease).unwrap_or_default()
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    bio: Option<String>,
    company: Option<String>,
    avatar: Option<String>,
    server_role: String,
    verified: bool,
    created_at: DateTime<Utc>,
}

impl UserRow {
    fn into_user(self) -> Result<User> {
        Ok(User {
            role: self.server_role.parse()?,
            id: self.id,
            email: self.email,
            name: self.name,
            bio: self.bio,
            company: self.company,
            avatar: self.avatar,
            verified: self.verified,
            created_at: self.created_at,
        })
    }
}

/// Serializes the checks that look at all users ("first user", "last admin") between replicas.
const LOCK_USERS: &str = "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE";

#[async_trait]
impl Store for PgDb {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .context(|| "PostgreSQL ping".into())?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .context(|| "migrating the PostgreSQL database".into())
    }

    async fn create_user(&self, user: NewUser, role: ServerRole) -> Result<User> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context(|| "creating a user".into())?;
        sqlx::query(LOCK_USERS)
            .execute(&mut *tx)
            .await
            .context(|| "creating a user".into())?;
        let row: UserRow = sqlx::query_as(
            "INSERT INTO users (id, email, name, password_hash, server_role, verified, created_at, company)
             SELECT $1, $2, $3, $4,
                    CASE WHEN EXISTS (SELECT 1 FROM users) THEN $5 ELSE 'server:admin' END,
                    $6, $7, $8
             RETURNING id, email, name, bio, company, avatar, server_role, verified, created_at",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(role.as_str())
        .bind(user.verified)
        .bind(Utc::now())
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
        row.into_user()
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, email, name, bio, company, avatar, server_role, verified, created_at FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .context(|| "reading a user".into())?;
        row.map(UserRow::into_user).transpose()
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, email, name, bio, company, avatar, server_role, verified, created_at FROM users WHERE email = $1",
        )
        .bind(email.to_lowercase())
        .fetch_optional(&self.pool)
        .await
        .context(|| "reading a user".into())?;
        row.map(UserRow::into_user).transpose()
    }

    async fn list_users(&self, query: Option<&str>, page: Page) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT id, email, name, bio, company, avatar, server_role, verified, created_at FROM users
             WHERE $1::text IS NULL OR strpos(lower(email), lower($1)) > 0 OR strpos(lower(name), lower($1)) > 0
             ORDER BY created_at, id LIMIT $2 OFFSET $3",
        )
        .bind(query)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await
        .context(|| "listing users".into())?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    async fn table_sizes(&self) -> Result<(i64, Vec<(String, i64)>)> {
        let total: i64 = sqlx::query_scalar("SELECT pg_database_size(current_database())")
            .fetch_one(&self.pool)
            .await
            .context(|| "measuring the database".into())?;
        // Fleck's tables: those of the schema it migrated (the first on the search path).
        let tables: Vec<(String, i64)> = sqlx::query_as(
            "SELECT relname::text AS name, pg_total_relation_size(relid) AS bytes
             FROM pg_catalog.pg_statio_user_tables
             WHERE schemaname = current_schema()
             ORDER BY bytes DESC, name",
        )
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
        sqlx::query(LOCK_USERS)
            .execute(&mut *tx)
            .await
            .context(|| "changing a user's role".into())?;
        let row: Option<UserRow> = sqlx::query_as(
            "UPDATE users SET server_role = $2
             WHERE id = $1
               AND ($2 = 'server:admin' OR server_role <> 'server:admin'
                    OR (SELECT COUNT(*) FROM users WHERE server_role = 'server:admin') > 1)
             RETURNING id, email, name, bio, company, avatar, server_role, verified, created_at",
        )
        .bind(user_id)
        .bind(role.as_str())
        .fetch_optional(&mut *tx)
        .await
        .context(|| "changing a user's role".into())?;
        tx.commit()
            .await
            .context(|| "changing a user's role".into())?;
        match row {
            Some(row) => row.into_user(),
            None if self.user_by_id(user_id).await?.is_some() => Err(Error::Conflict(
                "the server must keep at least one admin; promote another user first".into(),
            )),
            None => Err(Error::NotFound(format!("user {user_id}"))),
        }
    }

    async fn update_profile(&self, user_id: &str, update: &ProfileUpdate) -> Result<User> {
        // An empty string clears an optional field; NULL leaves it as it is.
        let row: Option<UserRow> = sqlx::query_as(
            "UPDATE users SET
                 name = COALESCE($2, name),
                 company = CASE WHEN $3::text IS NULL THEN company ELSE NULLIF($3, '') END,
                 bio = CASE WHEN $4::text IS NULL THEN bio ELSE NULLIF($4, '') END,
                 avatar = CASE WHEN $5::text IS NULL THEN avatar ELSE NULLIF($5, '') END
             WHERE id = $1
             RETURNING id, email, name, bio, company, avatar, server_role, verified, created_at",
        )
        .bind(user_id)
        .bind(&update.name)
        .bind(&update.company)
        .bind(&update.bio)
        .bind(&update.avatar)
        .fetch_optional(&self.pool)
        .await
        .context(|| "updating a profile".into())?;
        row.ok_or_else(|| Error::NotFound(format!("user {user_id}")))?
            .into_user()
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
        .execute(&self.pool)
        .await
        .context(|| "saving the server settings".into())?;
        Ok(())
    }
}
