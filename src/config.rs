//! Configuration from the environment plus an optional `.env` in the working directory (the
//! environment wins). Everything is parsed and validated once, before anything starts; the result is
//! passed around as `Arc<Config>`.

use crate::catalogue::{self, Catalogue, Model};
use crate::cidr::Cidr;
use crate::error::{Error, Result};
use crate::model::Mode;
use crate::money::Kopecks;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// YooKassa's published notification sources.
pub const YOOKASSA_PUBLISHED_IPS: &str = "185.71.76.0/27,185.71.77.0/27,77.75.153.0/25,77.75.156.11,77.75.156.35,77.75.154.128/25,2a02:5180::/32";

/// A value that must never reach a log line or an error message.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value itself, for the one place that sends it (an auth header, a URL path).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// YooKassa settings; present only when both the shop id and the secret key are set.
#[derive(Debug, Clone)]
pub struct YooKassa {
    pub shop_id: String,
    pub secret_key: Secret,
}

/// YooKassa's receipt `payment_mode` values.
const PAYMENT_MODES: &[&str] = &[
    "full_prepayment",
    "partial_prepayment",
    "advance",
    "full_payment",
    "partial_payment",
    "credit",
    "credit_payment",
];

/// YooKassa's receipt `payment_subject` values.
const PAYMENT_SUBJECTS: &[&str] = &[
    "commodity",
    "excise",
    "job",
    "service",
    "gambling_bet",
    "gambling_prize",
    "lottery",
    "lottery_prize",
    "intellectual_activity",
    "payment",
    "agent_commission",
    "composite",
    "another",
    "property_right",
    "non-operating_gain",
    "insurance_premium",
    "sales_tax",
    "resort_fee",
];

/// Everything media-lab reads from its environment, grouped the way SPEC §2 lists it. Each section
/// is read by its own `read`, which records every variable it reads for `check`.
#[derive(Debug, Clone)]
pub struct Config {
    pub telegram: Telegram,
    pub prices: Prices,
    pub payments: Payments,
    pub fal: Fal,
    pub web: Web,
    pub operations: Operations,
    /// What `check` prints: each variable read, with the value in effect.
    summary: Vec<(&'static str, String)>,
}

/// The bot and the people around it: the token, the Bot API, the admins, and the contacts and
/// documents the bot points payers to.
#[derive(Debug, Clone)]
pub struct Telegram {
    pub telegram_bot_token: Option<Secret>,
    pub telegram_api_url: String,
    pub admin_telegram_ids: Vec<i64>,
    /// Who answers /paysupport: a @username, a t.me link or an e-mail.
    pub support_contact: Option<String>,
    pub terms_url: Option<String>,
    pub privacy_url: Option<String>,
}

/// What an operation costs and what is given away: prices per mode, free operations, referrals.
#[derive(Debug, Clone)]
pub struct Prices {
    pub price_per_operation: Kopecks,
    per_mode: BTreeMap<Mode, Kopecks>,
    pub free_operations_count: u32,
    /// Free operations each for inviter and invitee after the invitee's first top-up; 0 = off.
    pub referral_bonus_ops: u32,
    /// A top-up must credit at least this to earn the referral bonus (REFERRAL_MIN_TOPUP).
    pub referral_min_topup: Kopecks,
    /// One ✍️ prompt (PRICE_PROMPT); zero = free.
    pub price_prompt: Kopecks,
}

/// Top-ups: the amounts offered, YooKassa, and Telegram Stars (SPEC §5, §5b).
#[derive(Debug, Clone)]
pub struct Payments {
    pub topup_amounts: Vec<Kopecks>,
    pub yookassa: Option<YooKassa>,
    pub yookassa_return_url: Option<String>,
    pub yookassa_currency: String,
    pub yookassa_webhook_url: Option<String>,
    pub yookassa_api_url: String,
    pub yookassa_trusted_ips: Vec<Cidr>,
    /// First re-check of a pending payment by the reconciler; the gap doubles up to an hour.
    pub yookassa_recheck_secs: u32,
    /// With an email set, payments carry a 54-FZ receipt for that address.
    pub yookassa_receipt_email: Option<String>,
    pub yookassa_vat_code: u8,
    /// The receipt item's `payment_mode` and `payment_subject` (a balance top-up is an advance).
    pub yookassa_payment_mode: String,
    pub yookassa_payment_subject: String,
    /// Telegram Stars top-ups (SPEC §5b).
    pub stars_enabled: bool,
    /// Kopecks credited per Star.
    pub stars_rate: Kopecks,
    /// The Stars top-up buttons, in whole Stars.
    pub stars_topup_amounts: Vec<u32>,
    pub stars_invoice_ttl_secs: u32,
    /// How often the running bot compares Telegram's Star transactions with its credits.
    pub stars_reconcile_secs: u32,
    /// PLANS: monthly Stars subscriptions (SPEC §8b), in the order the menu shows them.
    pub plans: Vec<Plan>,
}

/// One plan of PLANS: `label:stars:operations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub label: String,
    pub stars: u32,
    pub operations: u32,
}

