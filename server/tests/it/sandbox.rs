//! Converters run in child processes of `fleck serve` under limits. Converters that allocate
//! without bound, recurse without bound or hang (the `faults` feature the tests build the
//! binary with) each fail their import with the reason, while `/liveness` keeps answering at
//! once and the next file still converts.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::cli::serve_with;
use crate::support::{create_project_at, graphql_at, register_at};

const PENDING: &[u8] = include_bytes!("../../assets/previews/no_preview.png");
const FAILED: &[u8] = include_bytes!("../../assets/previews/preview_error.png");

const UPLOADS: &str = "query($p: String!, $m: String!) { project(id: $p) { model(id: $m) { uploads { items { fileName convertedStatus convertedMessage } } } } }";

#[tokio::test]
async fn a_misbehaving_converter_fails_its_import_while_the_server_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let limits = [
        ("FLECK_IMPORT_TIMEOUT_SECONDS", "4"),
        ("FLECK_SANDBOX_MEMORY_MB", "512"),
        ("RATELIMITER_ENABLED", "false"),
    ];
    let (_server, base) = serve_with(dir.path(), &limits).await;
    let token = register_at(&base, "converter@example.com", "correct horse").await;
    let (project, model) = create_project_at(&base, &token, "PRIVATE").await;

    let stop = CancellationToken::new();
    let probe = tokio::spawn(probe_liveness(base.clone(), stop.clone()));
    let cube = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n";
    for (name, text) in [
        ("allocates.obj", format!("# fleck-fault: allocate\n{cube}")),
        ("recurses.obj", format!("# fleck-fault: recurse\n{cube}")),
        ("hangs.obj", format!("# fleck-fault: hang\n{cube}")),
        ("triangle.obj", cube.to_string()),
    ] {
        import(&base, &token, &project, &model, name, text.into_bytes()).await;
    }

    let deadline = Instant::now() + Duration::from_secs(90);
    let uploads = loop {
        let answer = graphql_at(
            &base,
            Some(&token),
            UPLOADS,
            json!({ "p": project, "m": model }),
        )
        .await;
        let items = answer["data"]["project"]["model"]["uploads"]["items"].clone();
        let items = items.as_array().cloned().unwrap_or_default();
        let finished = items
            .iter()
            .filter(|u| u["convertedStatus"] == 2 || u["convertedStatus"] == 3)
            .count();
        if items.len() == 4 && finished == 4 {
            break items;
        }
        assert!(Instant::now() < deadline, "imports still running: {answer}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let outcome = |file: &str| -> (i64, String) {
        let upload: &Value = uploads.iter().find(|u| u["fileName"] == file).unwrap();
        (
            upload["convertedStatus"].as_i64().unwrap(),
            upload["convertedMessage"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        )
    };
    for (file, why) in [
        ("allocates.obj", "more memory than the limit of 512 MiB"),
        ("recurses.obj", "nested too deeply"),
        ("hangs.obj", "longer than the limit of 4 s"),
    ] {
        let (status, message) = outcome(file);
        assert_eq!(status, 3, "{file}: {message}");
        assert!(message.contains(why), "{file}: {message}");
    }
    let (status, message) = outcome("triangle.obj");
    assert_eq!(status, 2, "the worker still converts: {message}");
    // Its version's preview is drawn by a renderer child of its own.
    let preview = loop {
        let png = reqwest::Client::new()
            .get(format!("{base}/preview/{project}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        if png.as_ref() != PENDING {
            break png;
        }
        assert!(Instant::now() < deadline, "the preview is still pending");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_ne!(preview.as_ref(), FAILED, "the preview failed");
    assert!(preview.starts_with(b"\x89PNG"));
    // `fleck render` draws the model from the server too (its objects come gzipped).
    let png = dir.path().join("model.png");
    let rendered = std::process::Command::new(env!("CARGO_BIN_EXE_fleck"))
        .args([
            "render",
            &format!("{base}/projects/{project}/models/{model}"),
        ])
        .arg(&png)
        .args(["--token", &token])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&rendered.stdout);
    assert!(
        rendered.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    assert!(said.contains(": 1 triangles"), "{said}");

    stop.cancel();
    let latencies = probe.await.unwrap();
    let mut sorted = latencies;
    sorted.sort();
    let p95 = sorted[sorted.len() * 95 / 100];
    assert!(
        p95 < Duration::from_millis(100),
        "/liveness p95 {p95:?} while converters failed"
    );
}

/// `/liveness` asked over and over until `stop`; the time each answer took.
async fn probe_liveness(base: String, stop: CancellationToken) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    while !stop.is_cancelled() {
        let asked = Instant::now();
        let answer = client.get(format!("{base}/liveness")).send().await.unwrap();
        assert_eq!(answer.status(), 200);
        latencies.push(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    latencies
}

/// Uploads `bytes` as `name` and starts its import into the model, as the web app does.
async fn import(base: &str, token: &str, project: &str, model: &str, name: &str, bytes: Vec<u8>) {
    let link = graphql_at(
        base,
        Some(token),
        "mutation($i: GenerateFileUploadUrlInput!) { fileUploadMutations { generateUploadUrl(input: $i) { url fileId } } }",
        json!({ "i": { "projectId": project, "fileName": name } }),
    )
    .await;
    let link = &link["data"]["fileUploadMutations"]["generateUploadUrl"];
    let put = reqwest::Client::new()
        .put(link["url"].as_str().unwrap_or_else(|| panic!("{link}")))
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let etag = put.headers()["etag"].to_str().unwrap().to_string();
    let started = graphql_at(
        base,
        Some(token),
        "mutation($i: StartFileImportInput!) { fileUploadMutations { startFileImport(input: $i) { id } } }",
        json!({ "i": { "projectId": project, "modelId": model, "fileId": link["fileId"], "etag": etag } }),
    )
    .await;
    assert!(started["errors"].is_null(), "{started}");
}
