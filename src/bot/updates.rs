//! Updates from Telegram, none lost to a crash (SPEC §5b). The bot drives getUpdates itself: each
//! batch is written to the update inbox in one transaction, and only then is the next offset asked
//! for — the offset is what confirms a batch to Telegram. Handlers run from the inbox, one lane per
//! chat (a chat's updates in order, chats side by side), and each update is marked handled when its
//! handler returns; what a crash interrupted runs again after the restart, where every handler is
//! idempotent by its keys (a payment's charge id, a job's request message).

use super::{HandlerError, Tg};
use crate::db::{Store, blocking};
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use teloxide::dispatching::UpdateHandler;
use teloxide::types::{Update, UpdateKind, User};
use tokio::sync::{Notify, mpsc, watch};

/// Telegram holds a long poll open this long when nothing happens.
pub const POLL_TIMEOUT: Duration = Duration::from_secs(25);
/// The kinds of update the bot answers; anything else Telegram keeps to itself.
const ALLOWED: [&str; 4] = [
    "message",
    "callback_query",
    "pre_checkout_query",
    "subscription",
];
/// A lane with nothing to do for this long ends (a new update opens it again).
const LANE_IDLE: Duration = Duration::from_secs(30);
/// Handled updates are pruned about this often.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// A recorded update on its way to a handler: its inbox id, what teloxide read, and what it could not.
type Item = (i64, Update, Newer);

/// What an update carries that teloxide 0.17 cannot read (it knows no such kind), read from the raw
/// JSON the inbox keeps. Handlers take it from their dependencies like the update itself.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Newer {
    /// Telegram's `subscription` update: a user's Stars subscription changed state.
    pub subscription: Option<SubscriptionUpdated>,
}

/// A user's subscription to the bot changed: `canceled` (they stopped the renewal), `active` (they
/// restarted it) or `failed` (the renewal payment failed).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SubscriptionUpdated {
    pub user: User,
    pub invoice_payload: String,
    pub state: String,
}

/// Polls, records and dispatches until `shutdown` flips; then lets handlers in flight finish for
/// `grace` (what does not finish stays in the inbox for the next start).
pub async fn run(
    bot: Tg,
    store: Arc<Store>,
    handler: UpdateHandler<HandlerError>,
    deps: teloxide::dptree::di::DependencyMap,
    grace: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let lanes = Lanes::new(store.clone(), handler, deps);
    // What a crash interrupted runs first, in order.
    let s = store.clone();
    match blocking(move || s.unfinished_updates()).await {
        Ok((unfinished, poison)) => {
            for id in poison {
                tracing::error!(
                    update = id,
                    "an update interrupted {} restarts in a row was set aside",
                    crate::db::updates::MAX_STARTS
                );
            }
            if !unfinished.is_empty() {
                tracing::info!(
                    count = unfinished.len(),
                    "running the updates a restart interrupted"
                );
            }
            for (id, body) in unfinished {
                lanes.push(id, &body);
            }
        }
        Err(e) => tracing::error!(error = %e, "could not read the update inbox"),
    }
    let mut offset: Option<i64> = None;
    let mut delay = Duration::from_secs(1);
    let mut pruned = tokio::time::Instant::now() - PRUNE_EVERY;
    loop {
        if pruned.elapsed() >= PRUNE_EVERY {
            pruned = tokio::time::Instant::now();
            let s = store.clone();
            if let Err(e) = blocking(move || s.prune_updates()).await {
                tracing::warn!(error = %e, "could not prune the update inbox");
            }
        }
        let polled = tokio::select! {
            r = get_updates(&bot, offset) => r,
            _ = shutdown.changed() => break,
        };
        let wait = match polled {
            Ok(batch) if batch.is_empty() => None,
            Ok(batch) => {
                let last = batch.iter().map(|(id, _)| *id).max();
                let s = store.clone();
                match blocking(move || s.record_updates(&batch)).await {
                    Ok(fresh) => {
                        // Recorded: the next poll may confirm them.
                        offset = last.map(|l| l + 1);
                        for (id, body) in fresh {
                            lanes.push(id, &body);
                        }
                        None
                    }
                    // Not recorded, so not confirmed: Telegram sends the batch again.
                    Err(e) => {
                        tracing::error!(error = %e, "could not record updates; asking again");
                        Some(Duration::from_secs(1))
                    }
                }
            }
            Err(Poll::RetryAfter(after)) => Some(after),
            Err(Poll::Failed(why)) => {
                tracing::warn!(error = %why, retry_in = ?delay, "polling Telegram failed");
                let d = delay;
                delay = (delay * 2).min(Duration::from_secs(60));
                Some(d)
            }
        };
        match wait {
            None => delay = Duration::from_secs(1),
            Some(d) => {
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = shutdown.changed() => break,
                }
            }
        }
    }
    if !lanes.drain(grace).await {
        tracing::warn!(
            "handlers did not finish within {grace:?}; they run again at the next start"
        );
    }
}

