//! A fake Telegram Bot API on 127.0.0.1: getUpdates long polling fed by the test, every send*/edit*
//! call recorded and answered like Telegram would, getFile and file downloads, multipart uploads.
//! Method names are matched case-insensitively (teloxide writes `SendMessage`). It never answers 5xx.

use super::http::{Request, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub const TOKEN: &str = "4242:TEST-token";
pub const BOT_ID: i64 = 4242;

/// One recorded call to a send/edit/answer method.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// The JSON body, or for multipart uploads the text fields plus `_files` (name → size); a send
    /// also has `_sent_id`, the message id its answer carried.
    pub body: serde_json::Value,
}

impl Call {
    /// The id of the message this send made.
    pub fn sent_id(&self) -> i64 {
        self.body["_sent_id"].as_i64().unwrap_or(0)
    }

    pub fn text(&self) -> &str {
        self.body["text"]
            .as_str()
            .or(self.body["caption"].as_str())
            .unwrap_or("")
    }
    pub fn chat(&self) -> i64 {
        let v = &self.body["chat_id"];
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .unwrap_or(0)
    }
    /// Every button's (label, callback data or url).
    pub fn buttons(&self) -> Vec<(String, String)> {
        let markup = match &self.body["reply_markup"] {
            serde_json::Value::String(s) => serde_json::from_str(s).unwrap_or_default(),
            v => v.clone(),
        };
        markup["inline_keyboard"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row.as_array().cloned().unwrap_or_default())
            .map(|b| {
                let target = b["callback_data"]
                    .as_str()
                    .or(b["url"].as_str())
                    .unwrap_or("")
                    .to_string();
                (b["text"].as_str().unwrap_or("").to_string(), target)
            })
            .collect()
    }
}

#[derive(Default)]
struct State {
    updates: Vec<serde_json::Value>,
    next_update: i64,
    next_message: i64,
    calls: Vec<Call>,
    files: HashMap<String, Vec<u8>>,
    blocked: Vec<i64>,
    get_updates: u64,
    uploads: Vec<(String, i64, Vec<u8>)>,
    download_delay: Option<Duration>,
    /// The next this-many send* calls answer 429 with retry_after 1.
    flood: u32,
    /// When each sendMessage arrived, by chat: the broadcast test measures the pace with it.
    message_times: Vec<(i64, Instant)>,
    /// While set, send* and edit* calls answer 502.
    down: bool,
    /// send* and edit* calls refused by `flood` or `down`.
    refused: u64,
    /// When set, a sendPhoto is answered only after this flag is cleared (the call is recorded first).
    hold_photos: bool,
    /// Charge ids refunded through refundStarPayment.
    refunded: Vec<String>,
    /// Photos the bot sent, numbered: each is served back under `result<N>` (as Telegram would let
    /// the bot download its own message's photo).
    photo_seq: u64,
    /// Incoming Star payments getStarTransactions lists: (charge id, payer, Stars, invoice payload).
    star_transactions: Vec<(String, i64, i64, Option<String>)>,
    next_charge: u64,
    /// When a getUpdates confirms this update (its offset is past it), this process is killed
    /// with SIGKILL before the poll is answered: the crash right after a batch was confirmed.
    kill_on_confirm: Option<(i64, u32)>,
    /// refundStarPayment answers only after this long.
    refund_delay: Option<Duration>,
    /// refundStarPayment calls still to answer 502 (Telegram unreachable).
    refunds_failing: usize,
}

pub struct FakeTelegram {
    pub addr: SocketAddr,
    state: Arc<(Mutex<State>, Condvar)>,
    stop: Arc<AtomicBool>,
}

