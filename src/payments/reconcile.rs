//! `reconcile` (SPEC §3, step 3 of the restore runbook in §8): ask both providers for everything
//! paid since a date and credit, once, what is ours and not credited here — the top-ups a database
//! restored from an asynchronous replica may have lost in its last seconds. Also the adoption of
//! one YooKassa payment whose row is missing, which a notification uses too.

use super::Payments;
use super::yookassa::ApiPayment;
use crate::billing::{
    Adoption, MAX_TOPUP, MIN_TOPUP, PaymentUpdate, PlanGrant, PlanPayment, RefundDebit,
    check_user_id, is_plan_payload,
};
use crate::db::blocking;
use crate::error::{Error, Result};
use crate::model::{CheckOutcome, PaymentStatus, Provider};
use crate::money::Kopecks;
use teloxide::prelude::*;
use teloxide::types::{
    StarTransaction, TransactionPartner, TransactionPartnerUser, TransactionPartnerUserKind,
};

/// Pages of one provider's list read at most (100 payments each), so a provider that keeps
/// answering with a next page cannot keep us forever.
const MAX_PAGES: usize = 1000;

/// What reconcile found about one payment at a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// Credited now; `adopted` when we had no row for it.
    Credited {
        adopted: bool,
    },
    AlreadyCredited,
    /// Not a media-lab payment (another integration of the same shop, a foreign payload): why.
    NotOurs(String),
    /// Ours, not paid (pending, canceled) or given back: nothing to credit.
    NotPaid(String),
    /// Ours, and the provider and we disagree in a way a person must look at.
    Attention(String),
    /// The provider refunded a payment we had not taken back: debited now (what the balance did
    /// not cover is the user's debt).
    RefundDebited {
        amount: Kopecks,
        shortfall: Kopecks,
    },
    /// Telegram refunded a Stars plan payment we had not ended: its unused operations withdrawn now
    /// (`used` were spent before).
    PlanRefunded {
        withdrawn: i64,
        used: i64,
    },
    /// A refund the provider lists that we had recorded already.
    RefundAlready,
}

impl Finding {
    /// What a listed refund did to the books; None when the payment is not ours.
    fn of_refund(debit: RefundDebit) -> Option<Finding> {
        Some(match debit {
            RefundDebit::Debited {
                amount, shortfall, ..
            } => Finding::RefundDebited { amount, shortfall },
            RefundDebit::PlanEnded {
                withdrawn, used, ..
            } => Finding::PlanRefunded { withdrawn, used },
            RefundDebit::Already => Finding::RefundAlready,
            RefundDebit::Unknown => return None,
        })
    }
}

/// One line of the report: the provider's id, what was found, and who and how much.
#[derive(Debug, Clone)]
pub struct Found {
    pub provider: Provider,
    pub id: String,
    pub finding: Finding,
    pub detail: String,
}

impl Payments {
    /// Every YooKassa payment created since `since` (unix seconds), page by page, settled against
    /// our rows: a succeeded one of ours is credited once, adopting it when its row is missing.
    pub async fn reconcile_yookassa(&self, since: i64) -> Result<Vec<Found>> {
        let api = self
            .api
            .clone()
            .ok_or_else(|| Error::invalid("YooKassa is not configured"))?;
        let since = crate::time::datetime_of(since).replace('Z', ".000Z");
        let (mut found, mut cursor) = (Vec::new(), None::<String>);
        for _ in 0..MAX_PAGES {
            let page = api.list_payments(&since, cursor.as_deref()).await?;
            for theirs in &page.items {
                let finding = self.settle_listed(theirs).await?;
                if let Some(refund) = self.settle_listed_refund(theirs).await? {
                    found.push(Found {
                        provider: Provider::YooKassa,
                        id: theirs.id.clone(),
                        finding: refund,
                        detail: format!(
                            "refunded {} {}",
                            theirs
                                .refunded_amount
                                .as_ref()
                                .map_or("", |a| a.value.as_str()),
                            theirs.amount.currency
                        ),
                    });
                }
                let detail = match metadata(theirs, "telegram_id") {
                    Some(user) => format!(
                        "user {user}, paid {} {}",
                        theirs.amount.value, theirs.amount.currency
                    ),
                    None => format!("paid {} {}", theirs.amount.value, theirs.amount.currency),
                };
                found.push(Found {
                    provider: Provider::YooKassa,
                    id: theirs.id.clone(),
                    finding,
                    detail,
                });
            }
            match page.next_cursor.filter(|c| !c.is_empty()) {
                Some(next) if !page.items.is_empty() => cursor = Some(next),
                _ => return Ok(found),
            }
        }
        Err(Error::invalid(format!(
            "YooKassa kept listing pages after {MAX_PAGES}; narrow it with --since"
        )))
    }

