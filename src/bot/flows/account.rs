//! The balance with its history, and the two kinds of code: a discount for the next top-up and a
//! generation code (free access or bonus operations).

use crate::billing::Redeemed;
use crate::bot::turn::{Input, Turn};
use crate::bot::{HandlerResult, State, keyboards};
use crate::db::blocking;
use crate::error::Result;
use crate::model::PromoKind;
use crate::texts;

pub async fn show_balance(turn: &Turn) -> Result<()> {
    let lang = turn.lang;
    let (store, id) = (turn.ctx.billing.store().clone(), turn.user.telegram_id);
    let rows = blocking(move || store.recent_ledger(id, 5)).await?;
    let history: Vec<String> = rows
        .iter()
        .map(|r| {
            let date = crate::time::date_of(r.created_at);
            texts::ledger_line(
                lang,
                &r.kind,
                r.amount,
                r.free_ops,
                r.reason.as_deref(),
                &date,
            )
        })
        .collect();
    let u = &turn.user;
    let text = texts::balance(
        lang,
        u.balance,
        u.free_operations_left,
        u.has_free_access,
        &history,
    );
    turn.say_with(text, keyboards::balance(lang)).await
}

pub async fn ask_discount_code(turn: &Turn) -> Result<()> {
    turn.set(State::DiscountCode).await?;
    turn.say(texts::ask_discount_code(turn.lang)).await
}

pub async fn ask_generation_code(turn: &Turn) -> Result<()> {
    turn.set(State::GenerationCode).await?;
    turn.say(texts::ask_gen_code(turn.lang)).await
}

/// The discount code typed after "enter a code": applied to the next top-up, then the amounts.
pub async fn discount_code(turn: Turn, input: Input) -> HandlerResult {
    turn.answer(move |turn| async move {
        let lang = turn.lang;
        let Some(code) = input.text else {
            return turn.say(texts::need_text(lang)).await;
        };
        let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
        let applied = blocking(move || billing.apply_discount_code(id, &code)).await?;
        turn.set(State::Idle).await?;
        match applied {
            Ok(code) => {
                let percent = match code.kind {
                    PromoKind::Percent(p) => p,
                    _ => 0,
                };
                turn.say(texts::code_applied(lang, &code.code, percent))
                    .await?
            }
            Err(why) => turn.say(texts::code_refused(lang, why)).await?,
        }
        super::topup::payment_menu(&turn).await
    })
    .await
}

pub async fn generation_code(turn: Turn, input: Input) -> HandlerResult {
    turn.answer(move |turn| async move {
        let lang = turn.lang;
        let Some(code) = input.text else {
            return turn.say(texts::need_text(lang)).await;
        };
        let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
        let redeemed = blocking(move || billing.redeem_generation_code(id, &code)).await?;
        turn.set(State::Idle).await?;
        let reply = match redeemed {
            Ok(Redeemed::FreeAccess(_)) => texts::free_access_on(lang).to_string(),
            Ok(Redeemed::BonusOps { added, user }) => {
                texts::bonus_ops(lang, added, user.free_operations_left)
            }
            Err(why) => texts::code_refused(lang, why).to_string(),
        };
        turn.say_with(reply, keyboards::main_menu(lang)).await
    })
    .await
}
