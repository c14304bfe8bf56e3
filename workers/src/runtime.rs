//! The job runtime: each job kind has slots of its own (`WorkerOptions::slots`) that claim only
//! that kind's jobs, run its handler while a heartbeat keeps the lease alive, and record the
//! outcome. Idle slots sleep until a job of their kind is announced on the cache's pub/sub
//! channel or the poll interval passes, whichever comes first.
//!
//! On shutdown a running job gets `shutdown_grace` to finish; after that it is handed back to the
//! queue for another worker, without using up an attempt.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use fleck_core::queue::{Job, JobState, Queue, JOBS_CHANNEL};
use fleck_core::Core;
use futures::StreamExt;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// Why a job did not succeed.
#[derive(Debug)]
pub enum JobError {
    /// Worth another attempt after the backoff delay (network errors, a busy server).
    Retry(String),
    /// Retrying cannot help (a malformed payload): fail the job now.
    Permanent(String),
}

impl std::fmt::Display for JobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobError::Retry(m) | JobError::Permanent(m) => f.write_str(m),
        }
    }
}

/// The job's payload as the handler reads it (`what` it should be, in the error): a payload of
/// another shape will not get better by retrying.
pub fn payload<T: serde::de::DeserializeOwned>(job: &Job, what: &str) -> Result<T, JobError> {
    serde_json::from_value(job.payload.clone())
        .map_err(|e| JobError::Permanent(format!("not {what}: {e}")))
}

/// The text field `name` of the job's payload.
pub fn field<'j>(job: &'j Job, name: &str) -> Result<&'j str, JobError> {
    job.payload[name]
        .as_str()
        .ok_or_else(|| JobError::Permanent(format!("the job names no {name}")))
}

/// Runs the jobs of one kind.
#[async_trait]
pub trait Handler: Send + Sync + 'static {
    fn kind(&self) -> &'static str;

    async fn run(&self, job: &Job) -> Result<(), JobError>;
}

#[derive(Default, Clone)]
pub struct Registry {
    handlers: HashMap<&'static str, Arc<dyn Handler>>,
}

impl Registry {
    pub fn add(&mut self, handler: Arc<dyn Handler>) {
        self.handlers.insert(handler.kind(), handler);
    }

    pub fn kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = self.handlers.keys().map(|k| k.to_string()).collect();
        kinds.sort();
        kinds
    }

    /// Keeps only the handlers named in `only`; unknown names are an error.
    pub fn only(mut self, only: &[String]) -> Result<Self, String> {
        if let Some(unknown) = only
            .iter()
            .find(|k| !self.handlers.contains_key(k.as_str()))
        {
            return Err(format!(
                "unknown worker kind {unknown:?}; known kinds: {}",
                self.kinds().join(", ")
            ));
        }
        self.handlers
            .retain(|kind, _| only.iter().any(|o| o == kind));
        Ok(self)
    }
}

#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Names this worker in the job table and logs.
    pub name: String,
    /// Jobs of one kind run at the same time by this process, for a kind not in `slots`.
    pub concurrency: usize,
    /// Jobs of each kind run at the same time by this process. Every kind has slots of its
    /// own that take only its jobs, so slow jobs of one kind (webhooks to a slow endpoint,
    /// a heavy preview) never hold up another kind's.
    pub slots: HashMap<String, usize>,
    /// How long a claimed job stays ours without a heartbeat.
    pub lease: Duration,
    /// Longest sleep between looks at the queue when no wake-up arrives.
    pub poll_interval: Duration,
    /// How long a running job may take to finish once shutdown begins.
    pub shutdown_grace: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            name: format!("worker-{}", std::process::id()),
            concurrency: 1,
            slots: default_slots(),
            lease: Duration::from_secs(60),
            poll_interval: Duration::from_secs(5),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Slots per job kind unless configured: previews and imports are heavy (memory, CPU), one at a
/// time; webhooks mostly wait on other servers; mail is quick but must not wait behind them.
pub fn default_slots() -> HashMap<String, usize> {
    HashMap::from([
        (fleck_core::previews::PREVIEW_JOB.to_string(), 1),
        (fleck_core::projects::imports::IMPORT_JOB.to_string(), 1),
        (fleck_core::webhooks::WEBHOOK_JOB.to_string(), 4),
        (fleck_core::mail::MAIL_JOB.to_string(), 2),
    ])
}

impl WorkerOptions {
    /// The slots of job kind `kind`.
    pub fn slots_of(&self, kind: &str) -> usize {
        self.slots
            .get(kind)
            .copied()
            .unwrap_or(self.concurrency)
            .max(1)
    }
}

