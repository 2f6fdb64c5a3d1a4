//! The balance with its history, and the two kinds of code: a discount for the next top-up and a
//! generation code (free access or bonus operations).

use crate::actions::Action;
use crate::billing::Redeemed;
use crate::bot::turn::{Input, Turn};
use crate::bot::{HandlerResult, State, keyboards};
use crate::db::blocking;
use crate::error::Result;
use crate::model::CodeRefusal;
use crate::texts;
use teloxide::prelude::*;

/// History lines on the balance screen.
const HISTORY_LINES: u32 = 5;

/// The balance screen: what the user has, the latest rows of the history, an open invoice with its
/// pay button, and the ways to top up. The invitation has its own screen (🤝), so the balance stays
/// short.
pub async fn show_balance(turn: &Turn) -> Result<()> {
    let lang = turn.lang;
    let (store, id) = (turn.ctx.store.clone(), turn.user.telegram_id);
    let rows = blocking(move || store.recent_ledger(id, HISTORY_LINES)).await?;
    let history = history_lines(lang, &rows);
    let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
    let plan = blocking(move || billing.renewing_plan(id)).await?;
    let mut wallet = super::start::wallet(turn);
    let u = &turn.user;
    if let Some(until) = u.plan_until {
        // The plan's own line: its operations, its end, whether Telegram renews it.
        let label = plan.as_ref().map_or("", |p| p.plan.as_str());
        let renews = plan.is_some();
        let line = texts::plan_line(
            lang,
            label,
            u.plan_operations_left,
            &crate::time::day_month_year(until),
            renews,
        );
        wallet = format!("{wallet}\n{line}");
    }
    if let Some((code, percent)) = &u.standing_discount {
        wallet = format!(
            "{wallet}\n{}",
            texts::standing_code_line(lang, code, *percent)
        );
    }
    let mut text = texts::balance(lang, &wallet, &history);
    // An invoice still open at YooKassa: shown with its pay button, so a payer who left the
    // checkout can come back to it.
    let (store, since) = (turn.ctx.store.clone(), crate::time::now() - 24 * 3600);
    let unpaid = blocking(move || store.unpaid_payments(id, since)).await?;
    let pending = unpaid.first().and_then(|p| {
        let url = reqwest::Url::parse(p.confirmation_url.as_deref()?).ok()?;
        Some((p.charge_amount, url))
    });
    if let Some((charge, _)) = &pending {
        text.push_str(&texts::awaiting_payment(lang, *charge));
    }
    let ways = super::topup::ways(turn);
    let extras = keyboards::BalanceExtras {
        invite: invites(turn),
        plans: super::topup::sells_plans(turn),
        standing_code: u.standing_discount.as_ref().map(|(c, _)| c.clone()),
        renewing_plan: plan.is_some(),
    };
    turn.show(text, keyboards::balance(lang, pending, ways, &extras))
        .await
}

/// ❌ The operation code is dropped: prices are full again.
pub async fn drop_code(turn: &Turn) -> Result<()> {
    let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
    blocking(move || billing.cancel_standing_code(id)).await?;
    turn.say(texts::standing_code_dropped(turn.lang)).await?;
    let turn = turn.reloaded().await?;
    show_balance(&turn).await
}

/// 📥 The user's whole history as a one-sheet workbook.
pub async fn history_file(turn: &Turn) -> Result<()> {
    let (store, id) = (turn.ctx.store.clone(), turn.user.telegram_id);
    let xlsx = blocking(move || crate::export::history_workbook(&store, id)).await?;
    let name = format!("history-{}.xlsx", crate::time::date_of(crate::time::now()));
    turn.bot
        .send_document(
            turn.chat,
            teloxide::types::InputFile::memory(xlsx).file_name(name),
        )
        .caption(texts::history_file_caption(turn.lang))
        .await?;
    Ok(())
}

/// 🤝 The invitation: what both get, the link, and Telegram's share dialog.
pub async fn invite(turn: &Turn) -> Result<()> {
    let lang = turn.lang;
    let Some(link) = invite_link(turn).await? else {
        return show_balance(turn).await;
    };
    let text = texts::invite(lang, turn.ctx.config.prices.referral_bonus_ops, &link);
    turn.show(text, keyboards::invite(lang, share_url(lang, &link)))
        .await
}

/// Whether the referral program is on (a bonus, and a bot username to link to).
fn invites(turn: &Turn) -> bool {
    turn.ctx.config.prices.referral_bonus_ops > 0 && !turn.ctx.bot_username.is_empty()
}

