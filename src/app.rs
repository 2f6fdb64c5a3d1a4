//! `media-lab run`: take the single-instance lock, migrate, start everything, and shut down in order
//! on SIGTERM or SIGINT.

use crate::billing::Billing;
use crate::bot::Wakes;
use crate::config::Config;
use crate::db::Store;
use crate::error::{Error, Result};
use crate::jobs::worker::Worker;
use crate::listener::{self, Listener};
use crate::metrics::Metrics;
use crate::payments::Payments;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

pub fn run(config: Arc<Config>) -> Result<ExitCode> {
    if config.telegram.telegram_bot_token.is_none() {
        return Err(Error::Config {
            var: "TELEGRAM_BOT_TOKEN",
            msg: "is required by `run` (get one from @BotFather)".into(),
        });
    }
    // Taken before migrating, so two instances never migrate at once. Held until the process exits.
    let _lock = crate::db::lock_instance(&config.operations.database_path)?;
    let store = Arc::new(Store::open(&config.operations.database_path)?);
    tracing::info!(database = %config.operations.database_path.display(), "database ready");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("media-lab")
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))?;
    let metrics = Arc::new(Metrics::default());
    let billing = Billing::new(store.clone(), config.clone());
    let telegram = crate::bot::client(&config)?;
    let payments = Payments::new(
        store.clone(),
        billing.clone(),
        config.clone(),
        metrics.clone(),
    )?
    .with_bot(telegram.clone());
    // Which ways to pay are on, said once at start: an operator without YooKassa keys still sells
    // through Stars.
    match (config.payments.stars_enabled, payments.is_configured()) {
        (true, true) => tracing::info!("top-ups: Telegram Stars and YooKassa (card / SBP)"),
        (true, false) => tracing::info!(
            "top-ups: Telegram Stars only (set YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY to take cards too)"
        ),
        (false, true) => tracing::info!("top-ups: YooKassa (card / SBP) only; Stars are off"),
        (false, false) => tracing::warn!(
            "top-ups are off: Stars are disabled and YooKassa is not configured; users cannot pay"
        ),
    }
    if config.telegram.support_contact.is_none() {
        tracing::warn!(
            "SUPPORT_CONTACT is not set: /paysupport can only point payers to the payment check"
        );
    }
    // One paced sender for everything that carries information (replies, results, notices,
    // broadcasts); its worker task needs the runtime.
    let sender = {
        use teloxide::requests::RequesterExt;
        let _inside = runtime.enter();
        telegram.clone().throttle(crate::telegram::limits())
    };
    let worker = Worker::new(
        store.clone(),
        billing.clone(),
        config.clone(),
        telegram.clone(),
        sender.clone(),
    )?;
    let wakes = Wakes {
        jobs: worker.waker(),
        notices: Arc::new(Notify::new()),
        broadcasts: Arc::new(Notify::new()),
    };
    let (stop_tx, stop) = watch::channel(false);
    // Learnt by the bot when it connects; the Mini App's links back into the bot use it.
    let bot_username = Arc::new(std::sync::OnceLock::new());

    // Every long-running task, started here and stopped below in the reverse of what feeds what:
    // the listener first (no new notifications), then the bot (no new requests), then the tasks
    // that finish what those queued.
    let listener =
        runtime.block_on(Listener::start(
            config.web.webhook_listen,
            listener::Context {
                config: config.clone(),
                store: store.clone(),
                payments: payments.clone(),
                metrics,
                web: config.web.web_base_url.as_ref().map(|_| {
                    crate::web::Web::new(config.clone(), store.clone(), bot_username.clone())
                }),
            },
        ))?;
    let tasks = [
        (
            "bot",
            runtime.spawn(crate::bot::run(
                telegram,
                sender.clone(),
                config.clone(),
                store.clone(),
                billing,
                payments.clone(),
                wakes.clone(),
                bot_username,
                stop.clone(),
            )),
        ),
        ("workers", runtime.spawn(worker.run(stop.clone()))),
        (
            "payment processor",
            runtime.spawn(payments.run(stop.clone())),
        ),
        (
            "notices",
            runtime.spawn(crate::bot::deliver_notices(
                sender.clone(),
                store.clone(),
                config.clone(),
                wakes.notices.clone(),
                stop.clone(),
            )),
        ),
        (
            "broadcasts",
            runtime.spawn(crate::bot::send_broadcasts(
                sender.clone(),
                store.clone(),
                wakes.broadcasts.clone(),
                stop.clone(),
            )),
        ),
        (
            "backups",
            runtime.spawn(crate::bot::schedule_backups(
                sender,
                config.clone(),
                store,
                stop.clone(),
            )),
        ),
    ];
    runtime.block_on(shutdown_signal())?;
    tracing::info!("shutting down");
    runtime.block_on(async {
        listener.stop().await;
        let _ = stop_tx.send(true);
        for (name, task) in tasks {
            if tokio::time::timeout(Duration::from_secs(30), task)
                .await
                .is_err()
            {
                tracing::warn!("{name} did not stop within 30 s");
            }
        }
    });
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())
        .map_err(|e| Error::io("installing the SIGTERM handler", e))?;
    let mut int = signal(SignalKind::interrupt())
        .map_err(|e| Error::io("installing the SIGINT handler", e))?;
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM received"),
        _ = int.recv() => tracing::info!("SIGINT received"),
    }
    Ok(())
}
