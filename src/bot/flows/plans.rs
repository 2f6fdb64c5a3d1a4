//! ⭐ Stars plans (PLANS, SPEC §8b): the plans, an invoice link per plan with Telegram's 30-day
//! subscription period, the payment (first and renewals) granted once, and the cancellation.

use crate::billing::{PERIOD_SECS, PlanGrant, PlanPayment, SubscriptionState, plan_payload};
use crate::bot::turn::Turn;
use crate::bot::{HandlerResult, keyboards};
use crate::db::blocking;
use crate::error::Result;
use crate::texts;
use teloxide::prelude::*;
use teloxide::types::{LabeledPrice, SuccessfulPayment};

/// ⭐ Subscription: each plan with its price and operations.
pub async fn menu(turn: &Turn) -> Result<()> {
    if !super::topup::sells_plans(turn) {
        return super::topup::payment_menu(turn).await;
    }
    let plans = &turn.ctx.config.payments.plans;
    let rows: Vec<(String, u32, u32)> = plans
        .iter()
        .map(|p| (p.label.clone(), p.stars, p.operations))
        .collect();
    turn.show(
        texts::plans_menu(turn.lang, &rows),
        keyboards::plans(turn.lang, plans),
    )
    .await
}

/// A plan chosen: Telegram's invoice link for a 30-day subscription in Stars.
pub async fn buy(turn: &Turn, n: u8) -> Result<()> {
    let lang = turn.lang;
    let Some(plan) = turn.ctx.billing.plan(usize::from(n)).cloned() else {
        return menu(turn).await;
    };
    let url = turn
        .bot
        .create_invoice_link(
            texts::plan_invoice_title(lang, &plan.label),
            texts::plan_invoice_description(lang, plan.operations),
            plan_payload(&plan),
            "XTR",
            [LabeledPrice::new(
                texts::plan_button(lang, &plan.label, plan.stars),
                plan.stars,
            )],
        )
        .subscription_period(teloxide::types::Seconds::from_seconds(PERIOD_SECS))
        .await?;
    let url = reqwest::Url::parse(&url)
        .map_err(|e| crate::error::Error::internal(format!("Telegram's invoice link: {e}")))?;
    turn.show(
        texts::plan_link_text(lang, &plan.label, plan.stars),
        keyboards::plan_link(lang, plan.stars, url),
    )
    .await
}

/// A plan's `successful_payment`, the first or a renewal: granted once, then told.
pub async fn paid(turn: &Turn, paid: &SuccessfulPayment) -> Result<()> {
    let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
    let payload = paid.invoice_payload.clone();
    let charge = paid.telegram_payment_charge_id.0.clone();
    let (stars, recurring) = (
        paid.total_amount,
        paid.is_recurring && !paid.is_first_recurring,
    );
    let expires_at = paid.subscription_expiration_date.map(|d| d.timestamp());
    let grant = blocking(move || {
        billing.grant_plan(&PlanPayment {
            telegram_id: id,
            payload: &payload,
            stars,
            charge_id: &charge,
            recurring,
            expires_at,
        })
    })
    .await?;
    match grant {
        PlanGrant::Granted {
            plan,
            operations,
            expires_at,
            renewal,
        } => {
            tracing::info!(user = id, %plan, operations, renewal, expires_at, stars, "plan period granted");
            // The outbox says so (queued with the grant).
            turn.ctx.notices.notify_one();
            Ok(())
        }
        PlanGrant::Already => {
            tracing::info!(user = id, charge = %paid.telegram_payment_charge_id.0, "a plan payment seen again; granted before");
            Ok(())
        }
    }
}

/// «Отменить подписку»: Telegram stops the renewals (`editUserStarSubscription`); the paid period
/// runs to its end.
pub async fn cancel(turn: &Turn) -> Result<()> {
    let lang = turn.lang;
    let (billing, id) = (turn.ctx.billing.clone(), turn.user.telegram_id);
    let Some(period) = blocking(move || billing.renewing_plan(id)).await? else {
        return super::account::show_balance(turn).await;
    };
    let user = teloxide::types::UserId(u64::try_from(id).unwrap_or(0));
    let charge = teloxide::types::TelegramTransactionId(period.charge_id.clone());
    if let Err(e) = turn
        .bot
        .edit_user_star_subscription(user, charge, true)
        .await
    {
        tracing::warn!(user = id, error = %e, "cancelling a subscription failed");
        return turn.say(texts::plan_cancel_failed(lang)).await;
    }
    let (billing, charge) = (turn.ctx.billing.clone(), period.charge_id.clone());
    blocking(move || billing.plan_canceled(id, &charge)).await?;
    tracing::info!(user = id, plan = %period.plan, "subscription cancelled");
    turn.say(texts::plan_cancelled(
        lang,
        &crate::time::day_month_year(period.expires_at),
    ))
    .await?;
    super::account::show_balance(&turn.reloaded().await?).await
}

/// Routed from the `successful_payment` handler for plan payloads.
pub async fn on_paid(turn: Turn, paid: SuccessfulPayment) -> HandlerResult {
    turn.answer(move |turn| async move { self::paid(&turn, &paid).await })
        .await
}

/// Telegram's `subscription` update (read from the raw update, teloxide 0.17 predates it): the user
/// stopped or restarted the renewal in Telegram, or the renewal payment failed. Recorded on the
/// plan's periods; a failed renewal tells the user through the outbox, once.
pub async fn subscription_changed(
    ctx: crate::bot::Ctx,
    update: crate::bot::updates::SubscriptionUpdated,
) -> HandlerResult {
    let Ok(id) = i64::try_from(update.user.id.0) else {
        return Ok(());
    };
    let Some(state) = SubscriptionState::parse(&update.state) else {
        tracing::info!(user = id, state = %update.state, "a subscription state we do not know; ignored");
        return Ok(());
    };
    let billing = ctx.billing.clone();
    let payload = update.invoice_payload.clone();
    let changed = blocking(move || billing.subscription_changed(id, &payload, state)).await?;
    tracing::info!(
        user = id,
        ?state,
        changed,
        "plan subscription changed in Telegram"
    );
    if changed && state == SubscriptionState::Failed {
        ctx.notices.notify_one();
    }
    Ok(())
}
