//! The image modes: choosing one, each dialogue step until its inputs are complete, then the charge
//! and the job (or, for "add text", a free job).

use super::overlay;
use crate::actions::Action;
use crate::billing::Reserve;
use crate::bot::turn::{Input, Turn};
use crate::bot::{HandlerResult, State, keyboards};
use crate::catalogue::Model;
use crate::db::{blocking, jobs::NewJob};
use crate::error::Result;
use crate::model::{Format, JobInput, JobKind, Mode, PaidWith};
use crate::money::Kopecks;
use crate::texts::{self, Lang};
use teloxide::prelude::*;

/// Longest prompt or instruction passed on to a model, and longest text drawn on a photo.
const MAX_PROMPT: usize = 2000;
pub(super) const MAX_OVERLAY: usize = 300;
/// How long after an album's photo the album is taken to be complete.
const ALBUM_SETTLE: std::time::Duration = std::time::Duration::from_millis(1200);

/// The dialogue state a mode starts in (and returns to after each job: the chat stays in the mode,
/// so the next text or photo is the next request).
fn fresh(mode: Mode) -> State {
    match mode {
        Mode::Generate => State::Generate,
        Mode::Edit | Mode::Merge => collecting(mode, vec![], None, None),
        Mode::FaceSwap => State::FaceSwap { face: None },
        Mode::Retouch => State::Retouch,
        Mode::Upscale => State::Upscale,
    }
}

/// Edit's or merge's state holding the pictures so far, the album they came in and its caption.
fn collecting(
    mode: Mode,
    photos: Vec<String>,
    group: Option<String>,
    caption: Option<String>,
) -> State {
    match mode {
        Mode::Edit => State::Edit {
            photos,
            group,
            caption,
        },
        _ => State::Merge {
            photos,
            group,
            caption,
        },
    }
}

/// Whether `state` is one of `mode`'s (a picker press keeps what the user already sent).
fn in_mode(state: &State, mode: Mode) -> bool {
    matches!(
        (state, mode),
        (State::Generate, Mode::Generate)
            | (State::Edit { .. }, Mode::Edit)
            | (State::Merge { .. }, Mode::Merge)
            | (State::FaceSwap { .. }, Mode::FaceSwap)
            | (State::Retouch | State::RetouchWish { .. }, Mode::Retouch)
            | (State::Upscale, Mode::Upscale)
    )
}

/// The user's current model and format in `mode`: the last chosen, else the mode's first model and
/// its default format.
async fn current(turn: &Turn, mode: Mode) -> Result<(&Model, Option<Format>)> {
    let (store, id) = (turn.ctx.store.clone(), turn.user.telegram_id);
    let choice = blocking(move || store.choice(id, mode)).await?;
    let model = turn.ctx.billing.model(mode, choice.model.as_deref());
    Ok((model, model.format_or_default(choice.format)))
}

pub async fn choose(turn: &Turn, mode: Mode) -> Result<()> {
    if turn.ctx.config.fal.fal_key.is_none() {
        return turn.note(texts::unavailable(turn.lang)).await;
    }
    turn.set(fresh(mode)).await?;
    show_mode(turn, mode).await
}

