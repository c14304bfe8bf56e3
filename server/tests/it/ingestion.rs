//! The .NET SDK's send pipeline on the wire, as `Speckle.Sdk`'s `Pipelines/Send` speaks it: a
//! model ingestion, one presigned PUT of a gzip file of `id<TAB>speckle_type<TAB>json` lines
//! (children first, the root last), `uploads/process` with the ETag, then the ingestion followed
//! until its version exists.

use std::io::Write;
use std::time::Duration;

use crate::support::{graphql, register, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Sender {
    server: TestServer,
    token: String,
    project: String,
    model: String,
}

impl Sender {
    async fn new() -> Self {
        let server = TestServer::start().await;
        let token = register(&server, "connector@example.com", "correct horse").await;
        let (project, model) = crate::support::create_project(&server, &token, "PRIVATE").await;
        Sender {
            server,
            token,
            project,
            model,
        }
    }

    /// Asks, as `token`, for a model ingestion: the GraphQL answer.
    async fn create_ingestion(&self, token: &str) -> Value {
        graphql(
            &self.server,
            Some(token),
            "mutation($i: ModelIngestionCreateInput!) { projectMutations { modelIngestionMutations { create(input: $i) { id } } } }",
            json!({ "i": {
                "projectId": self.project, "modelId": self.model, "progressMessage": "Sending",
                "sourceData": { "sourceApplicationSlug": "revit", "sourceApplicationVersion": "2026" },
            } }),
        )
        .await
    }

    async fn ingestion(&self) -> String {
        let answer = self.create_ingestion(&self.token).await;
        answer["data"]["projectMutations"]["modelIngestionMutations"]["create"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("{answer}"))
            .to_string()
    }

    fn at(&self, ingestion: &str, step: &str) -> String {
        self.server.at(&format!(
            "/api/v1/projects/{}/modelingestion/{ingestion}/uploads/{step}",
            self.project
        ))
    }

    /// Signs, PUTs `body` and answers the upload's ETag, verbatim.
    async fn upload(&self, ingestion: &str, body: Vec<u8>) -> String {
        let http = reqwest::Client::new();
        let signed: Value = http
            .post(self.at(ingestion, "sign"))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(signed["key"].is_string(), "{signed}");
        let put = http
            .put(signed["url"].as_str().unwrap())
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(put.status().is_success(), "{}", put.status());
        put.headers()["etag"].to_str().unwrap().to_string()
    }

    async fn process(&self, ingestion: &str, etag: &str) -> StatusCode {
        reqwest::Client::new()
            .post(self.at(ingestion, "process"))
            .bearer_auth(&self.token)
            .json(&json!({ "etag": etag }))
            .send()
            .await
            .unwrap()
            .status()
    }

    /// Sends `body` through a new ingestion (its processing accepted): its status once ended.
    async fn send(&self, body: Vec<u8>) -> Value {
        let ingestion = self.ingestion().await;
        let etag = self.upload(&ingestion, body).await;
        assert_eq!(self.process(&ingestion, &etag).await, StatusCode::ACCEPTED);
        self.ended(&ingestion).await
    }

    /// The ingestion's status once it has ended (waiting up to 20 s).
    async fn ended(&self, ingestion: &str) -> Value {
        for _ in 0..200 {
            let answer = graphql(
                &self.server,
                Some(&self.token),
                "query($p: String!, $i: ID!) { project(id: $p) { ingestion(id: $i) { versionId statusData {
                    ... on HasModelIngestionStatus { status }
                    ... on ModelIngestionSuccessStatus { versionId }
                    ... on ModelIngestionFailedStatus { errorReason } } } } }",
                json!({ "p": self.project, "i": ingestion }),
            )
            .await;
            let ingestion = answer["data"]["project"]["ingestion"].clone();
            let status = ingestion["statusData"]["status"]
                .as_str()
                .unwrap_or_default();
            if !matches!(status, "queued" | "processing") {
                return ingestion;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the ingestion did not end");
    }
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

fn id(n: u32) -> String {
    format!("{n:032x}")
}

/// Children first, the root last, as `DiskStore` writes them.
fn objects_file(children: u32) -> (String, String) {
    let mut text = String::new();
    let mut closure = serde_json::Map::new();
    for n in 1..=children {
        let child = json!({ "id": id(n), "speckle_type": "Objects.Geometry.Point", "x": n });
        text.push_str(&format!("{}\tObjects.Geometry.Point\t{child}\n", id(n)));
        closure.insert(id(n), json!(1));
    }
    let root_id = id(0xffff);
    let root = json!({
        "id": root_id, "speckle_type": "Speckle.Core.Models.Collections.Collection",
        "elements": (1..=children).map(|n| json!({ "referencedId": id(n), "speckle_type": "reference" })).collect::<Vec<_>>(),
        "__closure": closure, "totalChildrenCount": children,
    });
    text.push_str(&format!(
        "{root_id}\tSpeckle.Core.Models.Collections.Collection\t{root}\n"
    ));
    (text, root_id)
}

