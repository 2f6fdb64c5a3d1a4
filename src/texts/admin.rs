//! Administrators' commands: broadcasts, backups, and the /payment, /grant, /credit replies.

use super::{Lang, money, t};
use crate::money::Kopecks;

/// The admin commands, appended to /help for admins.
pub fn admin_help(lang: Lang) -> &'static str {
    t(
        lang,
        "Для администратора: /stats — сводка, /grant ID — безлимитный доступ, /credit ID СУММА — начислить (или списать, со знаком минус), /payment ID — история платежа, /backup — резервная копия базы в этот чат.",
        "Admin: /stats — totals, /grant ID — free access, /credit ID AMOUNT — credit (or debit, with a minus), /payment ID — a top-up's story, /backup — a database backup to this chat.",
    )
}

pub fn broadcast_ask(lang: Lang) -> &'static str {
    t(
        lang,
        "📣 Пришлите текст рассылки одним сообщением (форматирование Telegram сохранится). Я покажу, как его увидят, и спрошу подтверждение.",
        "📣 Send the broadcast's text as one message (Telegram formatting is kept). I will show it as users will see it and ask you to confirm.",
    )
}

pub fn broadcast_confirm(lang: Lang, n: i64) -> String {
    match lang {
        Lang::Ru => format!("☝️ Так увидят рассылку. Получателей: {n}. Отправить?"),
        Lang::En => format!("☝️ That is how users will see it. Recipients: {n}. Send it?"),
    }
}

pub fn broadcast_send_label(lang: Lang, n: i64) -> String {
    match lang {
        Lang::Ru => format!("📣 Отправить ({n})"),
        Lang::En => format!("📣 Send ({n})"),
    }
}

pub fn broadcast_progress(lang: Lang, id: i64, sent: i64, failed: i64, left: i64) -> String {
    match lang {
        Lang::Ru => format!(
            "📣 Рассылка №{id}: отправлено {sent}, не доставлено {failed}, осталось {left}."
        ),
        Lang::En => {
            format!("📣 Broadcast #{id}: sent {sent}, not delivered {failed}, left {left}.")
        }
    }
}

pub fn broadcast_done(lang: Lang, id: i64, sent: i64, failed: i64) -> String {
    match lang {
        Lang::Ru => format!(
            "✅ Рассылка №{id} завершена: доставлено {sent}, не доставлено {failed} (заблокировали бота или ошибка)."
        ),
        Lang::En => format!(
            "✅ Broadcast #{id} finished: delivered {sent}, not delivered {failed} (blocked the bot, or an error)."
        ),
    }
}

/// Under a backup sent to an admin.
pub fn backup_caption(lang: Lang, bytes: u64) -> String {
    let when = crate::time::datetime_of(crate::time::now());
    let size = format!("{:.1}", bytes as f64 / 1_048_576.0);
    match lang {
        Lang::Ru => format!(
            "🗄 Резервная копия базы media-lab ({size} МБ, {when}). Восстановление: распакуйте (gunzip) и положите файл на место media_lab.db при остановленном боте — README, «Backup and restore»."
        ),
        Lang::En => format!(
            "🗄 A backup of the media-lab database ({size} MB, {when}). To restore: gunzip it and put the file in place of media_lab.db while the bot is stopped — README, \"Backup and restore\"."
        ),
    }
}

/// Instead of a backup over Telegram's upload limit.
pub fn backup_too_large(lang: Lang, bytes: u64) -> String {
    let size = bytes / 1_048_576;
    match lang {
        Lang::Ru => format!(
            "🗄 Резервная копия занимает {size} МБ — больше 50 МБ, которые Telegram принимает от бота. Для такой базы нужна реплика Litestream: README, «Off-site replica and disaster recovery»."
        ),
        Lang::En => format!(
            "🗄 The backup is {size} MB — over the 50 MB Telegram takes from a bot. A database this size needs a Litestream replica: README, \"Off-site replica and disaster recovery\"."
        ),
    }
}

pub fn admin_payment_usage(lang: Lang) -> &'static str {
    t(
        lang,
        "Как использовать: /payment ID (наш mlp-…, id ЮKassa или charge id Telegram)",
        "Usage: /payment ID (our mlp-…, YooKassa's id or Telegram's charge id)",
    )
}

pub fn admin_payment_unknown(lang: Lang) -> &'static str {
    t(lang, "Такого платежа нет.", "No such payment.")
}

pub fn admin_grant_usage(lang: Lang) -> &'static str {
    t(
        lang,
        "Как использовать: /grant TELEGRAM_ID",
        "Usage: /grant TELEGRAM_ID",
    )
}

pub fn admin_credit_usage(lang: Lang) -> &'static str {
    t(
        lang,
        "Как использовать: /credit TELEGRAM_ID СУММА (например, /credit 123 50 или /credit 123 -10)",
        "Usage: /credit TELEGRAM_ID AMOUNT (e.g. /credit 123 50 or /credit 123 -10)",
    )
}

pub fn admin_below_zero(lang: Lang, user: i64, balance: Kopecks) -> String {
    let b = money(lang, balance);
    match lang {
        Lang::Ru => format!(
            "Не списано: у пользователя {user} на балансе {b}, баланс не может уйти ниже нуля."
        ),
        Lang::En => format!("Not debited: user {user} has {b}; a balance never goes below zero."),
    }
}

pub fn admin_granted(lang: Lang, user: i64) -> String {
    match lang {
        Lang::Ru => {
            format!("Пользователю {user} включён безлимитный доступ; ему отправлено уведомление.")
        }
        Lang::En => format!("User {user}: free access on; they have been told."),
    }
}

pub fn admin_balance(lang: Lang, user: i64, balance: Kopecks) -> String {
    let b = money(lang, balance);
    match lang {
        Lang::Ru => format!("Пользователь {user}: на балансе {b}; ему отправлено уведомление."),
        Lang::En => format!("User {user}: balance {b}; they have been told."),
    }
}
