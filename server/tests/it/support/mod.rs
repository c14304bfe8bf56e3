//! Starts Fleck's HTTP server in the test process on a free port, on embedded backends or on the
//! production services named by the FLECK_TEST_* variables.
#![allow(dead_code)] // each test file uses a different part of this module

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use fleck_core::config::{Config, S3Config};
use fleck_core::Core;
use fleck_server::config::ServerOptions;
use fleck_server::AppState;
use tokio_util::sync::CancellationToken;

/// The value of a FLECK_TEST_* variable. Missing: under CI the test fails; elsewhere it is skipped.
pub fn service(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => missing(&format!(
            "{var} is not set (scripts/services.sh starts the services)"
        )),
    }
}

/// A program on PATH, with the same rule as `service`.
pub fn program(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    found.or_else(|| missing(&format!("{name} is not on PATH")))
}

fn missing<T>(what: &str) -> Option<T> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but {what}");
    }
    eprintln!("skipping: {what}");
    None
}

pub fn random_name(prefix: &str) -> String {
    format!("{prefix}{}", fleck_core::ids::random_string(12))
}

pub fn embedded_config(dir: &std::path::Path, public_url: &str) -> Config {
    Config {
        public_url: public_url.parse().unwrap(),
        data_dir: dir.to_path_buf(),
        database_url: format!("sqlite://{}", dir.join("fleck.db").display()),
        database_max_connections: 5,
        redis: None,
        s3: None,
        smtp_url: None,
        mail_from: "Fleck <fleck@localhost>".into(),
        secret: "test-secret-that-is-long-enough-0123456789".into(),
        rate_limits: Default::default(),
    }
}

/// S3 settings for a fresh bucket on the test S3 server, or `None` when it is not configured.
pub fn s3_config() -> Option<S3Config> {
    Some(S3Config {
        endpoint: service("FLECK_TEST_S3_ENDPOINT")?,
        public_endpoint: None,
        bucket: random_name("fleck-"),
        region: "us-east-1".into(),
        access_key: service("FLECK_TEST_S3_ACCESS_KEY")?,
        secret_key: service("FLECK_TEST_S3_SECRET_KEY")?,
        create_bucket: true,
    })
}

pub struct TestServer {
    pub url: String,
    pub core: Core,
    pub data_dir: PathBuf,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A server on embedded backends in a fresh folder.
    pub async fn start() -> Self {
        Self::start_with(|config| config).await
    }

    /// A server whose configuration `adjust` may change (e.g. point blobs at S3).
    pub async fn start_with(adjust: impl FnOnce(Config) -> Config) -> Self {
        Self::start_with_options(adjust, |options| options).await
    }

