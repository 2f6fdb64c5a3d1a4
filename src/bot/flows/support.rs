//! 💬 The support inbox in the bot (SPEC §6c): a user's message becomes (or joins) their open ticket
//! and is copied to every admin through the outbox; an admin answers by replying to that copy or
//! with /reply, and the answer reaches the user the same way. /paysupport opens it.

use crate::bot::turn::{Input, Turn};
use crate::bot::{HandlerResult, State, keyboards};
use crate::db::blocking;
use crate::error::Result;
use crate::texts;

/// Longest support message kept (Telegram's own message limit).
const MAX_MESSAGE: usize = 4096;

/// 💬 or /paysupport: the next message goes to support.
pub async fn open(turn: &Turn) -> Result<()> {
    turn.set(State::Support).await?;
    let lang = turn.lang;
    let contact = turn.ctx.config.telegram.support_contact.as_deref();
    turn.show(
        texts::ask_support(lang, contact),
        keyboards::mode_prompt(lang, true),
    )
    .await
}

/// The user's message to support: filed (once, even when the update runs again after a crash) with
/// a copy queued for every admin, then confirmed.
pub async fn message(turn: Turn, input: Input) -> HandlerResult {
    turn.answer(move |turn| async move {
        let lang = turn.lang;
        let text: Option<String> = input.text.map(|t| t.chars().take(MAX_MESSAGE).collect());
        let (text, photo) = match (text, input.photo) {
            (None, None) => return turn.step(texts::support_need_text(lang)).await,
            (text, photo) => (text.unwrap_or_else(|| "📷".into()), photo),
        };
        let admins = turn.ctx.config.telegram.admin_telegram_ids.clone();
        let (store, user, update) = (
            turn.ctx.store.clone(),
            turn.user.telegram_id,
            turn.update_id,
        );
        let filed = blocking(move || {
            store.file_support_message(user, &text, photo.as_deref(), Some(update), &admins)
        })
        .await?;
        turn.ctx.notices.notify_one();
        tracing::info!(user, ticket = filed.ticket_id, "support message filed");
        turn.set(State::Idle).await?;
        turn.say_with(
            texts::support_filed(lang, filed.ticket_id, filed.opened),
            keyboards::support_filed(lang),
        )
        .await
    })
    .await
}

/// An admin's message that replies to a support copy: the ticket it belongs to, if it is one.
pub async fn copy_replied(turn: Turn, replied: i64) -> Option<i64> {
    let (store, chat) = (turn.ctx.store.clone(), turn.chat.0);
    blocking(move || store.ticket_of_copy(chat, replied))
        .await
        .ok()
        .flatten()
}

/// An admin replied to a support copy: the reply is the answer.
pub async fn admin_reply(turn: Turn, input: Input, ticket: i64) -> HandlerResult {
    turn.answer(move |turn| async move {
        match input.text {
            Some(text) => answer(&turn, ticket, text).await,
            None => turn.say(texts::support_reply_usage()).await,
        }
    })
    .await
}

/// /reply ID text
pub async fn reply_command(turn: &Turn, args: &str) -> Result<()> {
    let (id, text) = args
        .trim()
        .split_once(char::is_whitespace)
        .unwrap_or((args.trim(), ""));
    match (id.trim_start_matches('#').parse::<i64>(), text.trim()) {
        (Ok(ticket), text) if !text.is_empty() => answer(turn, ticket, text.to_string()).await,
        _ => turn.say(texts::support_reply_usage()).await,
    }
}

/// /close ID
pub async fn close_command(turn: &Turn, args: &str) -> Result<()> {
    let Ok(ticket) = args.trim().trim_start_matches('#').parse::<i64>() else {
        return turn.say(texts::support_reply_usage()).await;
    };
    let store = turn.ctx.store.clone();
    let closed = blocking(move || store.close_ticket(ticket)).await?;
    turn.say(texts::support_closed(ticket, closed)).await
}

async fn answer(turn: &Turn, ticket: i64, text: String) -> Result<()> {
    let (store, admin, update) = (
        turn.ctx.store.clone(),
        turn.user.telegram_id,
        turn.update_id,
    );
    let text: String = text.chars().take(MAX_MESSAGE).collect();
    let answered =
        blocking(move || store.answer_ticket(ticket, Some(admin), &text, Some(update))).await?;
    if answered.is_none() {
        return turn.say(texts::support_no_ticket(ticket)).await;
    }
    turn.ctx.notices.notify_one();
    tracing::info!(admin, ticket, "support answer queued");
    turn.say(texts::support_sent_to_user(ticket)).await
}
