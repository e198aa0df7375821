//! `antt report`: the ten-year report of an area — forces, member changes, social
//! security coverage, incidents and ratings, year by year and over the whole range — as
//! Markdown tables with Vietnamese headings, or as one JSON document with English keys.
//!
//! - [`Scope`]: the years asked for, each with the day its figures are read as of
//!   (31/12, or `--as-of` if earlier), and the moment of the records (`--known-at`).
//! - `fetch.rs`: the Projections RPCs for each year and for the whole range ([`Answers`]).
//! - `tables.rs`: pure: answers → [`Table`]s, one function per table.
//! - `render.rs`: pure: tables → Markdown or JSON; neither knows what a table holds.
//!
//! A table for a new RPC is one function in `tables.rs` over its answers (and the call
//! that fetches them in `fetch.rs`); Markdown and JSON render it as they render the rest.

mod fetch;
mod render;
mod tables;

use std::io::Write;

use antt_domain::Date;
use antt_proto::v1 as pb;
use clap::Args;

pub use fetch::{fetch, Answers, Figures, Totals, YearAnswers};
pub use render::{json, markdown};
pub use tables::{tables, Cell, Column, Row, RowScope, Shape, Table};

use crate::client;
use crate::error::CliError;

/// Most years one report covers: each year is four calls, and a report is read by people.
pub const REPORT_YEARS_MAX: i32 = 50;

/// The first year the records can speak of (the server refuses days before it).
pub const REPORT_YEAR_MIN: i32 = 1945;

#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// The area's official code, as of the last day reported (e.g. 38 for Thanh Hóa, 15016
    /// for Nga Thái before the 2025 reform).
    #[arg(
        long,
        value_name = "CODE",
        required_unless_present = "area_id",
        conflicts_with = "area_id"
    )]
    pub area: Option<String>,
    /// The area's id instead of its code: for an area that no longer has one.
    #[arg(long, value_name = "ID")]
    pub area_id: Option<String>,
    /// First year reported.
    #[arg(long, value_name = "YEAR")]
    pub from: i32,
    /// Last year reported.
    #[arg(long, value_name = "YEAR")]
    pub to: i32,
    /// Read every year's figures as of this day at the latest (YYYY-MM-DD) [default: today in Vietnam].
    #[arg(long, value_name = "DATE", value_parser = crate::dates::parse_date)]
    pub as_of: Option<pb::Date>,
    /// Use the records as they stood at this moment (YYYY-MM-DD or RFC 3339) [default: now].
    #[arg(long, value_name = "TIME", value_parser = crate::dates::parse_time)]
    pub known_at: Option<prost_types::Timestamp>,
    /// Print one JSON document (English keys, one object per year and the totals) instead of Markdown.
    #[arg(long)]
    pub json: bool,
}

/// Which area the report is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AreaArg {
    Code(String),
    Id(String),
}

/// One year of the report and the day its figures are read as of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReportYear {
    pub year: i32,
    pub as_of: Date,
}

impl ReportYear {
    pub fn first_day(self) -> Date {
        Date::first_day_of_year(self.year)
    }
}

/// What a report asks about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub area: AreaArg,
    pub years: Vec<ReportYear>,
    pub known_at: Option<prost_types::Timestamp>,
}

impl Scope {
    /// The years `from..=to`, each read as of 31/12 or `as_of` (default `today`),
    /// whichever is earlier. A year that begins after that day has no figures to read.
    pub fn new(
        area: AreaArg,
        from: i32,
        to: i32,
        as_of: Option<Date>,
        known_at: Option<prost_types::Timestamp>,
        today: Date,
    ) -> Result<Scope, CliError> {
        let cap = as_of.unwrap_or(today);
        if from > to {
            return Err(CliError::Input(format!("--from {from} is after --to {to}")));
        }
        if from < REPORT_YEAR_MIN {
            return Err(CliError::Input(format!(
                "--from {from}: the records begin in {REPORT_YEAR_MIN}"
            )));
        }
        if to - from >= REPORT_YEARS_MAX {
            return Err(CliError::Input(format!(
                "{from}–{to} is more than {REPORT_YEARS_MAX} years; report a shorter range"
            )));
        }
        if cap < Date::first_day_of_year(to) {
            let flag = if as_of.is_some() { "--as-of" } else { "today" };
            return Err(CliError::Input(format!(
                "--to {to} is after {flag} ({}): that year has no figures yet",
                antt_domain::date::VietnameseDate(cap)
            )));
        }
        let years = (from..=to)
            .map(|year| ReportYear {
                year,
                as_of: Date::last_day_of_year(year).min(cap),
            })
            .collect();
        Ok(Scope { area, years, known_at })
    }

