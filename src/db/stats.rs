//! Aggregates for `stats`, `/stats` and `/metrics`.

use super::{LocalClock, Store};
use crate::error::Result;
use rusqlite::Connection;

impl Store {
    pub fn stats(&self) -> Result<Stats> {
        self.read(collect)
    }

    /// Whether the database answers a query (for /healthz).
    pub fn answers(&self) -> Result<()> {
        self.read(|c| {
            Ok(c.query_row("SELECT 1", [], super::only::<i64>)
                .map(|_| ())?)
        })
    }
}
use serde::Serialize;

/// Every cost fal charged us, one row each with its time: done operations' jobs and every answered
/// language-model call (✍️'s, 🤖's and translations; a ✍️ call is its operation's cost).
pub(super) const COSTS: &str = "SELECT o.created_at AS created_at, j.cost AS cost
                       FROM operations o JOIN jobs j ON j.operation_id = o.id WHERE o.status = 'settled'
                     UNION ALL
                     SELECT created_at, cost FROM words WHERE answer IS NOT NULL";

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Stats {
    pub users: i64,
    pub users_with_free_access: i64,
    /// Sum of all balances, kopecks.
    pub balances_kopecks: i64,
    pub payments: Vec<PaymentRow>,
    /// What payers paid in roubles for succeeded payments, kopecks.
    pub revenue_kopecks: i64,
    /// What payers paid in Telegram Stars for succeeded payments.
    pub revenue_stars: i64,
    /// What was credited for them, kopecks.
    pub credited_kopecks: i64,
    pub operations: Vec<OperationRow>,
    pub jobs_in_flight: i64,
    /// Users who came through an invite link, and how many of them topped up (the bonus given).
    pub referrals: i64,
    pub referrals_converted: i64,
    /// Money credited that nobody paid for (admin credits, codes), kopecks: not revenue.
    pub free_credits_kopecks: i64,
    /// Stars paid for plan periods (PLANS), and how many periods were paid.
    pub plan_stars: i64,
    pub plan_periods: i64,
    /// Free operations given, by where they came from (`signup`, `code`, `referral`,
    /// `adjustment`): credits that cost nothing.
    pub free_ops_granted: Vec<(String, i64)>,
    /// Done operations by how they were paid (`balance`, `free_operation`, `free_access`, `plan`).
    pub done_by_payment: Vec<(String, i64)>,
    /// Done operations by mode and model: what they took from balances, what fal charged us.
    pub by_model: Vec<ModelRow>,
    /// The same summed per mode.
    pub by_mode: Vec<ModelRow>,
    /// Taken from balances for done operations, fal's cost of everything, and the difference.
    pub operations_revenue_kopecks: i64,
    pub cost_kopecks: i64,
    pub margin_kopecks: i64,
}

