//! Button presses as one typed enum: encoded into callback data by the keyboards (the bot's, and the
//! worker's under a result), parsed back once by the bot's schema. Data that does not parse (an old
//! keyboard, a forged press) is answered as stale. A leaf beside `texts`.

use crate::config::Config;
use crate::model::{Format, Mode, Plate, Spot, TextColor, TextSize};
use crate::money::Kopecks;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Menu,
    PaymentMenu,
    /// Enter a discount code for the next top-up.
    DiscountCode,
    /// Enter a generation code (free access or bonus operations).
    GenerationCode,
    CustomAmount,
    Mode(Mode),
    AddText,
    /// One of TOPUP_AMOUNTS (through YooKassa).
    Topup(Kopecks),
    /// The Stars amounts.
    StarsMenu,
    /// The YooKassa amounts.
    CardMenu,
    /// One of STARS_TOPUP_AMOUNTS.
    Stars(u32),
    /// Run this job's input again (charged again).
    Again(i64),
    /// Upscale this job's result.
    UpscaleResult(i64),
    /// Edit this job's result.
    EditResult(i64),
    /// This job's mode again, its old request shown and its photos kept.
    ChangeRequest(i64),
    /// Leave the current step for the menu.
    Cancel,
    /// The balance screen (history, pending invoice, codes).
    Balance,
    /// Run the request that waited for a top-up.
    RunHeld,
    /// Ask the provider now about this user's unpaid YooKassa top-ups.
    CheckPayment,
    /// Use what was sent outside any mode (a prompt, a photo) in this mode (None: add text).
    Offer(Option<Mode>),
    /// A page of the whole history (0 is the newest).
    History(u32),
    /// Send the previewed broadcast (admins).
    BroadcastSend,
    /// The invitation screen: the link and the share dialog.
    Invite,
    /// The picker: the `n`-th model of a mode.
    Pick(Mode, u8),
    /// The picker: a format for a mode.
    Format(Mode, Format),
    /// Retouch: no instruction of one's own.
    Skip,
    /// 📎 This job's kept result as a file.
    Original(i64),
    /// Add text: one option of the style on the preview.
    Style(StyleChange),
    /// Add text: ✅ render the full picture.
    TextDone,
    /// 🆘 The help screen: what the bot does, and the way to support.
    Help,
    /// 💬 Write to support (a new message in the open ticket, or a new ticket).
    Support,
    /// 🤖 Ask the assistant.
    Assistant,
    /// ✍️ Write a prompt from an idea.
    Write,
    /// ✍️: make a picture from this prompt (the generate picker with it).
    UsePrompt(i64),
    /// ✍️: another prompt from the same idea (charged again).
    AnotherPrompt(i64),
    /// ❌ Drop the operation code the user holds.
    DropCode,
    /// 📥 The user's history as a workbook.
    HistoryFile,
    /// ⭐ The plans of PLANS.
    Plans,
    /// The invoice link of the `n`-th plan.
    Plan(u8),
    /// Stop the renewal of the user's subscription.
    CancelPlan,
}

/// One press on the "add text" style keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StyleChange {
    Size(TextSize),
    Color(TextColor),
    Spot(Spot),
    Plate(Plate),
}

impl StyleChange {
    pub fn apply(self, style: &mut crate::model::TextStyle) {
        match self {
            StyleChange::Size(v) => style.size = v,
            StyleChange::Color(v) => style.color = v,
            StyleChange::Spot(v) => style.spot = v,
            StyleChange::Plate(v) => style.plate = v,
        }
    }
}

impl Action {
    /// A press that starts a paid job anew each time (🔁 one more, ⬆️ upscale this): a second
    /// press of it within a moment is a double tap, not a second request. The other paid presses
    /// are one-shot by their state already (a held request or an offer is used up, an amount
    /// reuses its invoice).
    pub fn is_once(self) -> bool {
        matches!(
            self,
            Action::Again(_) | Action::UpscaleResult(_) | Action::AnotherPrompt(_)
        )
    }

