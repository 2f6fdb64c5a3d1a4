//! The admin command line, run as the real binary on a real database file.

mod common;

use common::{Scratch, free_addr, http, media_lab, ok, run, terminate, wait_healthy};
use media_lab::{billing::Billing, config::Config, db::Store, money::Kopecks};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

fn schema(db: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut stmt = conn
        .prepare("SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY name")
        .expect("prepare");
    stmt.query_map([], |r| r.get(0))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect()
}

#[test]
fn migrate_creates_the_schema_once() {
    let dir = Scratch::new("migrate");
    let first = ok(dir.path(), &["migrate"]);
    assert!(first.contains("applied V1__init"), "{first}");
    let tables = schema(&dir.db());
    for table in [
        "users",
        "balances",
        "payments",
        "operations",
        "discount_codes",
        "user_discount_codes",
        "ledger",
        "jobs",
        "payment_notifications",
        "notices",
        "dialogues",
    ] {
        assert!(
            tables
                .iter()
                .any(|t| t.starts_with(&format!("table {table} "))),
            "missing {table}"
        );
    }
    let second = ok(dir.path(), &["migrate"]);
    assert!(second.contains("up to date"), "{second}");
    assert_eq!(schema(&dir.db()), tables);
}

#[test]
fn the_ledger_refuses_updates_and_deletes() {
    let dir = Scratch::new("ledger");
    ok(
        dir.path(),
        &["user", "credit", "42", "5", "--reason", "gift"],
    );
    let conn = rusqlite::Connection::open(dir.db()).expect("open");
    let update = conn.execute("UPDATE ledger SET amount = 1000000", []);
    assert!(
        update
            .expect_err("refused")
            .to_string()
            .contains("append-only")
    );
    let delete = conn.execute("DELETE FROM ledger", []);
    assert!(
        delete
            .expect_err("refused")
            .to_string()
            .contains("append-only")
    );
    let negative = conn.execute("UPDATE balances SET kopecks = -1", []);
    assert!(negative.is_err(), "CHECK refuses a negative balance");
}

#[test]
fn a_newer_database_is_refused() {
    let dir = Scratch::new("newer");
    ok(dir.path(), &["migrate"]);
    let conn = rusqlite::Connection::open(dir.db()).expect("open");
    conn.execute(
        "INSERT INTO refinery_schema_history (version, name, applied_on, checksum) VALUES (99, 'future', '', '0')",
        [],
    )
    .expect("insert future version");
    drop(conn);
    let out = run(dir.path(), &["user", "show", "1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("schema version 99, newer than this binary"),
        "{err}"
    );
}

#[test]
fn promo_init_is_idempotent() {
    let dir = Scratch::new("promo");
    ok(dir.path(), &["promo", "init"]);
    let again = ok(dir.path(), &["promo", "init"]);
    assert_eq!(again.matches("exists").count(), 5, "{again}");
    let conn = rusqlite::Connection::open(dir.db()).expect("open");
    let mut stmt = conn
        .prepare("SELECT code, kind, coalesce(discount_percent, 0), coalesce(max_uses, 0) FROM discount_codes ORDER BY code")
        .expect("prepare");
    let codes: Vec<(String, String, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    let expected = [
        ("BONUS30", "percent", 30, 0),
        ("FREE_ACCESS", "free_access", 0, 1),
        ("MEGA50", "percent", 50, 0),
        ("SAVE20", "percent", 20, 0),
        ("WELCOME10", "percent", 10, 0),
    ];
    let expected: Vec<(String, String, i64, i64)> = expected
        .iter()
        .map(|(c, k, p, m)| (c.to_string(), k.to_string(), *p, *m))
        .collect();
    assert_eq!(codes, expected);
}

#[test]
fn promo_add_list_disable() {
    let dir = Scratch::new("promo-add");
    ok(
        dir.path(),
        &[
            "promo",
            "add",
            "spring",
            "--bonus-ops",
            "3",
            "--max-uses",
            "10",
            "--expires",
            "2030-03-31",
        ],
    );
    let dup = run(dir.path(), &["promo", "add", "SPRING", "--percent", "5"]);
    assert!(!dup.status.success());
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let both = run(
        dir.path(),
        &["promo", "add", "X", "--percent", "5", "--free-access"],
    );
    assert!(!both.status.success());
    let list = ok(dir.path(), &["promo", "list"]);
    assert!(
        list.contains("SPRING") && list.contains("3 free operations") && list.contains("used 0/10"),
        "{list}"
    );
    assert!(list.contains("2030-03-31"), "{list}");
    ok(dir.path(), &["promo", "disable", "spring"]);
    assert!(ok(dir.path(), &["promo", "list"]).contains("disabled"));
    assert!(
        !run(dir.path(), &["promo", "disable", "NOPE"])
            .status
            .success()
    );
}

#[test]
fn user_show_json_has_the_contract_keys() {
    let dir = Scratch::new("user");
    let missing = run(dir.path(), &["user", "show", "777"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("user 777 not found"));

    // A gift before the first visit creates the user as on first contact.
    ok(
        dir.path(),
        &["user", "credit", "777", "12.50", "--reason", "welcome gift"],
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &["user", "show", "777", "--json"])).expect("json");
    assert_eq!(json["telegram_id"], 777);
    assert_eq!(json["balance"], "12.50");
    assert_eq!(json["free_operations_left"], 4);
    assert_eq!(json["has_free_access"], false);

    let debit = run(
        dir.path(),
        &["user", "credit", "777", "-30", "--reason", "too much"],
    );
    assert!(!debit.status.success(), "never below zero");
    ok(
        dir.path(),
        &["user", "credit", "777", "-2.5", "--reason", "correction"],
    );
    ok(dir.path(), &["user", "grant-free-access", "778"]);
    let granted: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &["user", "show", "778", "--json"])).expect("json");
    assert_eq!(granted["has_free_access"], true);
    ok(dir.path(), &["user", "revoke-free-access", "778"]);
    let revoked: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &["user", "show", "778", "--json"])).expect("json");
    assert_eq!(revoked["has_free_access"], false);
    let json: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &["user", "show", "777", "--json"])).expect("json");
    assert_eq!(json["balance"], "10.00");
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
    let stats: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &["stats", "--json"])).expect("json");
    assert_eq!(stats["users"], 2);
    assert_eq!(stats["balances"], "10.00");
}

