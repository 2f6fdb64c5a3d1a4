-- media-lab schema, version 5: a request the user could not pay for (out of money, input in hand),
-- kept so that after their top-up the bot offers to run it. One per user: a newer one replaces it;
-- running it, or a day passing, ends it. `input` is the job input JSON the worker would get.
CREATE TABLE held_requests (
    telegram_id INTEGER PRIMARY KEY REFERENCES users (telegram_id),
    mode TEXT NOT NULL,
    chat_id INTEGER NOT NULL,
    input TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