    pub fn encode(self) -> String {
        match self {
            Action::Menu => "menu".into(),
            Action::PaymentMenu => "payment_menu".into(),
            Action::DiscountCode => "promo_topup".into(),
            Action::GenerationCode => "promo_gen".into(),
            Action::CustomAmount => "custom_amount".into(),
            Action::Mode(m) => format!("mode:{}", m.as_str()),
            Action::AddText => "mode:add_text".into(),
            Action::Topup(k) => format!("topup:{}", k.0),
            Action::StarsMenu => "stars_menu".into(),
            Action::CardMenu => "card_menu".into(),
            Action::Stars(n) => format!("stars:{n}"),
            Action::Again(job) => format!("again:{job}"),
            Action::UpscaleResult(job) => format!("upres:{job}"),
            Action::EditResult(job) => format!("editres:{job}"),
            Action::ChangeRequest(job) => format!("change:{job}"),
            Action::Cancel => "cancel".into(),
            Action::Balance => "balance".into(),
            Action::RunHeld => "run_held".into(),
            Action::CheckPayment => "check_payment".into(),
            Action::Offer(Some(m)) => format!("offer:{}", m.as_str()),
            Action::Offer(None) => "offer:add_text".into(),
            Action::History(page) => format!("history:{page}"),
            Action::BroadcastSend => "broadcast_send".into(),
            Action::Invite => "invite".into(),
            Action::Pick(m, n) => format!("pick:{}:{n}", m.as_str()),
            Action::Format(m, f) => format!("fmt:{}:{}", m.as_str(), f.as_str()),
            Action::Skip => "skip".into(),
            Action::Original(job) => format!("orig:{job}"),
            Action::Style(StyleChange::Size(v)) => format!("ts:s:{v}"),
            Action::Style(StyleChange::Color(v)) => format!("ts:c:{v}"),
            Action::Style(StyleChange::Spot(v)) => format!("ts:p:{v}"),
            Action::Style(StyleChange::Plate(v)) => format!("ts:b:{v}"),
            Action::TextDone => "ts:done".into(),
            Action::Help => "help".into(),
            Action::Support => "support".into(),
            Action::Assistant => "assistant".into(),
            Action::Write => "write".into(),
            Action::UsePrompt(id) => format!("useprompt:{id}"),
            Action::AnotherPrompt(id) => format!("reprompt:{id}"),
            Action::DropCode => "drop_code".into(),
            Action::HistoryFile => "history_xlsx".into(),
            Action::Plans => "plans".into(),
            Action::Plan(n) => format!("plan:{n}"),
            Action::CancelPlan => "plan_cancel".into(),
        }
    }

