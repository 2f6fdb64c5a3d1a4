//! No update lost to a crash, and every reply delivered (SPEC §5b, §6): the real binary against the
//! fake Telegram, killed with SIGKILL the moment a getUpdates confirms the update under test.

mod common;

use common::Scratch;
use common::bot::{balance, books_hold, broadcast_left, number, press, say, start, users};
use common::fake_telegram::FakeTelegram;
use common::fake_yookassa::FakeYooKassa;
use common::{ok, wait_until};
use std::time::Duration;

/// A Stars payment whose update was confirmed to Telegram and then the bot died before (or while)
/// crediting it: after the restart it is credited exactly once. Three times over.
#[test]
fn a_paid_update_confirmed_then_killed_is_credited_once_after_restart() {
    let (dir, tg) = (Scratch::new("inbox-stars"), FakeTelegram::start());
    let user = 811;
    let mut bot = start(&dir, &tg, None, &[]);
    say(&tg, user, "/start");
    for round in 1..=3 {
        let mark = tg.mark();
        tg.press(user, "stars:100");
        let invoice = tg.wait_call(mark, "the invoice", |c| {
            c.method == "sendinvoice" && c.chat() == user
        });
        // The pre-checkout query is the next update, the successful payment the one after it.
        tg.kill_on_confirm(tg.last_update_id() + 2, bot.pid());
        let (answer, charge) = tg.pay_invoice(user, &invoice);
        assert_eq!(answer["ok"], true, "{answer}");
        assert!(charge.is_some());
        wait_until(20, "the kill on the confirming poll", || tg.killed());
        bot.kill();
        bot = start(&dir, &tg, None, &[]);
        let want = format!("{}.00", 100 * round);
        wait_until(20, "the credit after the restart", || {
            balance(&dir, user) == want
        });
    }
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(balance(&dir, user), "300.00");
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM ledger WHERE idempotency_key LIKE 'stars:%'"
        ),
        3
    );
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM updates WHERE handled_at IS NULL"
        ),
        0
    );
    books_hold(&dir);
}

/// A prompt confirmed and then killed: after the restart its job is queued once, charged once.
#[test]
fn a_prompt_confirmed_then_killed_queues_its_job_once() {
    let (dir, tg) = (Scratch::new("inbox-prompt"), FakeTelegram::start());
    let user = 812;
    let mut bot = start(&dir, &tg, None, &[]);
    press(&tg, user, "mode:generate");
    for round in 1..=3 {
        tg.kill_on_confirm(tg.last_update_id() + 1, bot.pid());
        tg.send_text(user, &format!("a fox number {round} [slow]"));
        wait_until(20, "the kill on the confirming poll", || tg.killed());
        bot.kill();
        bot = start(&dir, &tg, None, &[]);
        wait_until(20, "the job after the restart", || {
            number(
                &dir,
                &format!("SELECT count(*) FROM jobs WHERE telegram_id = {user}"),
            ) >= round
        });
    }
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(
        number(
            &dir,
            &format!("SELECT count(*) FROM jobs WHERE telegram_id = {user}")
        ),
        3
    );
    assert_eq!(
        number(
            &dir,
            &format!("SELECT count(*) FROM operations WHERE telegram_id = {user}")
        ),
        3
    );
    drop(bot);
    books_hold(&dir);
}

/// A payment Telegram took while its update never reached the bot (confirmed by a bot that died
/// before recording it, or lost): the running bot's Stars reconciler credits it within its period.
#[test]
fn the_stars_reconciler_credits_a_payment_whose_update_never_came() {
    let (dir, tg) = (Scratch::new("inbox-reconciler"), FakeTelegram::start());
    let user = 813;
    let _bot = start(&dir, &tg, None, &[("STARS_RECONCILE_SECS", "5")]);
    say(&tg, user, "/start");
    let mark = tg.mark();
    tg.press(user, "stars:300");
    let invoice = tg.wait_call(mark, "the invoice", |c| {
        c.method == "sendinvoice" && c.chat() == user
    });
    let payload = invoice.body["payload"]
        .as_str()
        .expect("payload")
        .to_string();
    // Telegram took the Stars; the successful_payment update is gone.
    tg.add_star_payment("stxgone1", user, 300, Some(&payload));
    wait_until(40, "the reconciler's credit", || {
        balance(&dir, user) == "300.00"
    });
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(balance(&dir, user), "300.00", "credited once");
    books_hold(&dir);
}

