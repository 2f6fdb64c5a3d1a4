//! The listener under attack, over raw TCP against the real binary (SPEC §7): after each malformed,
//! oversized, slow or endless request the process is alive, /healthz answers at once and a real
//! notification is still credited.

mod common;

use common::bot::Running;

use common::fake_yookassa::{FakeYooKassa, TEST_KEY};
use common::{Scratch, free_addr, http, http_with, media_lab, terminate, wait_healthy, wait_until};
use media_lab::billing::Billing;
use media_lab::config::Config;
use media_lab::db::Store;
use media_lab::metrics::Metrics;
use media_lab::money::Kopecks;
use media_lab::payments::Payments;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

const YOOKASSA_IP: &str = "185.71.76.10";

struct Bot {
    running: Running,
    addr: SocketAddr,
    dir: Scratch,
    fake: FakeYooKassa,
    vars: Vec<(&'static str, String)>,
    next_user: i64,
}

impl Bot {
    fn start(name: &str) -> Bot {
        let (dir, fake) = (Scratch::new(name), FakeYooKassa::start());
        let vars = fake.listener_vars(TEST_KEY);
        let running = common::bot::listen(&dir, &vars);
        let addr = running.addr;
        Bot {
            running,
            addr,
            dir,
            fake,
            vars,
            next_user: 700,
        }
    }

    /// A top-up made through the library, paid at the fake; returns (user, YooKassa's id).
    fn paid_topup(&mut self) -> (i64, String) {
        self.next_user += 1;
        let user = self.next_user;
        let map: HashMap<&str, String> = self.vars.iter().cloned().collect();
        let config = Arc::new(Config::from_lookup(|k| map.get(k).cloned()).expect("config"));
        let store = Arc::new(Store::open(&self.dir.db()).expect("store"));
        let billing = Billing::new(store.clone(), config.clone());
        billing.ensure_user(user).expect("user");
        let payments =
            Payments::new(store, billing, config, Arc::new(Metrics::default())).expect("payments");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let started = rt
            .block_on(payments.start_topup(user, Kopecks(10_000), "https://t.me/b"))
            .expect("top-up");
        let yk = started.payment.yookassa_id.expect("yookassa id");
        self.fake.set_status(&yk, "succeeded");
        (user, yk)
    }

    fn balance(&self, user: i64) -> i64 {
        rusqlite::Connection::open(self.dir.db())
            .expect("db")
            .query_row(
                "SELECT coalesce(sum(amount), 0) FROM ledger WHERE telegram_id = ?1",
                [user],
                |r| r.get(0),
            )
            .expect("balance")
    }

    /// The liveness promise after each attack: alive, /healthz within 100 ms, a notification
    /// credited within 2 s.
    fn still_serves(&mut self, after: &str) {
        assert!(
            self.running.child.try_wait().expect("try_wait").is_none(),
            "media-lab died after {after}"
        );
        let t0 = Instant::now();
        let (status, _) = http(self.addr, "GET", "/healthz", b"").expect("healthz");
        let took = t0.elapsed();
        assert_eq!(status, 200, "healthz after {after}");
        assert!(
            took < Duration::from_millis(100),
            "healthz took {took:?} after {after}"
        );
        let (user, yk) = self.paid_topup();
        assert_eq!(notify(self.addr, &yk), 200, "notification after {after}");
        wait_until(2, &format!("the credit after {after}"), || {
            self.balance(user) == 10_000
        });
    }
}

fn notification(id: &str) -> String {
    format!(
        r#"{{"type":"notification","event":"payment.succeeded","object":{{"id":"{id}","status":"succeeded","test":true}}}}"#
    )
}

fn notify(addr: SocketAddr, id: &str) -> u16 {
    http_with(
        addr,
        "POST",
        "/yookassa/webhook",
        &[("X-Forwarded-For", YOOKASSA_IP)],
        notification(id).as_bytes(),
    )
    .expect("post")
    .0
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    s
}

/// Sends raw bytes (ignoring a reset once the server has answered) and returns the status of the
/// first answer, or None when the server closed without one.
fn raw(addr: SocketAddr, bytes: &[u8]) -> Option<u16> {
    let mut s = connect(addr);
    let _ = s.write_all(bytes);
    status_of(&mut s)
}

fn status_of(s: &mut TcpStream) -> Option<u16> {
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).ok()?;
    line.split(' ').nth(1).and_then(|c| c.parse().ok())
}

