//! Web app sign-in sessions, kept in the cache (in-process, or Redis shared by every replica).
//! The browser holds a random id in an `HttpOnly` cookie; the cache holds the session under the
//! id's digest, so the cache's contents cannot be replayed as cookies. A per-user generation
//! number ends all of a user's sessions at once (password reset).

use std::time::Duration;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use super::tokens;
use crate::core::Core;
use crate::error::{Context, Result};
use crate::users::{ServerRole, User};

pub const COOKIE: &str = "fleck_session";
/// How long a session lasts without use; each use (at most daily) extends it.
pub const LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// How much of a session's lifetime passes before a use starts it again.
const RENEW_AFTER: Duration = Duration::from_secs(24 * 3600);
/// Generations outlive every session they could have to end.
const GENERATION_WINDOW: Duration = Duration::from_secs(400 * 24 * 3600);

#[derive(Serialize, Deserialize)]
struct Session {
    user_id: String,
    generation: i64,
    /// When the session's lifetime last started again (Unix seconds).
    renewed_at: i64,
}

fn key(id: &str) -> String {
    format!("session:{}", tokens::digest(id))
}

fn generation_key(user_id: &str) -> String {
    format!("session-generation:{user_id}")
}

async fn generation(core: &Core, user_id: &str) -> Result<i64> {
    Ok(core
        .cache
        .get(&generation_key(user_id))
        .await?
        .and_then(|raw| String::from_utf8(raw).ok()?.parse().ok())
        .unwrap_or(0))
}

/// Starts a session for `user`; returns the id for the cookie.
pub async fn start(core: &Core, user: &User) -> Result<String> {
    let id = crate::ids::random_string(tokens::SECRET_LEN);
    let session = Session {
        user_id: user.id.clone(),
        generation: generation(core, &user.id).await?,
        renewed_at: Utc::now().timestamp(),
    };
    save(core, &id, &session).await?;
    Ok(id)
}

/// Stores the session for a whole lifetime from now.
async fn save(core: &Core, id: &str, session: &Session) -> Result<()> {
    let value = serde_json::to_vec(session).context(|| "encoding a session".into())?;
    core.cache.set(&key(id), &value, Some(LIFETIME)).await
}

/// The signed-in user of a session id, if the session is still valid.
pub async fn user(core: &Core, id: &str) -> Result<Option<User>> {
    if id.is_empty() || id.len() > 64 {
        return Ok(None);
    }
    let Some(raw) = core.cache.get(&key(id)).await? else {
        return Ok(None);
    };
    let Ok(mut session) = serde_json::from_slice::<Session>(&raw) else {
        return Ok(None);
    };
    if session.generation != generation(core, &session.user_id).await? {
        return Ok(None);
    }
    let user = core.store.user_by_id(&session.user_id).await?;
    let user = user.filter(|u| u.role != ServerRole::Archived);
    // Keep active sessions alive: once a day of the lifetime has passed, start it again. The
    // renewal time lives in the session, so a request costs no extra cache round trip.
    let now = Utc::now().timestamp();
    if user.is_some() && now - session.renewed_at > RENEW_AFTER.as_secs() as i64 {
        session.renewed_at = now;
        save(core, id, &session).await?;
    }
    Ok(user)
}

/// Ends one session (sign out).
pub async fn end(core: &Core, id: &str) -> Result<()> {
    core.cache.delete(&key(id)).await?;
    Ok(())
}

/// Ends every session of a user, on every replica.
pub async fn end_all(core: &Core, user_id: &str) -> Result<()> {
    core.cache
        .incr(&generation_key(user_id), 1, GENERATION_WINDOW)
        .await?;
    Ok(())
}

/// The `Set-Cookie` value that stores `id` (secure when the server is reached over https).
pub fn cookie(core: &Core, id: &str) -> String {
    let secure = if core.config.public_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        LIFETIME.as_secs()
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(core: &Core) -> String {
    let secure = if core.config.public_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The session id in a `Cookie` header, if any.
pub fn from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::from_cookie_header;

    #[test]
    fn finds_the_session_among_other_cookies() {
        assert_eq!(
            from_cookie_header("a=1; fleck_session=abc; b=2"),
            Some("abc")
        );
        assert_eq!(from_cookie_header("fleck_session="), None);
        assert_eq!(from_cookie_header("other=1"), None);
    }
}
