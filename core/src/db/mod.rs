//! The database: users, jobs, identity, projects and objects on SQLite (embedded default) or PostgreSQL,
//! chosen by the scheme of `DATABASE_URL`.

mod auth;
mod auth_rows;
mod changes;
mod comments;
mod dialect;
mod ingestions;
mod migrations;
mod objects;
pub mod postgres;
mod previews;
mod project_rows;
mod projects;
mod query;
mod queue;
pub mod sqlite;
mod users;
mod webhooks;

use std::sync::Arc;

use crate::auth::store::AuthStore;
use crate::changes::ChangeStore;
use crate::comments::CommentStore;
use crate::config::redact_url;
use crate::error::{Error, Result};
use crate::ingestions::IngestionStore;
use crate::objects::ObjectStore;
use crate::previews::PreviewStore;
use crate::projects::ProjectStore;
use crate::queue::Queue;
use crate::store::Store;
use crate::webhooks::WebhookStore;

/// The faces of one database connection pool.
#[derive(Clone)]
pub struct Database {
    pub store: Arc<dyn Store>,
    pub queue: Arc<dyn Queue>,
    pub auth: Arc<dyn AuthStore>,
    pub projects: Arc<dyn ProjectStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub previews: Arc<dyn PreviewStore>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub ingestions: Arc<dyn IngestionStore>,
    pub comments: Arc<dyn CommentStore>,
    pub changes: Arc<dyn ChangeStore>,
}

impl Database {
    fn from_impl<
        T: Store
            + Queue
            + AuthStore
            + ProjectStore
            + ObjectStore
            + PreviewStore
            + WebhookStore
            + IngestionStore
            + CommentStore
            + ChangeStore,
    >(
        db: T,
    ) -> Self {
        let db = Arc::new(db);
        Database {
            store: db.clone(),
            queue: db.clone(),
            auth: db.clone(),
            projects: db.clone(),
            objects: db.clone(),
            previews: db.clone(),
            webhooks: db.clone(),
            ingestions: db.clone(),
            comments: db.clone(),
            changes: db,
        }
    }
}

/// Opens the database named by `url` (`sqlite://path` or `postgres://…`). Does not migrate.
pub async fn connect(url: &str, max_connections: u32) -> Result<Database> {
    if url.starts_with("sqlite:") {
        Ok(Database::from_impl(
            sqlite::SqliteDb::connect(url, max_connections).await?,
        ))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Database::from_impl(
            postgres::PgDb::connect(url, max_connections).await?,
        ))
    } else {
        Err(Error::invalid(
            "DATABASE_URL",
            format!("{} is neither sqlite://… nor postgres://…", redact_url(url)),
        ))
    }
}

/// Maps a unique-constraint violation to `Conflict`, anything else to a backend error.
fn map_write_error(
    e: sqlx::Error,
    conflict: impl FnOnce() -> String,
    what: impl FnOnce() -> String,
) -> Error {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => Error::Conflict(conflict()),
        _ => Error::backend(what(), e),
    }
}
