//! Referrals: every user's invite code, the tie of a new user to whoever invited them (once, on
//! their first contact, never to themself), and the bonus for both — REFERRAL_BONUS_OPS free
//! operations each — in the very transaction that credits the invitee's first top-up, under unique
//! ledger keys, so a crash or a duplicate gives it once.

use super::{Billing, must_get_user};
use crate::db::{self, ledger, payments::Payment, referrals as refs};
use crate::error::{Error, Result};
use crate::model::Notice;
use crate::money::Kopecks;
use rusqlite::Connection;

/// The `/start` payload of an invite link: `ref_<code>`.
pub const LINK_PREFIX: &str = "ref_";

/// What an invite link did for the user who followed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tie {
    /// Tied to this inviter: both get the bonus after this user's first top-up.
    Tied { inviter: i64 },
    /// Not tied: the program is off, the code is unknown or the user's own, or the user was here
    /// before (or is already someone's invitee).
    No,
}

/// A user's place in the program, for `user show` and `stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub invited_by: Option<i64>,
    pub invited: i64,
    pub rewarded: i64,
}

impl Billing {
    /// The user's invite code, made on first use (8 hex digits; another draw on the rare clash).
    pub fn invite_code(&self, telegram_id: i64) -> Result<String> {
        if let Some(code) = self.store.read(|c| refs::code_of(c, telegram_id))? {
            return Ok(code);
        }
        for _ in 0..8 {
            let code = crate::ids::random_id("")?[..8].to_string();
            let set = self.store.write(|tx| {
                must_get_user(tx, telegram_id)?;
                if let Some(code) = refs::code_of(tx, telegram_id)? {
                    return Ok(Some(code));
                }
                Ok(refs::set_code(tx, telegram_id, &code)?.then(|| code.clone()))
            })?;
            if let Some(code) = set {
                return Ok(code);
            }
        }
        Err(Error::internal("could not draw a free invite code"))
    }

    /// Ties `invitee`, on their first contact, to the owner of `code`. The caller says whether this
    /// is the first contact; everything else is checked here, in one transaction.
    pub fn tie_referral(&self, invitee: i64, code: &str, first_contact: bool) -> Result<Tie> {
        if self.config.prices.referral_bonus_ops == 0 || !first_contact {
            return Ok(Tie::No);
        }
        let code = code.trim();
        if code.is_empty() || code.len() > 16 || !code.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(Tie::No);
        }
        self.store.write(|tx| {
            let Some(inviter) = refs::owner_of(tx, code)?.filter(|i| *i != invitee) else {
                return Ok(Tie::No);
            };
            must_get_user(tx, invitee)?;
            // Someone who already topped up is no new customer, whatever their profile says.
            if refs::has_topup(tx, invitee)? {
                return Ok(Tie::No);
            }
            let tied = refs::tie(tx, invitee, inviter, crate::time::now())?;
            Ok(if tied { Tie::Tied { inviter } } else { Tie::No })
        })
    }

    /// Who invited this user, and how many they invited (and how many of those topped up).
    pub fn referral_standing(&self, telegram_id: i64) -> Result<Standing> {
        self.store.read(|c| {
            let invited_by = refs::invited_by(c, telegram_id)?;
            let (invited, rewarded) = refs::counts(c, telegram_id)?;
            Ok(Standing {
                invited_by,
                invited,
                rewarded,
            })
        })
    }
}

/// The program's terms: `bonus` free operations each, for a top-up crediting at least `min_topup`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub bonus: u32,
    pub min_topup: Kopecks,
}

/// Inside the transaction that credits `payment`: if its payer was invited, has not earned the
/// bonus yet, and this top-up credits at least the minimum, both get the bonus (unique keys: once,
/// whatever repeats) and are told. The payment is recorded as the one that earned it, so its refund
/// takes the bonus back. Returns the bonus given, if any.
pub(super) fn reward_first_topup(
    tx: &Connection,
    payment: &Payment,
    rule: Rule,
    now: i64,
) -> Result<Option<u32>> {
    let invitee = payment.telegram_id;
    if rule.bonus == 0 || payment.amount < rule.min_topup {
        return Ok(None);
    }
    let Some(inviter) = refs::unrewarded_inviter(tx, invitee)? else {
        return Ok(None);
    };
    for (who, role) in [(invitee, "invitee"), (inviter, "inviter")] {
        let given = ledger::append(
            tx,
            &ledger::Entry {
                telegram_id: who,
                kind: ledger::Kind::Promo,
                amount: Kopecks::ZERO,
                free_ops: i64::from(rule.bonus),
                key: &ledger::key::referral(invitee, role),
                operation_id: None,
                payment_id: None,
                reason: Some(REFERRAL_REASON),
            },
            now,
        )?;
        if given {
            db::notices::insert(
                tx,
                who,
                &Notice::ReferralBonus {
                    inviter: role == "inviter",
                    bonus: i64::from(rule.bonus),
                    free_operations: must_get_user(tx, who)?.free_operations_left,
                },
                now,
            )?;
        }
    }
    refs::set_rewarded(tx, invitee, &payment.id, now)?;
    Ok(Some(rule.bonus))
}

/// Inside the transaction that refunds `payment_id`: if that top-up earned a referral bonus, the
/// bonus operations both sides have not used yet are taken back (keys `referral-back:…`, once).
pub(super) fn take_back_bonus(tx: &Connection, payment_id: &str, now: i64) -> Result<()> {
    let Some((invitee, inviter)) = refs::earned_by(tx, payment_id)? else {
        return Ok(());
    };
    for (who, role) in [(invitee, "invitee"), (inviter, "inviter")] {
        let given = ledger::free_ops_of(tx, &ledger::key::referral(invitee, role))?;
        let left = must_get_user(tx, who)?.free_operations_left;
        let take = given.min(left);
        if take <= 0 {
            continue;
        }
        ledger::append(
            tx,
            &ledger::Entry {
                telegram_id: who,
                kind: ledger::Kind::Promo,
                amount: Kopecks::ZERO,
                free_ops: -take,
                key: &ledger::key::referral_back(invitee, role),
                operation_id: None,
                payment_id: None,
                reason: Some(REFERRAL_TAKEN_BACK),
            },
            now,
        )?;
    }
    refs::set_taken_back(tx, invitee, now)?;
    Ok(())
}

/// The ledger reason of a bonus taken back after its top-up was refunded.
pub const REFERRAL_TAKEN_BACK: &str = "referral bonus taken back: its top-up was refunded";

/// The ledger reason of a referral bonus (the history names it by this).
pub const REFERRAL_REASON: &str = "referral";
