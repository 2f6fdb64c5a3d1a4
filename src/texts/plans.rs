//! Stars plans (PLANS), the operation code on the balance screen, and the history workbook.

use super::{Lang, number, plural_ru, t};

pub fn plans_label(lang: Lang) -> &'static str {
    t(lang, "⭐ Подписка", "⭐ Subscription")
}

/// The plans screen: each plan with its price and operations a month.
pub fn plans_menu(lang: Lang, plans: &[(String, u32, u32)]) -> String {
    let mut text = t(
        lang,
        "⭐ Подписка на 30 дней, оплата звёздами Telegram. Операции подписки тратятся первыми, \
         раньше бесплатных и баланса; Telegram продлевает подписку сам, отменить можно в любой момент \
         на экране баланса.\n",
        "⭐ A 30-day subscription paid in Telegram Stars. Its operations are used first, before free \
         ones and the balance; Telegram renews it on its own, and you can cancel at any time on the \
         balance screen.\n",
    )
    .to_string();
    for (label, stars, ops) in plans {
        text.push('\n');
        text.push_str(&match lang {
            Lang::Ru => format!(
                "• {label} — {} ⭐ в месяц: {ops} {}",
                number(lang, u64::from(*stars)),
                plural_ru(i64::from(*ops), "операция", "операции", "операций")
            ),
            Lang::En => format!(
                "• {label} — {} ⭐ a month: {ops} operation{}",
                number(lang, u64::from(*stars)),
                if *ops == 1 { "" } else { "s" }
            ),
        });
    }
    text
}

/// A plan's button: «Старт · 250 ⭐».
pub fn plan_button(lang: Lang, label: &str, stars: u32) -> String {
    format!("{label} · {} ⭐", number(lang, u64::from(stars)))
}

pub fn plan_invoice_title(lang: Lang, label: &str) -> String {
    match lang {
        Lang::Ru => format!("Подписка «{label}»"),
        Lang::En => format!("Subscription “{label}”"),
    }
}

pub fn plan_invoice_description(lang: Lang, ops: u32) -> String {
    match lang {
        Lang::Ru => format!(
            "{ops} {} на 30 дней; Telegram продлевает подписку каждые 30 дней, пока вы её не отмените.",
            plural_ru(i64::from(ops), "операция", "операции", "операций")
        ),
        Lang::En => format!(
            "{ops} operation{} for 30 days; Telegram renews it every 30 days until you cancel.",
            if ops == 1 { "" } else { "s" }
        ),
    }
}

/// Under the invoice link.
pub fn plan_link_text(lang: Lang, label: &str, stars: u32) -> String {
    match lang {
        Lang::Ru => format!(
            "Подписка «{label}»: {} ⭐ в месяц. Нажмите кнопку, чтобы оформить.",
            number(lang, u64::from(stars))
        ),
        Lang::En => format!(
            "Subscription “{label}”: {} ⭐ a month. Press the button to subscribe.",
            number(lang, u64::from(stars))
        ),
    }
}

pub fn plan_pay_label(lang: Lang, stars: u32) -> String {
    match lang {
        Lang::Ru => format!("⭐ Оформить за {}", number(lang, u64::from(stars))),
        Lang::En => format!("⭐ Subscribe for {}", number(lang, u64::from(stars))),
    }
}

/// After a plan payment: what it gave and until when.
pub fn plan_granted(lang: Lang, label: &str, ops: i64, until: &str, renewal: bool) -> String {
    match (lang, renewal) {
        (Lang::Ru, false) => format!(
            "⭐ Подписка «{label}» оформлена: {ops} {} до {until}. Они тратятся первыми.",
            plural_ru(ops, "операция", "операции", "операций")
        ),
        (Lang::Ru, true) => format!(
            "⭐ Подписка «{label}» продлена: {ops} {} до {until}.",
            plural_ru(ops, "операция", "операции", "операций")
        ),
        (Lang::En, false) => format!(
            "⭐ Subscribed to “{label}”: {ops} operations until {until}. They are used first."
        ),
        (Lang::En, true) => {
            format!("⭐ “{label}” renewed: {ops} operations until {until}.")
        }
    }
}

