//! The support inbox (SPEC §6c) end to end: a user's message reaches every admin once with who wrote
//! and their money; an admin's reply to that copy, /reply and `media-lab support reply` reach the user;
//! the user's next message joins the same ticket; a kill right after the user's message still
//! delivers it to each admin exactly once.

mod common;

use common::bot::{press, say, start};
use common::fake_telegram::{Call, FakeTelegram};
use common::{Scratch, ok, wait_until};

const ADMINS: [i64; 2] = [7001, 7002];

fn admins() -> String {
    format!("{},{}", ADMINS[0], ADMINS[1])
}

/// The support copies an admin got.
fn copies(tg: &FakeTelegram, admin: i64) -> Vec<Call> {
    tg.calls()
        .into_iter()
        .filter(|c| c.chat() == admin && c.text().contains("бращение №"))
        .collect()
}

fn answers(tg: &FakeTelegram, user: i64) -> Vec<Call> {
    tg.calls()
        .into_iter()
        .filter(|c| c.chat() == user && c.text().starts_with("💬 Ответ поддержки"))
        .collect()
}

#[test]
fn a_question_reaches_every_admin_and_the_answers_come_back() {
    let (dir, tg) = (Scratch::new("support"), FakeTelegram::start());
    let user = 3101;
    ok(
        dir.path(),
        &[
            "user",
            "credit",
            &user.to_string(),
            "42",
            "--reason",
            "test",
        ],
    );
    let bot = start(&dir, &tg, None, &[("ADMIN_TELEGRAM_IDS", &admins())]);
    for admin in ADMINS {
        say(&tg, admin, "/start");
    }

    let menu = say(&tg, user, "/start");
    assert!(
        menu.buttons()
            .iter()
            .any(|(l, d)| l == "🆘 Помощь" && d == "help"),
        "{:?}",
        menu.buttons()
    );
    let help = press(&tg, user, "help");
    assert!(help.buttons().iter().any(|(_, d)| d == "support"));
    let ask = press(&tg, user, "support");
    assert!(ask.text().contains("Напишите ваш вопрос"), "{}", ask.text());
    let filed = say(&tg, user, "Оплатил 300 ₽ картой, а баланс не вырос");
    assert!(filed.text().contains("обращение №1"), "{}", filed.text());

    for admin in ADMINS {
        wait_until(20, "the copy for an admin", || {
            copies(&tg, admin).len() == 1
        });
        let copy = &copies(&tg, admin)[0];
        assert!(
            copy.text().contains("№1")
                && copy.text().contains(&format!("id {user}"))
                && copy.text().contains("Баланс 42 ₽")
                && copy.text().contains("Оплатил 300 ₽ картой"),
            "{}",
            copy.text()
        );
    }

    // The first admin replies to the copy: the user gets it.
    let copy = copies(&tg, ADMINS[0]).remove(0);
    let mark = tg.mark();
    tg.send_reply(
        ADMINS[0],
        copy.sent_id(),
        "Проверили: платёж зачислен, обновите баланс.",
    );
    let confirmed = tg.wait_message(mark, ADMINS[0], "the admin's confirmation");
    assert!(
        confirmed.text().contains("отправлен"),
        "{}",
        confirmed.text()
    );
    wait_until(20, "the answer for the user", || {
        answers(&tg, user).len() == 1
    });
    let answer = &answers(&tg, user)[0];
    assert!(
        answer.text().contains("платёж зачислен"),
        "{}",
        answer.text()
    );
    assert!(answer.buttons().iter().any(|(_, d)| d == "support"));

    // The user writes back: the same ticket, copied again.
    press(&tg, user, "support");
    let filed = say(&tg, user, "Спасибо, вижу!");
    assert!(filed.text().contains("№1"), "{}", filed.text());
    wait_until(20, "the second copy", || copies(&tg, ADMINS[1]).len() == 2);

    // /reply from the second admin, then the CLI.
    say(&tg, ADMINS[1], "/reply 1 Рады помочь");
    wait_until(20, "the /reply answer", || answers(&tg, user).len() == 2);
    let file = dir.path().join("answer.txt");
    std::fs::write(&file, "Закрываем обращение.").expect("answer file");
    ok(
        dir.path(),
        &[
            "support",
            "reply",
            "1",
            "--text-file",
            &file.to_string_lossy(),
        ],
    );
    wait_until(20, "the CLI answer", || answers(&tg, user).len() == 3);
    let shown = ok(dir.path(), &["support", "show", "1"]);
    assert!(
        shown.contains("Оплатил 300")
            && shown.contains("Рады помочь")
            && shown.contains("admin (cli)"),
        "{shown}"
    );
    ok(dir.path(), &["support", "close", "1"]);
    assert!(ok(dir.path(), &["support", "list", "--open"]).contains("no tickets"));
    // After the close, a new message opens a new ticket.
    press(&tg, user, "support");
    assert!(say(&tg, user, "Ещё вопрос").text().contains("обращение №2"));
    std::thread::sleep(std::time::Duration::from_millis(500));
    for admin in ADMINS {
        assert_eq!(
            copies(&tg, admin).len(),
            3,
            "each message copied once to each admin"
        );
    }
    drop(bot);
}

