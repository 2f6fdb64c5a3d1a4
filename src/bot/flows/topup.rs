//! Top-ups: the choice of provider, Telegram Stars invoices (SPEC §5b) and their checkout and
//! credit, YooKassa's amounts, a custom amount and the pay link.

use crate::billing::{MAX_TOPUP, MIN_TOPUP, StarsCredit, stars_payload};
use crate::bot::turn::{Input, Turn};
use crate::bot::{Ctx, HandlerResult, State, keyboards};
use crate::db::blocking;
use crate::error::{Error, Result};
use crate::model::CheckOutcome;
use crate::money::Kopecks;
use crate::texts::{self, Lang};
use teloxide::prelude::*;
use teloxide::types::{LabeledPrice, PreCheckoutQuery, RefundedPayment, SuccessfulPayment};

/// How long an unpaid YooKassa invoice is offered again for the same amount.
const REUSE_INVOICE_SECS: i64 = 600;

/// How often 🔄 may ask the provider about one draft.
const CHECK_COOLDOWN: std::time::Duration = std::time::Duration::from_secs(10);

/// "🔄 Check payment": this user's unpaid YooKassa invoices asked about now. A credit is told by the
/// credited notice (with its next step); otherwise the user hears what the bot knows.
pub async fn check_payments(turn: &Turn) -> Result<()> {
    let lang = turn.lang;
    let (store, id) = (turn.ctx.store.clone(), turn.user.telegram_id);
    let since = crate::time::now() - 24 * 3600;
    let unpaid = blocking(move || store.unpaid_payments(id, since)).await?;
    let support = turn.ctx.config.telegram.support_contact.clone();
    if unpaid.is_empty() {
        return turn
            .say_with(
                texts::no_unpaid(lang, support.as_deref()),
                keyboards::menu_only(lang),
            )
            .await;
    }
    let mut credited = false;
    for p in &unpaid {
        let Some(yk) = p.yookassa_id.as_deref() else {
            continue;
        };
        // Repeated presses ask YooKassa about one draft at most once in 10 s.
        if !turn
            .ctx
            .recent
            .first_within(&format!("check:{}", p.id), CHECK_COOLDOWN)
        {
            continue;
        }
        match turn.ctx.payments.check_now(yk).await {
            Ok(CheckOutcome::Credited) => credited = true,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(payment = %p.id, error = %e, "checking a payment for its payer failed")
            }
        }
    }
    if credited {
        turn.ctx.notices.notify_one();
        return Ok(());
    }
    // Still pending at YooKassa: say which invoice and since when, with its pay button.
    let newest = &unpaid[0];
    let pay = newest
        .confirmation_url
        .as_deref()
        .and_then(|u| reqwest::Url::parse(u).ok())
        .map(|url| (newest.charge_amount, url));
    let text = texts::payment_pending(
        lang,
        newest.charge_amount,
        &crate::time::day_and_time(newest.created_at),
        support.as_deref(),
    );
    turn.say_with(text, keyboards::pending(lang, pay)).await
}

/// Which ways to pay are on: Stars (STARS_ENABLED) and card (YooKassa configured).
pub fn ways(turn: &Turn) -> keyboards::TopupWays {
    keyboards::TopupWays {
        stars: turn.ctx.config.payments.stars_enabled,
        card: turn.ctx.payments.is_configured(),
    }
}

/// The buttons under a shortfall: the amounts of each way that is on, with a pending code's
/// discount, then the menu.
pub async fn shortfall_keyboard(turn: &Turn) -> Result<teloxide::types::InlineKeyboardMarkup> {
    let (config, ways) = (&turn.ctx.config, ways(turn));
    let percent = pending_code(turn).await?.map_or(0, |(_, p)| p);
    let offer = keyboards::Offer {
        card: if ways.card {
            &config.payments.topup_amounts
        } else {
            &[]
        },
        stars: if ways.stars {
            &config.payments.stars_topup_amounts
        } else {
            &[]
        },
        rate: config.payments.stars_rate,
        percent,
        price: config.prices.price_per_operation,
    };
    Ok(keyboards::insufficient(turn.lang, &offer))
}

/// "Top up": Stars and card when both are on, else straight to the one that is.
pub async fn payment_menu(turn: &Turn) -> Result<()> {
    let ways = ways(turn);
    match (ways.stars, ways.card) {
        (false, false) => turn.note(texts::payments_off(turn.lang)).await,
        (true, false) => stars_menu(turn).await,
        (false, true) => card_menu(turn).await,
        (true, true) => {
            let code = pending_code(turn).await?;
            let code = code.as_ref().map(|(c, p)| (c.as_str(), *p));
            let text = texts::choose_provider(turn.lang, code) + &footer(turn, None);
            turn.show(text, keyboards::providers(turn.lang, sells_plans(turn)))
                .await
        }
    }
}

/// The balance, what `example` buys, terms and support: under every payment screen.
fn footer(turn: &Turn, example: Option<Kopecks>) -> String {
    let price = turn.ctx.config.prices.price_per_operation;
    texts::payment_footer(turn.lang, turn.user.balance, price, example)
}

