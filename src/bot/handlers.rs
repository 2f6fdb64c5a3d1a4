//! Update handlers: decode what the user sent, call billing/payments/jobs, answer. Each endpoint turns
//! an internal error into a polite reply plus a log line.

use super::{Command, Ctx, Dlg, HandlerResult, State, keyboards};
use crate::billing::{Profile, Redeemed, Reserve};
use crate::db::{self, blocking, jobs::NewJob};
use crate::error::{Error, Result};
use crate::model::{Mode, PaidWith, User};
use crate::money::Kopecks;
use crate::payments::StartedTopup;
use crate::texts::{self, Lang};
use teloxide::prelude::*;
use teloxide::types::{ChatId, User as TgUser};

/// Longest prompt or instruction passed on to a model, and longest text drawn on a photo.
const MAX_PROMPT: usize = 2000;
const MAX_OVERLAY: usize = 300;

/// The user behind an update, created on first contact, and their language.
async fn who(ctx: &Ctx, from: &TgUser) -> Result<(User, Lang)> {
    let id = i64::try_from(from.id.0).map_err(|_| Error::invalid("user id out of range"))?;
    let (username, lang) = (from.username.clone(), from.language_code.clone());
    let billing = ctx.billing.clone();
    let user = blocking(move || {
        billing.ensure_user(
            id,
            Some(Profile {
                username: username.as_deref(),
                language_code: lang.as_deref(),
            }),
        )
    })
    .await?;
    let lang = Lang::of(from.language_code.as_deref());
    Ok((user, lang))
}

pub async fn on_command(bot: Bot, msg: Message, cmd: Command, dlg: Dlg, ctx: Ctx) -> HandlerResult {
    let Some(from) = msg.from.clone() else {
        return Ok(());
    };
    let (user, lang) = who(&ctx, &from).await?;
    let chat = msg.chat.id;
    let result = match cmd {
        Command::Start => {
            dlg.update(State::Idle).await?;
            let name = from.first_name.chars().take(64).collect::<String>();
            bot.send_message(
                chat,
                texts::greeting(lang, &name, user.free_operations_left),
            )
            .reply_markup(keyboards::main_menu(lang))
            .await?;
            Ok(())
        }
        Command::Balance => {
            Turn {
                bot: &bot,
                dlg: &dlg,
                ctx: &ctx,
                chat,
                user: &user,
                lang,
            }
            .show_balance()
            .await
        }
        Command::Help => {
            bot.send_message(chat, texts::help(lang, &prices(&ctx)))
                .reply_markup(keyboards::main_menu(lang))
                .await?;
            Ok(())
        }
        Command::Cancel => {
            dlg.update(State::Idle).await?;
            bot.send_message(chat, texts::cancelled(lang))
                .reply_markup(keyboards::main_menu(lang))
                .await?;
            Ok(())
        }
        Command::Stats | Command::Grant(_) | Command::Credit(_)
            if !ctx.config.is_admin(user.telegram_id) =>
        {
            bot.send_message(chat, texts::admin_only(lang)).await?;
            Ok(())
        }
        Command::Stats => admin_stats(&bot, chat, &ctx).await,
        Command::Grant(args) => admin_grant(&bot, chat, &ctx, &args).await,
        Command::Credit(args) => admin_credit(&bot, chat, &ctx, &args).await,
    };
    polite(&bot, chat, lang, result).await
}

pub async fn on_message(bot: Bot, msg: Message, dlg: Dlg, ctx: Ctx) -> HandlerResult {
    let Some(from) = msg.from.clone() else {
        return Ok(());
    };
    if from.is_bot {
        return Ok(());
    }
    let (user, lang) = who(&ctx, &from).await?;
    let chat = msg.chat.id;
    let state = dlg.get().await?.unwrap_or_default();
    let result = route(&bot, &msg, &dlg, &ctx, &user, lang, state).await;
    polite(&bot, chat, lang, result).await
}

