//! The bot end to end, topping up: the payment menu, discount codes across drafts, custom amounts,
//! a kill between YooKassa's answer and our record, and the notice under flood control (Test 2).

mod common;

use common::bot::{apply_code, notify, press, say, start, user as user_json};
use common::fake_telegram::FakeTelegram;
use common::fake_yookassa::FakeYooKassa;
use common::{Scratch, ok, wait_until};

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
            .any(|(l, d)| l == "🎟️ Промокод" && d == "promo_topup"),
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
            .any(|(l, d)| l == "100 ₽ за 90 ₽ — 10 операций" && d == "topup:10000"),
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
    let mark = tg.mark();
    notify(&bot, &yk, &payment.id, "succeeded");
    let told = tg.wait_message(mark, 301, "the credit notice");
    assert!(
        told.text().contains("100 ₽") && told.text().contains("На балансе 100 ₽"),
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

#[test]
fn payments_not_configured_are_explained() {
    let (dir, tg) = (Scratch::new("bot-nopay"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[("STARS_ENABLED", "false")]);
    let reply = press(&tg, 701, "payment_menu");
    assert!(reply.text().contains("не настроена"), "{}", reply.text());
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