enum Poll {
    RetryAfter(Duration),
    Failed(String),
}

/// One getUpdates call, its updates kept as Telegram wrote them (the inbox stores the exact JSON).
async fn get_updates(
    bot: &Tg,
    offset: Option<i64>,
) -> std::result::Result<Vec<(i64, String)>, Poll> {
    let inner = bot.inner();
    let mut url = inner.api_url();
    url.path_segments_mut()
        .map_err(|()| Poll::Failed("TELEGRAM_API_URL cannot be a base URL".into()))?
        .pop_if_empty()
        .push(&format!("bot{}", inner.token()))
        .push("getUpdates");
    let mut body = serde_json::json!({
        "timeout": POLL_TIMEOUT.as_secs(),
        "allowed_updates": ALLOWED,
    });
    if let Some(offset) = offset {
        body["offset"] = offset.into();
    }
    // The URL holds the token: errors are described by host and cause only.
    let host = crate::telegram::api_host();
    let response = inner
        .client()
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| Poll::Failed(crate::error::unreachable_host(&e.without_url(), &host)))?;
    let status = response.status();
    let answer: serde_json::Value = response.json().await.map_err(|e| {
        Poll::Failed(format!(
            "unreadable getUpdates answer ({status}): {}",
            e.without_url()
        ))
    })?;
    if answer["ok"].as_bool() != Some(true) {
        if let Some(after) = answer["parameters"]["retry_after"].as_u64() {
            return Err(Poll::RetryAfter(Duration::from_secs(after.clamp(1, 3600))));
        }
        let why = answer["description"].as_str().unwrap_or("no description");
        return Err(Poll::Failed(format!("getUpdates: {status} {why}")));
    }
    let Some(list) = answer["result"].as_array() else {
        return Err(Poll::Failed(
            "getUpdates answered without a result list".into(),
        ));
    };
    let mut batch = Vec::with_capacity(list.len());
    for u in list {
        match u["update_id"].as_i64() {
            Some(id) => batch.push((id, u.to_string())),
            None => tracing::warn!("an update without update_id was skipped"),
        }
    }
    Ok(batch)
}

/// The per-chat lanes: a chat's updates run one after another, different chats at once.
#[derive(Clone)]
struct Lanes(Arc<Inner>);

struct Inner {
    store: Arc<Store>,
    handler: UpdateHandler<HandlerError>,
    deps: teloxide::dptree::di::DependencyMap,
    lanes: Mutex<HashMap<i64, mpsc::UnboundedSender<Item>>>,
    pending: AtomicUsize,
    idle: Notify,
}

impl Lanes {
    fn new(
        store: Arc<Store>,
        handler: UpdateHandler<HandlerError>,
        deps: teloxide::dptree::di::DependencyMap,
    ) -> Lanes {
        Lanes(Arc::new(Inner {
            store,
            handler,
            deps,
            lanes: Mutex::new(HashMap::new()),
            pending: AtomicUsize::new(0),
            idle: Notify::new(),
        }))
    }

