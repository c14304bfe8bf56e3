//! The `Queue` contract (durable jobs with leases and retries), run unchanged against SQLite and
//! PostgreSQL.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use fleck_core::queue::{Job, JobRecord, JobState, NewJob, Queue, QueueCount};
use serde_json::json;

crate::support::contract_tests! {
    implementations: [sqlite => crate::support::sqlite_queue, postgres => crate::support::postgres_queue],
    contracts: [
        queue_runs_a_job_once,
        queue_claims_only_the_requested_kinds,
        queue_retries_with_backoff,
        queue_fails_for_good_after_max_attempts,
        queue_hands_an_expired_lease_to_another_worker,
        queue_keeps_an_extended_lease,
        queue_release_returns_a_job_without_using_an_attempt,
        queue_fails_a_job_whose_last_attempt_was_abandoned,
        queue_counts_jobs_by_kind_and_state,
        queue_gives_each_job_to_one_of_many_concurrent_claimers,
        queue_honours_the_delay,
    ],
}

/// Long enough never to run out during a test that does not mean it to.
const LONG_LEASE: Duration = Duration::from_secs(60);
/// Short enough for tests to wait out.
const SHORT_LEASE: Duration = Duration::from_millis(200);
const RETRY_BASE: Duration = Duration::from_millis(200);

fn new_job(kind: &str, max_attempts: u32) -> NewJob {
    NewJob {
        max_attempts,
        retry_base: RETRY_BASE,
        ..NewJob::new(kind, json!({ "kind": kind }))
    }
}

async fn enqueue(queue: &Arc<dyn Queue>, kind: &str, max_attempts: u32) -> i64 {
    queue.enqueue(new_job(kind, max_attempts)).await.unwrap()
}

async fn claim(queue: &Arc<dyn Queue>, worker: &str, lease: Duration) -> Option<Job> {
    queue.claim(None, worker, lease).await.unwrap()
}

async fn claim_kinds(queue: &Arc<dyn Queue>, kinds: &[&str]) -> Option<Job> {
    let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
    queue
        .claim(Some(&kinds), "worker", LONG_LEASE)
        .await
        .unwrap()
}

async fn record(queue: &Arc<dyn Queue>, id: i64) -> JobRecord {
    queue
        .job(id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("job {id} exists"))
}

/// Asserts that `at` lies `offset` after some instant between `from` and `to`, allowing for the
/// millisecond precision with which SQLite stores times.
fn assert_offset(
    at: DateTime<Utc>,
    offset: Duration,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    what: &str,
) {
    let offset = chrono::Duration::from_std(offset).unwrap();
    let slack = chrono::Duration::milliseconds(1);
    let (earliest, latest) = (from + offset - slack, to + offset + slack);
    assert!(
        earliest <= at && at <= latest,
        "{what}: {at} is not between {earliest} and {latest}"
    );
}

