-- [sqlite] -- Profiles, API tokens, apps and the login flow's codes. Times are Unix milliseconds (UTC).
-- [postgres] -- Profiles, API tokens, apps and the login flow's codes.

ALTER TABLE users ADD COLUMN bio TEXT;
ALTER TABLE users ADD COLUMN company TEXT;
ALTER TABLE users ADD COLUMN avatar TEXT;

CREATE TABLE server_apps (
    id               TEXT PRIMARY KEY,
    secret           TEXT NOT NULL,
    name             TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    terms_url        TEXT,
    logo             TEXT,
    public           BOOLEAN NOT NULL DEFAULT TRUE,
    trust_by_default BOOLEAN NOT NULL DEFAULT FALSE,
    redirect_url     TEXT NOT NULL,
    scopes           TEXT NOT NULL,
    author_id        TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at       $TIME NOT NULL
);

-- `id` is the token's first 10 characters; `digest` the SHA-256 of the rest.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    digest       TEXT NOT NULL,
    last_chars   TEXT NOT NULL,
    owner_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('personal', 'app')),
    app_id       TEXT REFERENCES server_apps (id) ON DELETE CASCADE,
    scopes       TEXT NOT NULL,
    created_at   $TIME NOT NULL,
    expires_at   $TIME,
    last_used_at $TIME
);
CREATE INDEX api_tokens_owner ON api_tokens (owner_id, kind);

CREATE TABLE refresh_tokens (
    id         TEXT PRIMARY KEY,
    digest     TEXT NOT NULL,
    app_id     TEXT NOT NULL REFERENCES server_apps (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at $TIME NOT NULL,
    expires_at $TIME NOT NULL
);

-- Codes are stored by digest, so a leaked table does not hand out logins.
CREATE TABLE auth_codes (
    digest     TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES server_apps (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    challenge  TEXT NOT NULL,
    created_at $TIME NOT NULL,
    expires_at $TIME NOT NULL
);

-- Single-use links sent by e-mail (verify an address, reset a password), stored by digest.
CREATE TABLE email_links (
    digest     TEXT PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('verify_email', 'reset_password')),
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    created_at $TIME NOT NULL,
    expires_at $TIME NOT NULL
);
CREATE INDEX email_links_user ON email_links (user_id, kind);

-- The server's public description and registration policy; exactly one row.
CREATE TABLE server_settings (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    name             TEXT NOT NULL,
    company          TEXT,
    description      TEXT,
    admin_contact    TEXT,
    terms_of_service TEXT,
    invite_only      BOOLEAN NOT NULL DEFAULT FALSE,
    guest_mode       BOOLEAN NOT NULL DEFAULT FALSE
);
INSERT INTO server_settings (id, name, description)
VALUES (1, 'Fleck', 'A Speckle-compatible data server for architecture, engineering and construction.');

-- Invitations to join the server, mailed with a single-use link (stored by digest).
CREATE TABLE invites (
    id           TEXT PRIMARY KEY,
    token_digest TEXT NOT NULL UNIQUE,
    email        TEXT NOT NULL,
    inviter_id   TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    server_role  TEXT NOT NULL,
    message      TEXT,
    created_at   $TIME NOT NULL
);
CREATE INDEX invites_email ON invites (email);
