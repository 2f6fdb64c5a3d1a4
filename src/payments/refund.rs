//! `payment refund` and the follower of held refunds (SPEC §3, §4): the credit is held before the
//! provider is asked (billing does that in one transaction with the balance check), then the
//! provider's answer ends the hold — "succeeded" keeps the debit, "no"/"canceled" gives it back,
//! "pending" or no answer at all leaves it held for the follower, which asks again until the
//! provider says how it ended.

use super::Payments;
use crate::billing::{RefundDebit, RefundHold};
use crate::db::{blocking, payments::Payment, plans::Period};
use crate::error::{Error, Result};
use crate::model::Provider;
use teloxide::prelude::*;
use teloxide::types::{TelegramTransactionId, UserId};

/// What a refund request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOutcome {
    /// Given back and debited.
    Done(RefundDebit),
    /// The provider has not finished (or could not be asked): the credit stays held and the
    /// running bot's follower finishes it.
    Pending,
    /// Refused before anything was asked of the provider, or by the provider; the hold, if one was
    /// taken, is given back.
    Refused(String),
}

/// What the provider said about a refund.
enum Answer {
    Succeeded(Option<String>),
    Pending(Option<String>),
    No(String),
}

impl Payments {
    /// Refunds a credited top-up through its provider. The Bot API client (`with_bot`) is needed
    /// for Stars.
    pub async fn refund(&self, payment_id: &str) -> Result<RefundOutcome> {
        let store = self.store.clone();
        let id = payment_id.to_string();
        let found = blocking(move || store.find_payment(&id)).await?;
        if let Some(p) = &found {
            // Said before anything is held: without the provider's client nothing can be asked.
            self.client_for(p)?;
        }
        let billing = self.billing.clone();
        let id = payment_id.to_string();
        let p = match blocking(move || billing.hold_refund(&id)).await? {
            RefundHold::Held(p) => p,
            RefundHold::InFlight(p) => return self.follow(&p).await,
            RefundHold::No(why) => return Ok(RefundOutcome::Refused(why)),
        };
        self.follow(&p).await
    }

    /// Gives back a Stars plan payment (SPEC §8b) whose operations are all unused: the period is held
    /// while Telegram is asked, ended when it refunds, the user's again when it refuses. No answer
    /// keeps it held for the follower (asking again cannot refund twice; Telegram's refunded-payment
    /// update or `reconcile` also end it if the refund was made).
    pub async fn refund_plan(&self, charge_id: &str) -> Result<RefundOutcome> {
        let bot = self
            .bot
            .as_ref()
            .ok_or_else(|| Error::invalid("TELEGRAM_BOT_TOKEN is needed to refund Stars"))?;
        let billing = self.billing.clone();
        let charge = charge_id.to_string();
        match blocking(move || billing.hold_plan_refund(&charge)).await? {
            RefundHold::Held(p) | RefundHold::InFlight(p) => self.follow_plan(bot, &p).await,
            RefundHold::No(why) => Ok(RefundOutcome::Refused(why)),
        }
    }

    /// Asks Telegram to make the held refund of plan period `p` and applies the answer.
    async fn follow_plan(&self, bot: &Bot, p: &Period) -> Result<RefundOutcome> {
        let billing = self.billing.clone();
        let charge = p.charge_id.clone();
        match ask_stars(bot, p.telegram_id, &p.charge_id).await {
            Ok(Answer::Succeeded(_)) => {
                let ended = blocking(move || billing.stars_refunded(&charge)).await?;
                tracing::info!(charge = %p.charge_id, ?ended, "plan payment refunded");
                Ok(RefundOutcome::Done(ended))
            }
            Ok(Answer::No(why)) | Err(Error::Invalid(why)) => {
                blocking(move || billing.release_plan_refund(&charge)).await?;
                tracing::warn!(charge = %p.charge_id, %why, "plan refund refused by Telegram; the period is back");
                Ok(RefundOutcome::Refused(why))
            }
            Ok(Answer::Pending(_)) | Err(_) => {
                blocking(move || billing.plan_refund_pending(&charge)).await?;
                Ok(RefundOutcome::Pending)
            }
        }
    }

    /// Asks the provider about the held refund of `p` (making it, or asking how it stands) and
    /// applies the answer.
    async fn follow(&self, p: &Payment) -> Result<RefundOutcome> {
        let answer = match self.ask(p).await {
            Ok(answer) => answer,
            // The payment cannot be refunded as recorded (no provider id): asking again would not
            // change that, so the hold is given back rather than kept for ever.
            Err(e @ Error::Invalid(_)) => Answer::No(e.to_string()),
            // No answer (network, 5xx, flood control): the refund may or may not be made; held and
            // asked again with the same key, which cannot make a second one.
            Err(e) => {
                tracing::warn!(payment = %p.id, error = %e, "refund: the provider did not answer; held and followed");
                Answer::Pending(None)
            }
        };
        let billing = self.billing.clone();
        let id = p.id.clone();
        match answer {
            Answer::Succeeded(refund_id) => {
                let debit =
                    blocking(move || billing.refund_succeeded(&id, refund_id.as_deref())).await?;
                tracing::info!(payment = %p.id, provider = %p.provider, ?debit, "refunded");
                Ok(RefundOutcome::Done(debit))
            }
            Answer::Pending(refund_id) => {
                blocking(move || billing.refund_pending(&id, refund_id.as_deref())).await?;
                Ok(RefundOutcome::Pending)
            }
            Answer::No(why) => {
                blocking(move || billing.release_refund(&id)).await?;
                tracing::warn!(payment = %p.id, %why, "refund refused by the provider; the credit is back");
                Ok(RefundOutcome::Refused(why))
            }
        }
    }

