//! The HTTP listener: `POST /yookassa/webhook`, `GET /healthz`, `GET /metrics`.
//!
//! tiny_http reads each connection's request head on its own pool thread, so a client that connects and
//! sends nothing holds only that thread. A few handler threads take complete heads; a notification's
//! source address is checked before its body is read, and the body is capped at 64 KiB.

use crate::cidr::Cidr;
use crate::config::Config;
use crate::db::{self, Store};
use crate::error::{Error, Result};
use crate::metrics::Metrics;
use crate::payments::{Payments, notification};
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use tiny_http::{Header, Method, Request, Response, Server};

const HANDLER_THREADS: usize = 8;
const WEBHOOK: &str = "media_lab_webhook_requests_total";

/// What the handlers need.
pub struct Context {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    pub payments: Payments,
    pub metrics: Arc<Metrics>,
}

pub struct Listener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl Listener {
    pub fn start(addr: SocketAddr, ctx: Context) -> Result<Listener> {
        let server = Server::http(addr).map_err(|e| Error::Config {
            var: "WEBHOOK_LISTEN",
            msg: format!("cannot listen on {addr}: {e}"),
        })?;
        let addr = server.server_addr().to_ip().unwrap_or(addr);
        let server = Arc::new(server);
        let ctx = Arc::new(ctx);
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..HANDLER_THREADS)
            .map(|i| {
                let (server, ctx, stop) = (server.clone(), ctx.clone(), stop.clone());
                std::thread::Builder::new()
                    .name(format!("http-{i}"))
                    .spawn(move || {
                        while !stop.load(Ordering::Relaxed) {
                            match server.recv_timeout(Duration::from_millis(200)) {
                                Ok(Some(request)) => handle(&ctx, request),
                                Ok(None) => {}
                                Err(e) => tracing::warn!(error = %e, "listener: receiving a request failed"),
                            }
                        }
                    })
                    .map_err(|e| Error::io("starting the listener", e))
            })
            .collect::<Result<_>>()?;
        tracing::info!(%addr, "listener started");
        Ok(Listener {
            addr,
            stop,
            threads,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops taking requests and waits for the ones in hand.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

type Reply = Response<std::io::Cursor<Vec<u8>>>;

fn handle(ctx: &Context, mut request: Request) {
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let response = match (request.method(), path.as_str()) {
        (Method::Post, "/yookassa/webhook") => webhook(ctx, &mut request),
        (Method::Get, "/healthz") => healthz(ctx),
        (Method::Get, "/metrics") => metrics(ctx),
        (_, "/yookassa/webhook" | "/healthz" | "/metrics") => text(405, "method not allowed\n"),
        _ => text(404, "not found\n"),
    };
    if let Err(e) = request.respond(response) {
        tracing::debug!(error = %e, "listener: the client went away before the response");
    }
}

/// Decode → validate → record → 200. Processing (fetching the payment from the API, crediting)
/// happens after the answer, from the recorded row, so it survives a crash.
fn webhook(ctx: &Context, request: &mut Request) -> Reply {
    let Some(peer) = request.remote_addr().map(SocketAddr::ip) else {
        return outcome(ctx, "forbidden", 403, "forbidden\n");
    };
    let forwarded = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("X-Forwarded-For"))
        .map(|h| h.value.as_str().to_string());
    let client = client_ip(peer, forwarded.as_deref(), &ctx.config.trusted_proxies);
    if !ctx
        .config
        .yookassa_trusted_ips
        .iter()
        .any(|net| net.contains(client))
    {
        tracing::warn!(%client, "webhook: source address is not YooKassa's; refused");
        return outcome(ctx, "forbidden", 403, "forbidden\n");
    }
    if request
        .body_length()
        .is_some_and(|n| n > notification::MAX_BODY)
    {
        return outcome(ctx, "too_large", 413, "body too large\n");
    }
    let mut body = Vec::new();
    let read = request
        .as_reader()
        .take(notification::MAX_BODY as u64 + 1)
        .read_to_end(&mut body);
    if read.is_err() {
        return outcome(ctx, "bad_request", 400, "unreadable body\n");
    }
    if body.len() > notification::MAX_BODY {
        return outcome(ctx, "too_large", 413, "body too large\n");
    }
    let n = match notification::parse(&body) {
        Ok(n) => n,
        Err(why) => {
            tracing::warn!(%client, %why, "webhook: not a notification");
            return outcome(ctx, "bad_request", 400, "not a YooKassa notification\n");
        }
    };
    if n.test && !ctx.payments.is_test_shop() {
        tracing::warn!(%client, id = %n.object_id, "webhook: a test notification for a live shop; refused");
        return outcome(
            ctx,
            "refused_test",
            400,
            "test notification for a live shop\n",
        );
    }
    if !n.is_about_payment() {
        return outcome(ctx, "ignored", 200, "ok\n");
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    let recorded = ctx
        .store
        .write(|tx| db::notifications::insert(tx, &n.object_id, &n.event, &body, db::now()));
    match recorded {
        Ok(_) => {
            ctx.payments.wake();
            outcome(ctx, "accepted", 200, "ok\n")
        }
        Err(e) => {
            // Not recorded: a 5xx makes YooKassa send it again.
            tracing::error!(error = %e, "webhook: recording the notification failed");
            outcome(ctx, "error", 500, "try again\n")
        }
    }
}

/// The address a request came from: the peer, or, when the peer is a trusted proxy, the nearest
/// address in X-Forwarded-For that is not one of our proxies.
pub fn client_ip(peer: IpAddr, forwarded: Option<&str>, proxies: &[Cidr]) -> IpAddr {
    let trusted = |ip: IpAddr| proxies.iter().any(|p| p.contains(ip));
    if !trusted(peer) {
        return peer;
    }
    let Some(list) = forwarded else {
        return peer;
    };
    let mut client = peer;
    for hop in list.rsplit(',') {
        match hop.trim().parse::<IpAddr>() {
            Ok(ip) => {
                client = ip;
                if !trusted(ip) {
                    break;
                }
            }
            // Garbage in the header: stop at what we could vouch for.
            Err(_) => break,
        }
    }
    client
}

fn outcome(ctx: &Context, label: &str, status: u16, body: &str) -> Reply {
    ctx.metrics.inc(WEBHOOK, label);
    text(status, body)
}

fn healthz(ctx: &Context) -> Reply {
    match ctx
        .store
        .read(|c| Ok(c.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))?))
    {
        Ok(_) => text(200, "ok\n"),
        Err(e) => {
            tracing::error!(error = %e, "healthz: the database does not answer");
            text(503, "database unavailable\n")
        }
    }
}

fn metrics(ctx: &Context) -> Reply {
    match ctx.store.read(db::stats::collect) {
        Ok(stats) => text(200, &ctx.metrics.render(&stats)).with_header(header(
            "Content-Type",
            "text/plain; version=0.0.4; charset=utf-8",
        )),
        Err(e) => {
            tracing::error!(error = %e, "metrics: the database does not answer");
            text(503, "database unavailable\n")
        }
    }
}

fn text(status: u16, body: &str) -> Reply {
    Response::from_string(body)
        .with_status_code(status)
        .with_header(header("Content-Type", "text/plain; charset=utf-8"))
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("static header is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_proxies() {
        let proxies = [Cidr::parse("127.0.0.1").expect("cidr")];
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        assert_eq!(
            client_ip(ip("127.0.0.1"), Some("185.71.76.5"), &proxies),
            ip("185.71.76.5")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), Some("185.71.76.5, 127.0.0.1"), &proxies),
            ip("185.71.76.5")
        );
        // A forged left-most entry does not win over the address the proxy saw.
        assert_eq!(
            client_ip(ip("127.0.0.1"), Some("185.71.76.5, 6.6.6.6"), &proxies),
            ip("6.6.6.6")
        );
        assert_eq!(
            client_ip(ip("6.6.6.6"), Some("185.71.76.5"), &proxies),
            ip("6.6.6.6")
        );
        assert_eq!(
            client_ip(ip("127.0.0.1"), Some("junk"), &proxies),
            ip("127.0.0.1")
        );
    }
}
