//! YooKassa top-ups end to end: the real binary's listener and processor against a fake YooKassa.
//! Payments are created through the library on the same database file (the bot does the same once it
//! exists); notifications are posted to the running binary.

mod common;

use common::bot::Running;

use common::fake_yookassa::{FakeYooKassa, SHOP_ID, TEST_KEY};
use common::{Scratch, http, http_with, media_lab, wait_until};
use media_lab::billing::Billing;
use media_lab::config::Config;
use media_lab::db::Store;
use media_lab::metrics::Metrics;
use media_lab::money::Kopecks;
use media_lab::payments::Payments;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The address the fake proxy says a notification came from: inside YooKassa's published list.
const YOOKASSA_IP: &str = "185.71.76.10";

fn env(fake: &FakeYooKassa, key: &str) -> Vec<(&'static str, String)> {
    let mut vars = fake.listener_vars(key);
    vars.push(("YOOKASSA_RETURN_URL", "https://t.me/media_lab_bot".into()));
    vars
}

fn start(dir: &Scratch, vars: &[(&'static str, String)]) -> Running {
    common::bot::listen(dir, vars)
}

/// Creates a top-up of `roubles` for `user` through the library, as the bot will; returns
/// (our payment id, YooKassa's id).
fn topup(
    dir: &Scratch,
    vars: &[(&'static str, String)],
    user: i64,
    roubles: i64,
) -> (String, String) {
    let map: HashMap<&str, String> = vars.iter().cloned().collect();
    let config = Arc::new(Config::from_lookup(|k| map.get(k).cloned()).expect("config"));
    let store = Arc::new(Store::open(&dir.db()).expect("store"));
    let billing = Billing::new(store.clone(), config.clone());
    billing.ensure_user(user).expect("user");
    let payments =
        Payments::new(store, billing, config, Arc::new(Metrics::default())).expect("payments");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = rt
        .block_on(payments.start_topup(user, Kopecks(roubles * 100), "https://t.me/media_lab_bot"))
        .expect("start top-up");
    assert!(started.confirmation_url.starts_with("https://"));
    (
        started.payment.id,
        started.payment.yookassa_id.expect("yookassa id"),
    )
}

fn notify_body(event: &str, id: &str, status: &str, value: &str) -> Vec<u8> {
    serde_json::json!({
        "type": "notification",
        "event": event,
        "object": {"id": id, "status": status, "paid": status == "succeeded",
                   "amount": {"value": value, "currency": "RUB"}, "test": true}
    })
    .to_string()
    .into_bytes()
}

fn post(addr: SocketAddr, body: &[u8]) -> u16 {
    http_with(
        addr,
        "POST",
        "/yookassa/webhook",
        &[("X-Forwarded-For", YOOKASSA_IP)],
        body,
    )
    .expect("post")
    .0
}

fn db(dir: &Scratch) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.db()).expect("open db")
}

fn balance(dir: &Scratch, user: i64) -> i64 {
    db(dir)
        .query_row(
            "SELECT coalesce(sum(amount), 0) FROM ledger WHERE telegram_id = ?1",
            [user],
            |r| r.get(0),
        )
        .expect("balance")
}

fn topup_rows(dir: &Scratch, payment: &str) -> i64 {
    db(dir)
        .query_row(
            "SELECT count(*) FROM ledger WHERE kind = 'topup' AND payment_id = ?1",
            [payment],
            |r| r.get(0),
        )
        .expect("count")
}

fn unprocessed(dir: &Scratch) -> i64 {
    db(dir)
        .query_row(
            "SELECT count(*) FROM payment_notifications WHERE processed_at IS NULL",
            [],
            |r| r.get(0),
        )
        .expect("count")
}

fn notifications(dir: &Scratch) -> i64 {
    db(dir)
        .query_row("SELECT count(*) FROM payment_notifications", [], |r| {
            r.get(0)
        })
        .expect("count")
}

fn books_hold(dir: &Scratch) {
    let out = media_lab(dir.path()).arg("check").output().expect("check");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_genuine_success_is_credited_once_even_when_repeated() {
    let (dir, fake) = (Scratch::new("pay-once"), FakeYooKassa::start());
    let vars = env(&fake, TEST_KEY);
    let bot = start(&dir, &vars);
    let (ours, yk) = topup(&dir, &vars, 501, 100);
    let sent = fake.payment(&yk).expect("created at the fake");
    assert_eq!(sent.value, "100.00");
    assert_eq!(sent.body["metadata"]["payment_id"], ours.as_str());
    assert_eq!(sent.body["metadata"]["telegram_id"], "501");
    assert_eq!(sent.body["metadata"]["credit"], "100.00");
    assert_eq!(sent.body["capture"], true);
    assert!(
        sent.body["description"]
            .as_str()
            .expect("description")
            .chars()
            .count()
            <= 128
    );

    fake.set_status(&yk, "succeeded");
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.succeeded", &yk, "succeeded", "100.00")
        ),
        200
    );
    wait_until(20, "the credit", || balance(&dir, 501) == 10_000);
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.succeeded", &yk, "succeeded", "100.00")
        ),
        200
    );
    wait_until(20, "the repeat to be processed", || unprocessed(&dir) == 0);
    assert_eq!(balance(&dir, 501), 10_000);
    assert_eq!(topup_rows(&dir, &ours), 1);
    // The payer's notice waits for the bot.
    let notice: String = db(&dir)
        .query_row(
            "SELECT payload FROM notices WHERE telegram_id = 501 AND kind = 'topup_credited'",
            [],
            |r| r.get(0),
        )
        .expect("notice");
    assert!(
        notice.contains("\"amount\":\"100.00\"") && notice.contains("\"balance\":\"100.00\""),
        "{notice}"
    );
    let (_, metrics) = http(bot.addr, "GET", "/metrics", b"").expect("metrics");
    assert!(
        metrics.contains("media_lab_webhook_requests_total{outcome=\"accepted\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("media_lab_payment_checks_total{outcome=\"credited\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("media_lab_payments{provider=\"yookassa\",status=\"succeeded\"} 1"),
        "{metrics}"
    );
    books_hold(&dir);
}

#[test]
fn fifty_concurrent_duplicates_credit_once() {
    let (dir, fake) = (Scratch::new("pay-dup"), FakeYooKassa::start());
    let vars = env(&fake, TEST_KEY);
    let bot = start(&dir, &vars);
    let (ours, yk) = topup(&dir, &vars, 502, 300);
    fake.set_status(&yk, "succeeded");
    let body = notify_body("payment.succeeded", &yk, "succeeded", "300.00");
    let senders: Vec<_> = (0..50)
        .map(|_| {
            let (addr, body) = (bot.addr, body.clone());
            std::thread::spawn(move || post(addr, &body))
        })
        .collect();
    for s in senders {
        assert_eq!(s.join().expect("sender"), 200);
    }
    wait_until(20, "all duplicates processed", || unprocessed(&dir) == 0);
    assert_eq!(balance(&dir, 502), 30_000);
    assert_eq!(topup_rows(&dir, &ours), 1);
    books_hold(&dir);
}

#[test]
fn the_api_not_the_notification_decides() {
    let (dir, fake) = (Scratch::new("pay-lies"), FakeYooKassa::start());
    let vars = env(&fake, TEST_KEY);
    let bot = start(&dir, &vars);

    // Claims success while the API says pending: nothing.
    let (pending_ours, pending) = topup(&dir, &vars, 503, 100);
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.succeeded", &pending, "succeeded", "100.00")
        ),
        200
    );
    wait_until(20, "the claim to be checked", || {
        fake.gets_of(&pending) >= 1 && unprocessed(&dir) == 0
    });
    assert_eq!(balance(&dir, 503), 0);

    // An id we never saved: the API is asked once (a payment whose id a crash kept from us is ours
    // by its metadata, SPEC §5); YooKassa does not know it, so nothing happens.
    let unknown = "2effffff-000f-5000-9000-ffffffffffff";
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.succeeded", unknown, "succeeded", "100.00")
        ),
        200
    );
    wait_until(20, "the unknown id to be processed", || {
        unprocessed(&dir) == 0
    });
    assert_eq!(fake.gets_of(unknown), 1);

    // A body that inflates the amount: the API's amount is what counts.
    let (ours, yk) = topup(&dir, &vars, 504, 100);
    fake.set_status(&yk, "succeeded");
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.succeeded", &yk, "succeeded", "100000.00")
        ),
        200
    );
    wait_until(20, "the credit", || balance(&dir, 504) == 10_000);
    assert_eq!(topup_rows(&dir, &ours), 1);

    // The API reports another amount than we asked: not credited, reported by check.
    let (odd_ours, odd) = topup(&dir, &vars, 505, 100);
    fake.set_status(&odd, "succeeded");
    fake.set_amount(&odd, "1.00");
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.succeeded", &odd, "succeeded", "100.00")
        ),
        200
    );
    wait_until(20, "the mismatch", || {
        unprocessed(&dir) == 0 && fake.gets_of(&odd) >= 1
    });
    assert_eq!(balance(&dir, 505), 0);
    let check = media_lab(dir.path()).arg("check").output().expect("check");
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains(&odd_ours) && text.contains("not credited"),
        "{text}"
    );

    // A final status never moves back.
    fake.set_status(&yk, "canceled");
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.canceled", &yk, "canceled", "100.00")
        ),
        200
    );
    wait_until(20, "the late cancel", || unprocessed(&dir) == 0);
    let status: String = db(&dir)
        .query_row("SELECT status FROM payments WHERE id = ?1", [&ours], |r| {
            r.get(0)
        })
        .expect("status");
    assert_eq!(status, "succeeded");
    assert_eq!(balance(&dir, 504), 10_000);
    let pending_status: String = db(&dir)
        .query_row(
            "SELECT status FROM payments WHERE id = ?1",
            [&pending_ours],
            |r| r.get(0),
        )
        .expect("status");
    assert_eq!(pending_status, "pending");
    books_hold(&dir);
}

