//! The web of SPEC §10 from outside: raw HTTP for what every answer must carry and refuse, and a
//! real headless Chromium driven through WebDriver (Debian's `chromium` and `chromium-driver`,
//! which `.ci/run` installs) for the Mini App gallery and the admin pages. Screenshots of both are
//! saved under `target/web-screenshots/`.

mod common;

use common::bot::{Running, press};
use common::fake_fal::{FakeFal, result_png};
use common::fake_telegram::{FakeTelegram, TOKEN};
use common::jobs::{credit, generate, photos_to};
use common::{Scratch, wait_until};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

const USER: i64 = 2801;
const OTHER: i64 = 2802;
const ADMIN: i64 = 2803;

/// A raw GET: status, the head (lower-cased header lines) and the body bytes.
fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n"
    )
    .expect("write");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read");
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    let mut body = raw[end + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = unchunk(&body);
    }
    (status, head, body)
}

fn unchunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(line_end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size = usize::from_str_radix(String::from_utf8_lossy(&raw[..line_end]).trim(), 16)
            .unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[line_end + 2..line_end + 2 + size]);
        raw = &raw[line_end + 4 + size..];
    }
}

/// Telegram's launch data for `user`, signed with `token`, `age` seconds old; URL-encoded.
fn init_data(user: i64, age: i64, token: &str) -> String {
    let date = (media_lab::time::now() - age).to_string();
    let who = format!(r#"{{"id":{user},"first_name":"U","language_code":"ru"}}"#);
    let fields = [
        ("auth_date", date.as_str()),
        ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"),
        ("user", who.as_str()),
    ];
    let hash = media_lab::initdata::sign(&fields, token);
    let mut url = reqwest::Url::parse("http://x/").expect("url");
    url.query_pairs_mut()
        .extend_pairs(fields)
        .append_pair("hash", &hash);
    url.query().expect("query").to_string()
}

fn encode(value: &str) -> String {
    reqwest::Url::parse_with_params("http://x/", &[("v", value)])
        .expect("url")
        .query()
        .expect("query")[2..]
        .to_string()
}

/// A bot with the web on, USER and OTHER with one picture each, ADMIN known to it.
fn setup(name: &str) -> (Scratch, FakeTelegram, FakeFal, Running) {
    let (dir, tg, fal) = (Scratch::new(name), FakeTelegram::start(), FakeFal::start());
    credit(&dir, USER, "100");
    credit(&dir, OTHER, "100");
    let bot = common::jobs::start(
        &dir,
        &tg,
        &fal,
        &[
            ("WEB_BASE_URL", "{listener}"),
            ("ADMIN_TELEGRAM_IDS", "2803"),
        ],
    );
    common::bot::say(&tg, ADMIN, "/start");
    for (user, prompt) in [(USER, "кот в шляпе"), (OTHER, "секретный проект")]
    {
        common::bot::say(&tg, user, "/start");
        generate(&tg, user, prompt);
        wait_until(20, "the picture", || photos_to(&tg, user) == 1);
    }
    (dir, tg, fal, bot)
}

/// The job ids of `user`'s kept results.
fn kept(dir: &Scratch, user: i64) -> Vec<i64> {
    let db = common::jobs::db(dir);
    let mut st = db
        .prepare("SELECT id FROM jobs WHERE telegram_id = ?1 AND kept_until IS NOT NULL")
        .expect("prepare");
    st.query_map([user], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The login link an admin's /web gives.
fn login_link(tg: &FakeTelegram, admin: i64) -> String {
    let mark = tg.mark();
    tg.send_text(admin, "/web");
    let reply = tg.wait_message(mark, admin, "the /web answer");
    reply.body["reply_markup"]["inline_keyboard"][0][0]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no link: {}", reply.body))
        .to_string()
}

fn path_of(url: &str) -> String {
    let u = reqwest::Url::parse(url).expect("url");
    format!("{}?{}", u.path(), u.query().unwrap_or_default())
}

/// Without auth nothing is shown; with a genuine launch a user sees their own work only, and
/// downloads it as fal made it; a tampered or 25-hour-old launch is refused; the admin link works
/// once and sets its cookie with its flags; a non-admin's /web gives no link; every answer carries
/// the CSP; the listener's limits hold on the new routes.
#[test]
fn the_web_refuses_without_auth_and_shows_each_viewer_only_their_own() {
    let (dir, tg, _fal, bot) = setup("web-http");
    let addr = bot.addr;
    let (mine, theirs) = (kept(&dir, USER)[0], kept(&dir, OTHER)[0]);

    for path in [
        "/app/file/1",
        "/admin",
        "/admin/users",
        "/admin/user?id=2801",
        "/admin/payments",
        "/admin/chart.png",
        "/admin/support",
        "/admin/broadcasts",
    ] {
        let (status, head, body) = get(addr, path, &[]);
        assert_eq!(status, 401, "{path}: {}", String::from_utf8_lossy(&body));
        assert!(
            head.contains("content-security-policy: default-src 'none'"),
            "{path}: {head}"
        );
        assert!(!String::from_utf8_lossy(&body).contains("кот"), "{path}");
    }
    // The launch page: no data yet, the script that reads the fragment, the headers.
    let (status, head, body) = get(addr, "/app", &[]);
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&body).contains("/app/static/app.js"));
    for h in [
        "x-content-type-options: nosniff",
        "referrer-policy: no-referrer",
        "frame-ancestors https://web.telegram.org",
    ] {
        assert!(head.contains(h), "{h}: {head}");
    }

    let good = init_data(USER, 60, TOKEN);
    let (status, head, page) = get(addr, &format!("/app?initData={}", encode(&good)), &[]);
    let page = String::from_utf8_lossy(&page).into_owned();
    assert_eq!(status, 200, "{page}");
    assert!(head.contains("content-security-policy"));
    assert!(page.contains(&format!("/app/file/{mine}?")), "{page}");
    assert!(!page.contains(&format!("/app/file/{theirs}?")), "{page}");
    assert!(
        page.contains("100") || page.contains("90"),
        "the balance: {page}"
    );
    // Its links to files carry no launch data: each is signed for this viewer and this picture,
    // and opens it without any other credential (as Telegram's downloader fetches it).
    assert!(!page.contains("initData"), "{page}");
    let signed = page
        .split('"')
        .find(|s| s.starts_with(&format!("/app/file/{mine}?u=")))
        .expect("a signed download link")
        .replace("&#38;", "&");
    let (status, head, bytes) = get(addr, &signed, &[]);
    assert_eq!(status, 200, "{signed}");
    assert!(head.contains("content-disposition: attachment"), "{head}");
    assert_eq!(bytes, result_png());
    let (status, _, _) = get(
        addr,
        &signed.replace(&format!("/{mine}?"), &format!("/{theirs}?")),
        &[],
    );
    assert_eq!(status, 401, "the signature is for one picture");
    // Change the signature's last hex digit to another one (replacing it with a fixed digit
    // would leave it unchanged one time in sixteen).
    let last = if signed.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &signed[..signed.len() - 1]);
    let (status, _, _) = get(addr, &forged, &[]);
    assert_eq!(status, 401, "a changed signature");
    // The same through the header Telegram's libraries use; the download is fal's file.
    let auth = format!("tma {good}");
    let (status, head, bytes) = get(
        addr,
        &format!("/app/file/{mine}"),
        &[("Authorization", &auth)],
    );
    assert_eq!(status, 200);
    assert!(head.contains("content-disposition: attachment"), "{head}");
    assert_eq!(bytes, result_png());
    // Another user's picture, even by its number: not found for this viewer.
    let (status, _, _) = get(
        addr,
        &format!("/app/file/{theirs}"),
        &[("Authorization", &auth)],
    );
    assert_eq!(status, 404);
    // Forged, another bot's, stale.
    let tampered = good.replace("2801", "2802");
    let stale = init_data(USER, 25 * 3600, TOKEN);
    let foreign = init_data(USER, 60, "999:another-bot");
    for bad in [tampered, stale, foreign] {
        let (status, _, body) = get(addr, &format!("/app?initData={}", encode(&bad)), &[]);
        assert_eq!(status, 401, "{}", String::from_utf8_lossy(&body));
    }

    // A non-admin's /web is not an admin command: no link.
    let mark = tg.mark();
    tg.send_text(USER, "/web");
    let reply = tg.wait_message(mark, USER, "the answer to /web");
    assert!(
        !reply.body.to_string().contains("/admin/login"),
        "{}",
        reply.body
    );

    // The admin's link: once, with the cookie's flags.
    let link = login_link(&tg, ADMIN);
    let (status, head, _) = get(addr, &path_of(&link), &[]);
    assert_eq!(status, 303, "{head}");
    let cookie_line = head
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .expect("a cookie")
        .to_string();
    for flag in [
        "httponly",
        "secure",
        "samesite=strict",
        "max-age=43200",
        "path=/admin",
    ] {
        assert!(cookie_line.contains(flag), "{flag}: {cookie_line}");
    }
    let (status, _, _) = get(addr, &path_of(&link), &[]);
    assert_eq!(status, 401, "a login link works once");
    let session = head
        .lines()
        .find(|l| l.starts_with("set-cookie:"))
        .and_then(|l| l.split(';').next())
        .and_then(|kv| kv.split_once(": "))
        .map(|(_, v)| v.to_string())
        .expect("the cookie");
    // The head was lower-cased; the session id is hex, so it survives.
    let cookie = session.clone();
    for path in [
        "/admin",
        "/admin/users?q=2801",
        "/admin/user?id=2801",
        "/admin/payments",
        "/admin/support",
        "/admin/broadcasts",
    ] {
        let (status, head, body) = get(addr, path, &[("Cookie", &cookie)]);
        assert_eq!(status, 200, "{path}: {}", String::from_utf8_lossy(&body));
        assert!(
            head.contains("content-security-policy: default-src 'none'"),
            "{path}"
        );
        assert!(head.contains("x-frame-options: deny"), "{path}");
    }
    let (_, _, dashboard) = get(addr, "/admin", &[("Cookie", &cookie)]);
    assert!(String::from_utf8_lossy(&dashboard).contains("Маржа"));
    // A user with a plan: its periods, with the renewal stopped and the refund state.
    let (_, _, page) = get(addr, "/admin/user?id=2801", &[("Cookie", &cookie)]);
    assert!(!String::from_utf8_lossy(&page).contains("Подписка"));
    rusqlite::Connection::open(dir.db())
        .expect("db")
        .execute(
            "INSERT INTO plan_periods (telegram_id, plan, stars, operations, used, grant_key, charge_id,
                                       recurring, starts_at, expires_at, canceled_at, refund_state,
                                       created_at)
             VALUES (2801, 'Старт', 250, 30, 2, 'plan:web-charge', 'web-charge', 0, unixepoch(),
                     unixepoch() + 86400, unixepoch(), 'refunded', unixepoch())",
            [],
        )
        .expect("a plan period");
    let (_, _, page) = get(addr, "/admin/user?id=2801", &[("Cookie", &cookie)]);
    let page = String::from_utf8_lossy(&page);
    for shown in ["Подписка", "web-charge", "Старт", "refunded"] {
        assert!(page.contains(shown), "{shown}: {page}");
    }
    let (status, head, png) = get(addr, "/admin/chart.png", &[("Cookie", &cookie)]);
    assert_eq!(status, 200);
    assert!(head.contains("content-type: image/png") && png.starts_with(b"\x89PNG"));
    // Logout revokes the session server-side.
    get(addr, "/admin/logout", &[("Cookie", &cookie)]);
    let (status, _, _) = get(addr, "/admin", &[("Cookie", &cookie)]);
    assert_eq!(status, 401);

    // The listener's limits on the new routes: an oversized head is refused, a body is never read.
    let big = "x".repeat(9 * 1024);
    let (status, _, _) = get(addr, "/app", &[("X-Padding", &big)]);
    assert_ne!(status, 200, "a 9 KiB head");
    let (status, _) = common::http(addr, "POST", "/admin", &[0u8; 1024]).expect("post");
    assert_eq!(status, 405);
    // The menu offers the Mini App.
    let menu = press(&tg, USER, "menu");
    assert!(menu.body.to_string().contains("/app"), "{}", menu.body);
    drop(bot);
}