/// Killed right after the user's message was confirmed: after the restart each admin gets it once.
#[test]
fn a_question_survives_a_kill_and_reaches_each_admin_once() {
    let (dir, tg) = (Scratch::new("support-kill"), FakeTelegram::start());
    let user = 3102;
    let vars = [("ADMIN_TELEGRAM_IDS", admins())];
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bot = start(&dir, &tg, None, &vars);
    for admin in ADMINS {
        say(&tg, admin, "/start");
    }
    say(&tg, user, "/paysupport");
    tg.kill_on_confirm(tg.last_update_id() + 1, bot.pid());
    tg.send_text(user, "Не пришли звёзды");
    wait_until(20, "the kill on the confirming poll", || tg.killed());
    bot.kill();
    let _bot = start(&dir, &tg, None, &vars);
    for admin in ADMINS {
        wait_until(20, "the copy after the restart", || {
            copies(&tg, admin).len() == 1
        });
    }
    std::thread::sleep(std::time::Duration::from_secs(2));
    for admin in ADMINS {
        assert_eq!(copies(&tg, admin).len(), 1, "exactly once");
    }
    assert!(ok(dir.path(), &["support", "list"]).contains("Не пришли звёзды"));
}

/// 🤖 answers from instructions written from what is in force (PRICE_UPSCALE=17 is in them, and the
/// asker's balance), for free; the ASSISTANT_DAILY_LIMIT+1-th question is refused without a call; a
/// failed call says so and costs nothing.
#[test]
fn the_assistant_knows_todays_prices_and_keeps_its_limit() {
    let (dir, tg, fal) = (
        Scratch::new("assistant"),
        FakeTelegram::start(),
        common::fake_fal::FakeFal::start(),
    );
    let user = 3103;
    ok(
        dir.path(),
        &[
            "user",
            "credit",
            &user.to_string(),
            "33",
            "--reason",
            "test",
        ],
    );
    let _bot = common::bot::start_with(
        &dir,
        &tg,
        None,
        Some(&fal),
        &[("PRICE_UPSCALE", "17"), ("ASSISTANT_DAILY_LIMIT", "2")],
    );
    press(&tg, user, "help");
    let ask = press(&tg, user, "assistant");
    assert!(
        ask.text().contains("осталось вопросов: 2"),
        "{}",
        ask.text()
    );
    let answer = say(&tg, user, "Сколько стоит улучшить фото?");
    assert_eq!(answer.text(), "Ответ: Сколько стоит улучшить фото?");
    let sent = &fal.submits()[0];
    assert_eq!(sent.endpoint, "fal-ai/any-llm");
    assert_eq!(sent.input["model"], "google/gemini-2.5-flash");
    let system = sent.input["system_prompt"].as_str().unwrap_or_default();
    assert!(
        system.contains("17 ₽") && system.contains("balance 33 ₽") && system.contains("Russian"),
        "{system}"
    );
    // A failed call: said so, not counted.
    let failed = say(&tg, user, "А если [500]?");
    assert!(failed.text().contains("не отвечает"), "{}", failed.text());
    let second = say(&tg, user, "А ретушь?");
    assert!(second.text().starts_with("Ответ:"), "{}", second.text());
    assert!(
        fal.submits()[2].input["prompt"]
            .as_str()
            .is_some_and(|p| p.contains("Сколько стоит улучшить фото?")),
        "the last turns go with the question"
    );
    let before = fal.submits().len();
    let refused = say(&tg, user, "И последний вопрос");
    assert!(refused.text().contains("закончились"), "{}", refused.text());
    assert_eq!(fal.submits().len(), before, "no call past the limit");
    assert_eq!(
        common::bot::user(&dir, user)["balance"],
        "33.00",
        "the assistant is free"
    );
}

