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

/// The balance screen: an open invoice's pay and check buttons, top up, the code field, the menu.
pub fn balance(
    lang: Lang,
    pending: Option<(Kopecks, reqwest::Url)>,
    share: Option<reqwest::Url>,
) -> InlineKeyboardMarkup {
    let mut rows = Vec::new();
    if let Some((charge, url)) = pending {
        rows.push(vec![InlineKeyboardButton::url(
            texts::pay_button(lang, charge),
            url,
        )]);
        rows.push(vec![button(
            texts::check_payment_label(lang),
            Action::CheckPayment,
        )]);
    }
    rows.push(vec![button(texts::topup_label(lang), Action::PaymentMenu)]);
    rows.push(vec![button(
        texts::gen_code_label(lang),
        Action::GenerationCode,
    )]);
    rows.push(vec![button(texts::history_label(lang), Action::History(0))]);
    if let Some(share) = share {
        rows.push(vec![InlineKeyboardButton::url(
            texts::share_label(lang),
            share,
        )]);
    }
    rows.push(vec![button(texts::menu_label(lang), Action::Menu)]);
    InlineKeyboardMarkup::new(rows)
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
    rows.push(back_to_balance(lang));
    InlineKeyboardMarkup::new(rows)
}

/// Stars or card, then the code button.
pub fn providers(lang: Lang) -> InlineKeyboardMarkup {
    let button = |label, action: Action| InlineKeyboardButton::callback(label, action.encode());
    InlineKeyboardMarkup::new(vec![
        vec![button(texts::stars_label(lang), Action::StarsMenu)],
        vec![button(texts::card_label(lang), Action::CardMenu)],
        vec![button(texts::enter_code_label(lang), Action::DiscountCode)],
        back_to_balance(lang),
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
    rows.push(back_to_balance(lang));
    InlineKeyboardMarkup::new(rows)
}

fn button(label: impl Into<String>, action: Action) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(label, action.encode())
}

/// Under a mode's prompt: cancel, and the top-up first when the user cannot pay for it.
pub fn mode_prompt(lang: Lang, can_pay: bool) -> InlineKeyboardMarkup {
    let cancel = button(texts::cancel_label(lang), Action::Cancel);
    if can_pay {
        InlineKeyboardMarkup::new(vec![vec![cancel]])
    } else {
        InlineKeyboardMarkup::new(vec![vec![
            button(texts::topup_label(lang), Action::PaymentMenu),
            cancel,
        ]])
    }
}

/// Out of money with the request kept: top up, or the menu.
pub fn insufficient(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::topup_label(lang), Action::PaymentMenu),
        button(texts::menu_label(lang), Action::Menu),
    ]])
}

/// After a credit, when a request waited for it: run it, or the menu.
pub fn held_offer(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::run_held_label(lang), Action::RunHeld),
        button(texts::menu_label(lang), Action::Menu),
    ]])
}

/// A prompt typed outside any mode: make it, or not.
pub fn text_offer(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(
            texts::mode_label(lang, Mode::Generate),
            Action::Offer(Some(Mode::Generate)),
        ),
        button(texts::cancel_label(lang), Action::Cancel),
    ]])
}

/// A photo sent outside any mode: what can be done with it.
pub fn photo_offer(lang: Lang) -> InlineKeyboardMarkup {
    let offer = |m: Mode| button(texts::mode_label(lang, m), Action::Offer(Some(m)));
    InlineKeyboardMarkup::new(vec![
        vec![offer(Mode::Edit), offer(Mode::Retouch)],
        vec![offer(Mode::Upscale), offer(Mode::FaceSwap)],
        vec![
            offer(Mode::Merge),
            button(texts::add_text_label(lang), Action::Offer(None)),
        ],
        vec![button(texts::cancel_label(lang), Action::Cancel)],
    ])
}

/// Under a broadcast's preview: send it to `n` users, or not.
pub fn broadcast_confirm(lang: Lang, n: i64) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::broadcast_send_label(lang, n), Action::BroadcastSend),
        button(texts::cancel_label(lang), Action::Cancel),
    ]])
}

/// Just the way back to the menu.
pub fn menu_only(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![button(texts::menu_label(lang), Action::Menu)]])
}

/// The pay button, then "check the payment" and "another amount".
pub fn pay_link(lang: Lang, charge: Kopecks, url: reqwest::Url) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![InlineKeyboardButton::url(
            texts::pay_button(lang, charge),
            url,
        )],
        vec![
            button(texts::check_payment_label(lang), Action::CheckPayment),
            button(texts::other_amount_label(lang), Action::PaymentMenu),
        ],
    ])
}

/// Under a page of history: newer and older pages, the balance.
pub fn history(lang: Lang, page: u32, more: bool) -> InlineKeyboardMarkup {
    let mut pages = Vec::new();
    if page > 0 {
        pages.push(button(texts::newer_label(lang), Action::History(page - 1)));
    }
    if more {
        pages.push(button(texts::older_label(lang), Action::History(page + 1)));
    }
    let mut rows = vec![pages];
    rows.push(vec![button(texts::balance_label(lang), Action::Balance)]);
    rows.retain(|r| !r.is_empty());
    InlineKeyboardMarkup::new(rows)
}

/// Under a question (a code, an amount): back to where it was asked from, or leave it.
pub fn back_or_cancel(lang: Lang, back: Action) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::back_label(lang), back),
        button(texts::cancel_label(lang), Action::Cancel),
    ]])
}

/// After a refused code: another code, or back (to the payment menu or the balance).
pub fn code_retry(lang: Lang, from_payment: bool) -> InlineKeyboardMarkup {
    let (again, back) = if from_payment {
        (Action::DiscountCode, Action::PaymentMenu)
    } else {
        (Action::GenerationCode, Action::Balance)
    };
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::another_code_label(lang), again),
        button(texts::back_label(lang), back),
    ]])
}

/// After "check payment" found it unpaid: check again, or the menu.
pub fn pending(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::check_payment_label(lang), Action::CheckPayment),
        button(texts::menu_label(lang), Action::Menu),
    ]])
}

/// Under a payment screen: the balance and the menu.
pub fn back_to_balance(lang: Lang) -> Vec<InlineKeyboardButton> {
    vec![
        button(texts::balance_label(lang), Action::Balance),
        button(texts::menu_label(lang), Action::Menu),
    ]
}
