//! `media-lab reconcile` (SPEC §3, step 3 of the restore runbook): the real binary asks the fake
//! YooKassa (payments list, cursor) and the fake Telegram (Star transactions, paged) and credits
//! once every payment that is ours and missing; foreign and unpaid ones are listed, not credited.

mod common;

use common::fake_telegram::{FakeTelegram, TOKEN};
use common::fake_yookassa::{FakeYooKassa, SHOP_ID, TEST_KEY};
use common::{Scratch, media_lab, ok};
use std::process::Output;

fn reconcile(dir: &Scratch, yk: &FakeYooKassa, tg: &FakeTelegram) -> (bool, String) {
    let out: Output = media_lab(dir.path())
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .env("YOOKASSA_SHOP_ID", SHOP_ID)
        .env("YOOKASSA_SECRET_KEY", TEST_KEY)
        .env("YOOKASSA_API_URL", yk.url())
        .args(["reconcile", "--since", "2020-01-01"])
        .output()
        .expect("run reconcile");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn balance(dir: &Scratch, user: i64) -> i64 {
    rusqlite::Connection::open(dir.db())
        .expect("db")
        .query_row(
            "SELECT coalesce(sum(amount), 0) FROM ledger WHERE telegram_id = ?1 AND kind = 'topup'",
            [user],
            |r| r.get(0),
        )
        .expect("balance")
}

fn ours(id: &str, user: i64, credit: &str) -> serde_json::Value {
    serde_json::json!({"payment_id": id, "telegram_id": user.to_string(), "credit": credit})
}

/// Discounted top-ups paid in the seconds a restore lost, by card and in Stars: adopting each records
/// its code's use, so the restored database's pending code does not discount the next top-up too.
#[test]
fn an_adopted_discounted_top_up_uses_its_code() {
    let (dir, yk, tg) = (
        Scratch::new("reconcile-code"),
        FakeYooKassa::start(),
        FakeTelegram::start(),
    );
    ok(dir.path(), &["migrate"]);
    ok(dir.path(), &["promo", "add", "SALE10", "--percent", "10"]);
    ok(
        dir.path(),
        &["user", "credit", "720", "1", "--reason", "restored"],
    );
    let db = rusqlite::Connection::open(dir.db()).expect("db");
    // As the backup had it: the code applied, waiting for the top-up.
    db.execute(
        "UPDATE users SET pending_discount_code = 'SALE10' WHERE telegram_id = 720",
        [],
    )
    .expect("pending code");
    ok(
        dir.path(),
        &["user", "credit", "721", "1", "--reason", "restored"],
    );
    db.execute(
        "UPDATE users SET pending_discount_code = 'SALE10' WHERE telegram_id = 721",
        [],
    )
    .expect("pending code");
    tg.add_star_payment("stxcode", 721, 90, Some("mlp-starcode:10000:SALE10"));
    let mut meta = ours("mlp-lostcode", 720, "100.00");
    meta["discount_code"] = "SALE10".into();
    yk.add_payment("succeeded", "90.00", meta);
    for _ in 0..2 {
        let (success, text) = reconcile(&dir, &yk, &tg);
        assert!(success, "{text}");
    }
    assert_eq!(balance(&dir, 720), 10_000, "the top-up credits 100 ₽ once");
    let (code, percent, pending, used, uses): (String, i64, Option<String>, i64, i64) = db
        .query_row(
            "SELECT p.discount_code, p.discount_percent, u.pending_discount_code,
                    (SELECT used_count FROM discount_codes WHERE code = 'SALE10'),
                    (SELECT count(*) FROM user_discount_codes
                      WHERE telegram_id = 720 AND code = 'SALE10' AND state = 'used')
               FROM payments p JOIN users u ON u.telegram_id = p.telegram_id
              WHERE p.id = 'mlp-lostcode'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("the adopted row");
    assert_eq!((code.as_str(), percent), ("SALE10", 10));
    assert_eq!(pending, None, "the code is used, not pending");
    assert_eq!((used, uses), (2, 1));
    // The Stars payment the same way, from its payload.
    assert_eq!(balance(&dir, 721), 10_000);
    let (code, pending): (String, Option<String>) = db
        .query_row(
            "SELECT p.discount_code, u.pending_discount_code
               FROM payments p JOIN users u ON u.telegram_id = p.telegram_id
              WHERE p.id = 'mlp-starcode'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("the Stars row");
    assert_eq!((code.as_str(), pending), ("SALE10", None));
}

#[test]
fn reconcile_credits_what_is_ours_and_missing_once_and_lists_the_rest() {
    let (dir, yk, tg) = (
        Scratch::new("reconcile"),
        FakeYooKassa::start(),
        FakeTelegram::start(),
    );
    ok(dir.path(), &["migrate"]);

    // Twelve paid top-ups whose rows were lost (more than one page of the fake's list), one of
    // them discounted (90 ₽ paid for 100 ₽), one from before metadata carried the credit.
    let mut lost = Vec::new();
    for n in 0..12 {
        let user = 700 + n % 3;
        let (value, meta) = match n {
            0 => ("90.00", ours("mlp-lost0", user, "100.00")),
            1 => (
                "50.00",
                serde_json::json!({"payment_id": "mlp-lost1", "telegram_id": user.to_string()}),
            ),
            _ => ("100.00", ours(&format!("mlp-lost{n}"), user, "100.00")),
        };
        lost.push(yk.add_payment("succeeded", value, meta));
    }
    // Not ours: another integration of the same shop, and metadata crediting less than was paid.
    let foreign = yk.add_payment(
        "succeeded",
        "500.00",
        serde_json::json!({"order_id": "A-42"}),
    );
    let cheat = yk.add_payment("succeeded", "100.00", ours("mlp-cheat", 704, "1.00"));
    // Ours but not paid.
    let canceled = yk.add_payment("canceled", "100.00", ours("mlp-canceled", 705, "100.00"));
    let pending = yk.add_payment("pending", "100.00", ours("mlp-pending", 706, "100.00"));

    // Stars Telegram took while the bot never saw them; one given back since; one not ours.
    tg.add_star_payment("stxlost1", 801, 50, Some("mlp-starlost1:5000"));
    tg.add_star_payment("stxlost2", 801, 100, Some("mlp-starlost2:10000"));
    tg.add_star_payment("stxback", 802, 100, Some("mlp-starback:10000"));
    tg.refund_star("stxback");
    tg.add_star_payment("stxother", 803, 10, Some("another-bot:1"));

    let (success, text) = reconcile(&dir, &yk, &tg);
    assert!(success, "{text}");
    assert!(
        text.contains("credited 14, already credited 0, not ours 3, not paid 3, to look at 0"),
        "{text}"
    );
    for id in [&foreign, &cheat] {
        assert!(
            text.lines()
                .any(|l| l.contains(id.as_str()) && l.contains("not ours")),
            "{id}: {text}"
        );
    }
    for id in [&canceled, &pending] {
        assert!(
            text.lines()
                .any(|l| l.contains(id.as_str()) && l.contains("not paid")),
            "{id}: {text}"
        );
    }
    assert!(
        text.contains("stxback") && text.contains("not paid: refunded"),
        "{text}"
    );
    // 700: n = 0 (100), 3, 6, 9 → 400 ₽; 701: 1 (50 paid, no credit in metadata), 4, 7, 10 → 350 ₽;
    // 702: 2, 5, 8, 11 → 400 ₽.
    // Sixteen payments, ten a page: the cursor was followed.
    assert_eq!(yk.count("GET", "/v3/payments?"), 2);
    assert_eq!(balance(&dir, 700), 40_000);
    assert_eq!(balance(&dir, 701), 35_000);
    assert_eq!(balance(&dir, 702), 40_000);
    assert_eq!(balance(&dir, 704), 0);
    assert_eq!(balance(&dir, 705), 0);
    assert_eq!(balance(&dir, 801), 15_000);
    assert_eq!(balance(&dir, 802), 0);
    assert_eq!(balance(&dir, 803), 0);
    // The adopted rows carry what was paid and what was credited.
    let paid: (i64, i64, String) = rusqlite::Connection::open(dir.db())
        .expect("db")
        .query_row(
            "SELECT amount, charge_amount, yookassa_id FROM payments WHERE id = 'mlp-lost0'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("adopted row");
    assert_eq!(paid, (10_000, 9_000, lost[0].clone()));

    // Again: everything is found credited, nothing more is.
    let (success, text) = reconcile(&dir, &yk, &tg);
    assert!(success, "{text}");
    assert!(
        text.contains("credited 0, already credited 14, not ours 3, not paid 3, to look at 0"),
        "{text}"
    );
    assert_eq!(balance(&dir, 700), 40_000);
    assert_eq!(balance(&dir, 801), 15_000);
    let out = media_lab(dir.path()).arg("check").output().expect("check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("the books hold"), "{text}");
}

#[test]
fn reconcile_says_when_a_provider_cannot_be_asked() {
    let (dir, yk, tg) = (
        Scratch::new("reconcile-down"),
        FakeYooKassa::start(),
        FakeTelegram::start(),
    );
    ok(dir.path(), &["migrate"]);
    yk.fail_next(&[401]);
    let out = media_lab(dir.path())
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .env("YOOKASSA_SHOP_ID", SHOP_ID)
        .env("YOOKASSA_SECRET_KEY", "test_wrong")
        .env("YOOKASSA_API_URL", yk.url())
        .args(["reconcile", "--since", "2026-01-01"])
        .output()
        .expect("run reconcile");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("YooKassa: could not be asked"), "{text}");
    assert!(text.contains("Telegram Stars: 0 payments listed"), "{text}");
    let out = media_lab(dir.path())
        .args(["reconcile", "--since", "2026-13-01"])
        .output()
        .expect("run reconcile");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("YYYY-MM-DD"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
