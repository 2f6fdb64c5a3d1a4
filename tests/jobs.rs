//! Image jobs end to end: the real binary, a fake Telegram and a fake fal.ai queue. A job is delivered
//! once or refunded once, never both and never neither.

mod common;

use common::fake_fal::{FakeFal, KEY, Scenario};
use common::fake_telegram::{Call, FakeTelegram, TOKEN};
use common::{Scratch, free_addr, jpeg, media_lab, ok, wait_healthy, wait_until};
use std::process::{Child, Stdio};
use std::time::Duration;

struct Bot(Child);

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(dir: &Scratch, tg: &FakeTelegram, fal: &FakeFal, extra: &[(&str, &str)]) -> Bot {
    let addr = free_addr();
    let mut cmd = media_lab(dir.path());
    cmd.env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .env("WEBHOOK_LISTEN", addr.to_string())
        .env("FAL_KEY", KEY)
        .env("FAL_QUEUE_URL", fal.url())
        .env("FREE_OPERATIONS_COUNT", "0")
        .arg("run")
        .stderr(Stdio::from(
            std::fs::File::create(dir.path().join("stderr.log")).expect("log"),
        ));
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn");
    wait_healthy(addr, &mut child);
    Bot(child)
}

fn db(dir: &Scratch) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.db()).expect("open")
}

fn count(dir: &Scratch, sql: &str) -> i64 {
    db(dir).query_row(sql, [], |r| r.get(0)).expect("count")
}

fn balance(dir: &Scratch, user: i64) -> String {
    let v: serde_json::Value = serde_json::from_str(&ok(
        dir.path(),
        &["user", "show", &user.to_string(), "--json"],
    ))
    .expect("json");
    v["balance"].as_str().unwrap_or("").to_string()
}

