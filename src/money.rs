//! Money is integer kopecks inside and roubles with two decimals at every edge.

use std::fmt;

/// An amount of money in kopecks (1/100 rouble). Signed, so a ledger delta is a `Kopecks` too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Kopecks(pub i64);

impl Kopecks {
    pub const ZERO: Kopecks = Kopecks(0);

    /// Parses roubles written by a person: `10`, `10.5`, `10.50`, `-30` (when `allow_negative`).
    /// More than two decimals, exponents, signs in the wrong place or overflow are refused.
    pub fn parse_roubles(text: &str, allow_negative: bool) -> Result<Kopecks, String> {
        let t = text.trim().replace(',', ".");
        let (negative, digits) = match t.strip_prefix('-') {
            Some(rest) if allow_negative => (true, rest),
            Some(_) => return Err(format!("{text:?} is negative; expected an amount ≥ 0")),
            None => (false, t.strip_prefix('+').unwrap_or(&t)),
        };
        let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || digits.ends_with('.') {
            return Err(format!(
                "{text:?} is not an amount in roubles (like 10 or 12.50)"
            ));
        }
        if frac.len() > 2 {
            return Err(format!(
                "{text:?} has more than two decimals; kopecks are the smallest unit"
            ));
        }
        let frac_kopecks: i64 = match frac.len() {
            0 => 0,
            1 => i64::from(frac.as_bytes()[0] - b'0') * 10,
            _ => i64::from(frac.as_bytes()[0] - b'0') * 10 + i64::from(frac.as_bytes()[1] - b'0'),
        };
        let kopecks = whole
            .parse::<i64>()
            .ok()
            .and_then(|w| w.checked_mul(100))
            .and_then(|k| k.checked_add(frac_kopecks))
            .filter(|k| *k <= MAX_AMOUNT.0)
            .ok_or_else(|| format!("{text:?} is too large"))?;
        Ok(Kopecks(if negative { -kopecks } else { kopecks }))
    }

    /// The amount as the two-decimal string APIs and people read ("90.00").
    pub fn to_decimal(self) -> String {
        self.to_string()
    }

    pub fn checked_add(self, other: Kopecks) -> Option<Kopecks> {
        self.0.checked_add(other.0).map(Kopecks)
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
}

/// No single amount (price, top-up, adjustment) may exceed ten million roubles: far beyond any real
/// top-up, and far below where sums of many of them could overflow an i64.
pub const MAX_AMOUNT: Kopecks = Kopecks(1_000_000_000);

impl fmt::Display for Kopecks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

/// The price the payer pays for a top-up of `amount` with `percent` off: the discounted amount
/// rounded to the nearest kopeck, halves rounding up (in the shop's favour by at most half a kopeck).
/// 100.00 ₽ at 10 % → 90.00 ₽; 0.15 ₽ at 50 % → 0.08 ₽.
pub fn discounted(amount: Kopecks, percent: u8) -> Kopecks {
    let percent = i128::from(percent.min(100));
    let scaled = i128::from(amount.0) * (100 - percent);
    // amount ≤ MAX_AMOUNT, so the result always fits back in an i64.
    Kopecks(((scaled + 50) / 100) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_roubles() {
        for (text, kopecks) in [
            ("10", 1000),
            ("10.5", 1050),
            ("10.50", 1050),
            ("0.01", 1),
            ("12,30", 1230),
        ] {
            assert_eq!(Kopecks::parse_roubles(text, false), Ok(Kopecks(kopecks)));
        }
        assert_eq!(Kopecks::parse_roubles("-30", true), Ok(Kopecks(-3000)));
        for bad in [
            "ten",
            "-1",
            "1.234",
            "",
            ".5",
            "5.",
            "1e3",
            "1.2.3",
            " ",
            "99999999999999",
        ] {
            assert!(Kopecks::parse_roubles(bad, false).is_err(), "{bad}");
        }
        assert_eq!(Kopecks(1250).to_string(), "12.50");
        assert_eq!(Kopecks(-5).to_string(), "-0.05");
        assert_eq!(Kopecks(0).to_string(), "0.00");
    }

    #[test]
    fn discount_rounds_half_up_to_kopecks() {
        assert_eq!(discounted(Kopecks(10_000), 10), Kopecks(9_000));
        assert_eq!(discounted(Kopecks(15), 50), Kopecks(8));
        assert_eq!(discounted(Kopecks(33_333), 30), Kopecks(23_333));
        assert_eq!(discounted(Kopecks(100), 0), Kopecks(100));
    }
}
