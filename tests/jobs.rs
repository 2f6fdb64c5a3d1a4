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
    tg.press(user, data);
    tg.wait_message(mark, user, data);
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
    for (n, tag) in ["[422]", "[500]", "[nsfw]", "[expired]"].iter().enumerate() {
        let mark = tg.mark();
        generate(&tg, user, &format!("a picture {tag}"));
        let notice = failure_notice(&tg, mark, user);
        assert!(
            notice.text().contains("10.00 ₽ возвращены"),
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
    // A stuck request is cancelled at fal and refunded at the deadline.
    let mark = tg.mark();
    generate(&tg, user, "a picture [stuck]");
    let notice = failure_notice(&tg, mark, user);
    assert!(notice.text().contains("не уложилась"), "{}", notice.text());
    assert_eq!(fal.cancels(), 1);
    assert_eq!(balance(&dir, user), "50.00");
    assert_eq!(
        count(&dir, "SELECT count(*) FROM ledger WHERE kind = 'refund'"),
        5
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