/// Credits a user created as the running bot would create them (no free operations).
fn credit(dir: &Scratch, user: i64, roubles: &str) {
    let out = media_lab(dir.path())
        .env("FREE_OPERATIONS_COUNT", "0")
        .args([
            "user",
            "credit",
            &user.to_string(),
            roubles,
            "--reason",
            "test",
        ])
        .output()
        .expect("credit");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn press(tg: &FakeTelegram, user: i64, data: &str) {
    let mark = tg.mark();
    let pressed_on = tg.press(user, data);
    tg.wait_shown(mark, user, pressed_on, data);
}

/// Sends a prompt in generate mode and waits for "accepted".
fn generate(tg: &FakeTelegram, user: i64, prompt: &str) {
    press(tg, user, "mode:generate");
    let mark = tg.mark();
    tg.send_text(user, prompt);
    let reply = tg.wait_message(mark, user, "accepted");
    assert!(reply.text().contains("Принято"), "{}", reply.text());
}

fn photos_to(tg: &FakeTelegram, user: i64) -> usize {
    tg.calls()
        .iter()
        .filter(|c| c.method == "sendphoto" && c.chat() == user)
        .count()
}

fn failure_notice(tg: &FakeTelegram, skip: usize, user: i64) -> Call {
    tg.wait_call(skip, "a failure notice", |c| {
        c.chat() == user && c.text().contains("Не получилось")
    })
}

#[test]
fn each_mode_sends_its_inputs_and_delivers() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-modes"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let _bot = start(&dir, &tg, &fal, &[]);
    let user = 1001;
    credit(&dir, user, "100");
    let photo = |id: &str, caption: Option<&str>| {
        // Each photo distinct, so the test can tell which went where.
        let size = 60 + id.len() as u32 * 7;
        tg.send_photo(user, id, jpeg(size, 60), caption, None)
    };

    generate(&tg, user, "a lighthouse at dawn");
    wait_until(20, "generate delivered", || photos_to(&tg, user) == 1);
    press(&tg, user, "mode:edit");
    photo("e1", Some("make it night"));
    wait_until(20, "edit delivered", || photos_to(&tg, user) == 2);
    press(&tg, user, "mode:merge");
    let mark = tg.mark();
    for i in 0..3 {
        tg.send_photo(user, &format!("m{i}"), jpeg(80, 60), None, Some("g1"));
    }
    tg.wait_message(mark, user, "photos received");
    tg.send_text(user, "all on one beach");
    wait_until(20, "merge delivered", || photos_to(&tg, user) == 3);
    press(&tg, user, "mode:face_swap");
    let mark = tg.mark();
    photo("face", None);
    tg.wait_message(mark, user, "ask for the target");
    photo("target", None);
    wait_until(20, "face swap delivered", || photos_to(&tg, user) == 4);
    press(&tg, user, "mode:retouch");
    photo("r1", None);
    wait_until(20, "retouch delivered", || photos_to(&tg, user) == 5);
    press(&tg, user, "mode:upscale");
    photo("u1", None);
    wait_until(20, "upscale delivered", || photos_to(&tg, user) == 6);
    wait_until(20, "upscale's file", || {
        tg.calls()
            .iter()
            .any(|c| c.method == "senddocument" && c.chat() == user)
    });

    let submits = fal.submits();
    let endpoints: Vec<&str> = submits.iter().map(|s| s.endpoint.as_str()).collect();
    assert_eq!(
        endpoints,
        [
            "fal-ai/flux/schnell",
            "fal-ai/flux-pro/kontext",
            "fal-ai/nano-banana/edit",
            "fal-ai/face-swap",
            "fal-ai/retoucher",
            "fal-ai/seedvr/upscale/image"
        ]
    );
    let uri = |v: &serde_json::Value| {
        v.as_str()
            .is_some_and(|s| s.starts_with("data:image/jpeg;base64,"))
    };
    assert_eq!(submits[0].input["prompt"], "a lighthouse at dawn");
    assert!(submits[1].input["prompt"] == "make it night" && uri(&submits[1].input["image_url"]));
    let merged = submits[2].input["image_urls"]
        .as_array()
        .expect("image_urls");
    assert!(
        merged.len() == 3
            && merged.iter().all(uri)
            && submits[2].input["prompt"] == "all on one beach"
    );
    assert!(uri(&submits[3].input["swap_image_url"]) && uri(&submits[3].input["base_image_url"]));
    assert_ne!(
        submits[3].input["swap_image_url"],
        submits[3].input["base_image_url"]
    );
    assert!(uri(&submits[4].input["image_url"]) && uri(&submits[5].input["image_url"]));
    // No Telegram file URL (it holds the token) ever goes to fal.
    assert!(!submits.iter().any(|s| s.input.to_string().contains(TOKEN)));

    wait_until(20, "all settled", || {
        count(
            &dir,
            "SELECT count(*) FROM operations WHERE status = 'settled'",
        ) == 6
    });
    assert_eq!(balance(&dir, user), "40.00");
    assert_eq!(
        count(&dir, "SELECT count(*) FROM jobs WHERE status = 'done'"),
        6
    );
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}

#[test]
fn every_failure_refunds_once_and_tells_the_user() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-fail"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let _bot = start(&dir, &tg, &fal, &[("JOB_TIMEOUT_SECS", "10")]);
    let user = 1002;
    credit(&dir, user, "50");
    for (n, tag) in ["[422]", "[500]", "[nsfw]", "[expired]", "[huge]"]
        .iter()
        .enumerate()
    {
        let mark = tg.mark();
        generate(&tg, user, &format!("a picture {tag}"));
        let notice = failure_notice(&tg, mark, user);
        assert!(
            notice.text().contains("10 ₽ вернулись"),
            "{tag}: {}",
            notice.text()
        );
        wait_until(20, "the refund", || {
            count(
                &dir,
                "SELECT count(*) FROM operations WHERE status = 'refunded'",
            ) == n as i64 + 1
        });
        assert_eq!(balance(&dir, user), "50.00", "{tag}");
    }
    // The 60 MB result was refused by its size while it streamed, not after it was all in memory.
    let log = std::fs::read_to_string(dir.path().join("stderr.log")).expect("log");
    assert!(log.contains("the result is larger than 50 MB"), "{log}");
    // A stuck request is cancelled at fal and refunded at the deadline.
    let mark = tg.mark();
    generate(&tg, user, "a picture [stuck]");
    let notice = failure_notice(&tg, mark, user);
    assert!(notice.text().contains("не уложилась"), "{}", notice.text());
    assert_eq!(fal.cancels(), 1);
    assert_eq!(balance(&dir, user), "50.00");
    assert_eq!(
        count(&dir, "SELECT count(*) FROM ledger WHERE kind = 'refund'"),
        6
    );
    assert_eq!(photos_to(&tg, user), 0);
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}

