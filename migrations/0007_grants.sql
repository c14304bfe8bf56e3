-- What an access code or refresh token may grant: never more than the grant that made it.
-- `scopes` is a space-separated list (NULL: the app's scopes, for rows made before this);
-- `projects` a JSON array of project ids the tokens stay limited to (NULL: any project).
ALTER TABLE auth_codes ADD COLUMN scopes TEXT;
ALTER TABLE auth_codes ADD COLUMN projects TEXT;
ALTER TABLE refresh_tokens ADD COLUMN scopes TEXT;
ALTER TABLE refresh_tokens ADD COLUMN projects TEXT;

-- Refresh tokens rotate: each use replaces the token with a new one. A replaced token still
-- works for a short grace period (a client that lost the answer retries); used after that, it
-- is a stolen copy, and the app's access to the account is revoked.
ALTER TABLE refresh_tokens ADD COLUMN replaced_at $TIME;
