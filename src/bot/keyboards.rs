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
        vec![
            InlineKeyboardButton::callback(texts::write_label(lang), Action::Write.encode()),
            InlineKeyboardButton::callback(texts::help_label(lang), Action::Help.encode()),
        ],
        match GALLERY.get() {
            Some(url) => vec![
                InlineKeyboardButton::web_app(
                    texts::gallery_label(lang),
                    teloxide::types::WebAppInfo { url: url.clone() },
                ),
                InlineKeyboardButton::callback(texts::pay_label(lang), Action::Balance.encode()),
            ],
            None => vec![InlineKeyboardButton::callback(
                texts::pay_label(lang),
                Action::Balance.encode(),
            )],
        },
    ])
}

/// The Mini App's address (WEB_BASE_URL/app), set once when the bot starts: the main menu then
/// offers «🖼 Мои работы».
static GALLERY: std::sync::OnceLock<reqwest::Url> = std::sync::OnceLock::new();

pub fn offer_gallery(url: &str) {
    if let Ok(url) = reqwest::Url::parse(url) {
        let _ = GALLERY.set(url);
    }
}

/// Under a written prompt: make it, another one (its price for this user), the menu.
pub fn written(lang: Lang, words_id: i64, again: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![button(
            texts::use_prompt_label(lang),
            Action::UsePrompt(words_id),
        )],
        vec![button(
            format!("{} · {again}", texts::another_prompt_label(lang)),
            Action::AnotherPrompt(words_id),
        )],
        vec![button(texts::menu_label(lang), Action::Menu)],
    ])
}

/// Under the help text: the assistant (when it is on), support, and the menu.
pub fn help(lang: Lang, assistant: bool) -> InlineKeyboardMarkup {
    let mut row = Vec::new();
    if assistant {
        row.push(button(texts::assistant_label(lang), Action::Assistant));
    }
    row.push(button(texts::support_label(lang), Action::Support));
    InlineKeyboardMarkup::new(vec![
        row,
        vec![button(texts::menu_label(lang), Action::Menu)],
    ])
}

/// Under the assistant's answers: a person, or the menu.
pub fn assistant(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::support_label(lang), Action::Support),
        button(texts::menu_label(lang), Action::Menu),
    ]])
}

/// Under "filed": add more to the ticket, or the menu.
pub fn support_filed(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::write_more_label(lang), Action::Support),
        button(texts::menu_label(lang), Action::Menu),
    ]])
}

/// Under support's answer: reply in the same ticket, or the menu.
pub fn support_answer(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::answer_back_label(lang), Action::Support),
        button(texts::menu_label(lang), Action::Menu),
    ]])
}

/// Which top-up ways are on.
#[derive(Debug, Clone, Copy)]
pub struct TopupWays {
    pub stars: bool,
    pub card: bool,
}

/// The ways to top up as buttons: Stars and card side by side when both are on, else one.
fn topup_row(lang: Lang, ways: TopupWays) -> Vec<InlineKeyboardButton> {
    match (ways.stars, ways.card) {
        (true, true) => vec![
            button(texts::stars_label(lang), Action::StarsMenu),
            button(texts::card_label(lang), Action::CardMenu),
        ],
        _ => vec![button(texts::topup_label(lang), Action::PaymentMenu)],
    }
}

/// The balance screen: an open invoice's pay and check buttons, the ways to top up, the code field,
/// the history, the invitation, the menu.
pub fn balance(
    lang: Lang,
    pending: Option<(Kopecks, reqwest::Url)>,
    ways: TopupWays,
    extras: &BalanceExtras,
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
    rows.push(topup_row(lang, ways));
    if extras.plans {
        rows.push(vec![button(texts::plans_label(lang), Action::Plans)]);
    }
    rows.push(vec![
        button(texts::code_label(lang), Action::GenerationCode),
        button(texts::history_label(lang), Action::History(0)),
    ]);
    rows.push(vec![button(
        texts::history_file_label(lang),
        Action::HistoryFile,
    )]);
    if let Some(code) = &extras.standing_code {
        rows.push(vec![button(
            texts::drop_code_label(lang, code),
            Action::DropCode,
        )]);
    }
    if extras.renewing_plan {
        rows.push(vec![button(
            texts::cancel_plan_label(lang),
            Action::CancelPlan,
        )]);
    }
    if extras.invite {
        rows.push(vec![button(texts::invite_label(lang), Action::Invite)]);
    }
    rows.push(vec![button(texts::menu_label(lang), Action::Menu)]);
    InlineKeyboardMarkup::new(rows)
}

