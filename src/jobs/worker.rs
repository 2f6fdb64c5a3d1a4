//! The worker pool: claims queued jobs from SQLite, runs up to WORKER_CONCURRENCY at once, and moves
//! each through fal.ai (or the local renderer) to delivery. Every state is recorded before anything
//! waits on the network, so a restart resumes: running jobs are queued again (a third time is poison:
//! failed and refunded), submitted ones resume polling, one that may have reached fal without us
//! learning its id is refunded, never resubmitted, and a made result is kept in a file and sent until
//! Telegram takes it or DELIVERY_TIMEOUT_SECS passes. A sweeper runs the same recovery every
//! SWEEP_EVERY for jobs no task holds, and finishes operations whose refund or settle write failed.

use super::fal::{self, FailureKind, Fal, Status};
use super::render;
use super::text;
use crate::billing::Billing;
use crate::config::Config;
use crate::db::jobs::{Job, Submission};
use crate::db::{Store, blocking};
use crate::error::{Error, Result};
use crate::model::Mode;
use crate::model::{JobFailure, JobInput, JobKind, JobStatus};
use crate::money::Kopecks;
use crate::telegram::{SendFailure, backoff};
use crate::texts::{self, Lang};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::adaptors::Throttle;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{
    ChatAction, FileId, InlineKeyboardMarkup, InputFile, MessageId, ReplyParameters,
};
use tokio::sync::{Notify, Semaphore, watch};

/// Telegram's limit for photos; larger results go as documents only.
const PHOTO_LIMIT: usize = 10 * 1024 * 1024;
/// What the language model is told when it translates a prompt for a model that reads English.
const TRANSLATE: &str = "Translate the user's image prompt into natural English for an image model. \
    Answer with the translation only: no quotes, no comments. Keep names and brands as they are, and \
    keep any words that must appear written on the picture exactly as given, in quotes.";
/// How long a translation may take before the prompt goes as typed.
const TRANSLATE_DEADLINE: Duration = Duration::from_secs(30);

/// Input pictures decoded at once across all jobs. A decoded 12-megapixel photo is ~36 MB: one at a
/// time keeps four 8-picture edits at once near 106 MB peak (benches/creative.rs); two at once
/// prepared them in 3.1 s instead of 5.7 s on two cores but peaked at 142–152 MB.
static DECODES: Semaphore = Semaphore::const_new(1);
const IDLE_TICK: Duration = Duration::from_secs(1);
/// How long a progress edit or chat action may take before the job goes on without it.
const COSMETIC_TIMEOUT: Duration = Duration::from_secs(5);
/// Telegram shows a chat action for about 5 s; it is sent again this often while a job runs.
const CHAT_ACTION_EVERY: Duration = Duration::from_secs(4);
/// At most this many waiting chats get a chat action per round (a long queue is a flood otherwise).
const WAITING_ACTIONS: u32 = 30;

/// A background task that ends when its owner does.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
/// How often the sweeper looks for jobs and operations nobody is finishing.
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// A job found `running` at start this many times crashed the process each time: failed, refunded.
const POISON_ATTEMPTS: i64 = 3;
/// Tries of a write that must not be lost (a delivery record, a settle) before the sweeper takes over.
const WRITE_TRIES: u32 = 8;

/// A failure that ends a job: what to tell the user, and what to log.
struct Failure {
    why: JobFailure,
    detail: String,
}

impl Failure {
    fn new(why: JobFailure, detail: impl Into<String>) -> Failure {
        Failure {
            why,
            detail: detail.into(),
        }
    }
    fn from_fal(e: &Error) -> Failure {
        let why = match fal::failure_kind(e) {
            FailureKind::Refused => JobFailure::Refused,
            FailureKind::Key | FailureKind::Service => JobFailure::Service,
        };
        if fal::failure_kind(e) == FailureKind::Key {
            tracing::error!(error = %e, "fal.ai refused FAL_KEY; every paid job will fail until it is fixed");
        }
        Failure::new(why, e.to_string())
    }
}

impl Failure {
    /// A photo that could not be used: too large (SPEC §6 limits) or unreadable.
    fn of_input(e: Error) -> Failure {
        let why = match e {
            Error::TooLarge(_) => JobFailure::TooLarge,
            _ => JobFailure::Input,
        };
        Failure::new(why, e.to_string())
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::new(JobFailure::Service, e.to_string())
    }
}

/// The client that sends what carries information (results): paced under Telegram's limits by
/// teloxide's `Throttle` (30 messages/s overall, 1/s per chat, order kept per chat, every send held
/// while a 429's `retry_after` runs, then retried). Edits and chat actions do not go through it.
pub type Sender = Throttle<Bot>;