impl FakeTelegram {
    pub fn start() -> FakeTelegram {
        let state = Arc::new((
            Mutex::new(State {
                next_update: 1,
                next_message: 1000,
                ..State::default()
            }),
            Condvar::new(),
        ));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = state.clone();
        let addr = super::http::serve(stop.clone(), move |req| serve(&shared, req));
        FakeTelegram { addr, state, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let (lock, cv) = &*self.state;
        let out = f(&mut lock.lock().expect("fake state"));
        cv.notify_all();
        out
    }

    fn push(&self, kind: &str, payload: serde_json::Value) {
        self.with(|s| {
            let id = s.next_update;
            s.next_update += 1;
            s.updates
                .push(serde_json::json!({"update_id": id, kind: payload}));
        });
    }

    fn user(user: i64, lang: &str) -> serde_json::Value {
        serde_json::json!({"id": user, "is_bot": false, "first_name": format!("User{user}"), "username": format!("user{user}"), "language_code": lang})
    }

    fn message(&self, user: i64, lang: &str, extra: serde_json::Value) -> serde_json::Value {
        let id = self.with(|s| {
            s.next_message += 1;
            s.next_message
        });
        let mut m = serde_json::json!({
            "message_id": id,
            "date": 1_700_000_000,
            "chat": {"id": user, "type": "private", "first_name": format!("User{user}")},
            "from": Self::user(user, lang),
        });
        if let (Some(m), Some(extra)) = (m.as_object_mut(), extra.as_object()) {
            m.extend(extra.clone());
        }
        m
    }

    /// The user sends a text (a command gets its bot_command entity).
    pub fn send_text(&self, user: i64, text: &str) {
        self.send_text_in(user, "ru", text);
    }

    pub fn send_text_in(&self, user: i64, lang: &str, text: &str) {
        let mut extra = serde_json::json!({"text": text});
        if text.starts_with('/') {
            let len = text
                .split_whitespace()
                .next()
                .map_or(0, |c| c.encode_utf16().count());
            extra["entities"] =
                serde_json::json!([{"type": "bot_command", "offset": 0, "length": len}]);
        }
        let m = self.message(user, lang, extra);
        self.push("message", m);
    }

    /// The user sends a photo; its bytes are served for download under `file_id`.
    pub fn send_photo(
        &self,
        user: i64,
        file_id: &str,
        bytes: Vec<u8>,
        caption: Option<&str>,
        group: Option<&str>,
    ) {
        let size = bytes.len();
        self.with(|s| s.files.insert(file_id.to_string(), bytes));
        let mut extra = serde_json::json!({"photo": [
            {"file_id": format!("{file_id}-thumb"), "file_unique_id": "t", "width": 90, "height": 90, "file_size": 100},
            {"file_id": file_id, "file_unique_id": "u", "width": 1280, "height": 960, "file_size": size},
        ]});
        if let Some(c) = caption {
            extra["caption"] = c.into();
        }
        if let Some(g) = group {
            extra["media_group_id"] = g.into();
        }
        let m = self.message(user, "ru", extra);
        self.push("message", m);
    }

    /// The user sends a picture as a file (a document with an image type), served under `file_id`.
    pub fn send_document(&self, user: i64, file_id: &str, bytes: Vec<u8>, caption: Option<&str>) {
        let size = bytes.len();
        self.with(|s| s.files.insert(file_id.to_string(), bytes));
        let mut extra = serde_json::json!({"document": {
            "file_id": file_id, "file_unique_id": format!("{file_id}-u"), "file_name": "photo.jpg",
            "mime_type": "image/jpeg", "file_size": size,
        }});
        if let Some(c) = caption {
            extra["caption"] = c.into();
        }
        let m = self.message(user, "ru", extra);
        self.push("message", m);
    }

    /// `user` replies to the bot's message `message_id` in their chat with `text`.
    pub fn send_reply(&self, user: i64, message_id: i64, text: &str) {
        let replied = serde_json::json!({
            "message_id": message_id, "date": 1_700_000_000,
            "chat": {"id": user, "type": "private", "first_name": "U"},
            "from": {"id": BOT_ID, "is_bot": true, "first_name": "Media Lab", "username": "media_lab_bot"},
            "text": "copy",
        });
        let m = self.message(
            user,
            "ru",
            serde_json::json!({"text": text, "reply_to_message": replied}),
        );
        self.push("message", m);
    }

    /// Any other kind of update or message content, as raw JSON.
    pub fn send_raw_message(&self, user: i64, extra: serde_json::Value) {
        let m = self.message(user, "ru", extra);
        self.push("message", m);
    }

    pub fn send_update(&self, kind: &str, payload: serde_json::Value) {
        self.push(kind, payload);
    }

    /// The user presses an inline button with `data`.
    pub fn press(&self, user: i64, data: &str) -> i64 {
        self.press_in(user, "ru", data)
    }

    /// `press` by a user whose Telegram speaks `lang`.
    pub fn press_in(&self, user: i64, lang: &str, data: &str) -> i64 {
        let message = self.message(BOT_ID, lang, serde_json::json!({"text": "menu"}));
        let pressed_on = message["message_id"].as_i64().unwrap_or(0);
        let mut message = message;
        message["chat"] = serde_json::json!({"id": user, "type": "private", "first_name": "U"});
        message["from"] = serde_json::json!({"id": BOT_ID, "is_bot": true, "first_name": "Bot", "username": "media_lab_bot"});
        let id = format!("cb-{}-{}", user, self.with(|s| s.next_update));
        self.push(
            "callback_query",
            serde_json::json!({"id": id, "from": Self::user(user, lang), "chat_instance": "ci", "data": data, "message": message}),
        );
        pressed_on
    }

    /// The next `n` send calls answer 429 Too Many Requests (retry_after 1).
    pub fn flood(&self, n: u32) {
        self.with(|s| s.flood = n);
    }

    /// While `down`, every send and edit answers 502 Bad Gateway.
    pub fn set_down(&self, down: bool) {
        self.with(|s| s.down = down);
    }

    /// Send and edit calls refused by `flood` or `set_down`.
    pub fn refused(&self) -> u64 {
        self.with(|s| s.refused)
    }

    /// While held, a sendPhoto is recorded and then waits (so a test can act in between).
    pub fn hold_photos(&self, hold: bool) {
        self.with(|s| s.hold_photos = hold);
    }

    /// From now on, sending to `chat` fails as if the user blocked the bot.
    pub fn block(&self, chat: i64) {
        self.with(|s| s.blocked.push(chat));
    }

    /// The user unblocked the bot.
    pub fn unblock(&self, chat: i64) {
        self.with(|s| s.blocked.retain(|c| *c != chat));
    }

    /// Files the bot uploaded: (method, chat, bytes).
    pub fn uploads(&self) -> Vec<(String, i64, Vec<u8>)> {
        self.with(|s| s.uploads.clone())
    }

    /// File downloads wait this long before answering.
    pub fn delay_downloads(&self, delay: Option<Duration>) {
        self.with(|s| s.download_delay = delay);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.with(|s| s.calls.clone())
    }

    /// The calls of one Bot API method (lower-case, as recorded), oldest first.
    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.with(|s| {
            s.calls
                .iter()
                .filter(|c| c.method == method)
                .cloned()
                .collect()
        })
    }

