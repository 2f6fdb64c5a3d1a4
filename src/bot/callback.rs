//! Button presses as one typed enum: encoded into callback data by the keyboards, parsed back once
//! by the schema. Data that does not parse (an old keyboard, a forged press) is answered as stale.

use crate::config::Config;
use crate::model::Mode;
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
}

impl Action {
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
                config.topup_amounts.contains(&amount).then_some(())?;
                Action::Topup(amount)
            }
            Some(("stars", n)) => {
                let stars: u32 = n.parse().ok()?;
                config.stars_topup_amounts.contains(&stars).then_some(())?;
                Action::Stars(stars)
            }
            Some(_) => return None,
            None => match data {
                "menu" => Action::Menu,
                "payment_menu" => Action::PaymentMenu,
                "promo_topup" => Action::DiscountCode,
                "promo_gen" => Action::GenerationCode,
                "custom_amount" => Action::CustomAmount,
                "stars_menu" => Action::StarsMenu,
                "card_menu" => Action::CardMenu,
                _ => return None,
            },
        })
    }
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
        all.extend(config.stars_topup_amounts.iter().map(|n| Action::Stars(*n)));
        all.extend(Mode::ALL.iter().map(|m| Action::Mode(*m)));
        all.extend(config.topup_amounts.iter().map(|k| Action::Topup(*k)));
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
            "MENU",
        ] {
            assert_eq!(Action::parse(junk, &config), None, "{junk}");
        }
    }
}
