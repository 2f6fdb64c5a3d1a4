-- media-lab schema, version 4: Telegram Stars beside YooKassa (SPEC §5b).
-- A payment's provider; for Stars `currency` is XTR and `charge_amount` counts whole Stars (what the
-- payer pays, in the payment currency's smallest unit: kopecks for RUB, Stars for XTR), `amount`
-- stays the kopecks credited. `charge_id` is Telegram's telegram_payment_charge_id once paid.
ALTER TABLE payments
    ADD COLUMN provider TEXT NOT NULL DEFAULT 'yookassa' CHECK (provider IN ('yookassa', 'stars'));
ALTER TABLE payments ADD COLUMN charge_id TEXT;
CREATE UNIQUE INDEX payments_by_charge_id ON payments (charge_id) WHERE charge_id IS NOT NULL;
-- A credited top-up given back to the payer (our `payment refund`, or Telegram's refunded-payment
-- message): when, and the ledger row that debited its credit is keyed `refund:<id>`.
ALTER TABLE payments ADD COLUMN refunded_at INTEGER;
-- The Telegram file id of a delivered result photo, so the buttons under it (edit this, upscale
-- this, one more) can start a new job from it without a download.
ALTER TABLE jobs ADD COLUMN result_file_id TEXT;
