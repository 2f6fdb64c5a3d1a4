//! Broadcasts end to end: `media-lab broadcast` queues, the running bot sends at its pace through
//! 429s and blocked users, a kill -9 halfway resumes without sending anyone the message twice; and
//! /broadcast in the bot previews, counts and, once confirmed, reports progress in one message.

mod common;

use common::bot::{broadcast_left, users};

/// The bot with no YooKassa.
fn start(dir: &Scratch, tg: &FakeTelegram, extra: &[(&str, &str)]) -> common::bot::Running {
    common::bot::start(dir, tg, None, extra)
}
use common::fake_telegram::FakeTelegram;
use common::{Scratch, ok, wait_until};
use std::collections::HashMap;

const TEXT: &str = "Новые режимы уже в боте — загляните! <b>не разметка</b>";

#[test]
fn a_broadcast_reaches_everyone_once_at_its_pace_through_429s_blocks_and_a_kill() {
    let (dir, tg) = (Scratch::new("broadcast"), FakeTelegram::start());
    users(&dir, 10_000, 300);
    for id in 10_000..10_010 {
        tg.block(id);
    }
    let file = dir.path().join("message.txt");
    std::fs::write(&file, TEXT).expect("text");
    let file = file.to_string_lossy().to_string();
    let dry = ok(
        dir.path(),
        &["broadcast", "--text-file", &file, "--dry-run"],
    );
    assert!(dry.contains("300 users would get it"), "{dry}");
    let paying = ok(
        dir.path(),
        &[
            "broadcast",
            "--text-file",
            &file,
            "--dry-run",
            "--only-paying",
        ],
    );
    assert!(paying.contains("0 users would get it"), "{paying}");
    let queued = ok(dir.path(), &["broadcast", "--text-file", &file]);
    assert!(queued.contains("queued for 300 users"), "{queued}");

    let bot = start(&dir, &tg, &[]);
    tg.flood(5);
    let delivered = |tg: &FakeTelegram| -> HashMap<i64, usize> {
        let mut per_user = HashMap::new();
        for c in tg.calls() {
            if c.method == "sendmessage" && c.text() == TEXT {
                *per_user.entry(c.chat()).or_insert(0) += 1;
            }
        }
        per_user
    };
    wait_until(60, "half of it sent", || delivered(&tg).len() >= 150);
    drop(bot); // kill -9 halfway
    let _bot = start(&dir, &tg, &[]);
    wait_until(90, "the rest sent", || broadcast_left(&dir) == 0);

    let per_user = delivered(&tg);
    assert!(per_user.values().all(|n| *n == 1), "somebody got it twice");
    let conn = rusqlite::Connection::open(dir.db()).expect("db");
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let unknown = count("SELECT count(*) FROM broadcast_recipients WHERE status = 'unknown'");
    assert!(unknown <= 1, "{unknown} lost to the kill");
    // A send the kill caught between Telegram's answer and our record is `unknown`: it may have
    // arrived or not, and is never sent again.
    let got = per_user.len() as i64;
    assert!(
        (290 - unknown..=290).contains(&got),
        "{got} delivered, {unknown} unknown"
    );
    assert!(
        per_user.keys().all(|id| *id >= 10_010),
        "a blocked user got it"
    );
    assert_eq!(
        count("SELECT count(*) FROM users WHERE blocked_at IS NOT NULL"),
        10
    );
    assert_eq!(
        count("SELECT count(*) FROM broadcast_recipients WHERE status = 'blocked'"),
        10
    );
    // Never more than 25 in any second (the fake saw every arrival).
    let busiest = tg.busiest_second(|chat| chat >= 10_000);
    assert!(busiest <= 25, "{busiest} messages in one second");
    eprintln!("busiest second: {busiest} messages; lost to the kill: {unknown}");
    // A later broadcast skips those who blocked the bot.
    let again = ok(
        dir.path(),
        &["broadcast", "--text-file", &file, "--dry-run"],
    );
    assert!(again.contains("290 users would get it"), "{again}");
}

/// /broadcast for an admin: the preview shows the message as users get it (entities kept, nothing
/// parsed), with the number of recipients; confirmed, it is sent and the admin's one progress
/// message ends as the summary.
#[test]
fn an_admin_previews_confirms_and_follows_a_broadcast() {
    let (dir, tg) = (Scratch::new("broadcast-bot"), FakeTelegram::start());
    users(&dir, 20_000, 5);
    let _bot = start(&dir, &tg, &[("ADMIN_TELEGRAM_IDS", "20000")]);
    let admin = 20_000;
    let mark = tg.mark();
    tg.send_text(admin, "/broadcast");
    tg.wait_message(mark, admin, "the broadcast question");
    let mark = tg.mark();
    tg.send_raw_message(
        admin,
        serde_json::json!({"text": "Скидка 20% сегодня", "entities": [{"type": "bold", "offset": 7, "length": 3}]}),
    );
    let preview = tg.wait_message(mark, admin, "the preview");
    assert_eq!(preview.text(), "Скидка 20% сегодня");
    assert_eq!(preview.body["entities"][0]["type"], "bold");
    assert!(preview.body.get("parse_mode").is_none());
    let confirm = tg.wait_call(mark, "the confirmation", |c| {
        c.chat() == admin && c.text().contains("Получателей: 4")
    });
    assert!(
        confirm.buttons().iter().any(|(_, d)| d == "broadcast_send"),
        "{:?}",
        confirm.buttons()
    );
    tg.press(admin, "broadcast_send");
    wait_until(20, "the summary", || {
        tg.calls()
            .iter()
            .any(|c| c.chat() == admin && c.text().contains("завершена: доставлено 4"))
    });
    let got: Vec<i64> = tg
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendmessage" && c.text() == "Скидка 20% сегодня")
        .map(|c| c.chat())
        .collect();
    // The admin saw the preview and is not sent the broadcast again.
    assert_eq!(got.len(), 5, "{got:?}");
    assert_eq!(got.iter().filter(|c| **c == admin).count(), 1, "{got:?}");
    // Each user's copy leads into the bot.
    for c in tg.calls().into_iter().filter(|c| {
        c.method == "sendmessage" && c.text() == "Скидка 20% сегодня" && c.chat() != admin
    }) {
        assert!(
            c.buttons().iter().any(|(_, d)| d == "menu"),
            "{:?}",
            c.buttons()
        );
    }
    // The progress is one message, the confirmation's, edited to the summary, with a way on.
    let progress: Vec<_> = tg
        .calls()
        .into_iter()
        .filter(|c| c.chat() == admin && c.text().contains("Рассылка №"))
        .collect();
    assert!(
        progress.iter().all(|c| c.method == "editmessagetext"),
        "{:?}",
        progress
            .iter()
            .map(|c| (&c.method, c.text()))
            .collect::<Vec<_>>()
    );
    let ids: std::collections::HashSet<String> = progress
        .iter()
        .map(|c| c.body["message_id"].to_string())
        .collect();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert!(progress.iter().all(|c| !c.buttons().is_empty()));
}