/// The mode's question, with the picker under it when there is a choice to make: models with this
/// user's price each, formats, ✓ on the current ones. A typed request uses what is ✓.
async fn show_mode(turn: &Turn, mode: Mode) -> Result<()> {
    let lang = turn.lang;
    let english = lang == Lang::En;
    let (model, format) = current(turn, mode).await?;
    let line = price_line(turn, model.price);
    let models = turn.ctx.config.models(mode);
    // A prompt ✍️ wrote waits to be made: it heads the screen and gets its own button.
    let written = match (mode, turn.dlg.get().await?) {
        (
            Mode::Generate,
            Some(State::Offered {
                prompt: Some(p),
                photo: None,
            }),
        ) => Some(p),
        _ => None,
    };
    let mut text = match &written {
        Some(p) => format!("{}\n\n{line}", texts::prompt_ready(lang, p)),
        None => texts::ask_input(lang, mode, &line),
    };
    let mut model_buttons = Vec::new();
    if models.len() > 1 {
        let notes: Vec<(&str, &str)> = models
            .iter()
            .map(|m| (m.label(english), m.note(english)))
            .collect();
        text.push_str("\n\n");
        text.push_str(&texts::picker(
            lang,
            &notes,
            !model.offered_formats().is_empty(),
        ));
        for (n, m) in models.iter().enumerate() {
            let mark = if m.key() == model.key() { "✓ " } else { "" };
            let label = format!("{mark}{} · {}", m.label(english), tag(turn, m.price));
            model_buttons.push((label, Action::Pick(mode, n.min(255) as u8)));
        }
    }
    let format_buttons = model
        .offered_formats()
        .into_iter()
        .map(|f| {
            let mark = if Some(f) == format { "✓ " } else { "" };
            (
                format!("{mark}{}", texts::format_label(lang, f)),
                Action::Format(mode, f),
            )
        })
        .collect();
    let can_pay = can_pay(turn, model.price);
    let mut keyboard = keyboards::picker(lang, model_buttons, format_buttons, can_pay);
    if written.is_some() {
        let label = format!(
            "{} · {}",
            texts::create_from_prompt_label(lang),
            tag(turn, model.price)
        );
        keyboard.inline_keyboard.insert(
            0,
            vec![teloxide::types::InlineKeyboardButton::callback(
                label,
                Action::Offer(Some(Mode::Generate)).encode(),
            )],
        );
    }
    turn.show(text, keyboard).await
}

/// ✍️ «Создать по нему»: the generate picker with that prompt waiting under its own button (a
/// prompt typed now instead is a new request, as always).
pub async fn generate_from(turn: &Turn, prompt: String) -> Result<()> {
    if turn.ctx.config.fal.fal_key.is_none() {
        return turn.note(texts::unavailable(turn.lang)).await;
    }
    turn.set(State::Offered {
        prompt: Some(prompt),
        photo: None,
    })
    .await?;
    show_mode(turn, Mode::Generate).await
}

/// A model pressed in the picker: remembered, and the screen redrawn with it ✓ (what was already
/// sent in the mode is kept).
pub async fn pick(turn: &Turn, mode: Mode, n: u8) -> Result<()> {
    let Some(model) = turn.ctx.config.fal.catalogue.nth(mode, usize::from(n)) else {
        return show_mode(turn, mode).await;
    };
    let (store, id, key) = (
        turn.ctx.store.clone(),
        turn.user.telegram_id,
        model.key().to_string(),
    );
    blocking(move || store.remember_choice(id, mode, Some(&key), None)).await?;
    keep_or_enter(turn, mode).await?;
    show_mode(turn, mode).await
}

/// A format pressed in the picker: remembered, the screen redrawn.
pub async fn pick_format(turn: &Turn, mode: Mode, format: Format) -> Result<()> {
    let (store, id) = (turn.ctx.store.clone(), turn.user.telegram_id);
    blocking(move || store.remember_choice(id, mode, None, Some(format))).await?;
    keep_or_enter(turn, mode).await?;
    show_mode(turn, mode).await
}

async fn keep_or_enter(turn: &Turn, mode: Mode) -> Result<()> {
    let state = turn.dlg.get().await?.unwrap_or_default();
    let waiting_prompt = matches!(
        (&state, mode),
        (
            State::Offered {
                prompt: Some(_),
                photo: None
            },
            Mode::Generate
        )
    );
    if !in_mode(&state, mode) && !waiting_prompt {
        turn.set(fresh(mode)).await?;
    }
    Ok(())
}

/// What one operation listed at `price` costs this user now, in words.
pub fn price_line(turn: &Turn, price: Kopecks) -> String {
    texts::price_line(turn.lang, &turn.user, price, true)
}

/// What one more listed at `price` costs this user, for a button: their price, or free.
pub fn tag(turn: &Turn, price: Kopecks) -> String {
    texts::price_tag(
        turn.lang,
        turn.user.price_of(price),
        turn.user.next_is_free(),
    )
}

