//! The web inside the binary (SPEC §10), served by the listener when WEB_BASE_URL is set: the Mini
//! App at `/app` (a user's kept results, balance and history, authenticated by Telegram's initData)
//! and the admin pages at `/admin` (a one-time link from /web opens a 12-hour session). Pages are
//! rendered on the server from askama templates compiled into the binary, with the few static files
//! embedded; no JavaScript build, no CDN, a strict Content-Security-Policy on every answer. The pages
//! read; money changes stay in the bot and the CLI.

mod admin;
mod app;
mod table;

use crate::config::Config;
use crate::db::Store;
use std::sync::{Arc, OnceLock};

/// What the web pages need.
#[derive(Clone)]
pub struct Web {
    pub config: Arc<Config>,
    pub store: Arc<Store>,
    /// The bot's @username, once the bot has connected (the Mini App's links back into the bot).
    pub bot_username: Arc<OnceLock<String>>,
    /// Downloads of kept results read whole files: this many at once, so 512 connections cannot
    /// hold 512 pictures in memory.
    files: Arc<tokio::sync::Semaphore>,
}

/// Result files read at once for the Mini App.
const FILES_AT_ONCE: usize = 4;

impl Web {
    pub fn new(config: Arc<Config>, store: Arc<Store>, bot_username: Arc<OnceLock<String>>) -> Web {
        Web {
            config,
            store,
            bot_username,
            files: Arc::new(tokio::sync::Semaphore::new(FILES_AT_ONCE)),
        }
    }
}

/// The parts of a request the pages look at.
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub cookie: Option<&'a str>,
}

impl Request<'_> {
    /// A query parameter, decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        let query = self.query?;
        reqwest::Url::parse(&format!("http://q.invalid/?{query}"))
            .ok()?
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// An answer, with the headers every page carries added by `handle`.
pub struct Page {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    pub headers: Vec<(&'static str, String)>,
}

impl Page {
    fn html(status: u16, body: String) -> Page {
        Page {
            status,
            content_type: "text/html; charset=utf-8",
            body: body.into_bytes(),
            headers: Vec::new(),
        }
    }

    fn bytes(content_type: &'static str, body: Vec<u8>) -> Page {
        Page {
            status: 200,
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    fn redirect(to: &str) -> Page {
        Page {
            status: 303,
            content_type: "text/plain; charset=utf-8",
            body: Vec::new(),
            headers: vec![("location", to.to_string())],
        }
    }

    fn with(mut self, name: &'static str, value: String) -> Page {
        self.headers.push((name, value));
        self
    }
}

/// Whether `path` is one of the web's (so the listener hands it here when the web is on).
pub fn owns(path: &str) -> bool {
    path == "/app" || path.starts_with("/app/") || path == "/admin" || path.starts_with("/admin/")
}

/// The Mini App is framed by Telegram's web clients; the admin pages by nobody.
const CSP_APP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
     connect-src 'self'; base-uri 'none'; form-action 'self'; \
     frame-ancestors https://web.telegram.org https://webk.telegram.org https://webz.telegram.org";
const CSP_ADMIN: &str = "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Answers a request for a web path: the page, with the security headers every answer carries.
pub async fn handle(web: &Web, req: Request<'_>) -> Page {
    let admin_area = req.path == "/admin" || req.path.starts_with("/admin/");
    let page = if req.method != "GET" && req.method != "HEAD" {
        Page::html(405, String::from("method not allowed")).with("allow", "GET, HEAD".into())
    } else if let Some(name) = req.path.strip_prefix("/app/static/") {
        static_file(name)
    } else if admin_area {
        admin::page(web, &req).await
    } else {
        app::page(web, &req).await
    };
    let mut page = page
        .with(
            "content-security-policy",
            if admin_area { CSP_ADMIN } else { CSP_APP }.into(),
        )
        .with("x-content-type-options", "nosniff".into())
        .with("referrer-policy", "no-referrer".into())
        .with("cache-control", "no-store".into())
        .with(
            "permissions-policy",
            "camera=(), microphone=(), geolocation=()".into(),
        );
    if admin_area {
        page = page
            .with("x-frame-options", "DENY".into())
            .with("cross-origin-opener-policy", "same-origin".into());
    }
    page
}

#[derive(rust_embed::Embed)]
#[folder = "assets/web/"]
struct Assets;

fn static_file(name: &str) -> Page {
    let content_type = match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        _ => "application/octet-stream",
    };
    match Assets::get(name) {
        Some(file) => Page::bytes(content_type, file.data.into_owned()),
        None => Page::html(404, "not found".into()),
    }
}

/// A picture's type from its first bytes (kept results are what fal made: PNG, JPEG or WebP).
fn image_type(bytes: &[u8]) -> (&'static str, &'static str) {
    if bytes.starts_with(b"\x89PNG") {
        ("image/png", "png")
    } else if bytes.len() > 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        ("image/webp", "webp")
    } else {
        ("image/jpeg", "jpg")
    }
}

/// SHA-256 in hex: how a secret (a login token, a session id) is stored.
fn digest(secret: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, secret.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The text of a page that only says something (a refusal, how to get in).
#[derive(askama::Template)]
#[template(path = "message.html")]
struct Message<'a> {
    lang: &'a str,
    title: &'a str,
    text: &'a str,
    /// The Mini App's launch page: carries the script that reads the launch fragment.
    boot: bool,
}

fn message(status: u16, title: &str, text: &str, boot: bool) -> Page {
    render(
        status,
        &Message {
            lang: "ru",
            title,
            text,
            boot,
        },
    )
}

fn render(status: u16, template: &impl askama::Template) -> Page {
    match template.render() {
        Ok(html) => Page::html(status, html),
        Err(e) => {
            tracing::error!(error = %e, "a page could not be rendered");
            Page::html(500, "internal error".into())
        }
    }
}

/// A failed read of the database, as a page.
fn unavailable(e: crate::error::Error) -> Page {
    tracing::error!(error = %e, "web: the database did not answer");
    message(
        503,
        "Временно недоступно",
        "База данных не ответила. Обновите страницу через минуту.",
        false,
    )
}

pub use admin::{LOGIN_LINK_SECS, SESSION_SECS, login_link};