    /// One listed YooKassa payment against our books.
    async fn settle_listed(&self, theirs: &ApiPayment) -> Result<Finding> {
        let store = self.store.clone();
        let (yk_id, claimed) = (
            theirs.id.clone(),
            metadata(theirs, "payment_id").map(str::to_string),
        );
        let ours = blocking(move || {
            Ok(match store.payment_by_yookassa_id(&yk_id)? {
                Some(p) => Some(p),
                None => match claimed {
                    Some(id) => store.payment(&id)?,
                    None => None,
                },
            })
        })
        .await?;
        let Some(ours) = ours else {
            return Ok(match self.adopt_missing(theirs).await? {
                Ok(PaymentUpdate::Credited { .. }) => Finding::Credited { adopted: true },
                Ok(PaymentUpdate::AlreadyFinal { .. }) => Finding::AlreadyCredited,
                Ok(other) => Finding::Attention(format!("adopting it came to {other:?}")),
                Err(Skip::NotOurs(why)) => Finding::NotOurs(why),
                Err(Skip::NotPaid) => Finding::NotPaid(theirs.status.clone()),
            });
        };
        if ours
            .yookassa_id
            .as_deref()
            .is_some_and(|id| id != theirs.id)
        {
            return Ok(Finding::Attention(format!(
                "its metadata names our payment {}, which YooKassa knows as {}",
                ours.id,
                ours.yookassa_id.as_deref().unwrap_or("")
            )));
        }
        if ours.is_final() {
            return Ok(match (ours.status, theirs.status.as_str()) {
                (PaymentStatus::Succeeded, _) => Finding::AlreadyCredited,
                (_, "succeeded") => Finding::Attention(format!(
                    "YooKassa says succeeded, our payment {} is {}",
                    ours.id, ours.status
                )),
                (status, _) => Finding::NotPaid(status.to_string()),
            });
        }
        let id = ours.id.clone();
        Ok(match self.apply_api_payment(ours, theirs).await? {
            CheckOutcome::Credited => Finding::Credited { adopted: false },
            CheckOutcome::Pending | CheckOutcome::Canceled => {
                Finding::NotPaid(theirs.status.clone())
            }
            other => Finding::Attention(format!("our payment {id}: {other}")),
        })
    }

    /// A listed payment YooKassa refunded (`refunded_amount`) that we have not taken back: a whole
    /// refund is debited once; a partial one is for a person to settle.
    async fn settle_listed_refund(&self, theirs: &ApiPayment) -> Result<Option<Finding>> {
        let refunded = match &theirs.refunded_amount {
            Some(a) => a.kopecks()?,
            None => return Ok(None),
        };
        if !refunded.is_positive() {
            return Ok(None);
        }
        let store = self.store.clone();
        let yk_id = theirs.id.clone();
        let Some(ours) = blocking(move || store.payment_by_yookassa_id(&yk_id)).await? else {
            return Ok(None);
        };
        if ours.status != PaymentStatus::Succeeded {
            return Ok(None);
        }
        if refunded != ours.charge_amount {
            return Ok(Some(Finding::Attention(format!(
                "YooKassa refunded {refunded} of the {} paid for our payment {}; a partial refund is settled by hand (`user credit`)",
                ours.charge_amount, ours.id
            ))));
        }
        let billing = self.billing.clone();
        let id = ours.id.clone();
        Ok(Finding::of_refund(
            blocking(move || billing.refund_succeeded(&id, None)).await?,
        ))
    }

    /// A YooKassa payment we have no row for, as the API (asked with our credentials) showed it:
    /// adopted and credited once when it succeeded, is our shop's and its metadata is ours.
    pub(super) async fn adopt_missing(
        &self,
        theirs: &ApiPayment,
    ) -> Result<std::result::Result<PaymentUpdate, Skip>> {
        let adoption = match self.adoption(theirs) {
            Ok(a) => a,
            Err(skip) => return Ok(Err(skip)),
        };
        let billing = self.billing.clone();
        let update = blocking(move || billing.adopt_payment(&adoption)).await?;
        if let PaymentUpdate::Credited {
            telegram_id,
            amount,
            balance,
        } = &update
        {
            tracing::info!(yookassa = %theirs.id, user = telegram_id, amount = %amount, balance = %balance,
                "a payment we had no row for was adopted and credited");
        }
        self.metrics
            .inc("media_lab_payment_checks_total", "adopted");
        Ok(Ok(update))
    }

