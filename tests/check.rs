//! `check` as the operator's setup guide, against fake Telegram and YooKassa servers.

mod common;

use common::fake_telegram::{FakeTelegram, TOKEN};
use common::fake_yookassa::{FakeYooKassa, SHOP_ID, TEST_KEY};
use common::{Scratch, media_lab};

fn check(dir: &Scratch, vars: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = media_lab(dir.path());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let out = cmd.arg("check").output().expect("run check");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_good_setup_is_all_ok_and_each_fault_is_named() {
    let fal = common::fake_fal::FakeFal::start();
    let fal_url = fal.url();
    let (dir, tg, yk) = (
        Scratch::new("check"),
        FakeTelegram::start(),
        FakeYooKassa::start(),
    );
    let (tg_url, yk_url) = (tg.url(), yk.url());
    let good = [
        ("TELEGRAM_BOT_TOKEN", TOKEN),
        ("TELEGRAM_API_URL", tg_url.as_str()),
        ("YOOKASSA_SHOP_ID", SHOP_ID),
        ("YOOKASSA_SECRET_KEY", TEST_KEY),
        ("YOOKASSA_API_URL", yk_url.as_str()),
        ("YOOKASSA_RETURN_URL", "https://t.me/media_lab_bot"),
        (
            "YOOKASSA_WEBHOOK_URL",
            "https://bot.example.com/yookassa/webhook",
        ),
        ("FAL_KEY", common::fake_fal::KEY),
        ("FAL_API_URL", fal_url.as_str()),
    ];
    let (ok, out) = check(&dir, &good);
    assert!(ok, "{out}");
    assert!(
        out.contains("OK    Telegram: the token belongs to @media_lab_bot"),
        "{out}"
    );
    assert!(
        out.contains("OK    fal knows all") && out.contains("FAL_KEY accepted"),
        "{out}"
    );
    assert!(
        out.contains("OK    YooKassa: shop 123456 accepted the key (test shop)"),
        "{out}"
    );
    assert!(
        out.contains("OK    webhook URL") && out.contains("the books hold"),
        "{out}"
    );
    assert!(
        !out.contains("FAIL") && !out.contains(TEST_KEY) && !out.contains("TEST-token"),
        "{out}"
    );

    let wrong_key: Vec<(&str, &str)> = good
        .iter()
        .map(|&(k, v)| {
            if k == "YOOKASSA_SECRET_KEY" {
                (k, "test_wrong")
            } else {
                (k, v)
            }
        })
        .collect();
    let (ok, out) = check(&dir, &wrong_key);
    assert!(!ok, "{out}");
    assert!(
        out.contains("FAIL  YooKassa: HTTP 401 invalid_credentials"),
        "{out}"
    );

    let no_telegram: Vec<(&str, &str)> = good
        .iter()
        .map(|&(k, v)| {
            if k == "TELEGRAM_API_URL" {
                (k, "http://127.0.0.1:1")
            } else {
                (k, v)
            }
        })
        .collect();
    let (ok, out) = check(&dir, &no_telegram);
    assert!(!ok, "{out}");
    // Unreachable is said as such, with the host and the cause, and the token is not blamed.
    assert!(
        out.contains("FAIL  Telegram: cannot reach 127.0.0.1: connection refused"),
        "{out}"
    );
    assert!(!out.contains("@BotFather"), "{out}");
    // A no-Litestream setup is a warning that names the README section.
    assert!(
        out.contains("WARN  no Litestream replica next to the database")
            && out.contains("\"Off-site replica and disaster recovery\""),
        "{out}"
    );

    let private_hook: Vec<(&str, &str)> = good
        .iter()
        .map(|&(k, v)| {
            if k == "YOOKASSA_WEBHOOK_URL" {
                (k, "https://192.168.1.5/yookassa/webhook")
            } else {
                (k, v)
            }
        })
        .collect();
    let (ok, out) = check(&dir, &private_hook);
    assert!(!ok && out.contains("is not a public address"), "{out}");
}
