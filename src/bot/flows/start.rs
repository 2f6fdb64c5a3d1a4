//! /start, /help, /cancel, the main menu, and what is said to a message nothing else claims.

use crate::bot::intent::{self, Intent};
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
            Command::Paysupport => paysupport(&turn).await,
            Command::Terms => {
                let url = turn.ctx.config.telegram.terms_url.clone();
                turn.note(texts::terms(turn.lang, url.as_deref())).await
            }
            Command::Privacy => {
                let url = turn.ctx.config.telegram.privacy_url.clone();
                turn.note(texts::privacy(
                    turn.lang,
                    url.as_deref(),
                    turn.ctx.config.fal.results_keep_days,
                ))
                .await
            }
            Command::Cancel => cancel(&turn).await,
        }
    })
    .await
}

/// /cancel or ✖️: the step is left, the menu shown. A photo the step was holding is kept, so an
/// instruction typed next is offered for that photo instead of losing it.
pub async fn cancel(turn: &Turn) -> Result<()> {
    let kept = match turn.dlg.get().await? {
        Some(State::AddText { photo }) => photo,
        Some(State::FaceSwap { face }) => face,
        Some(State::RetouchWish { photo }) | Some(State::TextStyle { photo, .. }) => Some(photo),
        Some(State::Edit { photos, .. }) | Some(State::Merge { photos, .. }) => {
            photos.into_iter().last()
        }
        Some(State::Offered { photo, .. }) => photo,
        _ => None,
    };
    match kept {
        Some(photo) => {
            turn.set(State::Offered {
                prompt: None,
                photo: Some(photo),
            })
            .await?
        }
        None => turn.set(State::Idle).await?,
    }
    let lang = turn.lang;
    turn.show(
        headed(turn, texts::cancelled(lang)),
        keyboards::main_menu(lang),
    )
    .await
}

/// /paysupport, and a payment question typed outside a mode: the support inbox opens (the next
/// message reaches the admins), with the way to check a card payment at once.
async fn paysupport(turn: &Turn) -> Result<()> {
    turn.set(State::Support).await?;
    let lang = turn.lang;
    let contact = turn.ctx.config.telegram.support_contact.clone();
    let card = super::topup::ways(turn).card;
    let mut text = texts::ask_support(lang, contact.as_deref());
    if card {
        text.push_str("\n\n");
        text.push_str(texts::payment_check_hint(lang));
    }
    turn.say_with(text, keyboards::support(lang, card)).await
}

/// `line`, then what the user has: the head of every menu.
fn headed(turn: &Turn, line: &str) -> String {
    format!("{line}\n{}", wallet(turn))
}

/// What the user has, for the head of a menu.
pub fn wallet(turn: &Turn) -> String {
    let u = &turn.user;
    texts::wallet(
        turn.lang,
        u.balance,
        u.free_operations_left,
        u.has_free_access,
    )
}

/// /start, or an invite link's `/start ref_<code>`: a new user who follows one is tied to its owner.
/// The Mini App's links come back as `/start topup` (the payment menu) and `/start new` (the menu).
async fn start(turn: &Turn, payload: &str) -> Result<()> {
    turn.set(State::Idle).await?;
    match payload.trim() {
        "topup" if !turn.first_contact => return super::topup::payment_menu(turn).await,
        "new" if !turn.first_contact => return menu(turn).await,
        _ => {}
    }
    let lang = turn.lang;
    let mut invited = None;
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
            invited = Some(texts::invited(
                lang,
                turn.ctx.config.prices.referral_bonus_ops,
            ));
        }
    }
    let text = texts::greeting(lang, &turn.first_name, &wallet(turn), invited.as_deref());
    turn.say_with(text, keyboards::main_menu(lang)).await
}

async fn help(turn: &Turn) -> Result<()> {
    turn.say_with(help_text(turn), keyboards::main_menu(turn.lang))
        .await
}

fn help_text(turn: &Turn) -> String {
    let mut text = texts::help(turn.lang, &prices(turn));
    if turn.is_admin() {
        text.push_str("\n\n");
        text.push_str(texts::admin_help(turn.lang));
    }
    text
}

/// 🆘 in the menu: what the bot does and what it costs, and the way to a person.
pub async fn help_screen(turn: &Turn) -> Result<()> {
    turn.set(State::Idle).await?;
    let assistant = super::assistant::available(turn);
    turn.show(help_text(turn), keyboards::help(turn.lang, assistant))
        .await
}

/// The main menu, headed by what the user has.
pub async fn menu(turn: &Turn) -> Result<()> {
    turn.set(State::Idle).await?;
    let lang = turn.lang;
    turn.show(
        headed(turn, texts::choose_mode(lang)),
        keyboards::main_menu(lang),
    )
    .await
}

/// A private message in no dialogue. A photo is kept while the user picks what to do with it; a
/// text is read for what it is (SPEC §6: input outside a mode becomes an offer, but a greeting or a
/// question about money is not a picture): a greeting gets the menu, a payment question the way to
/// settle it, anything else is offered as a prompt — for the photo the user was working on, when
/// one was kept. Anything else gets one line. Groups are left alone.
pub async fn idle(turn: Turn, msg: teloxide::types::Message, input: Input) -> HandlerResult {
    if !msg.chat.is_private() {
        return Ok(());
    }
    turn.answer(move |turn| async move {
        let lang = turn.lang;
        let kept = match turn.dlg.get().await? {
            Some(State::Offered { photo, .. }) => photo,
            _ => None,
        };
        match (input.photo, input.text) {
            (Some(photo), caption) => {
                turn.set(State::Offered {
                    prompt: caption,
                    photo: Some(photo),
                })
                .await?;
                let keyboard = super::modes::photo_offer(&turn).await?;
                turn.say_with(texts::photo_offer(lang), keyboard).await
            }
            (None, Some(text)) => match intent::of(&text) {
                Intent::Greeting => {
                    turn.set(State::Idle).await?;
                    turn.say_with(
                        headed(&turn, texts::greeting_back(lang)),
                        keyboards::main_menu(lang),
                    )
                    .await
                }
                Intent::Payment => paysupport(&turn).await,
                Intent::Prompt if kept.is_some() => {
                    let price = super::modes::mode_price(&turn, Mode::Edit).await?;
                    let line = super::modes::price_line(&turn, price);
                    let offer = texts::photo_text_offer(lang, &text, &line);
                    turn.set(State::Offered {
                        prompt: Some(text),
                        photo: kept,
                    })
                    .await?;
                    let keyboard = super::modes::photo_text_offer(&turn).await?;
                    turn.say_with(offer, keyboard).await
                }
                Intent::Prompt => {
                    let price = super::modes::mode_price(&turn, Mode::Generate).await?;
                    let line = super::modes::price_line(&turn, price);
                    let offer = texts::text_offer(lang, &text, &line);
                    turn.set(State::Offered {
                        prompt: Some(text),
                        photo: None,
                    })
                    .await?;
                    turn.say_with(offer, keyboards::text_offer(lang)).await
                }
            },
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

/// "10 ₽" and the models priced otherwise («Nano Banana Pro 26 ₽»), each once.
fn prices(turn: &Turn) -> String {
    let common = turn.ctx.config.prices.price_per_operation;
    let english = turn.lang == crate::texts::Lang::En;
    let mut special: Vec<String> = Vec::new();
    for m in turn.ctx.config.fal.catalogue.all() {
        let line = format!("{} {}", m.label(english), texts::money(turn.lang, m.price));
        if m.price != common && !special.contains(&line) {
            special.push(line);
        }
    }
    special.insert(0, texts::money(turn.lang, common));
    special.join(", ")
}