/// fal.ai and the work done through it: the key, the queue, each mode's model, and how many jobs
/// run at once and for how long.
#[derive(Debug, Clone)]
pub struct Fal {
    pub fal_key: Option<Secret>,
    pub fal_queue_url: String,
    /// fal's platform API (model list, pricing), asked by `check` and `models`.
    pub fal_api_url: String,
    /// The models each mode offers (SPEC §6b).
    pub catalogue: Catalogue,
    /// Kopecks per US dollar, for what each operation costs us.
    pub fal_usd_rub: Kopecks,
    /// Delivered results stay on disk this many days (📎 the original file); 0 = removed once
    /// delivered.
    pub results_keep_days: u32,
    /// The language model behind 🤖 (a model `fal-ai/any-llm` lists).
    pub llm_model: String,
    /// Free 🤖 questions per user per day; 0 = the assistant is off.
    pub assistant_daily_limit: u32,
    pub worker_concurrency: usize,
    pub job_timeout_secs: u64,
    /// A made result Telegram would not take for this long is refunded (SPEC §6).
    pub delivery_timeout_secs: u64,
}

/// The HTTP listener: where it listens and whose forwarded addresses it believes.
#[derive(Debug, Clone)]
pub struct Web {
    pub webhook_listen: SocketAddr,
    pub trusted_proxies: Vec<Cidr>,
    /// WEB_BASE_URL: the listener's public https address; set, it serves the Mini App (`/app`) and the
    /// admin pages (`/admin`), SPEC §10.
    pub web_base_url: Option<String>,
}

/// Running it: the database, backups to admins, logging.
#[derive(Debug, Clone)]
pub struct Operations {
    pub database_path: PathBuf,
    /// Send a compressed backup to every admin chat this often (hours); None = off.
    pub backup_to_admins_hours: Option<u32>,
    pub rust_log: String,
    pub log_format: LogFormat,
    /// TIME_ZONE: where the operator's days begin (histories, exports, the chart).
    pub time_zone: jiff::tz::TimeZone,
}

impl Config {
    /// Reads the process environment and `./.env`.
    pub fn from_env() -> Result<Config> {
        let dotenv = match std::fs::read_to_string(".env") {
            Ok(text) => parse_dotenv(&text)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(e) => return Err(Error::io("reading .env", e)),
        };
        Config::from_lookup(|name| {
            std::env::var(name)
                .ok()
                .or_else(|| dotenv.get(name).cloned())
        })
    }

    /// Builds the configuration from any lookup (the environment, or a map in tests).
    /// An empty value counts as unset, as in a template where `NAME=` was left blank. Every
    /// variable is read through `Env`, which records it with the value in effect: that record is
    /// `summary()`, so no variable can be read and left out of what `check` prints.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let env = Env {
            lookup: &lookup,
            shown: RefCell::new(Vec::new()),
        };
        let telegram = Telegram::read(&env)?;
        let operations = Operations::read(&env)?;
        let payments = Payments::read(&env)?;
        let prices = Prices::read(&env, &payments.topup_amounts)?;
        let fal = Fal::read(&env, &prices)?;
        let web = Web::read(&env)?;
        Ok(Config {
            telegram,
            prices,
            payments,
            fal,
            web,
            operations,
            summary: env.shown.into_inner(),
        })
    }

    /// The name of every variable media-lab reads.
    pub fn variables() -> Vec<&'static str> {
        Config::from_lookup(|_| None)
            .map(|c| c.summary.iter().map(|(name, _)| *name).collect())
            .unwrap_or_default()
    }

    /// The price of one operation in `mode` with a model that names none (PRICE_<MODE>).
    pub fn price(&self, mode: Mode) -> Kopecks {
        self.prices.price(mode)
    }

    /// The models `mode` offers.
    pub fn models(&self, mode: Mode) -> Vec<&Model> {
        self.fal.catalogue.of(mode)
    }

    pub fn is_admin(&self, telegram_id: i64) -> bool {
        self.telegram.admin_telegram_ids.contains(&telegram_id)
    }

    /// Every setting as `check` prints it, in the order they are read: secrets masked, unset
    /// optional ones marked, defaults shown as the value in effect.
    pub fn summary(&self) -> Vec<(String, String)> {
        self.summary
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect()
    }
}

impl Telegram {
    fn read(env: &Env) -> Result<Telegram> {
        let telegram_bot_token = env.secret("TELEGRAM_BOT_TOKEN")?;
        let telegram_api_url = env.url("TELEGRAM_API_URL", "https://api.telegram.org")?;
        let admin_telegram_ids = match env.text("ADMIN_TELEGRAM_IDS") {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
                        bad(
                            "ADMIN_TELEGRAM_IDS",
                            format!("{s:?} is not a Telegram user id"),
                        )
                    })
                })
                .collect::<Result<Vec<i64>>>()?,
        };
        env.show("ADMIN_TELEGRAM_IDS", joined(&admin_telegram_ids));
        Ok(Telegram {
            telegram_bot_token,
            telegram_api_url,
            admin_telegram_ids,
            support_contact: env.text("SUPPORT_CONTACT"),
            terms_url: env.optional_url("TERMS_URL")?,
            privacy_url: env.optional_url("PRIVACY_URL")?,
        })
    }
}

