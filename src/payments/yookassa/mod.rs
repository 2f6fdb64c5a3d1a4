//! Card top-ups through YooKassa: creating the payment, turning notifications into verified credits,
//! and the reconciler that re-asks about pending payments so a lost notification costs nobody a
//! kopeck. The HTTP client is `client`; billing decides what each answer does to the books.

mod client;

pub use client::*;

use super::Payments;
use super::reconcile;
use crate::billing::PaymentUpdate;
use crate::config::Config;
use crate::db::notifications::Processed;
use crate::db::{blocking, payments::Payment};
use crate::error::{Error, Result};
use crate::model::{CheckOutcome, CodeRefusal, PaymentStatus};
use crate::money::Kopecks;
use crate::texts::{self, Lang};

/// The reconciler gives up on a payment this long after it was created.
const GIVE_UP_AFTER_SECS: i64 = 24 * 3600;
/// Longest gap between two checks of one pending payment.
const MAX_RECHECK_SECS: i64 = 3600;
/// Payments checked with the API at once while processing notifications.
const CHECKS_IN_FLIGHT: usize = 8;
/// A payment still `created` this long after it was made lost its create answer: ask again. Longer
/// than a create with all its retries can take, though a same-key overlap would be harmless too.
pub(super) const RESEND_AFTER_SECS: i64 = 120;
/// YooKassa keeps an Idempotence-Key for 24 hours; stay inside that window.
const KEY_WINDOW_SECS: i64 = 23 * 3600;

/// A top-up created at YooKassa, ready for the payer.
#[derive(Debug, Clone)]
pub struct StartedTopup {
    pub payment: Payment,
    pub confirmation_url: String,
    /// A pending discount code that was no longer valid and so was not applied.
    pub dropped_code: Option<(String, CodeRefusal)>,
    /// The user's unpaid draft that holds their discount code (this one carries none).
    pub held_by: Option<Payment>,
}

impl Payments {
    /// Records a top-up of `amount` (with the user's discount code, if still valid), creates it at
    /// YooKassa and returns the confirmation URL for the payer. The create request is saved before it
    /// is sent, so a crash before YooKassa's id is saved is mended by re-sending it with the same
    /// Idempotence-Key (see `resend_stuck`). The URL is returned only for a payment of exactly our
    /// amount and currency.
    pub async fn start_topup(
        &self,
        telegram_id: i64,
        amount: Kopecks,
        return_url: &str,
    ) -> Result<StartedTopup> {
        self.start_topup_as(telegram_id, amount, return_url, None, Lang::Ru)
            .await
    }

