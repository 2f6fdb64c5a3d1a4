//! ✍️ Написать as money: an operation of its own kind (`prompt`), charged from the balance before
//! the language model is asked (free access and PRICE_PROMPT=0 make it free; free operations are
//! kept for pictures), then settled with the answer or refunded with the error — each once, in one
//! transaction with what was answered. A charge the process died holding is refunded by the sweeper.

use super::{Billing, must_get_user, operations::Finish};
use crate::db::{self, operations::PROMPT};
use crate::error::{Error, Result};
use crate::money::Kopecks;

/// How long a ✍️ charge may wait for its answer before the sweeper takes it for lost.
pub const STALE_AFTER_SECS: i64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptReserve {
    /// The idea is recorded (`words_id`) and paid for (`taken` from the balance, or nothing).
    Reserved {
        words_id: i64,
        taken: Kopecks,
        balance: Kopecks,
    },
    Insufficient {
        price: Kopecks,
        balance: Kopecks,
    },
    /// The same update asked before (it ran again after a crash): nothing written.
    Duplicate {
        words_id: i64,
    },
}

impl Billing {
    /// Pays for one ✍️ prompt and records its idea, in one transaction.
    pub fn reserve_prompt(
        &self,
        telegram_id: i64,
        idea: &str,
        model: &str,
        update_id: Option<i64>,
    ) -> Result<PromptReserve> {
        let price = self.config.prices.price_prompt;
        self.store.write(|tx| {
            if let Some(update) = update_id
                && let Some(words_id) = db::words::prompt_by_update(tx, update)?
            {
                return Ok(PromptReserve::Duplicate { words_id });
            }
            let user = must_get_user(tx, telegram_id)?;
            let now = crate::time::now();
            let charge = match price.is_positive() {
                false => None,
                true => match super::operations::Charge::pick(tx, &user, price, false)? {
                    Some(charge) => Some(charge),
                    None => {
                        return Ok(PromptReserve::Insufficient {
                            price: user.price_of(price),
                            balance: user.balance,
                        });
                    }
                },
            };
            let operation_id = match &charge {
                None => None,
                Some(charge) => Some(super::operations::charge_in(
                    tx,
                    telegram_id,
                    PROMPT,
                    charge,
                    now,
                )?),
            };
            let words_id = db::words::insert_prompt(
                tx,
                telegram_id,
                idea,
                model,
                operation_id,
                update_id,
                now,
            )?;
            let after = must_get_user(tx, telegram_id)?;
            Ok(PromptReserve::Reserved {
                words_id,
                taken: charge.map_or(Kopecks::ZERO, |c| c.taken),
                balance: after.balance,
            })
        })
    }

    /// The model answered (the charge stands) or failed (it comes back), recorded with the answer or
    /// the error. None when the prompt was free.
    pub fn finish_prompt(
        &self,
        words_id: i64,
        answer: std::result::Result<&str, &str>,
    ) -> Result<Option<Finish>> {
        self.store.write(|tx| {
            let now = crate::time::now();
            let prompt = db::words::prompt(tx, words_id)?
                .ok_or_else(|| Error::NotFound(format!("prompt {words_id}")))?;
            let cost = self.config.fal.catalogue.llm_cost;
            db::words::set_answer(tx, words_id, answer, cost, now)?;
            match (prompt.operation_id, answer) {
                (None, _) => Ok(None),
                (Some(op), Ok(_)) => super::operations::settle_in(tx, op).map(Some),
                (Some(op), Err(why)) => {
                    let reason = format!("prompt: {}", why.chars().take(200).collect::<String>());
                    super::operations::refund_in(tx, op, &reason).map(Some)
                }
            }
        })
    }

    /// Refunds ✍️ charges older than STALE_AFTER_SECS that never got their answer (the process died
    /// while the model was asked). Returns how many.
    pub fn refund_stale_prompts(&self) -> Result<usize> {
        let cutoff = crate::time::now() - STALE_AFTER_SECS;
        let stale = self.store.read(|c| db::words::stale_prompts(c, cutoff))?;
        let mut refunded = 0;
        for words_id in stale {
            if let Some(Finish::Done { .. }) = self.finish_prompt(
                words_id,
                Err("interrupted: the process stopped before the answer"),
            )? {
                refunded += 1;
            }
        }
        Ok(refunded)
    }
}
