//! The server functions of the sign-in pages (`pages/auth.rs`): signing up, in and out of the
//! web app, and the account e-mails' pages. The session lives in an `HttpOnly` cookie;
//! everything here goes through `fleck_core`'s identity services.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::shared::server as shared;
use crate::shared::Outcome;

/// The signed-in user, as pages show them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub id: String,
    pub name: String,
    pub email: String,
    pub verified: bool,
    pub role: String,
}

/// An app asking to act for the user (desktop connectors, scripts).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppDetails {
    pub id: String,
    pub name: String,
    pub description: String,
    pub scopes: Vec<(String, String)>,
    pub redirect_host: String,
}

/// Only plain local paths are followed after signing in, so links cannot send people elsewhere:
/// one leading `/` (not `//` or `/\`, which browsers read as another host), and only visible
/// ASCII, as browsers drop tabs and line breaks (`/\t/evil.example` becomes `//evil.example`)
/// and a line break cannot go into a `Location` header.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if is_local_path(path) => path.to_string(),
        _ => "/".to_string(),
    }
}

fn is_local_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use fleck_core::auth::sessions;
    use fleck_core::Core;

    use super::SignedInUser;
    use crate::shared::server::{set_cookie, Failure};

    pub async fn start_session(core: &Core, user: &fleck_core::users::User) -> Result<(), Failure> {
        let id = sessions::start(core, user).await?;
        Ok(set_cookie(&sessions::cookie(core, &id))?)
    }

    pub fn view_of(user: &fleck_core::users::User) -> SignedInUser {
        SignedInUser {
            id: user.id.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            verified: user.verified,
            role: user.role.as_str().into(),
        }
    }
}

/// Who sent an invitation, to which address and (for a project invitation) to which project,
/// for the sign-up page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Invitation {
    pub email: String,
    pub inviter: String,
    pub project: Option<String>,
}

#[server]
pub async fn invite_details(token: String) -> Result<Option<Invitation>, ServerFnError> {
    let core = shared::core()?;
    let invitation = fleck_core::auth::accounts::sign_up_invitation(&core, &token)
        .await
        .map_err(shared::message)?;
    Ok(invitation.map(|i| Invitation {
        email: i.email,
        inviter: i.inviter,
        project: i.project,
    }))
}

#[server]
pub async fn current_user() -> Result<Option<SignedInUser>, ServerFnError> {
    Ok(shared::actor()
        .await?
        .principal()
        .filter(|p| p.via_session)
        .map(|p| server::view_of(&p.user)))
}

#[server]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<Outcome, ServerFnError> {
    use fleck_core::auth::flow;
    use fleck_core::ratelimit::Action;
    use shared::Failure;
    let core = shared::core()?;
    shared::finish(
        async {
            shared::limit(&core, Action::Login).await?;
            let user = flow::check_credentials(&core, &email, &password)
                .await?
                .ok_or_else(|| Failure::User("Wrong e-mail address or password.".into()))?;
            server::start_session(&core, &user).await?;
            shared::go_to(&safe_next(next.as_deref())).await
        }
        .await,
    )
}

#[server]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    company: Option<String>,
    next: Option<String>,
    invite: Option<String>,
) -> Result<Outcome, ServerFnError> {
    use fleck_core::auth::accounts;
    use fleck_core::ratelimit::Action;
    use fleck_core::users::UserInput;
    let core = shared::core()?;
    shared::finish(
        async {
            shared::limit(&core, Action::Register).await?;
            let input = UserInput {
                email,
                name,
                company,
                password: Some(password),
            };
            let user = accounts::register(&core, input, invite.as_deref())
                .await
                .map_err(|e| match e {
                    fleck_core::Error::Conflict(_) => shared::Failure::User(
                        "An account with this e-mail address already exists. Try signing in."
                            .into(),
                    ),
                    other => other.into(),
                })?;
            server::start_session(&core, &user).await?;
            shared::go_to(&safe_next(next.as_deref())).await
        }
        .await,
    )
}

