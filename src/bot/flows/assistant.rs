//! 🤖 ИИ-помощник (SPEC §6c): free answers about the bot from a language model whose instructions
//! are written from what is in force now — modes, the catalogue's prices, free operations, codes,
//! the ways to pay, support — and what the asker has. ASSISTANT_DAILY_LIMIT answers a day. Its answer
//! is text for the user: it changes nothing. Every question and answer (or error) is stored.

use crate::bot::turn::{Input, Turn};
use crate::bot::{HandlerResult, State, keyboards};
use crate::db::blocking;
use crate::error::Result;
use crate::model::{JobKind, Mode};
use crate::texts::{self, Lang};
use std::fmt::Write;
use std::time::Duration;
use teloxide::prelude::*;

/// How long a question may wait for the model.
const DEADLINE: Duration = Duration::from_secs(45);
/// Previous turns sent with a question.
const TURNS: u32 = 3;
/// Longest question passed on.
const MAX_QUESTION: usize = 1000;

/// Whether the assistant can answer here: a fal key and a daily limit above zero.
pub fn available(turn: &Turn) -> bool {
    turn.ctx.fal.is_some() && turn.ctx.config.fal.assistant_daily_limit > 0
}

/// Answers today so far (UTC days), and how many are left.
async fn left_today(turn: &Turn) -> Result<i64> {
    let now = crate::time::now();
    let (store, user) = (turn.ctx.store.clone(), turn.user.telegram_id);
    let used =
        blocking(move || store.assistant_answers_since(user, now - now.rem_euclid(86_400))).await?;
    Ok(i64::from(turn.ctx.config.fal.assistant_daily_limit) - used)
}

/// 🤖 pressed: the next messages are questions.
pub async fn open(turn: &Turn) -> Result<()> {
    let lang = turn.lang;
    if !available(turn) {
        return turn.note(texts::assistant_off(lang)).await;
    }
    turn.set(State::Assistant).await?;
    let left = left_today(turn).await?.max(0);
    turn.show(texts::ask_assistant(lang, left), keyboards::assistant(lang))
        .await
}

/// A question: refused without a call past the daily limit; otherwise asked with the instructions
/// and the last turns, and answered.
pub async fn question(turn: Turn, input: Input) -> HandlerResult {
    turn.answer(move |turn| async move {
        let lang = turn.lang;
        let Some(question) = input.text else {
            return turn.step(texts::assistant_text_only(lang)).await;
        };
        let question: String = question.chars().take(MAX_QUESTION).collect();
        let Some(fal) = turn.ctx.fal.clone().filter(|_| available(&turn)) else {
            return turn.note(texts::assistant_off(lang)).await;
        };
        if left_today(&turn).await? <= 0 {
            let limit = turn.ctx.config.fal.assistant_daily_limit;
            return turn
                .say_with(
                    texts::assistant_limit(lang, limit),
                    keyboards::assistant(lang),
                )
                .await;
        }
        let system = instructions(&turn).await?;
        let (store, user, model) = (
            turn.ctx.store.clone(),
            turn.user.telegram_id,
            turn.ctx.config.fal.llm_model.clone(),
        );
        let q = question.clone();
        let (id, turns) = blocking(move || {
            let turns = store.assistant_turns(user, TURNS)?;
            Ok((store.ask_assistant(user, &q, &model)?, turns))
        })
        .await?;
        let mut prompt = String::new();
        if !turns.is_empty() {
            prompt.push_str("The conversation so far:\n");
            for t in &turns {
                let _ = writeln!(prompt, "User: {}", t.question);
                let _ = writeln!(prompt, "Assistant: {}", t.answer.as_deref().unwrap_or(""));
            }
            prompt.push_str("\nThe new question:\n");
        }
        prompt.push_str(&question);
        let typing = turn
            .bot
            .send_chat_action(turn.chat, teloxide::types::ChatAction::Typing);
        if let Err(e) = typing.await {
            tracing::debug!(error = %e, "chat action failed");
        }
        let model = turn.ctx.config.fal.llm_model.clone();
        let answer = fal.ask(&model, &system, &prompt, DEADLINE).await;
        let store = turn.ctx.store.clone();
        let record = match &answer {
            Ok(a) => Ok(a.clone()),
            Err(e) => Err(e.to_string()),
        };
        let cost = turn.ctx.config.fal.catalogue.llm_cost;
        blocking(move || store.record_words(id, record.as_deref().map_err(String::as_str), cost))
            .await?;
        match answer {
            Ok(text) => turn.say_with(text, keyboards::assistant(lang)).await,
            Err(e) => {
                tracing::warn!(user, error = %e, "the assistant could not answer");
                turn.say_with(texts::assistant_failed(lang), keyboards::assistant(lang))
                    .await
            }
        }
    })
    .await
}

