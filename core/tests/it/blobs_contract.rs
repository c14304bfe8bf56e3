//! The `Blobs` contract (streamed put/get, metadata, keys), run unchanged against the disk store
//! and S3. Presigned URLs are only checked for their shape here; the server crate's tests make
//! HTTP requests with them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fleck_core::blobs::{stream_from_bytes, BlobInfo, BlobStream, Blobs, Method};
use fleck_core::Error;
use futures::StreamExt;
use md5::{Digest, Md5};

crate::support::contract_tests! {
    implementations: [disk => crate::support::disk_blobs, s3 => crate::support::s3_blobs],
    contracts: [
        blobs_round_trip_with_content_type,
        blobs_report_the_md5_of_a_small_body_as_etag,
        blobs_stream_a_large_body_in_and_out,
        blobs_overwrite_replaces_the_blob,
        blobs_delete_and_missing_keys,
        blobs_delete_a_whole_folder,
        blobs_reject_invalid_keys,
        blobs_keep_nothing_of_a_failed_upload,
    ],
}

/// Chunk size of streamed test bodies, as an HTTP body would arrive.
const CHUNK: usize = 64 * 1024;
/// Larger than two of S3Blobs' 8 MiB parts, so S3 gets a multipart upload of three parts.
const LARGE: usize = 20 * 1024 * 1024;

fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// Bytes that differ from position to position, so a lost, repeated or reordered chunk shows.
fn patterned(len: usize) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect()
}

/// `data` as a stream of `CHUNK`-sized pieces.
fn chunked(data: impl Into<Bytes>) -> BlobStream {
    let data: Bytes = data.into();
    let chunks: Vec<std::io::Result<Bytes>> = (0..data.len())
        .step_by(CHUNK)
        .map(|start| Ok(data.slice(start..(start + CHUNK).min(data.len()))))
        .collect();
    futures::stream::iter(chunks).boxed()
}

/// `good` bytes, then the error of a client that went away mid-upload.
fn failing_body(good: usize) -> BlobStream {
    let failure =
        futures::stream::once(async { Err(std::io::Error::other("the client went away")) });
    chunked(patterned(good)).chain(failure).boxed()
}

async fn put(
    blobs: &Arc<dyn Blobs>,
    key: &str,
    data: impl Into<Bytes>,
    content_type: Option<&str>,
) -> BlobInfo {
    blobs
        .put(key, stream_from_bytes(data), content_type)
        .await
        .unwrap_or_else(|e| panic!("storing {key}: {e}"))
}

/// The blob's metadata and its whole body.
async fn read(blobs: &Arc<dyn Blobs>, key: &str) -> Option<(BlobInfo, Vec<u8>)> {
    let blob = blobs.get(key).await.unwrap()?;
    let mut body = Vec::new();
    let mut stream = blob.body;
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.unwrap_or_else(|e| panic!("reading {key}: {e}")));
    }
    Some((blob.info, body))
}

fn assert_invalid<T: std::fmt::Debug>(result: fleck_core::Result<T>, what: &str) {
    match result {
        Err(Error::Invalid { .. }) => {}
        other => panic!("{what}: expected Error::Invalid, got {other:?}"),
    }
}

async fn blobs_round_trip_with_content_type(blobs: Arc<dyn Blobs>) {
    let key = "projects/p1/blobs/model.json";
    let data = br#"{"speckle_type":"Objects.Geometry.Mesh","vertices":[0,0,0,1,1,1]}"#;
    let stored = put(&blobs, key, &data[..], Some("application/json")).await;
    assert_eq!(stored.size, data.len() as u64);
    assert_eq!(stored.content_type.as_deref(), Some("application/json"));

    assert_eq!(blobs.head(key).await.unwrap(), Some(stored.clone()));
    let (info, body) = read(&blobs, key).await.expect("the blob exists");
    assert_eq!(info, stored);
    assert_eq!(body, data);

    // A URL for this key (whether it works is the server crate's tests' business).
    for method in [Method::Get, Method::Put] {
        let url = blobs
            .presign(method, key, Duration::from_secs(60))
            .await
            .unwrap();
        assert!(url.contains(key), "{method:?} URL {url} names the key");
    }
}

async fn blobs_report_the_md5_of_a_small_body_as_etag(blobs: Arc<dyn Blobs>) {
    // Several chunks, all within one part.
    let data = patterned(3 * CHUNK + 123);
    let stored = blobs
        .put(
            "previews/p1/v1.png",
            chunked(data.clone()),
            Some("image/png"),
        )
        .await
        .unwrap();
    assert_eq!(stored.etag, md5_hex(&data));
    assert_eq!(stored.size, data.len() as u64);
    assert_eq!(
        blobs
            .head("previews/p1/v1.png")
            .await
            .unwrap()
            .unwrap()
            .etag,
        stored.etag
    );
    let (info, body) = read(&blobs, "previews/p1/v1.png").await.unwrap();
    assert_eq!(info.etag, stored.etag);
    assert!(body == data, "the body comes back unchanged");

    let empty = put(&blobs, "empty", Bytes::new(), None).await;
    assert_eq!(
        (empty.size, empty.etag.as_str()),
        (0, md5_hex(b"").as_str())
    );
    let (info, body) = read(&blobs, "empty").await.unwrap();
    assert_eq!(info.size, 0);
    assert!(body.is_empty());
}

