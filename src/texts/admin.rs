//! Administrators' commands: broadcasts, backups, and the /payment, /grant, /credit replies.

use super::{Lang, money, t};
use crate::model::{CheckOutcome, PaymentEvent, PaymentStatus, Provider};
use crate::money::Kopecks;

/// The admin commands, appended to /help for admins.
pub fn admin_help(lang: Lang) -> &'static str {
    t(
        lang,
        "Для администратора: /stats — сводка, /export — выгрузка в Excel, /web — вход в веб-панель, /grant ID — безлимитный доступ, /credit ID СУММА — начислить (или списать, со знаком минус), /payment ID — история платежа, /backup — резервная копия базы в этот чат, /reply НОМЕР текст — ответить на обращение (или ответьте на его копию), /close НОМЕР — закрыть обращение.",
        "Admin: /stats — totals, /export — the Excel workbook, /web — sign in to the admin pages, /grant ID — free access, /credit ID AMOUNT — credit (or debit, with a minus), /payment ID — a top-up's story, /backup — a database backup to this chat, /reply ID text — answer a support ticket (or reply to its copy), /close ID — close a ticket.",
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
    let when = format!("{} UTC", crate::time::day_and_time(crate::time::now()));
    // Tenths of a megabyte, with the decimal comma in Russian; at least 0.1 so a copy never reads
    // as empty.
    let tenths = (bytes.div_ceil(104_858)).max(1);
    let size = match lang {
        Lang::Ru => format!("{},{}", tenths / 10, tenths % 10),
        Lang::En => format!("{}.{}", tenths / 10, tenths % 10),
    };
    match lang {
        Lang::Ru => format!(
            "🗄 Резервная копия базы media-lab ({size} МБ, {when}). Восстановление: остановите бота, распакуйте копию (gunzip) и положите файл на место media_lab.db — подробно в README, раздел «Backup and restore»."
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
            "🗄 Резервная копия занимает {size} МБ — больше 50 МБ, которые Telegram принимает от бота. Для такой базы нужна реплика Litestream — подробно в README, раздел «Off-site replica and disaster recovery»."
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

/// Counts by what they count, for the operator's summaries: «signup 4, code 3», or «нет».
pub fn counts(lang: Lang, rows: &[(String, i64)]) -> String {
    if rows.is_empty() {
        return t(lang, "нет", "none").into();
    }
    rows.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A mode's button label, ✍️ and 🤖 included, for the operator's summaries.
fn kind_label(lang: Lang, mode: &str) -> String {
    match mode.parse() {
        Ok(m) => super::mode_label(lang, m).to_string(),
        Err(_) if mode == "prompt" => super::write_label(lang).to_string(),
        Err(_) if mode == "assistant" => t(lang, "🤖 Помощник", "🤖 Assistant").into(),
        Err(_) if mode == "translate" => t(lang, "🔤 Перевод", "🔤 Translation").into(),
        Err(_) => mode.to_string(),
    }
}

/// /stats: one line per mode with its economics, «🎨 Создать: 4 шт., выручка 40 ₽, себестоимость
/// 14 ₽, маржа 26 ₽».
pub fn stats_margin(
    lang: Lang,
    mode: &str,
    count: i64,
    (revenue, cost, margin): (Kopecks, Kopecks, Kopecks),
) -> String {
    let label = kind_label(lang, mode);
    let (r, c, m) = (money(lang, revenue), money(lang, cost), money(lang, margin));
    match lang {
        Lang::Ru => format!("{label}: {count} шт., выручка {r}, себестоимость {c}, маржа {m}"),
        Lang::En => format!("{label}: {count}, revenue {r}, cost {c}, margin {m}"),
    }
}

/// /stats: one line per mode and outcome, «🎨 Создать: выполнено 4».
pub fn stats_operations(lang: Lang, mode: &str, status: &str, count: i64) -> String {
    let label = kind_label(lang, mode);
    let outcome = match (lang, status) {
        (Lang::Ru, "settled") => "выполнено",
        (Lang::Ru, "refunded") => "возвращено",
        (Lang::Ru, "charged") => "в работе",
        (Lang::En, "settled") => "done",
        (Lang::En, "refunded") => "refunded",
        (Lang::En, "charged") => "in progress",
        (_, other) => other,
    };
    format!("{label}: {outcome} {count}")
}

/// /payment's first line: whose top-up, what it credits, what was paid, where it stands.
pub fn payment_summary(
    lang: Lang,
    id: &str,
    provider: Provider,
    telegram_id: i64,
    credit: Kopecks,
    paid: &str,
    status: PaymentStatus,
) -> String {
    let provider = match provider {
        Provider::YooKassa => "ЮKassa",
        Provider::Stars => "Telegram Stars",
    };
    let credit = money(lang, credit);
    let status = match (lang, status) {
        (Lang::Ru, PaymentStatus::Created) => "создан",
        (Lang::Ru, PaymentStatus::Pending) => "ждёт оплаты",
        (Lang::Ru, PaymentStatus::WaitingForCapture) => "ждёт подтверждения",
        (Lang::Ru, PaymentStatus::Succeeded) => "оплачен",
        (Lang::Ru, PaymentStatus::Canceled) => "отменён",
        (Lang::Ru, PaymentStatus::Mismatch) => "оплачен не той суммой, не зачислен",
        (Lang::En, s) => s.as_str(),
    };
    match lang {
        Lang::Ru => format!(
            "{id} ({provider}), пользователь {telegram_id}: зачисление {credit}, оплачено {paid}; {status}"
        ),
        Lang::En => {
            format!("{id} ({provider}), user {telegram_id}: {credit} credit, paid {paid}; {status}")
        }
    }
}

/// What the payer paid, as people write it: «90 ₽», «⭐ 240».
pub fn paid_amount(lang: Lang, paid: i64, currency: &str) -> String {
    if currency == "XTR" {
        format!("⭐ {}", super::number(lang, paid.unsigned_abs()))
    } else {
        money(lang, Kopecks(paid))
    }
}

/// One event of a top-up's story, for /payment.
pub fn payment_event(lang: Lang, e: &PaymentEvent) -> String {
    if lang == Lang::En {
        return e.to_string();
    }
    match e {
        PaymentEvent::Draft {
            credit,
            paid,
            currency,
        } => format!(
            "счёт: зачислить {}, к оплате {}",
            money(lang, *credit),
            paid_amount(lang, *paid, currency)
        ),
        PaymentEvent::Notification(event) => format!("пришло уведомление {event}"),
        PaymentEvent::Checked(outcome) => {
            let said = match outcome.parse::<CheckOutcome>() {
                Ok(CheckOutcome::Credited) => "зачислено",
                Ok(CheckOutcome::Mismatch) => "оплачено не той суммой",
                Ok(CheckOutcome::Canceled) => "отменён",
                Ok(CheckOutcome::Pending) => "ещё не оплачен",
                Ok(CheckOutcome::AlreadyFinal) => "уже был завершён",
                Ok(CheckOutcome::Unknown) => "не наш платёж",
                Ok(CheckOutcome::RefusedTest) => "тестовый платёж, отклонён",
                Ok(CheckOutcome::MetadataMismatch) => "метаданные другого платежа",
                Ok(CheckOutcome::ApiError) => "ЮKassa не ответила",
                Ok(CheckOutcome::Error) => "ошибка проверки",
                Err(_) => outcome.as_str(),
            };
            format!("проверено в ЮKassa: {said}")
        }
        PaymentEvent::Ledger { kind, amount, key } => {
            let kind = match kind.as_str() {
                "topup" => "пополнение",
                "adjustment" => "корректировка",
                other => other,
            };
            let amount = money(lang, *amount);
            format!("запись в журнале: {kind} {amount} ({key})")
        }
        PaymentEvent::Refunded => "возвращён плательщику".into(),
    }
}
