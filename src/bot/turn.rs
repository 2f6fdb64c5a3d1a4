//! One update being answered. The schema builds a `Turn` once per update (who sent it, where, in
//! which language) and every endpoint answers through `Turn::answer`, the one place that turns an
//! error — or a panic — into a log line and a polite reply.

use super::{Ctx, Dlg, HandlerResult, State};
use crate::billing::Profile;
use crate::db::blocking;
use crate::error::{Error, Result};
use crate::jobs::render::{MAX_INPUT_BYTES, MAX_INPUT_PIXELS};
use crate::model::User;
use crate::texts::{self, Lang};
use std::future::Future;
use teloxide::payloads::SendMessageSetters;
use teloxide::prelude::*;
use teloxide::types::{
    ChatId, InlineKeyboardMarkup, PhotoSize, ReplyMarkup, Update, User as TgUser,
};

#[derive(Clone)]
pub struct Turn {
    pub bot: super::Tg,
    pub dlg: Dlg,
    pub ctx: Ctx,
    pub chat: ChatId,
    pub user: User,
    pub lang: Lang,
    /// The sender's first name as Telegram has it, for the greeting.
    pub first_name: String,
    /// The message this turn answers: the user's own, or the one whose button was pressed. A
    /// job's result replies to it.
    pub origin: Option<i32>,
    /// A button press: navigation edits the message the button was on instead of sending another.
    pub pressed: bool,
    /// The Telegram update this turn answers: after a crash it runs again, and what it creates
    /// outside (a payment at YooKassa) is keyed by it so that the rerun finds, not repeats, it.
    pub update_id: i64,
    /// This update is the user's first contact with the bot (their row is new, or was made by the
    /// CLI before they ever wrote): the one moment an invite link can tie them to an inviter.
    pub first_contact: bool,
}

impl Turn {
    /// The same turn with the user as the database has them now (after this turn changed them).
    pub async fn reloaded(&self) -> Result<Turn> {
        let (store, id) = (self.ctx.store.clone(), self.user.telegram_id);
        let user = blocking(move || store.user(id))
            .await?
            .ok_or_else(|| Error::NotFound(format!("user {id}")))?;
        Ok(Turn {
            user,
            ..self.clone()
        })
    }

    /// The turn for a message from a person (not a bot, not an anonymous channel post). The user is
    /// created on first contact; if the database cannot do that, the user is told and the update
    /// goes no further.
    pub async fn of_message(
        bot: super::Tg,
        update: Update,
        msg: Message,
        dlg: Dlg,
        ctx: Ctx,
    ) -> Option<Turn> {
        let from = msg.from.as_ref().filter(|f| !f.is_bot)?;
        Turn::of(bot, dlg, ctx, msg.chat.id, from, Some(msg.id.0), &update)
            .await
            .map(|t| Turn {
                pressed: false,
                ..t
            })
    }

    /// The turn for a button press. The endpoint answers the press (stopping its spinner); a press
    /// that gets no turn is answered here.
    pub async fn of_callback(
        bot: super::Tg,
        update: Update,
        q: CallbackQuery,
        dlg: Dlg,
        ctx: Ctx,
    ) -> Option<Turn> {
        // A press on a message we can no longer see (an inline message) has no chat to answer in.
        let turn = match q.message.as_ref().map(|m| (m.chat().id, m.id().0)) {
            Some((chat, origin)) => {
                Turn::of(bot.clone(), dlg, ctx, chat, &q.from, Some(origin), &update)
                    .await
                    .map(|t| Turn { pressed: true, ..t })
            }
            None => None,
        };
        if turn.is_none() {
            let _ = bot.answer_callback_query(q.id.clone()).await;
        }
        turn
    }

    async fn of(
        bot: super::Tg,
        dlg: Dlg,
        ctx: Ctx,
        chat: ChatId,
        from: &TgUser,
        origin: Option<i32>,
        update: &Update,
    ) -> Option<Turn> {
        let lang = Lang::of(from.language_code.as_deref());
        match who(&ctx, from).await {
            Ok((user, first_contact)) => Some(Turn {
                bot,
                dlg,
                ctx,
                chat,
                user,
                lang,
                first_name: from.first_name.chars().take(64).collect(),
                origin,
                pressed: false,
                update_id: i64::from(update.id.0),
                first_contact,
            }),
            Err(e) => {
                tracing::error!(chat = chat.0, error = %e, "could not load the user");
                let _ = bot.send_message(chat, texts::oops(lang)).await;
                None
            }
        }
    }

    pub fn is_admin(&self) -> bool {
        self.ctx.config.is_admin(self.user.telegram_id)
    }

