-- Webhooks of projects, each event delivered (or not) to them, and each attempt at delivering one.
-- [sqlite] -- `triggers` is a JSON array of event names; `failures` counts events in a row that could not be
-- [sqlite] -- delivered. `project_id` has no foreign key, as in Speckle: a deleted project's webhooks stay
-- [sqlite] -- until its `stream_delete` event has been delivered, then the service removes them.
-- [postgres] -- `triggers` lists event names; `failures` counts events in a row that could not be delivered.
-- [postgres] -- `project_id` has no foreign key, as in Speckle: a deleted project's webhooks stay until its
-- [postgres] -- `stream_delete` event has been delivered, then the service removes them.
CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    url         TEXT NOT NULL,
    description TEXT,
    triggers    $JSON NOT NULL,
    secret      TEXT,
    enabled     $BOOL NOT NULL DEFAULT $TRUE,
    failures    INTEGER NOT NULL DEFAULT 0,
    created_at  $TIME NOT NULL,
    updated_at  $TIME NOT NULL
);
CREATE INDEX webhooks_project ON webhooks (project_id, created_at);

-- Event `status` uses Speckle's numbers: 0 pending, 1 sending, 2 delivered, 3 failed. The response
-- columns repeat the last attempt's.
CREATE TABLE webhook_events (
    id               TEXT PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    status           $INT2 NOT NULL DEFAULT 0,
    status_info      TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    response_code    INTEGER,
    response_excerpt TEXT,
    payload          $JSON NOT NULL,
    created_at       $TIME NOT NULL,
    updated_at       $TIME NOT NULL
);
CREATE INDEX webhook_events_webhook ON webhook_events (webhook_id, created_at);
CREATE INDEX webhook_events_status ON webhook_events (status);

-- `response_code` and `response_excerpt` when the receiver answered, `error` when it did not or
-- the answer counts as a failure.
CREATE TABLE webhook_attempts (
    event_id         TEXT NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    response_code    INTEGER,
    response_excerpt TEXT,
    error            TEXT,
    started_at       $TIME NOT NULL,
    duration_ms      INTEGER NOT NULL,
    PRIMARY KEY (event_id, attempt)
);
