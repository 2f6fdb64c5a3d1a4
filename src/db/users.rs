//! `users` and `balances`.

use crate::error::Result;
use crate::model::User;
use crate::money::Kopecks;
use rusqlite::{Connection, OptionalExtension, Row, params};

const SELECT: &str =
    "SELECT u.telegram_id, u.username, u.language_code, b.kopecks, u.free_operations_left,
        u.has_free_access, u.pending_discount_code, u.created_at, b.debt, u.first_update_at, u.blocked_at,
        d.code AS standing_code, d.discount_percent AS standing_percent,
        (SELECT coalesce(sum(p.operations - p.used), 0) FROM plan_periods p
          WHERE p.telegram_id = u.telegram_id AND p.expires_at > unixepoch()
            AND p.refund_state IS NULL) AS plan_left,
        (SELECT max(p.expires_at) FROM plan_periods p
          WHERE p.telegram_id = u.telegram_id AND p.expires_at > unixepoch()
            AND p.refund_state IS NULL) AS plan_until
    FROM users u JOIN balances b ON b.telegram_id = u.telegram_id
    LEFT JOIN discount_codes d ON d.code = u.standing_code AND d.is_active
         AND (d.expires_at IS NULL OR d.expires_at > unixepoch())";

fn from_row(r: &Row<'_>) -> rusqlite::Result<User> {
    Ok(User {
        telegram_id: r.get("telegram_id")?,
        username: r.get("username")?,
        language_code: r.get("language_code")?,
        balance: Kopecks(r.get("kopecks")?),
        free_operations_left: r.get("free_operations_left")?,
        has_free_access: r.get("has_free_access")?,
        pending_discount_code: r.get("pending_discount_code")?,
        created_at: r.get("created_at")?,
        debt: Kopecks(r.get("debt")?),
        first_update_at: r.get("first_update_at")?,
        blocked_at: r.get("blocked_at")?,
        standing_discount: match r.get::<_, Option<String>>("standing_code")? {
            Some(code) => Some((code, r.get("standing_percent")?)),
            None => None,
        },
        plan_operations_left: r.get("plan_left")?,
        plan_until: r.get("plan_until")?,
    })
}

impl super::Store {
    /// One user as billing sees them, if they exist.
    pub fn user(&self, telegram_id: i64) -> Result<Option<User>> {
        self.read(|c| get(c, telegram_id))
    }
}

/// Records the user's first update ever (their first contact); true when this is it.
pub fn record_first_update(conn: &Connection, telegram_id: i64, now: i64) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE users SET first_update_at = ?2 WHERE telegram_id = ?1 AND first_update_at IS NULL",
        params![telegram_id, now],
    )? == 1)
}

/// The user writes again: a broadcast may reach them again.
pub fn clear_blocked(conn: &Connection, telegram_id: i64) -> Result<()> {
    conn.execute(
        "UPDATE users SET blocked_at = NULL WHERE telegram_id = ?1 AND blocked_at IS NOT NULL",
        [telegram_id],
    )?;
    Ok(())
}

/// Changes the user's unpaid debt by `delta` (a shortfall adds, a repayment row subtracts).
pub(super) fn add_debt(conn: &Connection, telegram_id: i64, delta: i64, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE balances SET debt = debt + ?2, updated_at = ?3 WHERE telegram_id = ?1",
        params![telegram_id, delta, now],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, telegram_id: i64) -> Result<Option<User>> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE u.telegram_id = ?1"),
            [telegram_id],
            from_row,
        )
        .optional()?)
}

/// Creates the user with a zero balance and no free operations; the caller grants those through the
/// ledger so that the caches always equal the ledger sums.
pub fn insert(
    conn: &Connection,
    telegram_id: i64,
    username: Option<&str>,
    language_code: Option<&str>,
    now: i64,
) -> Result<()> {
    conn.execute(
        "INSERT INTO users (telegram_id, username, language_code, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![telegram_id, username, language_code, now],
    )?;
    conn.execute(
        "INSERT INTO balances (telegram_id, kopecks, updated_at) VALUES (?1, 0, ?2)",
        params![telegram_id, now],
    )?;
    Ok(())
}

pub fn update_profile(
    conn: &Connection,
    telegram_id: i64,
    username: Option<&str>,
    language_code: Option<&str>,
) -> Result<()> {
    conn.execute(
        "UPDATE users SET username = ?2, language_code = ?3 WHERE telegram_id = ?1
           AND (username IS NOT ?2 OR language_code IS NOT ?3)",
        params![telegram_id, username, language_code],
    )?;
    Ok(())
}

pub fn set_free_access(conn: &Connection, telegram_id: i64, on: bool) -> Result<()> {
    conn.execute(
        "UPDATE users SET has_free_access = ?2 WHERE telegram_id = ?1",
        params![telegram_id, on],
    )?;
    Ok(())
}

pub fn set_pending_discount_code(
    conn: &Connection,
    telegram_id: i64,
    code: Option<&str>,
) -> Result<()> {
    conn.execute(
        "UPDATE users SET pending_discount_code = ?2 WHERE telegram_id = ?1",
        params![telegram_id, code],
    )?;
    Ok(())
}

/// The operation code the user holds (None: none).
pub fn set_standing_code(conn: &Connection, telegram_id: i64, code: Option<&str>) -> Result<()> {
    conn.execute(
        "UPDATE users SET standing_code = ?2 WHERE telegram_id = ?1",
        params![telegram_id, code],
    )?;
    Ok(())
}

/// Applies ledger deltas to the cached balance and free operations. Only `ledger::append` calls this,
/// right after inserting the row that justifies it. The CHECK constraints refuse a negative result.
pub(super) fn apply_deltas(
    conn: &Connection,
    telegram_id: i64,
    amount: i64,
    free_ops: i64,
    now: i64,
) -> Result<()> {
    if amount != 0 {
        conn.execute(
            "UPDATE balances SET kopecks = kopecks + ?2, updated_at = ?3 WHERE telegram_id = ?1",
            params![telegram_id, amount, now],
        )?;
    }
    if free_ops != 0 {
        conn.execute(
            "UPDATE users SET free_operations_left = free_operations_left + ?2 WHERE telegram_id = ?1",
            params![telegram_id, free_ops],
        )?;
    }
    Ok(())
}