/// One step of the dialogue: what the message means in the chat's current state.
async fn route(
    bot: &Bot,
    msg: &Message,
    dlg: &Dlg,
    ctx: &Ctx,
    user: &User,
    lang: Lang,
    state: State,
) -> Result<()> {
    let chat = msg.chat.id;
    let turn = Turn {
        bot,
        dlg,
        ctx,
        chat,
        user,
        lang,
    };
    if photo_too_large(msg) {
        // Refused before anything is charged or queued (SPEC §6); the dialogue stays where it was.
        bot.send_message(chat, texts::photo_too_large(lang))
            .await
            .map_err(tg)?;
        return Ok(());
    }
    let photo = photo_of(msg);
    let text = msg
        .text()
        .or(msg.caption())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    let say = |t: String| async move { bot.send_message(chat, t).await.map(|_| ()).map_err(tg) };
    match (state, photo) {
        (State::Idle, _) => {
            if msg.chat.is_private() {
                bot.send_message(chat, texts::not_understood(lang))
                    .reply_markup(keyboards::main_menu(lang))
                    .await
                    .map_err(tg)?;
            }
            Ok(())
        }
        (State::Generate, _) => match text {
            Some(prompt) if prompt.chars().count() > MAX_PROMPT => {
                say(texts::too_long(lang, MAX_PROMPT)).await
            }
            Some(prompt) => turn.start_paid(Mode::Generate, prompt, vec![]).await,
            None => say(texts::need_text(lang).into()).await,
        },
        (State::Edit { photo: None } | State::Edit { photo: Some(_) }, Some(p))
            if text.is_none() =>
        {
            dlg.update(State::Edit { photo: Some(p) }).await?;
            say(texts::ask_instruction(lang).into()).await
        }
        (State::Edit { photo: Some(p) }, None) | (State::Edit { .. }, Some(p)) => match text {
            Some(t) if t.chars().count() > MAX_PROMPT => {
                say(texts::too_long(lang, MAX_PROMPT)).await
            }
            Some(t) => turn.start_paid(Mode::Edit, t, vec![p]).await,
            None => say(texts::need_text(lang).into()).await,
        },
        (State::Edit { photo: None }, None) => say(texts::need_photo(lang).into()).await,
        (State::Merge { mut photos, group }, Some(p)) => {
            if photos.len() >= 4 {
                return say(texts::merge_full(lang).into()).await;
            }
            photos.push(p);
            let this_group = msg.media_group_id().map(|g| g.0.clone());
            // An album arrives as one message per photo: answer its first photo only.
            let answer = this_group.is_none() || this_group != group;
            let n = photos.len();
            dlg.update(State::Merge {
                photos,
                group: this_group,
            })
            .await?;
            if answer {
                say(texts::merge_got(lang, n)).await
            } else {
                Ok(())
            }
        }
        (State::Merge { photos, .. }, None) => match text {
            Some(_) if photos.len() < 2 => say(texts::merge_need_more(lang).into()).await,
            Some(t) if t.chars().count() > MAX_PROMPT => {
                say(texts::too_long(lang, MAX_PROMPT)).await
            }
            Some(t) => turn.start_paid(Mode::Merge, t, photos).await,
            None => say(texts::need_photo(lang).into()).await,
        },
        (State::FaceSwap { face: None }, Some(p)) => {
            dlg.update(State::FaceSwap { face: Some(p) }).await?;
            say(texts::ask_target(lang).into()).await
        }
        (State::FaceSwap { face: Some(face) }, Some(target)) => {
            turn.start_paid(Mode::FaceSwap, String::new(), vec![face, target])
                .await
        }
        (State::FaceSwap { .. } | State::Retouch | State::Upscale, None) => {
            say(texts::need_photo(lang).into()).await
        }
        (State::Retouch, Some(p)) => {
            turn.start_paid(Mode::Retouch, text.unwrap_or_default(), vec![p])
                .await
        }
        (State::Upscale, Some(p)) => {
            turn.start_paid(Mode::Upscale, text.unwrap_or_default(), vec![p])
                .await
        }
        (State::AddText { .. }, Some(p)) if text.is_none() => {
            dlg.update(State::AddText { photo: Some(p) }).await?;
            say(texts::ask_text_for_photo(lang).into()).await
        }
        (State::AddText { photo: Some(p) }, None) | (State::AddText { .. }, Some(p)) => {
            match text {
                Some(t) if t.chars().count() > MAX_OVERLAY => {
                    say(texts::too_long(lang, MAX_OVERLAY)).await
                }
                Some(t) => turn.start_add_text(t, p).await,
                None => say(texts::need_text(lang).into()).await,
            }
        }
        (State::AddText { photo: None }, None) => say(texts::need_photo(lang).into()).await,
        (State::DiscountCode, _) => {
            let Some(code) = text else {
                return say(texts::need_text(lang).into()).await;
            };
            let (billing, id) = (ctx.billing.clone(), user.telegram_id);
            let applied = blocking(move || billing.apply_discount_code(id, &code)).await?;
            dlg.update(State::Idle).await?;
            match applied {
                Ok(code) => {
                    let percent = match code.kind {
                        crate::model::PromoKind::Percent(p) => p,
                        _ => 0,
                    };
                    say(texts::code_applied(lang, &code.code, percent)).await?;
                    turn.payment_menu().await
                }
                Err(why) => {
                    say(texts::code_refused(lang, why).into()).await?;
                    turn.payment_menu().await
                }
            }
        }
        (State::GenerationCode, _) => {
            let Some(code) = text else {
                return say(texts::need_text(lang).into()).await;
            };
            let (billing, id) = (ctx.billing.clone(), user.telegram_id);
            let redeemed = blocking(move || billing.redeem_generation_code(id, &code)).await?;
            dlg.update(State::Idle).await?;
            let reply = match redeemed {
                Ok(Redeemed::FreeAccess(_)) => texts::free_access_on(lang).to_string(),
                Ok(Redeemed::BonusOps { added, user }) => {
                    texts::bonus_ops(lang, added, user.free_operations_left)
                }
                Err(why) => texts::code_refused(lang, why).to_string(),
            };
            bot.send_message(chat, reply)
                .reply_markup(keyboards::main_menu(lang))
                .await
                .map_err(tg)?;
            Ok(())
        }
        (State::CustomAmount, _) => {
            let (min, max) = (crate::billing::MIN_TOPUP, crate::billing::MAX_TOPUP);
            let amount = text
                .and_then(|t| {
                    Kopecks::parse_roubles(t.trim_end_matches(['₽', 'р', ' ']), false).ok()
                })
                .filter(|a| *a >= min && *a <= max);
            let Some(amount) = amount else {
                return say(texts::bad_amount(lang, min, max)).await;
            };
            dlg.update(State::Idle).await?;
            turn.start_topup(amount).await
        }
    }
}

