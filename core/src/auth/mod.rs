//! Identity: tokens and their scopes, the apps clients log in through, and the records of the
//! login flow (authorization codes, refresh tokens).

pub mod accounts;
pub mod actor;
pub mod apps;
pub mod emails;
pub mod flow;
pub mod invites;
pub mod links;
pub mod scopes;
pub mod sessions;
pub mod store;
pub mod tokens;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use actor::{Actor, Principal};
pub use scopes::Scope;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Made by a user for scripts and integrations; listed and revoked by them.
    Personal,
    /// Issued to an app at the end of the login flow.
    App,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Personal => "personal",
            TokenKind::App => "app",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "personal" => Some(TokenKind::Personal),
            "app" => Some(TokenKind::App),
            _ => None,
        }
    }
}

/// An API token as stored: the secret only as its digest.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiToken {
    pub id: String,
    pub digest: String,
    pub last_chars: String,
    pub owner_id: String,
    pub name: String,
    pub kind: TokenKind,
    pub app_id: Option<String>,
    pub scopes: Vec<Scope>,
    pub created_at: DateTime<Utc>,
    /// `None`: never expires.
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    /// The only projects the token may act on; `None`: any the owner may.
    pub projects: Option<Vec<String>>,
}

impl ApiToken {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_some_and(|at| at <= now)
    }
}

/// An app users log in to Fleck through (the web app, connectors, third-party tools).
#[derive(Clone, Debug, PartialEq)]
pub struct ServerApp {
    pub id: String,
    pub secret: String,
    pub name: String,
    pub description: String,
    pub terms_url: Option<String>,
    pub logo: Option<String>,
    pub public: bool,
    pub trust_by_default: bool,
    pub redirect_url: String,
    pub scopes: Vec<Scope>,
    pub author_id: Option<String>,
}

/// How far the tokens made from an access code or a refresh token reach: never further than
/// the sign-in or token that approved the app.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Grant {
    /// `None`: all the app's scopes (a password sign-in, or a row stored before grants existed).
    pub scopes: Option<Vec<Scope>>,
    /// The only projects the tokens may act on; `None`: any the user may.
    pub projects: Option<Vec<String>>,
}

impl Grant {
    /// The scopes an app's token gets under this grant.
    pub fn scopes_for(&self, app: &ServerApp) -> Vec<Scope> {
        match &self.scopes {
            Some(granted) => app
                .scopes
                .iter()
                .filter(|s| granted.contains(s))
                .copied()
                .collect(),
            None => app.scopes.clone(),
        }
    }
}

/// A single-use code proving a user approved an app, bound to the app's challenge.
#[derive(Clone, Debug, PartialEq)]
pub struct AuthCode {
    pub app_id: String,
    pub user_id: String,
    pub challenge: String,
    pub expires_at: DateTime<Utc>,
    pub grant: Grant,
}

/// Lets an app get a new access token without the user logging in again. Each use replaces it
/// with a new one.
#[derive(Clone, Debug, PartialEq)]
pub struct RefreshToken {
    pub id: String,
    pub digest: String,
    pub app_id: String,
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
    pub grant: Grant,
    /// When this token was used and replaced; `None` while it is the family's current one.
    pub replaced_at: Option<DateTime<Utc>>,
}

/// An invitation to join the server with a role.
#[derive(Clone, Debug, PartialEq)]
pub struct Invite {
    pub id: String,
    pub token_digest: String,
    pub email: String,
    pub inviter_id: String,
    pub server_role: crate::users::ServerRole,
    pub message: Option<String>,
    pub created_at: DateTime<Utc>,
}