    /// `start_topup` with the draft's id chosen by the caller: the bot derives it from the update
    /// that asked, so the same update run again after a crash finds its draft (and YooKassa, asked
    /// with the same Idempotence-Key, its payment) instead of making a second one.
    pub async fn start_topup_as(
        &self,
        telegram_id: i64,
        amount: Kopecks,
        return_url: &str,
        draft_id: Option<String>,
        lang: Lang,
    ) -> Result<StartedTopup> {
        let api = self
            .api
            .clone()
            .ok_or_else(|| Error::invalid("payments are not configured"))?;
        let (billing, store) = (self.billing.clone(), self.store.clone());
        let new = blocking(move || match draft_id {
            Some(id) => match store.payment(&id)? {
                Some(p) if p.telegram_id == telegram_id && p.amount == amount && !p.is_final() => {
                    Ok(crate::billing::NewPayment {
                        payment: p,
                        dropped_code: None,
                        held_by: None,
                    })
                }
                Some(_) => Err(Error::invalid(format!("payment {id} exists already"))),
                None => billing.create_payment_as(telegram_id, amount, Some(id)),
            },
            None => billing.create_payment(telegram_id, amount),
        })
        .await?;
        let body = create_body(&new.payment, return_url, &self.config, lang);
        let id = new.payment.id.clone();
        let (store, id2, text) = (self.store.clone(), id.clone(), body.to_string());
        blocking(move || store.save_create_request(&id2, &text)).await?;
        let created = match api.create_payment(&body, &id).await {
            Ok(created) => created,
            Err(e) => {
                if !matches!(
                    e,
                    Error::Remote {
                        retryable: true,
                        ..
                    }
                ) {
                    // YooKassa refused it: nobody can pay it, so its discount is free again.
                    let (billing, id) = (self.billing.clone(), id.clone());
                    blocking(move || billing.cancel_payment(&id)).await?;
                }
                // A retryable failure may still have created it: the sweeper asks again by its key.
                return Err(e);
            }
        };
        let url = created
            .confirmation
            .as_ref()
            .and_then(|c| c.confirmation_url.clone());
        let exact = created
            .amount
            .kopecks()
            .is_ok_and(|k| k == new.payment.charge_amount)
            && created.amount.currency == new.payment.currency;
        self.apply_api_payment(new.payment.clone(), &created)
            .await?;
        let Some(url) = url.filter(|_| exact) else {
            tracing::error!(payment = %id, yookassa = %created.id, ours = %new.payment.charge_amount,
                theirs = ?created.amount, "YooKassa created the payment without a confirmation URL or with another amount; no pay button shown");
            return Err(Error::Remote {
                service: "YooKassa",
                status: None,
                code: None,
                message:
                    "the payment was created with another amount or without a confirmation URL"
                        .into(),
                retryable: false,
            });
        };
        tracing::info!(payment = %id, yookassa = %created.id, user = telegram_id, amount = %amount, charged = %new.payment.charge_amount, "payment created");
        let mut payment = new.payment;
        payment.yookassa_id = Some(created.id);
        payment.confirmation_url = Some(url.clone());
        Ok(StartedTopup {
            payment,
            confirmation_url: url,
            dropped_code: new.dropped_code,
            held_by: new.held_by,
        })
    }

    /// Payments left `created` by a crash between YooKassa's answer and saving its id: the saved
    /// request is sent again with the same Idempotence-Key, and YooKassa answers with the payment it
    /// already made (or makes it now, if the first request never arrived). Past YooKassa's 24-hour
    /// key window a payment nobody was shown is canceled, which frees its discount.
    /// `min_age` is how old a `created` payment must be: at start every one is stuck (no create of
    /// this process is in flight yet), later only those older than any create with its retries.
    pub async fn resend_stuck(&self, min_age: i64) -> Result<usize> {
        let Some(api) = self.api.clone() else {
            return Ok(0);
        };
        let now = crate::time::now();
        let store = self.store.clone();
        let stuck = blocking(move || {
            store.stuck_created_payments(now - min_age, now - KEY_WINDOW_SECS, 16)
        })
        .await?;
        let mut mended = 0;
        for (payment, request) in stuck {
            let body = match request
                .as_deref()
                .map(serde_json::from_str::<serde_json::Value>)
            {
                Some(Ok(body)) => body,
                Some(Err(e)) => {
                    tracing::error!(payment = %payment.id, error = %e,
                        "a payment's saved create request cannot be read; it cannot be asked for again (canceled after 24 h)");
                    continue;
                }
                None => {
                    tracing::warn!(payment = %payment.id,
                        "a payment left unrecorded has no saved create request; it cannot be asked for again (canceled after 24 h)");
                    continue;
                }
            };
            match api.create_payment(&body, &payment.id).await {
                Ok(created) => {
                    tracing::info!(payment = %payment.id, yookassa = %created.id, "learned YooKassa's id of a payment left unrecorded");
                    self.apply_api_payment(payment, &created).await?;
                    mended += 1;
                }
                Err(e) => {
                    tracing::warn!(payment = %payment.id, error = %e, "re-sending a payment's create failed")
                }
            }
        }
        let store = self.store.clone();
        let abandoned =
            blocking(move || store.abandoned_created_payments(now - KEY_WINDOW_SECS)).await?;
        for id in abandoned {
            tracing::warn!(payment = %id, "never created at YooKassa within 24 hours; canceled");
            let billing = self.billing.clone();
            blocking(move || billing.cancel_payment(&id)).await?;
        }
        Ok(mended)
    }