/// What else the balance screen offers this user.
pub struct BalanceExtras {
    /// The invitation (the referral program is on).
    pub invite: bool,
    /// ⭐ Subscription (PLANS set, Stars on).
    pub plans: bool,
    /// The operation code they hold: ❌ drops it.
    pub standing_code: Option<String>,
    /// A subscription still renewing: it can be cancelled.
    pub renewing_plan: bool,
}

/// The plans, one button each, then back.
pub fn plans(lang: Lang, plans: &[crate::config::Plan]) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = plans
        .iter()
        .enumerate()
        .map(|(n, p)| {
            vec![button(
                texts::plan_button(lang, &p.label, p.stars),
                Action::Plan(n as u8),
            )]
        })
        .collect();
    rows.push(back_to_balance(lang));
    InlineKeyboardMarkup::new(rows)
}

/// A plan's invoice link, then back.
pub fn plan_link(lang: Lang, stars: u32, url: reqwest::Url) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![
        vec![InlineKeyboardButton::url(
            texts::plan_pay_label(lang, stars),
            url,
        )],
        back_to_balance(lang),
    ])
}

/// Under the invitation: Telegram's share dialog, the balance, the menu.
pub fn invite(lang: Lang, share: Option<reqwest::Url>) -> InlineKeyboardMarkup {
    let mut rows = Vec::new();
    if let Some(share) = share {
        rows.push(vec![InlineKeyboardButton::url(
            texts::share_label(lang),
            share,
        )]);
    }
    rows.push(back_to_balance(lang));
    InlineKeyboardMarkup::new(rows)
}

/// The card amounts, one a row, each saying what it credits, costs and buys
/// («100 ₽ — 10 операций»), with the discount of a pending code; then the code and custom-amount
/// buttons.
pub fn payment_menu(
    lang: Lang,
    amounts: &[Kopecks],
    percent: u8,
    price: Kopecks,
) -> InlineKeyboardMarkup {
    let mut rows = card_amounts(lang, amounts, percent, price);
    rows.push(vec![
        button(texts::code_label(lang), Action::DiscountCode),
        button(texts::custom_amount_label(lang), Action::CustomAmount),
    ]);
    rows.push(back_to_balance(lang));
    InlineKeyboardMarkup::new(rows)
}

fn card_amounts(
    lang: Lang,
    amounts: &[Kopecks],
    percent: u8,
    price: Kopecks,
) -> Vec<Vec<InlineKeyboardButton>> {
    amounts
        .iter()
        .map(|a| {
            let label = texts::amount_label(lang, *a, discounted(*a, percent), price);
            vec![button(label, Action::Topup(*a))]
        })
        .collect()
}

/// Stars amounts, two a row: «⭐ 100 → 100 ₽» (the Stars paid, `percent` off rounded up as billing
/// charges them → what is credited).
fn stars_amounts(
    lang: Lang,
    amounts: &[u32],
    rate: Kopecks,
    percent: u8,
) -> Vec<Vec<InlineKeyboardButton>> {
    amounts
        .chunks(2)
        .map(|pair| {
            pair.iter()
                .map(|n| {
                    let credit = Kopecks(i64::from(*n) * rate.0);
                    let paid = crate::billing::discounted_stars(i64::from(*n), percent);
                    button(
                        texts::stars_label_for(lang, paid, credit),
                        Action::Stars(*n),
                    )
                })
                .collect()
        })
        .collect()
}

