//! `payments`: top-ups, from our draft to YooKassa's final word.

use super::Store;
use crate::error::Result;
use crate::model::PaymentEvent;
pub use crate::model::RefundState;
use crate::model::{PaymentStatus, Provider};
use crate::money::Kopecks;
use crate::time::now;
use rusqlite::{Connection, OptionalExtension, Row, params};

/// The payment operations the payments edge names; each is one transaction or one read.
/// A payment's events, oldest first: (unix time, what happened).
pub type Story = Vec<(i64, PaymentEvent)>;

impl Store {
    pub fn payment(&self, id: &str) -> Result<Option<Payment>> {
        self.read(|c| get(c, id))
    }

    /// A payment by any of its ids (ours, YooKassa's, Telegram's charge id) with its whole story,
    /// oldest event first.
    pub fn payment_story(&self, any_id: &str) -> Result<Option<(Payment, Story)>> {
        self.read(|c| match find(c, any_id)? {
            Some(p) => {
                let events = story(c, &p)?;
                Ok(Some((p, events)))
            }
            None => Ok(None),
        })
    }

    /// Payments newest first, filtered by user, status and creation time.
    pub fn list_payments(
        &self,
        telegram_id: Option<i64>,
        status: Option<&str>,
        since: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Payment>> {
        self.read(|c| list(c, telegram_id, status, since, limit))
    }

    /// When the payment was refunded, if it was.
    pub fn refunded_at(&self, id: &str) -> Result<Option<i64>> {
        self.read(|c| refunded_at(c, id))
    }

    /// A `refund.*` notification names this refund: its payment is asked about at once.
    pub fn refund_check_now(&self, refund_id: &str) -> Result<Option<String>> {
        self.write(|tx| refund_check_now(tx, refund_id, now()))
    }

    /// A payment by our id, YooKassa's id or Telegram's charge id.
    pub fn find_payment(&self, any_id: &str) -> Result<Option<Payment>> {
        self.read(|c| find(c, any_id))
    }

    pub fn payment_by_yookassa_id(&self, yookassa_id: &str) -> Result<Option<Payment>> {
        self.read(|c| by_yookassa_id(c, yookassa_id))
    }

    /// Saves the exact create request before it is sent, so it can be re-sent with its key.
    pub fn save_create_request(&self, id: &str, body: &str) -> Result<()> {
        self.write(|tx| set_create_request(tx, id, body, now()))
    }

    /// The provider made the payment: its id and pay link recorded, status `pending` (only billing
    /// moves a payment to a final status).
    pub fn record_created(
        &self,
        id: &str,
        yookassa_id: &str,
        confirmation_url: Option<&str>,
        next_check_at: i64,
    ) -> Result<()> {
        self.write(|tx| {
            set_created(
                tx,
                id,
                yookassa_id,
                confirmation_url,
                "pending",
                next_check_at,
                now(),
            )
        })
    }

    /// The reconciler's next question about a payment that is still not final.
    pub fn schedule_next_check(&self, id: &str, next_check_at: Option<i64>) -> Result<()> {
        self.write(|tx| match get(tx, id)? {
            Some(p) if !p.is_final() => schedule_check(tx, id, next_check_at, now()),
            _ => Ok(()),
        })
    }

    pub fn payments_due(&self, limit: u32) -> Result<Vec<Due>> {
        self.read(|c| due(c, now(), limit))
    }

    pub fn stuck_created_payments(
        &self,
        older_than: i64,
        newer_than: i64,
        limit: u32,
    ) -> Result<Vec<(Payment, Option<String>)>> {
        self.read(|c| stuck_created(c, older_than, newer_than, limit))
    }

    pub fn abandoned_created_payments(&self, before: i64) -> Result<Vec<String>> {
        self.read(|c| abandoned_created(c, before))
    }

    /// This user's YooKassa top-ups created at YooKassa, not final, made since `since`: the ones a
    /// payer may still be paying (newest first).
    pub fn unpaid_payments(&self, telegram_id: i64, since: i64) -> Result<Vec<Payment>> {
        self.read(|c| {
            Ok(recent(c, telegram_id, 20)?
                .into_iter()
                .filter(|p| {
                    p.provider == Provider::YooKassa
                        && !p.is_final()
                        && p.yookassa_id.is_some()
                        && p.confirmation_url.is_some()
                        && p.created_at >= since
                })
                .collect())
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Ours; the Idempotence-Key sent to YooKassa.
    pub id: String,
    pub telegram_id: i64,
    /// What is credited on success.
    pub amount: Kopecks,
    /// What the payer pays (the amount less any discount).
    pub charge_amount: Kopecks,
    pub currency: String,
    pub discount_code: Option<String>,
    pub discount_percent: u8,
    pub yookassa_id: Option<String>,
    pub confirmation_url: Option<String>,
    pub status: PaymentStatus,
    pub created_at: i64,
    pub provider: Provider,
    /// Telegram's charge id of a paid Stars payment.
    pub charge_id: Option<String>,
    /// Where a refund of this top-up stands.
    pub refund: Refund,
}

/// A top-up's refund (SPEC §4): held while the provider is asked, then done or released.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refund {
    pub state: Option<RefundState>,
    /// The provider's refund id (YooKassa), followed while pending.
    pub provider_id: Option<String>,
    /// Holds taken so far: each has its own ledger keys.
    pub attempts: i64,
    /// What a refund the provider made on its own could not take from the balance (a debt).
    pub shortfall: Kopecks,
}

impl Payment {
    /// A new row, `created`, with no discount and nothing yet from the provider: the one shape every
    /// draft (and every payment recorded after its draft was lost) starts from.
    pub fn created(
        id: String,
        telegram_id: i64,
        provider: Provider,
        credit: Kopecks,
        charge: Kopecks,
        currency: &str,
        now: i64,
    ) -> Payment {
        Payment {
            id,
            telegram_id,
            amount: credit,
            charge_amount: charge,
            currency: currency.to_string(),
            discount_code: None,
            discount_percent: 0,
            yookassa_id: None,
            confirmation_url: None,
            status: PaymentStatus::Created,
            created_at: now,
            provider,
            charge_id: None,
            refund: Refund::default(),
        }
    }

    /// succeeded, canceled and mismatch never change again.
    pub fn is_final(&self) -> bool {
        self.status.is_final()
    }
}

const COLUMNS: &str =
    "id, telegram_id, amount, charge_amount, currency, discount_code, discount_percent,
        yookassa_id, confirmation_url, status, created_at, provider, charge_id,
        refund_state, refund_id, refund_attempts, refund_shortfall";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Payment> {
    Ok(Payment {
        id: r.get("id")?,
        telegram_id: r.get("telegram_id")?,
        amount: Kopecks(r.get("amount")?),
        charge_amount: Kopecks(r.get("charge_amount")?),
        currency: r.get("currency")?,
        discount_code: r.get("discount_code")?,
        discount_percent: r.get("discount_percent")?,
        yookassa_id: r.get("yookassa_id")?,
        confirmation_url: r.get("confirmation_url")?,
        status: r.get("status")?,
        created_at: r.get("created_at")?,
        provider: r.get("provider")?,
        charge_id: r.get("charge_id")?,
        refund: Refund {
            state: r.get("refund_state")?,
            provider_id: r.get("refund_id")?,
            attempts: r.get("refund_attempts")?,
            shortfall: Kopecks(r.get("refund_shortfall")?),
        },
    })
}

pub fn insert(conn: &Connection, p: &Payment, now: i64) -> Result<()> {
    conn.execute(
        "INSERT INTO payments (id, telegram_id, amount, charge_amount, currency, discount_code, discount_percent,
                               status, created_at, updated_at, provider, charge_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11)",
        params![
            p.id,
            p.telegram_id,
            p.amount.0,
            p.charge_amount.0,
            p.currency,
            p.discount_code,
            p.discount_percent,
            p.status,
            now,
            p.provider,
            p.charge_id
        ],
    )?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<Payment>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM payments WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?)
}