    /// Processes every recorded notification: each payment they name is fetched from the API once
    /// and its verified status applied, up to CHECKS_IN_FLIGHT payments at a time. A retryable API
    /// failure leaves that payment's notifications for the next pass.
    pub async fn process_inbox(&self) -> Result<usize> {
        let mut done = 0;
        loop {
            let store = self.store.clone();
            let ids =
                blocking(move || store.pending_notification_ids(CHECKS_IN_FLIGHT as u32)).await?;
            if ids.is_empty() {
                return Ok(done);
            }
            let mut checks = tokio::task::JoinSet::new();
            for yk_id in ids {
                let this = self.clone();
                checks.spawn(async move { this.process_one(yk_id).await });
            }
            let (mut marks, mut failure) = (Vec::new(), None);
            while let Some(joined) = checks.join_next().await {
                match joined.map_err(|e| Error::internal(format!("a payment check failed: {e}")))? {
                    Ok(mark) => marks.push(mark),
                    Err(e) => failure = Some(e),
                }
            }
            // One transaction marks the whole pass: a crash before it only repeats the checks,
            // which credit at most once.
            done += marks.len();
            let store = self.store.clone();
            blocking(move || store.mark_notifications(&marks)).await?;
            if let Some(e) = failure {
                return Err(e);
            }
        }
    }

    /// Checks the payment one YooKassa id names; the notifications received until now are then to
    /// be marked processed. Errors that another try could fix are returned and leave them
    /// unprocessed.
    pub(super) async fn process_one(&self, yk_id: String) -> Result<Processed> {
        let store = self.store.clone();
        let id = yk_id.clone();
        let up_to = blocking(move || store.latest_notification_id(&id)).await?;
        let outcome = match self.check_payment(&yk_id).await {
            Ok(outcome) => outcome,
            // YooKassa refused the question for good (or its answer is unreadable): recorded as such.
            Err(
                e @ (Error::Remote {
                    retryable: false, ..
                }
                | Error::Invalid(_)),
            ) => {
                tracing::error!(yookassa = %yk_id, error = %e, "notification could not be verified");
                CheckOutcome::Error
            }
            // A retryable API failure or a local one (the database): left for the next pass.
            Err(e) => return Err(e),
        };
        Ok(Processed {
            yookassa_id: yk_id,
            up_to,
            outcome,
        })
    }

    /// The payer's "check payment": asks the API about one payment now and applies what it says.
    pub async fn check_now(&self, yookassa_id: &str) -> Result<CheckOutcome> {
        self.check_payment(yookassa_id).await
    }

    /// Fetches one payment from the API and applies what it says; returns the outcome's label. A
    /// payment is ours by its YooKassa id, or by the API's `metadata.payment_id` when we never saved
    /// YooKassa's id (a crash right after the create).
    pub(super) async fn check_payment(&self, yookassa_id: &str) -> Result<CheckOutcome> {
        let store = self.store.clone();
        let id = yookassa_id.to_string();
        let known = blocking(move || store.payment_by_yookassa_id(&id)).await?;
        if known.as_ref().is_some_and(Payment::is_final) {
            self.metrics.inc(
                "media_lab_payment_checks_total",
                CheckOutcome::AlreadyFinal.as_str(),
            );
            return Ok(CheckOutcome::AlreadyFinal);
        }
        let api = self
            .api
            .clone()
            .ok_or_else(|| Error::invalid("payments are not configured"))?;
        let theirs = match api.get_payment(yookassa_id).await {
            Ok(p) => p,
            Err(
                e @ Error::Remote {
                    status: Some(404), ..
                },
            ) if known.is_none() => {
                tracing::warn!(yookassa = %yookassa_id, error = %e, "notification about a payment YooKassa does not know; ignored");
                self.metrics.inc(
                    "media_lab_payment_checks_total",
                    CheckOutcome::Unknown.as_str(),
                );
                return Ok(CheckOutcome::Unknown);
            }
            Err(e) => {
                self.metrics.inc(
                    "media_lab_payment_checks_total",
                    CheckOutcome::ApiError.as_str(),
                );
                return Err(e);
            }
        };
        let ours = match known {
            Some(ours) => ours,
            None => {
                let claimed = metadata_payment_id(&theirs).map(str::to_string);
                let store = self.store.clone();
                let found = match claimed {
                    Some(pid) => blocking(move || store.payment(&pid)).await?,
                    None => None,
                };
                // Only a row that never learned its YooKassa id can be claimed this way.
                match found {
                    Some(p) if p.yookassa_id.is_none() => p,
                    Some(_) => {
                        tracing::warn!(yookassa = %yookassa_id, "notification whose metadata names a payment of ours with another YooKassa id; ignored");
                        self.metrics.inc(
                            "media_lab_payment_checks_total",
                            CheckOutcome::Unknown.as_str(),
                        );
                        return Ok(CheckOutcome::Unknown);
                    }
                    // No row at all (lost in a restore): adopted when the API shows it is ours.
                    None => {
                        return Ok(match self.adopt_missing(&theirs).await? {
                            Ok(PaymentUpdate::Credited { .. }) => CheckOutcome::Credited,
                            Ok(_) => CheckOutcome::AlreadyFinal,
                            Err(why) => {
                                tracing::warn!(yookassa = %yookassa_id, ?why, "notification about a payment we have no row for, not adopted");
                                self.metrics.inc(
                                    "media_lab_payment_checks_total",
                                    CheckOutcome::Unknown.as_str(),
                                );
                                CheckOutcome::Unknown
                            }
                        });
                    }
                }
            }
        };
        self.apply_api_payment(ours, &theirs).await
    }

