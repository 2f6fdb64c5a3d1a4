//! The command line: `run` and the admin verbs beside it, a file per verb group. Each body loads what
//! it needs, calls the core by name, and prints for a person (or JSON where asked).

mod broadcast;
mod check;
mod models;
mod payment;
mod promo;
mod stats;
mod support;
mod user;

pub use payment::PaymentCommand;
pub use promo::{PromoAdd, PromoCommand};
pub use support::SupportCommand;
pub use user::UserCommand;

use crate::billing::Billing;
use crate::config::Config;
use crate::db::Store;
use crate::error::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Parser)]
#[command(
    name = "media-lab",
    version,
    about = "Telegram bot for paid AI image work: fal.ai jobs, YooKassa top-ups, one SQLite file"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate, take the single-instance lock, and run the bot, listener and workers until SIGTERM
    Run,
    /// Apply the embedded database migrations and print what was applied
    Migrate,
    /// Promo codes: discounts on top-ups, free access, bonus free operations
    #[command(subcommand)]
    Promo(PromoCommand),
    /// Look at and adjust one user
    #[command(subcommand)]
    User(UserCommand),
    /// Write a consistent copy of the database to DEST, safe while `run` is running
    Backup { dest: PathBuf },
    /// Check the configuration, the database and the books; exit non-zero if anything is wrong
    Check,
    /// Top-ups of both providers: one's whole story, a list, a refund
    #[command(subcommand)]
    Payment(PaymentCommand),
    /// Ask YooKassa and Telegram for every payment since a date and credit, once, what is ours and
    /// not credited here (step 3 of restoring from a replica)
    Reconcile {
        /// First day to ask about (UTC); a week ago when absent
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<String>,
    },
    /// One message to every user, sent by the running bot at 25 a second, never twice to anyone
    Broadcast {
        /// The message, as plain text (Telegram shows it exactly as written: no markup is parsed)
        #[arg(long, value_name = "F")]
        text_file: PathBuf,
        /// Say how many would get it, and send nothing
        #[arg(long)]
        dry_run: bool,
        /// Only users who have topped up
        #[arg(long)]
        only_paying: bool,
    },
    /// The model catalogue in force: mode, label, endpoint, price, cost at FAL_USD_RUB, margin
    Models,
    /// The support inbox: tickets, their messages, answers
    #[command(subcommand)]
    Support(SupportCommand),
    /// Users, payments, revenue and operations
    Stats {
        #[arg(long)]
        json: bool,
        /// Also draw the last 30 days (top-ups, fal's cost, operations by mode, new users) as a PNG
        #[arg(long, value_name = "FILE.png")]
        chart: Option<PathBuf>,
        /// Also write the workbook (summary, users, operations, by model, by day/week/month,
        /// payments, referrals, AI questions, support) as an .xlsx file
        #[arg(long, value_name = "FILE.xlsx")]
        export: Option<PathBuf>,
    },
}

/// Runs one parsed command line. Errors come back to `main`, which prints them.
pub fn execute(cli: Cli) -> Result<ExitCode> {
    let config = Arc::new(Config::from_env()?);
    crate::logging::init(&config);
    crate::time::use_zone(config.operations.time_zone.clone());
    match cli.command {
        Command::Run => crate::app::run(config),
        Command::Migrate => {
            let store = Store::open_unmigrated(&config.operations.database_path)?;
            let applied = store.migrate()?;
            if applied.is_empty() {
                println!(
                    "{}: schema is up to date",
                    config.operations.database_path.display()
                );
            } else {
                for name in applied {
                    println!("applied {name}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Models => models::run(&config),
        Command::Support(cmd) => support::run(&Core::open(&config)?.store, cmd),
        Command::Promo(cmd) => promo::run(&Core::open(&config)?.billing, cmd),
        Command::User(cmd) => user::run(&Core::open(&config)?, cmd),
        Command::Backup { dest } => {
            crate::db::backup(&config.operations.database_path, &dest)?;
            println!("backup written to {}", dest.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => check::run(&config),
        Command::Stats {
            json,
            chart,
            export,
        } => stats::run(
            &Core::open(&config)?.store,
            json,
            (chart.as_deref(), export.as_deref()),
            config.fal.fal_usd_rub,
        ),
        Command::Payment(cmd) => payment::run(&Core::open(&config)?, cmd),
        Command::Reconcile { since } => payment::reconcile(&Core::open(&config)?, since.as_deref()),
        Command::Broadcast {
            text_file,
            dry_run,
            only_paying,
        } => broadcast::run(
            &Core::open(&config)?.store,
            &text_file,
            dry_run,
            only_paying,
        ),
    }
}

/// What an admin verb works on: the database as it is, never migrated (SPEC §3), and the billing
/// core over it.
/// The async runtime a command that talks to a provider runs its calls on (one thread: a command
/// does one thing at a time).
fn runtime() -> crate::error::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::error::Error::io("starting the async runtime", e))
}

pub(super) struct Core {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub billing: Billing,
}

impl Core {
    pub fn open(config: &Arc<Config>) -> Result<Core> {
        let store = Arc::new(Store::open_current(&config.operations.database_path)?);
        Ok(Core {
            config: config.clone(),
            billing: Billing::new(store.clone(), config.clone()),
            store,
        })
    }

    /// The payments edge, with the Bot API client when TELEGRAM_BOT_TOKEN is set (Stars refunds
    /// and Star transactions need it).
    pub fn payments(&self) -> Result<crate::payments::Payments> {
        let payments = crate::payments::Payments::new(
            self.store.clone(),
            self.billing.clone(),
            self.config.clone(),
            Arc::new(crate::metrics::Metrics::default()),
        )?;
        Ok(match self.config.telegram.telegram_bot_token {
            Some(_) => payments.with_bot(crate::bot::client(&self.config)?),
            None => payments,
        })
    }
}
