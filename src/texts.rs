//! Every text the bot says, Russian first, English for users whose language_code is `en`. A leaf:
//! the bot and the workers both speak through it, and it depends only on plain types.

use crate::model::{CheckoutRefusal, CodeRefusal, JobFailure, Mode};
use crate::money::Kopecks;

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
    let digits = whole.to_string();
    let sep = if lang == Lang::Ru { "\u{202f}" } else { "," };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push_str(sep);
        }
        grouped.push(c);
    }
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

pub fn add_text_label(lang: Lang) -> &'static str {
    t(lang, "📝 Добавить текст", "📝 Add text")
}
pub fn pay_label(lang: Lang) -> &'static str {
    t(lang, "💰 Оплатить / Баланс", "💰 Pay / Balance")
}
pub fn balance_label(lang: Lang) -> &'static str {
    t(lang, "💰 Баланс", "💰 Balance")
}
/// After /start through an invite link.
pub fn invited(lang: Lang, bonus: u32) -> String {
    let n = i64::from(bonus);
    match lang {
        Lang::Ru => format!(
            "\n\n🤝 Вас пригласил друг: после вашего первого пополнения вы оба получите по {n} {}.",
            plural_ru(
                n,
                "бесплатной операции",
                "бесплатные операции",
                "бесплатных операций"
            )
        ),
        Lang::En => format!(
            "\n\n🤝 A friend invited you: after your first top-up you both get {n} free operation{}.",
            if n == 1 { "" } else { "s" }
        ),
    }
}
/// On the balance screen: the user's invite link.
pub fn invite(lang: Lang, bonus: u32, link: &str) -> String {
    let n = i64::from(bonus);
    match lang {
        Lang::Ru => format!(
            "\n\n🤝 Пригласите друга: когда он впервые пополнит баланс, вы оба получите по {n} {}.\nВаша ссылка: {link}",
            plural_ru(
                n,
                "бесплатной операции",
                "бесплатные операции",
                "бесплатных операций"
            )
        ),
        Lang::En => format!(
            "\n\n🤝 Invite a friend: when they first top up, you both get {n} free operation{}.\nYour link: {link}",
            if n == 1 { "" } else { "s" }
        ),
    }
}
pub fn share_label(lang: Lang) -> &'static str {
    t(lang, "📨 Поделиться ссылкой", "📨 Share the link")
}
pub fn share_text(lang: Lang) -> &'static str {
    t(
        lang,
        "Создаю картинки с ИИ в этом боте — попробуй, первые операции бесплатно:",
        "I make AI images with this bot — try it, the first operations are free:",
    )
}
/// A referral bonus given: to the invited user, or to the one who invited them.
pub fn referral_bonus(lang: Lang, inviter: bool, bonus: i64, total: i64) -> String {
    match (lang, inviter) {
        (Lang::Ru, true) => format!(
            "🤝 Ваш друг пополнил баланс — вам {bonus} {} в подарок (теперь {total}).",
            plural_ru(
                bonus,
                "бесплатная операция",
                "бесплатные операции",
                "бесплатных операций"
            )
        ),
        (Lang::Ru, false) => format!(
            "🤝 Бонус за приглашение: {bonus} {} (теперь {total}).",
            plural_ru(
                bonus,
                "бесплатная операция",
                "бесплатные операции",
                "бесплатных операций"
            )
        ),
        (Lang::En, true) => format!(
            "🤝 Your friend topped up — {bonus} free operation{} for you (now {total}).",
            if bonus == 1 { "" } else { "s" }
        ),
        (Lang::En, false) => format!(
            "🤝 Invitation bonus: {bonus} free operation{} (now {total}).",
            if bonus == 1 { "" } else { "s" }
        ),
    }
}
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
pub fn check_payment_label(lang: Lang) -> &'static str {
    t(lang, "🔄 Проверить оплату", "🔄 Check payment")
}
pub fn other_amount_label(lang: Lang) -> &'static str {
    t(lang, "⬅️ Другая сумма", "⬅️ Another amount")
}
/// Under every payment screen: what the user has, what the smallest top-up buys, and the terms and
/// support a payer is entitled to see before paying.
pub fn payment_footer(
    lang: Lang,
    balance: Kopecks,
    price: Kopecks,
    example: Option<Kopecks>,
) -> String {
    let (b, p) = (money(lang, balance), money(lang, price));
    let buys = example
        .filter(|_| price.is_positive())
        .map(|a| (a, a.0 / price.0))
        .filter(|(_, n)| *n > 0);
    let mut s = match lang {
        Lang::Ru => format!("\n\nСейчас на балансе: {b}. Одна операция — {p}"),
        Lang::En => format!("\n\nYour balance: {b}. One operation is {p}"),
    };
    s.push_str(&match (lang, buys) {
        (Lang::Ru, Some((a, n))) => format!(
            ", {} хватит на {n} {}.",
            money(lang, a),
            plural_ru(n, "операцию", "операции", "операций")
        ),
        (Lang::En, Some((a, n))) => format!(
            "; {} buys {n} operation{}.",
            money(lang, a),
            if n == 1 { "" } else { "s" }
        ),
        _ => ".".into(),
    });
    s.push_str(t(
        lang,
        "\nОплачивая, вы принимаете условия (/terms). Вопросы об оплате — /paysupport.",
        "\nBy paying you accept the terms (/terms). Payment questions: /paysupport.",
    ));
    s
}
/// On the balance screen, under the history: an invoice not paid yet.
pub fn awaiting_payment(lang: Lang, charge: Kopecks) -> String {
    let c = money(lang, charge);
    match lang {
        Lang::Ru => format!("\n\n⏳ Ожидает оплаты: счёт на {c}."),
        Lang::En => format!("\n\n⏳ Awaiting payment: an invoice for {c}."),
    }
}
/// What "check the payment" found.
pub fn payment_pending(lang: Lang, charge: Kopecks, since: &str, support: Option<&str>) -> String {
    let c = money(lang, charge);
    let ask = support_line(lang, support);
    match lang {
        Lang::Ru => format!(
            "⏳ ЮKassa пока ждёт оплату счёта на {c} (создан {since} UTC). Если вы уже оплатили, подождите минуту и проверьте ещё раз — деньги не потеряются. {ask}"
        ),
        Lang::En => format!(
            "⏳ YooKassa is still waiting for the {c} invoice (made {since} UTC). If you have paid, wait a minute and check again — the money will not be lost. {ask}"
        ),
    }
}
pub fn no_unpaid(lang: Lang, support: Option<&str>) -> String {
    let ask = support_line(lang, support);
    match lang {
        Lang::Ru => format!(
            "Неоплаченных счетов за последние сутки нет: всё, что пришло, уже на балансе. Если вы оплатили, а баланс не пополнился, {ask}"
        ),
        Lang::En => format!(
            "No unpaid invoices in the last day: everything that arrived is on the balance. If you paid and the balance did not grow, {ask}"
        ),
    }
}
/// Where a payer with a question goes: SUPPORT_CONTACT, else /paysupport.
fn support_line(lang: Lang, support: Option<&str>) -> String {
    match (lang, support) {
        (Lang::Ru, Some(c)) => format!("напишите в поддержку: {c} (укажите сумму и время оплаты)."),
        (Lang::En, Some(c)) => format!("write to support: {c} (say the amount and when you paid)."),
        (Lang::Ru, None) => "напишите в поддержку — /paysupport.".into(),
        (Lang::En, None) => "contact support: /paysupport.".into(),
    }
}
pub fn topup_label(lang: Lang) -> &'static str {
    t(lang, "💰 Пополнить", "💰 Top up")
}
pub fn gen_code_label(lang: Lang) -> &'static str {
    t(lang, "🎟️ Промокод для генераций", "🎟️ Generation code")
}
pub fn enter_code_label(lang: Lang) -> &'static str {
    t(lang, "🎟️ Ввести промокод", "🎟️ Enter promo code")
}
pub fn custom_amount_label(lang: Lang) -> &'static str {
    t(lang, "✍️ Другая сумма", "✍️ Other amount")
}
pub fn menu_label(lang: Lang) -> &'static str {
    t(lang, "🏠 Меню", "🏠 Menu")
}

