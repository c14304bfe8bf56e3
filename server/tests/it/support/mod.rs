//! Starts Fleck's HTTP server in the test process on a free port, on embedded backends or on the
//! production services named by the FLECK_TEST_* variables.
#![allow(dead_code)] // each test file uses a different part of this module

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use fleck_core::auth::{flow, Scope};
use fleck_core::authz::ProjectRole;
use fleck_core::config::{Config, S3Config};
use fleck_core::projects::Model;
use fleck_core::ratelimit::Action;
use fleck_core::users::User;
use fleck_core::Core;
use fleck_server::config::ServerOptions;
use fleck_server::AppState;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

pub use fleck_testkit::{program, service, unique_name as random_name, TempDatabase};

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

    /// A server with blobs in a fresh bucket on the test S3 server, or `None` when it is not
    /// configured.
    pub async fn start_on_s3() -> Option<Self> {
        let s3 = s3_config()?;
        Some(
            Self::start_with(|mut config| {
                config.s3 = Some(s3);
                config
            })
            .await,
        )
    }

    /// A server where `action` allows `regular` points and `burst` more (`None` keeps the default).
    pub async fn start_limited(action: Action, regular: Option<i64>, burst: Option<i64>) -> Self {
        Self::start_with(|mut config| {
            config.rate_limits.set_points(action, regular, burst);
            config
        })
        .await
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

    /// The stored account of `email`, which must exist.
    pub async fn user(&self, email: &str) -> User {
        let found = self.core.database().store.user_by_email(email).await;
        found.unwrap().unwrap_or_else(|| panic!("no user {email}"))
    }

    /// A personal token of `email`'s account named `name` with `scopes`, limited to `projects`
    /// when given.
    pub async fn personal_token(
        &self,
        email: &str,
        name: &str,
        scopes: &[Scope],
        projects: Option<Vec<String>>,
    ) -> String {
        let user = self.user(email).await;
        flow::create_personal_token(&self.core, &user, name, scopes, Scope::ALL, None, projects)
            .await
            .unwrap()
    }

    /// The `main` model of `project`, which must have one.
    pub async fn main_model(&self, project: &str) -> Model {
        let found = self
            .core
            .database()
            .projects
            .model_by_name(project, "main")
            .await;
        found.unwrap().expect("a main model")
    }

    /// Makes `email`'s account a member of `project` with `role`.
    pub async fn add_member(&self, project: &str, email: &str, role: ProjectRole) {
        let user = self.user(email).await;
        self.core
            .database()
            .projects
            .set_member(project, &user.id, role)
            .await
            .unwrap();
    }

    /// POSTs `body` as JSON to `path`, following no redirect.
    pub async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        client()
            .post(self.at(path))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// A REST sign-in as Speckle's clients make it (challenge `c`), with extra headers.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = client()
            .post(self.at("/auth/local/login?challenge=c"))
            .form(&[("email", email), ("password", password)]);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send().await.unwrap()
    }

    /// A REST registration form posted to `/auth/local/register?{query}`.
    pub async fn sign_up(&self, query: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        client()
            .post(self.at(&format!("/auth/local/register?{query}")))
            .form(fields)
            .send()
            .await
            .unwrap()
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

/// A client that does not follow redirects, so that tests see the sign-in flow's own 302s.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// PUTs `body` at `url`, as a client does with an upload link.
pub async fn put(url: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
    reqwest::Client::new()
        .put(url)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Sends `request` and returns its JSON body.
pub async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}

/// The `access_code` in a sign-in redirect URL.
pub fn access_code_in(url: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "access_code")
        .map(|(_, v)| v.into_owned())
        .expect("an access_code in the redirect")
}

/// Exchanges an access code given to app `app` (whose secret is its id, as for the built-in
/// apps) for a token pair.
pub async fn exchange_at(base: &str, app: &str, code: &str, challenge: &str) -> reqwest::Response {
    client()
        .post(format!("{base}/auth/token"))
        .json(&serde_json::json!({ "appId": app, "appSecret": app, "accessCode": code, "challenge": challenge }))
        .send()
        .await
        .unwrap()
}

/// The `token` of an exchanged pair.
pub async fn token_of(pair: reqwest::Response) -> String {
    let pair: Value = pair.json().await.unwrap();
    pair["token"].as_str().unwrap().to_string()
}

/// Registers a user through `/auth/local/register` and returns their web app token.
pub async fn register(server: &TestServer, email: &str, password: &str) -> String {
    register_at(&server.url, email, password).await
}