impl Stats {
    /// Free operations given from every source.
    pub fn free_ops_given(&self) -> i64 {
        self.free_ops_granted.iter().map(|(_, n)| n).sum()
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ModelRow {
    /// A mode's name, `prompt` (✍️), or a free language-model use: `assistant` (🤖), `translate`.
    pub mode: String,
    /// The catalogue's label ("" for jobs from before the catalogue).
    pub model: String,
    pub operations: i64,
    /// Kopecks taken from balances for them (free and free-access operations take none).
    pub revenue_kopecks: i64,
    /// What fal charged, kopecks at FAL_USD_RUB when each job was charged.
    pub cost_kopecks: i64,
    pub margin_kopecks: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PaymentRow {
    /// `yookassa` or `stars`.
    pub provider: String,
    pub status: String,
    pub count: i64,
    pub amount_kopecks: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OperationRow {
    pub mode: String,
    pub status: String,
    pub count: i64,
}

pub fn collect(conn: &Connection) -> Result<Stats> {
    let one = |sql: &str| conn.query_row(sql, [], super::only::<i64>);
    let mut stmt = conn.prepare(
        "SELECT provider, status, count(*) AS count, coalesce(sum(amount), 0) AS amount_kopecks FROM payments
          GROUP BY provider, status ORDER BY provider, status",
    )?;
    let payments = stmt
        .query_map([], |r| {
            Ok(PaymentRow {
                provider: r.get("provider")?,
                status: r.get("status")?,
                count: r.get("count")?,
                amount_kopecks: r.get("amount_kopecks")?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(
        "SELECT mode, status, count(*) AS count FROM operations GROUP BY mode, status ORDER BY mode, status",
    )?;
    let operations = stmt
        .query_map([], |r| {
            Ok(OperationRow {
                mode: r.get("mode")?,
                status: r.get("status")?,
                count: r.get("count")?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(
        "SELECT o.mode AS mode, coalesce(j.model_label, w.model, '') AS label, count(*) AS operations,
                coalesce(sum(o.price), 0) AS revenue,
                coalesce(sum(j.cost), 0) + coalesce(sum(w.cost), 0) AS cost
           FROM operations o LEFT JOIN jobs j ON j.operation_id = o.id
                LEFT JOIN words w ON w.operation_id = o.id
          WHERE o.status = 'settled'
          GROUP BY o.mode, label
         UNION ALL
         SELECT kind, model, count(*), 0, coalesce(sum(cost), 0) FROM words
          WHERE kind IN ('assistant', 'translate') AND answer IS NOT NULL GROUP BY kind, model
          ORDER BY 1, 2",
    )?;
    let by_model: Vec<ModelRow> = stmt
        .query_map([], |r| {
            let (revenue, cost): (i64, i64) = (r.get("revenue")?, r.get("cost")?);
            Ok(ModelRow {
                mode: r.get("mode")?,
                model: r.get("label")?,
                operations: r.get("operations")?,
                revenue_kopecks: revenue,
                cost_kopecks: cost,
                margin_kopecks: revenue - cost,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut by_mode: Vec<ModelRow> = Vec::new();
    for m in &by_model {
        match by_mode.iter_mut().find(|x| x.mode == m.mode) {
            Some(x) => {
                x.operations += m.operations;
                x.revenue_kopecks += m.revenue_kopecks;
                x.cost_kopecks += m.cost_kopecks;
                x.margin_kopecks += m.margin_kopecks;
            }
            None => by_mode.push(ModelRow {
                model: String::new(),
                ..m.clone()
            }),
        }
    }
    let pairs = |sql: &str| -> Result<Vec<(String, i64)>> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| Ok((r.get("what")?, r.get("n")?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    };
    let operations_revenue_kopecks = by_model.iter().map(|m| m.revenue_kopecks).sum::<i64>();
    let cost_kopecks = one(&format!("SELECT coalesce(sum(cost), 0) FROM ({COSTS})"))?;
    Ok(Stats {
        free_credits_kopecks: one("SELECT coalesce(sum(amount), 0) FROM ledger
              WHERE kind IN ('adjustment', 'promo') AND amount > 0")?,
        plan_stars: one(
            "SELECT coalesce(sum(stars), 0) FROM plan_periods WHERE refunded_at IS NULL",
        )?,
        plan_periods: one("SELECT count(*) FROM plan_periods WHERE refunded_at IS NULL")?,
        free_ops_granted: pairs(
            "SELECT CASE WHEN kind = 'promo' AND reason = 'referral' THEN 'referral'
                         WHEN kind = 'promo' THEN 'code' ELSE kind END AS what, sum(free_ops) AS n
               FROM ledger WHERE free_ops > 0 AND kind IN ('signup', 'promo', 'adjustment')
              GROUP BY 1 ORDER BY 1",
        )?,
        done_by_payment: pairs(
            "SELECT paid_with AS what, count(*) AS n FROM operations WHERE status = 'settled'
              GROUP BY 1 ORDER BY 1",
        )?,
        by_model,
        by_mode,
        operations_revenue_kopecks,
        cost_kopecks,
        margin_kopecks: operations_revenue_kopecks - cost_kopecks,
        users: one("SELECT count(*) FROM users")?,
        users_with_free_access: one("SELECT count(*) FROM users WHERE has_free_access")?,
        balances_kopecks: one("SELECT coalesce(sum(kopecks), 0) FROM balances")?,
        payments,
        revenue_kopecks: one("SELECT coalesce(sum(charge_amount), 0) FROM payments
              WHERE status = 'succeeded' AND currency != 'XTR' AND refunded_at IS NULL")?,
        revenue_stars: one("SELECT coalesce(sum(charge_amount), 0) FROM payments
              WHERE status = 'succeeded' AND currency = 'XTR' AND refunded_at IS NULL")?,
        credited_kopecks: one("SELECT coalesce(sum(amount), 0) FROM ledger WHERE kind = 'topup'")?,
        operations,
        jobs_in_flight: one("SELECT count(*) FROM jobs WHERE status NOT IN ('done', 'failed')")?,
        referrals: one("SELECT count(*) FROM referrals")?,
        referrals_converted: one("SELECT count(*) FROM referrals WHERE rewarded_at IS NOT NULL")?,
    })
}

/// One day of the business, for the chart: top-ups credited by provider, paid operations by mode,
/// new users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Day {
    /// Days since the epoch on TIME_ZONE's clock.
    pub day: i64,
    pub yookassa_kopecks: i64,
    pub stars_kopecks: i64,
    /// (mode, operations) for the modes with any that day.
    pub operations: Vec<(String, i64)>,
    pub new_users: i64,
    /// What fal charged for that day's done work (jobs and language-model calls), kopecks.
    pub cost_kopecks: i64,
}

impl super::Store {
    /// The last `days` days, oldest first, every day present (zeros where nothing happened).
    pub fn daily(&self, days: i64) -> Result<Vec<Day>> {
        // Days begin at midnight in TIME_ZONE, whatever its offset was that day.
        let now = crate::time::now();
        let today = crate::time::day_of(now);
        let first = today - days + 1;
        let since = crate::time::midnight_of_day(first);
        let clock = LocalClock::over(since, now);
        let local_day = |column: &str| format!("{} / 86400", LocalClock::local(column));
        self.read(|c| {
            let mut out: Vec<Day> = (first..=today)
                .map(|day| Day {
                    day,
                    ..Day::default()
                })
                .collect();
            let at = |day: i64| usize::try_from(day - first).ok();
            let mut stmt = c.prepare(&format!(
                "WITH {zone}
                 SELECT {day} AS day, coalesce(p.provider, 'yookassa') AS provider,
                        sum(l.amount) AS amount
                   FROM ledger l LEFT JOIN payments p ON p.id = l.payment_id
                  WHERE l.kind = 'topup' AND l.created_at >= ?1 GROUP BY 1, 2",
                zone = clock.table(),
                day = local_day("l.created_at"),
            ))?;
            let rows = stmt.query_map([since], |r| {
                Ok((
                    r.get::<_, i64>("day")?,
                    r.get::<_, String>("provider")?,
                    r.get::<_, i64>("amount")?,
                ))
            })?;
            for row in rows {
                let (day, provider, kopecks) = row?;
                if let Some(d) = at(day).and_then(|i| out.get_mut(i)) {
                    match provider.as_str() {
                        "stars" => d.stars_kopecks += kopecks,
                        _ => d.yookassa_kopecks += kopecks,
                    }
                }
            }
            let mut stmt = c.prepare(&format!(
                "WITH {zone}
                 SELECT {day} AS day, mode, count(*) AS n FROM operations
                  WHERE created_at >= ?1 AND status != 'refunded' GROUP BY 1, 2 ORDER BY 2",
                zone = clock.table(),
                day = local_day("created_at"),
            ))?;
            let rows = stmt.query_map([since], |r| {
                Ok((
                    r.get::<_, i64>("day")?,
                    r.get::<_, String>("mode")?,
                    r.get::<_, i64>("n")?,
                ))
            })?;
            for row in rows {
                let (day, mode, n) = row?;
                if let Some(d) = at(day).and_then(|i| out.get_mut(i)) {
                    d.operations.push((mode, n));
                }
            }
            let mut stmt = c.prepare(&format!(
                "WITH {zone}
                 SELECT {day} AS day, count(*) AS n FROM users WHERE created_at >= ?1 GROUP BY 1",
                zone = clock.table(),
                day = local_day("created_at"),
            ))?;
            let rows = stmt.query_map([since], |r| {
                Ok((r.get::<_, i64>("day")?, r.get::<_, i64>("n")?))
            })?;
            for row in rows {
                let (day, n) = row?;
                if let Some(d) = at(day).and_then(|i| out.get_mut(i)) {
                    d.new_users = n;
                }
            }
            let mut stmt = c.prepare(&format!(
                "WITH {zone}
                 SELECT {day} AS day, sum(cost) AS cost FROM ({COSTS})
                  WHERE created_at >= ?1 GROUP BY 1",
                zone = clock.table(),
                day = local_day("created_at"),
            ))?;
            let rows = stmt.query_map([since], |r| {
                Ok((r.get::<_, i64>("day")?, r.get::<_, i64>("cost")?))
            })?;
            for row in rows {
                let (day, cost) = row?;
                if let Some(d) = at(day).and_then(|i| out.get_mut(i)) {
                    d.cost_kopecks = cost;
                }
            }
            Ok(out)
        })
    }
}
