//! A fake fal.ai queue on 127.0.0.1. Each request follows a scenario: the default one set by the test,
//! or one named in the prompt as `[slow]`, `[stuck]`, `[422]`, `[500]`, `[nsfw]`, `[expired]`.
//! It records every submit (endpoint and input), cancels, and the most requests open at once. It also
//! plays fal's platform API (`/v1/models`, `/v1/models/pricing`): it knows every endpoint but those
//! whose id contains `does-not-exist`, and prices each at `set_price`'s figure or $0.02 an image.

use super::http::{Request, Response};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub const KEY: &str = "fal-test-key";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Ok,
    Slow,
    Stuck,
    Refused,
    Error,
    Nsfw,
    Expired,
    /// A 60 MB result, sent chunked so its size is only found by reading it.
    Huge,
}

impl Scenario {
    fn from_prompt(prompt: &str) -> Option<Scenario> {
        [
            ("[slow]", Scenario::Slow),
            ("[stuck]", Scenario::Stuck),
            ("[422]", Scenario::Refused),
            ("[500]", Scenario::Error),
            ("[nsfw]", Scenario::Nsfw),
            ("[expired]", Scenario::Expired),
            ("[huge]", Scenario::Huge),
        ]
        .into_iter()
        .find(|(tag, _)| prompt.contains(tag))
        .map(|(_, s)| s)
    }
}

#[derive(Debug, Clone)]
pub struct Submit {
    pub endpoint: String,
    pub input: serde_json::Value,
}

struct FalRequest {
    scenario: Scenario,
    polls: u32,
    open: bool,
    /// `fal-ai/any-llm`: the answer is text, «Ответ: <the prompt's last line>».
    llm: Option<String>,
}

#[derive(Default)]
struct State {
    default: Option<Scenario>,
    submits: Vec<Submit>,
    requests: HashMap<String, FalRequest>,
    cancels: Vec<String>,
    open: usize,
    max_open: usize,
    prices: HashMap<String, f64>,
}