/// The model's instructions, written from what is in force now and what the asker has.
async fn instructions(turn: &Turn) -> Result<String> {
    let config = &turn.ctx.config;
    let lang = turn.lang;
    let english = lang == Lang::En;
    let money = |k| texts::money(lang, k);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "You are the help assistant of a Telegram bot that makes and edits pictures with AI. Answer only \
         questions about this bot, briefly (at most eight sentences), in {}, as plain text without \
         markdown. You cannot do or change anything: no balances, payments, refunds, codes or jobs. \
         For a payment problem or anything you cannot answer, tell the user to open «🆘 Помощь» → \
         «💬 Поддержка» (or send /paysupport), where an administrator answers. Never invent prices, \
         models or features that are not listed below.\n",
        if english { "English" } else { "Russian" }
    );
    let _ = writeln!(
        s,
        "Modes (menu buttons), their models and the price of one operation now:"
    );
    for mode in Mode::ALL {
        let models: Vec<String> = config
            .models(mode)
            .iter()
            .map(|m| {
                let note = m.note(english);
                if note.is_empty() {
                    format!("{} — {}", m.label(english), money(m.price))
                } else {
                    format!("{} — {} ({note})", m.label(english), money(m.price))
                }
            })
            .collect();
        let _ = writeln!(
            s,
            "- {}: {}",
            texts::mode_label(lang, mode),
            models.join("; ")
        );
    }
    let _ = writeln!(
        s,
        "- {}: free, drawn by the bot itself; size, colour, position and a plate are chosen on a preview.",
        texts::add_text_label(lang)
    );
    let _ = writeln!(
        s,
        "Generate offers formats 1:1, 3:4 (WB / Ozon), 4:3 (Avito), 4:5, 9:16, 16:9; edit and merge take up to 8 \
         photos; every result has «📎 Оригинал файлом» (the uncompressed file, kept {} days) and «🔁» for one more.",
        config.fal.results_keep_days
    );
    let p = &config.prices;
    let _ = writeln!(
        s,
        "\nEvery new user gets {} free operations, used before the balance. A failed operation is refunded \
         automatically. Invite a friend with the link on the balance screen: after their first top-up of at \
         least {} both get {} free operations.",
        p.free_operations_count,
        money(p.referral_min_topup),
        p.referral_bonus_ops
    );
    let pay = &config.payments;
    let mut ways = Vec::new();
    if pay.stars_enabled {
        ways.push(format!(
            "Telegram Stars (1 ⭐ = {}, amounts {} ⭐)",
            money(pay.stars_rate),
            pay.stars_topup_amounts
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if pay.yookassa.is_some() {
        ways.push(format!(
            "a bank card through YooKassa ({})",
            pay.topup_amounts
                .iter()
                .map(|k| money(*k))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let _ = writeln!(
        s,
        "Top-ups: {}. «💰 Оплатить / Баланс» in the menu shows the balance, history and the ways to pay.",
        if ways.is_empty() {
            "not available at the moment".to_string()
        } else {
            ways.join("; ")
        }
    );
    let _ = writeln!(
        s,
        "Codes: «🎟️ Промокод» on the balance screen takes a code; a code gives a discount on the next top-up, \
         free access to every paid mode, or bonus free operations. Do not guess codes."
    );
    if let Some(c) = &config.telegram.support_contact {
        let _ = writeln!(s, "Support contact: {c}.");
    }
    let u = &turn.user;
    let (store, id) = (turn.ctx.store.clone(), u.telegram_id);
    let jobs = blocking(move || store.recent_jobs(id, 3)).await?;
    let _ = writeln!(
        s,
        "\nThe person asking: balance {}, free operations left {}, free access {}.",
        money(u.balance),
        u.free_operations_left,
        if u.has_free_access { "yes" } else { "no" }
    );
    if !jobs.is_empty() {
        let list: Vec<String> = jobs
            .iter()
            .map(|j| {
                let what = match j.kind {
                    JobKind::Paid(m) => m.as_str(),
                    JobKind::AddText => "add text",
                };
                format!(
                    "{what}{} — {} ({})",
                    j.model
                        .as_deref()
                        .map(|m| format!(" with {m}"))
                        .unwrap_or_default(),
                    j.status,
                    crate::time::day_and_time(j.created_at)
                )
            })
            .collect();
        let _ = writeln!(s, "Their last jobs, newest first: {}.", list.join("; "));
    }
    Ok(s)
}
