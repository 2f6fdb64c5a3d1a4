//! The front door: the greeting, /help, the main menu's labels and header, invitations, and what the
//! bot tells Telegram about itself (descriptions, command list).

use super::{Lang, money, plural_ru, t};
use crate::money::Kopecks;

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
            "🤝 Вас пригласил друг: после вашего первого пополнения вы оба получите по {n} {}.",
            plural_ru(
                n,
                "бесплатной операции",
                "бесплатные операции",
                "бесплатных операций"
            )
        ),
        Lang::En => format!(
            "🤝 A friend invited you: after your first top-up you both get {n} free operation{}.",
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

pub fn topup_label(lang: Lang) -> &'static str {
    t(lang, "💰 Пополнить", "💰 Top up")
}

/// The /start greeting, headed like the 🏠 menu by what the user has (`wallet`); an invitation, when
/// one brought the user here, comes before the call to action, so that stays last.
pub fn greeting(lang: Lang, name: &str, wallet: &str, invited: Option<&str>) -> String {
    let invited = invited.map(|i| format!("{i}\n\n")).unwrap_or_default();
    match lang {
        Lang::Ru => format!(
            "Привет, {name}! Создаю и улучшаю картинки с помощью ИИ: по описанию или по вашим фото.\n\n\
             {wallet}\n«📝 Добавить текст» — всегда бесплатно.\n\n\
             {invited}Например, нажмите «🎨 Создать» и напишите «рыжая лиса в снегу, фотореализм».\n\
             Выберите, что сделать:"
        ),
        Lang::En => format!(
            "Hi, {name}! I create and improve images with AI, from a description or from your photos.\n\n\
             {wallet}\n\"📝 Add text\" is always free.\n\n\
             {invited}For example, tap \"🎨 Create\" and write \"a red fox in the snow, photorealistic\".\n\
             Choose what to do:"
        ),
    }
}

pub fn help(lang: Lang, prices: &str) -> String {
    match lang {
        Lang::Ru => format!(
            "Что я умею:\n\
             🎨 Создать — картинка по описанию, на выбор модель и формат (1:1, 3:4 WB / Ozon, 16:9…)\n\
             ✏️ Редактировать — до 8 фото + что изменить\n\
             🔗 Объединить — 2–8 фото + что сделать\n\
             🔄 Заменить лицо — фото лица, затем фото, на которое его перенести\n\
             ✨ Ретушь — мягкая или с акцентом на черты, можно с пожеланием\n\
             ⬆️ Улучшить — сделаю фото крупнее и чётче\n\
             📝 Добавить текст — фото + текст, размер, цвет, место и плашка (бесплатно)\n\
             📎 Под каждым результатом — оригинал файлом без сжатия\n\n\
             Примеры запросов: «рыжая лиса в снегу, фотореализм», «логотип кофейни, минимализм», \
             «кот-космонавт в стиле аниме». Для фото: «сделай фон синим», «добавь очки».\n\n\
             Стоимость: {prices} за операцию\n\
             Сначала тратятся бесплатные операции, затем баланс. Если что-то не получится, деньги вернутся.\n\n\
             /start — меню, /balance — баланс, /cancel — отменить\n\
             /paysupport — вопросы об оплате, /terms — условия, /privacy — конфиденциальность"
        ),
        Lang::En => format!(
            "What I can do:\n\
             🎨 Create — an image from a description, your choice of model and format (1:1, 3:4, 16:9…)\n\
             ✏️ Edit — up to 8 photos + what to change\n\
             🔗 Merge — 2–8 photos + what to do\n\
             🔄 Face swap — a face photo, then the photo to put it on\n\
             ✨ Retouch — soft, or with defined features, with a wish if you like\n\
             ⬆️ Upscale — a photo made larger and sharper\n\
             📝 Add text — a photo + text, its size, colour, place and plate (free)\n\
             📎 Under every result — the original file, uncompressed\n\n\
             Example prompts: “a red fox in the snow, photorealistic”, “a coffee shop logo, minimalist”, \
             “an astronaut cat, anime style”. For a photo: “make the background blue”, “add glasses”.\n\n\
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

/// /paysupport. Without SUPPORT_CONTACT nothing is promised that would not happen: the payer is sent
/// to what settles most payment questions on its own (🔄 Check payment asks the provider).
/// How a card payment that seems lost is checked at once.
pub fn payment_check_hint(lang: Lang) -> &'static str {
    t(
        lang,
        "Если вы оплатили картой, а баланс не пополнился, нажмите «🔄 Проверить оплату»: бот спросит платёжную систему и зачислит оплату, если она прошла. Звёзды зачисляются сразу.",
        "If you paid by card and the balance did not grow, tap “🔄 Check payment”: the bot asks the payment service and credits the payment if it went through. Stars are credited at once.",
    )
}

pub fn terms(lang: Lang, url: Option<&str>) -> String {
    match (lang, url) {
        (Lang::Ru, Some(u)) => format!("Условия использования: {u}"),
        (Lang::En, Some(u)) => format!("Terms of use: {u}"),
        (Lang::Ru, None) => "Условия: бот продаёт баланс для генерации и обработки изображений. Пополнение зачисляется сразу после оплаты; операция списывается, когда вы её запускаете, и возвращается на баланс, если не удалась. Неизрасходованный баланс можно вернуть через /paysupport. Запрещено загружать чужие фото без согласия и просить незаконное.".into(),
        (Lang::En, None) => "Terms: this bot sells balance for making and editing images. A top-up is credited as soon as it is paid; an operation is charged when you start it and returned if it fails. Unspent balance can be refunded through /paysupport. Do not upload other people's photos without their consent or ask for anything unlawful.".into(),
    }
}

pub fn privacy(lang: Lang, url: Option<&str>, keep_days: u32) -> String {
    let kept = match (lang, keep_days) {
        (Lang::Ru, 0) => "Фото и тексты передаются сервису обработки только для вашей задачи; результат удаляется с сервера, как только доставлен.".to_string(),
        (Lang::En, 0) => "Photos and texts go to the image service only for your task; a result is deleted from the server once delivered.".to_string(),
        (Lang::Ru, n) => format!("Фото и тексты передаются сервису обработки только для вашей задачи; готовые картинки хранятся {}, чтобы их можно было скачать файлом, затем удаляются.", super::days(lang, n)),
        (Lang::En, n) => format!("Photos and texts go to the image service only for your task; finished pictures are kept for {} so you can download the file, then deleted.", super::days(lang, n)),
    };
    match (lang, url) {
        (Lang::Ru, Some(u)) => format!("Политика конфиденциальности: {u}"),
        (Lang::En, Some(u)) => format!("Privacy policy: {u}"),
        (Lang::Ru, None) => format!(
            "Конфиденциальность: бот хранит ваш Telegram id, имя пользователя, язык, баланс и историю операций. {kept} Данные не передаются третьим лицам для рекламы."
        ),
        (Lang::En, None) => format!(
            "Privacy: the bot keeps your Telegram id, username, language, balance and history. {kept} Nothing is shared with third parties for advertising."
        ),
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
