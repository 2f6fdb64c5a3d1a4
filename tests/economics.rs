//! The operator's economics of SPEC §8b and §4 end to end: real money split from free credits with
//! cost and margin per model, the workbook (CLI and /export), operation codes that stand until
//! dropped, and Stars plans granted once per payment, used first, ended with their period, cancelled
//! through Telegram, and found again by `reconcile`.

mod common;

use common::bot::{apply_code, number, pay_stars, press};
use common::fake_fal::FakeFal;
use common::fake_telegram::FakeTelegram;
use common::jobs::{credit, db, generate, photos_to};
use common::{Scratch, ok, wait_until};
use std::io::Read;

fn balance(dir: &Scratch, user: i64) -> String {
    common::bot::user(dir, user)["balance"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The files of a zip archive by name, inflated (an .xlsx is one): read from its central directory.
fn unzip(bytes: &[u8]) -> std::collections::HashMap<String, Vec<u8>> {
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
    let u32_at =
        |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().expect("4 bytes")) as usize;
    let end = (0..bytes.len() - 21)
        .rev()
        .find(|&i| bytes[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .expect("a zip: end of central directory");
    let (count, mut at) = (u16_at(end + 10), u32_at(end + 16));
    let mut files = std::collections::HashMap::new();
    for _ in 0..count {
        assert_eq!(bytes[at..at + 4], [0x50, 0x4b, 0x01, 0x02], "central entry");
        let (method, size) = (u16_at(at + 10), u32_at(at + 20));
        let (name_len, extra_len, comment_len) =
            (u16_at(at + 28), u16_at(at + 30), u16_at(at + 32));
        let local = u32_at(at + 42);
        let name = String::from_utf8_lossy(&bytes[at + 46..at + 46 + name_len]).into_owned();
        let data_at = local + 30 + u16_at(local + 26) + u16_at(local + 28);
        let raw = &bytes[data_at..data_at + size];
        let content = match method {
            0 => raw.to_vec(),
            8 => {
                let mut out = Vec::new();
                flate2::read::DeflateDecoder::new(raw)
                    .read_to_end(&mut out)
                    .expect("inflate");
                out
            }
            m => panic!("zip method {m}"),
        };
        files.insert(name, content);
        at += 46 + name_len + extra_len + comment_len;
    }
    files
}

fn text(files: &std::collections::HashMap<String, Vec<u8>>, name: &str) -> String {
    String::from_utf8_lossy(
        files
            .get(name)
            .unwrap_or_else(|| panic!("{name} in the workbook")),
    )
    .into_owned()
}

/// A Stars top-up of 100 ⭐ and an admin credit of 50 ₽, then two Nano Banana pictures (10 ₽ each,
/// $0.039 at 90 ₽/$ = 3.51 ₽ each): `stats --json` counts the Stars as revenue and the credit as a
/// free credit, with revenue, cost and margin per model; the workbook has every sheet, the top-up
/// among its payments; /export sends the same file to an admin.
#[test]
fn stats_split_real_money_from_credits_and_the_workbook_holds_it() {
    let started = media_lab::time::date_of(media_lab::time::now());
    let (dir, tg, fal) = (
        Scratch::new("economics-stats"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let (user, admin) = (2701, 2702);
    let _bot = common::jobs::start(&dir, &tg, &fal, &[("ADMIN_TELEGRAM_IDS", "2702")]);
    common::bot::say(&tg, admin, "/start");
    common::bot::say(&tg, user, "/start");
    press(&tg, user, "stars_menu");
    pay_stars(&tg, user, 100);
    let mark = tg.mark();
    credit(&dir, user, "50");
    assert_eq!(balance(&dir, user), "150.00");
    // The user is told of the credit (through the outbox) before the test speaks again.
    tg.wait_call(mark, "the credit notice", |c| {
        c.chat() == user && c.text().contains("50 ₽")
    });
    generate(&tg, user, "кот в шляпе");
    wait_until(20, "the first picture", || photos_to(&tg, user) == 1);
    generate(&tg, user, "собака в очках");
    wait_until(20, "the second picture", || photos_to(&tg, user) == 2);
    assert_eq!(balance(&dir, user), "130.00");

    let stats: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &["stats", "--json"])).expect("stats json");
    assert_eq!(stats["revenue_stars"], 100, "{stats}");
    assert_eq!(stats["real_money"]["stars_topups"], 100, "{stats}");
    assert_eq!(stats["real_money"]["yookassa"], "0.00", "{stats}");
    // The admin's 50 ₽ is a credit that cost nothing, not revenue.
    assert_eq!(stats["free_credits"], "50.00", "{stats}");
    let row = stats["by_model"]
        .as_array()
        .expect("by_model")
        .iter()
        .find(|r| r["mode"] == "generate" && r["model"] == "Nano Banana")
        .cloned()
        .expect("a Nano Banana row");
    assert_eq!(row["operations"], 2, "{row}");
    assert_eq!(
        (&row["revenue"], &row["cost"], &row["margin"]),
        (
            &serde_json::json!("20.00"),
            &serde_json::json!("7.02"),
            &serde_json::json!("12.98")
        ),
        "{row}"
    );
    let generate_mode = stats["by_mode"]
        .as_array()
        .expect("by_mode")
        .iter()
        .find(|r| r["mode"] == "generate")
        .cloned()
        .expect("generate");
    assert_eq!(generate_mode["margin"], "12.98");

    // The workbook: a zip with the eleven sheets, the 100 ⭐ top-up among the payments.
    let path = dir.path().join("stats.xlsx");
    ok(
        dir.path(),
        &["stats", "--export", path.to_str().expect("path")],
    );
    let files = unzip(&std::fs::read(&path).expect("the workbook"));
    let workbook = text(&files, "xl/workbook.xml");
    for sheet in [
        "Сводка",
        "Пользователи",
        "Операции",
        "По моделям",
        "По дням",
        "По неделям",
        "По месяцам",
        "Платежи",
        "Рефералы",
        "Вопросы ИИ",
        "Поддержка",
    ] {
        assert!(
            workbook.contains(&format!("name=\"{sheet}\"")),
            "{sheet}: {workbook}"
        );
    }
    // Sheet 8 is «Платежи»: the top-up credited 100 ₽ (a number, not text) for 100 ⭐.
    let payments = text(&files, "xl/worksheets/sheet8.xml");
    assert!(payments.contains("<v>100</v>"), "{payments}");
    let strings = text(&files, "xl/sharedStrings.xml");
    assert!(
        strings.contains("stars") && strings.contains("Nano Banana"),
        "{strings}"
    );
    // Sheet 5 is «По дням»: today on Moscow's calendar, with the 100 ⭐ paid.
    let days = text(&files, "xl/worksheets/sheet5.xml");
    assert!(days.contains("<v>100</v>"), "{days}");
    // Dated from the test's start or now: a run across Moscow's midnight pays on either day.
    let today = media_lab::time::date_of(media_lab::time::now());
    assert!(
        strings.contains(&today) || strings.contains(&started),
        "{started}/{today}: {strings}"
    );
    // «По моделям»: 20 ₽ revenue, 7.02 ₽ cost as numbers.
    let models = text(&files, "xl/worksheets/sheet4.xml");
    assert!(
        models.contains("<v>20</v>") && models.contains("<v>7.02</v>"),
        "{models}"
    );

    // /export: the same workbook as a document, for an admin only.
    let mark = tg.mark();
    tg.send_text(admin, "/export");
    let sent = tg.wait_call(mark, "the workbook", |c| {
        c.method == "senddocument" && c.chat() == admin
    });
    let upload = tg
        .uploads()
        .into_iter()
        .rfind(|(m, chat, _)| m == "senddocument" && *chat == admin)
        .expect("an upload");
    assert!(upload.2.starts_with(b"PK"), "{sent:?}");
    assert!(unzip(&upload.2).contains_key("xl/workbook.xml"));
    // 📥 from the balance screen: the user's own history, one sheet.
    let mark = tg.mark();
    tg.press(user, "history_xlsx");
    tg.wait_call(mark, "the history workbook", |c| {
        c.method == "senddocument" && c.chat() == user
    });
    let mine = tg
        .uploads()
        .into_iter()
        .rfind(|(m, chat, _)| m == "senddocument" && *chat == user)
        .expect("an upload");
    let files = unzip(&mine.2);
    assert!(text(&files, "xl/workbook.xml").contains("name=\"История\""));
    assert!(!files.contains_key("xl/worksheets/sheet2.xml"), "one sheet");
}

/// SALE20 `--on operations`: entered in the code field it stands — 10 ₽ operations charge 8 ₽, the
/// picker says so, a restart keeps it — until ❌ drops it (10 ₽ again); `--max-uses 1` counts the
/// users who activated it, so a second user is refused. Each operation records the full price and
/// the code.
#[test]
fn an_operation_code_discounts_every_operation_until_dropped() {
    let (dir, tg, fal) = (
        Scratch::new("economics-code"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let (user, other) = (2711, 2712);
    ok(dir.path(), &["migrate"]);
    ok(
        dir.path(),
        &[
            "promo",
            "add",
            "SALE20",
            "--percent",
            "20",
            "--on",
            "operations",
            "--max-uses",
            "1",
        ],
    );
    assert!(ok(dir.path(), &["promo", "list"]).contains("20% off every operation"));
    credit(&dir, user, "100");
    credit(&dir, other, "100");
    let bot = common::jobs::start(&dir, &tg, &fal, &[]);
    common::bot::say(&tg, user, "/start");
    apply_code(&tg, user, "SALE20");
    let said = tg
        .calls()
        .into_iter()
        .rfind(|c| c.chat() == user && c.text().contains("SALE20"))
        .expect("the code answer");
    assert!(said.text().contains("20 %"), "{}", said.text());

    // The picker prices Nano Banana at 8 ₽ for this user.
    let picker = press(&tg, user, "mode:generate");
    assert!(picker.text().contains("8 ₽"), "{}", picker.text());
    generate(&tg, user, "кот");
    wait_until(20, "the first picture", || photos_to(&tg, user) == 1);
    assert_eq!(balance(&dir, user), "92.00");
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM operations WHERE full_price = 1000 AND price = 800 AND discount_code = 'SALE20'"
        ),
        1
    );

    // A restart: the discount is the user's, in the database.
    bot.kill();
    let bot = common::jobs::start(&dir, &tg, &fal, &[]);
    generate(&tg, user, "собака");
    wait_until(20, "the second picture", || photos_to(&tg, user) == 2);
    assert_eq!(balance(&dir, user), "84.00");

    // The second user: max uses 1 is taken by the first.
    common::bot::say(&tg, other, "/start");
    apply_code(&tg, other, "SALE20");
    generate(&tg, other, "дом");
    wait_until(20, "the other's picture", || photos_to(&tg, other) == 1);
    assert_eq!(balance(&dir, other), "90.00");

    // ❌ on the balance screen: full price again.
    let screen = press(&tg, user, "balance");
    assert!(
        screen.buttons().iter().any(|(_, d)| d == "drop_code"),
        "{:?}",
        screen.buttons()
    );
    assert!(screen.text().contains("SALE20"), "{}", screen.text());
    press(&tg, user, "drop_code");
    generate(&tg, user, "лес");
    wait_until(20, "the third picture", || photos_to(&tg, user) == 3);
    assert_eq!(balance(&dir, user), "74.00");
    common::bot::books_hold(&dir);
    drop(bot);
}

/// PLANS="Старт:250:30": «⭐ Подписка» gives an invoice link for 250 ⭐ every 30 days; the first
/// payment grants 30 plan operations once (a redelivered update grants nothing), a renewal with a new
/// charge id 30 more; plan operations are used before free operations and end with their period;
/// «Отменить подписку» asks Telegram to stop renewing; `reconcile` grants a period whose update never
/// came, once.
#[test]
fn a_stars_plan_is_granted_once_per_payment_used_first_and_cancelled() {
    let (dir, tg, fal) = (
        Scratch::new("economics-plan"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 2721;
    let bot = common::bot::start_with(
        &dir,
        &tg,
        None,
        Some(&fal),
        &[("PLANS", "Старт:250:30"), ("FREE_OPERATIONS_COUNT", "2")],
    );
    common::bot::say(&tg, user, "/start");
    let menu = press(&tg, user, "stars_menu");
    assert!(
        menu.buttons().iter().any(|(_, d)| d == "plans"),
        "{:?}",
        menu.buttons()
    );
    let plans = press(&tg, user, "plans");
    assert!(plans.text().contains("Старт"), "{}", plans.text());
    let mark = tg.mark();
    press(&tg, user, "plan:0");
    let link = tg.wait_call(mark, "the invoice link", |c| {
        c.method == "createinvoicelink"
    });
    assert_eq!(link.body["currency"], "XTR");
    assert_eq!(link.body["subscription_period"], 2_592_000);
    assert_eq!(link.body["prices"][0]["amount"], 250);
    let payload = link.body["payload"].as_str().expect("payload").to_string();

    // Telegram asks first; the bot says yes for the plan it sells.
    let mark = tg.mark();
    tg.send_update(
        "pre_checkout_query",
        serde_json::json!({"id": "pcq-plan", "from": {"id": user, "is_bot": false, "first_name": "U"},
            "currency": "XTR", "total_amount": 250, "invoice_payload": payload}),
    );
    let answer = tg.wait_call(mark, "the pre-checkout answer", |c| {
        c.method == "answerprecheckoutquery"
    });
    assert_eq!(answer.body["ok"], true, "{}", answer.body);

    let in_30_days = media_lab::time::now() + 30 * 86_400;
    let mark = tg.mark();
    tg.send_subscription_payment(user, &payload, 250, "plan-charge-1", (false, in_30_days));
    let told = tg.wait_message(mark, user, "the plan granted");
    assert!(told.text().contains("30 операций"), "{}", told.text());
    // The same payment again (a redelivered update): nothing more.
    tg.send_subscription_payment(user, &payload, 250, "plan-charge-1", (false, in_30_days));
    common::bot::say(&tg, user, "/start");
    assert_eq!(number(&dir, "SELECT count(*) FROM plan_periods"), 1);
    let shown = common::bot::user(&dir, user);
    assert_eq!(shown["free_operations_left"], 2, "{shown}");

    // A plan operation is used before the free ones.
    generate(&tg, user, "кот");
    wait_until(20, "the picture", || photos_to(&tg, user) == 1);
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM operations WHERE paid_with = 'plan'"
        ),
        1
    );
    assert_eq!(common::bot::user(&dir, user)["free_operations_left"], 2);

    // A renewal: a new charge, 30 more.
    let mark = tg.mark();
    tg.send_subscription_payment(
        user,
        &payload,
        250,
        "plan-charge-2",
        (true, in_30_days + 30 * 86_400),
    );
    let renewed = tg.wait_message(mark, user, "the renewal");
    assert!(renewed.text().contains("продлена"), "{}", renewed.text());
    assert_eq!(
        number(&dir, "SELECT sum(operations - used) FROM plan_periods"),
        59
    );

    // The user stops the renewal in Telegram itself, then restarts it: Telegram's `subscription`
    // updates (raw: teloxide 0.17 does not know them) are recorded on both running periods.
    let subscription = |state: &str| {
        tg.send_update(
            "subscription",
            serde_json::json!({"user": {"id": user, "is_bot": false, "first_name": "U"},
                "invoice_payload": payload, "state": state}),
        );
    };
    let canceled = "SELECT count(*) FROM plan_periods WHERE canceled_at IS NOT NULL";
    subscription("canceled");
    wait_until(20, "the renewal stopped", || number(&dir, canceled) == 2);
    let screen = press(&tg, user, "balance");
    assert!(
        screen.text().contains("продление отменено"),
        "{}",
        screen.text()
    );
    assert!(
        !screen.buttons().iter().any(|(_, d)| d == "plan_cancel"),
        "{:?}",
        screen.buttons()
    );
    subscription("active");
    wait_until(20, "the renewal restarted", || number(&dir, canceled) == 0);

    // The balance screen shows the plan and cancels it through Telegram.
    let screen = press(&tg, user, "balance");
    assert!(screen.text().contains("Старт"), "{}", screen.text());
    let mark = tg.mark();
    press(&tg, user, "plan_cancel");
    let edit = tg.wait_call(mark, "the cancellation", |c| {
        c.method == "edituserstarsubscription"
    });
    assert_eq!(edit.body["is_canceled"], true);
    assert_eq!(edit.body["telegram_payment_charge_id"], "plan-charge-2");
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM plan_periods WHERE canceled_at IS NOT NULL"
        ),
        1
    );

    // The periods end: the next operation is a free one.
    db(&dir)
        .execute(
            "UPDATE plan_periods SET expires_at = ?1",
            [media_lab::time::now() - 1],
        )
        .expect("end the periods");
    generate(&tg, user, "собака");
    wait_until(20, "the second picture", || photos_to(&tg, user) == 2);
    assert_eq!(common::bot::user(&dir, user)["free_operations_left"], 1);

    // Telegram could not take the next renewal: the user is told once, with the way back.
    let mark = tg.mark();
    subscription("failed");
    subscription("failed");
    let failed = tg.wait_message(mark, user, "the failed renewal told");
    assert!(failed.text().contains("не продлилась"), "{}", failed.text());
    assert!(
        failed.buttons().iter().any(|(_, d)| d == "plans"),
        "{:?}",
        failed.buttons()
    );
    common::bot::say(&tg, user, "/start");
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM notices WHERE kind = 'plan_renewal_failed'"
        ),
        1
    );

    // A period Telegram took while the bot never saw its update: reconcile grants it, once.
    tg.add_star_payment("plan-charge-3", user, 250, Some(&payload));
    let reconcile = || {
        let out = common::bot::telegram_cli(&dir, &tg, &["reconcile", "--since", "2020-01-01"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mark = tg.mark();
    reconcile();
    reconcile();
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM plan_periods WHERE charge_id = 'plan-charge-3' AND operations = 30"
        ),
        1
    );
    // The user is told once, through the outbox the running bot delivers.
    let told = tg.wait_message(mark, user, "the found period told");
    assert!(told.text().contains("30 операций"), "{}", told.text());
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM notices WHERE kind = 'plan_granted'"
        ),
        3
    );
    common::bot::books_hold(&dir);
    drop(bot);
}

