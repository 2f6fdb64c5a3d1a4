-- media-lab schema, version 1. Money is INTEGER kopecks; times are unix seconds (UTC).
-- Forward-only: later changes come as V2__…, never as edits to this file.

-- A Telegram user. free_operations_left and the balance are caches of the ledger; `check` proves it.
CREATE TABLE users (
    telegram_id           INTEGER PRIMARY KEY,
    username              TEXT,
    language_code         TEXT,
    has_free_access       INTEGER NOT NULL DEFAULT 0 CHECK (has_free_access IN (0, 1)),
    free_operations_left  INTEGER NOT NULL DEFAULT 0 CHECK (free_operations_left >= 0),
    -- A discount code applied in the payment menu, waiting for the user's next top-up.
    pending_discount_code TEXT REFERENCES discount_codes (code),
    created_at            INTEGER NOT NULL
) STRICT;

CREATE TABLE balances (
    telegram_id INTEGER PRIMARY KEY REFERENCES users (telegram_id),
    kopecks     INTEGER NOT NULL DEFAULT 0 CHECK (kopecks >= 0),
    updated_at  INTEGER NOT NULL
) STRICT;

-- Promo codes: percent off a top-up, free access, or bonus free operations.
CREATE TABLE discount_codes (
    code             TEXT PRIMARY KEY CHECK (code = upper(code) AND length(code) BETWEEN 1 AND 64),
    kind             TEXT NOT NULL CHECK (kind IN ('percent', 'free_access', 'bonus_ops')),
    discount_percent INTEGER CHECK (discount_percent BETWEEN 1 AND 99),
    bonus_ops        INTEGER CHECK (bonus_ops BETWEEN 1 AND 1000000),
    max_uses         INTEGER CHECK (max_uses > 0),
    used_count       INTEGER NOT NULL DEFAULT 0 CHECK (used_count >= 0),
    expires_at       INTEGER,
    is_active        INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at       INTEGER NOT NULL,
    CHECK ((kind = 'percent') = (discount_percent IS NOT NULL)),
    CHECK ((kind = 'bonus_ops') = (bonus_ops IS NOT NULL))
) STRICT;

-- Each user uses a code once.
CREATE TABLE user_discount_codes (
    telegram_id INTEGER NOT NULL REFERENCES users (telegram_id),
    code        TEXT NOT NULL REFERENCES discount_codes (code),
    payment_id  TEXT REFERENCES payments (id),
    used_at     INTEGER NOT NULL,
    PRIMARY KEY (telegram_id, code)
) STRICT;

-- A top-up. `id` is ours and is the Idempotence-Key sent to YooKassa.
CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    telegram_id      INTEGER NOT NULL REFERENCES users (telegram_id),
    amount           INTEGER NOT NULL CHECK (amount > 0),         -- kopecks credited on success
    charge_amount    INTEGER NOT NULL CHECK (charge_amount > 0),  -- kopecks the payer pays
    currency         TEXT NOT NULL,
    discount_code    TEXT REFERENCES discount_codes (code),
    discount_percent INTEGER NOT NULL DEFAULT 0 CHECK (discount_percent BETWEEN 0 AND 99),
    yookassa_id      TEXT UNIQUE,
    confirmation_url TEXT,
    -- created: ours only; pending…canceled: YooKassa's; mismatch: the API's amount differed from ours.
    status           TEXT NOT NULL CHECK (status IN ('created', 'pending', 'waiting_for_capture',
                                                     'succeeded', 'canceled', 'mismatch')),
    next_check_at    INTEGER,
    check_attempts   INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX payments_by_user ON payments (telegram_id, created_at);
CREATE INDEX payments_to_check ON payments (next_check_at) WHERE next_check_at IS NOT NULL;

