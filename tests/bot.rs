//! The bot end to end: the real binary against a fake Telegram Bot API (and a fake YooKassa), played
//! by the test as a user. Covers the seed's section 12, Test 1–4, and junk updates.

mod common;

use common::fake_fal::FakeFal;
use common::fake_telegram::{FakeTelegram, TOKEN};
use common::fake_yookassa::{FakeYooKassa, SHOP_ID, TEST_KEY};
use common::{Scratch, free_addr, http_with, media_lab, ok, wait_healthy, wait_until};
use std::net::SocketAddr;
use std::process::{Child, Stdio};

struct Bot {
    child: Child,
    addr: SocketAddr,
    _fal: FakeFal,
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(
    dir: &Scratch,
    tg: &FakeTelegram,
    yk: Option<&FakeYooKassa>,
    extra: &[(&str, &str)],
) -> Bot {
    let addr = free_addr();
    let fal = FakeFal::start();
    let mut cmd = media_lab(dir.path());
    cmd.env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .env("WEBHOOK_LISTEN", addr.to_string())
        .env("FAL_KEY", common::fake_fal::KEY)
        .env("FAL_QUEUE_URL", fal.url())
        .env("TRUSTED_PROXIES", "127.0.0.1")
        .env("YOOKASSA_RECHECK_SECS", "3600")
        .arg("run")
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("stderr.log")).expect("log file"),
        ));
    if let Some(yk) = yk {
        cmd.env("YOOKASSA_SHOP_ID", SHOP_ID)
            .env("YOOKASSA_SECRET_KEY", TEST_KEY)
            .env("YOOKASSA_API_URL", yk.url());
    }
    for (k, v) in extra {
        cmd.env(k, v);
    }
    // A bot started before on this fake has polled already: wait for this one's own first poll.
    let polls = tg.get_updates_count();
    let mut child = cmd.spawn().expect("spawn media-lab");
    wait_healthy(addr, &mut child);
    wait_until(20, "the bot to poll", || tg.get_updates_count() > polls);
    if polls > 0 {
        // A restart: what the killed bot never confirmed comes again (as from Telegram) and is
        // answered first; let that settle before the test speaks.
        wait_until(20, "redelivered updates confirmed", || {
            tg.pending_updates() == 0
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    Bot {
        child,
        addr,
        _fal: fal,
    }
}

fn jobs(dir: &Scratch) -> i64 {
    rusqlite::Connection::open(dir.db())
        .expect("open")
        .query_row("SELECT count(*) FROM jobs", [], |r| r.get(0))
        .expect("count")
}

fn user_json(dir: &Scratch, id: i64) -> serde_json::Value {
    serde_json::from_str(&ok(
        dir.path(),
        &["user", "show", &id.to_string(), "--json"],
    ))
    .expect("json")
}

/// Sends `text` as `user` and returns the bot's next message to them.
fn say(tg: &FakeTelegram, user: i64, text: &str) -> common::fake_telegram::Call {
    let mark = tg.mark();
    tg.send_text(user, text);
    tg.wait_message(mark, user, text)
}

fn press(tg: &FakeTelegram, user: i64, data: &str) -> common::fake_telegram::Call {
    let mark = tg.mark();
    let pressed_on = tg.press(user, data);
    tg.wait_shown(mark, user, pressed_on, data)
}

#[test]
fn start_shows_the_seed_menu() {
    let (dir, tg) = (Scratch::new("bot-start"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    let reply = say(&tg, 101, "/start");
    let buttons = reply.buttons();
    for label in [
        "🎨 Создать",
        "✏️ Редактировать",
        "🔗 Объединить",
        "🔄 Заменить лицо",
        "✨ Ретушь",
        "⬆️ Улучшить",
        "📝 Добавить текст",
    ] {
        assert!(
            buttons.iter().any(|(l, _)| l == label),
            "no {label} in {buttons:?}"
        );
    }
    assert!(
        buttons.contains(&(
            "💰 Оплатить / Баланс".to_string(),
            "payment_menu".to_string()
        )),
        "{buttons:?}"
    );
    // First contact created the user with the free operations.
    assert_eq!(user_json(&dir, 101)["free_operations_left"], 4);
    // English for language_code = en.
    let mark = tg.mark();
    tg.send_text_in(102, "en", "/start");
    let en = tg.wait_message(mark, 102, "English greeting");
    assert!(en.text().contains("Choose what to do"), "{}", en.text());
}

/// Test 1: /balance shows the balance and the free operations (or the free-access status).
#[test]
fn test_1_balance() {
    let (dir, tg) = (Scratch::new("bot-t1"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    let reply = say(&tg, 201, "/balance");
    assert!(reply.text().contains("Баланс: 0 ₽"), "{}", reply.text());
    assert!(
        reply.text().contains("Бесплатных операций: 4"),
        "{}",
        reply.text()
    );
    let labels: Vec<String> = reply.buttons().into_iter().map(|(l, _)| l).collect();
    assert!(
        labels.contains(&"💰 Пополнить".to_string())
            && labels.contains(&"🎟️ Промокод для генераций".to_string()),
        "{labels:?}"
    );
    ok(dir.path(), &["user", "grant-free-access", "201"]);
    let reply = say(&tg, 201, "/balance");
    assert!(
        reply.text().contains("Бесплатный доступ активен"),
        "{}",
        reply.text()
    );
}

/// Test 2: WELCOME10, then 100 ₽: a 90.00 ₽ payment at YooKassa, 100 ₽ credited once it succeeds.
#[test]
fn test_2_discount_code_on_payment() {
    let (dir, tg, yk) = (
        Scratch::new("bot-t2"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    ok(dir.path(), &["promo", "init"]);
    // The seed's YooKassa test: with Stars off the menu is the card amounts.
    let bot = start(&dir, &tg, Some(&yk), &[("STARS_ENABLED", "false")]);
    let menu = press(&tg, 301, "payment_menu");
    assert!(
        menu.buttons()
            .iter()
            .any(|(l, d)| l == "🎟️ Ввести промокод" && d == "promo_topup"),
        "{:?}",
        menu.buttons()
    );
    press(&tg, 301, "promo_topup");
    let mark = tg.mark();
    tg.send_text(301, "WELCOME10");
    let applied = tg.wait_message(mark, 301, "code applied");
    assert!(
        applied.text().contains("WELCOME10") && applied.text().contains("10 %"),
        "{}",
        applied.text()
    );
    let menu = tg.wait_call(mark, "menu with discounted prices", |c| {
        c.chat() == 301 && !c.buttons().is_empty()
    });
    assert!(
        menu.buttons()
            .iter()
            .any(|(l, d)| l == "100 ₽ → 90 ₽" && d == "topup:10000"),
        "{:?}",
        menu.buttons()
    );

    let link = press(&tg, 301, "topup:10000");
    let (label, url) = link.buttons().into_iter().next().expect("pay button");
    assert!(
        label.contains("90 ₽") && url.starts_with("https://"),
        "{label} {url}"
    );
    let payment = yk
        .payments()
        .into_iter()
        .next()
        .expect("payment at YooKassa");
    assert_eq!(payment.value, "90.00");

    yk.set_status(&payment.id, "succeeded");
    let body = serde_json::json!({"type": "notification", "event": "payment.succeeded",
        "object": {"id": payment.id, "status": "succeeded", "amount": {"value": "90.00", "currency": "RUB"}, "test": true}});
    let mark = tg.mark();
    let (status, _) = http_with(
        bot.addr,
        "POST",
        "/yookassa/webhook",
        &[("X-Forwarded-For", "185.71.76.10")],
        body.to_string().as_bytes(),
    )
    .expect("notify");
    assert_eq!(status, 200);
    let told = tg.wait_message(mark, 301, "the credit notice");
    assert!(
        told.text().contains("100 ₽") && told.text().contains("Текущий баланс: 100 ₽"),
        "{}",
        told.text()
    );
    assert_eq!(user_json(&dir, 301)["balance"], "100.00");
    // The code is used: a second time is refused.
    press(&tg, 301, "promo_topup");
    let again = say(&tg, 301, "WELCOME10");
    assert!(
        again.text().contains("уже использовали"),
        "{}",
        again.text()
    );
}

/// Test 3: four free operations, then the balance, then a pay button and no job.
#[test]
fn test_3_paid_operation() {
    let (dir, tg) = (Scratch::new("bot-t3"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    for left in (0..4).rev() {
        press(&tg, 401, "mode:generate");
        let reply = say(&tg, 401, "a red fox in the snow");
        let said = if left == 0 {
            "последняя бесплатная операция".to_string()
        } else {
            format!("осталось {left}")
        };
        assert!(
            reply.text().contains("Принято") && reply.text().contains(&said),
            "{}",
            reply.text()
        );
    }
    assert_eq!(jobs(&dir), 4);
    let mark = tg.mark();
    ok(
        dir.path(),
        &["user", "credit", "401", "15", "--reason", "test"],
    );
    // The outbox tells the user first; the next reply is then the job's.
    tg.wait_call(mark, "the credit notice", |c| {
        c.chat() == 401 && c.text().contains("начислено")
    });
    press(&tg, 401, "mode:generate");
    let reply = say(&tg, 401, "a blue fox");
    assert!(
        reply.text().contains("Списано 10 ₽, на балансе 5 ₽"),
        "{}",
        reply.text()
    );
    assert_eq!(jobs(&dir), 5);
    press(&tg, 401, "mode:generate");
    let reply = say(&tg, 401, "a green fox");
    assert!(
        reply.text().contains("Недостаточно средств"),
        "{}",
        reply.text()
    );
    assert!(
        reply.buttons().iter().any(|(_, d)| d == "payment_menu"),
        "{:?}",
        reply.buttons()
    );
    assert_eq!(jobs(&dir), 5, "no job without payment");
    assert_eq!(user_json(&dir, 401)["balance"], "5.00");
}

/// Test 4: FREE_ACCESS makes paid modes free; a second user cannot reuse the seeded code.
#[test]
fn test_4_free_access() {
    let (dir, tg) = (Scratch::new("bot-t4"), FakeTelegram::start());
    ok(dir.path(), &["promo", "init"]);
    let _bot = start(&dir, &tg, None, &[]);
    press(&tg, 501, "promo_gen");
    let reply = say(&tg, 501, "FREE_ACCESS");
    assert!(
        reply.text().contains("Бесплатный доступ активирован"),
        "{}",
        reply.text()
    );
    for _ in 0..6 {
        press(&tg, 501, "mode:generate");
        let reply = say(&tg, 501, "a cat");
        assert!(
            reply.text().contains("Для вас бесплатно"),
            "{}",
            reply.text()
        );
    }
    let user = user_json(&dir, 501);
    assert_eq!(
        (
            user["balance"].as_str(),
            user["free_operations_left"].as_i64()
        ),
        (Some("0.00"), Some(4))
    );
    press(&tg, 502, "promo_gen");
    let reply = say(&tg, 502, "FREE_ACCESS");
    assert!(
        reply.text().contains("закончились активации"),
        "{}",
        reply.text()
    );
    assert_eq!(user_json(&dir, 502)["has_free_access"], false);
}

#[test]
fn junk_updates_are_ignored_or_answered_politely() {
    let (dir, tg) = (Scratch::new("bot-junk"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    let user = 601;
    tg.send_raw_message(user, serde_json::json!({"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular", "width": 512, "height": 512, "is_animated": false, "is_video": false}}));
    tg.send_raw_message(
        user,
        serde_json::json!({"location": {"latitude": 55.75, "longitude": 37.61}}),
    );
    tg.send_update("edited_message", serde_json::json!({"message_id": 5, "date": 1, "edit_date": 2, "chat": {"id": user, "type": "private"}, "from": {"id": user, "is_bot": false, "first_name": "U"}, "text": "edited"}));
    tg.send_update("channel_post", serde_json::json!({"message_id": 6, "date": 1, "chat": {"id": -100123, "type": "channel", "title": "c"}, "text": "post"}));
    let mark = tg.mark();
    tg.press(user, "hack:1; DROP TABLE users");
    let stale = tg.wait_call(mark, "the stale-button answer", |c| {
        c.method == "answercallbackquery"
    });
    assert!(
        stale.body["text"]
            .as_str()
            .unwrap_or("")
            .contains("устарела"),
        "{:?}",
        stale.body
    );
    // … and the menu that works now.
    // (It replaces the stale message.)
    let fresh = tg.wait_call(mark, "a fresh menu", |c| {
        c.method == "editmessagetext" && c.chat() == user && c.text().contains("На балансе")
    });
    assert!(!fresh.buttons().is_empty(), "{}", fresh.text());
    press(&tg, user, "mode:generate");
    let long = "я".repeat(4096);
    let reply = say(&tg, user, &long);
    assert!(reply.text().contains("Слишком длинно"), "{}", reply.text());
    let cancelled = say(&tg, user, "/cancel");
    assert!(
        cancelled.text().contains("Отменено"),
        "{}",
        cancelled.text()
    );
    // A user who blocked the bot: the handler fails to answer, nothing breaks.
    tg.block(602);
    tg.send_text(602, "/start");
    let reply = say(&tg, user, "/balance");
    assert!(reply.text().contains("Баланс"), "{}", reply.text());
    assert_eq!(jobs(&dir), 0);
}

#[test]
fn payments_not_configured_are_explained() {
    let (dir, tg) = (Scratch::new("bot-nopay"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[("STARS_ENABLED", "false")]);
    let reply = press(&tg, 701, "payment_menu");
    assert!(reply.text().contains("не настроена"), "{}", reply.text());
}

#[test]
fn modes_collect_their_inputs() {
    let (dir, tg) = (Scratch::new("bot-modes"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    let user = 801;
    ok(dir.path(), &["user", "grant-free-access", "801"]);
    // Merge: an album of three, then the instruction.
    press(&tg, user, "mode:merge");
    let mark = tg.mark();
    for i in 0..3 {
        tg.send_photo(
            user,
            &format!("m{i}"),
            common::jpeg(64, 48),
            None,
            Some("album-1"),
        );
    }
    let got = tg.wait_message(mark, user, "album received");
    assert!(
        got.text().contains("Получено фото: 3 (можно до 4)"),
        "{}",
        got.text()
    );
    let reply = say(&tg, user, "put them on a beach");
    assert!(reply.text().contains("Принято"), "{}", reply.text());
    // Face swap: face, then target.
    press(&tg, user, "mode:face_swap");
    let mark = tg.mark();
    tg.send_photo(user, "face", common::jpeg(64, 48), None, None);
    let asked = tg.wait_message(mark, user, "ask target");
    assert!(
        asked.text().contains("Теперь пришлите фото"),
        "{}\n{:#?}",
        asked.text(),
        std::fs::read_to_string(dir.path().join("stderr.log")).unwrap_or_default()
    );
    let mark = tg.mark();
    tg.send_photo(user, "target", common::jpeg(64, 48), None, None);
    assert!(
        tg.wait_message(mark, user, "accepted")
            .text()
            .contains("Принято")
    );
    // Edit with a caption: one message.
    press(&tg, user, "mode:edit");
    let mark = tg.mark();
    tg.send_photo(
        user,
        "e1",
        common::jpeg(64, 48),
        Some("make it night"),
        None,
    );
    assert!(
        tg.wait_message(mark, user, "accepted")
            .text()
            .contains("Принято")
    );
    // Add text is free and never touches billing.
    press(&tg, user, "mode:add_text");
    let mark = tg.mark();
    tg.send_photo(user, "t1", common::jpeg(64, 48), Some("Привет!"), None);
    assert!(
        tg.wait_message(mark, user, "accepted")
            .text()
            .contains("Принято")
    );

    let conn = rusqlite::Connection::open(dir.db()).expect("open");
    let mut stmt = conn
        .prepare("SELECT kind, input FROM jobs ORDER BY id")
        .expect("prepare");
    let rows: Vec<(String, serde_json::Value)> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                serde_json::from_str(&r.get::<_, String>(1)?).expect("json"),
            ))
        })
        .expect("query")
        .map(|r| r.expect("row"))
        .collect();
    assert_eq!(rows[0].0, "merge");
    assert_eq!(rows[0].1["images"], serde_json::json!(["m0", "m1", "m2"]));
    assert_eq!(rows[1].0, "face_swap");
    assert_eq!(rows[1].1["images"], serde_json::json!(["face", "target"]));
    assert_eq!(
        (rows[2].0.as_str(), rows[2].1["prompt"].as_str()),
        ("edit", Some("make it night"))
    );
    assert_eq!(
        (rows[3].0.as_str(), rows[3].1["prompt"].as_str()),
        ("add_text", Some("Привет!"))
    );
    let operations: i64 = conn
        .query_row("SELECT count(*) FROM operations", [], |r| r.get(0))
        .expect("count");
    assert_eq!(operations, 3, "add text has no operation");
}

/// Posts YooKassa's notification of `payment`'s status at the fake, as YooKassa's address would.
fn notify(bot: &Bot, yk: &FakeYooKassa, payment: &str, status: &str) {
    let p = yk.payment(payment).expect("payment at the fake");
    let body = serde_json::json!({"type": "notification", "event": format!("payment.{status}"),
        "object": {"id": payment, "status": status, "amount": {"value": p.value, "currency": "RUB"}, "test": true}});
    let (code, _) = http_with(
        bot.addr,
        "POST",
        "/yookassa/webhook",
        &[("X-Forwarded-For", "185.71.76.10")],
        body.to_string().as_bytes(),
    )
    .expect("notify");
    assert_eq!(code, 200);
}

/// Applies a discount code through the payment menu.
fn apply_code(tg: &FakeTelegram, user: i64, code: &str) {
    press(tg, user, "promo_topup");
    let mark = tg.mark();
    tg.send_text(user, code);
    tg.wait_call(mark, "the menu after the code", |c| {
        c.chat() == user && !c.buttons().is_empty()
    });
}

fn discounted_successes(dir: &Scratch) -> i64 {
    rusqlite::Connection::open(dir.db())
        .expect("open")
        .query_row(
            "SELECT count(*) FROM payments WHERE status = 'succeeded' AND discount_code IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count")
}

/// MEGA50, then "100 ₽" and "300 ₽" tapped and both invoices paid: one discount. The second tap
/// says the code is held by the first invoice and shows that invoice's pay button; tapping "100 ₽"
/// again reuses the first invoice instead of making a third.
#[test]
fn a_discount_is_given_once_across_two_drafts() {
    let (dir, tg, yk) = (
        Scratch::new("bot-mega50"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    ok(dir.path(), &["promo", "init"]);
    let bot = start(&dir, &tg, Some(&yk), &[]);
    let user = 311;
    press(&tg, user, "payment_menu");
    apply_code(&tg, user, "MEGA50");
    let first = press(&tg, user, "topup:10000");
    let (label, first_url) = first.buttons().into_iter().next().expect("pay button");
    assert!(label.contains("50 ₽"), "{label}");
    assert!(
        first.buttons().iter().any(|(_, d)| d == "check_payment"),
        "{:?}",
        first.buttons()
    );
    let mark = tg.mark();
    tg.press(user, "topup:30000");
    let held = tg.wait_call(mark, "the held-code message", |c| {
        c.chat() == user && c.text().contains("MEGA50")
    });
    assert!(held.text().contains("неоплаченному"), "{}", held.text());
    assert_eq!(held.buttons()[0].1, first_url, "the held invoice's button");
    let second = tg.wait_call(mark, "the second pay link", |c| {
        c.chat() == user && c.buttons().iter().any(|(l, _)| l.contains("300 ₽"))
    });
    assert!(!second.buttons().is_empty());
    // A second tap on 100 ₽: the same invoice.
    let again = press(&tg, user, "topup:10000");
    assert_eq!(again.buttons()[0].1, first_url, "{:?}", again.buttons());
    assert_eq!(yk.payments().len(), 2);
    let mut payments = yk.payments();
    payments.sort_by(|a, b| a.value.cmp(&b.value));
    let values: Vec<&str> = payments.iter().map(|p| p.value.as_str()).collect();
    assert_eq!(values, ["300.00", "50.00"]);
    for p in &payments {
        yk.set_status(&p.id, "succeeded");
        notify(&bot, &yk, &p.id, "succeeded");
    }
    wait_until(20, "both credited", || {
        user_json(&dir, user)["balance"] == "400.00"
    });
    assert_eq!(discounted_successes(&dir), 1);
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}

/// A max-uses-1 code applied by two users who both open a draft: one discount.
#[test]
fn a_max_uses_1_code_raced_by_two_users_is_given_once() {
    let (dir, tg, yk) = (
        Scratch::new("bot-race"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    ok(
        dir.path(),
        &["promo", "add", "ONCE", "--percent", "30", "--max-uses", "1"],
    );
    let bot = start(&dir, &tg, Some(&yk), &[]);
    for user in [321, 322] {
        press(&tg, user, "payment_menu");
        apply_code(&tg, user, "ONCE");
    }
    let mark = tg.mark();
    tg.press(321, "topup:10000");
    tg.press(322, "topup:10000");
    for user in [321, 322] {
        tg.wait_call(mark, "a pay link", |c| {
            c.chat() == user && c.buttons().iter().any(|(_, d)| d.starts_with("https://"))
        });
    }
    let values: Vec<String> = yk.payments().into_iter().map(|p| p.value).collect();
    assert_eq!(
        values.iter().filter(|v| *v == "70.00").count(),
        1,
        "{values:?}"
    );
    for p in yk.payments() {
        yk.set_status(&p.id, "succeeded");
        notify(&bot, &yk, &p.id, "succeeded");
    }
    wait_until(20, "both credited", || {
        user_json(&dir, 321)["balance"] == "100.00" && user_json(&dir, 322)["balance"] == "100.00"
    });
    assert_eq!(discounted_successes(&dir), 1);
}

/// A canceled discounted invoice releases the code: the next invoice is discounted again.
#[test]
fn a_canceled_discounted_draft_releases_the_code() {
    let (dir, tg, yk) = (
        Scratch::new("bot-release"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    ok(dir.path(), &["promo", "init"]);
    let bot = start(&dir, &tg, Some(&yk), &[]);
    let user = 331;
    press(&tg, user, "payment_menu");
    apply_code(&tg, user, "SAVE20");
    press(&tg, user, "topup:10000");
    let first = yk.payments().into_iter().next().expect("first");
    assert_eq!(first.value, "80.00");
    yk.set_status(&first.id, "canceled");
    notify(&bot, &yk, &first.id, "canceled");
    wait_until(20, "the cancel", || {
        rusqlite::Connection::open(dir.db())
            .expect("open")
            .query_row(
                "SELECT count(*) FROM payments WHERE status = 'canceled'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .expect("count")
            == 1
    });
    let link = press(&tg, user, "topup:10000");
    let (label, _) = link.buttons().into_iter().next().expect("pay button");
    assert!(label.contains("80 ₽"), "{label}");
}

/// YooKassa made a payment of another amount than asked: no pay button.
#[test]
fn no_pay_button_for_a_payment_of_another_amount() {
    let (dir, tg, yk) = (
        Scratch::new("bot-amount"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let _bot = start(&dir, &tg, Some(&yk), &[]);
    yk.create_with_value(Some("1.00"));
    let reply = press(&tg, 341, "topup:10000");
    assert!(
        reply
            .buttons()
            .iter()
            .all(|(_, d)| !d.starts_with("https://")),
        "{:?}",
        reply.buttons()
    );
    assert!(
        reply.text().contains("Не удалось создать платёж"),
        "{}",
        reply.text()
    );
}

/// kill -9 right after YooKassa answered the create, before its id was saved; the payer pays anyway:
/// after the restart the create is re-sent with the same key, YooKassa's id learned and the top-up
/// credited once (a later notification adds nothing).
#[test]
fn kill_9_after_the_create_credits_once_after_restart() {
    let (dir, tg, yk) = (
        Scratch::new("bot-lost-create"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let bot = start(&dir, &tg, Some(&yk), &[]);
    let user = 351;
    press(&tg, user, "payment_menu");
    yk.hold_creates(true);
    tg.press(user, "topup:10000");
    wait_until(20, "the create at YooKassa", || yk.held_creates() == 1);
    drop(bot); // kill -9 while YooKassa's answer is on its way
    yk.hold_creates(false);
    let row: (String, Option<String>) = rusqlite::Connection::open(dir.db())
        .expect("open")
        .query_row("SELECT status, yookassa_id FROM payments", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("row");
    assert_eq!(row, ("created".to_string(), None));
    let paid = yk.payments().into_iter().next().expect("payment");
    yk.set_status(&paid.id, "succeeded");
    let bot = start(&dir, &tg, Some(&yk), &[]);
    wait_until(20, "the credit", || {
        user_json(&dir, user)["balance"] == "100.00"
    });
    notify(&bot, &yk, &paid.id, "succeeded");
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(user_json(&dir, user)["balance"], "100.00");
    assert_eq!(yk.payments().len(), 1, "one payment at YooKassa");
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}

/// Telegram answers 429 to the next sends: the top-up notice still arrives.
#[test]
fn the_topup_notice_survives_flood_control() {
    let (dir, tg, yk) = (
        Scratch::new("bot-notice-429"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let bot = start(&dir, &tg, Some(&yk), &[]);
    let user = 361;
    press(&tg, user, "topup:10000");
    let p = yk.payments().into_iter().next().expect("payment");
    yk.set_status(&p.id, "succeeded");
    tg.flood(3);
    let mark = tg.mark();
    notify(&bot, &yk, &p.id, "succeeded");
    let told = tg.wait_call(mark, "the credit notice", |c| {
        c.chat() == user && c.text().contains("Баланс пополнен")
    });
    assert!(told.text().contains("100 ₽"), "{}", told.text());
    assert!(tg.refused() >= 1);
}

/// Admin /credit refuses user 0 and an amount of 0, creating nobody.
#[test]
fn admin_credit_refuses_zero() {
    let (dir, tg) = (Scratch::new("bot-credit0"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[("ADMIN_TELEGRAM_IDS", "371")]);
    let reply = say(&tg, 371, "/credit 0 50");
    assert!(
        reply.text().contains("not a Telegram user id"),
        "{}",
        reply.text()
    );
    let reply = say(&tg, 371, "/credit 372 0");
    assert!(reply.text().contains("non-zero"), "{}", reply.text());
    let users: i64 = rusqlite::Connection::open(dir.db())
        .expect("open")
        .query_row(
            "SELECT count(*) FROM users WHERE telegram_id IN (0, 372)",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(users, 0);
}

/// A photo Telegram reports at 20000×20000 is refused before any charge or job.
#[test]
fn a_huge_photo_is_refused_before_the_charge() {
    let (dir, tg) = (Scratch::new("bot-huge"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    let user = 381;
    press(&tg, user, "mode:retouch");
    let mark = tg.mark();
    tg.send_raw_message(
        user,
        serde_json::json!({"photo": [{"file_id": "bomb", "file_unique_id": "b", "width": 20000,
            "height": 20000, "file_size": 400_000}]}),
    );
    let reply = tg.wait_message(mark, user, "the refusal");
    assert!(reply.text().contains("слишком большое"), "{}", reply.text());
    assert_eq!(jobs(&dir), 0);
    assert_eq!(user_json(&dir, user)["free_operations_left"], 4);
}

/// The admin commands in the bot: /credit moves money both ways (never below zero), /grant gives
/// free access, /stats shows totals, /help lists them — for admins only; anyone else's /credit is an
/// unknown command that moves nothing.
#[test]
fn admin_commands_work_for_admins_only() {
    let (dir, tg) = (Scratch::new("bot-admin"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[("ADMIN_TELEGRAM_IDS", "391")]);
    let (admin, user) = (391, 392);
    say(&tg, user, "/start");
    let mark = tg.mark();
    let reply = say(&tg, admin, "/credit 392 50");
    assert!(reply.text().contains("на балансе 50 ₽"), "{}", reply.text());
    // The user hears of it, in their language and money style.
    let told = tg.wait_message(mark, user, "the credit told to the user");
    assert!(
        told.text().contains("Вам начислено 50 ₽"),
        "{}",
        told.text()
    );
    let menu = press(&tg, user, "menu");
    assert!(menu.text().contains("На балансе 50 ₽"), "{}", menu.text());
    let reply = say(&tg, admin, "/credit 392 -10");
    assert!(reply.text().contains("на балансе 40 ₽"), "{}", reply.text());
    let reply = say(&tg, admin, "/credit 392 -100");
    assert!(reply.text().contains("ниже нуля"), "{}", reply.text());
    assert_eq!(user_json(&dir, user)["balance"], "40.00");
    let reply = say(&tg, admin, "/credit 392");
    assert!(
        reply.text().contains("Как использовать"),
        "{}",
        reply.text()
    );
    let mark = tg.mark();
    let reply = say(&tg, admin, "/grant 392");
    assert!(
        reply.text().contains("безлимитный доступ"),
        "{}",
        reply.text()
    );
    assert_eq!(user_json(&dir, user)["has_free_access"], true);
    let told = tg.wait_call(mark, "the grant told to the user", |c| {
        c.chat() == user && c.text().contains("безлимитный")
    });
    assert!(
        told.text().contains("Вам включён безлимитный доступ"),
        "{}",
        told.text()
    );
    let reply = say(&tg, admin, "/payment mlp-nosuch");
    assert!(
        reply.text().contains("Такого платежа нет"),
        "{}",
        reply.text()
    );
    // /stats: the chart as a photo with the summary as its caption.
    let mark = tg.mark();
    tg.send_text(admin, "/stats");
    let photo = tg.wait_call(mark, "the stats photo", |c| {
        c.method == "sendphoto" && c.chat() == admin
    });
    let caption = photo.body["caption"].as_str().unwrap_or("");
    assert!(caption.contains("Пользователей: 2"), "{caption}");
    assert!(say(&tg, admin, "/help").text().contains("/credit"));
    // The CLI's credit is told too: through the same outbox, by the running bot.
    let mark = tg.mark();
    ok(
        dir.path(),
        &["user", "credit", "392", "5", "--reason", "gift"],
    );
    tg.wait_call(mark, "the CLI credit told to the user", |c| {
        c.chat() == user && c.text().contains("Вам начислено 5 ₽")
    });

    // Not an admin: the same commands are unknown, and nothing moves.
    for cmd in ["/credit 392 1000", "/credit 391 5", "/grant 391", "/stats"] {
        let reply = say(&tg, user, cmd);
        assert!(
            reply.text().contains("Такой команды нет"),
            "{cmd}: {}",
            reply.text()
        );
    }
    assert!(!say(&tg, user, "/help").text().contains("/credit"));
    assert_eq!(user_json(&dir, user)["balance"], "45.00");
    assert_eq!(user_json(&dir, admin)["balance"], "0.00");
    // An unknown command in the middle of a paid mode is not taken as its prompt.
    press(&tg, user, "mode:generate");
    let reply = say(&tg, user, "/credit 392 1000");
    assert!(
        reply.text().contains("Такой команды нет"),
        "{}",
        reply.text()
    );
    assert_eq!(jobs(&dir), 0);
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}

/// The command menu is set in Russian and, for English clients, in English.
#[test]
fn commands_are_set_for_both_languages() {
    let (dir, tg) = (Scratch::new("bot-commands"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    wait_until(10, "both command lists", || {
        tg.calls()
            .iter()
            .filter(|c| c.method == "setmycommands")
            .count()
            >= 2
    });
    let calls: Vec<_> = tg
        .calls()
        .into_iter()
        .filter(|c| c.method == "setmycommands")
        .collect();
    let ru = calls
        .iter()
        .find(|c| c.body.get("language_code").is_none())
        .expect("the Russian list");
    let en = calls
        .iter()
        .find(|c| c.body["language_code"] == "en")
        .expect("the English list");
    assert_eq!(ru.body["commands"][0]["description"], "Главное меню");
    assert_eq!(en.body["commands"][0]["description"], "Main menu");
    assert_eq!(
        en.body["commands"].as_array().map(Vec::len),
        ru.body["commands"].as_array().map(Vec::len)
    );
}

/// A two-photo album in merge is answered once, counting two.
#[test]
fn a_two_photo_album_is_counted_once() {
    let (dir, tg) = (Scratch::new("bot-album"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    let user = 395;
    press(&tg, user, "mode:merge");
    let mark = tg.mark();
    for i in 0..2 {
        tg.send_photo(
            user,
            &format!("a{i}"),
            common::jpeg(64, 48),
            None,
            Some("album-2"),
        );
    }
    let got = tg.wait_message(mark, user, "the album count");
    assert!(
        got.text().contains("Получено фото: 2 (можно до 4)"),
        "{}",
        got.text()
    );
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let answers = tg
        .calls()
        .iter()
        .skip(mark)
        .filter(|c| c.method == "sendmessage" && c.chat() == user)
        .count();
    assert_eq!(answers, 1, "one answer for the album");
    let _ = dir;
}

/// With both providers the menu offers Stars and card; each leads to its amounts.
#[test]
fn both_providers_are_offered() {
    let (dir, tg, yk) = (
        Scratch::new("bot-providers"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let _bot = start(&dir, &tg, Some(&yk), &[]);
    let menu = press(&tg, 394, "payment_menu");
    let data: Vec<String> = menu.buttons().into_iter().map(|(_, d)| d).collect();
    assert_eq!(
        data,
        ["stars_menu", "card_menu", "promo_topup", "balance", "menu"],
        "{}",
        menu.text()
    );
    let stars = press(&tg, 394, "stars_menu");
    assert!(stars.buttons().iter().any(|(_, d)| d == "stars:100"));
    let card = press(&tg, 394, "card_menu");
    assert!(card.buttons().iter().any(|(_, d)| d == "topup:10000"));
}

/// "Another amount": junk and out-of-range amounts are refused with the limits, a good one (with
/// ₽ or a comma) gets its pay link for exactly that amount.
#[test]
fn a_custom_amount_is_asked_checked_and_paid() {
    let (dir, tg, yk) = (
        Scratch::new("bot-custom"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let _bot = start(&dir, &tg, Some(&yk), &[]);
    let user = 393;
    let ask = press(&tg, user, "custom_amount");
    assert!(ask.text().contains("сумму"), "{}", ask.text());
    for junk in ["сколько?", "0", "-5", "10000000", "1.234"] {
        let reply = say(&tg, user, junk);
        assert!(
            reply
                .buttons()
                .iter()
                .all(|(_, d)| !d.starts_with("https://")),
            "{junk}: a pay button for a bad amount"
        );
        assert!(
            reply.text().contains("до 100\u{202f}000 ₽"),
            "{junk}: the limits: {}",
            reply.text()
        );
    }
    // Typed the way people type money: a thousands space, a comma, a unit.
    let reply = say(&tg, user, "1 250,50 руб");
    let buttons = reply.buttons();
    assert!(
        buttons.iter().any(|(_, url)| url.starts_with("https://")),
        "{buttons:?}"
    );
    let amount: i64 = rusqlite::Connection::open(dir.db())
        .expect("db")
        .query_row(
            "SELECT amount FROM payments WHERE telegram_id = ?1",
            [user],
            |r| r.get(0),
        )
        .expect("one payment");
    assert_eq!(amount, 125_050);
    // The dialogue is over: the next text is not an amount.
    let reply = say(&tg, user, "300");
    assert!(
        reply
            .buttons()
            .iter()
            .all(|(_, d)| !d.starts_with("https://"))
    );
}

fn job_inputs(dir: &Scratch, user: i64) -> Vec<serde_json::Value> {
    let conn = rusqlite::Connection::open(dir.db()).expect("open");
    let mut stmt = conn
        .prepare("SELECT input FROM jobs WHERE telegram_id = ?1 ORDER BY id")
        .expect("prepare");
    stmt.query_map([user], |r| r.get::<_, String>(0))
        .expect("query")
        .map(|j| serde_json::from_str(&j.expect("row")).expect("json"))
        .collect()
}

/// Out of money with a photo in hand: the price line says so before the upload, the photo is
/// kept, and after the top-up the credited notice offers to run it; ▶️ runs it once.
#[test]
fn out_of_money_keeps_the_request_and_offers_it_after_the_top_up() {
    let (dir, tg, yk) = (
        Scratch::new("bot-held"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let bot = start(&dir, &tg, Some(&yk), &[("FREE_OPERATIONS_COUNT", "0")]);
    let user = 451;
    let prompt = press(&tg, user, "mode:retouch");
    assert!(
        prompt.text().contains("Стоит 10 ₽, а на балансе 0 ₽"),
        "{}",
        prompt.text()
    );
    assert!(
        prompt.buttons().iter().any(|(_, d)| d == "payment_menu")
            && prompt.buttons().iter().any(|(_, d)| d == "cancel"),
        "{:?}",
        prompt.buttons()
    );
    let mark = tg.mark();
    tg.send_photo(user, "face-1", common::jpeg(64, 64), None, None);
    let refused = tg.wait_message(mark, user, "the refusal");
    assert!(
        refused.text().contains("Недостаточно средств") && refused.text().contains("сохранён"),
        "{}",
        refused.text()
    );
    assert_eq!(jobs(&dir), 0);
    press(&tg, user, "payment_menu");
    press(&tg, user, "topup:10000");
    let p = yk.payments().into_iter().next().expect("payment");
    yk.set_status(&p.id, "succeeded");
    let mark = tg.mark();
    notify(&bot, &yk, &p.id, "succeeded");
    let credited = tg.wait_call(mark, "the credited notice", |c| {
        c.chat() == user && c.text().contains("пополнен")
    });
    assert!(
        credited
            .text()
            .contains("Выполнить сохранённый запрос — ✨ Ретушь — за 10 ₽?"),
        "{}",
        credited.text()
    );
    assert!(
        credited.buttons().iter().any(|(_, d)| d == "run_held"),
        "{:?}",
        credited.buttons()
    );
    let accepted = press(&tg, user, "run_held");
    assert!(accepted.text().contains("Принято"), "{}", accepted.text());
    assert_eq!(job_inputs(&dir, user)[0]["images"][0], "face-1");
    // Once only.
    let again = press(&tg, user, "run_held");
    assert!(again.text().contains("уже выполнен"), "{}", again.text());
    assert_eq!(jobs(&dir), 1);
    assert_eq!(user_json(&dir, user)["balance"], "90.00");
}

/// Outside any mode: a text is offered as a prompt, a photo is kept and asked about, a sticker gets
/// one line; the last free operation says so.
#[test]
fn idle_input_is_offered_not_refused() {
    let (dir, tg) = (Scratch::new("bot-idle"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[("FREE_OPERATIONS_COUNT", "2")]);
    let user = 461;
    let offer = say(&tg, user, "рыжий кот на крыше");
    assert!(
        offer
            .text()
            .contains("Создать картинку по описанию «рыжий кот на крыше»?")
            && offer.text().contains("остались 2 бесплатные операции"),
        "{}",
        offer.text()
    );
    let accepted = press(&tg, user, "offer:generate");
    assert!(
        accepted.text().contains("осталось 1"),
        "{}",
        accepted.text()
    );
    assert_eq!(job_inputs(&dir, user)[0]["prompt"], "рыжий кот на крыше");

    let mark = tg.mark();
    tg.send_photo(user, "idle-photo", common::jpeg(64, 64), None, None);
    let asked = tg.wait_message(mark, user, "what to do with the photo");
    assert!(
        asked.text().contains("Что сделать с этим фото?"),
        "{}",
        asked.text()
    );
    for data in [
        "offer:edit",
        "offer:retouch",
        "offer:upscale",
        "offer:face_swap",
        "offer:add_text",
    ] {
        assert!(asked.buttons().iter().any(|(_, d)| d == data), "{data}");
    }
    let accepted = press(&tg, user, "offer:retouch");
    assert!(
        accepted
            .text()
            .contains("Использована последняя бесплатная операция. Дальше — 10 ₽ за операцию."),
        "{}",
        accepted.text()
    );
    assert_eq!(job_inputs(&dir, user)[1]["images"][0], "idle-photo");
    // The offer is used up: pressing it again leads to the menu, not to a second job.
    press(&tg, user, "offer:retouch");
    assert_eq!(jobs(&dir), 2);

    // The chat stays in retouch; outside any mode, a voice note gets one line.
    say(&tg, user, "/cancel");
    let mark = tg.mark();
    tg.send_raw_message(
        user,
        serde_json::json!({"voice": {"file_id": "v", "file_unique_id": "v", "duration": 2}}),
    );
    let line = tg.wait_message(mark, user, "the voice answer");
    assert!(
        line.text().contains("Я понимаю текст и фото"),
        "{}",
        line.text()
    );
    assert_eq!(line.buttons().len(), 1, "{:?}", line.buttons());
}

/// One code field for every kind of code: a bonus code typed in the payment menu's field, a
/// discount code in the balance's; a refused code offers another try and a way back.
#[test]
fn any_code_works_in_either_field() {
    let (dir, tg, yk) = (
        Scratch::new("bot-anycode"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    ok(dir.path(), &["promo", "init"]);
    ok(dir.path(), &["promo", "add", "GIFT5", "--bonus-ops", "5"]);
    let _bot = start(&dir, &tg, Some(&yk), &[]);
    let user = 471;
    press(&tg, user, "promo_topup");
    let reply = say(&tg, user, "gift5");
    assert!(reply.text().contains("5"), "{}", reply.text());
    assert_eq!(user_json(&dir, user)["free_operations_left"], 9);
    press(&tg, user, "promo_gen");
    let mark = tg.mark();
    tg.send_text(user, "WELCOME10");
    let menu = tg.wait_call(mark, "the payment menu after the code", |c| {
        c.chat() == user && c.buttons().iter().any(|(_, d)| d == "card_menu")
    });
    assert!(menu.text().contains("Сейчас на балансе"), "{}", menu.text());
    press(&tg, user, "promo_gen");
    let refused = say(&tg, user, "NOSUCHCODE");
    let data: Vec<String> = refused.buttons().into_iter().map(|(_, d)| d).collect();
    assert_eq!(data, ["promo_gen", "balance"], "{}", refused.text());
}

/// The balance screen: readable history, an unpaid invoice with its pay and check buttons; "check
/// payment" asks YooKassa at once.
#[test]
fn the_balance_shows_history_and_an_unpaid_invoice_that_can_be_checked() {
    let (dir, tg, yk) = (
        Scratch::new("bot-balance"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let _bot = start(&dir, &tg, Some(&yk), &[]);
    let user = 481;
    press(&tg, user, "mode:generate");
    say(&tg, user, "a fox");
    let link = press(&tg, user, "topup:30000");
    let url = link.buttons()[0].1.clone();
    let screen = say(&tg, user, "/balance");
    let text = screen.text();
    assert!(text.contains("🎨 Создать — бесплатная операция"), "{text}");
    assert!(
        text.contains("🎁 Подарок новичку: +4 бесплатные операции"),
        "{text}"
    );
    assert!(text.contains("⏳ Ожидает оплаты: счёт на 300 ₽"), "{text}");
    assert_eq!(screen.buttons()[0].1, url);
    let pending = press(&tg, user, "check_payment");
    assert!(
        pending.text().contains("пока ждёт оплату счёта на 300 ₽"),
        "{}",
        pending.text()
    );
    let p = yk.payments().into_iter().next().expect("payment");
    yk.set_status(&p.id, "succeeded");
    // 🔄 asks YooKassa about one draft at most once in 10 s.
    std::thread::sleep(std::time::Duration::from_secs(10));
    let mark = tg.mark();
    tg.press(user, "check_payment");
    let credited = tg.wait_call(mark, "the credit after the check", |c| {
        c.chat() == user && c.text().contains("пополнен")
    });
    assert!(credited.text().contains("300 ₽"), "{}", credited.text());
    assert_eq!(user_json(&dir, user)["balance"], "300.00");
}

#[test]
fn descriptions_are_set_for_both_languages() {
    let (dir, tg) = (Scratch::new("bot-descr"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    wait_until(10, "both descriptions", || {
        let calls = tg.calls();
        ["setmydescription", "setmyshortdescription"]
            .iter()
            .all(|m| calls.iter().filter(|c| c.method == *m).count() >= 2)
    });
    let calls = tg.calls();
    let en = calls
        .iter()
        .find(|c| c.method == "setmyshortdescription" && c.body["language_code"] == "en")
        .expect("English short description");
    assert!(
        en.body["short_description"].as_str().unwrap_or("").len() <= 120,
        "{:?}",
        en.body
    );
}

/// Navigation edits the message it came from: the menu, the payment screen, the balance and a
/// mode's question replace the pressed message; a /command is answered with a new message.
#[test]
fn navigation_edits_the_pressed_message() {
    let (dir, tg) = (Scratch::new("bot-edit"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    let user = 491;
    for data in [
        "menu",
        "payment_menu",
        "balance",
        "mode:generate",
        "promo_gen",
        "cancel",
    ] {
        let mark = tg.mark();
        let pressed_on = tg.press(user, data);
        let shown = tg.wait_shown(mark, user, pressed_on, data);
        assert_eq!(shown.method, "editmessagetext", "{data}: {}", shown.text());
        assert_eq!(
            shown.body["message_id"].as_i64(),
            Some(pressed_on),
            "{data}"
        );
    }
    let reply = say(&tg, user, "/balance");
    assert_eq!(reply.method, "sendmessage");
}

/// A walk through the bot as a user would take it: every message and screen it shows has a next
/// step under it (a button), but for the job status line, which the result itself follows, and a
/// code's confirmation, which the payment menu follows.
#[test]
fn every_message_has_a_next_step() {
    let (dir, tg, yk) = (
        Scratch::new("bot-walk"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    ok(dir.path(), &["promo", "init"]);
    let _bot = start(&dir, &tg, Some(&yk), &[("FREE_OPERATIONS_COUNT", "1")]);
    let user = 499;
    let photo = |name: &str| {
        let mark = tg.mark();
        tg.send_photo(user, name, common::jpeg(64, 48), None, None);
        tg.wait_message(mark, user, name);
    };
    say(&tg, user, "/start");
    say(&tg, user, "/help");
    say(&tg, user, "/balance");
    say(&tg, user, "/paysupport");
    say(&tg, user, "/terms");
    say(&tg, user, "/privacy");
    say(&tg, user, "/nosuchcommand");
    say(&tg, user, "нарисуй кота");
    press(&tg, user, "cancel");
    photo("walk-idle");
    press(&tg, user, "offer:edit");
    say(&tg, user, "сделай ярче");
    wait_until(20, "the edit delivered", || {
        tg.calls()
            .iter()
            .any(|c| c.method == "sendphoto" && c.chat() == user)
    });
    // Out of free operations now: every mode's question, each step.
    press(&tg, user, "mode:merge");
    photo("walk-m1");
    say(&tg, user, "merge them");
    photo("walk-m2");
    press(&tg, user, "mode:face_swap");
    photo("walk-face");
    press(&tg, user, "mode:retouch");
    say(&tg, user, "text where a photo is wanted");
    photo("walk-retouch");
    press(&tg, user, "mode:generate");
    say(&tg, user, &"x".repeat(2100));
    press(&tg, user, "menu");
    press(&tg, user, "payment_menu");
    press(&tg, user, "card_menu");
    press(&tg, user, "custom_amount");
    say(&tg, user, "много");
    press(&tg, user, "promo_topup");
    say(&tg, user, "NOSUCHCODE");
    press(&tg, user, "promo_gen");
    say(&tg, user, "WELCOME10");
    press(&tg, user, "topup:10000");
    press(&tg, user, "check_payment");
    let mark = tg.mark();
    tg.send_raw_message(
        user,
        serde_json::json!({"sticker": {"file_id": "s", "file_unique_id": "s", "type": "regular",
            "width": 512, "height": 512, "is_animated": false, "is_video": false}}),
    );
    tg.wait_message(mark, user, "the sticker answer");
    std::thread::sleep(std::time::Duration::from_millis(500));

    let status = |t: &str| {
        [
            "✅ Принято",
            "⏳",
            "🎨 Обрабатываю",
            "📤",
            "✅ Готово",
            "✅ Промокод",
        ]
        .iter()
        .any(|s| t.starts_with(s))
    };
    let shown: Vec<_> = tg
        .calls()
        .into_iter()
        .filter(|c| {
            c.chat() == user
                && matches!(
                    c.method.as_str(),
                    "sendmessage" | "editmessagetext" | "sendphoto" | "senddocument"
                )
        })
        .collect();
    assert!(shown.len() > 30, "{} messages", shown.len());
    let dead_ends: Vec<String> = shown
        .iter()
        .filter(|c| c.buttons().is_empty() && !status(c.text()))
        .map(|c| format!("{}: {}", c.method, c.text()))
        .collect();
    assert!(
        dead_ends.is_empty(),
        "messages without a next step: {dead_ends:#?}"
    );
}

/// 📜 The whole history, fifteen lines a page, newest first, with newer/older buttons.
#[test]
fn the_whole_history_is_paged() {
    let (dir, tg) = (Scratch::new("bot-history"), FakeTelegram::start());
    let user = 495;
    for n in 1..=20 {
        ok(
            dir.path(),
            &["user", "credit", "495", &n.to_string(), "--reason", "test"],
        );
    }
    let _bot = start(&dir, &tg, None, &[]);
    let first = press(&tg, user, "history:0");
    assert!(first.text().contains("страница 1"), "{}", first.text());
    assert!(
        first.text().contains("Начисление от администратора +20 ₽"),
        "{}",
        first.text()
    );
    assert_eq!(first.text().matches("\n• ").count(), 15, "{}", first.text());
    let data: Vec<String> = first.buttons().into_iter().map(|(_, d)| d).collect();
    assert_eq!(data, ["history:1", "balance"]);
    let second = press(&tg, user, "history:1");
    // 21 rows: twenty credits and the welcome gift.
    assert_eq!(
        second.text().matches("\n• ").count(),
        6,
        "{}",
        second.text()
    );
    assert!(
        second.text().contains("Подарок новичку"),
        "{}",
        second.text()
    );
    let data: Vec<String> = second.buttons().into_iter().map(|(_, d)| d).collect();
    assert_eq!(data, ["history:0", "balance"]);
}

/// Referrals: A's invite link (under /balance, with a share button) ties B, who is new, once; B's
/// first top-up gives both REFERRAL_BONUS_OPS free operations and A is told; B's second top-up, A's
/// own link and C (who used the bot before) give nothing.
#[test]
fn a_referral_rewards_both_once() {
    let (dir, tg, yk) = (
        Scratch::new("bot-referral"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let bot = start(&dir, &tg, Some(&yk), &[]);
    let (a, b, c) = (521, 522, 523);
    say(&tg, a, "/start");
    let screen = say(&tg, a, "/balance");
    let text = screen.text().to_string();
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("https://t.me/media_lab_bot?start=ref_"))
        .unwrap_or_else(|| panic!("no invite link: {text}"))
        .to_string();
    assert!(
        screen
            .buttons()
            .iter()
            .any(|(_, url)| url.starts_with("https://t.me/share/url?url=")),
        "{:?}",
        screen.buttons()
    );
    let payload = link.split("start=").nth(1).expect("payload").to_string();
    let own = say(&tg, a, &format!("/start {payload}"));
    assert!(!own.text().contains("пригласил"), "{}", own.text());
    say(&tg, c, "/start");
    let late = say(&tg, c, &format!("/start {payload}"));
    assert!(!late.text().contains("пригласил"), "{}", late.text());
    let welcome = say(&tg, b, &format!("/start {payload}"));
    assert!(
        welcome.text().contains("Вас пригласил друг")
            && welcome.text().contains("по 2 бесплатные операции"),
        "{}",
        welcome.text()
    );

    let pay = |user: i64, amount: &str, expected: &str| {
        let before: Vec<String> = yk.payments().into_iter().map(|p| p.id).collect();
        press(&tg, user, &format!("topup:{amount}"));
        let p = yk
            .payments()
            .into_iter()
            .find(|p| !before.contains(&p.id))
            .expect("a new payment");
        yk.set_status(&p.id, "succeeded");
        notify(&bot, &yk, &p.id, "succeeded");
        wait_until(20, "the credit", || {
            user_json(&dir, user)["balance"] == expected
        });
    };
    let mark = tg.mark();
    pay(b, "10000", "100.00");
    let told = tg.wait_call(mark, "the inviter told", |c| {
        c.chat() == a && c.text().contains("Ваш друг пополнил баланс")
    });
    assert!(told.text().contains("теперь 6"), "{}", told.text());
    assert_eq!(user_json(&dir, a)["free_operations_left"], 6);
    assert_eq!(user_json(&dir, b)["free_operations_left"], 6);
    pay(b, "30000", "400.00");
    pay(c, "10000", "100.00");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(user_json(&dir, a)["free_operations_left"], 6);
    assert_eq!(user_json(&dir, b)["free_operations_left"], 6);
    assert_eq!(user_json(&dir, c)["free_operations_left"], 4);
    let a_json = user_json(&dir, a);
    assert_eq!(
        (
            a_json["invited"].as_i64(),
            a_json["invited_topped_up"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(user_json(&dir, b)["invited_by"], a);
    assert!(
        ok(dir.path(), &["stats"]).contains("referrals:        1 invited, 1 topped up"),
        "{}",
        ok(dir.path(), &["stats"])
    );
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}

/// /payment ID for admins tells a top-up's story, as `payment show` does; a payer's "check payment"
/// that finds nothing says so and names SUPPORT_CONTACT.
#[test]
fn payment_diagnostics_in_the_bot() {
    let (dir, tg, yk) = (
        Scratch::new("bot-paydiag"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let bot = start(
        &dir,
        &tg,
        Some(&yk),
        &[
            ("ADMIN_TELEGRAM_IDS", "531"),
            ("SUPPORT_CONTACT", "@media_lab_help"),
        ],
    );
    let (admin, user) = (531, 532);
    let nothing = press(&tg, user, "check_payment");
    assert!(
        nothing.text().contains("Неоплаченных счетов")
            && nothing.text().contains("@media_lab_help"),
        "{}",
        nothing.text()
    );
    press(&tg, user, "topup:10000");
    let p = yk.payments().into_iter().next().expect("payment");
    yk.set_status(&p.id, "succeeded");
    notify(&bot, &yk, &p.id, "succeeded");
    wait_until(20, "the credit", || {
        user_json(&dir, user)["balance"] == "100.00"
    });
    let story = say(&tg, admin, &format!("/payment {}", p.id));
    let text = story.text();
    assert!(text.contains("(yookassa) user 532"), "{text}");
    assert!(text.contains("succeeded"), "{text}");
    assert!(text.lines().count() >= 3, "{text}");
}

/// The gzip'd SQLite file an admin received, opened: its integrity and its ledger rows.
fn opened_backup(dir: &Scratch, gz: &[u8]) -> (String, i64) {
    use std::io::Read;
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut plain)
        .expect("a gzip file");
    let path = dir.path().join("received.db");
    std::fs::write(&path, plain).expect("write");
    let conn = rusqlite::Connection::open(&path).expect("opens as SQLite");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM ledger", [], |r| r.get(0))
        .expect("rows");
    (check, rows)
}

/// /backup sends every admin a compressed, consistent copy that opens as SQLite and holds every row
/// committed before it; BACKUP_TO_ADMINS_HOURS sends one at start when none was ever sent.
#[test]
fn backups_reach_the_admins() {
    let (dir, tg) = (Scratch::new("bot-backup"), FakeTelegram::start());
    for n in 1..=30 {
        ok(
            dir.path(),
            &[
                "user",
                "credit",
                &(5000 + n).to_string(),
                "10",
                "--reason",
                "seed",
            ],
        );
    }
    let committed: i64 = rusqlite::Connection::open(dir.db())
        .expect("db")
        .query_row("SELECT count(*) FROM ledger", [], |r| r.get(0))
        .expect("rows");
    let _bot = start(
        &dir,
        &tg,
        None,
        &[
            ("ADMIN_TELEGRAM_IDS", "551,552"),
            ("BACKUP_TO_ADMINS_HOURS", "24"),
        ],
    );
    // The schedule's first backup, to both admins.
    wait_until(20, "the scheduled backup", || {
        tg.uploads()
            .iter()
            .filter(|(m, _, _)| m == "senddocument")
            .count()
            == 2
    });
    let (_, chat, gz) = tg
        .uploads()
        .into_iter()
        .find(|(m, _, _)| m == "senddocument")
        .expect("a document");
    assert!(chat == 551 || chat == 552);
    let (check, rows) = opened_backup(&dir, &gz);
    assert_eq!(check, "ok");
    assert!(rows >= committed, "{rows} of {committed} rows");
    // /backup does it once more.
    say(&tg, 551, "/start");
    let before = tg.uploads().len();
    tg.send_text(551, "/backup");
    wait_until(20, "the asked-for backup", || {
        tg.uploads().len() == before + 2
    });
    let caption = tg
        .calls()
        .into_iter()
        .rev()
        .find(|c| c.method == "senddocument" && c.chat() == 551)
        .expect("the document call");
    assert!(
        caption.body["caption"]
            .as_str()
            .unwrap_or("")
            .contains("Резервная копия"),
        "{:?}",
        caption.body
    );
    // No backup file is left beside the database.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".db.gz") || n.starts_with(".media_lab-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
