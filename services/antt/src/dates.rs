//! Dates and times on the command line and in output: `YYYY-MM-DD` and RFC 3339, by hand,
//! because this is all the CLI needs of a calendar and a full time crate is much larger.
//! The calendar itself (which days exist, day counts) is the domain's [`Date`].

use antt_domain::Date;
use antt_proto::v1 as pb;
use prost_types::Timestamp;

const SECONDS_PER_DAY: i64 = 86_400;

/// Parses `YYYY-MM-DD` (midnight UTC of that day) or an RFC 3339 time such as
/// `2018-06-12T09:30:00+07:00` or `2018-06-12T02:30:00.5Z`.
///
/// A bare date is taken as midnight UTC so that it shows as the same calendar day in UTC
/// and in Vietnam (UTC+7); midnight in Vietnam would print as the previous day in UTC.
pub fn parse_time(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    let (date, rest) = parse_date_prefix(text)?;
    let days = date.days_since_unix_epoch();
    if rest.is_empty() {
        return Ok(Timestamp {
            seconds: days * SECONDS_PER_DAY,
            nanos: 0,
        });
    }
    let rest = rest
        .strip_prefix(['T', 't', ' '])
        .ok_or_else(|| format!("{text:?}: expected `T` and a time after the date, e.g. 2018-06-12T09:30:00+07:00"))?;
    let (hour, rest) = two_digits(rest, "hour", 23)?;
    let rest = expect_char(rest, ':', "the hour")?;
    let (minute, rest) = two_digits(rest, "minute", 59)?;
    let rest = expect_char(rest, ':', "the minute")?;
    let (second, rest) = two_digits(rest, "second", 59)?;
    let (nanos, rest) = parse_fraction(rest)?;
    let offset_seconds = parse_offset(rest, text)?;
    let seconds = days * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second - offset_seconds;
    Ok(Timestamp { seconds, nanos })
}

/// Parses exactly `YYYY-MM-DD`, with nothing after the day, as a civil date.
pub fn parse_date(text: &str) -> Result<pb::Date, String> {
    parse_day(text).map(|date| date.to_proto())
}

/// [`parse_date`], as the domain's date.
pub fn parse_day(text: &str) -> Result<Date, String> {
    let text = text.trim();
    match parse_date_prefix(text)? {
        (date, "") => Ok(date),
        _ => Err(format!("{text:?} is not a date; use YYYY-MM-DD, e.g. 2018-06-12")),
    }
}

/// The `YYYY-MM-DD` at the start of `text`, and what follows it.
fn parse_date_prefix(text: &str) -> Result<(Date, &str), String> {
    let invalid = || format!("{text:?} is not a date; use YYYY-MM-DD, e.g. 2018-06-12");
    let bytes = text.as_bytes();
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return Err(invalid());
    }
    // `get`, not indexing: a non-ASCII character must be an error, not a panic.
    let field = |range: std::ops::Range<usize>| text.get(range).and_then(digits).ok_or_else(invalid);
    let year = field(0..4)?;
    let month = field(5..7)?;
    let day = field(8..10)?;
    // At most four and two digits: the casts cannot truncate.
    let date = Date::new(year as i32, month as u32, day as u32).map_err(|_| {
        if !(1..=12).contains(&month) {
            format!("{text:?}: month {month} does not exist")
        } else if year == 0 {
            format!("{text:?}: year 0 does not exist; years start at 0001")
        } else {
            format!("{text:?}: day {day} does not exist in month {month} of {year}")
        }
    })?;
    Ok((date, &text[10..]))
}

/// The value of an all-ASCII-digit string.
fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn two_digits<'a>(text: &'a str, what: &str, most: i64) -> Result<(i64, &'a str), String> {
    let value = text
        .get(0..2)
        .and_then(digits)
        .ok_or_else(|| format!("expected two digits for the {what}"))?;
    if value > most {
        return Err(format!("the {what} {value} is out of range (0 to {most})"));
    }
    Ok((value, &text[2..]))
}

fn expect_char<'a>(text: &'a str, wanted: char, after: &str) -> Result<&'a str, String> {
    text.strip_prefix(wanted)
        .ok_or_else(|| format!("expected `{wanted}` after {after}"))
}

