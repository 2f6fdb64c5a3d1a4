//! Refunds of top-ups that cannot be gamed (SPEC §4): the credit is held before the provider is
//! asked, a pending refund is followed to its end, a refund the provider made on its own leaves a
//! debt the next credits pay, and a refund takes back the referral bonus it earned. The real binary
//! against the fake Telegram and YooKassa.

mod common;

use common::Scratch;
use common::bot::{Running, balance, books_hold, number, pay_stars, press, say, start, user};
use common::fake_telegram::{FakeTelegram, TOKEN};
use common::fake_yookassa::{FakeYooKassa, SHOP_ID, TEST_KEY};
use common::{media_lab, ok, wait_until};
use std::process::{Command, Output};
use std::time::Duration;

const NO_FREE: (&str, &str) = ("FREE_OPERATIONS_COUNT", "0");

/// The binary for an admin verb with the Bot API (and YooKassa, when given) as the bot has them.
fn cli(dir: &Scratch, tg: &FakeTelegram, yk: Option<&FakeYooKassa>, args: &[&str]) -> Command {
    let mut cmd = media_lab(dir.path());
    cmd.env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .args(args);
    if let Some(yk) = yk {
        cmd.env("YOOKASSA_SHOP_ID", SHOP_ID)
            .env("YOOKASSA_SECRET_KEY", TEST_KEY)
            .env("YOOKASSA_API_URL", yk.url());
    }
    cmd
}

/// `media-lab payment refund ID`.
fn refund(dir: &Scratch, tg: &FakeTelegram, yk: Option<&FakeYooKassa>, id: &str) -> Output {
    cli(dir, tg, yk, &["payment", "refund", id])
        .output()
        .expect("payment refund")
}

fn reconcile(dir: &Scratch, tg: &FakeTelegram, yk: Option<&FakeYooKassa>) -> String {
    let out = cli(dir, tg, yk, &["reconcile", "--since", "2020-01-01"])
        .output()
        .expect("reconcile");
    text(&out)
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

fn payment(dir: &Scratch, id: &str) -> serde_json::Value {
    serde_json::from_str(&ok(dir.path(), &["payment", "show", id, "--json"])).expect("json")
}

/// A YooKassa top-up of 100 ₽ paid and notified: returns YooKassa's payment id.
fn card_topup(tg: &FakeTelegram, yk: &FakeYooKassa, bot: &Running, who: i64) -> String {
    let before = yk.payments().len();
    press(tg, who, "topup:10000");
    let p = yk
        .payments()
        .into_iter()
        .max_by_key(|p| p.created_at.clone())
        .expect("payment");
    assert_eq!(yk.payments().len(), before + 1);
    yk.set_status(&p.id, "succeeded");
    notify(
        bot,
        serde_json::json!({"type": "notification", "event": "payment.succeeded",
        "object": {"id": p.id, "status": "succeeded", "amount": {"value": "100.00", "currency": "RUB"}, "test": true}}),
    );
    p.id
}

fn notify(bot: &Running, body: serde_json::Value) {
    common::bot::post_notification(bot, &body);
}

/// Telegram takes 4 s to answer the refund while the payer tries to spend: the credit is held
/// first, so the spending is refused; never both.
#[test]
fn a_stars_refund_holds_the_credit_while_the_payer_spends() {
    let (dir, tg) = (Scratch::new("refund-race"), FakeTelegram::start());
    let who = 821;
    let _bot = start(&dir, &tg, None, &[NO_FREE, ("PRICE_PER_OPERATION", "50")]);
    let charge = pay_stars(&tg, who, 100);
    wait_until(20, "the credit", || balance(&dir, who) == "100.00");
    tg.delay_refunds(Some(Duration::from_secs(4)));
    let refunding = {
        let mut cmd = cli(&dir, &tg, None, &["payment", "refund", &charge]);
        std::thread::spawn(move || cmd.output().expect("refund"))
    };
    wait_until(10, "the hold", || {
        number(
            &dir,
            "SELECT count(*) FROM payments WHERE refund_state = 'refunding'",
        ) == 1
    });
    press(&tg, who, "mode:generate");
    let reply = say(&tg, who, "a red fox");
    assert!(reply.text().contains("Недостаточно"), "{}", reply.text());
    let out = refunding.join().expect("refund thread");
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(balance(&dir, who), "0.00");
    assert_eq!(
        number(
            &dir,
            &format!("SELECT count(*) FROM jobs WHERE telegram_id = {who}")
        ),
        0
    );
    assert_eq!(payment(&dir, &charge)["status"], "refunded");
    books_hold(&dir);
}

/// Two `payment refund` of one payment at once, on a balance that covers it: one refund.
#[test]
fn two_refunds_at_once_are_one() {
    let (dir, tg) = (Scratch::new("refund-twice"), FakeTelegram::start());
    let who = 822;
    let _bot = start(&dir, &tg, None, &[]);
    let charge = pay_stars(&tg, who, 100);
    wait_until(20, "the credit", || balance(&dir, who) == "100.00");
    ok(
        dir.path(),
        &["user", "credit", &who.to_string(), "50", "--reason", "gift"],
    );
    tg.delay_refunds(Some(Duration::from_millis(500)));
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let mut cmd = cli(&dir, &tg, None, &["payment", "refund", &charge]);
            std::thread::spawn(move || cmd.output().expect("refund"))
        })
        .collect();
    for run in runs {
        let out = run.join().expect("refund thread");
        assert!(
            out.status.success() || text(&out).contains("refunded already"),
            "{}",
            text(&out)
        );
    }
    assert_eq!(balance(&dir, who), "50.00");
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM ledger WHERE idempotency_key LIKE 'refund:%'"
        ),
        1
    );
    books_hold(&dir);
}