pub async fn on_callback(bot: Bot, q: CallbackQuery, dlg: Dlg, ctx: Ctx) -> HandlerResult {
    // Answer first: it stops the button's spinner whatever happens next.
    let data = q.data.clone().unwrap_or_default();
    let Some(chat) = q.message.as_ref().map(|m| m.chat().id) else {
        bot.answer_callback_query(q.id.clone()).await?;
        return Ok(());
    };
    let (user, lang) = who(&ctx, &q.from).await?;
    let known = is_known(&data, &ctx);
    let answer = bot.answer_callback_query(q.id.clone());
    if known {
        answer.await?;
    } else {
        answer.text(texts::stale_button(lang)).await?;
        return Ok(());
    }
    let result = callback(&bot, &data, chat, &dlg, &ctx, &user, lang).await;
    polite(&bot, chat, lang, result).await
}

fn is_known(data: &str, ctx: &Ctx) -> bool {
    match data.split_once(':') {
        Some(("mode", m)) => m == "add_text" || m.parse::<Mode>().is_ok(),
        Some(("topup", k)) => k
            .parse::<i64>()
            .is_ok_and(|k| ctx.config.topup_amounts.contains(&Kopecks(k))),
        Some(_) => false,
        None => matches!(
            data,
            "menu" | "payment_menu" | "promo_topup" | "promo_gen" | "custom_amount"
        ),
    }
}

