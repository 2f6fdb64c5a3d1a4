//! Top-ups: the payment draft (with any discount) and crediting it exactly once on YooKassa's word.

use super::promo::usable;
use super::{Billing, must_get_user};
use crate::db::{self, ledger, payments::Payment, promo};
use crate::error::{Error, Result};
use crate::model::Notice;
use crate::model::{CodeRefusal, PaymentStatus, Provider};
use crate::model::{PromoCode, PromoKind};
use crate::money::{Kopecks, discounted};

/// The smallest and largest top-up a user may ask for.
pub const MIN_TOPUP: Kopecks = Kopecks(100);
pub const MAX_TOPUP: Kopecks = Kopecks(10_000_000);

/// What a draft sells: `credit` kopecks for `price` in `currency`'s smallest unit (kopecks, or
/// whole Stars), and how a discount lowers that price for this provider.
pub(super) struct Offer {
    pub provider: Provider,
    pub credit: Kopecks,
    pub price: i64,
    pub currency: String,
    pub discount: fn(i64, u8) -> i64,
}

/// A succeeded YooKassa payment to adopt: what the API and our metadata in it say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adoption {
    pub payment_id: String,
    pub telegram_id: i64,
    pub credit: Kopecks,
    pub paid: Kopecks,
    pub currency: String,
    pub yookassa_id: String,
    /// The discount code the payment was drafted with (metadata `discount_code`).
    pub discount_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPayment {
    pub payment: Payment,
    /// The user's pending discount code, if it stopped being valid since it was applied (and so was not
    /// used for this payment).
    pub dropped_code: Option<(String, CodeRefusal)>,
    /// The user's own unpaid draft that holds the pending discount code: this payment carries no
    /// discount, and the bot offers that draft's pay button instead (SPEC §4).
    pub held_by: Option<Payment>,
}

/// What applying YooKassa's view of a payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentUpdate {
    /// Not one of ours.
    Unknown,
    /// Already succeeded, canceled or mismatched: nothing changes any more.
    AlreadyFinal {
        status: PaymentStatus,
    },
    /// Credited now, exactly once.
    Credited {
        telegram_id: i64,
        amount: Kopecks,
        balance: Kopecks,
    },
    /// YooKassa says it succeeded with another amount or currency than we asked: not credited.
    Mismatch {
        expected: Kopecks,
        got: Kopecks,
        currency: String,
    },
    Canceled {
        telegram_id: i64,
    },
    /// Still pending (or waiting for capture).
    Pending {
        status: PaymentStatus,
    },
}

impl Billing {
    /// Records a new YooKassa top-up of `amount` (what will be credited). The payer is charged the
    /// amount less the user's pending discount code (see `draft`). The caller then creates it at
    /// YooKassa.
    pub fn create_payment(&self, telegram_id: i64, amount: Kopecks) -> Result<NewPayment> {
        self.create_payment_as(telegram_id, amount, None)
    }

    /// `create_payment` under a chosen id (`mlp-…`); None draws one.
    pub fn create_payment_as(
        &self,
        telegram_id: i64,
        amount: Kopecks,
        id: Option<String>,
    ) -> Result<NewPayment> {
        if amount < MIN_TOPUP || amount > MAX_TOPUP {
            return Err(Error::invalid(format!(
                "a top-up must be from {MIN_TOPUP} to {MAX_TOPUP} roubles"
            )));
        }
        self.draft(
            telegram_id,
            id,
            Offer {
                provider: Provider::YooKassa,
                credit: amount,
                price: amount.0,
                currency: self.config.payments.yookassa_currency.clone(),
                discount: |price, percent| discounted(Kopecks(price), percent).0,
            },
        )
    }

