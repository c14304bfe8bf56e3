//! The worker runtime against real backends: wake-ups through the cache's pub/sub, retries with
//! backoff, graceful shutdown, lease heartbeats, several runtimes on one queue, and the `mail` job.
//! Every scenario runs on the embedded set (`sqlite_…`) and the production set (`postgres_…`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::{
    enqueue_probe, on_both_backend_sets, options, record, wait_until_finished, Backends, Behaviour,
    Log, Probe, Worker, PERMANENT_MESSAGE, PROBE, RETRY_MESSAGE,
};
use fleck_core::mail::{Email, MAIL_JOB};
use fleck_core::queue::{JobRecord, JobState, NewJob};
use fleck_core::Core;
use fleck_workers::WorkerOptions;
use serde_json::json;

on_both_backend_sets!(
    idle_worker_wakes_up_for_a_new_job,
    retried_job_succeeds_on_the_third_attempt,
    job_failing_every_attempt_fails_for_good,
    permanent_error_fails_the_job_at_once,
    shutdown_hands_back_a_job_that_outlasts_the_grace,
    shutdown_lets_a_job_finish_within_the_grace,
    heartbeats_keep_a_long_job_from_a_second_worker,
    two_processes_run_every_job_exactly_once,
    mail_job_writes_the_email_to_the_outbox,
    mail_job_with_a_payload_that_is_no_email_fails_once,
);

/// A probe job with retries that come quickly enough for a test.
fn probe_job(max_attempts: u32) -> NewJob {
    NewJob {
        max_attempts,
        retry_base: Duration::from_millis(100),
        ..NewJob::new(PROBE, json!({}))
    }
}

/// A failed attempt announces nothing, so a runtime finds the retry on its next poll: the retry
/// scenarios poll often, or they would wait out the 30 s interval.
fn polling_often(name: &str) -> WorkerOptions {
    WorkerOptions {
        poll_interval: Duration::from_millis(50),
        ..options(name)
    }
}

async fn idle_worker_wakes_up_for_a_new_job(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let log = Log::new();
    let worker = Worker::start(
        &core,
        Probe::registry(Behaviour::Succeed, &log),
        WorkerOptions {
            concurrency: 2,
            ..options("waking")
        },
    );
    // Time for every slot's first look at the empty queue and for the subscription to be in
    // place; after that, with a 30 s poll interval, only the announcement can start the job.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let enqueued = Instant::now();
    let id = enqueue_probe(&core).await;
    let job = wait_until_finished(&core, id, Duration::from_secs(15)).await;

    assert_eq!(job.state, JobState::Succeeded);
    let started = log.runs()[0].at.duration_since(enqueued);
    assert!(
        started < Duration::from_secs(2),
        "the job started {started:?} after it was enqueued"
    );
    worker.stop().await;
}

async fn retried_job_succeeds_on_the_third_attempt(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let log = Log::new();
    let worker = Worker::start(
        &core,
        Probe::registry(Behaviour::RetryFirst(2), &log),
        polling_often("retrying"),
    );

    let id = core.jobs.enqueue(probe_job(5)).await.unwrap();
    let job = wait_until_finished(&core, id, Duration::from_secs(15)).await;

    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!(job.attempts, 3);
    let runs = log.runs();
    let attempts: Vec<u32> = runs.iter().map(|r| r.attempt).collect();
    assert_eq!(attempts, [1, 2, 3]);
    // Backoff: 100 ms after the first failure, twice that after the second (a little slack for
    // the millisecond timestamps of SQLite).
    let first_wait = runs[1].at - runs[0].at;
    let second_wait = runs[2].at - runs[1].at;
    assert!(first_wait >= Duration::from_millis(95), "{first_wait:?}");
    assert!(second_wait >= Duration::from_millis(195), "{second_wait:?}");
    worker.stop().await;
}

/// Runs one probe job of `max_attempts` that behaves as `behaviour` until it ends, then waits
/// out the room for a run that must not come; the job and how often it ran.
async fn run_to_the_end(
    backends: Arc<Backends>,
    behaviour: Behaviour,
    queue: &str,
    max_attempts: u32,
) -> (JobRecord, usize) {
    let core = backends.connect().await;
    let log = Log::new();
    let worker = Worker::start(
        &core,
        Probe::registry(behaviour, &log),
        polling_often(queue),
    );
    let id = core.jobs.enqueue(probe_job(max_attempts)).await.unwrap();
    let job = wait_until_finished(&core, id, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let runs = log.runs_of(id);
    worker.stop().await;
    (job, runs)
}

async fn job_failing_every_attempt_fails_for_good(backends: Arc<Backends>) {
    let (job, runs) = run_to_the_end(backends, Behaviour::AlwaysRetry, "failing", 3).await;
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.attempts, 3);
    assert_eq!(job.last_error.as_deref(), Some(RETRY_MESSAGE));
    assert_eq!(runs, 3, "no fourth run");
}

