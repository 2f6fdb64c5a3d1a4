//! Billing throughput with `synchronous=FULL`, against the raw write + fsync rate of the same disk.
//! Prints figures; asserts nothing about speed. Run: `cargo bench --bench billing`
//! (BENCH_DIR chooses the directory, default the system temp dir; BENCH_SECS the time per figure).

mod support;

use media_lab::billing::{Billing, Reserve};
use media_lab::config::Config;
use media_lab::db::{self, Store, jobs::NewJob, ledger};
use media_lab::model::{Mode, PaidWith};
use media_lab::money::Kopecks;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::pct;

fn secs() -> Duration {
    Duration::from_secs_f64(
        std::env::var("BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3.0),
    )
}

fn billing(db: &Path) -> Billing {
    let vars: HashMap<&str, &str> =
        [("PRICE_PER_OPERATION", "1"), ("FREE_OPERATIONS_COUNT", "0")].into();
    let config =
        Arc::new(Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).expect("config"));
    Billing::new(Arc::new(Store::open(db).expect("store")), config)
}

fn job() -> NewJob {
    NewJob {
        chat_id: 1,
        input: "{\"prompt\":\"a cat\"}".into(),
        deadline_at: i64::MAX,
        update_id: None,
        model: None,
        format: None,
    }
}

/// Appends 4 KiB (about one WAL frame) and fdatasyncs it, as often as the disk allows.
fn raw_fsync_rate(dir: &Path) -> f64 {
    let path = dir.join("fsync.bin");
    let mut f = std::fs::File::create(&path).expect("create");
    let page = [7u8; 4096];
    let (start, mut n) = (Instant::now(), 0u64);
    while start.elapsed() < secs() {
        f.write_all(&page).expect("write");
        f.sync_data().expect("fsync");
        n += 1;
    }
    let _ = std::fs::remove_file(path);
    n as f64 / start.elapsed().as_secs_f64()
}

