//! A job on its way to the user: progress, the result's caption and buttons, and why a job failed.

use super::{Lang, money, t};
use crate::model::JobFailure;
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

pub fn job_failed(
    lang: Lang,
    why: JobFailure,
    returned: Option<Kopecks>,
    free_operation: bool,
) -> String {
    let why_kind = why;
    let why = match why {
        JobFailure::Timeout => t(
            lang,
            "обработка заняла слишком много времени (не уложилась в отведённое время)",
            "processing took too long",
        ),
        JobFailure::Refused => t(
            lang,
            "сервис отклонил запрос (фильтр контента или неподходящее фото)",
            "the service refused the request (content filter or an unsuitable photo)",
        ),
        JobFailure::Input => t(
            lang,
            "не удалось получить или прочитать фото",
            "the photo could not be fetched or read",
        ),
        JobFailure::Service => t(
            lang,
            "сервис ИИ сейчас не отвечает",
            "the image service failed",
        ),
        JobFailure::TooLarge => t(
            lang,
            "фото слишком большое (не больше 40 мегапикселей и 20 МБ)",
            "the photo is too large (at most 40 megapixels and 20 MB)",
        ),
        JobFailure::Undelivered => t(
            lang,
            "Telegram так и не принял готовую картинку",
            "Telegram would not accept the finished picture",
        ),
    };
    // A content refusal is the one failure the user can fix: say how.
    let hint = match (why_kind, lang) {
        (JobFailure::Refused, Lang::Ru) => {
            "\nПопробуйте переформулировать запрос или взять другое фото."
        }
        (JobFailure::Refused, Lang::En) => "\nTry rewording the request or another photo.",
        _ => "",
    };
    let refund = match (lang, returned, free_operation) {
        (Lang::Ru, Some(k), _) if k.is_positive() => {
            format!("\n💸 {} вернулись на баланс.", money(lang, k))
        }
        (Lang::En, Some(k), _) if k.is_positive() => {
            format!("\n💸 {} returned to your balance.", money(lang, k))
        }
        (Lang::Ru, _, true) => "\n🎁 Бесплатная операция возвращена.".into(),
        (Lang::En, _, true) => "\n🎁 Your free operation was returned.".into(),
        _ => String::new(),
    };
    match lang {
        Lang::Ru => format!("😔 Не получилось: {why}.{refund}{hint}"),
        Lang::En => format!("😔 That didn't work: {why}.{refund}{hint}"),
    }
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
