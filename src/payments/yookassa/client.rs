//! A small YooKassa API v3 client: create a payment, fetch a payment, check the credentials.
//! Basic auth with shop id and secret key; every call has a timeout; 429, 5xx and network failures
//! are retried with backoff and the same Idempotence-Key; other 4xx are not.

use crate::config::{Config, Secret};
use crate::error::{Error, Result};
use crate::money::Kopecks;
use serde::Deserialize;
use std::time::Duration;

const SERVICE: &str = "YooKassa";
const TIMEOUT: Duration = Duration::from_secs(20);
/// Waits before the 2nd, 3rd and 4th attempt.
const BACKOFF: [Duration; 3] = [
    Duration::from_millis(300),
    Duration::from_secs(1),
    Duration::from_secs(3),
];

pub struct YooKassa {
    http: reqwest::Client,
    base: String,
    shop_id: String,
    secret_key: Secret,
}

/// The parts of YooKassa's payment object we use.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiPayment {
    pub id: String,
    pub status: String,
    pub amount: ApiAmount,
    #[serde(default)]
    pub confirmation: Option<ApiConfirmation>,
    #[serde(default)]
    pub test: bool,
    #[serde(default)]
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// The shop that received it.
    #[serde(default)]
    pub recipient: Option<ApiRecipient>,
    #[serde(default)]
    pub created_at: Option<String>,
    /// What was given back of it so far (YooKassa's refunds of this payment added up).
    #[serde(default)]
    pub refunded_amount: Option<ApiAmount>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiRecipient {
    #[serde(default)]
    pub account_id: Option<String>,
}

/// One page of `GET /payments`.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiPaymentList {
    #[serde(default)]
    pub items: Vec<ApiPayment>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// The parts of YooKassa's refund object we use.
