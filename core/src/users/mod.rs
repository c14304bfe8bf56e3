//! Users and their server roles.

use std::fmt;
use std::str::FromStr;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

mod service;

pub use service::*;

pub const MINIMUM_PASSWORD_LENGTH: usize = 8;

/// Server roles with Speckle's names; checks compare weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerRole {
    #[serde(rename = "server:admin")]
    Admin,
    #[serde(rename = "server:user")]
    User,
    #[serde(rename = "server:guest")]
    Guest,
    #[serde(rename = "server:archived-user")]
    Archived,
}

impl ServerRole {
    pub const ALL: [ServerRole; 4] = [Self::Admin, Self::User, Self::Guest, Self::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "server:admin",
            Self::User => "server:user",
            Self::Guest => "server:guest",
            Self::Archived => "server:archived-user",
        }
    }

    pub fn weight(self) -> i32 {
        match self {
            Self::Admin => 1000,
            Self::User => 100,
            Self::Guest => 50,
            Self::Archived => 10,
        }
    }

    pub fn at_least(self, required: ServerRole) -> bool {
        self.weight() >= required.weight()
    }
}

impl fmt::Display for ServerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServerRole {
    type Err = Error;

    /// Accepts Speckle's names and the short forms `admin`, `user`, `guest`, `archived`.
    fn from_str(s: &str) -> Result<Self> {
        let short = s.strip_prefix("server:").unwrap_or(s);
        match short {
            "admin" => Ok(Self::Admin),
            "user" => Ok(Self::User),
            "guest" => Ok(Self::Guest),
            "archived" | "archived-user" => Ok(Self::Archived),
            _ => Err(Error::invalid(
                "role",
                format!("unknown server role {s:?}; expected one of admin, user, guest, archived"),
            )),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub bio: Option<String>,
    pub company: Option<String>,
    pub avatar: Option<String>,
    pub role: ServerRole,
    pub verified: bool,
    pub created_at: DateTime<Utc>,
}

/// A user as it is stored: the password only as an argon2id hash.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub id: String,
    pub email: String,
    pub name: String,
    pub company: Option<String>,
    pub password_hash: Option<String>,
    pub verified: bool,
}

/// Checked input for creating a user.
#[derive(Clone, Debug)]
pub struct UserInput {
    pub email: String,
    pub name: String,
    pub company: Option<String>,
    pub password: Option<String>,
}

impl UserInput {
    /// Validates and normalizes (e-mail lower-cased and trimmed) the input, hashing the password.
    pub fn into_new_user(self) -> Result<NewUser> {
        let email = normalize_email(&self.email)?;
        let name = self.name.trim().to_string();
        if name.is_empty() {
            return Err(Error::invalid("name", "a name is required"));
        }
        if name.chars().count() > 512 {
            return Err(Error::invalid("name", "must be at most 512 characters"));
        }
        let company = self
            .company
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty());
        if company.as_ref().is_some_and(|c| c.chars().count() > 512) {
            return Err(Error::invalid("company", "must be at most 512 characters"));
        }
        let password_hash = self.password.as_deref().map(hash_password).transpose()?;
        Ok(NewUser {
            id: crate::ids::new_id(),
            email,
            name,
            company,
            password_hash,
            verified: false,
        })
    }
}

/// Profile fields a user changes; `None` leaves a field as it is, an empty string clears it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    pub company: Option<String>,
    pub bio: Option<String>,
    pub avatar: Option<String>,
}

impl ProfileUpdate {
    pub fn checked(mut self) -> Result<Self> {
        if let Some(name) = &mut self.name {
            *name = name.trim().to_string();
            if name.is_empty() || name.chars().count() > 512 {
                return Err(Error::invalid(
                    "name",
                    "a name of 1 to 512 characters is required",
                ));
            }
        }
        for (field, value, max) in [
            ("company", &mut self.company, 512),
            ("bio", &mut self.bio, 2048),
            ("avatar", &mut self.avatar, 524_288),
        ] {
            if let Some(v) = value {
                *v = v.trim().to_string();
                if v.chars().count() > max {
                    return Err(Error::invalid(
                        field,
                        format!("must be at most {max} characters"),
                    ));
                }
            }
        }
        if let Some(avatar) = &self.avatar {
            if !avatar.is_empty()
                && !avatar.starts_with("data:image/")
                && !avatar.starts_with("https://")
            {
                return Err(Error::invalid(
                    "avatar",
                    "must be an image data URL or an https address",
                ));
            }
        }
        Ok(self)
    }
}