/// What `mode` costs this user now: their chosen model's price.
pub async fn mode_price(turn: &Turn, mode: Mode) -> Result<Kopecks> {
    Ok(current(turn, mode).await?.0.price)
}

/// Each mode's price for this user now (their chosen model's), for the offers' buttons.
async fn mode_prices(turn: &Turn) -> Result<std::collections::HashMap<Mode, Kopecks>> {
    let (store, id) = (turn.ctx.store.clone(), turn.user.telegram_id);
    let chosen = blocking(move || store.chosen_models(id)).await?;
    Ok(Mode::ALL
        .into_iter()
        .map(|mode| {
            let key = chosen
                .iter()
                .find(|(m, _)| *m == mode)
                .map(|(_, k)| k.as_str());
            (mode, turn.ctx.billing.model(mode, key).price)
        })
        .collect())
}

/// The modes for a photo sent outside one, priced for this user.
pub async fn photo_offer(turn: &Turn) -> Result<teloxide::types::InlineKeyboardMarkup> {
    let prices = mode_prices(turn).await?;
    Ok(keyboards::photo_offer(turn.lang, |m| {
        tag(turn, prices.get(&m).copied().unwrap_or_default())
    }))
}

/// A text for a kept photo: change the photo, or a new picture.
pub async fn photo_text_offer(turn: &Turn) -> Result<teloxide::types::InlineKeyboardMarkup> {
    let prices = mode_prices(turn).await?;
    Ok(keyboards::photo_text_offer(turn.lang, |m| {
        tag(turn, prices.get(&m).copied().unwrap_or_default())
    }))
}

/// Whether this user could pay `price` now (free access, a free operation, or the balance).
fn can_pay(turn: &Turn, price: Kopecks) -> bool {
    let u = &turn.user;
    u.next_is_free() || u.balance >= u.price_of(price)
}

/// A paid request: the words, the pictures, and the model and format when they are fixed (🔁, a held
/// request); None means the user's current choice.
#[derive(Debug, Clone, Default)]
struct Request {
    prompt: String,
    images: Vec<String>,
    model: Option<String>,
    format: Option<Format>,
}

impl Request {
    fn new(prompt: String, images: Vec<String>) -> Request {
        Request {
            prompt,
            images,
            ..Request::default()
        }
    }

    /// The request a job ran (🔁, a held request): its model and format again.
    fn again(input: JobInput) -> Request {
        Request {
            model: input.model.map(|m| m.label),
            format: input.format,
            prompt: input.prompt,
            images: input.images,
        }
    }
}

/// What was sent outside any mode, used in the mode the user picked for it.
pub async fn offer(turn: &Turn, mode: Option<Mode>) -> Result<()> {
    let (prompt, photo) = match turn.dlg.get().await? {
        Some(crate::bot::State::Offered { prompt, photo }) => (prompt, photo),
        _ => return gone(turn).await,
    };
    let lang = turn.lang;
    let Some(mode) = mode else {
        return match (photo, prompt) {
            (Some(p), Some(t)) if t.chars().count() <= MAX_OVERLAY => {
                overlay::style(turn, p, t).await
            }
            (Some(p), _) => {
                turn.set(State::AddText { photo: Some(p) }).await?;
                turn.step(texts::ask_text_for_photo(lang)).await
            }
            (None, _) => overlay::choose_add_text(turn).await,
        };
    };
    if turn.ctx.config.fal.fal_key.is_none() {
        return turn.note(texts::unavailable(lang)).await;
    }
    match (mode, photo, prompt) {
        (Mode::Generate, _, Some(t)) => start_paid(turn, mode, Request::new(t, vec![])).await,
        (Mode::Edit, Some(p), Some(t)) => start_paid(turn, mode, Request::new(t, vec![p])).await,
        (Mode::Edit | Mode::Merge, Some(p), None) => {
            turn.set(collecting(mode, vec![p], None, None)).await?;
            let max = current(turn, mode).await?.0.max_images;
            turn.step(got(lang, mode, 1, max)).await
        }
        (Mode::Retouch, Some(p), _) => ask_wish(turn, p).await,
        (Mode::Upscale, Some(p), _) => {
            start_paid(turn, mode, Request::new(String::new(), vec![p])).await
        }
        (Mode::FaceSwap, Some(p), _) => {
            turn.set(State::FaceSwap { face: Some(p) }).await?;
            turn.step(texts::ask_target(lang)).await
        }
        _ => choose(turn, mode).await,
    }
}

