//! `user`: look at one user, grant or revoke free access, credit or debit.

use super::Core;
use crate::billing::check_user_id;
use crate::error::{Error, Result};
use crate::model::User;
use crate::money::Kopecks;
use crate::time::date_of;
use clap::Subcommand;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Show one user
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Give a user free access to every paid mode (creates the user if needed)
    GrantFreeAccess { id: i64 },
    /// Take free access away
    RevokeFreeAccess { id: i64 },
    /// Credit (or, with a negative AMOUNT, debit) a balance in roubles; recorded in the ledger
    #[command(allow_negative_numbers = true)]
    Credit {
        id: i64,
        amount: String,
        #[arg(long)]
        reason: String,
    },
}

pub(super) fn run(core: &Core, cmd: UserCommand) -> Result<ExitCode> {
    let billing = &core.billing;
    let shown = match cmd {
        UserCommand::Show { id, json } => {
            check_user_id(id)?;
            let user = core
                .store
                .user(id)?
                .ok_or_else(|| Error::NotFound(format!("user {id}")))?;
            let standing = billing.referral_standing(id)?;
            if json {
                let mut value = user_json(&user);
                value["invited_by"] = standing.invited_by.into();
                value["invited"] = standing.invited.into();
                value["invited_topped_up"] = standing.rewarded.into();
                println!("{value}");
                return Ok(ExitCode::SUCCESS);
            }
            print_user(&user);
            match standing.invited_by {
                Some(inviter) => println!("  invited by:       {inviter}"),
                None => println!("  invited by:       nobody"),
            }
            println!(
                "  invited:          {} ({} of them topped up)",
                standing.invited, standing.rewarded
            );
            return Ok(ExitCode::SUCCESS);
        }
        UserCommand::GrantFreeAccess { id } => {
            billing.set_free_access(id, true, "by the operator")?
        }
        UserCommand::RevokeFreeAccess { id } => {
            billing.set_free_access(id, false, "by the operator")?
        }
        UserCommand::Credit { id, amount, reason } => {
            let delta = Kopecks::parse_roubles(&amount, true).map_err(Error::invalid)?;
            let key = crate::ids::random_id("cli-")?;
            billing.adjust(id, delta, &reason, &key)?
        }
    };
    print_user(&shown);
    Ok(ExitCode::SUCCESS)
}

fn user_json(u: &User) -> serde_json::Value {
    serde_json::json!({
        "telegram_id": u.telegram_id,
        "balance": u.balance.to_decimal(),
        "free_operations_left": u.free_operations_left,
        "has_free_access": u.has_free_access,
        "username": u.username,
        "language_code": u.language_code,
        "pending_discount_code": u.pending_discount_code,
        "created_at": u.created_at,
        "debt": u.debt.to_decimal(),
        "operation_code": u.standing_discount.as_ref().map(|(code, _)| code),
        "operation_discount_percent": u.standing_discount.as_ref().map(|(_, p)| p),
        "plan_operations_left": u.plan_operations_left,
        "plan_until": u.plan_until.map(crate::time::local_datetime),
    })
}

fn print_user(u: &User) {
    println!(
        "user {}{}",
        u.telegram_id,
        u.username
            .as_deref()
            .map(|n| format!(" (@{n})"))
            .unwrap_or_default()
    );
    println!("  balance:          {} ₽", u.balance);
    if u.debt.is_positive() {
        println!(
            "  debt:             {} ₽ (a refunded top-up the balance no longer covered; the next credits pay it first)",
            u.debt
        );
    }
    println!("  free operations:  {}", u.free_operations_left);
    println!(
        "  free access:      {}",
        if u.has_free_access { "yes" } else { "no" }
    );
    if let Some(code) = &u.pending_discount_code {
        println!("  discount code:    {code} (for the next top-up)");
    }
    if let Some((code, percent)) = &u.standing_discount {
        println!("  operation code:   {code} ({percent}% off every operation)");
    }
    if let Some(until) = u.plan_until {
        println!(
            "  plan:             {} operations left, until {}",
            u.plan_operations_left,
            crate::time::local_datetime(until)
        );
    }
    println!("  first seen:       {}", date_of(u.created_at));
}
