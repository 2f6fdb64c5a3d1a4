//! The bot end to end, making things: modes and their inputs, free and paid operations, photos
//! over the limits, albums, and the request kept while the user tops up (seed section 12, Tests 3–4).

mod common;

use common::bot::{job_inputs, jobs, notify, press, say, start, user as user_json};
use common::fake_telegram::FakeTelegram;
use common::fake_yookassa::FakeYooKassa;
use common::{Scratch, ok};

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
    // The amounts themselves are under the shortfall (Stars here: no YooKassa configured).
    assert!(
        reply.buttons().iter().any(|(_, d)| d.starts_with("stars:")),
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
        got.text().contains("Получено фото: 3 (можно до 8)"),
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
    tg.wait_call(mark, "the preview", |c| {
        c.method == "sendphoto" && c.chat() == user
    });
    let mark = tg.mark();
    tg.press(user, "ts:done");
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
        got.text().contains("Получено фото: 2 (можно до 8)"),
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
    let wish = tg.wait_message(mark, user, "the wish question");
    assert!(wish.text().contains("Пропустить"), "{}", wish.text());
    let mark = tg.mark();
    tg.press(user, "skip");
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
