//! Versions sent as files (Speckle's parquet bundles, `send3`): the client asks for an upload
//! URL per file of an ingestion, puts the files straight into the blob store, and completes the
//! ingestion with their ETags; the version then points at `bundle.{project}.{model}.{version}`
//! and lists its files for `receive3`.

use std::collections::BTreeMap;
use std::time::Duration;

use super::service::{self, finish_with_version};
use super::Artifact;
use crate::auth::Actor;
use crate::authz::Action;
use crate::backends::Core;
use crate::blobs::Method;
use crate::error::{Error, Result};
use crate::projects::service::load;
use crate::projects::{versions, Version};

use super::BUNDLE_FOLDER;

/// The most files one version may be sent as.
pub const MAX_FILES: usize = 64;
/// How long upload and download links work.
pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

pub(crate) fn object_key(project_id: &str, ingestion_id: &str, name: &str) -> String {
    format!("{BUNDLE_FOLDER}/{project_id}/{ingestion_id}/{name}")
}

/// A bare file name the blob store can keep as it is: letters, digits, `.`, `_`, `-`.
fn checked_name(name: &str) -> Result<&str> {
    let plain = !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !plain {
        return Err(Error::invalid(
            "files",
            format!(
                "{name:?} is not a plain file name (letters, digits, '.', '_', '-', at most 200)"
            ),
        ));
    }
    Ok(name)
}

fn checked_count(count: usize) -> Result<()> {
    if count == 0 || count > MAX_FILES {
        return Err(Error::invalid(
            "files",
            format!("a version is sent as 1 to {MAX_FILES} files, not {count}"),
        ));
    }
    Ok(())
}

/// An upload URL per file of an open ingestion.
pub async fn sign(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    ingestion_id: &str,
    files: &[String],
) -> Result<BTreeMap<String, String>> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let ingestion = service::open(core, project_id, ingestion_id).await?;
    checked_count(files.len())?;
    let mut urls = BTreeMap::new();
    for name in files {
        let key = object_key(project_id, &ingestion.id, checked_name(name)?);
        let url = core.blobs.presign_upload(&key, None, LINK_LIFETIME).await?;
        urls.insert(name.clone(), url);
    }
    Ok(urls)
}

/// Whether an upload URL for `key` may still be used: its ingestion is still open.
pub async fn awaits_upload(core: &Core, key: &str) -> Result<bool> {
    let mut parts = key.split('/');
    let (Some(BUNDLE_FOLDER), Some(project_id), Some(ingestion_id), Some(_name), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Ok(false);
    };
    Ok(service::open(core, project_id, ingestion_id).await.is_ok())
}

/// What the client reports when its files are uploaded.
pub struct Completion {
    /// Each file's name and the ETag its upload answered, quotes included.
    pub etags: BTreeMap<String, String>,
    pub root_id: String,
    pub total_children_count: Option<i64>,
}

/// Checks every file against the ETag the client got for it, then creates the version under
/// the reserved id and ends the ingestion.
pub async fn complete(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    ingestion_id: &str,
    completion: Completion,
) -> Result<Version> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let ingestion = service::open(core, project_id, ingestion_id).await?;
    checked_count(completion.etags.len())?;
    let expected_root =
        super::bundle_root_id(project_id, &ingestion.model_id, &ingestion.version_id);
    if completion.root_id != expected_root {
        return Err(Error::invalid(
            "rootId",
            format!("this ingestion's bundle is {expected_root}"),
        ));
    }
    if completion.total_children_count.is_some_and(|n| n < 0) {
        return Err(Error::invalid("totalChildrenCount", "must not be negative"));
    }
    let now = crate::projects::now();
    let mut artifacts = Vec::with_capacity(completion.etags.len());
    for (name, etag) in &completion.etags {
        let key = object_key(project_id, &ingestion.id, checked_name(name)?);
        let stored = core
            .blobs
            .head(&key)
            .await?
            .ok_or_else(|| Error::invalid("etags", format!("{name} was not uploaded")))?;
        // Compared as the upload answered it, quotes included, as S3 does.
        if *etag != format!("\"{}\"", stored.etag) {
            return Err(Error::invalid(
                "etags",
                format!("Etag mismatch for {name}: the stored file is not the one uploaded"),
            ));
        }
        artifacts.push(Artifact {
            project_id: project_id.to_string(),
            version_id: ingestion.version_id.clone(),
            name: name.clone(),
            object_key: key,
            size: stored.size as i64,
            etag: stored.etag,
            created_at: now,
        });
    }
    let (_, version) = finish_with_version(
        core,
        actor,
        ingestion,
        completion.root_id,
        None,
        completion.total_children_count,
    )
    .await?;
    core.ingestions.insert_artifacts(&artifacts).await?;
    Ok(version)
}

/// Download URLs of a version's files; `NotFound` when it was not sent as files.
pub async fn artifacts(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    model_id: &str,
    version_id: &str,
) -> Result<Vec<(String, String)>> {
    load(core, actor, project_id, Action::ReadProject).await?;
    let version = versions::find(core, project_id, version_id).await?;
    if version.model_id != model_id {
        return Err(Error::NotFound("version".into()));
    }
    let files = core.ingestions.artifacts(project_id, version_id).await?;
    if files.is_empty() {
        return Err(Error::NotFound("bundle".into()));
    }
    let mut urls = Vec::with_capacity(files.len());
    for file in files {
        let url = core
            .blobs
            .presign(Method::Get, &file.object_key, LINK_LIFETIME)
            .await?;
        urls.push((file.name, url));
    }
    Ok(urls)
}
