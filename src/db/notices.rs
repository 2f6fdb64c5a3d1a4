//! `notices`: the outbox of messages to users that the bot delivers when it runs.

use crate::error::Result;
use rusqlite::{Connection, params};

pub fn insert(
    conn: &Connection,
    telegram_id: i64,
    kind: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO notices (telegram_id, kind, payload, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![telegram_id, kind, payload.to_string(), now],
    )?;
    Ok(conn.last_insert_rowid())
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub id: i64,
    pub telegram_id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
}

/// The oldest undelivered notices.
pub fn unsent(conn: &Connection, limit: u32) -> Result<Vec<Notice>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, telegram_id, kind, payload FROM notices WHERE sent_at IS NULL ORDER BY id LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        let payload: String = r.get(3)?;
        Ok(Notice {
            id: r.get(0)?,
            telegram_id: r.get(1)?,
            kind: r.get(2)?,
            payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
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

/// Counts a failed delivery; after `max_attempts` the notice is given up (marked sent).
pub fn failed(conn: &Connection, id: i64, max_attempts: i64, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE notices SET attempts = attempts + 1,
                sent_at = CASE WHEN attempts + 1 >= ?2 THEN ?3 ELSE sent_at END
          WHERE id = ?1",
        params![id, max_attempts, now],
    )?;
    Ok(())
}