#[test]
fn bad_numbers_are_refused_by_name() {
    let dir = Scratch::new("config");
    let vars = [
        "PRICE_PER_OPERATION",
        "PRICE_GENERATE",
        "PRICE_EDIT",
        "PRICE_MERGE",
        "PRICE_FACE_SWAP",
        "PRICE_RETOUCH",
        "PRICE_UPSCALE",
        "FREE_OPERATIONS_COUNT",
        "TOPUP_AMOUNTS",
        "WORKER_CONCURRENCY",
        "JOB_TIMEOUT_SECS",
    ];
    for var in vars {
        for value in ["ten", "-1", "1.234"] {
            let out = media_lab(dir.path())
                .env(var, value)
                .arg("check")
                .output()
                .expect("run");
            assert!(!out.status.success(), "{var}={value} accepted");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                err.contains(var) && !err.contains("panicked"),
                "{var}={value}: {err}"
            );
        }
    }
    for (var, value) in [
        (
            "DATABASE_URL",
            "postgresql://user:hunter2@localhost/media_lab",
        ),
        ("WEBHOOK_LISTEN", "localhost"),
        ("YOOKASSA_TRUSTED_IPS", "10.0.0.0/99"),
        ("TELEGRAM_API_URL", "ftp://example"),
        ("LOG_FORMAT", "xml"),
    ] {
        let out = media_lab(dir.path())
            .env(var, value)
            .arg("check")
            .output()
            .expect("run");
        assert!(!out.status.success(), "{var}={value} accepted");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(var) && !err.contains("hunter2"),
            "{var}={value}: {err}"
        );
    }
}

