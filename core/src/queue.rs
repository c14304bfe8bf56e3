//! `Queue`: the durable job queue workers take jobs from. Jobs live in the metadata database
//! (`db::sqlite`, `db::postgres`); `Jobs` adds wake-ups through the cache's pub/sub so idle workers
//! start at once instead of waiting for their next poll.
//!
//! Delivery is at least once: a claimed job holds a lease; when the lease runs out (the worker died)
//! the job is claimable again. Failures are retried with exponential backoff until `max_attempts`,
//! then the job stays `failed` with its last error.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::cache::Cache;
use crate::error::Result;

/// The pub/sub channel on which `Jobs::enqueue` announces a new job (payload: its kind).
pub const JOBS_CHANNEL: &str = "jobs";

#[derive(Clone, Debug)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    pub max_attempts: u32,
    /// First retry waits this long, each later one twice as long as the one before (capped).
    pub retry_base: Duration,
    /// Run no earlier than this long from now.
    pub delay: Duration,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        NewJob {
            kind: kind.into(),
            payload,
            max_attempts: 5,
            retry_base: Duration::from_secs(5),
            delay: Duration::ZERO,
        }
    }
}

/// A job claimed by a worker. `lease_token` proves the worker still holds it.
#[derive(Clone, Debug)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    /// 1 on the first run.
    pub attempt: u32,
    pub max_attempts: u32,
    pub retry_base: Duration,
    pub lease_token: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Running, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|state| state.as_str() == s)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct JobRecord {
    pub id: i64,
    pub kind: String,
    pub state: JobState,
    pub attempts: u32,
    pub max_attempts: u32,
    pub last_error: Option<String>,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueueCount {
    pub kind: String,
    pub state: JobState,
    pub count: i64,
    /// When the oldest job in this group was created.
    pub oldest: Option<DateTime<Utc>>,
}

/// The longest any retry waits.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(3600);

/// Delay before retry number `attempt` (1-based attempt that just failed).
pub fn retry_delay(base: Duration, attempt: u32) -> Duration {
    let factor = 1u32
        .checked_shl(attempt.saturating_sub(1))
        .unwrap_or(u32::MAX);
    base.checked_mul(factor)
        .unwrap_or(MAX_RETRY_DELAY)
        .min(MAX_RETRY_DELAY)
}

#[async_trait]
pub trait Queue: Send + Sync + 'static {
    async fn enqueue(&self, job: NewJob) -> Result<i64>;

    /// Takes the next runnable job of one of `kinds` (all kinds when `None`) for `lease`.
    async fn claim(
        &self,
        kinds: Option<&[String]>,
        worker: &str,
        lease: Duration,
    ) -> Result<Option<Job>>;

    /// Keeps a long job's lease alive. `false`: the lease was lost and the job belongs to another worker.
    async fn extend_lease(&self, job: &Job, lease: Duration) -> Result<bool>;

    /// Marks the job done. `false`: the lease was lost, so the outcome was not recorded.
    async fn succeed(&self, job: &Job) -> Result<bool>;

    /// Records a failed attempt: back to `queued` after the backoff delay, or `failed` for good once
    /// `max_attempts` are used up. Returns the new state, `None` when the lease was lost.
    async fn fail(&self, job: &Job, error: &str) -> Result<Option<JobState>>;

    /// Hands an unfinished job back (graceful shutdown) without using up an attempt.
    async fn release(&self, job: &Job) -> Result<()>;

    async fn job(&self, id: i64) -> Result<Option<JobRecord>>;

    /// Number of jobs by kind and state.
    async fn counts(&self) -> Result<Vec<QueueCount>>;
}

/// The state a failed attempt leads to, and when the job may run again.
pub fn after_failure(job: &Job, now: DateTime<Utc>) -> (JobState, DateTime<Utc>) {
    if job.attempt >= job.max_attempts {
        (JobState::Failed, now)
    } else {
        let delay = retry_delay(job.retry_base, job.attempt);
        (
            JobState::Queued,
            now + chrono::Duration::from_std(delay).unwrap_or_default(),
        )
    }
}

/// Enqueues jobs and wakes idle workers on every replica.
#[derive(Clone)]
pub struct Jobs {
    queue: Arc<dyn Queue>,
    cache: Arc<dyn Cache>,
}

impl Jobs {
    pub fn new(queue: Arc<dyn Queue>, cache: Arc<dyn Cache>) -> Self {
        Jobs { queue, cache }
    }

    pub fn queue(&self) -> &Arc<dyn Queue> {
        &self.queue
    }

    pub async fn enqueue(&self, job: NewJob) -> Result<i64> {
        let kind = job.kind.clone();
        let id = self.queue.enqueue(job).await?;
        // A lost wake-up only delays the job until the workers' next poll.
        if let Err(e) = self.cache.publish(JOBS_CHANNEL, kind.as_bytes()).await {
            tracing::warn!(error = %e, job = id, "could not announce new job; workers will find it on their next poll");
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_and_cap() {
        let base = Duration::from_secs(5);
        assert_eq!(retry_delay(base, 1), Duration::from_secs(5));
        assert_eq!(retry_delay(base, 2), Duration::from_secs(10));
        assert_eq!(retry_delay(base, 4), Duration::from_secs(40));
        assert_eq!(retry_delay(base, 40), MAX_RETRY_DELAY);
    }

    #[test]
    fn states_round_trip() {
        for state in [
            JobState::Queued,
            JobState::Running,
            JobState::Succeeded,
            JobState::Failed,
        ] {
            assert_eq!(JobState::parse(state.as_str()), Some(state));
        }
        assert_eq!(JobState::parse("lost"), None);
    }
}
