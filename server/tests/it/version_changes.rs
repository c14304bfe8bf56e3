//! Version compare over HTTP: objects uploaded as a client sends them, two versions created with
//! GraphQL, `Project.versionDiff` and `Version.changes` with counts, kinds, property changes and
//! pages, Speckle-style error codes, and the summary the workers record for each new version.

use std::io::Write;

use crate::support::{graphql, register, TestServer};
use serde_json::{json, Value};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A collection of walls `(applicationId, fire rating, x)`, each with its own mesh; returns the
/// objects and the root's id. Ids are made up (any 32 characters will do).
fn model(walls: &[(&str, &str, f64)], tag: u8) -> (Vec<Value>, String) {
    let id = |n: usize, kind: u8| format!("{tag:02x}{kind:02x}{n:028x}");
    let mut objects = Vec::new();
    let mut closure = serde_json::Map::new();
    let mut members = Vec::new();
    for (n, (app, fire, x)) in walls.iter().enumerate() {
        let mesh = id(n, 1);
        objects.push(json!({ "id": mesh, "speckle_type": "Objects.Geometry.Mesh",
            "vertices": [x, 0, 0, x + 1.0, 0, 0, x, 0, 3], "faces": [3, 0, 1, 2] }));
        let wall = id(n, 2);
        objects.push(
            json!({ "id": wall, "speckle_type": "Objects.BuiltElements.Wall",
            "applicationId": app, "name": app, "category": "Walls",
            "properties": { "Fire rating": fire },
            "displayValue": [{ "referencedId": mesh, "speckle_type": "reference" }],
            "__closure": { mesh.clone(): 1 } }),
        );
        closure.insert(mesh, json!(2));
        closure.insert(wall.clone(), json!(1));
        members.push(json!({ "referencedId": wall, "speckle_type": "reference" }));
    }
    let root = id(0, 0);
    objects.push(
        json!({ "id": root, "speckle_type": "Speckle.Core.Models.Collections.Collection",
        "name": "Model", "elements": members, "__closure": closure }),
    );
    (objects, root)
}

async fn send(
    server: &TestServer,
    token: &str,
    project: &str,
    model_id: &str,
    objects: &[Value],
    root: &str,
) -> String {
    let batch = serde_json::to_vec(objects).unwrap();
    let part = reqwest::multipart::Part::bytes(gzip(&batch))
        .file_name("batch-1")
        .mime_str("application/gzip")
        .unwrap();
    let status = reqwest::Client::new()
        .post(server.at(&format!("/objects/{project}")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("batch-1", part))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "upload: {status}");
    let created = graphql(
        server,
        Some(token),
        "mutation($input: CreateVersionInput!) { versionMutations { create(input: $input) { id } } }",
        json!({ "input": { "projectId": project, "modelId": model_id, "objectId": root } }),
    )
    .await;
    created["data"]["versionMutations"]["create"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_string()
}

const DIFF: &str = "query($p: String!, $from: ID!, $to: ID!, $kind: VersionChangeKind, $limit: Int, $cursor: String) {
  project(id: $p) { versionDiff(from: $from, to: $to) {
    counts { added removed changed unchanged } summary
    elements(kind: $kind, limit: $limit, cursor: $cursor) { totalCount cursor items {
      kind key applicationId speckleType name category geometryChanged propertiesChanged
      properties { path old new } } } } } }";

