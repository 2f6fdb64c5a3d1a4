//! `payment_notifications`: the inbox of YooKassa notifications, written before the listener answers
//! 200 and processed afterwards, so a crash in between loses nothing.

use super::Store;
use crate::error::Result;
use crate::model::CheckOutcome;
use crate::time::now;
use rusqlite::{Connection, params};

/// A notification as the listener hands it over: YooKassa's id, the event, the raw body.
pub struct Incoming<'a> {
    pub yookassa_id: &'a str,
    pub event: &'a str,
    pub body: &'a str,
}

/// A processing pass's verdict on one payment's notifications, up to `up_to`.
pub struct Processed {
    pub yookassa_id: String,
    pub up_to: i64,
    pub outcome: CheckOutcome,
}

impl Store {
    /// Records notifications that arrived together in one transaction (group commit).
    pub fn record_notifications(&self, batch: &[Incoming<'_>]) -> Result<()> {
        self.write(|tx| {
            let now = now();
            for n in batch {
                insert(tx, n.yookassa_id, n.event, n.body, now)?;
            }
            Ok(())
        })
    }

    /// Marks a whole processing pass in one transaction.
    pub fn mark_notifications(&self, pass: &[Processed]) -> Result<()> {
        self.write(|tx| {
            let now = now();
            for p in pass {
                mark_processed(tx, &p.yookassa_id, p.up_to, p.outcome, now)?;
            }
            Ok(())
        })
    }

    pub fn pending_notification_ids(&self, limit: u32) -> Result<Vec<String>> {
        self.read(|c| pending_ids(c, limit))
    }

    pub fn latest_notification_id(&self, yookassa_id: &str) -> Result<i64> {
        self.read(|c| latest_id(c, yookassa_id))
    }
}

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

/// Up to `limit` YooKassa ids with unprocessed notifications, oldest first, each once however many
/// duplicates came. Read along the pending index in arrival order (a GROUP BY would sort the
/// whole backlog on every pass).
pub fn pending_ids(conn: &Connection, limit: u32) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT yookassa_id FROM payment_notifications WHERE processed_at IS NULL ORDER BY id LIMIT ?1",
    )?;
    let mut ids: Vec<String> = Vec::new();
    let rows = stmt.query_map([limit.saturating_mul(8)], super::only::<String>)?;
    for id in rows {
        let id = id?;
        if !ids.contains(&id) {
            ids.push(id);
            if ids.len() == limit as usize {
                break;
            }
        }
    }
    Ok(ids)
}

/// Marks every unprocessed notification about `yookassa_id` received up to `up_to_id` as processed.
pub fn mark_processed(
    conn: &Connection,
    yookassa_id: &str,
    up_to_id: i64,
    outcome: CheckOutcome,
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
        super::only,
    )?)
}
