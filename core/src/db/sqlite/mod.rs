//! SQLite: one file in WAL mode; times stored as Unix milliseconds.

use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::dialect::Dialect;
use crate::config::CONNECT_TIMEOUT;
use crate::error::{Context, Error, Result};

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

    const KIND: &'static str = "sqlite";
    const NAME: &'static str = "SQLite";
    /// One writer at a time: the statements that look at all users run alone.
    const LOCK_USERS: Option<&'static str> = None;
    const CONCURRENT_WRITES: usize = 1;
    const DATABASE_BYTES: &'static str =
        "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()";
    /// `dbstat` (compiled into the bundled SQLite) gives each table's and index's bytes, one row
    /// per b-tree in aggregate mode; an index counts towards its table.
    const TABLE_BYTES: &'static str =
        "SELECT COALESCE(m.tbl_name, s.name) AS name, SUM(s.pgsize) AS bytes
         FROM dbstat AS s LEFT JOIN sqlite_schema AS m ON m.name = s.name
         WHERE s.aggregate = TRUE
         GROUP BY 1 ORDER BY bytes DESC, name";
    /// One writer at a time: the claiming `UPDATE … RETURNING` is atomic as it stands.
    const CLAIM_LOCK: &'static str = "";

    /// Times are Unix milliseconds and whole numbers all `INTEGER`; JSON is text.
    const SCHEMA_WORDS: &'static [(&'static str, &'static str)] = &[
        ("TIME", "INTEGER"),
        ("INT8", "INTEGER"),
        ("INT2", "INTEGER"),
        ("BOOL", "INTEGER"),
        ("TRUE", "1"),
        ("FLOAT8", "REAL"),
        ("BYTES", "BLOB"),
        ("JSON", "TEXT"),
        ("SERIAL_KEY", "INTEGER PRIMARY KEY AUTOINCREMENT"),
    ];

    fn time(t: DateTime<Utc>) -> i64 {
        t.timestamp_millis()
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

crate::db::users::user_store!(SqliteDb);
crate::db::queue::queue_store!(SqliteDb);
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
