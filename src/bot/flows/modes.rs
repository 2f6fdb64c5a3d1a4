//! The image modes: choosing one, each dialogue step until its inputs are complete, then the charge
//! and the job (or, for "add text", a free job).

use crate::billing::Reserve;
use crate::bot::turn::{Input, Turn};
use crate::bot::{HandlerResult, State, keyboards};
use crate::db::{blocking, jobs::NewJob};
use crate::error::Result;
use crate::model::{JobInput, JobKind, Mode, PaidWith};
use crate::texts::{self, Lang};
use teloxide::prelude::*;

/// Longest prompt or instruction passed on to a model, and longest text drawn on a photo.
const MAX_PROMPT: usize = 2000;
const MAX_OVERLAY: usize = 300;
/// The most photos a merge takes.
const MAX_MERGE: usize = 4;
/// How long after an album's photo the album is taken to be complete.
const ALBUM_SETTLE: std::time::Duration = std::time::Duration::from_millis(1200);

/// The dialogue state a mode starts in (and returns to after each job: the chat stays in the mode,
/// so the next text or photo is the next request).
fn fresh(mode: Mode) -> State {
    match mode {
        Mode::Generate => State::Generate,
        Mode::Edit => State::Edit { photo: None },
        Mode::Merge => State::Merge {
            photos: vec![],
            group: None,
        },
        Mode::FaceSwap => State::FaceSwap { face: None },
        Mode::Retouch => State::Retouch,
        Mode::Upscale => State::Upscale,
    }
}

pub async fn choose(turn: &Turn, mode: Mode) -> Result<()> {
    if turn.ctx.config.fal.fal_key.is_none() {
        return turn.note(texts::unavailable(turn.lang)).await;
    }
    turn.set(fresh(mode)).await?;
    let line = price_line(turn, mode);
    turn.show(
        texts::ask_input(turn.lang, mode, &line),
        keyboards::mode_prompt(turn.lang, can_pay(turn, mode)),
    )
    .await
}

/// What `mode` costs this user now, in words.
pub fn price_line(turn: &Turn, mode: Mode) -> String {
    let u = &turn.user;
    texts::price_line(
        turn.lang,
        turn.ctx.billing.price(mode),
        u.balance,
        u.free_operations_left,
        u.has_free_access,
    )
}

/// What one more `mode` costs this user, for a button: the price, or free.
pub fn tag(turn: &Turn, mode: Mode) -> String {
    let free = turn.user.next_is_free();
    texts::price_tag(turn.lang, turn.ctx.billing.price(mode), free)
}

/// The modes for a photo sent outside one, priced for this user.
pub fn photo_offer(turn: &Turn) -> teloxide::types::InlineKeyboardMarkup {
    keyboards::photo_offer(turn.lang, |m| tag(turn, m))
}

/// A text for a kept photo: change the photo, or a new picture.
pub fn photo_text_offer(turn: &Turn) -> teloxide::types::InlineKeyboardMarkup {
    keyboards::photo_text_offer(turn.lang, |m| tag(turn, m))
}

/// Whether this user could pay for `mode` now (free access, a free operation, or the balance).
fn can_pay(turn: &Turn, mode: Mode) -> bool {
    let u = &turn.user;
    u.next_is_free() || u.balance >= turn.ctx.billing.price(mode)
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
                start_add_text(turn, t, p).await
            }
            (Some(p), _) => {
                turn.set(State::AddText { photo: Some(p) }).await?;
                turn.step(texts::ask_text_for_photo(lang)).await
            }
            (None, _) => choose_add_text(turn).await,
        };
    };
    if turn.ctx.config.fal.fal_key.is_none() {
        return turn.note(texts::unavailable(lang)).await;
    }
    match (mode, photo, prompt) {
        (Mode::Generate, _, Some(t)) => start_paid(turn, mode, t, vec![]).await,
        (Mode::Edit, Some(p), Some(t)) => start_paid(turn, mode, t, vec![p]).await,
        (Mode::Edit, Some(p), None) => {
            turn.set(State::Edit { photo: Some(p) }).await?;
            turn.step(texts::ask_instruction(lang)).await
        }
        (Mode::Retouch | Mode::Upscale, Some(p), _) => {
            start_paid(turn, mode, String::new(), vec![p]).await
        }
        (Mode::FaceSwap, Some(p), _) => {
            turn.set(State::FaceSwap { face: Some(p) }).await?;
            turn.step(texts::ask_target(lang)).await
        }
        (Mode::Merge, Some(p), _) => {
            turn.set(State::Merge {
                photos: vec![p],
                group: None,
            })
            .await?;
            turn.step(texts::merge_got(lang, 1, MAX_MERGE)).await
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
    start_paid(turn, mode, input.prompt, input.images).await
}

pub async fn choose_add_text(turn: &Turn) -> Result<()> {
    turn.set(State::AddText { photo: None }).await?;
    let lang = turn.lang;
    turn.show(
        texts::ask_add_text_photo(lang),
        keyboards::mode_prompt(lang, true),
    )
    .await
}

/// A prompt, or why it cannot be one.
fn prompt(lang: Lang, text: Option<String>, max: usize) -> std::result::Result<String, String> {
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
            return turn
                .say_with(texts::photo_offer(lang), photo_offer(&turn))
                .await;
        }
        match prompt(turn.lang, input.text, MAX_PROMPT) {
            Ok(p) => start_paid(&turn, Mode::Generate, p, vec![]).await,
            Err(why) => turn.step(why).await,
        }
    })
    .await
}