    /// The action `data` names, if it is one we could have sent: a top-up only for an amount
    /// that is still configured.
    pub fn parse(data: &str, config: &Config) -> Option<Action> {
        Some(match data.split_once(':') {
            Some(("mode", "add_text")) => Action::AddText,
            Some(("mode", m)) => Action::Mode(m.parse().ok()?),
            Some(("topup", k)) => {
                let amount = Kopecks(k.parse().ok()?);
                config
                    .payments
                    .topup_amounts
                    .contains(&amount)
                    .then_some(())?;
                Action::Topup(amount)
            }
            Some(("plan", n)) => {
                let n: u8 = n.parse().ok()?;
                (usize::from(n) < config.payments.plans.len()).then_some(())?;
                Action::Plan(n)
            }
            Some(("stars", n)) => {
                let stars: u32 = n.parse().ok()?;
                config
                    .payments
                    .stars_topup_amounts
                    .contains(&stars)
                    .then_some(())?;
                Action::Stars(stars)
            }
            Some(("again", j)) => Action::Again(j.parse().ok().filter(|j| *j > 0)?),
            Some(("upres", j)) => Action::UpscaleResult(j.parse().ok().filter(|j| *j > 0)?),
            Some(("editres", j)) => Action::EditResult(j.parse().ok().filter(|j| *j > 0)?),
            Some(("change", j)) => Action::ChangeRequest(j.parse().ok().filter(|j| *j > 0)?),
            Some(("offer", "add_text")) => Action::Offer(None),
            Some(("offer", m)) => Action::Offer(Some(m.parse().ok()?)),
            Some(("history", p)) => Action::History(p.parse().ok().filter(|p| *p < 10_000)?),
            Some(("pick", rest)) => {
                let (m, n) = rest.split_once(':')?;
                let n: u8 = n.parse().ok()?;
                Action::Pick(m.parse().ok()?, n)
            }
            Some(("fmt", rest)) => {
                let (m, f) = rest.split_once(':')?;
                Action::Format(m.parse().ok()?, f.parse().ok()?)
            }
            Some(("orig", j)) => Action::Original(j.parse().ok().filter(|j| *j > 0)?),
            Some(("ts", "done")) => Action::TextDone,
            Some(("useprompt", w)) => Action::UsePrompt(w.parse().ok().filter(|w| *w > 0)?),
            Some(("reprompt", w)) => Action::AnotherPrompt(w.parse().ok().filter(|w| *w > 0)?),
            Some(("ts", rest)) => Action::Style(match rest.split_once(':')? {
                ("s", v) => StyleChange::Size(v.parse().ok()?),
                ("c", v) => StyleChange::Color(v.parse().ok()?),
                ("p", v) => StyleChange::Spot(v.parse().ok()?),
                ("b", v) => StyleChange::Plate(v.parse().ok()?),
                _ => return None,
            }),
            Some(_) => return None,
            None => match data {
                "menu" => Action::Menu,
                "payment_menu" => Action::PaymentMenu,
                "promo_topup" => Action::DiscountCode,
                "promo_gen" => Action::GenerationCode,
                "custom_amount" => Action::CustomAmount,
                "stars_menu" => Action::StarsMenu,
                "card_menu" => Action::CardMenu,
                "cancel" => Action::Cancel,
                "balance" => Action::Balance,
                "run_held" => Action::RunHeld,
                "check_payment" => Action::CheckPayment,
                "broadcast_send" => Action::BroadcastSend,
                "invite" => Action::Invite,
                "skip" => Action::Skip,
                "help" => Action::Help,
                "support" => Action::Support,
                "assistant" => Action::Assistant,
                "write" => Action::Write,
                "drop_code" => Action::DropCode,
                "history_xlsx" => Action::HistoryFile,
                "plans" => Action::Plans,
                "plan_cancel" => Action::CancelPlan,
                _ => return None,
            },
        })
    }
}

/// The buttons under a made result: run it again (this user's price on the button: `again` is
/// «10 ₽» or «бесплатно»), change the request, the natural next step on this picture, and the
/// menu. An upscale has no "variant" (a second upscale of the same photo is not one): its next step
/// is editing the picture.
pub fn result_keyboard(
    lang: crate::texts::Lang,
    job_id: i64,
    mode: Option<Mode>,
    again: Option<&str>,
    original: bool,
) -> teloxide::types::InlineKeyboardMarkup {
    use crate::texts;
    use teloxide::types::InlineKeyboardButton as B;
    let button = |label: String, action: Action| B::callback(label, action.encode());
    let change = button(
        texts::change_request_label(lang).into(),
        Action::ChangeRequest(job_id),
    );
    let edit_this = button(
        texts::edit_this_label(lang).into(),
        Action::EditResult(job_id),
    );
    let mut rows = Vec::new();
    if mode == Some(Mode::Upscale) {
        rows.push(vec![edit_this]);
    } else {
        rows.push(vec![
            button(texts::again_label(lang, again), Action::Again(job_id)),
            change,
        ]);
        rows.push(vec![
            button(
                texts::upscale_this_label(lang).into(),
                Action::UpscaleResult(job_id),
            ),
            edit_this,
        ]);
    }
    if original {
        rows.push(vec![button(
            texts::original_label(lang).into(),
            Action::Original(job_id),
        )]);
    }
    rows.push(vec![button(texts::menu_label(lang).into(), Action::Menu)]);
    teloxide::types::InlineKeyboardMarkup::new(rows)
}