    /// Applies the API's view of `theirs` to our payment `ours`: refuses a test payment to a live
    /// shop and metadata naming another payment, records YooKassa's id if we lacked it, then credits,
    /// cancels or waits through billing. Returns the outcome's label.
    pub(super) async fn apply_api_payment(
        &self,
        ours: Payment,
        theirs: &ApiPayment,
    ) -> Result<CheckOutcome> {
        let yookassa_id = theirs.id.as_str();
        if ours.is_final() {
            self.metrics.inc(
                "media_lab_payment_checks_total",
                CheckOutcome::AlreadyFinal.as_str(),
            );
            return Ok(CheckOutcome::AlreadyFinal);
        }
        if theirs.test && !self.is_test_shop() {
            tracing::error!(yookassa = %yookassa_id, "the API reports a test payment to a live shop; not credited");
            self.metrics.inc(
                "media_lab_payment_checks_total",
                CheckOutcome::RefusedTest.as_str(),
            );
            return Ok(CheckOutcome::RefusedTest);
        }
        if metadata_payment_id(theirs).is_some_and(|c| c != ours.id) {
            tracing::error!(yookassa = %yookassa_id, ours = %ours.id, "the API's metadata names another payment; not credited");
            self.metrics.inc(
                "media_lab_payment_checks_total",
                CheckOutcome::MetadataMismatch.as_str(),
            );
            return Ok(CheckOutcome::MetadataMismatch);
        }
        if ours.yookassa_id.is_none() {
            let recheck = i64::from(self.config.payments.yookassa_recheck_secs);
            let url = theirs
                .confirmation
                .as_ref()
                .and_then(|c| c.confirmation_url.clone());
            let (store, id, yk_id) = (self.store.clone(), ours.id.clone(), yookassa_id.to_string());
            let next = crate::time::now() + recheck;
            blocking(move || store.record_created(&id, &yk_id, url.as_deref(), next)).await?;
        }
        let paid = theirs.amount.kopecks()?;
        let status: PaymentStatus = theirs.status.parse().map_err(Error::Invalid)?;
        let (billing, pid, currency) = (
            self.billing.clone(),
            ours.id.clone(),
            theirs.amount.currency.clone(),
        );
        let update =
            blocking(move || billing.apply_payment_status(&pid, status, paid, &currency)).await?;
        let label = match &update {
            PaymentUpdate::Credited {
                telegram_id,
                amount,
                balance,
            } => {
                tracing::info!(payment = %ours.id, user = telegram_id, amount = %amount, balance = %balance, "top-up credited");
                CheckOutcome::Credited
            }
            PaymentUpdate::Mismatch {
                expected,
                got,
                currency,
            } => {
                tracing::error!(payment = %ours.id, yookassa = %yookassa_id, expected = %expected, got = %got, %currency,
                    "YooKassa reports another amount than we asked; NOT credited, see `media-lab check`");
                CheckOutcome::Mismatch
            }
            PaymentUpdate::Canceled { .. } => CheckOutcome::Canceled,
            PaymentUpdate::Pending { .. } => CheckOutcome::Pending,
            PaymentUpdate::AlreadyFinal { .. } => CheckOutcome::AlreadyFinal,
            PaymentUpdate::Unknown => CheckOutcome::Unknown,
        };
        self.metrics
            .inc("media_lab_payment_checks_total", label.as_str());
        Ok(label)
    }

