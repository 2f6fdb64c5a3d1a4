//! The routes: decode → validate → record → answer. Processing a notification (fetching the
//! payment from the API, crediting) happens after the answer, from the recorded row, so it
//! survives a crash.

use super::inbox::{Inbox, NotRecorded};
use super::{BODY_TIMEOUT, Context};
use crate::cidr::Cidr;
use crate::db;
use crate::payments::notification;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use std::net::IpAddr;

const WEBHOOK: &str = "media_lab_webhook_requests_total";

pub type Reply = Response<Full<Bytes>>;

pub async fn route(
    ctx: &Context,
    inbox: &Inbox,
    peer: IpAddr,
    request: Request<Incoming>,
) -> Reply {
    if let Some(web) = &ctx.web
        && crate::web::owns(request.uri().path())
    {
        return web_page(web, &request).await;
    }
    let known = matches!(
        request.uri().path(),
        "/yookassa/webhook" | "/healthz" | "/metrics"
    );
    match (request.method(), request.uri().path()) {
        (&Method::POST, "/yookassa/webhook") => webhook(ctx, inbox, peer, request).await,
        (&Method::GET, "/healthz") => healthz(ctx).await,
        (&Method::GET, "/metrics") => metrics(ctx).await,
        _ if known => text(405, "method not allowed\n"),
        _ => text(404, "not found\n"),
    }
}

/// A web page (SPEC §10): only the request's head is read; a body is never needed and not read.
async fn web_page<B>(web: &crate::web::Web, request: &Request<B>) -> Reply {
    let header = |name| {
        request
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let page = crate::web::handle(
        web,
        crate::web::Request {
            method: request.method().as_str(),
            path: request.uri().path(),
            query: request.uri().query(),
            authorization: header(hyper::header::AUTHORIZATION),
            cookie: header(hyper::header::COOKIE),
        },
    )
    .await;
    let mut reply = Response::new(Full::new(Bytes::from(page.body)));
    *reply.status_mut() =
        StatusCode::from_u16(page.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = reply.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(page.content_type));
    for (name, value) in page.headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.append(name, value);
        }
    }
    reply
}

async fn webhook(ctx: &Context, inbox: &Inbox, peer: IpAddr, request: Request<Incoming>) -> Reply {
    let client = client_ip(
        peer.to_canonical(),
        forwarded_for(&request).as_deref(),
        &ctx.config.web.trusted_proxies,
    );
    if !ctx
        .config
        .payments
        .yookassa_trusted_ips
        .iter()
        .any(|net| net.contains(client))
    {
        tracing::warn!(%client, "webhook: source address is not YooKassa's; refused");
        return outcome(ctx, "forbidden", 403, "forbidden\n");
    }
    let body = match tokio::time::timeout(BODY_TIMEOUT, read_body(request.into_body())).await {
        Ok(Ok(body)) => body,
        Ok(Err(BodyError::TooLarge)) => return outcome(ctx, "too_large", 413, "body too large\n"),
        Ok(Err(BodyError::Unreadable)) => {
            return outcome(ctx, "bad_request", 400, "unreadable body\n");
        }
        Err(_) => return outcome(ctx, "bad_request", 408, "body not received in time\n"),
    };
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
    if n.event.starts_with("refund.") {
        // A hint only: the refund is fetched from the API by the follower, which this wakes.
        let (store, id) = (ctx.store.clone(), n.object_id.clone());
        return match crate::db::blocking(move || store.refund_check_now(&id)).await {
            Ok(found) => {
                if found.is_some() {
                    ctx.payments.wake();
                }
                outcome(ctx, "accepted", 200, "ok\n")
            }
            Err(e) => {
                tracing::error!(error = %e, "webhook: a refund notification could not be recorded");
                outcome(ctx, "error", 500, "try again\n")
            }
        };
    }
    if !n.is_about_payment() {
        return outcome(ctx, "ignored", 200, "ok\n");
    }
    let body = String::from_utf8_lossy(&body).into_owned();
    match inbox.record(n, body).await {
        Ok(()) => outcome(ctx, "accepted", 200, "ok\n"),
        // Not recorded: a 5xx makes YooKassa send it again.
        Err(NotRecorded::Busy) => outcome(ctx, "busy", 503, "busy, try again\n"),
        Err(NotRecorded::Failed) => outcome(ctx, "error", 500, "try again\n"),
    }
}

enum BodyError {
    TooLarge,
    Unreadable,
}

/// The body, frame by frame, refused as soon as it passes the cap (or declares it would).
async fn read_body(mut body: Incoming) -> Result<Vec<u8>, BodyError> {
    let cap = notification::MAX_BODY;
    if body.size_hint().lower() > cap as u64 {
        return Err(BodyError::TooLarge);
    }
    let mut read = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Unreadable)?;
        if let Ok(data) = frame.into_data() {
            if read.len() + data.len() > cap {
                return Err(BodyError::TooLarge);
            }
            read.extend_from_slice(&data);
        }
    }
    Ok(read)
}

/// Every X-Forwarded-For line joined in order (proxies may append a line instead of extending one);
/// a line that is not text ends the list there, so nothing before it is believed.
fn forwarded_for<B>(request: &Request<B>) -> Option<String> {
    let mut lines = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .peekable();
    lines.peek()?;
    Some(
        lines
            .map(|v| v.to_str().unwrap_or("?"))
            .collect::<Vec<_>>()
            .join(","),
    )
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

async fn healthz(ctx: &Context) -> Reply {
    let store = ctx.store.clone();
    let answer = db::blocking(move || store.answers());
    match answer.await {
        Ok(_) => text(200, "ok\n"),
        Err(e) => {
            tracing::error!(error = %e, "healthz: the database does not answer");
            text(503, "database unavailable\n")
        }
    }
}

async fn metrics(ctx: &Context) -> Reply {
    let store = ctx.store.clone();
    match db::blocking(move || store.stats()).await {
        Ok(stats) => with_type(
            text(200, &ctx.metrics.render(&stats)),
            "text/plain; version=0.0.4; charset=utf-8",
        ),
        Err(e) => {
            tracing::error!(error = %e, "metrics: the database does not answer");
            text(503, "database unavailable\n")
        }
    }
}

fn text(status: u16, body: &str) -> Reply {
    let mut reply = Response::new(Full::new(Bytes::copy_from_slice(body.as_bytes())));
    *reply.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    with_type(reply, "text/plain; charset=utf-8")
}

fn with_type(mut reply: Reply, content_type: &'static str) -> Reply {
    reply
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    reply
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