/// The user's invite link, when the referral program is on.
async fn invite_link(turn: &Turn) -> Result<Option<String>> {
    if !invites(turn) {
        return Ok(None);
    }
    let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
    let code = blocking(move || billing.invite_code(id)).await?;
    Ok(Some(format!(
        "https://t.me/{}?start={}{code}",
        turn.ctx.bot_username,
        crate::billing::REFERRAL_LINK_PREFIX
    )))
}

/// Telegram's share dialog for the invite link.
fn share_url(lang: texts::Lang, link: &str) -> Option<reqwest::Url> {
    reqwest::Url::parse_with_params(
        "https://t.me/share/url",
        &[("url", link), ("text", texts::share_text(lang))],
    )
    .ok()
}

/// The balance screen's history as lines a person reads.
fn history_lines(lang: texts::Lang, rows: &[crate::db::ledger::Row]) -> Vec<String> {
    rows.iter().map(|r| r.line(lang)).collect()
}

/// 📜 The whole history, a page at a time, newest first.
pub async fn history(turn: &Turn, page: u32) -> Result<()> {
    let lang = turn.lang;
    let (store, id) = (turn.ctx.store.clone(), turn.user.telegram_id);
    let (rows, more) = blocking(move || store.ledger_page(id, HISTORY_PAGE, page)).await?;
    let lines = history_lines(lang, &rows);
    turn.show(
        texts::history_page(lang, page, &lines),
        keyboards::history(lang, page, more),
    )
    .await
}

/// Lines on a page of the whole history.
const HISTORY_PAGE: u32 = 15;

/// 🎟️ The one code field, opened from the payment menu (`from_payment`) or the balance: any kind of
/// code is taken; the two differ only in where ⬅️ leads back to.
pub async fn ask_code(turn: &Turn, from_payment: bool) -> Result<()> {
    turn.set(if from_payment {
        State::DiscountCode
    } else {
        State::GenerationCode
    })
    .await?;
    let lang = turn.lang;
    let back = if from_payment {
        Action::PaymentMenu
    } else {
        Action::Balance
    };
    turn.show(texts::ask_code(lang), keyboards::back_or_cancel(lang, back))
        .await
}

/// A code typed in either field (the payment menu's or the balance's): whatever kind it is, it is
/// applied — a discount to the next top-up (then the amounts), free access or bonus operations (then
/// the menu). The two fields differ only in where a refusal leads back to.
pub async fn discount_code(turn: Turn, input: Input) -> HandlerResult {
    turn.answer(move |turn| async move { any_code(&turn, input, true).await })
        .await
}

pub async fn generation_code(turn: Turn, input: Input) -> HandlerResult {
    turn.answer(move |turn| async move { any_code(&turn, input, false).await })
        .await
}

async fn any_code(turn: &Turn, input: Input, from_payment: bool) -> Result<()> {
    let lang = turn.lang;
    let Some(code) = input.text else {
        return turn.step(texts::need_text(lang)).await;
    };
    let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
    let typed = code.clone();
    let discount = blocking(move || billing.apply_discount_code(id, &typed)).await?;
    turn.set(State::Idle).await?;
    let redeemed = match discount {
        // An operation code stands from now on: said, then the menu with its prices.
        Ok(crate::model::PromoCode {
            kind: crate::model::PromoKind::OperationsPercent(percent),
            code,
            ..
        }) => {
            turn.say(texts::standing_code_on(lang, &code, percent))
                .await?;
            let turn = turn.reloaded().await?;
            return super::start::menu(&turn).await;
        }
        // The payment menu says the code is applied, and its amounts show the discount: one
        // message, not two.
        Ok(_) => return super::topup::payment_menu(turn).await,
        Err(CodeRefusal::WrongKind) => {
            let billing = turn.ctx.billing.clone();
            blocking(move || billing.redeem_generation_code(id, &code)).await?
        }
        Err(why) => Err(why),
    };
    let reply = match redeemed {
        Ok(Redeemed::FreeAccess(_)) => texts::free_access_on(lang).to_string(),
        Ok(Redeemed::BonusOps { added, user }) => {
            texts::bonus_ops(lang, added, user.free_operations_left)
        }
        Err(why) => {
            // Refused: the field again, or back to where it was opened from.
            let keyboard = keyboards::code_retry(lang, from_payment);
            return turn
                .say_with(texts::code_refused(lang, why), keyboard)
                .await;
        }
    };
    turn.say_with(reply, keyboards::main_menu(lang)).await
}
