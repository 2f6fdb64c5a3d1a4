//! A small fal.ai queue client: submit to `{FAL_QUEUE_URL}/{endpoint}`, then follow the `status_url`
//! and `response_url` fal returns. A submit is never retried (fal has no idempotency key); status
//! polls are. The key is only ever sent to URLs under FAL_QUEUE_URL.

use crate::config::{Config, Secret};
use crate::error::{Error, Result};
use crate::model::{Chosen, Format, FormatField, Mode};
use serde::Deserialize;
use std::time::Duration;

const SERVICE: &str = "fal.ai";
/// Results larger than this are refused (a photo from a model is a few MB at most).
const MAX_DOWNLOAD: usize = 50 * 1024 * 1024;

/// A JSON answer from the queue larger than this is refused (a result inlined as a data URI is at
/// most MAX_DOWNLOAD in base64).
const MAX_ANSWER: usize = MAX_DOWNLOAD / 3 * 4 + 64 * 1024;

/// fal's language-model endpoint (the model is the request's `model`: LLM_MODEL).
pub const LLM_ENDPOINT: &str = "fal-ai/any-llm";

/// The longest answer kept from a language model (one Telegram message).
pub const MAX_ANSWER_CHARS: usize = 3500;

pub struct Fal {
    http: reqwest::Client,
    /// Fetches result URLs: no key, and only where `Reach` allows, hostnames included.
    results: reqwest::Client,
    reach: Reach,
    base: String,
    key: Secret,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Submitted {
    pub request_id: String,
    pub status_url: String,
    pub response_url: String,
    #[serde(default)]
    pub cancel_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    InQueue { position: Option<u64> },
    InProgress,
    Completed,
}

/// The images a model returned, and whether its safety checker flagged any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub urls: Vec<String>,
    pub nsfw: bool,
}

/// Why a fal call failed, as far as the user and the refund care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// 422: the input was refused (content policy, unreadable image).
    Refused,
    /// 401/403: our key is wrong or locked; the operator must act.
    Key,
    /// Anything else: 5xx, timeouts, a result that expired.
    Service,
}

pub fn failure_kind(e: &Error) -> FailureKind {
    match e {
        Error::Remote {
            status: Some(422), ..
        } => FailureKind::Refused,
        Error::Remote {
            status: Some(401 | 403),
            ..
        } => FailureKind::Key,
        _ => FailureKind::Service,
    }
}

impl Fal {
    pub fn from_config(config: &Config) -> Result<Option<Fal>> {
        let Some(key) = &config.fal.fal_key else {
            return Ok(None);
        };
        let http = builder(60)
            .build()
            .map_err(|e| remote(None, format!("cannot build the HTTP client: {e}"), false))?;
        let reach = Reach {
            loopback: is_loopback_url(&config.fal.fal_queue_url),
        };
        let results = builder(120)
            .dns_resolver(std::sync::Arc::new(reach))
            .redirect(reqwest::redirect::Policy::custom(move |hop| {
                if hop.previous().len() >= 5 {
                    hop.error("too many redirects")
                } else if let Err(why) = reach.check(hop.url()) {
                    hop.error(why)
                } else {
                    hop.follow()
                }
            }))
            .build()
            .map_err(|e| remote(None, format!("cannot build the HTTP client: {e}"), false))?;
        Ok(Some(Fal {
            http,
            results,
            reach,
            base: config.fal.fal_queue_url.clone(),
            key: key.clone(),
        }))
    }

    /// Submits one request. Not retried: once the POST may have reached fal, a second one could run
    /// (and bill) the model twice.
    pub async fn submit(&self, endpoint: &str, input: &serde_json::Value) -> Result<Submitted> {
        let url = format!("{}/{endpoint}", self.base);
        let resp = self
            .http
            .post(&url)
            .header("Authorization", format!("Key {}", self.key.expose()))
            .json(input)
            .send()
            .await
            .map_err(|e| remote(None, format!("submit failed: {e}"), false))?;
        let submitted: Submitted = parse(check(resp).await?)?;
        for u in [&submitted.status_url, &submitted.response_url] {
            self.ours(u)?;
        }
        Ok(submitted)
    }

