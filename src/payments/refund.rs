//! `payment refund`: give a credited top-up back through its provider, then debit the credit once
//! the provider confirms (SPEC §3). Refused, saying why, when the balance no longer covers it.

use super::Payments;
use crate::billing::{RefundDebit, Refundable};
use crate::db::blocking;
use crate::error::{Error, Result};
use teloxide::prelude::*;
use teloxide::types::{TelegramTransactionId, UserId};

/// What a refund request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Given back and debited.
    Done(RefundDebit),
    /// YooKassa took the refund but has not finished it; asking again follows it.
    Pending,
    /// Refused before anything was asked of the provider, or by the provider.
    Refused(String),
}

impl Payments {
    pub async fn refund(&self, bot: Option<&Bot>, payment_id: &str) -> Result<RefundOutcome> {
        let billing = self.billing.clone();
        let id = payment_id.to_string();
        let p = match blocking(move || billing.refundable(&id)).await? {
            Refundable::Yes(p) => p,
            Refundable::No(why) => return Ok(RefundOutcome::Refused(why)),
        };
        match p.provider.as_str() {
            "stars" => {
                let bot = bot.ok_or_else(|| {
                    Error::invalid("TELEGRAM_BOT_TOKEN is needed to refund Stars")
                })?;
                let charge = p.charge_id.clone().ok_or_else(|| {
                    Error::invalid(format!("payment {} has no Telegram charge id", p.id))
                })?;
                let user =
                    u64::try_from(p.telegram_id).map_err(|_| Error::invalid("bad user id"))?;
                match bot
                    .refund_star_payment(UserId(user), TelegramTransactionId(charge))
                    .await
                {
                    Ok(_) => {}
                    // Refunded before (by us, or in Telegram): the debit is still ours to take.
                    Err(e) if e.to_string().contains("CHARGE_ALREADY_REFUNDED") => {}
                    Err(e) => return Ok(RefundOutcome::Refused(format!("Telegram refused: {e}"))),
                }
            }
            _ => {
                let api = self
                    .api
                    .as_ref()
                    .ok_or_else(|| Error::invalid("YooKassa is not configured"))?;
                let yk = p.yookassa_id.clone().ok_or_else(|| {
                    Error::invalid(format!("payment {} has no YooKassa id", p.id))
                })?;
                let amount = serde_json::json!({"value": p.charge_amount.to_decimal(), "currency": p.currency});
                let refund = api
                    .create_refund(&yk, &amount, &format!("refund-{}", p.id))
                    .await?;
                match refund.status.as_str() {
                    "succeeded" => {}
                    "pending" => return Ok(RefundOutcome::Pending),
                    other => {
                        return Ok(RefundOutcome::Refused(format!(
                            "YooKassa answered {other} for refund {}",
                            refund.id
                        )));
                    }
                }
            }
        }
        let billing = self.billing.clone();
        let id = p.id.clone();
        let debit = blocking(move || billing.refund_confirmed(&id)).await?;
        tracing::info!(payment = %p.id, provider = %p.provider, ?debit, "refunded");
        Ok(RefundOutcome::Done(debit))
    }
}
