//! Arbitrary Telegram updates through the dispatcher `run` uses: random shapes, wrong types, huge
//! strings, unknown fields and every kind of message content, from a fake Telegram to the real
//! binary. After each batch the bot still answers /balance; at the end no money or free operation
//! moved, nothing panicked and the books hold.

mod common;

use common::fake_telegram::{FakeTelegram, TOKEN};
use common::{Scratch, free_addr, media_lab, ok, wait_healthy};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::process::{Child, Stdio};

/// The users the random updates come from; CONTROL asks for /balance after each batch.
const USERS: [i64; 3] = [9001, 9002, 9003];
const CONTROL: i64 = 9100;

fn junk() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::from),
        (1usize..70_000).prop_map(|n| Value::from("ж".repeat(n))),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(field(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Field names Telegram uses, so random objects sometimes land where the parser looks.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "id",
            "text",
            "caption",
            "photo",
            "file_id",
            "file_unique_id",
            "width",
            "height",
            "file_size",
            "data",
            "message",
            "from",
            "chat",
            "type",
            "entities",
            "offset",
            "length",
            "media_group_id",
            "reply_to_message",
            "successful_payment",
            "currency",
            "total_amount",
            "invoice_payload",
            "is_bot",
            "first_name",
            "date",
            "message_id",
        ])
        .prop_map(str::to_string),
        "[a-z_]{1,12}",
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "/start",
            "/start ref_123",
            "/balance",
            "/buy",
            "/buy 100",
            "/buy 99999999999999999999999",
            "/buy -5",
            "/promo",
            "/promo WELCOME10",
            "/promo ' OR 1=1 --",
            "/help",
            "/cancel",
            "/stats",
            "/grant 9001",
            "/credit 9001 100",
            "/credit 9001 99999999999999999999",
            "Сгенерируй кота",
            "",
        ])
        .prop_map(str::to_string),
        ".{0,300}",
        (4000usize..20_000).prop_map(|n| "🙂".repeat(n)),
    ]
}

