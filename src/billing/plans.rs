//! Stars plans (PLANS, SPEC §8b): a 30-day subscription bought through an invoice link; the first
//! payment and each renewal Telegram makes grant the plan's operations once (`plan:<charge id>`),
//! valid to the period's end. The invoice payload carries the plan itself, so a renewal is granted
//! as it was sold even after PLANS changed, and a period whose update was lost is granted from it.

use super::{Billing, RefundDebit, RefundHold, must_get_user};
use crate::config::Plan;
use crate::db::{self, plans::Grant, plans::Period};
use crate::error::{Error, Result};
use crate::model::{CheckoutRefusal, Notice, RefundState};
use rusqlite::Connection;

/// Telegram's only subscription period: 30 days.
pub const PERIOD_SECS: u32 = 2_592_000;

const PREFIX: &str = "mlplan:";

/// The invoice payload of `plan`: `mlplan:<stars>:<operations>:<label>` (≤ 128 bytes: a label is at
/// most 32 characters).
pub fn plan_payload(plan: &Plan) -> String {
    format!("{PREFIX}{}:{}:{}", plan.stars, plan.operations, plan.label)
}

/// Whether a payload is a plan's (not a top-up's).
pub fn is_plan_payload(payload: &str) -> bool {
    payload.starts_with(PREFIX)
}

fn parse(payload: &str) -> Option<Plan> {
    let mut parts = payload.strip_prefix(PREFIX)?.splitn(3, ':');
    let stars = parts.next()?.parse().ok().filter(|n| *n > 0)?;
    let operations = parts.next()?.parse().ok().filter(|n| *n > 0)?;
    let label = parts
        .next()
        .filter(|l| !l.is_empty() && l.chars().count() <= 32)?;
    Some(Plan {
        label: label.to_string(),
        stars,
        operations,
    })
}

/// What a plan payment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanGrant {
    Granted {
        plan: String,
        operations: i64,
        expires_at: i64,
        renewal: bool,
    },
    /// This charge was granted before (a redelivered update, or the reconciler's second look).
    Already,
}

/// A plan payment as Telegram reported it.
pub struct PlanPayment<'a> {
    pub telegram_id: i64,
    pub payload: &'a str,
    pub stars: u32,
    pub charge_id: &'a str,
    pub recurring: bool,
    /// `subscription_expiration_date`; None: 30 days from now.
    pub expires_at: Option<i64>,
}

impl Billing {
    /// The plan of PLANS numbered `n` (as the menu numbers them).
    pub fn plan(&self, n: usize) -> Option<&Plan> {
        self.config.payments.plans.get(n)
    }

    /// The answer to a plan's `pre_checkout_query`: ok only while PLANS still sells that plan at
    /// that price, in Stars.
    pub fn plan_checkout(
        &self,
        payload: &str,
        currency: &str,
        total: u32,
    ) -> std::result::Result<(), CheckoutRefusal> {
        let plan = parse(payload).ok_or(CheckoutRefusal::Unknown)?;
        if !self.config.payments.plans.contains(&plan) {
            return Err(CheckoutRefusal::Closed);
        }
        if currency != "XTR" || total != plan.stars {
            return Err(CheckoutRefusal::Changed);
        }
        Ok(())
    }

    /// Grants a plan payment's period exactly once (`plan:<charge id>`): its operations until its
    /// end. The user's row is created as on first contact if a restored database lost it.
    pub fn grant_plan(&self, p: &PlanPayment<'_>) -> Result<PlanGrant> {
        let plan = parse(p.payload)
            .ok_or_else(|| Error::invalid(format!("not a plan payload: {:?}", p.payload)))?;
        let now = crate::time::now();
        let expires_at = p
            .expires_at
            .filter(|at| *at > now)
            .unwrap_or(now + i64::from(PERIOD_SECS));
        self.store.write(|tx| {
            self.ensure_user_in(tx, p.telegram_id, None)?;
            let granted = db::plans::grant(
                tx,
                &Grant {
                    telegram_id: p.telegram_id,
                    plan: &plan.label,
                    stars: i64::from(p.stars.max(1)),
                    operations: i64::from(plan.operations),
                    charge_id: p.charge_id,
                    recurring: p.recurring,
                    expires_at,
                },
                now,
            )?;
            if !granted {
                return Ok(PlanGrant::Already);
            }
            // Told through the outbox, committed with the grant: a crash after it loses no word.
            let notice = Notice::PlanGranted {
                plan: plan.label.clone(),
                operations: i64::from(plan.operations),
                expires_at,
                renewal: p.recurring,
            };
            db::notices::insert(tx, p.telegram_id, &notice, now)?;
            Ok(PlanGrant::Granted {
                plan: plan.label.clone(),
                operations: i64::from(plan.operations),
                expires_at,
                renewal: p.recurring,
            })
        })
    }

    /// The user's subscription whose renewal can still be stopped: the charge id of its latest
    /// running period, the plan and its end.
    pub fn renewing_plan(&self, telegram_id: i64) -> Result<Option<db::plans::Period>> {
        self.store.read(|c| {
            Ok(db::plans::running(c, telegram_id, crate::time::now())?
                .into_iter()
                .find(|p| p.canceled_at.is_none()))
        })
    }

    /// Telegram stopped the renewal (`editUserStarSubscription` answered ok): recorded on the period,
    /// which stays usable to its end.
    pub fn plan_canceled(&self, telegram_id: i64, charge_id: &str) -> Result<()> {
        self.store.write(|tx| {
            must_get_user(tx, telegram_id)?;
            db::plans::set_canceled(tx, charge_id, crate::time::now())?;
            Ok(())
        })
    }
}

