//! Notifications processed per second end to end — listener → record → fetch from a fake YooKassa →
//! credit — with 32 concurrent senders, and the latency from sending a notification to its credit
//! being committed. Run: `cargo bench --bench payments` (BENCH_PAYMENTS sets how many, default 2000).

mod support;

#[path = "../tests/common/mod.rs"]
mod common;

use common::fake_yookassa::{FakeYooKassa, TEST_KEY};
use media_lab::billing::Billing;
use media_lab::config::Config;
use media_lab::db::Store;
use media_lab::metrics::Metrics;
use media_lab::money::Kopecks;
use media_lab::payments::Payments;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{pct, rss};

const SENDERS: usize = 32;

fn post(addr: SocketAddr, body: &str) -> u16 {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "POST /yookassa/webhook HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 185.71.76.10\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::var("BENCH_PAYMENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let dir = common::Scratch::new("bench-pay");
    let db = dir.db();
    let fake = FakeYooKassa::start();
    let mut vars: HashMap<&str, String> = fake.listener_vars(TEST_KEY).into_iter().collect();
    vars.insert("RUST_LOG", "warn".into());
    let config = Arc::new(Config::from_lookup(|k| vars.get(k).cloned()).expect("config"));
    let store = Arc::new(Store::open(&db).expect("store"));
    let billing = Billing::new(store.clone(), config.clone());
    let payments = Payments::new(store, billing.clone(), config, Arc::new(Metrics::default()))
        .expect("payments");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let user = 1 + (i % 500) as i64;
        billing.ensure_user(user).expect("user");
        let started = rt
            .block_on(payments.start_topup(user, Kopecks(10_000), "https://t.me/b"))
            .expect("top-up");
        let yk = started.payment.yookassa_id.expect("id");
        fake.set_status(&yk, "succeeded");
        ids.push((started.payment.id, yk));
    }

    let vars: Vec<(&str, String)> = vars.into_iter().collect();
    let bot = common::bot::listen(&dir, &vars);
    let addr = bot.addr;
    let idle_rss = rss(bot.pid());

    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let next = Arc::new(AtomicUsize::new(0));
    let ids = Arc::new(ids);
    let start = Instant::now();
    let mut ack_lat = Vec::new();
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (sent, next, ids) = (sent.clone(), next.clone(), ids.clone());
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((ours, yk)) = ids.get(i) else { return lat };
                    let body = format!(
                        r#"{{"type":"notification","event":"payment.succeeded","object":{{"id":"{yk}","status":"succeeded","amount":{{"value":"100.00","currency":"RUB"}},"test":true}}}}"#
                    );
                    sent.lock().expect("sent").insert(ours.clone(), Instant::now());
                    let t0 = Instant::now();
                    assert_eq!(post(addr, &body), 200);
                    lat.push(t0.elapsed());
                }
            })
        })
        .collect();

    // Watch the ledger for credits and note when each one appears.
    let conn = rusqlite::Connection::open(&db).expect("open");
    let mut seen = 0usize;
    let mut last_row = 0i64;
    let mut e2e = Vec::with_capacity(n);
    let mut peak_rss = idle_rss;
    while seen < n {
        let mut stmt = conn
            .prepare_cached(
                "SELECT id, payment_id FROM ledger WHERE kind = 'topup' AND id > ?1 ORDER BY id",
            )
            .expect("prepare");
        let rows: Vec<(i64, String)> = stmt
            .query_map([last_row], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .map(|r| r.expect("row"))
            .collect();
        let now = Instant::now();
        for (row, pid) in rows {
            last_row = row;
            seen += 1;
            if let Some(t) = sent.lock().expect("sent").get(&pid) {
                e2e.push(now - *t);
            }
        }
        peak_rss = peak_rss.max(rss(bot.pid()));
        if start.elapsed() > Duration::from_secs(300) {
            panic!("only {seen} of {n} credited after 300 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let elapsed = start.elapsed();
    for s in senders {
        ack_lat.extend(s.join().expect("sender"));
    }
    ack_lat.sort();
    e2e.sort();
    println!("{n} notifications, {SENDERS} concurrent senders");
    println!(
        "end to end:     {:>7.0} credited/s ({:.2} s in all)",
        n as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    println!(
        "webhook answer: p50 {:.2} ms, p99 {:.2} ms",
        pct(&ack_lat, 0.5),
        pct(&ack_lat, 0.99)
    );
    println!(
        "send → credit:  p50 {:.1} ms, p99 {:.1} ms",
        pct(&e2e, 0.5),
        pct(&e2e, 0.99)
    );
    println!("media-lab RSS:  idle {idle_rss} KiB, peak under load {peak_rss} KiB");
}
