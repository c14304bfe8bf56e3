//! Comment threads (Speckle's comments): a thread is pinned to versions or objects of a project
//! with the viewer state it was written in, people reply to it, and it is archived (resolved)
//! when done. `service` applies the rules; `resources` reads the viewer's resource strings;
//! `text` checks rich text; `notify` mails the people mentioned or replied to.

pub mod notify;
pub mod resources;
pub mod service;
pub mod text;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::projects::{Listed, Window};

/// What a thread is about, with Speckle's resource type names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResourceKind {
    /// The whole project.
    Stream,
    /// A version.
    Commit,
    /// An object (any element of any version).
    Object,
}

impl ResourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stream => "stream",
            Self::Commit => "commit",
            Self::Object => "object",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "stream" => Some(Self::Stream),
            "commit" => Some(Self::Commit),
            "object" => Some(Self::Object),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Link {
    pub kind: ResourceKind,
    pub id: String,
}

/// A comment's rich text: a ProseMirror document and the project files attached to it, stored
/// as Speckle's `SmartTextEditorValue`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RichText {
    pub version: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doc: Option<serde_json::Value>,
    #[serde(default)]
    pub blob_ids: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Comment {
    pub id: String,
    pub project_id: String,
    pub author_id: String,
    /// The thread a reply belongs to; `None` for threads.
    pub parent_id: Option<String>,
    pub text: RichText,
    /// The text without formatting, for previews and e-mails.
    pub raw_text: String,
    pub screenshot: Option<String>,
    /// The viewer's serialized state (camera, filters, section box, selection) when written.
    pub viewer_state: Option<serde_json::Value>,
    /// What older viewers sent instead of `viewer_state`.
    pub data: Option<serde_json::Value>,
    pub archived: bool,
    /// What the thread is about (empty for replies).
    pub links: Vec<Link>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the reader last opened it; filled in only when read for a signed-in user.
    pub viewed_at: Option<DateTime<Utc>>,
    /// Replies that are not archived; filled in only for threads read in lists or alone.
    pub reply_count: i64,
}

/// Which archived threads a list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Archived {
    Exclude,
    Include,
    Only,
}

/// Which of a project's threads to list.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadFilter {
    pub archived: Archived,
    /// Only threads about one of these; `None` for every thread of the project.
    pub about: Option<Targets>,
}

/// Resources a list of threads is restricted to: a thread about any of them is listed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Targets {
    /// Any version of these models.
    pub models: Vec<String>,
    pub versions: Vec<String>,
    pub objects: Vec<String>,
    /// Threads about the project as a whole.
    pub project: bool,
}

impl Targets {
    pub fn is_empty(&self) -> bool {
        self.models.is_empty()
            && self.versions.is_empty()
            && self.objects.is_empty()
            && !self.project
    }
}

/// One page of threads with the counts Speckle's `ProjectCommentCollection` reports.
#[derive(Clone, Debug, PartialEq)]
pub struct ThreadPage {
    pub items: Vec<Comment>,
    /// Threads that match the filter.
    pub total: i64,
    /// Archived threads about the same resources, whatever the filter says about archiving.
    pub total_archived: i64,
}

#[async_trait]
pub trait CommentStore: Send + Sync + 'static {
    /// Inserts a comment with its links; a reply also marks its thread updated at its time.
    async fn insert_comment(&self, comment: &Comment) -> Result<()>;

    /// One comment of a project, with `viewer`'s `viewed_at` and its reply count.
    async fn comment(
        &self,
        project_id: &str,
        id: &str,
        viewer: Option<&str>,
    ) -> Result<Option<Comment>>;

    /// Threads, most recently active first.
    async fn threads(
        &self,
        project_id: &str,
        filter: &ThreadFilter,
        viewer: Option<&str>,
        window: Window,
    ) -> Result<ThreadPage>;

    /// A thread's replies, oldest first; archived replies are left out.
    async fn replies(
        &self,
        project_id: &str,
        thread_id: &str,
        viewer: Option<&str>,
        window: Window,
    ) -> Result<Listed<Comment>>;

    /// The people who replied to a thread, in the order of their first reply.
    async fn reply_authors(&self, thread_id: &str, limit: i64) -> Result<Listed<String>>;

    /// Replaces a comment's text; whether it exists.
    async fn update_comment_text(
        &self,
        project_id: &str,
        id: &str,
        text: &RichText,
        raw_text: &str,
        at: DateTime<Utc>,
    ) -> Result<bool>;

    /// Archives or restores a comment; whether it exists.
    async fn set_comment_archived(
        &self,
        project_id: &str,
        id: &str,
        archived: bool,
    ) -> Result<bool>;

    /// Records that a user opened a comment now (replacing an earlier time).
    async fn mark_comment_viewed(
        &self,
        comment_id: &str,
        user_id: &str,
        at: DateTime<Utc>,
    ) -> Result<()>;

    /// A user's notification preferences, as last saved.
    async fn notification_preferences(&self, user_id: &str) -> Result<Option<serde_json::Value>>;

    async fn set_notification_preferences(
        &self,
        user_id: &str,
        preferences: &serde_json::Value,
    ) -> Result<()>;
}