#[test]
fn kill_9_while_in_flight_delivers_or_refunds_exactly_once() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-kill"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1003;
    credit(&dir, user, "30");
    let bot = start(&dir, &tg, &fal, &[]);
    generate(&tg, user, "a slow one [slow]");
    wait_until(20, "the submission", || fal.submits().len() == 1);
    drop(bot); // kill -9
    assert_eq!(
        count(&dir, "SELECT count(*) FROM jobs WHERE status = 'submitted'"),
        1
    );
    let _bot = start(&dir, &tg, &fal, &[]);
    wait_until(30, "the job to finish", || {
        count(
            &dir,
            "SELECT count(*) FROM jobs WHERE status IN ('done', 'failed')",
        ) == 1
    });
    let settled = count(
        &dir,
        "SELECT count(*) FROM operations WHERE status = 'settled'",
    );
    let refunded = count(
        &dir,
        "SELECT count(*) FROM operations WHERE status = 'refunded'",
    );
    assert_eq!(settled + refunded, 1);
    assert_eq!(
        photos_to(&tg, user),
        settled as usize,
        "delivered exactly when settled"
    );
    assert_eq!(fal.submits().len(), 1, "resumed, not resubmitted");
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}

#[test]
fn kill_before_submission_submits_exactly_once_after_restart() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-kill-early"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1004;
    ok(dir.path(), &["user", "grant-free-access", "1004"]);
    let bot = start(&dir, &tg, &fal, &[]);
    tg.delay_downloads(Some(Duration::from_secs(30)));
    press(&tg, user, "mode:edit");
    tg.send_photo(user, "p1", jpeg(80, 60), Some("add a hat"), None);
    wait_until(20, "the job to fetch its photo", || {
        count(&dir, "SELECT count(*) FROM jobs WHERE status = 'running'") == 1
    });
    drop(bot); // kill -9 before anything reached fal
    tg.delay_downloads(None);
    let _bot = start(&dir, &tg, &fal, &[]);
    wait_until(30, "the delivery", || photos_to(&tg, user) == 1);
    wait_until(20, "the job done", || {
        count(&dir, "SELECT count(*) FROM jobs WHERE status = 'done'") == 1
    });
    assert_eq!(fal.submits().len(), 1);
}

#[test]
fn never_more_jobs_at_fal_than_worker_concurrency() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-pool"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    fal.set_scenario(Scenario::Slow);
    let user = 1005;
    ok(dir.path(), &["user", "grant-free-access", "1005"]);
    let _bot = start(&dir, &tg, &fal, &[("WORKER_CONCURRENCY", "2")]);
    for i in 0..6 {
        generate(&tg, user, &format!("picture {i}"));
    }
    wait_until(60, "all six delivered", || photos_to(&tg, user) == 6);
    assert_eq!(fal.max_open(), 2, "two at once, never more");
}

