-- media-lab schema, version 10: operation codes, Stars plans and the cost of words (SPEC §4, §8b).

-- A percent code discounts one top-up (the seed's codes) or, `--on operations`, every paid operation
-- of a user who entered it, until they cancel it.
ALTER TABLE discount_codes ADD COLUMN applies_to TEXT NOT NULL DEFAULT 'topup'
    CHECK (applies_to IN ('topup', 'operations'));
-- The operation code a user holds (one at a time); valid while the code is active and unexpired.
ALTER TABLE users ADD COLUMN standing_code TEXT REFERENCES discount_codes (code);

-- One paid period of a Stars subscription (PLANS): the first payment or a renewal, keyed by
-- Telegram's charge id so a redelivered payment grants nothing more. Its operations are used before
-- free operations and the balance, until `expires_at`.
CREATE TABLE plan_periods (
    id            INTEGER PRIMARY KEY,
    telegram_id   INTEGER NOT NULL REFERENCES users (telegram_id),
    plan          TEXT NOT NULL,                  -- the plan's label in PLANS
    stars         INTEGER NOT NULL CHECK (stars > 0),
    operations    INTEGER NOT NULL CHECK (operations > 0),
    used          INTEGER NOT NULL DEFAULT 0 CHECK (used >= 0 AND used <= operations),
    grant_key     TEXT NOT NULL UNIQUE,           -- plan:<telegram_payment_charge_id>
    charge_id     TEXT NOT NULL UNIQUE,
    recurring     INTEGER NOT NULL CHECK (recurring IN (0, 1)),
    starts_at     INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    -- The user cancelled the renewal (editUserStarSubscription): the period still runs to its end.
    canceled_at   INTEGER,
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX plan_periods_by_user ON plan_periods (telegram_id, expires_at);

-- What an operation would have cost without the user's operation code, the code, and the plan
-- period it was paid from. NULL full_price: no discount (before V10, or none held).
ALTER TABLE operations ADD COLUMN full_price INTEGER CHECK (full_price IS NULL OR full_price >= price);
ALTER TABLE operations ADD COLUMN discount_code TEXT REFERENCES discount_codes (code);
ALTER TABLE operations ADD COLUMN plan_period_id INTEGER REFERENCES plan_periods (id);

-- What one language-model call cost us, kopecks at FAL_USD_RUB (0 before V10).
ALTER TABLE words ADD COLUMN cost INTEGER NOT NULL DEFAULT 0 CHECK (cost >= 0);

-- Operations paid from a plan: `operations.paid_with` also takes 'plan'. Widened in place as V9
-- widened `mode` (a rebuild would have to switch foreign keys off, which a migration cannot).
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, '''free_operation'', ''balance''))', '''free_operation'', ''balance'', ''plan''))')
 WHERE type = 'table' AND name = 'operations';
PRAGMA writable_schema = RESET;
CREATE TEMP TABLE v10_check (ok INTEGER NOT NULL CHECK (ok = 1));
INSERT INTO v10_check SELECT instr(sql, '''plan''') > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'operations';
DROP TABLE v10_check;
