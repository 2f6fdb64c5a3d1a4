//! The admins' commands in the bot: totals, free access, credits. Routed only for ADMIN_TELEGRAM_IDS.

use crate::bot::turn::Turn;
use crate::bot::{AdminCommand, HandlerResult};
use crate::db::blocking;
use crate::error::{Error, Result};
use crate::money::Kopecks;
use teloxide::prelude::*;

pub async fn on_command(turn: Turn, cmd: AdminCommand) -> HandlerResult {
    turn.answer(move |turn| async move {
        let admin = turn.user.telegram_id;
        tracing::info!(admin, command = ?cmd, "admin command");
        match cmd {
            AdminCommand::Stats => stats(&turn).await,
            AdminCommand::Grant(args) => grant(&turn, &args).await,
            AdminCommand::Credit(args) => credit(&turn, &args).await,
        }
    })
    .await
}

async fn stats(turn: &Turn) -> Result<()> {
    let store = turn.ctx.billing.store().clone();
    let s = blocking(move || store.stats()).await?;
    let mut text = format!(
        "users: {} ({} free access)\nbalances: {} ₽\nrevenue: {} ₽ and {} Stars paid, {} ₽ credited\njobs in flight: {}",
        s.users,
        s.users_with_free_access,
        Kopecks(s.balances_kopecks),
        Kopecks(s.revenue_kopecks),
        s.revenue_stars,
        Kopecks(s.credited_kopecks),
        s.jobs_in_flight
    );
    for o in &s.operations {
        text.push_str(&format!("\n{} {}: {}", o.mode, o.status, o.count));
    }
    turn.say(text).await
}

async fn grant(turn: &Turn, args: &str) -> Result<()> {
    let Ok(id) = args.trim().parse::<i64>() else {
        return turn.say("usage: /grant TELEGRAM_ID").await;
    };
    let billing = turn.ctx.billing.clone();
    let granted =
        blocking(move || billing.set_free_access(id, true, "by an admin in the bot")).await;
    match granted {
        Ok(user) => {
            turn.say(format!("user {}: free access on", user.telegram_id))
                .await?;
            let lang = crate::texts::Lang::of(user.language_code.as_deref());
            tell(turn, &user, crate::texts::free_access_on(lang).into()).await;
            Ok(())
        }
        Err(Error::Invalid(why)) => turn.say(why).await,
        Err(e) => Err(e),
    }
}

async fn credit(turn: &Turn, args: &str) -> Result<()> {
    let mut parts = args.split_whitespace();
    let parsed = (
        parts.next().and_then(|s| s.parse::<i64>().ok()),
        parts.next().map(|a| Kopecks::parse_roubles(a, true)),
    );
    let (Some(id), Some(Ok(amount))) = parsed else {
        return turn
            .say("usage: /credit TELEGRAM_ID AMOUNT (e.g. /credit 123 50 or /credit 123 -10)")
            .await;
    };
    let billing = turn.ctx.billing.clone();
    let key = crate::ids::random_id("bot-")?;
    let result = blocking(move || billing.adjust(id, amount, "by an admin in the bot", &key)).await;
    match result {
        Ok(user) => {
            turn.say(format!(
                "user {}: balance {} ₽",
                user.telegram_id, user.balance
            ))
            .await?;
            let lang = crate::texts::Lang::of(user.language_code.as_deref());
            let text = crate::texts::admin_credited(lang, amount, user.balance);
            tell(turn, &user, text).await;
            Ok(())
        }
        Err(Error::Invalid(why)) => turn.say(why).await,
        Err(e) => Err(e),
    }
}

/// Tells `user` what an admin changed for them. Best effort: a user who never wrote to the bot
/// cannot be written to.
async fn tell(turn: &Turn, user: &crate::model::User, text: String) {
    let told = turn
        .bot
        .send_message(teloxide::types::ChatId(user.telegram_id), text)
        .await;
    if let Err(e) = told {
        tracing::info!(user = user.telegram_id, error = %e, "could not tell the user of an admin's change");
    }
}
