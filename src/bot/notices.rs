//! Delivers the outbox: messages billing recorded for users (a top-up credited) while no handler was
//! talking to them. A notice is marked sent only after Telegram accepted it.

use super::texts::{self, Lang};
use crate::billing::Billing;
use crate::db::{self, blocking};
use std::time::Duration;
use teloxide::prelude::*;
use tokio::sync::watch;

const POLL: Duration = Duration::from_secs(2);
/// After this many failed sends a notice is given up (the user blocked the bot, say).
const MAX_ATTEMPTS: i64 = 10;

pub async fn deliver_notices(bot: Bot, billing: Billing, mut shutdown: watch::Receiver<bool>) {
    loop {
        if let Err(e) = deliver_once(&bot, &billing).await {
            tracing::warn!(error = %e, "delivering notices failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn deliver_once(bot: &Bot, billing: &Billing) -> crate::error::Result<()> {
    let store = billing.store().clone();
    let notices = blocking(move || store.read(|c| db::notices::unsent(c, 50))).await?;
    for n in notices {
        let b = billing.clone();
        let lang = blocking(move || b.user(n.telegram_id))
            .await?
            .map(|u| Lang::of(u.language_code.as_deref()));
        let lang = lang.unwrap_or(Lang::Ru);
        let text = match n.kind.as_str() {
            "topup_credited" => texts::topup_credited(
                lang,
                n.payload["amount"].as_str().unwrap_or("?"),
                n.payload["balance"].as_str().unwrap_or("?"),
            ),
            other => {
                tracing::warn!(kind = other, "unknown notice kind; dropped");
                String::new()
            }
        };
        let sent = if text.is_empty() {
            Ok(())
        } else {
            bot.send_message(ChatId(n.telegram_id), text)
                .await
                .map(|_| ())
        };
        let store = billing.store().clone();
        let (id, ok) = (n.id, sent.is_ok());
        if let Err(e) = &sent {
            tracing::warn!(notice = n.id, user = n.telegram_id, error = %e, "notice not delivered");
        }
        blocking(move || {
            store.write(|tx| {
                if ok {
                    db::notices::mark_sent(tx, id, db::now())
                } else {
                    db::notices::failed(tx, id, MAX_ATTEMPTS, db::now())
                }
            })
        })
        .await?;
    }
    Ok(())
}
