//! The conversations, one file each: the menu and help, the account (balance, codes), top-ups, the
//! image modes, and the admins' commands. Each endpoint answers through `Turn::answer`.

pub mod account;
pub mod admin;
pub mod assistant;
pub mod modes;
pub mod overlay;
pub mod plans;
pub mod start;
pub mod support;
pub mod topup;
pub mod writer;

use super::HandlerResult;
use super::turn::Turn;
use crate::actions::Action;
use crate::texts;
use teloxide::prelude::*;

/// Presses of the same paid button closer than this are one request.
const DOUBLE_TAP: std::time::Duration = std::time::Duration::from_secs(2);

/// A button press, already parsed: each action belongs to one flow.
pub async fn on_action(turn: Turn, q: CallbackQuery, action: Action) -> HandlerResult {
    // Answered first: it stops the button's spinner whatever happens next.
    if let Err(e) = turn.bot.answer_callback_query(q.id).await {
        tracing::debug!(error = %e, "answering a button press failed");
    }
    // A paid button pressed twice in a moment (a double tap) is one request.
    if action.is_once() {
        let key = format!("press:{}:{}", turn.user.telegram_id, action.encode());
        if !turn.ctx.recent.first_within(&key, DOUBLE_TAP) {
            tracing::info!(user = turn.user.telegram_id, action = %action.encode(), "a repeated press within {DOUBLE_TAP:?}; ignored");
            return Ok(());
        }
    }
    turn.answer(move |turn| async move {
        match action {
            Action::Menu => start::menu(&turn).await,
            Action::PaymentMenu => topup::payment_menu(&turn).await,
            Action::DiscountCode => account::ask_code(&turn, true).await,
            Action::GenerationCode => account::ask_code(&turn, false).await,
            Action::Invite => account::invite(&turn).await,
            Action::CustomAmount => topup::ask_amount(&turn).await,
            Action::Mode(mode) => modes::choose(&turn, mode).await,
            Action::AddText => overlay::choose_add_text(&turn).await,
            Action::Topup(amount) => topup::start_topup(&turn, amount).await,
            Action::StarsMenu => topup::stars_menu(&turn).await,
            Action::CardMenu => topup::card_menu(&turn).await,
            Action::Stars(n) => topup::start_stars(&turn, n).await,
            Action::Again(job) => modes::again(&turn, job).await,
            Action::UpscaleResult(job) => modes::upscale_result(&turn, job).await,
            Action::EditResult(job) => modes::edit_result(&turn, job).await,
            Action::ChangeRequest(job) => modes::change_request(&turn, job).await,
            Action::Cancel => start::cancel(&turn).await,
            Action::Balance => account::show_balance(&turn).await,
            Action::RunHeld => modes::run_held(&turn).await,
            Action::CheckPayment => topup::check_payments(&turn).await,
            Action::Offer(mode) => modes::offer(&turn, mode).await,
            Action::History(page) => account::history(&turn, page).await,
            Action::BroadcastSend => admin::broadcast_send(&turn).await,
            Action::Pick(mode, n) => modes::pick(&turn, mode, n).await,
            Action::Format(mode, f) => modes::pick_format(&turn, mode, f).await,
            Action::Skip => modes::skip_wish(&turn).await,
            Action::Original(job) => modes::original(&turn, job).await,
            Action::Style(change) => overlay::restyle_pressed(&turn, change).await,
            Action::TextDone => overlay::done(&turn).await,
            Action::Help => start::help_screen(&turn).await,
            Action::Support => support::open(&turn).await,
            Action::Assistant => assistant::open(&turn).await,
            Action::Write => writer::open(&turn).await,
            Action::UsePrompt(id) => writer::make(&turn, id).await,
            Action::AnotherPrompt(id) => writer::another(&turn, id).await,
            Action::DropCode => account::drop_code(&turn).await,
            Action::HistoryFile => account::history_file(&turn).await,
            Action::Plans => plans::menu(&turn).await,
            Action::Plan(n) => plans::buy(&turn, n).await,
            Action::CancelPlan => plans::cancel(&turn).await,
        }
    })
    .await
}

/// A press whose data we did not send (an old keyboard, a removed amount): said so in the
/// press's own answer, nothing done.
pub async fn stale_button(turn: Turn, q: CallbackQuery) -> HandlerResult {
    turn.answer(move |turn| async move {
        turn.bot
            .answer_callback_query(q.id)
            .text(texts::stale_button(turn.lang))
            .await?;
        // And the menu that works now, so the press leads somewhere.
        start::menu(&turn).await
    })
    .await
}
