//! The login flow Speckle clients use, and bearer-token authentication:
//! credentials → access code (bound to the app and its challenge) → `{token, refreshToken}`;
//! refresh → a new pair; every request → `authenticate(token)`.

use std::time::Duration;

use chrono::Utc;
use serde::Serialize;
use subtle::ConstantTimeEq;

use super::tokens::{self, IssuedToken};
use super::{
    Actor, ApiToken, AuthCode, Grant, Principal, RefreshToken, Scope, ServerApp, TokenKind,
};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::ratelimit::Action;
use crate::users::{verify_password, User};

/// How long an access code may wait to be exchanged.
pub const CODE_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// How long a refresh token stays usable.
pub const REFRESH_LIFETIME: Duration = Duration::from_secs(180 * 24 * 3600);
/// The most projects one token may be limited to.
pub const MAX_TOKEN_PROJECTS: usize = 100;
/// How long a replaced refresh token is still accepted.
pub const REFRESH_GRACE: Duration = Duration::from_secs(60);

/// The error every unusable token gets, as Speckle's clients expect it.
pub const INVALID_TOKEN: &str = "Your token is not valid.";

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenPair {
    pub token: String,
    pub refresh_token: String,
}

fn later(lifetime: Duration) -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(lifetime).unwrap_or_default()
}

/// The active user with this e-mail and password. `None` for any mismatch, unknown e-mail
/// included, and for archived accounts; it takes as long either way so responses do not reveal
/// which addresses have accounts. Failed attempts count per account (`FailedLogin`), known or
/// not, so guessing one account's password from many addresses ends in `RateLimited` too; a
/// correct password clears the count.
pub async fn check_credentials(core: &Core, email: &str, password: &str) -> Result<Option<User>> {
    let account =
        crate::users::normalize_email(email).unwrap_or_else(|_| email.trim().to_lowercase());
    core.rate_limiter
        .check(Action::FailedLogin, &account)
        .await?;
    let stored = core.auth.password_hash(email).await?;
    let (user_id, hash) = match stored {
        Some((id, Some(hash))) => (Some(id), Some(hash)),
        _ => (None, None),
    };
    let password = password.to_string();
    // argon2 takes tens of milliseconds of CPU (the dummy hash too, the first time): keep it
    // off the async workers.
    let matches = tokio::task::spawn_blocking(move || {
        verify_password(&password, hash.as_deref().unwrap_or_else(|| dummy_hash()))
    })
    .await
    .map_err(|e| Error::backend("checking a password", e))?;
    match (user_id, matches) {
        (Some(id), true) => {
            core.rate_limiter
                .reset(Action::FailedLogin, &account)
                .await?;
            Ok(core
                .store
                .user_by_id(&id)
                .await?
                .filter(|user| user.role != crate::users::ServerRole::Archived))
        }
        _ => {
            // Over the limit already (another attempt raced this one): the next check refuses.
            match core.rate_limiter.spend(Action::FailedLogin, &account).await {
                Ok(_) | Err(Error::RateLimited { .. }) => {}
                Err(e) => return Err(e),
            }
            Ok(None)
        }
    }
}

/// An argon2id hash of a random string: verifying against it costs what a real check costs.
fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| {
        crate::users::hash_password(&crate::ids::random_hex(16))
            .expect("hashing a long random string")
    })
}

/// A single-use code that lets `app_id` obtain a token for `user_id` with the same `challenge`,
/// right after the user proved their password: the app gets all its scopes.
pub async fn issue_code(
    core: &Core,
    app_id: &str,
    user_id: &str,
    challenge: &str,
) -> Result<String> {
    store_code(core, app_id, user_id, challenge, Grant::default()).await
}

/// The signed-in caller lets `app_id` act for them. Only a web session or a token that may
/// create tokens (`tokens:write`) can do this, and the app's tokens never reach further than
/// the caller's own: the scopes both have, and the caller's project limit.
pub async fn authorize_app(
    core: &Core,
    actor: &Actor,
    app_id: &str,
    challenge: &str,
) -> Result<String> {
    let principal = actor
        .principal()
        .ok_or_else(|| Error::Forbidden("sign in to authorize an app".into()))?;
    if !principal.via_session && !principal.has(Scope::TokensWrite) {
        return Err(Error::Forbidden(
            "the token may not authorize apps (tokens:write)".into(),
        ));
    }
    let grant = Grant {
        scopes: Some(principal.scopes.clone()),
        projects: principal.projects.clone(),
    };
    store_code(core, app_id, &principal.user.id, challenge, grant).await
}

