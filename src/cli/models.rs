//! `models`: the catalogue in force (SPEC §6b) with what each result costs us and earns; and the part
//! of `check` that asks fal whether each endpoint exists and whether a price is below its cost.

use crate::catalogue::Model;
use crate::config::Config;
use crate::error::Result;
use crate::jobs::fal::{Platform, Price};
use crate::money::Kopecks;
use std::process::ExitCode;

pub(super) fn run(config: &Config) -> Result<ExitCode> {
    let models = config.fal.catalogue.all();
    let live = match Platform::from_config(config)? {
        None => None,
        Some(platform) => match super::runtime()?.block_on(platform.prices(&ids(models))) {
            Ok(prices) => Some(prices),
            Err(e) => {
                eprintln!("fal's current prices could not be read ({e}); showing the catalogue's");
                None
            }
        },
    };
    println!(
        "{:<10} {:<18} {:<46} {:>9} {:>9} {:>16}{}",
        "mode",
        "label",
        "endpoint",
        "price",
        "cost",
        "margin",
        if live.is_some() { "  fal now" } else { "" }
    );
    for m in models {
        let cost = cost_of(m, live.as_deref(), config.fal.fal_usd_rub);
        let margin = Kopecks(m.price.0 - cost.0);
        let percent = if m.price.0 > 0 {
            format!("{} ({}%)", margin.to_decimal(), margin.0 * 100 / m.price.0)
        } else {
            margin.to_decimal()
        };
        let now = live
            .as_deref()
            .map(|l| match price_of(l, &m.id) {
                Some(p) => format!("  ${} per {}", p.unit_price, p.unit),
                None => "  (no price)".into(),
            })
            .unwrap_or_default();
        println!(
            "{:<10} {:<18} {:<46} {:>9} {:>9} {:>16}{now}",
            m.mode.as_str(),
            m.key(),
            m.id,
            m.price.to_decimal(),
            cost.to_decimal(),
            percent
        );
    }
    println!(
        "prices in roubles; cost is fal's price per result at FAL_USD_RUB = {}",
        config.fal.fal_usd_rub.to_decimal()
    );
    Ok(ExitCode::SUCCESS)
}

/// What one result of `m` costs us: fal's current per-image price when it has one, else the
/// catalogue's `cost_usd`, in kopecks at FAL_USD_RUB.
fn cost_of(m: &Model, live: Option<&[Price]>, usd_rub: Kopecks) -> Kopecks {
    match live
        .and_then(|l| price_of(l, &m.id))
        .filter(|p| per_image(p))
    {
        Some(p) => Kopecks((p.unit_price * usd_rub.0 as f64).round() as i64),
        None => m.cost,
    }
}

fn per_image(p: &Price) -> bool {
    matches!(
        p.unit.as_str(),
        "image" | "images" | "request" | "requests" | ""
    )
}

fn price_of<'a>(live: &'a [Price], id: &str) -> Option<&'a Price> {
    live.iter().find(|p| p.endpoint_id == id)
}

fn ids(models: &[Model]) -> Vec<&str> {
    let mut ids: Vec<&str> = models.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// What `check` says of the catalogue: FAIL lines (an endpoint fal does not know, fal refusing us)
/// and WARN lines (a price below its cost), and OK lines.
pub(super) struct Findings {
    pub ok: Vec<String>,
    pub warn: Vec<String>,
    pub fail: Vec<String>,
}

pub(super) async fn check(config: &Config) -> Findings {
    let models = config.fal.catalogue.all();
    let mut found = Findings {
        ok: Vec::new(),
        warn: Vec::new(),
        fail: Vec::new(),
    };
    let mut live = None;
    match Platform::from_config(config) {
        Err(e) => found.fail.push(format!("fal's platform API: {e}")),
        Ok(None) => found
            .warn
            .push("FAL_KEY is not set: the catalogue's endpoints were not checked with fal".into()),
        Ok(Some(platform)) => {
            let ids = ids(models);
            match platform.known(&ids).await {
                Err(e) => found.fail.push(format!(
                    "fal's model list ({}) could not be read: {e}",
                    config.fal.fal_api_url
                )),
                Ok(known) => {
                    let unknown: Vec<&&str> =
                        ids.iter().filter(|id| !known.contains(**id)).collect();
                    for id in &unknown {
                        let used: Vec<String> = models
                            .iter()
                            .filter(|m| m.id == ***id)
                            .map(|m| format!("{} «{}»", m.mode, m.key()))
                            .collect();
                        found.fail.push(format!(
                            "fal does not know the endpoint {id} ({}): fix MODELS_FILE or FAL_MODEL_<MODE>",
                            used.join(", ")
                        ));
                    }
                    if unknown.is_empty() {
                        found.ok.push(format!(
                            "fal knows all {} endpoints of the model catalogue (FAL_KEY accepted)",
                            ids.len()
                        ));
                    }
                }
            }
            match platform.prices(&ids).await {
                Ok(prices) => live = Some(prices),
                Err(e) => found.warn.push(format!(
                    "fal's prices could not be read ({e}); the catalogue's cost_usd is used"
                )),
            }
        }
    }
    for m in models {
        let cost = cost_of(m, live.as_deref(), config.fal.fal_usd_rub);
        if m.price < cost {
            found.warn.push(format!(
                "{} «{}» sells for {} ₽ but costs {} ₽ at FAL_USD_RUB = {}: every operation loses money",
                m.mode,
                m.key(),
                m.price.to_decimal(),
                cost.to_decimal(),
                config.fal.fal_usd_rub.to_decimal()
            ));
        }
    }
    found
}
