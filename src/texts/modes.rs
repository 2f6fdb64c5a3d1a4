//! Choosing a mode and giving it its input: the questions, the offers, the price line and the
//! "paid with" lines of an accepted job.

use super::{Lang, mode_label, money, plural_ru, t};
use crate::model::{Format, Mode, Plate, Spot, TextColor};
use crate::money::Kopecks;

pub fn ask_input(lang: Lang, mode: Mode, price_line: &str) -> String {
    let ask = match mode {
        Mode::Generate => t(
            lang,
            "Опишите, какую картинку создать. Например: «рыжая лиса в снегу, фотореализм».",
            "Describe the image to create. For example: “a red fox in the snow, photorealistic”.",
        ),
        Mode::Edit => t(
            lang,
            "Пришлите фото, которое нужно изменить (можно сразу с подписью — что сделать; можно несколько, альбомом или по одному).",
            "Send the photo to edit (a caption can say what to do; several work too, as an album or one by one).",
        ),
        Mode::Merge => t(
            lang,
            "Пришлите от 2 до 8 фото (альбомом или по одному), затем напишите, что с ними сделать.",
            "Send 2 to 8 photos (as an album or one by one), then write what to do with them.",
        ),
        Mode::FaceSwap => t(
            lang,
            "Пришлите фото лица, которое нужно перенести (одно лицо, анфас).",
            "Send the photo of the face to move (one face, looking at the camera).",
        ),
        Mode::Retouch => t(
            lang,
            "Пришлите фото для ретуши.",
            "Send the photo to retouch.",
        ),
        Mode::Upscale => t(
            lang,
            "Пришлите фото — сделаю его крупнее и чётче.",
            "Send the photo to upscale.",
        ),
    };
    format!("{}\n{ask}\n\n{price_line}", mode_label(lang, mode))
}

/// What the next operation listed at `listed` costs *this* user: free (free access, a plan's
/// operation or a free operation left), from the balance (less their operation code, said so), or
/// more than they have. `whole` is false for ✍️, which takes no plan or free operations.
pub fn price_line(lang: Lang, user: &crate::model::User, listed: Kopecks, whole: bool) -> String {
    let price = user.price_of(listed);
    let (p, b) = (money(lang, price), money(lang, user.balance));
    let off = match (lang, user.standing_discount.as_ref().map(|(_, d)| *d)) {
        (_, Some(d)) if price < listed => match lang {
            Lang::Ru => format!(" — со скидкой {d} %"),
            Lang::En => format!(" — {d}% off"),
        },
        _ => String::new(),
    };
    let (plan, free_ops) = match whole {
        true => (user.plan_operations_left, user.free_operations_left),
        false => (0, 0),
    };
    match lang {
        Lang::Ru if user.has_free_access => "♾ Для вас бесплатно (безлимитный доступ).".into(),
        Lang::En if user.has_free_access => "♾ Free for you (free access).".into(),
        Lang::Ru if plan > 0 => format!("⭐ Спишется операция подписки (осталось {plan})."),
        Lang::En if plan > 0 => format!("⭐ Uses a subscription operation ({plan} left)."),
        Lang::Ru if free_ops > 0 => {
            format!("🎁 Спишется бесплатная операция (осталось {free_ops}).")
        }
        Lang::En if free_ops > 0 => format!("🎁 Uses a free operation ({free_ops} left)."),
        Lang::Ru if user.balance >= price => format!("💳 {p}{off} с баланса (на балансе {b})."),
        Lang::En if user.balance >= price => {
            format!("💳 {p}{off} from your balance (balance {b}).")
        }
        Lang::Ru => format!(
            "💳 Стоит {p}{off}, а на балансе {b}. Пополните — и сразу продолжим, запрос не пропадёт."
        ),
        Lang::En => format!(
            "💳 It costs {p}{off} and your balance is {b}. Top up and we go on at once; the request is kept."
        ),
    }
}

pub fn ask_add_text_photo(lang: Lang) -> &'static str {
    t(
        lang,
        "📝 Пришлите фото, на которое нужно добавить надпись (текст можно сразу написать в подписи). Это бесплатно.",
        "📝 Send the photo to put text on (a caption works too). It's free.",
    )
}

