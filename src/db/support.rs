//! The support inbox (SPEC §6c): tickets and their messages both ways, and the copies in admin chats
//! an admin replies to. Each message and the notices that carry it are one transaction, so the
//! outbox delivers it across restarts, and the update that wrote it is recorded so a rerun after a
//! crash finds it instead of writing it twice.

use super::{Store, notices};
use crate::error::Result;
use crate::model::Notice;
use crate::time::now;
use rusqlite::{Connection, OptionalExtension, Row, params};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: i64,
    pub telegram_id: i64,
    pub open: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// How many messages it has, and the last one's text.
    pub messages: i64,
    pub last: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketMessage {
    pub id: i64,
    pub ticket_id: i64,
    /// The ticket's user.
    pub telegram_id: i64,
    pub from_admin: bool,
    pub admin_id: Option<i64>,
    pub text: String,
    pub photo: Option<String>,
    pub created_at: i64,
}

/// What a user's message became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filed {
    pub ticket_id: i64,
    pub message_id: i64,
    /// The ticket was opened by this message.
    pub opened: bool,
}

impl Store {
    /// Files a user's message in their open ticket (opening one when there is none) and queues a
    /// copy for every admin in `admins`; the same `update_id` again finds what it filed.
    pub fn file_support_message(
        &self,
        telegram_id: i64,
        text: &str,
        photo: Option<&str>,
        update_id: Option<i64>,
        admins: &[i64],
    ) -> Result<Filed> {
        self.write(|tx| {
            if let Some(found) = by_update(tx, update_id)? {
                return Ok(found);
            }
            let now = now();
            let open: Option<i64> = tx
                .query_row(
                    "SELECT id FROM tickets WHERE telegram_id = ?1 AND status = 'open'
                      ORDER BY id DESC LIMIT 1",
                    [telegram_id],
                    super::only,
                )
                .optional()?;
            let (ticket_id, opened) = match open {
                Some(id) => (id, false),
                None => {
                    tx.execute(
                        "INSERT INTO tickets (telegram_id, status, created_at, updated_at)
                         VALUES (?1, 'open', ?2, ?2)",
                        params![telegram_id, now],
                    )?;
                    (tx.last_insert_rowid(), true)
                }
            };
            let message_id = insert_message(
                tx,
                &NewMessage {
                    ticket_id,
                    from_admin: false,
                    admin_id: None,
                    text,
                    photo,
                    update_id,
                },
                now,
            )?;
            // Telegram lets a bot write only to who wrote to it first: an admin who never opened the
            // bot (no user row) cannot get the copy, and `check` says so.
            for admin in admins {
                let known: i64 = tx.query_row(
                    "SELECT count(*) FROM users WHERE telegram_id = ?1",
                    [admin],
                    super::only,
                )?;
                if known > 0 {
                    notices::insert(tx, *admin, &Notice::SupportToAdmin { message_id }, now)?;
                }
            }
            Ok(Filed {
                ticket_id,
                message_id,
                opened,
            })
        })
    }

    /// Files an admin's answer (`admin_id` None: from the CLI) and queues it for the ticket's user;
    /// None when there is no such ticket. Answering a closed ticket opens it again.
    pub fn answer_ticket(
        &self,
        ticket_id: i64,
        admin_id: Option<i64>,
        text: &str,
        update_id: Option<i64>,
    ) -> Result<Option<TicketMessage>> {
        self.write(|tx| {
            let Some(user) = ticket_user(tx, ticket_id)? else {
                return Ok(None);
            };
            let id = match by_update(tx, update_id)? {
                Some(found) => found.message_id,
                None => {
                    let now = now();
                    let id = insert_message(
                        tx,
                        &NewMessage {
                            ticket_id,
                            from_admin: true,
                            admin_id,
                            text,
                            photo: None,
                            update_id,
                        },
                        now,
                    )?;
                    tx.execute(
                        "UPDATE tickets SET status = 'open' WHERE id = ?1",
                        [ticket_id],
                    )?;
                    notices::insert(tx, user, &Notice::SupportAnswer { message_id: id }, now)?;
                    id
                }
            };
            message(tx, id)
        })
    }

    /// Closes a ticket; false when there is none open with that id.
    pub fn close_ticket(&self, ticket_id: i64) -> Result<bool> {
        self.write(|tx| {
            Ok(tx.execute(
                "UPDATE tickets SET status = 'closed', updated_at = ?2 WHERE id = ?1 AND status = 'open'",
                params![ticket_id, now()],
            )? == 1)
        })
    }

    pub fn support_message(&self, id: i64) -> Result<Option<TicketMessage>> {
        self.read(|c| message(c, id))
    }

