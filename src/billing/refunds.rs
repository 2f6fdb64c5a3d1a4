//! Giving a credited top-up back: the debit of its credit, once, after the provider confirmed the
//! refund (`payment refund`) or told us of one (Telegram's refunded-payment message).

use super::{Billing, must_get_user};
use crate::db::{self, ledger, payments::Payment};
use crate::error::Result;
use crate::money::Kopecks;

/// Whether a payment can be refunded now, and if not why, in words for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refundable {
    Yes(Box<Payment>),
    No(String),
}

impl Billing {
    /// Telegram says a Stars payment was refunded (our `payment refund`, or Telegram's own): its
    /// credit is taken back once (ledger key `refund:<payment id>`), as far as the balance still
    /// holds it — the Stars are already back with the payer.
    pub fn stars_refunded(&self, charge_id: &str) -> Result<RefundDebit> {
        self.store.write(|tx| {
            let Some(p) = db::payments::by_charge_id(tx, charge_id)? else {
                return Ok(RefundDebit::Unknown);
            };
            debit_refund(tx, &p, false)
        })
    }

    /// Whether `payment_id` can be refunded: credited, not refunded yet, and its credit still on
    /// the balance (a refund gives back what was paid, so it must take back all it gave).
    pub fn refundable(&self, payment_id: &str) -> Result<Refundable> {
        self.store.read(|c| {
            let Some(p) = db::payments::get(c, payment_id)? else {
                return Ok(Refundable::No(format!("no payment {payment_id}")));
            };
            if p.status != "succeeded" {
                return Ok(Refundable::No(format!(
                    "payment {} is {}, not succeeded: nothing was credited",
                    p.id, p.status
                )));
            }
            if db::payments::refunded_at(c, &p.id)?.is_some() {
                return Ok(Refundable::No(format!("payment {} was refunded already", p.id)));
            }
            let user = must_get_user(c, p.telegram_id)?;
            if user.balance < p.amount {
                return Ok(Refundable::No(format!(
                    "the balance of user {} is {} ₽, less than the {} ₽ this payment credited; \
                     refund by hand (the provider's dashboard) and debit with `user credit` if you must",
                    p.telegram_id, user.balance, p.amount
                )));
            }
            Ok(Refundable::Yes(Box::new(p)))
        })
    }

    /// The provider confirmed the refund of `payment_id`: its credit is debited once.
    pub fn refund_confirmed(&self, payment_id: &str) -> Result<RefundDebit> {
        self.store
            .write(|tx| match db::payments::get(tx, payment_id)? {
                Some(p) => debit_refund(tx, &p, false),
                None => Ok(RefundDebit::Unknown),
            })
    }
}

/// What taking back a refunded top-up's credit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundDebit {
    Debited {
        telegram_id: i64,
        amount: Kopecks,
        /// What the balance no longer held (only when the provider refunded on its own).
        shortfall: Kopecks,
    },
    /// Refunded before.
    Already,
    /// Not a payment of ours.
    Unknown,
    /// `payment refund` asked for more than the balance still holds: nothing done.
    NotCovered { balance: Kopecks },
}

/// Debits the credit of refunded payment `p` once. `whole`: refuse unless the balance covers all of
/// it (our own refunds, before the provider is asked); otherwise take what is there.
pub(super) fn debit_refund(
    tx: &rusqlite::Connection,
    p: &Payment,
    whole: bool,
) -> Result<RefundDebit> {
    let now = crate::time::now();
    let user = must_get_user(tx, p.telegram_id)?;
    if whole && user.balance < p.amount {
        return Ok(RefundDebit::NotCovered {
            balance: user.balance,
        });
    }
    if !db::payments::set_refunded(tx, &p.id, now)? {
        return Ok(RefundDebit::Already);
    }
    let amount = p.amount.min(user.balance);
    let reason = format!("refund of payment {}", p.id);
    ledger::append(
        tx,
        &ledger::Entry {
            telegram_id: p.telegram_id,
            kind: ledger::Kind::Adjustment,
            amount: Kopecks(-amount.0),
            free_ops: 0,
            key: &format!("refund:{}", p.id),
            operation_id: None,
            payment_id: Some(&p.id),
            reason: Some(&reason),
        },
        now,
    )?;
    Ok(RefundDebit::Debited {
        telegram_id: p.telegram_id,
        amount,
        shortfall: Kopecks(p.amount.0 - amount.0),
    })
}
