//! `broadcasts` and `broadcast_recipients`: one message to many users, worked through by the
//! running bot a recipient at a time. Each send is bracketed by two transactions (`sending` before,
//! the outcome after); a `sending` row found at start is `unknown` and never retried, so a crash
//! can cost a recipient the message but never gives it twice.

use super::Store;
use crate::error::Result;
use crate::time::now;
use rusqlite::{Connection, OptionalExtension, params};

/// Who gets a broadcast: users who have written to the bot (a bot cannot start a chat) and have not
/// blocked it; with `only_paying`, those with a credited top-up.
const RECIPIENTS: &str = "SELECT u.telegram_id FROM users u
     WHERE u.blocked_at IS NULL AND u.first_update_at IS NOT NULL
       AND (?1 = 0 OR EXISTS (SELECT 1 FROM ledger l WHERE l.telegram_id = u.telegram_id AND l.kind = 'topup'))";

/// One send to make.
#[derive(Debug, Clone)]
pub struct Send {
    pub broadcast_id: i64,
    pub telegram_id: i64,
    pub text: String,
    pub entities: Option<String>,
    pub attempts: i64,
    /// The recipient's language, for the button under the message.
    pub language_code: Option<String>,
}

/// A broadcast that has just ended: where its admin is told, and its final figures.
#[derive(Debug, Clone, Copy)]
pub struct Finished {
    pub id: i64,
    pub admin_chat: Option<i64>,
    pub progress_message_id: Option<i64>,
    pub progress: Progress,
}

/// Where a broadcast stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub sent: i64,
    /// Failed, blocked the bot, or lost to a crash mid-send (`unknown`).
    pub not_delivered: i64,
    pub left: i64,
}

/// What one broadcast send came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    Sent,
    /// Refused, or failing after every attempt: counted as failed.
    Failed,
    /// The user blocked the bot: marked, and skipped by later broadcasts.
    Blocked,
    /// Back in the queue, due at this unix time.
    RetryAt(i64),
}