    /// Queues a recorded update on its chat's lane (opening the lane if it is not running).
    fn push(&self, id: i64, body: &str) {
        let update: Update = match serde_json::from_str(body) {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!(update = id, error = %e, "an update we cannot read was set aside");
                let store = self.0.store.clone();
                tokio::task::spawn_blocking(move || store.update_handled(id));
                return;
            }
        };
        // teloxide reads a kind newer than itself as an empty error: those are read here.
        let newer = match update.kind {
            UpdateKind::Error(_) => serde_json::from_str(body).unwrap_or_default(),
            _ => Newer::default(),
        };
        let key = lane_of(&update, &newer);
        self.0.pending.fetch_add(1, Ordering::SeqCst);
        let mut lanes = lock(&self.0.lanes);
        let item = match lanes.get(&key) {
            Some(tx) => match tx.send((id, update, newer)) {
                Ok(()) => return,
                Err(mpsc::error::SendError(item)) => item,
            },
            None => (id, update, newer),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        // A fresh channel's receiver is alive: this send cannot fail.
        let _ = tx.send(item);
        lanes.insert(key, tx);
        tokio::spawn(self.clone().lane(key, rx));
    }

    async fn lane(self, key: i64, mut rx: mpsc::UnboundedReceiver<Item>) {
        loop {
            let (id, update, newer) = match tokio::time::timeout(LANE_IDLE, rx.recv()).await {
                Ok(Some(item)) => item,
                Ok(None) => return,
                Err(_) => {
                    // Under the map's lock no push is half done: empty now means empty for good.
                    let mut lanes = lock(&self.0.lanes);
                    if rx.is_empty() {
                        lanes.remove(&key);
                        return;
                    }
                    continue;
                }
            };
            self.handle(id, update, newer).await;
        }
    }

    async fn handle(&self, id: i64, update: Update, newer: Newer) {
        let mut deps = self.0.deps.clone();
        deps.insert(update);
        deps.insert(newer);
        let handler = self.0.handler.clone();
        // Its own task: a panic in a handler is this update's, not the lane's.
        let outcome = tokio::spawn(async move { handler.dispatch(deps).await }).await;
        match outcome {
            Ok(ControlFlow::Break(Ok(()))) => {}
            Ok(ControlFlow::Break(Err(e))) => {
                tracing::warn!(update = id, error = %e, "handler failed")
            }
            Ok(ControlFlow::Continue(_)) => tracing::debug!(update = id, "update not handled"),
            Err(e) => tracing::error!(update = id, error = %e, "a handler panicked"),
        }
        let store = self.0.store.clone();
        if let Err(e) = blocking(move || store.update_handled(id)).await {
            // It runs again after a restart; every handler is idempotent by its keys.
            tracing::error!(update = id, error = %e, "could not mark an update handled");
        }
        self.finish();
    }

    fn finish(&self) {
        if self.0.pending.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }

    /// Waits until every queued update is handled, or `grace` passes; true when all were.
    async fn drain(&self, grace: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            let idle = self.0.idle.notified();
            if self.0.pending.load(Ordering::SeqCst) == 0 {
                return true;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return false;
            }
        }
    }
}

/// The lane of an update: its chat. A pre-checkout query (no chat) gets a lane of its own per
/// payer, apart from their chat's: Telegram wants its answer within 10 s, whatever else that chat is
/// waiting for.
fn lane_of(update: &Update, newer: &Newer) -> i64 {
    match (update.chat(), &newer.subscription) {
        (Some(chat), _) => chat.id.0,
        // A subscription is the user's business with the bot: in order with their private chat.
        (None, Some(s)) => i64::try_from(s.user.id.0).unwrap_or(0),
        (None, None) => update
            .from()
            .and_then(|u| i64::try_from(u.id.0).ok())
            .map_or(0, |id| id | 1 << 62),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
