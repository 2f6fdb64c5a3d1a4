-- media-lab schema, version 3: notifications looked up by payment. Processing one asks for the
-- newest notification about its payment and marks that payment's rows; without this index each
-- of those was a scan of the whole inbox, so a flood of notifications slowed its own processing.
CREATE INDEX payment_notifications_by_payment ON payment_notifications (yookassa_id, id);