/// The buttons under a failure: try the same input again (not for a photo over the limits: it would
/// fail the same way), and the menu.
pub fn failure_keyboard(
    lang: crate::texts::Lang,
    job_id: Option<i64>,
    why: crate::model::JobFailure,
) -> teloxide::types::InlineKeyboardMarkup {
    use crate::texts;
    use teloxide::types::InlineKeyboardButton as B;
    let mut rows = Vec::new();
    if let Some(job) = job_id {
        let mut row = Vec::new();
        if why != crate::model::JobFailure::TooLarge {
            row.push(B::callback(
                texts::retry_label(lang),
                Action::Again(job).encode(),
            ));
        }
        row.push(B::callback(
            texts::change_request_label(lang),
            Action::ChangeRequest(job).encode(),
        ));
        rows.push(row);
    }
    rows.push(vec![B::callback(
        texts::menu_label(lang),
        Action::Menu.encode(),
    )]);
    teloxide::types::InlineKeyboardMarkup::new(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_and_junk_does_not_parse() {
        let config = Config::from_lookup(|_| None).expect("defaults");
        let mut all = vec![
            Action::Menu,
            Action::PaymentMenu,
            Action::DiscountCode,
            Action::GenerationCode,
            Action::CustomAmount,
            Action::AddText,
            Action::StarsMenu,
            Action::CardMenu,
        ];
        all.extend(
            config
                .payments
                .stars_topup_amounts
                .iter()
                .map(|n| Action::Stars(*n)),
        );
        all.extend([
            Action::Again(i64::MAX),
            Action::UpscaleResult(1),
            Action::EditResult(42),
            Action::Cancel,
            Action::Balance,
            Action::RunHeld,
            Action::CheckPayment,
            Action::Offer(None),
            Action::History(0),
            Action::History(9_999),
            Action::BroadcastSend,
            Action::Skip,
            Action::Original(7),
            Action::Pick(Mode::FaceSwap, 255),
        ]);
        all.extend(
            Format::ALL
                .iter()
                .map(|f| Action::Format(Mode::Generate, *f)),
        );
        all.extend([
            Action::TextDone,
            Action::Help,
            Action::Support,
            Action::Assistant,
            Action::Write,
            Action::UsePrompt(3),
            Action::AnotherPrompt(i64::MAX),
            Action::DropCode,
            Action::HistoryFile,
            Action::Plans,
            Action::CancelPlan,
        ]);
        all.extend(
            TextSize::ALL
                .iter()
                .map(|v| Action::Style(StyleChange::Size(*v))),
        );
        all.extend(
            TextColor::ALL
                .iter()
                .map(|v| Action::Style(StyleChange::Color(*v))),
        );
        all.extend(
            Spot::ALL
                .iter()
                .map(|v| Action::Style(StyleChange::Spot(*v))),
        );
        all.extend(
            Plate::ALL
                .iter()
                .map(|v| Action::Style(StyleChange::Plate(*v))),
        );
        all.extend(Mode::ALL.iter().map(|m| Action::Mode(*m)));
        all.extend(Mode::ALL.iter().map(|m| Action::Offer(Some(*m))));
        all.extend(
            config
                .payments
                .topup_amounts
                .iter()
                .map(|k| Action::Topup(*k)),
        );
        for a in all {
            assert_eq!(Action::parse(&a.encode(), &config), Some(a), "{a:?}");
            // Telegram allows 64 bytes of callback data.
            assert!(a.encode().len() <= 64);
        }
        for junk in [
            "",
            "mode:",
            "mode:paint",
            "topup:1",
            "topup:x",
            "x:y",
            "offer:paint",
            "MENU",
            "pick:generate:256",
            "pick:generate",
            "fmt:generate:2:3",
            "orig:0",
            "ts:s:xxl",
            "ts:q:l",
        ] {
            assert_eq!(Action::parse(junk, &config), None, "{junk}");
        }
    }
}
