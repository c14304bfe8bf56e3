//! What every store does around a statement, written once: run it on the pool or a transaction,
//! say what the store was doing when the database fails, and turn the rows read into the
//! domain's types (`From` a row, or `TryFrom` one where the domain may reject what it holds).

use sqlx::query::{Query, QueryAs};
use sqlx::{Database, Executor, FromRow, IntoArguments, Pool, Row, SqlSafeStr};

use crate::db::map_write_error;
use crate::error::{Context, Error, Result};
use crate::projects::{Listed, Window};

/// A statement's arguments as both databases bind them.
type Args<DB> = <DB as Database>::Arguments;

/// A statement whose arguments are bound one by one.
pub(crate) type Statement<'q, DB> = Query<'q, DB, Args<DB>>;

/// A domain type made from a row of `R`: `From` it, or `TryFrom` it where the row may hold what
/// the domain rejects.
pub(crate) trait FromStored<R>: Sized {
    fn from_stored(row: R) -> Result<Self>;
}

impl<R, T: TryFrom<R>> FromStored<R> for T
where
    Error: From<T::Error>,
{
    fn from_stored(row: R) -> Result<Self> {
        Ok(T::try_from(row)?)
    }
}

/// Reads rows of `R` and converts each.
pub(crate) trait Fetch<'e, DB: Database, R> {
    /// The one row, if there is one.
    async fn optional<T: FromStored<R>>(
        self,
        db: impl 'e + Executor<'e, Database = DB>,
        what: &str,
    ) -> Result<Option<T>>;

    /// Every row.
    async fn all<T: FromStored<R>>(
        self,
        db: impl 'e + Executor<'e, Database = DB>,
        what: &str,
    ) -> Result<Vec<T>>;
}

impl<'q: 'e, 'e, DB, R> Fetch<'e, DB, R> for QueryAs<'q, DB, R, Args<DB>>
where
    DB: Database,
    Args<DB>: IntoArguments<DB>,
    R: 'e + Send + Unpin + for<'r> FromRow<'r, DB::Row>,
{
    async fn optional<T: FromStored<R>>(
        self,
        db: impl 'e + Executor<'e, Database = DB>,
        what: &str,
    ) -> Result<Option<T>> {
        let row = self.fetch_optional(db).await.context(|| what.into())?;
        row.map(T::from_stored).transpose()
    }

    async fn all<T: FromStored<R>>(
        self,
        db: impl 'e + Executor<'e, Database = DB>,
        what: &str,
    ) -> Result<Vec<T>> {
        let rows = self.fetch_all(db).await.context(|| what.into())?;
        rows.into_iter().map(T::from_stored).collect()
    }
}

/// Runs a statement that writes.
pub(crate) trait Write<'e, DB: Database> {
    /// What it did (how many rows it changed).
    async fn write(
        self,
        db: impl 'e + Executor<'e, Database = DB>,
        what: &str,
    ) -> Result<DB::QueryResult>;

    /// The same, where a unique constraint's violation is the `Conflict` that `conflict` says.
    async fn write_unique(
        self,
        db: impl 'e + Executor<'e, Database = DB>,
        conflict: impl FnOnce() -> String,
        what: &str,
    ) -> Result<DB::QueryResult>;
}

impl<'q: 'e, 'e, DB: Database> Write<'e, DB> for Query<'q, DB, Args<DB>>
where
    Args<DB>: IntoArguments<DB>,
{
    async fn write(
        self,
        db: impl 'e + Executor<'e, Database = DB>,
        what: &str,
    ) -> Result<DB::QueryResult> {
        self.execute(db).await.context(|| what.into())
    }

    async fn write_unique(
        self,
        db: impl 'e + Executor<'e, Database = DB>,
        conflict: impl FnOnce() -> String,
        what: &str,
    ) -> Result<DB::QueryResult> {
        self.execute(db)
            .await
            .map_err(|e| map_write_error(e, conflict, || what.into()))
    }
}

