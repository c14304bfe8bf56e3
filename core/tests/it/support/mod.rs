//! Backends for the contract suites: one constructor per implementation, each giving a fresh,
//! isolated instance (own database, bucket, key prefix or folder) and cleaning it up afterwards.
//!
//! External services are found through `FLECK_TEST_*` variables (`eval "$(scripts/services.sh)"`
//! sets them). Without one, a test skips with a note on stderr, except in CI (`CI=true`), where a
//! skipped backend would be an untested backend, so the test fails instead.

// Every suite includes this module but uses only the constructors of its own trait.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use fleck_core::auth::Actor;
use fleck_core::authz::Visibility;
use fleck_core::blobs::disk::DiskBlobs;
use fleck_core::blobs::s3::S3Blobs;
use fleck_core::blobs::signing::UrlSigner;
use fleck_core::blobs::Blobs;
use fleck_core::cache::memory::MemoryCache;
use fleck_core::cache::redis::RedisCache;
use fleck_core::cache::Cache;
use fleck_core::config::{Config, RedisConfig, S3Config};
use fleck_core::db::{self, Database};
use fleck_core::ids::{new_id, random_string};
use fleck_core::mail::outbox::Outbox;
use fleck_core::mail::smtp::Smtp;
use fleck_core::mail::{parse_from, Mailer};
use fleck_core::projects::{now, Model, Project};
use fleck_core::queue::{JobState, Queue};
use fleck_core::store::Store;
use fleck_core::testing;
use fleck_core::users::{ServerRole, User, UserInput};
use fleck_core::Core;
use fleck_testkit::TempDatabase;
use futures::future::BoxFuture;
use futures::FutureExt;
use tempfile::TempDir;

/// For each implementation `name => constructor` and each contract function, a test named
/// `<name>_<contract>` that builds a fresh backend (or skips, see `service_var`) and runs the
/// contract against it. Contract functions take the fixture's `backend` value.
macro_rules! contract_tests {
    (implementations: [$($name:ident => $make:path),+ $(,)?], contracts: $contracts:tt $(,)?) => {
        $( $crate::support::contract_tests!(@one $name $make $contracts); )+
    };
    (@one $name:ident $make:path [$($contract:ident),+ $(,)?]) => {
        paste::paste! {
            $(
                // Several worker threads, so concurrent callers in a contract really overlap.
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn [<$name _ $contract>]() {
                    let Some(fixture) = $make().await else { return };
                    $contract(fixture.backend.clone()).await;
                }
            )+
        }
    };
}
pub(crate) use contract_tests;

/// A backend under test and what has to outlive it or be cleaned up after it.
pub struct Fixture<T> {
    pub backend: T,
    /// The temporary folder an embedded backend keeps its files in.
    dir: Option<TempDir>,
    /// Removes what the test created in a shared service (database, bucket, keys).
    teardown: Option<BoxFuture<'static, ()>>,
}

impl<T> Fixture<T> {
    fn new(backend: T) -> Self {
        Fixture {
            backend,
            dir: None,
            teardown: None,
        }
    }

    fn in_dir(mut self, dir: TempDir) -> Self {
        self.dir = Some(dir);
        self
    }

    fn with_teardown(
        mut self,
        teardown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Self {
        self.teardown = Some(teardown.boxed());
        self
    }

    /// The same fixture around a part of the backend (a database's store or its queue).
    fn map<U>(mut self, part: impl FnOnce(&T) -> U) -> Fixture<U> {
        Fixture {
            backend: part(&self.backend),
            dir: self.dir.take(),
            teardown: self.teardown.take(),
        }
    }
}

impl<T> Drop for Fixture<T> {
    fn drop(&mut self) {
        if let Some(teardown) = self.teardown.take() {
            // `drop` cannot await, and it may run while the test's runtime unwinds from a panic:
            // clean up on a thread with a runtime of its own.
            let cleaned = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the teardown")
                    .block_on(teardown)
            })
            .join();
            if cleaned.is_err() {
                eprintln!("warning: cleaning up after the test panicked");
            }
        }
    }
}

pub use fleck_testkit::{service as service_var, services as service_vars, unique_name};

fn temp_dir() -> TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

// ---- Store and Queue ----

/// A fresh SQLite database file in a temporary folder, migrated.
pub async fn sqlite() -> Option<Fixture<Database>> {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let database = db::connect(&url, 5).await.expect("opening SQLite");
    database.store.migrate().await.expect("migrating SQLite");
    Some(Fixture::new(database).in_dir(dir))
}

