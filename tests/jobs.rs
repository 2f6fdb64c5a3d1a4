//! Image jobs end to end: the real binary, a fake Telegram and a fake fal.ai queue. A job is delivered
//! once or refunded once, never both and never neither.

mod common;

use common::bot::{balance, number as count, press};
use common::fake_fal::{FakeFal, Scenario};
use common::fake_telegram::{FakeTelegram, TOKEN};
use common::jobs::{credit, failure_notice, generate, photos_to, start};
use common::{Scratch, jpeg, ok, wait_until};
use std::time::Duration;

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
    let mark = tg.mark();
    photo("r1", None);
    tg.wait_message(mark, user, "the wish question");
    tg.press(user, "skip");
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
            "fal-ai/nano-banana",
            "fal-ai/nano-banana/edit",
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
    // Each mode's first catalogue model, in its own request shape (generate's default format 1:1).
    assert_eq!(submits[0].input["aspect_ratio"], "1:1");
    let edited = submits[1].input["image_urls"]
        .as_array()
        .expect("image_urls");
    assert!(submits[1].input["prompt"] == "make it night" && edited.len() == 1 && uri(&edited[0]));
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
    assert!(
        notice.text().contains("слишком много времени"),
        "{}",
        notice.text()
    );
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
    wait_until(20, "the preview", || photos_to(&tg, user) == 1);
    tg.press(user, "ts:done");
    wait_until(20, "the picture", || photos_to(&tg, user) == 2);
    let (_, _, bytes) = tg
        .uploads()
        .into_iter()
        .rfind(|(m, c, _)| m == "sendphoto" && *c == user)
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

    press(&tg, user, "mode:upscale");
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

    let peak = std::fs::read_to_string(format!("/proc/{}/status", bot.pid()))
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
            &format!("change:{job}"),
            &format!("upres:{job}"),
            &format!("editres:{job}"),
            &format!("orig:{job}"),
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
    assert_eq!(data.len(), 3, "{data:?}");
    assert!(
        data[0].starts_with("again:") && data[1].starts_with("change:") && data[2] == "menu",
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
