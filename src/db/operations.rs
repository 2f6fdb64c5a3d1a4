//! `operations`: one paid operation each, with what paid for it and whether it settled or was refunded.

use crate::error::{Error, Result};
use crate::model::PaidWith;
use crate::money::Kopecks;
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Charged,
    Settled,
    Refunded,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Charged => "charged",
            Status::Settled => "settled",
            Status::Refunded => "refunded",
        }
    }

    fn parse(s: &str) -> rusqlite::Result<Status> {
        match s {
            "charged" => Ok(Status::Charged),
            "settled" => Ok(Status::Settled),
            "refunded" => Ok(Status::Refunded),
            other => Err(bad_value(other)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub id: i64,
    pub telegram_id: i64,
    /// A mode's name, or `prompt` (✍️).
    pub mode: String,
    pub paid_with: PaidWith,
    pub price: Kopecks,
    pub status: Status,
    /// The plan period it used one operation of.
    pub plan_period: Option<i64>,
}

/// How an operation was paid, as recorded.
pub struct Paid<'a> {
    pub paid_with: PaidWith,
    /// Kopecks taken from the balance.
    pub price: Kopecks,
    /// The listed price when an operation code lowered it, and the code.
    pub full_price: Option<Kopecks>,
    pub discount_code: Option<&'a str>,
    pub plan_period: Option<i64>,
}

fn bad_value(s: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("unexpected value {s:?}").into(),
    )
}

/// The operation kind of ✍️ (the image modes use their own names).
pub const PROMPT: &str = "prompt";

/// A charged operation of `kind` (a mode's name, or `PROMPT`).
pub fn insert(
    conn: &Connection,
    telegram_id: i64,
    kind: &str,
    paid: &Paid<'_>,
    now: i64,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO operations (telegram_id, mode, paid_with, price, status, created_at, updated_at,
                                 full_price, discount_code, plan_period_id)
         VALUES (?1, ?2, ?3, ?4, 'charged', ?5, ?5, ?6, ?7, ?8)",
        params![
            telegram_id,
            kind,
            paid.paid_with.as_str(),
            paid.price.0,
            now,
            paid.full_price.map(|p| p.0),
            paid.discount_code,
            paid.plan_period
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Operation>> {
    conn.query_row(
        "SELECT id, telegram_id, mode, paid_with, price, status, plan_period_id FROM operations WHERE id = ?1",
        [id],
        |r| {
            let paid_with: String = r.get("paid_with")?;
            let status: String = r.get("status")?;
            Ok(Operation {
                id: r.get("id")?,
                telegram_id: r.get("telegram_id")?,
                mode: r.get("mode")?,
                paid_with: PaidWith::parse(&paid_with).ok_or_else(|| bad_value(&paid_with))?,
                price: Kopecks(r.get("price")?),
                status: Status::parse(&status)?,
                plan_period: r.get("plan_period_id")?,
            })
        },
    )
    .optional()
    .map_err(Error::from)
}

/// Moves a charged operation to `to`. Returns false when it was no longer `charged` (already settled or
/// refunded), which is what makes settle and refund each happen at most once and never both.
pub fn finish(
    conn: &Connection,
    id: i64,
    to: Status,
    reason: Option<&str>,
    now: i64,
) -> Result<bool> {
    let changed = conn.execute(
        "UPDATE operations SET status = ?2, refund_reason = ?3, updated_at = ?4
          WHERE id = ?1 AND status = 'charged'",
        params![id, to.as_str(), reason, now],
    )?;
    Ok(changed == 1)
}

impl super::Store {
    /// One operation: what a result's caption says it cost.
    pub fn operation(&self, id: i64) -> Result<Option<Operation>> {
        self.read(|c| get(c, id))
    }
}
