//! `jobs`: the durable queue of image work. Billing inserts a paid job in the same transaction as its
//! operation and charge; the worker pool claims and advances jobs.

use super::Store;
use crate::error::Result;
use crate::model::{Format, JobKind, JobStatus};
use crate::money::Kopecks;
use crate::time::now;
use rusqlite::{Connection, OptionalExtension, Row, params};

/// The job operations the edges name; each is one transaction (paid jobs are queued by billing).
impl Store {
    /// Where a queued job stands: the queued jobs before it, and the jobs a worker holds now.
    pub fn queue_place(&self, job_id: i64) -> Result<QueuePlace> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM jobs WHERE status = 'queued' AND id < ?1) AS ahead,
                        (SELECT count(*) FROM jobs
                          WHERE status IN ('running', 'submitting', 'submitted', 'delivering')) AS busy",
                [job_id],
                |r| {
                    Ok(QueuePlace {
                        ahead: r.get("ahead")?,
                        busy: r.get("busy")?,
                    })
                },
            )?)
        })
    }

    /// The chats of jobs waiting for a worker (at most `limit`), to show them a chat action.
    pub fn waiting_chats(&self, limit: u32) -> Result<Vec<i64>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT chat_id FROM jobs WHERE status = 'queued' ORDER BY chat_id LIMIT ?1",
            )?;
            let rows = stmt.query_map([limit], |r| r.get("chat_id"))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// Queues a free "add text" job: drawn locally, no operation, no billing.
    pub fn queue_add_text(&self, telegram_id: i64, job: &NewJob) -> Result<i64> {
        self.write(|tx| insert(tx, None, telegram_id, JobKind::AddText, job, None, now()))
    }

    pub fn job(&self, id: i64) -> Result<Option<Job>> {
        self.read(|c| get(c, id))
    }

    /// Claims up to `limit` queued jobs (each moves to `running`, its attempts counted).
    pub fn claim_jobs(&self, limit: usize) -> Result<Vec<Job>> {
        self.write(|tx| claim(tx, limit, now()))
    }

    pub fn unfinished_jobs(&self) -> Result<Vec<Job>> {
        self.read(unfinished)
    }

    pub fn jobs_ended_but_charged(&self, limit: u32) -> Result<Vec<Unfinished>> {
        self.read(|c| ended_but_charged(c, limit))
    }

    /// Moves a job between in-flight states; an ended job stays ended.
    pub fn set_job_status(&self, id: i64, status: JobStatus) -> Result<()> {
        self.write(|tx| set_status(tx, id, status, now()))
    }

    /// Saves fal's request id and URLs before anything waits on them.
    pub fn record_submission(&self, id: i64, s: &Submission<'_>) -> Result<()> {
        self.write(|tx| set_submitted(tx, id, s, now()))
    }

    /// The result is on disk: the job moves to `delivering`; returns the job as it now is.
    /// `kept_until` is when the file may go once delivered (the sweeper removes it then).
    pub fn keep_result(
        &self,
        id: i64,
        path: &str,
        delivery_deadline_at: i64,
        kept_until: i64,
    ) -> Result<Option<Job>> {
        self.write(|tx| {
            set_result(tx, id, path, delivery_deadline_at, now())?;
            tx.execute(
                "UPDATE jobs SET kept_until = ?2 WHERE id = ?1",
                params![id, kept_until],
            )?;
            get(tx, id)
        })
    }

    /// Ended jobs whose kept result may go now: (job id, file path), oldest first.
    pub fn results_to_remove(&self, now: i64, limit: u32) -> Result<Vec<(i64, String)>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT id, result_path FROM jobs
                  WHERE kept_until IS NOT NULL AND kept_until <= ?1 AND result_path IS NOT NULL
                    AND status IN ('done', 'failed')
                  ORDER BY kept_until LIMIT ?2",
            )?;
            let rows = st.query_map(params![now, limit], |r| {
                Ok((r.get("id")?, r.get("result_path")?))
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The kept file of a job is gone (removed, or never to be offered again).
    pub fn forget_result(&self, id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE jobs SET result_path = NULL, kept_until = NULL WHERE id = ?1",
                [id],
            )?;
            Ok(())
        })
    }

    /// Telegram took `parts` of the result (the first message's id and the photo's file id, once).
    pub fn record_delivery(
        &self,
        id: i64,
        parts: i64,
        message_id: Option<i64>,
        file_id: Option<&str>,
    ) -> Result<()> {
        self.write(|tx| set_delivered(tx, id, parts, message_id, file_id, now()))
    }

    /// Ends a free job as delivered (paid jobs end with their settle, in billing).
    pub fn finish_free_job(&self, id: i64) -> Result<()> {
        self.write(|tx| finish(tx, id, JobStatus::Done, None, now()).map(|_| ()))
    }

    /// Remembers the "accepted" message, which the worker edits as the job moves, and the message
    /// that asked for the job, which its result replies to.
    pub fn save_accepted_message(
        &self,
        job_id: i64,
        message_id: i64,
        request_message_id: Option<i64>,
        charge_line: &str,
    ) -> Result<()> {
        self.write(|tx| {
            set_progress_message(tx, job_id, message_id)?;
            tx.execute(
                "UPDATE jobs SET request_message_id = ?2, charge_line = ?3 WHERE id = ?1",
                params![job_id, request_message_id, charge_line],
            )?;
            Ok(())
        })
    }

    /// This user's last jobs, newest first: what, how it ended, when, with which model.
    pub fn recent_jobs(&self, telegram_id: i64, limit: u32) -> Result<Vec<Recent>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT kind, status, created_at, model_label FROM jobs WHERE telegram_id = ?1
                  ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = st.query_map(params![telegram_id, limit], |r| {
                Ok(Recent {
                    kind: r.get("kind")?,
                    status: r.get("status")?,
                    created_at: r.get("created_at")?,
                    model: r.get("model_label")?,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The message a job's result replies to, if it was recorded.
    pub fn request_message(&self, job_id: i64) -> Result<Option<i64>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT request_message_id FROM jobs WHERE id = ?1",
                [job_id],
                super::only,
            )
            .optional()?
            .flatten())
        })
    }
}

