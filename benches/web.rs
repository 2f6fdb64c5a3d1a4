//! The web pages (SPEC §10) against the real binary: how fast initData is checked, and the latency of
//! the Mini App gallery (a user with 60 kept results), one full-size download, and the admin
//! dashboard (stats and template) over keep-alive connections; the process's memory after.
//! Run: `cargo bench --bench web` (BENCH_WEB_ROUNDS: requests per page, default 300).

mod support;

#[path = "../tests/common/mod.rs"]
mod common;

use common::fake_telegram::TOKEN;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use support::{pct, rss};

const USER: i64 = 2901;
const ADMIN: i64 = 2902;

/// One GET on a keep-alive connection; the status and the body's length.
fn get(reader: &mut BufReader<TcpStream>, path: &str, cookie: &str) -> (u16, usize) {
    let head = format!("GET {path} HTTP/1.1\r\nHost: bench\r\nCookie: {cookie}\r\n\r\n");
    reader.get_mut().write_all(head.as_bytes()).expect("send");
    let mut line = String::new();
    reader.read_line(&mut line).expect("status");
    let status = line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut length = 0;
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    (status, length)
}

fn measure(addr: SocketAddr, label: &str, path: &str, cookie: &str, rounds: usize) {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let mut reader = BufReader::new(stream);
    let mut times = Vec::with_capacity(rounds);
    let mut size = 0;
    for _ in 0..rounds {
        let t0 = Instant::now();
        let (status, len) = get(&mut reader, path, cookie);
        times.push(t0.elapsed());
        assert_eq!(status, 200, "{label}");
        size = len;
    }
    times.sort();
    println!(
        "{label:<28} p50 {:>7.2} ms  p99 {:>7.2} ms  ({size} bytes)",
        pct(&times, 0.50),
        pct(&times, 0.99)
    );
}

fn main() {
    let rounds: usize = std::env::var("BENCH_WEB_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);

    // initData checks in-process: parse, HMAC-SHA256 twice, compare.
    let now = media_lab::time::now();
    let date = (now - 60).to_string();
    let who = format!(r#"{{"id":{USER},"first_name":"U","language_code":"ru"}}"#);
    let fields = [
        ("auth_date", date.as_str()),
        ("query_id", "AAH"),
        ("user", who.as_str()),
    ];
    let hash = media_lab::initdata::sign(&fields, TOKEN);
    let mut url = reqwest::Url::parse("http://x/").expect("url");
    url.query_pairs_mut()
        .extend_pairs(fields)
        .append_pair("hash", &hash);
    let init = url.query().expect("query").to_string();
    let n = 100_000;
    let t0 = Instant::now();
    for _ in 0..n {
        assert!(media_lab::initdata::verify(&init, TOKEN, now).is_ok());
    }
    let each = t0.elapsed() / n;
    println!(
        "initData verify              {:.1} µs each ({:.0}/s on one core)",
        each.as_secs_f64() * 1e6,
        1.0 / each.as_secs_f64()
    );

    // A user with 60 kept results (a 1.2 MB picture each), an admin, the binary with the web on.
    let dir = common::Scratch::new("bench-web");
    common::ok(dir.path(), &["migrate"]);
    common::ok(
        dir.path(),
        &[
            "user",
            "credit",
            &USER.to_string(),
            "100",
            "--reason",
            "bench",
        ],
    );
    common::ok(
        dir.path(),
        &[
            "user",
            "credit",
            &ADMIN.to_string(),
            "1",
            "--reason",
            "bench",
        ],
    );
    let picture = dir.path().join("result.png");
    let big = image::RgbImage::from_fn(1024, 1024, |x, y| {
        image::Rgb([(x ^ y) as u8, x as u8, y as u8])
    });
    big.save(&picture).expect("picture");
    let db = rusqlite::Connection::open(dir.db()).expect("db");
    for i in 0..60 {
        db.execute(
            "INSERT INTO jobs (telegram_id, chat_id, kind, input, status, deadline_at, next_run_at,
                               created_at, updated_at, result_path, kept_until, model_label)
             VALUES (?1, ?1, 'add_text', '{}', 'done', 0, 0, ?2, ?2, ?3, ?4, 'bench')",
            rusqlite::params![USER, now - i, picture.to_str().expect("path"), now + 86_400],
        )
        .expect("a kept result");
    }
    let bot = common::bot::listen(
        &dir,
        &[
            ("TELEGRAM_BOT_TOKEN", TOKEN.to_string()),
            // Telegram is not there: the bot keeps retrying, the listener serves.
            (
                "TELEGRAM_API_URL",
                format!("http://{}", common::free_addr()),
            ),
            // The links' base; the bench reaches the listener directly.
            ("WEB_BASE_URL", "http://127.0.0.1:1".to_string()),
            ("ADMIN_TELEGRAM_IDS", ADMIN.to_string()),
        ],
    );
    let addr = bot.addr;
    let store = media_lab::db::Store::open(&dir.db()).expect("store");
    let link = media_lab::web::login_link(&store, &format!("http://{addr}"), ADMIN).expect("link");
    let login = format!("/admin/login?{}", link.split_once('?').expect("query").1);
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "GET {login} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
    )
    .expect("login");
    let mut head = String::new();
    s.read_to_string(&mut head).expect("read");
    let cookie = head
        .lines()
        .find(|l| l.to_lowercase().starts_with("set-cookie:"))
        .and_then(|l| l.split_once(": "))
        .and_then(|(_, v)| v.split(';').next())
        .expect("the session cookie")
        .to_string();

    let encoded = reqwest::Url::parse_with_params("http://x/", &[("initData", &init)])
        .expect("url")
        .query()
        .expect("query")
        .to_string();
    let job: i64 = db
        .query_row("SELECT max(id) FROM jobs", [], |r| r.get(0))
        .expect("a job");
    measure(
        addr,
        "Mini App gallery (60 works)",
        &format!("/app?{encoded}"),
        "",
        rounds,
    );
    measure(
        addr,
        "full-size download",
        &format!("/app/file/{job}?{encoded}"),
        "",
        rounds / 3,
    );
    measure(addr, "admin dashboard", "/admin", &cookie, rounds);
    measure(
        addr,
        "admin users (search)",
        "/admin/users?q=29",
        &cookie,
        rounds,
    );
    measure(
        addr,
        "admin chart PNG",
        "/admin/chart.png",
        &cookie,
        rounds / 10,
    );
    std::thread::sleep(Duration::from_millis(200));
    println!("process RSS after: {} MiB", rss(bot.pid()) / 1024);
}
