//! How both databases store the parts of identity rows that are not plain columns: scopes as one
//! space-separated text, project limits as a JSON array.

use crate::auth::{scopes, Grant};

pub fn projects_to_db(projects: Option<&Vec<String>>) -> Option<String> {
    projects.map(|p| serde_json::Value::from(p.clone()).to_string())
}

/// A limit that cannot be read stays a limit: it reaches no project rather than every one.
pub fn projects_from_db(stored: Option<String>) -> Option<Vec<String>> {
    stored.map(|p| serde_json::from_str(&p).unwrap_or_default())
}

pub fn grant_scopes(grant: &Grant) -> Option<String> {
    grant.scopes.as_deref().map(scopes::join)
}

pub fn grant_projects(grant: &Grant) -> Option<String> {
    projects_to_db(grant.projects.as_ref())
}

pub fn grant(scopes: Option<String>, projects: Option<String>) -> Grant {
    Grant {
        scopes: scopes.as_deref().map(scopes::split),
        projects: projects_from_db(projects),
    }
}
