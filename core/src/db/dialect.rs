//! What the two databases do differently, as each backend supplies it to the stores written once
//! (`project_store!` and the others expand with `impl Dialect for $db` in scope): how times and
//! lists of ids are bound, the SQL one database spells differently from the other, and the few
//! statements and locks that are each database's own.

use chrono::{DateTime, Utc};

pub trait Dialect {
    /// The sqlx database of the backend's pool.
    type Db: sqlx::Database;
    /// How a time is stored: SQLite Unix milliseconds, PostgreSQL `timestamptz`.
    type Time: StoredTime;
    /// How a list of ids is bound: SQLite a JSON array, PostgreSQL a `text[]`.
    type List;

    /// What `Store::kind` answers.
    const KIND: &'static str;
    /// The database's name in messages.
    const NAME: &'static str;
    /// Taken at the start of the transactions that check all users ("first user", "last
    /// admin"), where concurrent writers could otherwise interleave.
    const LOCK_USERS: Option<&'static str>;
    /// The whole database's size in bytes.
    const DATABASE_BYTES: &'static str;
    /// Each table's name and bytes, largest first.
    const TABLE_BYTES: &'static str;
    /// Large writes worth running at once: SQLite has one writer, and a second would only wait
    /// for the first while holding back every other write.
    const CONCURRENT_WRITES: usize;
    /// Ends the subquery that picks the job to claim, so that concurrent claims take distinct jobs.
    const CLAIM_LOCK: &'static str;

    /// The column types that `$NAME` stands for in `migrations/` (see `db::migrations`).
    const SCHEMA_WORDS: &'static [(&'static str, &'static str)];

    fn migrator() -> sqlx::migrate::Migrator
    where
        Self: Sized,
    {
        super::migrations::migrator::<Self>()
    }
    fn time(t: DateTime<Utc>) -> Self::Time;
    fn list(ids: &[String]) -> Self::List;
    /// SQL that holds where `column` is one of the ids of the list bound as `param` (`"$3"`).
    fn in_list(column: &str, param: &str) -> String;
    /// SQL that holds where text `needle` occurs in `haystack`.
    fn contains(haystack: &str, needle: &str) -> String;
    /// SQL that stores the JSON text bound as `param` in a JSON column.
    fn json(param: &str) -> String;
}

/// A time as a database stores it.
pub trait StoredTime {
    fn into_utc(self) -> DateTime<Utc>;
}

/// SQLite's Unix milliseconds.
impl StoredTime for i64 {
    fn into_utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self).unwrap_or_default()
    }
}

/// PostgreSQL's `timestamptz`.
impl StoredTime for DateTime<Utc> {
    fn into_utc(self) -> DateTime<Utc> {
        self
    }
}
