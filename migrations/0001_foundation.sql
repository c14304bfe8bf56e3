-- [sqlite] -- Users and the job queue. Times are Unix milliseconds (UTC).
-- [postgres] -- Users and the job queue.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    password_hash TEXT,
    server_role   TEXT NOT NULL,
    verified      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    $TIME NOT NULL
);

CREATE TABLE jobs (
    id               $SERIAL_KEY,
    kind             TEXT NOT NULL,
    payload          $JSON NOT NULL,
    state            TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    max_attempts     INTEGER NOT NULL,
    retry_base_ms    $INT8 NOT NULL,
    run_at           $TIME NOT NULL,
    lease_token      TEXT,
    lease_expires_at $TIME,
    worker           TEXT,
    last_error       TEXT,
    created_at       $TIME NOT NULL,
    updated_at       $TIME NOT NULL
);

-- Claiming scans only live jobs.
CREATE INDEX jobs_runnable ON jobs (run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_kind_state ON jobs (kind, state);
