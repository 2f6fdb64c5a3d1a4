//! Backups to the admins' chats: a consistent online copy of the database, gzip-compressed, sent as
//! a document to every ADMIN_TELEGRAM_IDS chat — every BACKUP_TO_ADMINS_HOURS, and on /backup. Over
//! Telegram's upload limit the admins are told so instead, and pointed to Litestream.

use crate::config::Config;
use crate::db::{Store, blocking};
use crate::error::Result;
use crate::texts::{self, Lang};
use std::sync::Arc;
use std::time::Duration;
use teloxide::prelude::*;
use teloxide::types::InputFile;
use tokio::sync::watch;

/// Telegram's limit for a document a bot uploads.
const UPLOAD_LIMIT: u64 = 50 * 1024 * 1024;
/// How often the schedule looks whether a backup is due.
const TICK: Duration = Duration::from_secs(60);

/// Makes one compressed backup and sends it to every admin; returns what happened, for the log and
/// for /backup's answer. The file is removed afterwards, sent or not.
pub async fn send_to_admins(
    bot: &super::Tg,
    config: &Config,
    store: &Arc<Store>,
) -> Result<String> {
    let source = store.path().to_path_buf();
    let gz = blocking(move || crate::db::compressed_backup(&source)).await?;
    let bytes = std::fs::metadata(&gz).map(|m| m.len()).unwrap_or(0);
    let name = gz
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_else(|| "media_lab.db.gz".into());
    let mut sent = 0;
    for &admin in &config.telegram.admin_telegram_ids {
        let lang = admin_lang(store, admin).await;
        let result = if bytes > UPLOAD_LIMIT {
            bot.send_message(ChatId(admin), texts::backup_too_large(lang, bytes))
                .await
                .map(|_| ())
        } else {
            bot.send_document(ChatId(admin), InputFile::file(&gz).file_name(name.clone()))
                .caption(texts::backup_caption(lang, bytes))
                .await
                .map(|_| ())
        };
        match result {
            Ok(()) => sent += 1,
            Err(e) => {
                tracing::warn!(admin, error = %crate::telegram::describe(&e), "could not send the backup to an admin")
            }
        }
    }
    let _ = std::fs::remove_file(&gz);
    let outcome = if bytes > UPLOAD_LIMIT {
        "too_large"
    } else if sent == config.telegram.admin_telegram_ids.len() {
        "sent"
    } else {
        "partly_sent"
    };
    let store2 = store.clone();
    blocking(move || store2.record_admin_backup(bytes, outcome)).await?;
    tracing::info!(bytes, admins = sent, outcome, "backup for the admins");
    Ok(format!(
        "{outcome}: {bytes} bytes to {sent} of {} admins",
        config.telegram.admin_telegram_ids.len()
    ))
}

async fn admin_lang(store: &Arc<Store>, admin: i64) -> Lang {
    let store = store.clone();
    let user = blocking(move || store.user(admin)).await;
    Lang::of(user.ok().flatten().and_then(|u| u.language_code).as_deref())
}

/// Sends a backup whenever BACKUP_TO_ADMINS_HOURS have passed since the last one (at start when
/// none was ever sent), until shutdown.
pub async fn schedule(
    bot: super::Tg,
    config: Arc<Config>,
    store: Arc<Store>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some(hours) = config.operations.backup_to_admins_hours else {
        return;
    };
    if config.telegram.admin_telegram_ids.is_empty() {
        tracing::warn!(
            "BACKUP_TO_ADMINS_HOURS is set but ADMIN_TELEGRAM_IDS is empty: no backups sent"
        );
        return;
    }
    let every = i64::from(hours) * 3600;
    loop {
        let s = store.clone();
        let due = match blocking(move || s.last_admin_backup()).await {
            Ok(last) => last.is_none_or(|at| crate::time::now() - at >= every),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the backup schedule");
                false
            }
        };
        if due && let Err(e) = send_to_admins(&bot, &config, &store).await {
            tracing::error!(error = %e, "the backup for the admins failed");
            // Counted as an attempt, so a failing disk is not retried every minute.
            let s = store.clone();
            let _ = blocking(move || s.record_admin_backup(0, "failed")).await;
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = shutdown.changed() => return,
        }
    }
}
