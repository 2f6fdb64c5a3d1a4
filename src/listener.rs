//! The HTTP listener: `GET /healthz` (and, as they land, the YooKassa webhook and `/metrics`).
//! tiny_http parses requests on its own threads; a few handler threads take finished requests, so one
//! slow handler does not hold the others.

use crate::db::Store;
use crate::error::{Error, Result};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;
use tiny_http::{Method, Request, Response, Server};

const HANDLER_THREADS: usize = 4;

/// What the handlers need.
pub struct Context {
    pub store: Arc<Store>,
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

fn handle(ctx: &Context, request: Request) {
    let path = request.url().split('?').next().unwrap_or("").to_string();
    let response = match (request.method(), path.as_str()) {
        (Method::Get, "/healthz") => healthz(ctx),
        (_, "/healthz") => text(405, "method not allowed\n"),
        _ => text(404, "not found\n"),
    };
    if let Err(e) = request.respond(response) {
        tracing::debug!(error = %e, "listener: the client went away before the response");
    }
}

fn healthz(ctx: &Context) -> Response<std::io::Cursor<Vec<u8>>> {
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

fn text(status: u16, body: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    Response::from_string(body)
        .with_status_code(status)
        .with_header(
            tiny_http::Header::from_bytes(&b"Content-Type"[..], &b"text/plain; charset=utf-8"[..])
                .expect("static header is valid"),
        )
}
