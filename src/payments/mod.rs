//! Top-ups behind one flow: `Payments` is what the bot, the listener and the CLI call, whichever
//! provider took the money; `yookassa` (cards) and `stars` (Telegram Stars) hold each provider's
//! part, `refund` and `reconcile` work across both, and `run` is the one processor loop.

pub mod notification;
mod reconcile;
mod refund;
mod stars;
pub mod yookassa;

pub use reconcile::{Finding, Found};
pub use refund::RefundOutcome;
pub use yookassa::{StartedTopup, create_body};

use crate::billing::Billing;
use crate::config::Config;
use crate::db::{Store, blocking};
use crate::error::Result;
use crate::metrics::Metrics;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use yookassa::YooKassa;

/// How often the processor looks for due payments when nothing wakes it.
const TICK: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct Payments {
    store: Arc<Store>,
    billing: Billing,
    config: Arc<Config>,
    api: Option<Arc<YooKassa>>,
    metrics: Arc<Metrics>,
    wake: Arc<Notify>,
    /// The Bot API client, in the running bot: Stars refunds and the Stars reconciler use it.
    bot: Option<teloxide::Bot>,
}

impl Payments {
    pub fn new(
        store: Arc<Store>,
        billing: Billing,
        config: Arc<Config>,
        metrics: Arc<Metrics>,
    ) -> Result<Payments> {
        Ok(Payments {
            api: YooKassa::from_config(&config)?.map(Arc::new),
            store,
            billing,
            config,
            metrics,
            wake: Arc::new(Notify::new()),
            bot: None,
        })
    }

    /// The same, with the Bot API client for what Stars needs (refunds, the Stars reconciler).
    pub fn with_bot(self, bot: teloxide::Bot) -> Payments {
        Payments {
            bot: Some(bot),
            ..self
        }
    }

    pub fn is_configured(&self) -> bool {
        self.api.is_some()
    }

    /// Whether `test: true` notifications can be genuine (the secret key is a test shop's).
    pub fn is_test_shop(&self) -> bool {
        self.api.as_ref().is_some_and(|a| a.is_test_shop())
    }

    /// Wakes the processor after a notification was recorded.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The processor: runs at start (a crash may have left recorded notifications), whenever the
    /// listener records one, and every few seconds for the reconciler, until shutdown.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut retry = Duration::ZERO;
        let mut resend_age = 0;
        // How often the running bot compares Telegram's Star transactions with its credits (SPEC
        // §5b); the first pass comes a little after the start (the bot is connecting then).
        let stars_every = Duration::from_secs(u64::from(self.config.payments.stars_reconcile_secs));
        let mut stars_due =
            tokio::time::Instant::now() - stars_every + stars_every.min(Duration::from_secs(30));
        loop {
            match self.process_inbox().await {
                Ok(_) => retry = Duration::ZERO,
                Err(e) => {
                    retry = (retry * 2).clamp(Duration::from_secs(1), Duration::from_secs(60));
                    tracing::warn!(error = %e, retry_in = ?retry, "processing notifications failed; will retry");
                }
            }
            if let Err(e) = self.reconcile().await {
                tracing::warn!(error = %e, "reconciler pass failed");
            }
            let billing = self.billing.clone();
            match blocking(move || billing.expire_stars_invoices()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(count = n, "expired unpaid Stars invoices"),
                Err(e) => tracing::warn!(error = %e, "expiring Stars invoices failed"),
            }
            if let Err(e) = self.resend_stuck(resend_age).await {
                tracing::warn!(error = %e, "re-sending unrecorded payments failed");
            }
            resend_age = yookassa::RESEND_AFTER_SECS;
            if let Err(e) = self.follow_refunds(false).await {
                tracing::warn!(error = %e, "following held refunds failed");
            }
            if stars_due.elapsed() >= stars_every {
                stars_due = tokio::time::Instant::now();
                self.reconcile_stars_since_checkpoint().await;
            }
            let wait = if retry.is_zero() { TICK } else { retry };
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