pub fn ask_instruction(lang: Lang) -> &'static str {
    t(
        lang,
        "Фото получено. Теперь напишите, что сделать.",
        "Got the photo. Now write what to do.",
    )
}

pub fn ask_text_for_photo(lang: Lang) -> &'static str {
    t(
        lang,
        "Фото получено. Теперь напишите текст.",
        "Got the photo. Now write the text.",
    )
}

pub fn ask_target(lang: Lang) -> &'static str {
    t(
        lang,
        "Лицо есть. Теперь пришлите фото, на которое его перенести.",
        "Got the face. Now send the photo to put it on.",
    )
}

pub fn merge_got(lang: Lang, n: usize, max: usize) -> String {
    match lang {
        Lang::Ru if n < 2 => format!("Получено фото: 1. Нужно ещё хотя бы одно (всего до {max})."),
        Lang::Ru if n >= max => {
            format!("Получено фото: {n} — это максимум. Напишите, что с ними сделать.")
        }
        Lang::Ru => {
            format!(
                "Получено фото: {n} (можно до {max}). Пришлите ещё или напишите, что с ними сделать."
            )
        }
        Lang::En if n < 2 => format!("Got 1 photo — send at least one more (up to {max})."),
        Lang::En if n >= max => {
            format!("Got {n} photos — that's the most. Write what to do with them.")
        }
        Lang::En => {
            format!("Got {n} photos (up to {max}). Send more or write what to do with them.")
        }
    }
}

pub fn merge_need_more(lang: Lang) -> &'static str {
    t(
        lang,
        "Нужно хотя бы 2 фото. Пришлите ещё.",
        "At least 2 photos are needed. Send more.",
    )
}

pub fn photos_full(lang: Lang, max: usize) -> String {
    match lang {
        Lang::Ru => format!(
            "Уже {max} фото — это максимум для этой модели, лишние я не беру. Напишите, что с ними сделать."
        ),
        Lang::En => format!(
            "That's {max} photos, the most this model takes; I left out the rest. Write what to do with them."
        ),
    }
}

/// Edit with room for more pictures: what came, and what next.
pub fn edit_got(lang: Lang, n: usize, max: usize) -> String {
    match lang {
        Lang::Ru if n >= max => format!("Получено фото: {n}. Теперь напишите, что сделать."),
        Lang::Ru => format!(
            "Получено фото: {n}. Напишите, что сделать, — или пришлите ещё (всего до {max})."
        ),
        Lang::En if n >= max => format!("Got {n} photo(s). Now write what to do."),
        Lang::En => format!("Got {n} photo(s). Write what to do, or send more (up to {max})."),
    }
}

/// The picker under a mode's question: which model and which format, and what each model is for.
pub fn picker(lang: Lang, notes: &[(&str, &str)], format_asked: bool) -> String {
    let mut text = String::from(t(lang, "🧠 Модель:", "🧠 Model:"));
    for (label, note) in notes {
        if note.is_empty() {
            text.push_str(&format!("\n• {label}"));
        } else {
            text.push_str(&format!("\n• {label} — {note}"));
        }
    }
    if format_asked {
        text.push_str(t(
            lang,
            "\n\n📐 Формат — кнопками ниже (✓ — ваш выбор, он запоминается).",
            "\n\n📐 Format: the buttons below (✓ marks your choice, which is remembered).",
        ));
    } else {
        text.push_str(t(
            lang,
            "\n\n✓ — ваш выбор, он запоминается.",
            "\n\n✓ marks your choice, which is remembered.",
        ));
    }
    text
}

/// A format's button: «3:4 WB / Ozon».
pub fn format_label(lang: Lang, f: Format) -> String {
    let what = match f {
        Format::Square => t(lang, "универсальный", "universal"),
        Format::Portrait => "WB / Ozon",
        Format::Landscape => t(lang, "Авито", "Avito"),
        Format::Social => t(lang, "соцсети", "social"),
        Format::Story => t(lang, "сторис", "stories"),
        Format::Banner => t(lang, "баннеры", "banners"),
        Format::Source => return t(lang, "как у исходного", "as the source").into(),
    };
    format!("{} {what}", f.as_str())
}

