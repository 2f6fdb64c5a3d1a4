//! `plan_periods`: the paid periods of Stars subscriptions (PLANS, SPEC §8b) and their operations.

use crate::error::Result;
use crate::model::RefundState;
use rusqlite::{Connection, OptionalExtension, Row, params};

impl super::Store {
    /// Whether a Star payment with this charge id was granted as a plan period.
    pub fn has_plan_charge(&self, charge_id: &str) -> Result<bool> {
        self.read(|c| Ok(by_charge(c, charge_id)?.is_some()))
    }

    /// The plan period a Star payment with this charge id granted.
    pub fn plan_period(&self, charge_id: &str) -> Result<Option<Period>> {
        self.read(|c| by_charge(c, charge_id))
    }
}

/// One paid period: the first payment of a subscription or a renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub id: i64,
    pub telegram_id: i64,
    pub plan: String,
    pub stars: i64,
    pub operations: i64,
    pub used: i64,
    pub charge_id: String,
    pub recurring: bool,
    pub starts_at: i64,
    pub expires_at: i64,
    pub canceled_at: Option<i64>,
    /// Its payment is being given back, or was: its operations are no longer usable.
    pub refund_state: Option<RefundState>,
    pub refunded_at: Option<i64>,
    /// Telegram could not take the renewal payment after this period.
    pub renewal_failed_at: Option<i64>,
}

/// A period to record.
pub struct Grant<'a> {
    pub telegram_id: i64,
    pub plan: &'a str,
    pub stars: i64,
    pub operations: i64,
    pub charge_id: &'a str,
    pub recurring: bool,
    pub expires_at: i64,
}

const SELECT: &str = "SELECT id, telegram_id, plan, stars, operations, used, charge_id, recurring,
    starts_at, expires_at, canceled_at, refund_state, refunded_at, renewal_failed_at FROM plan_periods";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Period> {
    Ok(Period {
        id: r.get("id")?,
        telegram_id: r.get("telegram_id")?,
        plan: r.get("plan")?,
        stars: r.get("stars")?,
        operations: r.get("operations")?,
        used: r.get("used")?,
        charge_id: r.get("charge_id")?,
        recurring: r.get("recurring")?,
        starts_at: r.get("starts_at")?,
        expires_at: r.get("expires_at")?,
        canceled_at: r.get("canceled_at")?,
        refund_state: r.get("refund_state")?,
        refunded_at: r.get("refunded_at")?,
        renewal_failed_at: r.get("renewal_failed_at")?,
    })
}

/// Records a paid period once: false when this charge was granted before (key `plan:<charge id>`).
pub fn grant(conn: &Connection, g: &Grant<'_>, now: i64) -> Result<bool> {
    let n = conn.execute(
        "INSERT INTO plan_periods (telegram_id, plan, stars, operations, grant_key, charge_id, recurring,
                                   starts_at, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8) ON CONFLICT DO NOTHING",
        params![
            g.telegram_id,
            g.plan,
            g.stars,
            g.operations,
            format!("plan:{}", g.charge_id),
            g.charge_id,
            g.recurring,
            now,
            g.expires_at
        ],
    )?;
    Ok(n == 1)
}

/// Uses one operation of the user's running period that ends first; its id, or None.
pub fn take_one(conn: &Connection, telegram_id: i64, now: i64) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "UPDATE plan_periods SET used = used + 1
              WHERE id = (SELECT id FROM plan_periods
                           WHERE telegram_id = ?1 AND expires_at > ?2 AND used < operations
                             AND refund_state IS NULL
                           ORDER BY expires_at, id LIMIT 1)
          RETURNING id",
            params![telegram_id, now],
            super::only,
        )
        .optional()?)
}

/// A refunded operation's use comes back to its period.
pub fn give_back(conn: &Connection, period: i64) -> Result<()> {
    conn.execute(
        "UPDATE plan_periods SET used = used - 1 WHERE id = ?1 AND used > 0",
        [period],
    )?;
    Ok(())
}

/// The user's periods that have not ended (nor been given back), the one ending last first.
pub fn running(conn: &Connection, telegram_id: i64, now: i64) -> Result<Vec<Period>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE telegram_id = ?1 AND expires_at > ?2 AND refund_state IS NULL
          ORDER BY expires_at DESC, id DESC"
    ))?;
    let rows = stmt.query_map(params![telegram_id, now], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn by_charge(conn: &Connection, charge_id: &str) -> Result<Option<Period>> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE charge_id = ?1"),
            [charge_id],
            from_row,
        )
        .optional()?)
}