#[server]
pub async fn sign_out() -> Result<(), ServerFnError> {
    use fleck_core::auth::sessions;
    let core = shared::core()?;
    let cookies = leptos_axum::extract::<http::HeaderMap>().await?;
    if let Some(id) = cookies
        .get(http::header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(sessions::from_cookie_header)
    {
        sessions::end(&core, id).await.map_err(shared::message)?;
    }
    shared::set_cookie(&sessions::clear_cookie(&core))?;
    leptos_axum::redirect("/");
    Ok(())
}

#[server]
pub async fn resend_verification() -> Result<Outcome, ServerFnError> {
    let core = shared::core()?;
    let actor = shared::actor().await?;
    shared::finish(
        async {
            fleck_core::auth::links::request_verification(&core, &actor).await?;
            Ok(None)
        }
        .await,
    )
}

#[server]
pub async fn forgot_password(email: String) -> Result<Outcome, ServerFnError> {
    use fleck_core::ratelimit::Action;
    let core = shared::core()?;
    shared::finish(
        async {
            shared::limit(&core, Action::Login).await?;
            fleck_core::auth::links::request_password_reset(&core, &email).await?;
            Ok(None)
        }
        .await,
    )
}

#[server]
pub async fn reset_password(
    token: String,
    password: String,
    confirm: String,
) -> Result<Outcome, ServerFnError> {
    use shared::Failure;
    let core = shared::core()?;
    shared::finish(
        async {
            if password != confirm {
                return Err(Failure::User("The two passwords differ.".into()));
            }
            let user = fleck_core::auth::links::reset_password(&core, &token, &password).await?;
            server::start_session(&core, &user).await?;
            shared::go_to("/").await
        }
        .await,
    )
}

#[server]
pub async fn app_request(app_id: String) -> Result<AppDetails, ServerFnError> {
    let core = shared::core()?;
    let app = fleck_core::auth::apps::find(&core, &app_id)
        .await
        .map_err(shared::message)?
        .ok_or_else(|| ServerFnError::new(format!("There is no app {app_id:?} on this server.")))?;
    let redirect_host = url::Url::parse(&app.redirect_url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(str::to_string)
                .or_else(|| Some(u.scheme().to_string()))
        })
        .unwrap_or_default();
    Ok(AppDetails {
        scopes: app
            .scopes
            .iter()
            .map(|s| (s.name().to_string(), s.description().to_string()))
            .collect(),
        id: app.id,
        name: app.name,
        description: app.description,
        redirect_host,
    })
}

/// The signed-in user lets the app act for them: the app receives an access code at its
/// redirect address, bound to the challenge it chose.
#[server]
pub async fn authorize_app(app_id: String, challenge: String) -> Result<Outcome, ServerFnError> {
    use fleck_core::auth::flow;
    use shared::Failure;
    let core = shared::core()?;
    let actor = shared::actor().await?;
    shared::finish(
        async {
            let app = fleck_core::auth::apps::find(&core, &app_id)
                .await?
                .ok_or_else(|| Failure::User("There is no such app.".into()))?;
            let code = flow::authorize_app(&core, &actor, &app.id, &challenge).await?;
            let mut url = url::Url::parse(&app.redirect_url)
                .map_err(|_| Failure::User("The app's redirect address is not valid.".into()))?;
            url.query_pairs_mut().append_pair("access_code", &code);
            shared::go_to(url.as_str()).await
        }
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next(Some("/projects/1")), "/projects/1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        assert_eq!(
            safe_next(Some("/projects/1?tab=a%20b#v")),
            "/projects/1?tab=a%20b#v"
        );
    }

    #[test]
    fn control_characters_and_spaces_are_refused() {
        for bad in [
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "/\u{0}x",
            "/\u{7f}x",
            "/\u{a0}/evil.example",
            "/caf\u{e9}",
            "",
            "evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
    }
}