/// Retouch: the photo is here; an instruction of one's own, or «Пропустить».
pub fn ask_retouch_wish(lang: Lang, preset: &str, takes_words: bool) -> String {
    match (lang, takes_words) {
        (Lang::Ru, true) => format!(
            "Фото получено. «{preset}»: если хотите, напишите пожелание (например, «убери тёмные круги под глазами») — или нажмите «Пропустить»."
        ),
        (Lang::En, true) => format!(
            "Got the photo. “{preset}”: write a wish if you like (say, “remove the dark circles under the eyes”), or press Skip."
        ),
        (Lang::Ru, false) => format!(
            "Фото получено. «{preset}» работает без пожеланий — нажмите «Пропустить», и начнём."
        ),
        (Lang::En, false) => {
            format!("Got the photo. “{preset}” takes no wishes: press Skip and it starts.")
        }
    }
}

pub fn skip_label(lang: Lang) -> &'static str {
    t(lang, "Пропустить", "Skip")
}

pub fn need_photo(lang: Lang) -> &'static str {
    t(
        lang,
        "Здесь нужно фото. Пришлите фото или /cancel.",
        "A photo is needed here. Send one, or /cancel.",
    )
}

pub fn need_text(lang: Lang) -> &'static str {
    t(
        lang,
        "Здесь нужен текст. Напишите его или /cancel.",
        "Text is needed here. Write it, or /cancel.",
    )
}

pub fn too_long(lang: Lang, len: usize, max: usize) -> String {
    match lang {
        Lang::Ru => format!(
            "Текст слишком длинный: {len} {}. Сократите, пожалуйста, до {max}.",
            plural_ru(len as i64, "символ", "символа", "символов")
        ),
        Lang::En => format!("The text is too long: {len} characters. Please cut it to {max}."),
    }
}

/// Anything but text or a photo, outside a mode (a sticker, a voice note, a file).
pub fn only_text_and_photos(lang: Lang) -> &'static str {
    t(
        lang,
        "Я понимаю текст и фото: напишите, что нарисовать, или пришлите фото.",
        "I understand text and photos: write what to draw, or send a photo.",
    )
}

/// A prompt typed outside any mode.
pub fn text_offer(lang: Lang, prompt: &str, price_line: &str) -> String {
    let prompt: String = prompt.chars().take(200).collect();
    match lang {
        Lang::Ru => format!("Создать картинку по описанию «{prompt}»?\n{price_line}"),
        Lang::En => format!("Create an image of “{prompt}”?\n{price_line}"),
    }
}

/// A photo sent outside any mode.
pub fn photo_offer(lang: Lang) -> &'static str {
    t(
        lang,
        "Что сделать с этим фото?",
        "What should I do with this photo?",
    )
}

/// The status message a job starts as; `paid` is how it was paid (empty for free "add text",
/// which takes a moment rather than a minute); `before` is how many jobs must make way first (0:
/// it starts now).
pub fn accepted(lang: Lang, paid: &str, before: i64) -> String {
    let paid = if paid.is_empty() {
        String::new()
    } else {
        format!(" {paid}")
    };
    match (lang, before) {
        (Lang::Ru, 1..) => format!(
            "✅ Принято!{paid}\n⏳ В очереди: перед вами {before} {}. Начну, как только освободится место.",
            plural_ru(before, "запрос", "запроса", "запросов")
        ),
        (Lang::En, 1..) => format!(
            "✅ Accepted!{paid}\n⏳ In the queue: {before} request{} ahead of you. I'll start as soon as there is room.",
            if before == 1 { "" } else { "s" }
        ),
        (Lang::Ru, _) if paid.is_empty() => "✅ Принято! 📝 Добавляю надпись…".into(),
        (Lang::En, _) if paid.is_empty() => "✅ Accepted! 📝 Adding the text…".into(),
        (Lang::Ru, _) => {
            format!("✅ Принято!{paid}\n⏳ Обрабатываю, обычно это занимает до минуты.")
        }
        (Lang::En, _) => format!("✅ Accepted!{paid}\n⏳ Working on it, usually under a minute."),
    }
}