/// Sleeps until shortly after `at`.
async fn sleep_past(at: DateTime<Utc>) {
    let left = (at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(left + Duration::from_millis(50)).await;
}

/// Asserts that nothing can be claimed before `run_at`. (A claim that only started after
/// `run_at`, on a very slow machine, may rightly find the job.)
async fn assert_not_claimable_before(queue: &Arc<dyn Queue>, run_at: DateTime<Utc>) {
    let asked_at = Utc::now();
    let early = claim(queue, "eager", LONG_LEASE).await;
    assert!(
        early.is_none() || asked_at >= run_at,
        "claimed job {:?} at {asked_at}, before its run_at {run_at}",
        early.map(|j| j.id)
    );
}

async fn queue_runs_a_job_once(queue: Arc<dyn Queue>) {
    let payload = json!({ "project": "p1", "files": ["a.ifc", "b.ifc"], "size": 42 });
    let before = Utc::now();
    let id = queue
        .enqueue(NewJob {
            max_attempts: 3,
            ..NewJob::new("import", payload.clone())
        })
        .await
        .unwrap();
    let queued = record(&queue, id).await;
    assert_eq!(
        (queued.kind.as_str(), queued.state),
        ("import", JobState::Queued)
    );
    assert_eq!((queued.attempts, queued.max_attempts), (0, 3));
    assert_eq!(queued.last_error, None);
    assert_offset(
        queued.created_at,
        Duration::ZERO,
        before,
        Utc::now(),
        "created_at",
    );
    assert!(
        queued.run_at <= Utc::now(),
        "a job without delay is runnable at once"
    );

    let job = claim(&queue, "worker-1", LONG_LEASE)
        .await
        .expect("the job is claimable");
    assert_eq!(job.id, id);
    assert_eq!(job.kind, "import");
    assert_eq!(job.payload, payload);
    assert_eq!((job.attempt, job.max_attempts), (1, 3));
    assert_eq!(job.retry_base, NewJob::new("x", json!(null)).retry_base);
    assert!(!job.lease_token.is_empty());
    let running = record(&queue, id).await;
    assert_eq!((running.state, running.attempts), (JobState::Running, 1));
    assert!(
        claim(&queue, "worker-2", LONG_LEASE).await.is_none(),
        "a leased job is not handed out twice"
    );

    assert!(queue.succeed(&job).await.unwrap());
    let done = record(&queue, id).await;
    assert_eq!((done.state, done.attempts), (JobState::Succeeded, 1));
    assert!(done.updated_at >= running.updated_at);
    assert!(
        claim(&queue, "worker-2", LONG_LEASE).await.is_none(),
        "a finished job does not run again"
    );
    // The lease ended with the job: its holder can no longer touch it.
    assert!(!queue.succeed(&job).await.unwrap());
    assert_eq!(queue.fail(&job, "late").await.unwrap(), None);
    assert!(!queue.extend_lease(&job, LONG_LEASE).await.unwrap());
    assert_eq!(record(&queue, id).await.state, JobState::Succeeded);

    assert!(queue.job(id + 1000).await.unwrap().is_none());
}

async fn queue_claims_only_the_requested_kinds(queue: Arc<dyn Queue>) {
    let import = enqueue(&queue, "import", 3).await;
    let preview = enqueue(&queue, "preview", 3).await;
    let mail = enqueue(&queue, "mail", 3).await;

    assert!(claim_kinds(&queue, &["webhook"]).await.is_none());
    assert!(
        claim_kinds(&queue, &[]).await.is_none(),
        "no kinds means none, not all"
    );
    assert_eq!(
        claim_kinds(&queue, &["preview"]).await.map(|j| j.id),
        Some(preview)
    );
    assert!(claim_kinds(&queue, &["preview"]).await.is_none());
    // Several kinds: the oldest runnable job among them.
    assert_eq!(
        claim_kinds(&queue, &["mail", "import"]).await.map(|j| j.id),
        Some(import)
    );
    // No filter: any kind.
    assert_eq!(
        claim(&queue, "worker", LONG_LEASE).await.map(|j| j.id),
        Some(mail)
    );
    assert!(claim(&queue, "worker", LONG_LEASE).await.is_none());
}

/// Fails `job` with `error` and checks that it waits `backoff` for its `which` retry; returns its
/// record right after failing and the retry, claimed once the backoff has passed.
async fn fail_and_retry(
    queue: &Arc<dyn Queue>,
    job: &Job,
    error: &str,
    backoff: Duration,
    which: &str,
) -> (JobRecord, Job) {
    let failed_at = Utc::now();
    assert_eq!(
        queue.fail(job, error).await.unwrap(),
        Some(JobState::Queued),
        "failing before the {which} retry"
    );
    let after = record(queue, job.id).await;
    assert_eq!(after.last_error.as_deref(), Some(error));
    let what = format!("{which} retry");
    assert_offset(after.run_at, backoff, failed_at, Utc::now(), &what);
    assert_not_claimable_before(queue, after.run_at).await;

    sleep_past(after.run_at).await;
    let retry = claim(queue, "worker", LONG_LEASE)
        .await
        .expect("claimable after the backoff");
    (after, retry)
}

async fn queue_retries_with_backoff(queue: Arc<dyn Queue>) {
    let id = enqueue(&queue, "import", 3).await;

    let first = claim(&queue, "worker", LONG_LEASE).await.unwrap();
    let (after, second) =
        fail_and_retry(&queue, &first, "parser crashed", RETRY_BASE, "first").await;
    assert_eq!(after.state, JobState::Queued);
    assert_eq!(after.attempts, 1);
    assert_eq!((second.id, second.attempt), (id, 2));
    assert_ne!(second.lease_token, first.lease_token);

    // Each retry waits twice as long as the one before.
    let (_, third) = fail_and_retry(
        &queue,
        &second,
        "parser crashed again",
        RETRY_BASE * 2,
        "second",
    )
    .await;
    assert_eq!(third.attempt, 3);
    assert!(queue.succeed(&third).await.unwrap());
    let done = record(&queue, id).await;
    assert_eq!((done.state, done.attempts), (JobState::Succeeded, 3));
}

async fn queue_fails_for_good_after_max_attempts(queue: Arc<dyn Queue>) {
    let id = enqueue(&queue, "import", 2).await;

    let first = claim(&queue, "worker", LONG_LEASE).await.unwrap();
    assert_eq!(
        queue.fail(&first, "first error").await.unwrap(),
        Some(JobState::Queued)
    );
    sleep_past(record(&queue, id).await.run_at).await;

    let last = claim(&queue, "worker", LONG_LEASE).await.unwrap();
    assert_eq!(last.attempt, 2);
    assert_eq!(
        queue.fail(&last, "second error").await.unwrap(),
        Some(JobState::Failed)
    );
    let failed = record(&queue, id).await;
    assert_eq!(failed.state, JobState::Failed);
    assert_eq!((failed.attempts, failed.max_attempts), (2, 2));
    assert_eq!(failed.last_error.as_deref(), Some("second error"));

    // Failed for good: not even after what would have been the next backoff.
    tokio::time::sleep(RETRY_BASE * 3).await;
    assert!(claim(&queue, "worker", LONG_LEASE).await.is_none());
    assert_eq!(record(&queue, id).await.state, JobState::Failed);
}

async fn queue_hands_an_expired_lease_to_another_worker(queue: Arc<dyn Queue>) {
    let id = enqueue(&queue, "import", 3).await;

    let stalled = claim(&queue, "worker-1", SHORT_LEASE).await.unwrap();
    assert!(
        claim(&queue, "worker-2", LONG_LEASE).await.is_none(),
        "the lease still holds"
    );

    tokio::time::sleep(SHORT_LEASE * 2).await;
    let taken = claim(&queue, "worker-2", LONG_LEASE)
        .await
        .expect("an expired lease frees the job");
    assert_eq!((taken.id, taken.attempt), (id, 2));

    // The first worker comes back: every outcome it reports is refused.
    assert!(!queue.succeed(&stalled).await.unwrap());
    assert_eq!(queue.fail(&stalled, "too late").await.unwrap(), None);
    assert!(!queue.extend_lease(&stalled, LONG_LEASE).await.unwrap());
    queue.release(&stalled).await.unwrap();
    let record_now = record(&queue, id).await;
    assert_eq!(
        (record_now.state, record_now.attempts),
        (JobState::Running, 2)
    );
    assert_eq!(record_now.last_error, None);

    assert!(queue.succeed(&taken).await.unwrap());
    assert_eq!(record(&queue, id).await.state, JobState::Succeeded);
}

async fn queue_keeps_an_extended_lease(queue: Arc<dyn Queue>) {
    let id = enqueue(&queue, "import", 3).await;
    let job = claim(&queue, "worker-1", Duration::from_millis(400))
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(queue
        .extend_lease(&job, Duration::from_secs(1))
        .await
        .unwrap());
    // Past the first lease, within the extended one.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        claim(&queue, "worker-2", LONG_LEASE).await.is_none(),
        "the extended lease holds"
    );
    assert_eq!(record(&queue, id).await.attempts, 1);

    assert!(queue.succeed(&job).await.unwrap());
    assert_eq!(record(&queue, id).await.state, JobState::Succeeded);
}

