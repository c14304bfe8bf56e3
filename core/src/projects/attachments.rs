//! Files attached to a project (Speckle's "blobs"): uploaded through the server or straight to
//! the blob store with a presigned URL, listed, downloaded and deleted, each checked by `authz`.

use super::service::{load, principal};
use super::{Attachment, Listed, UploadStatus, Window, ATTACHMENT_FOLDER, UPLOAD_URL_LIFETIME};
use crate::auth::Actor;
use crate::authz::Action;
use crate::blobs::{Blob, BlobStream};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::ids;

/// The lower-cased extension of a file name; `""` without one.
fn file_type(file_name: &str) -> String {
    match file_name.rsplit_once('.') {
        Some((_, ext)) if !ext.is_empty() && !ext.contains('/') => ext.to_lowercase(),
        _ => String::new(),
    }
}

fn checked_name(file_name: &str) -> Result<String> {
    let name = file_name.trim();
    if name.is_empty() || name.chars().count() > 1024 {
        return Err(Error::invalid(
            "fileName",
            "a file needs a name of at most 1024 characters",
        ));
    }
    Ok(name.to_string())
}

fn pending(project_id: &str, user_id: &str, file_name: &str) -> Result<Attachment> {
    let id = ids::new_id();
    Ok(Attachment {
        object_key: format!("{ATTACHMENT_FOLDER}/{project_id}/{id}"),
        id,
        project_id: project_id.to_string(),
        user_id: Some(user_id.to_string()),
        file_type: file_type(file_name),
        file_name: checked_name(file_name)?,
        file_size: None,
        file_hash: None,
        status: UploadStatus::Pending,
        upload_error: None,
        created_at: super::now(),
    })
}

/// Stores one uploaded file (comment attachments: whoever may comment may attach files). A body
/// the store refuses (e.g. over the size limit) is recorded as a failed upload with the reason,
/// as Speckle reports it.
pub async fn upload(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    file_name: &str,
    content_type: Option<&str>,
    body: BlobStream,
) -> Result<Attachment> {
    load(core, actor, project_id, Action::AttachFiles).await?;
    let mut attachment = pending(project_id, &principal(actor)?.user.id, file_name)?;
    core.projects.save_attachment(&attachment).await?;
    match core
        .blobs
        .put(&attachment.object_key, body, content_type)
        .await
    {
        Ok(info) => {
            attachment.file_size = Some(info.size as i64);
            attachment.file_hash = Some(info.etag);
            attachment.status = UploadStatus::Completed;
        }
        Err(e) => {
            tracing::warn!(error = %e, file = file_name, "attachment upload failed");
            attachment.status = UploadStatus::Failed;
            attachment.upload_error = Some(match &e {
                // The store's own failure is the server's to log, not the client's to read.
                Error::Backend { .. } => "the file could not be stored".to_string(),
                refused => refused.to_string(),
            });
            if e.is_unavailable() {
                // Storage is down: the client is told so (503) and may try again later.
                core.projects.save_attachment(&attachment).await?;
                return Err(e);
            }
        }
    }
    core.projects.save_attachment(&attachment).await?;
    Ok(attachment)
}

/// What a client asks to upload with a presigned URL.
pub struct UploadRequest<'a> {
    pub project_id: &'a str,
    pub file_name: &'a str,
    /// The file's exact length in bytes, when the client says it: the URL then accepts only a
    /// body of that length, and a file over `size_limit` is refused before anything is reserved.
    /// Speckle's clients do not say it; their uploads are held to the size and ETag recorded
    /// when an import starts instead.
    pub file_size: Option<u64>,
}

/// Reserves an attachment and returns it with a URL the client `PUT`s the file to.
pub async fn upload_url(
    core: &Core,
    actor: &Actor,
    request: UploadRequest<'_>,
    size_limit: u64,
) -> Result<(Attachment, String)> {
    let UploadRequest {
        project_id,
        file_name,
        file_size,
    } = request;
    load(core, actor, project_id, Action::WriteProject).await?;
    if let Some(size) = file_size.filter(|&size| size > size_limit) {
        return Err(Error::invalid(
            "fileSize",
            format!(
                "the file is {} MiB; files may be at most {} MiB",
                size.div_ceil(1024 * 1024),
                size_limit / (1024 * 1024)
            ),
        ));
    }
    let attachment = pending(project_id, &principal(actor)?.user.id, file_name)?;
    core.projects.save_attachment(&attachment).await?;
    let url = core
        .blobs
        .presign_upload(&attachment.object_key, file_size, UPLOAD_URL_LIFETIME)
        .await?;
    Ok((attachment, url))
}

