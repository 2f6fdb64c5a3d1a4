//! `admin_backups`: the log of backups sent to the admins' chats, which keeps their schedule across
//! restarts.

use super::Store;
use crate::error::Result;
use rusqlite::params;

impl Store {
    /// When the last backup was sent (or found too large to send), if ever.
    pub fn last_admin_backup(&self) -> Result<Option<i64>> {
        self.read(|c| Ok(c.query_row("SELECT max(sent_at) FROM admin_backups", [], super::only)?))
    }

    pub fn record_admin_backup(&self, bytes: u64, outcome: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO admin_backups (sent_at, bytes, outcome) VALUES (?1, ?2, ?3)",
                params![
                    crate::time::now(),
                    i64::try_from(bytes).unwrap_or(i64::MAX),
                    outcome
                ],
            )?;
            Ok(())
        })
    }
}
