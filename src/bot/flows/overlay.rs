//! "Add text" (free, drawn locally): a photo and the words, then the style chosen on a small
//! preview that each press redraws in the same message (or typed as a wish), then ✅ — the full
//! picture is rendered by the worker like any job.

use super::modes::{MAX_OVERLAY, accepted, gone, lang_code, new_job, prompt};
use crate::actions::StyleChange;
use crate::bot::turn::{Input, Turn};
use crate::bot::{HandlerResult, State, keyboards, wish};
use crate::db::blocking;
use crate::error::{Error, Result};
use crate::model::{JobInput, TextStyle};
use crate::texts;
use teloxide::prelude::*;
use teloxide::types::{InputFile, InputMedia, InputMediaPhoto, MessageId};

pub async fn choose_add_text(turn: &Turn) -> Result<()> {
    turn.set(State::AddText { photo: None }).await?;
    let lang = turn.lang;
    turn.show(
        texts::ask_add_text_photo(lang),
        keyboards::mode_prompt(lang, true),
    )
    .await
}

/// A photo, then the text to draw — or a photo with the text as its caption.
pub async fn add_text(turn: Turn, input: Input, photo: Option<String>) -> HandlerResult {
    turn.answer(move |turn| async move {
        let lang = turn.lang;
        match (input.photo.or(photo), input.text) {
            (None, _) => turn.step(texts::need_photo(lang)).await,
            (Some(p), None) => {
                turn.set(State::AddText { photo: Some(p) }).await?;
                turn.step(texts::ask_text_for_photo(lang)).await
            }
            (Some(p), text) => match prompt(lang, text, MAX_OVERLAY) {
                Ok(t) => style(&turn, p, t).await,
                Err(why) => turn.step(why).await,
            },
        }
    })
    .await
}

/// The photo and the words are here: the first preview, in the default style.
pub async fn style(turn: &Turn, photo: String, text: String) -> Result<()> {
    show(turn, photo, text, TextStyle::default(), None).await
}

/// Draws the preview and shows it: `edit` replaces that message's picture (a press), otherwise a new
/// message is sent (typed words, a new photo). The dialogue keeps what the preview shows.
async fn show(
    turn: &Turn,
    photo: String,
    text: String,
    style: TextStyle,
    edit: Option<i32>,
) -> Result<()> {
    let lang = turn.lang;
    let jpeg = match turn
        .ctx
        .previews
        .render(&turn.bot, &photo, &text, style)
        .await
    {
        Ok(jpeg) => jpeg,
        Err(Error::TooLarge(_)) => {
            turn.set(State::AddText { photo: None }).await?;
            return turn.step(texts::photo_too_large(lang)).await;
        }
        Err(Error::Invalid(why)) => {
            tracing::info!(error = %why, "an add-text photo could not be read");
            turn.set(State::AddText { photo: None }).await?;
            return turn.step(texts::need_photo(lang)).await;
        }
        Err(e) => return Err(e),
    };
    let keyboard = keyboards::text_style(lang, &style);
    let file = || InputFile::memory(jpeg.clone()).file_name("preview.jpg");
    let mut shown = None;
    if let Some(id) = edit {
        let media =
            InputMedia::Photo(InputMediaPhoto::new(file()).caption(texts::style_caption(lang)));
        match turn
            .bot
            .edit_message_media(turn.chat, MessageId(id), media)
            .reply_markup(keyboard.clone())
            .await
        {
            Ok(_) => shown = Some(id),
            Err(e) => tracing::debug!(error = %e, "could not redraw the preview; sending it"),
        }
    }
    let preview = match shown {
        Some(id) => id,
        None => {
            turn.bot
                .send_photo(turn.chat, file())
                .caption(texts::style_caption(lang))
                .reply_markup(keyboard)
                .await?
                .id
                .0
        }
    };
    turn.set(State::TextStyle {
        photo,
        text,
        style,
        preview: Some(preview),
    })
    .await
}

/// While the style is chosen: typed words are a wish when they name only options («крупный
/// красный сверху»), otherwise new text; a new photo replaces the old one.
pub async fn restyle(
    turn: Turn,
    input: Input,
    (photo, text, mut style, _preview): (String, String, TextStyle, Option<i32>),
) -> HandlerResult {
    turn.answer(move |turn| async move {
        let lang = turn.lang;
        match (input.photo, input.text) {
            (Some(p), caption) => {
                let text = caption
                    .filter(|c| c.chars().count() <= MAX_OVERLAY)
                    .unwrap_or(text);
                show(&turn, p, text, style, None).await
            }
            (None, Some(words)) if wish::apply(&mut style, &words) => {
                show(&turn, photo, text, style, None).await
            }
            (None, words) => match prompt(lang, words, MAX_OVERLAY) {
                Ok(t) => show(&turn, photo, t, style, None).await,
                Err(why) => turn.step(why).await,
            },
        }
    })
    .await
}

/// A style button under the preview: that message redrawn.
pub async fn restyle_pressed(turn: &Turn, change: StyleChange) -> Result<()> {
    match turn.dlg.get().await? {
        Some(State::TextStyle {
            photo,
            text,
            mut style,
            preview,
        }) => {
            change.apply(&mut style);
            show(turn, photo, text, style, turn.origin.or(preview)).await
        }
        _ => gone(turn).await,
    }
}

/// ✅ under the preview: the full picture is queued (free) and the preview loses its buttons.
pub async fn done(turn: &Turn) -> Result<()> {
    let Some(State::TextStyle {
        photo,
        text,
        style,
        preview,
    }) = turn.dlg.get().await?
    else {
        return gone(turn).await;
    };
    if let Some(id) = turn.origin.or(preview)
        && let Err(e) = turn
            .bot
            .edit_message_reply_markup(turn.chat, MessageId(id))
            .await
    {
        tracing::debug!(error = %e, "could not take the buttons off a preview");
    }
    queue(turn, text, photo, Some(style)).await
}

/// Queues the free job that draws `text` on `photo` in full size.
pub async fn queue(
    turn: &Turn,
    text: String,
    photo: String,
    style: Option<TextStyle>,
) -> Result<()> {
    turn.set(State::AddText { photo: None }).await?;
    let input = JobInput {
        prompt: text,
        images: vec![photo],
        lang: lang_code(turn.lang),
        style,
        ..JobInput::default()
    };
    let job = new_job(turn, &input);
    let (store, id) = (turn.ctx.store.clone(), turn.user.telegram_id);
    let job_id = blocking(move || store.queue_add_text(id, &job)).await?;
    accepted(turn, job_id, "").await;
    Ok(())
}
