//! The worker pool: claims queued jobs from SQLite, runs up to WORKER_CONCURRENCY at once, and moves
//! each through fal.ai (or the local renderer) to delivery. Every state is recorded before anything
//! waits on the network, so a restart resumes: running jobs are queued again, submitted ones resume
//! polling, and one that may have reached fal without us learning its id is refunded, never resubmitted.

use super::fal::{self, FailureKind, Fal, Status};
use super::render;
use crate::billing::{Billing, Finish};
use crate::bot::texts::{self, JobFailure, Lang};
use crate::config::Config;
use crate::db::{self, blocking, jobs::Job};
use crate::error::{Error, Result};
use crate::model::Mode;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{ChatAction, FileId, InputFile, MessageId};
use tokio::sync::{Notify, Semaphore, watch};

/// Telegram's limit for photos; larger results go as documents only.
const PHOTO_LIMIT: usize = 10 * 1024 * 1024;
/// Inputs are downscaled to this many pixels on the longer side before going to fal.
const MAX_INPUT_SIDE: u32 = 2048;
const IDLE_TICK: Duration = Duration::from_secs(1);
/// How long a progress edit or chat action may take before the job goes on without it.
const COSMETIC_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Deserialize)]
struct Input {
    #[serde(default)]
    prompt: String,
    #[serde(default)]
    images: Vec<String>,
    #[serde(default)]
    lang: String,
}

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

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::new(JobFailure::Service, e.to_string())
    }
}

#[derive(Clone)]
pub struct Worker {
    billing: Billing,
    config: Arc<Config>,
    bot: Bot,
    fal: Option<Arc<Fal>>,
    wake: Arc<Notify>,
}

impl Worker {
    pub fn new(billing: Billing, config: Arc<Config>, bot: Bot) -> Result<Worker> {
        Ok(Worker {
            fal: Fal::from_config(&config)?.map(Arc::new),
            billing,
            config,
            bot,
            wake: Arc::new(Notify::new()),
        })
    }

