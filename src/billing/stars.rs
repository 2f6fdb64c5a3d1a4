//! Telegram Stars top-ups (SPEC §5b): a draft per invoice (under the same discount reservation as
//! YooKassa's), the pre-checkout verdict, and the credit of a `successful_payment` exactly once,
//! keyed to Telegram's charge id.

use super::Billing;
use super::topup::{NewPayment, Offer, after_credit, credit_row};
use crate::db::{self, payments::Payment};
use crate::error::{Error, Result};
use crate::model::CheckoutRefusal;
use crate::model::{PaymentStatus, Provider};
use crate::money::Kopecks;

/// Stars are whole: a discount rounds the price up to the next Star.
pub fn discounted_stars(stars: i64, percent: u8) -> i64 {
    let scaled = stars * (100 - i64::from(percent.min(99)));
    (scaled + 99) / 100
}

/// What a `successful_payment` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StarsCredit {
    Credited {
        payment_id: String,
        amount: Kopecks,
        balance: Kopecks,
    },
    /// This charge was credited before (a redelivered update).
    Already,
}

/// The invoice payload: our payment id, the kopecks it credits and the discount code it was drafted
/// with (`mlp-…:10000[:CODE]`), so a payment whose row was lost (a database restored from an older
/// copy) is still credited right and uses its code. At most 128 bytes, Telegram's limit: a code that
/// would not fit is left off.
pub fn payload(p: &Payment) -> String {
    let plain = format!("{}:{}", p.id, p.amount.0);
    match &p.discount_code {
        Some(code) if plain.len() + 1 + code.len() <= 128 => format!("{plain}:{code}"),
        _ => plain,
    }
}

/// (payment id, credit, discount code) of one of our payloads.
fn parse_payload(payload: &str) -> Option<(&str, Kopecks, Option<&str>)> {
    let mut parts = payload.splitn(3, ':');
    let (id, credit, code) = (parts.next()?, parts.next()?, parts.next());
    let credit = Kopecks(credit.parse().ok()?);
    let code_ok = code.is_none_or(|c| super::normalize_code(c).is_ok_and(|n| n == c));
    (id.starts_with("mlp-")
        && id.len() <= 64
        && credit.is_positive()
        && credit <= super::MAX_TOPUP
        && code_ok)
        .then_some((id, credit, code))
}

impl Billing {
    /// A draft for an invoice of `stars` Stars, crediting `stars` × STARS_RATE.
    pub fn create_stars_payment(&self, telegram_id: i64, stars: u32) -> Result<NewPayment> {
        let credit = Kopecks(i64::from(stars) * self.config.payments.stars_rate.0);
        if stars == 0 || credit > super::MAX_TOPUP {
            return Err(Error::invalid(format!(
                "a Stars top-up must be from 1 Star to {} roubles",
                super::MAX_TOPUP
            )));
        }
        self.draft(
            telegram_id,
            None,
            Offer {
                provider: Provider::Stars,
                credit,
                price: i64::from(stars),
                currency: "XTR".into(),
                discount: discounted_stars,
            },
        )
    }

    /// The answer to a `pre_checkout_query`: ok only for our live invoice of this user, with this
    /// amount and currency, younger than STARS_INVOICE_TTL_SECS. Read-only.
    pub fn stars_checkout(
        &self,
        telegram_id: i64,
        invoice_payload: &str,
        currency: &str,
        total: u32,
    ) -> Result<std::result::Result<(), CheckoutRefusal>> {
        let Some((id, credit, _)) = parse_payload(invoice_payload) else {
            return Ok(Err(CheckoutRefusal::Unknown));
        };
        let Some(p) = self.store.payment(id)? else {
            return Ok(Err(CheckoutRefusal::Unknown));
        };
        let age = crate::time::now() - p.created_at;
        Ok(
            if p.provider != Provider::Stars || p.telegram_id != telegram_id || p.amount != credit {
                Err(CheckoutRefusal::Unknown)
            } else if p.status != PaymentStatus::Created {
                Err(CheckoutRefusal::Closed)
            } else if currency != "XTR" || i64::from(total) != p.charge_amount.0 {
                Err(CheckoutRefusal::Changed)
            } else if age > i64::from(self.config.payments.stars_invoice_ttl_secs) {
                Err(CheckoutRefusal::Expired)
            } else {
                Ok(())
            },
        )
    }