#[derive(Debug, Clone, Deserialize)]
pub struct ApiRefund {
    pub id: String,
    /// `pending`, `succeeded` or `canceled`.
    pub status: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiAmount {
    pub value: String,
    pub currency: String,
}

impl ApiAmount {
    pub fn kopecks(&self) -> Result<Kopecks> {
        Kopecks::parse_roubles(&self.value, false)
            .map_err(|e| remote(None, None, format!("unreadable amount: {e}"), false))
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApiConfirmation {
    #[serde(default)]
    pub confirmation_url: Option<String>,
}

/// YooKassa's error body: `{"type":"error","code":…,"description":…,"parameter":…}`.
#[derive(Debug, Deserialize)]
struct ApiError {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameter: Option<String>,
}

impl YooKassa {
    /// The client, when YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY are set.
    pub fn from_config(config: &Config) -> Result<Option<YooKassa>> {
        let Some(creds) = &config.payments.yookassa else {
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("media-lab/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                remote(
                    None,
                    None,
                    format!("cannot build the HTTP client: {e}"),
                    false,
                )
            })?;
        Ok(Some(YooKassa {
            http,
            base: config.payments.yookassa_api_url.clone(),
            shop_id: creds.shop_id.clone(),
            secret_key: creds.secret_key.clone(),
        }))
    }

    /// A test shop's secret key starts with `test_`; only then are `test: true` payments genuine.
    pub fn is_test_shop(&self) -> bool {
        self.secret_key.expose().starts_with("test_")
    }

    /// Creates a payment. `key` is our payment id, reused on every retry, so YooKassa creates it once.
    pub async fn create_payment(&self, body: &serde_json::Value, key: &str) -> Result<ApiPayment> {
        let value = self
            .call(reqwest::Method::POST, "/payments", Some(body), Some(key))
            .await?;
        parse(value)
    }

    /// The payment as YooKassa sees it now: the only source of truth for crediting.
    pub async fn get_payment(&self, yookassa_id: &str) -> Result<ApiPayment> {
        if !valid_id(yookassa_id) {
            return Err(Error::invalid(format!(
                "{yookassa_id:?} is not a YooKassa payment id"
            )));
        }
        let value = self
            .call(
                reqwest::Method::GET,
                &format!("/payments/{yookassa_id}"),
                None,
                None,
            )
            .await?;
        let payment: ApiPayment = parse(value)?;
        if payment.id != yookassa_id {
            return Err(remote(
                None,
                None,
                format!("asked for payment {yookassa_id}, got {}", payment.id),
                false,
            ));
        }
        Ok(payment)
    }

    /// One page (up to 100) of the payments created at or after `since` (RFC 3339), continuing
    /// from `cursor`; the page's `next_cursor` leads to the next.
    pub async fn list_payments(&self, since: &str, cursor: Option<&str>) -> Result<ApiPaymentList> {
        let mut path = format!("/payments?limit=100&created_at.gte={}", query_value(since));
        if let Some(cursor) = cursor {
            path.push_str(&format!("&cursor={}", query_value(cursor)));
        }
        let value = self.call(reqwest::Method::GET, &path, None, None).await?;
        parse(value)
    }

    /// The shop this client acts for.
    pub fn shop_id(&self) -> &str {
        &self.shop_id
    }

    /// Refunds a payment in full (`POST /refunds`). `key` is derived from our payment id, so asking
    /// again returns the same refund with its current status instead of a second one.
    pub async fn create_refund(
        &self,
        yookassa_id: &str,
        amount: &serde_json::Value,
        key: &str,
    ) -> Result<ApiRefund> {
        let body = serde_json::json!({"payment_id": yookassa_id, "amount": amount});
        let value = self
            .call(reqwest::Method::POST, "/refunds", Some(&body), Some(key))
            .await?;
        parse(value)
    }

    /// A refund as YooKassa sees it now (`GET /refunds/{id}`): how a pending refund is followed.
    pub async fn get_refund(&self, refund_id: &str) -> Result<ApiRefund> {
        if !valid_id(refund_id) {
            return Err(Error::invalid(format!(
                "{refund_id:?} is not a YooKassa refund id"
            )));
        }
        let value = self
            .call(
                reqwest::Method::GET,
                &format!("/refunds/{refund_id}"),
                None,
                None,
            )
            .await?;
        parse(value)
    }

    /// An authenticated request that changes nothing (`GET /me`), for `check`.
    pub async fn check_credentials(&self) -> Result<()> {
        self.call(reqwest::Method::GET, "/me", None, None)
            .await
            .map(|_| ())
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&serde_json::Value>,
        key: Option<&str>,
    ) -> Result<serde_json::Value> {
        let url = format!("{}{path}", self.base);
        let mut attempt = 0;
        loop {
            let mut req = self
                .http
                .request(method.clone(), &url)
                .basic_auth(&self.shop_id, Some(self.secret_key.expose()));
            if let Some(key) = key {
                req = req.header("Idempotence-Key", key);
            }
            if let Some(body) = body {
                req = req.json(body);
            }
            let result = match req.send().await {
                Ok(resp) => read(resp).await,
                Err(e) => Err(remote(None, None, crate::error::unreachable(&e), true)),
            };
            match result {
                Err(Error::Remote {
                    retryable: true, ..
                }) if attempt < BACKOFF.len() => {
                    tracing::warn!(%path, attempt, error = %result.as_ref().err().map(ToString::to_string).unwrap_or_default(), "YooKassa call failed; retrying");
                    tokio::time::sleep(BACKOFF[attempt]).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

async fn read(resp: reqwest::Response) -> Result<serde_json::Value> {
    let status = resp.status();
    let text = resp.text().await.map_err(|e| {
        remote(
            Some(status.as_u16()),
            None,
            format!("reading the response failed: {e}"),
            true,
        )
    })?;
    if status.is_success() {
        return serde_json::from_str(&text).map_err(|e| {
            remote(
                Some(status.as_u16()),
                None,
                format!("the response is not JSON: {e}"),
                false,
            )
        });
    }
    let err: ApiError = serde_json::from_str(&text).unwrap_or(ApiError {
        code: None,
        description: None,
        parameter: None,
    });
    let mut message = format!("HTTP {}", status.as_u16());
    if let Some(code) = &err.code {
        message.push_str(&format!(" {code}"));
    }
    if let Some(d) = &err.description {
        message.push_str(&format!(": {d}"));
    }
    if let Some(p) = &err.parameter {
        message.push_str(&format!(" (parameter {p})"));
    }
    let retryable = status.as_u16() == 429 || status.is_server_error();
    Err(remote(Some(status.as_u16()), err.code, message, retryable))
}

fn parse<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T> {
    serde_json::from_value(value)
        .map_err(|e| remote(None, None, format!("unexpected response: {e}"), false))
}

fn remote(status: Option<u16>, code: Option<String>, message: String, retryable: bool) -> Error {
    Error::Remote {
        service: SERVICE,
        status,
        code,
        message,
        retryable,
    }
}

/// A query value percent-encoded byte by byte (a cursor is opaque; a time carries `:` and `+`).
fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// YooKassa payment ids are UUID-like: hex digits and dashes. Checked before one goes into a URL path.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}