#[test]
fn junk_and_strangers_are_refused_and_nothing_is_stored() {
    let (dir, fake) = (Scratch::new("pay-junk"), FakeYooKassa::start());
    let mut vars = env(&fake, TEST_KEY);
    let bot = start(&dir, &vars);
    let big = vec![b'a'; 2 * 1024 * 1024];
    let wrong_types = br#"{"type":"notification","event":"payment.succeeded","object":{"id":42}}"#;
    for body in [&b""[..], b"{not json", &big, wrong_types, b"[1,2,3]"] {
        let headers = [("X-Forwarded-For", YOOKASSA_IP)];
        match http_with(bot.addr, "POST", "/yookassa/webhook", &headers, body) {
            Ok((status, _)) => assert!((400..500).contains(&status), "{status} for a junk body"),
            // A 2 MiB body is answered 413 unread and the connection closed; the client may
            // see the reset before the answer.
            Err(_) if body.len() > 64 * 1024 => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(notifications(&dir), 0);
    // Straight from a stranger (no proxy header believed for it), and through the proxy from one.
    let genuine = notify_body(
        "payment.succeeded",
        "2e000001-000f-5000-9000-000000000001",
        "succeeded",
        "1.00",
    );
    let stranger = http_with(
        bot.addr,
        "POST",
        "/yookassa/webhook",
        &[("X-Forwarded-For", "6.6.6.6")],
        &genuine,
    )
    .expect("post");
    assert_eq!(stranger.0, 403);
    assert_eq!(notifications(&dir), 0);
    assert_eq!(
        http(bot.addr, "GET", "/healthz", b"").expect("healthz").0,
        200
    );
    drop(bot);

    // Without a trusted proxy, loopback itself is not YooKassa.
    vars.retain(|(k, _)| *k != "TRUSTED_PROXIES");
    let bot = start(&dir, &vars);
    assert_eq!(post(bot.addr, &genuine), 403);
    drop(bot);

    // A live key refuses test objects.
    let mut live = env(&fake, "live_SECRET");
    live.push(("YOOKASSA_TRUSTED_IPS", "185.71.76.0/27".into()));
    let bot = start(&dir, &live);
    assert_eq!(post(bot.addr, &genuine), 400);
    assert_eq!(notifications(&dir), 0);
}

#[test]
fn an_api_outage_delays_the_credit_but_never_loses_it() {
    let (dir, fake) = (Scratch::new("pay-500"), FakeYooKassa::start());
    let vars = env(&fake, TEST_KEY);
    let bot = start(&dir, &vars);
    let (ours, yk) = topup(&dir, &vars, 506, 500);
    fake.set_status(&yk, "succeeded");
    // More failures than one call's retries: the notification waits for the next pass.
    fake.fail_next(&[500, 429, 500, 500, 500, 500]);
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.succeeded", &yk, "succeeded", "500.00")
        ),
        200
    );
    wait_until(30, "the credit after the outage", || {
        balance(&dir, 506) == 50_000
    });
    assert_eq!(topup_rows(&dir, &ours), 1);
    books_hold(&dir);
}