async fn permanent_error_fails_the_job_at_once(backends: Arc<Backends>) {
    let (job, runs) = run_to_the_end(backends, Behaviour::Permanent, "giving-up", 5).await;
    assert_eq!(job.state, JobState::Failed);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.last_error.as_deref(), Some(PERMANENT_MESSAGE));
    assert_eq!(runs, 1, "no retry, as a `Retry` would have had");
}

/// Starts a runtime whose probe works `work` per job and whose shutdown waits up to `grace`, and
/// stops it while it runs one job: the job's id, how long stopping took, and the job's record
/// read as soon as stopping returned.
async fn stop_during_a_job(
    core: &Core,
    work: Duration,
    grace: Duration,
    name: &str,
) -> (i64, Duration, JobRecord) {
    let log = Log::new();
    let worker = Worker::start(
        core,
        Probe::registry(Behaviour::Take(work), &log),
        WorkerOptions {
            shutdown_grace: grace,
            ..options(name)
        },
    );
    let id = enqueue_probe(core).await;
    log.wait_for_runs(id, 1, Duration::from_secs(5)).await;
    let stopping = worker.stop().await;
    (id, stopping, record(core, id).await)
}

async fn shutdown_hands_back_a_job_that_outlasts_the_grace(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let (work, grace) = (Duration::from_secs(30), Duration::from_millis(200));
    let (id, stopping, job) = stop_during_a_job(&core, work, grace, "stopping").await;

    assert!(
        stopping < Duration::from_secs(1),
        "run took {stopping:?} to return"
    );
    assert_eq!(job.state, JobState::Queued, "{job:?}");
    assert_eq!(job.attempts, 0, "handing back uses no attempt: {job:?}");

    // Handed back means another worker can take it at once.
    let next_log = Log::new();
    let next = Worker::start(
        &core,
        Probe::registry(Behaviour::Succeed, &next_log),
        options("taking-over"),
    );
    let job = wait_until_finished(&core, id, Duration::from_secs(15)).await;
    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!(job.attempts, 1);
    next.stop().await;
}

async fn shutdown_lets_a_job_finish_within_the_grace(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let (work, grace) = (Duration::from_millis(300), Duration::from_secs(5));
    // The record is read at once: the outcome is recorded before `run` returns.
    let (_, stopping, job) = stop_during_a_job(&core, work, grace, "finishing").await;
    assert_eq!(job.state, JobState::Succeeded, "{job:?}");
    assert_eq!(job.attempts, 1);
    assert!(
        stopping < Duration::from_secs(5),
        "run waited out the whole grace: {stopping:?}"
    );
}

async fn heartbeats_keep_a_long_job_from_a_second_worker(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let long_job = Behaviour::Take(Duration::from_millis(1200));
    // The job outlasts four leases; only the heartbeats (every lease / 3) keep it with `first`.
    // Both poll often, so `second` would take the job as soon as a lease ran out.
    let short_lease = |name: &str| WorkerOptions {
        lease: Duration::from_millis(300),
        ..polling_often(name)
    };
    let first_log = Log::new();
    let first = Worker::start(
        &core,
        Probe::registry(long_job, &first_log),
        short_lease("first"),
    );
    let id = enqueue_probe(&core).await;
    first_log.wait_for_runs(id, 1, Duration::from_secs(5)).await;
    let second_log = Log::new();
    let second = Worker::start(
        &core,
        Probe::registry(long_job, &second_log),
        short_lease("second"),
    );

    let job = wait_until_finished(&core, id, Duration::from_secs(10)).await;

    assert_eq!(job.state, JobState::Succeeded);
    assert_eq!(job.attempts, 1, "the job was claimed again: {job:?}");
    assert_eq!(first_log.runs_of(id), 1);
    assert_eq!(second_log.runs_of(id), 0, "the second worker ran the job");
    first.stop().await;
    second.stop().await;
}

async fn two_processes_run_every_job_exactly_once(backends: Arc<Backends>) {
    // Two Cores with pools (and subscriptions) of their own, as two `fleck worker` processes have.
    let core_a = backends.connect().await;
    let core_b = backends.connect().await;
    let mut ids = Vec::new();
    for _ in 0..40 {
        ids.push(enqueue_probe(&core_a).await);
    }
    // Queued before either starts, so both compete for the same jobs from the first claim on.
    let short_job = Behaviour::Take(Duration::from_millis(20));
    let many_slots = |name: &str| WorkerOptions {
        concurrency: 4,
        ..options(name)
    };
    let (log_a, log_b) = (Log::new(), Log::new());
    let a = Worker::start(&core_a, Probe::registry(short_job, &log_a), many_slots("a"));
    let b = Worker::start(&core_b, Probe::registry(short_job, &log_b), many_slots("b"));

    for &id in &ids {
        let job = wait_until_finished(&core_a, id, Duration::from_secs(20)).await;
        assert_eq!(job.state, JobState::Succeeded, "{job:?}");
        assert_eq!(job.attempts, 1, "{job:?}");
    }
    a.stop().await;
    b.stop().await;

    for &id in &ids {
        let runs = log_a.runs_of(id) + log_b.runs_of(id);
        assert_eq!(runs, 1, "job {id} ran {runs} times");
    }
    let (ran_a, ran_b) = (log_a.runs().len(), log_b.runs().len());
    assert_eq!(ran_a + ran_b, ids.len());
    // Otherwise nothing was shared and the test proves nothing about competing claims.
    assert!(ran_a > 0 && ran_b > 0, "a ran {ran_a} jobs, b ran {ran_b}");
    assert!(log_a.most_active() <= 4 && log_b.most_active() <= 4);
}

