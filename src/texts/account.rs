//! 💰 Balance: the account card and the history of ledger rows.

use super::{Lang, mode_label, money, plural_ru, t};
use crate::model::{LedgerKind, Mode, Provider};
use crate::money::Kopecks;

pub fn history_label(lang: Lang) -> &'static str {
    t(lang, "📜 Вся история", "📜 Full history")
}

pub fn newer_label(lang: Lang) -> &'static str {
    t(lang, "⬅️ Новее", "⬅️ Newer")
}

pub fn older_label(lang: Lang) -> &'static str {
    t(lang, "Старее ➡️", "Older ➡️")
}

/// A page of the whole history.
pub fn history_page(lang: Lang, page: u32, lines: &[String]) -> String {
    let mut s = match lang {
        Lang::Ru => format!("📜 История (время UTC), страница {}:", page + 1),
        Lang::En => format!("📜 History (UTC), page {}:", page + 1),
    };
    if lines.is_empty() {
        s.push_str(t(lang, "\nЗдесь пока пусто.", "\nNothing here yet."));
    }
    for line in lines {
        s.push_str("\n• ");
        s.push_str(line);
    }
    s
}

/// The balance screen: what the user has (`wallet`, as at the head of the menu), then the latest
/// rows of the history.
pub fn balance(lang: Lang, wallet: &str, history: &[String]) -> String {
    let mut s = wallet.to_string();
    if !history.is_empty() {
        s.push_str(t(
            lang,
            "\n\nПоследние операции (время UTC):",
            "\n\nRecent activity (UTC):",
        ));
        for line in history {
            s.push_str("\n• ");
            s.push_str(line);
        }
    }
    s
}

pub fn invite_label(lang: Lang) -> &'static str {
    t(lang, "🤝 Пригласить друга", "🤝 Invite a friend")
}

/// A ledger row as the history shows it.
#[derive(Debug, Clone, Copy)]
pub struct LedgerLine<'a> {
    pub kind: LedgerKind,
    pub amount: Kopecks,
    pub free_ops: i64,
    pub reason: Option<&'a str>,
    pub mode: Option<Mode>,
    /// For a top-up: what was paid (kopecks, or whole Stars) and how.
    pub paid: Option<(i64, Provider)>,
    pub when: &'a str,
}