impl Prices {
    fn price(&self, mode: Mode) -> Kopecks {
        self.per_mode
            .get(&mode)
            .copied()
            .unwrap_or(self.price_per_operation)
    }

    /// `topups` are the amounts offered: the smallest is the default referral minimum.
    fn read(env: &Env, topups: &[Kopecks]) -> Result<Prices> {
        let price_per_operation = env.price("PRICE_PER_OPERATION")?.unwrap_or(Kopecks(1000));
        env.show("PRICE_PER_OPERATION", price_per_operation);
        let mut per_mode = BTreeMap::new();
        for mode in Mode::ALL {
            let var = price_var(mode);
            let price = env.price(var)?.unwrap_or(price_per_operation);
            env.show(var, price);
            per_mode.insert(mode, price);
        }
        let free_operations_count = env.number("FREE_OPERATIONS_COUNT", 4, 0, 1_000_000)?;
        let referral_bonus_ops = env.number("REFERRAL_BONUS_OPS", 2, 0, 1_000)?;
        let price_prompt = match env.text("PRICE_PROMPT") {
            None => Kopecks(300),
            Some(t) if t.trim() == "0" => Kopecks::ZERO,
            Some(t) => parse_price("PRICE_PROMPT", &t)?,
        };
        env.show("PRICE_PROMPT", price_prompt);
        let smallest = topups.iter().copied().min().unwrap_or(Kopecks(10_000));
        let referral_min_topup = env.price("REFERRAL_MIN_TOPUP")?.unwrap_or(smallest);
        env.show("REFERRAL_MIN_TOPUP", referral_min_topup);
        Ok(Prices {
            price_per_operation,
            per_mode,
            free_operations_count,
            referral_bonus_ops,
            referral_min_topup,
            price_prompt,
        })
    }
}

impl Payments {
    fn read(env: &Env) -> Result<Payments> {
        let topup_amounts = match env.text("TOPUP_AMOUNTS") {
            None => [100, 300, 500, 1000]
                .into_iter()
                .map(|r| Kopecks(r * 100))
                .collect(),
            Some(list) => parse_topups(&list)?,
        };
        env.show("TOPUP_AMOUNTS", joined(&topup_amounts));
        let yookassa = match (
            env.text("YOOKASSA_SHOP_ID"),
            env.secret("YOOKASSA_SECRET_KEY")?,
        ) {
            (Some(shop_id), Some(secret_key)) => {
                if !shop_id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad(
                        "YOOKASSA_SHOP_ID",
                        "must be the numeric shop id from the YooKassa dashboard",
                    ));
                }
                Some(YooKassa {
                    shop_id,
                    secret_key,
                })
            }
            (None, None) => None,
            (Some(_), None) => {
                return Err(bad(
                    "YOOKASSA_SECRET_KEY",
                    "is required when YOOKASSA_SHOP_ID is set",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    "YOOKASSA_SHOP_ID",
                    "is required when YOOKASSA_SECRET_KEY is set",
                ));
            }
        };
        let yookassa_return_url = env.optional_url("YOOKASSA_RETURN_URL")?;
        let yookassa_currency = env
            .text("YOOKASSA_CURRENCY")
            .unwrap_or_else(|| "RUB".into());
        if yookassa_currency.len() != 3
            || !yookassa_currency.bytes().all(|b| b.is_ascii_uppercase())
        {
            return Err(bad(
                "YOOKASSA_CURRENCY",
                "must be a three-letter ISO 4217 code such as RUB",
            ));
        }
        env.show("YOOKASSA_CURRENCY", &yookassa_currency);
        let yookassa_webhook_url = env.optional_url("YOOKASSA_WEBHOOK_URL")?;
        let yookassa_api_url = env.url("YOOKASSA_API_URL", "https://api.yookassa.ru/v3")?;
        let yookassa_trusted_ips = env.cidrs("YOOKASSA_TRUSTED_IPS", YOOKASSA_PUBLISHED_IPS)?;
        let yookassa_recheck_secs = env.number("YOOKASSA_RECHECK_SECS", 60, 1, 3600)?;
        let yookassa_receipt_email = match env.text("YOOKASSA_RECEIPT_EMAIL") {
            Some(e) if e.contains('@') && !e.contains(char::is_whitespace) => Some(e),
            Some(_) => return Err(bad("YOOKASSA_RECEIPT_EMAIL", "must be an email address")),
            None => None,
        };
        // 1–12: 11 and 12 are the 22 % rates in force since 2026-01-01.
        let yookassa_vat_code = env.number("YOOKASSA_VAT_CODE", 1, 1, 12)? as u8;
        let yookassa_payment_mode =
            env.one_of("YOOKASSA_PAYMENT_MODE", "advance", PAYMENT_MODES)?;
        let yookassa_payment_subject =
            env.one_of("YOOKASSA_PAYMENT_SUBJECT", "payment", PAYMENT_SUBJECTS)?;
        let stars_enabled = env.boolean("STARS_ENABLED", true)?;
        let stars_rate = env.price("STARS_RATE")?.unwrap_or(Kopecks(100));
        env.show("STARS_RATE", stars_rate);
        let stars_topup_amounts = match env.text("STARS_TOPUP_AMOUNTS") {
            None => vec![100, 300, 500, 1000],
            Some(list) => parse_stars(&list)?,
        };
        env.show("STARS_TOPUP_AMOUNTS", joined(&stars_topup_amounts));
        Ok(Payments {
            topup_amounts,
            yookassa,
            yookassa_return_url,
            yookassa_currency,
            yookassa_webhook_url,
            yookassa_api_url,
            yookassa_trusted_ips,
            yookassa_recheck_secs,
            yookassa_receipt_email,
            yookassa_vat_code,
            yookassa_payment_mode,
            yookassa_payment_subject,
            stars_enabled,
            stars_rate,
            stars_topup_amounts,
            stars_invoice_ttl_secs: env.number("STARS_INVOICE_TTL_SECS", 1800, 5, 86_400)?,
            stars_reconcile_secs: env.number("STARS_RECONCILE_SECS", 300, 5, 86_400)?,
            plans: match env.text("PLANS") {
                None => Vec::new(),
                Some(list) => {
                    let plans = parse_plans(&list)?;
                    env.show("PLANS", list.trim());
                    plans
                }
            },
        })
    }
}