pub fn by_yookassa_id(conn: &Connection, yookassa_id: &str) -> Result<Option<Payment>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM payments WHERE yookassa_id = ?1"),
            [yookassa_id],
            from_row,
        )
        .optional()?)
}

/// Moves a payment that is not final yet to `status`; false when it already was final, so a final
/// status never moves back.
pub fn set_status(conn: &Connection, id: &str, status: PaymentStatus, now: i64) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE payments SET status = ?2, updated_at = ?3,
                next_check_at = CASE WHEN ?2 IN ('succeeded', 'canceled', 'mismatch') THEN NULL ELSE next_check_at END
          WHERE id = ?1 AND status NOT IN ('succeeded', 'canceled', 'mismatch')",
        params![id, status, now],
    )? == 1)
}

/// Records YooKassa's id and confirmation URL for our payment once it is created there.
pub fn set_created(
    conn: &Connection,
    id: &str,
    yookassa_id: &str,
    confirmation_url: Option<&str>,
    status: &str,
    next_check_at: i64,
    now: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE payments SET yookassa_id = ?2, confirmation_url = ?3, status = ?4, next_check_at = ?5,
                updated_at = ?6
          WHERE id = ?1 AND status = 'created'",
        params![id, yookassa_id, confirmation_url, status, next_check_at, now],
    )?;
    Ok(())
}