#[test]
fn kill_9_after_the_200_still_credits_once() {
    let (dir, fake) = (Scratch::new("pay-kill"), FakeYooKassa::start());
    let vars = env(&fake, TEST_KEY);
    let mut bot = start(&dir, &vars);
    // 507 was invited by 506: the referral bonus rides in the credit's own transaction.
    {
        let map: HashMap<&str, String> = vars.iter().cloned().collect();
        let config = Arc::new(Config::from_lookup(|k| map.get(k).cloned()).expect("config"));
        let billing = Billing::new(Arc::new(Store::open(&dir.db()).expect("store")), config);
        billing.ensure_user(506).expect("inviter");
        billing.ensure_user(507).expect("invitee");
        let code = billing.invite_code(506).expect("code");
        assert!(matches!(
            billing.tie_referral(507, &code, true).expect("tie"),
            media_lab::billing::Tie::Tied { inviter: 506 }
        ));
    }
    let (ours, yk) = topup(&dir, &vars, 507, 1000);
    fake.set_status(&yk, "succeeded");
    fake.delay_gets(Some(Duration::from_secs(30)));
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.succeeded", &yk, "succeeded", "1000.00")
        ),
        200
    );
    wait_until(20, "the processor to be waiting on the API", || {
        fake.gets_of(&yk) >= 1
    });
    bot.child.kill().expect("kill -9");
    bot.child.wait().expect("reap");
    assert_eq!(balance(&dir, 507), 0);
    assert_eq!(
        unprocessed(&dir),
        1,
        "the notification was recorded before the 200"
    );

    fake.delay_gets(None);
    let bot = start(&dir, &vars);
    wait_until(20, "the credit after restart", || {
        balance(&dir, 507) == 100_000
    });
    wait_until(20, "the inbox to drain", || unprocessed(&dir) == 0);
    assert_eq!(topup_rows(&dir, &ours), 1);
    // The bonus came with the credit, once for each side.
    let bonus_rows: i64 = db(&dir)
        .query_row(
            "SELECT count(*) FROM ledger WHERE idempotency_key LIKE 'referral:507:%' AND free_ops = 2",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(bonus_rows, 2);
    drop(bot);
    books_hold(&dir);
}