/// A fast, cheap model of `fal-ai/any-llm` that writes good Russian (README, "The words").
const DEFAULT_LLM: &str = "google/gemini-2.5-flash";

impl Fal {
    fn read(env: &Env, prices: &Prices) -> Result<Fal> {
        let fal_key = env.secret("FAL_KEY")?;
        let fal_queue_url = env.url("FAL_QUEUE_URL", "https://queue.fal.run")?;
        let fal_api_url = env.url("FAL_API_URL", "https://api.fal.ai")?;
        let mut overrides = BTreeMap::new();
        for mode in Mode::ALL {
            let var = model_var(mode);
            match env.text(var) {
                Some(m) => {
                    overrides.insert(mode, validate_endpoint(var, &m)?);
                }
                None => env.show(var, "(the catalogue's)"),
            }
        }
        let fal_usd_rub = env.price("FAL_USD_RUB")?.unwrap_or(Kopecks(9000));
        env.show("FAL_USD_RUB", fal_usd_rub);
        let (text, var) = match env.text("MODELS_FILE") {
            None => {
                env.show("MODELS_FILE", "(embedded catalogue)");
                (catalogue::EMBEDDED.to_string(), None)
            }
            Some(path) => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| bad("MODELS_FILE", format!("cannot read {path:?}: {e}")))?;
                (text, Some(path))
            }
        };
        let mode_price = |mode: Mode| prices.price(mode);
        let catalogue = catalogue::build(&catalogue::Sources {
            text: &text,
            overrides: &overrides,
            mode_price: &mode_price,
            usd_rub: fal_usd_rub,
        })
        .map_err(|why| match var {
            Some(path) => bad("MODELS_FILE", format!("{path}: {why}")),
            None => Error::internal(format!("the embedded model catalogue: {why}")),
        })?;
        Ok(Fal {
            fal_key,
            fal_queue_url,
            fal_api_url,
            catalogue,
            fal_usd_rub,
            results_keep_days: env.number("RESULTS_KEEP_DAYS", 30, 0, 3650)?,
            llm_model: {
                let model = env.text("LLM_MODEL").unwrap_or_else(|| DEFAULT_LLM.into());
                if model.len() > 100 || model.contains(char::is_whitespace) {
                    return Err(bad(
                        "LLM_MODEL",
                        "must be a model id such as google/gemini-2.5-flash",
                    ));
                }
                env.show("LLM_MODEL", &model);
                model
            },
            assistant_daily_limit: env.number("ASSISTANT_DAILY_LIMIT", 20, 0, 10_000)?,
            worker_concurrency: env.number("WORKER_CONCURRENCY", 4, 1, 64)? as usize,
            job_timeout_secs: u64::from(env.number("JOB_TIMEOUT_SECS", 600, 10, 86_400)?),
            delivery_timeout_secs: u64::from(env.number(
                "DELIVERY_TIMEOUT_SECS",
                86_400,
                30,
                30 * 86_400,
            )?),
        })
    }
}

impl Web {
    fn read(env: &Env) -> Result<Web> {
        let listen = env
            .text("WEBHOOK_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let webhook_listen: SocketAddr = listen.parse().map_err(|_| {
            bad(
                "WEBHOOK_LISTEN",
                format!("{listen:?} is not an address:port such as 127.0.0.1:8080"),
            )
        })?;
        env.show("WEBHOOK_LISTEN", webhook_listen);
        let web_base_url = env.optional_url("WEB_BASE_URL")?;
        if let Some(url) = &web_base_url {
            // Telegram opens Mini Apps over https only; plain http is for this machine (development,
            // tests).
            let local = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
                .iter()
                .any(|p| url.starts_with(p));
            if !url.starts_with("https://") && !local {
                return Err(bad(
                    "WEB_BASE_URL",
                    "must be an https:// URL (Telegram opens Mini Apps over https only)",
                ));
            }
            env.show("WEB_BASE_URL", url);
        }
        Ok(Web {
            webhook_listen,
            trusted_proxies: env.cidrs("TRUSTED_PROXIES", "")?,
            web_base_url,
        })
    }
}

