//! The broadcast sender: works through the recipients `media-lab broadcast` and /broadcast queued,
//! one send every 42 ms (never more than 25 a second, under Telegram's 30), pausing for a 429's `retry_after`;
//! a user who blocked the bot is marked and skipped by later broadcasts. The admin who started one
//! sees its progress edited in one message, then a summary.

use crate::db::{
    Store, blocking,
    broadcasts::{Send, SendOutcome},
};
use crate::telegram::{SendFailure, backoff};
use crate::texts::{self, Lang};
use std::sync::Arc;
use std::time::Duration;
use teloxide::prelude::*;
use teloxide::types::{MessageEntity, MessageId};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// The gap between two sends: under 24 a second, so no second ever holds more than 25 however the
/// network bunches them.
pub const PACE: Duration = Duration::from_millis(42);
/// A send that fails this often for a passing reason (network, 5xx) is given up.
const MAX_ATTEMPTS: i64 = 5;
/// How often an admin's progress message is edited.
const PROGRESS_EVERY: Duration = Duration::from_secs(3);
/// How long the sender sleeps when nothing is due (a new broadcast wakes it).
const IDLE: Duration = Duration::from_secs(2);

pub async fn run(
    bot: super::Tg,
    store: Arc<Store>,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    let s = store.clone();
    match blocking(move || s.recover_broadcasts()).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            count = n,
            "broadcast sends interrupted by a restart; not sent again"
        ),
        Err(e) => tracing::warn!(error = %e, "could not recover broadcasts"),
    }
    let (mut next_send, mut last_progress) = (Instant::now(), Instant::now());
    loop {
        let s = store.clone();
        let claimed = blocking(move || s.claim_broadcast_send()).await;
        match claimed {
            Ok(Some(send)) => {
                tokio::select! {
                    _ = tokio::time::sleep_until(next_send) => {}
                    _ = shutdown.changed() => {
                        // Not sent: back in the queue for the next start.
                        let s = store.clone();
                        let _ = blocking(move || s.finish_broadcast_send(&send, SendOutcome::RetryAt(0))).await;
                        return;
                    }
                }
                next_send = Instant::now() + PACE;
                if let Some(pause) = send_one(&bot, &store, &send).await {
                    next_send = Instant::now() + pause;
                }
            }
            Ok(None) => {
                report(&bot, &store, true).await;
                tokio::select! {
                    _ = tokio::time::sleep(IDLE) => {}
                    _ = wake.notified() => {}
                    _ = shutdown.changed() => return,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "claiming a broadcast send failed");
                tokio::select! {
                    _ = tokio::time::sleep(IDLE) => {}
                    _ = shutdown.changed() => return,
                }
            }
        }
        if last_progress.elapsed() >= PROGRESS_EVERY {
            last_progress = Instant::now();
            report(&bot, &store, false).await;
        }
    }
}

/// One send and its outcome recorded; returns a pause when Telegram asked for one.
async fn send_one(bot: &super::Tg, store: &Arc<Store>, send: &Send) -> Option<Duration> {
    let entities: Option<Vec<MessageEntity>> = send
        .entities
        .as_deref()
        .and_then(|e| serde_json::from_str(e).ok());
    // Under the message, the way into the bot: a broadcast asks people to look, so it leads there.
    let lang = Lang::of(send.language_code.as_deref());
    let mut request = bot
        .send_message(ChatId(send.telegram_id), send.text.clone())
        .reply_markup(super::keyboards::menu_only(lang));
    if let Some(entities) = entities {
        request = request.entities(entities);
    }
    let now = crate::time::now();
    let (outcome, pause) = match request.await {
        Ok(_) => (SendOutcome::Sent, None),
        Err(e) => match failure_of(&e) {
            SendFailure::RetryAfter(wait) => (
                SendOutcome::RetryAt(now + wait.as_secs().max(1) as i64),
                Some(wait),
            ),
            SendFailure::Transient(_) if send.attempts < MAX_ATTEMPTS => (
                SendOutcome::RetryAt(
                    now + backoff(send.attempts.clamp(0, 30) as u32).as_secs() as i64,
                ),
                None,
            ),
            SendFailure::Gone(_) => (SendOutcome::Blocked, None),
            SendFailure::Transient(why) | SendFailure::Rejected(why) => {
                tracing::warn!(user = send.telegram_id, broadcast = send.broadcast_id, error = %why, "broadcast send failed");
                (SendOutcome::Failed, None)
            }
        },
    };
    let (s, send) = (store.clone(), send.clone());
    if let Err(e) = blocking(move || s.finish_broadcast_send(&send, outcome)).await {
        tracing::error!(error = %e, "recording a broadcast send failed");
    }
    pause
}