async fn queue_release_returns_a_job_without_using_an_attempt(queue: Arc<dyn Queue>) {
    // One attempt only: if releasing used it up, the job could never run again.
    let id = enqueue(&queue, "import", 1).await;

    let job = claim(&queue, "worker-1", LONG_LEASE).await.unwrap();
    queue.release(&job).await.unwrap();
    let released = record(&queue, id).await;
    assert_eq!((released.state, released.attempts), (JobState::Queued, 0));
    assert!(
        released.run_at <= Utc::now(),
        "a released job is runnable at once"
    );
    assert!(
        !queue.succeed(&job).await.unwrap(),
        "releasing gives up the lease"
    );

    let again = claim(&queue, "worker-2", LONG_LEASE)
        .await
        .expect("claimable at once");
    assert_eq!((again.id, again.attempt), (id, 1));
    assert!(queue.succeed(&again).await.unwrap());
    assert_eq!(record(&queue, id).await.state, JobState::Succeeded);
}

async fn queue_fails_a_job_whose_last_attempt_was_abandoned(queue: Arc<dyn Queue>) {
    let id = enqueue(&queue, "import", 1).await;
    let abandoned = claim(&queue, "worker-1", SHORT_LEASE).await.unwrap();

    tokio::time::sleep(SHORT_LEASE * 2).await;
    assert!(
        claim(&queue, "worker-2", LONG_LEASE).await.is_none(),
        "no attempts are left"
    );
    let failed = record(&queue, id).await;
    assert_eq!((failed.state, failed.attempts), (JobState::Failed, 1));
    assert!(
        failed.last_error.as_deref().is_some_and(|e| !e.is_empty()),
        "the record says why it failed"
    );
    assert!(!queue.succeed(&abandoned).await.unwrap());
    assert_eq!(record(&queue, id).await.state, JobState::Failed);
}

