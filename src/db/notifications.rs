//! `payment_notifications`: the inbox of YooKassa notifications, written before the listener answers
//! 200 and processed afterwards, so a crash in between loses nothing.

use crate::error::Result;
use rusqlite::{Connection, params};

pub fn insert(
    conn: &Connection,
    yookassa_id: &str,
    event: &str,
    body: &str,
    now: i64,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO payment_notifications (yookassa_id, event, body, received_at) VALUES (?1, ?2, ?3, ?4)",
        params![yookassa_id, event, body, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// YooKassa ids with unprocessed notifications, oldest first, each once however many duplicates came.
pub fn pending_ids(conn: &Connection, limit: u32) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT yookassa_id FROM payment_notifications WHERE processed_at IS NULL
          GROUP BY yookassa_id ORDER BY min(id) LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks every unprocessed notification about `yookassa_id` received up to `up_to_id` as processed.
pub fn mark_processed(
    conn: &Connection,
    yookassa_id: &str,
    up_to_id: i64,
    outcome: &str,
    now: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE payment_notifications SET processed_at = ?3, outcome = ?4
          WHERE yookassa_id = ?1 AND id <= ?2 AND processed_at IS NULL",
        params![yookassa_id, up_to_id, now, outcome],
    )?;
    Ok(())
}

/// The newest notification id about `yookassa_id` (what a processing pass covers).
pub fn latest_id(conn: &Connection, yookassa_id: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT coalesce(max(id), 0) FROM payment_notifications WHERE yookassa_id = ?1",
        [yookassa_id],
        |r| r.get(0),
    )?)
}