/// Message contents of (nearly) every kind the Bot API has, minimal but well-formed, plus wrong ones.
fn content() -> impl Strategy<Value = (String, Value)> {
    // Sizes of the right type at their extremes (u32, as the Bot API's integers are), and of no type.
    let dimension = prop_oneof![Just(0u32), Just(u32::MAX), 1u32..100_000, any::<u32>()];
    let photo_size = prop_oneof![
        4 => (dimension.clone(), dimension.clone(), dimension).prop_map(|(w, h, size)| {
            json!({"file_id": "junk-photo", "file_unique_id": "u", "width": w, "height": h, "file_size": size})
        }),
        1 => junk(),
    ];
    let file = json!({"file_id": "junk-file", "file_unique_id": "u"});
    prop_oneof![
        text().prop_map(|t| ("text".to_string(), Value::from(t))),
        prop::collection::vec(photo_size, 0..4).prop_map(|p| ("photo".to_string(), Value::from(p))),
        text().prop_map(|t| ("caption".to_string(), Value::from(t))),
        ".{0,20}".prop_map(|g| ("media_group_id".to_string(), Value::from(g))),
        prop::sample::select(vec![
            ("document", file.clone()),
            ("video", json!({"file_id": "v", "file_unique_id": "u", "width": 1, "height": 1, "duration": 1})),
            ("audio", json!({"file_id": "a", "file_unique_id": "u", "duration": 1})),
            ("voice", json!({"file_id": "a", "file_unique_id": "u", "duration": 1})),
            ("video_note", json!({"file_id": "a", "file_unique_id": "u", "length": 1, "duration": 1})),
            ("animation", json!({"file_id": "a", "file_unique_id": "u", "width": 1, "height": 1, "duration": 1})),
            ("sticker", json!({"file_id": "s", "file_unique_id": "u", "type": "regular", "width": 1, "height": 1, "is_animated": false, "is_video": false})),
            ("contact", json!({"phone_number": "+7000", "first_name": "A"})),
            ("location", json!({"latitude": 55.75, "longitude": 37.61})),
            ("venue", json!({"location": {"latitude": 1.0, "longitude": 2.0}, "title": "t", "address": "a"})),
            ("dice", json!({"emoji": "🎲", "value": 6})),
            ("poll", json!({"id": "p", "question": "q", "options": [], "total_voter_count": 0, "is_closed": false, "is_anonymous": true, "type": "regular", "allows_multiple_answers": false})),
            ("successful_payment", json!({"currency": "XTR", "total_amount": 100, "invoice_payload": "stars:forged", "telegram_payment_charge_id": "c", "provider_payment_charge_id": "p"})),
            ("successful_payment", json!({"currency": "RUB", "total_amount": 10000000, "invoice_payload": "topup:1", "telegram_payment_charge_id": "c", "provider_payment_charge_id": "p"})),
            ("invoice", json!({"title": "t", "description": "d", "start_parameter": "s", "currency": "XTR", "total_amount": 1})),
            ("new_chat_members", json!([{"id": 5, "is_bot": true, "first_name": "B"}])),
            ("left_chat_member", json!({"id": 5, "is_bot": true, "first_name": "B"})),
            ("new_chat_title", json!("title")),
            ("group_chat_created", json!(true)),
            ("pinned_message", json!({"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}})),
            ("web_app_data", json!({"data": "x", "button_text": "b"})),
            ("forward_origin", json!({"type": "hidden_user", "date": 0, "sender_user_name": "x"})),
            ("reply_to_message", json!({"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}, "text": "/buy 1"})),
            ("entities", json!([{"type": "bot_command", "offset": 5000, "length": 99}])),
            ("entities", json!([{"type": "bot_command", "offset": -1, "length": 1}])),
        ])
        .prop_map(|(k, v)| (k.to_string(), v)),
        // Anything at all under any name, wrong types included.
        (field(), junk()),
    ]
}

fn user(id: i64, lang: &str) -> Value {
    json!({"id": id, "is_bot": false, "first_name": format!("U{id}"), "language_code": lang})
}

fn message() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(USERS.to_vec()),
        prop::sample::select(vec!["ru", "en", "", "xx-YY"]),
        prop::collection::vec(content(), 0..4),
        any::<i32>(),
    )
        .prop_map(|(from, lang, contents, id)| {
            let mut m = json!({
                "message_id": id,
                "date": 1_700_000_000,
                "chat": {"id": from, "type": "private", "first_name": "U"},
                "from": user(from, lang),
            });
            for (k, v) in contents {
                m[k] = v;
            }
            m
        })
}

fn callback_data() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "menu",
            "payment_menu",
            "promo_topup",
            "promo_gen",
            "custom_amount",
            "mode:generate",
            "mode:edit",
            "mode:merge",
            "mode:face_swap",
            "mode:retouch",
            "mode:upscale",
            "mode:add_text",
            "mode:",
            "topup:",
            "topup:10000",
            "topup:-1",
            "topup:99999999999999999999",
        ])
        .prop_map(str::to_string),
        ".{0,64}",
    ]
}

/// One update of any kind: messages and button presses mostly, then everything else.
fn update() -> impl Strategy<Value = (String, Value)> {
    prop_oneof![
        4 => message().prop_map(|m| ("message".to_string(), m)),
        1 => message().prop_map(|m| ("edited_message".to_string(), m)),
        1 => message().prop_map(|m| ("channel_post".to_string(), m)),
        3 => (prop::sample::select(USERS.to_vec()), callback_data(), prop::option::of(message()))
            .prop_map(|(from, data, message)| {
                let mut q = json!({"id": "cb", "from": user(from, "ru"), "chat_instance": "ci", "data": data});
                if let Some(m) = message {
                    q["message"] = m;
                }
                ("callback_query".to_string(), q)
            }),
        1 => prop::sample::select(USERS.to_vec()).prop_map(|from| (
            "pre_checkout_query".to_string(),
            json!({"id": "pcq", "from": user(from, "ru"), "currency": "XTR", "total_amount": 100, "invoice_payload": "forged"}),
        )),
        1 => prop::sample::select(USERS.to_vec()).prop_map(|from| (
            "inline_query".to_string(),
            json!({"id": "iq", "from": user(from, "ru"), "query": "x", "offset": ""}),
        )),
        1 => prop::sample::select(USERS.to_vec()).prop_map(|from| (
            "my_chat_member".to_string(),
            json!({"chat": {"id": from, "type": "private"}, "from": user(from, "ru"), "date": 0,
                   "old_chat_member": {"status": "member", "user": user(1, "ru")},
                   "new_chat_member": {"status": "kicked", "until_date": 0, "user": user(1, "ru")}}),
        )),
        2 => (prop::sample::select(vec!["message", "callback_query", "poll", "shipping_query", "chat_join_request", "made_up_kind"]), junk())
            .prop_map(|(k, v)| (k.to_string(), v)),
    ]
}

