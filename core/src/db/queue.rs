//! The job queue, written once: each backend expands `queue_store!` with its `Dialect`, whose
//! `CLAIM_LOCK` is how concurrent workers come to claim distinct jobs.

use std::time::Duration;

use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
pub struct JobRow<T> {
    pub id: i64,
    pub kind: String,
    pub state: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub run_at: T,
    pub created_at: T,
    pub updated_at: T,
}

pub fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease).unwrap_or_default()
}

/// `impl Queue for $db`, whose `pool` field is its connection pool and which implements
/// `Dialect`.
macro_rules! queue_store {
    ($db:ty) => {
        const _: () = {
            use std::time::Duration;

            use async_trait::async_trait;
            use chrono::Utc;
            use $crate::db::dialect::Dialect;
            use $crate::db::dialect::StoredTime;
            use $crate::db::query::{Statement, Write};
            use $crate::db::queue::{lease_end, JobRow};
            use $crate::error::{Context, Error, Result};
            use $crate::queue::{
                after_failure, Job, JobRecord, JobState, NewJob, Queue, QueueCount,
            };

            type Time = <$db as Dialect>::Time;
            type Db = <$db as Dialect>::Db;

            #[async_trait]
            impl Queue for $db {
                async fn enqueue(&self, job: NewJob) -> Result<i64> {
                    let now = Utc::now();
                    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "INSERT INTO jobs (kind, payload, state, max_attempts, retry_base_ms, run_at, created_at, updated_at)
                         VALUES ($1, {payload}, 'queued', $3, $4, $5, $6, $6) RETURNING id",
                        payload = Self::json("$2"),
                    )))
                    .bind(&job.kind)
                    .bind(job.payload.to_string())
                    .bind(job.max_attempts.max(1) as i32)
                    .bind(job.retry_base.as_millis() as i64)
                    .bind(Self::time(lease_end(now, job.delay)))
                    .bind(Self::time(now))
                    .fetch_one(&self.pool)
                    .await
                    .context(|| format!("enqueueing a {} job", job.kind))
                }

                async fn claim(
                    &self,
                    kinds: Option<&[String]>,
                    worker: &str,
                    lease: Duration,
                ) -> Result<Option<Job>> {
                    let now = Utc::now();
                    // A worker that died with its last attempt leaves a job nobody may retry:
                    // fail it.
                    sqlx::query(
                        "UPDATE jobs SET state = 'failed', lease_token = NULL, updated_at = $1,
                                last_error = 'the worker running the last attempt stopped responding'
                         WHERE state = 'running' AND lease_expires_at < $1 AND attempts >= max_attempts",
                    )
                    .bind(Self::time(now))
                    .write(&self.pool, "failing abandoned jobs")
                    .await?;

                    let token = crate::ids::random_hex(16);
                    let row: Option<(i64, String, String, i32, i32, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                        "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = $1,
                                lease_expires_at = $2, worker = $3, updated_at = $4
                         WHERE id = (
                             SELECT id FROM jobs
                             WHERE ((state = 'queued' AND run_at <= $4) OR (state = 'running' AND lease_expires_at < $4))
                               AND ($5 IS NULL OR {kind_listed})
                             ORDER BY run_at, id LIMIT 1
                             {lock})
                         RETURNING id, kind, CAST(payload AS TEXT), attempts, max_attempts, retry_base_ms",
                        kind_listed = Self::in_list("kind", "$5"),
                        lock = Self::CLAIM_LOCK,
                    )))
                    .bind(&token)
                    .bind(Self::time(lease_end(now, lease)))
                    .bind(worker)
                    .bind(Self::time(now))
                    .bind(kinds.map(Self::list))
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| "claiming a job".into())?;
                    row.map(
                        |(id, kind, payload, attempts, max_attempts, retry_base_ms)| {
                            Ok(Job {
                                id,
                                kind,
                                payload: serde_json::from_str(&payload)
                                    .context(|| format!("decoding job {id}'s payload"))?,
                                attempt: attempts as u32,
                                max_attempts: max_attempts as u32,
                                retry_base: Duration::from_millis(retry_base_ms as u64),
                                lease_token: token.clone(),
                            })
                        },
                    )
                    .transpose()
                }

                async fn extend_lease(&self, job: &Job, lease: Duration) -> Result<bool> {
                    let now = Utc::now();
                    self.update_held(
                        job,
                        "lease_expires_at = $3, updated_at = $4",
                        |q| {
                            q.bind(Self::time(lease_end(now, lease)))
                                .bind(Self::time(now))
                        },
                        || format!("extending job {}'s lease", job.id),
                    )
                    .await
                }

                async fn succeed(&self, job: &Job) -> Result<bool> {
                    self.update_held(
                        job,
                        "state = 'succeeded', lease_token = NULL, lease_expires_at = NULL, updated_at = $3",
                        |q| q.bind(Self::time(Utc::now())),
                        || format!("completing job {}", job.id),
                    )
                    .await
                }

                async fn fail(&self, job: &Job, error: &str) -> Result<Option<JobState>> {
                    let now = Utc::now();
                    let (state, run_at) = after_failure(job, now);
                    let held = self
                        .update_held(
                            job,
                            "state = $3, run_at = $4, last_error = $5, lease_token = NULL,
                             lease_expires_at = NULL, updated_at = $6",
                            |q| {
                                q.bind(state.as_str())
                                    .bind(Self::time(run_at))
                                    .bind(error)
                                    .bind(Self::time(now))
                            },
                            || format!("recording job {}'s failure", job.id),
                        )
                        .await?;
                    Ok(held.then_some(state))
                }

                async fn release(&self, job: &Job) -> Result<()> {
                    self.update_held(
                        job,
                        "state = 'queued', attempts = attempts - 1, run_at = $3, lease_token = NULL,
                         lease_expires_at = NULL, updated_at = $3",
                        |q| q.bind(Self::time(Utc::now())),
                        || format!("handing back job {}", job.id),
                    )
                    .await?;
                    Ok(())
                }

                async fn job(&self, id: i64) -> Result<Option<JobRecord>> {
                    let row: Option<JobRow<Time>> = sqlx::query_as(
                        "SELECT id, kind, state, attempts, max_attempts, last_error, run_at, created_at, updated_at
                         FROM jobs WHERE id = $1",
                    )
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .context(|| format!("reading job {id}"))?;
                    row.map(|r| {
                        Ok(JobRecord {
                            id: r.id,
                            state: JobState::parse(&r.state)
                                .ok_or_else(|| Error::invalid("job state", r.state.clone()))?,
                            kind: r.kind,
                            attempts: r.attempts as u32,
                            max_attempts: r.max_attempts as u32,
                            last_error: r.last_error,
                            run_at: r.run_at.into_utc(),
                            created_at: r.created_at.into_utc(),
                            updated_at: r.updated_at.into_utc(),
                        })
                    })
                    .transpose()
                }

                async fn counts(&self) -> Result<Vec<QueueCount>> {
                    let rows: Vec<(String, String, i64, Option<Time>)> = sqlx::query_as(
                        "SELECT kind, state, COUNT(*), MIN(created_at) FROM jobs GROUP BY kind, state ORDER BY kind, state",
                    )
                    .fetch_all(&self.pool)
                    .await
                    .context(|| "counting jobs".into())?;
                    Ok(rows
                        .into_iter()
                        .filter_map(|(kind, state, count, oldest)| {
                            Some(QueueCount {
                                kind,
                                state: JobState::parse(&state)?,
                                count,
                                oldest: oldest.map(StoredTime::into_utc),
                            })
                        })
                        .collect())
                }
            }

            impl $db {
                /// Updates a job while this worker still holds it (its lease, the job running):
                /// `set` assigns from `$3` on, the values `bind` adds. Whether it still held it.
                async fn update_held(
                    &self,
                    job: &Job,
                    set: &str,
                    bind: impl FnOnce(Statement<'_, Db>) -> Statement<'_, Db>,
                    what: impl FnOnce() -> String,
                ) -> Result<bool> {
                    let held = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE jobs SET {set} WHERE id = $1 AND lease_token = $2 AND state = 'running'"
                    )))
                    .bind(job.id)
                    .bind(&job.lease_token);
                    let done = bind(held).execute(&self.pool).await.context(what)?;
                    Ok(done.rows_affected() == 1)
                }
            }
        };
    };
}

pub(crate) use queue_store;