async fn store_code(
    core: &Core,
    app_id: &str,
    user_id: &str,
    challenge: &str,
    grant: Grant,
) -> Result<String> {
    if challenge.is_empty() {
        return Err(Error::invalid("challenge", "a challenge is required"));
    }
    core.auth
        .app(app_id)
        .await?
        .ok_or_else(|| Error::invalid("appId", format!("no app {app_id:?}")))?;
    let code = crate::ids::random_string(42);
    let record = AuthCode {
        app_id: app_id.into(),
        user_id: user_id.into(),
        challenge: challenge.into(),
        expires_at: later(CODE_LIFETIME),
        grant,
    };
    core.auth
        .insert_auth_code(&tokens::digest(&code), &record)
        .await?;
    Ok(code)
}

async fn checked_app(core: &Core, app_id: &str, app_secret: &str) -> Result<ServerApp> {
    let app = core.auth.app(app_id).await?;
    match app {
        Some(app) if bool::from(app.secret.as_bytes().ct_eq(app_secret.as_bytes())) => Ok(app),
        _ => Err(Error::Forbidden("invalid app id or secret".into())),
    }
}

/// Exchanges an access code for an app token and a refresh token. Once its app (id and
/// secret) presents it, the code is used up even when the challenge is wrong, so a stolen code
/// cannot be tried twice; callers without the app's secret cannot burn other people's codes.
pub async fn exchange_code(
    core: &Core,
    app_id: &str,
    app_secret: &str,
    code: &str,
    challenge: &str,
) -> Result<TokenPair> {
    let app = checked_app(core, app_id, app_secret).await?;
    let record = core
        .auth
        .take_auth_code(&tokens::digest(code))
        .await?
        .ok_or_else(|| Error::Forbidden("access code not found".into()))?;
    if record.app_id != app.id {
        return Err(Error::Forbidden(
            "the access code belongs to another app".into(),
        ));
    }
    if record.expires_at <= Utc::now() {
        return Err(Error::Forbidden("the access code has expired".into()));
    }
    if !bool::from(record.challenge.as_bytes().ct_eq(challenge.as_bytes())) {
        return Err(Error::Forbidden("invalid challenge".into()));
    }
    issue_pair(core, &app, &record.user_id, &record.grant).await
}

/// A new token pair for the holder of a valid refresh token, which it replaces. A replaced
/// token still works for `REFRESH_GRACE` (a client that lost the answer may ask again); used
/// later, it must be a copy someone else kept, and every token the app holds for the user
/// (access and refresh) stops working.
pub async fn refresh(
    core: &Core,
    app_id: &str,
    app_secret: &str,
    refresh_token: &str,
) -> Result<TokenPair> {
    let app = checked_app(core, app_id, app_secret).await?;
    let invalid = || Error::Forbidden("invalid refresh token".into());
    let (id, secret) = tokens::split(refresh_token).ok_or_else(invalid)?;
    let stored = core.auth.refresh_token(id).await?.ok_or_else(invalid)?;
    if !tokens::secret_matches(secret, &stored.digest) || stored.app_id != app.id {
        return Err(invalid());
    }
    let now = Utc::now();
    if stored.expires_at <= now {
        core.auth.delete_refresh_token(id).await?;
        return Err(Error::Forbidden("the refresh token has expired".into()));
    }
    let replaced_long_ago = |at: chrono::DateTime<Utc>| {
        now - at > chrono::Duration::from_std(REFRESH_GRACE).unwrap_or_default()
    };
    match stored.replaced_at {
        Some(at) if replaced_long_ago(at) => {
            core.auth
                .revoke_app_access(&stored.user_id, &app.id)
                .await?;
            tracing::warn!(user = %stored.user_id, app = %app.id, "a replaced refresh token was used again; the app's access is revoked");
            return Err(invalid());
        }
        Some(_) => {}
        None => {
            // Two refreshes racing with one token: only one replaces it; the other is within
            // the grace period and gets a pair too.
            core.auth.replace_refresh_token(id, now).await?;
        }
    }
    issue_pair(core, &app, &stored.user_id, &stored.grant).await
}