    pub async fn status(&self, status_url: &str) -> Result<Status> {
        #[derive(Deserialize)]
        struct Body {
            status: String,
            #[serde(default)]
            queue_position: Option<u64>,
        }
        let body: Body = parse(self.get(status_url).await?)?;
        match body.status.as_str() {
            "IN_QUEUE" => Ok(Status::InQueue {
                position: body.queue_position,
            }),
            "IN_PROGRESS" => Ok(Status::InProgress),
            "COMPLETED" => Ok(Status::Completed),
            other => Err(remote(None, format!("unknown status {other:?}"), false)),
        }
    }

    /// The finished request's output: `images[]` or `image{}`, with `has_nsfw_concepts` if present.
    pub async fn result(&self, response_url: &str) -> Result<Output> {
        let v = self.get(response_url).await?;
        let mut urls: Vec<String> = v["images"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|i| i["url"].as_str().map(str::to_string))
            .collect();
        if let Some(u) = v["image"]["url"].as_str() {
            urls.push(u.to_string());
        }
        let nsfw = v["has_nsfw_concepts"]
            .as_array()
            .is_some_and(|a| a.iter().any(|f| f.as_bool() == Some(true)));
        if urls.is_empty() {
            return Err(remote(None, "the result has no image".into(), false));
        }
        Ok(Output { urls, nsfw })
    }

    /// One answer of a language model through `fal-ai/any-llm` (SPEC §6c), on the same queue, key and
    /// limits as the images: submitted, polled every half second, and given up (and cancelled at
    /// fal) after `deadline`. The answer is cut to `MAX_ANSWER_CHARS`; an `error` fal reports, an
    /// empty answer or the deadline is an error.
    pub async fn ask(
        &self,
        model: &str,
        system: &str,
        prompt: &str,
        deadline: Duration,
    ) -> Result<String> {
        let input = serde_json::json!({"model": model, "system_prompt": system, "prompt": prompt});
        let submitted = self.submit(LLM_ENDPOINT, &input).await?;
        let until = tokio::time::Instant::now() + deadline;
        loop {
            if self.status(&submitted.status_url).await? == Status::Completed {
                break;
            }
            if tokio::time::Instant::now() >= until {
                if let Some(url) = &submitted.cancel_url {
                    let _ = self.cancel(url).await;
                }
                return Err(remote(
                    None,
                    format!(
                        "the language model did not answer within {} s",
                        deadline.as_secs()
                    ),
                    true,
                ));
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let v = self.get(&submitted.response_url).await?;
        if let Some(e) = v["error"].as_str().filter(|e| !e.is_empty()) {
            return Err(remote(
                None,
                format!("the language model failed: {e}"),
                false,
            ));
        }
        let answer: String = v["output"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .chars()
            .take(MAX_ANSWER_CHARS)
            .collect();
        if answer.is_empty() {
            return Err(remote(
                None,
                "the language model gave an empty answer".into(),
                false,
            ));
        }
        Ok(answer)
    }

    /// Asks fal to stop a request we gave up on (deadline). Best effort.
    pub async fn cancel(&self, cancel_url: &str) -> Result<()> {
        self.ours(cancel_url)?;
        let resp = self
            .http
            .put(cancel_url)
            .header("Authorization", format!("Key {}", self.key.expose()))
            .send()
            .await
            .map_err(|e| remote(None, format!("cancel failed: {e}"), true))?;
        check(resp).await.map(|_| ())
    }

    /// Downloads a result image (fal's CDN needs no key; `data:` URIs are decoded), streamed and
    /// refused past MAX_DOWNLOAD, and only from where `Reach` allows.
    pub async fn download(&self, url: &str) -> Result<Vec<u8>> {
        if let Some(rest) = url.strip_prefix("data:") {
            let b64 = rest
                .split_once(";base64,")
                .map(|(_, d)| d)
                .ok_or_else(|| remote(None, "bad data URI".into(), false))?;
            if b64.len() / 4 * 3 > MAX_DOWNLOAD + 3 {
                return Err(remote(None, "the result is too large".into(), false));
            }
            use base64::Engine;
            return base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| remote(None, format!("bad data URI: {e}"), false));
        }
        let parsed = reqwest::Url::parse(url)
            .map_err(|e| remote(None, format!("the result URL is unreadable: {e}"), false))?;
        self.reach
            .check(&parsed)
            .map_err(|why| remote(None, format!("the result URL is refused: {why}"), false))?;
        let resp = self
            .results
            .get(parsed)
            .send()
            .await
            .map_err(|e| remote(None, format!("download failed: {e}"), !refused(&e)))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(remote(
                Some(status.as_u16()),
                format!("download answered HTTP {status}"),
                status.is_server_error(),
            ));
        }
        read_capped(resp, MAX_DOWNLOAD, "the result").await
    }

    async fn get(&self, url: &str) -> Result<serde_json::Value> {
        self.ours(url)?;
        let resp = self
            .http
            .get(url)
            .header("Authorization", format!("Key {}", self.key.expose()))
            .send()
            .await
            .map_err(|e| remote(None, crate::error::unreachable(&e), true))?;
        check(resp).await
    }

    /// The key goes only to fal's queue, never to a URL a response happened to name.
    fn ours(&self, url: &str) -> Result<()> {
        let origin = |u: &str| u.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
        if origin(url) == origin(&self.base) {
            Ok(())
        } else {
            Err(remote(
                None,
                format!("fal returned a URL outside FAL_QUEUE_URL: {}", origin(url)),
                false,
            ))
        }
    }
}

/// fal's platform API (FAL_API_URL): which endpoints exist and what they cost, for `check` and
/// `models`. Never used while serving users.
pub struct Platform {
    http: reqwest::Client,
    base: String,
    key: Secret,
}

/// fal's price for one endpoint: `unit_price` dollars per `unit` (an image, a megapixel, a second).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Price {
    pub endpoint_id: String,
    pub unit_price: f64,
    #[serde(default)]
    pub unit: String,
}