/// A YooKassa refund that stays pending holds the credit (not spendable); its success, told by a
/// notification, makes it the debit once. Another that YooKassa cancels gives the credit back when
/// `reconcile` follows it.
#[test]
fn a_pending_yookassa_refund_is_held_then_followed_to_its_end() {
    let (dir, tg, yk) = (
        Scratch::new("refund-pending"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let who = 823;
    let bot = start(&dir, &tg, Some(&yk), &[NO_FREE]);
    let first = card_topup(&tg, &yk, &bot, who);
    wait_until(20, "the credit", || balance(&dir, who) == "100.00");
    yk.refunds_start(Some("pending"));
    let out = refund(&dir, &tg, Some(&yk), &first);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("held"), "{}", text(&out));
    assert_eq!(payment(&dir, &first)["status"], "refunding");
    assert_eq!(balance(&dir, who), "0.00");
    press(&tg, who, "mode:generate");
    let reply = say(&tg, who, "a blue fox");
    assert!(reply.text().contains("Недостаточно"), "{}", reply.text());
    // Asked again while pending: still one refund, still held.
    let again = refund(&dir, &tg, Some(&yk), &first);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(yk.refunds(), 1);
    let done = yk.finish_refunds("pending", "succeeded");
    assert_eq!(done.len(), 1);
    notify(
        &bot,
        serde_json::json!({"type": "notification", "event": "refund.succeeded",
            "object": {"id": done[0], "payment_id": first, "status": "succeeded"}}),
    );
    wait_until(20, "the refund followed", || {
        payment(&dir, &first)["status"] == "refunded"
    });
    assert_eq!(balance(&dir, who), "0.00");

    let second = card_topup(&tg, &yk, &bot, who);
    wait_until(20, "the second credit", || balance(&dir, who) == "100.00");
    let out = refund(&dir, &tg, Some(&yk), &second);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(balance(&dir, who), "0.00");
    yk.finish_refunds("pending", "canceled");
    // The follower alone (here `reconcile`, which runs it too) ends it: the credit is back.
    reconcile(&dir, &tg, Some(&yk));
    assert_eq!(payment(&dir, &second)["status"], "succeeded");
    assert_eq!(balance(&dir, who), "100.00");
    drop(bot);
    books_hold(&dir);
}

/// A backup from before two refunds is restored: `reconcile` debits both once, a second run nothing.
#[test]
fn reconcile_debits_the_refunds_a_restore_lost() {
    let (dir, tg) = (Scratch::new("refund-restore"), FakeTelegram::start());
    let who = 824;
    let bot = start(&dir, &tg, None, &[]);
    let a = pay_stars(&tg, who, 100);
    wait_until(20, "the first credit", || balance(&dir, who) == "100.00");
    let b = pay_stars(&tg, who, 300);
    wait_until(20, "the second credit", || balance(&dir, who) == "400.00");
    let copy = dir.path().join("before.db");
    ok(dir.path(), &["backup", &copy.to_string_lossy()]);
    for charge in [&a, &b] {
        let out = refund(&dir, &tg, None, charge);
        assert!(out.status.success(), "{}", text(&out));
    }
    assert_eq!(balance(&dir, who), "0.00");
    bot.kill();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", dir.db().display()));
    }
    std::fs::copy(&copy, dir.db()).expect("restore");
    assert_eq!(balance(&dir, who), "400.00");
    let first = reconcile(&dir, &tg, None);
    assert!(first.contains("refunds debited 2"), "{first}");
    assert_eq!(balance(&dir, who), "0.00");
    let second = reconcile(&dir, &tg, None);
    assert!(
        second.contains("refunds debited 0, refunds already recorded 2"),
        "{second}"
    );
    assert_eq!(balance(&dir, who), "0.00");
    books_hold(&dir);
}

