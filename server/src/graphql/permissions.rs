//! `PermissionCheckResult`: what the caller may do, with the reason when not, from `authz`.

use async_graphql::SimpleObject;
use fleck_core::auth::Actor;
use fleck_core::authz::{self, Action};
use fleck_core::projects::service::Access;

#[derive(SimpleObject)]
pub struct PermissionCheckResult {
    authorized: bool,
    code: String,
    message: String,
}

impl PermissionCheckResult {
    pub fn ok() -> Self {
        PermissionCheckResult {
            authorized: true,
            code: "OK".into(),
            message: "OK".into(),
        }
    }

    pub fn is_authorized(&self) -> bool {
        self.authorized
    }

    pub fn denied(message: &str) -> Self {
        PermissionCheckResult {
            authorized: false,
            code: "FORBIDDEN".into(),
            message: message.to_string(),
        }
    }
}

/// Whether `actor` may do `action` on the project of `access`.
pub fn check(access: &Access, actor: &Actor, action: Action) -> PermissionCheckResult {
    match authz::authorize(actor, action, Some(access.access())) {
        Ok(()) => PermissionCheckResult::ok(),
        Err(e) => PermissionCheckResult::denied(&e.to_string()),
    }
}