/// The /start greeting, headed like the 🏠 menu by what the user has: the balance, free access,
/// the free operations.
pub fn greeting(
    lang: Lang,
    name: &str,
    balance: Kopecks,
    free_ops: i64,
    free_access: bool,
) -> String {
    let money = money(lang, balance);
    match lang {
        Lang::Ru => format!(
            "Привет, {name}! Создаю и улучшаю картинки с помощью ИИ: по описанию или по вашим фото.\n\n\
             💰 На балансе {money}{}\n\
             🎁 Бесплатных операций: {free_ops}. «📝 Добавить текст» — всегда бесплатно.\n\n\
             Выберите, что сделать:",
            if free_access {
                " · ♾ безлимитный доступ"
            } else {
                ""
            }
        ),
        Lang::En => format!(
            "Hi, {name}! I create and improve images with AI, from a description or from your photos.\n\n\
             💰 Balance {money}{}\n\
             🎁 Free operations: {free_ops}. \"📝 Add text\" is always free.\n\n\
             Choose what to do:",
            if free_access {
                " · ♾ free access"
            } else {
                ""
            }
        ),
    }
}

pub fn help(lang: Lang, prices: &str) -> String {
    match lang {
        Lang::Ru => format!(
            "Что я умею:\n\
             🎨 Создать — картинка по описанию\n\
             ✏️ Редактировать — фото + что изменить\n\
             🔗 Объединить — 2–4 фото + что сделать\n\
             🔄 Заменить лицо — фото лица, затем фото, на которое его перенести\n\
             ✨ Ретушь — уберу дефекты, выровняю кожу и свет\n\
             ⬆️ Улучшить — сделаю фото крупнее и чётче\n\
             📝 Добавить текст — фото + текст (бесплатно)\n\n\
             Стоимость: {prices} за операцию\n\
             Сначала тратятся бесплатные операции, затем баланс. Если что-то не получится, деньги вернутся.\n\n\
             /start — меню, /balance — баланс, /cancel — отменить\n\
             /paysupport — вопросы об оплате, /terms — условия, /privacy — конфиденциальность"
        ),
        Lang::En => format!(
            "What I can do:\n\
             🎨 Create — an image from a description\n\
             ✏️ Edit — a photo + what to change\n\
             🔗 Merge — 2–4 photos + what to do\n\
             🔄 Face swap — a face photo, then the photo to put it on\n\
             ✨ Retouch — blemishes removed, skin and light evened out\n\
             ⬆️ Upscale — a photo made larger and sharper\n\
             📝 Add text — a photo + text (free)\n\n\
             Price: {prices} per operation\n\
             Free operations are used first, then the balance. If something fails, you get your money back.\n\n\
             /start — menu, /balance — balance, /cancel — cancel\n\
             /paysupport — payment questions, /terms — terms of use, /privacy — privacy"
        ),
    }
}

