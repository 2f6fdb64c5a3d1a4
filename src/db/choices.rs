//! `choices`: each user's last model and format in each mode, which the picker marks ✓ and a job
//! uses when the user picks nothing new.

use super::Store;
use crate::error::Result;
use crate::model::{Format, Mode};
use rusqlite::{OptionalExtension, params};

/// What a user last chose in a mode (None: never chose).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choice {
    /// The model's key (its label).
    pub model: Option<String>,
    pub format: Option<Format>,
}

impl Store {
    pub fn choice(&self, telegram_id: i64, mode: Mode) -> Result<Choice> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT model, format FROM choices WHERE telegram_id = ?1 AND mode = ?2",
                params![telegram_id, mode.as_str()],
                |r| {
                    Ok(Choice {
                        model: r.get("model")?,
                        format: r.get("format")?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
        })
    }

    /// The user's remembered model keys in every mode they chose one in, in one read.
    pub fn chosen_models(&self, telegram_id: i64) -> Result<Vec<(Mode, String)>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT mode, model FROM choices WHERE telegram_id = ?1 AND model IS NOT NULL",
            )?;
            let rows = st.query_map([telegram_id], |r| {
                Ok((r.get::<_, String>("mode")?, r.get::<_, String>("model")?))
            })?;
            let mut chosen = Vec::new();
            for row in rows {
                let (mode, model) = row?;
                // A mode this version does not know chose nothing it can use.
                if let Ok(mode) = mode.parse() {
                    chosen.push((mode, model));
                }
            }
            Ok(chosen)
        })
    }

    /// Remembers a model (keeping the format) or a format (keeping the model).
    pub fn remember_choice(
        &self,
        telegram_id: i64,
        mode: Mode,
        model: Option<&str>,
        format: Option<Format>,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO choices (telegram_id, mode, model, format, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (telegram_id, mode) DO UPDATE SET
                     model = coalesce(excluded.model, choices.model),
                     format = coalesce(excluded.format, choices.format),
                     updated_at = excluded.updated_at",
                params![
                    telegram_id,
                    mode.as_str(),
                    model,
                    format,
                    crate::time::now()
                ],
            )?;
            Ok(())
        })
    }
}
