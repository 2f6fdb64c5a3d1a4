//! The support inbox's words: what the user is asked and told, and the copy an admin gets.

use super::{Lang, money, t};
use crate::money::Kopecks;

pub fn help_label(lang: Lang) -> &'static str {
    t(lang, "🆘 Помощь", "🆘 Help")
}

pub fn support_label(lang: Lang) -> &'static str {
    t(lang, "💬 Поддержка", "💬 Support")
}

pub fn write_more_label(lang: Lang) -> &'static str {
    t(lang, "✍️ Дописать", "✍️ Add more")
}

pub fn answer_back_label(lang: Lang) -> &'static str {
    t(lang, "✍️ Ответить", "✍️ Reply")
}

/// 💬 pressed (or /paysupport): write the question; who reads it; the contact, when there is one.
pub fn ask_support(lang: Lang, contact: Option<&str>) -> String {
    let ask = t(
        lang,
        "💬 Напишите ваш вопрос одним сообщением — можно приложить фото или скриншот. Его прочитает администратор, ответ придёт сюда же. Если вопрос об оплате, напишите, когда и как вы платили (звёздами или картой).",
        "💬 Write your question in one message — a photo or screenshot is welcome. An administrator reads it and the answer comes here. For a payment, say when and how you paid (Stars or card).",
    );
    match (lang, contact) {
        (_, None) => ask.to_string(),
        (Lang::Ru, Some(c)) => format!("{ask}\n\nМожно и напрямую: {c}"),
        (Lang::En, Some(c)) => format!("{ask}\n\nOr directly: {c}"),
    }
}

/// The user's message is filed.
pub fn support_filed(lang: Lang, ticket: i64, opened: bool) -> String {
    match (lang, opened) {
        (Lang::Ru, true) => format!(
            "✅ Передал администратору — обращение №{ticket}. Ответ придёт сюда. Если хотите что-то добавить, нажмите «✍️ Дописать»."
        ),
        (Lang::Ru, false) => format!("✅ Добавил к обращению №{ticket}. Ответ придёт сюда."),
        (Lang::En, true) => format!(
            "✅ Passed to an administrator — ticket #{ticket}. The answer comes here. To add something, press “✍️ Add more”."
        ),
        (Lang::En, false) => format!("✅ Added to ticket #{ticket}. The answer comes here."),
    }
}

pub fn support_need_text(lang: Lang) -> &'static str {
    t(
        lang,
        "Напишите вопрос текстом (можно с фото) или нажмите «✖️ Отмена».",
        "Write the question as text (a photo is welcome), or press “✖️ Cancel”.",
    )
}

/// An admin's answer, as the user gets it.
pub fn support_answer(lang: Lang, ticket: i64, text: &str) -> String {
    match lang {
        Lang::Ru => format!("💬 Ответ поддержки (обращение №{ticket}):\n\n{text}"),
        Lang::En => format!("💬 Support's answer (ticket #{ticket}):\n\n{text}"),
    }
}

/// Who wrote, for an admin: the user, their money, their last payments.
pub struct Asker<'a> {
    pub telegram_id: i64,
    pub username: Option<&'a str>,
    pub balance: Kopecks,
    pub free_operations: i64,
    pub free_access: bool,
    /// «26.11 300 ₽ карта ✅» lines, newest first.
    pub payments: Vec<String>,
}

/// A user's message copied to an admin chat (admins read Russian): the ticket, the asker, the text,
/// and how to answer.
pub fn support_copy(ticket: i64, opened: bool, asker: &Asker<'_>, text: &str) -> String {
    let who = match asker.username {
        Some(u) => format!("@{u} (id {})", asker.telegram_id),
        None => format!("id {}", asker.telegram_id),
    };
    let head = if opened {
        format!("💬 Новое обращение №{ticket} от {who}")
    } else {
        format!("💬 Обращение №{ticket}, ещё сообщение от {who}")
    };
    let access = if asker.free_access {
        ", безлимитный доступ"
    } else {
        ""
    };
    let payments = if asker.payments.is_empty() {
        "платежей не было".to_string()
    } else {
        asker.payments.join("; ")
    };
    format!(
        "{head}\nБаланс {}, бесплатных операций {}{access}\nПоследние платежи: {payments}\n\n{text}\n\n↩️ Ответьте на это сообщение — ответ уйдёт пользователю. Или /reply {ticket} текст, /close {ticket} — закрыть.",
        money(Lang::Ru, asker.balance),
        asker.free_operations
    )
}

pub fn support_sent_to_user(ticket: i64) -> String {
    format!("✅ Ответ по обращению №{ticket} отправлен пользователю.")
}

pub fn support_no_ticket(ticket: i64) -> String {
    format!("Обращения №{ticket} нет.")
}

pub fn support_closed(ticket: i64, closed: bool) -> String {
    if closed {
        format!("Обращение №{ticket} закрыто.")
    } else {
        format!("Открытого обращения №{ticket} нет.")
    }
}

pub fn support_reply_usage() -> &'static str {
    "Как ответить: /reply НОМЕР текст (или ответьте на копию обращения). Закрыть: /close НОМЕР."
}

