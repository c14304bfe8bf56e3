//! File imports: a file uploaded to a project becomes a version of a model. `start` records the
//! import and queues a `file-import` job; the converter (a worker, or an external importer
//! acting through the API) reports back with `finish`.

use serde_json::json;

use super::service::{load, principal};
use super::{attachments, models, versions, FileImport, ImportStatus, Listed, Window};
use crate::auth::Actor;
use crate::authz::Action;
use crate::backends::Core;
use crate::error::{Error, Result};
use crate::queue::NewJob;

/// The job kind that converts an imported file.
pub const IMPORT_JOB: &str = "file-import";

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
        json!({ "projectId": import.project_id, "fileImportId": import.id }),
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

pub async fn find(core: &Core, project_id: &str, id: &str) -> Result<FileImport> {
    core.projects
        .file_import(project_id, id)
        .await?
        .ok_or_else(|| Error::NotFound("file import".into()))
}

fn unquoted(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}