/// A fresh PostgreSQL database on the test server, migrated and dropped after the test.
pub async fn postgres() -> Option<Fixture<Database>> {
    let temp = TempDatabase::create("fleck_t_").await?;
    let url = temp.url.clone();
    let fixture = Fixture::new(()).with_teardown(async move { temp.drop_database().await });
    let database = db::connect(&url, 5)
        .await
        .expect("connecting to the test database");
    database
        .store
        .migrate()
        .await
        .expect("migrating PostgreSQL");
    Some(fixture.map(|_| database))
}

pub async fn sqlite_store() -> Option<Fixture<Arc<dyn Store>>> {
    Some(sqlite().await?.map(|db| db.store.clone()))
}

pub async fn postgres_store() -> Option<Fixture<Arc<dyn Store>>> {
    Some(postgres().await?.map(|db| db.store.clone()))
}

pub async fn sqlite_queue() -> Option<Fixture<Arc<dyn Queue>>> {
    Some(sqlite().await?.map(|db| db.queue.clone()))
}

pub async fn postgres_queue() -> Option<Fixture<Arc<dyn Queue>>> {
    Some(postgres().await?.map(|db| db.queue.clone()))
}

// ---- Core ----

/// The configuration of a `Core` keeping its embedded backends (SQLite when `database_url` says
/// so, blobs, mail outbox) in `dir`.
fn core_config(dir: &TempDir, database_url: String, redis: Option<RedisConfig>) -> Config {
    Config {
        public_url: "http://127.0.0.1:1".parse().expect("a URL"),
        data_dir: dir.path().to_path_buf(),
        database_url,
        database_max_connections: 5,
        redis,
        s3: None,
        smtp_url: None,
        mail_from: "Fleck <fleck@localhost>".into(),
        secret: "x".repeat(32),
        rate_limits: Default::default(),
    }
}

async fn connect_core(config: Config) -> Core {
    Core::connect(config.clone())
        .await
        .unwrap_or_else(|e| panic!("connecting to {}: {e}", config.database_url))
}

/// A whole `Core` on the embedded backends (SQLite, in-process cache, disk blobs, outbox) in a
/// fresh folder, as `Core::connect` builds it: migrated, default apps registered.
pub async fn sqlite_core() -> Option<Fixture<Core>> {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.path().join("f.db").display());
    let core = connect_core(core_config(&dir, url, None)).await;
    Some(Fixture::new(core).in_dir(dir))
}

/// A whole `Core` on a fresh PostgreSQL database and a Redis key prefix of its own (blobs and
/// mail stay on disk); the database is dropped and the keys deleted afterwards.
pub async fn postgres_core() -> Option<Fixture<Core>> {
    // Redis first, so a skip never leaves a database behind.
    let redis_url = service_var("FLECK_TEST_REDIS_URL")?;
    let temp = TempDatabase::create("fleck_t_").await?;
    let url = temp.url.clone();
    let prefix = format!("{}:", unique_name("fleck-t-"));
    let redis = RedisConfig {
        url: redis_url.clone(),
        key_prefix: prefix.clone(),
    };
    let teardown = async move {
        temp.drop_database().await;
        delete_redis_keys(redis_url, prefix).await;
    };
    let dir = temp_dir();
    let config = core_config(&dir, url, Some(redis));
    // The fixture first, so a failed connection still drops the database.
    let fixture = Fixture::new(()).in_dir(dir).with_teardown(teardown);
    let core = connect_core(config).await;
    Some(fixture.map(|_| core))
}

// ---- Cache ----

pub async fn memory_cache() -> Option<Fixture<Arc<dyn Cache>>> {
    Some(Fixture::new(Arc::new(MemoryCache::new()) as Arc<dyn Cache>))
}

/// The test Redis, with a key prefix of this test's own; its keys are deleted afterwards.
pub async fn redis_cache() -> Option<Fixture<Arc<dyn Cache>>> {
    let url = service_var("FLECK_TEST_REDIS_URL")?;
    let prefix = format!("{}:", unique_name("fleck-t-"));
    let cache = RedisCache::connect(&url, &prefix)
        .await
        .expect("connecting to Redis");
    Some(
        Fixture::new(Arc::new(cache) as Arc<dyn Cache>)
            .with_teardown(delete_redis_keys(url, prefix)),
    )
}

