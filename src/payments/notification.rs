//! Parsing a YooKassa HTTP notification. It is only a hint about which payment to fetch; nothing in it
//! besides the payment id is believed.

use super::yookassa::valid_id;
use serde::Deserialize;

/// Notifications larger than this are refused unread.
pub const MAX_BODY: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub event: String,
    /// The object's id: for `payment.*` events, YooKassa's payment id.
    pub object_id: String,
    /// The object claims to come from a test shop.
    pub test: bool,
}

impl Notification {
    /// Events about payments are recorded; others (refunds, payouts) are acknowledged and ignored.
    pub fn is_about_payment(&self) -> bool {
        self.event.starts_with("payment.")
    }
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "type")]
    kind: String,
    event: String,
    object: Object,
}

#[derive(Deserialize)]
struct Object {
    id: String,
    #[serde(default)]
    test: Option<bool>,
}

/// The notification in `body`, or why it is not one.
pub fn parse(body: &[u8]) -> Result<Notification, String> {
    let body: Body =
        serde_json::from_slice(body).map_err(|e| format!("not a notification: {e}"))?;
    if body.kind != "notification" {
        return Err(format!("type is {:?}, not \"notification\"", body.kind));
    }
    let known = ["payment.", "refund.", "payout.", "deal."];
    if body.event.len() > 64 || !known.iter().any(|p| body.event.starts_with(p)) {
        return Err(format!(
            "unknown event {:?}",
            body.event.chars().take(64).collect::<String>()
        ));
    }
    if !valid_id(&body.object.id) {
        return Err("object.id is not a YooKassa id".into());
    }
    Ok(Notification {
        event: body.event,
        object_id: body.object.id,
        test: body.object.test.unwrap_or(false),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_genuine_and_refuses_junk() {
        let ok = br#"{"type":"notification","event":"payment.succeeded","object":{"id":"2d2b1a4e-000f-5000-9000-1b68d7a1f4a3","status":"succeeded","amount":{"value":"90.00","currency":"RUB"},"test":true}}"#;
        let n = parse(ok).expect("valid");
        assert_eq!(n.object_id, "2d2b1a4e-000f-5000-9000-1b68d7a1f4a3");
        assert!(n.test && n.is_about_payment());
        for junk in [
            &b""[..],
            b"{",
            b"[]",
            br#"{"type":"notification","event":"payment.succeeded","object":{"id":5}}"#,
            br#"{"type":"other","event":"payment.succeeded","object":{"id":"ab"}}"#,
            br#"{"type":"notification","event":"hack","object":{"id":"ab"}}"#,
            br#"{"type":"notification","event":"payment.succeeded","object":{"id":"../me"}}"#,
        ] {
            assert!(parse(junk).is_err(), "{}", String::from_utf8_lossy(junk));
        }
    }
}
