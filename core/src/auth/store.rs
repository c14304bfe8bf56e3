//! `AuthStore`: tokens, apps and login-flow records in the metadata database.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{ApiToken, AuthCode, Invite, RefreshToken, ServerApp, TokenKind};

/// The single-use links Fleck e-mails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    VerifyEmail,
    ResetPassword,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::VerifyEmail => "verify_email",
            LinkKind::ResetPassword => "reset_password",
        }
    }
}

/// A link taken from the store: whose it is, the address it was sent to, until when it works.
#[derive(Clone, Debug, PartialEq)]
pub struct EmailLink {
    pub user_id: String,
    pub email: String,
    pub expires_at: DateTime<Utc>,
}
use crate::error::Result;

#[async_trait]
pub trait AuthStore: Send + Sync + 'static {
    async fn insert_api_token(&self, token: &ApiToken) -> Result<()>;

    async fn api_token(&self, id: &str) -> Result<Option<ApiToken>>;

    /// Records that the token was just used.
    async fn touch_api_token(&self, id: &str, at: DateTime<Utc>) -> Result<()>;

    /// `true` when the token existed.
    async fn delete_api_token(&self, id: &str) -> Result<bool>;

    /// A user's tokens of one kind, newest first.
    async fn api_tokens_of(&self, owner_id: &str, kind: TokenKind) -> Result<Vec<ApiToken>>;

    /// Ends every app session of a user (password reset): app tokens, refresh tokens and codes.
    async fn delete_app_sessions(&self, user_id: &str) -> Result<()>;

    /// Creates or updates an app, keeping the tokens already issued to it.
    async fn upsert_app(&self, app: &ServerApp) -> Result<()>;

    async fn app(&self, id: &str) -> Result<Option<ServerApp>>;

    /// Every public app, by name.
    async fn public_apps(&self) -> Result<Vec<ServerApp>>;

    /// The apps holding an access token for this user, by name.
    async fn authorized_apps(&self, user_id: &str) -> Result<Vec<ServerApp>>;

    /// Ends an app's access to a user's account: its tokens, refresh tokens and codes.
    async fn revoke_app_access(&self, user_id: &str, app_id: &str) -> Result<()>;

    async fn insert_auth_code(&self, digest: &str, code: &AuthCode) -> Result<()>;

    /// Removes and returns the code: a code works once.
    async fn take_auth_code(&self, digest: &str) -> Result<Option<AuthCode>>;

    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<()>;

    async fn refresh_token(&self, id: &str) -> Result<Option<RefreshToken>>;

    async fn delete_refresh_token(&self, id: &str) -> Result<bool>;

    /// Marks a refresh token replaced at `at`, unless it already was.
    async fn replace_refresh_token(&self, id: &str, at: DateTime<Utc>) -> Result<()>;

    /// Stores a single-use link sent to `link.email`.
    async fn insert_link(&self, kind: LinkKind, digest: &str, link: &EmailLink) -> Result<()>;

    /// The link with this digest, left in place (to check it before doing costly work).
    async fn link(&self, kind: LinkKind, digest: &str) -> Result<Option<EmailLink>>;

    /// Removes and returns a link: it works once.
    async fn take_link(&self, kind: LinkKind, digest: &str) -> Result<Option<EmailLink>>;

    /// Removes every link of this kind for the user (a new one replaces them; a reset ends them).
    async fn delete_links(&self, kind: LinkKind, user_id: &str) -> Result<()>;

    /// Marks the user verified when `email` is still their address; `true` when it was.
    async fn mark_verified(&self, user_id: &str, email: &str) -> Result<bool>;

    async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<()>;

    async fn insert_invite(&self, invite: &Invite) -> Result<()>;

    async fn invite(&self, id: &str) -> Result<Option<Invite>>;

    async fn invite_by_token(&self, token_digest: &str) -> Result<Option<Invite>>;

    /// Every pending invite to the server, newest first.
    async fn invites(&self) -> Result<Vec<Invite>>;

    /// Gives an invite a new link (resending it); `false` when it no longer exists.
    async fn replace_invite_token(&self, id: &str, token_digest: &str) -> Result<bool>;

    async fn delete_invite(&self, id: &str) -> Result<bool>;

    /// Removes every invite to this address (it has registered).
    async fn delete_invites_for(&self, email: &str) -> Result<()>;

    /// The id and stored password hash of the user with this e-mail.
    async fn password_hash(&self, email: &str) -> Result<Option<(String, Option<String>)>>;
}
