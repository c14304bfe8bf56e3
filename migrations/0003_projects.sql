-- Projects, their members, models, versions, objects, invitations, file attachments and activity.
-- [sqlite] -- Times are Unix milliseconds (UTC).
-- [postgres] -- Object JSON is stored compressed, not as jsonb, so it is returned exactly as uploaded.

CREATE TABLE projects (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    visibility            TEXT NOT NULL CHECK (visibility IN ('private', 'public')),
    allow_public_comments BOOLEAN NOT NULL DEFAULT FALSE,
    created_at            $TIME NOT NULL,
    updated_at            $TIME NOT NULL
);

CREATE TABLE project_members (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('stream:owner', 'stream:contributor', 'stream:reviewer')),
    created_at $TIME NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

-- Names are stored lower-cased; `/` nests models.
CREATE TABLE models (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT,
    author_id   TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at  $TIME NOT NULL,
    updated_at  $TIME NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE versions (
    id                   TEXT PRIMARY KEY,
    project_id           TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    model_id             TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    referenced_object    TEXT NOT NULL,
    author_id            TEXT REFERENCES users (id) ON DELETE SET NULL,
    message              TEXT,
    source_application   TEXT,
    total_children_count $INT8,
    parents              TEXT NOT NULL DEFAULT '[]',
    created_at           $TIME NOT NULL
);
CREATE INDEX versions_model ON versions (model_id, created_at);
CREATE INDEX versions_project ON versions (project_id, created_at);

-- Objects: immutable, scoped per project, their JSON compressed with zstd (with the project's
-- dictionary when `dictionary` is set) and returned exactly as uploaded.
CREATE TABLE objects (
    project_id           TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id                   TEXT NOT NULL,
    speckle_type         TEXT NOT NULL,
    total_children_count $INT8,
    json_bytes           $INT8 NOT NULL,
    dictionary           BOOLEAN NOT NULL,
    data                 $BYTES NOT NULL,
    created_at           $TIME NOT NULL,
    PRIMARY KEY (project_id, id)
);

-- One zstd dictionary per project, trained on its first large upload: small objects compress
-- several times better with one.
CREATE TABLE object_dictionaries (
    project_id TEXT PRIMARY KEY REFERENCES projects (id) ON DELETE CASCADE,
    data       $BYTES NOT NULL,
    created_at $TIME NOT NULL
);

-- Invitations to a project, for a registered user (`user_id`) or an e-mail address. The token
-- is shown to the invitee in their invitation list, and using it needs the invitee's own
-- sign-in, so it is kept as is.
CREATE TABLE project_invites (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    email       TEXT,
    role        TEXT NOT NULL,
    server_role TEXT,
    inviter_id  TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token       TEXT NOT NULL UNIQUE,
    message     TEXT,
    created_at  $TIME NOT NULL,
    CHECK ((user_id IS NULL) <> (email IS NULL))
);
CREATE INDEX project_invites_project ON project_invites (project_id);
CREATE INDEX project_invites_user ON project_invites (user_id);
CREATE INDEX project_invites_email ON project_invites (email);

-- File attachments; the bytes live in the blob store under `object_key`.
CREATE TABLE blobs (
    project_id    TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id            TEXT NOT NULL,
    user_id       TEXT REFERENCES users (id) ON DELETE SET NULL,
    object_key    TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    file_type     TEXT NOT NULL,
    file_size     $INT8,
    file_hash     TEXT,
    upload_status $INT8 NOT NULL DEFAULT 0,
    upload_error  TEXT,
    created_at    $TIME NOT NULL,
    PRIMARY KEY (project_id, id)
);

-- Who did what in a project. No foreign keys: history outlives what it describes.
CREATE TABLE activity (
    seq           $SERIAL_KEY,
    project_id    TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    action_type   TEXT NOT NULL,
    user_id       TEXT,
    info          TEXT NOT NULL DEFAULT '{}',
    message       TEXT,
    time          $TIME NOT NULL
);
CREATE INDEX activity_project ON activity (project_id, seq);
CREATE INDEX activity_user ON activity (user_id, seq);

-- Tokens limited to some projects list them here (a JSON array of project ids); NULL: any project.
ALTER TABLE api_tokens ADD COLUMN projects TEXT;
