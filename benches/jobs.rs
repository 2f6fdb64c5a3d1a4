//! Jobs through the worker pool of the real binary against a fake fal.ai with no model latency (the
//! overhead per job: claim, submit, poll, fetch, download, send, settle). The add-text render is in
//! `benches/creative.rs`. Run: `cargo bench --bench jobs` (BENCH_JOBS, default 300).

mod support;

#[path = "../tests/common/fake_fal.rs"]
#[allow(dead_code)]
mod fake_fal;
#[path = "../tests/common/fake_telegram.rs"]
#[allow(dead_code)]
mod fake_telegram;
#[path = "../tests/common/http.rs"]
#[allow(dead_code)]
mod http;

use media_lab::billing::{Billing, Reserve};
use media_lab::config::Config;
use media_lab::db::{Store, jobs::NewJob};
use media_lab::model::Mode;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn pool(n: usize, concurrency: &str) -> f64 {
    let dir = std::env::temp_dir().join(format!(
        "media-lab-bench-jobs-{}-{concurrency}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let db = dir.join("media_lab.db");
    let (tg, fal) = (
        fake_telegram::FakeTelegram::start(),
        fake_fal::FakeFal::start(),
    );
    let config = Arc::new(Config::from_lookup(|_| None).expect("config"));
    let billing = Billing::new(Arc::new(Store::open(&db).expect("store")), config);
    billing.set_free_access(7, true, "bench").expect("user");
    for i in 0..n {
        let job = NewJob {
            chat_id: 7,
            input: format!(r#"{{"prompt":"picture {i}","images":[],"lang":"ru"}}"#),
            deadline_at: i64::MAX,
            update_id: None,
            model: None,
            format: None,
        };
        assert!(matches!(
            billing.reserve(7, Mode::Generate, &job).expect("reserve"),
            Reserve::Reserved(_)
        ));
    }
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port");
    let start = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_media-lab"))
        .arg("run")
        .env_clear()
        .env("TELEGRAM_BOT_TOKEN", fake_telegram::TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .env("FAL_KEY", fake_fal::KEY)
        .env("FAL_QUEUE_URL", fal.url())
        .env("DATABASE_URL", &db)
        .env("WEBHOOK_LISTEN", addr.to_string())
        .env("WORKER_CONCURRENCY", concurrency)
        .env("RUST_LOG", "warn")
        .spawn()
        .expect("spawn");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let mut first: Option<Instant> = None;
    loop {
        let (done, started): (i64, i64) = conn
            .query_row(
                "SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status != 'queued') FROM jobs",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("count");
        if started > 0 && first.is_none() {
            first = Some(Instant::now());
        }
        if done as usize == n {
            break;
        }
        if std::env::var_os("BENCH_TRACE").is_some() && start.elapsed().as_millis() % 1000 < 5 {
            let stuck: Vec<(i64, String)> = conn
                .prepare("SELECT id, status FROM jobs WHERE status != 'done'")
                .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
                .unwrap_or_default();
            eprintln!(
                "{:>5.1}s done {done} started {started} {stuck:?}",
                start.elapsed().as_secs_f64()
            );
        }
        assert!(
            start.elapsed() < Duration::from_secs(600),
            "only {done} of {n} done"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = first.map_or(start.elapsed(), |f| f.elapsed());
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(dir);
    n as f64 / elapsed.as_secs_f64()
}

fn main() {
    let n: usize = std::env::var("BENCH_JOBS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300);
    for concurrency in std::env::var("BENCH_CONCURRENCY")
        .unwrap_or_else(|_| "4,16".into())
        .split(',')
    {
        let rate = pool(n, concurrency);
        println!(
            "worker pool, WORKER_CONCURRENCY={concurrency:>2}: {rate:>6.1} jobs/s ({:.1} ms per job of overhead) over {n} jobs",
            1000.0 / rate
        );
    }
}
