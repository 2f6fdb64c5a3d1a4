//! The outbox's side of the support inbox: a user's message copied to an admin chat (with who wrote,
//! their balance and last payments; the copy is remembered so a reply to it finds the ticket), and an
//! admin's answer delivered to the user.

use crate::db::support::TicketMessage;
use crate::db::{Store, blocking};
use crate::jobs::worker::Sender;
use crate::model::{Notice, PaymentStatus};
use crate::telegram::SendFailure;
use crate::texts::{self, Lang};
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::{FileId, InputFile, Message};

/// Telegram's limit for a photo's caption.
const CAPTION: usize = 1024;

/// Sends a support notice to `chat`. A message that is gone from the database is given up.
pub async fn deliver(
    bot: &Sender,
    store: &Arc<Store>,
    chat: i64,
    notice: &Notice,
    lang: Lang,
) -> std::result::Result<(), SendFailure> {
    let id = match notice {
        Notice::SupportToAdmin { message_id } | Notice::SupportAnswer { message_id } => *message_id,
        _ => return Ok(()),
    };
    let s = store.clone();
    let message = match blocking(move || s.support_message(id)).await {
        Ok(Some(m)) => m,
        Ok(None) => {
            return Err(SendFailure::Rejected(format!(
                "support message {id} is gone"
            )));
        }
        Err(e) => return Err(SendFailure::Transient(e.to_string())),
    };
    match notice {
        Notice::SupportToAdmin { .. } => to_admin(bot, store, chat, &message).await,
        _ => to_user(bot, chat, &message, lang).await,
    }
}

async fn to_admin(
    bot: &Sender,
    store: &Arc<Store>,
    chat: i64,
    m: &TicketMessage,
) -> std::result::Result<(), SendFailure> {
    let (s, user, ticket) = (store.clone(), m.telegram_id, m.ticket_id);
    let found = blocking(move || {
        let first = s
            .ticket(ticket)?
            .and_then(|(_, messages)| messages.into_iter().find(|x| !x.from_admin))
            .map(|x| x.id);
        Ok((
            s.user(user)?,
            s.list_payments(Some(user), None, None, 3)?,
            first,
        ))
    })
    .await
    .map_err(|e: crate::error::Error| SendFailure::Transient(e.to_string()))?;
    let (profile, payments, first) = found;
    let asker = texts::Asker {
        telegram_id: m.telegram_id,
        username: profile.as_ref().and_then(|u| u.username.as_deref()),
        balance: profile
            .as_ref()
            .map_or(crate::money::Kopecks::ZERO, |u| u.balance),
        free_operations: profile.as_ref().map_or(0, |u| u.free_operations_left),
        free_access: profile.as_ref().is_some_and(|u| u.has_free_access),
        payments: payments
            .iter()
            .map(|p| {
                let mark = match p.status {
                    PaymentStatus::Succeeded => "✅",
                    PaymentStatus::Canceled => "✖️",
                    _ => "⏳",
                };
                format!(
                    "{} {} {} {mark}",
                    crate::time::day_and_time(p.created_at),
                    texts::money(Lang::Ru, p.amount),
                    p.provider
                )
            })
            .collect(),
    };
    let text = texts::support_copy(m.ticket_id, first == Some(m.id), &asker, &m.text);
    let sent = send(bot, chat, &text, m.photo.as_deref(), None).await?;
    let (s, message_id, ticket) = (store.clone(), i64::from(sent.id.0), m.ticket_id);
    // The copy is out: a failure to remember it only costs the reply-by-reply (/reply still works),
    // never a second copy.
    if let Err(e) = blocking(move || s.record_ticket_copy(chat, message_id, ticket)).await {
        tracing::warn!(ticket, error = %e, "could not remember a support copy");
    }
    Ok(())
}

async fn to_user(
    bot: &Sender,
    chat: i64,
    m: &TicketMessage,
    lang: Lang,
) -> std::result::Result<(), SendFailure> {
    let text = texts::support_answer(lang, m.ticket_id, &m.text);
    let keyboard = super::keyboards::support_answer(lang);
    send(bot, chat, &text, None, Some(keyboard))
        .await
        .map(|_| ())
}

/// A text, or a photo with the text as its caption (cut to Telegram's caption limit; the whole text
/// follows as a message when it is longer).
async fn send(
    bot: &Sender,
    chat: i64,
    text: &str,
    photo: Option<&str>,
    keyboard: Option<teloxide::types::InlineKeyboardMarkup>,
) -> std::result::Result<Message, SendFailure> {
    let chat = ChatId(chat);
    let fail = |e: teloxide::RequestError| SendFailure::of(&e);
    if let Some(photo) = photo {
        let caption: String = text.chars().take(CAPTION).collect();
        let sent = bot
            .send_photo(chat, InputFile::file_id(FileId(photo.to_string())))
            .caption(caption.clone())
            .await
            .map_err(fail)?;
        if caption.chars().count() == text.chars().count() {
            return Ok(sent);
        }
    }
    let mut send = bot.send_message(chat, text.to_string());
    if let Some(k) = keyboard {
        send = send.reply_markup(k);
    }
    send.await.map_err(fail)
}
