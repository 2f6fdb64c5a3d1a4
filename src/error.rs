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
}
