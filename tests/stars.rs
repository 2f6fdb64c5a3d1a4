//! Telegram Stars top-ups end to end (SPEC §5b): the real binary against the fake Telegram, which
//! plays the payer's side — the invoice, the pre-checkout query, the successful payment.

mod common;

use common::bot::{Running, say};
use common::fake_telegram::{Call, FakeTelegram, TOKEN};
use common::{Scratch, media_lab, ok, wait_until};

/// The bot with Stars and no YooKassa.
fn start(dir: &Scratch, tg: &FakeTelegram, extra: &[(&str, &str)]) -> Running {
    common::bot::start(dir, tg, None, extra)
}

/// `press`, where a press may also answer with an invoice.
fn press(tg: &FakeTelegram, user: i64, data: &str) -> Call {
    let mark = tg.mark();
    let pressed_on = tg.press(user, data);
    tg.wait_call(mark, data, |c| {
        c.chat() == user
            && (c.method == "sendmessage"
                || c.method == "sendinvoice"
                || (c.method == "editmessagetext"
                    && c.body["message_id"].as_i64() == Some(pressed_on)))
    })
}

/// Presses the Stars button for `stars` and returns the invoice sent.
fn invoice(tg: &FakeTelegram, user: i64, stars: u32) -> Call {
    let mark = tg.mark();
    tg.press(user, &format!("stars:{stars}"));
    tg.wait_call(mark, "the invoice", |c| {
        c.method == "sendinvoice" && c.chat() == user
    })
}

fn price(invoice: &Call) -> i64 {
    invoice.body["prices"][0]["amount"].as_i64().expect("price")
}

fn balance(dir: &Scratch, user: i64) -> String {
    serde_json::from_str::<serde_json::Value>(&ok(
        dir.path(),
        &["user", "show", &user.to_string(), "--json"],
    ))
    .expect("json")["balance"]
        .as_str()
        .expect("balance")
        .to_string()
}

fn count(dir: &Scratch, sql: &str) -> i64 {
    rusqlite::Connection::open(dir.db())
        .expect("db")
        .query_row(sql, [], |r| r.get(0))
        .expect("count")
}

#[test]
fn stars_top_up_credits_at_the_rate_and_tells_the_user() {
    let (dir, tg) = (Scratch::new("stars-rate"), FakeTelegram::start());
    let _bot = start(&dir, &tg, &[]);
    let user = 801;
    // Without YooKassa the menu is the Stars amounts, each "what you pay → what you get".
    let menu = press(&tg, user, "payment_menu");
    let buttons = menu.buttons();
    assert!(
        buttons.contains(&("⭐ 100 → 100 ₽".to_string(), "stars:100".to_string())),
        "{buttons:?}"
    );
    let inv = invoice(&tg, user, 100);
    assert_eq!(inv.body["currency"], "XTR");
    assert_eq!(price(&inv), 100);
    let mark = tg.mark();
    let (answer, charge) = tg.pay_invoice(user, &inv);
    assert_eq!(answer["ok"], true, "{answer}");
    assert!(charge.is_some());
    let told = tg.wait_call(mark, "the credited notice", |c| {
        c.chat() == user && c.text().contains("пополнен")
    });
    assert!(told.text().contains("на 100 ₽"), "{}", told.text());
    assert!(
        told.buttons().iter().any(|(_, d)| d == "mode:generate"),
        "a next step under the credit: {:?}",
        told.buttons()
    );
    assert_eq!(balance(&dir, user), "100.00");
    // check asks Telegram: the Star balance answers and every listed payment is credited here.
    let check = |tg: &FakeTelegram| {
        media_lab(dir.path())
            .env("TELEGRAM_BOT_TOKEN", TOKEN)
            .env("TELEGRAM_API_URL", tg.url())
            .arg("check")
            .output()
            .expect("check")
    };
    let out = check(&tg);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.contains("OK    Telegram Stars: the 1 latest incoming payments are all credited"),
        "{text}"
    );
    tg.add_star_transaction("stxnotours", user, 5);
    let out = check(&tg);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(!out.status.success());
    assert!(
        text.contains("FAIL  Telegram Stars: paid but not credited here: stxnotours"),
        "{text}"
    );

    // At 1.5 roubles a Star, 100 Stars credit 150 ₽.
    drop(_bot);
    let _bot = start(&dir, &tg, &[("STARS_RATE", "1.5")]);
    let inv = invoice(&tg, 802, 100);
    assert_eq!(price(&inv), 100);
    tg.pay_invoice(802, &inv);
    wait_until(10, "the credit", || balance(&dir, 802) == "150.00");
}

