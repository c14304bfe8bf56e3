//! Projects (Speckle's streams), their members, models (branches), versions (commits),
//! invitations and activity: the types, the storage trait and the services that apply the rules.

pub mod activity;
pub mod attachments;
pub mod events;
pub mod imports;
pub mod invites;
pub mod members;
pub mod models;
pub mod names;
mod reads;
pub mod service;
pub mod versions;
pub mod views;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::authz::{ProjectRole, Visibility};
use crate::error::Result;
use crate::numbered::Numbered;
use crate::users::{ServerRole, User};

/// How long a presigned upload URL works: long enough to start a large upload, short enough
/// that a URL handed out for one file is soon of no use for putting another in its place.
pub const UPLOAD_URL_LIFETIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The blob store folder of attachments (and uploads still on their way).
pub const ATTACHMENT_FOLDER: &str = "assets";

/// The blob store folders that hold a project's files, each with a subfolder per project:
/// attachments, preview images and bundles.
pub const FOLDER_PREFIXES: [&str; 3] = [
    ATTACHMENT_FOLDER,
    crate::previews::PREVIEW_FOLDER,
    crate::ingestions::BUNDLE_FOLDER,
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub description: String,
    pub visibility: Visibility,
    pub allow_public_comments: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub id: String,
    pub project_id: String,
    /// Lower-cased; `/` separates levels of the model tree.
    pub name: String,
    pub description: Option<String>,
    pub author_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Model {
    /// The last segment of the name, as shown in lists.
    pub fn display_name(&self) -> &str {
        self.name.rsplit('/').next().unwrap_or(&self.name)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Version {
    pub id: String,
    pub project_id: String,
    pub model_id: String,
    pub referenced_object: String,
    pub author_id: Option<String>,
    pub message: Option<String>,
    pub source_application: Option<String>,
    pub total_children_count: Option<i64>,
    pub parents: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl Version {
    /// Whether it was sent as a bundle: it points at its files, not at an object.
    pub fn is_bundle(&self) -> bool {
        self.referenced_object
            == crate::ingestions::bundle_root_id(&self.project_id, &self.model_id, &self.id)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub user: User,
    pub role: ProjectRole,
}

/// Who an invitation is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Invitee {
    User(String),
    Email(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProjectInvite {
    pub id: String,
    pub project_id: String,
    pub invitee: Invitee,
    pub role: ProjectRole,
    /// The server role an invitee without an account gets on registering.
    pub server_role: Option<ServerRole>,
    pub inviter_id: String,
    pub token: String,
    pub message: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub seq: i64,
    pub project_id: String,
    /// `stream`, `branch`, `commit` or `user`, as Speckle names them.
    pub resource_type: String,
    pub resource_id: String,
    /// Speckle's action names, e.g. `commit_create`; also the webhook event names.
    pub action_type: String,
    pub user_id: Option<String>,
    pub info: serde_json::Value,
    pub message: Option<String>,
    pub time: DateTime<Utc>,
}

/// The current time at the millisecond precision every database keeps, so what a mutation
/// returns equals what later reads return.
pub fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    Utc::now().trunc_subsecs(3)
}

/// A file attached to a project; its bytes live in the blob store under `object_key`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub project_id: String,
    pub user_id: Option<String>,
    pub object_key: String,
    pub file_name: String,
    /// The lower-cased extension.
    pub file_type: String,
    pub file_size: Option<i64>,
    /// The blob store's ETag, without quotes.
    pub file_hash: Option<String>,
    pub status: UploadStatus,
    pub upload_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A file being turned into a version of a model (Speckle's "file upload"). Its id is the
/// uploaded file's attachment id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileImport {
    pub id: String,
    pub project_id: String,
    pub model_id: String,
    pub user_id: String,
    pub file_name: String,
    /// The lower-cased extension, which picks the converter.
    pub file_type: String,
    pub file_size: i64,
    pub status: ImportStatus,
    /// Why it failed, or the converter's warnings.
    pub message: Option<String>,
    pub version_id: Option<String>,
    /// The converter's timings and parser name, as it reported them.
    pub performance: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Speckle's numbers: 0 queued, 1 converting, 2 success, 3 error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportStatus {
    Queued = 0,
    Converting = 1,
    Succeeded = 2,
    Failed = 3,
}

impl Numbered for ImportStatus {
    const ALL: &'static [Self] = &[
        Self::Queued,
        Self::Converting,
        Self::Succeeded,
        Self::Failed,
    ];
}

impl ImportStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// Speckle's numbers: 0 pending, 1 completed, 2 failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadStatus {
    Pending = 0,
    Completed = 1,
    Failed = 2,
}

impl Numbered for UploadStatus {
    const ALL: &'static [Self] = &[Self::Pending, Self::Completed, Self::Failed];
}

/// One page of a list and the number of items in the whole list.
#[derive(Clone, Debug, PartialEq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Which of a user's projects to list.
#[derive(Clone, Debug, Default)]
pub struct ProjectFilter {
    /// A substring of the name or description (case-insensitive), or the whole id.
    pub search: Option<String>,
    /// Only projects where the user has one of these roles.
    pub roles: Option<Vec<ProjectRole>>,
    /// Only these projects (a token's project limit); set by the project service, not by callers.
    pub ids: Option<Vec<String>>,
}

/// Which of a project's models to list.
#[derive(Clone, Debug, Default)]
pub struct ModelFilter {
    pub search: Option<String>,
    pub ids: Option<Vec<String>>,
    pub exclude_ids: Option<Vec<String>>,
    pub only_with_versions: bool,
    /// Only models with versions by one of these users.
    pub contributors: Option<Vec<String>>,
    /// Only models with versions sent from one of these applications.
    pub source_apps: Option<Vec<String>>,
}

/// What every project on the server holds together (server statistics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProjectTotals {
    pub projects: i64,
    pub models: i64,
    pub versions: i64,
    /// Completed attachments (uploaded files).
    pub attachments: i64,
    /// Bytes of completed attachments.
    pub attachment_bytes: i64,
}

/// File imports of one file type in one status, on the whole server (the database monitor).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportTotal {
    pub file_type: String,
    pub status: ImportStatus,
    pub count: i64,
    /// The imported files' bytes.
    pub bytes: i64,
}

/// Rows to skip and to return; lists are ordered newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub offset: i64,
    pub limit: i64,
}