#[test]
fn add_text_is_drawn_locally_for_free() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-text"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1006;
    credit(&dir, user, "5");
    let _bot = start(&dir, &tg, &fal, &[]);
    let original = jpeg(320, 240);
    press(&tg, user, "mode:add_text");
    tg.send_photo(user, "t1", original.clone(), Some("С днём рождения!"), None);
    wait_until(20, "the picture", || photos_to(&tg, user) == 1);
    let (_, _, bytes) = tg
        .uploads()
        .into_iter()
        .find(|(m, c, _)| m == "sendphoto" && *c == user)
        .expect("upload");
    let (a, b) = (
        image::load_from_memory(&original)
            .expect("original")
            .to_rgb8(),
        image::load_from_memory(&bytes).expect("result").to_rgb8(),
    );
    assert_eq!(a.dimensions(), b.dimensions());
    let changed = |y0: u32, y1: u32| {
        (y0..y1)
            .flat_map(|y| (0..320).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                (0..3).any(|i| a.get_pixel(x, y).0[i].abs_diff(b.get_pixel(x, y).0[i]) > 60)
            })
            .count()
    };
    assert!(changed(160, 240) > 500, "text drawn at the bottom");
    assert!(changed(0, 60) < 50, "the top is untouched");
    assert!(fal.submits().is_empty(), "no fal call");
    assert_eq!(
        count(&dir, "SELECT count(*) FROM operations"),
        0,
        "no billing"
    );
    assert_eq!(balance(&dir, user), "5.00");
}

fn op_statuses(dir: &Scratch) -> (i64, i64) {
    (
        count(
            dir,
            "SELECT count(*) FROM operations WHERE status = 'settled'",
        ),
        count(
            dir,
            "SELECT count(*) FROM operations WHERE status = 'refunded'",
        ),
    )
}

/// Waits until the one job's result is on disk, waiting for Telegram.
fn wait_result_kept(dir: &Scratch) {
    wait_until(20, "the result kept for delivery", || {
        count(
            dir,
            "SELECT count(*) FROM jobs WHERE status = 'delivering' AND result_path IS NOT NULL",
        ) == 1
    });
}

/// Telegram answers 429 (retry_after 1) to the next three sends: the result still arrives, the job is
/// settled, nothing is refunded.
#[test]
fn flood_control_delays_a_result_but_never_refunds_it() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-429"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1101;
    credit(&dir, user, "30");
    let _bot = start(&dir, &tg, &fal, &[]);
    generate(&tg, user, "a fox");
    tg.flood(3);
    wait_until(30, "the photo", || photos_to(&tg, user) == 1);
    wait_until(20, "the settle", || op_statuses(&dir) == (1, 0));
    assert!(tg.refused() >= 1, "the fake refused sends");
    assert_eq!(balance(&dir, user), "20.00");
    assert_eq!(
        count(&dir, "SELECT count(*) FROM ledger WHERE kind = 'refund'"),
        0
    );
}

/// Telegram down (502) for 20 s while a result waits: delivered after it recovers, settled once.
#[test]
fn a_telegram_outage_delays_a_result_but_never_loses_it() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-502"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1102;
    credit(&dir, user, "30");
    let _bot = start(&dir, &tg, &fal, &[]);
    generate(&tg, user, "a fox");
    tg.set_down(true);
    wait_result_kept(&dir);
    std::thread::sleep(Duration::from_secs(20));
    assert_eq!(photos_to(&tg, user), 0);
    assert_eq!(op_statuses(&dir), (0, 0), "neither settled nor refunded");
    tg.set_down(false);
    wait_until(60, "the photo after the outage", || {
        photos_to(&tg, user) == 1
    });
    wait_until(20, "the settle", || op_statuses(&dir) == (1, 0));
    assert_eq!(balance(&dir, user), "20.00");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(photos_to(&tg, user), 1, "sent once");
}

/// kill -9 while a made result waits for Telegram: delivered after the restart, charged once.
#[test]
fn kill_9_while_a_result_waits_delivers_it_after_restart() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-kill-deliver"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1103;
    credit(&dir, user, "30");
    let bot = start(&dir, &tg, &fal, &[]);
    generate(&tg, user, "a fox");
    tg.set_down(true);
    wait_result_kept(&dir);
    drop(bot); // kill -9
    tg.set_down(false);
    let _bot = start(&dir, &tg, &fal, &[]);
    wait_until(30, "the photo after the restart", || {
        photos_to(&tg, user) == 1
    });
    wait_until(20, "the settle", || op_statuses(&dir) == (1, 0));
    assert_eq!(balance(&dir, user), "20.00");
    assert_eq!(fal.submits().len(), 1);
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}