impl Operations {
    fn read(env: &Env) -> Result<Operations> {
        let database_path = database_path(
            &env.text("DATABASE_URL")
                .unwrap_or_else(|| "sqlite:///./media_lab.db".into()),
        )?;
        env.show("DATABASE_URL", database_path.display());
        let backup_to_admins_hours = env.optional_number("BACKUP_TO_ADMINS_HOURS", 1, 24 * 365)?;
        let zone_name = env
            .text("TIME_ZONE")
            .unwrap_or_else(|| crate::time::DEFAULT_ZONE.into());
        let time_zone =
            crate::time::zone_named(zone_name.trim()).map_err(|why| bad("TIME_ZONE", why))?;
        env.show("TIME_ZONE", zone_name.trim());
        let rust_log = env.text("RUST_LOG").unwrap_or_else(|| "info".into());
        if rust_log
            .parse::<tracing_subscriber::filter::Targets>()
            .is_err()
        {
            return Err(bad(
                "RUST_LOG",
                "is not a log filter (examples: info, media_lab=debug,warn)",
            ));
        }
        env.show("RUST_LOG", &rust_log);
        let log_format = match env.text("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(bad("LOG_FORMAT", "must be text or json")),
        };
        env.show(
            "LOG_FORMAT",
            if log_format == LogFormat::Json {
                "json"
            } else {
                "text"
            },
        );
        Ok(Operations {
            database_path,
            backup_to_admins_hours,
            rust_log,
            log_format,
            time_zone,
        })
    }
}

/// A list as `check` shows it: comma-separated, or "(none)".
fn joined<T: fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        return "(none)".into();
    }
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn price_var(mode: Mode) -> &'static str {
    match mode {
        Mode::Generate => "PRICE_GENERATE",
        Mode::Edit => "PRICE_EDIT",
        Mode::Merge => "PRICE_MERGE",
        Mode::FaceSwap => "PRICE_FACE_SWAP",
        Mode::Retouch => "PRICE_RETOUCH",
        Mode::Upscale => "PRICE_UPSCALE",
    }
}

fn model_var(mode: Mode) -> &'static str {
    match mode {
        Mode::Generate => "FAL_MODEL_GENERATE",
        Mode::Edit => "FAL_MODEL_EDIT",
        Mode::Merge => "FAL_MODEL_MERGE",
        Mode::FaceSwap => "FAL_MODEL_FACE_SWAP",
        Mode::Retouch => "FAL_MODEL_RETOUCH",
        Mode::Upscale => "FAL_MODEL_UPSCALE",
    }
}

fn bad(var: &'static str, msg: impl Into<String>) -> Error {
    Error::Config {
        var,
        msg: msg.into(),
    }
}

struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    /// Every variable read so far, with what `check` shows for it.
    shown: RefCell<Vec<(&'static str, String)>>,
}