pub fn recent(conn: &Connection, telegram_id: i64, limit: u32) -> Result<Vec<Payment>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM payments WHERE telegram_id = ?1 ORDER BY created_at DESC, rowid DESC LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![telegram_id, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A payment the reconciler should ask YooKassa about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub payment: Payment,
    pub check_attempts: i64,
}

/// Non-final payments whose next check is due.
pub fn due(conn: &Connection, now: i64, limit: u32) -> Result<Vec<Due>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, check_attempts FROM payments
          WHERE next_check_at IS NOT NULL AND next_check_at <= ?1
            AND status IN ('created', 'pending', 'waiting_for_capture')
          ORDER BY next_check_at LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![now, limit], |r| {
        Ok(Due {
            payment: from_row(r)?,
            check_attempts: r.get("check_attempts")?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Schedules the next check (None: stop checking) and counts the attempt.
pub fn schedule_check(
    conn: &Connection,
    id: &str,
    next_check_at: Option<i64>,
    now: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE payments SET next_check_at = ?2, check_attempts = check_attempts + 1, updated_at = ?3 WHERE id = ?1",
        params![id, next_check_at, now],
    )?;
    Ok(())
}

/// Saves the exact create request before it is sent (see `create_request` in the schema).
pub fn set_create_request(conn: &Connection, id: &str, body: &str, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE payments SET create_request = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, body, now],
    )?;
    Ok(())
}

/// Payments still `created` (we never learned the provider's id) between `older_than` and
/// `newer_than`, with the request that created them.
pub fn stuck_created(
    conn: &Connection,
    older_than: i64,
    newer_than: i64,
    limit: u32,
) -> Result<Vec<(Payment, Option<String>)>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS}, create_request FROM payments
          WHERE status = 'created' AND provider = 'yookassa' AND created_at <= ?1 AND created_at > ?2
          ORDER BY created_at LIMIT ?3"
    ))?;
    let rows = stmt.query_map(params![older_than, newer_than, limit], |r| {
        Ok((from_row(r)?, r.get("create_request")?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Ids of payments still `created` that were made before `before`: past YooKassa's 24-hour
/// idempotence window, so they can no longer be asked about by their key.
pub fn abandoned_created(conn: &Connection, before: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM payments WHERE status = 'created' AND created_at <= ?1 ORDER BY created_at LIMIT 64",
    )?;
    let rows = stmt.query_map([before], super::only)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A Stars payment Telegram says was paid: succeeded with its charge id, whatever its draft's state
/// (the Stars are taken; see `Billing::credit_stars`).
pub fn set_paid_by_charge(conn: &Connection, id: &str, charge_id: &str, now: i64) -> Result<()> {
    conn.execute(
        "UPDATE payments SET status = 'succeeded', charge_id = ?2, next_check_at = NULL, updated_at = ?3
          WHERE id = ?1",
        params![id, charge_id, now],
    )?;
    Ok(())
}

/// Ids of Stars invoices never paid, made before `before`.
pub fn unpaid_stars(conn: &Connection, before: i64) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM payments WHERE provider = 'stars' AND status = 'created' AND created_at <= ?1
          ORDER BY created_at LIMIT 256",
    )?;
    let rows = stmt.query_map([before], super::only)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn by_charge_id(conn: &Connection, charge_id: &str) -> Result<Option<Payment>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM payments WHERE charge_id = ?1"),
            [charge_id],
            from_row,
        )
        .optional()?)
}

/// Records that a credited payment was given back; false if it already was.
/// Takes the `attempt`-th hold of a refund: `refunding`, checked again at `check_at`. False when a
/// refund is already held or done (two refunds of one payment are one).
pub fn hold_refund(
    conn: &Connection,
    id: &str,
    attempt: i64,
    check_at: i64,
    now: i64,
) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE payments SET refund_state = 'refunding', refund_attempts = ?2, refund_check_at = ?3,
                updated_at = ?4
          WHERE id = ?1 AND refund_state IS NULL",
        params![id, attempt, check_at, now],
    )? == 1)
}

/// The refund is done: `refunded`, with the provider's refund id when known and what the balance
/// could not cover. False when it was done before.
pub fn set_refunded(
    conn: &Connection,
    id: &str,
    refund_id: Option<&str>,
    shortfall: Kopecks,
    now: i64,
) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE payments SET refund_state = 'refunded', refunded_at = ?2, updated_at = ?2,
                refund_id = coalesce(?3, refund_id), refund_shortfall = ?4, refund_check_at = NULL
          WHERE id = ?1 AND refund_state IS NOT 'refunded'",
        params![id, now, refund_id, shortfall.0],
    )? == 1)
}

/// The provider said no: the hold is gone, the payment may be refunded again later.
pub fn clear_refund(conn: &Connection, id: &str, now: i64) -> Result<bool> {
    Ok(conn.execute(
        "UPDATE payments SET refund_state = NULL, refund_check_at = NULL, updated_at = ?2
          WHERE id = ?1 AND refund_state = 'refunding'",
        params![id, now],
    )? == 1)
}

