//! Token scopes, with Speckle's names: what a token may do on its owner's behalf.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

macro_rules! scopes {
    ($($variant:ident = $name:literal, public: $public:literal, $description:literal;)+) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum Scope {
            $(#[serde(rename = $name)] $variant,)+
        }

        impl Scope {
            pub const ALL: &'static [Scope] = &[$(Scope::$variant),+];

            pub fn name(self) -> &'static str {
                match self { $(Scope::$variant => $name),+ }
            }

            /// Offered to third-party apps and in the personal token UI.
            pub fn public(self) -> bool {
                match self { $(Scope::$variant => $public),+ }
            }

            pub fn description(self) -> &'static str {
                match self { $(Scope::$variant => $description),+ }
            }
        }

        impl FromStr for Scope {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                match s {
                    $($name => Ok(Scope::$variant),)+
                    _ => Err(Error::invalid("scope", format!("unknown scope {s:?}"))),
                }
            }
        }
    };
}

scopes! {
    StreamsRead = "streams:read", public: true, "Read your projects, their models, versions and objects.";
    StreamsWrite = "streams:write", public: true, "Create and change projects, models, versions and objects.";
    ProfileRead = "profile:read", public: true, "Read your profile.";
    ProfileWrite = "profile:write", public: true, "Change your profile.";
    ProfileEmail = "profile:email", public: true, "Read your e-mail address.";
    ProfileDelete = "profile:delete", public: false, "Delete your account.";
    UsersRead = "users:read", public: true, "Read other users' profiles.";
    UsersEmail = "users:email", public: false, "Read other users' e-mail addresses.";
    UsersInvite = "users:invite", public: false, "Invite people to the server and to projects.";
    ServerStats = "server:stats", public: true, "Read server statistics (admins).";
    ServerSetup = "server:setup", public: false, "Change the server's settings (admins).";
    TokensRead = "tokens:read", public: false, "List your access tokens.";
    TokensWrite = "tokens:write", public: false, "Create and revoke access tokens.";
    AppsRead = "apps:read", public: false, "List the apps you authorized or created.";
    AppsWrite = "apps:write", public: false, "Create and change apps.";
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Scopes stored as one space-separated column.
pub fn join(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The inverse of `join`; names this server no longer knows are dropped.
pub fn split(stored: &str) -> Vec<Scope> {
    stored
        .split_whitespace()
        .filter_map(|name| name.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_round_trip_through_storage() {
        for scope in Scope::ALL {
            assert_eq!(scope.name().parse::<Scope>().unwrap(), *scope);
        }
        assert_eq!(split(&join(Scope::ALL)), Scope::ALL);
        assert_eq!(split("streams:read retired:scope"), [Scope::StreamsRead]);
        assert!("streams:delete".parse::<Scope>().is_err());
    }
}
