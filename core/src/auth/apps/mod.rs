//! The apps every Speckle-compatible server has, with the ids, secrets and redirect URLs that
//! Speckle's connectors and SDKs are built with. Registered (and brought up to date) at start-up.

use super::{Scope, ServerApp};

mod service;

pub use service::*;

/// The web app's own id; its tokens carry every scope.
pub const WEB_APP: &str = "spklwebapp";

/// What desktop connectors get: read and write data, read the profile, find and invite users.
/// Also what the "For connectors" preset of personal tokens ticks.
pub const CONNECTOR_SCOPES: &[Scope] = &[
    Scope::StreamsRead,
    Scope::StreamsWrite,
    Scope::ProfileRead,
    Scope::ProfileEmail,
    Scope::UsersRead,
    Scope::UsersInvite,
];

struct Default {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    /// A path on this server, or an absolute URL.
    redirect: &'static str,
    scopes: &'static [Scope],
    trusted: bool,
}

const DEFAULT_APPS: &[Default] = &[
    Default {
        id: WEB_APP,
        name: "Speckle Web Manager",
        description: "The web app of this server.",
        redirect: "",
        scopes: Scope::ALL,
        trusted: true,
    },
    Default {
        id: "explorer",
        name: "Speckle Explorer",
        description: "The GraphQL explorer.",
        redirect: "/explorer",
        scopes: Scope::ALL,
        trusted: true,
    },
    Default {
        id: "sdm",
        name: "Speckle Desktop Manager",
        description: "Manages local accounts for the connectors.",
        redirect: "speckle://account",
        scopes: CONNECTOR_SCOPES,
        trusted: true,
    },
    Default {
        id: "sdui",
        name: "Speckle Connector",
        description: "Desktop connectors (DUI).",
        redirect: "https://dui.speckle.systems/authn/callback",
        scopes: CONNECTOR_SCOPES,
        trusted: false,
    },
    Default {
        id: "sca",
        name: "Speckle Connector",
        description: "Desktop connectors.",
        redirect: "http://localhost:29363",
        scopes: CONNECTOR_SCOPES,
        trusted: true,
    },
    Default {
        id: "sdas",
        name: "Speckle Connector (desktop auth service)",
        description: "Desktop connectors' sign-in service.",
        redirect: "http://localhost:29364",
        scopes: CONNECTOR_SCOPES,
        trusted: true,
    },
    Default {
        id: "connectrV3",
        name: "Desktop Connectors",
        description: "Speckle's version 3 desktop connectors.",
        redirect: "http://localhost:29355",
        scopes: CONNECTOR_SCOPES,
        trusted: false,
    },
    Default {
        id: "spklexcel",
        name: "Excel",
        description: "The Excel connector.",
        redirect: "https://speckle-excel.netlify.app",
        scopes: CONNECTOR_SCOPES,
        trusted: true,
    },
    Default {
        id: "spklpwerbi",
        name: "PowerBI",
        description: "The Power BI connector.",
        redirect: "https://oauth.powerbi.com/views/oauthredirect.html",
        scopes: &[
            Scope::StreamsRead,
            Scope::ProfileRead,
            Scope::ProfileEmail,
            Scope::UsersRead,
            Scope::UsersInvite,
            Scope::TokensWrite,
        ],
        trusted: true,
    },
];

/// The default apps for a server reachable at `public_url`. Their secret equals their id, as
/// the clients expect.
pub fn default_apps(public_url: &url::Url) -> Vec<ServerApp> {
    let origin = public_url.as_str().trim_end_matches('/');
    DEFAULT_APPS
        .iter()
        .map(|app| ServerApp {
            id: app.id.into(),
            secret: app.id.into(),
            name: app.name.into(),
            description: app.description.into(),
            terms_url: None,
            logo: None,
            public: true,
            trust_by_default: app.trusted,
            redirect_url: if app.redirect.starts_with('/') || app.redirect.is_empty() {
                format!("{origin}{}", app.redirect)
            } else {
                app.redirect.into()
            },
            scopes: app.scopes.to_vec(),
            author_id: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_apps_keep_speckle_ids_secrets_and_redirects() {
        let apps = default_apps(&"https://fleck.example.com/".parse().unwrap());
        let find = |id: &str| apps.iter().find(|a| a.id == id).unwrap();
        assert_eq!(find("spklwebapp").redirect_url, "https://fleck.example.com");
        assert_eq!(
            find("explorer").redirect_url,
            "https://fleck.example.com/explorer"
        );
        assert_eq!(find("sca").redirect_url, "http://localhost:29363");
        assert_eq!(find("connectrV3").redirect_url, "http://localhost:29355");
        assert!(apps.iter().all(|a| a.secret == a.id));
        assert_eq!(find("spklwebapp").scopes, Scope::ALL);
        assert!(!find("sdui").trust_by_default);
    }
}