impl Env<'_> {
    fn raw(&self, name: &str) -> Option<String> {
        (self.lookup)(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// What `check` shows for `name` (the last word wins: a parser shows the value in effect).
    fn show(&self, name: &'static str, value: impl fmt::Display) {
        let value = value.to_string();
        let mut shown = self.shown.borrow_mut();
        match shown.iter_mut().find(|(n, _)| *n == name) {
            Some(row) => row.1 = value,
            None => shown.push((name, value)),
        }
    }

    /// The trimmed text of `name`, if set.
    fn text(&self, name: &'static str) -> Option<String> {
        let value = self.raw(name);
        self.show(name, value.as_deref().unwrap_or("(not set)"));
        value
    }

    /// A secret from NAME or from the file named by NAME_FILE (for Docker and systemd credentials).
    fn secret(&self, name: &'static str) -> Result<Option<Secret>> {
        let file_var = format!("{name}_FILE");
        let secret = self.secret_value(name, &file_var)?;
        self.show(
            name,
            match &secret {
                Some(s) => format!("set ({} characters, hidden)", s.expose().chars().count()),
                None => "(not set)".into(),
            },
        );
        Ok(secret)
    }

    fn secret_value(&self, name: &'static str, file_var: &str) -> Result<Option<Secret>> {
        match (self.raw(name), self.raw(file_var)) {
            (Some(_), Some(_)) => Err(bad(
                name,
                format!("set either {name} or {file_var}, not both"),
            )),
            (Some(v), None) => Ok(Some(Secret(v))),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    bad(
                        name,
                        format!("cannot read the file {path:?} named by {file_var}: {e}"),
                    )
                })?;
                let value = text.trim();
                if value.is_empty() {
                    return Err(bad(
                        name,
                        format!("the file {path:?} named by {file_var} is empty"),
                    ));
                }
                Ok(Some(Secret(value.to_string())))
            }
            (None, None) => Ok(None),
        }
    }

    fn boolean(&self, name: &'static str, default: bool) -> Result<bool> {
        let value = match self.raw(name).map(|t| t.to_ascii_lowercase()).as_deref() {
            None => default,
            Some("true" | "1" | "yes" | "on") => true,
            Some("false" | "0" | "no" | "off") => false,
            Some(other) => return Err(bad(name, format!("{other:?} is not true or false"))),
        };
        self.show(name, value);
        Ok(value)
    }

    fn number(&self, name: &'static str, default: u32, min: u32, max: u32) -> Result<u32> {
        self.show(name, default);
        let Some(text) = self.raw(name) else {
            return Ok(default);
        };
        let n: u32 = text.parse().map_err(|_| {
            bad(
                name,
                format!("{text:?} is not a whole number from {min} to {max}"),
            )
        })?;
        if n < min || n > max {
            return Err(bad(
                name,
                format!("{text:?} is not a whole number from {min} to {max}"),
            ));
        }
        self.show(name, n);
        Ok(n)
    }

    /// A whole number from `min` to `max`, or None when unset (a feature that is off by default).
    fn optional_number(&self, name: &'static str, min: u32, max: u32) -> Result<Option<u32>> {
        if self.raw(name).is_none() {
            self.show(name, "(off)");
            return Ok(None);
        }
        self.number(name, min, min, max).map(Some)
    }

    /// One of `allowed`, or `default` when unset.
    fn one_of(&self, name: &'static str, default: &str, allowed: &[&str]) -> Result<String> {
        let Some(text) = self.text(name) else {
            self.show(name, default);
            return Ok(default.to_string());
        };
        if allowed.contains(&text.as_str()) {
            Ok(text)
        } else {
            Err(bad(
                name,
                format!("{text:?} is not one of {}", allowed.join(", ")),
            ))
        }
    }

    fn price(&self, name: &'static str) -> Result<Option<Kopecks>> {
        self.text(name)
            .map(|text| parse_price(name, &text))
            .transpose()
    }

    fn url(&self, name: &'static str, default: &str) -> Result<String> {
        let url = self
            .optional_url(name)?
            .unwrap_or_else(|| default.to_string());
        self.show(name, &url);
        Ok(url)
    }

    fn optional_url(&self, name: &'static str) -> Result<Option<String>> {
        let Some(text) = self.text(name) else {
            return Ok(None);
        };
        let rest = text
            .strip_prefix("https://")
            .or_else(|| text.strip_prefix("http://"))
            .ok_or_else(|| bad(name, "must be an http:// or https:// URL"))?;
        if rest.is_empty() || rest.starts_with('/') || text.contains(char::is_whitespace) {
            return Err(bad(name, "must be an http:// or https:// URL with a host"));
        }
        Ok(Some(text.trim_end_matches('/').to_string()))
    }

    fn cidrs(&self, name: &'static str, default: &str) -> Result<Vec<Cidr>> {
        let text = self.raw(name).unwrap_or_else(|| default.to_string());
        let nets: Vec<Cidr> = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Cidr::parse(s).map_err(|e| bad(name, e)))
            .collect::<Result<_>>()?;
        self.show(name, joined(&nets));
        Ok(nets)
    }
}

/// A price or an amount: roubles more than 0, with at most two decimals. One message for every
/// way it can be wrong (negative, zero, not a number, three decimals).
fn parse_price(name: &'static str, text: &str) -> Result<Kopecks> {
    match Kopecks::parse_roubles(text, false) {
        Ok(k) if k.is_positive() => Ok(k),
        _ => Err(bad(
            name,
            format!("{text:?} is not an amount in roubles more than 0 (such as 10 or 99.90)"),
        )),
    }
}

fn parse_topups(list: &str) -> Result<Vec<Kopecks>> {
    const VAR: &str = "TOPUP_AMOUNTS";
    let amounts: Vec<Kopecks> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| parse_price(VAR, s))
        .collect::<Result<_>>()?;
    if amounts.is_empty() || amounts.len() > 8 {
        return Err(bad(
            VAR,
            "needs from 1 to 8 comma-separated amounts in roubles",
        ));
    }
    if amounts.iter().any(|a| a.0 < 100) {
        return Err(bad(
            VAR,
            "each amount must be at least 1 rouble (YooKassa's minimum)",
        ));
    }
    Ok(amounts)
}

/// STARS_TOPUP_AMOUNTS: 1 to 8 whole numbers of Stars, each from 1 to 100000.
/// `Старт:250:30,Про:750:120`: a label (unique, up to 32 characters, no `:` or `,`), the Stars a
/// month, the operations a month.
fn parse_plans(list: &str) -> Result<Vec<Plan>> {
    const VAR: &str = "PLANS";
    let mut plans: Vec<Plan> = Vec::new();
    for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let shape = || {
            bad(
                VAR,
                format!("{item:?} is not label:stars:operations (example: Старт:250:30)"),
            )
        };
        let mut parts = item.split(':').map(str::trim);
        let (Some(label), Some(stars), Some(ops), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(shape());
        };
        let stars = stars
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| {
                bad(
                    VAR,
                    format!("{item:?}: Stars must be a whole number from 1 to 10000"),
                )
            })?;
        let operations = ops
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=100_000).contains(n))
            .ok_or_else(|| {
                bad(
                    VAR,
                    format!("{item:?}: operations must be a whole number from 1 to 100000"),
                )
            })?;
        if label.is_empty() || label.chars().count() > 32 {
            return Err(bad(VAR, format!("{item:?}: a label is 1 to 32 characters")));
        }
        if plans.iter().any(|p| p.label == label) {
            return Err(bad(VAR, format!("the label {label:?} is there twice")));
        }
        plans.push(Plan {
            label: label.to_string(),
            stars,
            operations,
        });
    }
    if plans.is_empty() || plans.len() > 8 {
        return Err(bad(VAR, "needs from 1 to 8 comma-separated plans"));
    }
    Ok(plans)
}

