//! The one error type of the crate. Each edge translates it: the CLI to a message and an exit code,
//! the listener to an HTTP status, the bot to a polite reply, the worker to a failed job and a refund.

use std::path::PathBuf;

/// Everything that can go wrong inside media-lab.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration variable is missing or malformed. The message never contains a secret's value.
    #[error("{var}: {msg}")]
    Config { var: &'static str, msg: String },

    /// The database could not be used as configured (wrong URL, newer schema, unreadable file).
    #[error("database: {0}")]
    Database(String),

    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("migrations: {0}")]
    Migration(#[from] refinery::Error),

    /// Another `media-lab run` holds the database.
    #[error(
        "another media-lab instance is running on this database (lock {0} is held); stop it first"
    )]
    Locked(PathBuf),

    /// A remote service (YooKassa, fal.ai, Telegram) failed or refused. `retryable` says whether the
    /// same request may succeed later (timeouts, 429, 5xx).
    #[error("{service}: {message}")]
    Remote {
        service: &'static str,
        status: Option<u16>,
        code: Option<String>,
        message: String,
        retryable: bool,
    },

    /// A Bot API call failed. `retryable`: flood control, the network or Telegram's side — the same
    /// call may pass later; otherwise Telegram refused it as sent or the chat is gone.
    #[error("Telegram: {message}")]
    Telegram { message: String, retryable: bool },

    #[error("{0} not found")]
    NotFound(String),

    /// Input from a person (CLI argument, bot text) that does not fit; the message says what would.
    #[error("{0}")]
    Invalid(String),

    /// An image over the input limits (SPEC §6): the user is told it is too large.
    #[error("image too large: {0}")]
    TooLarge(String),

    /// A stored value this version cannot read: an unknown kind or status, a malformed payload.
    /// Never read as a default (an unknown kind is not "free access", an unreadable amount not 0 ₽).
    #[error("stored {what} cannot be read: {value}")]
    Corrupt { what: &'static str, value: String },

    /// Something that cannot happen unless media-lab has a bug: a task panicked, an invariant the
    /// write lock guarantees did not hold, an embedded asset is missing.
    #[error("internal: {0}")]
    Internal(String),

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    pub fn corrupt(what: &'static str, value: impl Into<String>) -> Self {
        Error::Corrupt {
            what,
            value: value.into(),
        }
    }

    pub fn internal(msg: impl Into<String>) -> Self {
        Error::Internal(msg.into())
    }
}

/// Why an HTTP request got no answer, in words an operator can act on: the host and the cause (DNS
/// lookup, refused, TLS, timeout) instead of reqwest's bare "error sending request". Only the host
/// is named: a Bot API URL carries the token.
pub fn unreachable(e: &reqwest::Error) -> String {
    unreachable_host(e, "the server")
}

/// `unreachable` naming `host` when the error has lost its URL (teloxide strips it, token and all).
pub fn unreachable_host(e: &reqwest::Error, host: &str) -> String {
    let host = e
        .url()
        .and_then(|u| u.host_str())
        .unwrap_or(host)
        .to_string();
    let mut chain = Vec::new();
    let mut refused = false;
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
        }
        chain.push(s.to_string());
        source = s.source();
    }
    let innermost = chain.last().cloned().unwrap_or_else(|| e.to_string());
    let all = chain.join(": ").to_lowercase();
    let cause = if e.is_timeout() {
        "timed out".to_string()
    } else if all.contains("dns error") || all.contains("failed to lookup address") {
        format!("DNS lookup failed ({innermost})")
    } else if refused {
        "connection refused".to_string()
    } else if all.contains("certificate") || all.contains("tls") || all.contains("handshake") {
        format!("TLS failed ({innermost})")
    } else {
        innermost
    };
    format!("cannot reach {host}: {cause}")
}
