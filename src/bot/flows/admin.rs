//! The admins' commands in the bot: totals, free access, credits. Routed only for ADMIN_TELEGRAM_IDS.

use crate::bot::turn::Turn;
use crate::bot::{AdminCommand, HandlerResult};
use crate::db::blocking;
use crate::error::{Error, Result};
use crate::money::Kopecks;
use crate::texts::{self, Lang};
use teloxide::prelude::*;

pub async fn on_command(turn: Turn, cmd: AdminCommand) -> HandlerResult {
    turn.answer(move |turn| async move {
        let admin = turn.user.telegram_id;
        tracing::info!(admin, command = ?cmd, "admin command");
        match cmd {
            AdminCommand::Stats => stats(&turn).await,
            AdminCommand::Grant(args) => grant(&turn, &args).await,
            AdminCommand::Credit(args) => credit(&turn, &args).await,
            AdminCommand::Payment(id) => payment(&turn, &id).await,
            AdminCommand::Broadcast => {
                turn.set(crate::bot::State::BroadcastText).await?;
                let lang = turn.lang;
                turn.say_with(
                    texts::broadcast_ask(lang),
                    crate::bot::keyboards::mode_prompt(lang, true),
                )
                .await
            }
            AdminCommand::Reply(args) => super::support::reply_command(&turn, &args).await,
            AdminCommand::Close(args) => super::support::close_command(&turn, &args).await,
            AdminCommand::Export => export(&turn).await,
            AdminCommand::Web(args) => web_link(&turn, &args).await,
            AdminCommand::Backup => {
                let (config, store) = (turn.ctx.config.clone(), turn.ctx.store.clone());
                let done = crate::bot::backups::send_to_admins(&turn.bot, &config, &store).await?;
                tracing::info!(admin, %done, "backup asked for");
                Ok(())
            }
        }
    })
    .await
}

/// /stats: the 30-day chart as a photo, the summary as its caption (a caption holds 1024
/// characters; a longer summary follows as text). Without a chart, the summary alone.
async fn stats(turn: &Turn) -> Result<()> {
    let store = turn.ctx.store.clone();
    let (s, png) = blocking(move || {
        let s = store.stats()?;
        let png = crate::chart::render(&store.daily(crate::chart::DAYS)?);
        Ok((s, png))
    })
    .await?;
    let summary = admin_stats(turn.lang, &s);
    let png = match png {
        Ok(png) => png,
        Err(e) => {
            tracing::warn!(error = %e, "the stats chart could not be drawn");
            return turn.say(summary).await;
        }
    };
    let fits = summary.chars().count() <= 1024;
    let photo = turn.bot.send_photo(
        turn.chat,
        teloxide::types::InputFile::memory(png).file_name("stats.png"),
    );
    if fits {
        photo.caption(summary).await?;
    } else {
        photo.await?;
        turn.say(summary).await?;
    }
    Ok(())
}

/// /web: a one-time link to the admin pages (10 minutes, once); `/web off` closes this admin's
/// browser sessions.
async fn web_link(turn: &Turn, args: &str) -> Result<()> {
    let lang = turn.lang;
    let Some(base) = turn.ctx.config.web.web_base_url.clone() else {
        return turn.say(texts::web_not_configured(lang)).await;
    };
    let (store, admin) = (turn.ctx.store.clone(), turn.user.telegram_id);
    if args.trim() == "off" {
        let closed = blocking(move || store.revoke_sessions(None, Some(admin))).await?;
        return turn.say(texts::web_off(lang, closed)).await;
    }
    let link = blocking(move || crate::web::login_link(&store, &base, admin)).await?;
    let url =
        reqwest::Url::parse(&link).map_err(|e| Error::internal(format!("the login link: {e}")))?;
    turn.say_with(
        texts::web_link(lang, crate::web::LOGIN_LINK_SECS / 60),
        teloxide::types::InlineKeyboardMarkup::new(vec![vec![
            teloxide::types::InlineKeyboardButton::url(texts::web_open_label(lang), url),
        ]]),
    )
    .await
}

/// /export: the operator's workbook (SPEC §8b) as a document.
async fn export(turn: &Turn) -> Result<()> {
    let (store, usd_rub) = (turn.ctx.store.clone(), turn.ctx.config.fal.fal_usd_rub);
    let xlsx = blocking(move || crate::export::operator_workbook(&store, usd_rub)).await?;
    let name = format!(
        "media-lab-{}.xlsx",
        crate::time::date_of(crate::time::now())
    );
    turn.bot
        .send_document(
            turn.chat,
            teloxide::types::InputFile::memory(xlsx).file_name(name),
        )
        .await?;
    Ok(())
}

