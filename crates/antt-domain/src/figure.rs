//! Reported figures (số liệu báo cáo): one stream per figure, holding the figure as a
//! source document states it and the corrections of its value.
//!
//! A figure is a unit's (an area's) count for an indicator and a period, e.g. "1,242
//! social security groups with 33,069 member households in 2008", as stated by report
//! 55/BC-BCĐ of 12/6/2018. Figures let the paper-era decade be loaded without inventing
//! the individuals behind it; projections may prefer figures computed from the events of
//! the individual records where those exist.
//!
//! The figure's record exists from the day it was reported (its effective date), which is
//! usually years after the period it is about: "what did the records say on D" and "what
//! was the count in 2008" are different questions, answered by the effective date and the
//! period.
//!
//! A value is never overwritten: a correction names the entry it replaces (the current one
//! on the correction's date) and why, so a figure's entries form one chain, first report
//! first, and the last entry effective on a date is the value in force on it.
//!
//! Rules: a figure is reported once; its period starts on or before the day it is reported
//! and overlaps the life of its area; a correction names the current entry on its date, is
//! not dated before it, and uses an id not yet used in the chain.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context, Decision};
use crate::{body, limits, text};

/// The figure aggregate.
pub struct Figure;

crate::aggregate!(Figure);

/// What can be asked of a figure's record.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Report(Report),
    Correct(Correct),
}

/// Reports a unit's figure for an indicator and a period.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub figure_id: Uuid,
    /// The area the figure is for, as its stream tells.
    pub unit: AreaFacts,
    pub indicator: pb::FigureIndicator,
    pub indicator_name: String,
    /// Unspecified: none given.
    pub force_type: pb::ForceType,
    /// Unspecified: all levels.
    pub handling_level: pb::HandlingLevel,
    /// Unspecified: none given.
    pub unit_level: pb::AreaLevel,
    pub period: Period,
    pub value: Value,
    /// The document stating it.
    pub source: Decision,
    pub effective_date: Date,
}

/// Replaces the figure's current value.
#[derive(Clone, Debug, PartialEq)]
pub struct Correct {
    pub correction_id: Uuid,
    /// The entry replaced: the current one on `effective_date`.
    pub corrects_id: Uuid,
    pub value: Value,
    pub reason: String,
    pub source: Option<Decision>,
    pub effective_date: Date,
}

/// The days a figure is about, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub first_day: Date,
    pub last_day: Date,
}

impl Period {
    /// A calendar year.
    pub fn year(year: i32) -> Period {
        Period {
            first_day: Date::first_day_of_year(year),
            last_day: Date::last_day_of_year(year),
        }
    }
}

/// A count as the source states it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value {
    pub count: u64,
    pub precision: pb::FigurePrecision,
    pub out_of: Option<u64>,
    pub share_permille: Option<u32>,
}

impl Value {
    fn to_proto(self) -> Result<pb::FigureValue, DomainError> {
        if self.count > limits::FIGURE_COUNT_MAX {
            return Err(DomainError::invalid(
                "value.count",
                format!("at most {}", limits::FIGURE_COUNT_MAX),
            ));
        }
        let precision = facts::specified("value.precision", self.precision)?;
        if let Some(out_of) = self.out_of.filter(|out_of| *out_of < self.count.max(1)) {
            return Err(DomainError::invalid(
                "value.out_of",
                format!("the total {out_of} is less than the count, or zero"),
            ));
        }
        if self.share_permille.is_some_and(|share| share > 1000) {
            return Err(DomainError::invalid(
                "value.share_permille",
                "a share is 0..=1000 tenths of a percent",
            ));
        }
        Ok(pb::FigureValue {
            count: self.count,
            precision: precision.into(),
            out_of: self.out_of,
            share_permille: self.share_permille,
        })
    }
}

domain_events! {
    upcast = no_upcasters;
    /// What happened to a figure.
    pub enum Event {
        Reported(pb::FigureReported) = "antt.v1.FigureReported" @ 1,
        Corrected(pb::FigureCorrected) = "antt.v1.FigureCorrected" @ 1,
    }
}

/// A figure as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    pub reported_on: Option<Date>,
    /// The figure as first reported; None until reported.
    pub figure: Option<pb::FigureReported>,
    /// The first report and its corrections in valid time; the last one is in force.
    pub entries: Vec<FigureEntry>,
}

/// One entry of a figure's chain.
#[derive(Clone, Debug, PartialEq)]
pub struct FigureEntry {
    /// The figure id for the first report, the correction id for a correction.
    pub entry_id: String,
    /// None for the first report.
    pub corrects_id: Option<String>,
    pub value: pb::FigureValue,
    /// Empty for the first report.
    pub reason: String,
    pub source: Option<pb::DecisionRef>,
    pub effective_date: Date,
}