/// A job as a user's recent history tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recent {
    pub kind: JobKind,
    pub status: JobStatus,
    pub created_at: i64,
    pub model: Option<String>,
}

/// What a new job needs beyond its operation: where to answer and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub chat_id: i64,
    /// JSON with the mode's inputs (prompt, Telegram file ids).
    pub input: String,
    /// Unix time after which the job fails and is refunded.
    pub deadline_at: i64,
    /// The Telegram update that asked for it: the same update run again after a crash finds this
    /// job instead of queuing (and charging) another.
    pub update_id: Option<i64>,
    /// The catalogue's key of the model it asks for (None: the mode's first; add text has none).
    pub model: Option<String>,
    pub format: Option<Format>,
}

/// The model a paid job is charged for, as billing priced it.
#[derive(Debug, Clone, Copy)]
pub struct Priced<'a> {
    pub endpoint: &'a str,
    pub label: &'a str,
    /// What fal charges us for it, at FAL_USD_RUB.
    pub cost: Kopecks,
}

/// Where a queued job stands (`Store::queue_place`).
#[derive(Debug, Clone, Copy)]
pub struct QueuePlace {
    /// Queued jobs older than this one.
    pub ahead: i64,
    /// Jobs a worker holds now.
    pub busy: i64,
}

impl QueuePlace {
    /// How many jobs must make way before this one starts, with `slots` workers; 0 when it starts
    /// at once.
    pub fn before(&self, slots: usize) -> i64 {
        let slots = i64::try_from(slots).unwrap_or(i64::MAX);
        (self.ahead + self.busy - slots + 1).max(0)
    }
}

