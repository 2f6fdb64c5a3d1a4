//! The money rules (SPEC §4). Every change of a balance or of free operations happens here, inside one
//! `BEGIN IMMEDIATE` transaction that also appends its ledger row with a unique idempotency key. The
//! bot, the listener, the workers and the CLI call these functions; none of them writes billing SQL.

mod operations;
mod plans;
mod promo;
mod referrals;
mod refunds;
mod stars;
mod topup;
mod words;

pub use operations::{Finish, Reservation, Reserve};
pub use plans::{
    PERIOD_SECS, PlanGrant, PlanPayment, SubscriptionState, is_plan_payload, plan_payload,
};
pub use promo::{Redeemed, STANDARD_CODES, normalize_code};
pub use referrals::{LINK_PREFIX as REFERRAL_LINK_PREFIX, REFERRAL_REASON, Standing, Tie};
pub use refunds::{RefundDebit, RefundHold};
pub use stars::{StarsCredit, discounted_stars, payload as stars_payload};
pub use topup::{Adoption, MAX_TOPUP, MIN_TOPUP, NewPayment, PaymentUpdate};
pub use words::PromptReserve;

use crate::catalogue::Model;
use crate::config::Config;
use crate::db::{self, Store, ledger};
use crate::error::{Error, Result};
use crate::model::Notice;
use crate::model::{Mode, User};
use crate::money::{Kopecks, MAX_AMOUNT};
use rusqlite::Connection;
use std::sync::Arc;

/// Who a Telegram update came from, as far as billing cares.
#[derive(Debug, Clone, Copy, Default)]
pub struct Profile<'a> {
    pub username: Option<&'a str>,
    pub language_code: Option<&'a str>,
}

#[derive(Clone)]
pub struct Billing {
    store: Arc<Store>,
    config: Arc<Config>,
}

impl Billing {
    pub fn new(store: Arc<Store>, config: Arc<Config>) -> Billing {
        Billing { store, config }
    }

    /// REFERRAL_BONUS_OPS and REFERRAL_MIN_TOPUP: what an invited user's first qualifying top-up
    /// gives each side.
    fn bonus(&self) -> referrals::Rule {
        referrals::Rule {
            bonus: self.config.prices.referral_bonus_ops,
            min_topup: self.config.prices.referral_min_topup,
        }
    }

    /// The model of `mode` known by `key` (the mode's first when there is none such): what a job
    /// asking for it is charged.
    pub fn model(&self, mode: Mode, key: Option<&str>) -> &Model {
        self.config.fal.catalogue.pick(mode, key)
    }

    /// The user, created as on first contact with FREE_OPERATIONS_COUNT free operations (granted
    /// through the ledger) when there is none; a profile comes only with an update (`contact`).
    pub fn ensure_user(&self, telegram_id: i64) -> Result<User> {
        check_user_id(telegram_id)?;
        // Most calls find the user: answered from a reader without taking the write lock.
        if let Some(user) = self.store.user(telegram_id)? {
            return Ok(user);
        }
        self.store
            .write(|tx| self.ensure_user_in(tx, telegram_id, None))
    }

    /// The user behind an update: created on first contact, profile refreshed, the first update
    /// recorded (the one moment an invite link can tie them), and a block mark cleared (writing
    /// again means they can be reached). Returns the user and whether this was their first contact.
    pub fn contact(&self, telegram_id: i64, profile: Profile<'_>) -> Result<(User, bool)> {
        check_user_id(telegram_id)?;
        if let Some(user) = self.store.user(telegram_id)? {
            let unchanged = profile.username == user.username.as_deref()
                && profile.language_code == user.language_code.as_deref();
            if unchanged && user.first_update_at.is_some() && user.blocked_at.is_none() {
                return Ok((user, false));
            }
        }
        self.store.write(|tx| {
            self.ensure_user_in(tx, telegram_id, Some(profile))?;
            let first = db::users::record_first_update(tx, telegram_id, crate::time::now())?;
            db::users::clear_blocked(tx, telegram_id)?;
            Ok((must_get_user(tx, telegram_id)?, first))
        })
    }

    fn ensure_user_in(
        &self,
        tx: &Connection,
        telegram_id: i64,
        profile: Option<Profile<'_>>,
    ) -> Result<User> {
        check_user_id(telegram_id)?;
        let now = crate::time::now();
        let p = profile.unwrap_or_default();
        match db::users::get(tx, telegram_id)? {
            Some(_) if profile.is_some() => {
                db::users::update_profile(tx, telegram_id, p.username, p.language_code)?;
            }
            Some(_) => {}
            None => {
                db::users::insert(tx, telegram_id, p.username, p.language_code, now)?;
                ledger::append(
                    tx,
                    &ledger::Entry {
                        telegram_id,
                        kind: ledger::Kind::Signup,
                        amount: Kopecks::ZERO,
                        free_ops: i64::from(self.config.prices.free_operations_count),
                        key: &ledger::key::signup(telegram_id),
                        operation_id: None,
                        payment_id: None,
                        reason: Some("free operations for a new user"),
                    },
                    now,
                )?;
            }
        }
        must_get_user(tx, telegram_id)
    }