    /// When each sendMessage arrived, with its chat.
    pub fn message_times(&self) -> Vec<(i64, Instant)> {
        self.with(|s| s.message_times.clone())
    }

    /// The most sendMessages to chats `to` that arrived within any one second.
    pub fn busiest_second(&self, to: impl Fn(i64) -> bool) -> usize {
        let times: Vec<Instant> = self
            .message_times()
            .into_iter()
            .filter(|(chat, _)| to(*chat))
            .map(|(_, at)| at)
            .collect();
        times
            .iter()
            .map(|t0| {
                times
                    .iter()
                    .filter(|t| **t >= *t0 && **t < *t0 + Duration::from_secs(1))
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    /// Updates not yet confirmed by a poll's offset (a restarted bot gets them again).
    pub fn pending_updates(&self) -> usize {
        self.with(|s| s.updates.len())
    }

    pub fn get_updates_count(&self) -> u64 {
        self.with(|s| s.get_updates)
    }

    /// Waits for the first call after the first `skip` calls that matches; panics after 20 s.
    pub fn wait_call(&self, skip: usize, what: &str, pred: impl Fn(&Call) -> bool) -> Call {
        let (lock, cv) = &*self.state;
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut s = lock.lock().expect("fake state");
        loop {
            if let Some(c) = s.calls.iter().skip(skip).find(|c| pred(c)) {
                return c.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let seen: Vec<String> = s
                    .calls
                    .iter()
                    .map(|c| format!("{} {}", c.method, c.text()))
                    .collect();
                panic!("timed out waiting for {what}; calls so far: {seen:#?}");
            }
            s = cv
                .wait_timeout(s, left.min(Duration::from_millis(200)))
                .expect("wait")
                .0;
        }
    }

    /// Waits for what a press on message `pressed_on` shows `chat` after the first `skip` calls:
    /// a new message, or that message edited in place (not another message's progress edit).
    pub fn wait_shown(&self, skip: usize, chat: i64, pressed_on: i64, what: &str) -> Call {
        self.wait_call(skip, what, |c| {
            c.chat() == chat
                && (c.method == "sendmessage"
                    || (c.method == "editmessagetext"
                        && c.body["message_id"].as_i64() == Some(pressed_on)))
        })
    }

    /// Waits for the next message sent to `chat` after the first `skip` calls.
    pub fn wait_message(&self, skip: usize, chat: i64, what: &str) -> Call {
        self.wait_call(skip, what, |c| {
            c.method == "sendmessage" && c.chat() == chat
        })
    }

    /// The user pays the invoice `invoice` (a sendInvoice call) as Telegram would: a pre-checkout
    /// query first, and only if the bot answers ok, a successful_payment message. Returns the
    /// bot's answer to the query and, when paid, the charge id.
    pub fn pay_invoice(&self, user: i64, invoice: &Call) -> (serde_json::Value, Option<String>) {
        let payload = invoice.body["payload"].as_str().unwrap_or("").to_string();
        let currency = invoice.body["currency"].as_str().unwrap_or("").to_string();
        let total: i64 = invoice.body["prices"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["amount"].as_i64())
            .sum();
        self.checkout(user, &payload, &currency, total)
    }

    /// A pre-checkout query for any payload and amount; on ok, the successful_payment.
    pub fn checkout(
        &self,
        user: i64,
        payload: &str,
        currency: &str,
        total: i64,
    ) -> (serde_json::Value, Option<String>) {
        let query_id = self.with(|s| {
            s.next_charge += 1;
            format!("pcq-{}", s.next_charge)
        });
        let mark = self.mark();
        self.push(
            "pre_checkout_query",
            serde_json::json!({"id": query_id, "from": Self::user(user, "ru"), "currency": currency,
                "total_amount": total, "invoice_payload": payload}),
        );
        let answer = self
            .wait_call(mark, "the pre-checkout answer", |c| {
                c.method == "answerprecheckoutquery" && c.body["pre_checkout_query_id"] == query_id
            })
            .body;
        if answer["ok"] != true {
            return (answer, None);
        }
        let charge = format!("stxcharge{}", query_id.trim_start_matches("pcq-"));
        self.add_star_payment(&charge, user, total, Some(payload));
        self.send_successful_payment(user, payload, currency, total, &charge);
        (answer, Some(charge))
    }

    /// An incoming Star payment without a payload as getStarTransactions will list it.
    pub fn add_star_transaction(&self, charge: &str, user: i64, stars: i64) {
        self.add_star_payment(charge, user, stars, None);
    }

    /// An incoming Star payment of an invoice with `payload` (one Telegram took while the bot
    /// never saw its successful_payment, say) as getStarTransactions will list it.
    pub fn add_star_payment(&self, charge: &str, user: i64, stars: i64, payload: Option<&str>) {
        self.with(|s| {
            s.star_transactions
                .push((charge.to_string(), user, stars, payload.map(str::to_string)))
        });
    }

    /// A Star payment given back outside the bot (in Telegram's own interface, say).
    pub fn refund_star(&self, charge: &str) {
        self.with(|s| s.refunded.push(charge.to_string()));
    }

    /// Telegram's successful_payment message (also to replay one).
    pub fn send_successful_payment(
        &self,
        user: i64,
        payload: &str,
        currency: &str,
        total: i64,
        charge: &str,
    ) {
        let m = self.message(
            user,
            "ru",
            serde_json::json!({"successful_payment": {"currency": currency, "total_amount": total,
                "invoice_payload": payload, "telegram_payment_charge_id": charge,
                "provider_payment_charge_id": ""}}),
        );
        self.push("message", m);
    }

    /// A subscription's successful_payment: the first (`renewal` false) or one Telegram makes every
    /// 30 days, with the period's end.
    pub fn send_subscription_payment(
        &self,
        user: i64,
        payload: &str,
        total: i64,
        charge: &str,
        (renewal, expires): (bool, i64),
    ) {
        let m = self.message(
            user,
            "ru",
            serde_json::json!({"successful_payment": {"currency": "XTR", "total_amount": total,
                "invoice_payload": payload, "telegram_payment_charge_id": charge,
                "provider_payment_charge_id": "", "subscription_expiration_date": expires,
                "is_recurring": true, "is_first_recurring": !renewal}}),
        );
        self.push("message", m);
    }

    /// Telegram's refunded_payment message.
    pub fn send_refunded_payment(&self, user: i64, payload: &str, total: i64, charge: &str) {
        let m = self.message(
            user,
            "ru",
            serde_json::json!({"refunded_payment": {"currency": "XTR", "total_amount": total,
                "invoice_payload": payload, "telegram_payment_charge_id": charge}}),
        );
        self.push("message", m);
    }

    pub fn mark(&self) -> usize {
        self.with(|s| s.calls.len())
    }

    /// The id of the last update queued.
    pub fn last_update_id(&self) -> i64 {
        self.with(|s| s.next_update - 1)
    }

    /// SIGKILLs `pid` as soon as a getUpdates confirms update `update_id`.
    pub fn kill_on_confirm(&self, update_id: i64, pid: u32) {
        self.with(|s| s.kill_on_confirm = Some((update_id, pid)));
    }

    /// Whether the kill armed by `kill_on_confirm` has happened.
    pub fn killed(&self) -> bool {
        self.with(|s| s.kill_on_confirm.is_none())
    }

    /// Updates Telegram holds but will never deliver (lost on its side, or confirmed by a bot that
    /// died before it recorded them).
    pub fn lose_updates(&self) {
        self.with(|s| s.updates.clear());
    }

    /// refundStarPayment takes this long to answer.
    pub fn delay_refunds(&self, delay: Option<Duration>) {
        self.with(|s| s.refund_delay = delay);
    }

    /// The next `n` refundStarPayment calls fail with 502, as an outage would (recorded, not made).
    pub fn fail_refunds(&self, n: usize) {
        self.with(|s| s.refunds_failing = n);
    }
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.state.1.notify_all();
    }
}

fn ok(result: serde_json::Value) -> (u16, serde_json::Value) {
    (200, serde_json::json!({"ok": true, "result": result}))
}

fn serve(state: &Arc<(Mutex<State>, Condvar)>, req: Request) -> Response {
    // teloxide sends a file path as one URL segment, its slash escaped.
    let url = req.url.replace("%2F", "/").replace("%2f", "/");
    let content_type = req.header("Content-Type").unwrap_or_default().to_string();
    let raw = req.body;
    if let Some(path) = url.strip_prefix(&format!("/file/bot{TOKEN}/")) {
        let (lock, _) = &**state;
        let delay = lock.lock().expect("state").download_delay;
        if let Some(d) = delay {
            std::thread::sleep(d);
        }
        let file = lock
            .lock()
            .expect("state")
            .files
            .get(path.trim_start_matches("files/"))
            .cloned();
        return match file {
            Some(bytes) => Response::bytes(200, bytes),
            None => Response::bytes(404, b"not found".to_vec()),
        };
    }
    let (status, body) = match url.strip_prefix(&format!("/bot{TOKEN}/")) {
        Some(method) => {
            let body = if content_type.starts_with("multipart/form-data") {
                let body = parse_multipart(&content_type, &raw);
                if let Some(bytes) = first_file(&content_type, &raw) {
                    let (lock, _) = &**state;
                    let chat = body["chat_id"].as_i64().unwrap_or(0);
                    let mut s = lock.lock().expect("state");
                    if method.eq_ignore_ascii_case("sendphoto") {
                        s.photo_seq += 1;
                        let id = format!("result{}", s.photo_seq);
                        s.files.insert(id, bytes.clone());
                    }
                    s.uploads.push((method.to_ascii_lowercase(), chat, bytes));
                }
                body
            } else {
                serde_json::from_slice(&raw).unwrap_or(serde_json::json!({}))
            };
            answer(state, &method.to_ascii_lowercase(), body)
        }
        None => (
            401,
            serde_json::json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
        ),
    };
    Response::json(status, body)
}

fn answer(
    state: &Arc<(Mutex<State>, Condvar)>,
    method: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let (lock, cv) = &**state;
    let bot = serde_json::json!({"id": BOT_ID, "is_bot": true, "first_name": "Media Lab", "username": "media_lab_bot"});
    match method {
        "getme" => ok(serde_json::json!({
            "id": BOT_ID, "is_bot": true, "first_name": "Media Lab", "username": "media_lab_bot",
            "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
            "can_connect_to_business": false, "has_main_web_app": false
        })),
        "getupdates" => {
            let offset = body["offset"].as_i64().unwrap_or(0);
            {
                let mut s = lock.lock().expect("state");
                if let Some((id, pid)) = s.kill_on_confirm
                    && offset > id
                {
                    let _ = std::process::Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                    s.kill_on_confirm = None;
                    cv.notify_all();
                    return ok(serde_json::json!([]));
                }
            }
            // Long poll, but never longer than a second so shutdowns stay quick.
            let deadline = Instant::now() + Duration::from_secs(1);
            let mut s = lock.lock().expect("state");
            s.get_updates += 1;
            s.updates
                .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            while s.updates.is_empty() {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                s = cv.wait_timeout(s, left).expect("wait").0;
                s.updates
                    .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
            }
            ok(serde_json::Value::Array(s.updates.clone()))
        }
        "getfile" => {
            let id = body["file_id"].as_str().unwrap_or("").to_string();
            let s = lock.lock().expect("state");
            match s.files.get(&id) {
                Some(bytes) => ok(
                    serde_json::json!({"file_id": id, "file_unique_id": "u", "file_size": bytes.len(), "file_path": format!("files/{id}")}),
                ),
                None => (
                    400,
                    serde_json::json!({"ok": false, "error_code": 400, "description": "Bad Request: invalid file_id"}),
                ),
            }
        }
        "deletewebhook" | "deletemessage" => ok(true.into()),
        "setmycommands" | "sendchataction" | "setmydescription" | "setmyshortdescription" => {
            let mut s = lock.lock().expect("state");
            record(&mut s, cv, method, &body);
            ok(true.into())
        }
        "answerprecheckoutquery" => {
            let mut s = lock.lock().expect("state");
            record(&mut s, cv, method, &body);
            ok(true.into())
        }
        "refundstarpayment" => {
            let delay = lock.lock().expect("state").refund_delay;
            if let Some(d) = delay {
                std::thread::sleep(d);
            }
            let mut s = lock.lock().expect("state");
            record(&mut s, cv, method, &body);
            if s.refunds_failing > 0 {
                s.refunds_failing -= 1;
                return (
                    502,
                    serde_json::json!({"ok": false, "error_code": 502, "description": "Bad Gateway"}),
                );
            }
            let charge = body["telegram_payment_charge_id"]
                .as_str()
                .unwrap_or("")
                .to_string();
            if s.refunded.contains(&charge) {
                return (
                    400,
                    serde_json::json!({"ok": false, "error_code": 400, "description": "Bad Request: CHARGE_ALREADY_REFUNDED"}),
                );
            }
            s.refunded.push(charge);
            ok(true.into())
        }
        "getmystarbalance" => ok(serde_json::json!({"amount": 0})),
        "createinvoicelink" => {
            let mut s = lock.lock().expect("state");
            record(&mut s, cv, method, &body);
            let n = s.calls.len();
            ok(format!("https://t.me/$invoice{n}").into())
        }
        "edituserstarsubscription" => {
            let mut s = lock.lock().expect("state");
            record(&mut s, cv, method, &body);
            ok(true.into())
        }
        "getstartransactions" => {
            let s = lock.lock().expect("state");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_secs();
            let user = |id: &i64| serde_json::json!({"id": id, "is_bot": false, "first_name": "U"});
            // Payments in order, each refund after them as an outgoing transaction with its id.
            let mut list: Vec<serde_json::Value> = s
                .star_transactions
                .iter()
                .map(|(id, payer, amount, payload)| {
                    serde_json::json!({"id": id, "amount": amount, "date": now,
                        "source": {"type": "user", "transaction_type": "invoice_payment",
                                   "invoice_payload": payload, "user": user(payer)}})
                })
                .collect();
            for charge in &s.refunded {
                if let Some((_, payer, amount, _)) =
                    s.star_transactions.iter().find(|t| &t.0 == charge)
                {
                    list.push(serde_json::json!({"id": charge, "amount": amount, "date": now,
                        "receiver": {"type": "user", "transaction_type": "invoice_payment", "user": user(payer)}}));
                }
            }
            let offset = body["offset"].as_u64().unwrap_or(0) as usize;
            let limit = body["limit"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
            let page: Vec<serde_json::Value> = list.into_iter().skip(offset).take(limit).collect();
            ok(serde_json::json!({"transactions": page}))
        }
        "getwebhookinfo" => ok(
            serde_json::json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0}),
        ),
        m if m.starts_with("send") || m.starts_with("edit") || m == "answercallbackquery" => {
            let mut s = lock.lock().expect("state");
            if m != "answercallbackquery" && s.down {
                s.refused += 1;
                return (
                    502,
                    serde_json::json!({"ok": false, "error_code": 502, "description": "Bad Gateway"}),
                );
            }
            if m.starts_with("send") && m != "sendchataction" && s.flood > 0 {
                s.flood -= 1;
                s.refused += 1;
                return (
                    429,
                    serde_json::json!({"ok": false, "error_code": 429,
                        "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}),
                );
            }
            let chat = body["chat_id"]
                .as_i64()
                .or_else(|| body["chat_id"].as_str().and_then(|c| c.parse().ok()));
            if chat.is_some_and(|c| s.blocked.contains(&c)) {
                return (
                    403,
                    serde_json::json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}),
                );
            }
            if m == "sendmessage" {
                s.message_times.push((chat.unwrap_or(0), Instant::now()));
            }
            // The id the answer gives the message, recorded with the call (`Call::sent_id`).
            let mut recorded = body.clone();
            if m != "answercallbackquery" {
                recorded["_sent_id"] = body["message_id"]
                    .as_i64()
                    .unwrap_or(s.next_message + 1)
                    .into();
            }
            s.calls.push(Call {
                method: m.to_string(),
                body: recorded,
            });
            cv.notify_all();
            if m == "sendphoto" {
                while s.hold_photos {
                    s = cv
                        .wait_timeout(s, Duration::from_millis(50))
                        .expect("wait")
                        .0;
                }
            }
            if m == "answercallbackquery" {
                return ok(true.into());
            }
            s.next_message += 1;
            let mut msg = serde_json::json!({
                "message_id": body["message_id"].as_i64().unwrap_or(s.next_message),
                "date": 1_700_000_000,
                "chat": {"id": chat.unwrap_or(0), "type": "private", "first_name": "U"},
                "from": bot,
            });
            match m {
                "sendphoto" | "editmessagemedia" => {
                    let id = format!("result{}", s.photo_seq);
                    msg["photo"] = serde_json::json!([{"file_id": id, "file_unique_id": "o", "width": 1, "height": 1}])
                }
                "senddocument" => {
                    msg["document"] = serde_json::json!({"file_id": "doc", "file_unique_id": "d"})
                }
                "sendinvoice" => {
                    let total: i64 = body["prices"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|p| p["amount"].as_i64())
                        .sum();
                    msg["invoice"] = serde_json::json!({"title": body["title"], "description": body["description"],
                        "start_parameter": "", "currency": body["currency"], "total_amount": total});
                }
                _ => msg["text"] = body["text"].clone(),
            }
            ok(msg)
        }
        _ => (
            404,
            serde_json::json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"}),
        ),
    }
}

/// Remembers a call the test may wait for.
fn record(s: &mut State, cv: &Condvar, method: &str, body: &serde_json::Value) {
    s.calls.push(Call {
        method: method.to_string(),
        body: body.clone(),
    });
    cv.notify_all();
}

/// The text fields of a multipart body, plus `_files`: each file part's name and size.
fn parse_multipart(content_type: &str, raw: &[u8]) -> serde_json::Value {
    let Some(boundary) = content_type
        .split("boundary=")
        .nth(1)
        .map(|b| b.trim_matches('"'))
    else {
        return serde_json::json!({});
    };
    let delim = format!("--{boundary}");
    let mut out = serde_json::Map::new();
    let mut files = serde_json::Map::new();
    let text = raw;
    let mut parts = Vec::new();
    let mut start = 0;
    while let Some(pos) = find(&text[start..], delim.as_bytes()) {
        let at = start + pos;
        if start > 0 {
            parts.push(&text[start..at.saturating_sub(2)]);
        }
        start = at + delim.len() + 2;
        if start > text.len() {
            break;
        }
    }
    for part in parts {
        let Some(split) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..split]);
        let body = &part[split + 4..];
        let name = head
            .split("name=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap_or("")
            .to_string();
        if head.contains("filename=") {
            files.insert(name, body.len().into());
        } else {
            let value = String::from_utf8_lossy(body).to_string();
            let parsed = serde_json::from_str(&value).unwrap_or(serde_json::Value::String(value));
            out.insert(name, parsed);
        }
    }
    out.insert("_files".into(), serde_json::Value::Object(files));
    serde_json::Value::Object(out)
}

/// The bytes of the first file part of a multipart body.
fn first_file(content_type: &str, raw: &[u8]) -> Option<Vec<u8>> {
    let boundary = content_type.split("boundary=").nth(1)?.trim_matches('"');
    let delim = format!("\r\n--{boundary}");
    let at = find(raw, b"filename=")?;
    let start = at + find(&raw[at..], b"\r\n\r\n")? + 4;
    let end = start + find(&raw[start..], delim.as_bytes())?;
    Some(raw[start..end].to_vec())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