async fn grant(turn: &Turn, args: &str) -> Result<()> {
    let lang = turn.lang;
    let Ok(id) = args.trim().parse::<i64>() else {
        return turn.say(texts::admin_grant_usage(lang)).await;
    };
    let billing = turn.ctx.billing.clone();
    let granted =
        blocking(move || billing.set_free_access(id, true, "by an admin in the bot")).await;
    match granted {
        Ok(user) => {
            // The user is told through the outbox, in the grant's own transaction.
            turn.ctx.notices.notify_one();
            turn.say(texts::admin_granted(lang, user.telegram_id)).await
        }
        Err(Error::Invalid(why)) => turn.say(why).await,
        Err(e) => Err(e),
    }
}

async fn credit(turn: &Turn, args: &str) -> Result<()> {
    let lang = turn.lang;
    let mut parts = args.split_whitespace();
    let parsed = (
        parts.next().and_then(|s| s.parse::<i64>().ok()),
        parts.next().map(|a| Kopecks::parse_roubles(a, true)),
    );
    let (Some(id), Some(Ok(amount))) = parsed else {
        return turn.say(texts::admin_credit_usage(lang)).await;
    };
    // Said in the admin's words; billing refuses it anyway, under its write lock.
    let store = turn.ctx.store.clone();
    if let Some(user) = blocking(move || store.user(id)).await?
        && user.balance.0 + amount.0 < 0
    {
        return turn
            .say(texts::admin_below_zero(lang, id, user.balance))
            .await;
    }
    let billing = turn.ctx.billing.clone();
    let key = crate::ids::random_id("bot-")?;
    let result = blocking(move || billing.adjust(id, amount, "by an admin in the bot", &key)).await;
    match result {
        Ok(user) => {
            turn.ctx.notices.notify_one();
            turn.say(texts::admin_balance(lang, user.telegram_id, user.balance))
                .await
        }
        Err(Error::Invalid(why)) => turn.say(why).await,
        Err(e) => Err(e),
    }
}

/// The admin's message after /broadcast: shown back exactly as users will get it (text and
/// entities, no parse mode), with the number of recipients and a confirm button.
pub async fn broadcast_text(
    turn: Turn,
    msg: teloxide::types::Message,
) -> crate::bot::HandlerResult {
    turn.answer(move |turn| async move {
        let lang = turn.lang;
        if !turn.is_admin() {
            turn.set(crate::bot::State::Idle).await?;
            return Ok(());
        }
        let Some(text) = msg
            .text()
            .map(str::to_string)
            .filter(|t| !t.trim().is_empty())
        else {
            return turn.step(texts::broadcast_ask(lang)).await;
        };
        let entities = msg
            .entities()
            .filter(|e| !e.is_empty())
            .and_then(|e| serde_json::to_string(e).ok());
        let store = turn.ctx.store.clone();
        let chat = turn.chat.0;
        let audience = blocking(move || store.broadcast_audience(false, Some(chat))).await?;
        let mut preview = turn.bot.send_message(turn.chat, text.clone());
        if let Some(e) = msg.entities().filter(|e| !e.is_empty()) {
            preview = preview.entities(e.to_vec());
        }
        preview.await?;
        turn.set(crate::bot::State::BroadcastReady { text, entities })
            .await?;
        turn.say_with(
            texts::broadcast_confirm(lang, audience),
            crate::bot::keyboards::broadcast_confirm(lang, audience),
        )
        .await
    })
    .await
}

/// 📣 under the preview: the broadcast is queued (one row per recipient) and the sender woken.
pub async fn broadcast_send(turn: &Turn) -> Result<()> {
    let lang = turn.lang;
    let ready = match turn.dlg.get().await? {
        Some(crate::bot::State::BroadcastReady { text, entities }) if turn.is_admin() => {
            Some((text, entities))
        }
        _ => None,
    };
    let Some((text, entities)) = ready else {
        return turn.note(texts::held_gone(lang)).await;
    };
    turn.set(crate::bot::State::Idle).await?;
    let (store, chat) = (turn.ctx.store.clone(), turn.chat.0);
    let (id, n) =
        blocking(move || store.create_broadcast(&text, entities.as_deref(), false, Some(chat)))
            .await?;
    tracing::info!(
        admin = turn.user.telegram_id,
        broadcast = id,
        recipients = n,
        "broadcast queued"
    );
    // The preview's message becomes the progress message, edited until the summary: one
    // message, saved before the sender is woken so its first report edits it instead of sending
    // another.
    if let Some(message) = turn.origin.filter(|_| turn.pressed) {
        let store = turn.ctx.store.clone();
        blocking(move || store.set_broadcast_message(id, i64::from(message))).await?;
    }
    turn.show(
        texts::broadcast_progress(lang, id, 0, 0, n),
        crate::bot::keyboards::menu_only(lang),
    )
    .await?;
    turn.ctx.broadcasts.notify_one();
    Ok(())
}