impl State {
    /// The entry in force.
    pub fn current(&self) -> Option<&FigureEntry> {
        self.entries.last()
    }

    fn figure_id(&self) -> String {
        self.figure
            .as_ref()
            .map(|figure| figure.figure_id.clone())
            .unwrap_or_default()
    }
}

fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::Report(report) => report.effective_date,
        Command::Correct(correct) => correct.effective_date,
    }
}

/// Checks `command` against the figure: read into its event, then judged by [`check`].
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let event = match command {
        Command::Report(report) => decide_report(report, ctx)?,
        Command::Correct(correct) => decide_correct(state, correct, ctx)?,
    };
    check(state, &event)?;
    Ok(vec![event])
}

fn decide_report(report: Report, ctx: &Context) -> Result<Event, DomainError> {
    let indicator = facts::specified("indicator", report.indicator)?;
    check_qualifiers(&report)?;
    check_period(report.period, report.effective_date, &report.unit)?;
    Ok(Event::Reported(pb::FigureReported {
        figure_id: report.figure_id.to_string(),
        unit_area_id: report.unit.area_id.to_string(),
        unit_area_level: report.unit.level.into(),
        indicator: indicator.into(),
        indicator_name: body::kind_name(
            "indicator_name",
            indicator,
            pb::FigureIndicator::Other,
            &report.indicator_name,
        )?,
        force_type: report.force_type.into(),
        handling_level: report.handling_level.into(),
        unit_level: report.unit_level.into(),
        period: Some(pb::DatePeriod {
            first_day: Some(report.period.first_day.to_proto()),
            last_day: Some(report.period.last_day.to_proto()),
        }),
        value: Some(report.value.to_proto()?),
        source: Some(report.source.to_proto("source", ctx)?),
        effective_date: Some(report.effective_date.to_proto()),
    }))
}

/// The force is named for the team indicators; a handling level only qualifies incidents
/// and mediations, a unit level only units registered or rated.
fn check_qualifiers(report: &Report) -> Result<(), DomainError> {
    use pb::FigureIndicator as I;
    let indicator = report.indicator;
    let counts_teams = matches!(
        indicator,
        I::Teams | I::Members | I::MembersReplaced | I::TeamsConsolidated
    );
    if counts_teams && report.force_type == pb::ForceType::Unspecified {
        return Err(DomainError::invalid(
            "force_type",
            "say which force the teams are of (tổ bảo vệ ANTT, tổ ANXH, BCĐ…)",
        ));
    }
    let by_handling_level = matches!(indicator, I::Incidents | I::MediationsSucceeded);
    if !by_handling_level && report.handling_level != pb::HandlingLevel::Unspecified {
        return Err(DomainError::invalid(
            "handling_level",
            "only incidents and mediations are counted by handling level",
        ));
    }
    let by_unit_level = matches!(indicator, I::UnitsRegisteredToStrive | I::UnitsRatedSafe);
    if !by_unit_level && report.unit_level != pb::AreaLevel::Unspecified {
        return Err(DomainError::invalid(
            "unit_level",
            "only units registered to strive or rated safe are counted by level",
        ));
    }
    Ok(())
}

/// The period is well formed and started by the day it is reported (a malformed command),
/// and the unit's area existed at some time during it (a rule about the area). Overlap is
/// enough: a commune founded in March has figures for that year.
fn check_period(period: Period, reported_on: Date, unit: &AreaFacts) -> Result<(), DomainError> {
    if period.last_day < period.first_day {
        return Err(DomainError::invalid("period", "the last day is before the first"));
    }
    if period.first_day > reported_on {
        return Err(DomainError::invalid(
            "period",
            "a figure is reported on or after the first day of its period",
        ));
    }
    facts::ensure_since("the unit's area", period.last_day, unit.valid_from)?;
    facts::ensure_before_end("the unit's area", period.first_day, unit.ended_on)
}

fn decide_correct(state: &State, correct: Correct, ctx: &Context) -> Result<Event, DomainError> {
    Ok(Event::Corrected(pb::FigureCorrected {
        figure_id: state.figure_id(),
        correction_id: correct.correction_id.to_string(),
        corrects_id: correct.corrects_id.to_string(),
        value: Some(correct.value.to_proto()?),
        reason: text::required_text("reason", &correct.reason)?,
        source: facts::optional_decision("source", correct.source.as_ref(), ctx)?,
        effective_date: Some(correct.effective_date.to_proto()),
    }))
}

/// Whether `event` holds on the figure as it stood just before it took effect.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    match event {
        Event::Reported(_) => facts::ensure_not_recorded("the figure", state.reported_on),
        Event::Corrected(e) => check_correction(state, e),
    }
}

