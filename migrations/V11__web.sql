-- media-lab schema, version 11: the admin pages' sign-in (SPEC §10). Only SHA-256 hashes of the
-- secrets are stored, so a copy of the database opens no session.

-- A one-time login link an admin got from /web: valid 10 minutes, used once.
CREATE TABLE web_links (
    token_hash  TEXT PRIMARY KEY,
    telegram_id INTEGER NOT NULL REFERENCES users (telegram_id),
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    created_at  INTEGER NOT NULL
) STRICT;

-- A browser session an admin opened with such a link: 12 hours, revocable (logout, or /web off).
CREATE TABLE web_sessions (
    id_hash     TEXT PRIMARY KEY,
    telegram_id INTEGER NOT NULL REFERENCES users (telegram_id),
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX web_sessions_by_admin ON web_sessions (telegram_id);