async fn issue_pair(
    core: &Core,
    app: &ServerApp,
    user_id: &str,
    grant: &Grant,
) -> Result<TokenPair> {
    let access = IssuedToken::new();
    core.auth
        .insert_api_token(&ApiToken {
            id: access.id.clone(),
            digest: access.digest(),
            last_chars: access.last_chars(),
            owner_id: user_id.into(),
            name: format!("{}-token", app.name),
            kind: TokenKind::App,
            app_id: Some(app.id.clone()),
            scopes: grant.scopes_for(app),
            created_at: Utc::now(),
            expires_at: None,
            last_used_at: None,
            projects: grant.projects.clone(),
        })
        .await?;
    let refresh = IssuedToken::new();
    core.auth
        .insert_refresh_token(&RefreshToken {
            id: refresh.id.clone(),
            digest: refresh.digest(),
            app_id: app.id.clone(),
            user_id: user_id.into(),
            expires_at: later(REFRESH_LIFETIME),
            grant: grant.clone(),
            replaced_at: None,
        })
        .await?;
    Ok(TokenPair {
        token: access.token(),
        refresh_token: refresh.token(),
    })
}

/// A personal access token for `owner` (shown once). `scopes` must be within `allowed`, the
/// scopes of the token creating it, and may not include `tokens:write`.
pub async fn create_personal_token(
    core: &Core,
    owner: &User,
    name: &str,
    scopes: &[Scope],
    allowed: &[Scope],
    lifespan: Option<Duration>,
    projects: Option<Vec<String>>,
) -> Result<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 512 {
        return Err(Error::invalid(
            "name",
            "a token needs a name of at most 512 characters",
        ));
    }
    if scopes.is_empty() {
        return Err(Error::invalid("scopes", "choose at least one scope"));
    }
    if scopes.contains(&Scope::TokensWrite) {
        return Err(Error::Forbidden(
            "personal tokens cannot create other tokens (tokens:write)".into(),
        ));
    }
    if let Some(missing) = scopes.iter().find(|s| !allowed.contains(s)) {
        return Err(Error::Forbidden(format!(
            "you cannot grant {missing}, which you do not have"
        )));
    }
    if let Some(projects) = &projects {
        if projects.is_empty() || projects.len() > MAX_TOKEN_PROJECTS {
            return Err(Error::invalid(
                "limitResources",
                format!("list 1 to {MAX_TOKEN_PROJECTS} projects"),
            ));
        }
        for project in projects {
            if core.projects.role_of(project, &owner.id).await?.is_none() {
                return Err(Error::Forbidden(format!(
                    "you cannot limit a token to project {project}, which you are not a member of"
                )));
            }
        }
    }
    let issued = IssuedToken::new();
    let mut scopes = scopes.to_vec();
    scopes.sort();
    scopes.dedup();
    core.auth
        .insert_api_token(&ApiToken {
            id: issued.id.clone(),
            digest: issued.digest(),
            last_chars: issued.last_chars(),
            owner_id: owner.id.clone(),
            name: name.into(),
            kind: TokenKind::Personal,
            app_id: None,
            scopes,
            created_at: Utc::now(),
            expires_at: lifespan.map(later),
            last_used_at: None,
            projects,
        })
        .await?;
    Ok(issued.token())
}

/// A personal access token as its owner asks for it.
#[derive(Clone, Debug, Default)]
pub struct TokenRequest {
    pub name: String,
    pub scopes: Vec<Scope>,
    /// `None`: never expires.
    pub lifespan: Option<Duration>,
    /// The only projects the token may act on; `None`: as many as the token asking for it.
    pub projects: Option<Vec<String>>,
}

/// Creates a personal access token for the caller and returns it (shown once). It needs
/// `ManageOwnTokens` and spends a `TokenCreate` point; the new token's scopes must be within the
/// caller's, and a caller whose token is limited to some projects only makes tokens limited to
/// those (or fewer).
pub async fn create_own_token(core: &Core, actor: &Actor, request: TokenRequest) -> Result<String> {
    crate::authz::authorize(actor, crate::authz::Action::ManageOwnTokens, None)?;
    let principal = actor.signed_in()?;
    let projects = match (request.projects, &principal.projects) {
        (None, inherited) => inherited.clone(),
        (Some(asked), Some(reachable)) if asked.iter().any(|p| !reachable.contains(p)) => {
            return Err(Error::Forbidden(
                "your token cannot grant access to projects it cannot reach".into(),
            ))
        }
        (asked, _) => asked,
    };
    core.rate_limiter
        .spend(Action::TokenCreate, &principal.user.id)
        .await?;
    create_personal_token(
        core,
        &principal.user,
        &request.name,
        &request.scopes,
        &principal.scopes,
        request.lifespan,
        projects,
    )
    .await
}

