//! The stats chart's render time: 30 days with both providers and six modes, drawn and PNG-encoded
//! BENCH_ROUNDS times (default 20). Run: `cargo bench --bench chart`.

mod support;

use media_lab::db::stats::Day;
use std::time::{Duration, Instant};
use support::pct;

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let modes = [
        "edit",
        "face_swap",
        "generate",
        "merge",
        "retouch",
        "upscale",
    ];
    let days: Vec<Day> = (0..30i64)
        .map(|d| Day {
            day: 20_000 + d,
            yookassa_kopecks: 10_000 * (d % 7),
            stars_kopecks: 5_000 * (d % 5),
            operations: modes
                .iter()
                .enumerate()
                .map(|(i, m)| (m.to_string(), (d + i as i64) % 9))
                .collect(),
            new_users: d % 6,
            cost_kopecks: 3_000 * (d % 4),
        })
        .collect();
    let mut times: Vec<Duration> = Vec::with_capacity(rounds);
    let mut size = 0;
    for _ in 0..rounds {
        let t0 = Instant::now();
        let png = media_lab::chart::render(&days).expect("render");
        times.push(t0.elapsed());
        size = png.len();
    }
    times.sort();
    println!(
        "stats chart ({}×{}, 30 days, 2 providers, 6 modes): p50 {:.1} ms, p99 {:.1} ms, PNG {} KiB ({} rounds)",
        media_lab::chart::WIDTH,
        media_lab::chart::HEIGHT,
        pct(&times, 0.5),
        pct(&times, 0.99),
        size / 1024,
        rounds
    );
}
