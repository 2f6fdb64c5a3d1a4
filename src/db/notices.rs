//! `notices`: the outbox of messages to users that the bot delivers when it runs.

use super::Store;
use crate::error::Result;
use crate::model::Notice;
use crate::time::now;
use rusqlite::{Connection, params};

impl Store {
    pub fn due_notices(&self, limit: u32) -> Result<Vec<Queued>> {
        self.read(|c| due(c, now(), limit))
    }

    pub fn notice_sent(&self, id: i64) -> Result<()> {
        self.write(|tx| mark_sent(tx, id, now()))
    }

    pub fn retry_notice_at(&self, id: i64, at: i64) -> Result<()> {
        self.write(|tx| retry_at(tx, id, at))
    }

    pub fn give_up_notice(&self, id: i64) -> Result<()> {
        self.write(|tx| give_up(tx, id, now()))
    }
}

/// Queues `notice` for `telegram_id`, inside the caller's transaction.
pub fn insert(conn: &Connection, telegram_id: i64, notice: &Notice, now: i64) -> Result<i64> {
    conn.execute(
        "INSERT INTO notices (telegram_id, kind, payload, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![
            telegram_id,
            notice.kind(),
            notice.payload().to_string(),
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// A notice waiting in the outbox. `notice` is the error when the stored row cannot be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    pub id: i64,
    pub telegram_id: i64,
    pub notice: std::result::Result<Notice, String>,
    pub created_at: i64,
    pub attempts: i64,
}

/// The oldest undelivered notices whose next attempt is due.
pub fn due(conn: &Connection, now: i64, limit: u32) -> Result<Vec<Queued>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, telegram_id, kind, payload, created_at, attempts FROM notices
          WHERE sent_at IS NULL AND gave_up_at IS NULL AND next_attempt_at <= ?1
          ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![now, limit], |r| {
        let (kind, payload): (String, String) = (r.get("kind")?, r.get("payload")?);
        Ok(Queued {
            id: r.get("id")?,
            telegram_id: r.get("telegram_id")?,
            notice: Notice::from_stored(&kind, &payload),
            created_at: r.get("created_at")?,
            attempts: r.get("attempts")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn mark_sent(conn: &Connection, id: i64, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE notices SET sent_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}

/// Counts a failed delivery and schedules the next one at `next_at`.
pub fn retry_at(conn: &Connection, id: i64, next_at: i64) -> Result<()> {
    conn.execute(
        "UPDATE notices SET attempts = attempts + 1, next_attempt_at = ?2 WHERE id = ?1",
        params![id, next_at],
    )?;
    Ok(())
}

/// The notice can never be delivered (the chat is gone, or the delivery deadline passed).
pub fn give_up(conn: &Connection, id: i64, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE notices SET attempts = attempts + 1, gave_up_at = ?2 WHERE id = ?1",
        params![id, now],
    )?;
    Ok(())
}