fn webhook_head(extra: &str) -> String {
    format!(
        "POST /yookassa/webhook HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: {YOOKASSA_IP}\r\n{extra}\r\n"
    )
}

/// A thread that sends `bytes` one per second and reports how long the server kept it open.
fn trickle(addr: SocketAddr, prefix: Vec<u8>, bytes: Vec<u8>) -> std::thread::JoinHandle<Duration> {
    std::thread::spawn(move || {
        let mut s = connect(addr);
        let t0 = Instant::now();
        let _ = s.write_all(&prefix);
        s.set_read_timeout(Some(Duration::from_millis(1000)))
            .expect("timeout");
        for b in bytes {
            if s.write_all(&[b]).is_err() {
                break;
            }
            let mut buf = [0u8; 512];
            match s.read(&mut buf) {
                // Closed (with or without a 408): the server let go of us.
                Ok(_) => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
            if t0.elapsed() > Duration::from_secs(40) {
                break;
            }
        }
        t0.elapsed()
    })
}

#[test]
fn malformed_and_oversized_requests_leave_it_serving() {
    let mut bot = Bot::start("listen-malformed");
    let addr = bot.addr;
    bot.still_serves("start");

    // The status each must get; hyper refuses what it cannot parse before a route sees it (a length
    // past 2^64-2 is its "too large" parse error, 431).
    let cases: Vec<(&str, Vec<u8>, &[u16])> = vec![
        (
            "Content-Length 2^62",
            webhook_head("Content-Length: 4611686018427387904\r\n").into_bytes(),
            &[413],
        ),
        (
            "Content-Length u64::MAX",
            webhook_head("Content-Length: 18446744073709551615\r\n").into_bytes(),
            &[400, 413, 431],
        ),
        (
            "negative Content-Length",
            webhook_head("Content-Length: -1\r\n").into_bytes(),
            &[400],
        ),
        (
            "two different Content-Lengths",
            webhook_head("Content-Length: 10\r\nContent-Length: 20\r\n").into_bytes(),
            &[400],
        ),
        (
            "a 2^60 chunk",
            {
                let mut b = webhook_head("Transfer-Encoding: chunked\r\n").into_bytes();
                b.extend_from_slice(b"1000000000000000\r\n");
                b.extend(std::iter::repeat_n(b'{', 70 * 1024));
                b
            },
            &[413],
        ),
        (
            "a 1 MiB header line",
            {
                let mut b = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Junk: ".to_vec();
                b.extend(std::iter::repeat_n(b'a', 1 << 20));
                b.extend_from_slice(b"\r\n\r\n");
                b
            },
            &[431],
        ),
        (
            "a request line of garbage",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 garbage \r\n\r\n".to_vec(),
            &[400],
        ),
        (
            "a body over 64 KiB that declares it",
            webhook_head("Content-Length: 65537\r\n").into_bytes(),
            &[413],
        ),
        (
            "a body over 64 KiB that does not",
            {
                let mut b = webhook_head("Transfer-Encoding: chunked\r\n").into_bytes();
                for _ in 0..20 {
                    b.extend_from_slice(b"1000\r\n");
                    b.extend(std::iter::repeat_n(b' ', 0x1000));
                    b.extend_from_slice(b"\r\n");
                }
                b.extend_from_slice(b"0\r\n\r\n");
                b
            },
            &[413],
        ),
    ];
    for (name, bytes, expected) in cases {
        let got = raw(addr, &bytes);
        assert!(
            got.is_some_and(|s| expected.contains(&s)),
            "{name}: {got:?}, expected one of {expected:?}"
        );
        bot.still_serves(name);
    }

    // A thousand requests on one keep-alive connection, each answered.
    let mut s = connect(addr);
    let mut reader = BufReader::new(s.try_clone().expect("clone"));
    for i in 0..1000 {
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("send");
        let mut line = String::new();
        reader.read_line(&mut line).expect("status");
        assert!(line.starts_with("HTTP/1.1 200"), "request {i}: {line:?}");
        let mut length = 0;
        loop {
            line.clear();
            reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().expect("length");
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).expect("body");
    }
    bot.still_serves("1000 requests on one connection");

    // A proxy that appends its own X-Forwarded-For line: the last line's hop is the client.
    let (status, _) = http_with(
        addr,
        "POST",
        "/yookassa/webhook",
        &[
            ("X-Forwarded-For", YOOKASSA_IP),
            ("X-Forwarded-For", "6.6.6.6"),
        ],
        notification("2f000000-0000-5000-a000-000000000001").as_bytes(),
    )
    .expect("post");
    assert_eq!(status, 403, "a stranger behind a second header line");
}

#[test]
fn slow_and_idle_clients_are_let_go_and_stall_nothing() {
    let mut bot = Bot::start("listen-slow");
    let addr = bot.addr;
    // Eight heads trickled a byte a second, 64 bodies trickled, 300 connections that say nothing.
    let head = webhook_head(&format!(
        "Content-Length: {}\r\n",
        notification("2f000000-0000-5000-a000-000000000002").len()
    ));
    let mut slow: Vec<_> = (0..8)
        .map(|_| trickle(addr, Vec::new(), head.clone().into_bytes()))
        .collect();
    slow.extend((0..64).map(|_| {
        trickle(
            addr,
            head.clone().into_bytes(),
            notification("2f000000-0000-5000-a000-000000000002").into_bytes(),
        )
    }));
    let idle: Vec<TcpStream> = (0..300).map(|_| connect(addr)).collect();
    std::thread::sleep(Duration::from_millis(500));
    bot.still_serves("372 slow and idle connections");

    // Each slow client is dropped by the 10 s head/body limits, not served at a byte a second.
    for t in slow {
        let held = t.join().expect("trickler");
        assert!(
            held >= Duration::from_secs(9) && held < Duration::from_secs(20),
            "a trickling client was held {held:?}"
        );
    }
    // The idle ones are closed too, so they do not hold a slot for ever.
    for mut s in idle {
        s.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        assert!(
            s.read_to_end(&mut Vec::new()).is_ok(),
            "an idle connection was kept open"
        );
    }
    bot.still_serves("the slow clients were let go");
}

#[test]
fn sigterm_finishes_the_notification_in_hand() {
    let mut bot = Bot::start("listen-term");
    let (user, yk) = bot.paid_topup();
    let body = notification(&yk);
    let mut s = connect(bot.addr);
    s.write_all(webhook_head(&format!("Content-Length: {}\r\n", body.len())).as_bytes())
        .expect("head");
    s.write_all(&body.as_bytes()[..10])
        .expect("part of the body");
    std::thread::sleep(Duration::from_millis(300));
    // SIGTERM while the body is half sent: the request in hand is still answered and recorded.
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &bot.running.pid().to_string()])
        .status()
        .expect("kill");
    std::thread::sleep(Duration::from_millis(300));
    s.write_all(&body.as_bytes()[10..])
        .expect("rest of the body");
    assert_eq!(status_of(&mut s), Some(200));
    let status = bot.running.child.wait().expect("wait");
    assert!(status.success(), "exit status {status}");
    let recorded: i64 = rusqlite::Connection::open(bot.dir.db())
        .expect("db")
        .query_row(
            "SELECT count(*) FROM payment_notifications WHERE yookassa_id = ?1",
            [&yk],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(recorded, 1);
    // The next start credits it from the inbox.
    let addr = free_addr();
    let mut cmd = media_lab(bot.dir.path());
    cmd.env("WEBHOOK_LISTEN", addr.to_string())
        .arg("run")
        .stderr(Stdio::null());
    for (k, v) in &bot.vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("restart");
    wait_healthy(addr, &mut child);
    wait_until(10, "the credit after restart", || {
        bot.balance(user) == 10_000
    });
    terminate(&mut child);
}
