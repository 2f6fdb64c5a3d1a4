//! Logs to stderr, as text or JSON (LOG_FORMAT), filtered by RUST_LOG.

use crate::config::{Config, LogFormat};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

pub fn init(config: &Config) {
    // Config validated RUST_LOG already; fall back to info rather than fail here.
    let filter: Targets = config
        .operations
        .rust_log
        .parse()
        .unwrap_or_else(|_| Targets::new().with_default(tracing::Level::INFO));
    let registry = tracing_subscriber::registry().with(filter);
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    // try_init: a second call (tests running several commands in one process) keeps the first.
    let _ = match config.operations.log_format {
        LogFormat::Json => registry.with(fmt.json()).try_init(),
        LogFormat::Text => registry.with(fmt.with_ansi(false)).try_init(),
    };
}