/// The platform API answers at most this many endpoint ids per request.
const PLATFORM_BATCH: usize = 50;

impl Platform {
    pub fn from_config(config: &Config) -> Result<Option<Platform>> {
        let Some(key) = &config.fal.fal_key else {
            return Ok(None);
        };
        let http = builder(30)
            .build()
            .map_err(|e| remote(None, format!("cannot build the HTTP client: {e}"), false))?;
        Ok(Some(Platform {
            http,
            base: config.fal.fal_api_url.trim_end_matches('/').to_string(),
            key: key.clone(),
        }))
    }

    /// Which of `ids` fal knows (`GET /v1/models?endpoint_id=…`).
    pub async fn known(&self, ids: &[&str]) -> Result<std::collections::HashSet<String>> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            models: Vec<Entry>,
        }
        #[derive(Deserialize)]
        struct Entry {
            endpoint_id: String,
        }
        let mut known = std::collections::HashSet::new();
        for batch in ids.chunks(PLATFORM_BATCH) {
            let page: Page = parse(self.get("/v1/models", batch).await?)?;
            known.extend(page.models.into_iter().map(|m| m.endpoint_id));
        }
        Ok(known)
    }

    /// fal's current prices for `ids` (`GET /v1/models/pricing?endpoint_id=…`); an endpoint fal
    /// gives no price for is missing from the answer.
    pub async fn prices(&self, ids: &[&str]) -> Result<Vec<Price>> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            prices: Vec<Price>,
        }
        let mut prices = Vec::new();
        for batch in ids.chunks(PLATFORM_BATCH) {
            let page: Page = parse(self.get("/v1/models/pricing", batch).await?)?;
            prices.extend(page.prices);
        }
        Ok(prices)
    }

    async fn get(&self, path: &str, ids: &[&str]) -> Result<serde_json::Value> {
        let params: Vec<(&str, &str)> = ids.iter().map(|id| ("endpoint_id", *id)).collect();
        let url = reqwest::Url::parse_with_params(&format!("{}{path}", self.base), &params)
            .map_err(|e| remote(None, format!("FAL_API_URL does not make a URL: {e}"), false))?;
        let resp = self
            .http
            .get(url)
            .header("Authorization", format!("Key {}", self.key.expose()))
            .send()
            .await
            .map_err(|e| remote(None, crate::error::unreachable(&e), true))?;
        check(resp).await
    }
}

