//! Civil dates: the valid time of every fact.
//!
//! Facts in the sources are dated by day ("ngày 25/5/2008"), so effective dates are
//! calendar dates with no time of day and no time zone. The wire form is `antt.v1.Date`.

use std::fmt;

use antt_proto::v1 as pb;

use crate::error::DomainError;

/// A valid Gregorian calendar date. Orders chronologically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    // Field order matters: the derived `Ord` compares year, then month, then day.
    year: i32,
    month: u8,
    day: u8,
}

/// A year, month and day that do not form a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{year}-{month:02}-{day:02} is not a valid date (ngày không hợp lệ)")]
pub struct InvalidDate {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Stand-in for a missing or invalid date inside a recorded event. `evolve` must not
    /// fail, so it reads such a date as "the beginning of time" instead of rejecting it.
    pub const MIN: Date = Date {
        year: 1,
        month: 1,
        day: 1,
    };

    /// The last supported date.
    pub const MAX: Date = Date {
        year: 9999,
        month: 12,
        day: 31,
    };

    /// The date, if `month` and `day` exist in `year` (years 1..=9999).
    pub fn new(year: i32, month: u32, day: u32) -> Result<Date, InvalidDate> {
        let invalid = InvalidDate { year, month, day };
        if !(1..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(invalid);
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(invalid);
        }
        // Both fit in u8: month <= 12 and day <= 31 were checked above.
        Ok(Date {
            year,
            month: month as u8,
            day: day as u8,
        })
    }

    /// 1 January of `year` (clamped to the supported years).
    pub fn first_day_of_year(year: i32) -> Date {
        Date {
            year: year.clamp(1, 9999),
            month: 1,
            day: 1,
        }
    }

    /// 31 December of `year` (clamped to the supported years).
    pub fn last_day_of_year(year: i32) -> Date {
        Date {
            year: year.clamp(1, 9999),
            month: 12,
            day: 31,
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// Days since 1970-01-01 (negative before). Lets the API layer turn an effective date
    /// into the log's `effective_at` instant without a date library.
    pub fn days_since_unix_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil: shift the year to start in March so that the
        // leap day is the last day of the shifted year.
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month = i64::from(self.month);
        let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The UTC civil date of an instant given in microseconds since 1970-01-01T00:00:00Z:
    /// the date an event's `effective_at` (00:00 UTC of its effective date) stands for.
    pub fn from_unix_micros(micros: i64) -> Date {
        const MICROS_PER_DAY: i64 = 86_400_000_000;
        Date::from_days_since_unix_epoch(micros.div_euclid(MICROS_PER_DAY))
    }

    /// The civil date `days` after 1970-01-01; the inverse of
    /// [`Date::days_since_unix_epoch`]. The API layer uses it for "today in Vietnam";
    /// days outside the supported years saturate to [`Date::MIN`] / [`Date::MAX`].
    pub fn from_days_since_unix_epoch(days: i64) -> Date {
        // Howard Hinnant's civil_from_days, the inverse of days_from_civil above.
        let shifted = days + 719_468;
        let era = shifted.div_euclid(146_097);
        let day_of_era = shifted - era * 146_097;
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
        let (Ok(year), Ok(month), Ok(day)) = (i32::try_from(year), u32::try_from(month), u32::try_from(day)) else {
            return if days < 0 { Date::MIN } else { Date::MAX };
        };
        Date::new(year, month, day).unwrap_or(if days < 0 { Date::MIN } else { Date::MAX })
    }

    /// The day before.
    pub fn previous_day(self) -> Date {
        Date::from_days_since_unix_epoch(self.days_since_unix_epoch() - 1)
    }

    /// The wire form.
    pub fn to_proto(self) -> pb::Date {
        pb::Date {
            year: self.year,
            month: self.month(),
            day: self.day(),
        }
    }

    /// Reads a date given in a request, naming `field` if it is missing or invalid.
    pub fn from_proto_field(field: &'static str, date: Option<&pb::Date>) -> Result<Date, DomainError> {
        let date = date.ok_or_else(|| DomainError::invalid(field, "a date is required"))?;
        Date::try_from(date).map_err(|invalid| DomainError::invalid(field, invalid.to_string()))
    }

    /// Reads the date of a recorded event; a missing or invalid one reads as [`Date::MIN`].
    pub(crate) fn from_event(date: Option<&pb::Date>) -> Date {
        date.and_then(|date| Date::try_from(date).ok()).unwrap_or(Date::MIN)
    }
}

impl TryFrom<&pb::Date> for Date {
    type Error = InvalidDate;

    fn try_from(date: &pb::Date) -> Result<Date, InvalidDate> {
        Date::new(date.year, date.month, date.day)
    }
}

impl From<Date> for pb::Date {
    fn from(date: Date) -> pb::Date {
        date.to_proto()
    }
}

/// ISO 8601 (`2008-05-25`): unambiguous for people and programs alike, unlike `25/5/2008`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A date the way Vietnamese documents print it (`01/01/2023`), for clerk-facing
/// sentences in Vietnamese; [`Date`]'s own `Display` stays ISO 8601.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VietnameseDate(pub Date);

impl fmt::Display for VietnameseDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{:02}/{:04}", self.0.day, self.0.month, self.0.year)
    }
}