async fn callback(
    bot: &Bot,
    data: &str,
    chat: ChatId,
    dlg: &Dlg,
    ctx: &Ctx,
    user: &User,
    lang: Lang,
) -> Result<()> {
    let set = |s: State| async move { dlg.update(s).await };
    let turn = Turn {
        bot,
        dlg,
        ctx,
        chat,
        user,
        lang,
    };
    match data.split_once(':') {
        Some(("mode", "add_text")) => {
            set(State::AddText { photo: None }).await?;
            bot.send_message(chat, texts::ask_add_text_photo(lang))
                .await
                .map_err(tg)?;
        }
        Some(("mode", m)) => {
            let mode: Mode = m.parse().map_err(Error::Invalid)?;
            if ctx.config.fal_key.is_none() {
                bot.send_message(chat, texts::unavailable(lang))
                    .await
                    .map_err(tg)?;
                return Ok(());
            }
            set(match mode {
                Mode::Generate => State::Generate,
                Mode::Edit => State::Edit { photo: None },
                Mode::Merge => State::Merge {
                    photos: vec![],
                    group: None,
                },
                Mode::FaceSwap => State::FaceSwap { face: None },
                Mode::Retouch => State::Retouch,
                Mode::Upscale => State::Upscale,
            })
            .await?;
            bot.send_message(chat, texts::ask_input(lang, mode, ctx.billing.price(mode)))
                .await
                .map_err(tg)?;
        }
        Some(("topup", k)) => {
            let amount = Kopecks(k.parse().map_err(|_| Error::invalid("bad amount"))?);
            turn.start_topup(amount).await?;
        }
        _ => match data {
            "menu" => {
                set(State::Idle).await?;
                bot.send_message(chat, texts::choose_mode(lang))
                    .reply_markup(keyboards::main_menu(lang))
                    .await
                    .map_err(tg)?;
            }
            "payment_menu" => turn.payment_menu().await?,
            "promo_topup" => {
                set(State::DiscountCode).await?;
                bot.send_message(chat, texts::ask_discount_code(lang))
                    .await
                    .map_err(tg)?;
            }
            "promo_gen" => {
                set(State::GenerationCode).await?;
                bot.send_message(chat, texts::ask_gen_code(lang))
                    .await
                    .map_err(tg)?;
            }
            "custom_amount" => {
                if !ctx.payments.is_configured() {
                    bot.send_message(chat, texts::payments_off(lang))
                        .await
                        .map_err(tg)?;
                    return Ok(());
                }
                set(State::CustomAmount).await?;
                let (min, max) = (crate::billing::MIN_TOPUP, crate::billing::MAX_TOPUP);
                bot.send_message(chat, texts::ask_amount(lang, min, max))
                    .await
                    .map_err(tg)?;
            }
            _ => {}
        },
    }
    Ok(())
}

/// One update being answered: who sent it, where, in which language, and what to answer with.
#[derive(Clone, Copy)]
struct Turn<'a> {
    bot: &'a Bot,
    dlg: &'a Dlg,
    ctx: &'a Ctx,
    chat: ChatId,
    user: &'a User,
    lang: Lang,
}