/// ▶️ under a "credited" notice: the request that waited for the money.
pub async fn run_held(turn: &Turn) -> Result<()> {
    let (store, id) = (turn.ctx.store.clone(), turn.user.telegram_id);
    let held = blocking(move || store.take_held_request(id)).await?;
    let Some((mode, input)) = held.and_then(|h| {
        let mode: Mode = h.mode.parse().ok()?;
        Some((mode, JobInput::from_json(&h.input).ok()?))
    }) else {
        let lang = turn.lang;
        return turn
            .say_with(texts::held_gone(lang), keyboards::main_menu(lang))
            .await;
    };
    start_paid(turn, mode, Request::again(input)).await
}

/// A prompt, or why it cannot be one.
pub(super) fn prompt(
    lang: Lang,
    text: Option<String>,
    max: usize,
) -> std::result::Result<String, String> {
    match text {
        Some(t) if t.chars().count() > max => Err(texts::too_long(lang, t.chars().count(), max)),
        Some(t) => Ok(t),
        None => Err(texts::need_text(lang).into()),
    }
}

pub async fn generate(turn: Turn, input: Input) -> HandlerResult {
    turn.answer(move |turn| async move {
        // A photo here wants another mode: asked what to do with it, and kept.
        if let Some(photo) = input.photo {
            let lang = turn.lang;
            turn.set(State::Offered {
                prompt: input.text,
                photo: Some(photo),
            })
            .await?;
            let keyboard = photo_offer(&turn).await?;
            return turn.say_with(texts::photo_offer(lang), keyboard).await;
        }
        match prompt(turn.lang, input.text, MAX_PROMPT) {
            Ok(p) => start_paid(&turn, Mode::Generate, Request::new(p, vec![])).await,
            Err(why) => turn.step(why).await,
        }
    })
    .await
}

/// Edit: one picture or up to the model's `max_images`, then the instruction — or a photo with the
/// instruction as its caption.
pub async fn edit(
    turn: Turn,
    input: Input,
    (photos, _group, caption): (Vec<String>, Option<String>, Option<String>),
) -> HandlerResult {
    turn.answer(move |turn| async move { collect(turn, Mode::Edit, input, photos, caption).await })
        .await
}

/// Merge: two to the model's `max_images` pictures (an album or one by one), then the instruction.
pub async fn merge(
    turn: Turn,
    input: Input,
    (photos, _group, caption): (Vec<String>, Option<String>, Option<String>),
) -> HandlerResult {
    turn.answer(move |turn| async move { collect(turn, Mode::Merge, input, photos, caption).await })
        .await
}

/// What edit and merge say after each photo (or album).
fn got(lang: Lang, mode: Mode, n: usize, max: usize) -> String {
    match mode {
        Mode::Edit if max == 1 => texts::ask_instruction(lang).into(),
        Mode::Edit => texts::edit_got(lang, n, max),
        _ => texts::merge_got(lang, n, max),
    }
}

