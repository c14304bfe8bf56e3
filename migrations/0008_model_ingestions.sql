-- Model ingestions: a client's (or Fleck's own importer's) work to turn something into a new
-- version of a model, followed by status. The version's id is reserved when the ingestion is
-- made, so a client can name its files after it before the version exists.
CREATE TABLE model_ingestions (
    id                     TEXT PRIMARY KEY,
    project_id             TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    model_id               TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    user_id                TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status                 TEXT NOT NULL CHECK (status IN
                               ('queued', 'processing', 'success', 'failed', 'cancelled', 'invalidInput', 'timeout')),
    progress_message       TEXT,
    progress               $FLOAT8,
    error_reason           TEXT,
    cancellation_requested BOOLEAN NOT NULL DEFAULT FALSE,
    version_id             TEXT NOT NULL,
    source_data            TEXT NOT NULL,
    max_idle_seconds       INTEGER,
    created_at             $TIME NOT NULL,
    updated_at             $TIME NOT NULL
);
CREATE INDEX model_ingestions_project ON model_ingestions (project_id, created_at);

-- Files a version was sent as (Speckle's parquet bundles), in the blob store under object_key.
CREATE TABLE version_artifacts (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    object_key TEXT NOT NULL,
    size       BIGINT NOT NULL,
    etag       TEXT NOT NULL,
    created_at $TIME NOT NULL,
    PRIMARY KEY (project_id, version_id, name)
);