    /// Records a new payment draft of `offer`: the payer pays its price less the user's pending
    /// discount code, if it is still valid and not held by another live draft of theirs; a
    /// discounted draft reserves the code in this same transaction, so a code is never given more
    /// than once per user nor more than max-uses times, however drafts of either provider interleave.
    pub(super) fn draft(
        &self,
        telegram_id: i64,
        id: Option<String>,
        offer: Offer,
    ) -> Result<NewPayment> {
        let id = match id {
            Some(id) if id.starts_with("mlp-") && id.len() <= 64 && !id.contains(':') => id,
            Some(id) => return Err(Error::invalid(format!("{id:?} is not a payment id"))),
            None => crate::ids::random_id("mlp-")?,
        };
        self.store.write(|tx| {
            let user = must_get_user(tx, telegram_id)?;
            let now = crate::time::now();
            let mut dropped_code = None;
            let mut held_by = None;
            let mut discount = None;
            if let Some(code) = user.pending_discount_code.as_deref() {
                let holder = promo::reserved_by(tx, telegram_id, code)?;
                match usable(tx, telegram_id, code)? {
                    Ok(_) if holder.is_some() => {
                        held_by = match holder {
                            Some(pid) => db::payments::get(tx, &pid)?,
                            None => None,
                        };
                    }
                    Ok(PromoCode {
                        kind: PromoKind::Percent(p),
                        code,
                        ..
                    }) => discount = Some((code, p)),
                    Ok(_) => {
                        db::users::set_pending_discount_code(tx, telegram_id, None)?;
                        dropped_code = Some((code.to_string(), CodeRefusal::WrongKind));
                    }
                    Err(refusal) => {
                        db::users::set_pending_discount_code(tx, telegram_id, None)?;
                        dropped_code = Some((code.to_string(), refusal));
                    }
                }
            }
            let percent = discount.as_ref().map_or(0, |(_, p)| *p);
            let payment = Payment {
                discount_code: discount.as_ref().map(|(c, _)| c.clone()),
                discount_percent: percent,
                ..Payment::created(
                    id.clone(),
                    telegram_id,
                    offer.provider,
                    offer.credit,
                    Kopecks((offer.discount)(offer.price, percent)),
                    &offer.currency,
                    now,
                )
            };
            db::payments::insert(tx, &payment, now)?;
            if let Some((code, _)) = &discount
                && !promo::reserve(tx, telegram_id, code, &id, now)?
            {
                // usable() saw neither a use nor a reservation of this user under the same write lock.
                return Err(Error::internal(format!(
                    "the code {code} could not be reserved for {id}"
                )));
            }
            Ok(NewPayment {
                payment,
                dropped_code,
                held_by,
            })
        })
    }

    /// Applies what the YooKassa API (never a notification body) says about our payment `payment_id`:
    /// `status`, and the `paid` amount in `currency`. A success is credited once, with the full amount
    /// of the top-up; a final status never moves back.
    pub fn apply_payment_status(
        &self,
        payment_id: &str,
        status: PaymentStatus,
        paid: Kopecks,
        currency: &str,
    ) -> Result<PaymentUpdate> {
        self.store
            .write(|tx| apply_status(tx, payment_id, status, paid, currency, self.bonus()))
    }

    /// Adopts a succeeded YooKassa payment we have no row for (a database restored from a replica
    /// that missed its last seconds, SPEC §5): the row is recorded from the API's data and
    /// `metadata`, and the success applied as for any other payment, in one transaction, so it is credited once. The
    /// caller has checked that the API, asked with our credentials, shows it is ours. A user whose
    /// row was lost too is created as on first contact.
    pub fn adopt_payment(&self, a: &Adoption) -> Result<PaymentUpdate> {
        self.store.write(|tx| {
            let now = crate::time::now();
            if db::payments::get(tx, &a.payment_id)?.is_none() {
                self.ensure_user_in(tx, a.telegram_id, None)?;
                let payment = Payment::created(
                    a.payment_id.clone(),
                    a.telegram_id,
                    Provider::YooKassa,
                    a.credit,
                    a.paid,
                    &a.currency,
                    now,
                );
                let payment = with_lost_code(tx, payment, a.discount_code.as_deref())?;
                db::payments::insert(tx, &payment, now)?;
                db::payments::set_created(tx, &a.payment_id, &a.yookassa_id, None, "pending", now, now)?;
                tracing::warn!(payment = %a.payment_id, yookassa = %a.yookassa_id, user = a.telegram_id,
                    credit = %a.credit, code = ?payment.discount_code,
                    "adopted a YooKassa payment we had no row for");
            }
            apply_status(tx, &a.payment_id, PaymentStatus::Succeeded, a.paid, &a.currency, self.bonus())
        })
    }

    /// Cancels a draft that never reached the payer (the provider refused to create it), releasing
    /// its discount reservation. A final payment is left as it is.
    pub fn cancel_payment(&self, payment_id: &str) -> Result<bool> {
        self.store.write(|tx| {
            let moved = db::payments::set_status(
                tx,
                payment_id,
                PaymentStatus::Canceled,
                crate::time::now(),
            )?;
            if moved {
                promo::release(tx, payment_id)?;
            }
            Ok(moved)
        })
    }
}

/// A payment made again from what its provider kept (YooKassa's metadata, a Stars payload) after its
/// row was lost, with the discount code it was drafted with: its credit then records that code's
/// use as for any discounted draft, so a restored database's pending code does not discount a
/// second top-up. A code we no longer have (or not a top-up code) is left off.
pub(super) fn with_lost_code(
    tx: &rusqlite::Connection,
    payment: Payment,
    code: Option<&str>,
) -> Result<Payment> {
    let found = match code {
        Some(code) => promo::get(tx, code)?,
        None => None,
    };
    Ok(match found {
        Some(PromoCode {
            code,
            kind: PromoKind::Percent(percent),
            ..
        }) => Payment {
            discount_code: Some(code),
            discount_percent: percent,
            ..payment
        },
        _ => payment,
    })
}

