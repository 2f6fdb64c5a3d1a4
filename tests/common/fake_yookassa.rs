//! A fake YooKassa API on 127.0.0.1: checks Basic auth, replays a payment for a repeated
//! Idempotence-Key with the same body, answers 400 for a reused key with another body, injects
//! failures and delays, and lets the test succeed or cancel payments.

use super::http::{Request, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const SHOP_ID: &str = "123456";
pub const TEST_KEY: &str = "test_SECRET_key_0123";

#[derive(Debug, Clone)]
pub struct FakePayment {
    pub id: String,
    pub status: String,
    pub value: String,
    pub currency: String,
    pub body: serde_json::Value,
    pub test: bool,
    /// RFC 3339, as YooKassa writes it; the list filters on it.
    pub created_at: String,
}

#[derive(Default)]
struct State {
    payments: HashMap<String, FakePayment>,
    keys: HashMap<String, (serde_json::Value, String)>,
    fail_next: Vec<u16>,
    get_delay: Option<Duration>,
    requests: Vec<(String, String)>,
    counter: u64,
    /// While set, a create is made and then its answer waits (a test can kill the client meanwhile).
    hold_creates: bool,
    /// Creates made while `hold_creates` (their answer may never have been read).
    held: u64,
    /// New payments are made with this amount instead of the one asked for.
    create_value: Option<String>,
    /// Refunds by Idempotence-Key: (request body, refund id).
    refunds: HashMap<String, (serde_json::Value, String)>,
    /// Each refund's status and payment, by refund id.
    refund_status: HashMap<String, (String, String)>,
    /// The status a new refund starts in (default "succeeded").
    new_refund_status: Option<String>,
    /// Ids in creation order, for GET /payments.
    order: Vec<String>,
}

/// GET /payments answers at most this many per page (YooKassa may answer fewer than `limit`), so
/// tests with more payments follow the cursor.
const PAGE: usize = 10;

pub struct FakeYooKassa {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FakeYooKassa {
    pub fn start() -> FakeYooKassa {
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let shared = state.clone();
        let addr = super::http::serve(stop.clone(), move |req| serve(&shared, req));
        FakeYooKassa { addr, state, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}/v3", self.addr)
    }

    /// The settings of a binary that takes notifications and talks to this fake with secret `key`:
    /// posted from loopback as if through a reverse proxy on the host, the reconciler at rest.
    pub fn listener_vars(&self, key: &str) -> Vec<(&'static str, String)> {
        vec![
            ("TELEGRAM_BOT_TOKEN", "1:test".into()),
            ("YOOKASSA_SHOP_ID", SHOP_ID.into()),
            ("YOOKASSA_SECRET_KEY", key.into()),
            ("YOOKASSA_API_URL", self.url()),
            ("TRUSTED_PROXIES", "127.0.0.1".into()),
            ("YOOKASSA_RECHECK_SECS", "3600".into()),
        ]
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().expect("fake state"))
    }

    pub fn payment(&self, id: &str) -> Option<FakePayment> {
        self.with(|s| s.payments.get(id).cloned())
    }

    pub fn payments(&self) -> Vec<FakePayment> {
        self.with(|s| s.payments.values().cloned().collect())
    }

    pub fn set_status(&self, id: &str, status: &str) {
        self.with(|s| s.payments.get_mut(id).expect("known payment").status = status.into());
    }

    /// A payment made at YooKassa by someone else than the bot under test (another integration of
    /// the shop, or our bot before its database was restored): `metadata` as given.
    pub fn add_payment(&self, status: &str, value: &str, metadata: serde_json::Value) -> String {
        self.with(|s| {
            let id = s.next_id();
            let p = FakePayment {
                id: id.clone(),
                status: status.into(),
                value: value.into(),
                currency: "RUB".into(),
                body: serde_json::json!({"description": "made elsewhere", "metadata": metadata}),
                test: true,
                created_at: now_rfc3339(),
            };
            s.order.push(id.clone());
            s.payments.insert(id.clone(), p);
            id
        })
    }

    pub fn set_amount(&self, id: &str, value: &str) {
        self.with(|s| s.payments.get_mut(id).expect("known payment").value = value.into());
    }

    /// The next requests answer these statuses (429, 500, …) instead of their real answer.
    pub fn fail_next(&self, statuses: &[u16]) {
        self.with(|s| s.fail_next = statuses.to_vec());
    }

    /// GET /payments/{id} waits this long before answering (None: answer at once).
    pub fn delay_gets(&self, delay: Option<Duration>) {
        self.with(|s| s.get_delay = delay);
    }

    /// While held, POST /payments creates the payment and then keeps its answer back.
    pub fn hold_creates(&self, hold: bool) {
        self.with(|s| s.hold_creates = hold);
    }

    /// Creates answered (or being held) while `hold_creates` was on.
    pub fn held_creates(&self) -> u64 {
        self.with(|s| s.held)
    }

    /// New payments get this amount instead of the one in the request (None: as asked).
    pub fn create_with_value(&self, value: Option<&str>) {
        self.with(|s| s.create_value = value.map(str::to_string));
    }

    /// Posts by method and path prefix.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.requests()
            .iter()
            .filter(|(m, p)| m == method && p.starts_with(path))
            .count()
    }

    /// (method, path) of every request so far.
    pub fn requests(&self) -> Vec<(String, String)> {
        self.with(|s| s.requests.clone())
    }

    /// Refunds made (one per Idempotence-Key).
    /// New refunds start in `status` ("pending", "canceled"; None: "succeeded").
    pub fn refunds_start(&self, status: Option<&str>) {
        self.state.lock().expect("fake state").new_refund_status = status.map(str::to_string);
    }

    /// Moves every refund in `from` to `to` (YooKassa finishing them).
    pub fn finish_refunds(&self, from: &str, to: &str) -> Vec<String> {
        let mut s = self.state.lock().expect("fake state");
        let mut ids = Vec::new();
        for (id, (status, _)) in s.refund_status.iter_mut() {
            if status == from {
                *status = to.to_string();
                ids.push(id.clone());
            }
        }
        ids
    }

    /// A refund made outside the bot (the dashboard): listed in the payment's refunded_amount.
    pub fn refund_outside(&self, payment_id: &str) -> String {
        let mut s = self.state.lock().expect("fake state");
        s.counter += 1;
        let id = format!("3e{:06x}-000f-5000-a000-{:012x}", s.counter, s.counter);
        s.refund_status
            .insert(id.clone(), ("succeeded".into(), payment_id.to_string()));
        id
    }

    pub fn refunds(&self) -> usize {
        self.state.lock().expect("fake state").refunds.len()
    }

    pub fn gets_of(&self, id: &str) -> usize {
        let path = format!("/v3/payments/{id}");
        self.requests()
            .iter()
            .filter(|(m, p)| m == "GET" && *p == path)
            .count()
    }
}