/// A job as the worker sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub operation_id: Option<i64>,
    pub telegram_id: i64,
    pub chat_id: i64,
    pub kind: JobKind,
    pub input: String,
    pub status: JobStatus,
    pub fal_request_id: Option<String>,
    pub status_url: Option<String>,
    pub response_url: Option<String>,
    pub cancel_url: Option<String>,
    pub progress_message_id: Option<i64>,
    pub deadline_at: i64,
    /// How many times a worker claimed it: a job found `running` at start this often is poison.
    pub attempts: i64,
    /// The made result, kept beside the database until Telegram has it.
    pub result_path: Option<String>,
    /// 0 nothing, 1 the picture, 2 the picture and the full-quality file (upscale) delivered.
    pub delivered_parts: i64,
    pub delivery_deadline_at: Option<i64>,
    /// The delivered result photo's Telegram file id, for the buttons under it.
    pub result_file_id: Option<String>,
    /// How it was paid, as the status message says it; kept through the progress edits.
    pub charge_line: Option<String>,
    /// A delivered result's file stays until then (📎 the original file).
    pub kept_until: Option<i64>,
    /// The message that carried the result.
    pub result_message_id: Option<i64>,
}

const COLUMNS: &str =
    "id, operation_id, telegram_id, chat_id, kind, input, status, fal_request_id, status_url,
    response_url, cancel_url, progress_message_id, deadline_at, attempts, result_path, delivered_parts,
    delivery_deadline_at, result_file_id, charge_line, kept_until, result_message_id";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Job> {
    Ok(Job {
        id: r.get("id")?,
        operation_id: r.get("operation_id")?,
        telegram_id: r.get("telegram_id")?,
        chat_id: r.get("chat_id")?,
        kind: r.get("kind")?,
        input: r.get("input")?,
        status: r.get("status")?,
        fal_request_id: r.get("fal_request_id")?,
        status_url: r.get("status_url")?,
        response_url: r.get("response_url")?,
        cancel_url: r.get("cancel_url")?,
        progress_message_id: r.get("progress_message_id")?,
        deadline_at: r.get("deadline_at")?,
        attempts: r.get("attempts")?,
        result_path: r.get("result_path")?,
        delivered_parts: r.get("delivered_parts")?,
        delivery_deadline_at: r.get("delivery_deadline_at")?,
        result_file_id: r.get("result_file_id")?,
        charge_line: r.get("charge_line")?,
        kept_until: r.get("kept_until")?,
        result_message_id: r.get("result_message_id")?,
    })
}

/// Queues a job. `kind` is a paid mode's name or `add_text`; `operation_id` is None only for add_text.
pub fn insert(
    conn: &Connection,
    operation_id: Option<i64>,
    telegram_id: i64,
    kind: JobKind,
    job: &NewJob,
    priced: Option<Priced<'_>>,
    now: i64,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO jobs (operation_id, telegram_id, chat_id, kind, input, status, deadline_at, next_run_at,
                           created_at, updated_at, update_id, model, model_label, format, cost)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?7, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            operation_id,
            telegram_id,
            job.chat_id,
            kind,
            job.input,
            job.deadline_at,
            now,
            job.update_id,
            priced.map(|p| p.endpoint),
            priced.map(|p| p.label),
            job.format,
            priced.map_or(0, |p| p.cost.0)
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// The job an update already queued, if any.
pub fn by_update(conn: &Connection, telegram_id: i64, update_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT id FROM jobs WHERE telegram_id = ?1 AND update_id = ?2",
            params![telegram_id, update_id],
            super::only,
        )
        .optional()?)
}

/// Remembers the "accepted" message, which the worker edits as the job moves.
pub fn set_progress_message(conn: &Connection, job_id: i64, message_id: i64) -> Result<()> {
    conn.execute(
        "UPDATE jobs SET progress_message_id = ?2 WHERE id = ?1",
        params![job_id, message_id],
    )?;
    Ok(())
}

/// Claims up to `limit` queued jobs for this worker pool: each moves to `running` in this one
/// transaction, so no job is claimed twice.
pub fn claim(conn: &Connection, limit: usize, now: i64) -> Result<Vec<Job>> {
    let mut stmt = conn.prepare_cached(&format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = ?2
          WHERE id IN (SELECT id FROM jobs WHERE status = 'queued' AND next_run_at <= ?2 ORDER BY id LIMIT ?1)
         RETURNING {COLUMNS}"
    ))?;
    let rows = stmt.query_map(params![limit as i64, now], from_row)?;
    let mut jobs: Vec<Job> = rows.collect::<rusqlite::Result<_>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Jobs a previous process left in flight, for recovery at start.