fn parse_stars(list: &str) -> Result<Vec<u32>> {
    const VAR: &str = "STARS_TOPUP_AMOUNTS";
    let amounts: Vec<u32> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<u32>()
                .ok()
                .filter(|n| (1..=100_000).contains(n))
                .ok_or_else(|| {
                    bad(
                        VAR,
                        format!("{s:?} is not a whole number of Stars from 1 to 100000"),
                    )
                })
        })
        .collect::<Result<_>>()?;
    if amounts.is_empty() || amounts.len() > 8 {
        return Err(bad(
            VAR,
            "needs from 1 to 8 comma-separated numbers of Stars",
        ));
    }
    Ok(amounts)
}

fn validate_endpoint(var: &'static str, text: &str) -> Result<String> {
    if catalogue::is_endpoint(text) {
        Ok(text.to_string())
    } else {
        Err(bad(
            var,
            "must be a fal.ai endpoint id such as fal-ai/flux/schnell",
        ))
    }
}

/// The database file named by DATABASE_URL: `sqlite:///relative`, `sqlite:////absolute` or a plain path.
pub fn database_path(url: &str) -> Result<PathBuf> {
    const VAR: &str = "DATABASE_URL";
    if let Some(rest) = url.strip_prefix("sqlite://") {
        // sqlite:///relative → "/relative" after the prefix; one more slash makes it absolute.
        let path = rest.strip_prefix('/').ok_or_else(|| {
            bad(
                VAR,
                "write sqlite:///relative/path or sqlite:////absolute/path",
            )
        })?;
        return checked_path(path);
    }
    if let Some((scheme, _)) = url.split_once("://") {
        // Only the scheme is echoed: the rest of such a URL may hold a password.
        return Err(bad(
            VAR,
            format!(
                "{scheme}:// is not supported; media-lab keeps everything in one SQLite file \
                 (sqlite:///relative/path, sqlite:////absolute/path or a plain path)"
            ),
        ));
    }
    if url.starts_with("sqlite:") {
        return Err(bad(
            VAR,
            "in-memory or URI-style SQLite names are not supported; name a file",
        ));
    }
    checked_path(url)
}

fn checked_path(path: &str) -> Result<PathBuf> {
    if path.is_empty() || path.ends_with('/') || path.contains('?') {
        return Err(bad("DATABASE_URL", "must name a database file"));
    }
    Ok(Path::new(path).to_path_buf())
}