impl State {
    fn next_id(&mut self) -> String {
        self.counter += 1;
        format!(
            "2e{:06x}-000f-5000-9000-{:012x}",
            self.counter, self.counter
        )
    }
}

/// Now in YooKassa's format, `2026-11-24T10:00:00.000Z`.
fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    media_lab::time::datetime_of(secs).replace('Z', ".000Z")
}

/// A query parameter of `path`, percent-decoded.
fn query_param(path: &str, name: &str) -> Option<String> {
    let query = path.split_once('?')?.1;
    let raw = query
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))?;
    let bytes = raw.as_bytes();
    let (mut out, mut i) = (Vec::new(), 0);
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Drop for FakeYooKassa {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn payment_json(p: &FakePayment, refunded: bool) -> serde_json::Value {
    serde_json::json!({
        "refunded_amount": {"value": if refunded { p.value.as_str() } else { "0.00" }, "currency": p.currency},
        "id": p.id,
        "status": p.status,
        "paid": p.status == "succeeded",
        "amount": {"value": p.value, "currency": p.currency},
        "confirmation": {"type": "redirect", "confirmation_url": format!("https://yoomoney.example/checkout?orderId={}", p.id)},
        "created_at": p.created_at,
        "description": p.body["description"],
        "metadata": p.body["metadata"],
        "recipient": {"account_id": SHOP_ID, "gateway_id": "1"},
        "refundable": false,
        "test": p.test,
    })
}

/// Whether a succeeded refund of this payment exists (the fake refunds only in full).
fn refunded(s: &State, payment: &str) -> bool {
    s.refund_status
        .values()
        .any(|(status, p)| p == payment && status == "succeeded")
}

fn error(status: u16, code: &str, description: &str) -> (u16, serde_json::Value) {
    (
        status,
        serde_json::json!({"type": "error", "id": "err-1", "code": code, "description": description}),
    )
}

fn serve(state: &Mutex<State>, req: Request) -> Response {
    let (method, path, raw) = (req.method.clone(), req.url.clone(), req.body.clone());
    let auth = req.header("Authorization").map(str::to_string);
    let key = req.header("Idempotence-Key").map(str::to_string);
    let delay = {
        let mut s = state.lock().expect("fake state");
        s.requests.push((method.clone(), path.clone()));
        if method == "GET" && path.starts_with("/v3/payments/") {
            s.get_delay
        } else {
            None
        }
    };
    if let Some(d) = delay {
        std::thread::sleep(d);
    }
    let (status, body) = answer(state, &method, &path, auth.as_deref(), key.as_deref(), &raw);
    if method == "POST" && path == "/v3/payments" && status == 200 {
        let mut held = false;
        while state.lock().expect("fake state").hold_creates {
            if !held {
                held = true;
                state.lock().expect("fake state").held += 1;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    Response::json(status, body)
}

fn answer(
    state: &Mutex<State>,
    method: &str,
    path: &str,
    auth: Option<&str>,
    key: Option<&str>,
    raw: &[u8],
) -> (u16, serde_json::Value) {
    use base64_basic as b64;
    let mut s = state.lock().expect("fake state");
    if !s.fail_next.is_empty() {
        let status = s.fail_next.remove(0);
        return error(status, "internal_server_error", "injected failure");
    }
    let expected = format!("Basic {}", b64::encode(&format!("{SHOP_ID}:{TEST_KEY}")));
    if auth != Some(expected.as_str()) {
        return error(401, "invalid_credentials", "Login or password is wrong");
    }
    match (method, path) {
        ("GET", "/v3/me") => (
            200,
            serde_json::json!({"account_id": SHOP_ID, "test": true, "status": "enabled"}),
        ),
        ("POST", "/v3/payments") => {
            let Some(key) = key else {
                return error(400, "invalid_request", "Idempotence-Key header is required");
            };
            let Ok(body) = serde_json::from_slice::<serde_json::Value>(raw) else {
                return error(400, "invalid_request", "Body is not JSON");
            };
            if let Some((seen, id)) = s.keys.get(key).cloned() {
                if seen != body {
                    return error(
                        400,
                        "invalid_request",
                        "Idempotence key duplicated with another request body",
                    );
                }
                return (200, payment_json(&s.payments[&id], false));
            }
            let asked = body["amount"]["value"].as_str().unwrap_or("").to_string();
            let value = s.create_value.clone().unwrap_or_else(|| asked.clone());
            if body["capture"] != true
                || body["confirmation"]["type"] != "redirect"
                || asked.is_empty()
            {
                return error(
                    400,
                    "invalid_request",
                    "amount, capture or confirmation missing",
                );
            }
            let id = s.next_id();
            let p = FakePayment {
                id: id.clone(),
                status: "pending".into(),
                currency: body["amount"]["currency"]
                    .as_str()
                    .unwrap_or("RUB")
                    .to_string(),
                value,
                body: body.clone(),
                test: true,
                created_at: now_rfc3339(),
            };
            s.order.push(id.clone());
            s.keys.insert(key.to_string(), (body, id.clone()));
            s.payments.insert(id.clone(), p);
            (200, payment_json(&s.payments[&id], false))
        }
        ("POST", "/v3/refunds") => {
            let Some(key) = key else {
                return error(400, "invalid_request", "Idempotence-Key header is required");
            };
            let Ok(body) = serde_json::from_slice::<serde_json::Value>(raw) else {
                return error(400, "invalid_request", "Body is not JSON");
            };
            let refund = |id: &str, status: &str| {
                serde_json::json!({"id": id, "status": status, "payment_id": body["payment_id"],
                    "amount": body["amount"], "created_at": "2026-11-24T10:00:00.000Z"})
            };
            if let Some((seen, id)) = s.refunds.get(key).cloned() {
                let status = s
                    .refund_status
                    .get(&id)
                    .map(|(st, _)| st.clone())
                    .unwrap_or_default();
                if seen != body {
                    return error(
                        400,
                        "invalid_request",
                        "Idempotence key duplicated with another request body",
                    );
                }
                return (200, refund(&id, &status));
            }
            let paid = body["payment_id"]
                .as_str()
                .and_then(|id| s.payments.get(id))
                .is_some_and(|p| {
                    p.status == "succeeded"
                        && p.value == body["amount"]["value"].as_str().unwrap_or("")
                });
            if !paid {
                return error(
                    400,
                    "invalid_request",
                    "Payment is not refundable for this amount",
                );
            }
            s.counter += 1;
            let id = format!("3e{:06x}-000f-5000-a000-{:012x}", s.counter, s.counter);
            let status = s
                .new_refund_status
                .clone()
                .unwrap_or_else(|| "succeeded".into());
            let payment = body["payment_id"].as_str().unwrap_or("").to_string();
            s.refund_status
                .insert(id.clone(), (status.clone(), payment));
            s.refunds
                .insert(key.to_string(), (body.clone(), id.clone()));
            (200, refund(&id, &status))
        }
        ("GET", p) if p.starts_with("/v3/refunds/") => {
            let id = &p["/v3/refunds/".len()..];
            match s.refund_status.get(id) {
                Some((status, payment)) => (
                    200,
                    serde_json::json!({"id": id, "status": status, "payment_id": payment,
                        "created_at": "2026-11-24T10:00:00.000Z"}),
                ),
                None => error(404, "not_found", "Refund not found"),
            }
        }
        ("GET", p) if p == "/v3/payments" || p.starts_with("/v3/payments?") => {
            let since = query_param(p, "created_at.gte").unwrap_or_default();
            let limit = query_param(p, "limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(10);
            if !(1..=100).contains(&limit) {
                return error(400, "invalid_request", "limit must be from 1 to 100");
            }
            let start = match query_param(p, "cursor") {
                Some(c) => match c.strip_prefix("cur-").and_then(|n| n.parse::<usize>().ok()) {
                    Some(n) => n,
                    None => return error(400, "invalid_request", "unknown cursor"),
                },
                None => 0,
            };
            // Newest first, as YooKassa lists them.
            let listed: Vec<&FakePayment> = s
                .order
                .iter()
                .rev()
                .map(|id| &s.payments[id])
                .filter(|p| p.created_at >= since)
                .collect();
            let end = (start + limit.min(PAGE)).min(listed.len());
            let items: Vec<serde_json::Value> = listed[start.min(end)..end]
                .iter()
                .map(|p| payment_json(p, refunded(&s, &p.id)))
                .collect();
            let mut page = serde_json::json!({"type": "list", "items": items});
            if end < listed.len() {
                page["next_cursor"] = format!("cur-{end}").into();
            }
            (200, page)
        }
        ("GET", p) if p.starts_with("/v3/payments/") => {
            let id = &p["/v3/payments/".len()..];
            match s.payments.get(id) {
                Some(p) => (200, payment_json(p, refunded(&s, &p.id))),
                None => error(404, "not_found", "Payment not found"),
            }
        }
        _ => error(404, "not_found", "no such endpoint"),
    }
}

/// Standard base64 for the Basic auth header, so the fake needs no dependency.
pub mod base64_basic {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = (u32::from(chunk[0]) << 16)
                | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
                | u32::from(*chunk.get(2).unwrap_or(&0));
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
