//! Versions sent as one objects file (the .NET SDK's send pipeline, connectors v3): the client
//! gets one upload URL for an ingestion, puts a gzip file of `id<TAB>speckle_type<TAB>json`
//! lines there (children first, the root last), and asks the server to process it. A job then
//! streams the file into the object store, batch by batch, and completes the ingestion with a
//! version of the root: memory stays flat whatever the file's size.

use async_compression::tokio::bufread::GzipDecoder;
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::io::StreamReader;

use super::bundles::{object_key, LINK_LIFETIME};
use super::service::{self, finish_with_version, Step};
use super::Ingestion;
use crate::auth::Actor;
use crate::authz::Action;
use crate::core::Core;
use crate::error::{Error, Result};
use crate::objects::{batch, NewObject};
use crate::projects::service::load;
use crate::queue::NewJob;

/// The job that ingests an uploaded objects file.
pub const INGEST_JOB: &str = "ingest-objects";
/// The uploaded file's name within its ingestion's folder.
const FILE_NAME: &str = "objects.ndjson.gz";
/// Objects stored at once.
const BATCH_OBJECTS: usize = 2_000;
const BATCH_BYTES: usize = 16 * 1024 * 1024;
/// Objects between two progress reports.
const PROGRESS_EVERY: u64 = 20_000;

/// The upload URL and blob key for an ingestion's objects file.
pub async fn sign(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    ingestion_id: &str,
) -> Result<(String, String)> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let ingestion = service::open(core, project_id, ingestion_id).await?;
    let key = object_key(project_id, &ingestion.id, FILE_NAME);
    let url = core.blobs.presign_upload(&key, None, LINK_LIFETIME).await?;
    Ok((url, key))
}

/// Checks the uploaded file against the ETag its upload answered and queues its ingestion.
pub async fn process(
    core: &Core,
    actor: &Actor,
    project_id: &str,
    ingestion_id: &str,
    etag: &str,
) -> Result<Ingestion> {
    load(core, actor, project_id, Action::WriteProject).await?;
    let ingestion = service::open(core, project_id, ingestion_id).await?;
    let key = object_key(project_id, &ingestion.id, FILE_NAME);
    let stored = core
        .blobs
        .head(&key)
        .await?
        .ok_or_else(|| Error::invalid("etag", "the objects file was not uploaded"))?;
    if etag.trim_matches('"') != stored.etag {
        return Err(Error::invalid(
            "etag",
            "Etag mismatch: the stored file is not the one uploaded",
        ));
    }
    let step = Step::Requeue {
        message: "Waiting to be processed".into(),
    };
    let ingestion = service::advance(core, actor, project_id, ingestion_id, step).await?;
    let mut job = NewJob::new(
        INGEST_JOB,
        json!({ "projectId": project_id, "ingestionId": ingestion.id, "etag": stored.etag }),
    );
    // A file that cannot be read fails the ingestion; retries are for crashed workers.
    job.max_attempts = 3;
    core.jobs.enqueue(job).await?;
    Ok(ingestion)
}

/// Why an ingestion job stopped: the file is wrong (the ingestion fails with the reason), or
/// something else went wrong (the job retries).
pub enum IngestError {
    Refused(String),
    Backend(Error),
}

impl From<Error> for IngestError {
    fn from(e: Error) -> Self {
        IngestError::Backend(e)
    }
}

