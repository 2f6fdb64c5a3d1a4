//! `dialogues`: what each chat is in the middle of, as JSON the bot defines.

use super::Store;
use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, params};

impl Store {
    /// The saved state of `chat_id`, as the bot wrote it.
    pub fn dialogue(&self, chat_id: i64) -> Result<Option<String>> {
        self.read(|c| get(c, chat_id))
    }

    pub fn set_dialogue(&self, chat_id: i64, state: &str) -> Result<()> {
        self.write(|tx| set(tx, chat_id, state, crate::time::now()))
    }

    pub fn remove_dialogue(&self, chat_id: i64) -> Result<()> {
        self.write(|tx| remove(tx, chat_id))
    }
}

pub fn get(conn: &Connection, chat_id: i64) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT state FROM dialogues WHERE chat_id = ?1",
            [chat_id],
            super::only,
        )
        .optional()?)
}

pub fn set(conn: &Connection, chat_id: i64, state: &str, now: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO dialogues (chat_id, state, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        params![chat_id, state, now],
    )?;
    Ok(())
}

pub fn remove(conn: &Connection, chat_id: i64) -> Result<()> {
    conn.execute("DELETE FROM dialogues WHERE chat_id = ?1", [chat_id])?;
    Ok(())
}