    /// Remembers that `admin_chat`'s message `message_id` is a copy from `ticket_id`.
    pub fn record_ticket_copy(
        &self,
        admin_chat: i64,
        message_id: i64,
        ticket_id: i64,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO ticket_copies (admin_chat, message_id, ticket_id) VALUES (?1, ?2, ?3)",
                params![admin_chat, message_id, ticket_id],
            )?;
            Ok(())
        })
    }

    /// The ticket whose copy `message_id` is in `admin_chat`, if it is one.
    pub fn ticket_of_copy(&self, admin_chat: i64, message_id: i64) -> Result<Option<i64>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT ticket_id FROM ticket_copies WHERE admin_chat = ?1 AND message_id = ?2",
                params![admin_chat, message_id],
                super::only,
            )
            .optional()?)
        })
    }

    /// Tickets, newest activity first (only open ones with `open_only`).
    pub fn tickets(&self, open_only: bool, limit: u32) -> Result<Vec<Ticket>> {
        self.read(|c| {
            let mut st = c.prepare(&format!(
                "{TICKET} WHERE (?1 = 0 OR t.status = 'open')
                  GROUP BY t.id ORDER BY updated_at DESC, t.id DESC LIMIT ?2"
            ))?;
            let rows = st.query_map(params![open_only as i64, limit], ticket_row)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// One ticket with every message, oldest first.
    pub fn ticket(&self, id: i64) -> Result<Option<(Ticket, Vec<TicketMessage>)>> {
        self.read(|c| {
            let ticket = c
                .query_row(
                    &format!("{TICKET} WHERE t.id = ?1 GROUP BY t.id"),
                    [id],
                    ticket_row,
                )
                .optional()?;
            let Some(ticket) = ticket else {
                return Ok(None);
            };
            let mut st = c.prepare(&format!("{MESSAGE} WHERE m.ticket_id = ?1 ORDER BY m.id"))?;
            let messages = st
                .query_map([id], message_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(Some((ticket, messages)))
        })
    }
}

/// A ticket with its message count, last activity and last text (`ticket_row` reads it); the caller
/// adds WHERE and GROUP BY t.id.
const TICKET: &str = "SELECT t.id, t.telegram_id, t.status, t.created_at,
        coalesce(max(m.created_at), t.updated_at) AS updated_at, count(m.id) AS messages,
        (SELECT text FROM ticket_messages WHERE ticket_id = t.id ORDER BY id DESC LIMIT 1) AS last
   FROM tickets t LEFT JOIN ticket_messages m ON m.ticket_id = t.id";

const MESSAGE: &str =
    "SELECT m.id, m.ticket_id, t.telegram_id, m.author, m.admin_id, m.text, m.photo,
        m.created_at FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id";

fn ticket_row(r: &Row<'_>) -> rusqlite::Result<Ticket> {
    let status: String = r.get("status")?;
    Ok(Ticket {
        id: r.get("id")?,
        telegram_id: r.get("telegram_id")?,
        open: status == "open",
        created_at: r.get("created_at")?,
        updated_at: r.get("updated_at")?,
        messages: r.get("messages")?,
        last: r.get::<_, Option<String>>("last")?.unwrap_or_default(),
    })
}

fn message_row(r: &Row<'_>) -> rusqlite::Result<TicketMessage> {
    let author: String = r.get("author")?;
    Ok(TicketMessage {
        id: r.get("id")?,
        ticket_id: r.get("ticket_id")?,
        telegram_id: r.get("telegram_id")?,
        from_admin: author == "admin",
        admin_id: r.get("admin_id")?,
        text: r.get("text")?,
        photo: r.get("photo")?,
        created_at: r.get("created_at")?,
    })
}

fn message(c: &Connection, id: i64) -> Result<Option<TicketMessage>> {
    Ok(
        c.query_row(&format!("{MESSAGE} WHERE m.id = ?1"), [id], message_row)
            .optional()?,
    )
}

fn ticket_user(c: &Connection, ticket_id: i64) -> Result<Option<i64>> {
    Ok(c.query_row(
        "SELECT telegram_id FROM tickets WHERE id = ?1",
        [ticket_id],
        super::only,
    )
    .optional()?)
}

/// What an update already filed, if it filed anything.
fn by_update(c: &Connection, update_id: Option<i64>) -> Result<Option<Filed>> {
    let Some(update) = update_id else {
        return Ok(None);
    };
    Ok(c.query_row(
        "SELECT id, ticket_id FROM ticket_messages WHERE update_id = ?1",
        [update],
        |r| {
            Ok(Filed {
                ticket_id: r.get("ticket_id")?,
                message_id: r.get("id")?,
                opened: false,
            })
        },
    )
    .optional()?)
}

/// A message to file in a ticket.
struct NewMessage<'a> {
    ticket_id: i64,
    from_admin: bool,
    admin_id: Option<i64>,
    text: &'a str,
    photo: Option<&'a str>,
    update_id: Option<i64>,
}

fn insert_message(c: &Connection, m: &NewMessage<'_>, now: i64) -> Result<i64> {
    c.execute(
        "INSERT INTO ticket_messages (ticket_id, author, admin_id, text, photo, update_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            m.ticket_id,
            if m.from_admin { "admin" } else { "user" },
            m.admin_id,
            m.text,
            m.photo,
            m.update_id,
            now
        ],
    )?;
    let id = c.last_insert_rowid();
    c.execute(
        "UPDATE tickets SET updated_at = ?2 WHERE id = ?1",
        params![m.ticket_id, now],
    )?;
    Ok(id)
}