/// A held refund's provider id (once the provider made it) and its next check.
pub fn follow_refund(
    conn: &Connection,
    id: &str,
    refund_id: Option<&str>,
    check_at: i64,
    now: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE payments SET refund_id = coalesce(?2, refund_id), refund_check_at = ?3, updated_at = ?4
          WHERE id = ?1 AND refund_state = 'refunding'",
        params![id, refund_id, check_at, now],
    )?;
    Ok(())
}

/// Held refunds whose next check is due (provider answer pending or unknown).
pub fn refunds_due(conn: &Connection, now: i64, limit: u32) -> Result<Vec<Payment>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM payments
          WHERE refund_state = 'refunding' AND coalesce(refund_check_at, 0) <= ?1
          ORDER BY refund_check_at LIMIT ?2"
    ))?;
    let rows = stmt.query_map(params![now, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Brings a held refund's next check forward (a `refund.*` notification names it). Returns its
/// payment's id when there is one.
pub fn refund_check_now(conn: &Connection, refund_id: &str, now: i64) -> Result<Option<String>> {
    Ok(conn
        .query_row(
            "UPDATE payments SET refund_check_at = ?2
              WHERE refund_id = ?1 AND refund_state = 'refunding' RETURNING id",
            params![refund_id, now],
            super::only,
        )
        .optional()?)
}

pub fn refunded_at(conn: &Connection, id: &str) -> Result<Option<i64>> {
    Ok(conn
        .query_row(
            "SELECT refunded_at FROM payments WHERE id = ?1",
            [id],
            super::only,
        )
        .optional()?
        .flatten())
}

/// A payment by our id, YooKassa's id or Telegram's charge id.
pub fn find(conn: &Connection, any_id: &str) -> Result<Option<Payment>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM payments WHERE id = ?1 OR yookassa_id = ?1 OR charge_id = ?1 LIMIT 1"
            ),
            [any_id],
            from_row,
        )
        .optional()?)
}

/// Payments newest first, filtered by user, status and creation time.
pub fn list(
    conn: &Connection,
    telegram_id: Option<i64>,
    status: Option<&str>,
    since: Option<i64>,
    limit: u32,
) -> Result<Vec<Payment>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM payments
          WHERE (?1 IS NULL OR telegram_id = ?1) AND (?2 IS NULL OR status = ?2)
            AND (?3 IS NULL OR created_at >= ?3)
          ORDER BY created_at DESC, rowid DESC LIMIT ?4"
    ))?;
    let rows = stmt.query_map(params![telegram_id, status, since, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A payment's story, oldest first: its draft, the notifications about it, its ledger rows, its
/// refund — each as (unix time, what).
pub fn story(conn: &Connection, p: &Payment) -> Result<Story> {
    let mut events = vec![(
        p.created_at,
        PaymentEvent::Draft {
            credit: p.amount,
            paid: p.charge_amount.0,
            currency: p.currency.clone(),
        },
    )];
    if let Some(yk) = &p.yookassa_id {
        let mut stmt = conn.prepare(
            "SELECT received_at, event, processed_at, outcome FROM payment_notifications
              WHERE yookassa_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([yk], |r| {
            Ok((
                r.get::<_, i64>("received_at")?,
                r.get::<_, String>("event")?,
                r.get::<_, Option<i64>>("processed_at")?,
                r.get::<_, Option<String>>("outcome")?,
            ))
        })?;
        for row in rows {
            let (at, event, processed, outcome) = row?;
            events.push((at, PaymentEvent::Notification(event)));
            if let Some(done) = processed {
                events.push((done, PaymentEvent::Checked(outcome.unwrap_or_default())));
            }
        }
    }
    let mut stmt = conn.prepare(
        "SELECT created_at, kind, amount, idempotency_key FROM ledger WHERE payment_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([&p.id], |r| {
        Ok((
            r.get::<_, i64>("created_at")?,
            r.get::<_, String>("kind")?,
            Kopecks(r.get("amount")?),
            r.get::<_, String>("idempotency_key")?,
        ))
    })?;
    for row in rows {
        let (at, kind, amount, key) = row?;
        events.push((at, PaymentEvent::Ledger { kind, amount, key }));
    }
    if let Some(at) = refunded_at(conn, &p.id)? {
        events.push((at, PaymentEvent::Refunded));
    }
    events.sort_by_key(|(at, _)| *at);
    Ok(events)
}

/// What the payer pays, as text: kopecks as roubles, Stars as a whole number.
pub fn price_text(p: &Payment) -> String {
    PaymentEvent::paid_text(p.charge_amount.0, &p.currency)
}
