-- Files being turned into versions (Speckle's `file_uploads`). `id` is the uploaded file's
-- attachment id; `status` uses Speckle's numbers: 0 queued, 1 converting, 2 success, 3 error.
-- `user_id` has no foreign key: an import's history outlives its author's account.
CREATE TABLE file_imports (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    model_id    TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    file_type   TEXT NOT NULL,
    file_size   $INT8 NOT NULL,
    status      $INT8 NOT NULL DEFAULT 0,
    message     TEXT,
    version_id  TEXT,
    -- The converter's timings and parser name, as JSON.
    performance TEXT,
    created_at  $TIME NOT NULL,
    updated_at  $TIME NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX file_imports_model ON file_imports (model_id, created_at);
