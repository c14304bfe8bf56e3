//! Fixtures for the worker runtime tests: the two backend sets a runtime runs against, a runtime
//! running in the background, and a handler that records every run it is given.
//!
//! The production set needs the services named by `FLECK_TEST_*` variables
//! (`eval "$(scripts/services.sh)"` starts them and sets the variables). Without one, a test skips
//! with a note on stderr, except in CI (`CI=true`), where it fails instead: there a skipped backend
//! would be an untested one.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use fleck_core::config::{Config, RedisConfig};
use fleck_core::queue::{Job, JobRecord, JobState, NewJob};
use fleck_core::Core;
use fleck_testkit::{service, TempDatabase};
use fleck_workers::{Handler, JobError, Registry, WorkerOptions};
use tempfile::TempDir;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// For each scenario, a `sqlite_<scenario>` test on the embedded backends and a
/// `postgres_<scenario>` test on PostgreSQL and Redis. Scenarios take `Arc<Backends>`.
macro_rules! on_both_backend_sets {
    ($($scenario:ident),+ $(,)?) => {
        paste::paste! {
            $(
                // Several worker threads, so the runtime's slots and the test really run side by side.
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn [<sqlite_ $scenario>]() {
                    $crate::support::run_on(Some($crate::support::Backends::embedded()), $scenario).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn [<postgres_ $scenario>]() {
                    $crate::support::run_on($crate::support::Backends::production().await, $scenario).await;
                }
            )+
        }
    };
}
pub(crate) use on_both_backend_sets;

/// The configuration of one backend set, and what has to outlive it or be cleaned up after it.
pub struct Backends {
    config: Config,
    /// The data folder: SQLite file, blobs and the mail outbox.
    dir: TempDir,
    /// The PostgreSQL database made for this test.
    database: Option<TempDatabase>,
}

impl Backends {
    /// SQLite, the in-process cache, blobs on disk and mail in the outbox, all in a fresh folder.
    pub fn embedded() -> Self {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let config = Config {
            public_url: "http://127.0.0.1:1".parse().expect("a URL"),
            data_dir: dir.path().to_path_buf(),
            database_url: format!("sqlite://{}", dir.path().join("f.db").display()),
            database_max_connections: 5,
            redis: None,
            s3: None,
            smtp_url: None,
            mail_from: "Fleck <fleck@localhost>".into(),
            secret: "x".repeat(32),
            rate_limits: Default::default(),
        };
        Backends {
            config,
            dir,
            database: None,
        }
    }

    /// A fresh PostgreSQL database and a Redis key prefix of this test's own; blobs and mail stay
    /// on disk, as the runtime does not touch them. `None` (skip) when a service is not configured.
    pub async fn production() -> Option<Self> {
        // Redis first, so a skip never leaves a database behind.
        let redis_url = service("FLECK_TEST_REDIS_URL")?;
        let database = TempDatabase::create("fleck_w_").await?;

        let mut backends = Self::embedded();
        backends.config.database_url = database.url.clone();
        backends.config.redis = Some(RedisConfig {
            url: redis_url,
            key_prefix: format!("{}:", database.name()),
        });
        backends.database = Some(database);
        Some(backends)
    }

    /// A `Core` on these backends. Each call connects anew, as another process would.
    pub async fn connect(&self) -> Core {
        Core::connect(self.config.clone())
            .await
            .unwrap_or_else(|e| panic!("connecting to {}: {e}", self.config.database_url))
    }

    /// Where the outbox mailer writes `.eml` files.
    pub fn outbox(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }

    async fn teardown(&self) {
        if let Some(database) = &self.database {
            database.drop_database().await;
        }
    }
}

/// Runs `scenario` on `backends` (nothing when they were skipped), then cleans up after it.
pub async fn run_on<F, Fut>(backends: Option<Backends>, scenario: F)
where
    F: FnOnce(Arc<Backends>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(backends) = backends else { return };
    let backends = Arc::new(backends);
    // In a task of its own, so a failed assertion still reaches the teardown.
    let outcome = tokio::spawn(scenario(backends.clone())).await;
    backends.teardown().await;
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("the scenario did not finish: {e}"),
        }
    }
}

/// Options for a test runtime: Fleck's slots per job kind and one slot for any other kind, and
/// a poll interval far longer than any test, so a job that starts promptly was started by a
/// wake-up, not by a poll.
pub fn options(name: &str) -> WorkerOptions {
    WorkerOptions {
        name: name.into(),
        concurrency: 1,
        slots: fleck_workers::runtime::default_slots(),
        lease: Duration::from_secs(10),
        poll_interval: Duration::from_secs(30),
        shutdown_grace: Duration::from_secs(1),
    }
}

/// `fleck_workers::run` in a task of its own, as `fleck worker` runs it.
pub struct Worker {
    shutdown: CancellationToken,
    handle: JoinHandle<()>,
}

impl Worker {
    pub fn start(core: &Core, registry: Registry, options: WorkerOptions) -> Self {
        let shutdown = CancellationToken::new();
        let handle = tokio::spawn(fleck_workers::run(
            core.clone(),
            registry,
            options,
            shutdown.clone(),
        ));
        Worker { shutdown, handle }
    }

    /// A runtime with every handler Fleck registers, at default limits.
    pub fn start_fleck(core: &Core, name: &str) -> Self {
        let registry = fleck_workers::registry(core, &fleck_workers::Limits::default());
        Self::start(core, registry, options(name))
    }

    /// Begins the shutdown and waits for `run` to return; returns how long that took.
    pub async fn stop(self) -> Duration {
        let started = Instant::now();
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.handle)
            .await
            .expect("run returns within 10 s of the shutdown")
            .expect("run does not panic");
        started.elapsed()
    }
}