/// The pictures of an edit or a merge, counted once per album (by the photo after which no other
/// came for a moment), up to the chosen model's `max_images` (one more is refused politely and the
/// ones kept stay); then the request: typed, or the caption of a photo or an album.
async fn collect(
    turn: Turn,
    mode: Mode,
    input: Input,
    mut photos: Vec<String>,
    caption: Option<String>,
) -> Result<()> {
    let lang = turn.lang;
    let least = if mode == Mode::Merge { 2 } else { 1 };
    let Some(p) = input.photo else {
        return match prompt(lang, input.text, MAX_PROMPT) {
            _ if photos.is_empty() => turn.step(texts::need_photo(lang)).await,
            _ if photos.len() < least => turn.step(texts::merge_need_more(lang)).await,
            Ok(t) => start_paid(&turn, mode, Request::new(t, photos)).await,
            Err(why) => turn.step(why).await,
        };
    };
    let max = current(&turn, mode).await?.0.max_images;
    if photos.len() >= max {
        return turn.step(texts::photos_full(lang, max)).await;
    }
    photos.push(p);
    let n = photos.len();
    let caption = input
        .text
        .filter(|t| t.chars().count() <= MAX_PROMPT)
        .or(caption);
    match input.album {
        // A photo with its request as the caption starts at once (once there are enough).
        None => match caption {
            Some(t) if n >= least => start_paid(&turn, mode, Request::new(t, photos)).await,
            _ => {
                turn.set(collecting(mode, photos, None, None)).await?;
                turn.step(got(lang, mode, n, max)).await
            }
        },
        // An album arrives as one message per photo: it is counted (or, with a caption, started)
        // once, by the photo after which no other arrived for a moment.
        Some(album) => {
            turn.set(collecting(mode, photos, Some(album.clone()), caption))
                .await?;
            tokio::spawn(async move {
                tokio::time::sleep(ALBUM_SETTLE).await;
                let now = match turn.dlg.get().await {
                    Ok(Some(State::Edit {
                        photos,
                        group: Some(g),
                        caption,
                    }))
                    | Ok(Some(State::Merge {
                        photos,
                        group: Some(g),
                        caption,
                    })) if g == album && photos.len() == n => Some((photos, caption)),
                    _ => None,
                };
                let Some((photos, caption)) = now else {
                    return;
                };
                let done = match caption {
                    Some(t) if n >= least => start_paid(&turn, mode, Request::new(t, photos)).await,
                    _ => turn.step(got(lang, mode, n, max)).await,
                };
                if let Err(e) = done {
                    tracing::warn!(error = %e, "could not finish an album");
                }
            });
            Ok(())
        }
    }
}

/// The face, then the photo to put it on.
pub async fn face_swap(turn: Turn, input: Input, face: Option<String>) -> HandlerResult {
    turn.answer(move |turn| async move {
        let lang = turn.lang;
        match (face, input.photo) {
            (_, None) => turn.step(texts::need_photo(lang)).await,
            (None, Some(p)) => {
                turn.set(State::FaceSwap { face: Some(p) }).await?;
                turn.step(texts::ask_target(lang)).await
            }
            (Some(face), Some(target)) => {
                let request = Request::new(String::new(), vec![face, target]);
                start_paid(&turn, Mode::FaceSwap, request).await
            }
        }
    })
    .await
}

/// Retouch and upscale: one photo. Retouch then asks for an optional wish (a caption is one).
pub async fn one_photo(turn: Turn, input: Input, state: State) -> HandlerResult {
    let mode = if state == State::Upscale {
        Mode::Upscale
    } else {
        Mode::Retouch
    };
    turn.answer(move |turn| async move {
        match (mode, input.photo) {
            (_, None) => turn.step(texts::need_photo(turn.lang)).await,
            (Mode::Retouch, Some(p)) => match input.text {
                Some(wish) => retouch_with(&turn, p, wish).await,
                None => ask_wish(&turn, p).await,
            },
            (_, Some(p)) => {
                let request = Request::new(String::new(), vec![p]);
                start_paid(&turn, mode, request).await
            }
        }
    })
    .await
}

/// Retouch has its photo: a wish of the user's own, or «Пропустить».
async fn ask_wish(turn: &Turn, photo: String) -> Result<()> {
    let lang = turn.lang;
    let (model, _) = current(turn, Mode::Retouch).await?;
    let text = texts::ask_retouch_wish(lang, model.label(lang == Lang::En), model.takes_words());
    turn.set(State::RetouchWish { photo }).await?;
    turn.say_with(text, keyboards::skip_or_cancel(lang)).await
}

