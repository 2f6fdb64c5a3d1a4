//! A job on its way to the user: progress, and the result's caption and buttons.

use super::{Lang, money, t};
use crate::money::Kopecks;

pub fn progress_queued(lang: Lang, position: Option<u64>) -> String {
    match (lang, position) {
        (Lang::Ru, Some(p)) => format!("⏳ В очереди (позиция {}).", p + 1),
        (Lang::Ru, None) => "⏳ В очереди.".into(),
        (Lang::En, Some(p)) => format!("⏳ In the queue (position {}).", p + 1),
        (Lang::En, None) => "⏳ In the queue.".into(),
    }
}

pub fn progress_working(lang: Lang) -> &'static str {
    t(lang, "🎨 Обрабатываю…", "🎨 Working on it…")
}

pub fn progress_sending(lang: Lang) -> &'static str {
    t(lang, "📤 Отправляю результат…", "📤 Sending the result…")
}

pub fn done(lang: Lang) -> &'static str {
    t(lang, "✅ Готово!", "✅ Done!")
}

pub fn again_label(lang: Lang, price: Option<Kopecks>) -> String {
    match (lang, price) {
        (Lang::Ru, Some(p)) if p.is_positive() => format!("🔁 Ещё вариант · {}", money(lang, p)),
        (Lang::En, Some(p)) if p.is_positive() => format!("🔁 One more · {}", money(lang, p)),
        (Lang::Ru, _) => "🔁 Ещё вариант".into(),
        (Lang::En, _) => "🔁 One more".into(),
    }
}

pub fn change_request_label(lang: Lang) -> &'static str {
    t(lang, "✏️ Изменить запрос", "✏️ Change the request")
}

pub fn upscale_this_label(lang: Lang) -> &'static str {
    t(lang, "⬆️ Улучшить это фото", "⬆️ Upscale this")
}

pub fn edit_this_label(lang: Lang) -> &'static str {
    t(lang, "✏️ Редактировать это фото", "✏️ Edit this")
}

pub fn retry_label(lang: Lang) -> &'static str {
    t(lang, "🔁 Повторить", "🔁 Try again")
}

/// The caption under a result: what was made, from what.
pub fn result_caption(lang: Lang, what: &str, prompt: &str) -> String {
    let prompt: String = prompt.chars().take(300).collect();
    if prompt.trim().is_empty() {
        return format!("{what} · {}", t(lang, "готово", "done"));
    }
    format!("{what} · «{prompt}»")
}

pub fn full_file_caption(lang: Lang) -> &'static str {
    t(
        lang,
        "⬆️ Файл в полном качестве — без сжатия Telegram.",
        "⬆️ The full-quality file, without Telegram's compression.",
    )
}

pub fn not_your_result(lang: Lang) -> &'static str {
    t(
        lang,
        "Эта картинка больше недоступна. Выберите, что сделать:",
        "That picture is no longer available. Choose what to do:",
    )
}
