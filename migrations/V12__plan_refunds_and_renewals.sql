-- media-lab schema, version 12: refunds of Stars plan payments and failed renewals (SPEC §4, §8b).

-- A plan period whose payment is being given back (`refunding`: `payment refund` holds it while
-- Telegram is asked, so its operations cannot be used meanwhile) or was given back (`refunded`, by
-- us or by Telegram): either way its operations are no longer the user's.
ALTER TABLE plan_periods ADD COLUMN refund_state TEXT CHECK (refund_state IN ('refunding', 'refunded'));
ALTER TABLE plan_periods ADD COLUMN refunded_at INTEGER;
-- A held refund Telegram did not answer is asked about again from this time (the follower).
ALTER TABLE plan_periods ADD COLUMN refund_check_at INTEGER;
CREATE INDEX plan_periods_refunding ON plan_periods (refund_check_at) WHERE refund_state = 'refunding';

-- Telegram's `subscription` update said the renewal payment failed (the user was told once).
ALTER TABLE plan_periods ADD COLUMN renewal_failed_at INTEGER;
