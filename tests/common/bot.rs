//! The real binary as a running bot, for the tests that talk to it: started against the fakes,
//! restarted, killed with SIGKILL when dropped (a crash, never a clean stop), and the user's side —
//! say, press, balance. The one harness the newer test files share.

use super::fake_fal::FakeFal;
use super::fake_telegram::{Call, FakeTelegram, TOKEN};
use super::fake_yookassa::{FakeYooKassa, SHOP_ID, TEST_KEY};
use super::{Scratch, free_addr, http_with, media_lab, ok, wait_healthy, wait_until};
use std::net::SocketAddr;
use std::process::{Child, Stdio};

/// A running `media-lab run`; SIGKILLed when dropped.
pub struct Running {
    pub child: Child,
    pub addr: SocketAddr,
    /// The fake fal this bot was given when the test did not bring its own.
    _fal: Option<FakeFal>,
}

impl Running {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL now, and wait for the process to be gone.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the bot on `dir`'s database against `tg` (and `yk` when given, and a fake fal), with
/// `extra` variables; returns once it is healthy and polling. After a restart it also waits until
/// what the killed one never confirmed is redelivered.
pub fn start(
    dir: &Scratch,
    tg: &FakeTelegram,
    yk: Option<&FakeYooKassa>,
    extra: &[(&str, &str)],
) -> Running {
    start_with(dir, tg, yk, None, extra)
}

/// `start`, against the test's own fake fal when it needs to steer or read it.
pub fn start_with(
    dir: &Scratch,
    tg: &FakeTelegram,
    yk: Option<&FakeYooKassa>,
    fal: Option<&FakeFal>,
    extra: &[(&str, &str)],
) -> Running {
    let addr = free_addr();
    let own_fal = fal.is_none().then(FakeFal::start);
    let fal_url = fal
        .or(own_fal.as_ref())
        .map(FakeFal::url)
        .unwrap_or_default();
    let mut cmd = media_lab(dir.path());
    cmd.env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .env("WEBHOOK_LISTEN", addr.to_string())
        .env("FAL_KEY", super::fake_fal::KEY)
        .env("FAL_QUEUE_URL", &fal_url)
        .env("FAL_API_URL", &fal_url)
        .env("TRUSTED_PROXIES", "127.0.0.1")
        // The reconciler at rest: a test decides when a payment is checked (`extra` may override).
        .env("YOOKASSA_RECHECK_SECS", "3600")
        .arg("run")
        .stderr(Stdio::from(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.path().join("stderr.log"))
                .expect("log file"),
        ));
    if let Some(yk) = yk {
        cmd.env("YOOKASSA_SHOP_ID", SHOP_ID)
            .env("YOOKASSA_SECRET_KEY", TEST_KEY)
            .env("YOOKASSA_API_URL", yk.url());
    }
    for (k, v) in extra {
        // `{listener}` stands for this bot's own address (WEB_BASE_URL in the web tests).
        cmd.env(k, v.replace("{listener}", &format!("http://{addr}")));
    }
    let polls = tg.get_updates_count();
    let mut child = cmd.spawn().expect("spawn media-lab");
    wait_healthy(addr, &mut child);
    wait_until(20, "the bot to poll", || tg.get_updates_count() > polls);
    if polls > 0 {
        wait_until(20, "redelivered updates confirmed", || {
            tg.pending_updates() == 0
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    Running {
        child,
        addr,
        _fal: own_fal,
    }
}

/// The binary with only `vars` (no Telegram to wait for: the listener and the payment processor);
/// returns once it is healthy.
pub fn listen(dir: &Scratch, vars: &[(&str, String)]) -> Running {
    let addr = free_addr();
    let mut cmd = media_lab(dir.path());
    cmd.env("WEBHOOK_LISTEN", addr.to_string())
        .arg("run")
        .stderr(Stdio::null());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn media-lab run");
    wait_healthy(addr, &mut child);
    Running {
        child,
        addr,
        _fal: None,
    }
}

/// `user` sends `text`; the bot's next message to them.
/// Runs a `media-lab` command that talks to the fake Telegram (`reconcile`, `payment refund`, …).
pub fn telegram_cli(dir: &Scratch, tg: &FakeTelegram, args: &[&str]) -> std::process::Output {
    media_lab(dir.path())
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .args(args)
        .output()
        .expect("media-lab")
}

pub fn say(tg: &FakeTelegram, user: i64, text: &str) -> Call {
    let mark = tg.mark();
    tg.send_text(user, text);
    tg.wait_message(mark, user, text)
}

/// `user` presses a button with `data`; what the press shows (a new message or that one edited).
pub fn press(tg: &FakeTelegram, user: i64, data: &str) -> Call {
    let mark = tg.mark();
    let pressed_on = tg.press(user, data);
    tg.wait_shown(mark, user, pressed_on, data)
}

/// `user show --json`.
pub fn user(dir: &Scratch, id: i64) -> serde_json::Value {
    serde_json::from_str(&ok(
        dir.path(),
        &["user", "show", &id.to_string(), "--json"],
    ))
    .expect("user json")
}

/// The user's balance as `user show` prints it ("100.00").
pub fn balance(dir: &Scratch, id: i64) -> String {
    user(dir, id)["balance"]
        .as_str()
        .expect("balance")
        .to_string()
}

/// One number from the database (a count, a sum).
pub fn number(dir: &Scratch, sql: &str) -> i64 {
    rusqlite::Connection::open(dir.db())
        .expect("db")
        .query_row(sql, [], |r| r.get(0))
        .expect("query")
}

/// `check` passes and says the books hold.
pub fn books_hold(dir: &Scratch) {
    let out = ok(dir.path(), &["check"]);
    assert!(out.contains("the books hold"), "{out}");
}

/// The user pays a Stars invoice for `stars` through the bot; returns the charge id.
pub fn pay_stars(tg: &FakeTelegram, user: i64, stars: u32) -> String {
    let mark = tg.mark();
    tg.press(user, &format!("stars:{stars}"));
    let invoice = tg.wait_call(mark, "the invoice", |c| {
        c.method == "sendinvoice" && c.chat() == user
    });
    let mark = tg.mark();
    let (answer, charge) = tg.pay_invoice(user, &invoice);
    assert_eq!(answer["ok"], true, "{answer}");
    // Done when the payer is told (the next reply is then the test's own).
    tg.wait_call(mark, "the credited notice", |c| {
        c.chat() == user && c.text().contains("пополнен")
    });
    charge.expect("paid")
}

/// `n` users from id `first` on who have written to the bot (their first update recorded) but have
/// no Telegram profile (no username, no language): made directly in a migrated database.
pub fn users(dir: &Scratch, first: i64, n: i64) {
    ok(dir.path(), &["migrate"]);
    let conn = rusqlite::Connection::open(dir.db()).expect("db");
    for id in first..first + n {
        conn.execute(
            "INSERT INTO users (telegram_id, username, language_code, created_at, first_update_at)
             VALUES (?1, NULL, NULL, 1, 1)",
            [id],
        )
        .expect("user");
        conn.execute(
            "INSERT INTO balances (telegram_id, kopecks, updated_at) VALUES (?1, 0, 1)",
            [id],
        )
        .expect("balance");
    }
}

/// Broadcast sends not made yet (pending or in flight).
pub fn broadcast_left(dir: &Scratch) -> i64 {
    number(
        dir,
        "SELECT count(*) FROM broadcast_recipients WHERE status IN ('pending', 'sending')",
    )
}

/// Posts YooKassa's notification of `payment`'s status at the fake, as YooKassa's address would.
pub fn notify(bot: &Running, yk: &FakeYooKassa, payment: &str, status: &str) {
    let p = yk.payment(payment).expect("payment at the fake");
    let body = serde_json::json!({"type": "notification", "event": format!("payment.{status}"),
        "object": {"id": payment, "status": status, "amount": {"value": p.value, "currency": "RUB"}, "test": true}});
    post_notification(bot, &body);
}

/// Posts `body` to the bot's YooKassa webhook from YooKassa's address; it must be accepted.
pub fn post_notification(bot: &Running, body: &serde_json::Value) {
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
pub fn apply_code(tg: &FakeTelegram, user: i64, code: &str) {
    press(tg, user, "promo_topup");
    let mark = tg.mark();
    tg.send_text(user, code);
    tg.wait_call(mark, "the menu after the code", |c| {
        c.chat() == user && !c.buttons().is_empty()
    });
}

/// The inputs of `user`'s jobs, oldest first.
pub fn job_inputs(dir: &Scratch, user: i64) -> Vec<serde_json::Value> {
    let conn = rusqlite::Connection::open(dir.db()).expect("open");
    let mut stmt = conn
        .prepare("SELECT input FROM jobs WHERE telegram_id = ?1 ORDER BY id")
        .expect("prepare");
    stmt.query_map([user], |r| r.get::<_, String>(0))
        .expect("query")
        .map(|j| serde_json::from_str(&j.expect("row")).expect("json"))
        .collect()
}

/// Jobs in the database.
pub fn jobs(dir: &Scratch) -> i64 {
    number(dir, "SELECT count(*) FROM jobs")
}