    /// Whether `theirs` may be adopted, read from the API's answer alone: a succeeded payment to
    /// this shop (never a test one to a live shop) in our currency, whose metadata names a
    /// media-lab payment, a user and a credit no smaller than what was paid.
    fn adoption(&self, theirs: &ApiPayment) -> std::result::Result<Adoption, Skip> {
        let not_ours = |why: &str| Err(Skip::NotOurs(why.to_string()));
        let Some(payment_id) = metadata(theirs, "payment_id")
            .filter(|id| id.starts_with("mlp-") && id.len() <= 64 && id.is_ascii())
        else {
            return not_ours("its metadata names no media-lab payment");
        };
        let Some(telegram_id) = metadata(theirs, "telegram_id")
            .and_then(|t| t.parse::<i64>().ok())
            .filter(|t| check_user_id(*t).is_ok())
        else {
            return not_ours("its metadata names no Telegram user");
        };
        let shop = self.api.as_ref().map(|a| a.shop_id());
        let recipient = theirs
            .recipient
            .as_ref()
            .and_then(|r| r.account_id.as_deref());
        if recipient.is_some() && recipient != shop {
            return not_ours("it was paid to another shop");
        }
        if theirs.test && !self.is_test_shop() {
            return not_ours("a test payment reported to a live shop");
        }
        if theirs.amount.currency != self.config.payments.yookassa_currency {
            return not_ours("another currency than YOOKASSA_CURRENCY");
        }
        let Ok(paid) = theirs.amount.kopecks() else {
            return not_ours("its amount is unreadable");
        };
        // Payments created before metadata carried the credit: the payer gets what they paid.
        let credit = match metadata(theirs, "credit") {
            Some(text) => match Kopecks::parse_roubles(text, false) {
                Ok(credit) => credit,
                Err(_) => return not_ours("its metadata credit is unreadable"),
            },
            None => paid,
        };
        if credit < paid || credit < MIN_TOPUP || credit > MAX_TOPUP {
            return not_ours("its metadata credit is not a top-up we could have sold");
        }
        if theirs.status != "succeeded" {
            return Err(Skip::NotPaid);
        }
        Ok(Adoption {
            payment_id: payment_id.to_string(),
            telegram_id,
            credit,
            paid,
            currency: theirs.amount.currency.clone(),
            yookassa_id: theirs.id.clone(),
            discount_code: metadata(theirs, "discount_code").map(str::to_string),
        })
    }

    /// Every Star transaction since `since` that Telegram lists, paged: an incoming payment is
    /// credited once (`stars:<charge id>`, the same key a `successful_payment` uses) unless it was
    /// refunded; a refund (an outgoing transaction to a user, carrying the payment's charge id) of a
    /// payment we credited and never took back is debited now, once, as Telegram's refunded-payment
    /// message would have.
    pub async fn reconcile_stars(&self, since: i64) -> Result<Vec<Found>> {
        let bot = self
            .bot
            .as_ref()
            .ok_or_else(|| Error::invalid("TELEGRAM_BOT_TOKEN is needed to ask Telegram"))?;
        let (mut incoming, mut refunds) = (Vec::new(), Vec::new());
        let mut offset = 0u32;
        for _ in 0..MAX_PAGES {
            let page = bot
                .get_star_transactions()
                .offset(offset)
                .limit(100)
                .await?;
            let n = page.transactions.len();
            // Newest first, and the page ends before the window: nothing older is needed.
            let past_window = match (page.transactions.first(), page.transactions.last()) {
                (Some(first), Some(last)) => {
                    first.date >= last.date && n > 1 && last.date.timestamp() < since
                }
                _ => false,
            };
            for t in page.transactions {
                match (&t.source, &t.receiver) {
                    (Some(TransactionPartner::User(u)), _) => incoming.push((t.clone(), u.clone())),
                    // A refund to a user carries the id of the payment it gives back.
                    (_, Some(TransactionPartner::User(u))) => refunds.push((t.clone(), u.clone())),
                    _ => {}
                }
            }
            if n < 100 || past_window {
                return self.settle_stars(incoming, refunds, since).await;
            }
            offset += n as u32;
        }
        Err(Error::invalid(format!(
            "Telegram kept listing Star transactions after {MAX_PAGES} pages"
        )))
    }

