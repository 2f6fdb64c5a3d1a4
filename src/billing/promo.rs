//! Promo codes: discount codes for the next top-up, operation codes (a standing discount on every
//! operation), and generation codes (free access, bonus free operations).

use super::{Billing, must_get_user, set_free_access_in};
use crate::db::{self, ledger, promo};
use crate::error::{Error, Result};
use crate::model::{CodeRefusal, PromoCode, PromoKind, User};
use crate::money::Kopecks;
use rusqlite::Connection;

/// The codes `promo init` creates (the seed's `scripts/init_discount_codes.py`).
pub const STANDARD_CODES: &[(&str, PromoKind, Option<i64>)] = &[
    ("WELCOME10", PromoKind::Percent(10), None),
    ("SAVE20", PromoKind::Percent(20), None),
    ("BONUS30", PromoKind::Percent(30), None),
    ("MEGA50", PromoKind::Percent(50), None),
    // One use: it serves the owner and is not an open door.
    ("FREE_ACCESS", PromoKind::FreeAccess, Some(1)),
];

/// What a generation code gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeemed {
    FreeAccess(User),
    BonusOps { added: u32, user: User },
}

/// Codes are compared in upper case without surrounding space; only letters, digits, `_` and `-`.
pub fn normalize_code(text: &str) -> Result<String> {
    let code = text.trim().to_uppercase();
    let ok = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(code)
    } else {
        Err(Error::invalid(format!(
            "{:?} is not a promo code (letters, digits, _ and -, up to 64)",
            text.trim()
        )))
    }
}

impl Billing {
    /// Creates the standard codes that do not exist yet; returns each code with whether it was created.
    pub fn init_promo_codes(&self) -> Result<Vec<(&'static str, bool)>> {
        self.store.write(|tx| {
            let now = crate::time::now();
            STANDARD_CODES
                .iter()
                .map(|(code, kind, max_uses)| {
                    let created = promo::insert(
                        tx,
                        &PromoCode {
                            code: (*code).to_string(),
                            kind: *kind,
                            max_uses: *max_uses,
                            used_count: 0,
                            expires_at: None,
                            is_active: true,
                        },
                        now,
                    )?;
                    Ok((*code, created))
                })
                .collect()
        })
    }

    pub fn add_promo_code(&self, code: &PromoCode) -> Result<()> {
        let created = self
            .store
            .write(|tx| promo::insert(tx, code, crate::time::now()))?;
        if created {
            Ok(())
        } else {
            Err(Error::invalid(format!(
                "the code {} already exists",
                code.code
            )))
        }
    }

    pub fn promo_codes(&self) -> Result<Vec<PromoCode>> {
        self.store.read(promo::list)
    }

    pub fn disable_promo_code(&self, code: &str) -> Result<()> {
        let code = normalize_code(code)?;
        if self.store.write(|tx| promo::set_active(tx, &code, false))? {
            Ok(())
        } else {
            Err(Error::NotFound(format!("promo code {code}")))
        }
    }

    /// The user's pending discount code and its percent, if it is still usable.
    pub fn pending_discount(&self, telegram_id: i64) -> Result<Option<(String, u8)>> {
        self.store.read(|c| {
            let Some(code) = db::users::get(c, telegram_id)?.and_then(|u| u.pending_discount_code)
            else {
                return Ok(None);
            };
            Ok(match usable(c, telegram_id, &code)? {
                Ok(PromoCode {
                    kind: PromoKind::Percent(p),
                    ..
                }) => Some((code, p)),
                _ => None,
            })
        })
    }