async fn blobs_stream_a_large_body_in_and_out(blobs: Arc<dyn Blobs>) {
    let data = patterned(LARGE);
    let key = "uploads/p1/site.ifc";
    let stored = blobs
        .put(key, chunked(data.clone()), Some("application/x-step"))
        .await
        .unwrap();
    assert_eq!(stored.size, LARGE as u64);
    assert!(!stored.etag.is_empty());
    assert_eq!(stored.content_type.as_deref(), Some("application/x-step"));
    assert_eq!(blobs.head(key).await.unwrap(), Some(stored.clone()));

    let (info, body) = read(&blobs, key).await.unwrap();
    assert_eq!(info, stored);
    assert_eq!(body.len(), LARGE);
    assert!(
        body == data,
        "the body differs: MD5 {} instead of {}",
        md5_hex(&body),
        md5_hex(&data)
    );
    blobs.delete(key).await.unwrap();
}

async fn blobs_overwrite_replaces_the_blob(blobs: Arc<dyn Blobs>) {
    let key = "avatars/u1";
    put(
        &blobs,
        key,
        &b"the first, longer version of the blob"[..],
        Some("text/plain"),
    )
    .await;
    let second = put(&blobs, key, &b"second"[..], Some("image/webp")).await;
    assert_eq!(second.etag, md5_hex(b"second"));

    let head = blobs.head(key).await.unwrap().unwrap();
    assert_eq!(head, second);
    let (info, body) = read(&blobs, key).await.unwrap();
    assert_eq!(info, second);
    assert_eq!(body, b"second");
}

/// `key` is not there to read, and deleting it (`what`) is no error.
async fn assert_gone_and_deletable(blobs: &Arc<dyn Blobs>, key: &str, what: &str) {
    assert!(blobs.get(key).await.unwrap().is_none(), "{key}");
    assert_eq!(blobs.head(key).await.unwrap(), None, "{key}");
    blobs
        .delete(key)
        .await
        .unwrap_or_else(|e| panic!("{what} is no error: {e}"));
}

async fn blobs_delete_and_missing_keys(blobs: Arc<dyn Blobs>) {
    assert_gone_and_deletable(&blobs, "never/stored", "deleting a missing key").await;

    put(&blobs, "scratch/a", &b"a"[..], None).await;
    put(&blobs, "scratch/b", &b"b"[..], None).await;
    blobs.delete("scratch/a").await.unwrap();
    assert_gone_and_deletable(&blobs, "scratch/a", "deleting twice").await;
    // Only that key.
    assert_eq!(read(&blobs, "scratch/b").await.unwrap().1, b"b");
}

async fn blobs_delete_a_whole_folder(blobs: Arc<dyn Blobs>) {
    for key in ["p/one/a", "p/one/b/c.png", "p/one-more/a", "p/two/a"] {
        put(&blobs, key, key.as_bytes().to_vec(), None).await;
    }
    blobs.delete_prefix("p/one").await.unwrap();
    assert!(read(&blobs, "p/one/a").await.is_none());
    assert!(read(&blobs, "p/one/b/c.png").await.is_none());
    // Only that folder: neighbours whose names start alike stay.
    assert!(read(&blobs, "p/one-more/a").await.is_some());
    assert!(read(&blobs, "p/two/a").await.is_some());
    // Deleting a folder that is not there is no error.
    blobs.delete_prefix("p/none").await.unwrap();
    assert!(blobs.delete_prefix("../p").await.is_err());
}

async fn blobs_reject_invalid_keys(blobs: Arc<dyn Blobs>) {
    for key in [
        "../x",
        "a/../../b",
        ".meta/x",
        "/absolute",
        "a//b",
        "a/",
        "",
        "spaced key",
        "a\\b",
    ] {
        let what = format!("key {key:?}");
        assert_invalid(blobs.put(key, stream_from_bytes("x"), None).await, &what);
        assert_invalid(blobs.get(key).await.map(|b| b.map(|b| b.info)), &what);
        assert_invalid(blobs.head(key).await, &what);
        assert_invalid(blobs.delete(key).await, &what);
        assert_invalid(
            blobs
                .presign(Method::Get, key, Duration::from_secs(60))
                .await,
            &what,
        );
    }
}

async fn blobs_keep_nothing_of_a_failed_upload(blobs: Arc<dyn Blobs>) {
    // A small body fails before S3Blobs sends anything; a large one after a part went up.
    for (key, good) in [("failed/small", CHUNK), ("failed/large", 9 * 1024 * 1024)] {
        let result = blobs
            .put(key, failing_body(good), Some("application/octet-stream"))
            .await;
        assert!(
            result.is_err(),
            "{key}: a broken body must fail the upload, got {result:?}"
        );
        assert_eq!(
            blobs.head(key).await.unwrap(),
            None,
            "{key}: nothing stored"
        );
        assert!(
            blobs.get(key).await.unwrap().is_none(),
            "{key}: nothing stored"
        );
    }

    // A failed overwrite leaves the old blob whole.
    let kept = put(
        &blobs,
        "failed/existing",
        &b"the good version"[..],
        Some("text/plain"),
    )
    .await;
    assert!(blobs
        .put("failed/existing", failing_body(CHUNK), None)
        .await
        .is_err());
    assert_eq!(
        blobs.head("failed/existing").await.unwrap(),
        Some(kept.clone())
    );
    let (info, body) = read(&blobs, "failed/existing").await.unwrap();
    assert_eq!((info, body.as_slice()), (kept, &b"the good version"[..]));
}