/// The job kind `Probe` handles.
pub const PROBE: &str = "probe";

/// What a `Probe` does with each job.
#[derive(Clone, Copy, Debug)]
pub enum Behaviour {
    Succeed,
    /// Works this long, then succeeds.
    Take(Duration),
    /// Asks for a retry on attempts 1 to n, then succeeds.
    RetryFirst(u32),
    AlwaysRetry,
    Permanent,
}

pub const RETRY_MESSAGE: &str = "the probe failed, try again";
pub const PERMANENT_MESSAGE: &str = "the probe cannot ever do this job";

/// Queues one job for the `Probe`: its id.
pub async fn enqueue_probe(core: &Core) -> i64 {
    core.jobs
        .enqueue(NewJob::new(PROBE, serde_json::json!({})))
        .await
        .unwrap()
}

/// One call of the handler.
#[derive(Clone, Debug)]
pub struct Run {
    pub job: i64,
    pub attempt: u32,
    pub at: Instant,
}

/// What the probes sharing it were asked to do.
#[derive(Default)]
pub struct Log {
    runs: Mutex<Vec<Run>>,
    active: AtomicUsize,
    most_active: AtomicUsize,
}

impl Log {
    pub fn new() -> Arc<Self> {
        Arc::default()
    }

    pub fn runs(&self) -> Vec<Run> {
        self.runs.lock().unwrap().clone()
    }

    pub fn runs_of(&self, job: i64) -> usize {
        self.runs().iter().filter(|r| r.job == job).count()
    }

    /// The most runs that were in progress at the same time.
    pub fn most_active(&self) -> usize {
        self.most_active.load(Ordering::SeqCst)
    }

    /// Waits until `job` has been started `n` times in all.
    pub async fn wait_for_runs(&self, job: i64, n: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.runs_of(job) < n {
            assert!(
                Instant::now() < deadline,
                "job {job} was started {} times, not {n}, within {within:?}",
                self.runs_of(job)
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Counts a run as in progress until dropped, also when the runtime drops the handler's future.
struct Active<'a>(&'a Log);

impl<'a> Active<'a> {
    fn begin(log: &'a Log, job: &Job) -> Self {
        log.runs.lock().unwrap().push(Run {
            job: job.id,
            attempt: job.attempt,
            at: Instant::now(),
        });
        let now = log.active.fetch_add(1, Ordering::SeqCst) + 1;
        log.most_active.fetch_max(now, Ordering::SeqCst);
        Active(log)
    }
}

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A handler for `PROBE` jobs that behaves as told and records each run in its log.
pub struct Probe {
    behaviour: Behaviour,
    log: Arc<Log>,
}

impl Probe {
    pub fn new(behaviour: Behaviour, log: &Arc<Log>) -> Arc<Self> {
        Arc::new(Probe {
            behaviour,
            log: log.clone(),
        })
    }

    /// A registry holding just a probe.
    pub fn registry(behaviour: Behaviour, log: &Arc<Log>) -> Registry {
        let mut registry = Registry::default();
        registry.add(Self::new(behaviour, log));
        registry
    }
}

#[async_trait]
impl Handler for Probe {
    fn kind(&self) -> &'static str {
        PROBE
    }

    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let _active = Active::begin(&self.log, job);
        match self.behaviour {
            Behaviour::Succeed => Ok(()),
            Behaviour::Take(time) => {
                tokio::time::sleep(time).await;
                Ok(())
            }
            Behaviour::RetryFirst(n) if job.attempt <= n => {
                Err(JobError::Retry(RETRY_MESSAGE.into()))
            }
            Behaviour::RetryFirst(_) => Ok(()),
            Behaviour::AlwaysRetry => Err(JobError::Retry(RETRY_MESSAGE.into())),
            Behaviour::Permanent => Err(JobError::Permanent(PERMANENT_MESSAGE.into())),
        }
    }
}

/// Reads with `read` every `every` until what it reads is `done`, and returns that; panics after
/// `within`, saying what it waited for (`what`) and what it read last.
pub async fn poll<T: std::fmt::Debug, F: Future<Output = T>>(
    what: &str,
    within: Duration,
    every: Duration,
    mut read: impl FnMut() -> F,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        let read = read().await;
        if done(&read) {
            return read;
        }
        assert!(
            Instant::now() < deadline,
            "{what} has not happened within {within:?}: {read:?}"
        );
        tokio::time::sleep(every).await;
    }
}

/// Polls the job until it has succeeded or failed for good; panics after `within`.
pub async fn wait_until_finished(core: &Core, id: i64, within: Duration) -> JobRecord {
    let finished = |job: &JobRecord| matches!(job.state, JobState::Succeeded | JobState::Failed);
    let what = format!("job {id} finishing");
    let every = Duration::from_millis(10);
    poll(&what, within, every, || record(core, id), finished).await
}

/// The job's row as the queue reports it.
pub async fn record(core: &Core, id: i64) -> JobRecord {
    core.database()
        .queue
        .job(id)
        .await
        .expect("reading the job")
        .unwrap_or_else(|| panic!("job {id} exists"))
}

/// A fresh, verified user acting through a web session.
pub async fn new_user(core: &Core) -> fleck_core::auth::Actor {
    let user = fleck_core::testing::verified_user(core, "Ada").await;
    fleck_core::auth::Actor::from_session(user)
}

/// A new private project of `actor`'s named `name`: its id and its `main` model's id.
pub async fn new_project(
    core: &Core,
    actor: &fleck_core::auth::Actor,
    name: &str,
) -> (String, String) {
    let private = fleck_core::authz::Visibility::Private;
    let (project, main) =
        fleck_core::testing::project_with_main_model(core, actor, name, private).await;
    (project, main.id)
}