async fn queue_counts_jobs_by_kind_and_state(queue: Arc<dyn Queue>) {
    assert!(queue.counts().await.unwrap().is_empty());

    let oldest_import = enqueue(&queue, "import", 1).await;
    let second_import = enqueue(&queue, "import", 1).await;
    let third_import = enqueue(&queue, "import", 1).await;
    let preview = enqueue(&queue, "preview", 1).await;
    let done = claim_kinds(&queue, &["import"]).await.unwrap();
    assert_eq!(done.id, oldest_import);
    assert!(queue.succeed(&done).await.unwrap());
    let broken = claim_kinds(&queue, &["import"]).await.unwrap();
    assert_eq!(broken.id, second_import);
    assert_eq!(
        queue.fail(&broken, "bad file").await.unwrap(),
        Some(JobState::Failed)
    );
    let _running = claim_kinds(&queue, &["preview"]).await.unwrap();

    let created = |id| {
        let queue = queue.clone();
        async move { Some(record(&queue, id).await.created_at) }
    };
    let mut counts = queue.counts().await.unwrap();
    counts.sort_by_key(|c| (c.kind.clone(), c.state.as_str()));
    let expected = vec![
        QueueCount {
            kind: "import".into(),
            state: JobState::Failed,
            count: 1,
            oldest: created(second_import).await,
        },
        QueueCount {
            kind: "import".into(),
            state: JobState::Queued,
            count: 1,
            oldest: created(third_import).await,
        },
        QueueCount {
            kind: "import".into(),
            state: JobState::Succeeded,
            count: 1,
            oldest: created(oldest_import).await,
        },
        QueueCount {
            kind: "preview".into(),
            state: JobState::Running,
            count: 1,
            oldest: created(preview).await,
        },
    ];
    assert_eq!(counts, expected);

    // A second job in a group counts, and the group's oldest stays the oldest.
    let another_preview = enqueue(&queue, "preview", 1).await;
    let _ = claim_kinds(&queue, &["preview"]).await.unwrap();
    let running_previews = queue
        .counts()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.kind == "preview" && c.state == JobState::Running)
        .unwrap();
    assert_eq!(running_previews.count, 2);
    assert_eq!(running_previews.oldest, created(preview).await);
    assert!(created(another_preview).await >= running_previews.oldest);
}

/// One worker's turn: claims a job, if there is one, and completes it.
async fn claim_and_finish(queue: &Arc<dyn Queue>, worker: &str) -> Option<i64> {
    let job = queue.claim(None, worker, LONG_LEASE).await.unwrap()?;
    assert_eq!(job.attempt, 1, "job {} was handed out again", job.id);
    assert!(
        queue.succeed(&job).await.unwrap(),
        "{worker} lost job {}",
        job.id
    );
    Some(job.id)
}

async fn queue_gives_each_job_to_one_of_many_concurrent_claimers(queue: Arc<dyn Queue>) {
    const JOBS: usize = 40;
    const WORKERS: usize = 8;
    let mut enqueued = Vec::new();
    for i in 0..JOBS {
        enqueued.push(
            queue
                .enqueue(NewJob::new("import", json!({ "n": i })))
                .await
                .unwrap(),
        );
    }

    // The claimers start each round together, so that their claims overlap as much as they can;
    // rounds go on until one finds nothing left.
    let mut ran = Vec::new();
    loop {
        let round = (0..WORKERS).map(|w| {
            let queue = queue.clone();
            tokio::spawn(async move { claim_and_finish(&queue, &format!("worker-{w}")).await })
        });
        let claimed: Vec<i64> = futures::future::try_join_all(round)
            .await
            .unwrap()
            .into_iter()
            .flatten()
            .collect();
        if claimed.is_empty() {
            break;
        }
        ran.extend(claimed);
    }

    let distinct: HashSet<i64> = ran.iter().copied().collect();
    assert_eq!(ran.len(), distinct.len(), "some job ran twice: {ran:?}");
    assert_eq!(
        distinct,
        enqueued.iter().copied().collect(),
        "every job ran"
    );
    for id in enqueued {
        let done = record(&queue, id).await;
        assert_eq!(
            (done.state, done.attempts),
            (JobState::Succeeded, 1),
            "job {id}"
        );
    }
}

async fn queue_honours_the_delay(queue: Arc<dyn Queue>) {
    let delay = Duration::from_millis(300);
    let before = Utc::now();
    let id = queue
        .enqueue(NewJob {
            delay,
            ..new_job("digest", 3)
        })
        .await
        .unwrap();
    let queued = record(&queue, id).await;
    assert_offset(queued.run_at, delay, before, Utc::now(), "run_at");
    assert_not_claimable_before(&queue, queued.run_at).await;
    // A job without delay enqueued later still runs first.
    let immediate = enqueue(&queue, "digest", 3).await;
    assert_eq!(
        claim(&queue, "worker", LONG_LEASE).await.map(|j| j.id),
        Some(immediate)
    );

    sleep_past(queued.run_at).await;
    let job = claim(&queue, "worker", LONG_LEASE)
        .await
        .expect("claimable after the delay");
    assert_eq!((job.id, job.attempt), (id, 1));
}
