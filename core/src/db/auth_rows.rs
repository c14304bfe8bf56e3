//! Rows of the identity tables as both databases return them, generic over how each stores
//! times, and how both store the parts that are not plain columns: scopes as one
//! space-separated text, project limits as a JSON array.

use crate::auth::store::EmailLink;
use crate::auth::{scopes, ApiToken, Grant, Invite, ServerApp, TokenKind};
use crate::db::dialect::StoredTime;
use crate::error::{Error, Result};

pub fn projects_to_db(projects: Option<&Vec<String>>) -> Option<String> {
    projects.map(|p| serde_json::Value::from(p.clone()).to_string())
}

/// A limit that cannot be read stays a limit: it reaches no project rather than every one.
pub fn projects_from_db(stored: Option<String>) -> Option<Vec<String>> {
    stored.map(|p| serde_json::from_str(&p).unwrap_or_default())
}

pub fn grant_scopes(grant: &Grant) -> Option<String> {
    grant.scopes.as_deref().map(scopes::join)
}

pub fn grant_projects(grant: &Grant) -> Option<String> {
    projects_to_db(grant.projects.as_ref())
}

pub fn grant(scopes: Option<String>, projects: Option<String>) -> Grant {
    Grant {
        scopes: scopes.as_deref().map(scopes::split),
        projects: projects_from_db(projects),
    }
}

pub const TOKEN_COLUMNS: &str =
    "id, digest, last_chars, owner_id, name, kind, app_id, scopes, created_at, expires_at, last_used_at, projects";
pub const APP_COLUMNS: &str =
    "id, secret, name, description, terms_url, logo, public, trust_by_default, redirect_url, scopes, author_id";
pub const INVITE_COLUMNS: &str =
    "id, token_digest, email, inviter_id, server_role, message, created_at";

#[derive(sqlx::FromRow)]
pub struct TokenRow<T> {
    id: String,
    digest: String,
    last_chars: String,
    owner_id: String,
    name: String,
    kind: String,
    app_id: Option<String>,
    scopes: String,
    created_at: T,
    expires_at: Option<T>,
    last_used_at: Option<T>,
    projects: Option<String>,
}

impl<T: StoredTime> TryFrom<TokenRow<T>> for ApiToken {
    type Error = Error;

    fn try_from(row: TokenRow<T>) -> Result<Self> {
        Ok(ApiToken {
            kind: TokenKind::parse(&row.kind)
                .ok_or_else(|| Error::invalid("token kind", row.kind.clone()))?,
            id: row.id,
            digest: row.digest,
            last_chars: row.last_chars,
            owner_id: row.owner_id,
            name: row.name,
            app_id: row.app_id,
            scopes: scopes::split(&row.scopes),
            created_at: row.created_at.into_utc(),
            expires_at: row.expires_at.map(StoredTime::into_utc),
            last_used_at: row.last_used_at.map(StoredTime::into_utc),
            projects: projects_from_db(row.projects),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct AppRow {
    id: String,
    secret: String,
    name: String,
    description: String,
    terms_url: Option<String>,
    logo: Option<String>,
    public: bool,
    trust_by_default: bool,
    redirect_url: String,
    scopes: String,
    author_id: Option<String>,
}

impl From<AppRow> for ServerApp {
    fn from(row: AppRow) -> Self {
        ServerApp {
            id: row.id,
            secret: row.secret,
            name: row.name,
            description: row.description,
            terms_url: row.terms_url,
            logo: row.logo,
            public: row.public,
            trust_by_default: row.trust_by_default,
            redirect_url: row.redirect_url,
            scopes: scopes::split(&row.scopes),
            author_id: row.author_id,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct InviteRow<T> {
    id: String,
    token_digest: String,
    email: String,
    inviter_id: String,
    server_role: String,
    message: Option<String>,
    created_at: T,
}

impl<T: StoredTime> TryFrom<InviteRow<T>> for Invite {
    type Error = Error;

    fn try_from(row: InviteRow<T>) -> Result<Self> {
        Ok(Invite {
            server_role: row.server_role.parse()?,
            id: row.id,
            token_digest: row.token_digest,
            email: row.email,
            inviter_id: row.inviter_id,
            message: row.message,
            created_at: row.created_at.into_utc(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct LinkRow<T> {
    user_id: String,
    email: String,
    expires_at: T,
}

impl<T: StoredTime> From<LinkRow<T>> for EmailLink {
    fn from(row: LinkRow<T>) -> Self {
        EmailLink {
            user_id: row.user_id,
            email: row.email,
            expires_at: row.expires_at.into_utc(),
        }
    }
}
