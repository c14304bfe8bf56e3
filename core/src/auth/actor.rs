//! Who is making a request: nobody, or a user through a bearer token or a web session, and
//! what the token allows.

use super::Scope;
use crate::users::User;

#[derive(Clone, Debug)]
pub enum Actor {
    Anonymous,
    User(Box<Principal>),
}

impl Actor {
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Actor::User(principal) => Some(principal),
            Actor::Anonymous => None,
        }
    }

    /// The caller's principal; `Forbidden` for anonymous callers.
    pub fn signed_in(&self) -> crate::Result<&Principal> {
        self.principal()
            .ok_or_else(|| crate::Error::Forbidden("sign in to do this".into()))
    }

    /// The user's principal when they are signed in through the web app's session cookie,
    /// which carries every scope (like the web app's own tokens).
    pub fn from_session(user: User) -> Self {
        Actor::User(Box::new(Principal {
            user,
            token_id: String::new(),
            scopes: Scope::ALL.to_vec(),
            app_id: Some(super::apps::WEB_APP.into()),
            via_session: true,
            projects: None,
        }))
    }
}

/// Who is making a request with a valid token, and what the token allows.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user: User,
    /// Empty for web sessions.
    pub token_id: String,
    pub scopes: Vec<Scope>,
    pub app_id: Option<String>,
    /// Signed in through the web app's cookie: state changes need a same-origin request.
    pub via_session: bool,
    /// The only projects this token may act on; `None`: any the user may.
    pub projects: Option<Vec<String>>,
}

impl Principal {
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// Whether the token may act on this project at all (tokens can be limited to some).
    pub fn reaches(&self, project_id: &str) -> bool {
        self.projects
            .as_ref()
            .is_none_or(|projects| projects.iter().any(|p| p == project_id))
    }
}
