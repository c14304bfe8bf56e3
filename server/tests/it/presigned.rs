//! Presigned blob URLs work over real HTTP the same way on both blob stores: S3's own, and
//! Fleck's `/storage/…` links when blobs are on disk.

use std::time::Duration;

use crate::support::{put, TestServer};
use fleck_core::blobs::Method;
use md5::{Digest, Md5};

/// The blob key of a file reserved in a fresh project, as `generateUploadUrl` reserves one: the
/// disk store's upload links work only for such keys.
async fn reserved_key(server: &TestServer) -> String {
    use fleck_core::auth::Actor;
    use fleck_core::projects::attachments;
    use fleck_core::testing;
    let actor = Actor::from_session(testing::verified_user(&server.core, "Uploader").await);
    let private = fleck_core::authz::Visibility::Private;
    let (project, _) =
        testing::project_with_main_model(&server.core, &actor, "uploads", private).await;
    let request = attachments::UploadRequest {
        project_id: &project,
        file_name: "model.ifc",
        file_size: None,
    };
    let (attachment, _) = attachments::upload_url(&server.core, &actor, request, u64::MAX)
        .await
        .unwrap();
    attachment.object_key
}

/// A link to `method` the blob `key`, valid for `seconds`.
async fn link(server: &TestServer, method: Method, key: &str, seconds: u64) -> String {
    let valid = Duration::from_secs(seconds);
    server.core.blobs.presign(method, key, valid).await.unwrap()
}

async fn presigned_round_trip(server: &TestServer) {
    let blobs = &server.core.blobs;
    let key = reserved_key(server).await;
    let body = "ISO-10303-21;\nHEADER;\n".repeat(500);
    let client = reqwest::Client::new();

    let put_url = link(server, Method::Put, &key, 300).await;
    let stored = put(&put_url, body.clone()).await;
    assert!(
        stored.status().is_success(),
        "{} {}",
        stored.status(),
        stored.text().await.unwrap()
    );
    let etag = stored.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_string();
    assert_eq!(
        etag,
        hex::encode(Md5::digest(body.as_bytes())),
        "the ETag is the body's MD5"
    );

    let info = blobs.head(&key).await.unwrap().expect("stored");
    assert_eq!(info.size, body.len() as u64);
    assert_eq!(info.etag, etag);

    let get_url = link(server, Method::Get, &key, 300).await;
    let got = client.get(&get_url).send().await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.text().await.unwrap(), body);

    // A link for one key opens no other.
    let other = get_url.replace(&key, &format!("{key}0"));
    assert!(!client
        .get(&other)
        .send()
        .await
        .unwrap()
        .status()
        .is_success());
    // A GET link cannot be used to write.
    let misuse = put(&get_url, "overwrite").await;
    assert!(!misuse.status().is_success());
    assert_eq!(
        client
            .get(&get_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        body
    );
}

#[tokio::test]
async fn disk_blobs_presigned_round_trip() {
    let server = TestServer::start().await;
    assert_eq!(server.core.blobs.kind(), "disk");
    presigned_round_trip(&server).await;
}

#[tokio::test]
async fn s3_blobs_presigned_round_trip() {
    let Some(server) = TestServer::start_on_s3().await else {
        return;
    };
    assert_eq!(server.core.blobs.kind(), "s3");
    presigned_round_trip(&server).await;
}

#[tokio::test]
async fn disk_links_refuse_tampering_expiry_and_oversized_uploads() {
    let server = TestServer::start().await;
    let blobs = &server.core.blobs;
    let client = reqwest::Client::new();

    let url = link(&server, Method::Get, "blobs/p/a.txt", 60).await;
    let tampered = url.replace("signature=", "signature=00");
    assert_eq!(client.get(&tampered).send().await.unwrap().status(), 403);
    // Signed, but nothing stored there yet.
    assert_eq!(client.get(&url).send().await.unwrap().status(), 404);

    let expired = link(&server, Method::Put, "blobs/p/a.txt", 0).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(put(&expired, "x").await.status(), 403);

    // The test server accepts at most 1 MiB.
    let big = reserved_key(&server).await;
    let big_url = link(&server, Method::Put, &big, 60).await;
    let too_big = put(&big_url, vec![7u8; 2 * 1024 * 1024]).await;
    assert_eq!(too_big.status(), 413);
    assert!(
        blobs.head(&big).await.unwrap().is_none(),
        "nothing half-written is kept"
    );
    // A link for a key no upload waits for (no such file, or its project deleted) is refused.
    let stray = link(&server, Method::Put, "assets/p/stray", 60).await;
    assert_eq!(put(&stray, "x").await.status(), 403);
}

/// An upload link signed for a length takes a body of that length only, on both stores; the
/// attachments service signs the length a client states and hands out links that work for
/// 15 minutes, not an hour.
async fn length_bound_upload(server: &TestServer) {
    let blobs = &server.core.blobs;
    let key = reserved_key(server).await;
    let body = vec![7u8; 4096];
    let url = blobs
        .presign_upload(&key, Some(body.len() as u64), Duration::from_secs(300))
        .await
        .unwrap();
    for wrong in [vec![7u8; 4095], vec![7u8; 4097], vec![7u8; 64 * 1024]] {
        let refused = put(&url, wrong.clone()).await;
        assert_eq!(refused.status(), 403, "{} bytes", wrong.len());
        assert!(blobs.head(&key).await.unwrap().is_none(), "nothing stored");
    }
    let stored = put(&url, body.clone()).await;
    assert!(stored.status().is_success(), "{}", stored.status());
    assert_eq!(blobs.head(&key).await.unwrap().unwrap().size, 4096);
    // Once stored, the same link cannot put a larger file in its place.
    let swap = put(&url, vec![8u8; 8192]).await;
    assert_eq!(swap.status(), 403);
    assert_eq!(blobs.head(&key).await.unwrap().unwrap().size, 4096);
}

#[tokio::test]
async fn disk_upload_links_hold_the_body_to_the_signed_length() {
    let server = TestServer::start().await;
    length_bound_upload(&server).await;
    let url = server
        .core
        .blobs
        .presign_upload("assets/p/f", Some(10), Duration::from_secs(1))
        .await
        .unwrap();
    // The signed length cannot be edited out of the link.
    let stripped = url.replace("&length=10", "");
    assert_eq!(put(&stripped, vec![1u8; 20]).await.status(), 403);
}

#[tokio::test]
async fn s3_upload_links_hold_the_body_to_the_signed_length() {
    let Some(server) = TestServer::start_on_s3().await else {
        return;
    };
    length_bound_upload(&server).await;
}