/// A photo, then the instruction — or a photo with the instruction as its caption.
pub async fn edit(turn: Turn, input: Input, photo: Option<String>) -> HandlerResult {
    turn.answer(move |turn| async move {
        let waiting = |photo| State::Edit { photo };
        let ask = texts::ask_instruction(turn.lang);
        match photo_then_text(&turn, input, photo, MAX_PROMPT, waiting, ask).await? {
            Some((p, t)) => start_paid(&turn, Mode::Edit, t, vec![p]).await,
            None => Ok(()),
        }
    })
    .await
}

/// The two-step input of edit and add text: a photo (kept in the dialogue while the text is asked
/// for), then the text — or both at once as a photo with a caption. `Some` once both are here;
/// until then the user has been told what is missing.
async fn photo_then_text(
    turn: &Turn,
    input: Input,
    kept: Option<String>,
    max: usize,
    waiting: fn(Option<String>) -> State,
    ask: &str,
) -> Result<Option<(String, String)>> {
    let lang = turn.lang;
    match (input.photo.or(kept), input.text) {
        (None, _) => turn.step(texts::need_photo(lang)).await?,
        (Some(p), None) => {
            turn.set(waiting(Some(p))).await?;
            turn.step(ask).await?;
        }
        (Some(p), text) => match prompt(lang, text, max) {
            Ok(t) => return Ok(Some((p, t))),
            Err(why) => turn.step(why).await?,
        },
    }
    Ok(None)
}

/// Two to four photos (an album or one by one), then the instruction.
pub async fn merge(
    turn: Turn,
    input: Input,
    (mut photos, _group): (Vec<String>, Option<String>),
) -> HandlerResult {
    turn.answer(move |turn| async move {
        let lang = turn.lang;
        let Some(p) = input.photo else {
            return match prompt(lang, input.text, MAX_PROMPT) {
                _ if photos.len() < 2 => turn.step(texts::merge_need_more(lang)).await,
                Ok(t) => start_paid(&turn, Mode::Merge, t, photos).await,
                Err(why) => turn.step(why).await,
            };
        };
        if photos.len() >= MAX_MERGE {
            return turn.step(texts::merge_full(lang)).await;
        }
        photos.push(p);
        let n = photos.len();
        let album = input.album.clone();
        turn.set(State::Merge {
            photos,
            group: input.album,
        })
        .await?;
        match album {
            None => turn.step(texts::merge_got(lang, n, MAX_MERGE)).await,
            // An album arrives as one message per photo: the count is said once, by the photo
            // after which no other arrived for a moment.
            Some(group) => {
                tokio::spawn(async move {
                    tokio::time::sleep(ALBUM_SETTLE).await;
                    let still_last = matches!(
                        turn.dlg.get().await,
                        Ok(Some(State::Merge { photos, group: Some(g) })) if g == group && photos.len() == n
                    );
                    if still_last && let Err(e) = turn.step(texts::merge_got(lang, n, MAX_MERGE)).await {
                        tracing::warn!(error = %e, "could not count an album");
                    }
                });
                Ok(())
            }
        }
    })
    .await
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
                start_paid(&turn, Mode::FaceSwap, String::new(), vec![face, target]).await
            }
        }
    })
    .await
}

/// Retouch and upscale: one photo.
pub async fn one_photo(turn: Turn, input: Input, state: State) -> HandlerResult {
    let mode = if state == State::Upscale {
        Mode::Upscale
    } else {
        Mode::Retouch
    };
    turn.answer(move |turn| async move {
        match input.photo {
            Some(p) => start_paid(&turn, mode, input.text.unwrap_or_default(), vec![p]).await,
            None => turn.step(texts::need_photo(turn.lang)).await,
        }
    })
    .await
}

/// A photo, then the text to draw — or a photo with the text as its caption. Free.
pub async fn add_text(turn: Turn, input: Input, photo: Option<String>) -> HandlerResult {
    turn.answer(move |turn| async move {
        let waiting = |photo| State::AddText { photo };
        let ask = texts::ask_text_for_photo(turn.lang);
        match photo_then_text(&turn, input, photo, MAX_OVERLAY, waiting, ask).await? {
            Some((p, t)) => start_add_text(&turn, t, p).await,
            None => Ok(()),
        }
    })
    .await
}

/// A job of this user's, or None (another's, or gone).
async fn own_job(turn: &Turn, job_id: i64) -> Result<Option<crate::db::jobs::Job>> {
    let store = turn.ctx.store.clone();
    let job = blocking(move || store.job(job_id)).await?;
    Ok(job.filter(|j| j.telegram_id == turn.user.telegram_id))
}