fn parse_fraction(text: &str) -> Result<(i32, &str), String> {
    let Some(rest) = text.strip_prefix('.') else {
        return Ok((0, text));
    };
    let len = rest.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || len > 9 {
        return Err("the fraction of a second needs 1 to 9 digits".to_string());
    }
    // At most 9 digits: below 10^9, within i32.
    let value: i32 = rest[..len]
        .parse()
        .map_err(|_| "the fraction of a second needs 1 to 9 digits".to_string())?;
    let nanos = value * 10_i32.pow(9 - len as u32);
    Ok((nanos, &rest[len..]))
}

fn parse_offset(text: &str, whole: &str) -> Result<i64, String> {
    if text == "Z" || text == "z" {
        return Ok(0);
    }
    let missing = || format!("{whole:?}: add a time zone, `Z` for UTC or an offset such as +07:00");
    let sign = match text.as_bytes().first() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Err(missing()),
    };
    let (hours, rest) = two_digits(&text[1..], "offset hour", 23)?;
    let rest = expect_char(rest, ':', "the offset hour")?;
    let (minutes, rest) = two_digits(rest, "offset minute", 59)?;
    if !rest.is_empty() {
        return Err(format!("{whole:?}: unexpected {rest:?} after the time zone"));
    }
    Ok(sign * (hours * 3600 + minutes * 60))
}

/// The date of a day count since 1970-01-01. Not [`Date::from_days_since_unix_epoch`]:
/// that saturates at years 1 and 9999, and any stored timestamp must print as it is.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// RFC 3339 in UTC with microseconds, the precision the server keeps:
/// `2018-06-12T02:30:00.000000Z`.
pub fn format_time(ts: &Timestamp) -> String {
    let days = ts.seconds.div_euclid(SECONDS_PER_DAY);
    let second_of_day = ts.seconds.rem_euclid(SECONDS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60,
        ts.nanos.clamp(0, 999_999_999) / 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(seconds: i64, nanos: i32) -> Timestamp {
        Timestamp { seconds, nanos }
    }

    #[test]
    fn a_bare_date_is_midnight_utc() {
        assert_eq!(parse_time("2018-06-12").unwrap(), ts(1_528_761_600, 0));
        assert_eq!(parse_time("1970-01-01").unwrap(), ts(0, 0));
        assert_eq!(parse_time("2000-02-29").unwrap(), ts(951_782_400, 0));
    }

    #[test]
    fn rfc3339_times_with_offsets_and_fractions() {
        assert_eq!(parse_time("2018-06-12T09:30:00+07:00").unwrap(), ts(1_528_770_600, 0));
        assert_eq!(parse_time("2018-06-12T02:30:00Z").unwrap(), ts(1_528_770_600, 0));
        assert_eq!(
            parse_time("2018-06-12t02:30:00.5z").unwrap(),
            ts(1_528_770_600, 500_000_000)
        );
        assert_eq!(
            parse_time("2018-06-12 02:30:00.000001Z").unwrap(),
            ts(1_528_770_600, 1_000)
        );
        assert_eq!(
            parse_time("1969-12-31T23:59:59.999999999Z").unwrap(),
            ts(-1, 999_999_999)
        );
    }

    #[test]
    fn bad_dates_say_what_is_wrong() {
        for bad in [
            "12/06/2018",
            "2018-13-01",
            "2019-02-29",
            "2018-06-31",
            "2018-06-12T25:00:00Z",
            "2018-06-12T09:30:00",
            "2018-06-12T09:30Z",
            "2018-06-12T09:30:00.Z",
            "2018-06-12T09:30:00+7",
            "2018-06-12x",
            "",
            "２０１８-06-12",
            "2018-06-1é",
        ] {
            assert!(parse_time(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(parse_time("2018-06-12T09:30:00").unwrap_err().contains("time zone"));
    }

    #[test]
    fn formatting_round_trips() {
        for seconds in [0, 1_528_770_600, -1, -62_135_596_800, 253_402_300_799, 951_782_400] {
            let time = ts(seconds, 123_456_000);
            assert_eq!(parse_time(&format_time(&time)).unwrap(), time);
        }
        assert_eq!(
            format_time(&ts(1_528_770_600, 500_000_000)),
            "2018-06-12T02:30:00.500000Z"
        );
        assert_eq!(format_time(&ts(-1, 0)), "1969-12-31T23:59:59.000000Z");
    }
}