/// Every fal client's settings: a 10 s connect, `secs` for the whole request, our user agent.
fn builder(secs: u64) -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(secs))
        .user_agent(concat!("media-lab/", env!("CARGO_PKG_VERSION")))
}

/// 2xx → the JSON body; otherwise a typed error carrying fal's `detail` (a string or a list).
async fn check(resp: reqwest::Response) -> Result<serde_json::Value> {
    let status = resp.status();
    let body = read_capped(resp, MAX_ANSWER, "fal's answer").await?;
    let text = String::from_utf8_lossy(&body);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    if status.is_success() {
        return Ok(value);
    }
    let detail = match &value["detail"] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| {
                i["msg"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => text.chars().take(200).collect(),
    };
    let message = match status.as_u16() {
        401 | 403 => format!("HTTP {status}: FAL_KEY was refused ({detail})"),
        _ => format!("HTTP {status}: {detail}"),
    };
    Err(remote(
        Some(status.as_u16()),
        message,
        status.is_server_error() || status.as_u16() == 429,
    ))
}

/// The body chunk by chunk, refused as soon as it passes `cap` (or declares it will): a hostile
/// answer costs at most `cap` bytes of memory.
async fn read_capped(mut resp: reqwest::Response, cap: usize, what: &str) -> Result<Vec<u8>> {
    let too_large = || {
        remote(
            None,
            format!("{what} is larger than {} MB", cap >> 20),
            false,
        )
    };
    if resp.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| remote(Some(status), format!("reading {what} failed: {e}"), true))?
    {
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Where result URLs may lead: https to public addresses; when FAL_QUEUE_URL is itself on this
/// host (tests, a local relay), also loopback, over http too.
#[derive(Debug, Clone, Copy)]
struct Reach {
    loopback: bool,
}

impl Reach {
    fn allows(self, ip: std::net::IpAddr) -> bool {
        crate::cidr::is_public(ip) || (self.loopback && ip.to_canonical().is_loopback())
    }

    fn check(self, url: &reqwest::Url) -> std::result::Result<(), String> {
        match url.scheme() {
            "https" => {}
            "http" if self.loopback => {}
            other => return Err(format!("{other}: is not https")),
        }
        let host = url.host_str().unwrap_or("");
        match host.trim_start_matches('[').trim_end_matches(']').parse() {
            Ok(ip) if !self.allows(ip) => Err(format!("{ip} is not a public address")),
            _ if host.is_empty() => Err("no host".into()),
            // Names are checked where they are resolved (below), so a rebinding DNS cannot slip by.
            _ => Ok(()),
        }
    }
}

impl reqwest::dns::Resolve for Reach {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let (reach, host) = (*self, name.as_str().to_string());
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<std::net::SocketAddr> =
                found.filter(|a| reach.allows(a.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(NotPublic(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

fn is_loopback_url(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| match u.host_str() {
        Some("localhost") => true,
        Some(h) => h
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    })
}

/// A host name that resolved only to addresses `Reach` refuses.
#[derive(Debug)]
struct NotPublic(String);

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} has no public address", self.0)
    }
}

impl std::error::Error for NotPublic {}

/// A download refused by our own address rules: retrying would not change the answer.
fn refused(e: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<NotPublic>() {
            return true;
        }
        source = s.source();
    }
    e.is_redirect()
}

fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T> {
    serde_json::from_value(v).map_err(|e| remote(None, format!("unexpected response: {e}"), false))
}

fn remote(status: Option<u16>, message: String, retryable: bool) -> Error {
    Error::Remote {
        service: SERVICE,
        status,
        code: None,
        message,
        retryable,
    }
}

/// The request body for one job: the prompt (a preset's instruction first), the pictures in the
/// field the model reads (`image_urls`, `image_url`, or face swap's two), one result, and the format
/// in the model's own field.
pub fn input_for(
    mode: Mode,
    model: &Chosen,
    format: Option<Format>,
    prompt: &str,
    images: &[String],
) -> serde_json::Value {
    use serde_json::{Value, json};
    let mut body = serde_json::Map::new();
    let words = match (&model.instruction, prompt.trim()) {
        (Some(i), "") => i.clone(),
        (Some(i), p) => format!("{i}\n\nAlso: {p}"),
        (None, p) => p.to_string(),
    };
    if matches!(mode, Mode::Generate | Mode::Edit | Mode::Merge) || model.instruction.is_some() {
        body.insert("prompt".into(), json!(words));
    }
    match mode {
        Mode::Generate => {
            body.insert("num_images".into(), json!(1));
            body.insert("enable_safety_checker".into(), json!(true));
        }
        Mode::FaceSwap => {
            body.insert("swap_image_url".into(), json!(images.first()));
            body.insert("base_image_url".into(), json!(images.get(1)));
        }
        _ if model.list => {
            body.insert("image_urls".into(), json!(images));
            body.insert("num_images".into(), json!(1));
        }
        _ => {
            body.insert("image_url".into(), json!(images.first()));
        }
    }
    if let (Some(field), Some(f)) = (model.formats, format)
        && f != Format::Source
    {
        let value = match field {
            FormatField::AspectRatio => json!(f.as_str()),
            FormatField::ImageSize => image_size(f),
        };
        body.insert(field.as_str().into(), value);
    }
    Value::Object(body)
}

/// A format as fal's `image_size`: its named preset where one exists, else width and height.
fn image_size(f: Format) -> serde_json::Value {
    let preset = match f {
        Format::Square => "square_hd",
        Format::Portrait => "portrait_4_3",
        Format::Landscape => "landscape_4_3",
        Format::Story => "portrait_16_9",
        Format::Banner => "landscape_16_9",
        Format::Social | Format::Source => "",
    };
    match (preset, f.size()) {
        ("", Some((width, height))) => serde_json::json!({"width": width, "height": height}),
        (p, _) => serde_json::json!(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn fal(queue: &str) -> Fal {
        let config = Config::from_lookup(|k| match k {
            "TELEGRAM_BOT_TOKEN" => Some("1:test".into()),
            "FAL_KEY" => Some("key".into()),
            "FAL_QUEUE_URL" => Some(queue.into()),
            _ => None,
        })
        .expect("config");
        Fal::from_config(&config)
            .expect("client")
            .expect("configured")
    }

    #[test]
    fn result_urls_lead_only_to_public_addresses() {
        let public = Reach { loopback: false };
        let url = |s: &str| reqwest::Url::parse(s).expect("url");
        assert!(
            public
                .check(&url("https://v3.fal.media/files/a.png"))
                .is_ok()
        );
        assert!(public.check(&url("https://8.8.8.8/a.png")).is_ok());
        for bad in [
            "http://v3.fal.media/a.png",
            "https://127.0.0.1/a.png",
            "https://10.0.0.5/a.png",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/a.png",
            "https://[::ffff:192.168.0.1]/a.png",
            "file:///etc/passwd",
        ] {
            assert!(public.check(&url(bad)).is_err(), "{bad}");
        }
        let local = Reach { loopback: true };
        assert!(local.check(&url("http://127.0.0.1:8080/a.png")).is_ok());
        assert!(local.check(&url("https://10.0.0.5/a.png")).is_err());
        assert!(is_loopback_url("http://127.0.0.1:1234/fal"));
        assert!(is_loopback_url("http://localhost:1234"));
        assert!(!is_loopback_url("https://queue.fal.run"));
    }

    #[test]
    fn a_loopback_result_is_refused_when_the_queue_is_public() {
        // A server on loopback that must never be asked.
        let server = TcpListener::bind("127.0.0.1:0").expect("bind");
        server.set_nonblocking(true).expect("nonblocking");
        let port = server.local_addr().expect("addr").port();
        let fal = fal("https://queue.fal.run");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        for url in [
            format!("http://127.0.0.1:{port}/result.png"),
            format!("https://127.0.0.1:{port}/result.png"),
            // A name is judged by what it resolves to.
            format!("https://localhost:{port}/result.png"),
        ] {
            let e = rt.block_on(fal.download(&url)).expect_err(&url);
            assert!(
                matches!(
                    e,
                    Error::Remote {
                        retryable: false,
                        ..
                    }
                ),
                "{url}: {e:?}"
            );
        }
        assert!(server.accept().is_err(), "a refused URL was connected to");
    }
}
