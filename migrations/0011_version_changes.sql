-- Element-level change sets between two versions of a project, computed once per ordered pair
-- and kept until either version is deleted. Unchanged elements are only counted.
CREATE TABLE version_changes (
    project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    from_version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    to_version_id   TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    added           $INT8 NOT NULL,
    removed         $INT8 NOT NULL,
    changed         $INT8 NOT NULL,
    unchanged       $INT8 NOT NULL,
    computed_at     $TIME NOT NULL,
    PRIMARY KEY (project_id, from_version_id, to_version_id)
);
CREATE INDEX version_changes_to ON version_changes (to_version_id);
CREATE INDEX version_changes_from ON version_changes (from_version_id);

-- The added, removed and changed elements of a change set, in the order they are listed.
CREATE TABLE version_change_items (
    project_id       TEXT NOT NULL,
    from_version_id  TEXT NOT NULL,
    to_version_id    TEXT NOT NULL,
    seq              $INT8 NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('added', 'removed', 'changed')),
    -- The applicationId the element was matched by, else its object id.
    element_key      TEXT NOT NULL,
    application_id   TEXT,
    from_object_id   TEXT,
    to_object_id     TEXT,
    speckle_type     TEXT NOT NULL,
    name             TEXT,
    category         TEXT,
    geometry_changed BOOLEAN NOT NULL,
    -- JSON list of {path, old, new}.
    properties       TEXT NOT NULL,
    PRIMARY KEY (project_id, from_version_id, to_version_id, seq),
    FOREIGN KEY (project_id, from_version_id, to_version_id)
        REFERENCES version_changes (project_id, from_version_id, to_version_id) ON DELETE CASCADE
);
CREATE INDEX version_change_items_kind
    ON version_change_items (project_id, from_version_id, to_version_id, kind, seq);
