//! SQLite: one file in WAL mode; times stored as Unix milliseconds.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::dialect::Dialect;
use super::map_write_error;
use crate::config::CONNECT_TIMEOUT;
use crate::error::{Context, Error, Result};
use crate::settings::ServerSettings;
use crate::store::{Page, Store};
use crate::users::{NewUser, ProfileUpdate, ServerRole, User};

mod queue;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

pub struct SqliteDb {
    pool: SqlitePool,
}

impl SqliteDb {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| Error::invalid("DATABASE_URL", format!("{url}: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            // Checkpoints shrink the write-ahead log back, so it does not keep its largest size.
            .pragma("journal_size_limit", (32 * 1024 * 1024).to_string())
            .foreign_keys(true);
        if let Some(dir) = options
            .get_filename()
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .context(|| format!("creating database directory {}", dir.display()))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options)
            .await
            .context(|| format!("cannot open SQLite database {url}"))?;
        Ok(SqliteDb { pool })
    }
}

impl Dialect for SqliteDb {
    type Db = sqlx::Sqlite;
    type Time = i64;
    type List = String;

    fn time(t: DateTime<Utc>) -> i64 {
        millis(t)
    }

    fn list(ids: &[String]) -> String {
        serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
    }

    fn in_list(column: &str, param: &str) -> String {
        format!("{column} IN (SELECT value FROM json_each({param}))")
    }

    fn contains(haystack: &str, needle: &str) -> String {
        format!("instr({haystack}, {needle}) > 0")
    }

    fn json(param: &str) -> String {
        param.to_string()
    }
}

crate::db::projects::project_store!(SqliteDb);
crate::db::auth::auth_store!(SqliteDb);
crate::db::webhooks::webhook_store!(SqliteDb);
crate::db::objects::object_store!(SqliteDb);
crate::db::previews::preview_store!(SqliteDb);
crate::db::ingestions::ingestion_store!(SqliteDb);
crate::db::comments::comment_store!(SqliteDb);
crate::db::changes::change_store!(SqliteDb);

impl SqliteDb {
    /// The ids of `ids` the project holds, gathered into one JSON array: decoding a row per id
    /// costs more than the lookups.
    async fn existing_object_ids(&self, project_id: &str, ids: &[String]) -> Result<Vec<String>> {
        let found: String = sqlx::query_scalar(
            "SELECT json_group_array(id) FROM objects
             WHERE project_id = $1 AND id IN (SELECT value FROM json_each($2))",
        )
        .bind(project_id)
        .bind(Self::list(ids))
        .fetch_one(&self.pool)
        .await
        .context(|| format!("looking up {} object ids", ids.len()))?;
        serde_json::from_str(&found).context(|| "reading found object ids".into())
    }
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
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
    created_at: i64,
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
            created_at: from_millis(self.created_at),
        })
    }
}

#[async_trait]
impl Store for SqliteDb {
    fn kind(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .context(|| "SQLite ping".into())?;
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .context(|| "migrating the SQLite database".into())
    }

    async fn create_user(&self, user: NewUser, role: ServerRole) -> Result<User> {
        // One statement, so the "first user is admin" check and the insert cannot interleave.
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
        .bind(millis(Utc::now()))
        .bind(&user.company)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| {
            map_write_error(
                e,
                || format!("a user with e-mail {} already exists", user.email),
                || "creating a user".into(),
            )
        })?;
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
             WHERE $1 IS NULL OR instr(lower(email), lower($1)) > 0 OR instr(lower(name), lower($1)) > 0
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
        let total: i64 = sqlx::query_scalar(
            "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()",
        )
        .fetch_one(&self.pool)
        .await
        .context(|| "measuring the database".into())?;
        // `dbstat` (compiled into the bundled SQLite) gives each table's and index's bytes, one
        // row per b-tree in aggregate mode; an index counts towards its table.
        let tables: Vec<(String, i64)> = sqlx::query_as(
            "SELECT COALESCE(m.tbl_name, s.name) AS name, SUM(s.pgsize) AS bytes
             FROM dbstat AS s LEFT JOIN sqlite_schema AS m ON m.name = s.name
             WHERE s.aggregate = TRUE
             GROUP BY 1 ORDER BY bytes DESC, name",
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
        // The guard against demoting the last admin is part of the statement, so it holds under races.
        let row: Option<UserRow> = sqlx::query_as(
            "UPDATE users SET server_role = $2
             WHERE id = $1
               AND ($2 = 'server:admin' OR server_role <> 'server:admin'
                    OR (SELECT COUNT(*) FROM users WHERE server_role = 'server:admin') > 1)
             RETURNING id, email, name, bio, company, avatar, server_role, verified, created_at",
        )
        .bind(user_id)
        .bind(role.as_str())
        .fetch_optional(&self.pool)
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
                 company = CASE WHEN $3 IS NULL THEN company ELSE NULLIF($3, '') END,
                 bio = CASE WHEN $4 IS NULL THEN bio ELSE NULLIF($4, '') END,
                 avatar = CASE WHEN $5 IS NULL THEN avatar ELSE NULLIF($5, '') END
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
