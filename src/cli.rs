//! The command line: `run` and the admin verbs beside it. Each body loads what it needs, calls the
//! billing core, and prints for a person (or JSON where asked).

use crate::billing::{Billing, check_user_id, normalize_code};
use crate::config::Config;
use crate::db::Store;
use crate::error::{Error, Result};
use crate::model::{PromoCode, PromoKind, User};
use crate::money::Kopecks;
use crate::time::{date_of, expiry_from_date};
use clap::{Args, Parser, Subcommand};
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
    /// Users, payments, revenue and operations
    Stats {
        #[arg(long)]
        json: bool,
        /// Also draw the last 30 days (top-ups, operations by mode, new users) as a PNG
        #[arg(long, value_name = "FILE.png")]
        chart: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum PaymentCommand {
    /// One top-up's whole story (ID: ours, YooKassa's or Telegram's charge id)
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Top-ups, newest first
    List {
        #[arg(long, value_name = "ID")]
        user: Option<i64>,
        #[arg(long, value_name = "S")]
        status: Option<String>,
        #[arg(long, value_name = "YYYY-MM-DD")]
        since: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Give a credited top-up back through its provider and debit its credit once confirmed
    Refund {
        id: String,
        #[arg(long)]
        reason: Option<String>,
    },
}

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
    /// Percent off the user's next top-up (1–99); the full amount is credited
    #[arg(long, group = "kind", value_parser = clap::value_parser!(u8).range(1..=99))]
    pub percent: Option<u8>,
    /// The code gives free access to every paid mode
    #[arg(long, group = "kind")]
    pub free_access: bool,
    /// The code adds N free operations
    #[arg(long, group = "kind", value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub bonus_ops: Option<u32>,
    /// How many users may use it (unlimited when absent)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..))]
    pub max_uses: Option<i64>,
    /// Last day the code works (UTC)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub expires: Option<String>,
}

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

/// Runs one parsed command line. Errors come back to `main`, which prints them.
pub fn execute(cli: Cli) -> Result<ExitCode> {
    let config = Arc::new(Config::from_env()?);
    crate::logging::init(&config);
    match cli.command {
        Command::Run => crate::app::run(config),
        Command::Migrate => {
            let store = Store::open_unmigrated(&config.database_path)?;
            let applied = store.migrate()?;
            if applied.is_empty() {
                println!("{}: schema is up to date", config.database_path.display());
            } else {
                for name in applied {
                    println!("applied {name}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Promo(cmd) => promo(&billing(&config)?, cmd),
        Command::User(cmd) => user(&billing(&config)?, cmd),
        Command::Backup { dest } => {
            crate::db::backup(&config.database_path, &dest)?;
            println!("backup written to {}", dest.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Check => check(&config),
        Command::Stats { json, chart } => {
            let billing = billing(&config)?;
            if let Some(path) = chart {
                let png = crate::chart::render(&billing.store().daily(crate::chart::DAYS)?)?;
                std::fs::write(&path, &png)
                    .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
                eprintln!(
                    "chart of the last {} days written to {} ({}×{}, {} bytes)",
                    crate::chart::DAYS,
                    path.display(),
                    crate::chart::WIDTH,
                    crate::chart::HEIGHT,
                    png.len()
                );
            }
            stats(&billing, json)
        }
        Command::Payment(cmd) => payment(&config, cmd),
        Command::Reconcile { since } => reconcile(&config, since.as_deref()),
        Command::Broadcast {
            text_file,
            dry_run,
            only_paying,
        } => broadcast(&billing(&config)?, &text_file, dry_run, only_paying),
    }
}

/// `broadcast`: the text is checked and queued, one row per recipient, for the running bot to send.
fn broadcast(
    billing: &Billing,
    file: &std::path::Path,
    dry_run: bool,
    only_paying: bool,
) -> Result<ExitCode> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::io(format!("cannot read {}", file.display()), e))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(format!("{} is empty", file.display())));
    }
    if text.chars().count() > 4096 {
        return Err(Error::invalid(format!(
            "{} holds {} characters; a Telegram message takes at most 4096",
            file.display(),
            text.chars().count()
        )));
    }
    let store = billing.store();
    if dry_run {
        let n = store.broadcast_audience(only_paying)?;
        println!("dry run: {n} users would get it; nothing was queued");
        return Ok(ExitCode::SUCCESS);
    }
    let (id, n) = store.create_broadcast(text, None, only_paying, None)?;
    println!(
        "broadcast {id} queued for {n} users; the running bot (`media-lab run`) sends it at 25 a second"
    );
    Ok(ExitCode::SUCCESS)
}

/// `reconcile`: both providers' payments since the day, settled against the books; prints a line per
/// payment and a tally. Exits non-zero when a provider could not be asked or something needs a look.
fn reconcile(config: &Arc<Config>, since: Option<&str>) -> Result<ExitCode> {
    use crate::payments::Finding;
    let since = match since {
        Some(day) => expiry_from_date(day)? - 86_400,
        None => (crate::time::now() / 86_400 - 7) * 86_400,
    };
    let payments = payments(config, billing(config)?)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))?;
    println!("reconcile: payments since {} (UTC)", date_of(since));
    let mut lists = Vec::new();
    if payments.is_configured() {
        lists.push((
            "YooKassa",
            runtime.block_on(payments.reconcile_yookassa(since)),
        ));
    } else {
        println!("YooKassa: not configured, not asked");
    }
    if config.telegram_bot_token.is_some() {
        lists.push((
            "Telegram Stars",
            runtime.block_on(payments.reconcile_stars(since)),
        ));
    } else {
        println!("Telegram Stars: TELEGRAM_BOT_TOKEN is not set, not asked");
    }
    let (mut tally, mut failed) = ([0usize; 7], false);
    for (provider, list) in lists {
        let found = match list {
            Ok(found) => found,
            Err(e) => {
                println!("{provider}: could not be asked: {e}");
                failed = true;
                continue;
            }
        };
        println!("{provider}: {} payments listed", found.len());
        for f in found {
            let (slot, what) = match &f.finding {
                Finding::Credited { adopted: true } => {
                    (0, "CREDITED  adopted (we had no row)".into())
                }
                Finding::Credited { adopted: false } => (0, "CREDITED".to_string()),
                Finding::AlreadyCredited => (1, "ok        already credited".into()),
                Finding::NotOurs(why) => (2, format!("skipped   not ours: {why}")),
                Finding::NotPaid(status) => (3, format!("skipped   not paid: {status}")),
                Finding::Attention(why) => (4, format!("LOOK      {why}")),
                Finding::RefundDebited { amount, shortfall } if shortfall.is_positive() => (
                    5,
                    format!(
                        "DEBITED   refund: {amount} ₽ taken, {shortfall} ₽ left as the user's debt"
                    ),
                ),
                Finding::RefundDebited { amount, .. } => {
                    (5, format!("DEBITED   refund: {amount} ₽ taken back"))
                }
                Finding::RefundAlready => (6, "ok        refund already recorded".into()),
            };
            tally[slot] += 1;
            println!("  {}  {what}  ({})", f.id, f.detail);
        }
    }
    // Refunds held while the provider had not answered: asked about once more now.
    match runtime.block_on(payments.follow_refunds(true)) {
        Ok(0) => {}
        Ok(n) => println!("pending refunds finished: {n}"),
        Err(e) => {
            println!("pending refunds could not be followed: {e}");
            failed = true;
        }
    }
    println!(
        "credited {}, already credited {}, not ours {}, not paid {}, to look at {}, refunds debited {}, refunds already recorded {}",
        tally[0], tally[1], tally[2], tally[3], tally[4], tally[5], tally[6]
    );
    Ok(if failed || tally[4] > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn payment(config: &Arc<Config>, cmd: PaymentCommand) -> Result<ExitCode> {
    let billing = billing(config)?;
    let store = billing.store().clone();
    match cmd {
        PaymentCommand::Show { id, json } => {
            let Some(p) = store.read(|c| crate::db::payments::find(c, &id))? else {
                return Err(Error::NotFound(format!("payment {id}")));
            };
            let events = store.read(|c| crate::db::payments::story(c, &p))?;
            let mut value = payment_json(&store, &p)?;
            value["events"] = events
                .iter()
                .map(|(at, what)| serde_json::json!({"at": crate::time::datetime_of(*at), "what": what}))
                .collect();
            if json {
                println!("{value}");
            } else {
                println!(
                    "{} ({}) user {}: {} ₽ credit, paid {} {}, {}",
                    p.id,
                    p.provider,
                    p.telegram_id,
                    p.amount,
                    crate::db::payments::price_text(&p),
                    p.currency,
                    value["status"].as_str().unwrap_or("")
                );
                for (at, what) in events {
                    println!("  {}  {what}", crate::time::datetime_of(at));
                }
            }
        }
        PaymentCommand::List {
            user,
            status,
            since,
            json,
        } => {
            let since = since
                .as_deref()
                .map(expiry_from_date)
                .transpose()?
                .map(|t| t - 86_400);
            let list = store
                .read(|c| crate::db::payments::list(c, user, status.as_deref(), since, 1000))?;
            let values = list
                .iter()
                .map(|p| payment_json(&store, p))
                .collect::<Result<Vec<_>>>()?;
            if json {
                println!("{}", serde_json::Value::Array(values));
            } else {
                for v in values {
                    println!(
                        "{}  {:<8} user {:<12} {:>10} ₽  {:<10} {}",
                        v["id"].as_str().unwrap_or(""),
                        v["provider"].as_str().unwrap_or(""),
                        v["telegram_id"],
                        v["credit"].as_str().unwrap_or(""),
                        v["status"].as_str().unwrap_or(""),
                        crate::time::datetime_of(v["created_at"].as_i64().unwrap_or(0)),
                    );
                }
            }
        }
        PaymentCommand::Refund { id, reason } => {
            let Some(p) = store.read(|c| crate::db::payments::find(c, &id))? else {
                return Err(Error::NotFound(format!("payment {id}")));
            };
            let payments = payments(config, billing.clone())?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::io("starting the async runtime", e))?;
            let outcome = runtime.block_on(payments.refund(&p.id))?;
            use crate::billing::RefundDebit;
            use crate::payments::RefundOutcome;
            let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
            match outcome {
                RefundOutcome::Done(RefundDebit::Debited {
                    telegram_id,
                    amount,
                    shortfall,
                }) => {
                    println!(
                        "payment {}: refunded{reason}; {amount} ₽ debited from user {telegram_id}",
                        p.id
                    );
                    if shortfall.is_positive() {
                        println!("  {shortfall} ₽ of the credit was no longer on the balance");
                    }
                }
                RefundOutcome::Done(other) => println!("payment {}: refunded; {other:?}", p.id),
                RefundOutcome::Pending => {
                    println!(
                        "payment {}: the provider has not finished the refund; its {} ₽ are held (not spendable) and the running bot follows it to the end",
                        p.id, p.amount
                    );
                }
                RefundOutcome::Refused(why) => {
                    eprintln!("error: {why}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `check`'s Stars lines: the bot's Star balance answers, and every recent incoming Star payment
/// Telegram lists was credited here. (good, line) each.
async fn stars_lines(bot: &teloxide::Bot, store: &Store) -> Result<Vec<(bool, String)>> {
    use teloxide::prelude::Requester;
    let balance = bot.get_my_star_balance().await?;
    let mut lines = vec![(
        true,
        format!("Telegram Stars: the bot holds {} Stars", balance.amount),
    )];
    let recent = bot.get_star_transactions().await?;
    let incoming: Vec<String> = recent
        .transactions
        .iter()
        .filter(|t| t.source.is_some())
        .map(|t| t.id.0.clone())
        .collect();
    let mut missing = Vec::new();
    for id in &incoming {
        if !store.has_ledger_key(&format!("stars:{id}"))? {
            missing.push(id.clone());
        }
    }
    lines.push(if missing.is_empty() {
        (
            true,
            format!(
                "Telegram Stars: the {} latest incoming payments are all credited",
                incoming.len()
            ),
        )
    } else {
        (
            false,
            format!(
                "Telegram Stars: paid but not credited here: {} (`media-lab reconcile` credits what is ours)",
                missing.join(", ")
            ),
        )
    });
    Ok(lines)
}

/// One payment as `payment show --json` and `payment list --json` print it.
fn payment_json(store: &Store, p: &crate::db::payments::Payment) -> Result<serde_json::Value> {
    let refunded = store.read(|c| crate::db::payments::refunded_at(c, &p.id))?;
    let paid = if p.currency == "XTR" {
        serde_json::json!(p.charge_amount.0)
    } else {
        serde_json::json!(p.charge_amount.to_decimal())
    };
    Ok(serde_json::json!({
        "id": p.id,
        "provider": p.provider,
        "telegram_id": p.telegram_id,
        "credit": p.amount.to_decimal(),
        "paid": paid,
        "currency": p.currency,
        "status": match p.refund.state {
            Some(state) => state.as_str(),
            None => p.status.as_str(),
        },
        "discount_code": p.discount_code,
        "provider_id": if p.provider == "stars" { p.charge_id.clone() } else { p.yookassa_id.clone() },
        "created_at": p.created_at,
        "refunded_at": refunded,
        "refund_id": p.refund.provider_id,
        "refund_shortfall": p.refund.shortfall.to_decimal(),
    }))
}

/// The payments edge for an admin verb, with the Bot API client when TELEGRAM_BOT_TOKEN is set
/// (Stars refunds and Star transactions need it).
fn payments(config: &Arc<Config>, billing: Billing) -> Result<crate::payments::Payments> {
    let payments = crate::payments::Payments::new(
        billing,
        config.clone(),
        Arc::new(crate::metrics::Metrics::default()),
    )?;
    Ok(match config.telegram_bot_token {
        Some(_) => payments.with_bot(crate::bot::client(config)?),
        None => payments,
    })
}

/// The billing core for an admin verb: the database as it is, never migrated (SPEC §3).
fn billing(config: &Arc<Config>) -> Result<Billing> {
    let store = Arc::new(Store::open_current(&config.database_path)?);
    Ok(Billing::new(store, config.clone()))
}

fn promo(billing: &Billing, cmd: PromoCommand) -> Result<ExitCode> {
    match cmd {
        PromoCommand::Init => {
            for (code, created) in billing.init_promo_codes()? {
                println!("{code}: {}", if created { "created" } else { "exists" });
            }
        }
        PromoCommand::Add(add) => {
            let kind = match (add.percent, add.free_access, add.bonus_ops) {
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

fn user(billing: &Billing, cmd: UserCommand) -> Result<ExitCode> {
    let shown = match cmd {
        UserCommand::Show { id, json } => {
            check_user_id(id)?;
            let user = billing
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
    println!("  first seen:       {}", date_of(u.created_at));
}

/// The operator's "is everything set up" command: every line is OK, WARN (optional and unset) or FAIL
/// (with what to do); any FAIL exits non-zero.
fn check(config: &Arc<Config>) -> Result<ExitCode> {
    println!("configuration:");
    let summary = config.summary();
    let width = summary.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, value) in summary {
        println!("  {name:<width$} {value}");
    }
    let mut failed = false;
    let mut fail = |what: String| {
        println!("FAIL  {what}");
        failed = true;
    };
    let warn = |what: &str| println!("WARN  {what}");
    let ok = |what: String| println!("OK    {what}");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))?;
    match &config.telegram_bot_token {
        None => warn("TELEGRAM_BOT_TOKEN is not set: `run` needs it (get one from @BotFather)"),
        Some(_) => {
            use teloxide::prelude::Requester;
            let bot = crate::bot::client(config)?;
            let me = runtime.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(20), bot.get_me()).await
            });
            let reached = matches!(me, Ok(Ok(_)));
            match me {
                Ok(Ok(me)) => ok(format!("Telegram: the token belongs to @{}", me.username())),
                Ok(Err(e @ teloxide::RequestError::Network(_))) => fail(format!(
                    "Telegram: {} (check the network and TELEGRAM_API_URL; the token was never asked about)",
                    crate::telegram::describe(&e)
                )),
                Ok(Err(e @ teloxide::RequestError::Api(teloxide::ApiError::InvalidToken))) => {
                    fail(format!(
                        "Telegram at {} refused the token: {e} (check TELEGRAM_BOT_TOKEN with @BotFather)",
                        config.telegram_api_url
                    ))
                }
                Ok(Err(e)) => fail(format!(
                    "Telegram at {} failed: {e}",
                    config.telegram_api_url
                )),
                Err(_) => fail(format!(
                    "Telegram at {} did not answer within 20 s",
                    config.telegram_api_url
                )),
            }
            if reached && config.stars_enabled {
                let store = Store::open_current(&config.database_path)?;
                match runtime.block_on(stars_lines(&bot, &store)) {
                    Ok(lines) => lines
                        .into_iter()
                        .for_each(|(good, line)| if good { ok(line) } else { fail(line) }),
                    Err(e) => fail(format!("Telegram Stars: {e}")),
                }
            }
        }
    }
    match crate::payments::yookassa::YooKassa::from_config(config)? {
        None if config.stars_enabled => warn(
            "YOOKASSA_SHOP_ID / YOOKASSA_SECRET_KEY are not set: top-ups are Telegram Stars only",
        ),
        None => warn(
            "YOOKASSA_SHOP_ID / YOOKASSA_SECRET_KEY are not set and STARS_ENABLED=false: the bot will say payments are not configured",
        ),
        Some(api) => {
            match runtime.block_on(api.check_credentials()) {
                Ok(()) => ok(format!(
                    "YooKassa: shop {} accepted the key ({} shop)",
                    config.yookassa.as_ref().map_or("", |y| y.shop_id.as_str()),
                    if api.is_test_shop() { "test" } else { "live" }
                )),
                // The error reads "YooKassa: …" already.
                Err(e) => fail(format!(
                    "{e} (check YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY in the dashboard, Integration → API keys)"
                )),
            }
            if config.yookassa_return_url.is_none() {
                warn("YOOKASSA_RETURN_URL is not set: payers are sent back to the bot's t.me link");
            }
        }
    }
    match config.yookassa_webhook_url.as_deref() {
        None => warn(
            "YOOKASSA_WEBHOOK_URL is not set: top-ups are credited by the reconciler (a minute or so late)",
        ),
        Some(url) if !url.starts_with("https://") => fail(format!(
            "YOOKASSA_WEBHOOK_URL {url} is not https://: YooKassa only posts to HTTPS"
        )),
        Some(url) if is_private_host(url) => fail(format!(
            "YOOKASSA_WEBHOOK_URL {url} is not a public address: YooKassa cannot reach it"
        )),
        Some(url) if !url.ends_with("/yookassa/webhook") => warn(&format!(
            "YOOKASSA_WEBHOOK_URL {url} does not end in /yookassa/webhook; make sure the proxy maps it there"
        )),
        Some(url) => ok(format!(
            "webhook URL {url}: enter it in the YooKassa dashboard (Settings → HTTP notifications)"
        )),
    }
    match &config.fal_key {
        None => warn("FAL_KEY is not set: paid modes will say they are unavailable"),
        Some(_) => ok("FAL_KEY is set (fal.ai has no free call to verify it; a refused key is logged on the first job)".into()),
    }
    match crate::db::litestream_seen(&config.database_path) {
        Some(at) => ok(format!(
            "Litestream replicates the database (its last local record of a change: {}; `litestream ltx {}` shows the replica)",
            crate::time::datetime_of(at),
            config.database_path.display()
        )),
        None => warn(
            "no Litestream replica next to the database: a dead disk takes every top-up since the last backup with it (README, \"Off-site replica and disaster recovery\")",
        ),
    }
    let billing = match billing(config) {
        Ok(b) => b,
        Err(e) => {
            fail(format!("database {}: {e}", config.database_path.display()));
            return Ok(ExitCode::FAILURE);
        }
    };
    for item in billing.attention()? {
        warn(&item);
    }
    let breaches = billing.audit()?;
    if breaches.is_empty() {
        ok(format!(
            "database {}: integrity, foreign keys and the books hold",
            config.database_path.display()
        ));
    }
    for b in breaches {
        fail(b);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// localhost, loopback and private-range hosts cannot receive YooKassa's notifications.
fn is_private_host(url: &str) -> bool {
    let host = url
        .split("://")
        .nth(1)
        .unwrap_or("")
        .split(['/', ':'])
        .next()
        .unwrap_or("");
    if host == "localhost" || host.ends_with(".local") || host.ends_with(".internal") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_private() || ip.is_loopback() || ip.is_link_local(),
        Ok(std::net::IpAddr::V6(ip)) => ip.is_loopback(),
        Err(_) => false,
    }
}

fn stats(billing: &Billing, json: bool) -> Result<ExitCode> {
    let s = billing.store().stats()?;
    if json {
        let mut v = serde_json::to_value(&s).map_err(|e| Error::Database(e.to_string()))?;
        v["revenue"] = Kopecks(s.revenue_kopecks).to_decimal().into();
        v["credited"] = Kopecks(s.credited_kopecks).to_decimal().into();
        v["balances"] = Kopecks(s.balances_kopecks).to_decimal().into();
        println!("{v}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "users:            {} ({} with free access)",
        s.users, s.users_with_free_access
    );
    println!("balances:         {} ₽", Kopecks(s.balances_kopecks));
    println!(
        "revenue:          {} ₽ and {} Stars paid, {} ₽ credited",
        Kopecks(s.revenue_kopecks),
        s.revenue_stars,
        Kopecks(s.credited_kopecks)
    );
    println!("payments (credit):");
    for p in &s.payments {
        println!(
            "  {:<9} {:<20} {:>6}  {} ₽",
            p.provider,
            p.status,
            p.count,
            Kopecks(p.amount_kopecks)
        );
    }
    println!("operations:");
    for o in &s.operations {
        println!("  {:<10} {:<9} {:>6}", o.mode, o.status, o.count);
    }
    println!("jobs in flight:   {}", s.jobs_in_flight);
    println!(
        "referrals:        {} invited, {} topped up",
        s.referrals, s.referrals_converted
    );
    Ok(ExitCode::SUCCESS)
}
