-- media-lab schema, version 8: the model catalogue (SPEC §6b) and the cost of each job (§8b).

-- What a job was charged for: the fal endpoint and the catalogue's label for it, the format, and
-- what fal charges us for it in kopecks at FAL_USD_RUB (0 for add text and for jobs before V8).
ALTER TABLE jobs ADD COLUMN model TEXT;
ALTER TABLE jobs ADD COLUMN model_label TEXT;
ALTER TABLE jobs ADD COLUMN format TEXT;
ALTER TABLE jobs ADD COLUMN cost INTEGER NOT NULL DEFAULT 0 CHECK (cost >= 0);
-- A delivered result's file stays until then (📎 the original file); the sweeper removes it after.
ALTER TABLE jobs ADD COLUMN kept_until INTEGER;
CREATE INDEX jobs_kept ON jobs (kept_until) WHERE kept_until IS NOT NULL;

-- Each user's last choice of model and format in each mode: the picker marks it ✓ and uses it.
CREATE TABLE choices (
    telegram_id INTEGER NOT NULL REFERENCES users (telegram_id),
    mode        TEXT NOT NULL,
    model       TEXT,  -- the model's label (its key within the mode)
    format      TEXT,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (telegram_id, mode)
) STRICT;