/// The one check of e-mail addresses, for accounts and invitations alike: trimmed and
/// lower-cased, and a plain `local@domain` — one `@`; a local part of letters, digits, dots and
/// `!#$%&'*+-/=?^_`{|}~` (no leading, trailing or double dot); a domain of at least two
/// dot-separated labels of letters, digits and inner hyphens, not ending in a number. Quoted
/// local parts, comments, display names (`a@b.c<x@evil.com>`), lists, spaces and control
/// characters are refused.
pub fn normalize_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    if valid_email(&email) {
        Ok(email)
    } else {
        Err(Error::invalid(
            "email",
            format!("{raw:?} is not an e-mail address"),
        ))
    }
}

fn valid_email(email: &str) -> bool {
    const LOCAL_SYMBOLS: &str = "!#$%&'*+-/=?^_`{|}~.";
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || LOCAL_SYMBOLS.contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.chars().count())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    email.len() <= 254 && local_ok && domain_ok
}

pub fn hash_password(password: &str) -> Result<String> {
    if password.chars().count() < MINIMUM_PASSWORD_LENGTH {
        return Err(Error::invalid(
            "password",
            format!("must be at least {MINIMUM_PASSWORD_LENGTH} characters long"),
        ));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| Error::backend("hashing a password", e.to_string()))
}

/// `hash_password` on a blocking thread: argon2 takes tens of milliseconds of CPU by design,
/// which must not stall the async workers.
pub async fn hash_password_off_workers(password: &str) -> Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| Error::backend("hashing a password", e))?
}

/// Constant-time check of a password against a stored argon2 hash.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_order_by_weight() {
        for role in ServerRole::ALL {
            assert_eq!(role.as_str().parse::<ServerRole>().unwrap(), role);
        }
        assert_eq!("admin".parse::<ServerRole>().unwrap(), ServerRole::Admin);
        assert!(ServerRole::Admin.at_least(ServerRole::User));
        assert!(!ServerRole::Archived.at_least(ServerRole::Guest));
        assert!("owner".parse::<ServerRole>().is_err());
    }

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").unwrap(),
            "ada@example.com"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "a@b.c<x@evil.com>",
            "ada@example.com<x@evil.com>",
            "Ada <ada@example.com>",
            "ada@example.com,eve@evil.com",
            "ada@example.com;eve@evil.com",
            "\"ada\"@example.com",
            "ada@@example.com",
            "ada@exa@mple.com",
            "ada\t@example.com",
            "ada@example.com\r\nBcc: eve@evil.com",
            "ada\u{0}@example.com",
            "ada(comment)@example.com",
            "ada@[127.0.0.1]",
            "ada@127.0.0.1",
            "ada@-example.com",
            "ada@example-.com",
            "ada@exa_mple.com",
            "ada@example..com",
            "ada@.example.com",
            "ada@example.com.",
            ".ada@example.com",
            "ada.@example.com",
            "a..da@example.com",
            "ada\\@example.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} accepted");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(normalize_email(&long_local).is_err());
        for good in [
            "ada@example.com",
            "ada.lovelace+fleck@mail.example.co.uk",
            "o'brien@example.ie",
            "x_y-z@sub-domain.example.org",
            "1234@example.com",
            "jos\u{e9}@b\u{fc}ro.example",
        ] {
            assert_eq!(
                normalize_email(good).unwrap(),
                good.to_lowercase(),
                "{good:?}"
            );
        }
    }

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        assert!(hash_password("short").is_err());
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("wrong horse battery", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }
}
