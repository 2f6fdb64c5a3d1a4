-- media-lab schema, version 2: discount reservations, durable result delivery, retried notices,
-- re-sendable payment creates.

-- A discounted draft reserves its code in the transaction that creates it; the reservation becomes
-- the use when that payment succeeds and is deleted when it is canceled. Rows from version 1 are uses.
-- The primary key (telegram_id, code) keeps it to one per user per code; reservations and uses together
-- count against max_uses.
ALTER TABLE user_discount_codes
    ADD COLUMN state TEXT NOT NULL DEFAULT 'used' CHECK (state IN ('reserved', 'used'));
CREATE INDEX user_discount_codes_by_payment ON user_discount_codes (payment_id) WHERE payment_id IS NOT NULL;
CREATE INDEX user_discount_codes_by_code ON user_discount_codes (code);

-- The exact body of `POST /payments`, saved before it is sent, so a payment whose answer was lost (a
-- crash between YooKassa's answer and saving its id) can be asked for again with the same
-- Idempotence-Key: YooKassa answers with the payment it already made.
ALTER TABLE payments ADD COLUMN create_request TEXT;

-- A result fal made is kept in a file beside the database until Telegram has it.
ALTER TABLE jobs ADD COLUMN result_path TEXT;
-- How many of the result's messages Telegram accepted (a photo, and for upscales the file too), and
-- the first one's id: recorded right after each send, so a restart never sends a part twice.
ALTER TABLE jobs ADD COLUMN delivered_parts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN result_message_id INTEGER;
-- After this a result Telegram would not take is refunded (DELIVERY_TIMEOUT_SECS after it was made).
ALTER TABLE jobs ADD COLUMN delivery_deadline_at INTEGER;

-- Notices are retried with backoff until DELIVERY_TIMEOUT_SECS; a permanent refusal gives one up.
ALTER TABLE notices ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE notices ADD COLUMN gave_up_at INTEGER;
DROP INDEX notices_unsent;
CREATE INDEX notices_unsent ON notices (next_attempt_at) WHERE sent_at IS NULL AND gave_up_at IS NULL;

-- Operations whose refund or settle write failed are found by the sweeper through their job.
CREATE INDEX operations_charged ON operations (id) WHERE status = 'charged';