#[tokio::test]
async fn version_diff_lists_changes_with_counts_pages_and_a_summary_activity() {
    let server = TestServer::start().await;
    let token = register(&server, "owner@example.com", "correct horse").await;
    let (project, model_id) = crate::support::create_project(&server, &token, "PRIVATE").await;
    let (first, root1) = model(
        &[("a", "EI60", 0.0), ("b", "EI60", 5.0), ("c", "EI60", 9.0)],
        1,
    );
    let v1 = send(&server, &token, &project, &model_id, &first, &root1).await;
    // a moved, b's fire rating changed, c removed, d added.
    let (second, root2) = model(
        &[("a", "EI60", 1.0), ("b", "EI90", 5.0), ("d", "EI30", 12.0)],
        2,
    );
    let v2 = send(&server, &token, &project, &model_id, &second, &root2).await;

    let between = json!({ "p": project, "from": v1, "to": v2 });
    let answer = graphql(&server, Some(&token), DIFF, between.clone()).await;
    let diff = &answer["data"]["project"]["versionDiff"];
    assert_eq!(
        diff["counts"],
        json!({ "added": 1, "removed": 1, "changed": 2, "unchanged": 0 }),
        "{answer}"
    );
    assert_eq!(diff["summary"], "1 added, 1 removed, 2 changed");
    let items = diff["elements"]["items"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i["kind"].as_str().unwrap(), i["key"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("CHANGED", "a"),
            ("CHANGED", "b"),
            ("ADDED", "d"),
            ("REMOVED", "c")
        ]
    );
    assert_eq!(items[0]["geometryChanged"], true);
    assert_eq!(items[0]["propertiesChanged"], false);
    assert_eq!(
        items[1]["properties"],
        json!([{ "path": "properties.Fire rating", "old": "EI60", "new": "EI90" }])
    );

    // Pages by kind, with Speckle's cursors.
    let paged = graphql(
        &server,
        Some(&token),
        DIFF,
        json!({ "p": project, "from": v1, "to": v2, "kind": "CHANGED", "limit": 1 }),
    )
    .await;
    let elements = &paged["data"]["project"]["versionDiff"]["elements"];
    assert_eq!(elements["totalCount"], 2);
    assert_eq!(elements["items"][0]["key"], "a");
    let next = graphql(
        &server,
        Some(&token),
        DIFF,
        json!({ "p": project, "from": v1, "to": v2, "kind": "CHANGED", "limit": 1,
                "cursor": elements["cursor"] }),
    )
    .await;
    let elements = &next["data"]["project"]["versionDiff"]["elements"];
    assert_eq!(elements["items"][0]["key"], "b");
    assert!(elements["cursor"].is_null());

    // The same change set from the newer version's side.
    let from_version = graphql(
        &server,
        Some(&token),
        "query($p: String!, $v: String!, $against: ID!) { project(id: $p) { version(id: $v) {
            changes(against: $against) { counts { added removed changed } } } } }",
        json!({ "p": project, "v": v2, "against": v1 }),
    )
    .await;
    assert_eq!(
        from_version["data"]["project"]["version"]["changes"]["counts"],
        json!({ "added": 1, "removed": 1, "changed": 2 }),
        "{from_version}"
    );

    // Unknown versions and bad cursors get the API's codes.
    let unknown = graphql(
        &server,
        Some(&token),
        DIFF,
        json!({ "p": project, "from": v1, "to": "nope" }),
    )
    .await;
    assert_eq!(
        unknown["errors"][0]["extensions"]["code"], "NOT_FOUND_ERROR",
        "{unknown}"
    );
    let bad = graphql(
        &server,
        Some(&token),
        DIFF,
        json!({ "p": project, "from": v1, "to": v2, "cursor": "x" }),
    )
    .await;
    assert_eq!(
        bad["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{bad}"
    );
    let stranger = register(&server, "eve@example.com", "correct horse").await;
    let refused = graphql(&server, Some(&stranger), DIFF, between).await;
    assert!(
        refused["errors"][0]["extensions"]["code"].is_string(),
        "{refused}"
    );
    assert!(refused["data"]["project"].is_null());

    // The workers sum up the new version's changes in the project's activity.
    let mut summary = Value::Null;
    for _ in 0..100 {
        let activity = "query($p: String!) { project(id: $p) { activity(limit: 50) { items { actionType resourceId message info } } } }";
        let activity = graphql(&server, Some(&token), activity, json!({ "p": project })).await;
        if let Some(entry) = activity["data"]["project"]["activity"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["actionType"] == "commit_changes")
        {
            summary = entry.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(summary["resourceId"], json!(v2), "{summary}");
    assert_eq!(
        summary["message"],
        "1 added, 1 removed, 2 changed since the previous version"
    );
    assert_eq!(summary["info"]["previousVersionId"], json!(v1));
}