impl Turn<'_> {
    /// Charges for `mode` and queues its job, or tells the user what is missing. Nothing is sent to the
    /// user as accepted before the charge and the job are committed.
    async fn start_paid(&self, mode: Mode, prompt: String, images: Vec<String>) -> Result<()> {
        let Turn {
            bot,
            dlg,
            ctx,
            chat,
            user,
            lang,
        } = *self;
        dlg.update(State::Idle).await?;
        if ctx.config.fal_key.is_none() {
            bot.send_message(chat, texts::unavailable(lang))
                .await
                .map_err(tg)?;
            return Ok(());
        }
        let job = self.new_job(prompt, images);
        let (billing, id) = (ctx.billing.clone(), user.telegram_id);
        let reserved = blocking(move || billing.reserve(id, mode, &job)).await?;
        let r = match reserved {
            Reserve::Insufficient { price, balance } => {
                bot.send_message(chat, texts::insufficient(lang, price, balance))
                    .reply_markup(keyboards::pay_button(lang))
                    .await
                    .map_err(tg)?;
                return Ok(());
            }
            Reserve::Reserved(r) => r,
        };
        let paid = match r.paid_with {
            PaidWith::FreeAccess => texts::paid_free_access(lang).to_string(),
            PaidWith::FreeOperation => texts::paid_free_op(lang, r.free_operations_left),
            PaidWith::Balance => texts::paid_balance(lang, r.price, r.balance),
        };
        tracing::info!(user = id, %mode, operation = r.operation_id, job = r.job_id, paid_with = r.paid_with.as_str(), "job queued");
        // The accepted message's id is saved before the worker is woken, so it can edit it.
        self.accepted(r.job_id, &paid).await;
        ctx.jobs.notify_one();
        Ok(())
    }

    async fn start_add_text(&self, text: String, photo: String) -> Result<()> {
        let Turn { dlg, ctx, user, .. } = *self;
        dlg.update(State::Idle).await?;
        let job = self.new_job(text, vec![photo]);
        let (store, id) = (ctx.billing.store().clone(), user.telegram_id);
        let job_id = blocking(move || crate::jobs::enqueue_add_text(&store, id, &job)).await?;
        self.accepted(job_id, "").await;
        ctx.jobs.notify_one();
        Ok(())
    }

    fn new_job(&self, prompt: String, images: Vec<String>) -> NewJob {
        let Turn {
            ctx, chat, lang, ..
        } = *self;
        NewJob {
            chat_id: chat.0,
            input: serde_json::json!({
                "prompt": prompt,
                "images": images,
                "lang": if lang == Lang::En { "en" } else { "ru" },
            })
            .to_string(),
            deadline_at: crate::time::now() + ctx.config.job_timeout_secs as i64,
        }
    }

    /// Tells the user the job was accepted and remembers the message for the worker to update. A failure
    /// to send does not undo the job: it runs and delivers anyway.
    async fn accepted(&self, job_id: i64, paid: &str) {
        let Turn {
            bot,
            ctx,
            chat,
            lang,
            ..
        } = *self;
        match bot.send_message(chat, texts::accepted(lang, paid)).await {
            Ok(sent) => {
                let store = ctx.billing.store().clone();
                let message_id = i64::from(sent.id.0);
                if let Err(e) = blocking(move || {
                    store.write(|tx| db::jobs::set_progress_message(tx, job_id, message_id))
                })
                .await
                {
                    tracing::warn!(job = job_id, error = %e, "could not remember the progress message");
                }
            }
            Err(e) => {
                tracing::warn!(job = job_id, error = %e, "could not send the accepted message")
            }
        }
    }

    async fn show_balance(&self) -> Result<()> {
        let Turn {
            bot,
            ctx,
            chat,
            user,
            lang,
            ..
        } = *self;
        let (store, id) = (ctx.billing.store().clone(), user.telegram_id);
        let rows = blocking(move || store.read(|c| db::ledger::recent(c, id, 5))).await?;
        let history: Vec<String> = rows
            .iter()
            .map(|r| {
                let date = crate::time::date_of(r.created_at);
                texts::ledger_line(
                    lang,
                    &r.kind,
                    r.amount,
                    r.free_ops,
                    r.reason.as_deref(),
                    &date,
                )
            })
            .collect();
        let text = texts::balance(
            lang,
            user.balance,
            user.free_operations_left,
            user.has_free_access,
            &history,
        );
        bot.send_message(chat, text)
            .reply_markup(keyboards::balance(lang))
            .await
            .map_err(tg)?;
        Ok(())
    }

    async fn payment_menu(&self) -> Result<()> {
        let Turn {
            bot,
            ctx,
            chat,
            user,
            lang,
            ..
        } = *self;
        if !ctx.payments.is_configured() {
            bot.send_message(chat, texts::payments_off(lang))
                .await
                .map_err(tg)?;
            return Ok(());
        }
        let (billing, id) = (ctx.billing.clone(), user.telegram_id);
        let code = blocking(move || billing.pending_discount(id)).await?;
        let percent = code.as_ref().map_or(0, |(_, p)| *p);
        bot.send_message(
            chat,
            texts::payment_menu(lang, code.as_ref().map(|(c, p)| (c.as_str(), *p))),
        )
        .reply_markup(keyboards::payment_menu(
            lang,
            &ctx.config.topup_amounts,
            percent,
        ))
        .await
        .map_err(tg)?;
        Ok(())
    }

    async fn start_topup(&self, amount: Kopecks) -> Result<()> {
        let Turn {
            bot,
            ctx,
            chat,
            user,
            lang,
            ..
        } = *self;
        if !ctx.payments.is_configured() {
            bot.send_message(chat, texts::payments_off(lang))
                .await
                .map_err(tg)?;
            return Ok(());
        }
        let started: StartedTopup = match ctx
            .payments
            .start_topup(user.telegram_id, amount, &ctx.return_url)
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(user = user.telegram_id, error = %e, "creating a payment failed");
                bot.send_message(chat, texts::payment_failed(lang))
                    .await
                    .map_err(tg)?;
                return Ok(());
            }
        };
        if let Some((code, _)) = &started.dropped_code {
            bot.send_message(chat, texts::code_dropped(lang, code))
                .await
                .map_err(tg)?;
        }
        // SPEC §4: the code stays with the unpaid discounted invoice; offer that one's pay button.
        if let Some(held) = &started.held_by
            && let (Some(code), Some(url)) = (
                held.discount_code.as_deref(),
                held.confirmation_url
                    .as_deref()
                    .and_then(|u| reqwest::Url::parse(u).ok()),
            )
        {
            bot.send_message(
                chat,
                texts::code_held(lang, code, held.amount, held.charge_amount),
            )
            .reply_markup(keyboards::pay_link(lang, held.charge_amount, url))
            .await
            .map_err(tg)?;
        }
        let url = reqwest::Url::parse(&started.confirmation_url)
            .map_err(|e| Error::invalid(format!("confirmation URL: {e}")))?;
        let p = &started.payment;
        bot.send_message(chat, texts::pay_link(lang, p.amount, p.charge_amount))
            .reply_markup(keyboards::pay_link(lang, p.charge_amount, url))
            .await
            .map_err(tg)?;
        Ok(())
    }
}

