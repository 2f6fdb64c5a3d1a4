//! Who opened the Mini App (SPEC §10): Telegram's `initData` checked exactly as Telegram specifies —
//! the data-check-string (every field but `hash`, sorted, `key=value` joined by newlines) signed with
//! HMAC-SHA256 under the key `HMAC_SHA256("WebAppData", bot token)`, compared in constant time, and
//! `auth_date` at most 24 hours old. The web pages ask this before they show anything. A leaf over
//! `ring` (already in the binary through rustls).

use ring::hmac;

/// How old a launch may be (Telegram's `auth_date`).
pub const MAX_AGE_SECS: i64 = 24 * 3600;

/// The Telegram user the launch names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUser {
    pub id: i64,
    pub first_name: String,
    pub language_code: Option<String>,
    /// When Telegram signed the launch (unix seconds): what it opens lasts until a day after.
    pub auth_date: i64,
}

/// Why a launch is refused (none of them says more to the client than "not authorised").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a query string with `hash`, `auth_date` and `user`, or a field unreadable.
    Malformed,
    /// The signature is not the bot's: forged or tampered with.
    BadSignature,
    /// `auth_date` is older than a day (or from the future).
    Stale,
}

/// Checks `init_data` (the raw query string Telegram gives the Mini App) for the bot `token` at
/// `now`; the user it names when it is genuine and fresh.
pub fn verify(init_data: &str, token: &str, now: i64) -> Result<WebUser, Refusal> {
    if init_data.len() > 8 * 1024 {
        return Err(Refusal::Malformed);
    }
    let url = reqwest::Url::parse(&format!("http://initdata.invalid/?{init_data}"))
        .map_err(|_| Refusal::Malformed)?;
    let mut fields: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let hash_at = fields
        .iter()
        .position(|(k, _)| k == "hash")
        .ok_or(Refusal::Malformed)?;
    let hash = decode_hex(&fields.remove(hash_at).1).ok_or(Refusal::Malformed)?;
    if fields.iter().any(|(k, _)| k == "hash") {
        return Err(Refusal::Malformed);
    }
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    let check = fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n");
    hmac::verify(&key(token), check.as_bytes(), &hash).map_err(|_| Refusal::BadSignature)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let auth_date: i64 = field("auth_date")
        .and_then(|d| d.parse().ok())
        .ok_or(Refusal::Malformed)?;
    if now - auth_date > MAX_AGE_SECS || auth_date - now > 60 {
        return Err(Refusal::Stale);
    }
    let user: serde_json::Value = field("user")
        .and_then(|u| serde_json::from_str(u).ok())
        .ok_or(Refusal::Malformed)?;
    Ok(WebUser {
        id: user["id"].as_i64().ok_or(Refusal::Malformed)?,
        first_name: user["first_name"].as_str().unwrap_or_default().to_string(),
        language_code: user["language_code"].as_str().map(str::to_string),
        auth_date,
    })
}

/// The secret key of Telegram's scheme: HMAC-SHA256 of the bot token under the key "WebAppData".
fn key(token: &str) -> hmac::Key {
    let secret = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, b"WebAppData"),
        token.as_bytes(),
    );
    hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref())
}

/// The `hash` Telegram would give these fields (tests and the fake Telegram sign launches with it).
pub fn sign(fields: &[(&str, &str)], token: &str) -> String {
    let mut sorted: Vec<&(&str, &str)> = fields.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let check = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n");
    hex(hmac::sign(&key(token), check.as_bytes()).as_ref())
}

/// The gallery's links to files: each signed for one viewer and one result until the launch it came
/// from expires. A link carries no launch data (a proxy's log sees one picture's address, not who
/// the viewer is), and Telegram's own downloader, which sends no header, can fetch it.
pub struct FileLinks {
    key: hmac::Key,
}