    /// Applies a discount code to the user's next top-up. The code is checked now and again when the
    /// draft is created, which reserves it (SPEC §4); the reservation becomes the use when that payment
    /// succeeds.
    pub fn apply_discount_code(
        &self,
        telegram_id: i64,
        text: &str,
    ) -> Result<Result<PromoCode, CodeRefusal>> {
        let Ok(code) = normalize_code(text) else {
            return Ok(Err(CodeRefusal::Unknown));
        };
        self.store.write(|tx| {
            must_get_user(tx, telegram_id)?;
            let found = match usable(tx, telegram_id, &code)? {
                Ok(found) => found,
                Err(refusal) => return Ok(Err(refusal)),
            };
            match found.kind {
                PromoKind::Percent(_) => {
                    db::users::set_pending_discount_code(tx, telegram_id, Some(&found.code))?
                }
                // An operation code is used once it is entered: it counts against its max uses
                // (users who activated it) and stands until cancelled (SPEC §4).
                PromoKind::OperationsPercent(_) => {
                    promo::record_use(tx, telegram_id, &code, None, crate::time::now())?;
                    db::users::set_standing_code(tx, telegram_id, Some(&found.code))?;
                }
                _ => return Ok(Err(CodeRefusal::WrongKind)),
            }
            Ok(Ok(found))
        })
    }

    /// The user cancels their operation code (❌ in the balance screen): prices are full again.
    /// True when they held one.
    pub fn cancel_standing_code(&self, telegram_id: i64) -> Result<bool> {
        self.store.write(|tx| {
            let held = must_get_user(tx, telegram_id)?.standing_discount.is_some();
            db::users::set_standing_code(tx, telegram_id, None)?;
            Ok(held)
        })
    }

    /// Redeems a generation code: free access, or bonus free operations through the ledger.
    pub fn redeem_generation_code(
        &self,
        telegram_id: i64,
        text: &str,
    ) -> Result<Result<Redeemed, CodeRefusal>> {
        let Ok(code) = normalize_code(text) else {
            return Ok(Err(CodeRefusal::Unknown));
        };
        self.store.write(|tx| {
            must_get_user(tx, telegram_id)?;
            let found = match usable(tx, telegram_id, &code)? {
                Ok(found) => found,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let now = crate::time::now();
            let redeemed = match found.kind {
                PromoKind::Percent(_) | PromoKind::OperationsPercent(_) => {
                    return Ok(Err(CodeRefusal::WrongKind));
                }
                PromoKind::FreeAccess => {
                    promo::record_use(tx, telegram_id, &code, None, now)?;
                    if !must_get_user(tx, telegram_id)?.has_free_access {
                        set_free_access_in(tx, telegram_id, true, &format!("code {code}"))?;
                    }
                    Redeemed::FreeAccess(must_get_user(tx, telegram_id)?)
                }
                PromoKind::BonusOps(n) => {
                    promo::record_use(tx, telegram_id, &code, None, now)?;
                    ledger::append(
                        tx,
                        &ledger::Entry {
                            telegram_id,
                            kind: ledger::Kind::Promo,
                            amount: Kopecks::ZERO,
                            free_ops: i64::from(n),
                            key: &ledger::key::promo(telegram_id, &code),
                            operation_id: None,
                            payment_id: None,
                            reason: Some(&code),
                        },
                        now,
                    )?;
                    Redeemed::BonusOps {
                        added: n,
                        user: must_get_user(tx, telegram_id)?,
                    }
                }
            };
            Ok(Ok(redeemed))
        })
    }
}

/// The code if this user may use it now: it exists, is active, has not expired, this user has not
/// used it, and its uses plus live reservations are under its max uses. A reservation this user holds
/// (an unpaid discounted draft) does not make the code unusable for them: the draft flow sees it.
pub(super) fn usable(
    conn: &Connection,
    telegram_id: i64,
    code: &str,
) -> Result<Result<PromoCode, CodeRefusal>> {
    let Some(found) = promo::get(conn, code)? else {
        return Ok(Err(CodeRefusal::Unknown));
    };
    let refusal = if !found.is_active {
        Some(CodeRefusal::Disabled)
    } else if found.expires_at.is_some_and(|at| crate::time::now() >= at) {
        Some(CodeRefusal::Expired)
    } else if promo::has_used(conn, telegram_id, code)? {
        Some(CodeRefusal::AlreadyUsed)
    } else if promo::reserved_by(conn, telegram_id, code)?.is_some() {
        None
    } else if let Some(max) = found.max_uses
        && promo::taken(conn, code)? >= max
    {
        Some(CodeRefusal::UsedUp)
    } else {
        None
    };
    Ok(refusal.map_or(Ok(found), Err))
}
