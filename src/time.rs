//! Time as the rest of the program sees it: unix seconds inside, and for people dates and times in
//! the operator's TIME_ZONE (histories, `payment show`, the chart, exports, code expiry dates).
//! Provider APIs get UTC (`datetime_of`). A leaf.

use crate::error::{Error, Result};
use jiff::tz::TimeZone;
use std::sync::OnceLock;

/// The zone SPEC §2 defaults TIME_ZONE to.
pub const DEFAULT_ZONE: &str = "Europe/Moscow";

/// TIME_ZONE, set once when the configuration is read (a process serves one operator).
static ZONE: OnceLock<TimeZone> = OnceLock::new();

/// The IANA zone `name`, or why it is not one.
pub fn zone_named(name: &str) -> std::result::Result<TimeZone, String> {
    TimeZone::get(name).map_err(|_| {
        format!("{name:?} is not an IANA time zone name (examples: Europe/Moscow, Asia/Yekaterinburg, UTC)")
    })
}

/// Uses `zone` for every date and time shown from now on (the first call wins).
pub fn use_zone(zone: TimeZone) {
    let _ = ZONE.set(zone);
}

fn zone() -> &'static TimeZone {
    ZONE.get_or_init(|| TimeZone::get(DEFAULT_ZONE).unwrap_or(TimeZone::UTC))
}

/// The zone's offset from UTC at `unix`, in seconds (+10800 for Moscow).
pub fn offset_at(unix: i64) -> i64 {
    jiff::Timestamp::from_second(unix)
        .map(|t| i64::from(zone().to_offset(t).seconds()))
        .unwrap_or(0)
}

/// TIME_ZONE's offsets between `from` and `to`: (since when, offset seconds), oldest first; the
/// first is the one in force at `from` (and is given for every earlier moment too).
pub fn offsets(from: i64, to: i64) -> Vec<(i64, i64)> {
    let mut out = vec![(i64::MIN, offset_at(from))];
    let Ok(start) = jiff::Timestamp::from_second(from) else {
        return out;
    };
    for t in zone().following(start) {
        let at = t.timestamp().as_second();
        if at > to {
            break;
        }
        out.push((at, i64::from(t.offset().seconds())));
    }
    out
}

/// `unix` as the wall-clock seconds of TIME_ZONE (for day buckets and spreadsheets).
pub fn local(unix: i64) -> i64 {
    unix + offset_at(unix)
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `--expires 2026-12-31` means the code works through that day (in TIME_ZONE): it expires at the
/// next midnight there. (`--since` options take the start of a day as this minus one day.)
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
    Ok(midnight_of_day(days_from_civil(y, m, d) + 1))
}

/// The unix time of midnight in TIME_ZONE that begins `day` (days since 1970-01-01 on the zone's
/// calendar): the offset there, taken twice so a change of offset near that midnight still lands on
/// it.
pub fn midnight_of_day(day: i64) -> i64 {
    let midnight = day * 86_400;
    let guess = midnight - offset_at(midnight);
    midnight - offset_at(guess)
}

/// The day (since 1970-01-01 on TIME_ZONE's calendar) that `unix` falls on there.
pub fn day_of(unix: i64) -> i64 {
    local(unix).div_euclid(86_400)
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

/// `dd.mm hh:mm` in TIME_ZONE, for a person's history.
pub fn day_and_time(unix: i64) -> String {
    let (date, secs) = (civil(local(unix)), local(unix).rem_euclid(86_400));
    format!(
        "{}.{} {:02}:{:02}",
        &date[8..10],
        &date[5..7],
        secs / 3600,
        secs % 3600 / 60
    )
}

/// `dd.mm.yyyy` in TIME_ZONE (a plan's end).
pub fn day_month_year(unix: i64) -> String {
    let date = civil(local(unix));
    format!("{}.{}.{}", &date[8..10], &date[5..7], &date[0..4])
}

/// A moment for people and JSON: RFC 3339 with TIME_ZONE's offset, `2026-12-05T15:04:05+03:00`.
pub fn local_datetime(unix: i64) -> String {
    let (l, offset) = (local(unix), offset_at(unix));
    let secs = l.rem_euclid(86_400);
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        civil(l),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        offset.abs() / 3600,
        offset.abs() % 3600 / 60
    )
}

/// The UTC time of a unix time, `YYYY-MM-DDTHH:MM:SSZ` (what provider APIs are asked with).
pub fn datetime_of(unix: i64) -> String {
    let secs = unix.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        civil(unix),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// The date of a unix time in TIME_ZONE, YYYY-MM-DD.
pub fn date_of(unix: i64) -> String {
    civil(local(unix))
}

/// The calendar date of a day number (days since 1970-01-01 on some clock), YYYY-MM-DD.
pub fn date_of_day(day: i64) -> String {
    civil(day * 86_400)
}

/// The calendar date of a count of seconds taken as UTC, YYYY-MM-DD.
fn civil(unix: i64) -> String {
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
        // Moscow (the default zone) is three hours ahead: its midnight is 21:00 UTC.
        assert_eq!(
            expiry_from_date("1970-01-01").expect("valid"),
            86_400 - 3 * 3600
        );
        assert_eq!(day_and_time(0), "01.01 03:00");
        assert_eq!(local_datetime(0), "1970-01-01T03:00:00+03:00");
        assert_eq!(datetime_of(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            date_of(expiry_from_date("2026-12-31").expect("valid") - 1),
            "2026-12-31"
        );
        assert_eq!(
            date_of(expiry_from_date("2024-02-29").expect("valid") - 1),
            "2024-02-29"
        );
        assert_eq!(midnight_of_day(day_of(0)), -3 * 3600);
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

    #[test]
    fn offsets_follow_the_zone_through_its_changes() {
        // Moscow 2010–2014: summer time in 2010, +4 from March 2011, back to +3 in October 2014.
        let (from, to) = (1_262_304_000, 1_420_070_400);
        let seen: Vec<i64> = offsets(from, to).iter().map(|(_, o)| o / 3600).collect();
        assert_eq!(seen, [3, 4, 3, 4, 3]);
        let changes = offsets(from, to);
        assert!(changes.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(offset_at(changes[2].0 - 1), 4 * 3600);
        assert_eq!(offset_at(changes[2].0), 3 * 3600);
    }
}
