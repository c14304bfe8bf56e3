//! Versions sent as files (Speckle's parquet bundles, `send3`): the client asks for an upload
//! URL per file of an ingestion, puts the files straight into the blob store, and completes the
//! ingestion with their ETags; the version then points at `bundle.{project}.{model}.{version}`
//! and lists its files for `receive3`.
//!
//! Completing reads the bundle: a file that is not a readable bundle fails the ingestion with
//! the reason and makes no version. What it reads becomes an object tree (see
//! [`crate::bundle::tree`]) that the viewer, previews and version compare draw, so a bundle
//! version works everywhere a version sent as objects does. The other way, a version sent as
//! objects is written as a bundle the first time `receive3` asks for its files.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use bytes::Bytes;
use futures::TryStreamExt;

use super::service::{self, finish_with_version};
use super::Artifact;
use crate::auth::Actor;
use crate::authz::Action;
use crate::blobs::{stream_from_bytes, Method};
use crate::bundle::{self, tree};
use crate::core::Core;
use crate::error::{Error, Result};
use crate::objects::build::Objects;
use crate::projects::service::load;
use crate::projects::{models, versions, Version};

use super::BUNDLE_FOLDER;

/// The most files one version may be sent as.
pub const MAX_FILES: usize = 64;
/// How long upload and download links work.
pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The most bytes one version's files may hold: the server reads them whole to check them and
/// to build the version's object tree.
pub const MAX_BUNDLE_BYTES: i64 = 1 << 30;
/// The most objects a version may have to be written as a bundle for `receive3`.
pub const MAX_WRITTEN_OBJECTS: usize = 1_000_000;

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
    let total: i64 = artifacts.iter().map(|a| a.size).sum();
    if total > MAX_BUNDLE_BYTES {
        let reason = format!("the bundle's files hold {total} bytes, more than {MAX_BUNDLE_BYTES}");
        return Err(refuse(core, actor, &ingestion, reason).await);
    }
    let root = match store_tree(core, project_id, &ingestion.model_id, &artifacts).await? {
        Ok(root) => root,
        Err(reason) => return Err(refuse(core, actor, &ingestion, reason.to_string()).await),
    };
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
    core.ingestions
        .record_display_tree(project_id, &version.id, &root)
        .await?;
    if let Err(e) = crate::previews::request(core, project_id, &root).await {
        tracing::warn!(error = %e, version = %version.id, "could not queue the version's preview");
    }
    crate::changes::request_summary(core, project_id, &version.id).await;
    Ok(version)
}

/// Fails the ingestion with `reason` and answers it to the client.
async fn refuse(core: &Core, actor: &Actor, ingestion: &super::Ingestion, reason: String) -> Error {
    let step = service::Step::Fail {
        reason: reason.clone(),
    };
    let failed = service::advance(core, actor, &ingestion.project_id, &ingestion.id, step).await;
    if let Err(e) = failed {
        tracing::warn!(error = %e, ingestion = %ingestion.id, "could not mark the ingestion failed");
    }
    Error::invalid("files", reason)
}

async fn download(core: &Core, artifacts: &[Artifact]) -> Result<Vec<(String, Bytes)>> {
    let mut files = Vec::with_capacity(artifacts.len());
    for artifact in artifacts {
        let blob = core.blobs.get(&artifact.object_key).await?.ok_or_else(|| {
            Error::invalid("etags", format!("{} is no longer stored", artifact.name))
        })?;
        files.push((artifact.name.clone(), Bytes::from(blob.bytes().await?)));
    }
    Ok(files)
}

