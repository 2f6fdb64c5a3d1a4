//! The bot end to end, 💰 the account: balance, history, unpaid invoices, referrals (Test 1).

mod common;

use common::bot::{notify, press, say, start, user as user_json};
use common::fake_telegram::FakeTelegram;
use common::fake_yookassa::FakeYooKassa;
use common::{Scratch, ok, wait_until};

/// Test 1: /balance shows the balance and the free operations (or the free-access status).
#[test]
fn test_1_balance() {
    let (dir, tg) = (Scratch::new("bot-t1"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    let reply = say(&tg, 201, "/balance");
    assert!(
        reply
            .text()
            .contains("💰 На балансе 0 ₽ · 🎁 4 бесплатные операции"),
        "{}",
        reply.text()
    );
    let labels: Vec<String> = reply.buttons().into_iter().map(|(l, _)| l).collect();
    assert!(
        labels.contains(&"💰 Пополнить".to_string()) && labels.contains(&"🎟️ Промокод".to_string()),
        "{labels:?}"
    );
    ok(dir.path(), &["user", "grant-free-access", "201"]);
    let reply = say(&tg, 201, "/balance");
    assert!(
        reply.text().contains("♾ безлимитный доступ"),
        "{}",
        reply.text()
    );
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
        pending.text().contains("Счёт на 300 ₽") && pending.text().contains("пока не оплачен"),
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

/// Referrals: A's invite link (🤝 from /balance, with a share button) ties B, who is new, once; B's
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
    // The invitation has its own screen, one tap from the balance (which stays short).
    let balance = say(&tg, a, "/balance");
    assert!(!balance.text().contains("start=ref_"), "{}", balance.text());
    assert!(
        balance.buttons().iter().any(|(_, d)| d == "invite"),
        "{:?}",
        balance.buttons()
    );
    let screen = press(&tg, a, "invite");
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