/// Where the screenshots go.
fn screenshot_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("web-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// chromedriver, stopped when dropped (a failed assertion included).
struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// chromedriver on a free port, or the exact thing to install.
fn chromedriver() -> (Driver, u16) {
    let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        std::path::Path::new(&driver).exists()
            && std::path::Path::new("/usr/bin/chromium").exists(),
        "the browser tests need Debian's Chromium and its driver: `apt-get install chromium chromium-driver` \
         (.ci/run installs them)"
    );
    let port = common::free_addr().port();
    let child = std::process::Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    wait_until(20, "chromedriver", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (driver, port)
}

/// In a real headless Chromium: the Mini App opened as Telegram opens it (the launch data in the
/// fragment) shows the user's picture, loaded, with a working download; a tampered launch is
/// refused; the admin's link opens the dashboard (its cookie out of the page's reach) and the pages
/// behind it, then fails the second time.
#[test]
fn the_gallery_and_the_admin_pages_in_a_real_browser() {
    let (_driver, port) = chromedriver();
    let (dir, tg, _fal, bot) = setup("web-browser");
    let base = format!("http://{}", bot.addr);
    let mine = kept(&dir, USER)[0];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let shots = screenshot_dir();
    let link = login_link(&tg, ADMIN);
    runtime.block_on(async {
        use fantoccini::{ClientBuilder, Locator};
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({"binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=430,900"]}),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let c = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");

        // As Telegram opens a Mini App: the signed data in the fragment.
        let launch = init_data(USER, 60, TOKEN);
        c.goto(&format!("{base}/app#tgWebAppData={}&tgWebAppVersion=8.0", encode(&launch)))
            .await
            .expect("open the Mini App");
        let img = c
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(".gallery img"))
            .await
            .expect("the gallery");
        let loaded = c
            .execute(
                "const i = arguments[0]; return i.complete && i.naturalWidth > 0;",
                vec![serde_json::to_value(&img).expect("element")],
            )
            .await
            .expect("script");
        assert_eq!(loaded, serde_json::json!(true), "the picture loaded");
        let source = c.source().await.expect("source");
        assert!(source.contains(&format!("/app/file/{mine}?")));
        let download = c
            .find(Locator::Css("a[download]"))
            .await
            .expect("a download link")
            .attr("href")
            .await
            .expect("href")
            .expect("an href");
        // The browser fetches the download the way the link does; it is fal's picture.
        let size = c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => done(b.byteLength));",
                vec![download.clone().into()],
            )
            .await
            .expect("fetch");
        assert_eq!(size, serde_json::json!(result_png().len()));
        std::fs::write(shots.join("gallery.png"), c.screenshot().await.expect("screenshot"))
            .expect("save");
        // Inside Telegram (8.0, its webview bridge present) the download is asked of Telegram,
        // with the signed link and the file's name.
        c.execute(
            "window.TelegramWebviewProxy = {postEvent: function (type, data) {
                 window.asked = [type, JSON.parse(data)]; }};",
            vec![],
        )
        .await
        .expect("the bridge");
        c.find(Locator::Css("a[download]"))
            .await
            .expect("the download link")
            .click()
            .await
            .expect("click");
        let asked = c.execute("return window.asked;", vec![]).await.expect("asked");
        assert_eq!(asked[0], "web_app_request_file_download", "{asked}");
        assert_eq!(
            asked[1]["url"],
            serde_json::json!(format!("{base}{download}")),
            "{asked}"
        );
        assert_eq!(
            asked[1]["file_name"],
            serde_json::json!(format!("media-lab-{mine}.png")),
            "{asked}"
        );

        // A tampered launch.
        let forged = launch.replace("2801", "2802");
        c.goto(&format!("{base}/app#tgWebAppData={}", encode(&forged)))
            .await
            .expect("open");
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath("//h1[contains(., 'Нет доступа')]"))
            .await
            .expect("refused");
        assert!(!c.source().await.expect("source").contains("/app/file/"));

        // The admin's link: the dashboard, the cookie out of scripts' reach, the pages behind it.
        c.goto(&link).await.expect("the login link");
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath("//h1[contains(., 'Сводка')]"))
            .await
            .expect("the dashboard");
        let cookies = c.execute("return document.cookie;", vec![]).await.expect("cookie");
        assert_eq!(cookies, serde_json::json!(""), "HttpOnly");
        let chart = c.find(Locator::Css("img.chart")).await.expect("the chart");
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css("img.chart"))
            .await
            .expect("chart");
        let drawn = c
            .execute(
                "const i = arguments[0]; return i.complete && i.naturalWidth;",
                vec![serde_json::to_value(&chart).expect("element")],
            )
            .await
            .expect("script");
        assert_eq!(drawn, serde_json::json!(1200));
        std::fs::write(shots.join("dashboard.png"), c.screenshot().await.expect("screenshot"))
            .expect("save");
        for (path, expect) in [
            ("/admin/users?q=2801", "2801"),
            ("/admin/user?id=2801", "Баланс"),
            ("/admin/payments", "Платежи"),
            ("/admin/support", "Обращения"),
            ("/admin/broadcasts", "Рассылки"),
        ] {
            c.goto(&format!("{base}{path}")).await.expect("page");
            let text = c.source().await.expect("source");
            assert!(text.contains(expect), "{path}");
        }
        // The link again: used.
        c.goto(&link).await.expect("the link again");
        c.wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::XPath("//h1[contains(., 'Ссылка не подходит')]"))
            .await
            .expect("refused the second time");
        c.close().await.expect("close")
    });
    drop(bot);
    assert!(shots.join("gallery.png").exists() && shots.join("dashboard.png").exists());
}