    /// A manual adjustment by the operator: positive credits, negative debits, never below zero.
    /// `key` makes a retried adjustment apply once (the CLI generates a fresh one per invocation).
    /// The user is told through the outbox.
    pub fn adjust(
        &self,
        telegram_id: i64,
        delta: Kopecks,
        reason: &str,
        key: &str,
    ) -> Result<User> {
        if delta.0 == 0 || delta.0.abs() > MAX_AMOUNT.0 {
            return Err(Error::invalid(format!(
                "the amount must be non-zero and at most {MAX_AMOUNT} roubles either way"
            )));
        }
        if reason.trim().is_empty() {
            return Err(Error::invalid("a reason is required for the ledger"));
        }
        self.store.write(|tx| {
            let known = has_talked(tx, telegram_id)?;
            let user = self.ensure_user_in(tx, telegram_id, None)?;
            if user.balance.0 + delta.0 < 0 {
                return Err(Error::invalid(format!(
                    "the balance of {telegram_id} is {} ₽; debiting {} ₽ would take it below zero",
                    user.balance,
                    Kopecks(-delta.0)
                )));
            }
            ledger::append(
                tx,
                &ledger::Entry {
                    telegram_id,
                    kind: ledger::Kind::Adjustment,
                    amount: delta,
                    free_ops: 0,
                    key: &ledger::key::adjustment(key),
                    operation_id: None,
                    payment_id: None,
                    reason: Some(reason.trim()),
                },
                crate::time::now(),
            )?;
            let user = must_get_user(tx, telegram_id)?;
            if !known {
                return Ok(user);
            }
            // The user hears of it through the outbox, whichever edge made the change.
            db::notices::insert(
                tx,
                telegram_id,
                &Notice::Credited {
                    amount: delta,
                    balance: user.balance,
                },
                crate::time::now(),
            )?;
            Ok(user)
        })
    }

    /// Grants or revokes free access (the seed's "variant 2"), creating the user if needed. A change
    /// is recorded as a zero-amount ledger row; setting what is already set records nothing.
    pub fn set_free_access(&self, telegram_id: i64, on: bool, reason: &str) -> Result<User> {
        self.store.write(|tx| {
            let known = has_talked(tx, telegram_id)?;
            let user = self.ensure_user_in(tx, telegram_id, None)?;
            if user.has_free_access != on {
                set_free_access_in(tx, telegram_id, on, reason)?;
            }
            if user.has_free_access != on && known {
                db::notices::insert(tx, telegram_id, &Notice::FreeAccess(on), crate::time::now())?;
            }
            must_get_user(tx, telegram_id)
        })
    }

    /// What needs the operator's eye without being a breach (see `ledger::attention`).
    pub fn attention(&self) -> Result<Vec<String>> {
        self.store.read(ledger::attention)
    }

    /// Every breach of the books and of the file itself; empty when all is well.
    pub fn audit(&self) -> Result<Vec<String>> {
        self.store.read(|c| {
            let mut out = db::file_breaches(c)?;
            out.extend(ledger::breaches(c)?);
            Ok(out)
        })
    }
}

/// Whether the user has written to the bot (their first update is recorded): only they can be told
/// of a change — a bot cannot start a chat, and a gift before the first visit has nobody to tell.
fn has_talked(tx: &Connection, telegram_id: i64) -> Result<bool> {
    Ok(db::users::get(tx, telegram_id)?.is_some_and(|u| u.first_update_at.is_some()))
}

fn set_free_access_in(tx: &Connection, telegram_id: i64, on: bool, reason: &str) -> Result<()> {
    db::users::set_free_access(tx, telegram_id, on)?;
    let key = crate::ids::random_id("free-access:")?;
    ledger::append(
        tx,
        &ledger::Entry {
            telegram_id,
            kind: ledger::Kind::FreeAccess,
            amount: Kopecks::ZERO,
            free_ops: 0,
            key: &key,
            operation_id: None,
            payment_id: None,
            reason: Some(&format!(
                "{}: {reason}",
                if on { "granted" } else { "revoked" }
            )),
        },
        crate::time::now(),
    )?;
    Ok(())
}

fn must_get_user(conn: &Connection, telegram_id: i64) -> Result<User> {
    db::users::get(conn, telegram_id)?.ok_or_else(|| Error::NotFound(format!("user {telegram_id}")))
}

/// Telegram user ids are positive; anything else is a typo, not a user.
pub fn check_user_id(telegram_id: i64) -> Result<()> {
    if telegram_id <= 0 {
        return Err(Error::invalid(format!(
            "{telegram_id} is not a Telegram user id"
        )));
    }
    Ok(())
}
