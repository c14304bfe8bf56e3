//! File imports: a file uploaded to a project becomes a version of a model. `start` records the
//! import and queues a `file-import` job; the converter (a worker, or an external importer
//! acting through the API) reports back with `finish`.

use std::time::Duration;

use md5::{Digest, Md5};
use serde_json::json;

use super::service::{load, principal};
use super::{
    attachments, models, versions, Attachment, FileImport, ImportStatus, Listed, UploadStatus,
    Window,
};
use crate::auth::Actor;
use crate::authz::Action;
use crate::core::Core;
use crate::error::{Error, Result};
use crate::queue::NewJob;

/// The job kind that converts an imported file.
pub const IMPORT_JOB: &str = "file-import";

/// The file types there is a converter for, by lower-case extension.
pub const FORMATS: [&str; 5] = ["ifc", "obj", "stl", "glb", "gltf"];

/// Why a file of type `file_type` (a lower-case extension, possibly empty) cannot be imported,
/// or `None` when a converter reads it.
pub fn unsupported(file_type: &str) -> Option<String> {
    if FORMATS.contains(&file_type) {
        return None;
    }
    let formats = FORMATS.map(|f| format!(".{f}")).join(", ");
    Some(if file_type.is_empty() {
        format!("A file without a type (such as .ifc) cannot be imported; Fleck imports {formats}.")
    } else {
        format!("Files of type .{file_type} cannot be imported; Fleck imports {formats}.")
    })
}

/// What a client asks to import: a file it uploaded (`file_id`), into a model.
pub struct ImportRequest<'a> {
    pub project_id: &'a str,
    pub model_id: &'a str,
    pub file_id: &'a str,
    /// The ETag the blob store answered the upload with, quotes ignored, so that a file replaced
    /// since is not converted; `None`: the file as stored now (the web app's own upload).
    pub etag: Option<&'a str>,
}

/// How a conversion ended, as the converter reports it.
pub enum ImportOutcome {
    Succeeded {
        version_id: String,
        warnings: Vec<String>,
    },
    Failed {
        reason: String,
    },
}

/// Starts converting an uploaded file into a version of a model. Starting the same file again
/// returns the import already under way.
pub async fn start(
    core: &Core,
    actor: &Actor,
    request: ImportRequest<'_>,
    size_limit: u64,
) -> Result<FileImport> {
    start_for(core, actor, request, size_limit, None).await
}

/// `start`, reporting to a model ingestion (`startFileIngestion`) when one is given.
pub(crate) async fn start_for(
    core: &Core,
    actor: &Actor,
    request: ImportRequest<'_>,
    size_limit: u64,
    ingestion_id: Option<&str>,
) -> Result<FileImport> {
    let ImportRequest {
        project_id,
        model_id,
        file_id,
        etag,
    } = request;
    load(core, actor, project_id, Action::WriteProject).await?;
    let user_id = principal(actor)?.user.id.clone();
    let model = models::find(core, project_id, model_id).await?;
    if let Some(existing) = core.projects.file_import(project_id, file_id).await? {
        return Ok(existing);
    }
    let mut file = attachments::find(core, project_id, file_id).await?;
    if let Some(why) = unsupported(&file.file_type) {
        return Err(Error::invalid("fileId", why));
    }
    attachments::complete(core, &mut file).await?;
    let stored_etag = file.file_hash.as_deref().unwrap_or_default();
    if etag.is_some_and(|etag| unquoted(stored_etag) != unquoted(etag)) {
        return Err(Error::invalid(
            "etag",
            "the ETag does not match the uploaded file; upload it again",
        ));
    }
    let file_size = file.file_size.unwrap_or_default();
    if file_size as u64 > size_limit {
        return Err(Error::invalid(
            "fileId",
            format!(
                "the file is {} MiB; files to import may be at most {} MiB",
                (file_size as u64).div_ceil(1024 * 1024),
                size_limit / (1024 * 1024)
            ),
        ));
    }
    let now = super::now();
    let import = FileImport {
        id: file.id,
        project_id: project_id.to_string(),
        model_id: model.id,
        user_id,
        file_name: file.file_name,
        file_type: file.file_type,
        file_size,
        status: ImportStatus::Queued,
        message: None,
        version_id: None,
        performance: None,
        created_at: now,
        updated_at: now,
    };
    core.projects.save_file_import(&import).await?;
    let mut job = NewJob::new(
        IMPORT_JOB,
        json!({ "projectId": import.project_id, "fileImportId": import.id, "ingestionId": ingestion_id }),
    );
    // A conversion that fails on a file fails again; retries are for crashed workers.
    job.max_attempts = 3;
    core.jobs.enqueue(job).await?;
    Ok(import)
}

