-- media-lab schema, version 5: held requests, and the message a job answers.
-- held_requests: a request the user could not pay for (out of money, input in hand), kept so that
-- after their top-up the bot offers to run it. One per user: a newer one replaces it; running it, or
-- a day passing, ends it. `input` is the job input JSON the worker would get.
CREATE TABLE held_requests (
    telegram_id INTEGER PRIMARY KEY REFERENCES users (telegram_id),
    mode TEXT NOT NULL,
    chat_id INTEGER NOT NULL,
    input TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
-- The user's message (or the result whose button was pressed) that asked for a job: its result is
-- sent as a reply to it, so a chat of many requests reads as pairs.
ALTER TABLE jobs ADD COLUMN request_message_id INTEGER;
-- The charge line of the job's status message ("Списано 10 ₽, на балансе 90 ₽"), kept through its
-- progress edits.
ALTER TABLE jobs ADD COLUMN charge_line TEXT;