/// Runs until `shutdown` is cancelled and every slot has finished or handed back its job.
pub async fn run(
    core: Core,
    registry: Registry,
    options: WorkerOptions,
    shutdown: CancellationToken,
) {
    let kinds = registry.kinds();
    if kinds.is_empty() {
        return;
    }
    let slots_per_kind: Vec<String> = kinds
        .iter()
        .map(|kind| format!("{kind}={}", options.slots_of(kind)))
        .collect();
    tracing::info!(worker = %options.name, slots = %slots_per_kind.join(","), "worker started");
    let wakes: Arc<HashMap<String, Arc<Notify>>> = Arc::new(
        kinds
            .iter()
            .map(|kind| (kind.clone(), Arc::new(Notify::new())))
            .collect(),
    );
    let listener = tokio::spawn(listen_for_jobs(
        core.clone(),
        wakes.clone(),
        shutdown.clone(),
    ));
    let mut slots = Vec::new();
    for kind in &kinds {
        for slot in 0..options.slots_of(kind) {
            let slot = Slot {
                queue: core.jobs.queue().clone(),
                registry: registry.clone(),
                kinds: vec![kind.clone()],
                name: format!("{}/{kind}/{slot}", options.name),
                options: options.clone(),
                wake: wakes[kind].clone(),
                shutdown: shutdown.clone(),
            };
            slots.push(tokio::spawn(slot.run()));
        }
    }
    for slot in slots {
        let _ = slot.await;
    }
    listener.abort();
    tracing::info!(worker = %options.name, "worker stopped");
}

/// Turns job announcements on the cache's pub/sub into wake-ups of the idle slots of the
/// announced kind.
async fn listen_for_jobs(
    core: Core,
    wakes: Arc<HashMap<String, Arc<Notify>>>,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        match core.cache.subscribe(JOBS_CHANNEL).await {
            Ok(mut messages) => {
                while let Some(kind) = messages.next().await {
                    // A kind this process does not run wakes no one.
                    if let Some(wake) = std::str::from_utf8(&kind).ok().and_then(|k| wakes.get(k)) {
                        wake.notify_waiters();
                    }
                }
                tracing::warn!("job announcements stopped; resubscribing");
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot subscribe to job announcements; polling only")
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

struct Slot {
    queue: Arc<dyn Queue>,
    registry: Registry,
    kinds: Vec<String>,
    name: String,
    options: WorkerOptions,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
}

impl Slot {
    async fn run(self) {
        while !self.shutdown.is_cancelled() {
            // Register interest before looking, so an announcement in between is not missed.
            let woken = self.wake.notified();
            match self
                .queue
                .claim(Some(&self.kinds), &self.name, self.options.lease)
                .await
            {
                Ok(Some(job)) => self.execute(job).await,
                Ok(None) => {
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep(self.options.poll_interval) => {}
                        _ = self.shutdown.cancelled() => {}
                    }
                }
                Err(e) => {
                    tracing::error!(worker = %self.name, error = %e, "cannot claim jobs");
                    tokio::select! {
                        _ = tokio::time::sleep(self.options.poll_interval) => {}
                        _ = self.shutdown.cancelled() => {}
                    }
                }
            }
        }
    }

    async fn execute(&self, job: Job) {
        let Some(handler) = self.registry.handlers.get(job.kind.as_str()).cloned() else {
            return;
        };
        let span = tracing::info_span!("job", id = job.id, kind = %job.kind, attempt = job.attempt);
        self.supervise(job, handler).instrument(span).await
    }

    /// Runs the handler with lease heartbeats and records how it ended.
    async fn supervise(&self, job: Job, handler: Arc<dyn Handler>) {
        let started = std::time::Instant::now();

        let work = handler.run(&job);
        tokio::pin!(work);
        let mut heartbeat = tokio::time::interval(self.options.lease / 3);
        heartbeat.tick().await;
        let mut deadline: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
        let outcome = loop {
            tokio::select! {
                result = &mut work => break Some(result),
                _ = heartbeat.tick() => {
                    match self.queue.extend_lease(&job, self.options.lease).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!("lost the job's lease; another worker has it now");
                            return;
                        }
                        Err(e) => tracing::warn!(error = %e, "cannot extend the job's lease"),
                    }
                }
                _ = self.shutdown.cancelled(), if deadline.is_none() => {
                    deadline = Some(Box::pin(tokio::time::sleep(self.options.shutdown_grace)));
                }
                _ = async { deadline.as_mut().expect("guarded").await }, if deadline.is_some() => break None,
            }
        };

        let recorded = match outcome {
            None => {
                tracing::info!("shutting down: handing the job back");
                self.queue.release(&job).await.map(|()| true)
            }
            Some(Ok(())) => {
                tracing::info!(ms = started.elapsed().as_millis() as u64, "job succeeded");
                self.queue.succeed(&job).await
            }
            Some(Err(error)) => {
                let mut job = job.clone();
                if matches!(error, JobError::Permanent(_)) {
                    // No attempts left means no retry.
                    job.attempt = job.max_attempts;
                }
                let state = self.queue.fail(&job, &error.to_string()).await;
                match &state {
                    Ok(Some(JobState::Failed)) => tracing::error!(%error, "job failed for good"),
                    Ok(Some(_)) => tracing::warn!(%error, "job failed; it will be retried"),
                    _ => {}
                }
                state.map(|s| s.is_some())
            }
        };
        match recorded {
            Ok(true) => {}
            Ok(false) => tracing::warn!("the job's lease ran out before its outcome was recorded"),
            Err(e) => tracing::error!(error = %e, "cannot record the job's outcome"),
        }
    }
}