/// Marks an import as converting, for the converter that took its job; `None` when there is
/// nothing to convert (the import is gone, or a converter already finished it).
pub async fn begin(core: &Core, project_id: &str, import_id: &str) -> Result<Option<FileImport>> {
    let Some(mut import) = core.projects.file_import(project_id, import_id).await? else {
        return Ok(None);
    };
    import.status = ImportStatus::Converting;
    import.updated_at = super::now();
    let unfinished = core.projects.update_unfinished_file_import(&import).await?;
    Ok(unfinished.then_some(import))
}

/// Hands a converting import back to the queue when its converter's attempt ended without an
/// outcome (a store it needed did not answer) and its job will run again.
pub async fn requeue(core: &Core, project_id: &str, import_id: &str) -> Result<()> {
    if let Some(mut import) = core.projects.file_import(project_id, import_id).await? {
        import.status = ImportStatus::Queued;
        import.updated_at = super::now();
        core.projects.update_unfinished_file_import(&import).await?;
    }
    Ok(())
}

/// Ends an import the converter gave up on (its job will not run again) as failed with
/// `reason`, on the system's behalf: unlike `finish`, no user acts, as the importing one may be
/// gone. An import that already ended stays as it is.
pub async fn abandon(core: &Core, project_id: &str, import_id: &str, reason: &str) -> Result<()> {
    if let Some(mut import) = core.projects.file_import(project_id, import_id).await? {
        import.status = ImportStatus::Failed;
        import.version_id = None;
        import.message = Some(reason.to_string());
        import.updated_at = super::now();
        core.projects.update_unfinished_file_import(&import).await?;
    }
    Ok(())
}

/// Records how a conversion ended, as reported by a converter through `finishFileImport`; like
/// Speckle, the latest report wins. A successful one names the version it created, which must
/// exist in the project.
pub async fn finish(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    import_id: &str,
    outcome: ImportOutcome,
    performance: Option<serde_json::Value>,
) -> Result<FileImport> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let import = concluded(core, project_id, import_id, outcome, performance).await?;
    core.projects.save_file_import(&import).await?;
    Ok(import)
}

/// Records how Fleck's own converter ended an import, unless another converter reported an
/// outcome for it meanwhile; whether it did.
pub async fn conclude(
    core: &Core,
    project_id: &str,
    import_id: &str,
    outcome: ImportOutcome,
    performance: Option<serde_json::Value>,
) -> Result<bool> {
    let import = concluded(core, project_id, import_id, outcome, performance).await?;
    core.projects.update_unfinished_file_import(&import).await
}

/// The import as `outcome` ends it.
async fn concluded(
    core: &Core,
    project_id: &str,
    import_id: &str,
    outcome: ImportOutcome,
    performance: Option<serde_json::Value>,
) -> Result<FileImport> {
    let mut import = find(core, project_id, import_id).await?;
    match outcome {
        ImportOutcome::Succeeded {
            version_id,
            warnings,
        } => {
            let version = versions::find(core, project_id, &version_id).await?;
            import.status = ImportStatus::Succeeded;
            import.version_id = Some(version.id);
            import.message = (!warnings.is_empty()).then(|| warnings.join("\n"));
        }
        ImportOutcome::Failed { reason } => {
            import.status = ImportStatus::Failed;
            import.version_id = None;
            import.message = Some(if reason.trim().is_empty() {
                "The file could not be converted.".to_string()
            } else {
                reason
            });
        }
    }
    import.performance = performance;
    import.updated_at = super::now();
    Ok(import)
}

/// A project's imports, or one model's, newest first.
pub async fn list(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    model_id: Option<&str>,
    window: Window,
) -> Result<Listed<FileImport>> {
    load(core, actor, project_id, Action::ReadProject).await?;
    core.projects
        .file_imports(project_id, model_id, window)
        .await
}

/// Removes a failed import from the project's files, with the file it could not convert, so a
/// mistaken upload does not stay listed. Imports under way or converted stay: a converted one
/// is the record of where its version came from.
pub async fn remove(core: &Core, actor: &Actor, project_id: &str, import_id: &str) -> Result<()> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let import = find(core, project_id, import_id).await?;
    if import.status != ImportStatus::Failed {
        return Err(Error::invalid(
            "id",
            "only a failed import can be removed; this one is under way or converted",
        ));
    }
    // The file may be gone already; a store that does not answer stops the removal.
    if let Some(file) = core.projects.attachment(project_id, &import.id).await? {
        attachments::remove_stored(core, &file).await?;
    }
    core.projects
        .delete_file_import(project_id, &import.id)
        .await?;
    Ok(())
}

pub async fn find(core: &Core, project_id: &str, id: &str) -> Result<FileImport> {
    core.projects
        .file_import(project_id, id)
        .await?
        .ok_or_else(|| Error::NotFound("file import".into()))
}

/// How long before the imported file itself a material library (an OBJ's `.mtl`) may have been
/// uploaded to count as part of the same upload.
pub const COMPANION_WINDOW: Duration = Duration::from_secs(60 * 60);