/// A plan payment given back ends its period: `payment refund <charge>` refuses a period whose
/// operations were used (what was spent stays paid), Telegram's own refund of it withdraws what is
/// left, an unused renewal is refunded through `refundStarPayment` once, and a refund only
/// `reconcile` sees ends its period too. Refunded plans leave the Stars revenue.
#[test]
fn a_refunded_plan_payment_ends_its_period() {
    let (dir, tg, fal) = (
        Scratch::new("economics-plan-refund"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 2722;
    let bot = common::bot::start_with(
        &dir,
        &tg,
        None,
        Some(&fal),
        &[("PLANS", "Старт:250:30"), ("FREE_OPERATIONS_COUNT", "0")],
    );
    common::bot::say(&tg, user, "/start");
    // A signup that granted nothing is not a line of the history.
    let history = press(&tg, user, "history:0");
    assert!(!history.text().contains("Подарок"), "{}", history.text());
    let payload = "mlplan:250:30:Старт";
    let in_30_days = media_lab::time::now() + 30 * 86_400;
    let mark = tg.mark();
    tg.send_subscription_payment(user, payload, 250, "refund-plan-1", (false, in_30_days));
    tg.wait_message(mark, user, "the plan granted");
    generate(&tg, user, "кот");
    wait_until(20, "the picture", || photos_to(&tg, user) == 1);

    let cli = |args: &[&str]| common::bot::telegram_cli(&dir, &tg, args);
    // One of its operations was used: not given back, and Telegram is not asked.
    let refused = cli(&["payment", "refund", "refund-plan-1"]);
    assert_eq!(refused.status.code(), Some(1));
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("used 1 of the 30"), "{why}");
    assert!(tg.calls_to("refundstarpayment").is_empty());
    assert_eq!(common::bot::user(&dir, user)["plan_operations_left"], 29);

    // Telegram refunds it on its own: the 29 left are withdrawn, the used one stays done.
    tg.send_refunded_payment(user, payload, 250, "refund-plan-1");
    wait_until(20, "the period ended", || {
        number(
            &dir,
            "SELECT count(*) FROM plan_periods WHERE refund_state = 'refunded'",
        ) == 1
    });
    assert_eq!(common::bot::user(&dir, user)["plan_operations_left"], 0);
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM operations WHERE paid_with = 'plan' AND status = 'settled'"
        ),
        1
    );

    // A renewal nobody used: refunded through Telegram, once.
    let mark = tg.mark();
    tg.send_subscription_payment(
        user,
        payload,
        250,
        "refund-plan-2",
        (true, in_30_days + 30 * 86_400),
    );
    tg.wait_message(mark, user, "the renewal");
    assert_eq!(common::bot::user(&dir, user)["plan_operations_left"], 30);
    let done = cli(&["payment", "refund", "refund-plan-2"]);
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(said.contains("30 plan operations"), "{said}");
    let asked = tg.calls_to("refundstarpayment");
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].body["telegram_payment_charge_id"], "refund-plan-2");
    assert_eq!(asked[0].body["user_id"], user);
    assert_eq!(common::bot::user(&dir, user)["plan_operations_left"], 0);
    let again = cli(&["payment", "refund", "refund-plan-2"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("refunded already"));
    assert_eq!(tg.calls_to("refundstarpayment").len(), 1);
    let shown: serde_json::Value = serde_json::from_str(&ok(
        dir.path(),
        &["payment", "show", "refund-plan-2", "--json"],
    ))
    .expect("payment show json");
    assert_eq!(shown["status"], "refunded", "{shown}");
    assert_eq!(shown["plan"], "Старт", "{shown}");
    assert_eq!(shown["paid"], 250, "{shown}");
    assert!(shown["refunded_at"].is_string(), "{shown}");
    let story = ok(dir.path(), &["payment", "show", "refund-plan-1"]);
    assert!(story.contains("(1 used), refunded"), "{story}");
    // Telegram's own message about the refund we made changes nothing more.
    tg.send_refunded_payment(user, payload, 250, "refund-plan-2");
    common::bot::say(&tg, user, "/start");

    // A period granted and then refunded while the bot saw neither: reconcile ends it, once.
    tg.add_star_payment("refund-plan-3", user, 250, Some(payload));
    let granted = cli(&["reconcile", "--since", "2020-01-01"]);
    assert!(
        granted.status.success(),
        "{}",
        String::from_utf8_lossy(&granted.stderr)
    );
    assert_eq!(common::bot::user(&dir, user)["plan_operations_left"], 30);
    tg.refund_star("refund-plan-3");
    for _ in 0..2 {
        let out = cli(&["reconcile", "--since", "2020-01-01"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(common::bot::user(&dir, user)["plan_operations_left"], 0);
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM plan_periods WHERE refund_state = 'refunded'"
        ),
        3
    );

    // Telegram does not answer a refund: the period stays held (unusable), and the follower asks
    // again (here `reconcile`, which follows every held refund) and ends it, once.
    let mark = tg.mark();
    tg.send_subscription_payment(
        user,
        payload,
        250,
        "refund-plan-4",
        (true, in_30_days + 60 * 86_400),
    );
    tg.wait_message(mark, user, "the next renewal");
    tg.fail_refunds(1);
    let held = cli(&["payment", "refund", "refund-plan-4"]);
    assert!(
        held.status.success(),
        "{}",
        String::from_utf8_lossy(&held.stderr)
    );
    let said = String::from_utf8_lossy(&held.stdout);
    assert!(said.contains("did not answer"), "{said}");
    assert_eq!(
        common::bot::user(&dir, user)["plan_operations_left"],
        0,
        "held"
    );
    let out = cli(&["reconcile", "--since", "2020-01-01"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        number(
            &dir,
            "SELECT count(*) FROM plan_periods WHERE refund_state = 'refunded'"
        ),
        4
    );
    let asked = tg.calls_to("refundstarpayment");
    assert_eq!(
        asked
            .iter()
            .filter(|c| c.body["telegram_payment_charge_id"] == "refund-plan-4")
            .count(),
        2
    );
    let stats: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &["stats", "--json"])).expect("stats json");
    assert_eq!(stats["real_money"]["stars_plans"], 0, "{stats}");
    common::bot::books_hold(&dir);
    drop(bot);
}