/// Whether an upload URL for `key` may still be used: an attachment (or a bundle's ingestion)
/// waits for it. Once its project is deleted (or the upload done), the URL stops working.
pub async fn awaits_upload(core: &Core, key: &str) -> Result<bool> {
    if key.starts_with(crate::ingestions::BUNDLE_FOLDER) {
        return crate::ingestions::bundles::awaits_upload(core, key).await;
    }
    let Some((project_id, id)) = key
        .strip_prefix(ATTACHMENT_FOLDER)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|rest| rest.split_once('/'))
    else {
        return Ok(false);
    };
    Ok(core
        .projects
        .attachment(project_id, id)
        .await?
        .is_some_and(|a| a.object_key == key && a.status == UploadStatus::Pending))
}

/// Marks a presigned upload complete once the blob store has the file.
pub async fn complete(core: &Core, attachment: &mut Attachment) -> Result<()> {
    if attachment.status == UploadStatus::Completed {
        return Ok(());
    }
    let info = core
        .blobs
        .head(&attachment.object_key)
        .await?
        .ok_or_else(|| Error::invalid("fileId", "the file has not been uploaded yet"))?;
    attachment.file_size = Some(info.size as i64);
    attachment.file_hash = Some(info.etag);
    attachment.status = UploadStatus::Completed;
    core.projects.save_attachment(attachment).await
}

/// An attachment's record and bytes.
pub async fn download(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    id: &str,
) -> Result<(Attachment, Blob)> {
    load(core, actor, project_id, Action::ReadProject).await?;
    let mut attachment = find(core, project_id, id).await?;
    complete(core, &mut attachment).await?;
    let blob = core
        .blobs
        .get(&attachment.object_key)
        .await?
        .ok_or_else(|| Error::NotFound("file".into()))?;
    Ok((attachment, blob))
}

pub async fn list(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    name: Option<&str>,
    window: Window,
) -> Result<Listed<Attachment>> {
    load(core, actor, project_id, Action::ReadProject).await?;
    core.projects.attachments(project_id, name, window).await
}

/// Those of `ids` the project does not have.
pub async fn unknown(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    ids: &[String],
) -> Result<Vec<String>> {
    load(core, actor, project_id, Action::ReadProject).await?;
    let known = core.projects.known_attachments(project_id, ids).await?;
    Ok(ids
        .iter()
        .filter(|id| !known.contains(id))
        .cloned()
        .collect())
}

/// Deletes a file: contributors any, commenters their own.
pub async fn delete(core: &Core, actor: &Actor, project_id: &str, id: &str) -> Result<()> {
    let access = load(core, actor, project_id, Action::AttachFiles).await?;
    let attachment = find(core, project_id, id).await?;
    let own = attachment.user_id.as_deref() == Some(principal(actor)?.user.id.as_str());
    if !own && !access.allows(actor, Action::WriteProject) {
        return Err(Error::Forbidden(
            "only its uploader or the project's contributors can delete a file".into(),
        ));
    }
    remove_stored(core, &attachment).await
}

/// Deletes a file's bytes, then its record, once the caller's right to was checked.
pub(crate) async fn remove_stored(core: &Core, attachment: &Attachment) -> Result<()> {
    core.blobs.delete(&attachment.object_key).await?;
    core.projects
        .delete_attachment(&attachment.project_id, &attachment.id)
        .await?;
    Ok(())
}

pub async fn find(core: &Core, project_id: &str, id: &str) -> Result<Attachment> {
    core.projects
        .attachment(project_id, id)
        .await?
        .ok_or_else(|| Error::NotFound("file".into()))
}

#[cfg(test)]
mod tests {
    use super::file_type;

    #[test]
    fn file_types_are_lower_cased_extensions() {
        assert_eq!(file_type("Model.IFC"), "ifc");
        assert_eq!(file_type("archive.tar.gz"), "gz");
        assert_eq!(file_type("README"), "");
    }
}