/// ✍️: the idea reaches the language model, the prompt comes back with its three buttons for 3 ₽,
/// «Создать по нему» leads to generate with that prompt, and a failure refunds the 3 ₽ once.
#[test]
fn the_prompt_writer_is_paid_made_into_a_picture_and_refunded_on_failure() {
    let (dir, tg, fal) = (
        Scratch::new("writer"),
        FakeTelegram::start(),
        common::fake_fal::FakeFal::start(),
    );
    let user = 3104;
    common::jobs::credit(&dir, user, "20");
    let _bot = common::jobs::start(&dir, &tg, &fal, &[]);
    let balance = || {
        common::bot::user(&dir, user)["balance"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let menu = say(&tg, user, "/start");
    assert!(
        menu.buttons()
            .iter()
            .any(|(l, d)| l == "✍️ Написать" && d == "write")
    );
    let ask = press(&tg, user, "write");
    assert!(ask.text().contains("3 ₽"), "{}", ask.text());
    let written = say(&tg, user, "девушка на пляже");
    assert!(
        written.text().contains("Ответ: девушка на пляже"),
        "{}",
        written.text()
    );
    let data: Vec<String> = written.buttons().into_iter().map(|(_, d)| d).collect();
    assert!(
        data.iter().any(|d| d.starts_with("useprompt:"))
            && data.iter().any(|d| d.starts_with("reprompt:"))
            && data.iter().any(|d| d == "menu"),
        "{data:?}"
    );
    let asked = &fal.submits()[0];
    assert_eq!(asked.endpoint, "fal-ai/any-llm");
    assert_eq!(asked.input["prompt"], "девушка на пляже");
    assert_eq!(balance(), "17.00", "3 ₽ for the prompt");

    let make = data
        .iter()
        .find(|d| d.starts_with("useprompt:"))
        .expect("make");
    let screen = press(&tg, user, make);
    assert!(
        screen.text().contains("Ответ: девушка на пляже"),
        "{}",
        screen.text()
    );
    assert!(screen.buttons().iter().any(|(_, d)| d == "offer:generate"));
    let accepted = press(&tg, user, "offer:generate");
    assert!(accepted.text().contains("Принято"), "{}", accepted.text());
    let picture = fal
        .submits()
        .into_iter()
        .find(|s| s.endpoint != "fal-ai/any-llm")
        .expect("the picture's request");
    assert_eq!(picture.input["prompt"], "Ответ: девушка на пляже");
    wait_until(20, "the picture", || {
        common::jobs::photos_to(&tg, user) == 1
    });
    assert_eq!(balance(), "7.00");

    // A failure: said, and the 3 ₽ come back once.
    press(&tg, user, "write");
    let failed = say(&tg, user, "кот [500]");
    assert!(
        failed.text().contains("Не получилось") && failed.text().contains("3 ₽"),
        "{}",
        failed.text()
    );
    assert_eq!(balance(), "7.00");
    let conn = common::jobs::db(&dir);
    let refunds: i64 = conn
        .query_row(
            "SELECT count(*) FROM ledger l JOIN operations o ON o.id = l.operation_id
              WHERE o.mode = 'prompt' AND l.kind = 'refund'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(refunds, 1);
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}