/// One window of a listing and how many rows it holds in all. `select` and `count` share their
/// condition, whose arguments `bind` adds to each; `select` takes the window's limit and offset
/// after them. `what` names the rows in errors ("listing …", "counting …").
pub(crate) async fn list_window<'q, R, T, DB>(
    pool: &Pool<DB>,
    select: impl SqlSafeStr,
    count: impl SqlSafeStr,
    bind: impl Fn(Statement<'q, DB>) -> Statement<'q, DB>,
    window: Window,
    what: &str,
) -> Result<Listed<T>>
where
    DB: Database,
    Args<DB>: IntoArguments<DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    R: Send + Unpin + for<'r> FromRow<'r, DB::Row>,
    T: FromStored<R>,
    i64: for<'r> sqlx::Decode<'r, DB> + sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    let rows = bind(sqlx::query(select))
        .bind(window.limit)
        .bind(window.offset)
        .try_map(|row: DB::Row| R::from_row(&row))
        .fetch_all(pool)
        .await
        .context(|| format!("listing {what}"))?;
    let total = bind(sqlx::query(count))
        .try_map(|row: DB::Row| row.try_get::<i64, _>(0))
        .fetch_one(pool)
        .await
        .context(|| format!("counting {what}"))?;
    let items = rows
        .into_iter()
        .map(T::from_stored)
        .collect::<Result<_>>()?;
    Ok(Listed { items, total })
}

/// How many rows a statement changed, as both databases report it.
pub(crate) trait RowsAffected {
    fn rows(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows(&self) -> u64 {
        self.rows_affected()
    }
}

/// A table of a project's parts, each row keyed by its project and its own id.
pub(crate) struct ProjectTable {
    name: &'static str,
    /// What a row's type reads.
    columns: &'static str,
    /// One row, in errors: "a model".
    one: &'static str,
}

impl ProjectTable {
    pub const fn new(name: &'static str, columns: &'static str, one: &'static str) -> Self {
        ProjectTable { name, columns, one }
    }

    /// The project's row `id`, if there is one.
    pub async fn find<R, T, DB>(
        &self,
        pool: &Pool<DB>,
        project_id: &str,
        id: &str,
    ) -> Result<Option<T>>
    where
        DB: Database,
        Args<DB>: IntoArguments<DB>,
        for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
        for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
        R: Send + Unpin + for<'r> FromRow<'r, DB::Row>,
        T: FromStored<R>,
    {
        let (name, columns) = (self.name, self.columns);
        sqlx::query_as::<_, R>(sqlx::AssertSqlSafe(format!(
            "SELECT {columns} FROM {name} WHERE project_id = $1 AND id = $2"
        )))
        .bind(project_id)
        .bind(id)
        .optional(pool, &format!("reading {}", self.one))
        .await
    }

    /// Deletes the project's row `id`; whether there was one.
    pub async fn delete<DB: DeleteRows>(
        &self,
        pool: &Pool<DB>,
        project_id: &str,
        id: &str,
    ) -> Result<bool> {
        let what = format!("deleting {}", self.one);
        let key = "project_id = $1 AND id = $2";
        DB::delete_where(pool, self.name, key, &[project_id, id], &what).await
    }
}

/// Deletes the row of `table` with `id`; whether there was one.
pub(crate) async fn delete_by_id<DB: DeleteRows>(
    pool: &Pool<DB>,
    table: &'static str,
    id: &str,
    what: &str,
) -> Result<bool> {
    DB::delete_where(pool, table, "id = $1", &[id], what).await
}

/// Both databases, deleting rows: the bounds a generic deletion needs, stated once.
pub(crate) trait DeleteRows: Database {
    /// Deletes the rows of `table` where `key` holds for the `values` it binds; whether there
    /// were any.
    async fn delete_where(
        pool: &Pool<Self>,
        table: &str,
        key: &str,
        values: &[&str],
        what: &str,
    ) -> Result<bool>;
}

impl<DB> DeleteRows for DB
where
    DB: Database,
    DB::QueryResult: RowsAffected,
    Args<DB>: IntoArguments<DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'a> &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    async fn delete_where(
        pool: &Pool<DB>,
        table: &str,
        key: &str,
        values: &[&str],
        what: &str,
    ) -> Result<bool> {
        let statement = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE {key}"
        )));
        let done = values
            .iter()
            .fold(statement, |q, value| q.bind(*value))
            .write(pool, what)
            .await?;
        Ok(done.rows() > 0)
    }
}
