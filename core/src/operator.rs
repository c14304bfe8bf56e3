//! The server's operator: whoever runs `fleck admin …` on a machine holding the server's
//! configuration (and so its database and secret). They administer the server without an
//! account, so they act as an `Operator`, never as a request's `Actor`: no request can become
//! one, and `authz` never sees one. Every change still goes through the same core write as an
//! admin's request, so the rules of the data (the first user is admin, the last admin stays
//! admin) hold for both.

use crate::core::Core;
use crate::error::{Error, Result};
use crate::mail::Email;
use crate::store::Page;
use crate::users::{self, ServerRole, User, UserInput};

/// Proof that the caller is the command line, not a request.
#[derive(Debug)]
pub struct Operator {
    _command_line: (),
}

impl Operator {
    /// The operator of `fleck admin`. Only the command line makes one.
    pub fn command_line() -> Self {
        Operator { _command_line: () }
    }
}

/// Creates a user with `role` (registration's invitation and sign-up rules do not apply); the
/// server's first user becomes admin whatever `role` says.
pub async fn create_user(
    core: &Core,
    _operator: &Operator,
    input: UserInput,
    role: ServerRole,
) -> Result<User> {
    core.store.create_user(input.into_new_user()?, role).await
}

/// Changes the server role of the user with this e-mail address or id; the last admin cannot be
/// demoted.
pub async fn set_server_role(
    core: &Core,
    operator: &Operator,
    user: &str,
    role: ServerRole,
) -> Result<User> {
    let found = find_user(core, operator, user).await?;
    users::change_server_role(core, &found.id, role).await
}

/// Users oldest first; `search` filters by a part of the e-mail or name.
pub async fn list_users(
    core: &Core,
    _operator: &Operator,
    search: Option<&str>,
    page: Page,
) -> Result<Vec<User>> {
    core.store.list_users(search, page).await
}

/// Sends a short message to `to` now, through the configured mailer (not the mail job), so that
/// a failure shows at once; it checks the mail configuration.
pub async fn send_test_email(core: &Core, _operator: &Operator, to: &str) -> Result<()> {
    let email = Email {
        to: to.to_string(),
        subject: "Fleck test e-mail".into(),
        text: format!(
            "This message from {} shows that its mail settings work.",
            core.config.public_url
        ),
        html: None,
    };
    core.mailer.send(&email).await
}

/// The user with this e-mail address (anything with an `@`) or id.
pub async fn find_user(core: &Core, _operator: &Operator, user: &str) -> Result<User> {
    let found = if user.contains('@') {
        core.store.user_by_email(user).await?
    } else {
        core.store.user_by_id(user).await?
    };
    found.ok_or_else(|| Error::NotFound(format!("user {user}")))
}