-- A paid operation. Its charge is taken in the transaction that creates it and its job.
CREATE TABLE operations (
    id            INTEGER PRIMARY KEY,
    telegram_id   INTEGER NOT NULL REFERENCES users (telegram_id),
    mode          TEXT NOT NULL CHECK (mode IN ('generate', 'edit', 'merge', 'face_swap', 'retouch', 'upscale')),
    paid_with     TEXT NOT NULL CHECK (paid_with IN ('free_access', 'free_operation', 'balance')),
    price         INTEGER NOT NULL CHECK (price >= 0),  -- kopecks taken from the balance
    status        TEXT NOT NULL CHECK (status IN ('charged', 'settled', 'refunded')),
    refund_reason TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CHECK ((paid_with = 'balance') = (price > 0))
) STRICT;
CREATE INDEX operations_by_user ON operations (telegram_id, created_at);

-- Append-only record of every change to a balance or to free operations. Each user's balance is the
-- sum of `amount`, their free operations the sum of `free_ops`.
CREATE TABLE ledger (
    id              INTEGER PRIMARY KEY,
    telegram_id     INTEGER NOT NULL REFERENCES users (telegram_id),
    kind            TEXT NOT NULL CHECK (kind IN ('signup', 'topup', 'charge', 'refund', 'adjustment',
                                                  'promo', 'free_access')),
    amount          INTEGER NOT NULL DEFAULT 0,   -- signed kopecks
    free_ops        INTEGER NOT NULL DEFAULT 0,   -- signed free operations
    idempotency_key TEXT NOT NULL UNIQUE,
    operation_id    INTEGER REFERENCES operations (id),
    payment_id      TEXT REFERENCES payments (id),
    reason          TEXT,
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX ledger_by_user ON ledger (telegram_id);
CREATE INDEX ledger_by_operation ON ledger (operation_id) WHERE operation_id IS NOT NULL;
CREATE INDEX ledger_by_payment ON ledger (payment_id) WHERE payment_id IS NOT NULL;

CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only');
END;
CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger
BEGIN
    SELECT RAISE(ABORT, 'ledger is append-only');
END;

-- The durable job queue. Paid jobs belong to one operation; "add text" jobs to none.
CREATE TABLE jobs (
    id                  INTEGER PRIMARY KEY,
    operation_id        INTEGER UNIQUE REFERENCES operations (id),
    telegram_id         INTEGER NOT NULL REFERENCES users (telegram_id),
    chat_id             INTEGER NOT NULL,
    kind                TEXT NOT NULL CHECK (kind IN ('generate', 'edit', 'merge', 'face_swap', 'retouch',
                                                      'upscale', 'add_text')),
    input               TEXT NOT NULL,  -- JSON: prompt, Telegram file ids, options
    -- queued → running (inputs fetched) → submitting (the POST to fal may be under way) →
    -- submitted (fal request stored) → delivering (result being sent) → done | failed
    status              TEXT NOT NULL CHECK (status IN ('queued', 'running', 'submitting', 'submitted',
                                                        'delivering', 'done', 'failed')),
    fal_request_id      TEXT,
    status_url          TEXT,
    response_url        TEXT,
    cancel_url          TEXT,
    progress_message_id INTEGER,
    attempts            INTEGER NOT NULL DEFAULT 0,
    error               TEXT,
    deadline_at         INTEGER NOT NULL,
    next_run_at         INTEGER NOT NULL,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL,
    CHECK ((kind = 'add_text') = (operation_id IS NULL))
) STRICT;
CREATE INDEX jobs_ready ON jobs (status, next_run_at);

-- Inbox of YooKassa notifications: recorded before the 200, processed afterwards.
CREATE TABLE payment_notifications (
    id           INTEGER PRIMARY KEY,
    yookassa_id  TEXT NOT NULL,
    event        TEXT NOT NULL,
    body         TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    processed_at INTEGER,
    outcome      TEXT
) STRICT;
CREATE INDEX payment_notifications_pending ON payment_notifications (id) WHERE processed_at IS NULL;

-- Outbox of messages to users (top-up credited, refunds) that the bot delivers when it can.
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    telegram_id INTEGER NOT NULL REFERENCES users (telegram_id),
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,  -- JSON
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    attempts    INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX notices_unsent ON notices (id) WHERE sent_at IS NULL;

-- Bot dialogue state per chat (what the user is in the middle of).
CREATE TABLE dialogues (
    chat_id    INTEGER PRIMARY KEY,
    state      TEXT NOT NULL,  -- JSON
    updated_at INTEGER NOT NULL
) STRICT;
