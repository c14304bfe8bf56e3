//! What the integration tests of every crate share: finding the external services the test
//! command starts (or skipping without them), fresh PostgreSQL databases, unique names.
//!
//! Services are named by `FLECK_TEST_*` variables (`eval "$(scripts/services.sh)"` sets them).
//! Without one a test skips with a note on stderr, except in CI (`CI=true`): there a skipped
//! backend would be an untested one, so the test fails instead.

use std::path::PathBuf;

use rand::distributions::{Alphanumeric, DistString};
use sqlx::Connection;

/// The value of the `FLECK_TEST_*` variable `var`; `None` means skip the test. Panics in CI.
pub fn service(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.trim().is_empty() => Some(value),
        _ => missing(&format!(
            "{var} is not set (eval \"$(scripts/services.sh)\" starts the services and sets it)"
        )),
    }
}

/// All of the variables `vars`, or skip; checked in order, so a skip happens before any set-up.
pub fn services<const N: usize>(vars: [&str; N]) -> Option<[String; N]> {
    let values: Vec<String> = vars.iter().map(|var| service(var)).collect::<Option<_>>()?;
    values.try_into().ok()
}

/// The program `name` on PATH, with the same rule as `service`.
pub fn program(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|path| path.is_file())
    });
    found.or_else(|| missing(&format!("{name} is not on PATH")))
}

fn missing<T>(what: &str) -> Option<T> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI must test every backend, but {what}");
    }
    eprintln!("skipping: {what}");
    None
}

/// `prefix` and twelve random lower-case letters and digits: a name no other test, in this run or
/// an earlier one, uses.
pub fn unique_name(prefix: &str) -> String {
    let random = Alphanumeric.sample_string(&mut rand::thread_rng(), 12);
    format!("{prefix}{}", random.to_ascii_lowercase())
}

/// An empty database of its own on the test PostgreSQL server (`FLECK_TEST_POSTGRES_URL`).
pub struct TempDatabase {
    /// Connects to the new database.
    pub url: String,
    admin_url: String,
    name: String,
}

impl TempDatabase {
    /// Creates one whose name starts with `prefix`; `None` (skip) when PostgreSQL is not set up.
    pub async fn create(prefix: &str) -> Option<Self> {
        let admin_url = service("FLECK_TEST_POSTGRES_URL")?;
        let name = unique_name(prefix);
        admin_execute(&admin_url, &format!("CREATE DATABASE {name}")).await;
        let mut url = url::Url::parse(&admin_url).expect("FLECK_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Some(TempDatabase {
            url: url.to_string(),
            admin_url,
            name,
        })
    }

    /// The database's name, unique to the test.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Drops the database. FORCE ends the connections a test's pools may still hold.
    pub async fn drop_database(&self) {
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        admin_execute(&self.admin_url, &statement).await;
    }
}

async fn admin_execute(admin_url: &str, statement: &str) {
    let mut conn = sqlx::postgres::PgConnection::connect(admin_url)
        .await
        .unwrap_or_else(|e| panic!("connecting to FLECK_TEST_POSTGRES_URL: {e}"));
    // The statement only ever holds a database name made by `unique_name`.
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    let _ = conn.close().await;
}