/// The user cancelled the renewal of the subscription this period belongs to, at `at`.
pub fn set_canceled(conn: &Connection, charge_id: &str, at: i64) -> Result<()> {
    conn.execute(
        "UPDATE plan_periods SET canceled_at = ?2 WHERE charge_id = ?1",
        params![charge_id, at],
    )?;
    Ok(())
}

/// Holds the period of `charge_id` for a refund (its operations unusable while Telegram is asked),
/// only while none of them was used: false otherwise. Unanswered, it is asked about again at
/// `check_at`.
pub fn hold_refund(conn: &Connection, charge_id: &str, check_at: i64) -> Result<bool> {
    let n = conn.execute(
        "UPDATE plan_periods SET refund_state = 'refunding', refund_check_at = ?2
          WHERE charge_id = ?1 AND refund_state IS NULL AND used = 0",
        params![charge_id, check_at],
    )?;
    Ok(n == 1)
}

/// A held refund Telegram did not answer: asked about again at `check_at`.
pub fn recheck_refund(conn: &Connection, charge_id: &str, check_at: i64) -> Result<()> {
    conn.execute(
        "UPDATE plan_periods SET refund_check_at = ?2
          WHERE charge_id = ?1 AND refund_state = 'refunding'",
        params![charge_id, check_at],
    )?;
    Ok(())
}

/// Held plan refunds whose next question to Telegram is due by `until`, oldest first.
pub fn refunds_due(conn: &Connection, until: i64, limit: u32) -> Result<Vec<Period>> {
    let mut stmt = conn.prepare(&format!(
        "{SELECT} WHERE refund_state = 'refunding' AND refund_check_at <= ?1
          ORDER BY refund_check_at LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![until, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Telegram did not make the refund: the held period is the user's again. False when none was held.
pub fn release_refund(conn: &Connection, charge_id: &str) -> Result<bool> {
    let n = conn.execute(
        "UPDATE plan_periods SET refund_state = NULL
          WHERE charge_id = ?1 AND refund_state = 'refunding'",
        [charge_id],
    )?;
    Ok(n == 1)
}

/// The period's payment was given back at `at`: false when it was marked so before.
pub fn set_refunded(conn: &Connection, charge_id: &str, at: i64) -> Result<bool> {
    let n = conn.execute(
        "UPDATE plan_periods SET refund_state = 'refunded', refunded_at = ?2
          WHERE charge_id = ?1 AND refund_state IS NOT 'refunded'",
        params![charge_id, at],
    )?;
    Ok(n == 1)
}

/// The user stopped (`canceled`) or restarted (not) the renewal of their subscription to `plan` in
/// Telegram: recorded on its running periods; false when nothing changed (a repeated update).
pub fn set_renewing(
    conn: &Connection,
    telegram_id: i64,
    plan: &str,
    renewing: bool,
    now: i64,
) -> Result<bool> {
    let n = conn.execute(
        "UPDATE plan_periods SET canceled_at = CASE WHEN ?4 THEN NULL ELSE ?3 END
          WHERE telegram_id = ?1 AND plan = ?2 AND expires_at > ?3 AND refund_state IS NULL
            AND (canceled_at IS NULL) = NOT ?4",
        params![telegram_id, plan, now, renewing],
    )?;
    Ok(n > 0)
}

/// Telegram could not take the renewal payment of `plan`: recorded once on the user's latest
/// period of it (no renewal comes). False when it was recorded before, or there is no such period.
pub fn set_renewal_failed(
    conn: &Connection,
    telegram_id: i64,
    plan: &str,
    now: i64,
) -> Result<bool> {
    let n = conn.execute(
        "UPDATE plan_periods SET renewal_failed_at = ?3, canceled_at = coalesce(canceled_at, ?3)
          WHERE id = (SELECT id FROM plan_periods WHERE telegram_id = ?1 AND plan = ?2
                       ORDER BY expires_at DESC, id DESC LIMIT 1)
            AND renewal_failed_at IS NULL",
        params![telegram_id, plan, now],
    )?;
    Ok(n == 1)
}