pub fn unfinished(conn: &Connection) -> Result<Vec<Job>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM jobs WHERE status IN ('running', 'submitting', 'submitted', 'delivering') ORDER BY id"
    ))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Moves a job between in-flight states (`queued`, `running`, `submitting`, `submitted`, `delivering`).
pub fn set_status(conn: &Connection, id: i64, status: JobStatus, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE jobs SET status = ?2, updated_at = ?3 WHERE id = ?1 AND status NOT IN ('done', 'failed')",
        params![id, status, now],
    )?;
    Ok(())
}

/// fal's answer to a submit, as the job keeps it.
pub struct Submission<'a> {
    pub request_id: &'a str,
    pub status_url: &'a str,
    pub response_url: &'a str,
    pub cancel_url: Option<&'a str>,
}

/// Stores fal's request id and URLs before anything waits on them.
pub fn set_submitted(conn: &Connection, id: i64, s: &Submission<'_>, now: i64) -> Result<()> {
    let (request_id, status_url, response_url, cancel_url) =
        (s.request_id, s.status_url, s.response_url, s.cancel_url);
    conn.execute(
        "UPDATE jobs SET status = 'submitted', fal_request_id = ?2, status_url = ?3, response_url = ?4,
                cancel_url = ?5, updated_at = ?6
          WHERE id = ?1 AND status = 'submitting'",
        params![id, request_id, status_url, response_url, cancel_url, now],
    )?;
    Ok(())
}

/// Ends a job as `done` or `failed` (with the reason); false if it had already ended.
pub fn finish(
    conn: &Connection,
    id: i64,
    status: JobStatus,
    error: Option<&str>,
    now: i64,
) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE jobs SET status = ?2, error = ?3, updated_at = ?4 WHERE id = ?1 AND status NOT IN ('done', 'failed')",
        params![id, status, error, now],
    )? == 1)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Job>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?)
}

/// The result is on disk: the job moves to `delivering` with its file and delivery deadline.
pub fn set_result(
    conn: &Connection,
    id: i64,
    path: &str,
    delivery_deadline_at: i64,
    now: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE jobs SET status = 'delivering', result_path = ?2, delivery_deadline_at = ?3, updated_at = ?4
          WHERE id = ?1 AND status NOT IN ('done', 'failed')",
        params![id, path, delivery_deadline_at, now],
    )?;
    Ok(())
}

/// Telegram took part of the result: recorded right after the send, so it is never sent again.
pub fn set_delivered(
    conn: &Connection,
    id: i64,
    parts: i64,
    message_id: Option<i64>,
    file_id: Option<&str>,
    now: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE jobs SET delivered_parts = max(delivered_parts, ?2),
                result_message_id = coalesce(result_message_id, ?3),
                result_file_id = coalesce(result_file_id, ?5), updated_at = ?4
          WHERE id = ?1",
        params![id, parts, message_id, now, file_id],
    )?;
    Ok(())
}

/// A paid job that ended while its operation stayed `charged`: a refund or settle write that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfinished {
    pub job_id: i64,
    pub operation_id: i64,
    pub telegram_id: i64,
    pub job_status: JobStatus,
    pub error: Option<String>,
}

/// Paid jobs that are `done` or `failed` while their operation is still `charged`.
pub fn ended_but_charged(conn: &Connection, limit: u32) -> Result<Vec<Unfinished>> {
    let mut stmt = conn.prepare_cached(
        "SELECT j.id AS job_id, j.operation_id, j.telegram_id, j.status AS job_status, j.error
           FROM operations o JOIN jobs j ON j.operation_id = o.id
          WHERE o.status = 'charged' AND j.status IN ('done', 'failed')
          ORDER BY o.id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(Unfinished {
            job_id: r.get("job_id")?,
            operation_id: r.get("operation_id")?,
            telegram_id: r.get("telegram_id")?,
            job_status: r.get("job_status")?,
            error: r.get("error")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
