//! `ledger`: the append-only record of every money and free-operation movement.

use super::Store;
use crate::error::Result;
use crate::money::Kopecks;
use rusqlite::{Connection, params};

impl Store {
    /// The newest `limit` ledger rows of a user, for their history.
    pub fn recent_ledger(&self, telegram_id: i64, limit: u32) -> Result<Vec<Row>> {
        self.read(|c| recent(c, telegram_id, limit, 0))
    }

    /// One page of a user's history, newest first, and whether older rows follow.
    pub fn ledger_page(
        &self,
        telegram_id: i64,
        per_page: u32,
        page: u32,
    ) -> Result<(Vec<Row>, bool)> {
        self.read(|c| {
            let mut rows = recent(
                c,
                telegram_id,
                per_page + 1,
                u64::from(page) * u64::from(per_page),
            )?;
            let more = rows.len() > per_page as usize;
            rows.truncate(per_page as usize);
            Ok((rows, more))
        })
    }

    /// Whether a row with this idempotency key exists (`stars:<charge id>`: that payment is credited).
    pub fn has_ledger_key(&self, key: &str) -> Result<bool> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM ledger WHERE idempotency_key = ?1)",
                [key],
                super::only,
            )?)
        })
    }
}

pub use crate::model::LedgerKind as Kind;

/// The ledger's idempotency keys, one function per form: a key names the one event a row records,
/// so the same event arriving twice (a webhook, a rerun, a crash and a retry) finds its row.
pub mod key {
    /// A new user's welcome free operations.
    pub fn signup(telegram_id: i64) -> String {
        format!("signup:{telegram_id}")
    }

    /// A YooKassa top-up's credit.
    pub fn payment(payment_id: &str) -> String {
        format!("payment:{payment_id}")
    }

    /// A Stars top-up's credit, by Telegram's charge id.
    pub fn stars(charge_id: &str) -> String {
        format!("stars:{charge_id}")
    }

    /// The `attempt`-th hold of a top-up's refund (the first keeps 0.2's `refund:<id>`).
    pub fn refund(payment_id: &str, attempt: i64) -> String {
        if attempt <= 1 {
            format!("refund:{payment_id}")
        } else {
            format!("refund:{payment_id}:{attempt}")
        }
    }

    /// Giving back the `attempt`-th refund hold when the provider said no.
    pub fn refund_release(payment_id: &str, attempt: i64) -> String {
        format!("refund-release:{payment_id}:{attempt}")
    }

    /// A paid operation's charge.
    pub fn charge(operation_id: i64) -> String {
        format!("operation:{operation_id}:charge")
    }

    /// A failed operation's refund.
    pub fn operation_refund(operation_id: i64) -> String {
        format!("operation:{operation_id}:refund")
    }

    /// An administrator's credit or debit, under the key its edge chose.
    pub fn adjustment(key: &str) -> String {
        format!("adjustment:{key}")
    }

    /// A promo code's bonus to one user.
    pub fn promo(telegram_id: i64, code: &str) -> String {
        format!("promo:{telegram_id}:{code}")
    }

    /// A referral bonus (`role` is `invitee` or `inviter`), and its taking back after a refund.
    pub fn referral(invitee: i64, role: &str) -> String {
        format!("referral:{invitee}:{role}")
    }

    pub fn referral_back(invitee: i64, role: &str) -> String {
        format!("referral-back:{invitee}:{role}")
    }

    /// The row that pays a debt out of the credit keyed `credit`.
    pub fn debt(credit: &str) -> String {
        format!("{}{credit}", super::DEBT_PREFIX)
    }
}

/// One row to append.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub telegram_id: i64,
    pub kind: Kind,
    pub amount: Kopecks,
    pub free_ops: i64,
    pub key: &'a str,
    pub operation_id: Option<i64>,
    pub payment_id: Option<&'a str>,
    pub reason: Option<&'a str>,
}

/// Appends `entry` and applies its deltas to the user's cached balance and free operations, or does
/// nothing at all when a row with the same idempotency key exists. Returns whether it was appended.
pub fn append(conn: &Connection, entry: &Entry<'_>, now: i64) -> Result<bool> {
    let inserted = conn.execute(
        "INSERT INTO ledger (telegram_id, kind, amount, free_ops, idempotency_key, operation_id, payment_id,
                             reason, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (idempotency_key) DO NOTHING",
        params![
            entry.telegram_id,
            entry.kind,
            entry.amount.0,
            entry.free_ops,
            entry.key,
            entry.operation_id,
            entry.payment_id,
            entry.reason,
            now
        ],
    )?;
    if inserted == 0 {
        return Ok(false);
    }
    super::users::apply_deltas(conn, entry.telegram_id, entry.amount.0, entry.free_ops, now)?;
    if entry.amount.is_positive() {
        pay_debt(conn, entry, now)?;
    }
    Ok(true)
}

