//! Inline keyboards. Each button carries an `Action`, parsed back by the schema.

use crate::actions::Action;
use crate::model::Mode;
use crate::money::{Kopecks, discounted};
use crate::texts::{self, Lang};
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup};

pub fn main_menu(lang: Lang) -> InlineKeyboardMarkup {
    let mode = |m: Mode| {
        InlineKeyboardButton::callback(texts::mode_label(lang, m), Action::Mode(m).encode())
    };
    InlineKeyboardMarkup::new(vec![
        vec![mode(Mode::Generate), mode(Mode::Edit)],
        vec![mode(Mode::Merge), mode(Mode::FaceSwap)],
        vec![mode(Mode::Retouch), mode(Mode::Upscale)],
        vec![InlineKeyboardButton::callback(
            texts::add_text_label(lang),
            Action::AddText.encode(),
        )],
        vec![InlineKeyboardButton::callback(
            texts::pay_label(lang),
            Action::PaymentMenu.encode(),
        )],
    ])
}

pub fn balance(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![InlineKeyboardButton::callback(
            texts::topup_label(lang),
            Action::PaymentMenu.encode(),
        )],
        vec![InlineKeyboardButton::callback(
            texts::gen_code_label(lang),
            Action::GenerationCode.encode(),
        )],
        vec![InlineKeyboardButton::callback(
            texts::menu_label(lang),
            Action::Menu.encode(),
        )],
    ])
}

/// A button per top-up amount (with the discounted price when a code is applied), then the code and
/// custom-amount buttons.
pub fn payment_menu(lang: Lang, amounts: &[Kopecks], percent: u8) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = amounts
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|a| {
                    let label = if percent > 0 {
                        let paid = discounted(*a, percent);
                        format!("{} → {}", texts::money(lang, *a), texts::money(lang, paid))
                    } else {
                        texts::money(lang, *a)
                    };
                    InlineKeyboardButton::callback(label, Action::Topup(*a).encode())
                })
                .collect()
        })
        .collect();
    rows.push(vec![InlineKeyboardButton::callback(
        texts::enter_code_label(lang),
        Action::DiscountCode.encode(),
    )]);
    rows.push(vec![InlineKeyboardButton::callback(
        texts::custom_amount_label(lang),
        Action::CustomAmount.encode(),
    )]);
    InlineKeyboardMarkup::new(rows)
}

/// Stars or card, then the code button.
pub fn providers(lang: Lang) -> InlineKeyboardMarkup {
    let button = |label, action: Action| InlineKeyboardButton::callback(label, action.encode());
    InlineKeyboardMarkup::new(vec![
        vec![button(texts::stars_label(lang), Action::StarsMenu)],
        vec![button(texts::card_label(lang), Action::CardMenu)],
        vec![button(texts::enter_code_label(lang), Action::DiscountCode)],
    ])
}

/// A button per Stars amount, "⭐ 100 → 100 ₽" (what is paid → what is credited), then the code
/// button. `price` gives the Stars paid for an amount (the discount, rounded up).
pub fn stars_menu(
    lang: Lang,
    amounts: &[u32],
    rate: Kopecks,
    price: impl Fn(u32) -> i64,
) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = amounts
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|n| {
                    let credit = Kopecks(i64::from(*n) * rate.0);
                    let label = format!("⭐ {} → {}", price(*n), texts::money(lang, credit));
                    InlineKeyboardButton::callback(label, Action::Stars(*n).encode())
                })
                .collect()
        })
        .collect();
    rows.push(vec![InlineKeyboardButton::callback(
        texts::enter_code_label(lang),
        Action::DiscountCode.encode(),
    )]);
    InlineKeyboardMarkup::new(rows)
}

pub fn pay_button(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::callback(
        texts::topup_label(lang),
        Action::PaymentMenu.encode(),
    )]])
}

pub fn pay_link(lang: Lang, charge: Kopecks, url: reqwest::Url) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![InlineKeyboardButton::url(
        texts::pay_button(lang, charge),
        url,
    )]])
}