async fn admin_stats(bot: &Bot, chat: ChatId, ctx: &Ctx) -> Result<()> {
    let store = ctx.billing.store().clone();
    let s = blocking(move || store.read(db::stats::collect)).await?;
    let mut text = format!(
        "users: {} ({} free access)\nbalances: {} ₽\nrevenue: {} ₽ paid, {} ₽ credited\njobs in flight: {}",
        s.users,
        s.users_with_free_access,
        Kopecks(s.balances_kopecks),
        Kopecks(s.revenue_kopecks),
        Kopecks(s.credited_kopecks),
        s.jobs_in_flight
    );
    for o in &s.operations {
        text.push_str(&format!("\n{} {}: {}", o.mode, o.status, o.count));
    }
    bot.send_message(chat, text).await.map_err(tg)?;
    Ok(())
}

async fn admin_grant(bot: &Bot, chat: ChatId, ctx: &Ctx, args: &str) -> Result<()> {
    let Ok(id) = args.trim().parse::<i64>() else {
        bot.send_message(chat, "usage: /grant TELEGRAM_ID")
            .await
            .map_err(tg)?;
        return Ok(());
    };
    let billing = ctx.billing.clone();
    let user =
        blocking(move || billing.set_free_access(id, true, "by an admin in the bot")).await?;
    bot.send_message(chat, format!("user {}: free access on", user.telegram_id))
        .await
        .map_err(tg)?;
    Ok(())
}