async fn pending_code(turn: &Turn) -> Result<Option<(String, u8)>> {
    let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
    blocking(move || billing.pending_discount(id)).await
}

/// YooKassa's amounts.
pub async fn card_menu(turn: &Turn) -> Result<()> {
    let lang = turn.lang;
    if !turn.ctx.payments.is_configured() {
        return turn.note(texts::payments_off(lang)).await;
    }
    let code = pending_code(turn).await?;
    let percent = code.as_ref().map_or(0, |(_, p)| *p);
    let amounts = &turn.ctx.config.payments.topup_amounts;
    let text = texts::payment_menu(lang, code.as_ref().map(|(c, p)| (c.as_str(), *p)))
        + &footer(turn, amounts.first().copied());
    let price = turn.ctx.config.prices.price_per_operation;
    turn.show(text, keyboards::payment_menu(lang, amounts, percent, price))
        .await
}

/// The Stars amounts, each button saying what is paid and what is credited.
pub async fn stars_menu(turn: &Turn) -> Result<()> {
    let (lang, config) = (turn.lang, &turn.ctx.config);
    if !config.payments.stars_enabled {
        return turn.note(texts::payments_off(lang)).await;
    }
    let code = pending_code(turn).await?;
    let percent = code.as_ref().map_or(0, |(_, p)| *p);
    let example = config
        .payments
        .stars_topup_amounts
        .first()
        .map(|n| Kopecks(i64::from(*n) * config.payments.stars_rate.0));
    turn.show(
        texts::stars_menu(lang, code.as_ref().map(|(c, p)| (c.as_str(), *p)))
            + &footer(turn, example),
        keyboards::stars_menu(
            lang,
            &config.payments.stars_topup_amounts,
            config.payments.stars_rate,
            (percent, sells_plans(turn)),
        ),
    )
    .await
}

/// Whether «⭐ Подписка» is offered: PLANS set and Stars on.
pub fn sells_plans(turn: &Turn) -> bool {
    turn.ctx.config.payments.stars_enabled && !turn.ctx.config.payments.plans.is_empty()
}

/// A Stars invoice for `stars`: the draft (reserving a pending discount) first, then `sendInvoice`.
pub async fn start_stars(turn: &Turn, stars: u32) -> Result<()> {
    let lang = turn.lang;
    if !turn.ctx.config.payments.stars_enabled {
        return turn.note(texts::payments_off(lang)).await;
    }
    let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
    let new = blocking(move || billing.create_stars_payment(id, stars)).await?;
    if let Some((code, _)) = &new.dropped_code {
        turn.say(texts::code_dropped(lang, code)).await?;
    }
    if let Some(held) = &new.held_by
        && let Some(code) = held.discount_code.as_deref()
    {
        match held
            .confirmation_url
            .as_deref()
            .and_then(|u| reqwest::Url::parse(u).ok())
        {
            Some(url) => {
                turn.say_with(
                    texts::code_held(lang, code, held.amount, held.charge_amount),
                    keyboards::pay_link(lang, held.charge_amount, url),
                )
                .await?
            }
            None => turn.say(texts::stars_code_held(lang, code)).await?,
        }
    }
    let p = &new.payment;
    let price = u32::try_from(p.charge_amount.0).map_err(|_| Error::invalid("too many Stars"))?;
    turn.bot
        .send_invoice(
            turn.chat,
            texts::stars_invoice_title(lang, p.amount),
            texts::stars_invoice_description(lang),
            stars_payload(p),
            "XTR",
            [LabeledPrice::new(format!("⭐ {price}"), price)],
        )
        .await?;
    Ok(())
}

/// `pre_checkout_query`: answered at once (Telegram waits 10 s) with billing's verdict.
pub async fn pre_checkout(bot: crate::bot::Tg, q: PreCheckoutQuery, ctx: Ctx) -> HandlerResult {
    let lang = Lang::of(q.from.language_code.as_deref());
    let (billing, payload) = (ctx.billing.clone(), q.invoice_payload.clone());
    let (currency, total) = (q.currency.clone(), q.total_amount);
    let user = i64::try_from(q.from.id.0).unwrap_or(0);
    let verdict = blocking(move || match crate::billing::is_plan_payload(&payload) {
        true => Ok(billing.plan_checkout(&payload, &currency, total)),
        false => billing.stars_checkout(user, &payload, &currency, total),
    })
    .await;
    let answer = bot.answer_pre_checkout_query(q.id.clone(), matches!(verdict, Ok(Ok(()))));
    let answer = match verdict {
        Ok(Ok(())) => answer,
        Ok(Err(why)) => {
            tracing::info!(user, payload = %q.invoice_payload, ?why, "Stars checkout refused");
            answer.error_message(texts::checkout_refused(lang, why))
        }
        Err(e) => {
            tracing::error!(user, error = %e, "Stars checkout could not be checked");
            answer.error_message(texts::checkout_unavailable(lang))
        }
    };
    if let Err(e) = answer.await {
        tracing::warn!(user, error = %e, "answering a pre-checkout query failed");
    }
    Ok(())
}

