//! PostgreSQL: the production metadata database. Claims use `FOR UPDATE SKIP LOCKED` so any number
//! of workers take distinct jobs.

use std::str::FromStr;

use chrono::{DateTime, Utc};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use super::dialect::Dialect;
use crate::config::{redact_url, CONNECT_TIMEOUT};
use crate::error::{Context, Error, Result};

/// Longest a query waits for a connection. While PostgreSQL is down, every new connection is
/// refused and the pool keeps retrying until this passes: it is what a request waits before
/// its 503, so it is short; a healthy pool hands out connections in milliseconds.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(800);

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
            .acquire_timeout(ACQUIRE_TIMEOUT)
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

    const KIND: &'static str = "postgres";
    const NAME: &'static str = "PostgreSQL";
    /// Serializes the checks that look at all users ("first user", "last admin") between replicas.
    const LOCK_USERS: Option<&'static str> = Some("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE");
    const CONCURRENT_WRITES: usize = 2;
    const DATABASE_BYTES: &'static str = "SELECT pg_database_size(current_database())";
    /// Fleck's tables: those of the schema it migrated (the first on the search path).
    const TABLE_BYTES: &'static str =
        "SELECT relname::text AS name, pg_total_relation_size(relid) AS bytes
         FROM pg_catalog.pg_statio_user_tables
         WHERE schemaname = current_schema()
         ORDER BY bytes DESC, name";
    /// Any number of workers claim distinct jobs: each skips the rows another has locked.
    const CLAIM_LOCK: &'static str = "FOR UPDATE SKIP LOCKED";

    const SCHEMA_WORDS: &'static [(&'static str, &'static str)] = &[
        ("TIME", "TIMESTAMPTZ"),
        ("INT8", "BIGINT"),
        ("INT2", "SMALLINT"),
        ("BOOL", "BOOLEAN"),
        ("TRUE", "TRUE"),
        ("FLOAT8", "DOUBLE PRECISION"),
        ("BYTES", "BYTEA"),
        ("JSON", "JSONB"),
        ("SERIAL_KEY", "BIGSERIAL PRIMARY KEY"),
    ];

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

crate::db::users::user_store!(PgDb);
crate::db::queue::queue_store!(PgDb);
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
