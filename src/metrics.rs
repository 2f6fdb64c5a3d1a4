//! Counters for `/metrics`, rendered in the Prometheus text format together with figures read from the
//! database at scrape time.

use crate::db::stats::Stats;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Counter families: name, help, label.
const COUNTERS: &[(&str, &str, &str)] = &[
    (
        "media_lab_webhook_requests_total",
        "YooKassa webhook requests by outcome.",
        "outcome",
    ),
    (
        "media_lab_payment_checks_total",
        "Payments checked with the YooKassa API, by outcome.",
        "outcome",
    ),
];

#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
}

impl Metrics {
    pub fn inc(&self, name: &'static str, label: &str) {
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry((name, label.to_string())).or_default() += 1;
    }

    pub fn get(&self, name: &'static str, label: &str) -> u64 {
        let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        c.get(&(name, label.to_string())).copied().unwrap_or(0)
    }

    pub fn render(&self, s: &Stats) -> String {
        let mut out = String::new();
        let counters = self
            .counters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for (name, help, label) in COUNTERS {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for ((n, value), count) in &counters {
                if n == name {
                    let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {count}");
                }
            }
        }
        let mut gauge = |name: &str, help: &str, rows: Vec<(String, i64)>| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
            for (labels, v) in rows {
                let _ = writeln!(out, "{name}{labels} {v}");
            }
        };
        gauge(
            "media_lab_users",
            "Users known to the bot.",
            vec![(String::new(), s.users)],
        );
        gauge(
            "media_lab_payments",
            "Payments by provider and status.",
            s.payments
                .iter()
                .map(|p| {
                    (
                        format!("{{provider=\"{}\",status=\"{}\"}}", p.provider, p.status),
                        p.count,
                    )
                })
                .collect(),
        );
        gauge(
            "media_lab_credited_kopecks",
            "Kopecks credited by top-ups.",
            vec![(String::new(), s.credited_kopecks)],
        );
        gauge(
            "media_lab_revenue_kopecks",
            "Kopecks paid by payers for succeeded top-ups (YooKassa).",
            vec![(String::new(), s.revenue_kopecks)],
        );
        gauge(
            "media_lab_revenue_stars",
            "Telegram Stars paid by payers for succeeded top-ups.",
            vec![(String::new(), s.revenue_stars)],
        );
        gauge(
            "media_lab_operations",
            "Paid operations by mode and status.",
            s.operations
                .iter()
                .map(|o| {
                    (
                        format!("{{mode=\"{}\",status=\"{}\"}}", o.mode, o.status),
                        o.count,
                    )
                })
                .collect(),
        );
        gauge(
            "media_lab_plan_stars",
            "Telegram Stars paid for plan periods (PLANS).",
            vec![(String::new(), s.plan_stars)],
        );
        gauge(
            "media_lab_free_credits_kopecks",
            "Kopecks credited that nobody paid for (admin credits): not revenue.",
            vec![(String::new(), s.free_credits_kopecks)],
        );
        gauge(
            "media_lab_free_operations_granted",
            "Free operations given, by source (signup, code, referral, adjustment).",
            s.free_ops_granted
                .iter()
                .map(|(k, n)| (format!("{{source=\"{k}\"}}"), *n))
                .collect(),
        );
        let per_mode = |f: fn(&crate::db::stats::ModelRow) -> i64| {
            s.by_mode
                .iter()
                .map(|m| (format!("{{mode=\"{}\"}}", m.mode), f(m)))
                .collect()
        };
        gauge(
            "media_lab_operations_revenue_kopecks",
            "Kopecks taken from balances for done operations, by mode.",
            per_mode(|m| m.revenue_kopecks),
        );
        gauge(
            "media_lab_cost_kopecks",
            "What fal charged for done work, kopecks at FAL_USD_RUB, by mode.",
            per_mode(|m| m.cost_kopecks),
        );
        gauge(
            "media_lab_margin_kopecks",
            "Revenue of done operations less fal's cost, by mode.",
            per_mode(|m| m.margin_kopecks),
        );
        gauge(
            "media_lab_jobs_in_flight",
            "Jobs queued or running.",
            vec![(String::new(), s.jobs_in_flight)],
        );
        out
    }
}
