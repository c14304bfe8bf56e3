//! PostgreSQL: the production metadata database. Claims use `FOR UPDATE SKIP LOCKED` so any number
//! of workers take distinct jobs.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};

use super::map_write_error;
use crate::config::{redact_url, CONNECT_TIMEOUT};
use crate::error::{Context, Error, Result};
use crate::queue::{after_failure, Job, JobRecord, JobState, NewJob, Queue, QueueCount};
use crate::store::{Page, Store};
use crate::users::{NewUser, ServerRole, User};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

pub struct PgDb {
    pool: PgPool,
}

impl PgDb {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        let shown = redact_url(url);
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| Error::invalid("DATABASE_URL", format!("{shown}: {e}")))?;
        // One direct connection first: the pool would only report "timed out" for any failure.
        let probe = tokio::time::timeout(CONNECT_TIMEOUT, options.connect())
            .await
            .map_err(|_| {
                Error::backend(
                    format!("cannot connect to PostgreSQL at {shown}"),
                    "timed out",
                )
            })?
            .context(|| format!("cannot connect to PostgreSQL at {shown}"))?;
        let _ = probe.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(2))
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options)
            .await
            .context(|| format!("cannot connect to PostgreSQL at {shown}"))?;
        Ok(PgDb { pool })
    }
}

fn lease_end(now: DateTime<Utc>, lease: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(lease).unwrap_or_default()
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    name: String,
    server_role: String,
    verified: bool,
    created_at: DateTime<Utc>,
}

impl UserRow {
    fn into_user(self) -> Result<User> {
        Ok(User {
            role: self.server_role.parse()?,
            id: self.id,
            email: self.email,
            name: self.name,
            verified: self.verified,
            created_at: self.created_at,
        })
    }
}

/// Serializes the checks that look at all users ("first user", "last admin") between replicas.
const LOCK_USERS: &str = "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE";

#[async_trait]
impl Store for PgDb {
    fn kind(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .context(|| "PostgreSQL ping".into())?;
        Ok(())
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .context(|| "migrating the PostgreSQL database".into())
    }

    async fn create_user(&self, user: NewUser, role: ServerRole) -> Result<User> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context(|| "creating a user".into())?;
        sqlx::query(LOCK_USERS)
            .execute(&mut *tx)
            .await
            .context(|| "creating a user".into())?;
        let row: UserRow = sqlx::query_as(
            "INSERT INTO users (id, email, name, password_hash, server_role, verified, created_at)
             SELECT $1, $2, $3, $4,
                    CASE WHEN EXISTS (SELECT 1 FROM users) THEN $5 ELSE 'server:admin' END,
                    $6, $7
             RETURNING id, email, name, server_role, verified, created_at",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(&user.password_hash)
        .bind(role.as_str())
        .bind(user.verified)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            map_write_error(
                e,
                || format!("a user with e-mail {} already exists", user.email),
                || "creating a user".into(),
            )
        })?;
        tx.commit().await.context(|| "creating a user".into())?;
        row.into_user()
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, email, name, server_role, verified, created_at FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .context(|| "reading a user".into())?;
        row.map(UserRow::into_user).transpose()
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT id, email, name, server_role, verified, created_at FROM users WHERE email = $1",
        )
        .bind(email.to_lowercase())
        .fetch_optional(&self.pool)
        .await
        .context(|| "reading a user".into())?;
        row.map(UserRow::into_user).transpose()
    }

    async fn list_users(&self, query: Option<&str>, page: Page) -> Result<Vec<User>> {
        let rows: Vec<UserRow> = sqlx::query_as(
            "SELECT id, email, name, server_role, verified, created_at FROM users
             WHERE $1::text IS NULL OR strpos(lower(email), lower($1)) > 0 OR strpos(lower(name), lower($1)) > 0
             ORDER BY created_at, id LIMIT $2 OFFSET $3",
        )
        .bind(query)
        .bind(page.limit)
        .bind(page.offset)
        .fetch_all(&self.pool)
        .await
        .context(|| "listing users".into())?;
        rows.into_iter().map(UserRow::into_user).collect()
    }

    async fn count_users(&self) -> Result<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await
            .context(|| "counting users".into())
    }

    async fn set_server_role(&self, user_id: &str, role: ServerRole) -> Result<User> {
        let mut tx = self
            .pool
            .begin()
            .await
            .context(|| "changing a user's role".into())?;
        sqlx::query(LOCK_USERS)
            .execute(&mut *tx)
            .await
            .context(|| "changing a user's role".into())?;
        let row: Option<UserRow> = sqlx::query_as(
            "UPDATE users SET server_role = $2
             WHERE id = $1
               AND ($2 = 'server:admin' OR server_role <> 'server:admin'
                    OR (SELECT COUNT(*) FROM users WHERE server_role = 'server:admin') > 1)
             RETURNING id, email, name, server_role, verified, created_at",
        )
        .bind(user_id)
        .bind(role.as_str())
        .fetch_optional(&mut *tx)
        .await
        .context(|| "changing a user's role".into())?;
        tx.commit()
            .await
            .context(|| "changing a user's role".into())?;
        match row {
            Some(row) => row.into_user(),
            None if self.user_by_id(user_id).await?.is_some() => Err(Error::Conflict(
                "the server must keep at least one admin; promote another user first".into(),
            )),
            None => Err(Error::NotFound(format!("user {user_id}"))),
        }
    }
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    state: String,
    attempts: i32,
    max_attempts: i32,
    last_error: Option<String>,
    run_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[async_trait]