/// Revokes one of the caller's personal tokens, given whole or by its id (`ManageOwnTokens`).
/// Anyone else's token, an app's token or an unknown one is `NotFound` alike.
pub async fn revoke_own_token(core: &Core, actor: &Actor, token: &str) -> Result<()> {
    crate::authz::authorize(actor, crate::authz::Action::ManageOwnTokens, None)?;
    let owner = actor.signed_in()?;
    let id: String = token.trim().chars().take(tokens::ID_LEN).collect();
    match core.auth.api_token(&id).await? {
        Some(stored) if stored.owner_id == owner.user.id && stored.kind == TokenKind::Personal => {
            if core.auth.delete_api_token(&id).await? {
                return Ok(());
            }
            Err(Error::NotFound("token".into()))
        }
        _ => Err(Error::NotFound("token".into())),
    }
}

/// The caller's personal access tokens (`ReadOwnTokens`).
pub async fn own_tokens(core: &Core, actor: &Actor) -> Result<Vec<ApiToken>> {
    crate::authz::authorize(actor, crate::authz::Action::ReadOwnTokens, None)?;
    let owner = actor.signed_in()?;
    core.auth
        .api_tokens_of(&owner.user.id, TokenKind::Personal)
        .await
}

/// The principal behind a bearer token; `Forbidden(INVALID_TOKEN)` for any token that is
/// malformed, unknown, revoked, expired, or whose owner is archived.
pub async fn authenticate(core: &Core, token: &str) -> Result<Principal> {
    let invalid = || Error::Forbidden(INVALID_TOKEN.into());
    let (id, secret) = tokens::split(token).ok_or_else(invalid)?;
    let stored = core.auth.api_token(id).await?.ok_or_else(invalid)?;
    if !tokens::secret_matches(secret, &stored.digest) {
        return Err(invalid());
    }
    let now = Utc::now();
    if stored.expired(now) {
        core.auth.delete_api_token(id).await?;
        return Err(invalid());
    }
    let user = core
        .store
        .user_by_id(&stored.owner_id)
        .await?
        .ok_or_else(invalid)?;
    if user.role == crate::users::ServerRole::Archived {
        return Err(invalid());
    }
    // Recording every use would write on every request; once a minute is enough to show activity.
    if stored
        .last_used_at
        .is_none_or(|at| now - at > chrono::Duration::minutes(1))
    {
        core.auth.touch_api_token(id, now).await?;
    }
    Ok(Principal {
        user,
        token_id: stored.id,
        scopes: stored.scopes,
        app_id: stored.app_id,
        via_session: false,
        projects: stored.projects,
    })
}

/// Whether a principal authenticated earlier (a WebSocket's, kept for the socket's life) may
/// still act: its token is neither revoked nor expired, and its owner is not archived.
pub async fn still_valid(core: &Core, principal: &Principal) -> Result<bool> {
    if !principal.via_session {
        match core.auth.api_token(&principal.token_id).await? {
            Some(token) if token.expires_at.is_none_or(|at| at > Utc::now()) => {}
            _ => return Ok(false),
        }
    }
    Ok(core
        .store
        .user_by_id(&principal.user.id)
        .await?
        .is_some_and(|user| user.role != crate::users::ServerRole::Archived))
}

/// Revokes a token (and a refresh token, when given) presented by its holder.
pub async fn logout(core: &Core, token: &str, refresh_token: Option<&str>) -> Result<()> {
    let principal = authenticate(core, token).await?;
    core.auth.delete_api_token(&principal.token_id).await?;
    if let Some((id, secret)) = refresh_token.and_then(tokens::split) {
        if let Some(stored) = core.auth.refresh_token(id).await? {
            if tokens::secret_matches(secret, &stored.digest) && stored.user_id == principal.user.id
            {
                core.auth.delete_refresh_token(id).await?;
            }
        }
    }
    Ok(())
}