#[derive(Clone)]
pub struct Worker {
    store: Arc<Store>,
    billing: Billing,
    config: Arc<Config>,
    bot: Bot,
    sender: Sender,
    fal: Option<Arc<Fal>>,
    wake: Arc<Notify>,
    /// Jobs a task of this process holds; the sweeper leaves them alone.
    in_flight: Arc<Mutex<HashSet<i64>>>,
    /// Where made results wait for Telegram: `results/` beside the database.
    results: PathBuf,
}

/// Removes a job from `in_flight` when its task ends, however it ends.
struct Holding(Arc<Mutex<HashSet<i64>>>, i64);

impl Drop for Holding {
    fn drop(&mut self) {
        lock(&self.0).remove(&self.1);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Worker {
    pub fn new(
        store: Arc<Store>,
        billing: Billing,
        config: Arc<Config>,
        bot: Bot,
        sender: Sender,
    ) -> Result<Worker> {
        let results = results_dir(&config.operations.database_path);
        std::fs::create_dir_all(&results)
            .map_err(|e| Error::io(format!("creating {}", results.display()), e))?;
        Ok(Worker {
            fal: Fal::from_config(&config)?.map(Arc::new),
            store,
            billing,
            config,
            bot,
            sender,
            wake: Arc::new(Notify::new()),
            in_flight: Arc::new(Mutex::new(HashSet::new())),
            results,
        })
    }

    /// Wakes the pool after a job was queued.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.config.fal.worker_concurrency));
        let mut next_sweep = tokio::time::Instant::now();
        let mut next_waiting_action = tokio::time::Instant::now();
        loop {
            // The sweep at start is the recovery from a previous process; later ones catch jobs whose
            // task ended without finishing them (a failed write).
            if tokio::time::Instant::now() >= next_sweep {
                for job in self.sweep().await {
                    let Ok(permit) = slots.clone().acquire_owned().await else {
                        return;
                    };
                    self.spawn(job, permit);
                }
                next_sweep = tokio::time::Instant::now() + SWEEP_EVERY;
            }
            // Permits first, then claim at most that many: every claimed job has its slot.
            let free = slots.available_permits();
            if let Some(mut permits) = (free > 0)
                .then(|| slots.clone().try_acquire_many_owned(free as u32).ok())
                .flatten()
            {
                let store = self.store.clone();
                match blocking(move || store.claim_jobs(free)).await {
                    Ok(jobs) => {
                        for job in jobs {
                            let Some(permit) = permits.split(1) else {
                                break;
                            };
                            self.spawn(job, permit);
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "claiming jobs failed"),
                }
                // Unused permits go back as `permits` drops.
            }
            // Jobs waiting for a slot keep their chat's "sending a photo…" too: waiting must not
            // look like hanging.
            // (With a slot free, every due job was just claimed: nobody waits.)
            if slots.available_permits() == 0 && tokio::time::Instant::now() >= next_waiting_action
            {
                next_waiting_action = tokio::time::Instant::now() + CHAT_ACTION_EVERY;
                self.show_waiting();
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(IDLE_TICK) => {}
                _ = shutdown.changed() => break,
            }
        }
        // Jobs still in flight keep their recorded state and resume on the next start.
        let all = self.config.fal.worker_concurrency as u32;
        if tokio::time::timeout(Duration::from_secs(10), slots.acquire_many(all))
            .await
            .is_err()
        {
            tracing::info!("jobs still in flight at shutdown resume on the next start");
        }
    }

    /// Runs `job` in a task of its own that holds `permit` and marks the job in flight until it ends.
    fn spawn(&self, job: Job, permit: tokio::sync::OwnedSemaphorePermit) {
        // Marked here, synchronously, so the sweeper (same loop) never sees it as abandoned.
        lock(&self.in_flight).insert(job.id);
        let holding = Holding(self.in_flight.clone(), job.id);
        let this = self.clone();
        tokio::spawn(async move {
            this.process(job).await;
            drop(holding);
            drop(permit);
            this.wake.notify_one();
        });
    }

    /// Finishes operations left `charged` by a job that ended (a refund or settle write that failed),
    /// then recovers the unfinished jobs no task holds; returns the jobs to resume.
    /// Removes a delivered result's file and forgets it (the job's 📎 then says it is gone).
    async fn remove_result(&self, id: i64, path: &Path) {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(job = id, error = %e, "could not remove a kept result");
                return;
            }
        }
        let store = self.store.clone();
        if let Err(e) = blocking(move || store.forget_result(id)).await {
            tracing::warn!(job = id, error = %e, "could not forget a removed result");
        }
    }