pub fn choose_mode(lang: Lang) -> &'static str {
    t(lang, "Выберите, что сделать:", "Choose what to do:")
}

pub fn ask_input(lang: Lang, mode: Mode, price_line: &str) -> String {
    let ask = match mode {
        Mode::Generate => t(
            lang,
            "Опишите, какую картинку создать.",
            "Describe the image to create.",
        ),
        Mode::Edit => t(
            lang,
            "Пришлите фото, которое нужно изменить (можно сразу с подписью — что сделать).",
            "Send the photo to edit (a caption can say what to do).",
        ),
        Mode::Merge => t(
            lang,
            "Пришлите от 2 до 4 фото (альбомом или по одному), затем напишите, что с ними сделать.",
            "Send 2 to 4 photos (as an album or one by one), then write what to do with them.",
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

/// What the next operation costs *this* user: free (free access, or a free operation left), from the
/// balance, or more than they have.
pub fn price_line(
    lang: Lang,
    price: Kopecks,
    balance: Kopecks,
    free_ops: i64,
    free_access: bool,
) -> String {
    let (p, b) = (money(lang, price), money(lang, balance));
    match lang {
        Lang::Ru if free_access => "♾ Для вас бесплатно (безлимитный доступ).".into(),
        Lang::En if free_access => "♾ Free for you (free access).".into(),
        Lang::Ru if free_ops > 0 => format!(
            "🎁 Бесплатно: {} {free_ops} {}.",
            plural_ru(free_ops, "осталась", "остались", "осталось"),
            plural_ru(
                free_ops,
                "бесплатная операция",
                "бесплатные операции",
                "бесплатных операций"
            )
        ),
        Lang::En if free_ops > 0 => format!(
            "🎁 Free: {free_ops} free operation{} left.",
            if free_ops == 1 { "" } else { "s" }
        ),
        Lang::Ru if balance >= price => format!("💳 {p} с баланса (на балансе {b})."),
        Lang::En if balance >= price => format!("💳 {p} from your balance (balance {b})."),
        Lang::Ru => format!(
            "💳 Стоит {p}, а на балансе {b}. Пополните — и сразу продолжим, запрос не пропадёт."
        ),
        Lang::En => format!(
            "💳 It costs {p} and your balance is {b}. Top up and we go on at once; the request is kept."
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
pub fn merge_got(lang: Lang, n: usize) -> String {
    match lang {
        Lang::Ru if n < 2 => "Получено фото: 1. Нужно ещё хотя бы одно (всего до 4).".into(),
        Lang::Ru => {
            format!(
                "Получено фото: {n} (можно до 4). Пришлите ещё или напишите, что с ними сделать."
            )
        }
        Lang::En if n < 2 => "Got 1 photo — send at least one more (up to 4).".into(),
        Lang::En => format!("Got {n} photos (up to 4). Send more or write what to do with them."),
    }
}
pub fn merge_need_more(lang: Lang) -> &'static str {
    t(
        lang,
        "Нужно хотя бы 2 фото. Пришлите ещё.",
        "At least 2 photos are needed. Send more.",
    )
}
pub fn merge_full(lang: Lang) -> &'static str {
    t(
        lang,
        "Уже есть 4 фото — больше не нужно. Напишите, что с ними сделать.",
        "There are 4 photos already. Write what to do with them.",
    )
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
pub fn too_long(lang: Lang, max: usize) -> String {
    match lang {
        Lang::Ru => format!("Слишком длинно. Сократите, пожалуйста, текст до {max} символов."),
        Lang::En => format!("Too long. Please shorten the text to {max} characters."),
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

/// The status message a job starts as; `paid` is how it was paid (empty for free "add text",
/// which takes a moment rather than a minute).
pub fn accepted(lang: Lang, paid: &str) -> String {
    match (lang, paid.is_empty()) {
        (Lang::Ru, true) => "✅ Принято! 📝 Добавляю надпись…".into(),
        (Lang::En, true) => "✅ Accepted! 📝 Adding the text…".into(),
        (Lang::Ru, false) => {
            format!("✅ Принято! {paid}\n⏳ Обрабатываю, обычно это занимает до минуты.")
        }
        (Lang::En, false) => {
            format!("✅ Accepted! {paid}\n⏳ Working on it, usually under a minute.")
        }
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
             📌 Запрос сохранён: пополните баланс, и я предложу сразу его выполнить."
        ),
        Lang::En => format!(
            "Not enough funds: the operation costs {price}, your balance is {balance} and the free operations are used up.\n\
             📌 Your request is kept: top up and I will offer to run it right away."
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
pub fn cancel_label(lang: Lang) -> &'static str {
    t(lang, "✖️ Отмена", "✖️ Cancel")
}
pub fn another_code_label(lang: Lang) -> &'static str {
    t(lang, "🎟️ Ввести другой", "🎟️ Another code")
}
pub fn back_label(lang: Lang) -> &'static str {
    t(lang, "⬅️ Назад", "⬅️ Back")
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
    kind: &str,
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
        "charge" if amount.0 == 0 && free_ops == 0 => format!(
            "{} — {}",
            what(mode),
            t(lang, "бесплатно (безлимит)", "free (free access)")
        ),
        "charge" if amount.0 == 0 => format!(
            "{} — {}",
            what(mode),
            t(lang, "бесплатная операция", "a free operation")
        ),
        "charge" => format!("{} — {change}", what(mode)),
        "refund" => match lang {
            Lang::Ru => format!("↩️ Возврат за {}: {change}", what(mode)),
            Lang::En => format!("↩️ Refund for {}: {change}", what(mode)),
        },
        "topup" => {
            let code = reason.map(|c| format!(" ({c})")).unwrap_or_default();
            format!("💳 {} {change}{code}", t(lang, "Пополнение", "Top-up"))
        }
        "adjustment" if amount.is_positive() => {
            format!(
                "🎁 {} {change}",
                t(
                    lang,
                    "Начисление от администратора",
                    "Credited by the admin"
                )
            )
        }
        "adjustment" => format!(
            "{} {change}",
            t(lang, "Списание администратором", "Debited by the admin")
        ),
        "signup" => format!(
            "🎁 {}: {change}",
            t(lang, "Подарок новичку", "Welcome gift")
        ),
        "promo" if reason == Some("referral") => {
            format!(
                "🤝 {}: {change}",
                t(lang, "Бонус за приглашение", "Invitation bonus")
            )
        }
        "promo" => match reason {
            Some(code) => format!("🎟️ {} {code}: {change}", t(lang, "Промокод", "Promo code")),
            None => format!("🎟️ {}: {change}", t(lang, "Промокод", "Promo code")),
        },
        _ if ru => "♾ Безлимитный доступ".into(),
        _ => "♾ Free access".into(),
    };
    format!("{when} {line}")
}

pub fn payment_menu(lang: Lang, code: Option<(&str, u8)>) -> String {
    let mut s = t(
        lang,
        "Выберите сумму пополнения:",
        "Choose how much to top up:",
    )
    .to_string();
    if let Some((code, percent)) = code {
        s.push_str(&match lang {
            Lang::Ru => format!("\n🎟️ Промокод {code}: скидка {percent} % на это пополнение."),
            Lang::En => format!("\n🎟️ Code {code}: {percent}% off this top-up."),
        });
    }
    s
}
pub fn payments_off(lang: Lang) -> &'static str {
    t(
        lang,
        "Оплата пока не настроена. Загляните позже или напишите владельцу бота.",
        "Payments are not set up yet. Please check back later or contact the bot's owner.",
    )
}
pub fn ask_discount_code(lang: Lang) -> &'static str {
    t(
        lang,
        "Введите промокод на скидку:",
        "Enter your discount code:",
    )
}
pub fn ask_gen_code(lang: Lang) -> &'static str {
    t(
        lang,
        "Введите промокод для генераций:",
        "Enter your generation code:",
    )
}
pub fn ask_amount(lang: Lang, min: Kopecks, max: Kopecks) -> String {
    let (min, max) = (money(lang, min), money(lang, max));
    match lang {
        Lang::Ru => format!("Введите сумму от {min} до {max}:"),
        Lang::En => format!("Enter the amount in roubles ({min} to {max}):"),
    }
}
pub fn bad_amount(lang: Lang, min: Kopecks, max: Kopecks) -> String {
    let (min, max) = (money(lang, min), money(lang, max));
    match lang {
        Lang::Ru => {
            format!(
                "Не получилось распознать сумму. Нужно число от {min} до {max}, например 250 или 99,90."
            )
        }
        Lang::En => {
            format!("That is not an amount. Send a number from {min} to {max}, e.g. 250 or 99.90.")
        }
    }
}
pub fn code_applied(lang: Lang, code: &str, percent: u8) -> String {
    match lang {
        Lang::Ru => {
            format!("✅ Промокод {code} применён: скидка {percent} % на следующее пополнение.")
        }
        Lang::En => format!("✅ Code {code} applied: {percent}% off your next top-up."),
    }
}
pub fn code_refused(lang: Lang, why: CodeRefusal) -> &'static str {
    match why {
        CodeRefusal::Unknown => t(
            lang,
            "❌ Такого промокода нет.",
            "❌ There is no such code.",
        ),
        CodeRefusal::Disabled => t(
            lang,
            "❌ Этот промокод отключён.",
            "❌ This code is disabled.",
        ),
        CodeRefusal::Expired => t(
            lang,
            "❌ Срок действия промокода истёк.",
            "❌ This code has expired.",
        ),
        CodeRefusal::UsedUp => t(
            lang,
            "❌ У этого промокода закончились активации.",
            "❌ This code is used up.",
        ),
        CodeRefusal::AlreadyUsed => t(
            lang,
            "❌ Вы уже использовали этот промокод.",
            "❌ You have already used this code.",
        ),
        CodeRefusal::WrongKind => t(
            lang,
            "❌ Этот промокод для другого раздела: скидочные — в меню оплаты, для генераций — в /balance.",
            "❌ This code belongs elsewhere: discount codes go in the payment menu, generation codes in /balance.",
        ),
    }
}
pub fn code_dropped(lang: Lang, code: &str) -> String {
    match lang {
        Lang::Ru => format!("Промокод {code} больше не действует, платёж создан без скидки."),
        Lang::En => {
            format!("Code {code} is no longer valid; the payment was created without the discount.")
        }
    }
}
pub fn code_held(lang: Lang, code: &str, amount: Kopecks, charge: Kopecks) -> String {
    let (amount, charge) = (money(lang, amount), money(lang, charge));
    match lang {
        Lang::Ru => format!(
            "Промокод {code} уже применён к неоплаченному счёту на {charge} (на баланс поступит {amount}). \
             Оплатите его кнопкой ниже — новый счёт создан без скидки."
        ),
        Lang::En => format!(
            "Code {code} is held by your unpaid {charge} invoice ({amount} to be credited). \
             Pay it with the button below — the new invoice carries no discount."
        ),
    }
}
pub fn photo_too_large(lang: Lang) -> &'static str {
    t(
        lang,
        "Это фото слишком большое: не больше 40 мегапикселей и 20 МБ. Ничего не списано — пришлите фото поменьше.",
        "This photo is too large: at most 40 megapixels and 20 MB. Nothing was charged — please send a smaller one.",
    )
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
pub fn pay_link(lang: Lang, amount: Kopecks, charge: Kopecks) -> String {
    let (amount, charge) = (money(lang, amount), money(lang, charge));
    match (lang, amount == charge) {
        (Lang::Ru, true) => format!(
            "Счёт на {charge} готов. Нажмите кнопку, чтобы оплатить; баланс пополнится автоматически."
        ),
        (Lang::Ru, false) => format!(
            "Счёт на {charge} со скидкой готов — на баланс поступит {amount}. Нажмите кнопку, чтобы оплатить."
        ),
        (Lang::En, true) => format!(
            "A {charge} invoice is ready. Tap the button to pay; your balance is topped up automatically."
        ),
        (Lang::En, false) => format!(
            "A discounted {charge} invoice is ready — {amount} will be credited. Tap the button to pay."
        ),
    }
}
pub fn pay_button(lang: Lang, charge: Kopecks) -> String {
    let charge = money(lang, charge);
    match lang {
        Lang::Ru => format!("💳 Оплатить {charge}"),
        Lang::En => format!("💳 Pay {charge}"),
    }
}
pub fn payment_failed(lang: Lang) -> &'static str {
    t(
        lang,
        "Не удалось создать платёж. Ничего не списано — попробуйте ещё раз чуть позже.",
        "Could not create the payment. Nothing was charged — please try again a bit later.",
    )
}
pub fn topup_credited(lang: Lang, amount: Kopecks, balance: Kopecks) -> String {
    let (amount, balance) = (money(lang, amount), money(lang, balance));
    match lang {
        Lang::Ru => format!("✅ Баланс пополнен на {amount}. Текущий баланс: {balance}."),
        Lang::En => format!("✅ Topped up by {amount}. Your balance: {balance}."),
    }
}
pub fn unknown_command(lang: Lang) -> &'static str {
    t(
        lang,
        "Такой команды нет. /help — что я умею.",
        "There is no such command. /help shows what I can do.",
    )
}
/// The admin commands, appended to /help for admins.
pub fn admin_help(lang: Lang) -> &'static str {
    t(
        lang,
        "Для администратора: /stats — сводка, /grant ID — безлимитный доступ, /credit ID СУММА — начислить (или списать, со знаком минус), /payment ID — история платежа, /backup — резервная копия базы в этот чат.",
        "Admin: /stats — totals, /grant ID — free access, /credit ID AMOUNT — credit (or debit, with a minus), /payment ID — a top-up's story, /backup — a database backup to this chat.",
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
    let when = crate::time::datetime_of(crate::time::now());
    let size = format!("{:.1}", bytes as f64 / 1_048_576.0);
    match lang {
        Lang::Ru => format!(
            "🗄 Резервная копия базы media-lab ({size} МБ, {when}). Восстановление: распакуйте (gunzip) и положите файл на место media_lab.db при остановленном боте — README, «Backup and restore»."
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
            "🗄 Резервная копия занимает {size} МБ — больше 50 МБ, которые Telegram принимает от бота. Для такой базы нужна реплика Litestream: README, «Off-site replica and disaster recovery»."
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

pub fn stars_label(lang: Lang) -> &'static str {
    t(lang, "⭐ Telegram Stars", "⭐ Telegram Stars")
}
pub fn card_label(lang: Lang) -> &'static str {
    t(lang, "💳 Картой / СБП", "💳 Card / SBP")
}
pub fn choose_provider(lang: Lang, code: Option<(&str, u8)>) -> String {
    let mut s = t(
        lang,
        "Как пополнить баланс?",
        "How would you like to top up?",
    )
    .to_string();
    if let Some((code, percent)) = code {
        s.push_str(&match lang {
            Lang::Ru => format!("\n🎟️ Промокод {code}: скидка {percent} % на это пополнение."),
            Lang::En => format!("\n🎟️ Code {code}: {percent}% off this top-up."),
        });
    }
    s
}
pub fn stars_menu(lang: Lang, code: Option<(&str, u8)>) -> String {
    let mut s = t(
        lang,
        "Сколько звёзд? На кнопке — сколько заплатите и сколько придёт на баланс.",
        "How many Stars? Each button shows what you pay and what you get.",
    )
    .to_string();
    if let Some((code, percent)) = code {
        s.push_str(&match lang {
            Lang::Ru => format!("\n🎟️ Промокод {code}: скидка {percent} %."),
            Lang::En => format!("\n🎟️ Code {code}: {percent}% off."),
        });
    }
    s
}
pub fn stars_invoice_title(lang: Lang, credit: Kopecks) -> String {
    let credit = money(lang, credit);
    match lang {
        Lang::Ru => format!("Пополнение баланса на {credit}"),
        Lang::En => format!("Top-up of {credit}"),
    }
}
pub fn stars_invoice_description(lang: Lang) -> &'static str {
    t(
        lang,
        "Баланс для генерации и обработки изображений в этом боте.",
        "Balance for making and editing images in this bot.",
    )
}
pub fn stars_code_held(lang: Lang, code: &str) -> String {
    match lang {
        Lang::Ru => format!(
            "Промокод {code} уже применён к неоплаченному счёту выше — оплатите его, чтобы получить скидку. Этот счёт без скидки."
        ),
        Lang::En => format!(
            "Code {code} is held by your unpaid invoice above — pay that one for the discount. This invoice carries none."
        ),
    }
}
pub fn checkout_refused(lang: Lang, why: CheckoutRefusal) -> &'static str {
    use CheckoutRefusal as R;
    match why {
        R::Unknown => t(
            lang,
            "Этот счёт не найден. Откройте «Пополнить» и создайте новый.",
            "This invoice is not known. Open “Top up” and make a new one.",
        ),
        R::Closed => t(
            lang,
            "Этот счёт уже оплачен или закрыт. Откройте «Пополнить», если нужен новый.",
            "This invoice is already paid or closed. Open “Top up” for a new one.",
        ),
        R::Expired => t(
            lang,
            "Счёт устарел. Откройте «Пополнить» и создайте новый — это займёт секунду.",
            "This invoice has expired. Open “Top up” and make a new one.",
        ),
        R::Changed => t(
            lang,
            "Сумма счёта изменилась. Создайте новый счёт в «Пополнить».",
            "The invoice amount changed. Make a new one under “Top up”.",
        ),
    }
}
pub fn checkout_unavailable(lang: Lang) -> &'static str {
    t(
        lang,
        "Не удалось проверить счёт. Попробуйте ещё раз через минуту.",
        "The invoice could not be checked. Please try again in a minute.",
    )
}
pub fn paysupport(lang: Lang, contact: Option<&str>) -> String {
    match (lang, contact) {
        (Lang::Ru, Some(c)) => format!(
            "Вопросы об оплате: {c}. Напишите, когда и как вы платили (звёзды или карта) — ответим и, если нужно, вернём деньги."
        ),
        (Lang::En, Some(c)) => format!(
            "Payment questions: {c}. Tell us when and how you paid (Stars or card) and we will sort it out, refunds included."
        ),
        (Lang::Ru, None) => "Вопросы об оплате: ответьте на это сообщение, владелец бота увидит его. Напишите, когда и как вы платили (звёзды или карта).".into(),
        (Lang::En, None) => "Payment questions: reply to this message and the bot's owner will see it. Tell us when and how you paid (Stars or card).".into(),
    }
}
pub fn terms(lang: Lang, url: Option<&str>) -> String {
    match (lang, url) {
        (Lang::Ru, Some(u)) => format!("Условия использования: {u}"),
        (Lang::En, Some(u)) => format!("Terms of use: {u}"),
        (Lang::Ru, None) => "Условия: бот продаёт баланс для генерации и обработки изображений. Пополнение зачисляется сразу после оплаты; операция списывается, когда вы её запускаете, и возвращается на баланс, если не удалась. Неизрасходованный баланс можно вернуть через /paysupport. Запрещено загружать чужие фото без согласия и просить незаконное.".into(),
        (Lang::En, None) => "Terms: this bot sells balance for making and editing images. A top-up is credited as soon as it is paid; an operation is charged when you start it and returned if it fails. Unspent balance can be refunded through /paysupport. Do not upload other people's photos without their consent or ask for anything unlawful.".into(),
    }
}
pub fn privacy(lang: Lang, url: Option<&str>) -> String {
    match (lang, url) {
        (Lang::Ru, Some(u)) => format!("Политика конфиденциальности: {u}"),
        (Lang::En, Some(u)) => format!("Privacy policy: {u}"),
        (Lang::Ru, None) => "Конфиденциальность: бот хранит ваш Telegram id, имя пользователя, язык, баланс и историю операций. Фото и тексты передаются сервису обработки только для вашей задачи и не хранятся после доставки результата. Данные не передаются третьим лицам для рекламы.".into(),
        (Lang::En, None) => "Privacy: the bot keeps your Telegram id, username, language, balance and history. Photos and texts go to the image service only for your task and are not kept after the result is delivered. Nothing is shared with third parties for advertising.".into(),
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

/// What the user has, for the menu's header: the balance and the free operations (or free access).
pub fn wallet(lang: Lang, balance: Kopecks, free_ops: i64, free_access: bool) -> String {
    let money = money(lang, balance);
    match (lang, free_access) {
        (Lang::Ru, true) => format!("💰 На балансе {money} · ♾ безлимитный доступ"),
        (Lang::En, true) => format!("💰 Balance {money} · ♾ free access"),
        (Lang::Ru, false) if free_ops > 0 => format!(
            "💰 На балансе {money} · 🎁 {free_ops} {}",
            plural_ru(
                free_ops,
                "бесплатная операция",
                "бесплатные операции",
                "бесплатных операций"
            )
        ),
        (Lang::En, false) if free_ops > 0 => format!(
            "💰 Balance {money} · 🎁 {free_ops} free operation{}",
            if free_ops == 1 { "" } else { "s" }
        ),
        (Lang::Ru, false) => format!("💰 На балансе {money}"),
        (Lang::En, false) => format!("💰 Balance {money}"),
    }
}

pub fn free_access_granted(lang: Lang) -> &'static str {
    t(
        lang,
        "♾ Вам включён безлимитный доступ: все режимы бесплатно.",
        "♾ Free access is on for you: every mode is free.",
    )
}
pub fn free_access_revoked(lang: Lang) -> &'static str {
    t(
        lang,
        "Безлимитный доступ отключён. Операции снова оплачиваются бесплатными операциями или с баланса.",
        "Free access is off. Operations are paid again from free operations or the balance.",
    )
}
/// What an admin's change of a balance or access says to its user.
pub fn admin_credited(lang: Lang, amount: Kopecks, balance: Kopecks) -> String {
    let (abs, balance) = (money(lang, Kopecks(amount.0.abs())), money(lang, balance));
    match (lang, amount.is_positive()) {
        (Lang::Ru, true) => format!("🎁 Вам начислено {abs}. На балансе {balance}."),
        (Lang::Ru, false) => format!("С баланса списано {abs}. На балансе {balance}."),
        (Lang::En, true) => format!("🎁 You were credited {abs}. Balance: {balance}."),
        (Lang::En, false) => format!("{abs} was debited from your balance. Balance: {balance}."),
    }
}