/// A kill between Telegram taking the photo and the settle: the photo is not sent again.
#[test]
fn kill_9_after_the_photo_does_not_send_it_twice() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-kill-sent"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1104;
    credit(&dir, user, "30");
    let bot = start(&dir, &tg, &fal, &[]);
    generate(&tg, user, "a fox");
    wait_until(30, "the photo", || photos_to(&tg, user) == 1);
    wait_until(20, "the delivery recorded", || {
        count(&dir, "SELECT count(*) FROM jobs WHERE delivered_parts = 1") == 1
    });
    drop(bot); // kill -9, perhaps before the settle
    let _bot = start(&dir, &tg, &fal, &[]);
    wait_until(20, "the settle", || op_statuses(&dir) == (1, 0));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(photos_to(&tg, user), 1, "delivered once");
}

/// The user blocked the bot (403): refunded once, the result not retried.
#[test]
fn a_blocked_user_is_refunded_once_and_not_retried() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-403"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1105;
    credit(&dir, user, "30");
    let _bot = start(&dir, &tg, &fal, &[]);
    generate(&tg, user, "a fox");
    tg.block(user);
    wait_until(30, "the refund", || op_statuses(&dir) == (0, 1));
    assert_eq!(balance(&dir, user), "30.00");
    let refused = tg.refused();
    std::thread::sleep(Duration::from_secs(3));
    assert!(tg.refused() <= refused + 1, "the result is not retried");
    assert_eq!(
        count(&dir, "SELECT count(*) FROM ledger WHERE kind = 'refund'"),
        1
    );
}

/// The write after a delivered photo fails (another connection holds the write lock past the busy
/// timeout): the job is settled later, never refunded.
#[test]
fn a_failed_settle_after_delivery_is_retried_never_refunded() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-settle"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1106;
    credit(&dir, user, "30");
    let _bot = start(&dir, &tg, &fal, &[]);
    tg.hold_photos(true);
    generate(&tg, user, "a fox");
    let mark = 0;
    tg.wait_call(mark, "the photo", |c| c.method == "sendphoto");
    let blocker = db(&dir);
    blocker.busy_timeout(Duration::from_secs(5)).expect("busy");
    blocker
        .execute_batch("BEGIN IMMEDIATE")
        .expect("take the write lock");
    tg.hold_photos(false);
    std::thread::sleep(Duration::from_secs(12));
    assert_eq!(op_statuses(&dir), (0, 0), "nothing written while locked");
    blocker.execute_batch("COMMIT").expect("release");
    wait_until(60, "the settle", || op_statuses(&dir) == (1, 0));
    assert_eq!(balance(&dir, user), "20.00");
    assert_eq!(photos_to(&tg, user), 1);
}

/// An operation left charged by a failed refund write (its job failed, the refund never committed):
/// the sweeper refunds it and tells the user.
#[test]
fn the_sweeper_refunds_an_operation_left_charged() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-sweep"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1107;
    credit(&dir, user, "30");
    // A charge with its job, as the bot makes it, then the job ended without its refund.
    {
        let vars: std::collections::HashMap<&str, &str> = [("FREE_OPERATIONS_COUNT", "0")].into();
        let config = std::sync::Arc::new(
            media_lab::config::Config::from_lookup(|k| vars.get(k).map(|v| v.to_string()))
                .expect("config"),
        );
        let store = std::sync::Arc::new(media_lab::db::Store::open(&dir.db()).expect("store"));
        let billing = media_lab::billing::Billing::new(store, config);
        let job = media_lab::db::jobs::NewJob {
            chat_id: user,
            input: r#"{"prompt":"a fox","images":[],"lang":"ru"}"#.into(),
            deadline_at: i64::MAX,
            update_id: None,
        };
        let r = billing
            .reserve(user, media_lab::model::Mode::Generate, &job)
            .expect("reserve");
        assert!(matches!(r, media_lab::billing::Reserve::Reserved(_)));
    }
    db(&dir)
        .execute_batch("UPDATE jobs SET status = 'failed', error = 'fal.ai: HTTP 500'")
        .expect("simulate");
    assert!(ok(dir.path(), &["check"]).contains("still charged while its job is failed"));
    let _bot = start(&dir, &tg, &fal, &[]);
    wait_until(20, "the refund", || op_statuses(&dir) == (0, 1));
    assert_eq!(balance(&dir, user), "30.00");
    failure_notice(&tg, 0, user);
    assert!(!ok(dir.path(), &["check"]).contains("still charged"));
}