/// A credit to a user who owes (a provider refunded a top-up the balance no longer covered) pays
/// the debt first: a row keyed `debt:<the credit's key>` takes what it can, in the same transaction.
fn pay_debt(conn: &Connection, credit: &Entry<'_>, now: i64) -> Result<()> {
    let debt: i64 = conn.query_row(
        "SELECT debt FROM balances WHERE telegram_id = ?1",
        [credit.telegram_id],
        super::only,
    )?;
    let paid = debt.min(credit.amount.0);
    if paid <= 0 {
        return Ok(());
    }
    let key = key::debt(credit.key);
    // A debit: `append` does not come back here for it.
    let appended = append(
        conn,
        &Entry {
            telegram_id: credit.telegram_id,
            kind: Kind::Adjustment,
            amount: Kopecks(-paid),
            free_ops: 0,
            key: &key,
            operation_id: None,
            payment_id: None,
            reason: Some(DEBT_REASON),
        },
        now,
    )?;
    if appended {
        super::users::add_debt(conn, credit.telegram_id, -paid, now)?;
    }
    Ok(())
}

/// The free operations the row with `key` moved (0 when there is none).
pub fn free_ops_of(c: &Connection, key: &str) -> Result<i64> {
    use rusqlite::OptionalExtension;
    Ok(c.query_row(
        "SELECT free_ops FROM ledger WHERE idempotency_key = ?1",
        [key],
        super::only,
    )
    .optional()?
    .unwrap_or(0))
}

/// Records a debt of `amount` (what a refund could not take from the balance).
pub fn add_debt(conn: &Connection, telegram_id: i64, amount: Kopecks, now: i64) -> Result<()> {
    if amount.is_positive() {
        super::users::add_debt(conn, telegram_id, amount.0, now)?;
    }
    Ok(())
}

/// Keys of the rows that pay a debt: `debt:<the key of the credit that paid it>`.
pub const DEBT_PREFIX: &str = "debt:";
/// The reason the history shows for a row that pays a debt.
pub const DEBT_REASON: &str = "debt of a refunded top-up";

/// A ledger row as history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub kind: Kind,
    pub amount: Kopecks,
    pub free_ops: i64,
    pub reason: Option<String>,
    pub created_at: i64,
    /// The mode of the operation a charge or refund belongs to.
    pub mode: Option<String>,
    /// For a top-up: what the payer paid (kopecks, or whole Stars) and through which provider.
    pub paid: Option<(i64, crate::model::Provider)>,
}

impl Row {
    /// The row as a person reads it in their history (the balance screen, the Mini App).
    pub fn line(&self, lang: crate::texts::Lang) -> String {
        crate::texts::ledger_line(
            lang,
            &crate::texts::LedgerLine {
                kind: self.kind,
                amount: self.amount,
                free_ops: self.free_ops,
                reason: self.reason.as_deref(),
                mode: self.mode.as_deref().and_then(|m| m.parse().ok()),
                paid: self.paid,
                when: &crate::time::day_and_time(self.created_at),
            },
        )
    }
}