#[test]
fn discounts_lower_the_stars_price_once() {
    let (dir, tg) = (Scratch::new("stars-discount"), FakeTelegram::start());
    let _bot = start(&dir, &tg, &[]);
    ok(dir.path(), &["promo", "init"]);
    let user = 811;
    press(&tg, user, "promo_topup");
    let applied = say(&tg, user, "WELCOME10");
    assert!(applied.text().contains("WELCOME10"), "{}", applied.text());
    let inv = invoice(&tg, user, 100);
    assert_eq!(price(&inv), 90, "10 % off, rounded up to a whole Star");
    tg.pay_invoice(user, &inv);
    wait_until(10, "the credit", || balance(&dir, user) == "100.00");

    // MEGA50 and two invoices: only the first carries the discount.
    let other = 812;
    press(&tg, other, "promo_topup");
    say(&tg, other, "MEGA50");
    let first = invoice(&tg, other, 300);
    let second = invoice(&tg, other, 300);
    assert_eq!((price(&first), price(&second)), (150, 300));
    // The discounted invoice's payload names its code (a restore that lost the row still uses it).
    let payload = |inv: &Call| inv.body["payload"].as_str().unwrap_or_default().to_string();
    assert!(
        payload(&first).ends_with(":30000:MEGA50"),
        "{}",
        payload(&first)
    );
    assert!(payload(&second).ends_with(":30000"), "{}", payload(&second));
    tg.pay_invoice(other, &second);
    tg.pay_invoice(other, &first);
    wait_until(10, "both credits", || balance(&dir, other) == "600.00");
    assert_eq!(
        count(
            &dir,
            "SELECT count(*) FROM user_discount_codes WHERE telegram_id = 812 AND state = 'used'"
        ),
        1
    );
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}

#[test]
fn a_payment_is_credited_once_however_often_it_arrives() {
    let (dir, tg) = (Scratch::new("stars-once"), FakeTelegram::start());
    let bot = start(&dir, &tg, &[]);
    let user = 821;
    let inv = invoice(&tg, user, 100);
    let payload = inv.body["payload"].as_str().expect("payload").to_string();
    let (_, charge) = tg.pay_invoice(user, &inv);
    let charge = charge.expect("paid");
    wait_until(10, "the credit", || balance(&dir, user) == "100.00");
    // The same update again (a crash before Telegram saw our offset).
    tg.send_successful_payment(user, &payload, "XTR", 100, &charge);
    // kill -9 right after a credit, before the next getUpdates confirms it.
    let inv2 = invoice(&tg, user, 300);
    let (_, charge2) = tg.pay_invoice(user, &inv2);
    wait_until(10, "the second credit", || balance(&dir, user) == "400.00");
    let bot = bot;
    bot.kill();
    let payload2 = inv2.body["payload"].as_str().expect("payload").to_string();
    tg.send_successful_payment(user, &payload2, "XTR", 300, &charge2.expect("paid"));
    let _bot = start(&dir, &tg, &[]);
    let mark = tg.mark();
    say(&tg, user, "/balance");
    assert!(tg.mark() > mark);
    assert_eq!(balance(&dir, user), "400.00");
    assert_eq!(
        count(&dir, "SELECT count(*) FROM ledger WHERE kind = 'topup'"),
        2
    );
}

#[test]
fn checkout_refuses_what_is_not_a_live_invoice_of_this_payer() {
    let (dir, tg) = (Scratch::new("stars-checkout"), FakeTelegram::start());
    let _bot = start(&dir, &tg, &[]);
    let (user, other) = (831, 832);
    let inv = invoice(&tg, user, 100);
    let payload = inv.body["payload"].as_str().expect("payload").to_string();
    let refused = |who: i64, payload: &str, total: i64| {
        let (answer, charge) = tg.checkout(who, payload, "XTR", total);
        assert_eq!(answer["ok"], false, "{answer}");
        assert!(
            answer["error_message"]
                .as_str()
                .is_some_and(|m| m.len() > 10),
            "{answer}"
        );
        assert!(charge.is_none());
    };
    refused(user, "mlp-notours:10000", 100);
    refused(user, "junk", 100);
    refused(other, &payload, 100);
    refused(user, &payload, 99);
    // Older than STARS_INVOICE_TTL_SECS (1800 by default).
    rusqlite::Connection::open(dir.db())
        .expect("db")
        .execute("UPDATE payments SET created_at = created_at - 3600", [])
        .expect("age it");
    refused(user, &payload, 100);
    assert_eq!(balance(&dir, user), "0.00");
    assert_eq!(
        count(&dir, "SELECT count(*) FROM ledger WHERE kind = 'topup'"),
        0
    );
}

#[test]
fn a_payment_without_its_row_is_credited_from_the_payload_and_a_refund_taken_back() {
    let (dir, tg) = (Scratch::new("stars-restore"), FakeTelegram::start());
    let _bot = start(&dir, &tg, &[]);
    let user = 841;
    say(&tg, user, "/start");
    // The database was restored from a copy older than this invoice.
    tg.send_successful_payment(user, "mlp-restored0001:5000", "XTR", 50, "stxlost1");
    wait_until(10, "the credit", || balance(&dir, user) == "50.00");
    tg.send_successful_payment(user, "mlp-restored0001:5000", "XTR", 50, "stxlost1");
    say(&tg, user, "/balance");
    assert_eq!(balance(&dir, user), "50.00");
    assert_eq!(
        count(
            &dir,
            "SELECT count(*) FROM payments WHERE id = 'mlp-restored0001' AND status = 'succeeded'"
        ),
        1
    );
    // Telegram's refunded-payment message takes the credit back, once.
    tg.send_refunded_payment(user, "mlp-restored0001:5000", 50, "stxlost1");
    wait_until(10, "the debit", || balance(&dir, user) == "0.00");
    tg.send_refunded_payment(user, "mlp-restored0001:5000", 50, "stxlost1");
    say(&tg, user, "/balance");
    assert_eq!(
        count(
            &dir,
            "SELECT count(*) FROM ledger WHERE idempotency_key = 'refund:mlp-restored0001'"
        ),
        1
    );
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}