/// Applies the API's `status` and `paid` amount to our payment `payment_id` inside `tx` (see
/// `Billing::apply_payment_status`).
fn apply_status(
    tx: &rusqlite::Connection,
    payment_id: &str,
    status: PaymentStatus,
    paid: Kopecks,
    currency: &str,
    referral: super::referrals::Rule,
) -> Result<PaymentUpdate> {
    let Some(payment) = db::payments::get(tx, payment_id)? else {
        return Ok(PaymentUpdate::Unknown);
    };
    if payment.is_final() {
        return Ok(PaymentUpdate::AlreadyFinal {
            status: payment.status,
        });
    }
    let now = crate::time::now();
    match status {
        PaymentStatus::Succeeded
            if paid != payment.charge_amount || currency != payment.currency =>
        {
            db::payments::set_status(tx, payment_id, PaymentStatus::Mismatch, now)?;
            // Never credited, so its discount was never given.
            promo::release(tx, payment_id)?;
            Ok(PaymentUpdate::Mismatch {
                expected: payment.charge_amount,
                got: paid,
                currency: currency.to_string(),
            })
        }
        PaymentStatus::Succeeded => {
            db::payments::set_status(tx, payment_id, PaymentStatus::Succeeded, now)?;
            let telegram_id = payment.telegram_id;
            credit_row(tx, &payment, &ledger::key::payment(payment_id), now)?;
            let user = after_credit(tx, &payment, now, referral)?;
            Ok(PaymentUpdate::Credited {
                telegram_id,
                amount: payment.amount,
                balance: user.balance,
            })
        }
        PaymentStatus::Canceled => {
            db::payments::set_status(tx, payment_id, PaymentStatus::Canceled, now)?;
            promo::release(tx, payment_id)?;
            Ok(PaymentUpdate::Canceled {
                telegram_id: payment.telegram_id,
            })
        }
        PaymentStatus::Pending | PaymentStatus::WaitingForCapture => {
            if payment.status != status {
                db::payments::set_status(tx, payment_id, status, now)?;
            }
            Ok(PaymentUpdate::Pending { status })
        }
        // Neither provider reports these: ours alone (the draft) or ours only (a wrong amount).
        PaymentStatus::Created | PaymentStatus::Mismatch => Err(Error::invalid(format!(
            "{status} is not a status the provider reports"
        ))),
    }
}

/// A top-up's credit: the ledger row of its full amount under `key` (the provider's idempotency
/// key). False when that key was credited before.
pub(super) fn credit_row(
    tx: &rusqlite::Connection,
    payment: &Payment,
    key: &str,
    now: i64,
) -> Result<bool> {
    ledger::append(
        tx,
        &ledger::Entry {
            telegram_id: payment.telegram_id,
            kind: ledger::Kind::Topup,
            amount: payment.amount,
            free_ops: 0,
            key,
            operation_id: None,
            payment_id: Some(&payment.id),
            reason: payment.discount_code.as_deref(),
        },
        now,
    )
}

/// What follows a top-up's credit row, for either provider, in its transaction: the discount
/// reservation becomes the use (a payment that succeeds is credited in full whatever happened to
/// codes; a draft from before reservations records the use now), the applied code is cleared,
/// and the "credited" notice is queued. Returns the user as they now are.
pub(super) fn after_credit(
    tx: &rusqlite::Connection,
    payment: &Payment,
    now: i64,
    referral: super::referrals::Rule,
) -> Result<crate::model::User> {
    let telegram_id = payment.telegram_id;
    if let Some(code) = payment.discount_code.as_deref()
        && !promo::consume(tx, &payment.id, now)?
    {
        promo::record_use(tx, telegram_id, code, Some(&payment.id), now)?;
    }
    let user = must_get_user(tx, telegram_id)?;
    if user.pending_discount_code.is_some() && user.pending_discount_code == payment.discount_code {
        db::users::set_pending_discount_code(tx, telegram_id, None)?;
    }
    db::notices::insert(
        tx,
        telegram_id,
        &Notice::TopupCredited {
            payment_id: payment.id.clone(),
            amount: payment.amount,
            balance: user.balance,
        },
        now,
    )?;
    // An invited user's first top-up rewards both, in this same transaction (told after the credit).
    super::referrals::reward_first_topup(tx, payment, referral, now)?;
    must_get_user(tx, telegram_id)
}