/// Deletes the keys starting with `prefix` from the Redis at `url`.
async fn delete_redis_keys(url: String, prefix: String) {
    let result: redis::RedisResult<()> = async {
        let mut conn = redis::Client::open(url)?
            .get_multiplexed_async_connection()
            .await?;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut conn)
            .await?;
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(keys)
                .query_async::<()>(&mut conn)
                .await?;
        }
        Ok(())
    }
    .await;
    if let Err(e) = result {
        eprintln!("warning: could not delete the test's Redis keys: {e}");
    }
}

// ---- Blobs ----

pub async fn disk_blobs() -> Option<Fixture<Arc<dyn Blobs>>> {
    let dir = temp_dir();
    let signer = UrlSigner::new(
        "contract-test-secret",
        "http://127.0.0.1:3000".parse().unwrap(),
    );
    let blobs = DiskBlobs::open(dir.path().join("blobs"), signer)
        .await
        .expect("opening the blob folder");
    Some(Fixture::new(Arc::new(blobs) as Arc<dyn Blobs>).in_dir(dir))
}

/// A bucket of this test's own on the test S3 server, emptied and removed afterwards.
pub async fn s3_blobs() -> Option<Fixture<Arc<dyn Blobs>>> {
    let [endpoint, access_key, secret_key] = service_vars([
        "FLECK_TEST_S3_ENDPOINT",
        "FLECK_TEST_S3_ACCESS_KEY",
        "FLECK_TEST_S3_SECRET_KEY",
    ])?;
    let config = S3Config {
        endpoint,
        public_endpoint: None,
        bucket: unique_name("fleck-t-"),
        region: "us-east-1".into(),
        access_key,
        secret_key,
        create_bucket: true,
    };
    let blobs = S3Blobs::connect(&config).await.expect("connecting to S3");
    Some(Fixture::new(Arc::new(blobs) as Arc<dyn Blobs>).with_teardown(remove_bucket(config)))
}

/// Deletes every object in the bucket, then the bucket.
async fn remove_bucket(config: S3Config) {
    let credentials = aws_credential_types::Credentials::new(
        &config.access_key,
        &config.secret_key,
        None,
        None,
        "fleck-test",
    );
    let client = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::new()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new(config.region.clone()))
            .endpoint_url(&config.endpoint)
            .credentials_provider(credentials)
            .force_path_style(true)
            .build(),
    );
    let bucket = &config.bucket;
    let result: Result<(), String> = async {
        loop {
            let listed = client
                .list_objects_v2()
                .bucket(bucket)
                .send()
                .await
                .map_err(|e| format!("listing: {e:?}"))?;
            if listed.contents().is_empty() {
                break;
            }
            for object in listed.contents() {
                if let Some(key) = object.key() {
                    client
                        .delete_object()
                        .bucket(bucket)
                        .key(key)
                        .send()
                        .await
                        .map_err(|e| format!("deleting {key}: {e:?}"))?;
                }
            }
        }
        client
            .delete_bucket()
            .bucket(bucket)
            .send()
            .await
            .map_err(|e| format!("removing the bucket: {e:?}"))?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        eprintln!("warning: could not remove test bucket {bucket}: {e}");
    }
}

// ---- Mailer ----

/// A mailer and a way to read back what it delivered.
#[derive(Clone)]
pub struct TestMailer {
    pub mailer: Arc<dyn Mailer>,
    pub probe: MailProbe,
}

#[derive(Clone)]
pub enum MailProbe {
    /// The outbox folder's `.eml` files.
    Outbox(PathBuf),
    /// maildev's HTTP API, at this base URL.
    Maildev { api: String, http: reqwest::Client },
}