    /// Runs one step of the conversation. Its error, or its panic (the step runs as its own task,
    /// so a bug cannot take the dispatcher down), becomes a log line and a polite reply; a failure
    /// to reach Telegram itself only the log line.
    pub async fn answer<F>(self, step: impl FnOnce(Turn) -> F) -> HandlerResult
    where
        F: Future<Output = Result<()>> + Send + 'static,
    {
        let (bot, chat, lang) = (self.bot.clone(), self.chat, self.lang);
        let failure = match tokio::spawn(step(self)).await {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(e)) => e,
            Err(join) => Error::internal(format!("a handler panicked: {join}")),
        };
        tracing::warn!(chat = chat.0, error = %failure, "handler failed");
        if !matches!(failure, Error::Telegram { .. }) {
            let _ = bot.send_message(chat, texts::oops(lang)).await;
        }
        Ok(())
    }

    pub async fn say(&self, text: impl Into<String>) -> Result<()> {
        self.bot.send_message(self.chat, text.into()).await?;
        Ok(())
    }

    pub async fn say_with(
        &self,
        text: impl Into<String>,
        markup: impl Into<ReplyMarkup>,
    ) -> Result<()> {
        self.bot
            .send_message(self.chat, text.into())
            .reply_markup(markup)
            .await?;
        Ok(())
    }

    /// A screen of navigation (a menu, the balance, a question): for a button press it replaces
    /// the message the button was on, so old menus do not pile up; otherwise, or when that message
    /// cannot be edited (a photo, too old), it is sent.
    pub async fn show(&self, text: impl Into<String>, markup: InlineKeyboardMarkup) -> Result<()> {
        let text = text.into();
        if let (true, Some(id)) = (self.pressed, self.origin) {
            let edit = self
                .bot
                .edit_message_text(self.chat, teloxide::types::MessageId(id), text.clone())
                .reply_markup(markup.clone());
            // Edits are not paced by the sender: a 429 is waited out here, a few times.
            let mut result = edit.send_ref().await;
            for _ in 0..3 {
                match &result {
                    Err(teloxide::RequestError::RetryAfter(s)) => {
                        tokio::time::sleep(s.duration().min(std::time::Duration::from_secs(30)))
                            .await;
                        result = edit.send_ref().await;
                    }
                    _ => break,
                }
            }
            match result {
                Ok(_) => return Ok(()),
                // The same screen pressed again: it is already shown.
                Err(e) if e.to_string().contains("message is not modified") => return Ok(()),
                Err(e) => {
                    tracing::debug!(error = %e, "could not edit the pressed message; sending")
                }
            }
        }
        self.say_with(text, markup).await
    }

    /// A step inside a dialogue (what is missing, what comes next): with ✖️ cancel under it, so
    /// every step has a way out.
    pub async fn step(&self, text: impl Into<String>) -> Result<()> {
        let cancel = super::keyboards::mode_prompt(self.lang, true);
        self.say_with(text, cancel).await
    }

    /// A standalone answer (support, terms, "not configured"): with 🏠 menu under it.
    pub async fn note(&self, text: impl Into<String>) -> Result<()> {
        let menu = super::keyboards::menu_only(self.lang);
        self.say_with(text, menu).await
    }

    pub async fn set(&self, state: State) -> Result<()> {
        self.dlg.update(state).await
    }
}

/// The user behind an update, created on first contact with their username and language, and
/// whether this is that first contact (no row, or a row the CLI made without a Telegram profile).
async fn who(ctx: &Ctx, from: &TgUser) -> Result<(User, bool)> {
    let id = i64::try_from(from.id.0).map_err(|_| Error::invalid("user id out of range"))?;
    let (username, lang) = (from.username.clone(), from.language_code.clone());
    let billing = ctx.billing.clone();
    blocking(move || {
        billing.contact(
            id,
            Profile {
                username: username.as_deref(),
                language_code: lang.as_deref(),
            },
        )
    })
    .await
}

/// What a message carries, read once: its text (or caption), its photo, its album.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub text: Option<String>,
    /// The largest size of a photo, or an image sent as a file.
    pub photo: Option<String>,
    pub album: Option<String>,
    /// Telegram reports the image over the input limits (40 megapixels or 20 MB): refused before
    /// anything is downloaded or charged.
    pub too_large: bool,
}

impl Input {
    pub fn of(msg: Message) -> Input {
        let text = msg
            .text()
            .or(msg.caption())
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        let album = msg.media_group_id().map(|g| g.0.clone());
        let image_file = msg
            .document()
            .filter(|d| d.mime_type.as_ref().is_some_and(|m| m.type_() == "image"));
        let (photo, too_large) = match msg.photo().and_then(|s| s.iter().max_by_key(|p| area(p))) {
            Some(p) => (
                Some(p.file.id.0.clone()),
                area(p) > MAX_INPUT_PIXELS || p.file.size as usize > MAX_INPUT_BYTES,
            ),
            None => match image_file {
                Some(d) => (
                    Some(d.file.id.0.clone()),
                    d.file.size as usize > MAX_INPUT_BYTES,
                ),
                None => (None, false),
            },
        };
        Input {
            text,
            photo,
            album,
            too_large,
        }
    }

    /// A command we do not know (for this person): never taken as a prompt.
    pub fn is_command(&self) -> bool {
        self.text.as_deref().is_some_and(|t| {
            t.starts_with('/') && t.len() > 1 && t.as_bytes()[1].is_ascii_alphabetic()
        })
    }
}

/// Pixels of a photo size, in u64: Telegram's u32 dimensions multiply past u32 (the update property
/// test found the overflow, which panicked the handler and with it the dispatcher).
fn area(p: &PhotoSize) -> u64 {
    u64::from(p.width) * u64::from(p.height)
}
