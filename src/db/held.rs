//! `held_requests`: the one request per user that waits for their top-up, kept in the database so
//! a restart between "not enough money" and the credit does not lose it.

use super::Store;
use crate::error::Result;
use rusqlite::{OptionalExtension, params};

/// How long a held request is offered again after a top-up.
pub const HELD_FOR_SECS: i64 = 24 * 3600;

/// A request the user could not pay for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub mode: String,
    pub chat_id: i64,
    /// The job input JSON (`JobInput`).
    pub input: String,
    pub created_at: i64,
}

impl Store {
    /// Keeps `input` for `telegram_id`, replacing what was kept before.
    pub fn hold_request(
        &self,
        telegram_id: i64,
        mode: &str,
        chat_id: i64,
        input: &str,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO held_requests (telegram_id, mode, chat_id, input, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (telegram_id) DO UPDATE SET mode = excluded.mode, chat_id = excluded.chat_id,
                     input = excluded.input, created_at = excluded.created_at",
                params![telegram_id, mode, chat_id, input, crate::time::now()],
            )?;
            Ok(())
        })
    }

    /// The user's held request, if one younger than HELD_FOR_SECS exists.
    pub fn held_request(&self, telegram_id: i64) -> Result<Option<Held>> {
        let since = crate::time::now() - HELD_FOR_SECS;
        self.read(|c| {
            Ok(c.query_row(
                "SELECT mode, chat_id, input, created_at FROM held_requests
                  WHERE telegram_id = ?1 AND created_at >= ?2",
                params![telegram_id, since],
                from_row,
            )
            .optional()?)
        })
    }

    /// Takes the held request away in one transaction (it is being run: a double tap runs it once).
    pub fn take_held_request(&self, telegram_id: i64) -> Result<Option<Held>> {
        let since = crate::time::now() - HELD_FOR_SECS;
        self.write(|tx| {
            Ok(tx
                .query_row(
                    "DELETE FROM held_requests WHERE telegram_id = ?1
                     RETURNING mode, chat_id, input, created_at",
                    [telegram_id],
                    from_row,
                )
                .optional()?
                .filter(|h| h.created_at >= since))
        })
    }
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Held> {
    Ok(Held {
        mode: r.get("mode")?,
        chat_id: r.get("chat_id")?,
        input: r.get("input")?,
        created_at: r.get("created_at")?,
    })
}