/// The wish typed after a retouch photo (a new photo replaces the one waiting).
pub async fn retouch_wish(turn: Turn, input: Input, photo: String) -> HandlerResult {
    turn.answer(move |turn| async move {
        match (input.photo, input.text) {
            (Some(p), Some(wish)) => retouch_with(&turn, p, wish).await,
            (Some(p), None) => ask_wish(&turn, p).await,
            (None, Some(wish)) => retouch_with(&turn, photo, wish).await,
            (None, None) => turn.step(texts::need_text(turn.lang)).await,
        }
    })
    .await
}

/// A retouch with the user's wish; a preset that takes no words says so and waits for «Пропустить».
async fn retouch_with(turn: &Turn, photo: String, wish: String) -> Result<()> {
    let (model, _) = current(turn, Mode::Retouch).await?;
    if !model.takes_words() {
        return ask_wish(turn, photo).await;
    }
    match prompt(turn.lang, Some(wish), MAX_PROMPT) {
        Ok(w) => start_paid(turn, Mode::Retouch, Request::new(w, vec![photo])).await,
        Err(why) => turn.step(why).await,
    }
}

/// «Пропустить»: the retouch with the preset alone.
pub async fn skip_wish(turn: &Turn) -> Result<()> {
    match turn.dlg.get().await? {
        Some(State::RetouchWish { photo }) => {
            start_paid(
                turn,
                Mode::Retouch,
                Request::new(String::new(), vec![photo]),
            )
            .await
        }
        _ => choose(turn, Mode::Retouch).await,
    }
}

/// A job of this user's, or None (another's, or gone).
async fn own_job(turn: &Turn, job_id: i64) -> Result<Option<crate::db::jobs::Job>> {
    let store = turn.ctx.store.clone();
    let job = blocking(move || store.job(job_id)).await?;
    Ok(job.filter(|j| j.telegram_id == turn.user.telegram_id))
}

pub(super) async fn gone(turn: &Turn) -> Result<()> {
    let lang = turn.lang;
    turn.say_with(texts::not_your_result(lang), keyboards::main_menu(lang))
        .await
}

/// 🔁 under a result or a failure: the same input with the same model and format again, charged
/// again (add text is free).
pub async fn again(turn: &Turn, job_id: i64) -> Result<()> {
    let Some(job) = own_job(turn, job_id).await? else {
        return gone(turn).await;
    };
    // An input that no longer reads is never run as an empty request (and charged for it).
    let input = match JobInput::from_json(&job.input) {
        Ok(input) => input,
        Err(e) => {
            tracing::error!(job = job_id, error = %e, "🔁: the job's saved input cannot be read");
            return gone(turn).await;
        }
    };
    match job.kind {
        JobKind::Paid(mode) => start_paid(turn, mode, Request::again(input)).await,
        JobKind::AddText => match input.images.into_iter().next() {
            Some(photo) => overlay::queue(turn, input.prompt, photo, input.style).await,
            None => gone(turn).await,
        },
    }
}

/// ⬆️ under a result: upscale that very picture.
pub async fn upscale_result(turn: &Turn, job_id: i64) -> Result<()> {
    match own_job(turn, job_id).await?.and_then(|j| j.result_file_id) {
        Some(photo) => {
            start_paid(
                turn,
                Mode::Upscale,
                Request::new(String::new(), vec![photo]),
            )
            .await
        }
        None => gone(turn).await,
    }
}

/// ✏️ under a result: edit that very picture — the instruction (or more pictures) comes next.
pub async fn edit_result(turn: &Turn, job_id: i64) -> Result<()> {
    match own_job(turn, job_id).await?.and_then(|j| j.result_file_id) {
        Some(photo) => {
            turn.set(collecting(Mode::Edit, vec![photo], None, None))
                .await?;
            let (model, _) = current(turn, Mode::Edit).await?;
            let line = price_line(turn, model.price);
            turn.step(texts::ask_result_edit(turn.lang, &line)).await
        }
        None => gone(turn).await,
    }
}