impl FileLinks {
    /// Keyed by HMAC-SHA256 of the bot token under a name of its own, so a link's signature can
    /// never stand for a launch's.
    pub fn new(token: &str) -> FileLinks {
        let secret = hmac::sign(
            &hmac::Key::new(hmac::HMAC_SHA256, b"media-lab file links"),
            token.as_bytes(),
        );
        FileLinks {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret.as_ref()),
        }
    }

    /// The query string that opens result `job` to `user` until `until`.
    pub fn query(&self, user: i64, job: i64, until: i64) -> String {
        let sig = hmac::sign(&self.key, Self::message(user, job, until).as_bytes());
        format!("u={user}&e={until}&s={}", hex(sig.as_ref()))
    }

    /// The user a link to `job` names, when its signature is ours for that job and it has not
    /// expired at `now`.
    pub fn check(&self, job: i64, user: &str, until: &str, sig: &str, now: i64) -> Option<i64> {
        let (user, until) = (user.parse().ok()?, until.parse::<i64>().ok()?);
        if until <= now {
            return None;
        }
        let sig = decode_hex(sig)?;
        hmac::verify(&self.key, Self::message(user, job, until).as_bytes(), &sig).ok()?;
        Some(user)
    }

    fn message(user: i64, job: i64, until: i64) -> String {
        format!("file:{user}:{job}:{until}")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456:test-token";

    /// A launch as Telegram builds it: the fields percent-encoded, `hash` over their decoded values.
    fn launch(user: &str, auth_date: i64, token: &str) -> String {
        let date = auth_date.to_string();
        let fields = [
            ("auth_date", date.as_str()),
            ("query_id", "AAH"),
            ("user", user),
        ];
        let hash = sign(&fields, token);
        let mut url = reqwest::Url::parse("http://x/").expect("url");
        url.query_pairs_mut()
            .extend_pairs(fields)
            .append_pair("hash", &hash);
        url.query().unwrap_or_default().to_string()
    }

    #[test]
    fn a_genuine_fresh_launch_names_its_user_and_nothing_else_passes() {
        let now = 1_800_000_000;
        let user = r#"{"id":2801,"first_name":"Аня","language_code":"ru"}"#;
        let good = launch(user, now - 60, TOKEN);
        assert_eq!(
            verify(&good, TOKEN, now),
            Ok(WebUser {
                id: 2801,
                first_name: "Аня".into(),
                language_code: Some("ru".into()),
                auth_date: now - 60,
            })
        );
        // Another bot's token, a changed user id, a stale or future date, a missing hash.
        assert_eq!(verify(&good, "999:other", now), Err(Refusal::BadSignature));
        let tampered = good.replace("2801", "2802");
        assert_eq!(verify(&tampered, TOKEN, now), Err(Refusal::BadSignature));
        let old = launch(user, now - MAX_AGE_SECS - 3600, TOKEN);
        assert_eq!(verify(&old, TOKEN, now), Err(Refusal::Stale));
        let future = launch(user, now + 3600, TOKEN);
        assert_eq!(verify(&future, TOKEN, now), Err(Refusal::Stale));
        for bad in [
            "",
            "hash=zz",
            "user=1&auth_date=2",
            "%%%",
            &"a".repeat(10_000),
        ] {
            assert_eq!(verify(bad, TOKEN, now), Err(Refusal::Malformed), "{bad}");
        }
        let twice = format!("{good}&hash={}", "0".repeat(64));
        assert_eq!(verify(&twice, TOKEN, now), Err(Refusal::Malformed));
    }

    #[test]
    fn a_file_link_opens_one_result_to_one_user_until_it_expires() {
        let (links, now) = (FileLinks::new(TOKEN), 1_800_000_000);
        let query = links.query(2801, 17, now + 60);
        let field = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .unwrap_or_default()
                .to_string()
        };
        let (u, e, sig) = (field("u"), field("e"), field("s"));
        assert_eq!(links.check(17, &u, &e, &sig, now), Some(2801));
        // Another result, another user, a later end, too late, another bot, a launch's hash.
        assert_eq!(links.check(18, &u, &e, &sig, now), None);
        assert_eq!(links.check(17, "2802", &e, &sig, now), None);
        assert_eq!(
            links.check(17, &u, &(now + 3600).to_string(), &sig, now),
            None
        );
        assert_eq!(links.check(17, &u, &e, &sig, now + 60), None);
        assert_eq!(
            FileLinks::new("999:other").check(17, &u, &e, &sig, now),
            None
        );
        let launch_hash = sign(&[("auth_date", &e), ("user", &u)], TOKEN);
        assert_eq!(links.check(17, &u, &e, &launch_hash, now), None);
        assert_eq!(links.check(17, &u, &e, "zz", now), None);
    }
}
