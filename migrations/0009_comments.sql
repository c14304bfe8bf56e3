-- Comment threads and their replies (Speckle's comments): rich text as Speckle's
-- SmartTextEditorValue JSON, the viewer state a thread was pinned with, and what it is about.
CREATE TABLE comments (
    id           TEXT PRIMARY KEY,
    project_id   TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    author_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- A reply's thread; threads have none (replies never nest).
    parent_id    TEXT REFERENCES comments (id) ON DELETE CASCADE,
    text         TEXT NOT NULL,
    raw_text     TEXT NOT NULL,
    screenshot   TEXT,
    viewer_state TEXT,
    -- The legacy viewer data older clients send and read.
    data         TEXT,
    archived     BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   $TIME NOT NULL,
    -- A thread's last activity: its own edits and its newest reply.
    updated_at   $TIME NOT NULL
);
CREATE INDEX comments_threads ON comments (project_id, updated_at) WHERE parent_id IS NULL;
CREATE INDEX comments_replies ON comments (parent_id, created_at);

-- What a thread is about: versions (`commit`), objects, or the whole project (`stream`).
CREATE TABLE comment_links (
    comment_id    TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    resource_type TEXT NOT NULL CHECK (resource_type IN ('stream', 'commit', 'object')),
    resource_id   TEXT NOT NULL,
    PRIMARY KEY (comment_id, resource_type, resource_id)
);
CREATE INDEX comment_links_resource ON comment_links (resource_type, resource_id);

-- When each user last opened each thread, for unread marks.
CREATE TABLE comment_views (
    comment_id TEXT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    viewed_at  $TIME NOT NULL,
    PRIMARY KEY (comment_id, user_id)
);

-- Which notifications each user wants by e-mail (Speckle's notificationPreferences JSON).
CREATE TABLE user_notification_preferences (
    user_id     TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    preferences TEXT NOT NULL
);