    /// The last year's day: the areas are named as of it and the totals read on it.
    pub fn last_day(&self) -> Date {
        self.years.last().map_or(Date::MIN, |year| year.as_of)
    }

    /// The first day of the first year.
    pub fn first_day(&self) -> Date {
        self.years.first().map_or(Date::MIN, |year| year.first_day())
    }
}

/// Today's date in Vietnam (UTC+7), by the clock of this machine.
pub fn today_in_vietnam() -> Date {
    const VIETNAM_OFFSET_SECS: i64 = 7 * 3600;
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| i64::try_from(since.as_secs()).unwrap_or(i64::MAX));
    Date::from_days_since_unix_epoch((seconds + VIETNAM_OFFSET_SECS).div_euclid(86_400))
}

impl ReportArgs {
    pub fn scope(&self, today: Date) -> Result<Scope, CliError> {
        let area = match (&self.area, &self.area_id) {
            (_, Some(id)) => AreaArg::Id(id.clone()),
            (Some(code), None) => AreaArg::Code(code.clone()),
            (None, None) => return Err(CliError::Input("name the area with --area CODE or --area-id ID".into())),
        };
        let as_of = self
            .as_of
            .as_ref()
            .map(Date::try_from)
            .transpose()
            .map_err(|error| CliError::Input(format!("--as-of: {error}")))?;
        Scope::new(area, self.from, self.to, as_of, self.known_at, today)
    }
}

/// `antt report`: fetches, renders and prints.
pub async fn run(server: &str, args: ReportArgs) -> Result<(), CliError> {
    let scope = args.scope(today_in_vietnam())?;
    let channel = client::connected(server).await?;
    let answers = fetch(channel, &scope).await?;
    let tables = tables(&answers);
    let text = if args.json {
        let mut text = serde_json::to_string_pretty(&json(&answers, &tables))
            .map_err(|error| CliError::Output(std::io::Error::other(error)))?;
        text.push('\n');
        text
    } else {
        markdown(&answers, &tables)
    };
    std::io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(CliError::Output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> Date {
        Date::new(year, month, day).unwrap()
    }

    fn code() -> AreaArg {
        AreaArg::Code("38".into())
    }

    #[test]
    fn each_year_is_read_as_of_its_last_day_or_as_of_if_earlier() {
        let scope = Scope::new(code(), 2018, 2020, Some(day(2020, 6, 30)), None, day(2026, 1, 5)).unwrap();
        let days: Vec<(i32, Date)> = scope.years.iter().map(|year| (year.year, year.as_of)).collect();
        assert_eq!(
            days,
            vec![
                (2018, day(2018, 12, 31)),
                (2019, day(2019, 12, 31)),
                (2020, day(2020, 6, 30))
            ]
        );
        assert_eq!(
            (scope.first_day(), scope.last_day()),
            (day(2018, 1, 1), day(2020, 6, 30))
        );
        let this_year = Scope::new(code(), 2025, 2026, None, None, day(2026, 3, 2)).unwrap();
        assert_eq!(
            this_year.last_day(),
            day(2026, 3, 2),
            "the current year is read as of today"
        );
    }

    #[test]
    fn ranges_that_cannot_be_reported_are_refused() {
        let today = day(2026, 3, 2);
        for (from, to, as_of) in [
            (2021, 2020, None),
            (1900, 1950, None),
            (1950, 2020, None),
            (2020, 2027, None),
            (2018, 2021, Some(day(2020, 12, 31))),
        ] {
            let refused = Scope::new(code(), from, to, as_of, None, today);
            assert!(matches!(refused, Err(CliError::Input(_))), "{from}–{to} {as_of:?}");
        }
    }
}
