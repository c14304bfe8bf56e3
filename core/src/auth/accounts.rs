//! Creating accounts: the one place registration rules live, for the REST API and the web app.

use crate::backends::Core;
use crate::error::{Error, Result};
use crate::users::{ServerRole, User, UserInput};

/// Registers a new user with a password: refused on invite-only servers, the password hashed
/// (off the async workers: argon2 is slow by design), the first user made admin, and a
/// verification e-mail queued.
pub async fn register(core: &Core, input: UserInput) -> Result<User> {
    if core.store.server_settings().await?.invite_only {
        return Err(Error::Forbidden(
            "this server accepts new accounts only by invitation".into(),
        ));
    }
    if input.password.is_none() {
        return Err(Error::invalid("password", "a password is required"));
    }
    let new_user = tokio::task::spawn_blocking(move || input.into_new_user())
        .await
        .map_err(|e| Error::backend("hashing a password", e))??;
    let user = core.store.create_user(new_user, ServerRole::User).await?;
    super::links::send_verification(core, &user).await?;
    Ok(user)
}