/// A state Telegram's `subscription` update reports for a user's plan subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionState {
    /// The user stopped the renewal in Telegram.
    Canceled,
    /// The user restarted a stopped renewal.
    Active,
    /// Telegram could not take the renewal payment.
    Failed,
}

impl SubscriptionState {
    pub fn parse(state: &str) -> Option<SubscriptionState> {
        match state {
            "canceled" => Some(SubscriptionState::Canceled),
            "active" => Some(SubscriptionState::Active),
            "failed" => Some(SubscriptionState::Failed),
            _ => None,
        }
    }
}

impl Billing {
    /// Telegram says the user's subscription to the plan in `payload` changed: the renewal stopped
    /// or restarted is recorded on the plan's running periods (the balance screen says so); a
    /// failed renewal payment is recorded once and the user told through the outbox. False when
    /// nothing changed (a repeated update, or a payload that is not a plan's).
    pub fn subscription_changed(
        &self,
        telegram_id: i64,
        payload: &str,
        state: SubscriptionState,
    ) -> Result<bool> {
        let Some(plan) = parse(payload) else {
            return Ok(false);
        };
        let now = crate::time::now();
        self.store.write(|tx| match state {
            SubscriptionState::Canceled | SubscriptionState::Active => db::plans::set_renewing(
                tx,
                telegram_id,
                &plan.label,
                state == SubscriptionState::Active,
                now,
            ),
            SubscriptionState::Failed => {
                if !db::plans::set_renewal_failed(tx, telegram_id, &plan.label, now)? {
                    return Ok(false);
                }
                let notice = Notice::PlanRenewalFailed { plan: plan.label };
                db::notices::insert(tx, telegram_id, &notice, now)?;
                Ok(true)
            }
        })
    }
}

impl Billing {
    /// Checks that the plan period paid by `charge_id` can be given back and holds it, in one
    /// transaction: only a period none of whose operations was used (what was spent cannot be
    /// given back, as with a top-up's balance).
    pub fn hold_plan_refund(&self, charge_id: &str) -> Result<RefundHold<Period>> {
        self.store.write(|tx| {
            let Some(p) = db::plans::by_charge(tx, charge_id)? else {
                return Ok(RefundHold::No(format!("no plan payment {charge_id}")));
            };
            match p.refund_state {
                Some(RefundState::Refunded) => {
                    return Ok(RefundHold::No(format!(
                        "plan payment {charge_id} was refunded already"
                    )));
                }
                Some(RefundState::Refunding) => return Ok(RefundHold::InFlight(Box::new(p))),
                None => {}
            }
            if p.used > 0 {
                return Ok(RefundHold::No(format!(
                    "user {} used {} of the {} operations this plan payment granted: what was spent \
                     cannot be given back",
                    p.telegram_id, p.used, p.operations
                )));
            }
            let check_at = crate::time::now() + super::refunds::RECHECK_SECS;
            if !db::plans::hold_refund(tx, charge_id, check_at)? {
                return Ok(RefundHold::No(format!(
                    "plan payment {charge_id} changed meanwhile; try again"
                )));
            }
            Ok(RefundHold::Held(Box::new(p)))
        })
    }

    /// Telegram did not make the refund: the held period is the user's again.
    pub fn release_plan_refund(&self, charge_id: &str) -> Result<bool> {
        self.store
            .write(|tx| db::plans::release_refund(tx, charge_id))
    }

    /// Telegram did not answer about a held plan refund: asked again later, still held.
    pub fn plan_refund_pending(&self, charge_id: &str) -> Result<()> {
        let check_at = crate::time::now() + super::refunds::RECHECK_SECS;
        self.store
            .write(|tx| db::plans::recheck_refund(tx, charge_id, check_at))
    }

    /// Held plan refunds to ask Telegram about now (with `all`, every held one).
    pub fn plan_refunds_due(&self, limit: u32, all: bool) -> Result<Vec<Period>> {
        let until = if all { i64::MAX } else { crate::time::now() };
        self.store.read(|c| db::plans::refunds_due(c, until, limit))
    }
}

/// The plan period paid by `charge_id` was refunded (by `payment refund`, or by Telegram on its
/// own): it ends now, once. Unknown when no period has that charge.
pub(super) fn end_refunded(tx: &Connection, charge_id: &str) -> Result<RefundDebit> {
    let Some(p) = db::plans::by_charge(tx, charge_id)? else {
        return Ok(RefundDebit::Unknown);
    };
    if !db::plans::set_refunded(tx, charge_id, crate::time::now())? {
        return Ok(RefundDebit::Already);
    }
    if p.used > 0 {
        tracing::warn!(
            user = p.telegram_id,
            charge = charge_id,
            used = p.used,
            "a refunded plan period had operations used: they stay done, the rest are withdrawn"
        );
    }
    Ok(RefundDebit::PlanEnded {
        telegram_id: p.telegram_id,
        withdrawn: p.operations - p.used,
        used: p.used,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_carry_the_plan() {
        let plan = Plan {
            label: "Старт: плюс".into(),
            stars: 250,
            operations: 30,
        };
        assert_eq!(parse(&plan_payload(&plan)), Some(plan.clone()));
        assert!(plan_payload(&plan).len() <= 128);
        for bad in [
            "",
            "mlplan:",
            "mlplan:0:3:a",
            "mlplan:1:x:a",
            "mlplan:1:2:",
            "mlp-x:100",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
