//! Image jobs end to end, the last step: a made result on its way through Telegram's flood control,
//! outages, blocks and kills is delivered once or refunded once, and a poison job ends refunded.

mod common;

use common::bot::{balance, number as count, press};
use common::fake_fal::FakeFal;
use common::fake_telegram::FakeTelegram;
use common::jobs::{credit, db, failure_notice, generate, photos_to, start};
use common::{Scratch, jpeg, ok, wait_until};
use std::time::Duration;

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
            model: None,
            format: None,
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
    press(&tg, user, "mode:upscale");
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
