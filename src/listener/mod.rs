//! The HTTP listener: `POST /yookassa/webhook`, `GET /healthz`, `GET /metrics` on hyper's HTTP/1
//! server (SPEC §7).
//!
//! Every client is untrusted, so every resource a connection can hold is bounded: at most
//! `MAX_CONNECTIONS` at once (the next ones wait in the kernel's backlog), the request head within
//! `HEAD_TIMEOUT` of opening or of the last answer (which also closes idle keep-alive connections),
//! heads up to `MAX_HEAD`, and bodies read frame by frame up to 64 KiB within `BODY_TIMEOUT`. A
//! declared length is only a number to compare, never an allocation.

mod inbox;
mod routes;

pub use routes::client_ip;

use crate::config::Config;
use crate::db::Store;
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::payments::Payments;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use inbox::Inbox;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

pub const MAX_CONNECTIONS: usize = 512;
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
pub const MAX_HEAD: usize = 8 * 1024;
/// How long a stopping listener waits for the requests in hand.
const GRACE: Duration = Duration::from_secs(15);

/// What the handlers need.
pub struct Context {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub payments: Payments,
    pub metrics: Arc<Metrics>,
    /// The Mini App and the admin pages, when WEB_BASE_URL is set.
    pub web: Option<crate::web::Web>,
}

/// Context plus the inbox the webhook records into.
struct Shared {
    ctx: Context,
    inbox: Inbox,
}

pub struct Listener {
    stop: watch::Sender<bool>,
    accept: JoinHandle<()>,
    slots: Arc<Semaphore>,
    committer: std::thread::JoinHandle<()>,
}

impl Listener {
    /// Binds `addr` and serves on the current runtime.
    pub async fn start(addr: SocketAddr, ctx: Context) -> Result<Listener> {
        let socket = TcpListener::bind(addr).await.map_err(|e| Error::Config {
            var: "WEBHOOK_LISTEN",
            msg: format!("cannot listen on {addr}: {e}"),
        })?;
        let addr = socket.local_addr().unwrap_or(addr);
        let (inbox, committer) = Inbox::start(ctx.store.clone(), ctx.payments.clone())?;
        let shared = Arc::new(Shared { ctx, inbox });
        let (stop, stopping) = watch::channel(false);
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        let accept = tokio::spawn(accept_loop(socket, shared, slots.clone(), stopping));
        tracing::info!(%addr, "listener started");
        Ok(Listener {
            stop,
            accept,
            slots,
            committer,
        })
    }

    /// Stops accepting, lets each connection finish the request in hand (idle ones close at once),
    /// then waits for the last notifications to be committed.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.accept.await;
        let all = u32::try_from(MAX_CONNECTIONS).unwrap_or(u32::MAX);
        if tokio::time::timeout(GRACE, self.slots.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!("listener: some connections were still busy after {GRACE:?}");
        }
        // The committer ends when the last handler's inbox handle is gone.
        let committer = self.committer;
        let _ = tokio::task::spawn_blocking(move || committer.join()).await;
    }
}

async fn accept_loop(
    socket: TcpListener,
    shared: Arc<Shared>,
    slots: Arc<Semaphore>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT)
        .max_header_size(MAX_HEAD)
        .max_buf_size(2 * MAX_HEAD)
        .keep_alive(true);
    loop {
        // A slot first: over the limit, connections wait in the backlog instead of holding memory.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return,
            },
            () = stopped(&mut stopping) => return,
        };
        let (stream, peer) = tokio::select! {
            accepted = socket.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors and the like: pause rather than spin.
                    tracing::warn!(error = %e, "listener: accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = stopped(&mut stopping) => return,
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let mut stopping = stopping.clone();
        let conn = http.serve_connection(
            TokioIo::new(stream),
            service_fn(move |request| {
                let shared = shared.clone();
                async move {
                    let response =
                        routes::route(&shared.ctx, &shared.inbox, peer.ip(), request).await;
                    Ok::<_, std::convert::Infallible>(response)
                }
            }),
        );
        tokio::spawn(async move {
            let _slot = slot;
            tokio::pin!(conn);
            let served = tokio::select! {
                served = conn.as_mut() => served,
                () = stopped(&mut stopping) => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(e) = served {
                // Timeouts, malformed requests, clients that left: theirs to fix, not ours.
                tracing::debug!(%peer, error = %e, "listener: connection ended with an error");
            }
        });
    }
}

/// Resolves once the listener is told to stop (or its owner is gone).
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|s| *s).await;
}