/// A project and, through the stores it is made of, all that belongs to it; one store per
/// service module, each written once in `db/projects/`.
#[async_trait]
pub trait ProjectStore:
    MemberStore
    + ModelStore
    + VersionStore
    + ProjectInviteStore
    + ActivityStore
    + AttachmentStore
    + ImportStore
    + ViewStore
    + Send
    + Sync
    + 'static
{
    /// Inserts a project, its owner and, when given, its first model, all at once.
    async fn create_project(
        &self,
        project: &Project,
        owner_id: &str,
        first_model: Option<&Model>,
    ) -> Result<()>;
    async fn project(&self, id: &str) -> Result<Option<Project>>;
    async fn update_project(&self, project: &Project) -> Result<()>;
    async fn delete_project(&self, id: &str) -> Result<bool>;
    /// Projects the user is a member of, most recently updated first, with their role.
    async fn user_projects(
        &self,
        user_id: &str,
        filter: &ProjectFilter,
        window: Window,
    ) -> Result<Listed<(Project, ProjectRole)>>;
    /// Every project, most recently updated first (server admins).
    async fn all_projects(&self, search: Option<&str>, window: Window) -> Result<Listed<Project>>;
    /// Counts of projects, models, versions and attachments, and the attachments' size, on the
    /// whole server.
    async fn totals(&self) -> Result<ProjectTotals>;
    /// Public projects, most recently updated first (the legacy `discoverableStreams`).
    async fn public_projects(&self, window: Window) -> Result<Listed<Project>>;
}

#[async_trait]
pub trait MemberStore: Send + Sync {
    async fn role_of(&self, project_id: &str, user_id: &str) -> Result<Option<ProjectRole>>;
    /// Members, owners first, then by when they joined.
    async fn members(&self, project_id: &str) -> Result<Vec<Member>>;
    async fn set_member(&self, project_id: &str, user_id: &str, role: ProjectRole) -> Result<()>;
    async fn remove_member(&self, project_id: &str, user_id: &str) -> Result<bool>;
}

#[async_trait]
pub trait ModelStore: Send + Sync {
    /// Fails with `Conflict` when the project has a model of that name.
    async fn create_model(&self, model: &Model) -> Result<()>;
    async fn model(&self, project_id: &str, id: &str) -> Result<Option<Model>>;
    async fn model_by_name(&self, project_id: &str, name: &str) -> Result<Option<Model>>;
    async fn update_model(&self, model: &Model) -> Result<()>;
    async fn delete_model(&self, project_id: &str, id: &str) -> Result<bool>;
    /// Models, most recently updated first.
    async fn models(
        &self,
        project_id: &str,
        filter: &ModelFilter,
        window: Window,
    ) -> Result<Listed<Model>>;
}