/// Telegram refunds Stars while 10 ₽ of them sit in a running job that then fails: the refund takes
/// what the balance holds and the rest is a debt, which the job's refund pays. Balance 0, books hold.
#[test]
fn a_refund_the_balance_no_longer_covers_leaves_a_debt_the_next_credit_pays() {
    let (dir, tg) = (Scratch::new("refund-debt"), FakeTelegram::start());
    let who = 825;
    let _bot = start(&dir, &tg, None, &[NO_FREE, ("JOB_TIMEOUT_SECS", "10")]);
    let charge = pay_stars(&tg, who, 100);
    wait_until(20, "the credit", || balance(&dir, who) == "100.00");
    press(&tg, who, "mode:generate");
    let reply = say(&tg, who, "a stuck fox [stuck]");
    assert!(reply.text().contains("Принято"), "{}", reply.text());
    assert_eq!(balance(&dir, who), "90.00");
    let invoice_payload = number(
        &dir,
        &format!("SELECT count(*) FROM payments WHERE charge_id = '{charge}'"),
    );
    assert_eq!(invoice_payload, 1);
    tg.refund_star(&charge);
    tg.send_refunded_payment(who, "", 100, &charge);
    wait_until(20, "the refund recorded", || {
        payment(&dir, &charge)["status"] == "refunded"
    });
    assert_eq!(balance(&dir, who), "0.00");
    assert_eq!(user(&dir, who)["debt"], "10.00");
    let show = ok(dir.path(), &["user", "show", &who.to_string()]);
    assert!(show.contains("debt"), "{show}");
    let check = ok(dir.path(), &["check"]);
    assert!(check.contains("owes 10.00"), "{check}");
    wait_until(60, "the stuck job refunded into the debt", || {
        user(&dir, who)["debt"] == "0.00"
    });
    assert_eq!(balance(&dir, who), "0.00");
    books_hold(&dir);
}

/// Referrals: a 1 ₽ top-up earns nothing; a 100 ₽ one earns the bonus for both; its refund takes the
/// unspent bonus back from both.
#[test]
fn a_referral_needs_a_real_top_up_and_its_refund_takes_the_bonus_back() {
    let (dir, tg) = (Scratch::new("refund-referral"), FakeTelegram::start());
    let (inviter, invitee) = (826, 827);
    let _bot = start(&dir, &tg, None, &[("STARS_TOPUP_AMOUNTS", "1,100")]);
    say(&tg, inviter, "/start");
    let screen = press(&tg, inviter, "invite");
    let code = screen
        .text()
        .split_whitespace()
        .find_map(|w| w.strip_prefix("https://t.me/media_lab_bot?start="))
        .expect("invite link")
        .to_string();
    say(&tg, invitee, &format!("/start {code}"));
    let ops = |id: i64| {
        user(&dir, id)["free_operations_left"]
            .as_i64()
            .expect("ops")
    };
    assert_eq!((ops(inviter), ops(invitee)), (4, 4));
    pay_stars(&tg, invitee, 1);
    wait_until(20, "the 1 ₽ credit", || balance(&dir, invitee) == "1.00");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!((ops(inviter), ops(invitee)), (4, 4), "1 ₽ earns nothing");
    let charge = pay_stars(&tg, invitee, 100);
    wait_until(20, "the bonus", || ops(inviter) == 6 && ops(invitee) == 6);
    let out = refund(&dir, &tg, None, &charge);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!((ops(inviter), ops(invitee)), (4, 4), "the bonus taken back");
    assert_eq!(balance(&dir, invitee), "1.00");
    books_hold(&dir);
}