#[tokio::test]
async fn an_objects_file_becomes_the_reserved_version() {
    let sender = Sender::new().await;
    let (text, root) = objects_file(5_000);
    let ended = sender.send(gzip(&text)).await;
    assert_eq!(ended["statusData"]["status"], "success", "{ended}");
    let version = ended["statusData"]["versionId"].as_str().unwrap();
    assert_eq!(ended["versionId"], version, "the reserved id");
    let read = graphql(
        &sender.server,
        Some(&sender.token),
        "query($p: String!, $v: String!) { project(id: $p) { version(id: $v) { referencedObject sourceApplication } } }",
        json!({ "p": sender.project, "v": version }),
    )
    .await;
    assert_eq!(
        read["data"]["project"]["version"]["referencedObject"], root,
        "{read}"
    );
    // Every object is there, byte for byte readable.
    let child = reqwest::Client::new()
        .get(
            sender
                .server
                .at(&format!("/objects/{}/{}/single", sender.project, id(4_321))),
        )
        .bearer_auth(&sender.token)
        .send()
        .await
        .unwrap();
    assert_eq!(child.status(), StatusCode::OK);
    assert_eq!(child.json::<Value>().await.unwrap()["x"], 4_321);
}

#[tokio::test]
async fn bad_files_fail_the_ingestion_with_the_reason() {
    let sender = Sender::new().await;
    // A wrong ETag is refused at once; the ingestion keeps waiting for the right one.
    let ingestion = sender.ingestion().await;
    let (text, _) = objects_file(3);
    let etag = sender.upload(&ingestion, gzip(&text)).await;
    assert_eq!(
        sender.process(&ingestion, "\"not-the-etag\"").await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        sender.process(&ingestion, &etag).await,
        StatusCode::ACCEPTED
    );
    assert_eq!(
        sender.ended(&ingestion).await["statusData"]["status"],
        "success"
    );

    for (body, reason) in [
        (b"plain text, not gzip".to_vec(), "gzip"),
        (gzip("no tabs on this line\n"), "tabs"),
        (
            gzip(&format!("{}\tBase\t{{\"id\":\"{}\"}}\n", id(1), id(2))),
            "holds object",
        ),
        (gzip(""), "no objects"),
    ] {
        let ended = sender.send(body).await;
        assert_eq!(ended["statusData"]["status"], "failed", "{ended}");
        let why = ended["statusData"]["errorReason"].as_str().unwrap();
        assert!(why.contains(reason), "{reason}: {why}");
    }
}

#[tokio::test]
async fn clients_see_a_speckle_version_and_cors_for_token_calls() {
    let server = TestServer::start().await;
    let info = graphql(
        &server,
        None,
        "{ serverInfo { version fleckVersion } }",
        json!({}),
    )
    .await;
    assert_eq!(info["data"]["serverInfo"]["version"], "2026.9.0");
    assert_eq!(
        info["data"]["serverInfo"]["fleckVersion"],
        env!("CARGO_PKG_VERSION")
    );
    // Speckle's viewer on another site asks before it sends a token.
    for path in [
        "/graphql",
        "/objects/p/o/single",
        "/api/v2/projects/p/models/m/versions/v/artifacts",
    ] {
        let preflight = reqwest::Client::new()
            .request(reqwest::Method::OPTIONS, server.at(path))
            .header("origin", "https://viewer.example")
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
            .await
            .unwrap();
        assert!(
            preflight.status().is_success(),
            "{path}: {}",
            preflight.status()
        );
        let headers = preflight.headers();
        assert_eq!(headers["access-control-allow-origin"], "*", "{path}");
        let allowed = headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_lowercase();
        assert!(allowed.contains("authorization"), "{path}: {allowed}");
        assert!(
            !headers.contains_key("access-control-allow-credentials"),
            "{path}: never with the cookie"
        );
    }
}

/// Sending needs write access to the project: a reviewer, and the owner's own token limited to
/// another project, may neither create an ingestion nor sign or process its upload.
#[tokio::test]
async fn readers_and_tokens_for_other_projects_cannot_send() {
    use fleck_core::auth::Scope;
    use fleck_core::authz::ProjectRole;
    let sender = Sender::new().await;
    let ingestion = sender.ingestion().await;
    let reviewer_token = register(&sender.server, "reviewer@example.com", "correct horse").await;
    sender
        .server
        .add_member(
            &sender.project,
            "reviewer@example.com",
            ProjectRole::Reviewer,
        )
        .await;
    let (elsewhere, _) =
        crate::support::create_project(&sender.server, &sender.token, "PRIVATE").await;
    let scopes = [Scope::StreamsRead, Scope::StreamsWrite, Scope::ProfileRead];
    let limited = sender.server.personal_token(
        "connector@example.com",
        "elsewhere only",
        &scopes,
        Some(vec![elsewhere]),
    );
    let limited = limited.await;

    let http = reqwest::Client::new();
    for token in [&reviewer_token, &limited] {
        let created = sender.create_ingestion(token).await;
        assert_eq!(
            created["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{created}"
        );
        let sign = http.post(sender.at(&ingestion, "sign"));
        let process = http
            .post(sender.at(&ingestion, "process"))
            .json(&json!({ "etag": "\"0\"" }));
        for (step, request) in [("sign", sign), ("process", process)] {
            let status = request.bearer_auth(token).send().await.unwrap().status();
            assert!(
                matches!(status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
                "{step}: {status}"
            );
        }
    }
    // The owner's full token still may.
    let signed = http
        .post(sender.at(&ingestion, "sign"))
        .bearer_auth(&sender.token)
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::OK);
}
