//! Delivers the outbox: messages billing recorded in the same transaction as what they report (a
//! top-up credited, a job failed and refunded) for users no handler was talking to. A notice is marked
//! sent only after Telegram accepted it; a 429 or an outage is retried with backoff (after a restart
//! too) until DELIVERY_TIMEOUT_SECS, and a chat that is gone gives it up at once.

use crate::config::Config;
use crate::db::{Store, blocking, notices::Queued};
use crate::error::Result;
use crate::jobs::worker::Sender;
use crate::model::Notice;
use crate::telegram::{SendFailure, backoff};
use crate::texts::{self, Lang};
use std::sync::Arc;
use std::time::Duration;
use teloxide::prelude::*;
use teloxide::types::MessageId;
use tokio::sync::watch;

const POLL: Duration = Duration::from_secs(1);

pub async fn deliver_notices(
    bot: Sender,
    store: Arc<Store>,
    config: Arc<Config>,
    wake: Arc<tokio::sync::Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if let Err(e) = deliver_due(&bot, &store, &config).await {
            tracing::warn!(error = %e, "delivering notices failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = wake.notified() => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Notices due now, at most this many per pass.
const BATCH: u32 = 500;

/// Delivers what is due: each user's notices in order, different users' side by side (the paced
/// sender keeps the whole under Telegram's limits), so one chat's one-a-second pace holds up nobody
/// else's credited message.
async fn deliver_due(bot: &Sender, store: &Arc<Store>, config: &Arc<Config>) -> Result<()> {
    let s = store.clone();
    let notices = blocking(move || s.due_notices(BATCH)).await?;
    let mut chats: Vec<Vec<Queued>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for n in notices {
        let lane = *index.entry(n.telegram_id).or_insert_with(|| {
            chats.push(Vec::new());
            chats.len() - 1
        });
        chats[lane].push(n);
    }
    let mut lanes = tokio::task::JoinSet::new();
    for list in chats {
        let (bot, store, config) = (bot.clone(), store.clone(), config.clone());
        lanes.spawn(async move {
            for n in list {
                deliver_one(&bot, &store, &config, n).await?;
            }
            Ok::<(), crate::error::Error>(())
        });
    }
    let mut failure = None;
    while let Some(joined) = lanes.join_next().await {
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(e)) => failure = Some(e),
            Err(e) => {
                failure = Some(crate::error::Error::internal(format!(
                    "a notice lane failed: {e}"
                )))
            }
        }
    }
    failure.map_or(Ok(()), Err)
}

/// One notice: sent, retried later, or given up, and recorded so.
async fn deliver_one(bot: &Sender, store: &Arc<Store>, config: &Config, n: Queued) -> Result<()> {
    let store = store.clone();
    let nid = n.id;
    let notice = match n.notice {
        Ok(notice) => notice,
        Err(why) => {
            tracing::error!(notice = nid, user = n.telegram_id, error = %why, "a stored notice cannot be read; given up");
            return blocking(move || store.give_up_notice(nid)).await;
        }
    };
    let (s, id) = (store.clone(), n.telegram_id);
    let user_lang = blocking(move || s.user(id))
        .await?
        .map(|u| Lang::of(u.language_code.as_deref()));
    let lang = user_lang.unwrap_or(Lang::Ru);
    let offer = match notice {
        Notice::TopupCredited { .. } => held_offer(&store, config, n.telegram_id, lang).await?,
        _ => None,
    };
    let price = config.prices.price_per_operation;
    let outcome = match notice {
        Notice::SupportToAdmin { .. } | Notice::SupportAnswer { .. } => {
            super::support::deliver(bot, &store, n.telegram_id, &notice, lang).await
        }
        _ => send(bot, n.telegram_id, &notice, lang, offer, price).await,
    };
    let now = crate::time::now();
    let expired = now - n.created_at >= config.fal.delivery_timeout_secs as i64;
    let next = match outcome {
        Ok(()) => Next::Sent,
        Err(SendFailure::RetryAfter(wait)) => Next::RetryAt(now + wait.as_secs().max(1) as i64),
        Err(SendFailure::Transient(why)) => {
            tracing::warn!(notice = n.id, user = n.telegram_id, error = %why, "notice not delivered; will retry");
            Next::RetryAt(now + backoff(n.attempts.clamp(0, 30) as u32).as_secs() as i64)
        }
        Err(SendFailure::Gone(why) | SendFailure::Rejected(why)) => {
            tracing::warn!(notice = n.id, user = n.telegram_id, error = %why, "notice cannot be delivered; given up");
            Next::GiveUp
        }
    };
    blocking(move || match next {
        Next::Sent => store.notice_sent(nid),
        Next::RetryAt(_) if expired => store.give_up_notice(nid),
        Next::RetryAt(at) => store.retry_notice_at(nid, at),
        Next::GiveUp => store.give_up_notice(nid),
    })
    .await?;
    Ok(())
}

/// The offer to run the request that waited for this money, when there is one and it can now be
/// paid for.
async fn held_offer(
    store: &Arc<Store>,
    config: &Config,
    telegram_id: i64,
    lang: Lang,
) -> Result<Option<String>> {
    let s = store.clone();
    let found = blocking(move || Ok((s.held_request(telegram_id)?, s.user(telegram_id)?))).await?;
    let (Some(held), Some(user)) = found else {
        return Ok(None);
    };
    let Ok(mode) = held.mode.parse::<crate::model::Mode>() else {
        return Ok(None);
    };
    // The held request runs with the model it asked for, at that model's price.
    let key = crate::model::JobInput::from_json(&held.input)
        .ok()
        .and_then(|i| i.model)
        .map(|m| m.label);
    let price = user.price_of(config.fal.catalogue.pick(mode, key.as_deref()).price);
    let free = user.next_is_free();
    if !free && user.balance < price {
        return Ok(None);
    }
    Ok(Some(texts::held_offer(
        lang,
        mode,
        &texts::held_price(lang, price, free),
    )))
}

/// What becomes of a notice after one attempt.
#[derive(Clone, Copy)]
enum Next {
    Sent,
    /// Try again at this unix time (given up instead once DELIVERY_TIMEOUT_SECS has passed).
    RetryAt(i64),
    GiveUp,
}

/// Sends one notice. A job failure first replaces the job's "accepted" message (so the chat shows
/// one status, not two); when that message cannot be edited, the text is sent as a new message.
async fn send(
    bot: &Sender,
    telegram_id: i64,
    notice: &Notice,
    user_lang: Lang,
    offer: Option<String>,
    price: crate::money::Kopecks,
) -> std::result::Result<(), SendFailure> {
    let menu = || super::keyboards::main_menu(user_lang);
    let mut chat = ChatId(telegram_id);
    let mut replaces = None;
    let (text, keyboard) = match notice {
        Notice::TopupCredited {
            amount, balance, ..
        } => {
            let text = texts::topup_credited(user_lang, *amount, *balance, price);
            // The next step after a top-up is making something: the request that waited for
            // this money, or the main menu.
            match offer {
                Some(offer) => (
                    format!("{text}\n\n{offer}"),
                    super::keyboards::held_offer(user_lang),
                ),
                None => (text, menu()),
            }
        }
        Notice::Credited { amount, balance } => {
            (texts::admin_credited(user_lang, *amount, *balance), menu())
        }
        Notice::FreeAccess(true) => (texts::free_access_granted(user_lang).to_string(), menu()),
        Notice::FreeAccess(false) => (texts::free_access_revoked(user_lang).to_string(), menu()),
        Notice::PlanGranted {
            plan,
            operations,
            expires_at,
            renewal,
        } => (
            texts::plan_granted(
                user_lang,
                plan,
                *operations,
                &crate::time::day_month_year(*expires_at),
                *renewal,
            ),
            menu(),
        ),
        Notice::PlanRenewalFailed { plan } => (
            texts::plan_renewal_failed(user_lang, plan),
            super::keyboards::plans_offer(user_lang),
        ),
        Notice::ReferralBonus {
            inviter,
            bonus,
            free_operations,
        } => (
            texts::referral_bonus(user_lang, *inviter, *bonus, *free_operations),
            menu(),
        ),
        Notice::JobFailed {
            job_id,
            chat_id,
            why,
            lang,
            returned,
            free_operation,
            balance,
            progress_message_id,
        } => {
            let lang = match lang.as_str() {
                "" => user_lang,
                code => Lang::of(Some(code)),
            };
            chat = ChatId(*chat_id);
            replaces = progress_message_id.and_then(|m| i32::try_from(m).ok());
            let returned = returned.is_positive().then_some(*returned);
            (
                texts::job_failed(lang, *why, returned, *free_operation, *balance),
                crate::actions::failure_keyboard(lang, Some(*job_id), *why),
            )
        }
        // Delivered by `support::deliver`, which reads the message they carry.
        Notice::SupportToAdmin { .. } | Notice::SupportAnswer { .. } => return Ok(()),
    };
    if let Some(message) = replaces {
        let edit = bot
            .edit_message_text(chat, MessageId(message), text.clone())
            .reply_markup(keyboard.clone());
        match edit.await {
            Ok(_) => return Ok(()),
            Err(e) => match SendFailure::of(&e) {
                // The message is gone or too old to edit: say it in a new one.
                SendFailure::Rejected(_) => {}
                other => return Err(other),
            },
        }
    }
    bot.send_message(chat, text)
        .reply_markup(keyboard)
        .await
        .map(|_| ())
        .map_err(|e| SendFailure::of(&e))
}