/// The bot's description (Telegram shows it to a new user before /start; at most 512 characters).
pub fn bot_description(lang: Lang) -> &'static str {
    t(
        lang,
        "Создаю и улучшаю картинки с помощью ИИ: по описанию, из ваших фото, замена лица, ретушь, увеличение качества. \
         Надписи на фото — бесплатно. Первые операции — в подарок, дальше оплата с баланса (Telegram Stars или картой).",
        "I create and improve images with AI: from a description, from your photos, face swap, retouch, upscale. \
         Text on photos is free. The first operations are a gift; after that you pay from a balance (Telegram Stars or card).",
    )
}
/// The short description (the bot's profile and shared links; at most 120 characters).
pub fn bot_short_description(lang: Lang) -> &'static str {
    t(
        lang,
        "Картинки с ИИ: создать, отредактировать, заменить лицо, ретушь, улучшить качество.",
        "AI images: create, edit, swap faces, retouch, upscale.",
    )
}

/// The English description of a user command (the Russian ones are the command enum's docs).
pub fn command_description_en(command: &str) -> &'static str {
    match command.trim_start_matches('/') {
        "start" => "Main menu",
        "balance" => "Balance and top-up",
        "help" => "What the bot can do",
        "cancel" => "Cancel the current step",
        "paysupport" => "Payment questions",
        "terms" => "Terms of use",
        "privacy" => "Privacy",
        _ => "Command",
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