#[test]
fn support_terms_and_privacy_answer() {
    let (dir, tg) = (Scratch::new("stars-support"), FakeTelegram::start());
    let bot = start(&dir, &tg, &[]);
    let user = 851;
    let reply = say(&tg, user, "/paysupport");
    assert!(reply.text().contains("оплат"), "{}", reply.text());
    assert!(say(&tg, user, "/terms").text().contains("Условия"));
    assert!(
        say(&tg, user, "/privacy")
            .text()
            .contains("онфиденциальност")
    );
    assert!(say(&tg, user, "/help").text().contains("/paysupport"));
    drop(bot);
    let _bot = start(
        &dir,
        &tg,
        &[
            ("SUPPORT_CONTACT", "@media_lab_help"),
            ("TERMS_URL", "https://example.org/terms"),
        ],
    );
    assert!(
        say(&tg, user, "/paysupport")
            .text()
            .contains("@media_lab_help")
    );
    assert!(
        say(&tg, user, "/terms")
            .text()
            .contains("https://example.org/terms")
    );
}

#[test]
fn no_provider_means_payments_are_off() {
    let (dir, tg) = (Scratch::new("stars-off"), FakeTelegram::start());
    let _bot = start(&dir, &tg, &[("STARS_ENABLED", "false")]);
    let reply = press(&tg, 861, "payment_menu");
    // Nothing to pay with: only the way back to the menu.
    let data: Vec<String> = reply.buttons().into_iter().map(|(_, d)| d).collect();
    assert_eq!(data, ["menu"]);
    assert!(reply.text().contains("не настроена"), "{}", reply.text());
    // An old Stars button says the same and makes no invoice.
    let reply = press(&tg, 861, "stars:100");
    assert!(reply.text().contains("не настроена"), "{}", reply.text());
    assert_eq!(count(&dir, "SELECT count(*) FROM payments"), 0);
}

/// `payment refund` of a Stars top-up: refundStarPayment once, the credit debited once; a second
/// refund and a refund the balance no longer covers are refused without calling Telegram.
#[test]
fn a_stars_top_up_is_refunded_once_and_only_while_covered() {
    let (dir, tg) = (Scratch::new("stars-refund"), FakeTelegram::start());
    let _bot = start(&dir, &tg, &[]);
    let user = 871;
    let inv = invoice(&tg, user, 100);
    let (_, charge) = tg.pay_invoice(user, &inv);
    let charge = charge.expect("paid");
    wait_until(10, "the credit", || balance(&dir, user) == "100.00");
    let cli = |args: &[&str]| common::bot::telegram_cli(&dir, &tg, args);
    let refunds = || tg.calls_to("refundstarpayment").len();
    // Found by Telegram's charge id as well as ours.
    let shown = cli(&["payment", "show", &charge, "--json"]);
    let story: serde_json::Value = serde_json::from_slice(&shown.stdout).expect("json");
    assert_eq!(
        (
            story["provider"].as_str(),
            story["currency"].as_str(),
            story["paid"].as_i64(),
            story["credit"].as_str()
        ),
        (Some("stars"), Some("XTR"), Some(100), Some("100.00")),
        "{story}"
    );
    assert!(
        story["events"].as_array().is_some_and(|e| e.len() >= 2),
        "{story}"
    );
    let id = story["id"].as_str().expect("id").to_string();

    let out = cli(&["payment", "refund", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(refunds(), 1);
    assert_eq!(balance(&dir, user), "0.00");
    let out = cli(&["payment", "refund", &id]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("refunded already"));
    assert_eq!(refunds(), 1, "nothing asked of Telegram the second time");

    // Spent in part: refused with what is left, nothing called.
    let inv = invoice(&tg, user, 100);
    tg.pay_invoice(user, &inv);
    wait_until(10, "the credit", || balance(&dir, user) == "100.00");
    ok(
        dir.path(),
        &[
            "user",
            "credit",
            &user.to_string(),
            "-60",
            "--reason",
            "spent",
        ],
    );
    let list = cli(&["payment", "list", "--user", &user.to_string(), "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).expect("json");
    let newest = list[0]["id"].as_str().expect("id").to_string();
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    let out = cli(&["payment", "refund", &newest]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("40.00"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(refunds(), 1);
    assert_eq!(balance(&dir, user), "40.00");
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}
