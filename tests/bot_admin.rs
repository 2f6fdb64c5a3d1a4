//! The bot end to end, for admins: /credit, /grant, /stats, /payment and backups to their chats.

mod common;

use common::bot::{jobs, notify, press, say, start, user as user_json};
use common::fake_telegram::FakeTelegram;
use common::fake_yookassa::FakeYooKassa;
use common::{Scratch, ok, wait_until};

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
    // In the admin's language, money written as in the rest of the bot.
    assert!(text.contains("(ЮKassa), пользователь 532"), "{text}");
    assert!(
        text.contains("зачисление 100 ₽") && text.contains("оплачен"),
        "{text}"
    );
    assert!(text.contains("проверено в ЮKassa: зачислено"), "{text}");
    assert!(!text.contains("RUB") && !text.contains("credit"), "{text}");
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
