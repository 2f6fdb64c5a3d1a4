//! The second UX review's checks (`ux-review-2.md`), end to end against the fake Telegram: prices
//! on buttons are this user's, the status message only moves forward and a waiting job says so at
//! once, a pay link is two taps from a shortfall, the checkout speaks the payer's language, a
//! request can be changed from its old words, and small talk is not taken for a picture.

mod common;

use common::bot::{press, say, start_with};
use common::fake_fal::FakeFal;
use common::fake_telegram::{Call, FakeTelegram};
use common::fake_yookassa::FakeYooKassa;
use common::jobs::{credit, generate, photos_to};
use common::{Scratch, ok, wait_until};

fn photo_to(tg: &FakeTelegram, user: i64, nth: usize) -> Call {
    tg.calls()
        .into_iter()
        .filter(|c| c.method == "sendphoto" && c.chat() == user)
        .nth(nth)
        .expect("the photo")
}

/// 🔁 under a result carries the price this user would pay for one more: «бесплатно» with free
/// access (or free operations left), the price for a paying user. An upscale has no 🔁 (it is not
/// a variant) but offers to edit the picture.
#[test]
fn the_one_more_button_says_this_users_price() {
    let (dir, tg, fal) = (
        Scratch::new("review-again"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let (paying, free) = (2401, 2402);
    credit(&dir, paying, "50");
    credit(&dir, free, "1");
    ok(
        dir.path(),
        &["user", "grant-free-access", &free.to_string()],
    );
    let _bot = common::jobs::start(&dir, &tg, &fal, &[]);

    generate(&tg, paying, "рыжая лиса в снегу");
    wait_until(20, "the paying user's picture", || {
        photos_to(&tg, paying) == 1
    });
    let photo = photo_to(&tg, paying, 0);
    let again = &photo.buttons()[0].0;
    assert_eq!(again, "🔁 Ещё вариант · 10 ₽", "{:?}", photo.buttons());
    let caption = photo.text();
    assert!(
        caption.contains("«рыжая лиса в снегу»") && caption.contains("💳 10 ₽"),
        "the caption says what was made and what it cost: {caption}"
    );

    generate(&tg, free, "синий кит");
    wait_until(20, "the free user's picture", || photos_to(&tg, free) == 1);
    let photo = photo_to(&tg, free, 0);
    assert_eq!(
        photo.buttons()[0].0,
        "🔁 Ещё вариант · бесплатно",
        "{:?}",
        photo.buttons()
    );

    // Upscale of that picture: its result offers editing, not «one more».
    let job = photo.buttons()[0]
        .1
        .trim_start_matches("again:")
        .to_string();
    tg.press(free, &format!("upres:{job}"));
    wait_until(20, "the upscale", || photos_to(&tg, free) == 2);
    let upscaled = photo_to(&tg, free, 1);
    let data: Vec<String> = upscaled.buttons().into_iter().map(|(_, d)| d).collect();
    assert!(
        !data.iter().any(|d| d.starts_with("again:"))
            && data.iter().any(|d| d.starts_with("editres:")),
        "{data:?}"
    );
    assert!(
        upscaled.text().contains("увеличено"),
        "a photo mode's caption says what was done: {}",
        upscaled.text()
    );
}

/// Every text a user saw in a chat: messages, edits, captions.
fn texts_to(tg: &FakeTelegram, user: i64, from: usize) -> Vec<String> {
    tg.calls()
        .into_iter()
        .skip(from)
        .filter(|c| c.chat() == user)
        .filter(|c| {
            matches!(
                c.method.as_str(),
                "sendmessage" | "editmessagetext" | "sendphoto"
            )
        })
        .map(|c| c.text().to_string())
        .collect()
}

/// A job that starts at once never hears «в очереди»; a job behind a busy worker hears its place
/// in the very message that accepts it, and sees the chat action right away.
#[test]
fn the_queue_is_mentioned_only_when_a_job_waits() {
    let (dir, tg, fal) = (
        Scratch::new("review-queue"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let (alone, busy, waiting) = (2411, 2412, 2413);
    for user in [alone, busy, waiting] {
        credit(&dir, user, "50");
    }
    let _bot = common::jobs::start(&dir, &tg, &fal, &[("WORKER_CONCURRENCY", "1")]);

    let mark = tg.mark();
    generate(&tg, alone, "маяк на закате");
    wait_until(20, "the picture", || photos_to(&tg, alone) == 1);
    wait_until(10, "done", || {
        texts_to(&tg, alone, mark)
            .iter()
            .any(|t| t.contains("Готово"))
    });
    let seen = texts_to(&tg, alone, mark);
    assert!(
        !seen.iter().any(|t| t.to_lowercase().contains("очеред")),
        "a job alone is never queued: {seen:#?}"
    );

    // One job holds the only worker; the next one waits behind it.
    generate(&tg, busy, "долгий запрос [slow]");
    wait_until(10, "the first job to run", || !fal.submits().is_empty());
    let mark = tg.mark();
    press(&tg, waiting, "mode:generate");
    tg.send_text(waiting, "кот в шляпе");
    let accepted = tg.wait_message(mark, waiting, "accepted");
    assert!(
        accepted.text().contains("В очереди: перед вами 1 запрос"),
        "{}",
        accepted.text()
    );
    let accepted_at = tg
        .calls()
        .iter()
        .position(|c| {
            c.method == "sendmessage" && c.chat() == waiting && c.text().contains("Принято")
        })
        .expect("accepted");
    let action_at = tg
        .calls()
        .iter()
        .skip(mark)
        .position(|c| c.method == "sendchataction" && c.chat() == waiting)
        .map(|i| i + mark)
        .expect("a chat action for the waiting job");
    assert!(
        action_at < accepted_at,
        "the chat action comes with the acceptance"
    );
    // Its turn comes when the slow job is done; then it runs and the status moves forward.
    wait_until(30, "the waiting job's picture", || {
        photos_to(&tg, waiting) == 1
    });
    let seen = texts_to(&tg, waiting, mark);
    let queued = seen.iter().position(|t| t.contains("В очереди"));
    let working = seen.iter().position(|t| t.contains("Обрабатываю"));
    assert!(queued < working && queued.is_some(), "{seen:#?}");
}

/// Out of money: the shortfall itself carries the amounts, so the pay link is one tap away (two
/// with the link); «check payment» on an unpaid invoice carries its pay button.
#[test]
fn a_pay_link_is_two_taps_from_a_shortfall() {
    let (dir, tg, yk) = (
        Scratch::new("review-shortfall"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let _bot = start_with(
        &dir,
        &tg,
        Some(&yk),
        None,
        &[("FREE_OPERATIONS_COUNT", "0")],
    );
    let user = 2421;
    press(&tg, user, "mode:generate");
    let short = say(&tg, user, "маяк в шторм");
    assert!(
        short.text().contains("Недостаточно средств"),
        "{}",
        short.text()
    );
    let buttons = short.buttons();
    let card = buttons
        .iter()
        .find(|(_, d)| d.starts_with("topup:"))
        .expect("a card amount under the shortfall");
    assert!(card.0.contains("операци"), "it says what it buys: {card:?}");
    assert!(
        buttons.iter().any(|(_, d)| d.starts_with("stars:")),
        "{buttons:?}"
    );
    let link = press(&tg, user, &card.1);
    assert!(
        link.buttons()
            .iter()
            .any(|(_, target)| target.starts_with("http")),
        "one tap to the pay link: {:?}",
        link.buttons()
    );
    assert!(!link.text().contains(';'), "{}", link.text());

    let checked = press(&tg, user, "check_payment");
    assert!(
        checked.text().contains("пока не оплачен"),
        "{}",
        checked.text()
    );
    assert!(
        checked
            .buttons()
            .iter()
            .any(|(label, target)| label.contains("Оплатить") && target.starts_with("http")),
        "{:?}",
        checked.buttons()
    );
}

/// The YooKassa checkout of an English-speaking payer is in English: the locale and the
/// description, with the amount written the English way.
#[test]
fn an_english_payers_checkout_is_in_english() {
    let (dir, tg, yk) = (
        Scratch::new("review-locale"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let _bot = start_with(&dir, &tg, Some(&yk), None, &[]);
    let (john, olga) = (2431, 2432);
    let mark = tg.mark();
    tg.send_text_in(john, "en", "/start");
    tg.wait_message(mark, john, "the greeting");
    tg.press_in(john, "en", "card_menu");
    tg.press_in(john, "en", "topup:100000");
    press(&tg, olga, "card_menu");
    press(&tg, olga, "topup:100000");
    wait_until(10, "both payments", || yk.payments().len() == 2);
    let by_locale = |locale: &str| {
        yk.payments()
            .into_iter()
            .find(|p| p.body["confirmation"]["locale"] == locale)
            .unwrap_or_else(|| panic!("a payment with locale {locale}"))
    };
    let en = by_locale("en_US");
    assert_eq!(en.body["description"], "Balance top-up of ₽1,000");
    let ru = by_locale("ru_RU");
    assert_eq!(
        ru.body["description"],
        "Пополнение баланса на 1\u{202f}000 ₽"
    );
}

/// «✏️ Изменить запрос» under a result shows the old prompt; the new words run in the same mode.
#[test]
fn changing_a_request_starts_from_the_old_one() {
    let (dir, tg, fal) = (
        Scratch::new("review-change"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 2441;
    credit(&dir, user, "50");
    let _bot = common::jobs::start(&dir, &tg, &fal, &[]);
    generate(&tg, user, "рыжая лиса в снегу, фотореализм");
    wait_until(20, "the picture", || photos_to(&tg, user) == 1);
    let photo = photo_to(&tg, user, 0);
    let change = photo
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("change:"))
        .expect("✏️ change the request");
    let asked = press(&tg, user, &change.1);
    assert!(
        asked
            .text()
            .contains("Было: «рыжая лиса в снегу, фотореализм»"),
        "{}",
        asked.text()
    );
    say(&tg, user, "рыжая лиса в снегу ночью, фотореализм");
    wait_until(20, "the second submit", || fal.submits().len() == 2);
    assert_eq!(
        fal.submits()[1].input["prompt"],
        "рыжая лиса в снегу ночью, фотореализм"
    );
}

/// Outside a mode, a greeting gets the menu and a payment complaint the way to settle it; neither
/// is offered as a picture. An instruction typed after /cancel in Edit is offered for the photo
/// that was sent, not as a new picture.
#[test]
fn small_talk_is_not_offered_as_a_picture() {
    let (dir, tg) = (Scratch::new("review-idle"), FakeTelegram::start());
    let _bot = start_with(&dir, &tg, None, None, &[]);
    let user = 2451;
    let hello = say(&tg, user, "привет");
    assert!(
        !hello.text().contains("Создать картинку"),
        "{}",
        hello.text()
    );
    assert!(
        hello.buttons().iter().any(|(_, d)| d == "mode:generate"),
        "{:?}",
        hello.buttons()
    );
    let complaint = say(&tg, user, "Я оплатил 100 ₽ картой, а баланс не пополнился");
    assert!(
        !complaint.text().contains("Создать картинку"),
        "{}",
        complaint.text()
    );
    assert!(
        complaint.buttons().iter().any(|(_, d)| d == "balance"),
        "{:?}",
        complaint.buttons()
    );

    press(&tg, user, "mode:edit");
    let mark = tg.mark();
    tg.send_photo(user, "kira-photo", common::jpeg(64, 64), None, None);
    tg.wait_message(mark, user, "the instruction question");
    say(&tg, user, "/cancel");
    let offer = say(&tg, user, "сделай фон синим");
    assert!(
        offer.text().contains("Изменить присланное фото"),
        "{}",
        offer.text()
    );
    let accepted = press(&tg, user, "offer:edit");
    assert!(accepted.text().contains("Принято"), "{}", accepted.text());
    let inputs = common::bot::job_inputs(&dir, user);
    assert_eq!(inputs[0]["images"][0], "kira-photo");
    assert_eq!(inputs[0]["prompt"], "сделай фон синим");
}

/// /start is headed by what the user has, like the menu, and never announces zero free operations.
#[test]
fn start_shows_the_wallet() {
    let (dir, tg) = (Scratch::new("review-start"), FakeTelegram::start());
    let _bot = start_with(&dir, &tg, None, None, &[("FREE_OPERATIONS_COUNT", "0")]);
    let user = 2461;
    credit(&dir, user, "220");
    let hello = say(&tg, user, "/start");
    assert!(
        hello.text().contains("💰 На балансе 220 ₽"),
        "{}",
        hello.text()
    );
    assert!(
        !hello.text().contains("Бесплатных операций: 0"),
        "{}",
        hello.text()
    );
}
