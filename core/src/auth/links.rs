//! E-mail verification and password reset: expiring links sent by mail (through the job queue,
//! so a slow mail server never holds up the request). A reset link works once; a verification
//! link until it expires or a newer one is sent.

use std::time::Duration;

use chrono::Utc;

use super::store::{EmailLink, LinkKind};
use super::{tokens, Actor};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::users::{hash_password_off_workers, ServerRole, User};

pub const VERIFY_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
pub const RESET_LIFETIME: Duration = Duration::from_secs(3600);

/// Where the web app lets people choose a new password.
pub const RESET_PAGE: &str = "/authn/reset-password";
/// Where verification links point.
pub const VERIFY_PATH: &str = "/auth/verifyemail";

async fn new_link(core: &Core, kind: LinkKind, user: &User, lifetime: Duration) -> Result<String> {
    core.auth.delete_links(kind, &user.id).await?;
    let token = crate::ids::random_string(tokens::SECRET_LEN);
    let link = EmailLink {
        user_id: user.id.clone(),
        email: user.email.clone(),
        expires_at: Utc::now() + chrono::Duration::from_std(lifetime).unwrap_or_default(),
    };
    core.auth
        .insert_link(kind, &tokens::digest(&token), &link)
        .await?;
    Ok(token)
}

fn url(core: &Core, path: &str, param: &str, token: &str) -> String {
    let mut url = core.config.public_url.clone();
    url.set_path(path);
    url.query_pairs_mut().append_pair(param, token);
    url.to_string()
}

/// The caller asks for a new verification link (a few an hour at most).
pub async fn request_verification(core: &Core, actor: &Actor) -> Result<()> {
    crate::authz::authorize(actor, crate::authz::Action::RequestVerification, None)?;
    let user = &crate::projects::service::principal(actor)?.user;
    core.rate_limiter
        .spend(crate::ratelimit::Action::VerificationEmail, &user.id)
        .await?;
    send_verification(core, user).await
}

/// Sends `user` a new verification link; earlier ones stop working.
pub(crate) async fn send_verification(core: &Core, user: &User) -> Result<()> {
    if user.verified {
        return Err(Error::invalid("email", "this address is already verified"));
    }
    let token = new_link(core, LinkKind::VerifyEmail, user, VERIFY_LIFETIME).await?;
    let link = url(core, VERIFY_PATH, "t", &token);
    super::emails::verify_email(&user.email, &user.name, &link)
        .enqueue(&core.jobs)
        .await?;
    Ok(())
}

/// The link, when it can still be used; otherwise why not (unknown, used, expired).
fn usable(link: Option<EmailLink>, what: &str) -> Result<EmailLink> {
    let link = link.ok_or_else(|| {
        Error::invalid(
            "link",
            format!("this {what} link is invalid or was already used"),
        )
    })?;
    if link.expires_at <= Utc::now() {
        return Err(Error::invalid(
            "link",
            format!("this {what} link has expired; ask for a new one"),
        ));
    }
    Ok(link)
}

/// Takes a link by its token: it works once and until it expires. `what` names the link in
/// the messages ("verification", "reset").
async fn use_link(core: &Core, kind: LinkKind, token: &str, what: &str) -> Result<EmailLink> {
    let link = core.auth.take_link(kind, &tokens::digest(token)).await?;
    usable(link, what)
}

/// Checks a link by its token without using it up.
async fn check_link(core: &Core, kind: LinkKind, token: &str, what: &str) -> Result<EmailLink> {
    let link = core.auth.link(kind, &tokens::digest(token)).await?;
    usable(link, what)
}

/// Uses a verification link; returns the now verified user. Verifying is idempotent, so the
/// link keeps working until it expires or a newer one is sent: a second click (mail clients
/// and scanners open links too) shows the address verified, not an error.
pub async fn verify_email(core: &Core, token: &str) -> Result<User> {
    let link = check_link(core, LinkKind::VerifyEmail, token, "verification").await?;
    if !core.auth.mark_verified(&link.user_id, &link.email).await? {
        return Err(Error::invalid(
            "link",
            "the account's address changed since this link was sent",
        ));
    }
    core.store
        .user_by_id(&link.user_id)
        .await?
        .ok_or_else(|| Error::NotFound("user".into()))
}

/// Mails a reset link when `email` belongs to an active account. Says nothing either way, so
/// the answer does not reveal which addresses have accounts.
pub async fn request_password_reset(core: &Core, email: &str) -> Result<()> {
    let Ok(email) = crate::users::normalize_email(email) else {
        return Ok(());
    };
    let Some(user) = core.store.user_by_email(&email).await? else {
        return Ok(());
    };
    if user.role == ServerRole::Archived {
        return Ok(());
    }
    let token = new_link(core, LinkKind::ResetPassword, &user, RESET_LIFETIME).await?;
    let link = url(core, RESET_PAGE, "token", &token);
    super::emails::reset_password(&user.email, &user.name, &link)
        .enqueue(&core.jobs)
        .await?;
    Ok(())
}

/// Sets a new password with a reset link, and ends every session of the account (web sessions,
/// app tokens, refresh tokens, pending codes); personal access tokens stay, as their owner made
/// them.
pub async fn reset_password(core: &Core, token: &str, password: &str) -> Result<User> {
    // The link first: hashing costs 19 MiB and tens of milliseconds, which nobody without a
    // valid link may spend. The link stays usable when the new password is refused.
    check_link(core, LinkKind::ResetPassword, token, "reset").await?;
    let hash = hash_password_off_workers(password).await?;
    let link = use_link(core, LinkKind::ResetPassword, token, "reset").await?;
    core.auth.set_password_hash(&link.user_id, &hash).await?;
    core.auth
        .delete_links(LinkKind::ResetPassword, &link.user_id)
        .await?;
    core.auth.delete_app_sessions(&link.user_id).await?;
    super::sessions::end_all(core, &link.user_id).await?;
    core.store
        .user_by_id(&link.user_id)
        .await?
        .ok_or_else(|| Error::NotFound("user".into()))
}
