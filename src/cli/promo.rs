//! `promo`: discount codes, free access and bonus operations.

use crate::billing::{Billing, normalize_code};
use crate::error::{Error, Result};
use crate::model::{PromoCode, PromoKind};
use crate::time::{date_of, expiry_from_date};
use clap::{Args, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PromoCommand {
    /// Create the standard codes (WELCOME10, SAVE20, BONUS30, MEGA50, FREE_ACCESS); safe to repeat
    Init,
    /// Create a new code
    Add(PromoAdd),
    /// All codes with their use counts
    List,
    /// Switch a code off
    Disable { code: String },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("kind").required(true).multiple(false)))]
pub struct PromoAdd {
    pub code: String,
    /// Percent off the user's next top-up (1–99; the full amount is credited), or with
    /// `--on operations` off every paid operation until the user cancels it
    #[arg(long, group = "kind", value_parser = clap::value_parser!(u8).range(1..=99))]
    pub percent: Option<u8>,
    /// What a --percent code discounts: `topup` (the next top-up, the default) or `operations`
    #[arg(long, value_name = "topup|operations", requires = "percent", value_parser = ["topup", "operations"])]
    pub on: Option<String>,
    /// The code gives free access to every paid mode
    #[arg(long, group = "kind")]
    pub free_access: bool,
    /// The code adds N free operations
    #[arg(long, group = "kind", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub bonus_ops: Option<u32>,
    /// How many users may use it (unlimited when absent)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub max_uses: Option<i64>,
    /// Last day the code works (in TIME_ZONE)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: Option<String>,
}

pub(super) fn run(billing: &Billing, cmd: PromoCommand) -> Result<ExitCode> {
    match cmd {
        PromoCommand::Init => {
            for (code, created) in billing.init_promo_codes()? {
                println!("{code}: {}", if created { "created" } else { "exists" });
            }
        }
        PromoCommand::Add(add) => {
            let kind = match (add.percent, add.free_access, add.bonus_ops) {
                (Some(p), _, _) if add.on.as_deref() == Some("operations") => {
                    PromoKind::OperationsPercent(p)
                }
                (Some(p), _, _) => PromoKind::Percent(p),
                (_, true, _) => PromoKind::FreeAccess,
                (_, _, Some(n)) => PromoKind::BonusOps(n),
                _ => {
                    return Err(Error::invalid(
                        "give one of --percent, --free-access, --bonus-ops",
                    ));
                }
            };
            let expires_at = add.expires.as_deref().map(expiry_from_date).transpose()?;
            let code = PromoCode {
                code: normalize_code(&add.code)?,
                kind,
                max_uses: add.max_uses,
                used_count: 0,
                expires_at,
                is_active: true,
            };
            billing.add_promo_code(&code)?;
            println!("created {}", describe_code(&code));
        }
        PromoCommand::List => {
            let codes = billing.promo_codes()?;
            if codes.is_empty() {
                println!("no promo codes yet; `media-lab promo init` creates the standard ones");
            }
            for code in codes {
                println!("{}", describe_code(&code));
            }
        }
        PromoCommand::Disable { code } => {
            billing.disable_promo_code(&code)?;
            println!("{} disabled", code.trim().to_uppercase());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn describe_code(c: &PromoCode) -> String {
    let what = match c.kind {
        PromoKind::Percent(p) => format!("{p}% off a top-up"),
        PromoKind::OperationsPercent(p) => format!("{p}% off every operation"),
        PromoKind::FreeAccess => "free access".into(),
        PromoKind::BonusOps(n) => format!("{n} free operations"),
    };
    let uses = match c.max_uses {
        Some(max) => format!("used {}/{max}", c.used_count),
        None => format!("used {}", c.used_count),
    };
    let expires = c
        .expires_at
        .map(|at| format!(", expires after {}", date_of(at - 1)))
        .unwrap_or_default();
    let state = if c.is_active { "" } else { ", disabled" };
    format!("{:<16} {what}, {uses}{expires}{state}", c.code)
}
