//! Group commit of the notification inbox. Handlers hand their notification to one committer thread
//! and wait; the committer takes everything that queued up while it was busy and records it in one
//! transaction, then answers each waiting handler. One fsync covers the whole batch, so the rate of
//! acknowledgements grows with the rate of arrivals instead of being capped by the disk.

use crate::db::Store;
use crate::db::notifications::Incoming;
use crate::error::{Error, Result};
use crate::payments::Payments;
use crate::payments::notification::Notification;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError, sync_channel};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// Notifications waiting for the committer; past this the listener answers 503 and YooKassa retries.
const QUEUE: usize = 4096;
/// Rows per transaction: bounds one commit's latency under a flood.
const MAX_BATCH: usize = 512;

struct Item {
    notification: Notification,
    body: String,
    done: oneshot::Sender<bool>,
}

/// Why a notification was not recorded.
#[derive(Debug, PartialEq, Eq)]
pub enum NotRecorded {
    /// The queue is full: try again later.
    Busy,
    /// The transaction failed (logged): try again later.
    Failed,
}

pub struct Inbox {
    queue: SyncSender<Item>,
}

impl Inbox {
    /// Starts the committer. It ends once every `Inbox` handle is dropped and the queue is empty.
    pub fn start(store: Arc<Store>, payments: Payments) -> Result<(Inbox, JoinHandle<()>)> {
        let (queue, rx) = sync_channel(QUEUE);
        let thread = std::thread::Builder::new()
            .name("inbox".into())
            .spawn(move || commit_loop(&rx, &store, &payments))
            .map_err(|e| Error::io("starting the notification inbox", e))?;
        Ok((Inbox { queue }, thread))
    }

    /// Returns once `notification` is durable in the inbox, or why it is not.
    pub async fn record(
        &self,
        notification: Notification,
        body: String,
    ) -> std::result::Result<(), NotRecorded> {
        let (done, answer) = oneshot::channel();
        let item = Item {
            notification,
            body,
            done,
        };
        match self.queue.try_send(item) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(NotRecorded::Busy),
            Err(TrySendError::Disconnected(_)) => return Err(NotRecorded::Failed),
        }
        match answer.await {
            Ok(true) => Ok(()),
            _ => Err(NotRecorded::Failed),
        }
    }
}

fn commit_loop(rx: &Receiver<Item>, store: &Store, payments: &Payments) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(TryRecvError::Empty | TryRecvError::Disconnected) => break,
            }
        }
        let rows: Vec<Incoming<'_>> = batch
            .iter()
            .map(|item| Incoming {
                yookassa_id: &item.notification.object_id,
                event: &item.notification.event,
                body: &item.body,
            })
            .collect();
        let written = store.record_notifications(&rows);
        drop(rows);
        let ok = match written {
            Ok(()) => true,
            Err(e) => {
                // Nothing of the batch is recorded: each gets a 5xx and YooKassa sends it again.
                tracing::error!(error = %e, notifications = batch.len(), "webhook: recording notifications failed");
                false
            }
        };
        for item in batch {
            // A handler that gave up waiting (its client left) no longer listens; the row stays.
            let _ = item.done.send(ok);
        }
        if ok {
            payments.wake();
        }
    }
}