/// 📎 under a result: the kept file as a document, free, while it is kept.
pub async fn original(turn: &Turn, job_id: i64) -> Result<()> {
    let lang = turn.lang;
    let Some(job) = own_job(turn, job_id).await? else {
        return gone(turn).await;
    };
    let kept = job.status == crate::model::JobStatus::Done
        && job.kept_until.is_some_and(|t| t > crate::time::now());
    let path = job
        .result_path
        .filter(|_| kept)
        .map(std::path::PathBuf::from);
    let bytes = match path {
        Some(p) => tokio::task::spawn_blocking(move || std::fs::read(p))
            .await
            .map_err(|e| crate::error::Error::internal(e.to_string()))?
            .ok(),
        None => None,
    };
    let Some(bytes) = bytes else {
        let days = turn.ctx.config.fal.results_keep_days;
        return turn.note(texts::original_gone(lang, days)).await;
    };
    let name = if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        "original.png"
    } else {
        "original.jpg"
    };
    let file = teloxide::types::InputFile::memory(bytes).file_name(name);
    let mut send = turn
        .bot
        .send_document(turn.chat, file)
        .caption(texts::original_caption(lang));
    if let Some(m) = job.result_message_id.and_then(|m| i32::try_from(m).ok()) {
        send = send.reply_parameters(
            teloxide::types::ReplyParameters::new(teloxide::types::MessageId(m))
                .allow_sending_without_reply(),
        );
    }
    send.await?;
    Ok(())
}

/// ✏️ Change the request: the mode again with the old request shown (send it back edited) and the
/// same photos kept, so only the words change. A mode that takes no words starts over.
pub async fn change_request(turn: &Turn, job_id: i64) -> Result<()> {
    let Some(job) = own_job(turn, job_id).await? else {
        return gone(turn).await;
    };
    let Ok(input) = JobInput::from_json(&job.input) else {
        return gone(turn).await;
    };
    let lang = turn.lang;
    let (state, mode) = match job.kind {
        JobKind::Paid(Mode::Generate) => (State::Generate, Some(Mode::Generate)),
        JobKind::Paid(m @ (Mode::Edit | Mode::Merge)) if !input.images.is_empty() => {
            (collecting(m, input.images.clone(), None, None), Some(m))
        }
        JobKind::Paid(Mode::Retouch) if !input.images.is_empty() => (
            State::RetouchWish {
                photo: input.images[0].clone(),
            },
            Some(Mode::Retouch),
        ),
        JobKind::AddText if !input.images.is_empty() => (
            State::AddText {
                photo: input.images.first().cloned(),
            },
            None,
        ),
        JobKind::Paid(m) => return choose(turn, m).await,
        JobKind::AddText => return overlay::choose_add_text(turn).await,
    };
    if input.prompt.trim().is_empty() {
        return match mode {
            Some(m) => choose(turn, m).await,
            None => overlay::choose_add_text(turn).await,
        };
    }
    turn.set(state).await?;
    let (line, can) = match mode {
        Some(m) => {
            let price = current(turn, m).await?.0.price;
            (price_line(turn, price), can_pay(turn, price))
        }
        None => (String::new(), true),
    };
    let label = match mode {
        Some(m) => texts::mode_label(lang, m),
        None => texts::add_text_label(lang),
    };
    turn.say_with(
        texts::change_request(lang, label, &input.prompt, &line),
        keyboards::mode_prompt(lang, can),
    )
    .await
}