    /// A server whose backends' configuration and server options may both change.
    pub async fn start_with_options(
        adjust: impl FnOnce(Config) -> Config,
        adjust_options: impl FnOnce(ServerOptions) -> ServerOptions,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let url = format!("http://{addr}");
        let config = adjust(embedded_config(dir.path(), &url));
        let core = Core::connect(config).await.expect("backends start");
        let options = ServerOptions {
            bind: addr,
            site_dir: dir.path().join("site"),
            shutdown_timeout: Duration::from_secs(5),
            shutdown_grace: Duration::ZERO,
            worker_concurrency: 1,
            worker_slots: Default::default(),
            job_lease: Duration::from_secs(60),
            import_timeout: Duration::from_secs(60),
            preview_timeout: Duration::from_secs(60),
            isolation: Default::default(),
            webhook_allow_private: true,
            monitor_interval: Duration::from_secs(60),
            file_size_limit: 1024 * 1024,
            object_size_limit: 1_000_000,
            upload_batch_limit: 2 * 1024 * 1024,
            trusted_proxies: Default::default(),
        };
        let state = AppState::new(core.clone(), adjust_options(options));
        let shutdown = state.shutdown.clone();
        // Workers in the same process, as `fleck serve` runs them, so queued mail goes out.
        let workers = fleck_workers::WorkerOptions {
            concurrency: 1,
            poll_interval: Duration::from_millis(200),
            ..Default::default()
        };
        tokio::spawn(fleck_workers::run(
            core.clone(),
            fleck_workers::registry(&core, &fleck_workers::Limits::default()),
            workers,
            shutdown.clone(),
        ));
        let app = fleck_server::router(state).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown.clone().cancelled_owned())
                .into_future(),
        );
        TestServer {
            url,
            core,
            data_dir: dir.path().to_path_buf(),
            shutdown,
            _dir: dir,
        }
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The text of every `.eml` in the outbox sent to `to`, waiting up to 5 s for one to arrive.
    pub async fn mail_to(&self, to: &str) -> Vec<String> {
        for _ in 0..50 {
            let found: Vec<String> = std::fs::read_dir(self.data_dir.join("outbox"))
                .map(|dir| {
                    dir.filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
                        .filter(|text| text.contains(&format!("To: {to}")))
                        .collect()
                })
                .unwrap_or_default();
            if !found.is_empty() {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Vec::new()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

use std::future::IntoFuture;

/// Registers a user through `/auth/local/register` and returns their web app token.
pub async fn register(server: &TestServer, email: &str, password: &str) -> String {
    register_at(&server.url, email, password).await
}

/// `register` on the server at `base` (one this test did not start in-process).
pub async fn register_at(base: &str, email: &str, password: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(format!("{base}/auth/local/register?challenge=c"))
        .form(&[
            ("email", email),
            ("password", password),
            ("name", "Test User"),
        ])
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "access_code")
        .unwrap()
        .1
        .into_owned();
    let pair: serde_json::Value = client
        .post(format!("{base}/auth/token"))
        .json(&serde_json::json!({ "appId": "spklwebapp", "appSecret": "spklwebapp", "accessCode": code, "challenge": "c" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    pair["token"].as_str().unwrap().to_string()
}

/// Runs a GraphQL document and returns the whole JSON answer.
pub async fn graphql(
    server: &TestServer,
    token: Option<&str>,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    graphql_at(&server.url, token, query, variables).await
}

/// `graphql` on the server at `base`.
pub async fn graphql_at(
    base: &str,
    token: Option<&str>,
    query: &str,
    variables: serde_json::Value,
) -> serde_json::Value {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// A project of the caller's with the given visibility (`PRIVATE`, `PUBLIC`, `UNLISTED`) and a
/// `main` model, made as a client makes them (`projectMutations.create` makes no model):
/// `(project id, model id)`.
pub async fn create_project(
    server: &TestServer,
    token: &str,
    visibility: &str,
) -> (String, String) {
    create_project_at(&server.url, token, visibility).await
}

/// [`create_project`] on the server at `base`.
pub async fn create_project_at(base: &str, token: &str, visibility: &str) -> (String, String) {
    let answer = graphql_at(
        base,
        Some(token),
        "mutation($v: ProjectVisibility) { projectMutations { create(input: {name: \"p\", visibility: $v}) { id } } }",
        serde_json::json!({ "v": visibility }),
    )
    .await;
    let project = answer["data"]["projectMutations"]["create"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("project created: {answer}"))
        .to_string();
    let answer = graphql_at(
        base,
        Some(token),
        "mutation($p: ID!) { modelMutations { create(input: {projectId: $p, name: \"main\"}) { id } } }",
        serde_json::json!({ "p": project }),
    )
    .await;
    let model = answer["data"]["modelMutations"]["create"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("model created: {answer}"))
        .to_string();
    (project, model)
}

/// A fresh, empty PostgreSQL database on the test server (`FLECK_TEST_POSTGRES_URL`).
pub struct PgDatabase {
    pub url: String,
    admin_url: String,
    name: String,
}

impl PgDatabase {
    pub async fn create() -> Option<Self> {
        let admin_url = service("FLECK_TEST_POSTGRES_URL")?;
        let name = random_name("fleck_s_");
        admin_execute(&admin_url, &format!("CREATE DATABASE {name}")).await;
        let mut url = url::Url::parse(&admin_url).expect("FLECK_TEST_POSTGRES_URL is a URL");
        url.set_path(&name);
        Some(PgDatabase {
            url: url.to_string(),
            admin_url,
            name,
        })
    }

    /// Drops the database, ending the connections still open to it.
    pub async fn drop(self) {
        let statement = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        admin_execute(&self.admin_url, &statement).await;
    }
}

async fn admin_execute(admin_url: &str, statement: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::postgres::PgConnection::connect(admin_url)
        .await
        .expect("connecting to FLECK_TEST_POSTGRES_URL");
    // The statement only ever holds a name this module generated.
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    let _ = conn.close().await;
}
