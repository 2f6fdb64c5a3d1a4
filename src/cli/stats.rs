//! `stats`: users, payments, revenue, cost and margin, the 30-day chart and the workbook.

use crate::db::Store;
use crate::error::{Error, Result};
use crate::money::Kopecks;
use std::path::Path;
use std::process::ExitCode;

pub(super) fn run(
    store: &Store,
    json: bool,
    (chart, export): (Option<&Path>, Option<&Path>),
    usd_rub: Kopecks,
) -> Result<ExitCode> {
    if let Some(path) = export {
        let xlsx = crate::export::operator_workbook(store, usd_rub)?;
        std::fs::write(path, &xlsx)
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        eprintln!(
            "workbook written to {} ({} sheets, {} bytes)",
            path.display(),
            crate::export::SHEETS.len(),
            xlsx.len()
        );
    }
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
        v["operations_revenue"] = Kopecks(s.operations_revenue_kopecks).to_decimal().into();
        v["cost"] = Kopecks(s.cost_kopecks).to_decimal().into();
        v["margin"] = Kopecks(s.margin_kopecks).to_decimal().into();
        // The split of §8b: money payers paid, and credits that cost nothing.
        v["real_money"] = serde_json::json!({
            "yookassa": Kopecks(s.revenue_kopecks).to_decimal(),
            "stars_topups": s.revenue_stars,
            "stars_plans": s.plan_stars,
        });
        v["free_credits_split"] = serde_json::json!({
            "credits": Kopecks(s.free_credits_kopecks).to_decimal(),
            "free_operations": s.free_ops_granted.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
            "done_operations_not_paid_from_balance": s.done_by_payment.iter()
                .filter(|(how, _)| how != "balance").cloned().collect::<std::collections::BTreeMap<_, _>>(),
        });
        for (key, rows) in [("by_model", &s.by_model), ("by_mode", &s.by_mode)] {
            if let Some(json) = v[key].as_array_mut() {
                for (row, m) in json.iter_mut().zip(rows) {
                    row["revenue"] = Kopecks(m.revenue_kopecks).to_decimal().into();
                    row["cost"] = Kopecks(m.cost_kopecks).to_decimal().into();
                    row["margin"] = Kopecks(m.margin_kopecks).to_decimal().into();
                }
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
        "real money:       {} ₽ by card, {} Stars for top-ups, {} Stars for {} plan periods; {} ₽ credited by top-ups",
        Kopecks(s.revenue_kopecks),
        s.revenue_stars,
        s.plan_stars,
        s.plan_periods,
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
        "free credits:     {} ₽ (admin credits: not revenue); free operations given: {}",
        Kopecks(s.free_credits_kopecks),
        crate::texts::counts(crate::texts::Lang::En, &s.free_ops_granted)
    );
    println!(
        "done operations:  {} by how they were paid",
        crate::texts::counts(crate::texts::Lang::En, &s.done_by_payment)
    );
    println!(
        "economics:        {} ₽ taken from balances for done operations, {} ₽ fal's cost, {} ₽ margin",
        Kopecks(s.operations_revenue_kopecks),
        Kopecks(s.cost_kopecks),
        Kopecks(s.margin_kopecks)
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
