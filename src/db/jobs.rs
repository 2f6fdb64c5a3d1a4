//! `jobs`: the durable queue of image work. Billing inserts a paid job in the same transaction as its
//! operation and charge; the worker pool claims and advances jobs.

use crate::error::Result;
use rusqlite::{Connection, params};

/// What a new job needs beyond its operation: where to answer and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub chat_id: i64,
    /// JSON with the mode's inputs (prompt, Telegram file ids).
    pub input: String,
    /// Unix time after which the job fails and is refunded.
    pub deadline_at: i64,
}

/// Queues a job. `kind` is a paid mode's name or `add_text`; `operation_id` is None only for add_text.
pub fn insert(
    conn: &Connection,
    operation_id: Option<i64>,
    telegram_id: i64,
    kind: &str,
    job: &NewJob,
    now: i64,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO jobs (operation_id, telegram_id, chat_id, kind, input, status, deadline_at, next_run_at,
                           created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7, ?7, ?7)",
        params![operation_id, telegram_id, job.chat_id, kind, job.input, job.deadline_at, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Remembers the "accepted" message, which the worker edits as the job moves.
pub fn set_progress_message(conn: &Connection, job_id: i64, message_id: i64) -> Result<()> {
    conn.execute(
        "UPDATE jobs SET progress_message_id = ?2 WHERE id = ?1",
        params![job_id, message_id],
    )?;
    Ok(())
}
