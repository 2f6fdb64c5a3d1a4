//! Giving a credited top-up back (SPEC §4). The check of the balance and the hold of the credit are
//! one transaction, taken before the provider is asked: the hold is the ledger debit itself (key
//! `refund:<id>`, or `refund:<id>:<n>` for a later attempt), so held money cannot be spent and two
//! refunds of one payment are one. The provider's "no" gives the hold back
//! (`refund-release:<id>:<n>`), "succeeded" marks it done, "pending" keeps it while the follower
//! asks again. A refund the provider made on its own (Telegram's refunded-payment message, or one
//! `reconcile` finds) takes what the balance holds and records the rest as a debt that the user's
//! next credits pay first.

use super::{Billing, must_get_user};
use crate::db::ledger;
use crate::db::payments::{self as pay, Payment, RefundState};
use crate::error::Result;
use crate::model::PaymentStatus;
use crate::money::Kopecks;
use rusqlite::Connection;

/// A held refund whose provider has not answered is asked about again after this long.
pub(super) const RECHECK_SECS: i64 = 60;

/// What asking to refund a payment (a top-up's `Payment`, a plan's `Period`) came to before the
/// provider is asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundHold<T = Payment> {
    /// The credit is held (a top-up's debited, a plan's operations unusable); ask the provider now.
    Held(Box<T>),
    /// A refund of this payment is already held and waits for its provider: follow that one.
    InFlight(Box<T>),
    /// Refused, in words for the operator.
    No(String),
}

/// What the end of a refund did to the books.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundDebit {
    Debited {
        telegram_id: i64,
        amount: Kopecks,
        /// What the balance no longer held (only when the provider refunded on its own): a debt.
        shortfall: Kopecks,
    },
    /// A Stars plan period was given back: its `withdrawn` operations are no longer the user's;
    /// the `used` ones were spent before Telegram refunded (only a refund Telegram made on its own
    /// can come after a use: `payment refund` refuses a used period).
    PlanEnded {
        telegram_id: i64,
        withdrawn: i64,
        used: i64,
    },
    /// Refunded before.
    Already,
    /// Not a payment of ours.
    Unknown,
}

impl Billing {
    /// Checks that `payment_id` can be refunded and holds its credit, in one transaction.
    pub fn hold_refund(&self, payment_id: &str) -> Result<RefundHold> {
        self.store.write(|tx| {
            let now = crate::time::now();
            let Some(p) = pay::find(tx, payment_id)? else {
                return Ok(RefundHold::No(format!("no payment {payment_id}")));
            };
            if p.status != PaymentStatus::Succeeded {
                return Ok(RefundHold::No(format!(
                    "payment {} is {}, not succeeded: nothing was credited",
                    p.id, p.status
                )));
            }
            match p.refund.state {
                Some(RefundState::Refunded) => {
                    return Ok(RefundHold::No(format!(
                        "payment {} was refunded already",
                        p.id
                    )));
                }
                Some(RefundState::Refunding) => return Ok(RefundHold::InFlight(Box::new(p))),
                None => {}
            }
            let user = must_get_user(tx, p.telegram_id)?;
            if user.balance < p.amount {
                return Ok(RefundHold::No(format!(
                    "the balance of user {} is {} ₽, less than the {} ₽ this payment credited: \
                     what was spent cannot be given back",
                    p.telegram_id, user.balance, p.amount
                )));
            }
            let attempt = p.refund.attempts + 1;
            pay::hold_refund(tx, &p.id, attempt, now + RECHECK_SECS, now)?;
            debit(tx, &p, p.amount, &ledger::key::refund(&p.id, attempt), now)?;
            let p = pay::get(tx, &p.id)?.unwrap_or(p);
            Ok(RefundHold::Held(Box::new(p)))
        })
    }

    /// The provider confirmed a refund of `payment_id`: our hold becomes the debit, once; a payment
    /// with no hold (the provider refunded on its own) is debited now, the rest a debt (`finish`).
    pub fn refund_succeeded(
        &self,
        payment_id: &str,
        refund_id: Option<&str>,
    ) -> Result<RefundDebit> {
        self.store.write(|tx| finish(tx, payment_id, refund_id))
    }

    /// The provider has not finished: its refund id recorded, the hold kept, asked again later.
    pub fn refund_pending(&self, payment_id: &str, refund_id: Option<&str>) -> Result<()> {
        self.store.write(|tx| {
            let now = crate::time::now();
            pay::follow_refund(tx, payment_id, refund_id, now + RECHECK_SECS, now)
        })
    }