/// How a broadcast treats a failed send: as everywhere else, except that "chat not found", which
/// Telegram says now and then of a chat that is there, is retried like an outage and only a failure
/// in the end, never a mark that the user is gone.
fn failure_of(e: &teloxide::RequestError) -> SendFailure {
    match e {
        teloxide::RequestError::Api(teloxide::ApiError::ChatNotFound) => {
            SendFailure::Transient(e.to_string())
        }
        e => SendFailure::of(e),
    }
}

/// Edits each running broadcast's progress message (sending it first if there is none); with
/// `finished`, also the summaries of broadcasts that just ended.
async fn report(bot: &super::Tg, store: &Arc<Store>, finished: bool) {
    let s = store.clone();
    let running = match blocking(move || s.running_broadcasts()).await {
        Ok(running) => running,
        Err(e) => {
            tracing::error!(error = %e, "broadcasts: reading their progress failed");
            return;
        }
    };
    for (id, chat, message) in running {
        let s = store.clone();
        let p = match blocking(move || s.broadcast_progress(id)).await {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(broadcast = id, error = %e, "broadcasts: reading one's progress failed");
                continue;
            }
        };
        let lang = lang_of(store, chat).await;
        let text = texts::broadcast_progress(lang, id, p.sent, p.not_delivered, p.left);
        show(bot, store, id, chat, message, text).await;
    }
    if !finished {
        return;
    }
    let s = store.clone();
    let done = match blocking(move || s.finish_broadcasts()).await {
        Ok(done) => done,
        Err(e) => {
            tracing::error!(error = %e, "broadcasts: closing finished ones failed; will retry");
            return;
        }
    };
    for f in done {
        let p = f.progress;
        tracing::info!(
            broadcast = f.id,
            sent = p.sent,
            not_delivered = p.not_delivered,
            "broadcast finished"
        );
        if let Some(chat) = f.admin_chat {
            let lang = lang_of(store, chat).await;
            let text = texts::broadcast_done(lang, f.id, p.sent, p.not_delivered);
            show(bot, store, f.id, chat, f.progress_message_id, text).await;
        }
    }
}

/// The admin's one progress message, edited (or sent, when there is none yet), always with the way
/// back to the menu.
async fn show(
    bot: &super::Tg,
    store: &Arc<Store>,
    id: i64,
    chat: i64,
    message: Option<i64>,
    text: String,
) {
    let lang = lang_of(store, chat).await;
    let menu = super::keyboards::menu_only(lang);
    match message.and_then(|m| i32::try_from(m).ok()) {
        Some(m) => {
            let _ = bot
                .edit_message_text(ChatId(chat), MessageId(m), text)
                .reply_markup(menu)
                .await;
        }
        None => {
            if let Ok(sent) = bot
                .send_message(ChatId(chat), text)
                .reply_markup(menu)
                .await
            {
                let (s, m) = (store.clone(), i64::from(sent.id.0));
                let _ = blocking(move || s.set_broadcast_message(id, m)).await;
            }
        }
    }
}

async fn lang_of(store: &Arc<Store>, chat: i64) -> Lang {
    let s = store.clone();
    let user = blocking(move || s.user(chat)).await;
    Lang::of(user.ok().flatten().and_then(|u| u.language_code).as_deref())
}