/// reserve + settle pairs per second from `tasks` threads, and the latency of each pair. With
/// `shared`, the threads share one `Billing` (one writer connection, as `run` does); otherwise each
/// has its own connection and SQLite's busy handler arbitrates (as an admin command beside `run`).
fn reserve_settle(db: &Path, tasks: usize, shared: bool) -> (f64, Vec<Duration>) {
    let b = billing(db);
    for t in 0..tasks {
        b.adjust(
            100 + t as i64,
            Kopecks(1_000_000_000),
            "bench",
            &format!("bench-{t}-{}", media_lab::time::now()),
        )
        .expect("seed");
    }
    let start = Instant::now();
    let threads: Vec<_> = (0..tasks)
        .map(|t| {
            let b = if shared { b.clone() } else { billing(db) };
            std::thread::spawn(move || {
                let mut lat = Vec::new();
                while start.elapsed() < secs() {
                    let t0 = Instant::now();
                    let Reserve::Reserved(r) = b
                        .reserve(100 + t as i64, Mode::Generate, &job())
                        .expect("reserve")
                    else {
                        panic!("seeded balance ran out")
                    };
                    b.settle(r.operation_id).expect("settle");
                    lat.push(t0.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    let rate = lat.len() as f64 / start.elapsed().as_secs_f64();
    lat.sort();
    (rate, lat)
}

/// The same writes as reserve + settle, `group` pairs per transaction: what grouping concurrent
/// commits into one fsync could reach at best.
fn grouped(db: &Path, group: usize) -> f64 {
    let b = billing(db);
    let user = 999;
    b.adjust(
        user,
        Kopecks(1_000_000_000),
        "bench",
        &format!("grouped-{group}-{}", media_lab::time::now()),
    )
    .expect("seed");
    let store = Arc::new(Store::open(db).expect("store"));
    let (start, mut n) = (Instant::now(), 0usize);
    while start.elapsed() < secs() {
        store
            .write(|tx| {
                for _ in 0..group {
                    let now = media_lab::time::now();
                    let op = db::operations::insert(
                        tx,
                        user,
                        Mode::Generate.as_str(),
                        &db::operations::Paid {
                            paid_with: PaidWith::Balance,
                            price: Kopecks(100),
                            full_price: None,
                            discount_code: None,
                            plan_period: None,
                        },
                        now,
                    )?;
                    ledger::append(
                        tx,
                        &ledger::Entry {
                            telegram_id: user,
                            kind: ledger::Kind::Charge,
                            amount: Kopecks(-100),
                            free_ops: 0,
                            key: &format!("operation:{op}:charge"),
                            operation_id: Some(op),
                            payment_id: None,
                            reason: None,
                        },
                        now,
                    )?;
                    db::jobs::insert(
                        tx,
                        Some(op),
                        user,
                        media_lab::model::JobKind::Paid(media_lab::model::Mode::Generate),
                        &job(),
                        None,
                        now,
                    )?;
                    db::operations::finish(tx, op, db::operations::Status::Settled, None, now)?;
                }
                Ok(())
            })
            .expect("grouped write");
        n += group;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// A new user applies a 50 % code, opens a draft (which reserves the code) and the payment succeeds
/// (which turns the reservation into the use): top-ups per second, and the latency of each.
fn discounted_topups(db: &Path) -> (f64, Vec<Duration>) {
    let b = billing(db);
    b.add_promo_code(&media_lab::model::PromoCode {
        code: "HALF".into(),
        kind: media_lab::model::PromoKind::Percent(50),
        max_uses: None,
        used_count: 0,
        expires_at: None,
        is_active: true,
    })
    .expect("code");
    let (start, mut lat, mut user) = (Instant::now(), Vec::new(), 1i64);
    while start.elapsed() < secs() {
        let t = Instant::now();
        b.ensure_user(user).expect("user");
        b.apply_discount_code(user, "HALF")
            .expect("apply")
            .expect("usable");
        let p = b
            .create_payment(user, Kopecks(10_000))
            .expect("draft")
            .payment;
        assert_eq!(p.charge_amount, Kopecks(5_000));
        b.apply_payment_status(
            &p.id,
            media_lab::model::PaymentStatus::Succeeded,
            p.charge_amount,
            "RUB",
        )
        .expect("credit");
        lat.push(t.elapsed());
        user += 1;
    }
    let rate = lat.len() as f64 / start.elapsed().as_secs_f64();
    lat.sort();
    (rate, lat)
}

/// Reading a user as every turn does (balance, operation code, running plan periods summed), for
/// users with two plan periods each and for users with none; reads per second and latency.
fn user_reads(db: &Path) -> [(f64, Vec<Duration>); 2] {
    let b = billing(db);
    let store = Store::open(db).expect("store");
    let later = media_lab::time::now() + 86_400 * 20;
    const USERS: i64 = 2_000;
    for user in 1..=2 * USERS {
        b.ensure_user(user).expect("user");
        if user > USERS {
            continue;
        }
        for n in 0..2 {
            b.grant_plan(&media_lab::billing::PlanPayment {
                telegram_id: user,
                payload: "mlplan:250:30:Старт",
                stars: 250,
                charge_id: &format!("bench-{user}-{n}"),
                recurring: n == 1,
                expires_at: Some(later + n * 86_400),
            })
            .expect("plan");
        }
    }
    [1, USERS + 1].map(|first| {
        let (start, mut lat, mut n) = (Instant::now(), Vec::new(), 0i64);
        while start.elapsed() < secs() {
            let t = Instant::now();
            let user = store.user(first + n % USERS).expect("read").expect("user");
            lat.push(t.elapsed());
            assert_eq!(user.plan_operations_left, if first == 1 { 60 } else { 0 });
            n += 1;
        }
        let rate = lat.len() as f64 / start.elapsed().as_secs_f64();
        lat.sort();
        (rate, lat)
    })
}

fn main() {
    let base = std::env::var_os("BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("media-lab-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    println!(
        "billing benchmark in {} ({:.0} s per figure)",
        dir.display(),
        secs().as_secs_f64()
    );

    let fsync = raw_fsync_rate(&dir);
    println!("raw 4 KiB write + fdatasync:        {fsync:>9.0} /s");
    // Each pair is two commits (reserve, settle), so the ceiling is half the fsync rate.
    for (tasks, shared, label) in [
        (1, true, "1 task"),
        (4, true, "4 tasks, one connection"),
        (4, false, "4 tasks, 4 connections"),
    ] {
        let (rate, lat) = reserve_settle(&dir.join(format!("t{tasks}{shared}.db")), tasks, shared);
        println!(
            "reserve + settle, {label:<24} {rate:>6.0} pairs/s = {:>5.0} commits/s, {:.2} of raw fsync; \
             pair latency p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.1} ms",
            rate * 2.0,
            rate * 2.0 / fsync,
            pct(&lat, 0.50),
            pct(&lat, 0.99),
            pct(&lat, 0.999),
            pct(&lat, 1.0),
        );
    }
    let (rate, lat) = discounted_topups(&dir.join("topups.db"));
    println!(
        "discounted top-up (code, draft, credit) {rate:>6.0} /s; p50 {:.2} ms, p99 {:.2} ms",
        pct(&lat, 0.50),
        pct(&lat, 0.99),
    );
    for ((rate, lat), who) in user_reads(&dir.join("reads.db"))
        .into_iter()
        .zip(["with 2 plan periods", "with no plan"])
    {
        println!(
            "user read, {who:<20} {rate:>9.0} /s; p50 {:.3} ms, p99 {:.3} ms",
            pct(&lat, 0.50),
            pct(&lat, 0.99),
        );
    }
    for group in [1, 4, 16] {
        let rate = grouped(&dir.join(format!("g{group}.db")), group);
        println!("same writes, {group:>2} pairs per commit:    {rate:>9.0} pairs/s");
    }
    println!(
        "peak RSS:                            {:>9} KiB",
        support::status_kib("self", "VmHWM:")
    );
    let _ = std::fs::remove_dir_all(&dir);
}
