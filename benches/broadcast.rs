//! A broadcast through a fake Telegram: BENCH_USERS recipients (default 500) queued with `media-lab
//! broadcast`, sent by `media-lab run`; prints the messages per second (it should sit at the pace,
//! just under 24/s), the busiest second, the gaps between sends, and the bot's RSS.
//! Run: `cargo bench --bench broadcast`.

mod support;

#[path = "../tests/common/mod.rs"]
mod common;

use common::fake_telegram::FakeTelegram;
use std::time::{Duration, Instant};
use support::{pct, rss};

const TEXT: &str = "bench broadcast";

fn main() {
    let n: i64 = std::env::var("BENCH_USERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let dir = common::Scratch::new("bench-broadcast");
    common::bot::users(&dir, 1, n);
    let file = dir.path().join("text.txt");
    std::fs::write(&file, TEXT).expect("text");
    common::ok(
        dir.path(),
        &["broadcast", "--text-file", &file.to_string_lossy()],
    );
    let tg = FakeTelegram::start();
    let bot = common::bot::start(&dir, &tg, None, &[]);
    let sent = |tg: &FakeTelegram| {
        tg.calls()
            .iter()
            .filter(|c| c.method == "sendmessage" && c.text() == TEXT)
            .count() as i64
    };
    let deadline = Instant::now() + Duration::from_secs(n as u64 / 10 + 60);
    let mut peak = 0;
    while sent(&tg) < n && Instant::now() < deadline {
        peak = peak.max(rss(bot.pid()));
        std::thread::sleep(Duration::from_millis(50));
    }
    let times: Vec<Instant> = tg
        .message_times()
        .into_iter()
        .filter(|(chat, _)| (1..=n).contains(chat))
        .map(|(_, at)| at)
        .collect();
    let span = times.last().expect("sends").duration_since(times[0]);
    let mut gaps: Vec<Duration> = times
        .windows(2)
        .map(|w| w[1].duration_since(w[0]))
        .collect();
    gaps.sort();
    let busiest = tg.busiest_second(|chat| (1..=n).contains(&chat));
    println!(
        "broadcast to {} users:  {:.1} messages/s over {:.1} s; busiest second {busiest}",
        times.len(),
        (times.len() - 1) as f64 / span.as_secs_f64(),
        span.as_secs_f64()
    );
    println!(
        "gap between sends:        p1 {:.1} ms, p50 {:.1} ms, p99 {:.1} ms",
        pct(&gaps, 0.01),
        pct(&gaps, 0.5),
        pct(&gaps, 0.99)
    );
    println!("media-lab RSS while sending: peak {peak} KiB");
}