    async fn sweep(&self) -> Vec<Job> {
        let billing = self.billing.clone();
        match blocking(move || billing.refund_stale_prompts()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                refunded = n,
                "sweeper: refunded ✍️ charges that never got their answer"
            ),
            Err(e) => tracing::warn!(error = %e, "sweeper: refunding stale ✍️ charges failed"),
        }
        let store = self.store.clone();
        let now = crate::time::now();
        match blocking(move || store.results_to_remove(now, 256)).await {
            Ok(rows) => {
                for (id, path) in rows {
                    self.remove_result(id, Path::new(&path)).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "sweeper: reading kept results failed"),
        }
        let store = self.store.clone();
        match blocking(move || store.jobs_ended_but_charged(64)).await {
            Ok(rows) => {
                for row in rows {
                    if row.job_status == JobStatus::Done {
                        let (billing, op) = (self.billing.clone(), row.operation_id);
                        match blocking(move || billing.settle(op)).await {
                            Ok(_) => {
                                tracing::info!(
                                    job = row.job_id,
                                    operation = op,
                                    "sweeper: settled a delivered job"
                                )
                            }
                            Err(e) => {
                                tracing::warn!(job = row.job_id, error = %e, "sweeper: settle failed")
                            }
                        }
                    } else {
                        let reason = row.error.clone().unwrap_or_else(|| "job failed".into());
                        let store = self.store.clone();
                        match blocking(move || store.job(row.job_id)).await {
                            Ok(Some(job)) => {
                                tracing::info!(
                                    job = job.id,
                                    operation = row.operation_id,
                                    "sweeper: refunding a failed job left charged"
                                );
                                self.fail(&job, Failure::new(JobFailure::Service, reason))
                                    .await;
                            }
                            Ok(None) => tracing::error!(
                                job = row.job_id,
                                operation = row.operation_id,
                                "sweeper: a charged operation's job is gone; `check` lists it"
                            ),
                            // Left charged: the next sweep tries again.
                            Err(e) => tracing::error!(
                                job = row.job_id,
                                error = %e,
                                "sweeper: reading a failed job for its refund failed; will retry"
                            ),
                        }
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "sweeper: reading charged operations failed"),
        }
        let store = self.store.clone();
        let jobs = match blocking(move || store.unfinished_jobs()).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "reading unfinished jobs failed");
                return Vec::new();
            }
        };
        let held = lock(&self.in_flight).clone();
        let mut resume = Vec::new();
        for job in jobs.into_iter().filter(|j| !held.contains(&j.id)) {
            match job.status {
                JobStatus::Running if job.attempts >= POISON_ATTEMPTS => {
                    // Every run of this job ended with the process: its input must not crash-loop it.
                    let failure = Failure::new(
                        JobFailure::Input,
                        format!(
                            "the process stopped {} times while running it",
                            job.attempts
                        ),
                    );
                    self.fail(&job, failure).await;
                }
                JobStatus::Running => {
                    // Never got as far as the POST to fal: safe to run from the start.
                    if let Err(e) = self.set_status(job.id, JobStatus::Queued).await {
                        tracing::error!(job = job.id, error = %e, "requeueing failed");
                    }
                }
                JobStatus::Submitting => {
                    // The POST may have reached fal; a second one could run the model twice.
                    let failure = Failure::new(
                        JobFailure::Service,
                        "interrupted while submitting; not resubmitted",
                    );
                    self.fail(&job, failure).await;
                }
                _ => resume.push(job),
            }
        }
        if !resume.is_empty() {
            tracing::info!(count = resume.len(), "resuming jobs in flight");
        }
        resume
    }

    async fn process(&self, job: Job) {
        // The chat shows "sending a photo…" while the job runs, refreshed before Telegram's ~5 s
        // expire it, and stops with the job (the guard aborts it on every way out).
        let _action = self.keep_chat_action(job.chat_id);
        let result = match job.kind {
            JobKind::AddText => self.add_text(&job).await,
            JobKind::Paid(mode) => self.paid(&job, mode).await,
        };
        if let Err(failure) = result {
            self.fail(&job, failure).await;
        }
    }

    async fn paid(&self, job: &Job, mode: Mode) -> std::result::Result<(), Failure> {
        if job.operation_id.is_none() {
            return Err(Failure::new(
                JobFailure::Service,
                "paid job without operation",
            ));
        }
        if job.status == JobStatus::Delivering && job.result_path.is_some() {
            // The result is on disk: only Telegram is left.
            return self.deliver_kept(job, mode == Mode::Upscale).await;
        }
        let fal = self
            .fal
            .clone()
            .ok_or_else(|| Failure::new(JobFailure::Service, "FAL_KEY is not set"))?;
        let input = parse_input(job)?;
        let lang = lang_of(&input);
        let (mut status_url, mut response_url, mut cancel_url) = (
            job.status_url.clone(),
            job.response_url.clone(),
            job.cancel_url.clone(),
        );
        if job.status == JobStatus::Running {
            self.expired(job, &fal, None).await?;
            self.progress(job, texts::progress_working(lang)).await;
            // A job queued before the catalogue runs on its mode's first model.
            let model = input
                .model
                .clone()
                .unwrap_or_else(|| self.config.fal.catalogue.first(mode).chosen());
            let uris = self.prepare_images(&input.images).await?;
            let prompt = self
                .english_if_needed(job, &fal, &model, &input.prompt)
                .await;
            let body = fal::input_for(mode, &model, input.format, &prompt, &uris);
            self.set_status(job.id, JobStatus::Submitting).await?;
            let submitted = fal
                .submit(&model.id, &body)
                .await
                .map_err(|e| Failure::from_fal(&e))?;
            let (store, id, s) = (self.store.clone(), job.id, submitted.clone());
            blocking(move || {
                store.record_submission(
                    id,
                    &Submission {
                        request_id: &s.request_id,
                        status_url: &s.status_url,
                        response_url: &s.response_url,
                        cancel_url: s.cancel_url.as_deref(),
                    },
                )
            })
            .await?;
            tracing::info!(job = job.id, request = %submitted.request_id, %mode, "submitted to fal.ai");
            (status_url, response_url, cancel_url) = (
                Some(submitted.status_url),
                Some(submitted.response_url),
                submitted.cancel_url,
            );
        }
        let (Some(status_url), Some(response_url)) = (status_url, response_url) else {
            return Err(Failure::new(
                JobFailure::Service,
                "submitted job without fal URLs",
            ));
        };
        if job.status != JobStatus::Delivering {
            self.wait_completed(job, &fal, &status_url, cancel_url.as_deref(), lang)
                .await?;
        }
        let output = fal
            .result(&response_url)
            .await
            .map_err(|e| Failure::from_fal(&e))?;
        if output.nsfw {
            return Err(Failure::new(
                JobFailure::Refused,
                "the model flagged the result as NSFW",
            ));
        }
        self.progress(job, texts::progress_sending(lang)).await;
        let url = output.urls.first().cloned().unwrap_or_default();
        let bytes = fal
            .download(&url)
            .await
            .map_err(|e| Failure::new(JobFailure::Service, e.to_string()))?;
        let kept = self.keep_result(job, bytes).await?;
        self.deliver_kept(&kept, mode == Mode::Upscale).await
    }

    /// The prompt a model reads: a model marked `language = "en"` gets it translated by LLM_MODEL
    /// first (free to the user; recorded in `words`). A prompt that is plain ASCII is taken as
    /// English already; a translation that fails sends the prompt as typed — the model still reads
    /// it, less well — rather than failing a paid job.
    async fn english_if_needed(
        &self,
        job: &Job,
        fal: &Fal,
        model: &crate::model::Chosen,
        prompt: &str,
    ) -> String {
        if !model.english || prompt.trim().is_empty() || prompt.is_ascii() {
            return prompt.to_string();
        }
        let llm = self.config.fal.llm_model.clone();
        let answer = fal.ask(&llm, TRANSLATE, prompt, TRANSLATE_DEADLINE).await;
        let (store, user, text) = (self.store.clone(), job.telegram_id, prompt.to_string());
        let record = match &answer {
            Ok(a) => Ok(a.clone()),
            Err(e) => Err(e.to_string()),
        };
        let cost = self.config.fal.catalogue.llm_cost;
        let recorded = blocking(move || {
            let result = record.as_deref().map_err(String::as_str);
            store.record_translation(user, &text, &llm, result, cost)
        })
        .await;
        if let Err(e) = recorded {
            tracing::warn!(job = job.id, error = %e, "could not record a translation");
        }
        match answer {
            Ok(english) => english,
            Err(e) => {
                tracing::warn!(job = job.id, error = %e, "translation failed; the prompt goes as typed");
                prompt.to_string()
            }
        }
    }

    /// Each input as a data URI small enough that all of them fit one fal request: downloaded one at
    /// a time, decoded under the process-wide decode limit (`DECODES`: four jobs of eight photos must
    /// not hold 32 decoded photos at once), downscaled and re-encoded.
    async fn prepare_images(&self, images: &[String]) -> std::result::Result<Vec<String>, Failure> {
        let (side, budget) = render::input_limits(images.len());
        let mut uris = Vec::with_capacity(images.len());
        for file_id in images {
            let bytes = self.telegram_file(file_id).await?;
            let _permit = DECODES
                .acquire()
                .await
                .map_err(|e| Failure::new(JobFailure::Service, e.to_string()))?;
            let uri = tokio::task::spawn_blocking(move || render::data_uri(&bytes, side, budget))
                .await
                .map_err(|e| Failure::new(JobFailure::Service, e.to_string()))?
                .map_err(Failure::of_input)?;
            uris.push(uri);
        }
        Ok(uris)
    }

    /// Writes the made result to its file (synced) and records it on the job, which moves to
    /// `delivering` with its delivery deadline: from here on only Telegram is left, across restarts.
    async fn keep_result(&self, job: &Job, bytes: Vec<u8>) -> std::result::Result<Job, Failure> {
        let ext = if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
            "png"
        } else {
            "jpg"
        };
        let path = self.results.join(format!("job-{}.{ext}", job.id));
        let file = path.clone();
        tokio::task::spawn_blocking(move || write_synced(&file, &bytes))
            .await
            .map_err(|e| Failure::new(JobFailure::Service, e.to_string()))?
            .map_err(|e| Failure::new(JobFailure::Service, e.to_string()))?;
        let now = crate::time::now();
        let deadline = now + self.config.fal.delivery_timeout_secs as i64;
        // Kept for 📎 that long after it was made; the sweeper removes it once the job has ended.
        let kept_until = now + i64::from(self.config.fal.results_keep_days) * 86_400;
        let (store, id, text) = (
            self.store.clone(),
            job.id,
            path.to_string_lossy().to_string(),
        );
        let kept = blocking(move || store.keep_result(id, &text, deadline, kept_until))
            .await?
            .ok_or_else(|| Failure::new(JobFailure::Service, "the job vanished"))?;
        Ok(kept)
    }

    /// Sends the kept result until Telegram has it: the picture (a photo, or a document when
    /// Telegram will not take it as a photo), and for upscales the full-quality file. Each part is
    /// recorded right after Telegram took it, so a restart never sends it again. A 429 waits its
    /// `retry_after` (the Throttle sender does that itself), network errors and 5xx retry with
    /// backoff until the delivery deadline; a chat that is gone, a refused file or the deadline fail
    /// the job (and so refund it). Then the job is settled — retried, never turned into a refund.
    async fn deliver_kept(&self, job: &Job, full_file: bool) -> std::result::Result<(), Failure> {
        let lang = parse_input(job).map(|i| lang_of(&i)).unwrap_or(Lang::Ru);
        let path = PathBuf::from(job.result_path.clone().unwrap_or_default());
        let read = path.clone();
        let bytes = tokio::task::spawn_blocking(move || std::fs::read(&read))
            .await
            .map_err(|e| Failure::new(JobFailure::Service, e.to_string()))?
            .map_err(|e| {
                Failure::new(
                    JobFailure::Service,
                    format!("the kept result {} is unreadable: {e}", path.display()),
                )
            })?;
        let need = if full_file { 2 } else { 1 };
        let deadline = job
            .delivery_deadline_at
            .unwrap_or_else(|| crate::time::now() + self.config.fal.delivery_timeout_secs as i64);
        let name = if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
            "result.png"
        } else {
            "result.jpg"
        };
        let chat = ChatId(job.chat_id);
        // The result answers the message that asked for it (read now: it is saved just after the
        // job is queued); Telegram sends it anyway if that message is gone.
        let (store, id) = (self.store.clone(), job.id);
        let reply = blocking(move || store.request_message(id))
            .await
            .ok()
            .flatten()
            .and_then(|m| i32::try_from(m).ok())
            .map(|m| ReplyParameters::new(MessageId(m)).allow_sending_without_reply());
        let mut parts = job.delivered_parts;
        // Read once, not on every retry of a send that Telegram keeps refusing.
        let first_part = match parts {
            0 => Some(self.result_caption(job, lang).await),
            _ => None,
        };
        let mut photo_refused = bytes.len() > PHOTO_LIMIT;
        let mut attempt = 0;
        while parts < need {
            if crate::time::now() >= deadline {
                return Err(Failure::new(
                    JobFailure::Undelivered,
                    "Telegram did not take the result before DELIVERY_TIMEOUT_SECS",
                ));
            }
            let as_photo = parts == 0 && !photo_refused;
            let file = InputFile::memory(bytes.clone()).file_name(name);
            // The first part carries what was made and the buttons for the next one; a second
            // part (upscale) says why it follows.
            let sent = if let Some((caption, keyboard)) = first_part.clone().filter(|_| parts == 0)
            {
                if as_photo {
                    let mut send = self
                        .sender
                        .send_photo(chat, file)
                        .caption(caption)
                        .reply_markup(keyboard);
                    if let Some(r) = reply.clone() {
                        send = send.reply_parameters(r);
                    }
                    send.await
                } else {
                    let mut send = self
                        .sender
                        .send_document(chat, file)
                        .caption(caption)
                        .reply_markup(keyboard);
                    if let Some(r) = reply.clone() {
                        send = send.reply_parameters(r);
                    }
                    send.await
                }
            } else {
                self.sender
                    .send_document(chat, file)
                    .caption(texts::full_file_caption(lang))
                    .await
            };
            match sent {
                Ok(message) => {
                    // A document as the first part is the full-quality file as well.
                    let now_parts = if as_photo { parts + 1 } else { need };
                    let first = (parts == 0).then_some(i64::from(message.id.0));
                    let file_id = message
                        .photo()
                        .and_then(|sizes| sizes.last())
                        .map(|p| p.file.id.0.clone());
                    let (store, id) = (self.store.clone(), job.id);
                    self.persist("recording a delivery", move || {
                        store.record_delivery(id, now_parts, first, file_id.as_deref())
                    })
                    .await;
                    parts = now_parts;
                    attempt = 0;
                }
                Err(e) => match SendFailure::of(&e) {
                    SendFailure::RetryAfter(wait) => {
                        tracing::warn!(job = job.id, ?wait, "Telegram flood control; waiting");
                        tokio::time::sleep(wait).await;
                    }
                    SendFailure::Transient(why) => {
                        let left = (deadline - crate::time::now()).max(1) as u64;
                        let wait = backoff(attempt).min(Duration::from_secs(left));
                        tracing::warn!(job = job.id, error = %why, ?wait, "sending the result failed; will retry");
                        tokio::time::sleep(wait).await;
                        attempt += 1;
                    }
                    SendFailure::Rejected(why) if as_photo => {
                        tracing::warn!(job = job.id, error = %why, "sent as a document instead");
                        photo_refused = true;
                    }
                    SendFailure::Rejected(why) | SendFailure::Gone(why) => {
                        return Err(Failure::new(
                            JobFailure::Undelivered,
                            format!("Telegram will not take the result: {why}"),
                        ));
                    }
                },
            }
        }
        let (billing, store, id, op) = (
            self.billing.clone(),
            self.store.clone(),
            job.id,
            job.operation_id,
        );
        let settled = self
            .persist("settling a delivered job", move || match op {
                Some(op) => billing.settle_job(id, op).map(|_| ()),
                None => store.finish_free_job(id),
            })
            .await;
        if settled {
            if self.config.fal.results_keep_days == 0 {
                self.remove_result(job.id, &path).await;
            }
            self.progress(job, texts::done(lang)).await;
            tracing::info!(job = job.id, operation = ?job.operation_id, "delivered and settled");
        }
        Ok(())
    }

    /// Runs a write that must not be lost, retrying with backoff; false when it still failed after
    /// WRITE_TRIES (the job then stays as recorded, and the sweeper or the next start finishes it).
    async fn persist<F>(&self, what: &str, f: F) -> bool
    where
        F: Fn() -> Result<()> + Clone + Send + 'static,
    {
        for attempt in 0..WRITE_TRIES {
            match blocking(f.clone()).await {
                Ok(()) => return true,
                Err(e) => {
                    tracing::error!(error = %e, attempt, "{what} failed; retrying");
                    tokio::time::sleep(backoff(attempt)).await;
                }
            }
        }
        false
    }

    /// Polls fal with backoff until the request completes, the deadline passes, or fal says no.
    async fn wait_completed(
        &self,
        job: &Job,
        fal: &Fal,
        status_url: &str,
        cancel_url: Option<&str>,
        lang: Lang,
    ) -> std::result::Result<(), Failure> {
        let mut delay = Duration::from_millis(200);
        // The status message only moves forward: "working" was shown when the job started, and a
        // wait at fal is shown only when someone is really ahead there.
        let mut shown = texts::progress_working(lang).to_string();
        loop {
            self.expired(job, fal, cancel_url).await?;
            match fal.status(status_url).await {
                Ok(Status::Completed) => return Ok(()),
                Ok(s) => {
                    let text = match s {
                        Status::InQueue {
                            position: Some(p @ 1..),
                        } => texts::progress_queued(lang, p),
                        _ => texts::progress_working(lang).to_string(),
                    };
                    if text != shown {
                        self.progress(job, &text).await;
                        shown = text;
                    }
                }
                Err(
                    e @ Error::Remote {
                        retryable: true, ..
                    },
                ) => tracing::warn!(job = job.id, error = %e, "status poll failed; retrying"),
                Err(e) => return Err(Failure::from_fal(&e)),
            }
            let left = (job.deadline_at - crate::time::now()).max(0) as u64;
            tokio::time::sleep(delay.min(Duration::from_secs(left.max(1)))).await;
            delay = (delay * 2).min(Duration::from_secs(3));
        }
    }

    /// Past the deadline: ask fal to cancel (best effort) and fail the job.
    async fn expired(
        &self,
        job: &Job,
        fal: &Fal,
        cancel_url: Option<&str>,
    ) -> std::result::Result<(), Failure> {
        if crate::time::now() < job.deadline_at {
            return Ok(());
        }
        if let Some(Err(e)) = match cancel_url {
            Some(url) => Some(fal.cancel(url).await),
            None => None,
        } {
            tracing::warn!(job = job.id, error = %e, "cancelling at fal failed");
        }
        Err(Failure::new(JobFailure::Timeout, "deadline passed"))
    }

    async fn add_text(&self, job: &Job) -> std::result::Result<(), Failure> {
        if job.status == JobStatus::Delivering && job.result_path.is_some() {
            return self.deliver_kept(job, false).await;
        }
        let input = parse_input(job)?;
        let file_id = input
            .images
            .first()
            .ok_or_else(|| Failure::new(JobFailure::Input, "no photo"))?;
        let bytes = self.telegram_file(file_id).await?;
        let (text, style) = (input.prompt.clone(), input.style.unwrap_or_default());
        let _permit = DECODES
            .acquire()
            .await
            .map_err(|e| Failure::new(JobFailure::Service, e.to_string()))?;
        let rendered = tokio::task::spawn_blocking(move || text::add_text(&bytes, &text, &style))
            .await
            .map_err(|e| Failure::new(JobFailure::Service, e.to_string()))?
            .map_err(Failure::of_input)?;
        let kept = self.keep_result(job, rendered).await?;
        self.deliver_kept(&kept, false).await
    }

    /// A job failed: its refund (if paid), its end and the message telling the user are one
    /// transaction; the outbox delivers the message. Also the sweeper's way to refund a failed job
    /// left charged.
    async fn fail(&self, job: &Job, failure: Failure) {
        tracing::warn!(job = job.id, kind = %job.kind, detail = %failure.detail, "job failed");
        let lang = parse_input(job).map(|i| i.lang).unwrap_or_default();
        let (billing, id, reason, why) = (
            self.billing.clone(),
            job.id,
            failure.detail.clone(),
            failure.why,
        );
        match blocking(move || billing.fail_job(id, &reason, why, lang)).await {
            Ok(_) => {
                if let Some(path) = &job.result_path {
                    let _ = std::fs::remove_file(path);
                }
            }
            Err(e) => {
                tracing::error!(job = job.id, error = %e, "recording the failure failed; the sweeper retries it")
            }
        }
    }

    async fn telegram_file(&self, file_id: &str) -> std::result::Result<Vec<u8>, Failure> {
        let input = |e: String| Failure::new(JobFailure::Input, e);
        let file = self
            .bot
            .get_file(FileId(file_id.to_string()))
            .await
            .map_err(|e| input(e.to_string()))?;
        if file.size as usize > render::MAX_INPUT_BYTES {
            return Err(Failure::of_input(Error::TooLarge(format!(
                "Telegram reports {} bytes",
                file.size
            ))));
        }
        let mut bytes = Vec::new();
        self.bot
            .download_file(&file.path, &mut bytes)
            .await
            .map_err(|e| input(e.to_string()))?;
        Ok(bytes)
    }

    /// The caption and buttons under a result: what was made and what it cost, then one more (at
    /// this user's price now: free while free operations or free access last) / change / next
    /// step / menu. A failed read only leaves the price off.
    async fn result_caption(&self, job: &Job, lang: Lang) -> (String, InlineKeyboardMarkup) {
        let input = parse_input(job).unwrap_or_default();
        let (store, user_id, op) = (self.store.clone(), job.telegram_id, job.operation_id);
        let (user, operation) = blocking(move || {
            let operation = match op {
                Some(op) => store.operation(op)?,
                None => None,
            };
            Ok((store.user(user_id)?, operation))
        })
        .await
        .unwrap_or_else(|e: Error| {
            tracing::warn!(job = job.id, error = %e, "reading the price for a caption failed");
            (None, None)
        });
        let mode = match job.kind {
            JobKind::Paid(m) => Some(m),
            JobKind::AddText => None,
        };
        let cost = texts::cost_line(lang, operation.map(|o| (o.paid_with, o.price)));
        // 🔁 repeats this model, at its price now.
        let model = mode.map(|m| {
            self.billing
                .model(m, input.model.as_ref().map(|c| c.label.as_str()))
        });
        let again = match (model, user) {
            (Some(m), Some(u)) => Some(texts::price_tag(
                lang,
                u.price_of(m.price),
                u.next_is_free(),
            )),
            (None, _) => Some(texts::price_tag(lang, Kopecks::ZERO, true)),
            (Some(_), None) => None,
        };
        // The caption names the model and format when the mode offers a choice of them.
        let made_with = match (mode, model) {
            (Some(m), Some(model)) if self.config.models(m).len() > 1 || input.format.is_some() => {
                Some(texts::made_with(
                    model.label(lang == Lang::En),
                    input.format.filter(|f| *f != crate::model::Format::Source),
                ))
            }
            _ => None,
        };
        let original = self.config.fal.results_keep_days > 0;
        (
            texts::result_caption(lang, mode, &input.prompt, made_with.as_deref(), &cost),
            crate::actions::result_keyboard(lang, job.id, mode, again.as_deref(), original),
        )
    }

    /// Edits the job's "accepted" message to `text`, its charge line kept under it; a failure (or
    /// a slow Telegram) never fails or holds the job.
    async fn progress(&self, job: &Job, text: &str) {
        let (mut message, mut line) = (job.progress_message_id, job.charge_line.clone());
        if message.is_none() {
            // The "accepted" message may have been saved after this job was claimed.
            let (store, id) = (self.store.clone(), job.id);
            if let Some(saved) = blocking(move || store.job(id)).await.ok().flatten() {
                (message, line) = (saved.progress_message_id, saved.charge_line);
            }
        }
        let text = match line.filter(|l| !l.is_empty()) {
            Some(line) => format!("{text}\n{line}"),
            None => text.to_string(),
        };
        if let Some(id) = message.and_then(|m| i32::try_from(m).ok()) {
            let edit = self
                .bot
                .edit_message_text(ChatId(job.chat_id), MessageId(id), text);
            let _ = tokio::time::timeout(COSMETIC_TIMEOUT, async { edit.await }).await;
        }
    }

    /// "Sending a photo…" in the chat header every CHAT_ACTION_EVERY until the guard is dropped:
    /// cosmetic, so it runs beside the job, never in its way.
    fn keep_chat_action(&self, chat_id: i64) -> AbortOnDrop {
        let bot = self.bot.clone();
        AbortOnDrop(tokio::spawn(async move {
            loop {
                let request = bot.send_chat_action(ChatId(chat_id), ChatAction::UploadPhoto);
                let _ = tokio::time::timeout(COSMETIC_TIMEOUT, async { request.await }).await;
                tokio::time::sleep(CHAT_ACTION_EVERY).await;
            }
        }))
    }

    /// A chat action for each chat whose job waits for a worker (cosmetic: in a task of its own,
    /// never in the pool's way).
    fn show_waiting(&self) {
        let (store, bot) = (self.store.clone(), self.bot.clone());
        tokio::spawn(async move {
            let chats = match blocking(move || store.waiting_chats(WAITING_ACTIONS)).await {
                Ok(chats) => chats,
                Err(e) => {
                    tracing::debug!(error = %e, "reading the waiting chats failed");
                    return;
                }
            };
            for chat in chats {
                let request = bot.send_chat_action(ChatId(chat), ChatAction::UploadPhoto);
                let _ = tokio::time::timeout(COSMETIC_TIMEOUT, async { request.await }).await;
            }
        });
    }

    async fn set_status(&self, id: i64, status: JobStatus) -> Result<()> {
        let store = self.store.clone();
        blocking(move || store.set_job_status(id, status)).await
    }
}

fn parse_input(job: &Job) -> std::result::Result<JobInput, Failure> {
    JobInput::from_json(&job.input).map_err(|e| Failure::new(JobFailure::Service, e))
}

fn lang_of(input: &JobInput) -> Lang {
    Lang::of(Some(input.lang.as_str()))
}

/// Made results wait here for Telegram: `results/` beside the database file.
pub fn results_dir(database: &Path) -> PathBuf {
    database
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("results")
}

/// Writes `bytes` to `path` durably: the file and its directory entry are synced before it counts.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let io = |e| Error::io(format!("writing {}", path.display()), e);
    let mut f = std::fs::File::create(path).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(())
}