const MIB: u64 = 1024 * 1024;

/// The file an import converts, read whole, but only as it was when the import was started: a
/// file replaced since (a different size or ETag than recorded then), or one larger than
/// `size_limit`, is refused with `Error::Invalid` whose reason says so in words for the person
/// who imported it. Never reads more than `size_limit` bytes. `NotFound` when the file is gone.
pub async fn read_file(core: &Core, import: &FileImport, size_limit: u64) -> Result<Vec<u8>> {
    let file = attachments::find(core, &import.project_id, &import.id).await?;
    read_recorded(core, &file, import.file_size, size_limit).await
}

/// The bytes of a completed upload as recorded (`recorded_size`, and the ETag kept as the
/// file's hash), read with a cap of `size_limit`.
async fn read_recorded(
    core: &Core,
    file: &Attachment,
    recorded_size: i64,
    size_limit: u64,
) -> Result<Vec<u8>> {
    let changed = || {
        Error::invalid(
            "file",
            format!(
                "{} was replaced after the import was started; upload it again and start a new import",
                file.file_name
            ),
        )
    };
    let too_large = |size: u64| {
        Error::invalid(
            "file",
            format!(
                "{} is {}; files to import may be at most {}",
                file.file_name,
                human_size(size),
                human_size(size_limit)
            ),
        )
    };
    let blob = core
        .blobs
        .get(&file.object_key)
        .await?
        .ok_or_else(|| Error::NotFound("file".into()))?;
    let recorded_size = u64::try_from(recorded_size).unwrap_or_default();
    let recorded_etag = file.file_hash.as_deref().map(unquoted);
    if blob.info.size != recorded_size
        || recorded_etag.is_some_and(|etag| etag != unquoted(&blob.info.etag))
    {
        return Err(changed());
    }
    if recorded_size > size_limit {
        return Err(too_large(recorded_size));
    }
    // Never more than was recorded, nor more than the limit, whatever the store says now.
    let bytes = blob
        .bytes_at_most(recorded_size)
        .await?
        .ok_or_else(changed)?;
    if bytes.len() as u64 != recorded_size {
        return Err(changed());
    }
    // A single-part ETag is the content's MD5: the bytes read must be the ones recorded.
    if let Some(etag) = recorded_etag.filter(|etag| is_md5(etag)) {
        if !hex::encode(Md5::digest(&bytes)).eq_ignore_ascii_case(etag) {
            return Err(changed());
        }
    }
    Ok(bytes)
}

/// Bytes in whole MiB, or KiB below one MiB (rounded up, so nothing over a limit reads as it).
fn human_size(bytes: u64) -> String {
    if bytes >= MIB {
        format!("{} MiB", bytes.div_ceil(MIB))
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

fn is_md5(etag: &str) -> bool {
    etag.len() == 32 && etag.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A file of type `file_type` (a lower-case extension) that the imported file names, such as
/// the `.mtl` material library an OBJ names with `mtllib`, as long as it belongs to the same
/// upload as the imported file: a completed upload of the same project with exactly that name
/// (case aside) and type, by the user who imports, uploaded at most [`COMPANION_WINDOW`] before
/// the imported file and no later than the import was started. Any other attachment of the
/// project (another member's, an older one, one of another type) is never read on an import's
/// behalf. `None` when there is no such file; `Error::Invalid` when it is larger than
/// `size_limit` or was replaced.
pub async fn companion_file(
    core: &Core,
    import: &FileImport,
    file_name: &str,
    file_type: &str,
    size_limit: u64,
) -> Result<Option<Vec<u8>>> {
    let wanted_type = file_type.to_lowercase();
    let named_type = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_lowercase());
    if named_type.as_deref() != Some(wanted_type.as_str()) {
        return Ok(None);
    }
    let imported = attachments::find(core, &import.project_id, &import.id).await?;
    let window = chrono::Duration::from_std(COMPANION_WINDOW).unwrap_or_default();
    let earliest = imported.created_at - window;
    let listed = core
        .projects
        .attachments(
            &import.project_id,
            Some(file_name),
            Window {
                offset: 0,
                limit: 100,
            },
        )
        .await?;
    // Newest first; file names compare as Windows and macOS do, ignoring case.
    let Some(file) = listed.items.into_iter().find(|f| {
        f.id != imported.id
            && f.file_name.eq_ignore_ascii_case(file_name)
            && f.file_type == wanted_type
            && f.status == UploadStatus::Completed
            && f.user_id.as_deref() == Some(import.user_id.as_str())
            && f.created_at >= earliest
            && f.created_at <= import.created_at
    }) else {
        return Ok(None);
    };
    let size = file.file_size.unwrap_or_default();
    read_recorded(core, &file, size, size_limit).await.map(Some)
}

fn unquoted(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}
