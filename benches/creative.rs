//! The creative toolset's local work. Styled "add text" on a 2048×2048 photo (dark plate with its
//! blur, an emoji, three lines): the full render (decode, draw, JPEG) and one preview on the reduced
//! photo, p50/p99. Then an 8-picture edit prepared from 12-megapixel photos by the real binary with
//! WORKER_CONCURRENCY=4 and four such jobs at once: how long until all four reached fal, and the
//! process's peak RSS. Run: `cargo bench --bench creative` (BENCH_RENDERS, default 40).

mod support;

#[path = "../tests/common/mod.rs"]
mod common;

use common::fake_fal::FakeFal;
use common::fake_telegram::FakeTelegram;
use media_lab::model::{Plate, Spot, TextColor, TextSize, TextStyle};
use std::time::{Duration, Instant};
use support::{pct, status_kib};

fn photo(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            ((x / 7 + seed * 40) % 256) as u8,
            ((y / 5) % 256) as u8,
            ((x + y) / 11 % 256) as u8,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    out.into_inner()
}

fn timed(n: usize, mut f: impl FnMut()) -> Vec<Duration> {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed()
        })
        .collect();
    times.sort();
    times
}

fn render(n: usize) {
    let bytes = photo(2048, 2048, 1);
    let style = TextStyle {
        size: TextSize::L,
        color: TextColor::Yellow,
        spot: Spot::BottomCenter,
        plate: Plate::Dark,
    };
    let text = "Скидка 50% 🔥\nтолько до воскресенья\nна всю коллекцию";
    let full = timed(n, || {
        media_lab::jobs::text::add_text(&bytes, text, &style).expect("render");
    });
    let base = media_lab::jobs::text::preview_base(&bytes).expect("base");
    let preview = timed(n * 5, || {
        media_lab::jobs::text::preview(&base, text, &style).expect("preview");
    });
    println!(
        "styled add text, 2048×2048 (dark plate, emoji, 3 lines): full render p50 {:.0} ms, p99 {:.0} ms; preview ({}×{}) p50 {:.1} ms, p99 {:.1} ms; peak RSS of this process {:.1} MiB",
        pct(&full, 0.5),
        pct(&full, 0.99),
        base.width(),
        base.height(),
        pct(&preview, 0.5),
        pct(&preview, 0.99),
        status_kib("self", "VmHWM:") as f64 / 1024.0
    );
}

/// Four users each merge 8 photos of 4000×3000 at once; the binary downloads, decodes, downscales
/// and encodes all 32 before the four requests reach fal.
fn prepare() {
    let (dir, tg, fal) = (
        common::Scratch::new("bench-creative"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let photos: Vec<Vec<u8>> = (0..8).map(|i| photo(4000, 3000, i)).collect();
    let users: Vec<i64> = (1..=4).map(|n| 9100 + n).collect();
    for u in &users {
        common::jobs::credit(&dir, *u, "100");
    }
    let bot = common::jobs::start(&dir, &tg, &fal, &[("WORKER_CONCURRENCY", "4")]);
    let pid = bot.pid().to_string();
    let idle = status_kib(&pid, "VmRSS:");
    for u in &users {
        common::bot::press(&tg, *u, "mode:merge");
        for (i, p) in photos.iter().enumerate() {
            tg.send_photo(
                *u,
                &format!("big-{u}-{i}"),
                p.clone(),
                None,
                Some(&format!("album-{u}")),
            );
        }
    }
    std::thread::sleep(Duration::from_millis(1500));
    let t0 = Instant::now();
    for u in &users {
        tg.send_text(*u, "поставь все товары в один ряд на белом фоне");
    }
    common::wait_until(300, "four merges at fal", || fal.submits().len() >= 4);
    let took = t0.elapsed();
    let peak = status_kib(&pid, "VmHWM:");
    let sizes: Vec<usize> = fal
        .submits()
        .iter()
        .map(|s| s.input.to_string().len())
        .collect();
    println!(
        "8-picture edit from 12-megapixel photos, 4 at once (WORKER_CONCURRENCY=4): all four at fal after {:.2} s; request bodies {:.1}–{:.1} MB; RSS idle {:.1} MiB, peak {:.1} MiB",
        took.as_secs_f64(),
        *sizes.iter().min().unwrap_or(&0) as f64 / 1e6,
        *sizes.iter().max().unwrap_or(&0) as f64 / 1e6,
        idle as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    drop(bot);
}

fn main() {
    let n: usize = std::env::var("BENCH_RENDERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    render(n);
    prepare();
}