    /// The provider said no (or canceled the refund): the hold is given back. False when there was
    /// no hold.
    pub fn release_refund(&self, payment_id: &str) -> Result<bool> {
        self.store.write(|tx| {
            let now = crate::time::now();
            let Some(p) = pay::get(tx, payment_id)? else {
                return Ok(false);
            };
            if p.refund.state != Some(RefundState::Refunding) || !pay::clear_refund(tx, &p.id, now)?
            {
                return Ok(false);
            }
            let reason = format!("refund of payment {} not made", p.id);
            ledger::append(
                tx,
                &ledger::Entry {
                    telegram_id: p.telegram_id,
                    kind: ledger::Kind::Adjustment,
                    amount: p.amount,
                    free_ops: 0,
                    key: &ledger::key::refund_release(&p.id, p.refund.attempts),
                    operation_id: None,
                    payment_id: Some(&p.id),
                    reason: Some(&reason),
                },
                now,
            )?;
            Ok(true)
        })
    }

    /// Telegram says a Stars payment was refunded (our `payment refund`, or Telegram's own): a
    /// top-up's credit is taken back, a plan period's operations end.
    pub fn stars_refunded(&self, charge_id: &str) -> Result<RefundDebit> {
        self.store
            .write(|tx| match pay::by_charge_id(tx, charge_id)? {
                Some(p) => finish(tx, &p.id, None),
                None => super::plans::end_refunded(tx, charge_id),
            })
    }

    /// Held refunds to ask their provider about now (with `all`, every held refund).
    pub fn refunds_due(&self, limit: u32, all: bool) -> Result<Vec<Payment>> {
        let until = if all { i64::MAX } else { crate::time::now() };
        self.store.read(|c| pay::refunds_due(c, until, limit))
    }
}

/// Ends the refund of `payment_id`: a held one is marked done (the hold is the debit); one never
/// held is debited now, as far as the balance goes, the rest recorded as debt. Either way the
/// referral bonus the payment earned is taken back as far as it is unspent.
fn finish(tx: &Connection, payment_id: &str, refund_id: Option<&str>) -> Result<RefundDebit> {
    let now = crate::time::now();
    let Some(p) = pay::get(tx, payment_id)? else {
        return Ok(RefundDebit::Unknown);
    };
    let debited = match p.refund.state {
        Some(RefundState::Refunded) => return Ok(RefundDebit::Already),
        Some(RefundState::Refunding) => {
            pay::set_refunded(tx, &p.id, refund_id, Kopecks::ZERO, now)?;
            RefundDebit::Debited {
                telegram_id: p.telegram_id,
                amount: p.amount,
                shortfall: Kopecks::ZERO,
            }
        }
        None => {
            let user = must_get_user(tx, p.telegram_id)?;
            let take = p.amount.min(user.balance);
            let shortfall = Kopecks(p.amount.0 - take.0);
            let attempt = p.refund.attempts + 1;
            pay::hold_refund(tx, &p.id, attempt, now, now)?;
            debit(tx, &p, take, &ledger::key::refund(&p.id, attempt), now)?;
            pay::set_refunded(tx, &p.id, refund_id, shortfall, now)?;
            ledger::add_debt(tx, p.telegram_id, shortfall, now)?;
            if shortfall.is_positive() {
                tracing::warn!(payment = %p.id, user = p.telegram_id, %shortfall,
                    "a refund took more than the balance held: the rest is a debt the next credits pay");
            }
            RefundDebit::Debited {
                telegram_id: p.telegram_id,
                amount: take,
                shortfall,
            }
        }
    };
    super::referrals::take_back_bonus(tx, &p.id, now)?;
    Ok(debited)
}

/// The ledger row that takes `amount` of `p`'s credit back under `key`.
fn debit(tx: &Connection, p: &Payment, amount: Kopecks, key: &str, now: i64) -> Result<()> {
    let reason = format!("refund of payment {}", p.id);
    // A zero debit (nothing left on the balance) is still recorded: the key marks the attempt.
    ledger::append(
        tx,
        &ledger::Entry {
            telegram_id: p.telegram_id,
            kind: ledger::Kind::Adjustment,
            amount: Kopecks(-amount.0),
            free_ops: 0,
            key,
            operation_id: None,
            payment_id: Some(&p.id),
            reason: Some(&reason),
        },
        now,
    )?;
    Ok(())
}
