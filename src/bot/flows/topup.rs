//! Top-ups through YooKassa: the amounts menu, a custom amount, and the pay link.

use crate::billing::{MAX_TOPUP, MIN_TOPUP};
use crate::bot::turn::{Input, Turn};
use crate::bot::{HandlerResult, State, keyboards};
use crate::db::blocking;
use crate::error::{Error, Result};
use crate::money::Kopecks;
use crate::texts;

pub async fn payment_menu(turn: &Turn) -> Result<()> {
    let lang = turn.lang;
    if !turn.ctx.payments.is_configured() {
        return turn.say(texts::payments_off(lang)).await;
    }
    let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
    let code = blocking(move || billing.pending_discount(id)).await?;
    let percent = code.as_ref().map_or(0, |(_, p)| *p);
    turn.say_with(
        texts::payment_menu(lang, code.as_ref().map(|(c, p)| (c.as_str(), *p))),
        keyboards::payment_menu(lang, &turn.ctx.config.topup_amounts, percent),
    )
    .await
}

pub async fn ask_amount(turn: &Turn) -> Result<()> {
    if !turn.ctx.payments.is_configured() {
        return turn.say(texts::payments_off(turn.lang)).await;
    }
    turn.set(State::CustomAmount).await?;
    turn.say(texts::ask_amount(turn.lang, MIN_TOPUP, MAX_TOPUP))
        .await
}

/// The amount typed after "another amount": "250", "250 ₽", "99,90".
pub async fn custom_amount(turn: Turn, input: Input) -> HandlerResult {
    turn.answer(move |turn| async move {
        let amount = input
            .text
            .and_then(|t| Kopecks::parse_roubles(t.trim_end_matches(['₽', 'р', ' ']), false).ok())
            .filter(|a| *a >= MIN_TOPUP && *a <= MAX_TOPUP);
        let Some(amount) = amount else {
            return turn
                .say(texts::bad_amount(turn.lang, MIN_TOPUP, MAX_TOPUP))
                .await;
        };
        turn.set(State::Idle).await?;
        start_topup(&turn, amount).await
    })
    .await
}

/// Creates the payment and sends its pay button (and, when a discounted invoice is still unpaid,
/// that one's button first: the code stays with it, SPEC §4).
pub async fn start_topup(turn: &Turn, amount: Kopecks) -> Result<()> {
    let (lang, ctx, user) = (turn.lang, &turn.ctx, &turn.user);
    if !ctx.payments.is_configured() {
        return turn.say(texts::payments_off(lang)).await;
    }
    let started = match ctx
        .payments
        .start_topup(user.telegram_id, amount, &ctx.return_url)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(user = user.telegram_id, error = %e, "creating a payment failed");
            return turn.say(texts::payment_failed(lang)).await;
        }
    };
    if let Some((code, _)) = &started.dropped_code {
        turn.say(texts::code_dropped(lang, code)).await?;
    }
    if let Some(held) = &started.held_by
        && let (Some(code), Some(url)) = (
            held.discount_code.as_deref(),
            held.confirmation_url
                .as_deref()
                .and_then(|u| reqwest::Url::parse(u).ok()),
        )
    {
        turn.say_with(
            texts::code_held(lang, code, held.amount, held.charge_amount),
            keyboards::pay_link(lang, held.charge_amount, url),
        )
        .await?;
    }
    let url = reqwest::Url::parse(&started.confirmation_url)
        .map_err(|e| Error::invalid(format!("confirmation URL: {e}")))?;
    let p = &started.payment;
    turn.say_with(
        texts::pay_link(lang, p.amount, p.charge_amount),
        keyboards::pay_link(lang, p.charge_amount, url),
    )
    .await
}
