//! ✍️ Написать (SPEC §6c): an idea in a few words becomes one detailed prompt in the user's
//! language, for PRICE_PROMPT, charged before the language model is asked and settled or refunded
//! with its answer. Under the prompt: 🎨 make it (the generate picker with it), 🔁 another (charged
//! again), 🏠 menu. The model's answer is text for the user: it decides nothing.

use crate::billing::{Finish, PromptReserve};
use crate::bot::turn::{Input, Turn};
use crate::bot::{HandlerResult, State, keyboards};
use crate::db::blocking;
use crate::error::Result;
use crate::model::PaidWith;
use crate::money::Kopecks;
use crate::texts::{self, Lang};
use std::time::Duration;
use teloxide::prelude::*;

/// How long the model may take.
const DEADLINE: Duration = Duration::from_secs(60);
/// Longest idea passed on.
const MAX_IDEA: usize = 1000;

fn system(lang: Lang) -> String {
    format!(
        "You write prompts for an image-generation model. From the user's idea, write ONE detailed prompt \
         in {}: the subject first, then its appearance, the setting, the light, and the style, as one \
         coherent description with no contradictions. No technical parameters (no resolution, aspect \
         ratio, seeds, model names or negative prompts), no lists, no quotes around it, no comments: \
         answer with the prompt only, at most 90 words.",
        if lang == Lang::En {
            "English"
        } else {
            "Russian"
        }
    )
}

/// What one prompt costs this user now, in words (free operations are kept for pictures).
fn price_line(turn: &Turn) -> String {
    let price = turn.ctx.config.prices.price_prompt;
    let u = &turn.user;
    let free = !price.is_positive() || u.has_free_access;
    match (turn.lang, free) {
        (Lang::Ru, true) => "🎁 Для вас бесплатно.".into(),
        (Lang::En, true) => "🎁 Free for you.".into(),
        _ => texts::price_line(turn.lang, u, price, false),
    }
}

fn tag(turn: &Turn) -> String {
    let price = turn.ctx.config.prices.price_prompt;
    let free = !price.is_positive() || turn.user.has_free_access;
    texts::price_tag(turn.lang, turn.user.price_of(price), free)
}

/// ✍️ pressed: the next message is the idea.
pub async fn open(turn: &Turn) -> Result<()> {
    if turn.ctx.fal.is_none() {
        return turn.note(texts::unavailable(turn.lang)).await;
    }
    turn.set(State::Write).await?;
    turn.show(
        texts::ask_idea(turn.lang, &price_line(turn)),
        keyboards::mode_prompt(turn.lang, true),
    )
    .await
}

/// The idea, typed.
pub async fn idea(turn: Turn, input: Input) -> HandlerResult {
    turn.answer(move |turn| async move {
        match input.text {
            Some(idea) => write(&turn, idea.chars().take(MAX_IDEA).collect()).await,
            None => turn.step(texts::need_text(turn.lang)).await,
        }
    })
    .await
}

/// 🔁 Другой вариант: the same idea again, charged again.
pub async fn another(turn: &Turn, words_id: i64) -> Result<()> {
    match own(turn, words_id).await? {
        Some(p) => write(turn, p.idea).await,
        None => super::modes::gone(turn).await,
    }
}

/// 🎨 Создать по нему: the generate picker with the prompt.
pub async fn make(turn: &Turn, words_id: i64) -> Result<()> {
    match own(turn, words_id).await?.and_then(|p| p.answer) {
        Some(prompt) => super::modes::generate_from(turn, prompt).await,
        None => super::modes::gone(turn).await,
    }
}

async fn own(turn: &Turn, words_id: i64) -> Result<Option<crate::db::words::Prompt>> {
    let store = turn.ctx.store.clone();
    let found = blocking(move || store.prompt(words_id)).await?;
    Ok(found.filter(|p| p.telegram_id == turn.user.telegram_id))
}

/// Charges, asks the model, and settles with the answer or refunds with the error.
async fn write(turn: &Turn, idea: String) -> Result<()> {
    let lang = turn.lang;
    let Some(fal) = turn.ctx.fal.clone() else {
        return turn.note(texts::unavailable(lang)).await;
    };
    turn.set(State::Write).await?;
    let model = turn.ctx.config.fal.llm_model.clone();
    let (billing, user, update) = (
        turn.ctx.billing.clone(),
        turn.user.telegram_id,
        turn.update_id,
    );
    let (i, m) = (idea.clone(), model.clone());
    let reserved = blocking(move || billing.reserve_prompt(user, &i, &m, Some(update))).await?;
    let (words_id, taken) = match reserved {
        PromptReserve::Reserved {
            words_id, taken, ..
        } => (words_id, taken),
        PromptReserve::Insufficient { price, balance } => {
            let keyboard = super::topup::shortfall_keyboard(turn).await?;
            return turn
                .say_with(texts::insufficient(lang, price, balance), keyboard)
                .await;
        }
        PromptReserve::Duplicate { words_id } => {
            tracing::info!(
                user,
                words = words_id,
                "an update run again after a restart: its prompt was asked before"
            );
            return Ok(());
        }
    };
    let typing = turn
        .bot
        .send_chat_action(turn.chat, teloxide::types::ChatAction::Typing);
    if let Err(e) = typing.await {
        tracing::debug!(error = %e, "chat action failed");
    }
    let answer = fal.ask(&model, &system(lang), &idea, DEADLINE).await;
    let billing = turn.ctx.billing.clone();
    let record = match &answer {
        Ok(a) => Ok(a.clone()),
        Err(e) => Err(e.to_string()),
    };
    let finish = blocking(move || {
        billing.finish_prompt(words_id, record.as_deref().map_err(String::as_str))
    })
    .await?;
    match answer {
        Ok(prompt) => {
            let cost = if taken.is_positive() {
                texts::cost_line(lang, Some((PaidWith::Balance, taken)))
            } else {
                String::new()
            };
            turn.say_with(
                texts::written(lang, &prompt, &cost),
                keyboards::written(lang, words_id, &tag(turn)),
            )
            .await
        }
        Err(e) => {
            tracing::warn!(user, error = %e, "✍️ the prompt could not be written; refunded");
            let returned = match finish {
                Some(Finish::Done { returned, .. }) => returned,
                _ => Kopecks::ZERO,
            };
            turn.say_with(
                texts::prompt_failed(lang, returned),
                keyboards::mode_prompt(lang, true),
            )
            .await
        }
    }
}