/// One history line, as a person reads it: «01.12 14:05 ✨ Ретушь — бесплатная операция»,
/// «01.12 14:06 ↩️ Возврат за ✨ Ретушь: +10 ₽», «💳 Пополнение +100 ₽ (WELCOME10)».
pub fn ledger_line(lang: Lang, row: &LedgerLine<'_>) -> String {
    let LedgerLine {
        kind,
        amount,
        free_ops,
        reason,
        mode,
        paid,
        when,
    } = *row;
    let signed = |k: Kopecks| {
        let m = money(lang, k);
        if k.is_positive() { format!("+{m}") } else { m }
    };
    let ops = |n: i64| match lang {
        Lang::Ru => format!(
            "{}{} {}",
            if n > 0 { "+" } else { "\u{2212}" },
            n.abs(),
            plural_ru(
                n.abs(),
                "бесплатная операция",
                "бесплатные операции",
                "бесплатных операций"
            )
        ),
        Lang::En => format!(
            "{}{} free operation{}",
            if n > 0 { "+" } else { "\u{2212}" },
            n.abs(),
            if n.abs() == 1 { "" } else { "s" }
        ),
    };
    // ✍️ charges and refunds carry no image mode; their reason says `prompt`.
    let what = |m: Option<Mode>| match m {
        Some(m) => mode_label(lang, m),
        None if reason.is_some_and(|r| r.starts_with("prompt")) => super::write_label(lang),
        None => t(lang, "операция", "operation"),
    };
    let change = match (amount.0 != 0, free_ops != 0) {
        (true, _) => signed(amount),
        (false, true) => ops(free_ops),
        (false, false) => String::new(),
    };
    let line = match kind {
        LedgerKind::Charge if amount.0 == 0 && free_ops == 0 => format!(
            "{} — {}",
            what(mode),
            t(
                lang,
                "бесплатно по безлимитному доступу",
                "free (free access)"
            )
        ),
        LedgerKind::Charge if amount.0 == 0 => format!(
            "{} — {}",
            what(mode),
            t(lang, "бесплатная операция", "a free operation")
        ),
        LedgerKind::Charge => format!("{} — {change}", what(mode)),
        LedgerKind::Refund => match lang {
            Lang::Ru => format!("↩️ Возврат за {}: {change}", what(mode)),
            Lang::En => format!("↩️ Refund for {}: {change}", what(mode)),
        },
        LedgerKind::Topup => {
            // What was paid, when it differs from what was credited (a discount, or Stars).
            let paid = match paid {
                Some((stars, Provider::Stars)) => Some(format!("⭐ {stars}")),
                Some((k, Provider::YooKassa)) if k != amount.0 => Some(match lang {
                    Lang::Ru => format!("оплачено {}", money(lang, Kopecks(k))),
                    Lang::En => format!("paid {}", money(lang, Kopecks(k))),
                }),
                _ => None,
            };
            let note = [paid, reason.map(str::to_string)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", ");
            let note = if note.is_empty() {
                note
            } else {
                format!(" ({note})")
            };
            format!("💳 {} {change}{note}", t(lang, "Пополнение", "Top-up"))
        }
        LedgerKind::Adjustment if amount.is_positive() => {
            format!(
                "🎁 {} {change}",
                t(
                    lang,
                    "Начисление от администратора",
                    "Credited by the admin"
                )
            )
        }
        LedgerKind::Adjustment => format!(
            "{} {change}",
            t(lang, "Списание администратором", "Debited by the admin")
        ),
        LedgerKind::Signup => format!(
            "🎁 {}: {change}",
            t(lang, "Подарок новичку", "Welcome gift")
        ),
        LedgerKind::Promo if reason == Some("referral") => {
            format!(
                "🤝 {}: {change}",
                t(lang, "Бонус по приглашению", "Invitation bonus")
            )
        }
        LedgerKind::Promo => match reason {
            Some(code) => format!("🎟️ {} {code}: {change}", t(lang, "Промокод", "Promo code")),
            None => format!("🎟️ {}: {change}", t(lang, "Промокод", "Promo code")),
        },
        LedgerKind::FreeAccess => free_access_line(lang, reason.unwrap_or_default()),
    };
    format!("{when} {line}")
}

/// A free-access row: switched on or off, and by what (`reason` is "granted: code X" or
/// "revoked: by the operator" as billing writes it).
fn free_access_line(lang: Lang, reason: &str) -> String {
    let (on, by) = match reason.split_once(": ") {
        Some((verb, by)) => (verb != "revoked", by),
        None => (reason != "revoked", ""),
    };
    let source = match (lang, by.strip_prefix("code ")) {
        (Lang::Ru, Some(code)) => format!(" (промокод {code})"),
        (Lang::En, Some(code)) => format!(" (code {code})"),
        (Lang::Ru, None) if !by.is_empty() => " (администратор)".into(),
        (Lang::En, None) if !by.is_empty() => " (by the admin)".into(),
        _ => String::new(),
    };
    match (lang, on) {
        (Lang::Ru, true) => format!("♾ Включён безлимитный доступ{source}"),
        (Lang::Ru, false) => format!("♾ Безлимитный доступ выключен{source}"),
        (Lang::En, true) => format!("♾ Free access switched on{source}"),
        (Lang::En, false) => format!("♾ Free access switched off{source}"),
    }
}

pub fn free_access_on(lang: Lang) -> &'static str {
    t(
        lang,
        "♾ Бесплатный доступ активирован: все режимы бесплатны.",
        "♾ Free access is on: every mode is free.",
    )
}

pub fn bonus_ops(lang: Lang, added: u32, total: i64) -> String {
    match lang {
        Lang::Ru => format!("🎁 Добавлено бесплатных операций: {added}. Всего: {total}."),
        Lang::En => format!("🎁 Free operations added: {added}. Total: {total}."),
    }
}