    /// Credits a `successful_payment` exactly once (ledger key `stars:<charge id>`) and marks its
    /// payment succeeded in the same transaction; the Stars are Telegram's to hold, so the payer is
    /// credited whatever became of the draft. A payment whose row is missing is credited from the
    /// payload and recorded.
    pub fn credit_stars(
        &self,
        telegram_id: i64,
        invoice_payload: &str,
        total: u32,
        charge_id: &str,
    ) -> Result<StarsCredit> {
        let (id, credit, code) = parse_payload(invoice_payload).ok_or_else(|| {
            Error::invalid(format!("not our invoice payload: {invoice_payload:?}"))
        })?;
        let new_id = crate::ids::random_id("mlp-")?;
        self.store.write(|tx| {
            let now = crate::time::now();
            let row = db::payments::get(tx, id)?.filter(|p| p.telegram_id == telegram_id);
            let payment = match row {
                Some(p) => p,
                None => {
                    // Lost (a restored database) or not this payer's: recorded from the payload.
                    let row_id = if db::payments::get(tx, id)?.is_none() {
                        id.to_string()
                    } else {
                        new_id.clone()
                    };
                    let stars = Kopecks(i64::from(total).max(1));
                    let p = Payment::created(row_id, telegram_id, Provider::Stars, credit, stars, "XTR", now);
                    let p = super::topup::with_lost_code(tx, p, code)?;
                    // The user's row may be lost with it: created as on first contact.
                    self.ensure_user_in(tx, telegram_id, None)?;
                    db::payments::insert(tx, &p, now)?;
                    tracing::warn!(payment = %p.id, charge = charge_id, "a Stars payment without its draft: credited from the payload");
                    p
                }
            };
            let credited = credit_row(tx, &payment, &db::ledger::key::stars(charge_id), now)?;
            if !credited {
                return Ok(StarsCredit::Already);
            }
            db::payments::set_paid_by_charge(tx, &payment.id, charge_id, now)?;
            let user = after_credit(tx, &payment, now, self.bonus())?;
            Ok(StarsCredit::Credited {
                payment_id: payment.id,
                amount: payment.amount,
                balance: user.balance,
            })
        })
    }

    /// Cancels Stars invoices left unpaid past their checkout window (with a margin for a payment
    /// on its way), releasing any discount they reserved. Returns how many.
    pub fn expire_stars_invoices(&self) -> Result<usize> {
        let before =
            crate::time::now() - i64::from(self.config.payments.stars_invoice_ttl_secs) - 300;
        let ids = self.store.read(|c| db::payments::unpaid_stars(c, before))?;
        let mut n = 0;
        for id in ids {
            if self.cancel_payment(&id)? {
                n += 1;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_discounts_round_up_and_payloads_parse() {
        assert_eq!(discounted_stars(100, 10), 90);
        assert_eq!(discounted_stars(99, 10), 90); // 89.1 → 90
        assert_eq!(discounted_stars(1, 50), 1);
        assert_eq!(discounted_stars(100, 0), 100);
        assert_eq!(
            parse_payload("mlp-abc:10000"),
            Some(("mlp-abc", Kopecks(10000), None))
        );
        assert_eq!(
            parse_payload("mlp-abc:10000:MEGA50"),
            Some(("mlp-abc", Kopecks(10000), Some("MEGA50")))
        );
        for bad in [
            "mlp-abc:100:mega50",
            "mlp-abc:100:",
            "mlp-abc:100:A:B",
            "",
            "mlp-abc",
            "x-abc:100",
            "mlp-abc:-5",
            "mlp-abc:0",
            "mlp-a:999999999999",
        ] {
            assert_eq!(parse_payload(bad), None, "{bad}");
        }
    }
}