async fn mail_job_writes_the_email_to_the_outbox(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let worker = Worker::start_fleck(&core, "mailing");
    let subject = format!("Your upload is ready {}", fleck_core::ids::new_id());
    let email = Email {
        to: "Ada <ada@example.com>".into(),
        subject: subject.clone(),
        text: "The model has been processed.".into(),
        html: None,
    };

    let id = email.enqueue(&core.jobs).await.unwrap();
    let job = wait_until_finished(&core, id, Duration::from_secs(15)).await;

    assert_eq!(job.state, JobState::Succeeded, "{job:?}");
    let written = outbox_files(&backends);
    assert_eq!(written.len(), 1, "{written:?}");
    let eml = std::fs::read_to_string(&written[0]).unwrap();
    assert!(eml.contains(&subject), "{eml}");
    assert!(eml.contains("ada@example.com"), "{eml}");
    worker.stop().await;
}

async fn mail_job_with_a_payload_that_is_no_email_fails_once(backends: Arc<Backends>) {
    let core = backends.connect().await;
    let worker = Worker::start_fleck(&core, "mailing");

    let id = core
        .jobs
        .enqueue(NewJob::new(MAIL_JOB, json!({"nope": 1})))
        .await
        .unwrap();
    let job = wait_until_finished(&core, id, Duration::from_secs(15)).await;

    assert_eq!(job.state, JobState::Failed, "{job:?}");
    assert_eq!(job.attempts, 1, "retrying cannot fix a payload: {job:?}");
    let error = job.last_error.unwrap_or_default();
    assert!(error.contains("not an e-mail"), "{error}");
    assert!(outbox_files(&backends).is_empty());
    worker.stop().await;
}

/// The `.eml` files in the outbox.
fn outbox_files(backends: &Backends) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(backends.outbox())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "eml"))
        .collect()
}

#[tokio::test]
async fn registry_only_keeps_the_named_kinds() {
    let backends = Backends::embedded();
    let core = backends.connect().await;
    let mut registry = fleck_workers::registry(&core, &fleck_workers::Limits::default());
    registry.add(Probe::new(Behaviour::Succeed, &Log::new()));
    assert_eq!(
        registry.kinds(),
        [
            "file-import",
            "forget-project-files",
            "ingest-objects",
            "mail",
            "preview",
            PROBE,
            "version-changes",
            "webhook"
        ]
    );

    // `--only` takes the kinds, or their group names.
    let (kinds, monitor) = fleck_workers::select(&["emails".to_string(), "previews".to_string()]);
    assert!(
        !monitor,
        "the monitor runs only when named (or when nothing is)"
    );
    let chosen = registry.only(&kinds).unwrap();

    assert_eq!(chosen.kinds(), ["mail", "preview"]);
    assert_eq!(fleck_workers::select(&[]), (vec![], true));
    assert_eq!(
        fleck_workers::select(&["monitor".to_string()]),
        (vec![], true)
    );
}

#[tokio::test]
async fn registry_only_names_the_known_kinds_for_an_unknown_one() {
    let backends = Backends::embedded();
    let core = backends.connect().await;

    let error = fleck_workers::registry(&core, &fleck_workers::Limits::default())
        .only(&["mail".to_string(), "nope".to_string()])
        .err()
        .expect("an unknown kind is an error");

    assert!(error.contains("\"nope\""), "{error}");
    assert!(
        error.contains(
            "known kinds: file-import, forget-project-files, ingest-objects, mail, preview, version-changes, webhook"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn runtime_without_kinds_returns_at_once() {
    let backends = Backends::embedded();
    let core = backends.connect().await;
    let nothing = fleck_workers::registry(&core, &fleck_workers::Limits::default())
        .only(&[])
        .unwrap();
    assert!(nothing.kinds().is_empty());

    // Not even cancelled: with nothing to run, `run` has no reason to wait.
    let ran = tokio::time::timeout(
        Duration::from_secs(1),
        fleck_workers::run(
            core,
            nothing,
            options("idle"),
            tokio_util::sync::CancellationToken::new(),
        ),
    )
    .await;

    assert!(ran.is_ok(), "run kept going with no job kinds");
}
