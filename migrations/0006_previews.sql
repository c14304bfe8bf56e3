-- Preview images of objects (a version's root object), rendered by the `preview` job.
-- [sqlite] -- `status` uses Speckle's numbers: 0 pending, 1 rendering, 2 done, 3 failed. `angles` is a JSON
-- [sqlite] -- object from angle name ("0", …, "all") to the image's key in the blob store.
-- [postgres] -- `status` uses Speckle's numbers: 0 pending, 1 rendering, 2 done, 3 failed. `angles` maps angle
-- [postgres] -- names ("0", …, "all") to the image's key in the blob store.
CREATE TABLE object_previews (
    project_id  TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    object_id   TEXT NOT NULL,
    status      $INT2 NOT NULL DEFAULT 0,
    attempts    INTEGER NOT NULL DEFAULT 0,
    angles      $JSON NOT NULL DEFAULT '{}',
    error       TEXT,
    created_at  $TIME NOT NULL,
    updated_at  $TIME NOT NULL,
    PRIMARY KEY (project_id, object_id)
);
CREATE INDEX object_previews_status ON object_previews (status);