#[async_trait]
pub trait VersionStore: Send + Sync {
    /// Inserts a version and marks its model and project updated.
    async fn create_version(&self, version: &Version) -> Result<()>;
    async fn version(&self, project_id: &str, id: &str) -> Result<Option<Version>>;
    /// A model's versions, newest first; `priority` ids come first (or alone when `only`).
    async fn model_versions(
        &self,
        model_id: &str,
        priority: &[String],
        only_priority: bool,
        window: Window,
    ) -> Result<Listed<Version>>;
    /// All versions of a project, newest first.
    async fn project_versions(&self, project_id: &str, window: Window) -> Result<Listed<Version>>;
    async fn update_version_message(&self, project_id: &str, id: &str, message: &str)
        -> Result<()>;
    /// Moves versions to another model of the same project; returns how many moved.
    async fn move_versions(&self, project_id: &str, ids: &[String], model_id: &str) -> Result<u64>;
    async fn delete_versions(&self, project_id: &str, ids: &[String]) -> Result<u64>;
    /// The applications versions were sent from, alphabetically.
    async fn source_apps(&self, project_id: &str) -> Result<Vec<String>>;
}

#[async_trait]
pub trait ProjectInviteStore: Send + Sync {
    async fn insert_project_invite(&self, invite: &ProjectInvite) -> Result<()>;
    async fn project_invite(&self, id: &str) -> Result<Option<ProjectInvite>>;
    async fn project_invite_by_token(&self, token: &str) -> Result<Option<ProjectInvite>>;
    async fn project_invites(&self, project_id: &str) -> Result<Vec<ProjectInvite>>;
    /// Invitations addressed to the user or to any of `emails`.
    async fn invites_for(&self, user_id: &str, email: &str) -> Result<Vec<ProjectInvite>>;
    async fn delete_project_invite(&self, id: &str) -> Result<bool>;
}

#[async_trait]
pub trait ActivityStore: Send + Sync {
    async fn add_activity(&self, activity: &Activity) -> Result<()>;
    /// A project's activity, newest first, before `before` (a `seq`) when given.
    async fn project_activity(
        &self,
        project_id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Activity>>;
    async fn count_project_activity(&self, project_id: &str) -> Result<i64>;
}

#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Inserts or replaces an attachment's record.
    async fn save_attachment(&self, attachment: &Attachment) -> Result<()>;
    async fn attachment(&self, project_id: &str, id: &str) -> Result<Option<Attachment>>;
    /// Completed attachments, newest first; `name` filters by a substring of the file name.
    async fn attachments(
        &self,
        project_id: &str,
        name: Option<&str>,
        window: Window,
    ) -> Result<Listed<Attachment>>;
    /// The total size of a project's completed attachments.
    async fn attachments_size(&self, project_id: &str) -> Result<i64>;
    async fn delete_attachment(&self, project_id: &str, id: &str) -> Result<bool>;
    /// Those of `ids` the project has attachments with.
    async fn known_attachments(&self, project_id: &str, ids: &[String]) -> Result<Vec<String>>;
}

/// A named view of a model, saved by a member of its project.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedView {
    pub id: String,
    pub project_id: String,
    pub model_id: String,
    pub name: String,
    /// The viewer's link state (camera, visibility, section box, selection), as it wrote it.
    pub state: String,
    pub author_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait ViewStore: Send + Sync {
    /// Fails with `Conflict` when the model has a view of that name.
    async fn create_view(&self, view: &SavedView) -> Result<()>;
    async fn view(&self, project_id: &str, id: &str) -> Result<Option<SavedView>>;
    /// A model's views by name, at most `limit`.
    async fn model_views(&self, model_id: &str, limit: i64) -> Result<Vec<SavedView>>;
    async fn count_model_views(&self, model_id: &str) -> Result<i64>;
    async fn delete_view(&self, project_id: &str, id: &str) -> Result<bool>;
}

#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Inserts or updates a file import.
    async fn save_file_import(&self, import: &FileImport) -> Result<()>;
    /// Updates a file import's outcome only while it is still queued or converting, so that a
    /// converter never overwrites an outcome another one recorded; whether it did.
    async fn update_unfinished_file_import(&self, import: &FileImport) -> Result<bool>;
    async fn file_import(&self, project_id: &str, id: &str) -> Result<Option<FileImport>>;
    async fn delete_file_import(&self, project_id: &str, id: &str) -> Result<bool>;
    /// A project's file imports (or one model's), newest first.
    async fn file_imports(
        &self,
        project_id: &str,
        model_id: Option<&str>,
        window: Window,
    ) -> Result<Listed<FileImport>>;
    /// File imports on the whole server by file type and status, ordered by both.
    async fn import_totals(&self) -> Result<Vec<ImportTotal>>;
}
