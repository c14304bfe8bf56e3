//! `Store`: the metadata database. One implementation per database (`db::sqlite`, `db::postgres`),
//! both passing the same contract tests.

use async_trait::async_trait;

use crate::error::Result;
use crate::settings::ServerSettings;
use crate::users::{NewUser, ProfileUpdate, ServerRole, User};

#[derive(Clone, Copy, Debug)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 100,
            offset: 0,
        }
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for health reports and metrics.
    fn kind(&self) -> &'static str;

    /// A round trip to the database.
    async fn ping(&self) -> Result<()>;

    /// Closes the connections once they are returned (SQLite then folds its write-ahead log
    /// back into the database file).
    async fn close(&self);

    /// Applies pending migrations from `migrations/`, rendered for the database.
    async fn migrate(&self) -> Result<()>;

    /// Inserts a user with `role`, except that the server's first user always becomes admin.
    /// Fails with `Conflict` when the e-mail is taken.
    async fn create_user(&self, user: NewUser, role: ServerRole) -> Result<User>;

    async fn user_by_id(&self, id: &str) -> Result<Option<User>>;

    async fn user_by_email(&self, email: &str) -> Result<Option<User>>;

    /// Users oldest first; `query` filters by a substring of e-mail or name.
    async fn list_users(&self, query: Option<&str>, page: Page) -> Result<Vec<User>>;

    async fn count_users(&self) -> Result<i64>;

    /// Changes a user's server role; refuses to demote the server's last admin.
    async fn set_server_role(&self, user_id: &str, role: ServerRole) -> Result<User>;

    /// Changes the fields of a profile that are `Some`.
    async fn update_profile(&self, user_id: &str, update: &ProfileUpdate) -> Result<User>;

    async fn server_settings(&self) -> Result<ServerSettings>;

    async fn update_server_settings(&self, settings: &ServerSettings) -> Result<()>;

    /// The database's size in bytes and each table's (indexes included), largest first.
    async fn table_sizes(&self) -> Result<(i64, Vec<(String, i64)>)>;
}