fn check_correction(state: &State, e: &pb::FigureCorrected) -> Result<(), DomainError> {
    let current = state.current().ok_or(DomainError::NotRecorded { what: "the figure" })?;
    let on = Date::from_event(e.effective_date.as_ref());
    facts::ensure_since("the figure's entry corrected", on, current.effective_date)?;
    if e.corrects_id != current.entry_id {
        return Err(DomainError::CorrectionMustNameCurrentFigure {
            current: current.entry_id.clone(),
        });
    }
    if state.entries.iter().any(|entry| entry.entry_id == e.correction_id) {
        return Err(DomainError::AlreadyRecorded {
            what: "an entry of this figure with this correction id",
        });
    }
    if state.entries.len() >= limits::FIGURE_ENTRIES_MAX {
        return Err(DomainError::FigureEntriesFull {
            entries_max: limits::FIGURE_ENTRIES_MAX,
        });
    }
    Ok(())
}

/// The figure after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Reported(e) => {
            state.reported_on = Some(on);
            state.figure = Some(e.clone());
            state.entries.push(FigureEntry {
                entry_id: e.figure_id.clone(),
                corrects_id: None,
                value: e.value.unwrap_or_default(),
                reason: String::new(),
                source: e.source.clone(),
                effective_date: on,
            });
        }
        Event::Corrected(e) => state.entries.push(FigureEntry {
            entry_id: e.correction_id.clone(),
            corrects_id: Some(e.corrects_id.clone()),
            value: e.value.unwrap_or_default(),
            reason: e.reason.clone(),
            source: e.source.clone(),
            effective_date: on,
        }),
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date, decision, id};
    use crate::{timeline_of, Aggregate, Timeline};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Figure>(given, when)
    }

    const FIGURE: u128 = 1;

    /// Households in Nga Sơn's social security groups in 2008: 33,069 (89.2 %), per report
    /// 55/BC-BCĐ of 12/6/2018.
    fn households_2008() -> Command {
        Command::Report(Report {
            figure_id: id(FIGURE),
            unit: area_facts(10, pb::AreaLevel::District),
            indicator: pb::FigureIndicator::HouseholdsInSocialSecurityGroups,
            indicator_name: String::new(),
            force_type: pb::ForceType::SocialSecurityGroup,
            handling_level: pb::HandlingLevel::Unspecified,
            unit_level: pb::AreaLevel::Unspecified,
            period: Period::year(2008),
            value: exact(33_069),
            source: decision("55/BC-BCĐ", date(2018, 6, 12)),
            effective_date: date(2018, 6, 12),
        })
    }

    fn exact(count: u64) -> Value {
        Value {
            count,
            precision: pb::FigurePrecision::Exact,
            out_of: None,
            share_permille: Some(892),
        }
    }

    fn correct(correction: u128, corrects: u128, count: u64, on: Date) -> Command {
        Command::Correct(Correct {
            correction_id: id(correction),
            corrects_id: id(corrects),
            value: exact(count),
            reason: "nhầm số liệu khi tổng hợp".to_owned(),
            source: None,
            effective_date: on,
        })
    }

    fn reported() -> Vec<Event> {
        check(vec![], households_2008()).unwrap()
    }

    /// The events of `given` then `more`, decided one after the other.
    fn recorded(mut given: Vec<Event>, more: Command) -> Vec<Event> {
        given.extend(check(given.clone(), more).unwrap());
        given
    }

    fn value_on(events: &[Event], on: Date) -> Option<u64> {
        let timeline: Timeline<Figure> = timeline_of::<Figure>(events);
        timeline.state_as_of(on).current().map(|entry| entry.value.count)
    }

    #[test]
    fn a_figure_is_reported_once() {
        assert_eq!(
            check(reported(), households_2008()),
            Err(DomainError::AlreadyRecorded { what: "the figure" })
        );
    }

    #[test]
    fn the_value_in_force_depends_on_the_date() {
        let events = recorded(reported(), correct(2, FIGURE, 33_096, date(2019, 1, 10)));
        assert_eq!(value_on(&events, date(2018, 6, 11)), None);
        assert_eq!(value_on(&events, date(2018, 6, 12)), Some(33_069));
        assert_eq!(value_on(&events, date(2019, 1, 9)), Some(33_069));
        assert_eq!(value_on(&events, date(2019, 1, 10)), Some(33_096));
        let state = crate::replay::<Figure>(&events);
        assert_eq!(state.entries[1].corrects_id, Some(id(FIGURE).to_string()));
    }

    #[test]
    fn a_correction_names_the_current_entry_on_its_date() {
        let events = recorded(reported(), correct(2, FIGURE, 33_096, date(2019, 1, 10)));
        // In 2020 the current entry is the correction, not the first report.
        assert_eq!(
            check(events.clone(), correct(3, FIGURE, 1, date(2020, 1, 1))),
            Err(DomainError::CorrectionMustNameCurrentFigure {
                current: id(2).to_string()
            })
        );
        assert!(check(events.clone(), correct(3, 2, 1, date(2020, 1, 1))).is_ok());
        // In 2018 it was the first report; but a correction then would leave the 2019
        // correction naming an entry that is no longer current.
        assert_eq!(
            check(events, correct(3, FIGURE, 1, date(2018, 9, 1))),
            Err(DomainError::ContradictsLaterRecord {
                on: date(2019, 1, 10),
                rule: Box::new(DomainError::CorrectionMustNameCurrentFigure {
                    current: id(3).to_string()
                }),
            })
        );
    }

    #[test]
    fn a_correction_is_not_dated_before_the_figure() {
        assert!(matches!(
            check(reported(), correct(2, FIGURE, 1, date(2018, 6, 11))),
            Err(DomainError::BeforeExistence {
                what: "the figure's entry corrected",
                ..
            })
        ));
        assert_eq!(
            check(vec![], correct(2, FIGURE, 1, date(2019, 1, 1))),
            Err(DomainError::NotRecorded { what: "the figure" })
        );
    }

    #[test]
    fn a_correction_id_is_used_once_in_the_chain() {
        let events = recorded(reported(), correct(2, FIGURE, 2, date(2019, 1, 10)));
        assert!(matches!(
            check(events.clone(), correct(2, 2, 3, date(2019, 2, 1))),
            Err(DomainError::AlreadyRecorded { .. })
        ));
        assert!(matches!(
            check(events, correct(FIGURE, 2, 3, date(2019, 2, 1))),
            Err(DomainError::AlreadyRecorded { .. })
        ));
    }

    #[test]
    fn a_figure_is_of_a_period_its_area_lived_in() {
        let Command::Report(mut report) = households_2008() else {
            unreachable!()
        };
        report.period = Period::year(2007);
        assert!(matches!(
            check(vec![], Command::Report(report.clone())),
            Err(DomainError::BeforeExistence {
                what: "the unit's area",
                ..
            })
        ));
        report.unit.ended_on = Some(date(2008, 3, 1));
        report.period = Period::year(2008);
        assert!(check(vec![], Command::Report(report.clone())).is_ok());
        report.period = Period::year(2009);
        assert!(matches!(
            check(vec![], Command::Report(report)),
            Err(DomainError::AfterEnd {
                what: "the unit's area",
                ..
            })
        ));
    }

    #[test]
    fn malformed_figures_are_named() {
        let Command::Report(report) = households_2008() else {
            unreachable!()
        };
        let refused = |report: Report| check(vec![], Command::Report(report)).unwrap_err().field();
        let teams_of_no_force = Report {
            indicator: pb::FigureIndicator::Teams,
            force_type: pb::ForceType::Unspecified,
            ..report.clone()
        };
        assert_eq!(refused(teams_of_no_force), Some("force_type"));
        let households_by_level = Report {
            handling_level: pb::HandlingLevel::CommunePolice,
            ..report.clone()
        };
        assert_eq!(refused(households_by_level), Some("handling_level"));
        let reported_before_its_period = Report {
            period: Period::year(2019),
            ..report.clone()
        };
        assert_eq!(refused(reported_before_its_period), Some("period"));
        let share_over_all = Report {
            value: Value {
                out_of: Some(100),
                ..exact(33_069)
            },
            ..report.clone()
        };
        assert_eq!(refused(share_over_all), Some("value.out_of"));
        let unnamed_other = Report {
            indicator: pb::FigureIndicator::Other,
            ..report
        };
        assert_eq!(refused(unnamed_other), Some("indicator_name"));
    }

    #[test]
    fn incidents_are_counted_by_handling_level() {
        let Command::Report(report) = households_2008() else {
            unreachable!()
        };
        let protection_teams = Report {
            indicator: pb::FigureIndicator::Incidents,
            force_type: pb::ForceType::Unspecified,
            handling_level: pb::HandlingLevel::SecurityProtectionTeam,
            period: Period {
                first_day: date(2008, 1, 1),
                last_day: date(2018, 6, 12),
            },
            value: Value {
                count: 1_500,
                precision: pb::FigurePrecision::MoreThan,
                out_of: None,
                share_permille: Some(300),
            },
            ..report
        };
        let events = check(vec![], Command::Report(protection_teams)).unwrap();
        let state = Figure::evolve(State::default(), &events[0]);
        let figure = state.figure.unwrap();
        assert_eq!(figure.handling_level(), pb::HandlingLevel::SecurityProtectionTeam);
        assert_eq!(figure.value.unwrap().precision(), pb::FigurePrecision::MoreThan);
    }
}