pub fn recent(conn: &Connection, telegram_id: i64, limit: u32, offset: u64) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(
        "SELECT l.kind, l.amount, l.free_ops, l.reason, l.created_at, o.mode,
                p.charge_amount AS paid, p.provider AS provider FROM ledger l
           LEFT JOIN operations o ON o.id = l.operation_id
           LEFT JOIN payments p ON p.id = l.payment_id AND l.kind = 'topup'
          WHERE l.telegram_id = ?1
            -- A signup that granted nothing (FREE_OPERATIONS_COUNT=0) is a key, not news.
            AND NOT (l.kind = 'signup' AND l.amount = 0 AND l.free_ops = 0)
          ORDER BY l.id DESC LIMIT ?2 OFFSET ?3",
    )?;
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let rows = stmt.query_map(params![telegram_id, limit, offset], |r| {
        Ok(Row {
            kind: r.get("kind")?,
            amount: Kopecks(r.get("amount")?),
            free_ops: r.get("free_ops")?,
            reason: r.get("reason")?,
            created_at: r.get("created_at")?,
            mode: r.get("mode")?,
            paid: match (r.get::<_, Option<i64>>("paid")?, r.get("provider")?) {
                (Some(paid), Some(provider)) => Some((paid, provider)),
                _ => None,
            },
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every breach of the books' invariants (SPEC §4), one sentence each. Empty means the books hold.
pub fn breaches(conn: &Connection) -> Result<Vec<String>> {
    // Each query returns one sentence per offending row.
    const CHECKS: &[&str] = &[
        "SELECT 'user ' || u.telegram_id || ': balance ' || b.kopecks || ' kopecks but the ledger sums to '
                || coalesce(l.s, 0)
           FROM users u JOIN balances b ON b.telegram_id = u.telegram_id
           LEFT JOIN (SELECT telegram_id, sum(amount) s FROM ledger GROUP BY telegram_id) l
             ON l.telegram_id = u.telegram_id
          WHERE b.kopecks != coalesce(l.s, 0)",
        "SELECT 'user ' || u.telegram_id || ': ' || u.free_operations_left
                || ' free operations but the ledger sums to ' || coalesce(l.s, 0)
           FROM users u
           LEFT JOIN (SELECT telegram_id, sum(free_ops) s FROM ledger GROUP BY telegram_id) l
             ON l.telegram_id = u.telegram_id
          WHERE u.free_operations_left != coalesce(l.s, 0)",
        "SELECT 'user ' || telegram_id || ': negative balance ' || kopecks FROM balances WHERE kopecks < 0",
        "SELECT 'user ' || telegram_id || ': negative free operations' FROM users WHERE free_operations_left < 0",
        // A debt is what refunds could not take, less what later credits paid of it.
        "SELECT 'user ' || b.telegram_id || ': debt ' || b.debt || ' kopecks but refunds left '
                || (coalesce(p.s, 0) + coalesce(l.s, 0))
           FROM balances b
           LEFT JOIN (SELECT telegram_id, sum(refund_shortfall) s FROM payments GROUP BY telegram_id) p
             ON p.telegram_id = b.telegram_id
           LEFT JOIN (SELECT telegram_id, sum(amount) s FROM ledger WHERE idempotency_key LIKE 'debt:%'
                       GROUP BY telegram_id) l ON l.telegram_id = b.telegram_id
          WHERE b.debt != coalesce(p.s, 0) + coalesce(l.s, 0) OR b.debt < 0",
        // A refund takes back the credit once: held or done, its rows sum to the credit less any
        // shortfall; released or never asked, to nothing.
        "SELECT 'payment ' || p.id || ': refund rows sum to ' || coalesce(l.s, 0) || ' with refund state '
                || coalesce(p.refund_state, 'none')
           FROM payments p
           LEFT JOIN (SELECT payment_id, sum(amount) s FROM ledger
                       WHERE idempotency_key LIKE 'refund:%' OR idempotency_key LIKE 'refund-release:%'
                       GROUP BY payment_id) l ON l.payment_id = p.id
          WHERE coalesce(l.s, 0) != CASE WHEN p.refund_state IS NULL THEN 0
                                         ELSE p.refund_shortfall - p.amount END",
        "SELECT 'user ' || telegram_id || ': no balance row' FROM users
          WHERE telegram_id NOT IN (SELECT telegram_id FROM balances)",
        // A payment is credited at most once, only when succeeded, and exactly its amount.
        "SELECT 'payment ' || payment_id || ': credited ' || count(*) || ' times'
           FROM ledger WHERE kind = 'topup' GROUP BY payment_id HAVING count(*) > 1",
        "SELECT 'payment ' || p.id || ': credited ' || l.amount || ' but its amount is ' || p.amount
                || ' and its status ' || p.status
           FROM ledger l JOIN payments p ON p.id = l.payment_id
          WHERE l.kind = 'topup' AND (l.amount != p.amount OR p.status != 'succeeded'
                OR l.telegram_id != p.telegram_id)",
        "SELECT 'payment ' || id || ': succeeded but never credited' FROM payments
          WHERE status = 'succeeded' AND id NOT IN (SELECT payment_id FROM ledger
                                                     WHERE kind = 'topup' AND payment_id IS NOT NULL)",
        // A discount is given at most once per user per code and at most max-uses times in all.
        "SELECT 'code ' || discount_code || ': discounted ' || count(*) || ' top-ups of user ' || telegram_id
           FROM payments WHERE discount_code IS NOT NULL AND status = 'succeeded'
          GROUP BY telegram_id, discount_code HAVING count(*) > 1",
        "SELECT 'code ' || p.discount_code || ': discounted ' || count(*) || ' top-ups, max uses ' || c.max_uses
           FROM payments p JOIN discount_codes c ON c.code = p.discount_code
          WHERE p.status = 'succeeded' AND c.max_uses IS NOT NULL
          GROUP BY p.discount_code HAVING count(*) > c.max_uses",
        // An operation is charged exactly once, refunded at most once, never both settled and refunded,
        // and a refund returns exactly what the charge took.
        "SELECT 'operation ' || o.id || ': ' || count(l.id) || ' charge rows'
           FROM operations o LEFT JOIN ledger l ON l.operation_id = o.id AND l.kind = 'charge'
          GROUP BY o.id HAVING count(l.id) != 1",
        "SELECT 'operation ' || operation_id || ': refunded ' || count(*) || ' times'
           FROM ledger WHERE kind = 'refund' GROUP BY operation_id HAVING count(*) > 1",
        "SELECT 'operation ' || o.id || ': status ' || o.status || ' with ' || count(l.id) || ' refund rows'
           FROM operations o LEFT JOIN ledger l ON l.operation_id = o.id AND l.kind = 'refund'
          GROUP BY o.id HAVING (o.status = 'refunded') != (count(l.id) = 1)",
        "SELECT 'operation ' || o.id || ': refund does not mirror its charge'
           FROM operations o
           JOIN ledger c ON c.operation_id = o.id AND c.kind = 'charge'
           JOIN ledger r ON r.operation_id = o.id AND r.kind = 'refund'
          WHERE r.amount != -c.amount OR r.free_ops != -c.free_ops OR r.telegram_id != c.telegram_id",
        "SELECT 'operation ' || o.id || ': charge does not match its price or payer'
           FROM operations o JOIN ledger c ON c.operation_id = o.id AND c.kind = 'charge'
          WHERE c.amount != -o.price OR c.telegram_id != o.telegram_id
             OR c.free_ops != (CASE o.paid_with WHEN 'free_operation' THEN -1 ELSE 0 END)",
    ];
    sentences(conn, CHECKS)
}

/// Things that are not breaches but need the operator, one sentence each with the ids to look at:
/// payments YooKassa reported with another amount (not credited), payments stuck before or after
/// YooKassa, operations left charged, and notifications not processed.
pub fn attention(conn: &Connection) -> Result<Vec<String>> {
    sentences(
        conn,
        &[
            "SELECT 'payment ' || id || ' (YooKassa ' || coalesce(yookassa_id, '?') || ', user ' || telegram_id
                  || '): YooKassa reported an amount or currency different from ' || charge_amount
                  || ' kopecks; not credited. Check it in the YooKassa dashboard and settle it with `user credit`.'
             FROM payments WHERE status = 'mismatch'",
            // The sweeper re-sends the create after two minutes; ten minutes means it cannot.
            "SELECT 'payment ' || id || ' (user ' || telegram_id || '): created ' || ((unixepoch() - created_at) / 60)
                  || ' min ago but YooKassa''s id was never recorded; the processor keeps asking YooKassa by its key'
             FROM payments WHERE status = 'created' AND provider = 'yookassa' AND created_at < unixepoch() - 600",
            "SELECT 'payment ' || id || ' (YooKassa ' || coalesce(yookassa_id, '?') || ', user ' || telegram_id
                  || '): still ' || status || ' after ' || ((unixepoch() - created_at) / 3600)
                  || ' h; no longer checked. Look it up in the YooKassa dashboard.'
             FROM payments WHERE status IN ('pending', 'waiting_for_capture') AND created_at < unixepoch() - 86400",
            "SELECT 'operation ' || o.id || ' (job ' || j.id || ', user ' || o.telegram_id || '): still charged while its job is '
                  || j.status || '; the worker''s sweeper finishes it while `run` is running'
             FROM operations o JOIN jobs j ON j.operation_id = o.id
            WHERE o.status = 'charged'
              AND (j.status IN ('done', 'failed')
                   OR (j.status != 'delivering' AND j.deadline_at < unixepoch() - 600)
                   OR (j.status = 'delivering' AND coalesce(j.delivery_deadline_at, 0) < unixepoch() - 600))",
            "SELECT 'user ' || telegram_id || ': owes ' || printf('%.2f', debt / 100.0)
                  || ' ₽ of a refunded top-up the balance no longer covered; their next credits pay it first'
             FROM balances WHERE debt > 0",
            // Held since its hold row (each check moves updated_at, so that cannot say it).
            "SELECT 'payment ' || p.id || ' (user ' || p.telegram_id || '): refund held for '
                  || ((unixepoch() - h.at) / 60) || ' min, the provider has not finished it; '
                  || 'the running bot keeps asking (or run `media-lab reconcile`)'
             FROM payments p
             JOIN (SELECT payment_id, max(created_at) at FROM ledger
                    WHERE idempotency_key LIKE 'refund:%' GROUP BY payment_id) h ON h.payment_id = p.id
            WHERE p.refund_state = 'refunding' AND h.at < unixepoch() - 600",
            "SELECT 'notification ' || id || ' (YooKassa ' || yookassa_id || ', ' || event || '): not processed for '
                  || ((unixepoch() - received_at) / 60) || ' min; the processor retries it while `run` is running'
             FROM payment_notifications WHERE processed_at IS NULL AND received_at < unixepoch() - 600",
        ],
    )
}

fn sentences(conn: &Connection, queries: &[&str]) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for sql in queries {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], super::only::<String>)?;
        for row in rows {
            out.push(row?);
        }
    }
    Ok(out)
}