impl Store {
    /// How many users a broadcast would reach now (`except`: the admin who previewed it, who has
    /// seen it already).
    pub fn broadcast_audience(&self, only_paying: bool, except: Option<i64>) -> Result<i64> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT count(*) FROM ({RECIPIENTS}) WHERE telegram_id IS NOT ?2"),
                params![i64::from(only_paying), except],
                super::only,
            )?)
        })
    }

    /// Records a broadcast and its recipients in one transaction; returns its id and their number.
    /// The admin who started it from the chat (`admin_chat`) saw its preview and is not sent it.
    pub fn create_broadcast(
        &self,
        text: &str,
        entities: Option<&str>,
        only_paying: bool,
        admin_chat: Option<i64>,
    ) -> Result<(i64, i64)> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO broadcasts (text, entities, only_paying, admin_chat, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![text, entities, only_paying, admin_chat, now()],
            )?;
            let id = tx.last_insert_rowid();
            let n = tx.execute(
                &format!(
                    "INSERT INTO broadcast_recipients (broadcast_id, telegram_id)
                     SELECT ?2, telegram_id FROM ({RECIPIENTS}) WHERE telegram_id IS NOT ?3"
                ),
                params![i64::from(only_paying), id, admin_chat],
            )?;
            Ok((id, n as i64))
        })
    }

    /// At start: sends a crash interrupted are `unknown` (never retried: they may have arrived).
    pub fn recover_broadcasts(&self) -> Result<usize> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE broadcast_recipients SET status = 'unknown' WHERE status = 'sending'",
                [],
            )?)
        })
    }

    /// The next due recipient, marked `sending` in this transaction.
    pub fn claim_broadcast_send(&self) -> Result<Option<Send>> {
        self.write(|tx| {
            let next = tx
                .query_row(
                    "SELECT r.broadcast_id, r.telegram_id, b.text, b.entities, r.attempts,
                            u.language_code
                       FROM broadcast_recipients r JOIN broadcasts b ON b.id = r.broadcast_id
                       LEFT JOIN users u ON u.telegram_id = r.telegram_id
                      WHERE r.status = 'pending' AND r.next_at <= ?1
                      ORDER BY r.next_at, r.broadcast_id, r.telegram_id LIMIT 1",
                    [now()],
                    |r| {
                        Ok(Send {
                            broadcast_id: r.get("broadcast_id")?,
                            telegram_id: r.get("telegram_id")?,
                            text: r.get("text")?,
                            entities: r.get("entities")?,
                            attempts: r.get("attempts")?,
                            language_code: r.get("language_code")?,
                        })
                    },
                )
                .optional()?;
            if let Some(s) = &next {
                tx.execute(
                    "UPDATE broadcast_recipients SET status = 'sending', attempts = attempts + 1
                      WHERE broadcast_id = ?1 AND telegram_id = ?2",
                    params![s.broadcast_id, s.telegram_id],
                )?;
            }
            Ok(next)
        })
    }

    /// Records the outcome of one send.
    pub fn finish_broadcast_send(&self, s: &Send, outcome: SendOutcome) -> Result<()> {
        self.write(|tx| {
            let (status, retry_at) = match outcome {
                SendOutcome::Sent => ("sent", None),
                SendOutcome::Failed => ("failed", None),
                SendOutcome::Blocked => ("blocked", None),
                SendOutcome::RetryAt(at) => ("pending", Some(at)),
            };
            tx.execute(
                "UPDATE broadcast_recipients SET status = ?3, next_at = coalesce(?4, next_at)
                  WHERE broadcast_id = ?1 AND telegram_id = ?2",
                params![s.broadcast_id, s.telegram_id, status, retry_at],
            )?;
            if outcome == SendOutcome::Blocked {
                tx.execute(
                    "UPDATE users SET blocked_at = ?2 WHERE telegram_id = ?1",
                    params![s.telegram_id, now()],
                )?;
            }
            Ok(())
        })
    }

    pub fn broadcast_progress(&self, id: i64) -> Result<Progress> {
        self.read(|c| progress(c, id))
    }

    /// Broadcasts with nobody left to send to and no summary yet: marked finished; each returned
    /// with its admin chat, progress message and final figures.
    pub fn finish_broadcasts(&self) -> Result<Vec<Finished>> {
        self.write(|tx| {
            let mut stmt = tx.prepare(
                "SELECT id, admin_chat, progress_message_id FROM broadcasts b WHERE finished_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM broadcast_recipients r WHERE r.broadcast_id = b.id
                                    AND r.status IN ('pending', 'sending'))",
            )?;
            let done: Vec<(i64, Option<i64>, Option<i64>)> = stmt
                .query_map([], |r| {
                Ok((
                    r.get("id")?,
                    r.get("admin_chat")?,
                    r.get("progress_message_id")?,
                ))
            })?
                .collect::<rusqlite::Result<_>>()?;
            drop(stmt);
            let mut out = Vec::new();
            for (id, chat, message) in done {
                tx.execute("UPDATE broadcasts SET finished_at = ?2 WHERE id = ?1", params![id, now()])?;
                out.push(Finished {
                    id,
                    admin_chat: chat,
                    progress_message_id: message,
                    progress: progress(tx, id)?,
                });
            }
            Ok(out)
        })
    }

    /// Unfinished broadcasts with an admin chat to show progress in.
    pub fn running_broadcasts(&self) -> Result<Vec<(i64, i64, Option<i64>)>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, admin_chat, progress_message_id FROM broadcasts
                  WHERE finished_at IS NULL AND admin_chat IS NOT NULL",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get("id")?,
                    r.get("admin_chat")?,
                    r.get("progress_message_id")?,
                ))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    pub fn set_broadcast_message(&self, id: i64, message_id: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE broadcasts SET progress_message_id = ?2 WHERE id = ?1",
                params![id, message_id],
            )?;
            Ok(())
        })
    }
}

fn progress(c: &Connection, id: i64) -> Result<Progress> {
    Ok(c.query_row(
        "SELECT count(*) FILTER (WHERE status = 'sent') AS sent,
                count(*) FILTER (WHERE status IN ('failed', 'blocked', 'unknown')) AS not_delivered,
                count(*) FILTER (WHERE status IN ('pending', 'sending')) AS \"left\"
           FROM broadcast_recipients WHERE broadcast_id = ?1",
        [id],
        |r| {
            Ok(Progress {
                sent: r.get("sent")?,
                not_delivered: r.get("not_delivered")?,
                left: r.get("left")?,
            })
        },
    )?)
}