/// Flood control while a broadcast runs: every tap of a user who is talking to the bot is still
/// answered (the sends wait out retry_after), and nobody gets the broadcast twice.
#[test]
fn replies_survive_flood_control_during_a_broadcast() {
    let (dir, tg, yk) = (
        Scratch::new("inbox-flood"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    users(&dir, 30_000, 200);
    let _bot = start(&dir, &tg, Some(&yk), &[]);
    let user = 814;
    say(&tg, user, "/start");
    let file = dir.path().join("news.txt");
    std::fs::write(&file, "Новости недели").expect("text");
    let out = ok(
        dir.path(),
        &["broadcast", "--text-file", &file.to_string_lossy()],
    );
    assert!(out.contains("201"), "{out}");
    std::thread::sleep(Duration::from_millis(500));
    tg.flood(5);
    for data in ["payment_menu", "card_menu", "menu", "balance", "menu"] {
        let shown = press(&tg, user, data);
        assert!(!shown.text().is_empty(), "{data}: nothing shown");
    }
    wait_until(60, "the broadcast to finish", || broadcast_left(&dir) == 0);
    let calls = tg.calls();
    for id in 30_000..30_200 {
        let got = calls
            .iter()
            .filter(|c| c.chat() == id && c.text() == "Новости недели")
            .count();
        assert_eq!(got, 1, "user {id} got the broadcast {got} times");
    }
    assert!(tg.refused() >= 5, "flood control was exercised");
}

/// A user who blocked the bot is skipped by a broadcast; writing to the bot again brings them back.
#[test]
fn a_user_who_came_back_gets_the_next_broadcast() {
    let (dir, tg) = (Scratch::new("inbox-comeback"), FakeTelegram::start());
    let _bot = start(&dir, &tg, None, &[]);
    let (stays, left) = (815, 816);
    say(&tg, stays, "/start");
    say(&tg, left, "/start");
    tg.block(left);
    let file = dir.path().join("news.txt");
    let send = |text: &str| {
        std::fs::write(&file, text).expect("text");
        ok(
            dir.path(),
            &["broadcast", "--text-file", &file.to_string_lossy()],
        );
        wait_until(30, "the broadcast to finish", || broadcast_left(&dir) == 0);
    };
    send("первая новость");
    assert_eq!(
        number(
            &dir,
            &format!(
                "SELECT count(*) FROM users WHERE telegram_id = {left} AND blocked_at IS NOT NULL"
            )
        ),
        1
    );
    tg.unblock(left);
    say(&tg, left, "/start");
    let mark = tg.mark();
    send("вторая новость");
    tg.wait_call(mark, "the second broadcast to the returned user", |c| {
        c.chat() == left && c.text() == "вторая новость"
    });
}

/// A double tap on 🔁 is one job; 30 presses of 🔄 with 3 drafts ask YooKassa at most once per
/// draft per 10 s.
#[test]
fn double_taps_and_check_presses_are_bounded() {
    let (dir, tg, yk) = (
        Scratch::new("inbox-taps"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let _bot = start(&dir, &tg, Some(&yk), &[("YOOKASSA_RECHECK_SECS", "3600")]);
    let user = 817;
    press(&tg, user, "mode:generate");
    let mark = tg.mark();
    tg.send_text(user, "a lighthouse");
    let result = tg.wait_call(mark, "the result", |c| {
        c.method == "sendphoto" && c.chat() == user
    });
    let again = result
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("again:"))
        .expect("🔁 under the result")
        .1;
    let jobs = |dir: &Scratch| {
        number(
            dir,
            &format!("SELECT count(*) FROM jobs WHERE telegram_id = {user}"),
        )
    };
    assert_eq!(jobs(&dir), 1);
    tg.press(user, &again);
    std::thread::sleep(Duration::from_millis(30));
    tg.press(user, &again);
    wait_until(20, "the second job", || jobs(&dir) == 2);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(jobs(&dir), 2, "a double tap is one job");

    for amount in ["topup:10000", "topup:30000", "topup:50000"] {
        press(&tg, user, amount);
    }
    assert_eq!(yk.payments().len(), 3);
    let before = yk.requests().len();
    for _ in 0..30 {
        tg.press(user, "check_payment");
    }
    wait_until(30, "every press answered", || tg.pending_updates() == 0);
    std::thread::sleep(Duration::from_secs(2));
    let gets = yk.requests()[before..]
        .iter()
        .filter(|(m, p)| m == "GET" && p.starts_with("/v3/payments/"))
        .count();
    assert!(gets <= 3, "{gets} YooKassa questions for 30 presses");
}