struct Bot(Child);

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn arbitrary_updates_move_no_money_and_stop_nothing() {
    let (dir, tg) = (Scratch::new("updates-props"), FakeTelegram::start());
    let addr = free_addr();
    let log = dir.path().join("stderr.log");
    let mut child = media_lab(dir.path())
        .env("TELEGRAM_BOT_TOKEN", TOKEN)
        .env("TELEGRAM_API_URL", tg.url())
        .env("WEBHOOK_LISTEN", addr.to_string())
        .env("FREE_OPERATIONS_COUNT", "0")
        .env("FAL_KEY", "k")
        // Nothing listens there: a job that somehow started could not reach a model.
        .env("FAL_QUEUE_URL", format!("http://{}", free_addr()))
        .arg("run")
        .stderr(Stdio::from(std::fs::File::create(&log).expect("log")))
        .spawn()
        .expect("spawn");
    wait_healthy(addr, &mut child);
    let mut bot = Bot(child);
    let running = &mut bot;

    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let result = runner.run(&prop::collection::vec(update(), 1..10), |batch| {
        for (kind, payload) in batch {
            tg.send_update(&kind, payload);
        }
        let mark = tg.mark();
        tg.send_text(CONTROL, "/balance");
        // Polled rather than waited on with a panic, so a failing case can be shrunk.
        let answered = (0..200).find_map(|_| {
            let reply = tg
                .calls()
                .into_iter()
                .skip(mark)
                .find(|c| c.method == "sendmessage" && c.chat() == CONTROL);
            if reply.is_none() {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            reply
        });
        prop_assert!(answered.is_some(), "/balance went unanswered for 10 s");
        let reply = answered.expect("checked");
        prop_assert!(reply.text().contains('₽'), "{}", reply.text());
        prop_assert!(
            matches!(common::http(addr, "GET", "/healthz", b""), Ok((200, _))),
            "media-lab stopped answering /healthz"
        );
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }

    // The random updates were taken and answered, not skipped.
    let replies = tg
        .calls()
        .iter()
        .filter(|c| USERS.contains(&c.chat()))
        .count();
    eprintln!("{replies} replies to the random users");
    assert!(replies > 0, "no random update was answered");
    let conn = rusqlite::Connection::open(dir.db()).expect("db");
    let moved: i64 = conn
        .query_row(
            "SELECT count(*) FROM ledger WHERE amount != 0 OR free_ops != 0",
            [],
            |r| r.get(0),
        )
        .expect("ledger");
    assert_eq!(moved, 0, "money or free operations moved");
    let ops: i64 = conn
        .query_row("SELECT count(*) FROM operations", [], |r| r.get(0))
        .expect("operations");
    assert_eq!(ops, 0, "an operation was charged");
    assert!(ok(dir.path(), &["check"]).contains("the books hold"));
    assert!(running.0.try_wait().expect("try_wait").is_none(), "exited");
    let _ = running.0.kill();
    let _ = running.0.wait();
    let stderr = std::fs::read_to_string(&log).expect("log");
    assert!(!stderr.contains("panicked"), "{stderr}");
}
