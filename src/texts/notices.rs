//! Notices the bot sends on its own after something changed an account (the outbox's texts).

use super::{Lang, money, plural_ru, t};
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

pub fn topup_credited(lang: Lang, amount: Kopecks, balance: Kopecks) -> String {
    let (amount, balance) = (money(lang, amount), money(lang, balance));
    match lang {
        Lang::Ru => format!("✅ Баланс пополнен на {amount}. Текущий баланс: {balance}."),
        Lang::En => format!("✅ Topped up by {amount}. Your balance: {balance}."),
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