/// /payment ID: what `media-lab payment show` prints — the top-up and every event of its story.
async fn payment(turn: &Turn, id: &str) -> Result<()> {
    let lang = turn.lang;
    let id = id.trim().to_string();
    if id.is_empty() || id.len() > 128 {
        return turn.say(texts::admin_payment_usage(lang)).await;
    }
    let store = turn.ctx.store.clone();
    let found = blocking(move || store.payment_story(&id)).await?;
    let Some((p, events)) = found else {
        return turn.say(texts::admin_payment_unknown(lang)).await;
    };
    let mut text = texts::payment_summary(
        lang,
        &p.id,
        p.provider,
        p.telegram_id,
        p.amount,
        &texts::paid_amount(lang, p.charge_amount.0, &p.currency),
        p.status,
    );
    for (at, what) in events {
        text.push_str(&format!(
            "\n{} UTC  {}",
            crate::time::day_and_time(at),
            texts::payment_event(lang, &what)
        ));
    }
    // A long story is cut to what one message holds.
    let text: String = text.chars().take(4000).collect();
    turn.say(text).await
}

/// /stats for admins, in their language (the figures come from the store, below the texts).
fn admin_stats(lang: Lang, s: &crate::db::stats::Stats) -> String {
    let m = |k: i64| texts::money(lang, Kopecks(k));
    let mut text = match lang {
        Lang::Ru => format!(
            "Пользователей: {} (безлимит у {})\nНа балансах: {}\n\
             Деньги: {} картой, {} ⭐ пополнений, {} ⭐ подписок; зачислено {}\n\
             Бесплатно: начислено админом {}, бесплатных операций выдано {}\n\
             Операции: выручка {}, себестоимость {}, маржа {}\nЗадач в работе: {}",
            s.users,
            s.users_with_free_access,
            m(s.balances_kopecks),
            m(s.revenue_kopecks),
            s.revenue_stars,
            s.plan_stars,
            m(s.credited_kopecks),
            m(s.free_credits_kopecks),
            s.free_ops_given(),
            m(s.operations_revenue_kopecks),
            m(s.cost_kopecks),
            m(s.margin_kopecks),
            s.jobs_in_flight
        ),
        Lang::En => format!(
            "Users: {} ({} with free access)\nBalances: {}\n\
             Money: {} by card, {} ⭐ top-ups, {} ⭐ plans; credited {}\n\
             Free: {} credited by admins, {} free operations given\n\
             Operations: revenue {}, cost {}, margin {}\nJobs in flight: {}",
            s.users,
            s.users_with_free_access,
            m(s.balances_kopecks),
            m(s.revenue_kopecks),
            s.revenue_stars,
            s.plan_stars,
            m(s.credited_kopecks),
            m(s.free_credits_kopecks),
            s.free_ops_given(),
            m(s.operations_revenue_kopecks),
            m(s.cost_kopecks),
            m(s.margin_kopecks),
            s.jobs_in_flight
        ),
    };
    for row in &s.by_mode {
        text.push('\n');
        text.push_str(&texts::stats_margin(
            lang,
            &row.mode,
            row.operations,
            (
                Kopecks(row.revenue_kopecks),
                Kopecks(row.cost_kopecks),
                Kopecks(row.margin_kopecks),
            ),
        ));
    }
    for o in &s.operations {
        text.push('\n');
        text.push_str(&texts::stats_operations(lang, &o.mode, &o.status, o.count));
    }
    text.push_str(&match lang {
        Lang::Ru => format!(
            "\nПриглашено: {}, пополнили: {}",
            s.referrals, s.referrals_converted
        ),
        Lang::En => format!(
            "\nInvited: {}, topped up: {}",
            s.referrals, s.referrals_converted
        ),
    });
    text
}
