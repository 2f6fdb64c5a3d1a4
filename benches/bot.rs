//! The bot through a fake Telegram: /balance round trip (update queued → reply sent) one at a time,
//! each from a chat of its own (the bot's latency: replies to one chat are paced at 1/s, which a
//! repeated chat would measure instead), then 50 users at once sending back to back (the paced
//! sender's throughput), and the process's RSS idle and under that load.
//! Run: `cargo bench --bench bot` (BENCH_ROUNDS per user, default 40).

mod support;

#[path = "../tests/common/mod.rs"]
mod common;

use common::fake_telegram::FakeTelegram;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{pct, rss};

fn round_trip(tg: &FakeTelegram, user: i64) -> Duration {
    let mark = tg.mark();
    let t0 = Instant::now();
    tg.send_text(user, "/balance");
    tg.wait_message(mark, user, "/balance reply");
    t0.elapsed()
}

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let dir = common::Scratch::new("bench-bot");
    let tg = Arc::new(FakeTelegram::start());
    let bot = common::bot::start(&dir, &tg, None, &[]);
    std::thread::sleep(Duration::from_millis(500));
    let idle = rss(bot.pid());

    // Warm up, then one request at a time, each from a new chat.
    round_trip(&tg, 1);
    let mut solo: Vec<Duration> = (0..rounds * 2)
        .map(|i| round_trip(&tg, 100_000 + i as i64))
        .collect();
    solo.sort();

    let start = Instant::now();
    let users: Vec<_> = (0..50)
        .map(|u| {
            let tg = tg.clone();
            std::thread::spawn(move || {
                (0..rounds)
                    .map(|_| round_trip(&tg, 1000 + u))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut peak = idle;
    while users.iter().any(|u| !u.is_finished()) {
        peak = peak.max(rss(bot.pid()));
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = start.elapsed();
    let mut all: Vec<Duration> = users
        .into_iter()
        .flat_map(|u| u.join().expect("user"))
        .collect();
    all.sort();
    println!(
        "/balance round trip, one chat each: p50 {:.2} ms, p99 {:.2} ms ({} rounds)",
        pct(&solo, 0.5),
        pct(&solo, 0.99),
        solo.len()
    );
    println!(
        "50 users at once, back to back:  {:.0} updates/s; round trip p50 {:.2} ms, p99 {:.2} ms ({} updates)",
        all.len() as f64 / elapsed.as_secs_f64(),
        pct(&all, 0.5),
        pct(&all, 0.99),
        all.len()
    );
    println!("media-lab RSS:                   idle {idle} KiB, peak under load {peak} KiB");
}
