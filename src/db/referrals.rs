//! `referrals` and the users' invite codes: who invited whom, and the top-up that earned the bonus.

use crate::error::Result;
use rusqlite::{Connection, OptionalExtension, params};

/// The user's invite code, if one was made.
pub fn code_of(c: &Connection, telegram_id: i64) -> Result<Option<String>> {
    Ok(c.query_row(
        "SELECT invite_code FROM users WHERE telegram_id = ?1",
        [telegram_id],
        super::only,
    )
    .optional()?
    .flatten())
}

/// Gives the user `code` unless another user has it; false when taken.
pub fn set_code(tx: &Connection, telegram_id: i64, code: &str) -> Result<bool> {
    let taken: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM users WHERE invite_code = ?1)",
        [code],
        super::only,
    )?;
    if taken {
        return Ok(false);
    }
    tx.execute(
        "UPDATE users SET invite_code = ?2 WHERE telegram_id = ?1",
        params![telegram_id, code],
    )?;
    Ok(true)
}

/// Whose invite code this is.
pub fn owner_of(c: &Connection, code: &str) -> Result<Option<i64>> {
    Ok(c.query_row(
        "SELECT telegram_id FROM users WHERE invite_code = ?1",
        [code],
        super::only,
    )
    .optional()?)
}

/// Whether the user has had a top-up credited.
pub fn has_topup(c: &Connection, telegram_id: i64) -> Result<bool> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM ledger WHERE telegram_id = ?1 AND kind = 'topup')",
        [telegram_id],
        super::only,
    )?)
}

/// Ties `invitee` to `inviter`, once; false when the invitee was tied before.
pub fn tie(tx: &Connection, invitee: i64, inviter: i64, now: i64) -> Result<bool> {
    Ok(tx.execute(
        "INSERT INTO referrals (invitee_id, inviter_id, created_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (invitee_id) DO NOTHING",
        params![invitee, inviter, now],
    )? == 1)
}

pub fn invited_by(c: &Connection, invitee: i64) -> Result<Option<i64>> {
    Ok(c.query_row(
        "SELECT inviter_id FROM referrals WHERE invitee_id = ?1",
        [invitee],
        super::only,
    )
    .optional()?)
}

/// How many the inviter invited, and how many of those earned the bonus.
pub fn counts(c: &Connection, inviter: i64) -> Result<(i64, i64)> {
    Ok(c.query_row(
        "SELECT count(*) AS invited, count(rewarded_at) AS rewarded FROM referrals WHERE inviter_id = ?1",
        [inviter],
        |r| Ok((r.get("invited")?, r.get("rewarded")?)),
    )?)
}

/// The inviter of `invitee` while the bonus is still to be earned.
pub fn unrewarded_inviter(c: &Connection, invitee: i64) -> Result<Option<i64>> {
    Ok(c.query_row(
        "SELECT inviter_id FROM referrals WHERE invitee_id = ?1 AND rewarded_at IS NULL",
        [invitee],
        super::only,
    )
    .optional()?)
}

/// The bonus was given for `payment_id`.
pub fn set_rewarded(tx: &Connection, invitee: i64, payment_id: &str, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE referrals SET rewarded_at = ?2, payment_id = ?3 WHERE invitee_id = ?1",
        params![invitee, now, payment_id],
    )?;
    Ok(())
}

/// (invitee, inviter) of the bonus `payment_id` earned and that was not taken back yet.
pub fn earned_by(c: &Connection, payment_id: &str) -> Result<Option<(i64, i64)>> {
    Ok(c.query_row(
        "SELECT invitee_id, inviter_id FROM referrals
          WHERE payment_id = ?1 AND rewarded_at IS NOT NULL AND taken_back_at IS NULL",
        [payment_id],
        |r| Ok((r.get("invitee_id")?, r.get("inviter_id")?)),
    )
    .optional()?)
}

pub fn set_taken_back(tx: &Connection, invitee: i64, now: i64) -> Result<()> {
    tx.execute(
        "UPDATE referrals SET taken_back_at = ?2 WHERE invitee_id = ?1",
        params![invitee, now],
    )?;
    Ok(())
}