/// Stars or card, then the code button.
pub fn providers(lang: Lang, plans: bool) -> InlineKeyboardMarkup {
    let mut rows = vec![
        vec![button(texts::stars_label(lang), Action::StarsMenu)],
        vec![button(texts::card_label(lang), Action::CardMenu)],
    ];
    if plans {
        rows.push(vec![button(texts::plans_label(lang), Action::Plans)]);
    }
    rows.push(vec![button(texts::code_label(lang), Action::DiscountCode)]);
    rows.push(back_to_balance(lang));
    InlineKeyboardMarkup::new(rows)
}

/// The Stars amounts, the plans, then the code button.
pub fn stars_menu(
    lang: Lang,
    amounts: &[u32],
    rate: Kopecks,
    (percent, plans): (u8, bool),
) -> InlineKeyboardMarkup {
    let mut rows = stars_amounts(lang, amounts, rate, percent);
    if plans {
        rows.push(vec![button(texts::plans_label(lang), Action::Plans)]);
    }
    rows.push(vec![button(texts::code_label(lang), Action::DiscountCode)]);
    rows.push(back_to_balance(lang));
    InlineKeyboardMarkup::new(rows)
}

/// What a top-up could be, for the amounts under a shortfall.
pub struct Offer<'a> {
    pub card: &'a [Kopecks],
    pub stars: &'a [u32],
    pub rate: Kopecks,
    pub percent: u8,
    pub price: Kopecks,
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

/// A mode's question with its picker: one button per model (its price for this user, ✓ on the
/// current one), the formats two to a row, then the way out (and the top-up when it cannot pay).
pub fn picker(
    lang: Lang,
    models: Vec<(String, Action)>,
    formats: Vec<(String, Action)>,
    can_pay: bool,
) -> InlineKeyboardMarkup {
    let mut rows: Vec<Vec<InlineKeyboardButton>> = models
        .into_iter()
        .map(|(label, action)| vec![InlineKeyboardButton::callback(label, action.encode())])
        .collect();
    for pair in formats.chunks(2) {
        rows.push(
            pair.iter()
                .map(|(label, action)| {
                    InlineKeyboardButton::callback(label.clone(), action.encode())
                })
                .collect(),
        );
    }
    rows.extend(mode_prompt(lang, can_pay).inline_keyboard);
    InlineKeyboardMarkup::new(rows)
}

/// The "add text" style under its preview: size, colour, the 3×3 position grid, the plate, each
/// with ✓ on the current choice; then ✅ and the way out.
pub fn text_style(lang: Lang, style: &crate::model::TextStyle) -> InlineKeyboardMarkup {
    use crate::actions::StyleChange;
    use crate::model::{Plate, Spot, TextColor, TextSize};
    let mark = |on: bool, label: &str| {
        if on {
            format!("✓ {label}")
        } else {
            label.to_string()
        }
    };
    let mut rows = vec![
        TextSize::ALL
            .iter()
            .map(|v| {
                let label = mark(style.size == *v, &v.as_str().to_uppercase());
                button(label, Action::Style(StyleChange::Size(*v)))
            })
            .collect::<Vec<_>>(),
    ];
    for colors in TextColor::ALL.chunks(3) {
        rows.push(
            colors
                .iter()
                .map(|v| {
                    let label = mark(style.color == *v, texts::text_color_label(lang, *v));
                    button(label, Action::Style(StyleChange::Color(*v)))
                })
                .collect(),
        );
    }
    for spots in Spot::ALL.chunks(3) {
        rows.push(
            spots
                .iter()
                .map(|v| {
                    let label = if style.spot == *v {
                        "✓"
                    } else {
                        texts::spot_label(*v)
                    };
                    button(label, Action::Style(StyleChange::Spot(*v)))
                })
                .collect(),
        );
    }
    rows.push(
        Plate::ALL
            .iter()
            .map(|v| {
                let label = mark(style.plate == *v, texts::plate_label(lang, *v));
                button(label, Action::Style(StyleChange::Plate(*v)))
            })
            .collect(),
    );
    rows.push(vec![
        button(texts::text_done_label(lang), Action::TextDone),
        button(texts::cancel_label(lang), Action::Cancel),
    ]);
    InlineKeyboardMarkup::new(rows)
}

