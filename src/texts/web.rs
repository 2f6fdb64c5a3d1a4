//! The Mini App's words, and the bot's side of the web (the «🖼 Мои работы» button, /web).

use super::{Lang, t};

pub fn gallery_label(lang: Lang) -> &'static str {
    t(lang, "🖼 Мои работы", "🖼 My work")
}

/// The Mini App's fixed words, in the viewer's language.
pub struct GalleryWords {
    pub title: &'static str,
    pub balance: &'static str,
    pub free: &'static str,
    pub works: &'static str,
    pub empty: &'static str,
    pub download: &'static str,
    pub history: &'static str,
    pub topup: &'static str,
    pub more: &'static str,
}

pub fn gallery_words(lang: Lang) -> GalleryWords {
    GalleryWords {
        title: gallery_label(lang),
        balance: t(lang, "Баланс", "Balance"),
        free: t(lang, "Бесплатных операций", "Free operations"),
        works: t(lang, "Картинки", "Pictures"),
        empty: t(
            lang,
            "Пока пусто: здесь появятся ваши картинки, пока они хранятся.",
            "Nothing yet: your pictures appear here while they are kept.",
        ),
        download: t(lang, "⬇️ Скачать оригинал", "⬇️ Download the original"),
        history: t(lang, "История", "History"),
        topup: t(lang, "💰 Пополнить", "💰 Top up"),
        more: t(lang, "🎨 Ещё картинку", "🎨 Another picture"),
    }
}

pub fn web_link(lang: Lang, minutes: i64) -> String {
    match lang {
        Lang::Ru => format!(
            "🔐 Ссылка для входа в панель администратора. Она действует {minutes} минут и открывается один раз; сессия — 12 часов. Не пересылайте её."
        ),
        Lang::En => format!(
            "🔐 A sign-in link for the admin pages. It works for {minutes} minutes, once; the session lasts 12 hours. Do not forward it."
        ),
    }
}

pub fn web_open_label(lang: Lang) -> &'static str {
    t(lang, "Открыть панель", "Open the admin pages")
}

pub fn web_off(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Ru => format!("Сессий в браузере закрыто: {n}."),
        Lang::En => format!("Browser sessions closed: {n}."),
    }
}

pub fn web_not_configured(lang: Lang) -> &'static str {
    t(
        lang,
        "Веб-страницы выключены: задайте WEB_BASE_URL (публичный https-адрес бота) и перезапустите.",
        "The web pages are off: set WEB_BASE_URL (the bot's public https address) and restart.",
    )
}