/// Telegram could not take a renewal payment: the plan ends with its period.
pub fn plan_renewal_failed(lang: Lang, label: &str) -> String {
    match lang {
        Lang::Ru => format!(
            "⭐ Подписка «{label}» не продлилась: Telegram не смог списать звёзды. \
             Оформить её снова — кнопкой ниже."
        ),
        Lang::En => format!(
            "⭐ Your “{label}” plan was not renewed: Telegram could not take the Stars. \
             The button below subscribes again."
        ),
    }
}

/// The balance screen's line about the plan.
pub fn plan_line(lang: Lang, label: &str, left: i64, until: &str, renews: bool) -> String {
    let renews = match (lang, renews) {
        (Lang::Ru, true) => "продлится автоматически",
        (Lang::Ru, false) => "продление отменено",
        (Lang::En, true) => "renews automatically",
        (Lang::En, false) => "renewal cancelled",
    };
    match lang {
        Lang::Ru => format!(
            "⭐ Подписка «{label}»: осталось {left} {} до {until}, {renews}",
            plural_ru(left, "операция", "операции", "операций")
        ),
        Lang::En => {
            format!("⭐ Subscription “{label}”: {left} operations left until {until}, {renews}")
        }
    }
}

pub fn cancel_plan_label(lang: Lang) -> &'static str {
    t(lang, "Отменить подписку", "Cancel the subscription")
}

pub fn plan_cancelled(lang: Lang, until: &str) -> String {
    match lang {
        Lang::Ru => format!(
            "Подписка отменена: больше списаний не будет. Операции подписки действуют до {until}."
        ),
        Lang::En => {
            format!("Subscription cancelled: no more charges. Its operations last until {until}.")
        }
    }
}

pub fn plan_cancel_failed(lang: Lang) -> &'static str {
    t(
        lang,
        "Telegram не принял отмену подписки. Попробуйте ещё раз через минуту — или отмените её в настройках Telegram («Мои звёзды»).",
        "Telegram did not take the cancellation. Try again in a minute, or cancel it in Telegram's settings (My Stars).",
    )
}

/// The balance screen's line about the operation code.
pub fn standing_code_line(lang: Lang, code: &str, percent: u8) -> String {
    match lang {
        Lang::Ru => format!("🏷 Скидка {percent} % на каждую операцию (код {code})"),
        Lang::En => format!("🏷 {percent}% off every operation (code {code})"),
    }
}

pub fn drop_code_label(lang: Lang, code: &str) -> String {
    match lang {
        Lang::Ru => format!("❌ Отменить скидку {code}"),
        Lang::En => format!("❌ Drop the {code} discount"),
    }
}

pub fn standing_code_dropped(lang: Lang) -> &'static str {
    t(
        lang,
        "Скидка отменена: операции снова по полной цене.",
        "Discount dropped: operations are at full price again.",
    )
}

/// An operation code was entered.
pub fn standing_code_on(lang: Lang, code: &str, percent: u8) -> String {
    match lang {
        Lang::Ru => format!(
            "🏷 Код {code} принят: скидка {percent} % на каждую операцию, пока вы её не отмените (на экране баланса). Цены в меню — уже со скидкой."
        ),
        Lang::En => format!(
            "🏷 Code {code} accepted: {percent}% off every operation until you drop it (on the balance screen). Prices in the menus include it."
        ),
    }
}

pub fn history_file_label(lang: Lang) -> &'static str {
    t(lang, "📥 История в Excel", "📥 History as Excel")
}

pub fn history_file_caption(lang: Lang) -> &'static str {
    t(
        lang,
        "📥 Вся история баланса: пополнения, списания, возвраты.",
        "📥 Your whole balance history: top-ups, charges, refunds.",
    )
}