impl Queue for PgDb {
    async fn enqueue(&self, job: NewJob) -> Result<i64> {
        let now = Utc::now();
        sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, state, max_attempts, retry_base_ms, run_at, created_at, updated_at)
             VALUES ($1, $2::jsonb, 'queued', $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(&job.kind)
        .bind(job.payload.to_string())
        .bind(job.max_attempts.max(1) as i32)
        .bind(job.retry_base.as_millis() as i64)
        .bind(lease_end(now, job.delay))
        .bind(now)
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
        // A worker that died with its last attempt leaves a job nobody may retry: fail it.
        sqlx::query(
            "UPDATE jobs SET state = 'failed', lease_token = NULL, updated_at = $1,
                    last_error = 'the worker running the last attempt stopped responding'
             WHERE state = 'running' AND lease_expires_at < $1 AND attempts >= max_attempts",
        )
        .bind(now)
        .execute(&self.pool)
        .await
        .context(|| "failing abandoned jobs".into())?;

        let token = crate::ids::random_hex(16);
        let row: Option<(i64, String, String, i32, i32, i64)> = sqlx::query_as(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_token = $1,
                    lease_expires_at = $2, worker = $3, updated_at = $4
             WHERE id = (
                 SELECT id FROM jobs
                 WHERE ((state = 'queued' AND run_at <= $4) OR (state = 'running' AND lease_expires_at < $4))
                   AND ($5::text[] IS NULL OR kind = ANY($5))
                 ORDER BY run_at, id LIMIT 1
                 FOR UPDATE SKIP LOCKED)
             RETURNING id, kind, payload::text, attempts, max_attempts, retry_base_ms",
        )
        .bind(&token)
        .bind(lease_end(now, lease))
        .bind(worker)
        .bind(now)
        .bind(kinds)
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
        let done = sqlx::query(
            "UPDATE jobs SET lease_expires_at = $3, updated_at = $4
             WHERE id = $1 AND lease_token = $2 AND state = 'running'",
        )
        .bind(job.id)
        .bind(&job.lease_token)
        .bind(lease_end(now, lease))
        .bind(now)
        .execute(&self.pool)
        .await
        .context(|| format!("extending job {}'s lease", job.id))?;
        Ok(done.rows_affected() == 1)
    }

    async fn succeed(&self, job: &Job) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'succeeded', lease_token = NULL, lease_expires_at = NULL, updated_at = $3
             WHERE id = $1 AND lease_token = $2 AND state = 'running'",
        )
        .bind(job.id)
        .bind(&job.lease_token)
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .context(|| format!("completing job {}", job.id))?;
        Ok(done.rows_affected() == 1)
    }

    async fn fail(&self, job: &Job, error: &str) -> Result<Option<JobState>> {
        let now = Utc::now();
        let (state, run_at) = after_failure(job, now);
        let done = sqlx::query(
            "UPDATE jobs SET state = $3, run_at = $4, last_error = $5, lease_token = NULL,
                    lease_expires_at = NULL, updated_at = $6
             WHERE id = $1 AND lease_token = $2 AND state = 'running'",
        )
        .bind(job.id)
        .bind(&job.lease_token)
        .bind(state.as_str())
        .bind(run_at)
        .bind(error)
        .bind(now)
        .execute(&self.pool)
        .await
        .context(|| format!("recording job {}'s failure", job.id))?;
        Ok((done.rows_affected() == 1).then_some(state))
    }

    async fn release(&self, job: &Job) -> Result<()> {
        sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = attempts - 1, run_at = $3, lease_token = NULL,
                    lease_expires_at = NULL, updated_at = $3
             WHERE id = $1 AND lease_token = $2 AND state = 'running'",
        )
        .bind(job.id)
        .bind(&job.lease_token)
        .bind(Utc::now())
        .execute(&self.pool)
        .await
        .context(|| format!("handing back job {}", job.id))?;
        Ok(())
    }

    async fn job(&self, id: i64) -> Result<Option<JobRecord>> {
        let row: Option<JobRow> = sqlx::query_as(
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
                run_at: r.run_at,
                created_at: r.created_at,
                updated_at: r.updated_at,
            })
        })
        .transpose()
    }

    async fn counts(&self) -> Result<Vec<QueueCount>> {
        let rows: Vec<(String, String, i64, Option<DateTime<Utc>>)> = sqlx::query_as(
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
                    oldest,
                })
            })
            .collect())
    }
}
