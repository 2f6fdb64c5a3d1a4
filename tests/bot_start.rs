//! The bot end to end, the front door: /start and the menu, junk updates, what the bot tells
//! Telegram about itself, navigation, and input outside any mode.

mod common;

use common::bot::{job_inputs, jobs, press, say, start, user as user_json};
use common::fake_telegram::FakeTelegram;
use common::fake_yookassa::FakeYooKassa;
use common::{Scratch, ok, wait_until};

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
        buttons.contains(&("💰 Оплатить / Баланс".to_string(), "balance".to_string())),
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
    assert!(
        reply.text().contains("Текст слишком длинный"),
        "{}",
        reply.text()
    );
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
    assert!(reply.text().contains("На балансе"), "{}", reply.text());
    assert_eq!(jobs(&dir), 0);
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
            && offer
                .text()
                .contains("Спишется бесплатная операция (осталось 2)"),
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
    let wish = press(&tg, user, "offer:retouch");
    assert!(wish.text().contains("Пропустить"), "{}", wish.text());
    let accepted = press(&tg, user, "skip");
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
    press(&tg, user, "skip");
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
