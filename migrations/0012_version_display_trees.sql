-- The object tree Fleck builds from a version sent as a bundle: what the viewer, previews and
-- version compare draw for it. A version sent as objects has no row; it draws its own root.
CREATE TABLE version_display_trees (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version_id TEXT NOT NULL REFERENCES versions (id) ON DELETE CASCADE,
    object_id  TEXT NOT NULL,
    PRIMARY KEY (project_id, version_id)
);
