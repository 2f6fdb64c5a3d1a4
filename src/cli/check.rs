//! `check`: the configuration, the database and the books, with an exit code for cron.

use super::Core;
use crate::config::Config;
use crate::db::Store;
use crate::error::Result;
use std::process::ExitCode;
use std::sync::Arc;

/// The operator's "is everything set up" command: every line is OK, WARN (optional and unset) or FAIL
/// (with what to do); any FAIL exits non-zero.
pub(super) fn run(config: &Arc<Config>) -> Result<ExitCode> {
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

    let runtime = super::runtime()?;
    match &config.telegram.telegram_bot_token {
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
                        config.telegram.telegram_api_url
                    ))
                }
                Ok(Err(e)) => fail(format!(
                    "Telegram at {} failed: {e}",
                    config.telegram.telegram_api_url
                )),
                Err(_) => fail(format!(
                    "Telegram at {} did not answer within 20 s",
                    config.telegram.telegram_api_url
                )),
            }
            if reached && config.payments.stars_enabled {
                let store = Store::open_current(&config.operations.database_path)?;
                match runtime.block_on(super::payment::stars_lines(&bot, &store)) {
                    Ok(lines) => lines
                        .into_iter()
                        .for_each(|(good, line)| if good { ok(line) } else { fail(line) }),
                    Err(e) => fail(format!("Telegram Stars: {e}")),
                }
            }
        }
    }
    match crate::payments::yookassa::YooKassa::from_config(config)? {
        None if config.payments.stars_enabled => warn(
            "YOOKASSA_SHOP_ID / YOOKASSA_SECRET_KEY are not set: top-ups are Telegram Stars only",
        ),
        None => warn(
            "YOOKASSA_SHOP_ID / YOOKASSA_SECRET_KEY are not set and STARS_ENABLED=false: the bot will say payments are not configured",
        ),
        Some(api) => {
            match runtime.block_on(api.check_credentials()) {
                Ok(()) => ok(format!(
                    "YooKassa: shop {} accepted the key ({} shop)",
                    config
                        .payments
                        .yookassa
                        .as_ref()
                        .map_or("", |y| y.shop_id.as_str()),
                    if api.is_test_shop() { "test" } else { "live" }
                )),
                // The error reads "YooKassa: …" already.
                Err(e) => fail(format!(
                    "{e} (check YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY in the dashboard, Integration → API keys)"
                )),
            }
            if config.payments.yookassa_return_url.is_none() {
                warn("YOOKASSA_RETURN_URL is not set: payers are sent back to the bot's t.me link");
            }
        }
    }
    match config.payments.yookassa_webhook_url.as_deref() {
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
    if config.fal.fal_key.is_none() {
        warn("FAL_KEY is not set: paid modes will say they are unavailable");
    }
    let models = runtime.block_on(super::models::check(config));
    for line in models.ok {
        ok(line);
    }
    for line in models.warn {
        warn(&line);
    }
    for line in models.fail {
        fail(line);
    }
    match crate::db::litestream_seen(&config.operations.database_path) {
        Some(at) => ok(format!(
            "Litestream replicates the database (its last local record of a change: {}; `litestream ltx {}` shows the replica)",
            crate::time::datetime_of(at),
            config.operations.database_path.display()
        )),
        None => warn(
            "no Litestream replica next to the database: a dead disk takes every top-up since the last backup with it (README, \"Off-site replica and disaster recovery\")",
        ),
    }
    let core = match Core::open(config) {
        Ok(core) => core,
        Err(e) => {
            fail(format!(
                "database {}: {e}",
                config.operations.database_path.display()
            ));
            return Ok(ExitCode::FAILURE);
        }
    };
    for item in core.billing.attention()? {
        warn(&item);
    }
    for admin in &config.telegram.admin_telegram_ids {
        if core.store.user(*admin)?.is_none() {
            warn(&format!(
                "admin {admin} has never written to the bot: Telegram lets it send them nothing (support copies, backups) until they press /start"
            ));
        }
    }
    let breaches = core.billing.audit()?;
    if breaches.is_empty() {
        ok(format!(
            "database {}: integrity, foreign keys and the books hold",
            config.operations.database_path.display()
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
