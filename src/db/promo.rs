//! `discount_codes` and `user_discount_codes`.

use crate::error::Result;
use crate::model::{PromoCode, PromoKind};
use rusqlite::{Connection, OptionalExtension, Row, params};

const SELECT: &str =
    "SELECT code, kind, discount_percent, bonus_ops, max_uses, used_count, expires_at, is_active,
    applies_to FROM discount_codes";

fn from_row(r: &Row<'_>) -> rusqlite::Result<PromoCode> {
    let kind: String = r.get("kind")?;
    let kind = match kind.as_str() {
        "percent" if r.get::<_, String>("applies_to")? == "operations" => {
            PromoKind::OperationsPercent(r.get("discount_percent")?)
        }
        "percent" => PromoKind::Percent(r.get("discount_percent")?),
        "bonus_ops" => PromoKind::BonusOps(r.get("bonus_ops")?),
        "free_access" => PromoKind::FreeAccess,
        other => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                1,
                rusqlite::types::Type::Text,
                format!("unknown promo kind {other:?}").into(),
            ));
        }
    };
    Ok(PromoCode {
        code: r.get("code")?,
        kind,
        max_uses: r.get("max_uses")?,
        used_count: r.get("used_count")?,
        expires_at: r.get("expires_at")?,
        is_active: r.get("is_active")?,
    })
}

/// Inserts a code; returns false (and changes nothing) when the code exists.
pub fn insert(conn: &Connection, code: &PromoCode, now: i64) -> Result<bool> {
    let (kind, percent, bonus, applies_to) = match code.kind {
        PromoKind::Percent(p) => ("percent", Some(p), None, "topup"),
        PromoKind::OperationsPercent(p) => ("percent", Some(p), None, "operations"),
        PromoKind::FreeAccess => ("free_access", None, None, "topup"),
        PromoKind::BonusOps(n) => ("bonus_ops", None, Some(n), "topup"),
    };
    let n = conn.execute(
        "INSERT INTO discount_codes (code, kind, discount_percent, bonus_ops, max_uses, used_count, expires_at,
                                     is_active, created_at, applies_to)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9) ON CONFLICT (code) DO NOTHING",
        params![code.code, kind, percent, bonus, code.max_uses, code.expires_at, code.is_active, now, applies_to],
    )?;
    Ok(n == 1)
}

pub fn get(conn: &Connection, code: &str) -> Result<Option<PromoCode>> {
    Ok(conn
        .query_row(&format!("{SELECT} WHERE code = ?1"), [code], from_row)
        .optional()?)
}

pub fn list(conn: &Connection) -> Result<Vec<PromoCode>> {
    let mut stmt = conn.prepare(&format!("{SELECT} ORDER BY code"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Switches a code on or off; false when there is no such code.
pub fn set_active(conn: &Connection, code: &str, active: bool) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE discount_codes SET is_active = ?2 WHERE code = ?1",
        params![code, active],
    )? == 1)
}

/// Whether the user has used the code (a succeeded payment, or a redeemed generation code).
pub fn has_used(conn: &Connection, telegram_id: i64, code: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM user_discount_codes
                         WHERE telegram_id = ?1 AND code = ?2 AND state = 'used')",
        params![telegram_id, code],
        super::only,
    )?)
}

/// Uses and live reservations of the code together: what counts against its max uses.
pub fn taken(conn: &Connection, code: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM user_discount_codes WHERE code = ?1",
        [code],
        super::only,
    )?)
}

/// The payment whose draft holds this user's reservation of the code, if one does.
pub fn reserved_by(conn: &Connection, telegram_id: i64, code: &str) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT payment_id FROM user_discount_codes
              WHERE telegram_id = ?1 AND code = ?2 AND state = 'reserved'",
            params![telegram_id, code],
            super::only,
        )
        .optional()?
        .flatten())
}

/// Reserves the code for the draft `payment_id` (which must exist). The primary key refuses a second
/// row for the same user and code, so this is false when the user already holds or used it.
pub fn reserve(
    conn: &Connection,
    telegram_id: i64,
    code: &str,
    payment_id: &str,
    now: i64,
) -> Result<bool> {
    let n = conn.execute(
        "INSERT INTO user_discount_codes (telegram_id, code, payment_id, used_at, state)
         VALUES (?1, ?2, ?3, ?4, 'reserved') ON CONFLICT (telegram_id, code) DO NOTHING",
        params![telegram_id, code, payment_id, now],
    )?;
    Ok(n == 1)
}

/// The payment that reserved a code succeeded: its reservation becomes a use, counted once. False when
/// the payment held no reservation (a draft made before reservations existed).
pub fn consume(conn: &Connection, payment_id: &str, now: i64) -> Result<bool> {
    let code: Option<String> = conn
        .query_row(
            "UPDATE user_discount_codes SET state = 'used', used_at = ?2
              WHERE payment_id = ?1 AND state = 'reserved' RETURNING code",
            params![payment_id, now],
            super::only,
        )
        .optional()?;
    if let Some(code) = &code {
        conn.execute(
            "UPDATE discount_codes SET used_count = used_count + 1 WHERE code = ?1",
            [code],
        )?;
    }
    Ok(code.is_some())
}

/// The payment that reserved a code was canceled (or will never be credited): the code is free again.
pub fn release(conn: &Connection, payment_id: &str) -> Result<bool> {
    Ok(conn.execute(
        "DELETE FROM user_discount_codes WHERE payment_id = ?1 AND state = 'reserved'",
        [payment_id],
    )? > 0)
}

/// Records that the user used the code (once per user) and counts it; false when already recorded.
pub fn record_use(
    conn: &Connection,
    telegram_id: i64,
    code: &str,
    payment_id: Option<&str>,
    now: i64,
) -> Result<bool> {
    let n = conn.execute(
        "INSERT INTO user_discount_codes (telegram_id, code, payment_id, used_at, state)
         VALUES (?1, ?2, ?3, ?4, 'used')
         ON CONFLICT (telegram_id, code) DO NOTHING",
        params![telegram_id, code, payment_id, now],
    )?;
    if n == 1 {
        conn.execute(
            "UPDATE discount_codes SET used_count = used_count + 1 WHERE code = ?1",
            [code],
        )?;
    }
    Ok(n == 1)
}