async fn admin_credit(bot: &Bot, chat: ChatId, ctx: &Ctx, args: &str) -> Result<()> {
    let mut parts = args.split_whitespace();
    let parsed = (
        parts.next().and_then(|s| s.parse::<i64>().ok()),
        parts.next().map(|a| Kopecks::parse_roubles(a, true)),
    );
    let (Some(id), Some(Ok(amount))) = parsed else {
        bot.send_message(
            chat,
            "usage: /credit TELEGRAM_ID AMOUNT (e.g. /credit 123 50 or /credit 123 -10)",
        )
        .await
        .map_err(tg)?;
        return Ok(());
    };
    let billing = ctx.billing.clone();
    let key = crate::ids::random_id("bot-")?;
    let result = blocking(move || billing.adjust(id, amount, "by an admin in the bot", &key)).await;
    let reply = match result {
        Ok(user) => format!("user {}: balance {} ₽", user.telegram_id, user.balance),
        Err(Error::Invalid(why)) => why,
        Err(e) => return Err(e),
    };
    bot.send_message(chat, reply).await.map_err(tg)?;
    Ok(())
}

fn prices(ctx: &Ctx) -> String {
    let common = ctx.config.price_per_operation;
    let mut special: Vec<String> = Mode::ALL
        .iter()
        .filter(|m| ctx.billing.price(**m) != common)
        .map(|m| format!("{} {} ₽", m, ctx.billing.price(*m)))
        .collect();
    special.insert(0, format!("{common} ₽"));
    special.join(", ")
}

/// Whether Telegram reports the photo (or image file) over the input limits: more than 40 megapixels
/// or 20 MB. Telegram's own numbers, so nothing is downloaded to find out.
fn photo_too_large(msg: &Message) -> bool {
    use crate::jobs::render::{MAX_INPUT_BYTES, MAX_INPUT_PIXELS};
    if let Some(p) = msg.photo().and_then(|s| s.iter().max_by_key(|p| area(p))) {
        return area(p) > MAX_INPUT_PIXELS || p.file.size as usize > MAX_INPUT_BYTES;
    }
    msg.document()
        .filter(|d| d.mime_type.as_ref().is_some_and(|m| m.type_() == "image"))
        .is_some_and(|d| d.file.size as usize > MAX_INPUT_BYTES)
}

/// Pixels of a photo size, in u64: Telegram's u32 dimensions multiply past u32 (a property test found
/// the overflow, which panicked the handler and with it the dispatcher).
fn area(p: &teloxide::types::PhotoSize) -> u64 {
    u64::from(p.width) * u64::from(p.height)
}

/// The largest size of a photo, or an image sent as a file.
fn photo_of(msg: &Message) -> Option<String> {
    if let Some(sizes) = msg.photo() {
        return sizes
            .iter()
            .max_by_key(|p| area(p))
            .map(|p| p.file.id.0.clone());
    }
    msg.document()
        .filter(|d| d.mime_type.as_ref().is_some_and(|m| m.type_() == "image"))
        .map(|d| d.file.id.0.clone())
}

/// Logs an internal error and tells the user, politely, that nothing was charged.
async fn polite(bot: &Bot, chat: ChatId, lang: Lang, result: Result<()>) -> HandlerResult {
    if let Err(e) = result {
        tracing::warn!(chat = chat.0, error = %e, "handler failed");
        if !matches!(
            e,
            Error::Remote {
                service: "Telegram",
                ..
            }
        ) {
            let _ = bot.send_message(chat, texts::oops(lang)).await;
        }
    }
    Ok(())
}

fn tg(e: teloxide::RequestError) -> Error {
    Error::Remote {
        service: "Telegram",
        status: None,
        code: None,
        message: e.to_string(),
        retryable: false,
    }
}
