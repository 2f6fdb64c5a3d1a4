//! A broadcast through a fake Telegram: BENCH_USERS recipients (default 500) queued with `media-lab
//! broadcast`, sent by `media-lab run`; prints the messages per second (it should sit at the pace,
//! just under 24/s), the busiest second, the gaps between sends, and the bot's RSS.
//! Run: `cargo bench --bench broadcast`.

mod support;

#[path = "../tests/common/fake_telegram.rs"]
#[allow(dead_code)]
mod fake_telegram;
#[path = "../tests/common/http.rs"]
#[allow(dead_code)]
mod http;

use fake_telegram::{FakeTelegram, TOKEN};
use std::process::Command;
use std::time::{Duration, Instant};
use support::{pct, rss};

const TEXT: &str = "bench broadcast";

fn main() {
    let n: i64 = std::env::var("BENCH_USERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    let dir =
        std::env::temp_dir().join(format!("media-lab-bench-broadcast-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let db = dir.join("media_lab.db");
    let bin = env!("CARGO_BIN_EXE_media-lab");
    let run = |args: &[&str]| {
        let out = Command::new(bin)
            .args(args)
            .env_clear()
            .env("DATABASE_URL", &db)
            .output()
            .expect("media-lab");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&["migrate"]);
    {
        let conn = rusqlite::Connection::open(&db).expect("db");
        for id in 1..=n {
            conn.execute(
                "INSERT INTO users (telegram_id, language_code, created_at) VALUES (?1, 'ru', 1)",
                [id],
            )
            .expect("user");
            conn.execute(
                "INSERT INTO balances (telegram_id, kopecks, updated_at) VALUES (?1, 0, 1)",
                [id],
            )
            .expect("balance");
        }
    }
    let file = dir.join("text.txt");
    std::fs::write(&file, TEXT).expect("text");
    run(&["broadcast", "--text-file", &file.to_string_lossy()]);
    let tg = FakeTelegram::start();
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port");
    let mut child = Command::new(bin)
        .arg("run")
        .env_clear()
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .env("DATABASE_URL", &db)
        .env("WEBHOOK_LISTEN", addr.to_string())
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("spawn media-lab");
    let sent = |tg: &FakeTelegram| {
        tg.calls()
            .iter()
            .filter(|c| c.method == "sendmessage" && c.text() == TEXT)
            .count() as i64
    };
    let deadline = Instant::now() + Duration::from_secs(n as u64 / 10 + 60);
    let mut peak = 0;
    while sent(&tg) < n && Instant::now() < deadline {
        peak = peak.max(rss(child.id()));
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
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
}