/// A delivered message as the probe reads it back.
#[derive(Clone, Debug)]
pub struct Received {
    pub from: Vec<Mailbox>,
    pub to: Vec<Mailbox>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mailbox {
    pub address: String,
    pub name: Option<String>,
}

/// How long delivered mail may take to show up in the probe (SMTP hands it over asynchronously).
const MAIL_ARRIVAL: Duration = Duration::from_secs(5);

impl MailProbe {
    /// The messages addressed to `address`, waiting until there are at least `expected` of them
    /// (or `MAIL_ARRIVAL` has passed, then returning what there is).
    pub async fn messages_to(&self, address: &str, expected: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + MAIL_ARRIVAL;
        loop {
            let found: Vec<Received> = self
                .all_messages()
                .await
                .into_iter()
                .filter(|m| {
                    m.to.iter()
                        .any(|to| to.address.eq_ignore_ascii_case(address))
                })
                .collect();
            if found.len() >= expected || tokio::time::Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn all_messages(&self) -> Vec<Received> {
        match self {
            MailProbe::Outbox(dir) => read_outbox(dir).await,
            MailProbe::Maildev { api, http } => read_maildev(api, http).await,
        }
    }
}

async fn read_outbox(dir: &std::path::Path) -> Vec<Received> {
    let mut messages = Vec::new();
    let mut entries = tokio::fs::read_dir(dir).await.expect("reading the outbox");
    while let Some(entry) = entries.next_entry().await.expect("reading the outbox") {
        if entry.path().extension().is_some_and(|ext| ext == "eml") {
            let raw = tokio::fs::read(entry.path())
                .await
                .expect("reading an .eml file");
            messages.push(parse_eml(&raw));
        }
    }
    messages
}

fn parse_eml(raw: &[u8]) -> Received {
    use mail_parser::{MessageParser, PartType};
    let message = MessageParser::default()
        .parse(raw)
        .expect("an .eml file parses as e-mail");
    let mailboxes = |address: Option<&mail_parser::Address>| -> Vec<Mailbox> {
        address
            .map(|a| {
                a.iter()
                    .map(|addr| Mailbox {
                        address: addr.address().unwrap_or_default().to_string(),
                        name: addr.name().map(str::to_string),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    // Look at the parts themselves: `body_html` would render a text-only message as HTML.
    let text = message.parts.iter().find_map(|part| match &part.body {
        PartType::Text(text) => Some(text.to_string()),
        _ => None,
    });
    let html = message.parts.iter().find_map(|part| match &part.body {
        PartType::Html(html) => Some(html.to_string()),
        _ => None,
    });
    Received {
        from: mailboxes(message.from()),
        to: mailboxes(message.to()),
        subject: message.subject().unwrap_or_default().to_string(),
        text: text.unwrap_or_default(),
        html,
    }
}

async fn read_maildev(api: &str, http: &reqwest::Client) -> Vec<Received> {
    let messages: Vec<serde_json::Value> = http
        .get(format!("{api}/api/email"))
        .send()
        .await
        .and_then(|response| response.error_for_status())
        .expect("asking maildev for its mail")
        .json()
        .await
        .expect("maildev answers a JSON array");
    let mailboxes = |list: &serde_json::Value| -> Vec<Mailbox> {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|m| Mailbox {
                address: m["address"].as_str().unwrap_or_default().to_string(),
                name: m["name"]
                    .as_str()
                    .filter(|n| !n.is_empty())
                    .map(str::to_string),
            })
            .collect()
    };
    messages
        .iter()
        .map(|m| Received {
            from: mailboxes(&m["from"]),
            to: mailboxes(&m["to"]),
            subject: m["subject"].as_str().unwrap_or_default().to_string(),
            text: m["text"].as_str().unwrap_or_default().to_string(),
            // maildev reports `false` for a message without an HTML part.
            html: m["html"].as_str().map(str::to_string),
        })
        .collect()
}

/// The sender every test mailer uses.
pub const MAIL_FROM: &str = "Fleck Tests <noreply@fleck.test>";

pub async fn outbox_mailer() -> Option<Fixture<TestMailer>> {
    let dir = temp_dir();
    let folder = dir.path().join("outbox");
    let outbox = Outbox::open(&folder, parse_from(MAIL_FROM).unwrap())
        .await
        .expect("opening the outbox");
    let mailer = TestMailer {
        mailer: Arc::new(outbox),
        probe: MailProbe::Outbox(folder),
    };
    Some(Fixture::new(mailer).in_dir(dir))
}

/// The test SMTP server (maildev), read back through maildev's API. Tests share its mailbox, so
/// each one sends to addresses of its own (`unique_address`).
pub async fn smtp_mailer() -> Option<Fixture<TestMailer>> {
    let [smtp_url, api] = service_vars(["FLECK_TEST_SMTP_URL", "FLECK_TEST_MAILDEV_URL"])?;
    let smtp = Smtp::connect(&smtp_url, parse_from(MAIL_FROM).unwrap())
        .await
        .expect("connecting to the SMTP server");
    let mailer = TestMailer {
        mailer: Arc::new(smtp),
        probe: MailProbe::Maildev {
            api: api.trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
        },
    };
    Some(Fixture::new(mailer))
}

/// A recipient address no other test sends to.
pub fn unique_address(who: &str) -> String {
    format!("{who}-{}@example.com", random_string(10))
}

// ---- Records the suites build on ----

/// A user without a password (hashing one is slow in debug builds).
pub async fn user_named(db: &Database, email: &str, name: &str) -> User {
    let new_user = UserInput {
        email: email.into(),
        name: name.into(),
        company: None,
        password: None,
    }
    .into_new_user()
    .expect("valid user input");
    db.store
        .create_user(new_user, ServerRole::User)
        .await
        .unwrap_or_else(|e| panic!("creating {email}: {e}"))
}

/// A project created and last updated at `at`.
pub fn project_at(name: &str, at: DateTime<Utc>) -> Project {
    Project {
        id: new_id(),
        name: name.into(),
        description: format!("About {name}."),
        visibility: Visibility::Private,
        allow_public_comments: false,
        created_at: at,
        updated_at: at,
    }
}

/// A model of `project_id` named `name`, created and last updated at `at`.
pub fn model_at(project_id: &str, name: &str, author: &User, at: DateTime<Utc>) -> Model {
    Model {
        id: new_id(),
        project_id: project_id.into(),
        name: name.into(),
        description: Some(format!("The {name} model.")),
        author_id: Some(author.id.clone()),
        created_at: at,
        updated_at: at,
    }
}

/// Creates the project `name` owned by `owner`, created at `at`; returns it and its `main` model.
pub async fn create_project_at(
    db: &Database,
    owner: &User,
    name: &str,
    at: DateTime<Utc>,
) -> (Project, Model) {
    let project = project_at(name, at);
    let main = model_at(&project.id, "main", owner, at);
    db.projects
        .create_project(&project, &owner.id, Some(&main))
        .await
        .unwrap_or_else(|e| panic!("creating project {name}: {e}"));
    (project, main)
}

pub async fn create_project(db: &Database, owner: &User, name: &str) -> (Project, Model) {
    create_project_at(db, owner, name, now()).await
}

pub async fn create_model_at(
    db: &Database,
    project: &Project,
    name: &str,
    author: &User,
    at: DateTime<Utc>,
) -> Model {
    let model = model_at(&project.id, name, author, at);
    db.projects
        .create_model(&model)
        .await
        .unwrap_or_else(|e| panic!("creating model {name}: {e}"));
    model
}

pub async fn create_model(db: &Database, project: &Project, name: &str, author: &User) -> Model {
    create_model_at(db, project, name, author, now()).await
}

/// The password of `user_with_password`.
pub const PASSWORD: &str = "correct horse battery";

/// Ada, at `Ada@Example.com` (as typed, not lower-cased), with `PASSWORD`, and its hash. Only the
/// tests of passwords make one: argon2 is slow in debug builds.
pub async fn user_with_password(db: &Database) -> (User, String) {
    let new_user = UserInput {
        email: "Ada@Example.com".into(),
        name: "Ada".into(),
        company: None,
        password: Some(PASSWORD.into()),
    }
    .into_new_user()
    .expect("valid user input");
    let hash = new_user.password_hash.clone().expect("a hash");
    let user = db
        .store
        .create_user(new_user, ServerRole::User)
        .await
        .unwrap_or_else(|e| panic!("creating Ada with a password: {e}"));
    (user, hash)
}

pub use fleck_core::testing::verified_user;

/// A project `owner` creates through the project service, with its `main` model: its id.
pub async fn service_project(
    core: &Core,
    owner: &Actor,
    name: &str,
    visibility: Visibility,
) -> String {
    let (project, _) = testing::project_with_main_model(core, owner, name, visibility).await;
    project
}

/// The `main` model of `project`.
pub async fn main_model(core: &Core, project: &str) -> Model {
    let found = core
        .database()
        .projects
        .model_by_name(project, "main")
        .await;
    found.unwrap().expect("a main model")
}

/// How many jobs of `kind` wait in the queue.
pub async fn queued_jobs(core: &Core, kind: &str) -> i64 {
    let counts = core.database().queue.counts().await.unwrap();
    counts
        .iter()
        .filter(|c| c.kind == kind && c.state == JobState::Queued)
        .map(|c| c.count)
        .sum()
}