#[test]
fn a_silent_client_does_not_delay_notifications() {
    let (dir, fake) = (Scratch::new("pay-slow"), FakeYooKassa::start());
    let vars = env(&fake, TEST_KEY);
    let bot = start(&dir, &vars);
    // Twenty connections that send nothing, and one that stops halfway through its head.
    let mut idle: Vec<std::net::TcpStream> = (0..20)
        .map(|_| std::net::TcpStream::connect(bot.addr).expect("connect"))
        .collect();
    let mut half = std::net::TcpStream::connect(bot.addr).expect("connect");
    std::io::Write::write_all(&mut half, b"POST /yookassa/webhook HTTP/1.1\r\nHost: x\r\n")
        .expect("write");
    idle.push(half);
    let (ours, yk) = topup(&dir, &vars, 508, 100);
    fake.set_status(&yk, "succeeded");
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.succeeded", &yk, "succeeded", "100.00")
        ),
        200
    );
    wait_until(20, "the credit", || balance(&dir, 508) == 10_000);
    assert_eq!(topup_rows(&dir, &ours), 1);
    drop(idle);
}

#[test]
fn the_reconciler_credits_without_any_notification() {
    let (dir, fake) = (Scratch::new("pay-reconcile"), FakeYooKassa::start());
    let mut vars = env(&fake, TEST_KEY);
    vars.retain(|(k, _)| *k != "YOOKASSA_RECHECK_SECS");
    vars.push(("YOOKASSA_RECHECK_SECS", "1".into()));
    let _bot = start(&dir, &vars);
    let (ours, yk) = topup(&dir, &vars, 509, 100);
    fake.set_status(&yk, "succeeded");
    wait_until(30, "the reconciler's credit", || {
        balance(&dir, 509) == 10_000
    });
    assert_eq!(topup_rows(&dir, &ours), 1);
    assert_eq!(notifications(&dir), 0);
}

