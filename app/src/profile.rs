//! The server functions of `/profile` (`pages/profile/`): the signed-in user's own account,
//! profile, password, personal access tokens and the apps they let act for them. Every function
//! asks `fleck_core` (its `authz` rules, token scopes and services), as the GraphQL API does for
//! the same operations.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::shared::server as shared;
use crate::shared::Outcome;

/// The profile as its owner edits it; empty strings for fields never filled in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub name: String,
    pub email: String,
    pub verified: bool,
    pub bio: String,
    pub company: String,
    pub avatar: String,
}

/// A personal access token as its owner sees it: never the secret, only its last characters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: String,
    pub name: String,
    pub last_chars: String,
    pub scopes: Vec<String>,
    /// RFC 3339 times.
    pub created: String,
    pub last_used: Option<String>,
    pub expires: Option<String>,
}

/// A scope a personal token may be given.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScopeChoice {
    pub name: String,
    pub description: String,
    /// Among the scopes the desktop connectors need.
    pub for_connectors: bool,
}

/// The user's tokens, the scopes new ones may have, and a token created by a plain form post
/// (before the page's script ran), which the page shows once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tokens {
    pub tokens: Vec<TokenSummary>,
    pub scopes: Vec<ScopeChoice>,
    pub just_created: Option<String>,
}

/// An app holding access to the user's account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuthorizedApp {
    pub id: String,
    pub name: String,
    pub description: String,
}

/// A new token (shown once), or what the person should change.
pub type Created = Result<String, String>;

/// Lifespans offered for new tokens, in days; `None` never expires.
pub const LIFESPANS: [(Option<u32>, &str); 5] = [
    (Some(7), "1 week"),
    (Some(30), "30 days"),
    (Some(90), "90 days"),
    (Some(365), "1 year"),
    (None, "Never expires"),
];

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use fleck_core::auth::Principal;
    use fleck_core::auth::{Actor, Scope};
    use leptos::prelude::ServerFnError;

    use crate::shared::server::actor;

    /// The caller when their token carries `scope` (web sessions carry every scope).
    pub async fn principal_with(scope: Scope) -> Result<Principal, ServerFnError> {
        match actor().await? {
            Actor::User(principal) if principal.has(scope) => Ok(*principal),
            Actor::User(_) => Err(ServerFnError::new(format!(
                "Your token lacks the {scope} scope."
            ))),
            Actor::Anonymous => Err(ServerFnError::new("Please sign in first.")),
        }
    }
}

/// Where a token created by a plain form post waits, briefly, for the page to show it once.
#[cfg(feature = "ssr")]
const NEW_TOKEN_COOKIE: &str = "fleck_new_token";

#[server]
pub async fn my_profile() -> Result<Profile, ServerFnError> {
    use fleck_core::auth::Scope;
    let principal = server::principal_with(Scope::ProfileRead).await?;
    let show_email = principal.has(Scope::ProfileEmail);
    let user = principal.user;
    Ok(Profile {
        name: user.name,
        email: if show_email {
            user.email
        } else {
            String::new()
        },
        verified: user.verified,
        bio: user.bio.unwrap_or_default(),
        company: user.company.unwrap_or_default(),
        avatar: user.avatar.unwrap_or_default(),
    })
}

/// Saves the profile; an empty field clears it (the name excepted, which is required).
#[server]
pub async fn update_profile(
    name: String,
    company: String,
    bio: String,
    avatar: String,
) -> Result<Outcome, ServerFnError> {
    use fleck_core::users::{self, ProfileUpdate};
    let (core, actor) = shared::context().await?;
    let update = ProfileUpdate {
        name: Some(name),
        company: Some(company),
        bio: Some(bio),
        avatar: Some(avatar),
    };
    shared::stay(
        users::update_profile(&core, &actor, update).await,
        shared::refusal,
    )
}

/// Sets a new password after checking the current one. Other browsers signed in to the account
/// are signed out; this one gets a new session. App and personal tokens keep working.
#[server]
pub async fn change_password(
    current: String,
    password: String,
    confirm: String,
) -> Result<Outcome, ServerFnError> {
    use crate::auth::server::start_session;
    use crate::shared::server::{finish, Failure};
    use fleck_core::auth::accounts;
    let (core, actor) = shared::context().await?;
    finish(
        async {
            if password != confirm {
                return Err(Failure::User("The two new passwords differ.".into()));
            }
            accounts::change_password(&core, &actor, &current, &password)
                .await
                .map_err(shared::refusal)?;
            // This browser stays signed in, with a new session.
            if let Some(principal) = actor.principal().filter(|p| p.via_session) {
                start_session(&core, &principal.user).await?;
            }
            Ok(None)
        }
        .await,
    )
}

#[server]
pub async fn personal_tokens() -> Result<Tokens, ServerFnError> {
    use fleck_core::auth::Scope;
    use fleck_core::authz::{self, Action};
    let (core, actor) = shared::context().await?;
    authz::authorize(&actor, Action::ManageOwnTokens, None).map_err(shared::refused)?;
    let Some(principal) = actor.principal() else {
        return Err(ServerFnError::new("Please sign in first."));
    };
    let stored = fleck_core::auth::flow::own_tokens(&core, &actor)
        .await
        .map_err(shared::refused)?;
    let just_created =
        take_new_token(&core)?.filter(|token| stored.iter().any(|t| token.starts_with(&t.id)));
    let tokens = stored
        .into_iter()
        .map(|t| TokenSummary {
            scopes: t.scopes.iter().map(|s| s.name().to_string()).collect(),
            created: t.created_at.to_rfc3339(),
            last_used: t.last_used_at.map(|at| at.to_rfc3339()),
            expires: t.expires_at.map(|at| at.to_rfc3339()),
            id: t.id,
            name: t.name,
            last_chars: t.last_chars,
        })
        .collect();
    // The scopes core offers in the personal token UI, of those the caller holds.
    let scopes = Scope::ALL
        .iter()
        .filter(|s| s.public() && principal.has(**s))
        .map(|s| ScopeChoice {
            name: s.name().to_string(),
            description: s.description().to_string(),
            for_connectors: fleck_core::auth::apps::CONNECTOR_SCOPES.contains(s),
        })
        .collect();
    Ok(Tokens {
        tokens,
        scopes,
        just_created,
    })
}

