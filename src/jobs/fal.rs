//! A small fal.ai queue client: submit to `{FAL_QUEUE_URL}/{endpoint}`, then follow the `status_url`
//! and `response_url` fal returns. A submit is never retried (fal has no idempotency key); status
//! polls are. The key is only ever sent to URLs under FAL_QUEUE_URL.

use crate::config::{Config, Secret};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::time::Duration;

const SERVICE: &str = "fal.ai";
/// Results larger than this are refused (a photo from a model is a few MB at most).
const MAX_DOWNLOAD: usize = 50 * 1024 * 1024;

pub struct Fal {
    http: reqwest::Client,
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
        let Some(key) = &config.fal_key else {
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("media-lab/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| remote(None, format!("cannot build the HTTP client: {e}"), false))?;
        Ok(Some(Fal {
            http,
            base: config.fal_queue_url.clone(),
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

    /// Downloads a result image (fal's CDN needs no key; `data:` URIs are decoded).
    pub async fn download(&self, url: &str) -> Result<Vec<u8>> {
        if let Some(rest) = url.strip_prefix("data:") {
            let b64 = rest
                .split_once(";base64,")
                .map(|(_, d)| d)
                .ok_or_else(|| remote(None, "bad data URI".into(), false))?;
            use base64::Engine;
            return base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| remote(None, format!("bad data URI: {e}"), false));
        }
        if !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(remote(None, "the result URL is not http(s)".into(), false));
        }
        let resp = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| remote(None, format!("download failed: {e}"), true))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(remote(
                Some(status.as_u16()),
                format!("download answered HTTP {status}"),
                status.is_server_error(),
            ));
        }
        if resp
            .content_length()
            .is_some_and(|n| n as usize > MAX_DOWNLOAD)
        {
            return Err(remote(None, "the result is too large".into(), false));
        }
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| remote(None, format!("download failed: {e}"), true))?;
        if bytes.len() > MAX_DOWNLOAD {
            return Err(remote(None, "the result is too large".into(), false));
        }
        Ok(bytes.to_vec())
    }

    async fn get(&self, url: &str) -> Result<serde_json::Value> {
        self.ours(url)?;
        let resp = self
            .http
            .get(url)
            .header("Authorization", format!("Key {}", self.key.expose()))
            .send()
            .await
            .map_err(|e| remote(None, format!("request failed: {e}"), true))?;
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

/// 2xx → the JSON body; otherwise a typed error carrying fal's `detail` (a string or a list).
async fn check(resp: reqwest::Response) -> Result<serde_json::Value> {
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| remote(Some(status.as_u16()), format!("reading failed: {e}"), true))?;
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

/// The input fields each default endpoint takes. `images` are data URIs in the order the user sent
/// them (face swap: the face, then the target).
pub fn input_for(mode: crate::model::Mode, prompt: &str, images: &[String]) -> serde_json::Value {
    use crate::model::Mode;
    let first = images.first().cloned().unwrap_or_default();
    match mode {
        Mode::Generate => {
            serde_json::json!({"prompt": prompt, "num_images": 1, "enable_safety_checker": true})
        }
        Mode::Edit => serde_json::json!({"prompt": prompt, "image_url": first}),
        Mode::Merge => serde_json::json!({"prompt": prompt, "image_urls": images, "num_images": 1}),
        Mode::FaceSwap => serde_json::json!({
            "swap_image_url": first,
            "base_image_url": images.get(1).cloned().unwrap_or_default(),
        }),
        Mode::Retouch | Mode::Upscale => serde_json::json!({"image_url": first}),
    }
}