/// Retouch's optional wish: «Пропустить», or the way out.
pub fn skip_or_cancel(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::skip_label(lang), Action::Skip),
        button(texts::cancel_label(lang), Action::Cancel),
    ]])
}

/// Out of money with the request kept: the amounts themselves (one tap to the pay link or the
/// invoice), then the menu.
pub fn insufficient(lang: Lang, offer: &Offer<'_>) -> InlineKeyboardMarkup {
    let mut rows = card_amounts(lang, offer.card, offer.percent, offer.price);
    rows.extend(stars_amounts(lang, offer.stars, offer.rate, offer.percent));
    rows.push(vec![button(texts::menu_label(lang), Action::Menu)]);
    InlineKeyboardMarkup::new(rows)
}

/// After a credit, when a request waited for it: run it, or the menu.
pub fn held_offer(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::run_held_label(lang), Action::RunHeld),
        button(texts::menu_label(lang), Action::Menu),
    ]])
}

/// After a plan's renewal failed: subscribe again, or the menu.
pub fn plans_offer(lang: Lang) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        button(texts::plans_label(lang), Action::Plans),
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

/// A photo sent outside any mode: what can be done with it, each paid mode with this user's price
/// (`tag`), since a tap starts it at once.
pub fn photo_offer(lang: Lang, tag: impl Fn(Mode) -> String) -> InlineKeyboardMarkup {
    let offer = |m: Mode| {
        button(
            texts::priced(texts::mode_label(lang, m), &tag(m)),
            Action::Offer(Some(m)),
        )
    };
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

/// A text typed while a photo was kept: change that photo, or make a new picture from the text.
pub fn photo_text_offer(lang: Lang, tag: impl Fn(Mode) -> String) -> InlineKeyboardMarkup {
    let offer =
        |m: Mode, label: &str| button(texts::priced(label, &tag(m)), Action::Offer(Some(m)));
    InlineKeyboardMarkup::new(vec![
        vec![offer(Mode::Edit, texts::edit_photo_label(lang))],
        vec![offer(Mode::Generate, texts::new_picture_label(lang))],
        vec![button(texts::cancel_label(lang), Action::Cancel)],
    ])
}

/// /paysupport: check a card payment (when cards are on), the balance, the menu.
pub fn support(lang: Lang, card: bool) -> InlineKeyboardMarkup {
    let mut rows = Vec::new();
    if card {
        rows.push(vec![button(
            texts::check_payment_label(lang),
            Action::CheckPayment,
        )]);
    }
    rows.push(vec![
        button(texts::balance_label(lang), Action::Balance),
        button(texts::menu_label(lang), Action::Menu),
    ]);
    InlineKeyboardMarkup::new(rows)
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

/// After "check payment" found it unpaid: pay it, check again, or the menu.
pub fn pending(lang: Lang, pay: Option<(Kopecks, reqwest::Url)>) -> InlineKeyboardMarkup {
    let mut rows = Vec::new();
    if let Some((charge, url)) = pay {
        rows.push(vec![InlineKeyboardButton::url(
            texts::pay_button(lang, charge),
            url,
        )]);
    }
    rows.push(vec![
        button(texts::check_payment_label(lang), Action::CheckPayment),
        button(texts::menu_label(lang), Action::Menu),
    ]);
    InlineKeyboardMarkup::new(rows)
}

/// Under a payment screen: the balance and the menu.
pub fn back_to_balance(lang: Lang) -> Vec<InlineKeyboardButton> {
    vec![
        button(texts::balance_label(lang), Action::Balance),
        button(texts::menu_label(lang), Action::Menu),
    ]
}