#[test]
fn idempotence_key_replays_and_discounts_reach_the_api() {
    let (dir, fake) = (Scratch::new("pay-key"), FakeYooKassa::start());
    let vars = env(&fake, TEST_KEY);
    let map: HashMap<&str, String> = vars.iter().cloned().collect();
    let config = Arc::new(Config::from_lookup(|k| map.get(k).cloned()).expect("config"));
    let store = Arc::new(Store::open(&dir.db()).expect("store"));
    let billing = Billing::new(store.clone(), config.clone());
    billing.init_promo_codes().expect("codes");
    billing.ensure_user(510).expect("user");
    assert!(
        billing
            .apply_discount_code(510, "welcome10")
            .expect("apply")
            .is_ok()
    );
    let payments = Payments::new(
        store.clone(),
        billing.clone(),
        config,
        Arc::new(Metrics::default()),
    )
    .expect("payments");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // 429 then 500: retried with the same key, created once.
    fake.fail_next(&[429, 500]);
    let started = rt
        .block_on(payments.start_topup(510, Kopecks(10_000), "https://t.me/b"))
        .expect("top-up");
    assert_eq!(started.payment.charge_amount, Kopecks(9_000));
    assert_eq!(fake.payments().len(), 1);
    let yk = started.payment.yookassa_id.expect("id");
    let sent = fake.payment(&yk).expect("at fake");
    assert_eq!(sent.value, "90.00");
    assert_eq!(sent.body["metadata"]["discount_code"], "WELCOME10");
    // A 4xx is not retried and the draft is canceled.
    fake.fail_next(&[400]);
    let err = rt
        .block_on(payments.start_topup(510, Kopecks(10_000), "https://t.me/b"))
        .expect_err("400");
    assert!(err.to_string().contains("HTTP 400"), "{err}");
    let posts = fake.requests().iter().filter(|(m, _)| m == "POST").count();
    assert_eq!(
        posts, 4,
        "two failed attempts and one success for the first, one for the second"
    );
    // Success credits the full 100 ₽ and records the code's use.
    fake.set_status(&yk, "succeeded");
    let update = billing
        .apply_payment_status(
            &started.payment.id,
            media_lab::model::PaymentStatus::Succeeded,
            Kopecks(9_000),
            "RUB",
        )
        .expect("apply");
    assert!(matches!(
        update,
        media_lab::billing::PaymentUpdate::Credited {
            amount: Kopecks(10_000),
            ..
        }
    ));
    let used: i64 = db(&dir)
        .query_row(
            "SELECT used_count FROM discount_codes WHERE code = 'WELCOME10'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(used, 1);
    assert!(
        store
            .user(510)
            .expect("read")
            .expect("user")
            .pending_discount_code
            .is_none()
    );
}

/// A payment whose YooKassa id we never saved (the answer to the create was lost) is found by the
/// API's `metadata.payment_id` when its notification arrives, and credited once.
#[test]
fn a_notification_finds_a_payment_by_its_metadata() {
    let (dir, fake) = (Scratch::new("pay-metadata"), FakeYooKassa::start());
    let vars = env(&fake, TEST_KEY);
    let map: HashMap<&str, String> = vars.iter().cloned().collect();
    let config = Arc::new(Config::from_lookup(|k| map.get(k).cloned()).expect("config"));
    let user = 611;
    let ours = {
        let store = Arc::new(Store::open(&dir.db()).expect("store"));
        let billing = Billing::new(store, config.clone());
        billing.ensure_user(user).expect("user");
        billing
            .create_payment(user, Kopecks(10_000))
            .expect("draft")
            .payment
    };
    // The create reached YooKassa (with our id as its key and in its metadata); we never heard back.
    let body = media_lab::payments::create_body(
        &ours,
        "https://t.me/media_lab_bot",
        &config,
        media_lab::texts::Lang::Ru,
    );
    let (status, answer) = http_with(
        fake.addr,
        "POST",
        "/v3/payments",
        &[
            (
                "Authorization",
                &format!(
                    "Basic {}",
                    common::fake_yookassa::base64_basic::encode(&format!("{SHOP_ID}:{TEST_KEY}"))
                ),
            ),
            ("Idempotence-Key", &ours.id),
            ("Content-Type", "application/json"),
        ],
        body.to_string().as_bytes(),
    )
    .expect("create at the fake");
    assert_eq!(status, 200, "{answer}");
    let yk: serde_json::Value = serde_json::from_str(&answer).expect("json");
    let yk = yk["id"].as_str().expect("id").to_string();
    fake.set_status(&yk, "succeeded");
    let bot = start(&dir, &vars);
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.succeeded", &yk, "succeeded", "100.00")
        ),
        200
    );
    wait_until(20, "the credit", || balance(&dir, user) == 10_000);
    assert_eq!(topup_rows(&dir, &ours.id), 1);
    books_hold(&dir);
}

