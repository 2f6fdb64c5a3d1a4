//! Notices the bot sends on its own after something changed an account or a job failed: the outbox's
//! texts, one per `Notice`.

use super::{Lang, money, plural_ru, t};
use crate::model::JobFailure;
use crate::money::Kopecks;

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
            "🤝 Бонус за регистрацию по приглашению: +{bonus} {} (теперь {total}).",
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
            "🤝 A bonus for joining by invitation: +{bonus} free operation{} (now {total}).",
            if bonus == 1 { "" } else { "s" }
        ),
    }
}

/// A top-up credited: the amount, the new balance, and what it buys at `price` an operation.
pub fn topup_credited(lang: Lang, amount: Kopecks, balance: Kopecks, price: Kopecks) -> String {
    let ops = super::operations_in(balance, price);
    let (amount, balance) = (money(lang, amount), money(lang, balance));
    let buys = match lang {
        _ if ops <= 0 => String::new(),
        Lang::Ru => format!(
            " — хватит на {ops} {}",
            plural_ru(ops, "операцию", "операции", "операций")
        ),
        Lang::En => format!(
            " — enough for {ops} operation{}",
            if ops == 1 { "" } else { "s" }
        ),
    };
    match lang {
        Lang::Ru => format!("✅ Баланс пополнен на {amount}. На балансе {balance}{buys}."),
        Lang::En => format!("✅ Topped up by {amount}. Your balance is {balance}{buys}."),
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

/// A job that failed, its refund, and (when known) the balance after it.
pub fn job_failed(
    lang: Lang,
    why: JobFailure,
    returned: Option<Kopecks>,
    free_operation: bool,
    balance: Option<Kopecks>,
) -> String {
    let why_kind = why;
    let why = match why {
        JobFailure::Timeout => t(
            lang,
            "обработка заняла слишком много времени",
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
        (Lang::Ru, Some(k), _) if k.is_positive() => match balance {
            Some(b) => format!(
                "\n💸 {} вернулись на баланс, на балансе {}.",
                money(lang, k),
                money(lang, b)
            ),
            None => format!("\n💸 {} вернулись на баланс.", money(lang, k)),
        },
        (Lang::En, Some(k), _) if k.is_positive() => match balance {
            Some(b) => format!(
                "\n💸 {} returned to your balance (now {}).",
                money(lang, k),
                money(lang, b)
            ),
            None => format!("\n💸 {} returned to your balance.", money(lang, k)),
        },
        (Lang::Ru, _, true) => "\n🎁 Бесплатная операция возвращена.".into(),
        (Lang::En, _, true) => "\n🎁 Your free operation was returned.".into(),
        _ => String::new(),
    };
    match lang {
        Lang::Ru => format!("😔 Не получилось: {why}.{refund}{hint}"),
        Lang::En => format!("😔 That didn't work: {why}.{refund}{hint}"),
    }
}