/// kill -9 right after a refund commits, before its message went out: the user is told after restart.
#[test]
fn a_refund_is_told_after_a_kill() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-refund-kill"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1108;
    credit(&dir, user, "30");
    let bot = start(&dir, &tg, &fal, &[]);
    generate(&tg, user, "a picture [422]");
    tg.set_down(true);
    wait_until(20, "the refund", || op_statuses(&dir) == (0, 1));
    drop(bot); // kill -9 while its message waits in the outbox
    assert_eq!(
        count(
            &dir,
            "SELECT count(*) FROM notices WHERE kind = 'job_failed' AND sent_at IS NULL"
        ),
        1
    );
    tg.set_down(false);
    let _bot = start(&dir, &tg, &fal, &[]);
    failure_notice(&tg, 0, user);
    wait_until(20, "the notice marked sent", || {
        count(
            &dir,
            "SELECT count(*) FROM notices WHERE sent_at IS NOT NULL AND kind = 'job_failed'",
        ) == 1
    });
}

/// A job whose run ends with the process three times (kill -9 while `running`) is failed and refunded
/// on the third start, once.
#[test]
fn a_poison_job_is_refunded_on_its_third_crash() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-poison"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1109;
    credit(&dir, user, "30");
    tg.delay_downloads(Some(Duration::from_secs(60)));
    let mut bot = start(&dir, &tg, &fal, &[]);
    press(&tg, user, "mode:retouch");
    tg.send_photo(user, "p1", jpeg(80, 60), None, None);
    for round in 1..=3 {
        wait_until(30, "the job running", || {
            count(
                &dir,
                &format!(
                    "SELECT count(*) FROM jobs WHERE status = 'running' AND attempts = {round}"
                ),
            ) == 1
        });
        drop(bot); // kill -9 while it runs
        bot = start(&dir, &tg, &fal, &[]);
    }
    wait_until(20, "the refund", || op_statuses(&dir) == (0, 1));
    assert_eq!(balance(&dir, user), "30.00");
    assert_eq!(fal.submits().len(), 0);
    drop(bot);
}

/// The decompression bomb: a 20000×20000 PNG of ~2.5 MB that Telegram would report at an ordinary
/// size. Add text and a paid mode refuse it from its header; memory stays small; the paid mode's
/// charge comes back.
#[test]
fn a_decompression_bomb_is_refused_without_the_memory() {
    // The helper's PNG is real: a small one decodes to exactly its black pixels.
    let small = image::load_from_memory(&common::png_bomb(300, 200)).expect("a valid PNG");
    assert_eq!((small.width(), small.height()), (300, 200));
    assert!(small.to_luma8().pixels().all(|p| p.0 == [0]));

    let (dir, tg, fal) = (
        Scratch::new("jobs-bomb"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1020;
    credit(&dir, user, "50");
    let bot = start(&dir, &tg, &fal, &[]);
    let bomb = common::png_bomb(20_000, 20_000);
    assert!(bomb.len() < 3 << 20, "{} bytes", bomb.len());

    press(&tg, user, "mode:add_text");
    let mark = tg.mark();
    tg.send_photo(user, "bomb1", bomb.clone(), Some("Подпись"), None);
    let reply = tg.wait_call(mark, "the refusal", |c| {
        c.chat() == user && c.text().contains("слишком большое")
    });
    assert!(reply.text().contains("40 мегапикселей"), "{}", reply.text());

    press(&tg, user, "mode:retouch");
    let mark = tg.mark();
    tg.send_photo(user, "bomb2", bomb, None, None);
    let notice = failure_notice(&tg, mark, user);
    assert!(
        notice.text().contains("слишком большое"),
        "{}",
        notice.text()
    );
    wait_until(20, "the refund", || {
        count(
            &dir,
            "SELECT count(*) FROM operations WHERE status = 'refunded'",
        ) == 1
    });
    assert_eq!(balance(&dir, user), "50.00");
    assert!(fal.submits().is_empty(), "nothing reached fal");
    assert_eq!(photos_to(&tg, user), 0);

    let peak = std::fs::read_to_string(format!("/proc/{}/status", bot.0.id()))
        .expect("status")
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_string()))
        .expect("VmHWM");
    let kib: u64 = peak.trim_end_matches(" kB").parse().expect("kB");
    assert!(kib < 300 * 1024, "peak RSS {kib} KiB");
    eprintln!("peak RSS with the bomb: {kib} KiB");
}