/// Charges for `mode` with the request's model (the user's current choice when it names none) and
/// queues its job, or tells the user what is missing. Nothing is sent to the user as accepted
/// before the charge and the job are committed.
async fn start_paid(turn: &Turn, mode: Mode, request: Request) -> Result<()> {
    let lang = turn.lang;
    turn.set(fresh(mode)).await?;
    if turn.ctx.config.fal.fal_key.is_none() {
        return turn.note(texts::unavailable(lang)).await;
    }
    let (model, format) = match request.model.as_deref() {
        Some(key) => {
            let model = turn.ctx.billing.model(mode, Some(key));
            (model, model.format_or_default(request.format))
        }
        None => current(turn, mode).await?,
    };
    let input = JobInput {
        prompt: request.prompt,
        images: request.images,
        lang: lang_code(lang),
        model: Some(model.chosen()),
        format,
        style: None,
    };
    let job = NewJob {
        model: Some(model.key().to_string()),
        format,
        ..new_job(turn, &input)
    };
    let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
    let input = job.input.clone();
    let r = match blocking(move || billing.reserve(id, mode, &job)).await? {
        Reserve::Insufficient { price, balance } => {
            // The input is kept: after the top-up the credited notice offers to run it.
            let (store, chat) = (turn.ctx.store.clone(), turn.chat.0);
            blocking(move || store.hold_request(id, mode.as_str(), chat, &input)).await?;
            let keyboard = super::topup::shortfall_keyboard(turn).await?;
            return turn
                .say_with(texts::insufficient(lang, price, balance), keyboard)
                .await;
        }
        Reserve::Reserved(r) => r,
        Reserve::Duplicate { job_id } => {
            tracing::info!(
                user = id,
                job = job_id,
                "an update run again after a restart: its job was queued before"
            );
            return Ok(());
        }
    };
    let paid = match r.paid_with {
        PaidWith::FreeAccess => texts::paid_free_access(lang).to_string(),
        PaidWith::FreeOperation => texts::paid_free_op(
            lang,
            r.free_operations_left,
            turn.user.price_of(model.price),
        ),
        PaidWith::Plan => texts::paid_plan(lang, r.plan_operations_left),
        PaidWith::Balance => texts::paid_balance(lang, r.price, r.balance),
    };
    tracing::info!(user = id, %mode, model = %model.id, operation = r.operation_id, job = r.job_id, paid_with = r.paid_with.as_str(), "job queued");
    accepted(turn, r.job_id, &paid).await;
    Ok(())
}

pub(super) fn lang_code(lang: Lang) -> String {
    if lang == Lang::En { "en" } else { "ru" }.into()
}

pub(super) fn new_job(turn: &Turn, input: &JobInput) -> NewJob {
    NewJob {
        chat_id: turn.chat.0,
        input: input.to_json(),
        deadline_at: crate::time::now() + turn.ctx.config.fal.job_timeout_secs as i64,
        update_id: Some(turn.update_id),
        model: None,
        format: None,
    }
}

/// Tells the user the job was accepted — and, when every worker is busy, where it stands in the
/// queue, with the chat action at once (the worker pool keeps it going while the job waits) — and
/// saves the message for the worker to edit, before the worker is woken, so even a job claimed at
/// once finds it. A failure to send does not undo the job: it runs and delivers anyway.
pub(super) async fn accepted(turn: &Turn, job_id: i64, paid: &str) {
    let store = turn.ctx.store.clone();
    let before = match blocking(move || store.queue_place(job_id)).await {
        Ok(place) => place.before(turn.ctx.config.fal.worker_concurrency),
        Err(e) => {
            tracing::warn!(job = job_id, error = %e, "could not read the queue");
            0
        }
    };
    if before > 0 {
        let action = turn
            .bot
            .send_chat_action(turn.chat, teloxide::types::ChatAction::UploadPhoto);
        if let Err(e) = action.await {
            tracing::debug!(job = job_id, error = %e, "chat action failed");
        }
    }
    match turn
        .bot
        .send_message(turn.chat, texts::accepted(turn.lang, paid, before))
        .await
    {
        Ok(sent) => {
            let store = turn.ctx.store.clone();
            let message_id = i64::from(sent.id.0);
            let (request, line) = (turn.origin.map(i64::from), paid.to_string());
            if let Err(e) =
                blocking(move || store.save_accepted_message(job_id, message_id, request, &line))
                    .await
            {
                tracing::warn!(job = job_id, error = %e, "could not remember the progress message");
            }
        }
        Err(e) => tracing::warn!(job = job_id, error = %e, "could not send the accepted message"),
    }
    turn.ctx.jobs.notify_one();
}
