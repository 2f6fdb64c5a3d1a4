//! /start, /help, /cancel, the main menu, and what is said to a message nothing else claims.

use crate::bot::turn::{Input, Turn};
use crate::bot::{Command, HandlerResult, State, keyboards};
use crate::db::blocking;
use crate::error::Result;
use crate::model::Mode;
use crate::texts;

pub async fn on_command(turn: Turn, cmd: Command) -> HandlerResult {
    turn.answer(move |turn| async move {
        match cmd {
            Command::Start(payload) => start(&turn, &payload).await,
            Command::Balance => super::account::show_balance(&turn).await,
            Command::Help => help(&turn).await,
            Command::Paysupport => {
                let contact = turn.ctx.config.telegram.support_contact.clone();
                turn.note(texts::paysupport(turn.lang, contact.as_deref()))
                    .await
            }
            Command::Terms => {
                let url = turn.ctx.config.telegram.terms_url.clone();
                turn.note(texts::terms(turn.lang, url.as_deref())).await
            }
            Command::Privacy => {
                let url = turn.ctx.config.telegram.privacy_url.clone();
                turn.note(texts::privacy(turn.lang, url.as_deref())).await
            }
            Command::Cancel => cancel(&turn).await,
        }
    })
    .await
}

/// /cancel or ✖️: the step is left, the menu shown.
pub async fn cancel(turn: &Turn) -> Result<()> {
    turn.set(State::Idle).await?;
    let lang = turn.lang;
    turn.show(texts::cancelled(lang), keyboards::main_menu(lang))
        .await
}

/// /start, or an invite link's `/start ref_<code>`: a new user who follows one is tied to its owner.
async fn start(turn: &Turn, payload: &str) -> Result<()> {
    turn.set(State::Idle).await?;
    let lang = turn.lang;
    let u = &turn.user;
    let mut text = texts::greeting(
        lang,
        &turn.first_name,
        u.balance,
        u.free_operations_left,
        u.has_free_access,
    );
    if let Some(code) = payload
        .trim()
        .strip_prefix(crate::billing::REFERRAL_LINK_PREFIX)
    {
        let (billing, id, first) = (
            turn.ctx.billing.clone(),
            turn.user.telegram_id,
            turn.first_contact,
        );
        let code = code.to_string();
        let tie = blocking(move || billing.tie_referral(id, &code, first)).await?;
        tracing::info!(user = id, ?tie, "invite link followed");
        if let crate::billing::Tie::Tied { .. } = tie {
            text.push_str(&texts::invited(
                lang,
                turn.ctx.config.prices.referral_bonus_ops,
            ));
        }
    }
    turn.say_with(text, keyboards::main_menu(lang)).await
}

async fn help(turn: &Turn) -> Result<()> {
    let mut text = texts::help(turn.lang, &prices(turn));
    if turn.is_admin() {
        text.push_str("\n\n");
        text.push_str(texts::admin_help(turn.lang));
    }
    turn.say_with(text, keyboards::main_menu(turn.lang)).await
}

/// The main menu, headed by what the user has.
pub async fn menu(turn: &Turn) -> Result<()> {
    turn.set(State::Idle).await?;
    let (lang, u) = (turn.lang, &turn.user);
    let header = texts::wallet(lang, u.balance, u.free_operations_left, u.has_free_access);
    turn.show(
        format!("{}\n{header}", texts::choose_mode(lang)),
        keyboards::main_menu(lang),
    )
    .await
}

/// A private message in no dialogue: a text is offered as a prompt to generate from, a photo is
/// kept while the user picks what to do with it, anything else gets one line. Groups are left
/// alone.
pub async fn idle(turn: Turn, msg: teloxide::types::Message, input: Input) -> HandlerResult {
    if !msg.chat.is_private() {
        return Ok(());
    }
    turn.answer(move |turn| async move {
        let lang = turn.lang;
        match (input.photo, input.text) {
            (Some(photo), caption) => {
                turn.set(State::Offered {
                    prompt: caption,
                    photo: Some(photo),
                })
                .await?;
                turn.say_with(texts::photo_offer(lang), keyboards::photo_offer(lang))
                    .await
            }
            (None, Some(text)) => {
                let line = super::modes::price_line(&turn, Mode::Generate);
                let offer = texts::text_offer(lang, &text, &line);
                turn.set(State::Offered {
                    prompt: Some(text),
                    photo: None,
                })
                .await?;
                turn.say_with(offer, keyboards::text_offer(lang)).await
            }
            (None, None) => {
                turn.say_with(
                    texts::only_text_and_photos(lang),
                    keyboards::menu_only(lang),
                )
                .await
            }
        }
    })
    .await
}

/// A command that is not ours (or not this person's): said so, and the dialogue stays where it
/// was — it is never taken as a prompt.
pub async fn unknown_command(turn: Turn) -> HandlerResult {
    turn.answer(|turn| async move { turn.note(texts::unknown_command(turn.lang)).await })
        .await
}

/// A photo over the input limits, refused before anything is charged or queued (SPEC §6).
pub async fn too_large(turn: Turn, _input: Input) -> HandlerResult {
    turn.answer(|turn| async move { turn.step(texts::photo_too_large(turn.lang)).await })
        .await
}

/// "10 ₽" and the modes priced otherwise.
fn prices(turn: &Turn) -> String {
    let (config, billing) = (&turn.ctx.config, &turn.ctx.billing);
    let common = config.prices.price_per_operation;
    let mut special: Vec<String> = Mode::ALL
        .iter()
        .filter(|m| billing.price(**m) != common)
        .map(|m| format!("{} {}", m, texts::money(turn.lang, billing.price(*m))))
        .collect();
    special.insert(0, texts::money(turn.lang, common));
    special.join(", ")
}
