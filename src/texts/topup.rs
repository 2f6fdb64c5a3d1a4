//! ⭐ / 💳 Top-up: the payment menus, amounts, discount codes, invoices, links and their outcomes.

use super::{Lang, money, plural_ru, t};
use crate::model::{CheckoutRefusal, CodeRefusal};
use crate::money::Kopecks;

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
        .map(|a| (a, super::operations_in(a, price)))
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

/// What "check the payment" found: the invoice is not paid yet.
pub fn payment_pending(lang: Lang, charge: Kopecks, since: &str, support: Option<&str>) -> String {
    let c = money(lang, charge);
    let ask = support_line(lang, support);
    match lang {
        Lang::Ru => format!(
            "⏳ Счёт на {c} (создан {since} UTC) пока не оплачен. Если вы уже оплатили, подождите минуту и проверьте ещё раз — деньги не потеряются. Если деньги не пришли за 10 минут, {ask}"
        ),
        Lang::En => format!(
            "⏳ The {c} invoice (made {since} UTC) is not paid yet. If you have paid, wait a minute and check again — the money will not be lost. If it has not arrived in 10 minutes, {ask}"
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

/// Where a payer with a question goes: SUPPORT_CONTACT, else the owner is asked to be written to
/// where the bot is listed (nothing here forwards a message yet).
fn support_line(lang: Lang, support: Option<&str>) -> String {
    match (lang, support) {
        (Lang::Ru, Some(c)) => format!("напишите в поддержку: {c} (укажите сумму и время оплаты)."),
        (Lang::En, Some(c)) => format!("write to support: {c} (say the amount and when you paid)."),
        (Lang::Ru, None) => "напишите владельцу бота и укажите сумму и время оплаты.".into(),
        (Lang::En, None) => "write to the bot's owner with the amount and when you paid.".into(),
    }
}

pub fn custom_amount_label(lang: Lang) -> &'static str {
    t(lang, "✍️ Другая сумма", "✍️ Other amount")
}

pub fn another_code_label(lang: Lang) -> &'static str {
    t(lang, "🎟️ Ввести другой", "🎟️ Another code")
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
            Lang::Ru => {
                format!("\n✅ Промокод {code} применён: скидка {percent} % на это пополнение.")
            }
            Lang::En => format!("\n✅ Code {code} applied: {percent}% off this top-up."),
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
            "❌ Этот промокод здесь не подходит.",
            "❌ This code cannot be used here.",
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

pub fn pay_link(lang: Lang, amount: Kopecks, charge: Kopecks) -> String {
    let (amount, charge) = (money(lang, amount), money(lang, charge));
    match (lang, amount == charge) {
        (Lang::Ru, true) => format!(
            "Счёт на {charge} готов. Нажмите кнопку ниже — баланс пополнится сразу после оплаты."
        ),
        (Lang::Ru, false) => format!(
            "Счёт на {charge} со скидкой готов — на баланс поступит {amount}. Нажмите кнопку, чтобы оплатить."
        ),
        (Lang::En, true) => format!(
            "A {charge} invoice is ready. Tap the button below — the balance grows as soon as you pay."
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
            Lang::Ru => {
                format!("\n✅ Промокод {code} применён: скидка {percent} % на это пополнение.")
            }
            Lang::En => format!("\n✅ Code {code} applied: {percent}% off this top-up."),
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
            Lang::Ru => {
                format!("\n✅ Промокод {code} применён: скидка {percent} % на это пополнение.")
            }
            Lang::En => format!("\n✅ Code {code} applied: {percent}% off this top-up."),
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

/// A card amount's button: what is credited, what is paid when a code lowers it, and what it buys:
/// «100 ₽ — 10 операций», «100 ₽ за 90 ₽ — 10 операций».
pub fn amount_label(lang: Lang, amount: Kopecks, paid: Kopecks, price: Kopecks) -> String {
    let mut s = money(lang, amount);
    if paid != amount {
        s.push_str(&match lang {
            Lang::Ru => format!(" за {}", money(lang, paid)),
            Lang::En => format!(" for {}", money(lang, paid)),
        });
    }
    s.push_str(&buys(lang, amount, price));
    s
}

/// A Stars amount's button: «⭐ 100 → 100 ₽» (what is paid → what is credited).
pub fn stars_label_for(lang: Lang, stars: i64, credit: Kopecks) -> String {
    format!(
        "⭐ {} → {}",
        super::number(lang, stars.unsigned_abs()),
        money(lang, credit)
    )
}

/// « — 10 операций»: what `amount` buys at `price` an operation (empty when it buys none).
fn buys(lang: Lang, amount: Kopecks, price: Kopecks) -> String {
    let n = super::operations_in(amount, price);
    match lang {
        _ if n <= 0 => String::new(),
        Lang::Ru => format!(
            " — {n} {}",
            plural_ru(n, "операция", "операции", "операций")
        ),
        Lang::En => format!(" — {n} operation{}", if n == 1 { "" } else { "s" }),
    }
}

pub fn code_label(lang: Lang) -> &'static str {
    t(lang, "🎟️ Промокод", "🎟️ Promo code")
}

/// The one code field: a discount, free operations or free access, whatever the code is.
pub fn ask_code(lang: Lang) -> &'static str {
    t(
        lang,
        "Введите промокод — скидку на пополнение или бесплатные операции:",
        "Enter your promo code — a top-up discount or free operations:",
    )
}

/// What the YooKassa checkout page says is bought (at most 128 characters, YooKassa's limit).
pub fn checkout_description(lang: Lang, amount: Kopecks, percent: u8) -> String {
    let amount = money(lang, amount);
    match (lang, percent) {
        (Lang::Ru, 0) => format!("Пополнение баланса на {amount}"),
        (Lang::Ru, p) => format!("Пополнение баланса на {amount} (скидка {p} %)"),
        (Lang::En, 0) => format!("Balance top-up of {amount}"),
        (Lang::En, p) => format!("Balance top-up of {amount} ({p}% off)"),
    }
}
