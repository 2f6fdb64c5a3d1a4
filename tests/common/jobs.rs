//! Image jobs as the jobs tests drive them: a bot whose every job is paid, against the test's own
//! fake fal; credits, a prompt sent, and what reached the chat.

use super::bot::Running;
use super::fake_fal::FakeFal;
use super::fake_telegram::{Call, FakeTelegram};
use super::{Scratch, media_lab};

/// The bot against the test's fake fal, with no free operations (every job is paid).
pub fn start(dir: &Scratch, tg: &FakeTelegram, fal: &FakeFal, extra: &[(&str, &str)]) -> Running {
    let vars = [&[("FREE_OPERATIONS_COUNT", "0")], extra].concat();
    super::bot::start_with(dir, tg, None, Some(fal), &vars)
}

pub fn db(dir: &Scratch) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.db()).expect("open")
}

/// Credits a user created as the running bot would create them (no free operations).
pub fn credit(dir: &Scratch, user: i64, roubles: &str) {
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

/// Sends a prompt in generate mode and waits for "accepted".
pub fn generate(tg: &FakeTelegram, user: i64, prompt: &str) {
    super::bot::press(tg, user, "mode:generate");
    let mark = tg.mark();
    tg.send_text(user, prompt);
    let reply = tg.wait_message(mark, user, "accepted");
    assert!(reply.text().contains("Принято"), "{}", reply.text());
}

pub fn photos_to(tg: &FakeTelegram, user: i64) -> usize {
    tg.calls()
        .iter()
        .filter(|c| c.method == "sendphoto" && c.chat() == user)
        .count()
}

pub fn failure_notice(tg: &FakeTelegram, skip: usize, user: i64) -> Call {
    tg.wait_call(skip, "a failure notice", |c| {
        c.chat() == user && c.text().contains("Не получилось")
    })
}