    async fn settle_stars(
        &self,
        incoming: Vec<(StarTransaction, Box<TransactionPartnerUser>)>,
        refunds: Vec<(StarTransaction, Box<TransactionPartnerUser>)>,
        since: i64,
    ) -> Result<Vec<Found>> {
        let refunded: std::collections::HashSet<String> =
            refunds.iter().map(|(t, _)| t.id.0.clone()).collect();
        let mut found = Vec::new();
        for (t, from) in incoming {
            if t.date.timestamp() < since {
                continue;
            }
            let charge = t.id.0.clone();
            let (payload, period) = match &from.kind {
                TransactionPartnerUserKind::InvoicePayment(p) => (
                    p.invoice_payload.clone(),
                    p.subscription_period.map(|s| i64::from(s.seconds())),
                ),
                _ => (None, None),
            };
            let user = i64::try_from(from.user.id.0).unwrap_or(0);
            let detail = format!("user {user}, paid {} Stars", t.amount);
            let finding = if refunded.contains(&charge) {
                Finding::NotPaid("refunded".into())
            } else if let Some(plan) = payload.as_deref().filter(|p| is_plan_payload(p)) {
                // A plan period whose update never arrived: granted to the end of its 30 days.
                let expires_at = period.map(|p| t.date.timestamp() + p);
                self.settle_plan(user, plan, (t.amount, &charge), expires_at)
                    .await?
            } else {
                self.settle_star(user, payload, t.amount, &charge).await?
            };
            found.push(Found {
                provider: Provider::Stars,
                id: charge,
                finding,
                detail,
            });
        }
        for (t, to) in refunds {
            if t.date.timestamp() < since {
                continue;
            }
            let charge = t.id.0.clone();
            let billing = self.billing.clone();
            let c = charge.clone();
            let debit = blocking(move || billing.stars_refunded(&c)).await?;
            let user = i64::try_from(to.user.id.0).unwrap_or(0);
            // None: a payment we never credited; its own line says it was refunded.
            let Some(finding) = Finding::of_refund(debit) else {
                continue;
            };
            found.push(Found {
                provider: Provider::Stars,
                id: charge,
                finding,
                detail: format!("refund to user {user}, {} Stars", t.amount),
            });
        }
        Ok(found)
    }

    async fn settle_plan(
        &self,
        user: i64,
        payload: &str,
        (stars, charge): (u32, &str),
        expires_at: Option<i64>,
    ) -> Result<Finding> {
        let (billing, payload, charge) = (
            self.billing.clone(),
            payload.to_string(),
            charge.to_string(),
        );
        let grant = blocking(move || {
            billing.grant_plan(&PlanPayment {
                telegram_id: user,
                payload: &payload,
                stars,
                charge_id: &charge,
                recurring: false,
                expires_at,
            })
        })
        .await;
        match grant {
            Ok(PlanGrant::Granted { .. }) => Ok(Finding::Credited { adopted: false }),
            Ok(PlanGrant::Already) => Ok(Finding::AlreadyCredited),
            Err(Error::Invalid(why)) => Ok(Finding::NotOurs(why)),
            Err(e) => Err(e),
        }
    }

    async fn settle_star(
        &self,
        user: i64,
        payload: Option<String>,
        stars: u32,
        charge: &str,
    ) -> Result<Finding> {
        let store = self.store.clone();
        let key = crate::db::ledger::key::stars(charge);
        if blocking(move || store.has_ledger_key(&key)).await? {
            return Ok(Finding::AlreadyCredited);
        }
        let Some(payload) = payload.filter(|p| p.starts_with("mlp-")) else {
            return Ok(Finding::NotOurs("its invoice payload is not ours".into()));
        };
        let billing = self.billing.clone();
        let charge = charge.to_string();
        match blocking(move || billing.credit_stars(user, &payload, stars, &charge)).await {
            Ok(crate::billing::StarsCredit::Credited { .. }) => {
                Ok(Finding::Credited { adopted: false })
            }
            Ok(crate::billing::StarsCredit::Already) => Ok(Finding::AlreadyCredited),
            Err(Error::Invalid(why)) => Ok(Finding::NotOurs(why)),
            Err(e) => Err(e),
        }
    }
}

/// Why a payment was not adopted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Skip {
    NotOurs(String),
    /// Ours by its metadata, but it did not succeed.
    NotPaid,
}

/// A string the API's `metadata` holds under `key`.
pub(super) fn metadata<'a>(p: &'a ApiPayment, key: &str) -> Option<&'a str> {
    p.metadata
        .as_ref()
        .and_then(|m| m.get(key))
        .and_then(|v| v.as_str())
}