/// A notification for a paid top-up whose row is gone (the database was restored from a replica
/// that missed its last seconds): the API, asked with our credentials, shows our metadata, so the
/// payment is adopted and credited once; one whose metadata is not ours is ignored.
#[test]
fn a_notification_adopts_a_paid_top_up_whose_row_was_lost() {
    let (dir, fake) = (Scratch::new("pay-adopt"), FakeYooKassa::start());
    let vars = env(&fake, TEST_KEY);
    let bot = start(&dir, &vars);
    let meta =
        serde_json::json!({"payment_id": "mlp-lostrow", "telegram_id": "612", "credit": "100.00"});
    let yk = fake.add_payment("succeeded", "80.00", meta);
    let foreign = fake.add_payment("succeeded", "80.00", serde_json::json!({"order": "7"}));
    for _ in 0..2 {
        for id in [&yk, &foreign] {
            let body = notify_body("payment.succeeded", id, "succeeded", "80.00");
            assert_eq!(post(bot.addr, &body), 200);
        }
    }
    wait_until(20, "the credit", || balance(&dir, 612) == 10_000);
    wait_until(20, "every notification processed", || {
        unprocessed(&dir) == 0
    });
    assert_eq!(topup_rows(&dir, "mlp-lostrow"), 1);
    assert_eq!(balance(&dir, 612), 10_000);
    let foreign_rows: i64 = db(&dir)
        .query_row(
            "SELECT count(*) FROM payments WHERE yookassa_id = ?1",
            [&foreign],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(foreign_rows, 0);
    books_hold(&dir);
}

/// `payment refund` of a YooKassa top-up: `POST /refunds` once with an Idempotence-Key, the credit
/// debited once; asking again changes nothing.
#[test]
fn a_yookassa_top_up_is_refunded_once() {
    let (dir, fake) = (Scratch::new("pay-refund"), FakeYooKassa::start());
    let vars = env(&fake, TEST_KEY);
    let bot = start(&dir, &vars);
    let (ours, yk) = topup(&dir, &vars, 520, 100);
    fake.set_status(&yk, "succeeded");
    assert_eq!(
        post(
            bot.addr,
            &notify_body("payment.succeeded", &yk, "succeeded", "100.00")
        ),
        200
    );
    wait_until(20, "the credit", || balance(&dir, 520) == 10_000);
    let refund = || {
        let mut cmd = media_lab(dir.path());
        for (k, v) in &vars {
            cmd.env(k, v);
        }
        cmd.args(["payment", "refund", &yk]).output().expect("run")
    };
    let out = refund();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fake.refunds(), 1);
    assert_eq!(fake.count("POST", "/v3/refunds"), 1);
    assert_eq!(balance(&dir, 520), 0);
    let out = refund();
    assert!(!out.status.success());
    assert_eq!(fake.count("POST", "/v3/refunds"), 1, "not asked again");
    assert_eq!(balance(&dir, 520), 0);
    assert_eq!(topup_rows(&dir, &ours), 1);
}