/// `successful_payment`: credited exactly once; the user is told through the notices outbox (in
/// the credit's own transaction), like a YooKassa top-up.
pub async fn paid(turn: Turn, paid: SuccessfulPayment) -> HandlerResult {
    if crate::billing::is_plan_payload(&paid.invoice_payload) {
        return super::plans::on_paid(turn, paid).await;
    }
    turn.answer(move |turn| async move {
        let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
        let charge = paid.telegram_payment_charge_id.0.clone();
        let payload = paid.invoice_payload.clone();
        let total = paid.total_amount;
        let credit = blocking(move || billing.credit_stars(id, &payload, total, &charge)).await?;
        match credit {
            StarsCredit::Credited {
                payment_id, amount, ..
            } => {
                tracing::info!(user = id, payment = %payment_id, %amount, stars = total, "Stars top-up credited");
                turn.ctx.notices.notify_one();
            }
            StarsCredit::Already => {
                tracing::info!(user = id, charge = %paid.telegram_payment_charge_id.0, "a Stars payment seen again; credited before")
            }
        }
        Ok(())
    })
    .await
}

/// Telegram's message that a Stars payment was refunded (by us or by Telegram): the credit is
/// taken back once.
pub async fn refunded(turn: Turn, refund: RefundedPayment) -> HandlerResult {
    turn.answer(move |turn| async move {
        let billing = turn.ctx.billing.clone();
        let charge = refund.telegram_payment_charge_id.0.clone();
        let outcome = blocking(move || billing.stars_refunded(&charge)).await?;
        tracing::info!(user = turn.user.telegram_id, charge = %refund.telegram_payment_charge_id.0, ?outcome, "Stars payment refunded");
        Ok(())
    })
    .await
}

pub async fn ask_amount(turn: &Turn) -> Result<()> {
    if !turn.ctx.payments.is_configured() {
        return turn.note(texts::payments_off(turn.lang)).await;
    }
    turn.set(State::CustomAmount).await?;
    let lang = turn.lang;
    turn.show(
        texts::ask_amount(lang, MIN_TOPUP, MAX_TOPUP),
        keyboards::back_or_cancel(lang, crate::actions::Action::CardMenu),
    )
    .await
}

/// The amount typed after "another amount": "250", "250 ₽", "99,90".
pub async fn custom_amount(turn: Turn, input: Input) -> HandlerResult {
    turn.answer(move |turn| async move {
        let amount = input
            .text
            .and_then(|t| Kopecks::parse_roubles(&typed_amount(&t), false).ok())
            .filter(|a| *a >= MIN_TOPUP && *a <= MAX_TOPUP);
        let Some(amount) = amount else {
            let lang = turn.lang;
            return turn
                .say_with(
                    texts::bad_amount(lang, MIN_TOPUP, MAX_TOPUP),
                    keyboards::back_or_cancel(lang, crate::actions::Action::CardMenu),
                )
                .await;
        };
        turn.set(State::Idle).await?;
        start_topup(&turn, amount).await
    })
    .await
}

/// An amount as a person types it — «1 000», «99,90 ₽», «250 руб» — reduced to what
/// `Kopecks::parse_roubles` reads.
fn typed_amount(text: &str) -> String {
    let t = text.trim();
    let t = [
        "рублей",
        "рубля",
        "рубль",
        "руб.",
        "руб",
        "р.",
        "р",
        "₽",
        "RUB",
        "rub",
    ]
    .iter()
    .find_map(|unit| t.strip_suffix(unit))
    .unwrap_or(t);
    t.chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}'))
        .collect()
}

/// Creates the payment and sends its pay button (and, when a discounted invoice is still unpaid,
/// that one's button first: the code stays with it, SPEC §4).
pub async fn start_topup(turn: &Turn, amount: Kopecks) -> Result<()> {
    let (lang, ctx, user) = (turn.lang, &turn.ctx, &turn.user);
    if !ctx.payments.is_configured() {
        return turn.note(texts::payments_off(lang)).await;
    }
    // A second tap on the same amount within a few minutes gets the same invoice, not another one
    // (unless a code applied since would make the new one cheaper).
    let (store, id) = (ctx.store.clone(), user.telegram_id);
    let since = crate::time::now() - REUSE_INVOICE_SECS;
    let unpaid = blocking(move || store.unpaid_payments(id, since)).await?;
    if let Some(p) = unpaid
        .iter()
        .find(|p| p.amount == amount && p.discount_code == user.pending_discount_code)
        && let Some(url) = p
            .confirmation_url
            .as_deref()
            .and_then(|u| reqwest::Url::parse(u).ok())
    {
        return turn
            .say_with(
                texts::pay_link(lang, p.amount, p.charge_amount),
                keyboards::pay_link(lang, p.charge_amount, url),
            )
            .await;
    }
    let started = match ctx
        .payments
        .start_topup_as(
            user.telegram_id,
            amount,
            &ctx.return_url,
            Some(format!("mlp-{}-{}", user.telegram_id, turn.update_id)),
            lang,
        )
        .await
    {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(user = user.telegram_id, error = %e, "creating a payment failed");
            return turn.note(texts::payment_failed(lang)).await;
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