pub fn assistant_label(lang: Lang) -> &'static str {
    t(lang, "🤖 ИИ-помощник", "🤖 AI assistant")
}

/// 🤖 opened: what it knows, and how many questions are left today.
pub fn ask_assistant(lang: Lang, left: i64) -> String {
    match lang {
        Lang::Ru => format!(
            "🤖 Спросите что угодно о боте: цены и модели, форматы, коды, оплата, что делать с фото. Бесплатно; сегодня осталось вопросов: {left}. Помощник ничего не меняет на счёте — для этого есть «💬 Поддержка»."
        ),
        Lang::En => format!(
            "🤖 Ask anything about the bot: prices and models, formats, codes, payments, what to do with a photo. Free; questions left today: {left}. The assistant changes nothing on your account — “💬 Support” does."
        ),
    }
}

pub fn assistant_limit(lang: Lang, limit: u32) -> String {
    match lang {
        Lang::Ru => format!(
            "🤖 На сегодня вопросы закончились ({limit} в день) — помощник ответит завтра. Если срочно, напишите в «💬 Поддержка»."
        ),
        Lang::En => format!(
            "🤖 That's today's {limit} questions — the assistant answers again tomorrow. If it is urgent, write to “💬 Support”."
        ),
    }
}

pub fn assistant_failed(lang: Lang) -> &'static str {
    t(
        lang,
        "🤖 Помощник сейчас не отвечает. Попробуйте чуть позже или напишите в «💬 Поддержка» — там ответит человек.",
        "🤖 The assistant is not answering right now. Try again a little later, or write to “💬 Support”, where a person answers.",
    )
}

pub fn assistant_off(lang: Lang) -> &'static str {
    t(
        lang,
        "🤖 Помощник сейчас выключен. Напишите в «💬 Поддержка» — ответит администратор.",
        "🤖 The assistant is off. Write to “💬 Support” and an administrator will answer.",
    )
}

pub fn assistant_text_only(lang: Lang) -> &'static str {
    t(
        lang,
        "🤖 Я отвечаю на вопросы текстом. Напишите вопрос словами.",
        "🤖 I answer questions in text. Please type your question.",
    )
}

pub fn write_label(lang: Lang) -> &'static str {
    t(lang, "✍️ Написать", "✍️ Write")
}

pub fn use_prompt_label(lang: Lang) -> &'static str {
    t(lang, "🎨 Создать по нему", "🎨 Create from it")
}

pub fn another_prompt_label(lang: Lang) -> &'static str {
    t(lang, "🔁 Другой вариант", "🔁 Another one")
}

/// ✍️ opened: describe the idea; what it costs this user.
pub fn ask_idea(lang: Lang, price_line: &str) -> String {
    let ask = t(
        lang,
        "✍️ Опишите идею в нескольких словах — например, «девушка на пляже на закате» или «логотип кофейни». Я напишу подробный промпт: кто или что, как выглядит, где, какой свет и стиль.",
        "✍️ Describe the idea in a few words — say, “a girl on a beach at sunset” or “a coffee shop logo”. I'll write a detailed prompt: who or what, how it looks, where, the light and the style.",
    );
    format!("{ask}\n\n{price_line}")
}

/// The written prompt, and what it cost.
pub fn written(lang: Lang, prompt: &str, cost: &str) -> String {
    match lang {
        Lang::Ru => format!("✍️ Промпт готов:\n\n{prompt}\n\n{cost}"),
        Lang::En => format!("✍️ Your prompt:\n\n{prompt}\n\n{cost}"),
    }
    .trim_end()
    .to_string()
}

/// ✍️ failed: said, and what came back.
pub fn prompt_failed(lang: Lang, returned: Kopecks) -> String {
    match (lang, returned.is_positive()) {
        (Lang::Ru, true) => format!(
            "✍️ Не получилось написать промпт — сервис не ответил. {} вернулись на баланс. Попробуйте ещё раз чуть позже.",
            money(lang, returned)
        ),
        (Lang::En, true) => format!(
            "✍️ The prompt could not be written — the service did not answer. {} is back on your balance. Please try again a little later.",
            money(lang, returned)
        ),
        (Lang::Ru, false) => "✍️ Не получилось написать промпт — сервис не ответил. Ничего не списано, попробуйте ещё раз чуть позже.".into(),
        (Lang::En, false) => "✍️ The prompt could not be written — the service did not answer. Nothing was charged; please try again a little later.".into(),
    }
}

/// Above the generate picker when it comes from a written prompt.
pub fn prompt_ready(lang: Lang, prompt: &str) -> String {
    let prompt: String = prompt.chars().take(700).collect();
    match lang {
        Lang::Ru => format!(
            "✍️ Промпт: «{prompt}»\nВыберите модель и формат и нажмите «🎨 Создать по промпту»."
        ),
        Lang::En => format!(
            "✍️ Prompt: “{prompt}”\nPick the model and format, then press “🎨 Create from the prompt”."
        ),
    }
}

pub fn create_from_prompt_label(lang: Lang) -> &'static str {
    t(lang, "🎨 Создать по промпту", "🎨 Create from the prompt")
}