    /// One question to the provider. YooKassa: a refund with a known id is fetched, otherwise
    /// created with the attempt's own Idempotence-Key (asking again returns the same refund).
    /// Stars: `refundStarPayment`, where CHARGE_ALREADY_REFUNDED means it is done.
    async fn ask(&self, p: &Payment) -> Result<Answer> {
        let client = self.client_for(p)?;
        let refund = match client {
            Client::Stars(bot) => {
                let charge = p.charge_id.as_deref().ok_or_else(|| {
                    Error::invalid(format!("payment {} has no Telegram charge id", p.id))
                })?;
                return ask_stars(bot, p.telegram_id, charge).await;
            }
            Client::YooKassa(api) => match &p.refund.provider_id {
                Some(refund_id) => api.get_refund(refund_id).await,
                None => {
                    let yk = p.yookassa_id.clone().ok_or_else(|| {
                        Error::invalid(format!("payment {} has no YooKassa id", p.id))
                    })?;
                    let amount = serde_json::json!({"value": p.charge_amount.to_decimal(), "currency": p.currency});
                    let result = api
                        .create_refund(&yk, &amount, &refund_idempotence_key(p))
                        .await;
                    match result {
                        Err(
                            e @ Error::Remote {
                                retryable: false, ..
                            },
                        ) => return Ok(Answer::No(format!("YooKassa refused: {e}"))),
                        other => other,
                    }
                }
            },
        }?;
        Ok(match refund.status.as_str() {
            "succeeded" => Answer::Succeeded(Some(refund.id)),
            "pending" => Answer::Pending(Some(refund.id)),
            other => Answer::No(format!(
                "YooKassa answered {other} for refund {}",
                refund.id
            )),
        })
    }

    fn client_for(&self, p: &Payment) -> Result<Client<'_>> {
        if p.provider == Provider::Stars {
            self.bot
                .as_ref()
                .map(Client::Stars)
                .ok_or_else(|| Error::invalid("TELEGRAM_BOT_TOKEN is needed to refund Stars"))
        } else {
            self.api
                .as_deref()
                .map(Client::YooKassa)
                .ok_or_else(|| Error::invalid("YooKassa is not configured"))
        }
    }

    /// The follower: every held refund whose check is due (with `all`, every held refund), top-ups
    /// and plan payments alike, is asked about once more. Run by the payment processor, and by
    /// `reconcile` with `all`; a Stars refund needs the Bot API client.
    pub async fn follow_refunds(&self, all: bool) -> Result<usize> {
        let billing = self.billing.clone();
        let due = blocking(move || billing.refunds_due(32, all)).await?;
        let mut n = 0;
        for p in due {
            if self.client_for(&p).is_err() {
                // Asked again later, when a client is at hand (the bot, `reconcile`).
                let billing = self.billing.clone();
                let id = p.id.clone();
                blocking(move || billing.refund_pending(&id, None)).await?;
                continue;
            }
            match self.follow(&p).await {
                Ok(RefundOutcome::Pending) => {}
                Ok(_) => n += 1,
                Err(e) => tracing::warn!(payment = %p.id, error = %e, "following a refund failed"),
            }
        }
        // Held plan refunds, asked again while a Bot API client is at hand.
        if let Some(bot) = &self.bot {
            let billing = self.billing.clone();
            let due = blocking(move || billing.plan_refunds_due(32, all)).await?;
            for p in due {
                match self.follow_plan(bot, &p).await {
                    Ok(RefundOutcome::Pending) => {}
                    Ok(_) => n += 1,
                    Err(e) => {
                        tracing::warn!(charge = %p.charge_id, error = %e, "following a plan refund failed")
                    }
                }
            }
        }
        Ok(n)
    }
}

/// `refundStarPayment`, where CHARGE_ALREADY_REFUNDED means it is done; no answer is an error
/// (asked again later), any other refusal is Telegram's "no".
async fn ask_stars(bot: &Bot, telegram_id: i64, charge: &str) -> Result<Answer> {
    let user = u64::try_from(telegram_id).map_err(|_| Error::invalid("bad user id"))?;
    match bot
        .refund_star_payment(UserId(user), TelegramTransactionId(charge.to_string()))
        .await
    {
        Ok(_) => Ok(Answer::Succeeded(None)),
        Err(e) if e.to_string().contains("CHARGE_ALREADY_REFUNDED") => Ok(Answer::Succeeded(None)),
        Err(e) => match crate::telegram::SendFailure::of(&e) {
            crate::telegram::SendFailure::RetryAfter(_)
            | crate::telegram::SendFailure::Transient(_) => Err(Error::Telegram {
                message: crate::telegram::describe(&e),
                retryable: true,
            }),
            _ => Ok(Answer::No(format!("Telegram refused: {e}"))),
        },
    }
}

enum Client<'a> {
    Stars(&'a Bot),
    YooKassa(&'a super::yookassa::YooKassa),
}

/// The Idempotence-Key of a refund attempt: 0.2's `refund-<id>` for the first, so a refund asked
/// for before the upgrade is found again, and one of its own for each later attempt.
fn refund_idempotence_key(p: &Payment) -> String {
    if p.refund.attempts <= 1 {
        format!("refund-{}", p.id)
    } else {
        format!("refund-{}-{}", p.id, p.refund.attempts)
    }
}
