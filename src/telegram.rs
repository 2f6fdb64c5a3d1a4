//! What a failed Telegram call means: for a message that carries information (a result, a refund, a
//! top-up notice), wait and send again, or give up because the chat is gone; for everything else,
//! an `Error::Telegram` that says whether trying again could help. Used by the bot, the worker and
//! the notices outbox alike.

use crate::error::Error;
use std::time::Duration;
use teloxide::{ApiError, RequestError};

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Error {
        let retryable = matches!(
            SendFailure::of(&e),
            SendFailure::RetryAfter(_) | SendFailure::Transient(_)
        );
        Error::Telegram {
            message: describe(&e),
            retryable,
        }
    }
}

/// The Bot API's host (TELEGRAM_API_URL's), named when Telegram cannot be reached: teloxide drops
/// the URL from network errors, since it holds the token. Set once, when the client is built.
static API_HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub fn set_api_host(host: &str) {
    let _ = API_HOST.set(host.to_string());
}

/// The pace of every send (SPEC §6): 25 messages a second overall (under Telegram's 30, with room for
/// the network bunching sends) and one a second per chat,
/// as Telegram asks. teloxide's default of 20 a minute per private chat is a group limit that would
/// hold back a user tapping quickly through menus; a private chat gets 60.
pub fn limits() -> teloxide::adaptors::throttle::Limits {
    teloxide::adaptors::throttle::Limits {
        messages_per_sec_chat: 1,
        messages_per_min_chat: 60,
        messages_per_min_channel_or_supergroup: 20,
        messages_per_sec_overall: 25,
    }
}

/// The Bot API's host, as TELEGRAM_API_URL names it (never the URL: it would carry the token).
pub fn api_host() -> String {
    API_HOST
        .get()
        .map_or("api.telegram.org", String::as_str)
        .to_string()
}

/// A failed Bot API call in words: a network failure names the host and its cause.
pub fn describe(e: &RequestError) -> String {
    match e {
        RequestError::Network(n) => crate::error::unreachable_host(
            n,
            API_HOST.get().map_or("api.telegram.org", String::as_str),
        ),
        other => other.to_string(),
    }
}

/// How a failed send should be treated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// Flood control: send again after this long (Telegram's `retry_after`).
    RetryAfter(Duration),
    /// A network error, a timeout, a 5xx or an answer we could not read: send again later.
    Transient(String),
    /// The user blocked the bot, deleted their account, or the chat is gone: never deliverable.
    Gone(String),
    /// Telegram refused this request as it is (a photo it cannot process, say): another form of
    /// the same content may pass.
    Rejected(String),
}

impl SendFailure {
    pub fn of(e: &RequestError) -> SendFailure {
        match e {
            RequestError::RetryAfter(s) => SendFailure::RetryAfter(s.duration()),
            RequestError::Network(_) | RequestError::Io(_) | RequestError::InvalidJson { .. } => {
                SendFailure::Transient(e.to_string())
            }
            RequestError::MigrateToChatId(_) => SendFailure::Gone(e.to_string()),
            RequestError::Api(api) => match api {
                ApiError::BotBlocked
                | ApiError::ChatNotFound
                | ApiError::UserNotFound
                | ApiError::UserDeactivated
                | ApiError::BotKicked
                | ApiError::BotKickedFromSupergroup
                | ApiError::BotKickedFromChannel
                | ApiError::CantInitiateConversation
                | ApiError::CantTalkWithBots
                | ApiError::GroupDeactivated
                | ApiError::NotEnoughRightsToPostMessages => SendFailure::Gone(api.to_string()),
                // Telegram's own errors without a known meaning: "Internal Server Error", "Bad
                // Gateway", and the like. A 4xx we do not know is refused as sent.
                ApiError::Unknown(text)
                    if text.starts_with("Bad Request") || text.starts_with("Forbidden") =>
                {
                    SendFailure::Rejected(text.clone())
                }
                ApiError::Unknown(text) => SendFailure::Transient(text.clone()),
                other => SendFailure::Rejected(other.to_string()),
            },
        }
    }
}

/// The wait before the `attempt`-th retry (0-based) of a transient failure: 1 s doubling to 5 min.
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(8)).min(Duration::from_secs(300))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_what_telegram_says() {
        let gone = RequestError::Api(ApiError::BotBlocked);
        assert!(matches!(SendFailure::of(&gone), SendFailure::Gone(_)));
        let flood = RequestError::RetryAfter(teloxide::types::Seconds::from_seconds(3));
        assert_eq!(
            SendFailure::of(&flood),
            SendFailure::RetryAfter(Duration::from_secs(3))
        );
        let down = RequestError::Api(ApiError::Unknown("Bad Gateway".into()));
        assert!(matches!(SendFailure::of(&down), SendFailure::Transient(_)));
        let photo = RequestError::Api(ApiError::ImageProcessFailed);
        assert!(matches!(SendFailure::of(&photo), SendFailure::Rejected(_)));
        assert_eq!(backoff(0), Duration::from_secs(1));
        assert_eq!(backoff(20), Duration::from_secs(256));
    }
}
