//! `stats`: users, payments, revenue and operations, and the 30-day chart.

use crate::db::Store;
use crate::error::{Error, Result};
use crate::money::Kopecks;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run(store: &Store, json: bool, chart: Option<&Path>) -> Result<ExitCode> {
    if let Some(path) = chart {
        let png = crate::chart::render(&store.daily(crate::chart::DAYS)?)?;
        std::fs::write(path, &png)
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        eprintln!(
            "chart of the last {} days written to {} ({}×{}, {} bytes)",
            crate::chart::DAYS,
            path.display(),
            crate::chart::WIDTH,
            crate::chart::HEIGHT,
            png.len()
        );
    }
    let s = store.stats()?;
    if json {
        let mut v =
            serde_json::to_value(&s).map_err(|e| Error::internal(format!("stats as JSON: {e}")))?;
        v["revenue"] = Kopecks(s.revenue_kopecks).to_decimal().into();
        v["credited"] = Kopecks(s.credited_kopecks).to_decimal().into();
        v["balances"] = Kopecks(s.balances_kopecks).to_decimal().into();
        v["free_credits"] = Kopecks(s.free_credits_kopecks).to_decimal().into();
        if let Some(rows) = v["by_model"].as_array_mut() {
            for (row, m) in rows.iter_mut().zip(&s.by_model) {
                row["revenue"] = Kopecks(m.revenue_kopecks).to_decimal().into();
                row["cost"] = Kopecks(m.cost_kopecks).to_decimal().into();
                row["margin"] = Kopecks(m.margin_kopecks).to_decimal().into();
            }
        }
        println!("{v}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "users:            {} ({} with free access)",
        s.users, s.users_with_free_access
    );
    println!("balances:         {} ₽", Kopecks(s.balances_kopecks));
    println!(
        "revenue:          {} ₽ and {} Stars paid, {} ₽ credited",
        Kopecks(s.revenue_kopecks),
        s.revenue_stars,
        Kopecks(s.credited_kopecks)
    );
    println!("payments (credit):");
    for p in &s.payments {
        println!(
            "  {:<9} {:<20} {:>6}  {} ₽",
            p.provider,
            p.status,
            p.count,
            Kopecks(p.amount_kopecks)
        );
    }
    println!("operations:");
    for o in &s.operations {
        println!("  {:<10} {:<9} {:>6}", o.mode, o.status, o.count);
    }
    println!(
        "free credits:     {} ₽ (admin credits and codes: not revenue)",
        Kopecks(s.free_credits_kopecks)
    );
    println!("done operations by model (taken from balances, fal's cost, margin):");
    for m in &s.by_model {
        let model = if m.model.is_empty() {
            "—"
        } else {
            m.model.as_str()
        };
        println!(
            "  {:<10} {:<18} {:>6}  {:>10} ₽ {:>10} ₽ {:>10} ₽",
            m.mode,
            model,
            m.operations,
            Kopecks(m.revenue_kopecks),
            Kopecks(m.cost_kopecks),
            Kopecks(m.margin_kopecks)
        );
    }
    println!("jobs in flight:   {}", s.jobs_in_flight);
    println!(
        "referrals:        {} invited, {} topped up",
        s.referrals, s.referrals_converted
    );
    Ok(ExitCode::SUCCESS)
}