pub fn paid_free_access(lang: Lang) -> &'static str {
    t(
        lang,
        "Для вас бесплатно (безлимитный доступ).",
        "Free for you (free access).",
    )
}

pub fn paid_free_op(lang: Lang, left: i64, price: Kopecks) -> String {
    let p = money(lang, price);
    match (lang, left) {
        (Lang::Ru, 0) => {
            format!("Использована последняя бесплатная операция. Дальше — {p} за операцию.")
        }
        (Lang::En, 0) => format!("That was your last free operation. From now on, {p} each."),
        (Lang::Ru, _) => format!("Использована бесплатная операция (осталось {left})."),
        (Lang::En, _) => format!("A free operation was used ({left} left)."),
    }
}

pub fn paid_plan(lang: Lang, left: i64) -> String {
    match lang {
        Lang::Ru => format!("Использована операция подписки (осталось {left})."),
        Lang::En => format!("A subscription operation was used ({left} left)."),
    }
}

pub fn paid_balance(lang: Lang, price: Kopecks, balance: Kopecks) -> String {
    let (price, balance) = (money(lang, price), money(lang, balance));
    match lang {
        Lang::Ru => format!("Списано {price}, на балансе {balance}."),
        Lang::En => format!("Charged {price}, balance {balance}."),
    }
}

pub fn insufficient(lang: Lang, price: Kopecks, balance: Kopecks) -> String {
    let (price, balance) = (money(lang, price), money(lang, balance));
    match lang {
        Lang::Ru => format!(
            "Недостаточно средств: операция стоит {price}, на балансе {balance}, бесплатные операции закончились.\n\
             📌 Запрос сохранён: пополните баланс, и я предложу сразу его выполнить. Сколько пополнить?"
        ),
        Lang::En => format!(
            "Not enough funds: the operation costs {price}, your balance is {balance} and the free operations are used up.\n\
             📌 Your request is kept: top up and I will offer to run it right away. How much?"
        ),
    }
}

/// Under the "credited" notice, when a request waits for this money.
pub fn held_offer(lang: Lang, mode: Mode, paid: &str) -> String {
    match lang {
        Lang::Ru => format!(
            "Выполнить сохранённый запрос — {} — {paid}?",
            mode_label(lang, mode)
        ),
        Lang::En => format!(
            "Run your saved request — {} — {paid}?",
            mode_label(lang, mode)
        ),
    }
}

/// How the held request would be paid, for `held_offer`.
pub fn held_price(lang: Lang, price: Kopecks, free: bool) -> String {
    match (lang, free) {
        (Lang::Ru, true) => "бесплатно".into(),
        (Lang::En, true) => "for free".into(),
        (_, false) => match lang {
            Lang::Ru => format!("за {}", money(lang, price)),
            Lang::En => format!("for {}", money(lang, price)),
        },
    }
}

pub fn run_held_label(lang: Lang) -> &'static str {
    t(lang, "▶️ Да, выполнить", "▶️ Yes, run it")
}

pub fn held_gone(lang: Lang) -> &'static str {
    t(
        lang,
        "Этот запрос уже выполнен или устарел. Выберите, что сделать:",
        "That request was already run or has expired. Choose what to do:",
    )
}

pub fn photo_too_large(lang: Lang) -> &'static str {
    t(
        lang,
        "Это фото слишком большое: не больше 40 мегапикселей и 20 МБ. Ничего не списано — пришлите фото поменьше.",
        "This photo is too large: at most 40 megapixels and 20 MB. Nothing was charged — please send a smaller one.",
    )
}

/// What one more `mode` costs this user, for a button: «10 ₽», or «бесплатно» while free
/// operations or free access last.
pub fn price_tag(lang: Lang, price: Kopecks, free: bool) -> String {
    if free || !price.is_positive() {
        t(lang, "бесплатно", "free").into()
    } else {
        money(lang, price)
    }
}

/// A button that starts a paid step, with this user's price on it: «✨ Ретушь · 10 ₽».
pub fn priced(label: &str, tag: &str) -> String {
    format!("{label} · {tag}")
}

