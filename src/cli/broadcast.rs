//! `broadcast`: one message queued for every user, sent by the running bot.

use crate::db::Store;
use crate::error::{Error, Result};
use std::process::ExitCode;

/// `broadcast`: the text is checked and queued, one row per recipient, for the running bot to send.
pub(super) fn run(
    store: &Store,
    file: &std::path::Path,
    dry_run: bool,
    only_paying: bool,
) -> Result<ExitCode> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Error::io(format!("cannot read {}", file.display()), e))?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid(format!("{} is empty", file.display())));
    }
    if text.chars().count() > 4096 {
        return Err(Error::invalid(format!(
            "{} holds {} characters; a Telegram message takes at most 4096",
            file.display(),
            text.chars().count()
        )));
    }
    if dry_run {
        let n = store.broadcast_audience(only_paying, None)?;
        println!("dry run: {n} users would get it; nothing was queued");
        return Ok(ExitCode::SUCCESS);
    }
    let (id, n) = store.create_broadcast(text, None, only_paying, None)?;
    println!(
        "broadcast {id} queued for {n} users; the running bot (`media-lab run`) sends it at 25 a second"
    );
    Ok(ExitCode::SUCCESS)
}