/// The "accepted" message is edited through the job's stages and ends as "done".
#[test]
fn the_accepted_message_follows_the_job_to_done() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-progress"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1030;
    credit(&dir, user, "20");
    let _bot = start(&dir, &tg, &fal, &[]);
    generate(&tg, user, "a lighthouse [slow]");
    wait_until(30, "the picture", || photos_to(&tg, user) == 1);
    // After the "accepted" message (the mode's question before it was an edit of the pressed menu),
    // the only message this chat's edits can be about is that one.
    let edits_of = |tg: &FakeTelegram| -> Vec<(serde_json::Value, String)> {
        let calls = tg.calls();
        let accepted = calls
            .iter()
            .position(|c| c.method == "sendmessage" && c.text().contains("Принято"))
            .unwrap_or(0);
        calls
            .iter()
            .skip(accepted)
            .filter(|c| c.method == "editmessagetext" && c.chat() == user)
            .map(|c| (c.body["message_id"].clone(), c.text().to_string()))
            .collect()
    };
    wait_until(10, "the done edit", || {
        edits_of(&tg).iter().any(|(_, t)| t.contains("Готово"))
    });
    let edits = edits_of(&tg);
    assert!(
        edits.iter().all(|(id, _)| *id == edits[0].0),
        "one message edited: {edits:?}"
    );
    let edits: Vec<String> = edits.into_iter().map(|(_, t)| t).collect();
    // Every stage keeps the charge line.
    assert!(
        edits
            .iter()
            .all(|t| t.contains("Списано 10 ₽, на балансе 10 ₽")),
        "{edits:#?}"
    );
    let stage = |needle: &str| edits.iter().position(|t| t.contains(needle));
    let (working, sending, done) = (
        stage("Обрабатываю").or(stage("очеред")),
        stage("Отправляю"),
        stage("Готово"),
    );
    assert!(
        working.is_some() && sending.is_some() && done.is_some(),
        "{edits:#?}"
    );
    assert!(working < sending && sending < done, "{edits:#?}");
    assert_eq!(
        done,
        Some(edits.len() - 1),
        "done is the last word: {edits:#?}"
    );
}

