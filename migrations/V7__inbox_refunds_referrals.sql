-- media-lab schema, version 7: no paid update lost to a crash, refunds that hold what they give
-- back, referral rules that cannot be farmed.

-- The update inbox: every getUpdates batch is written here in one transaction before the next
-- offset confirms it to Telegram; handlers work from it and mark what they finished, so an update a
-- crash interrupted runs again after the restart. `starts` counts the restarts that found it
-- unfinished: one that took the process down three times is set aside (a poison update).
CREATE TABLE updates (
    update_id   INTEGER PRIMARY KEY,
    body        TEXT NOT NULL,  -- the update's JSON as Telegram sent it
    received_at INTEGER NOT NULL,
    handled_at  INTEGER,
    starts      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX updates_unhandled ON updates (update_id) WHERE handled_at IS NULL;

-- The update that asked for a job: run again after a crash, it finds its job instead of a second.
ALTER TABLE jobs ADD COLUMN update_id INTEGER;
CREATE UNIQUE INDEX jobs_by_update ON jobs (telegram_id, update_id) WHERE update_id IS NOT NULL;

-- Refunds of top-ups (SPEC §4). `refund_state`: refunding while the credit is held (the hold is the
-- ledger debit keyed `refund:<id>` or `refund:<id>:<attempt>`, taken before the provider is asked),
-- refunded once the provider confirmed. A "no" releases the hold (key `refund-release:<id>:<attempt>`)
-- and clears the state. `refund_id` is the provider's refund id (YooKassa), followed while pending.
-- `refund_shortfall`: what a refund the provider made on its own could not take from the balance —
-- a debt the user's next credits pay first.
ALTER TABLE payments ADD COLUMN refund_state TEXT CHECK (refund_state IN ('refunding', 'refunded'));
ALTER TABLE payments ADD COLUMN refund_id TEXT;
ALTER TABLE payments ADD COLUMN refund_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payments ADD COLUMN refund_shortfall INTEGER NOT NULL DEFAULT 0 CHECK (refund_shortfall >= 0);
ALTER TABLE payments ADD COLUMN refund_check_at INTEGER;
UPDATE payments SET refund_state = 'refunded' WHERE refunded_at IS NOT NULL;
CREATE INDEX payments_refunding ON payments (refund_check_at) WHERE refund_state = 'refunding';

-- The unpaid part of the shortfalls: sum(refund_shortfall) less the debt rows (keys `debt:…`).
ALTER TABLE balances ADD COLUMN debt INTEGER NOT NULL DEFAULT 0 CHECK (debt >= 0);
-- 0.2 took what the balance held and let the rest go: that rest is now a debt like any other.
UPDATE payments SET refund_shortfall = amount + coalesce(
    (SELECT sum(l.amount) FROM ledger l WHERE l.idempotency_key = 'refund:' || payments.id), 0)
 WHERE refunded_at IS NOT NULL;
UPDATE balances SET debt = coalesce(
    (SELECT sum(p.refund_shortfall) FROM payments p WHERE p.telegram_id = balances.telegram_id), 0);

-- Referrals: the top-up that earned the bonus (a refund of it takes the unspent bonus back), and the
-- user's first update ever (first contact is recorded, not guessed from profile fields).
ALTER TABLE referrals ADD COLUMN payment_id TEXT;
ALTER TABLE referrals ADD COLUMN taken_back_at INTEGER;
ALTER TABLE users ADD COLUMN first_update_at INTEGER;
UPDATE users SET first_update_at = created_at
 WHERE username IS NOT NULL OR language_code IS NOT NULL
    OR EXISTS (SELECT 1 FROM dialogues d WHERE d.chat_id = users.telegram_id)
    OR EXISTS (SELECT 1 FROM jobs j WHERE j.telegram_id = users.telegram_id)
    OR EXISTS (SELECT 1 FROM payments p WHERE p.telegram_id = users.telegram_id);
UPDATE referrals SET payment_id = (
    SELECT l.payment_id FROM ledger l WHERE l.telegram_id = referrals.invitee_id AND l.kind = 'topup'
     ORDER BY l.id LIMIT 1)
 WHERE rewarded_at IS NOT NULL;

-- Checkpoints of the background followers (the Stars reconciler's last look at Telegram).
CREATE TABLE checkpoints (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) STRICT;
