//! Time as the rest of the program sees it: unix seconds, and UTC calendar dates for people. A leaf.

use crate::error::{Error, Result};

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `--expires 2026-12-31` means the code works through that day (UTC): it expires at the next
/// midnight. (`--since` options take the start of a day as this minus one day.)
pub fn expiry_from_date(text: &str) -> Result<i64> {
    let bad = || Error::invalid(format!("{text:?} is not a date: expected YYYY-MM-DD"));
    let mut parts = text.trim().splitn(3, '-');
    let mut next = |len: usize| {
        parts
            .next()
            .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|p| p.parse::<i64>().ok())
    };
    let (y, m, d) = (
        next(4).ok_or_else(bad)?,
        next(2).ok_or_else(bad)?,
        next(2).ok_or_else(bad)?,
    );
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if d < 1 || d > days_in_month {
        return Err(bad());
    }
    Ok((days_from_civil(y, m, d) + 1) * 86_400)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `dd.mm hh:mm` (UTC), for a person's history.
pub fn day_and_time(unix: i64) -> String {
    let date = date_of(unix);
    let secs = unix.rem_euclid(86_400);
    format!(
        "{}.{} {:02}:{:02}",
        &date[8..10],
        &date[5..7],
        secs / 3600,
        secs % 3600 / 60
    )
}

/// The UTC time of a unix time, `YYYY-MM-DDTHH:MM:SSZ`.
pub fn datetime_of(unix: i64) -> String {
    let secs = unix.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date_of(unix),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The UTC date of a unix time, YYYY-MM-DD.
pub fn date_of(unix: i64) -> String {
    let z = unix.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(expiry_from_date("1970-01-01").expect("valid"), 86_400);
        assert_eq!(
            date_of(expiry_from_date("2026-12-31").expect("valid") - 1),
            "2026-12-31"
        );
        assert_eq!(
            date_of(expiry_from_date("2024-02-29").expect("valid") - 1),
            "2024-02-29"
        );
        for bad in [
            "2025-02-29",
            "2026-13-01",
            "2026-1-1",
            "tomorrow",
            "2026-12-00",
        ] {
            assert!(expiry_from_date(bad).is_err(), "{bad}");
        }
    }
}