pub struct FakeFal {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl FakeFal {
    pub fn start() -> FakeFal {
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (shared, me) = (state.clone(), Arc::new(std::sync::OnceLock::new()));
        let me2 = me.clone();
        let addr = super::http::serve(stop.clone(), move |req| {
            serve(*me2.get().expect("address set"), &shared, req)
        });
        me.set(addr).expect("address set once");
        FakeFal { addr, state, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_scenario(&self, s: Scenario) {
        self.state.lock().expect("state").default = Some(s);
    }

    pub fn submits(&self) -> Vec<Submit> {
        self.state.lock().expect("state").submits.clone()
    }

    pub fn cancels(&self) -> usize {
        self.state.lock().expect("state").cancels.len()
    }

    /// What the platform API says `endpoint` costs, in dollars per image.
    pub fn set_price(&self, endpoint: &str, usd: f64) {
        self.state
            .lock()
            .expect("state")
            .prices
            .insert(endpoint.to_string(), usd);
    }

    pub fn max_open(&self) -> usize {
        self.state.lock().expect("state").max_open
    }
}

impl Drop for FakeFal {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A small PNG to hand back as the model's output.
pub fn result_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([200, (x * 3) as u8, (y * 5) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("png");
    out.into_inner()
}

fn close(s: &mut State, id: &str) {
    if let Some(r) = s.requests.get_mut(id).filter(|r| r.open) {
        r.open = false;
        s.open -= 1;
    }
}

fn serve(addr: SocketAddr, state: &Mutex<State>, req: Request) -> Response {
    let (url, method, raw) = (req.url.clone(), req.method.clone(), req.body.clone());
    let auth = req.header("Authorization").map(str::to_string);
    let json = Response::json;
    if url.starts_with("/files/") {
        if url.contains("-huge") {
            return Response::chunked(200, vec![0u8; 60 << 20]);
        }
        return Response::bytes(200, result_png());
    }
    if auth.as_deref() != Some(&format!("Key {KEY}")) {
        return json(401, serde_json::json!({"detail": "Invalid key"}));
    }
    let base = format!("http://{addr}");
    let mut s = state.lock().expect("state");
    let resp = if let Some(query) = url.strip_prefix("/v1/models") {
        let (path, query) = query.split_once('?').unwrap_or((query, ""));
        let ids: Vec<String> = query
            .split('&')
            .filter_map(|kv| kv.strip_prefix("endpoint_id="))
            .map(|v| v.replace("%2F", "/").replace("%2f", "/"))
            .filter(|id| !id.contains("does-not-exist"))
            .collect();
        match path {
            "" => json(
                200,
                serde_json::json!({"models": ids.iter().map(|id| serde_json::json!({"endpoint_id": id})).collect::<Vec<_>>(), "has_more": false}),
            ),
            "/pricing" => json(
                200,
                serde_json::json!({"prices": ids.iter().map(|id| serde_json::json!({
                    "endpoint_id": id,
                    "unit_price": s.prices.get(id).copied().unwrap_or(0.02),
                    "unit": "image",
                    "currency": "USD",
                })).collect::<Vec<_>>(), "has_more": false}),
            ),
            _ => json(404, serde_json::json!({"detail": "Not found"})),
        }
    } else if let Some(rest) = url.strip_prefix("/requests/") {
        let (id, tail) = rest.split_once('/').map_or((rest, ""), |(i, t)| (i, t));
        let id = id.to_string();
        let Some(r) = s.requests.get_mut(&id) else {
            return json(404, serde_json::json!({"detail": "Request not found"}));
        };
        match (method.as_str(), tail) {
            ("GET", "status") => {
                r.polls += 1;
                let status = match r.scenario {
                    Scenario::Slow if r.polls <= 1 => ("IN_QUEUE", 202),
                    Scenario::Slow if r.polls <= 4 => ("IN_PROGRESS", 202),
                    Scenario::Stuck => ("IN_PROGRESS", 202),
                    _ => ("COMPLETED", 200),
                };
                json(
                    status.1,
                    serde_json::json!({"status": status.0, "queue_position": 0, "request_id": id}),
                )
            }
            ("PUT", "cancel") => {
                s.cancels.push(id.clone());
                close(&mut s, &id);
                json(202, serde_json::json!({"status": "CANCELLATION_REQUESTED"}))
            }
            ("GET", "") => {
                let (scenario, r_llm) = (r.scenario, r.llm.clone());
                close(&mut s, &id);
                match scenario {
                    Scenario::Refused => json(
                        422,
                        serde_json::json!({"detail": [{"loc": ["body", "prompt"], "msg": "Content policy violation", "type": "content_policy_violation"}]}),
                    ),
                    Scenario::Error => {
                        json(500, serde_json::json!({"detail": "Internal server error"}))
                    }
                    Scenario::Expired => {
                        json(404, serde_json::json!({"detail": "Request result expired"}))
                    }
                    Scenario::Huge => json(
                        200,
                        serde_json::json!({"images": [{"url": format!("{base}/files/{id}-huge.png")}]}),
                    ),
                    Scenario::Nsfw => json(
                        200,
                        serde_json::json!({"images": [{"url": format!("{base}/files/{id}.png"), "width": 64, "height": 48}], "has_nsfw_concepts": [true]}),
                    ),
                    _ if r_llm.is_some() => json(
                        200,
                        serde_json::json!({"output": format!("Ответ: {}", r_llm.unwrap_or_default()), "error": null, "partial": false}),
                    ),
                    _ => json(
                        200,
                        serde_json::json!({"images": [{"url": format!("{base}/files/{id}.png"), "width": 64, "height": 48, "content_type": "image/png"}], "has_nsfw_concepts": [false], "seed": 1}),
                    ),
                }
            }
            _ => json(405, serde_json::json!({"detail": "Method not allowed"})),
        }
    } else if method == "POST" {
        let input: serde_json::Value = serde_json::from_slice(&raw).unwrap_or_default();
        let endpoint = url.trim_start_matches('/').to_string();
        let prompt = input["prompt"].as_str().unwrap_or("");
        let scenario = Scenario::from_prompt(prompt)
            .or(s.default)
            .unwrap_or(Scenario::Ok);
        let id = format!("req-{:04}", s.submits.len() + 1);
        let is_llm = endpoint == "fal-ai/any-llm";
        let llm = is_llm.then(|| prompt.lines().last().unwrap_or_default().to_string());
        s.submits.push(Submit { endpoint, input });
        s.requests.insert(
            id.clone(),
            FalRequest {
                scenario,
                polls: 0,
                open: true,
                llm,
            },
        );
        s.open += 1;
        s.max_open = s.max_open.max(s.open);
        json(
            200,
            serde_json::json!({
                "request_id": id,
                "status_url": format!("{base}/requests/{id}/status"),
                "response_url": format!("{base}/requests/{id}"),
                "cancel_url": format!("{base}/requests/{id}/cancel"),
            }),
        )
    } else {
        json(404, serde_json::json!({"detail": "Not found"}))
    };
    drop(s);
    resp
}
