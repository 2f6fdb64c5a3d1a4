//! A job on its way to the user: progress, and the result's caption and buttons.

use super::{Lang, mode_label, money, t};
use crate::model::{Format, Mode, PaidWith};
use crate::money::Kopecks;

/// fal's own queue, when it has requests before ours (its position 0 is "next": no wait worth a
/// word, so that is shown as working).
pub fn progress_queued(lang: Lang, before: u64) -> String {
    match lang {
        Lang::Ru => format!("⏳ Сервис ИИ загружен: перед вами {before} в очереди."),
        Lang::En => format!("⏳ The image service is busy: {before} ahead in its queue."),
    }
}

pub fn progress_working(lang: Lang) -> &'static str {
    t(
        lang,
        "🎨 Обрабатываю, обычно это занимает до минуты…",
        "🎨 Working on it, usually under a minute…",
    )
}

pub fn progress_sending(lang: Lang) -> &'static str {
    t(lang, "📤 Отправляю результат…", "📤 Sending the result…")
}

pub fn done(lang: Lang) -> &'static str {
    t(lang, "✅ Готово!", "✅ Done!")
}

/// 🔁 with this user's price for one more («· 10 ₽», «· бесплатно»).
pub fn again_label(lang: Lang, tag: Option<&str>) -> String {
    let label = t(lang, "🔁 Ещё вариант", "🔁 One more");
    match tag {
        Some(tag) => format!("{label} · {tag}"),
        None => label.into(),
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

pub fn original_label(lang: Lang) -> &'static str {
    t(lang, "📎 Оригинал файлом", "📎 Original file")
}

/// 📎 pressed: the file is on its way, or no longer kept.
pub fn original_caption(lang: Lang) -> &'static str {
    t(
        lang,
        "📎 Оригинал без сжатия Telegram",
        "📎 The original, without Telegram's compression",
    )
}

pub fn original_gone(lang: Lang, days: u32) -> String {
    match lang {
        Lang::Ru => format!(
            "📎 Оригинала уже нет: файлы хранятся {}. Картинка выше — та же, только сжатая Telegram.",
            super::days(lang, days)
        ),
        Lang::En => format!(
            "📎 The original is gone: files are kept for {}. The picture above is the same, compressed by Telegram.",
            super::days(lang, days)
        ),
    }
}

pub fn retry_label(lang: Lang) -> &'static str {
    t(lang, "🔁 Повторить", "🔁 Try again")
}

/// The caption under a result: what was made (the prompt, or for a photo mode what was done), and
/// on the next line what it cost (`cost`, from `cost_line`).
/// The model and format a result was made with, for its caption: «Nano Banana Pro · 3:4».
pub fn made_with(model: &str, format: Option<Format>) -> String {
    match format {
        Some(f) => format!("{model} · {}", f.as_str()),
        None => model.to_string(),
    }
}

pub fn result_caption(
    lang: Lang,
    mode: Option<Mode>,
    prompt: &str,
    made_with: Option<&str>,
    cost: &str,
) -> String {
    let prompt: String = prompt.chars().take(300).collect();
    let what = match mode {
        _ if !prompt.trim().is_empty() => {
            let label = mode.map_or(super::add_text_label(lang), |m| mode_label(lang, m));
            format!("{label} · «{prompt}»")
        }
        Some(Mode::Retouch) => t(
            lang,
            "✨ Ретушь: дефекты убраны, кожа и свет выровнены",
            "✨ Retouched: blemishes removed, skin and light evened out",
        )
        .into(),
        Some(Mode::FaceSwap) => t(lang, "🔄 Лицо заменено", "🔄 Face swapped").into(),
        Some(Mode::Upscale) => t(
            lang,
            "⬆️ Фото увеличено и стало чётче",
            "⬆️ Upscaled: larger and sharper",
        )
        .into(),
        Some(m) => mode_label(lang, m).into(),
        None => t(lang, "📝 Надпись добавлена", "📝 Text added").into(),
    };
    let what = match made_with {
        Some(m) => format!("{what}\n🧠 {m}"),
        None => what,
    };
    if cost.is_empty() {
        what
    } else {
        format!("{what}\n{cost}")
    }
}

/// What a result cost, for its caption: «💳 10 ₽», «🎁 бесплатная операция», «♾ безлимитный
/// доступ», «бесплатно» (add text).
pub fn cost_line(lang: Lang, paid: Option<(PaidWith, Kopecks)>) -> String {
    match paid {
        Some((PaidWith::Balance, price)) => format!("💳 {}", money(lang, price)),
        Some((PaidWith::FreeOperation, _)) => {
            t(lang, "🎁 бесплатная операция", "🎁 a free operation").into()
        }
        Some((PaidWith::FreeAccess, _)) => t(lang, "♾ безлимитный доступ", "♾ free access").into(),
        Some((PaidWith::Plan, _)) => t(lang, "⭐ по подписке", "⭐ subscription").into(),
        None => t(lang, "бесплатно", "free").into(),
    }
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
