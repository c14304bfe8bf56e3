//! Rows of the project tables as both databases return them, generic over how each stores
//! times (SQLite: Unix milliseconds; PostgreSQL: `timestamptz`), with their conversions.

use crate::authz::{ProjectRole, Visibility};
use crate::db::dialect::StoredTime;
use crate::db::query::ProjectTable;
use crate::db::users::UserRow;
use crate::error::{Error, Result};
use crate::numbered::Numbered;
use crate::projects::{
    Activity, Attachment, FileImport, ImportStatus, Invitee, Member, Model, Project, ProjectInvite,
    UploadStatus, Version,
};

pub fn visibility_to_db(v: Visibility) -> &'static str {
    match v {
        Visibility::Private => "private",
        Visibility::Public => "public",
    }
}

fn visibility_from_db(v: &str) -> Visibility {
    match v {
        "public" => Visibility::Public,
        _ => Visibility::Private,
    }
}

#[derive(sqlx::FromRow)]
pub struct ProjectRow<T> {
    id: String,
    name: String,
    description: String,
    visibility: String,
    allow_public_comments: bool,
    created_at: T,
    updated_at: T,
}

impl<T: StoredTime> From<ProjectRow<T>> for Project {
    fn from(r: ProjectRow<T>) -> Self {
        Project {
            visibility: visibility_from_db(&r.visibility),
            id: r.id,
            name: r.name,
            description: r.description,
            allow_public_comments: r.allow_public_comments,
            created_at: r.created_at.into_utc(),
            updated_at: r.updated_at.into_utc(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct ProjectWithRoleRow<T> {
    #[sqlx(flatten)]
    project: ProjectRow<T>,
    role: String,
}

impl<T: StoredTime> TryFrom<ProjectWithRoleRow<T>> for (Project, ProjectRole) {
    type Error = Error;

    fn try_from(r: ProjectWithRoleRow<T>) -> Result<Self> {
        Ok((r.project.into(), r.role.parse()?))
    }
}

#[derive(sqlx::FromRow)]
pub struct ModelRow<T> {
    id: String,
    project_id: String,
    name: String,
    description: Option<String>,
    author_id: Option<String>,
    created_at: T,
    updated_at: T,
}

impl<T: StoredTime> From<ModelRow<T>> for Model {
    fn from(r: ModelRow<T>) -> Self {
        Model {
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            description: r.description,
            author_id: r.author_id,
            created_at: r.created_at.into_utc(),
            updated_at: r.updated_at.into_utc(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct VersionRow<T> {
    id: String,
    project_id: String,
    model_id: String,
    referenced_object: String,
    author_id: Option<String>,
    message: Option<String>,
    source_application: Option<String>,
    total_children_count: Option<i64>,
    parents: String,
    created_at: T,
}

impl<T: StoredTime> From<VersionRow<T>> for Version {
    fn from(r: VersionRow<T>) -> Self {
        Version {
            id: r.id,
            project_id: r.project_id,
            model_id: r.model_id,
            referenced_object: r.referenced_object,
            author_id: r.author_id,
            message: r.message,
            source_application: r.source_application,
            total_children_count: r.total_children_count,
            parents: serde_json::from_str(&r.parents).unwrap_or_default(),
            created_at: r.created_at.into_utc(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct MemberRow<T> {
    #[sqlx(flatten)]
    user: UserRow<T>,
    role: String,
}

impl<T: StoredTime> TryFrom<MemberRow<T>> for Member {
    type Error = Error;

    fn try_from(row: MemberRow<T>) -> Result<Self> {
        Ok(Member {
            role: row.role.parse()?,
            user: row.user.try_into()?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct InviteRow<T> {
    id: String,
    project_id: String,
    user_id: Option<String>,
    email: Option<String>,
    role: String,
    server_role: Option<String>,
    inviter_id: String,
    token: String,
    message: Option<String>,
    created_at: T,
}

impl<T: StoredTime> TryFrom<InviteRow<T>> for ProjectInvite {
    type Error = Error;

    fn try_from(row: InviteRow<T>) -> Result<Self> {
        let invitee = match (row.user_id, row.email) {
            (Some(user_id), _) => Invitee::User(user_id),
            (None, email) => Invitee::Email(email.unwrap_or_default()),
        };
        Ok(ProjectInvite {
            id: row.id,
            project_id: row.project_id,
            invitee,
            role: row.role.parse()?,
            server_role: row.server_role.map(|r| r.parse()).transpose()?,
            inviter_id: row.inviter_id,
            token: row.token,
            message: row.message,
            created_at: row.created_at.into_utc(),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct ActivityRow<T> {
    seq: i64,
    project_id: String,
    resource_type: String,
    resource_id: String,
    action_type: String,
    user_id: Option<String>,
    info: String,
    message: Option<String>,
    time: T,
}

impl<T: StoredTime> From<ActivityRow<T>> for Activity {
    fn from(r: ActivityRow<T>) -> Self {
        Activity {
            seq: r.seq,
            project_id: r.project_id,
            resource_type: r.resource_type,
            resource_id: r.resource_id,
            action_type: r.action_type,
            user_id: r.user_id,
            info: serde_json::from_str(&r.info).unwrap_or_default(),
            message: r.message,
            time: r.time.into_utc(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct AttachmentRow<T> {
    id: String,
    project_id: String,
    user_id: Option<String>,
    object_key: String,
    file_name: String,
    file_type: String,
    file_size: Option<i64>,
    file_hash: Option<String>,
    upload_status: i64,
    upload_error: Option<String>,
    created_at: T,
}

impl<T: StoredTime> From<AttachmentRow<T>> for Attachment {
    fn from(r: AttachmentRow<T>) -> Self {
        Attachment {
            id: r.id,
            project_id: r.project_id,
            user_id: r.user_id,
            object_key: r.object_key,
            file_name: r.file_name,
            file_type: r.file_type,
            file_size: r.file_size,
            file_hash: r.file_hash,
            status: UploadStatus::from_number(r.upload_status),
            upload_error: r.upload_error,
            created_at: r.created_at.into_utc(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct FileImportRow<T> {
    id: String,
    project_id: String,
    model_id: String,
    user_id: String,
    file_name: String,
    file_type: String,
    file_size: i64,
    status: i64,
    message: Option<String>,
    version_id: Option<String>,
    performance: Option<String>,
    created_at: T,
    updated_at: T,
}

impl<T: StoredTime> From<FileImportRow<T>> for FileImport {
    fn from(r: FileImportRow<T>) -> Self {
        FileImport {
            id: r.id,
            project_id: r.project_id,
            model_id: r.model_id,
            user_id: r.user_id,
            file_name: r.file_name,
            file_type: r.file_type,
            file_size: r.file_size,
            status: ImportStatus::from_number(r.status),
            message: r.message,
            version_id: r.version_id,
            performance: r.performance.and_then(|p| serde_json::from_str(&p).ok()),
            created_at: r.created_at.into_utc(),
            updated_at: r.updated_at.into_utc(),
        }
    }
}

/// `performance` as stored: JSON text.
pub fn performance_to_db(import: &FileImport) -> Option<String> {
    import.performance.as_ref().map(|p| p.to_string())
}

pub const MODELS: ProjectTable = ProjectTable::new("models", MODEL_COLUMNS, "a model");
pub const VERSIONS: ProjectTable = ProjectTable::new("versions", VERSION_COLUMNS, "a version");
pub const ATTACHMENTS: ProjectTable =
    ProjectTable::new("blobs", ATTACHMENT_COLUMNS, "an attachment");
pub const FILE_IMPORTS: ProjectTable =
    ProjectTable::new("file_imports", FILE_IMPORT_COLUMNS, "a file import");

pub const FILE_IMPORT_COLUMNS: &str = "id, project_id, model_id, user_id, file_name, file_type, file_size, status, message, version_id, performance, created_at, updated_at";
pub const ATTACHMENT_COLUMNS: &str = "id, project_id, user_id, object_key, file_name, file_type, file_size, file_hash, upload_status, upload_error, created_at";
pub const PROJECT_COLUMNS: &str = "p.id, p.name, p.description, p.visibility, p.allow_public_comments, p.created_at, p.updated_at";
pub const MODEL_COLUMNS: &str =
    "id, project_id, name, description, author_id, created_at, updated_at";
pub const VERSION_COLUMNS: &str = "id, project_id, model_id, referenced_object, author_id, message, source_application, total_children_count, parents, created_at";
pub const INVITE_COLUMNS: &str =
    "id, project_id, user_id, email, role, server_role, inviter_id, token, message, created_at";
