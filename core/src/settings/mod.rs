//! The server's own description and registration policy, editable by admins.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod service;

pub use service::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServerSettings {
    pub name: String,
    pub company: Option<String>,
    pub description: Option<String>,
    pub admin_contact: Option<String>,
    pub terms_of_service: Option<String>,
    /// Registration only with an invitation.
    pub invite_only: bool,
    /// Whether the `server:guest` role may be given.
    pub guest_mode: bool,
}

impl ServerSettings {
    /// Trims the texts, drops empty optional ones and checks lengths.
    pub fn checked(mut self) -> Result<Self> {
        self.name = self.name.trim().to_string();
        if self.name.is_empty() || self.name.chars().count() > 256 {
            return Err(Error::invalid(
                "name",
                "the server needs a name of at most 256 characters",
            ));
        }
        for (field, value) in [
            ("company", &mut self.company),
            ("description", &mut self.description),
            ("adminContact", &mut self.admin_contact),
            ("termsOfService", &mut self.terms_of_service),
        ] {
            *value = value
                .take()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
            if value.as_ref().is_some_and(|v| v.chars().count() > 2048) {
                return Err(Error::invalid(field, "must be at most 2048 characters"));
            }
        }
        Ok(self)
    }
}

/// What an admin sets: the texts as given (empty ones are cleared); `None` keeps a switch as it is.
#[derive(Clone, Debug, Default)]
pub struct SettingsUpdate {
    pub name: String,
    pub company: Option<String>,
    pub description: Option<String>,
    pub admin_contact: Option<String>,
    pub terms_of_service: Option<String>,
    pub invite_only: Option<bool>,
    pub guest_mode: Option<bool>,
}
