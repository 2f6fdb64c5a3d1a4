-- media-lab schema, version 9: the support inbox and the assistant's words (SPEC §6c).

-- A conversation between one user and the operator: open until an admin (or the CLI) closes it; a
-- user's next message after that opens a new one.
CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY,
    telegram_id INTEGER NOT NULL REFERENCES users (telegram_id),
    status      TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX tickets_by_user ON tickets (telegram_id, status);

-- Every message of a ticket, both ways. `update_id` is the Telegram update that wrote it: the same
-- update run again after a crash finds it instead of writing (and forwarding) it twice.
CREATE TABLE ticket_messages (
    id         INTEGER PRIMARY KEY,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    author     TEXT NOT NULL CHECK (author IN ('user', 'admin')),
    admin_id   INTEGER,  -- who answered (NULL: the user, or the CLI)
    text       TEXT NOT NULL,
    photo      TEXT,     -- a Telegram file id sent with it
    update_id  INTEGER,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX ticket_messages_by_ticket ON ticket_messages (ticket_id, id);
CREATE UNIQUE INDEX ticket_messages_by_update ON ticket_messages (update_id) WHERE update_id IS NOT NULL;

-- The copies of users' messages in admin chats: an admin's reply to one finds its ticket.
CREATE TABLE ticket_copies (
    admin_chat INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    ticket_id  INTEGER NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (admin_chat, message_id)
) STRICT;

-- What the language model was asked and answered (🤖 the assistant; the translation of a prompt for a
-- model that reads English): every question with its answer or error, for the operator, for the
-- conversation's last turns and for the daily limit.
CREATE TABLE words (
    id          INTEGER PRIMARY KEY,
    telegram_id INTEGER NOT NULL REFERENCES users (telegram_id),
    kind        TEXT NOT NULL CHECK (kind IN ('assistant', 'translate', 'prompt')),
    -- ✍️: the operation that paid for it, and the update that asked (a rerun finds it).
    operation_id INTEGER REFERENCES operations (id),
    update_id   INTEGER,
    question    TEXT NOT NULL,
    answer      TEXT,
    error       TEXT,
    model       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    answered_at INTEGER
) STRICT;
CREATE INDEX words_by_user ON words (telegram_id, kind, created_at);
CREATE UNIQUE INDEX words_by_update ON words (update_id) WHERE update_id IS NOT NULL;

-- ✍️ is an operation of its own kind: `operations.mode` also takes 'prompt'. Widening a CHECK changes
-- nothing on disk (every row already satisfies the wider one), so the table's definition is edited in
-- place, the way SQLite's ALTER TABLE documentation describes for such changes; a rebuild would
-- have to switch foreign keys off, which a migration's transaction cannot.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, '''retouch'', ''upscale''))', '''retouch'', ''upscale'', ''prompt''))')
 WHERE type = 'table' AND name = 'operations';
PRAGMA writable_schema = RESET;
-- The edit must have taken (a definition written by hand differently would not match): fail if not.
CREATE TEMP TABLE v9_check (ok INTEGER NOT NULL CHECK (ok = 1));
INSERT INTO v9_check SELECT instr(sql, '''prompt''') > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'operations';
DROP TABLE v9_check;
