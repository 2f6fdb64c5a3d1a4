//! `updates`: the inbox of Telegram updates, recorded before Telegram is told we have them.

use super::Store;
use crate::error::Result;
use crate::time::now;
use rusqlite::{Connection, params};

/// A restart that finds an update unfinished this many times sets it aside: it took the process
/// down each time it ran (a poison update), and the bot must not crash-loop on it.
pub const MAX_STARTS: i64 = 3;

/// Handled updates are kept this long (for `payment show`-style forensics), then pruned.
const KEEP_SECS: i64 = 86_400;

/// A recorded update: its id and its JSON as Telegram sent it.
pub type Recorded = (i64, String);

impl Store {
    /// Records a getUpdates batch in one transaction: `(update_id, JSON)` pairs. Returns the ones
    /// not seen before (a batch Telegram sends again after a crash is recorded once).
    pub fn record_updates(&self, batch: &[Recorded]) -> Result<Vec<Recorded>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO updates (update_id, body, received_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (update_id) DO NOTHING",
            )?;
            let at = now();
            let mut fresh = Vec::with_capacity(batch.len());
            for (id, body) in batch {
                if stmt.execute(params![id, body, at])? == 1 {
                    fresh.push((*id, body.clone()));
                }
            }
            Ok(fresh)
        })
    }

    /// Marks an update finished: its handler returned (answered, refused, or failed and said so).
    pub fn update_handled(&self, update_id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE updates SET handled_at = ?2 WHERE update_id = ?1 AND handled_at IS NULL",
                params![update_id, now()],
            )?;
            Ok(())
        })
    }

    /// At start: the updates a crash interrupted, oldest first, each counted as started once more;
    /// those started `MAX_STARTS` times are set aside (marked handled) and returned apart.
    pub fn unfinished_updates(&self) -> Result<(Vec<Recorded>, Vec<i64>)> {
        self.write(|tx| {
            tx.execute(
                "UPDATE updates SET starts = starts + 1 WHERE handled_at IS NULL",
                [],
            )?;
            let poison = ids(
                tx,
                "SELECT update_id FROM updates WHERE handled_at IS NULL AND starts > ?1",
                MAX_STARTS,
            )?;
            tx.execute(
                "UPDATE updates SET handled_at = ?2 WHERE handled_at IS NULL AND starts > ?1",
                params![MAX_STARTS, now()],
            )?;
            let mut stmt = tx.prepare(
                "SELECT update_id, body FROM updates WHERE handled_at IS NULL ORDER BY update_id",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get("update_id")?, r.get("body")?)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((rows, poison))
        })
    }

    /// Drops handled updates older than a day. Update ids are not kept as an offset across restarts:
    /// after a week without updates Telegram may start its ids anywhere, so the inbox only dedupes.
    pub fn prune_updates(&self) -> Result<usize> {
        self.write(|tx| {
            Ok(tx.execute(
                "DELETE FROM updates WHERE handled_at IS NOT NULL AND handled_at < ?1",
                [now() - KEEP_SECS],
            )?)
        })
    }

    /// Updates recorded but not finished (for `check` and the benchmark).
    pub fn pending_updates(&self) -> Result<i64> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM updates WHERE handled_at IS NULL",
                [],
                super::only,
            )?)
        })
    }
}

impl Store {
    /// A background follower's checkpoint (`checkpoints`), None before its first pass.
    pub fn checkpoint(&self, name: &str) -> Result<Option<i64>> {
        use rusqlite::OptionalExtension;
        self.read(|c| {
            Ok(c.query_row(
                "SELECT value FROM checkpoints WHERE name = ?1",
                [name],
                super::only,
            )
            .optional()?)
        })
    }

    pub fn set_checkpoint(&self, name: &str, value: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO checkpoints (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )?;
            Ok(())
        })
    }
}

fn ids(c: &Connection, sql: &str, arg: i64) -> Result<Vec<i64>> {
    let mut stmt = c.prepare(sql)?;
    let rows = stmt
        .query_map([arg], super::only)?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(rows)
}