/// A text typed outside any mode while a photo was kept (sent without a mode, or left by /cancel).
pub fn photo_text_offer(lang: Lang, prompt: &str, price_line: &str) -> String {
    let prompt: String = prompt.chars().take(200).collect();
    match lang {
        Lang::Ru => format!(
            "Изменить присланное фото: «{prompt}»? Или создать новую картинку по этому описанию.\n{price_line}"
        ),
        Lang::En => format!(
            "Change the photo you sent: “{prompt}”? Or create a new image from this description.\n{price_line}"
        ),
    }
}

/// «привет» outside a mode.
pub fn greeting_back(lang: Lang) -> &'static str {
    t(
        lang,
        "Привет! Напишите, что нарисовать (например, «рыжая лиса в снегу»), пришлите фото или выберите режим:",
        "Hi! Write what to draw (say, “a red fox in the snow”), send a photo, or pick a mode:",
    )
}

pub fn edit_photo_label(lang: Lang) -> &'static str {
    t(lang, "✏️ Изменить это фото", "✏️ Change the photo")
}

pub fn new_picture_label(lang: Lang) -> &'static str {
    t(lang, "🎨 Создать новую", "🎨 Create a new one")
}

/// ✏️ Edit this picture, under a result: the picture is already here, only the words are missing.
pub fn ask_result_edit(lang: Lang, price_line: &str) -> String {
    match lang {
        Lang::Ru => format!("Что изменить на этой картинке?\n{price_line}"),
        Lang::En => format!("What should change in this picture?\n{price_line}"),
    }
}

/// ✏️ Change the request: the old one, to copy and send back edited.
pub fn change_request(lang: Lang, label: &str, old: &str, price_line: &str) -> String {
    let old: String = old.chars().take(1000).collect();
    let line = if price_line.is_empty() {
        String::new()
    } else {
        format!("\n\n{price_line}")
    };
    match lang {
        Lang::Ru => format!(
            "{label}\nБыло: «{old}»\nНапишите новый вариант — можно скопировать этот и поправить.{line}"
        ),
        Lang::En => format!(
            "{label}\nWas: “{old}”\nWrite the new version — copy this one and change it if you like.{line}"
        ),
    }
}

/// Under an "add text" preview: what the buttons and typed words do.
pub fn style_caption(lang: Lang) -> &'static str {
    t(
        lang,
        "👀 Так будет выглядеть надпись. Настройте её кнопками — или напишите словами: «крупный красный текст сверху на тёмной плашке». Другой текст — просто пришлите его. Затем нажмите «✅ Готово».",
        "👀 This is how the text will look. Adjust it with the buttons, or in words: “large red text at the top on a dark plate”. For other text, just send it. Then press “✅ Done”.",
    )
}

pub fn text_color_label(lang: Lang, c: TextColor) -> &'static str {
    match c {
        TextColor::White => t(lang, "⚪ белый", "⚪ white"),
        TextColor::Black => t(lang, "⚫ чёрный", "⚫ black"),
        TextColor::Red => t(lang, "🔴 красный", "🔴 red"),
        TextColor::Yellow => t(lang, "🟡 жёлтый", "🟡 yellow"),
        TextColor::Blue => t(lang, "🔵 синий", "🔵 blue"),
        TextColor::Auto => t(lang, "🌓 авто", "🌓 auto"),
    }
}

pub fn plate_label(lang: Lang, p: Plate) -> &'static str {
    match p {
        Plate::None => t(lang, "без плашки", "no plate"),
        Plate::Dark => t(lang, "▪️ тёмная плашка", "▪️ dark plate"),
        Plate::Light => t(lang, "▫️ светлая плашка", "▫️ light plate"),
    }
}

/// The 3×3 grid's arrows.
pub fn spot_label(s: Spot) -> &'static str {
    match s {
        Spot::TopLeft => "↖️",
        Spot::TopCenter => "⬆️",
        Spot::TopRight => "↗️",
        Spot::MiddleLeft => "⬅️",
        Spot::Center => "⏺",
        Spot::MiddleRight => "➡️",
        Spot::BottomLeft => "↙️",
        Spot::BottomCenter => "⬇️",
        Spot::BottomRight => "↘️",
    }
}

pub fn text_done_label(lang: Lang) -> &'static str {
    t(lang, "✅ Готово", "✅ Done")
}