async fn gone(turn: &Turn) -> Result<()> {
    let lang = turn.lang;
    turn.say_with(texts::not_your_result(lang), keyboards::main_menu(lang))
        .await
}

/// 🔁 under a result or a failure: the same input again, charged again (add text is free).
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
        JobKind::Paid(mode) => start_paid(turn, mode, input.prompt, input.images).await,
        JobKind::AddText => match input.images.into_iter().next() {
            Some(photo) => start_add_text(turn, input.prompt, photo).await,
            None => gone(turn).await,
        },
    }
}

/// ⬆️ under a result: upscale that very picture.
pub async fn upscale_result(turn: &Turn, job_id: i64) -> Result<()> {
    match own_job(turn, job_id).await?.and_then(|j| j.result_file_id) {
        Some(photo) => start_paid(turn, Mode::Upscale, String::new(), vec![photo]).await,
        None => gone(turn).await,
    }
}

/// ✏️ under a result: edit that very picture — the instruction comes next.
pub async fn edit_result(turn: &Turn, job_id: i64) -> Result<()> {
    match own_job(turn, job_id).await?.and_then(|j| j.result_file_id) {
        Some(photo) => {
            turn.set(State::Edit { photo: Some(photo) }).await?;
            let line = price_line(turn, Mode::Edit);
            turn.step(texts::ask_result_edit(turn.lang, &line)).await
        }
        None => gone(turn).await,
    }
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
        JobKind::Paid(Mode::Edit) => (
            State::Edit {
                photo: input.images.first().cloned(),
            },
            Some(Mode::Edit),
        ),
        JobKind::Paid(Mode::Merge) if input.images.len() >= 2 => (
            State::Merge {
                photos: input.images.clone(),
                group: None,
            },
            Some(Mode::Merge),
        ),
        JobKind::AddText if !input.images.is_empty() => (
            State::AddText {
                photo: input.images.first().cloned(),
            },
            None,
        ),
        JobKind::Paid(m) => return choose(turn, m).await,
        JobKind::AddText => return choose_add_text(turn).await,
    };
    if input.prompt.trim().is_empty() {
        return match mode {
            Some(m) => choose(turn, m).await,
            None => choose_add_text(turn).await,
        };
    }
    turn.set(state).await?;
    let line = mode.map(|m| price_line(turn, m)).unwrap_or_default();
    let label = match mode {
        Some(m) => texts::mode_label(lang, m),
        None => texts::add_text_label(lang),
    };
    turn.say_with(
        texts::change_request(lang, label, &input.prompt, &line),
        keyboards::mode_prompt(lang, mode.is_none_or(|m| can_pay(turn, m))),
    )
    .await
}

/// Charges for `mode` and queues its job, or tells the user what is missing. Nothing is sent to the
/// user as accepted before the charge and the job are committed.
async fn start_paid(turn: &Turn, mode: Mode, prompt: String, images: Vec<String>) -> Result<()> {
    let lang = turn.lang;
    turn.set(fresh(mode)).await?;
    if turn.ctx.config.fal.fal_key.is_none() {
        return turn.note(texts::unavailable(lang)).await;
    }
    let job = new_job(turn, prompt, images);
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
        PaidWith::FreeOperation => {
            texts::paid_free_op(lang, r.free_operations_left, turn.ctx.billing.price(mode))
        }
        PaidWith::Balance => texts::paid_balance(lang, r.price, r.balance),
    };
    tracing::info!(user = id, %mode, operation = r.operation_id, job = r.job_id, paid_with = r.paid_with.as_str(), "job queued");
    accepted(turn, r.job_id, &paid).await;
    Ok(())
}

async fn start_add_text(turn: &Turn, text: String, photo: String) -> Result<()> {
    turn.set(State::AddText { photo: None }).await?;
    let job = new_job(turn, text, vec![photo]);
    let (store, id) = (turn.ctx.store.clone(), turn.user.telegram_id);
    let job_id = blocking(move || store.queue_add_text(id, &job)).await?;
    accepted(turn, job_id, "").await;
    Ok(())
}

fn new_job(turn: &Turn, prompt: String, images: Vec<String>) -> NewJob {
    let input = JobInput {
        prompt,
        images,
        lang: if turn.lang == Lang::En { "en" } else { "ru" }.into(),
    };
    NewJob {
        chat_id: turn.chat.0,
        input: input.to_json(),
        deadline_at: crate::time::now() + turn.ctx.config.fal.job_timeout_secs as i64,
        update_id: Some(turn.update_id),
    }
}

/// Tells the user the job was accepted — and, when every worker is busy, where it stands in the
/// queue, with the chat action at once (the worker pool keeps it going while the job waits) — and
/// saves the message for the worker to edit, before the worker is woken, so even a job claimed at
/// once finds it. A failure to send does not undo the job: it runs and delivers anyway.
async fn accepted(turn: &Turn, job_id: i64, paid: &str) {
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
