//! `payment` (show, list, refund) and `reconcile`: top-ups of both providers, settled with them.

use super::Core;
use crate::db::Store;
use crate::error::{Error, Result};
use crate::model::Provider;
use crate::time::{date_of, expiry_from_date};
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PaymentCommand {
    /// One top-up's whole story (ID: ours, YooKassa's or Telegram's charge id)
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Top-ups, newest first
    List {
        #[arg(long, value_name = "ID")]
        user: Option<i64>,
        #[arg(long, value_name = "S")]
        status: Option<String>,
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Give a credited top-up back through its provider and debit its credit once confirmed (a
    /// Stars plan payment, by its charge id: its unused period ends)
    Refund {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

/// `reconcile`: both providers' payments since the day, settled against the books; prints a line per
/// payment and a tally. Exits non-zero when a provider could not be asked or something needs a look.
pub(super) fn reconcile(core: &Core, since: Option<&str>) -> Result<ExitCode> {
    use crate::payments::Finding;
    let since = match since {
        Some(day) => expiry_from_date(day)? - 86_400,
        None => (crate::time::now() / 86_400 - 7) * 86_400,
    };
    let payments = core.payments()?;
    let runtime = super::runtime()?;
    println!("reconcile: payments since {} (UTC)", date_of(since));
    let mut lists = Vec::new();
    if payments.is_configured() {
        lists.push((
            "YooKassa",
            runtime.block_on(payments.reconcile_yookassa(since)),
        ));
    } else {
        println!("YooKassa: not configured, not asked");
    }
    if core.config.telegram.telegram_bot_token.is_some() {
        lists.push((
            "Telegram Stars",
            runtime.block_on(payments.reconcile_stars(since)),
        ));
    } else {
        println!("Telegram Stars: TELEGRAM_BOT_TOKEN is not set, not asked");
    }
    let (mut tally, mut failed) = ([0usize; 7], false);
    for (provider, list) in lists {
        let found = match list {
            Ok(found) => found,
            Err(e) => {
                println!("{provider}: could not be asked: {e}");
                failed = true;
                continue;
            }
        };
        println!("{provider}: {} payments listed", found.len());
        for f in found {
            let (slot, what) = match &f.finding {
                Finding::Credited { adopted: true } => {
                    (0, "CREDITED  adopted (we had no row)".into())
                }
                Finding::Credited { adopted: false } => (0, "CREDITED".to_string()),
                Finding::AlreadyCredited => (1, "ok        already credited".into()),
                Finding::NotOurs(why) => (2, format!("skipped   not ours: {why}")),
                Finding::NotPaid(status) => (3, format!("skipped   not paid: {status}")),
                Finding::Attention(why) => (4, format!("LOOK      {why}")),
                Finding::RefundDebited { amount, shortfall } if shortfall.is_positive() => (
                    5,
                    format!(
                        "DEBITED   refund: {amount} ₽ taken, {shortfall} ₽ left as the user's debt"
                    ),
                ),
                Finding::RefundDebited { amount, .. } => {
                    (5, format!("DEBITED   refund: {amount} ₽ taken back"))
                }
                Finding::PlanRefunded { withdrawn, used } => (
                    5,
                    format!(
                        "ENDED     plan refund: {withdrawn} operations withdrawn, {used} were used"
                    ),
                ),
                Finding::RefundAlready => (6, "ok        refund already recorded".into()),
            };
            tally[slot] += 1;
            println!("  {}  {what}  ({})", f.id, f.detail);
        }
    }
    // Refunds held while the provider had not answered: asked about once more now.
    match runtime.block_on(payments.follow_refunds(true)) {
        Ok(0) => {}
        Ok(n) => println!("pending refunds finished: {n}"),
        Err(e) => {
            println!("pending refunds could not be followed: {e}");
            failed = true;
        }
    }
    println!(
        "credited {}, already credited {}, not ours {}, not paid {}, to look at {}, refunds debited {}, refunds already recorded {}",
        tally[0], tally[1], tally[2], tally[3], tally[4], tally[5], tally[6]
    );
    Ok(if failed || tally[4] > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

pub(super) fn run(core: &Core, cmd: PaymentCommand) -> Result<ExitCode> {
    let store = &core.store;
    match cmd {
        PaymentCommand::Show { id, json } => {
            let Some((p, events)) = store.payment_story(&id)? else {
                if let Some(period) = store.plan_period(&id)? {
                    show_plan(&period, json);
                    return Ok(ExitCode::SUCCESS);
                }
                return Err(Error::NotFound(format!("payment {id}")));
            };
            let mut value = payment_json(store, &p)?;
            value["events"] = events
                .iter()
                .map(|(at, what)| serde_json::json!({"at": crate::time::local_datetime(*at), "what": what.to_string()}))
                .collect();
            if json {
                println!("{value}");
            } else {
                println!(
                    "{} ({}) user {}: {} ₽ credit, paid {} {}, {}",
                    p.id,
                    p.provider,
                    p.telegram_id,
                    p.amount,
                    crate::db::payments::price_text(&p),
                    p.currency,
                    value["status"].as_str().unwrap_or("")
                );
                for (at, what) in events {
                    println!("  {}  {what}", crate::time::local_datetime(at));
                }
            }
        }
        PaymentCommand::List {
            user,
            status,
            since,
            json,
        } => {
            let since = since
                .as_deref()
                .map(expiry_from_date)
                .transpose()?
                .map(|t| t - 86_400);
            let list = store.list_payments(user, status.as_deref(), since, 1000)?;
            let values = list
                .iter()
                .map(|p| payment_json(store, p))
                .collect::<Result<Vec<_>>>()?;
            if json {
                println!("{}", serde_json::Value::Array(values));
            } else {
                for v in values {
                    println!(
                        "{}  {:<8} user {:<12} {:>10} ₽  {:<10} {}",
                        v["id"].as_str().unwrap_or(""),
                        v["provider"].as_str().unwrap_or(""),
                        v["telegram_id"],
                        v["credit"].as_str().unwrap_or(""),
                        v["status"].as_str().unwrap_or(""),
                        crate::time::local_datetime(v["created_at"].as_i64().unwrap_or(0)),
                    );
                }
            }
        }
        PaymentCommand::Refund { id, reason } => {
            let Some(p) = store.find_payment(&id)? else {
                if store.has_plan_charge(&id)? {
                    return refund_plan(core, &id, reason);
                }
                return Err(Error::NotFound(format!("payment {id}")));
            };
            let payments = core.payments()?;
            let runtime = super::runtime()?;
            let outcome = runtime.block_on(payments.refund(&p.id))?;
            use crate::billing::RefundDebit;
            use crate::payments::RefundOutcome;
            let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
            match outcome {
                RefundOutcome::Done(RefundDebit::Debited {
                    telegram_id,
                    amount,
                    shortfall,
                }) => {
                    println!(
                        "payment {}: refunded{reason}; {amount} ₽ debited from user {telegram_id}",
                        p.id
                    );
                    if shortfall.is_positive() {
                        println!("  {shortfall} ₽ of the credit was no longer on the balance");
                    }
                }
                RefundOutcome::Done(other) => println!("payment {}: refunded; {other:?}", p.id),
                RefundOutcome::Pending => {
                    println!(
                        "payment {}: the provider has not finished the refund; its {} ₽ are held (not spendable) and the running bot follows it to the end",
                        p.id, p.amount
                    );
                }
                RefundOutcome::Refused(why) => {
                    eprintln!("error: {why}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `payment show <charge id>` of a Stars plan payment: the period it bought and where it stands.
fn show_plan(p: &crate::db::plans::Period, json: bool) {
    let at = |t: Option<i64>| t.map(crate::time::local_datetime);
    let status = p.refund_state.map_or("succeeded", |s| s.as_str());
    if json {
        let value = serde_json::json!({
            "id": p.charge_id,
            "provider": "stars",
            "kind": "plan",
            "plan": p.plan,
            "telegram_id": p.telegram_id,
            "paid": p.stars,
            "currency": "XTR",
            "status": status,
            "renewal": p.recurring,
            "operations": p.operations,
            "used": p.used,
            "starts_at": crate::time::local_datetime(p.starts_at),
            "expires_at": crate::time::local_datetime(p.expires_at),
            "canceled_at": at(p.canceled_at),
            "renewal_failed_at": at(p.renewal_failed_at),
            "refunded_at": at(p.refunded_at),
        });
        println!("{value}");
        return;
    }
    println!(
        "{} (stars plan «{}»{}) user {}: paid {} XTR, {} operations ({} used), {status}",
        p.charge_id,
        p.plan,
        if p.recurring { ", renewal" } else { "" },
        p.telegram_id,
        p.stars,
        p.operations,
        p.used
    );
    println!(
        "  {}  period starts",
        crate::time::local_datetime(p.starts_at)
    );
    let mut events = vec![(p.expires_at, "period ends")];
    events.extend(p.canceled_at.map(|t| (t, "renewal stopped")));
    events.extend(p.renewal_failed_at.map(|t| (t, "renewal payment failed")));
    events.extend(
        p.refunded_at
            .map(|t| (t, "refunded: the operations left withdrawn")),
    );
    events.sort();
    for (t, what) in events {
        println!("  {}  {what}", crate::time::local_datetime(t));
    }
}

/// `payment refund <charge id>` of a Stars plan payment: its period ends, given back in Stars.
fn refund_plan(core: &Core, charge_id: &str, reason: Option<String>) -> Result<ExitCode> {
    use crate::billing::RefundDebit;
    use crate::payments::RefundOutcome;
    let payments = core.payments()?;
    let runtime = super::runtime()?;
    let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    match runtime.block_on(payments.refund_plan(charge_id))? {
        RefundOutcome::Done(RefundDebit::PlanEnded {
            telegram_id,
            withdrawn,
            ..
        }) => println!(
            "plan payment {charge_id}: refunded{reason}; {withdrawn} plan operations of user {telegram_id} withdrawn"
        ),
        RefundOutcome::Done(other) => println!("plan payment {charge_id}: refunded; {other:?}"),
        RefundOutcome::Pending => println!(
            "plan payment {charge_id}: Telegram did not answer; the plan's operations stay held (not usable) \
             and the running bot (or `reconcile`) asks again until Telegram says how it ended"
        ),
        RefundOutcome::Refused(why) => {
            eprintln!("error: {why}");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `check`'s Stars lines: the bot's Star balance answers, and every recent incoming Star payment
/// Telegram lists was credited here. (good, line) each.
pub(super) async fn stars_lines(bot: &teloxide::Bot, store: &Store) -> Result<Vec<(bool, String)>> {
    use teloxide::prelude::Requester;
    let balance = bot.get_my_star_balance().await?;
    let mut lines = vec![(
        true,
        format!("Telegram Stars: the bot holds {} Stars", balance.amount),
    )];
    let recent = bot.get_star_transactions().await?;
    let incoming: Vec<String> = recent
        .transactions
        .iter()
        .filter(|t| t.source.is_some())
        .map(|t| t.id.0.clone())
        .collect();
    let mut missing = Vec::new();
    for id in &incoming {
        // A top-up is known by its credit, a plan payment by its granted period.
        if !store.has_ledger_key(&crate::db::ledger::key::stars(id))?
            && !store.has_plan_charge(id)?
        {
            missing.push(id.clone());
        }
    }
    lines.push(if missing.is_empty() {
        (
            true,
            format!(
                "Telegram Stars: the {} latest incoming payments are all credited (top-ups) or granted (plans)",
                incoming.len()
            ),
        )
    } else {
        (
            false,
            format!(
                "Telegram Stars: paid but not credited here: {} (`media-lab reconcile` credits what is ours)",
                missing.join(", ")
            ),
        )
    });
    Ok(lines)
}

/// One payment as `payment show --json` and `payment list --json` print it.
fn payment_json(store: &Store, p: &crate::db::payments::Payment) -> Result<serde_json::Value> {
    let refunded = store.refunded_at(&p.id)?;
    let paid = if p.currency == "XTR" {
        serde_json::json!(p.charge_amount.0)
    } else {
        serde_json::json!(p.charge_amount.to_decimal())
    };
    Ok(serde_json::json!({
        "id": p.id,
        "provider": p.provider,
        "telegram_id": p.telegram_id,
        "credit": p.amount.to_decimal(),
        "paid": paid,
        "currency": p.currency,
        "status": match p.refund.state {
            Some(state) => state.as_str(),
            None => p.status.as_str(),
        },
        "discount_code": p.discount_code,
        "provider_id": if p.provider == Provider::Stars { p.charge_id.clone() } else { p.yookassa_id.clone() },
        "created_at": p.created_at,
        "refunded_at": refunded,
        "refund_id": p.refund.provider_id,
        "refund_shortfall": p.refund.shortfall.to_decimal(),
    }))
}
