//! `media-lab stats --chart`: a month of generated history drawn as a PNG of the expected size that
//! is not all one colour.

mod common;

use common::{Scratch, ok};

/// Thirty days of users, top-ups by both providers and operations by mode, written straight into a
/// migrated database.
fn month_of_history(dir: &Scratch) {
    ok(dir.path(), &["migrate"]);
    let conn = rusqlite::Connection::open(dir.db()).expect("db");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let modes = ["generate", "edit", "retouch", "upscale"];
    for d in 0..30i64 {
        let at = now - d * 86_400;
        for u in 0..(1 + d % 4) {
            let id = 1_000 * (d + 1) + u;
            conn.execute(
                "INSERT INTO users (telegram_id, language_code, created_at) VALUES (?1, 'ru', ?2)",
                rusqlite::params![id, at],
            )
            .expect("user");
            conn.execute(
                "INSERT INTO balances (telegram_id, kopecks, updated_at) VALUES (?1, 0, ?2)",
                rusqlite::params![id, at],
            )
            .expect("balance");
            let provider = if u % 2 == 0 { "yookassa" } else { "stars" };
            let pid = format!("mlp-{id}");
            let amount = 10_000 * (1 + (d + u) % 5);
            conn.execute(
                "INSERT INTO payments (id, telegram_id, amount, charge_amount, currency, status, created_at,
                                       updated_at, provider)
                 VALUES (?1, ?2, ?3, ?3, 'RUB', 'succeeded', ?4, ?4, ?5)",
                rusqlite::params![pid, id, amount, at, provider],
            )
            .expect("payment");
            conn.execute(
                "INSERT INTO ledger (telegram_id, kind, amount, idempotency_key, payment_id, created_at)
                 VALUES (?1, 'topup', ?2, ?3, ?3, ?4)",
                rusqlite::params![id, amount, pid, at],
            )
            .expect("top-up");
            for (k, mode) in modes.iter().enumerate().take(1 + (d + u) as usize % 4) {
                conn.execute(
                    "INSERT INTO operations (telegram_id, mode, paid_with, price, status, created_at, updated_at)
                     VALUES (?1, ?2, 'balance', 1000, 'settled', ?3, ?3)",
                    rusqlite::params![id, mode, at + k as i64],
                )
                .expect("operation");
            }
        }
    }
}

#[test]
fn stats_chart_draws_a_month() {
    let dir = Scratch::new("chart");
    month_of_history(&dir);
    let path = dir.path().join("month.png");
    let t0 = std::time::Instant::now();
    let out = ok(dir.path(), &["stats", "--chart", &path.to_string_lossy()]);
    eprintln!("stats --chart took {:?} (the whole command)", t0.elapsed());
    assert!(out.contains("users:"), "{out}");
    let png = image::open(&path).expect("a PNG").to_rgb8();
    assert_eq!(png.dimensions(), (1200, 960));
    let first = png.get_pixel(0, 0);
    let colours = png.pixels().filter(|p| *p != first).count();
    assert!(
        colours > 10_000,
        "only {colours} pixels differ from the background"
    );
    // The series colours are there: YooKassa's blue and Stars' orange lines.
    assert!(png.pixels().any(|p| p.0 == [31, 119, 180]));
    assert!(png.pixels().any(|p| p.0 == [255, 127, 14]));
}

/// The chart's days begin at midnight in TIME_ZONE (Europe/Moscow, UTC+3, in tests): a user who came
/// a second before Moscow's midnight counts on the day before, one who came at it on the day itself,
/// though both are the same UTC day.
#[test]
fn chart_days_begin_at_midnight_in_the_time_zone() {
    let dir = Scratch::new("chart-midnight");
    ok(dir.path(), &["migrate"]);
    let store = media_lab::db::Store::open(&dir.db()).expect("store");
    let today = media_lab::time::day_of(media_lab::time::now());
    let midnight = media_lab::time::midnight_of_day(today);
    assert_eq!(
        midnight.rem_euclid(86_400),
        21 * 3600,
        "Moscow's midnight is 21:00 UTC"
    );
    let conn = rusqlite::Connection::open(dir.db()).expect("db");
    for (id, at) in [(1, midnight - 1), (2, midnight), (3, midnight - 86_400)] {
        conn.execute(
            "INSERT INTO users (telegram_id, language_code, created_at) VALUES (?1, 'ru', ?2)",
            rusqlite::params![id, at],
        )
        .expect("user");
    }
    let days = store.daily(2).expect("daily");
    let counts: Vec<(i64, i64)> = days.iter().map(|d| (d.day, d.new_users)).collect();
    assert_eq!(counts, [(today - 1, 2), (today, 1)]);
}
