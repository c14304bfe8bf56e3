//! Who is making a request: nobody, or a user through a bearer token or a web session.

use super::flow::Principal;
use super::Scope;

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
    pub fn from_session(user: crate::users::User) -> Self {
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
