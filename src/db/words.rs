//! `words`: what the language model was asked and answered, kept for the operator, for the last
//! turns of a conversation and for the assistant's daily limit.

use super::Store;
use crate::error::Result;
use crate::money::Kopecks;
use crate::time::now;
use rusqlite::params;

/// One question and its answer (None: not answered, or failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub question: String,
    pub answer: Option<String>,
}

impl Store {
    /// Records a question to the assistant before the model is asked.
    pub fn ask_assistant(&self, telegram_id: i64, question: &str, model: &str) -> Result<i64> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO words (telegram_id, kind, question, model, created_at)
                 VALUES (?1, 'assistant', ?2, ?3, ?4)",
                params![telegram_id, question, model, now()],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// A prompt translated for a model that reads English (or why it went as typed).
    pub fn record_translation(
        &self,
        telegram_id: i64,
        prompt: &str,
        model: &str,
        result: std::result::Result<&str, &str>,
        cost: Kopecks,
    ) -> Result<()> {
        let cost = if result.is_ok() { cost.0 } else { 0 };
        let (answer, error) = columns(result);
        self.write(|tx| {
            let now = now();
            tx.execute(
                "INSERT INTO words (telegram_id, kind, question, answer, error, model, created_at, answered_at, cost)
                 VALUES (?1, 'translate', ?2, ?3, ?4, ?5, ?6, ?6, ?7)",
                params![telegram_id, prompt, answer, error, model, now, cost],
            )?;
            Ok(())
        })
    }

    /// The model's answer (and what the call cost), or why there is none.
    pub fn record_words(
        &self,
        id: i64,
        answer: std::result::Result<&str, &str>,
        cost: Kopecks,
    ) -> Result<()> {
        self.write(|tx| set_answer(tx, id, answer, cost, now()))
    }

    /// Questions the assistant answered for this user since `since` (a failed one does not count).
    pub fn assistant_answers_since(&self, telegram_id: i64, since: i64) -> Result<i64> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM words WHERE telegram_id = ?1 AND kind = 'assistant'
                    AND answer IS NOT NULL AND created_at >= ?2",
                params![telegram_id, since],
                super::only,
            )?)
        })
    }

    /// The last `n` answered turns with the assistant, oldest first.
    pub fn assistant_turns(&self, telegram_id: i64, n: u32) -> Result<Vec<Turn>> {
        self.read(|c| {
            let mut st = c.prepare(
                "SELECT question, answer FROM words
                  WHERE telegram_id = ?1 AND kind = 'assistant' AND answer IS NOT NULL
                  ORDER BY id DESC LIMIT ?2",
            )?;
            let mut turns = st
                .query_map(params![telegram_id, n], |r| {
                    Ok(Turn {
                        question: r.get("question")?,
                        answer: r.get("answer")?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            turns.reverse();
            Ok(turns)
        })
    }
}

/// A ✍️ prompt as the flow needs it back: the idea, the answer, and its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub id: i64,
    pub telegram_id: i64,
    pub idea: String,
    pub answer: Option<String>,
    pub operation_id: Option<i64>,
}

/// The ✍️ row an update already made, if any.
pub fn prompt_by_update(c: &rusqlite::Connection, update_id: i64) -> Result<Option<i64>> {
    use rusqlite::OptionalExtension;
    Ok(c.query_row(
        "SELECT id FROM words WHERE update_id = ?1",
        [update_id],
        super::only,
    )
    .optional()?)
}

/// Records a ✍️ idea with the operation that paid for it (inside the charge's transaction).
pub fn insert_prompt(
    c: &rusqlite::Connection,
    telegram_id: i64,
    idea: &str,
    model: &str,
    operation_id: Option<i64>,
    update_id: Option<i64>,
    now: i64,
) -> Result<i64> {
    c.execute(
        "INSERT INTO words (telegram_id, kind, question, model, operation_id, update_id, created_at)
         VALUES (?1, 'prompt', ?2, ?3, ?4, ?5, ?6)",
        params![telegram_id, idea, model, operation_id, update_id, now],
    )?;
    Ok(c.last_insert_rowid())
}

/// Records what the model answered (or why not) for a words row, and what an answer cost us (a
/// failed call is not billed).
pub fn set_answer(
    c: &rusqlite::Connection,
    id: i64,
    answer: std::result::Result<&str, &str>,
    cost: Kopecks,
    now: i64,
) -> Result<()> {
    let cost = if answer.is_ok() { cost.0 } else { 0 };
    let (answer, error) = columns(answer);
    c.execute(
        "UPDATE words SET answer = ?2, error = ?3, answered_at = ?4, cost = ?5 WHERE id = ?1",
        params![id, answer, error, now, cost],
    )?;
    Ok(())
}

pub fn prompt(c: &rusqlite::Connection, id: i64) -> Result<Option<Prompt>> {
    use rusqlite::OptionalExtension;
    Ok(c.query_row(
        "SELECT id, telegram_id, question, answer, operation_id FROM words WHERE id = ?1 AND kind = 'prompt'",
        [id],
        |r| {
            Ok(Prompt {
                id: r.get("id")?,
                telegram_id: r.get("telegram_id")?,
                idea: r.get("question")?,
                answer: r.get("answer")?,
                operation_id: r.get("operation_id")?,
            })
        },
    )
    .optional()?)
}

/// ✍️ rows whose operation is still charged since before `cutoff` (the process died while the model
/// was asked).
pub fn stale_prompts(c: &rusqlite::Connection, cutoff: i64) -> Result<Vec<i64>> {
    let mut st = c.prepare(
        "SELECT w.id AS id FROM words w JOIN operations o ON o.id = w.operation_id
          WHERE w.kind = 'prompt' AND o.status = 'charged' AND o.created_at < ?1",
    )?;
    let rows = st.query_map([cutoff], |r| r.get("id"))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    pub fn prompt(&self, id: i64) -> Result<Option<Prompt>> {
        self.read(|c| prompt(c, id))
    }
}

/// A model's result as the `answer` and `error` columns.
fn columns<'a>(
    result: std::result::Result<&'a str, &'a str>,
) -> (Option<&'a str>, Option<&'a str>) {
    match result {
        Ok(a) => (Some(a), None),
        Err(e) => (None, Some(e)),
    }
}
