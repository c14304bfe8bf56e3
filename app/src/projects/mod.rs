//! Projects as the web app shows them: what the pages receive (plain, serialisable views) and
//! the server functions that read and change them through `fleck_core`'s project services.

pub mod changes;
pub mod comments;
pub mod edit;
pub mod imports;
pub mod read;
pub mod settings;
pub mod tree;
pub mod views;
pub mod webhooks;

use serde::{Deserialize, Serialize};

/// A page's data, or why there is none: the page shows a sign-in link, a 403 or a 404.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Loaded<T> {
    Found(T),
    SignIn,
    Forbidden(String),
    NotFound(String),
}

/// Where a version's preview image is served (the same route Speckle clients use).
pub fn preview_url(project_id: &str, version_id: &str) -> String {
    format!("/preview/{project_id}/commits/{version_id}")
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectCard {
    pub id: String,
    pub name: String,
    pub description: String,
    /// `private` or `public`.
    pub visibility: String,
    /// "Owner", "Contributor" or "Reviewer".
    pub role: String,
    pub updated: String,
    /// The preview image of its latest version; `None` while it has no versions.
    pub preview: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InviteCard {
    pub project_id: String,
    pub project_name: String,
    pub inviter: String,
    pub role: String,
    pub token: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub projects: Vec<ProjectCard>,
    pub total: i64,
    pub invites: Vec<InviteCard>,
}

/// What the caller may do on a project, as `authz` decided.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Abilities {
    /// Create models and versions, upload files.
    pub write: bool,
    /// Change settings, manage the team.
    pub administer: bool,
    pub member: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectHeader {
    pub id: String,
    pub name: String,
    pub description: String,
    pub visibility: String,
    /// Empty for non-members.
    pub role: String,
    pub can: Abilities,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionRow {
    pub id: String,
    pub model_id: String,
    pub message: String,
    pub author: String,
    pub source_application: String,
    pub created: String,
    pub object_id: String,
    /// Whether the caller may edit, move or delete it (their own, or they own the project).
    pub changeable: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelRow {
    pub id: String,
    /// The full `/`-separated name.
    pub name: String,
    pub description: String,
    pub versions: i64,
    pub updated: String,
    pub latest: Option<VersionRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityRow {
    pub action: String,
    pub who: String,
    pub message: String,
    pub time: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileRow {
    pub id: String,
    pub name: String,
    pub size: String,
    pub uploaded: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectPage {
    pub project: ProjectHeader,
    pub models: Vec<ModelRow>,
    pub activity: Vec<ActivityRow>,
    pub files: Vec<FileRow>,
    /// An invitation to this project addressed to the caller, from the link in its e-mail.
    pub invite: Option<InviteCard>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelPage {
    pub project: ProjectHeader,
    pub model: ModelRow,
    pub versions: Vec<VersionRow>,
    pub total: i64,
    /// Whether the caller may rename or delete the model.
    pub changeable: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user_id: String,
    pub name: String,
    pub company: String,
    /// `stream:owner`, `stream:contributor` or `stream:reviewer`.
    pub role: String,
    pub is_me: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingRow {
    pub id: String,
    pub who: String,
    pub role: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingsPage {
    pub project: ProjectHeader,
    pub members: Vec<MemberRow>,
    pub pending: Vec<PendingRow>,
}

/// "stream:contributor" → "Contributor".
pub fn role_label(role: &str) -> String {
    let short = role.strip_prefix("stream:").unwrap_or(role);
    let mut chars = short.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// (1, "version") → "1 version"; (0, "version") → "no versions".
pub fn count(n: i64, noun: &str) -> String {
    match n {
        0 => format!("no {noun}s"),
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// 1536 → "1.5 KB".
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["bytes", "KB", "MB", "GB", "TB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_as_words() {
        assert_eq!(role_label("stream:owner"), "Owner");
        assert_eq!(role_label("stream:reviewer"), "Reviewer");
        assert_eq!(role_label(""), "");
    }

    #[test]
    fn counts_read_as_words() {
        assert_eq!(count(0, "version"), "no versions");
        assert_eq!(count(1, "version"), "1 version");
        assert_eq!(count(12, "model"), "12 models");
    }

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(human_size(12), "12 bytes");
        assert_eq!(human_size(1536), "1.5 KB");
        assert_eq!(human_size(5 * 1024 * 1024 * 1024), "5.0 GB");
    }
}
