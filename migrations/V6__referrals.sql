-- media-lab schema, version 6: the operator's tools — referrals (an invite link per user; a bonus for
-- both once the invited user's first top-up succeeds), backups to the admins, broadcasts.
-- A user's invite code, made the first time their link is shown (`https://t.me/<bot>?start=ref_<code>`).
ALTER TABLE users ADD COLUMN invite_code TEXT;
CREATE UNIQUE INDEX users_by_invite_code ON users (invite_code) WHERE invite_code IS NOT NULL;
-- Who invited whom: one row per invited user, written on their first contact. `rewarded_at` is set in
-- the transaction of the invitee's first credited top-up, together with both bonus ledger rows
-- (keys `referral:<invitee>:invitee` and `referral:<invitee>:inviter`).
CREATE TABLE referrals (
    invitee_id INTEGER PRIMARY KEY REFERENCES users (telegram_id),
    inviter_id INTEGER NOT NULL REFERENCES users (telegram_id),
    created_at INTEGER NOT NULL,
    rewarded_at INTEGER,
    CHECK (invitee_id <> inviter_id)
);
CREATE INDEX referrals_by_inviter ON referrals (inviter_id);
-- Backups sent to the admins' chats (BACKUP_TO_ADMINS_HOURS, /backup): when, how large, and what came of
-- it, so the schedule survives restarts.
CREATE TABLE admin_backups (
    id INTEGER PRIMARY KEY,
    sent_at INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    outcome TEXT NOT NULL
);
-- Broadcasts (`media-lab broadcast`, /broadcast): the message, and one row per recipient that the
-- running bot works through at a fixed pace. A recipient is marked `sending` in its own transaction
-- before the send and `sent` after it; one found `sending` at start becomes `unknown` and is never
-- sent again, so nobody gets a broadcast twice, restarts or not.
ALTER TABLE users ADD COLUMN blocked_at INTEGER;
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    entities TEXT,
    only_paying INTEGER NOT NULL,
    admin_chat INTEGER,
    progress_message_id INTEGER,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE TABLE broadcast_recipients (
    broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id),
    telegram_id INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'blocked', 'unknown')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (broadcast_id, telegram_id)
);
CREATE INDEX broadcast_recipients_due ON broadcast_recipients (next_at) WHERE status = 'pending';