/// Parses a `.env` file: `NAME=value` lines, `#` comments, optional `export `, values optionally in
/// single or double quotes.
pub fn parse_dotenv(text: &str) -> Result<HashMap<String, String>> {
    let mut map = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((name, value)) = line.split_once('=') else {
            return Err(Error::invalid(format!(
                ".env line {}: expected NAME=value",
                n + 1
            )));
        };
        let name = name.trim();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(Error::invalid(format!(
                ".env line {}: {name:?} is not a variable name",
                n + 1
            )));
        }
        let value = value.trim();
        let value = match value.as_bytes().first() {
            Some(q @ (b'"' | b'\'')) => {
                let q = *q as char;
                let inner = &value[1..];
                let end = inner.find(q).ok_or_else(|| {
                    Error::invalid(format!(".env line {}: the quote is not closed", n + 1))
                })?;
                inner[..end].to_string()
            }
            _ => match value.find(" #") {
                Some(i) => value[..i].trim_end().to_string(),
                None => value.to_string(),
            },
        };
        map.insert(name.to_string(), value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn receipts_take_the_2026_vat_codes_and_a_top_up_item() {
        let c = config(&[("YOOKASSA_VAT_CODE", "11")]).expect("22 %");
        assert_eq!(c.payments.yookassa_vat_code, 11);
        assert_eq!(
            (
                c.payments.yookassa_payment_mode.as_str(),
                c.payments.yookassa_payment_subject.as_str()
            ),
            ("advance", "payment")
        );
        assert!(config(&[("YOOKASSA_VAT_CODE", "12")]).is_ok());
        assert!(config(&[("YOOKASSA_VAT_CODE", "13")]).is_err());
        let c = config(&[
            ("YOOKASSA_PAYMENT_MODE", "full_prepayment"),
            ("YOOKASSA_PAYMENT_SUBJECT", "service"),
        ])
        .expect("chosen item");
        assert_eq!(c.payments.yookassa_payment_subject, "service");
        let e = config(&[("YOOKASSA_PAYMENT_MODE", "whatever")]).expect_err("refused");
        assert!(e.to_string().starts_with("YOOKASSA_PAYMENT_MODE"), "{e}");
        assert!(config(&[("DELIVERY_TIMEOUT_SECS", "29")]).is_err());
    }

    #[test]
    fn defaults_need_nothing() {
        let c = config(&[]).expect("defaults are valid");
        assert_eq!(c.price(Mode::Upscale), Kopecks(1000));
        assert_eq!(c.prices.free_operations_count, 4);
        assert_eq!(c.operations.database_path, PathBuf::from("./media_lab.db"));
        assert_eq!(c.payments.yookassa_trusted_ips.len(), 7);
        assert!(c.payments.yookassa.is_none());
    }

    #[test]
    fn per_mode_prices_fall_back_to_the_common_price() {
        let c = config(&[("PRICE_PER_OPERATION", "12.5"), ("PRICE_UPSCALE", "30")]).expect("valid");
        assert_eq!(c.price(Mode::Generate), Kopecks(1250));
        assert_eq!(c.price(Mode::Upscale), Kopecks(3000));
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            database_path("sqlite:///./x.db").expect("ok"),
            PathBuf::from("./x.db")
        );
        assert_eq!(
            database_path("sqlite:///data/x.db").expect("ok"),
            PathBuf::from("data/x.db")
        );
        assert_eq!(
            database_path("sqlite:////var/lib/x.db").expect("ok"),
            PathBuf::from("/var/lib/x.db")
        );
        assert_eq!(
            database_path("/var/lib/x.db").expect("ok"),
            PathBuf::from("/var/lib/x.db")
        );
        let err = database_path("postgresql://user:hunter2@localhost/db").expect_err("refused");
        assert!(err.to_string().contains("postgresql://"));
        assert!(!err.to_string().contains("hunter2"));
        assert!(database_path("sqlite::memory:").is_err());
    }

    /// The env template and the binary know the same variables (the template lists each one, set or
    /// commented out).
    #[test]
    fn the_template_names_every_variable_and_nothing_else() {
        let template: std::collections::BTreeSet<String> =
            include_str!("../packaging/media-lab.env")
                .lines()
                .filter_map(|l| l.trim().trim_start_matches('#').trim().split_once('='))
                .map(|(name, _)| name.trim().to_string())
                .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
                .collect();
        let known: std::collections::BTreeSet<String> = Config::variables()
            .into_iter()
            .map(str::to_string)
            .collect();
        assert_eq!(known.len(), 61, "{known:?}");
        assert_eq!(template, known);
        let summary = config(&[]).expect("defaults").summary();
        assert_eq!(summary.len(), known.len(), "one summary line per variable");
    }

    /// Every wrong amount gets the same sentence, zero and negative alike.
    #[test]
    fn wrong_amounts_say_the_same_thing() {
        for value in ["-5", "0", "ten", "1.234", "0.00"] {
            let err = config(&[("PRICE_PER_OPERATION", value)]).expect_err("refused");
            assert_eq!(
                err.to_string(),
                format!(
                    "PRICE_PER_OPERATION: {value:?} is not an amount in roubles more than 0 (such as 10 or 99.90)"
                )
            );
        }
    }

    #[test]
    fn bad_values_name_their_variable() {
        for var in [
            "PRICE_PER_OPERATION",
            "FREE_OPERATIONS_COUNT",
            "WORKER_CONCURRENCY",
            "JOB_TIMEOUT_SECS",
            "PRICE_MERGE",
            "TOPUP_AMOUNTS",
        ] {
            for value in ["ten", "-1", "1.234"] {
                let err = config(&[(var, value)]).expect_err("refused");
                assert!(err.to_string().starts_with(var), "{var}={value}: {err}");
            }
        }
    }

    #[test]
    fn secrets_come_from_files_and_never_print() {
        let dir = std::env::temp_dir().join(format!("media-lab-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("token");
        std::fs::write(&file, "123:SECRET-TOKEN\n").expect("write");
        let c =
            config(&[("TELEGRAM_BOT_TOKEN_FILE", file.to_str().expect("utf-8"))]).expect("valid");
        assert_eq!(
            c.telegram.telegram_bot_token.as_ref().map(Secret::expose),
            Some("123:SECRET-TOKEN")
        );
        let dump = format!("{c:?} {:?}", c.summary());
        assert!(!dump.contains("SECRET-TOKEN"));
        let both =
            config(&[("FAL_KEY", "a"), ("FAL_KEY_FILE", "/nonexistent")]).expect_err("refused");
        assert!(both.to_string().starts_with("FAL_KEY"));
        std::fs::remove_dir_all(dir).expect("cleanup");
    }

    #[test]
    fn dotenv_forms() {
        let map = parse_dotenv("# c\n\nexport A=1\nB = \"two words\" \nC='x#y'\nD=v # note\n")
            .expect("valid");
        assert_eq!(map["A"], "1");
        assert_eq!(map["B"], "two words");
        assert_eq!(map["C"], "x#y");
        assert_eq!(map["D"], "v");
        assert!(parse_dotenv("JUSTTEXT\n").is_err());
    }
}
