//! 💰 Balance: the account card and the history of ledger rows.

use super::{Lang, mode_label, money, plural_ru, t};
use crate::model::{LedgerKind, Mode};
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

pub fn balance(
    lang: Lang,
    balance: Kopecks,
    free_ops: i64,
    free_access: bool,
    history: &[String],
) -> String {
    let balance = money(lang, balance);
    let mut s = match (lang, free_access) {
        (Lang::Ru, true) => format!("💰 Баланс: {balance}\n♾ Бесплатный доступ активен"),
        (Lang::Ru, false) => format!("💰 Баланс: {balance}\n🎁 Бесплатных операций: {free_ops}"),
        (Lang::En, true) => format!("💰 Balance: {balance}\n♾ Free access is on"),
        (Lang::En, false) => format!("💰 Balance: {balance}\n🎁 Free operations: {free_ops}"),
    };
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

/// One history line, as a person reads it: «01.12 14:05 ✨ Ретушь — бесплатная операция»,
/// «01.12 14:06 ↩️ Возврат за ✨ Ретушь: +10 ₽», «💳 Пополнение +100 ₽ (WELCOME10)».
pub fn ledger_line(
    lang: Lang,
    kind: LedgerKind,
    amount: Kopecks,
    free_ops: i64,
    reason: Option<&str>,
    mode: Option<Mode>,
    when: &str,
) -> String {
    let ru = lang == Lang::Ru;
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
    let what = |m: Option<Mode>| {
        m.map_or(t(lang, "операция", "operation"), |m| {
            mode_label(lang, m)
        })
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
            t(lang, "бесплатно (безлимит)", "free (free access)")
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
            let code = reason.map(|c| format!(" ({c})")).unwrap_or_default();
            format!("💳 {} {change}{code}", t(lang, "Пополнение", "Top-up"))
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
                t(lang, "Бонус за приглашение", "Invitation bonus")
            )
        }
        LedgerKind::Promo => match reason {
            Some(code) => format!("🎟️ {} {code}: {change}", t(lang, "Промокод", "Promo code")),
            None => format!("🎟️ {}: {change}", t(lang, "Промокод", "Promo code")),
        },
        LedgerKind::FreeAccess if ru => "♾ Безлимитный доступ".into(),
        LedgerKind::FreeAccess => "♾ Free access".into(),
    };
    format!("{when} {line}")
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