/// `register` on the server at `base` (one this test did not start in-process).
pub async fn register_at(base: &str, email: &str, password: &str) -> String {
    let response = client()
        .post(format!("{base}/auth/local/register?challenge=c"))
        .form(&[
            ("email", email),
            ("password", password),
            ("name", "Test User"),
        ])
        .send()
        .await
        .unwrap();
    let code = access_code_in(response.headers()["location"].to_str().unwrap());
    token_of(exchange_at(base, "spklwebapp", &code, "c").await).await
}

/// The code of a GraphQL answer's first error, or `""` when it has none.
pub fn error_code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

/// The message of a GraphQL answer's first error, or `""` when it has none.
pub fn graphql_error(answer: &Value) -> &str {
    answer["errors"][0]["message"].as_str().unwrap_or("")
}

/// The `error.message` of a REST error body.
pub fn error_message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap()
}

/// Invites `input.email` (with `input`'s message and role) to the server, as the token's user.
pub async fn server_invite(server: &TestServer, token: &str, input: Value) -> Value {
    let invite = "mutation($input: ServerInviteCreateInput!) { serverInviteCreate(input: $input) }";
    graphql(server, Some(token), invite, json!({ "input": input })).await
}

/// The id of the token's user.
pub async fn user_id(server: &TestServer, token: &str) -> String {
    let answer = graphql(
        server,
        Some(token),
        "{ activeUser { id } }",
        serde_json::json!({}),
    )
    .await;
    answer["data"]["activeUser"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{answer}"))
        .to_string()
}

/// The status of asking who the token's user is: 403 once the token stopped working.
pub async fn active_user_status(server: &TestServer, token: &str) -> reqwest::StatusCode {
    client()
        .post(server.at("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ activeUser { id } }", "variables": {} }))
        .send()
        .await
        .unwrap()
        .status()
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A mail's text with quoted-printable's soft line breaks and `=3D` undone, so links read whole.
pub fn unfold_mail(mail: &str) -> String {
    mail.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// The token that follows `link` (e.g. `/authn/register?token=`) in a mail, if the mail has one.
pub fn mailed_token(mail: &str, link: &str) -> Option<String> {
    let mail = unfold_mail(mail);
    let start = mail.find(link)? + link.len();
    Some(
        mail[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect(),
    )
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

/// Renames the project `$id` to `$n`.
pub const RENAME_PROJECT: &str = "mutation($id: String!, $n: String!) { projectMutations { update(update: {id: $id, name: $n}) { id } } }";

/// Invites someone to the project `$p`, `$i` being the `ProjectInviteCreateInput` (`email`,
/// `role`…); answers the invitation's `id` and `invitedTeam`.
pub const INVITE_TO_PROJECT: &str = "mutation($p: ID!, $i: ProjectInviteCreateInput!) { projectMutations { invites { create(projectId: $p, input: $i) { id invitedTeam { title role } } } } }";

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
    let project = create_bare_project_at(
        base,
        token,
        serde_json::json!({ "name": "p", "visibility": visibility }),
    )
    .await;
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

/// A project of the caller's made by `projectMutations.create` from `input` (`name`,
/// `visibility`…), so without models: its id.
pub async fn create_bare_project(server: &TestServer, token: &str, input: Value) -> String {
    create_bare_project_at(&server.url, token, input).await
}

/// [`create_bare_project`] on the server at `base`.
pub async fn create_bare_project_at(base: &str, token: &str, input: Value) -> String {
    let answer = graphql_at(
        base,
        Some(token),
        "mutation($input: ProjectCreateInput) { projectMutations { create(input: $input) { id } } }",
        serde_json::json!({ "input": input }),
    )
    .await;
    answer["data"]["projectMutations"]["create"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("project created: {answer}"))
        .to_string()
}

/// Reserves a file named `file_name` in `project` over GraphQL: its upload link.
pub async fn upload_url_at(base: &str, token: &str, project: &str, file_name: &str) -> String {
    let link = graphql_at(
        base,
        Some(token),
        "mutation($i: GenerateFileUploadUrlInput!) { fileUploadMutations { generateUploadUrl(input: $i) { url } } }",
        json!({ "i": { "projectId": project, "fileName": file_name } }),
    )
    .await;
    link["data"]["fileUploadMutations"]["generateUploadUrl"]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{link}"))
        .to_string()
}

/// A form field as Python's `urlencode` writes it (`quote_plus`).
pub fn form_encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'.' | b'-' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
