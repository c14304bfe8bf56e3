//! Liveness, readiness, metrics and the headers every response carries.

use crate::support::{free_port, register, TestServer};
use fleck_core::monitor;
use fleck_core::testing;

#[tokio::test]
async fn liveness_and_readiness_report_every_backend() {
    let server = TestServer::start().await;
    let live = reqwest::get(server.at("/liveness")).await.unwrap();
    assert_eq!(live.status(), 200);

    let ready = reqwest::get(server.at("/readiness")).await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    for (name, backend) in [
        ("database", "sqlite"),
        ("blobs", "disk"),
        ("cache", "memory"),
        ("mail", "outbox"),
    ] {
        assert_eq!(body["backends"][name]["backend"], backend, "{body}");
        assert_eq!(body["backends"][name]["ok"], true, "{body}");
    }
}

#[tokio::test]
async fn readiness_is_503_and_names_the_failing_backend() {
    let server = TestServer::start().await;
    std::fs::remove_dir_all(server.data_dir.join("blobs")).unwrap();
    let ready = reqwest::get(server.at("/readiness")).await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["failing"], serde_json::json!(["blobs"]), "{body}");
    assert_eq!(body["backends"]["database"]["ok"], true);

    std::fs::remove_dir_all(server.data_dir.join("outbox")).unwrap();
    let body: serde_json::Value = reqwest::get(server.at("/readiness"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["failing"],
        serde_json::json!(["blobs", "mail"]),
        "{body}"
    );
    // Error details (paths, hosts) are for the log, not for whoever asks.
    assert!(
        !body.to_string().contains(server.data_dir.to_str().unwrap()),
        "{body}"
    );
}

#[tokio::test]
async fn readiness_names_redis_when_it_goes_away() {
    let Some(redis_server) = crate::support::program("redis-server") else {
        return;
    };
    let port = free_port();
    let mut redis = std::process::Command::new(redis_server)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_port(port).await;
    let url = format!("redis://127.0.0.1:{port}");
    let server = TestServer::start_with(|mut config| {
        config.redis = Some(fleck_core::config::RedisConfig {
            url,
            key_prefix: "readiness:".into(),
        });
        config
    })
    .await;
    assert_eq!(
        reqwest::get(server.at("/readiness"))
            .await
            .unwrap()
            .status(),
        200
    );

    redis.kill().unwrap();
    redis.wait().unwrap();
    let ready = reqwest::get(server.at("/readiness")).await.unwrap();
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["failing"], serde_json::json!(["cache"]), "{body}");
    assert_eq!(body["backends"]["cache"]["backend"], "redis");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let server = TestServer::start().await;
    let client = reqwest::Client::new();
    let made = client.get(server.at("/liveness")).send().await.unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 36, "a UUID: {id}");

    // An id set by a proxy in front is kept, so logs can be followed across services.
    let kept = client
        .get(server.at("/nowhere"))
        .header("x-request-id", "from-the-load-balancer")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), 404);
    assert_eq!(kept.headers()["x-request-id"], "from-the-load-balancer");
}

#[tokio::test]
async fn metrics_count_requests_and_show_the_monitors_published_figures() {
    let server = TestServer::start().await;
    for _ in 0..3 {
        reqwest::get(server.at("/liveness")).await.unwrap();
    }
    reqwest::get(server.at("/no/such/thing")).await.unwrap();
    let token = register(&server, "ada@example.com", "a long password 1").await;
    fill(&server, &token).await;
    let metrics = || async {
        let response = reqwest::get(server.at("/metrics")).await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        response.text().await.unwrap()
    };

    // Before the monitor has published anything, a scrape shows no figures (and reads no tables).
    let text = metrics().await;
    assert!(
        text.contains(
            r#"fleck_http_requests_total{method="GET",route="/liveness",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(text
        .contains(r#"fleck_http_request_duration_seconds_bucket{method="GET",route="/liveness""#));
    assert_eq!(figures(&text), Vec::<&str>::new(), "{text}");

    let interval = std::time::Duration::from_secs(1);
    assert!(monitor::refresh(&server.core, interval).await.unwrap());
    let text = metrics().await;
    for expected in [
        "speckle_db_users 1\n",
        "speckle_db_streams 1\n",
        "speckle_db_commits 1\n",
        "speckle_db_objects 2\n",
        r#"speckle_db_fileimports{filetype="ifc",status="queued"} 1"#,
        r#"speckle_db_filesize{filetype="ifc"} 4321"#,
        r#"speckle_db_previews{status="pending"} 1"#,
        r#"speckle_db_tablesize{table="users"} "#,
        r#"speckle_db_tablesize{table="objects"} "#,
        "speckle_db_size ",
        "fleck_models 1\n",
        "fleck_object_bytes ",
        "fleck_blobs 1\n",
        "fleck_blob_bytes 4321\n",
        r#"fleck_jobs{kind="probe",state="queued"} 1"#,
        r#"fleck_jobs_oldest_age_seconds{kind="probe",state="queued"} "#,
        "fleck_monitor_collected_timestamp_seconds ",
    ] {
        assert!(text.contains(expected), "{expected} missing from\n{text}");
    }
    let collected = figures(&text)
        .into_iter()
        .find_map(|line| line.strip_prefix("fleck_monitor_collected_timestamp_seconds "))
        .unwrap()
        .parse::<f64>()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!((now - collected).abs() < 60.0, "{collected} is not now");

    // Within the interval nobody collects again: a new user shows at the next collection, not at
    // the next scrape, and scrapes show the same figures meanwhile.
    assert!(!monitor::refresh(&server.core, interval).await.unwrap());
    register(&server, "grace@example.com", "a long password 2").await;
    let again = metrics().await;
    assert_eq!(figures(&again), figures(&text));
    assert!(again.contains("speckle_db_users 1\n"));

    tokio::time::sleep(interval).await;
    assert!(monitor::refresh(&server.core, interval).await.unwrap());
    assert!(metrics().await.contains("speckle_db_users 2\n"));
}

/// The database monitor's lines of a scrape: every sample but the HTTP metrics.
fn figures(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.starts_with("fleck_http_"))
        .collect()
}

/// A project (made over GraphQL) with a version of two objects, an uploaded file being
/// imported, a preview waiting to be drawn, and a job of a kind no worker runs, so it stays queued.
async fn fill(server: &TestServer, token: &str) {
    let (project_id, _) = crate::support::create_project(server, token, "PRIVATE").await;
    let ada = server.user("ada@example.com").await;
    let main = server.main_model(&project_id).await;
    testing::monitored_records(&server.core, &project_id, &main.id, &ada.id, 2).await;
}

#[tokio::test]
async fn ping_answers_pong() {
    let server = TestServer::start().await;
    let response = reqwest::get(server.at("/api/ping")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "pong");
}

async fn wait_for_port(port: u16) {
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("nothing listens on port {port}");
}