/// Reads the files, builds their object tree on a blocking thread, named after the model, and
/// stores its objects a batch at a time as they are built; the tree's root id, or what is wrong
/// with the bundle. A bundle found wrong part way leaves the objects stored so far, unreferenced.
async fn store_tree(
    core: &Core,
    project_id: &str,
    model_id: &str,
    artifacts: &[Artifact],
) -> Result<std::result::Result<String, bundle::BundleError>> {
    let name = models::find(core, project_id, model_id)
        .await?
        .display_name()
        .to_string();
    let files = download(core, artifacts).await?;
    let (batches, mut made) = tokio::sync::mpsc::channel(1);
    let building = tokio::task::spawn_blocking(move || {
        let read = bundle::read(&files)?;
        drop(files);
        let objects = Objects::streaming(move |batch| batches.blocking_send(batch).is_ok());
        let (mut objects, root) = tree::from_bundle(read, &name, objects)?;
        objects.flush();
        Ok(root)
    });
    // The channel closes when the builder is done (or has failed) and drops its sender.
    while let Some(batch) = made.recv().await {
        core.objects.insert_objects(project_id, batch).await?;
    }
    let built: std::result::Result<_, bundle::BundleError> = building
        .await
        .map_err(|e| Error::backend("reading a bundle", e))?;
    Ok(built.map(|root| root.id))
}

/// The root of the object tree that draws `version`: its own root object, or for a version
/// sent as a bundle the tree built from its files (built now if none is recorded yet).
pub(crate) async fn drawn_root(core: &Core, version: &Version) -> Result<String> {
    if !version.is_bundle() {
        return Ok(version.referenced_object.clone());
    }
    let (project_id, version_id) = (version.project_id.as_str(), version.id.as_str());
    if let Some(root) = core.ingestions.display_tree(project_id, version_id).await? {
        return Ok(root);
    }
    let artifacts = core.ingestions.artifacts(project_id, version_id).await?;
    if artifacts.is_empty() {
        return Err(Error::NotFound("bundle".into()));
    }
    let root = store_tree(core, project_id, &version.model_id, &artifacts)
        .await?
        .map_err(|e| Error::invalid("bundle", e.to_string()))?;
    core.ingestions
        .record_display_tree(project_id, version_id, &root)
        .await?;
    Ok(root)
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
    let mut files = core.ingestions.artifacts(project_id, version_id).await?;
    if files.is_empty() {
        write_bundle(core, &version).await?;
        files = core.ingestions.artifacts(project_id, version_id).await?;
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

/// Writes a version sent as objects as bundle files and records them, for `receive3`.
async fn write_bundle(core: &Core, version: &Version) -> Result<()> {
    let project_id = version.project_id.as_str();
    if version.is_bundle() {
        return Err(Error::NotFound("bundle".into()));
    }
    let rows =
        crate::objects::tree::whole(core.objects.clone(), project_id, &version.referenced_object)
            .await?
            .ok_or_else(|| Error::NotFound("bundle".into()))?;
    let mut objects = HashMap::new();
    let mut rows = rows;
    while let Some(chunk) = rows.try_next().await? {
        for (id, json) in chunk {
            if objects.len() >= MAX_WRITTEN_OBJECTS {
                return Err(Error::invalid(
                    "version",
                    format!(
                        "more than {MAX_WRITTEN_OBJECTS} objects are too many to write as a bundle"
                    ),
                ));
            }
            let value = serde_json::from_str(&json)
                .map_err(|e| Error::backend(format!("reading stored object {id}"), e))?;
            objects.insert(id, value);
        }
    }
    let root = version.referenced_object.clone();
    let written = tokio::task::spawn_blocking(move || {
        let bundle = tree::to_bundle(&root, &objects)?;
        bundle::write(&bundle, "bundle", "fleck")
    })
    .await
    .map_err(|e| Error::backend("writing a bundle", e))?
    .map_err(|e| Error::backend(format!("writing version {}'s bundle", version.id), e))?;
    let now = crate::projects::now();
    let mut artifacts = Vec::with_capacity(written.len());
    for (name, bytes) in written {
        let key = format!("{BUNDLE_FOLDER}/{project_id}/version-{}/{name}", version.id);
        let size = bytes.len() as i64;
        let stored = core.blobs.put(&key, stream_from_bytes(bytes), None).await?;
        artifacts.push(Artifact {
            project_id: project_id.to_string(),
            version_id: version.id.clone(),
            name,
            object_key: key,
            size,
            etag: stored.etag,
            created_at: now,
        });
    }
    core.ingestions.insert_artifacts(&artifacts).await
}
