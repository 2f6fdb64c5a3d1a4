//! Every text the bot says, Russian first, English for users whose language_code is `en`, one file per
//! conversation (mirroring `bot/flows/`). A leaf: the bot and the workers both speak through it, and it
//! depends only on plain types. The shared pieces (language, money, plurals) live here.

use crate::model::Mode;
use crate::money::Kopecks;

mod account;
mod admin;
mod delivery;
mod modes;
mod notices;
mod plans;
mod start;
mod support;
mod topup;
mod web;

pub use account::*;
pub use admin::*;
pub use delivery::*;
pub use modes::*;
pub use notices::*;
pub use plans::*;
pub use start::*;
pub use support::*;
pub use topup::*;
pub use web::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ru,
    En,
}

impl Lang {
    pub fn of(code: Option<&str>) -> Lang {
        match code {
            Some(c) if c == "en" || c.starts_with("en-") => Lang::En,
            _ => Lang::Ru,
        }
    }
}

/// Money as people write it: in Russian «10 ₽», «99,90 ₽», «100 000 ₽», «−10 ₽» (a narrow no-break
/// space between thousands, a decimal comma, a real minus, kopecks only when there are any, a plain
/// space before ₽ as on the buttons); in English «₽10», «₽99.90», «₽100,000».
pub fn money(lang: Lang, k: Kopecks) -> String {
    let minus = if k.0 < 0 { "\u{2212}" } else { "" };
    let abs = k.0.unsigned_abs();
    let (whole, kop) = (abs / 100, abs % 100);
    let grouped = number(lang, whole);
    let number = match (kop, lang) {
        (0, _) => grouped,
        (k, Lang::Ru) => format!("{grouped},{k:02}"),
        (k, Lang::En) => format!("{grouped}.{k:02}"),
    };
    match lang {
        Lang::Ru => format!("{minus}{number} ₽"),
        Lang::En => format!("{minus}₽{number}"),
    }
}

/// A whole number grouped by thousands the way money is: «1 000» (narrow no-break space), «1,000».
pub fn number(lang: Lang, n: u64) -> String {
    let digits = n.to_string();
    let sep = if lang == Lang::Ru { "\u{202f}" } else { "," };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push_str(sep);
        }
        grouped.push(c);
    }
    grouped
}

/// How many operations `amount` pays for at `price` each (none when operations are free).
fn operations_in(amount: Kopecks, price: Kopecks) -> i64 {
    if price.is_positive() {
        amount.0 / price.0
    } else {
        0
    }
}

/// Picks the text for `lang`.
fn t(lang: Lang, ru: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Ru => ru,
        Lang::En => en,
    }
}

pub fn mode_label(lang: Lang, mode: Mode) -> &'static str {
    match mode {
        Mode::Generate => t(lang, "🎨 Создать", "🎨 Create"),
        Mode::Edit => t(lang, "✏️ Редактировать", "✏️ Edit"),
        Mode::Merge => t(lang, "🔗 Объединить", "🔗 Merge"),
        Mode::FaceSwap => t(lang, "🔄 Заменить лицо", "🔄 Face swap"),
        Mode::Retouch => t(lang, "✨ Ретушь", "✨ Retouch"),
        Mode::Upscale => t(lang, "⬆️ Улучшить", "⬆️ Upscale"),
    }
}

pub fn menu_label(lang: Lang) -> &'static str {
    t(lang, "🏠 Меню", "🏠 Menu")
}

pub fn cancelled(lang: Lang) -> &'static str {
    t(
        lang,
        "Отменено. Выберите, что сделать:",
        "Cancelled. Choose what to do:",
    )
}

pub fn unavailable(lang: Lang) -> &'static str {
    t(
        lang,
        "Этот режим сейчас недоступен: сервис обработки не настроен. Попробуйте позже.",
        "This mode is unavailable right now: the image service is not configured. Please try later.",
    )
}

pub fn stale_button(lang: Lang) -> &'static str {
    t(
        lang,
        "Эта кнопка устарела и больше не работает — вот актуальное меню.",
        "This button is outdated — here is the current menu.",
    )
}

pub fn oops(lang: Lang) -> &'static str {
    t(
        lang,
        "Что-то пошло не так. Ничего не списано — попробуйте ещё раз чуть позже.",
        "Something went wrong. Nothing was charged — please try again a bit later.",
    )
}

pub fn cancel_label(lang: Lang) -> &'static str {
    t(lang, "✖️ Отмена", "✖️ Cancel")
}

pub fn back_label(lang: Lang) -> &'static str {
    t(lang, "⬅️ Назад", "⬅️ Back")
}

pub fn unknown_command(lang: Lang) -> &'static str {
    t(
        lang,
        "Такой команды нет. /help — что я умею.",
        "There is no such command. /help shows what I can do.",
    )
}

/// The Russian plural form for `n`: 1 операция, 2–4 операции, 5 операций (11–14 take the last).
pub fn plural_ru<'a>(n: i64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let (n10, n100) = (n.abs() % 10, n.abs() % 100);
    if n10 == 1 && n100 != 11 {
        one
    } else if (2..=4).contains(&n10) && !(12..=14).contains(&n100) {
        few
    } else {
        many
    }
}

/// A number of days: «30 дней», «1 day».
pub fn days(lang: Lang, n: u32) -> String {
    match lang {
        Lang::Ru => format!("{n} {}", plural_ru(i64::from(n), "день", "дня", "дней")),
        Lang::En if n == 1 => "1 day".into(),
        Lang::En => format!("{n} days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_plurals() {
        let f = |n| plural_ru(n, "операция", "операции", "операций");
        for (n, want) in [
            (1, "операция"),
            (2, "операции"),
            (4, "операции"),
            (5, "операций"),
            (11, "операций"),
            (12, "операций"),
            (21, "операция"),
            (22, "операции"),
            (0, "операций"),
        ] {
            assert_eq!(f(n), want, "{n}");
        }
    }

    #[test]
    fn money_is_written_the_russian_way_in_russian() {
        let ru = |k| money(Lang::Ru, Kopecks(k));
        assert_eq!(ru(1000), "10 ₽");
        assert_eq!(ru(9990), "99,90 ₽");
        assert_eq!(ru(10_000_000), "100\u{202f}000 ₽");
        assert_eq!(ru(-1000), "\u{2212}10 ₽");
        assert_eq!(ru(5), "0,05 ₽");
        let en = |k| money(Lang::En, Kopecks(k));
        assert_eq!(en(1000), "₽10");
        assert_eq!(en(9990), "₽99.90");
        assert_eq!(en(10_000_000), "₽100,000");
    }
}