    /// Re-asks YooKassa about pending payments whose check is due, backing off from
    /// YOOKASSA_RECHECK_SECS to an hour, and gives up 24 hours after a payment was created.
    pub async fn reconcile(&self) -> Result<usize> {
        let store = self.store.clone();
        let due = blocking(move || store.payments_due(64)).await?;
        let count = due.len();
        for d in due {
            let now = crate::time::now();
            let next = if now - d.payment.created_at > GIVE_UP_AFTER_SECS {
                tracing::warn!(payment = %d.payment.id, "still pending after 24 hours; no longer checked");
                None
            } else {
                let gap = i64::from(self.config.payments.yookassa_recheck_secs)
                    << d.check_attempts.clamp(0, 12);
                Some(now + gap.min(MAX_RECHECK_SECS))
            };
            if let Some(yk_id) = d.payment.yookassa_id.as_deref() {
                match self.check_payment(yk_id).await {
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(payment = %d.payment.id, error = %e, "reconciler: check failed")
                    }
                }
            }
            let store = self.store.clone();
            let id = d.payment.id.clone();
            // A payment that became final has no next check; set_status cleared it.
            blocking(move || store.schedule_next_check(&id, next)).await?;
        }
        Ok(count)
    }
}

/// The `metadata.payment_id` the API reports: the id we gave the payment when we created it.
fn metadata_payment_id(p: &ApiPayment) -> Option<&str> {
    reconcile::metadata(p, "payment_id")
}

/// The body of `POST /payments`: what the payer pays, our ids, the credit and the discount code in
/// metadata (so a
/// payment whose row was lost can be adopted, SPEC §5), and a receipt when
/// YOOKASSA_RECEIPT_EMAIL is configured (its one item totals exactly the amount paid).
/// The checkout page speaks the payer's language (`description`, `confirmation.locale`).
pub fn create_body(
    p: &Payment,
    return_url: &str,
    config: &Config,
    lang: Lang,
) -> serde_json::Value {
    let value = p.charge_amount.to_decimal();
    let description = texts::checkout_description(lang, p.amount, p.discount_percent);
    let description: String = description.chars().take(128).collect();
    let locale = match lang {
        Lang::Ru => "ru_RU",
        Lang::En => "en_US",
    };
    let mut body = serde_json::json!({
        "amount": {"value": value, "currency": p.currency},
        "capture": true,
        "confirmation": {"type": "redirect", "return_url": return_url, "locale": locale},
        "description": description,
        "metadata": {"payment_id": p.id, "telegram_id": p.telegram_id.to_string(),
                     "credit": p.amount.to_decimal()},
    });
    // The code goes along too: a payment adopted after a restore records its use, so the code
    // does not discount a second top-up.
    if let Some(code) = &p.discount_code {
        body["metadata"]["discount_code"] = code.as_str().into();
    }
    if let Some(email) = &config.payments.yookassa_receipt_email {
        body["receipt"] = serde_json::json!({
            "customer": {"email": email},
            "items": [{
                "description": description,
                "quantity": "1.00",
                "amount": {"value": value, "currency": p.currency},
                "vat_code": config.payments.yookassa_vat_code,
                "payment_mode": config.payments.yookassa_payment_mode,
                "payment_subject": config.payments.yookassa_payment_subject,
            }],
        });
    }
    body
}