    /// Wakes the pool after a job was queued.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let slots = Arc::new(Semaphore::new(self.config.worker_concurrency));
        for job in self.recover().await {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let this = self.clone();
            tokio::spawn(async move {
                this.process(job).await;
                drop(permit);
            });
        }
        loop {
            // Permits first, then claim at most that many: every claimed job has its slot.
            let free = slots.available_permits();
            if let Some(mut permits) = (free > 0)
                .then(|| slots.clone().try_acquire_many_owned(free as u32).ok())
                .flatten()
            {
                let store = self.billing.store().clone();
                match blocking(move || store.write(|tx| db::jobs::claim(tx, free, db::now()))).await
                {
                    Ok(jobs) => {
                        for job in jobs {
                            let Some(permit) = permits.split(1) else {
                                break;
                            };
                            let this = self.clone();
                            tokio::spawn(async move {
                                this.process(job).await;
                                drop(permit);
                                this.wake.notify_one();
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "claiming jobs failed"),
                }
                // Unused permits go back as `permits` drops.
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(IDLE_TICK) => {}
                _ = shutdown.changed() => break,
            }
        }
        // Jobs still in flight keep their recorded state and resume on the next start.
        let all = self.config.worker_concurrency as u32;
        if tokio::time::timeout(Duration::from_secs(10), slots.acquire_many(all))
            .await
            .is_err()
        {
            tracing::info!("jobs still in flight at shutdown resume on the next start");
        }
    }

    /// Puts what a previous process left in flight back on its feet; returns the jobs to resume.
    async fn recover(&self) -> Vec<Job> {
        let store = self.billing.store().clone();
        let jobs = match blocking(move || store.read(db::jobs::unfinished)).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "reading unfinished jobs failed");
                return Vec::new();
            }
        };
        let mut resume = Vec::new();
        for job in jobs {
            match job.status.as_str() {
                "running" => {
                    // Never got as far as the POST to fal: safe to run from the start.
                    let (store, id) = (self.billing.store().clone(), job.id);
                    if let Err(e) = blocking(move || {
                        store.write(|tx| db::jobs::set_status(tx, id, "queued", db::now()))
                    })
                    .await
                    {
                        tracing::error!(job = job.id, error = %e, "requeueing failed");
                    }
                }
                "submitting" => {
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
        let result = if job.kind == "add_text" {
            self.add_text(&job).await
        } else {
            self.paid(&job).await
        };
        if let Err(failure) = result {
            self.fail(&job, failure).await;
        }
    }

    async fn paid(&self, job: &Job) -> std::result::Result<(), Failure> {
        let mode: Mode = job
            .kind
            .parse()
            .map_err(|e: String| Failure::new(JobFailure::Service, e))?;
        let op = job
            .operation_id
            .ok_or_else(|| Failure::new(JobFailure::Service, "paid job without operation"))?;
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
        if job.status == "running" {
            self.expired(job, &fal, None).await?;
            self.chat_action(job.chat_id);
            let mut uris = Vec::with_capacity(input.images.len());
            for file_id in &input.images {
                let bytes = self.telegram_file(file_id).await?;
                let uri =
                    tokio::task::spawn_blocking(move || render::data_uri(&bytes, MAX_INPUT_SIDE))
                        .await
                        .map_err(|e| Failure::new(JobFailure::Service, e.to_string()))?
                        .map_err(|e| Failure::new(JobFailure::Input, e.to_string()))?;
                uris.push(uri);
            }
            let body = fal::input_for(mode, &input.prompt, &uris);
            self.set_status(job.id, "submitting").await?;
            let submitted = fal
                .submit(self.config.fal_model(mode), &body)
                .await
                .map_err(|e| Failure::from_fal(&e))?;
            let (store, id, s) = (self.billing.store().clone(), job.id, submitted.clone());
            blocking(move || {
                store.write(|tx| {
                    db::jobs::set_submitted(
                        tx,
                        id,
                        &s.request_id,
                        &s.status_url,
                        &s.response_url,
                        s.cancel_url.as_deref(),
                        db::now(),
                    )
                })
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
        if job.status != "delivering" {
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
        self.set_status(job.id, "delivering").await?;
        self.progress(job, texts::progress_sending(lang)).await;
        let url = output.urls.first().cloned().unwrap_or_default();
        let bytes = fal
            .download(&url)
            .await
            .map_err(|e| Failure::new(JobFailure::Service, e.to_string()))?;
        self.deliver(job, bytes, mode == Mode::Upscale).await?;
        let billing = self.billing.clone();
        let id = job.id;
        blocking(move || billing.settle_job(id, op)).await?;
        self.progress(job, texts::done(lang)).await;
        tracing::info!(job = job.id, operation = op, "delivered and settled");
        Ok(())
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
        let mut last = None;
        loop {
            self.expired(job, fal, cancel_url).await?;
            match fal.status(status_url).await {
                Ok(Status::Completed) => return Ok(()),
                Ok(s) => {
                    if last.as_ref() != Some(&s) {
                        let text = match &s {
                            Status::InQueue { position } => texts::progress_queued(lang, *position),
                            _ => texts::progress_working(lang).to_string(),
                        };
                        self.progress(job, &text).await;
                        last = Some(s);
                    }
                }
                Err(
                    e @ Error::Remote {
                        retryable: true, ..
                    },
                ) => tracing::warn!(job = job.id, error = %e, "status poll failed; retrying"),
                Err(e) => return Err(Failure::from_fal(&e)),
            }
            let left = (job.deadline_at - db::now()).max(0) as u64;
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
        if db::now() < job.deadline_at {
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
        let input = parse_input(job)?;
        let file_id = input
            .images
            .first()
            .ok_or_else(|| Failure::new(JobFailure::Input, "no photo"))?;
        let bytes = self.telegram_file(file_id).await?;
        let text = input.prompt.clone();
        let rendered = tokio::task::spawn_blocking(move || render::add_text(&bytes, &text))
            .await
            .map_err(|e| Failure::new(JobFailure::Service, e.to_string()))?
            .map_err(|e| Failure::new(JobFailure::Input, e.to_string()))?;
        self.deliver(job, rendered, false).await?;
        let (store, id) = (self.billing.store().clone(), job.id);
        blocking(move || store.write(|tx| db::jobs::finish(tx, id, "done", None, db::now())))
            .await?;
        self.progress(job, texts::done(lang_of(&input))).await;
        Ok(())
    }

    /// Sends the result: a photo (falling back to a document when Telegram refuses it as a photo),
    /// and for upscales the full-quality file too.
    async fn deliver(
        &self,
        job: &Job,
        bytes: Vec<u8>,
        also_document: bool,
    ) -> std::result::Result<(), Failure> {
        let chat = ChatId(job.chat_id);
        self.chat_action(job.chat_id);
        let name = if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
            "result.png"
        } else {
            "result.jpg"
        };
        let as_photo = bytes.len() <= PHOTO_LIMIT;
        let mut sent_photo = false;
        if as_photo {
            match self
                .bot
                .send_photo(chat, InputFile::memory(bytes.clone()).file_name(name))
                .await
            {
                Ok(_) => sent_photo = true,
                Err(teloxide::RequestError::Api(e)) => {
                    tracing::warn!(job = job.id, error = %e, "sent as a document instead")
                }
                Err(e) => {
                    return Err(Failure::new(
                        JobFailure::Service,
                        format!("sending the photo: {e}"),
                    ));
                }
            }
        }
        if !sent_photo || also_document {
            self.bot
                .send_document(chat, InputFile::memory(bytes).file_name(name))
                .await
                .map_err(|e| Failure::new(JobFailure::Service, format!("sending the file: {e}")))?;
        }
        Ok(())
    }

    /// Refunds exactly once (through billing, with the job marked failed in the same transaction)
    /// and tells the user what happened and what came back.
    async fn fail(&self, job: &Job, failure: Failure) {
        tracing::warn!(job = job.id, kind = %job.kind, detail = %failure.detail, "job failed");
        let lang = parse_input(job).map(|i| lang_of(&i)).unwrap_or(Lang::Ru);
        let (billing, id, op, reason) = (
            self.billing.clone(),
            job.id,
            job.operation_id,
            failure.detail.clone(),
        );
        let finished = blocking(move || match op {
            Some(op) => billing.refund_job(id, op, &reason).map(Some),
            None => billing
                .store()
                .write(|tx| db::jobs::finish(tx, id, "failed", Some(&reason), db::now()))
                .map(|_| None),
        })
        .await;
        let (returned, free_op) = match finished {
            Ok(Some(Finish::Done {
                returned,
                free_operation,
            })) => (Some(returned), free_operation),
            Ok(_) => (None, false),
            Err(e) => {
                tracing::error!(job = job.id, error = %e, "recording the failure failed; it is retried at the next start");
                return;
            }
        };
        let text = texts::job_failed(lang, failure.why, returned, free_op);
        self.progress(job, &text).await;
        if job.progress_message_id.is_none() {
            let _ = self.bot.send_message(ChatId(job.chat_id), text).await;
        }
    }

    async fn telegram_file(&self, file_id: &str) -> std::result::Result<Vec<u8>, Failure> {
        let input = |e: String| Failure::new(JobFailure::Input, e);
        let file = self
            .bot
            .get_file(FileId(file_id.to_string()))
            .await
            .map_err(|e| input(e.to_string()))?;
        let mut bytes = Vec::new();
        self.bot
            .download_file(&file.path, &mut bytes)
            .await
            .map_err(|e| input(e.to_string()))?;
        Ok(bytes)
    }

    /// Edits the job's "accepted" message; a failure (or a slow Telegram) never fails or holds the job.
    async fn progress(&self, job: &Job, text: &str) {
        if let Some(id) = job.progress_message_id.and_then(|m| i32::try_from(m).ok()) {
            let edit = self
                .bot
                .edit_message_text(ChatId(job.chat_id), MessageId(id), text);
            let _ = tokio::time::timeout(COSMETIC_TIMEOUT, async { edit.await }).await;
        }
    }

    /// "Sending a photo…" in the chat header: cosmetic, so it runs beside the job, never in its way.
    fn chat_action(&self, chat_id: i64) {
        let request = self
            .bot
            .send_chat_action(ChatId(chat_id), ChatAction::UploadPhoto);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(COSMETIC_TIMEOUT, async { request.await }).await;
        });
    }

    async fn set_status(&self, id: i64, status: &'static str) -> Result<()> {
        let store = self.billing.store().clone();
        blocking(move || store.write(|tx| db::jobs::set_status(tx, id, status, db::now()))).await
    }
}

fn parse_input(job: &Job) -> std::result::Result<Input, Failure> {
    serde_json::from_str(&job.input)
        .map_err(|e| Failure::new(JobFailure::Service, format!("bad job input: {e}")))
}

fn lang_of(input: &Input) -> Lang {
    Lang::of(Some(input.lang.as_str()))
}