/// A day that recurs every year, e.g. "before 10 December every year".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonthDay {
    month: u8,
    day: u8,
}

impl MonthDay {
    /// The day, if it exists in some year (29 February is allowed).
    pub fn new(month: u32, day: u32) -> Result<MonthDay, InvalidDate> {
        // 2000 is a leap year, so this accepts 29 February.
        let date = Date::new(2000, month, day)?;
        Ok(MonthDay {
            month: date.month,
            day: date.day,
        })
    }

    pub fn month(self) -> u32 {
        u32::from(self.month)
    }

    pub fn day(self) -> u32 {
        u32::from(self.day)
    }

    /// This day in `year`; 29 February falls back to 28 February in common years.
    pub fn in_year(self, year: i32) -> Date {
        let day = u32::from(self.day).min(days_in_month(year, self.month()));
        Date::new(year, self.month(), day).unwrap_or_else(|_| Date::last_day_of_year(year))
    }

    pub fn to_proto(self) -> pb::MonthDay {
        pb::MonthDay {
            month: self.month(),
            day: self.day(),
        }
    }

    pub(crate) fn from_event(month_day: Option<&pb::MonthDay>) -> Option<MonthDay> {
        month_day.and_then(|md| MonthDay::new(md.month, md.day).ok())
    }
}

impl fmt::Display for MonthDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "--{:02}-{:02}", self.month, self.day)
    }
}

fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_since_epoch_round_trip_across_eras_and_leap_days() {
        for days in (-719_162..=2_932_896)
            .step_by(997)
            .chain([-1, 0, 1, 59, 60, 11_016, 20_000])
        {
            let date = Date::from_days_since_unix_epoch(days);
            assert_eq!(date.days_since_unix_epoch(), days, "{date}");
        }
        assert_eq!(Date::from_days_since_unix_epoch(0), Date::new(1970, 1, 1).unwrap());
        assert_eq!(
            Date::from_days_since_unix_epoch(19_782),
            Date::new(2024, 2, 29).unwrap()
        );
        assert_eq!(Date::from_days_since_unix_epoch(i64::MAX / 2), Date::MAX);
        assert_eq!(Date::from_days_since_unix_epoch(i64::MIN / 2), Date::MIN);
    }

    #[test]
    fn rejects_days_that_do_not_exist() {
        assert!(Date::new(2023, 2, 29).is_err());
        assert!(Date::new(2024, 2, 29).is_ok());
        assert!(Date::new(1900, 2, 29).is_err());
        assert!(Date::new(2024, 4, 31).is_err());
        assert!(Date::new(2024, 13, 1).is_err());
        assert!(Date::new(0, 1, 1).is_err());
    }

    #[test]
    fn orders_chronologically() {
        let earlier = Date::new(2008, 5, 25).unwrap();
        let later = Date::new(2008, 12, 1).unwrap();
        assert!(earlier < later);
    }

    #[test]
    fn counts_days_from_the_unix_epoch() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_unix_epoch(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days_since_unix_epoch(), 11_017);
        assert_eq!(Date::new(1969, 12, 31).unwrap().days_since_unix_epoch(), -1);
        assert_eq!(Date::new(2025, 7, 1).unwrap().days_since_unix_epoch(), 20_270);
    }

    #[test]
    fn a_leap_day_deadline_falls_back_in_common_years() {
        let leap_day = MonthDay::new(2, 29).unwrap();
        assert_eq!(leap_day.in_year(2023), Date::new(2023, 2, 28).unwrap());
        assert_eq!(leap_day.in_year(2024), Date::new(2024, 2, 29).unwrap());
    }

    #[test]
    fn displays_as_iso_8601() {
        assert_eq!(Date::new(2008, 5, 25).unwrap().to_string(), "2008-05-25");
    }
}