/// The job's work: stores every object of the file and completes the ingestion with a version
/// of its last (root) object, acting as the user who made the ingestion.
pub async fn ingest(
    core: &Core,
    project_id: &str,
    ingestion_id: &str,
    etag: &str,
    max_object_bytes: usize,
) -> std::result::Result<(), IngestError> {
    let ingestion = match service::open(core, project_id, ingestion_id).await {
        Ok(ingestion) => ingestion,
        // Cancelled or ended meanwhile: nothing to do.
        Err(Error::Invalid { .. } | Error::NotFound(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let user = core
        .store
        .user_by_id(&ingestion.user_id)
        .await?
        .ok_or_else(|| IngestError::Refused("the ingestion's user no longer exists".into()))?;
    let actor = Actor::from_session(user);
    let step = Step::StartProcessing {
        message: "Storing objects".into(),
        source: ingestion.source.clone(),
    };
    service::advance(core, &actor, project_id, ingestion_id, step).await?;
    let result = store_objects(core, &actor, &ingestion, etag, max_object_bytes).await;
    let root = match result {
        Ok(root) => root,
        Err(IngestError::Refused(reason)) => {
            let step = Step::Fail {
                reason: reason.clone(),
            };
            service::advance(core, &actor, project_id, ingestion_id, step).await?;
            return Err(IngestError::Refused(reason));
        }
        Err(e) => return Err(e),
    };
    let ingestion = service::stored(core, project_id, ingestion_id).await?;
    finish_with_version(core, &actor, ingestion, root, None, None).await?;
    Ok(())
}

/// Batches read ahead while one is stored.
const READ_AHEAD: usize = 2;

/// Streams the file into the object store; the last object's id (the root). Reading (gunzip and
/// parsing) runs as a task of its own, a few batches ahead of storing.
async fn store_objects(
    core: &Core,
    actor: &Actor,
    ingestion: &Ingestion,
    etag: &str,
    max_object_bytes: usize,
) -> std::result::Result<String, IngestError> {
    let key = object_key(&ingestion.project_id, &ingestion.id, FILE_NAME);
    let blob = core
        .blobs
        .get(&key)
        .await?
        .ok_or_else(|| IngestError::Refused("the objects file is gone".into()))?;
    if blob.info.etag != etag {
        return Err(IngestError::Refused(
            "the objects file was replaced after it was processed".into(),
        ));
    }
    let reader = StreamReader::new(blob.body.map_err(std::io::Error::other));
    let lines = BufReader::new(GzipDecoder::new(BufReader::new(reader)));
    let (batches, read) = tokio::sync::mpsc::channel(READ_AHEAD);
    let reading = tokio::spawn(read_batches(lines, max_object_bytes, batches));
    // As many batches are written at once as the database takes (SQLite has one writer).
    let mut writes = ReceiverStream::new(read)
        .map(|batch: Vec<NewObject>| async move {
            let count = batch.len() as u64;
            core.objects
                .insert_objects(&ingestion.project_id, batch)
                .await
                .map(|()| count)
        })
        .buffer_unordered(core.objects.concurrent_writes());
    let mut stored = 0u64;
    // The stream ends when the reader is done or has stopped at a wrong line.
    while let Some(count) = writes.try_next().await? {
        stored += count;
        if stored % PROGRESS_EVERY < count {
            let step = Step::Progress {
                progress: None,
                message: format!("Stored {stored} objects"),
            };
            service::advance(core, actor, &ingestion.project_id, &ingestion.id, step).await?;
        }
    }
    reading
        .await
        .map_err(|e| Error::backend("reading an objects file", e))?
}

/// Reads the file's objects into batches for `batches`; the last object's id.
async fn read_batches(
    mut lines: impl tokio::io::AsyncBufRead + Unpin,
    max_object_bytes: usize,
    batches: tokio::sync::mpsc::Sender<Vec<NewObject>>,
) -> std::result::Result<String, IngestError> {
    let mut batch: Vec<NewObject> = Vec::new();
    let (mut batch_bytes, mut root) = (0usize, None);
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = (&mut lines)
            .take(max_object_bytes as u64 + 200)
            .read_until(b'\n', &mut line)
            .await
            .map_err(|e| {
                IngestError::Refused(format!("the objects file is not readable gzip: {e}"))
            })?;
        if read == 0 {
            break;
        }
        if !line.ends_with(b"\n") && read as u64 >= max_object_bytes as u64 + 200 {
            return Err(IngestError::Refused(format!(
                "an object is larger than {max_object_bytes} bytes"
            )));
        }
        let text = std::str::from_utf8(&line)
            .map_err(|_| IngestError::Refused("the objects file is not UTF-8".into()))?
            .trim_end_matches(['\n', '\r']);
        if text.is_empty() {
            continue;
        }
        let object = parse_line(text, max_object_bytes).map_err(IngestError::Refused)?;
        batch_bytes += object.data.len();
        root = Some(object.id.clone());
        batch.push(object);
        if batch.len() >= BATCH_OBJECTS || batch_bytes >= BATCH_BYTES {
            batch_bytes = 0;
            hand_on(&batches, std::mem::take(&mut batch)).await?;
        }
    }
    if !batch.is_empty() {
        hand_on(&batches, batch).await?;
    }
    root.ok_or_else(|| IngestError::Refused("the objects file holds no objects".into()))
}

/// Sends a batch to be stored; an error when storing has stopped (its own error is the one
/// reported).
async fn hand_on(
    batches: &tokio::sync::mpsc::Sender<Vec<NewObject>>,
    batch: Vec<NewObject>,
) -> std::result::Result<(), IngestError> {
    batches
        .send(batch)
        .await
        .map_err(|_| IngestError::Refused("storing the objects stopped".into()))
}

/// `id<TAB>speckle_type<TAB>json`, the id and type matching the JSON's.
pub fn parse_line(text: &str, max_object_bytes: usize) -> std::result::Result<NewObject, String> {
    let mut parts = text.splitn(3, '\t');
    let (Some(id), Some(_speckle_type), Some(json)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("each line is id, speckle_type and JSON, separated by tabs".into());
    };
    let object = batch::parse_one(json.to_string(), max_object_bytes)
        .map_err(|e| format!("object {id}: {e}"))?;
    if object.id != id {
        return Err(format!("the line of {id} holds object {}", object.id));
    }
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::parse_line;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn lines_name_their_object() {
        let line = format!("{ID}\tBase\t{{\"id\":\"{ID}\",\"speckle_type\":\"Base\",\"a\":1}}");
        let object = parse_line(&line, 1 << 20).unwrap();
        assert_eq!(object.id, ID);
        assert!(object.data.contains("\"a\":1"));
        let wrong = format!("ffffffffffffffffffffffffffffffff\tBase\t{{\"id\":\"{ID}\"}}");
        assert!(parse_line(&wrong, 1 << 20)
            .unwrap_err()
            .contains("holds object"));
        assert!(parse_line("no tabs here", 1 << 20).is_err());
        assert!(parse_line(&format!("{ID}\tBase\t{{not json"), 1 << 20).is_err());
    }
}
