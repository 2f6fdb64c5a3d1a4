//! What recording updates before confirming them costs, and how fast the outbox drains.
//! 1. The update inbox on a real SQLite file (synchronous=FULL): a getUpdates batch recorded in one
//!    transaction, then each update marked handled — per update, for batches of 1, 10 and 100.
//! 2. End to end through the real binary: a button press (an edit, which the paced sender does not
//!    hold) from queued update to the edit, p50/p99, one user and 30 at once.
//! 3. A backlog of notices (credits told to users) drained from the outbox after a start: 100
//!    notices to 30 users, notices/s and the last one's delay.
//!
//! Run: `cargo bench --bench inbox` (BENCH_ROUNDS presses per user, default 40). MEDIA_LAB_BIN runs
//! the third part against another build (to compare with an older version).

mod support;

#[path = "../tests/common/fake_telegram.rs"]
#[allow(dead_code)]
mod fake_telegram;
#[path = "../tests/common/http.rs"]
#[allow(dead_code)]
mod http;

use fake_telegram::{FakeTelegram, TOKEN};
use media_lab::db::Store;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::pct;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "media-lab-bench-inbox-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn store_cost() {
    let dir = scratch("store");
    let store = Store::open(&dir.join("media_lab.db")).expect("store");
    let body = r#"{"update_id":0,"callback_query":{"id":"cb","from":{"id":7,"is_bot":false,"first_name":"U"},"chat_instance":"ci","data":"menu"}}"#;
    let mut next = 1i64;
    for batch in [1usize, 10, 100] {
        let rounds = 2000 / batch;
        let (mut record, mut handle) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..rounds {
            let updates: Vec<(i64, String)> = (0..batch)
                .map(|i| (next + i as i64, body.to_string()))
                .collect();
            next += batch as i64;
            let t = Instant::now();
            let fresh = store.record_updates(&updates).expect("record");
            record += t.elapsed();
            let t = Instant::now();
            for (id, _) in fresh {
                store.update_handled(id).expect("handled");
            }
            handle += t.elapsed();
        }
        let n = (rounds * batch) as f64;
        println!(
            "inbox, batches of {batch:>3}: record {:>6.1} µs/update, mark handled {:>6.1} µs/update, total {:>6.1} µs/update",
            record.as_secs_f64() * 1e6 / n,
            handle.as_secs_f64() * 1e6 / n,
            (record + handle).as_secs_f64() * 1e6 / n
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

fn start(bin: &str, dir: &Path, tg: &FakeTelegram) -> Child {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port");
    Command::new(bin)
        .arg("run")
        .env_clear()
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .env("DATABASE_URL", dir.join("media_lab.db"))
        .env("WEBHOOK_LISTEN", addr.to_string())
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("spawn media-lab")
}

fn press_round_trip(tg: &FakeTelegram, user: i64) -> Duration {
    let mark = tg.mark();
    let t0 = Instant::now();
    let on = tg.press(user, "menu");
    tg.wait_shown(mark, user, on, "the menu");
    t0.elapsed()
}

fn presses(bin: &str) {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let dir = scratch("presses");
    let tg = Arc::new(FakeTelegram::start());
    let mut child = start(bin, &dir, &tg);
    while tg.get_updates_count() == 0 {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    press_round_trip(&tg, 1);
    let mut solo: Vec<Duration> = (0..rounds * 2).map(|_| press_round_trip(&tg, 1)).collect();
    solo.sort();
    let start = Instant::now();
    let users: Vec<_> = (0..30)
        .map(|u| {
            let tg = tg.clone();
            std::thread::spawn(move || {
                (0..rounds)
                    .map(|_| press_round_trip(&tg, 100 + u))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<Duration> = users
        .into_iter()
        .flat_map(|u| u.join().expect("user"))
        .collect();
    let elapsed = start.elapsed();
    all.sort();
    println!(
        "press → edit, one user:          p50 {:.2} ms, p99 {:.2} ms ({} presses)",
        pct(&solo, 0.5),
        pct(&solo, 0.99),
        solo.len()
    );
    println!(
        "press → edit, 30 users at once:  {:.0} updates/s; p50 {:.2} ms, p99 {:.2} ms ({} presses)",
        all.len() as f64 / elapsed.as_secs_f64(),
        pct(&all, 0.5),
        pct(&all, 0.99),
        all.len()
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}

/// 100 notices to 30 users waiting in the outbox when the bot starts.
fn backlog(bin: &str) {
    let dir = scratch("backlog");
    let run = |args: &[&str]| {
        let out = Command::new(bin)
            .args(args)
            .env_clear()
            .env("DATABASE_URL", dir.join("media_lab.db"))
            .output()
            .expect("run");
        assert!(out.status.success(), "{args:?}: {out:?}");
    };
    run(&["migrate"]);
    {
        let conn = rusqlite::Connection::open(dir.join("media_lab.db")).expect("db");
        let has_first = conn
            .prepare("SELECT first_update_at FROM users LIMIT 0")
            .is_ok();
        for user in 0..30i64 {
            let id = 5000 + user;
            conn.execute(
                "INSERT INTO users (telegram_id, username, language_code, created_at) VALUES (?1, 'u', 'ru', 1)",
                [id],
            )
            .expect("user");
            conn.execute(
                "INSERT INTO balances (telegram_id, kopecks, updated_at) VALUES (?1, 0, 1)",
                [id],
            )
            .expect("balance");
            if has_first {
                conn.execute(
                    "UPDATE users SET first_update_at = 1 WHERE telegram_id = ?1",
                    [id],
                )
                .expect("first contact");
            }
        }
    }
    for n in 0..100i64 {
        let id = (5000 + n % 30).to_string();
        run(&["user", "credit", &id, "1", "--reason", "bench"]);
    }
    let tg = FakeTelegram::start();
    let t0 = Instant::now();
    let mut child = start(bin, &dir, &tg);
    let told = |tg: &FakeTelegram| {
        tg.calls()
            .iter()
            .filter(|c| c.method == "sendmessage" && c.text().contains("начислено"))
            .count()
    };
    while tg.get_updates_count() == 0 && t0.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let first_poll = t0.elapsed();
    while told(&tg) < 100 && t0.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let done = t0.elapsed();
    let drained = done.saturating_sub(first_poll);
    println!(
        "outbox backlog, 100 notices to 30 users: {} delivered in {:.1} s after the first poll ({:.1} notices/s); the last {:.1} s after start; busiest second {} messages",
        told(&tg),
        drained.as_secs_f64(),
        told(&tg) as f64 / drained.as_secs_f64().max(0.001),
        done.as_secs_f64(),
        tg.busiest_second(|_| true)
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}

fn main() {
    let bin = std::env::var("MEDIA_LAB_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_media-lab").to_string());
    if std::env::var_os("MEDIA_LAB_BIN").is_none() {
        store_cost();
        presses(&bin);
    }
    backlog(&bin);
}
