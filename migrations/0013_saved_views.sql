-- Named views of a model that its project's members saved: the viewer's link state (camera,
-- visibility, section box, selection) kept as the text the viewer wrote.
CREATE TABLE saved_views (
    id         TEXT PRIMARY KEY,
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    model_id   TEXT NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    state      TEXT NOT NULL,
    author_id  TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at $TIME NOT NULL,
    UNIQUE (model_id, name)
);