/// The token a plain form post just created, taken out of its cookie (page loads only: the
/// cookie's path keeps it off server-function requests).
#[cfg(feature = "ssr")]
fn take_new_token(core: &fleck_core::Core) -> Result<Option<String>, ServerFnError> {
    let Some(parts) = use_context::<http::request::Parts>() else {
        return Ok(None);
    };
    let token = parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NEW_TOKEN_COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|value| fleck_core::auth::tokens::split(value).is_some());
    if token.is_some() {
        crate::shared::server::set_cookie(&new_token_cookie(core, "", 0))?;
    }
    Ok(token)
}

#[cfg(feature = "ssr")]
fn new_token_cookie(core: &fleck_core::Core, value: &str, max_age: u32) -> String {
    let secure = if core.config.public_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!("{NEW_TOKEN_COOKIE}={value}; Path=/profile; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}

/// Creates a personal access token. `lifespan` is a number of days, or empty for none.
#[server]
pub async fn create_token(
    name: String,
    scopes: Option<Vec<String>>,
    lifespan: String,
) -> Result<Created, ServerFnError> {
    use crate::shared::server::{set_cookie, Failure};
    use fleck_core::auth::{flow, Scope};
    let (core, actor) = shared::context().await?;
    shared::answer(
        async {
            let scopes = scopes
                .unwrap_or_default()
                .iter()
                .map(|s| s.parse::<Scope>())
                .collect::<Result<Vec<_>, _>>()?;
            let lifespan = match lifespan.trim() {
                "" => None,
                days => match days.parse::<u64>() {
                    Ok(days @ 1..=3650) => Some(std::time::Duration::from_secs(days * 24 * 3600)),
                    _ => return Err(Failure::User("Choose a lifespan from the list.".into())),
                },
            };
            let request = flow::TokenRequest {
                name,
                scopes,
                lifespan,
                projects: None,
            };
            let token = flow::create_own_token(&core, &actor, request)
                .await
                .map_err(shared::refusal)?;
            if shared::plain_form().await.unwrap_or(false) {
                set_cookie(&new_token_cookie(&core, &token, 120))?;
            }
            Ok(token)
        }
        .await,
    )
}

/// Revokes one of the caller's personal tokens, as `apiTokenRevoke` does.
#[server]
pub async fn revoke_token(id: String) -> Result<Outcome, ServerFnError> {
    use crate::shared::server::{finish, Failure};
    use fleck_core::auth::flow;
    let (core, actor) = shared::context().await?;
    finish(match flow::revoke_own_token(&core, &actor, &id).await {
        Ok(()) => Ok(None),
        Err(fleck_core::Error::NotFound(_)) => Err(Failure::User("There is no such token.".into())),
        Err(other) => Err(shared::refusal(other)),
    })
}

#[server]
pub async fn authorized_apps() -> Result<Vec<AuthorizedApp>, ServerFnError> {
    use fleck_core::auth::apps;
    let (core, actor) = shared::context().await?;
    let apps = apps::authorized_by_caller(&core, &actor)
        .await
        .map_err(shared::refused)?;
    Ok(apps
        .into_iter()
        .map(|app| AuthorizedApp {
            id: app.id,
            name: app.name,
            description: app.description,
        })
        .collect())
}

/// Ends an app's access to the caller's account: its tokens stop working.
#[server]
pub async fn revoke_app(app_id: String) -> Result<Outcome, ServerFnError> {
    use fleck_core::auth::apps;
    let (core, actor) = shared::context().await?;
    shared::stay(
        apps::revoke_access(&core, &actor, &app_id).await,
        shared::refusal,
    )
}

/// Which comment e-mails the caller gets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MailChoices {
    /// When someone mentions them in a comment.
    pub mentions: bool,
    /// When someone replies in a thread they started or answered.
    pub replies: bool,
}

#[server]
pub async fn my_mail_choices() -> Result<MailChoices, ServerFnError> {
    use fleck_core::comments::notify;
    let (core, actor) = shared::context().await?;
    let chosen = notify::preferences(&core, &actor)
        .await
        .map_err(shared::refused)?;
    let email = |kind: &str| {
        chosen
            .pointer(&format!("/{kind}/email"))
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(true)
    };
    Ok(MailChoices {
        mentions: email(notify::MENTIONED),
        replies: email(notify::REPLIED),
    })
}

/// Saves which comment e-mails the caller gets; a box left unticked is not sent, so `None`.
#[server]
pub async fn save_mail_choices(
    mentions: Option<String>,
    replies: Option<String>,
) -> Result<Outcome, ServerFnError> {
    use fleck_core::comments::notify;
    let (core, actor) = shared::context().await?;
    let choice = |ticked: Option<String>| serde_json::json!({ "email": ticked.is_some() });
    let update = serde_json::Value::Object(
        [
            (notify::MENTIONED.to_string(), choice(mentions)),
            (notify::REPLIED.to_string(), choice(replies)),
        ]
        .into_iter()
        .collect(),
    );
    shared::stay(
        notify::update_preferences(&core, &actor, update).await,
        shared::refusal,
    )
}