#[test]
fn dotenv_is_read_and_the_environment_wins() {
    let dir = Scratch::new("dotenv");
    std::fs::write(
        dir.path().join(".env"),
        "FREE_OPERATIONS_COUNT=7\nPRICE_PER_OPERATION=ten\n",
    )
    .expect("write");
    let out = run(dir.path(), &["check"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("PRICE_PER_OPERATION"));
    let out = media_lab(dir.path())
        .env("PRICE_PER_OPERATION", "15")
        .args(["check"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    let shows =
        |name: &str, value: &str| text.lines().any(|l| l.split_whitespace().eq([name, value]));
    assert!(
        shows("FREE_OPERATIONS_COUNT", "7") && shows("PRICE_PER_OPERATION", "15.00"),
        "{text}"
    );
}

#[test]
fn secrets_never_reach_check_output() {
    let dir = Scratch::new("secrets");
    // Both services unreachable (nothing listens on port 1): their errors must not echo the secrets.
    let out = media_lab(dir.path())
        .env("TELEGRAM_BOT_TOKEN", "123456:VERY-SECRET-TOKEN")
        .env("TELEGRAM_API_URL", "http://127.0.0.1:1")
        .env("YOOKASSA_SHOP_ID", "54321")
        .env("YOOKASSA_SECRET_KEY", "test_SECRETKEY")
        .env("YOOKASSA_API_URL", "http://127.0.0.1:1/v3")
        .env("FAL_KEY", "fal-SECRET")
        .arg("check")
        .output()
        .expect("run");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.status.success() && all.contains("FAIL  Telegram"),
        "{all}"
    );
    for secret in ["VERY-SECRET-TOKEN", "SECRETKEY", "fal-SECRET"] {
        assert!(!all.contains(secret), "{secret} leaked");
    }
}

#[test]
fn a_second_run_is_refused_while_the_first_serves() {
    let dir = Scratch::new("lock");
    let addr = free_addr();
    let mut first = media_lab(dir.path())
        .env("TELEGRAM_BOT_TOKEN", "1:test")
        .env("WEBHOOK_LISTEN", addr.to_string())
        .arg("run")
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_healthy(addr, &mut first);

    let started = Instant::now();
    let second = media_lab(dir.path())
        .env("TELEGRAM_BOT_TOKEN", "1:test")
        .env("WEBHOOK_LISTEN", free_addr().to_string())
        .arg("run")
        .output()
        .expect("run second");
    assert!(!second.status.success());
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "refused at once"
    );
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(err.contains("another media-lab instance"), "{err}");

    assert_eq!(http(addr, "GET", "/healthz", b"").expect("healthz").0, 200);
    assert_eq!(http(addr, "GET", "/nowhere", b"").expect("404").0, 404);
    // Admin commands work beside a running instance.
    ok(
        dir.path(),
        &["user", "credit", "5", "1", "--reason", "while running"],
    );
    let status = terminate(&mut first);
    assert!(status.success(), "SIGTERM exits 0, got {status}");
}

#[test]
fn run_without_a_token_says_so() {
    let dir = Scratch::new("notoken");
    let out = run(dir.path(), &["run"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TELEGRAM_BOT_TOKEN"));
}

#[test]
fn backup_while_another_process_writes() {
    let dir = Scratch::new("backup");
    ok(dir.path(), &["migrate"]);
    let config = Arc::new(Config::from_lookup(|_| None).expect("config"));
    let store = Arc::new(Store::open(&dir.db()).expect("open"));
    let billing = Billing::new(store, config);
    let committed = Arc::new(AtomicI64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (billing, committed, stop) = (billing.clone(), committed.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0i64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                billing
                    .adjust(
                        1000 + n % 50,
                        Kopecks(100),
                        "backup test",
                        &format!("bk-{n}"),
                    )
                    .expect("credit");
                committed.store(n, Ordering::SeqCst);
            }
        })
    };
    while committed.load(Ordering::SeqCst) < 200 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let before = committed.load(Ordering::SeqCst);
    let dest = dir.path().join("copy.db");
    ok(dir.path(), &["backup", dest.to_str().expect("utf-8")]);
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");

    let copy = rusqlite::Connection::open(&dest).expect("open copy");
    let check: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(check, "ok");
    let rows: i64 = copy
        .query_row(
            "SELECT count(*) FROM ledger WHERE kind = 'adjustment'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert!(
        rows >= before,
        "the copy holds {rows} adjustments, {before} were committed before it started"
    );
    // The copy is a working database: the books hold in it too.
    let out = media_lab(dir.path())
        .env("DATABASE_URL", &dest)
        .arg("check")
        .output()
        .expect("check copy");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Admin verbs never migrate a live database: on an older schema they refuse and change nothing;
/// `backup` copies it whatever its schema.
#[test]
fn admin_verbs_never_migrate() {
    let dir = Scratch::new("nomigrate");
    ok(dir.path(), &["migrate"]);
    // Make the file claim the previous schema version, as a database of 0.1 would.
    let conn = rusqlite::Connection::open(dir.db()).expect("open");
    conn.execute("DELETE FROM refinery_schema_history WHERE version >= 2", [])
        .expect("older");
    for args in [
        &["user", "show", "1"][..],
        &["promo", "list"],
        &["user", "credit", "5", "10", "--reason", "x"],
        &["stats"],
    ] {
        let out = run(dir.path(), args);
        assert!(!out.status.success(), "{args:?} ran on an older schema");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("run `media-lab migrate` first"),
            "{args:?}: {err}"
        );
    }
    let versions: i64 = conn
        .query_row(
            "SELECT max(version) FROM refinery_schema_history",
            [],
            |r| r.get(0),
        )
        .expect("version");
    assert_eq!(versions, 1, "nothing migrated it");
    let dest = dir.path().join("old.db");
    ok(dir.path(), &["backup", dest.to_str().expect("utf-8")]);
    assert!(dest.is_file());
}

/// `backup` refuses an existing DEST, names DEST when it cannot be written, and leaves no temporary
/// file behind.
#[test]
fn backup_never_clobbers_and_names_its_destination() {
    let dir = Scratch::new("backup-dest");
    ok(dir.path(), &["migrate"]);
    let dest = dir.path().join("taken.db");
    std::fs::write(&dest, b"precious").expect("write");
    let out = run(dir.path(), &["backup", dest.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    assert_eq!(std::fs::read(&dest).expect("read"), b"precious");
    let nowhere = dir.path().join("no-such-dir").join("copy.db");
    let out = run(dir.path(), &["backup", nowhere.to_str().expect("utf-8")]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(nowhere.to_str().expect("utf-8")) && !err.contains(".partial"),
        "{err}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