/// A result invites the next one: a caption with the prompt and buttons for one more (priced),
/// change the request, upscale or edit this picture, and the menu; the chat stays in the mode.
#[test]
fn a_result_comes_with_its_next_steps() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-next"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1040;
    credit(&dir, user, "50");
    let _bot = start(&dir, &tg, &fal, &[]);
    generate(&tg, user, "рыжая лиса в снегу");
    wait_until(20, "the picture", || photos_to(&tg, user) == 1);
    let photo = tg
        .calls()
        .into_iter()
        .find(|c| c.method == "sendphoto" && c.chat() == user)
        .expect("photo");
    assert!(
        photo.body["caption"]
            .as_str()
            .is_some_and(|c| c.contains("рыжая лиса в снегу")),
        "{:?}",
        photo.body
    );
    let buttons = photo.buttons();
    let data: Vec<&str> = buttons.iter().map(|(_, d)| d.as_str()).collect();
    let job = data
        .iter()
        .find_map(|d| d.strip_prefix("again:"))
        .expect("one more")
        .to_string();
    assert_eq!(
        data,
        [
            format!("again:{job}").as_str(),
            "mode:generate",
            &format!("upres:{job}"),
            &format!("editres:{job}"),
            "menu"
        ]
    );
    assert!(buttons[0].0.contains("10 ₽"), "{buttons:?}");
    assert_eq!(balance(&dir, user), "40.00");

    // One more: the same prompt, charged again.
    tg.press(user, &format!("again:{job}"));
    wait_until(20, "the second picture", || photos_to(&tg, user) == 2);
    assert_eq!(balance(&dir, user), "30.00");
    assert_eq!(fal.submits()[1].input["prompt"], "рыжая лиса в снегу");
    // Still in the mode: the next text is the next prompt.
    let mark = tg.mark();
    tg.send_text(user, "ещё одну лису, но ночью");
    let reply = tg.wait_message(mark, user, "accepted");
    assert!(reply.text().contains("Принято"), "{}", reply.text());
    wait_until(20, "the third picture", || photos_to(&tg, user) == 3);
    // Upscale this: an upscale of the delivered picture itself.
    tg.press(user, &format!("upres:{job}"));
    wait_until(20, "the upscale", || fal.submits().len() == 4);
    assert!(
        fal.submits()[3].endpoint.contains("upscale"),
        "{:?}",
        fal.submits()[3].endpoint
    );
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
}

/// A failure keeps the input: its message offers 🔁 (the same input again, charged again) and the
/// menu.
#[test]
fn a_failure_offers_to_try_the_same_input_again() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-retry"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 1050;
    credit(&dir, user, "30");
    let _bot = start(&dir, &tg, &fal, &[]);
    let mark = tg.mark();
    generate(&tg, user, "маяк в шторм [500]");
    let notice = failure_notice(&tg, mark, user);
    let data: Vec<String> = notice.buttons().into_iter().map(|(_, d)| d).collect();
    assert_eq!(data.len(), 2, "{data:?}");
    assert!(
        data[0].starts_with("again:") && data[1] == "menu",
        "{data:?}"
    );
    wait_until(20, "the refund", || balance(&dir, user) == "30.00");
    tg.press(user, &data[0]);
    wait_until(20, "the second submit", || fal.submits().len() == 2);
    assert_eq!(fal.submits()[1].input["prompt"], "маяк в шторм [500]");
}

fn chat_actions(tg: &FakeTelegram, user: i64, after: usize) -> usize {
    tg.calls()
        .iter()
        .skip(after)
        .filter(|c| c.method == "sendchataction" && c.chat() == user)
        .count()
}

/// While a job runs the chat shows "sending a photo…", refreshed every few seconds; once the job
/// ends (here at its deadline) no more. A content refusal says what to change.
#[test]
fn chat_actions_last_as_long_as_the_job() {
    let (dir, tg, fal) = (
        Scratch::new("jobs-actions"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let _bot = start(&dir, &tg, &fal, &[("JOB_TIMEOUT_SECS", "10")]);
    let user = 1011;
    credit(&dir, user, "50");
    let mark = tg.mark();
    generate(&tg, user, "a picture [stuck]");
    failure_notice(&tg, mark, user);
    let during = chat_actions(&tg, user, mark);
    assert!(during >= 2, "{during} chat actions in a 10 s job");
    let after = tg.mark();
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(
        chat_actions(&tg, user, after),
        0,
        "a finished job shows none"
    );

    let mark = tg.mark();
    generate(&tg, user, "a picture [422]");
    let notice = failure_notice(&tg, mark, user);
    assert!(
        notice.text().contains("переформулировать"),
        "{}",
        notice.text()
    );
}
