//! Yearly targets of a resolution (seed 004) and the values recorded against them: one
//! stream per target.
//!
//! A target names an indicator, a threshold ("at least 100 %" or "lower than the year
//! before"), the units measured (e.g. the communes of a province) and the years it
//! covers; units then record one value per year (a value taking effect later supersedes
//! an earlier one) and submit their yearly report, late when not before the report day
//! (e.g. 30 November).
//!
//! Rules kept here: a target is set once; values and reports are for a year the target
//! covers, from that year's start and not before the target was set, by units of the
//! measured level that existed during the year and lay inside the scope area at its end
//! ([`unit_scope_date`]); one report per unit and year. They hold
//! at every date (see [`crate::timeline`]): a report typed in for an earlier date than
//! the one recorded is refused, naming the recorded one's date. The six targets of seed 004 map onto [`pb::TargetIndicator`]; attainment
//! is computed from the recorded values by [`State::unit_meets`] and
//! [`State::year_attained`].

use std::collections::BTreeMap;

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::{Date, MonthDay};
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context, Decision};
use crate::{area, text};

/// The target aggregate.
pub struct Target;

crate::aggregate!(Target);

/// What can be asked of a target.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Set(SetTarget),
    RecordValue {
        unit: AreaFacts,
        /// The areas `unit` lay within on [`unit_scope_date`], read by the API layer from
        /// the area tree as it stood then.
        unit_ancestors: Vec<Uuid>,
        year: i32,
        value: IndicatorValue,
        source: String,
        effective_date: Date,
    },
    RecordReportSubmitted {
        unit: AreaFacts,
        /// As for [`Command::RecordValue`].
        unit_ancestors: Vec<Uuid>,
        year: i32,
        report: Option<Decision>,
        effective_date: Date,
    },
}

/// Sets a yearly target.
#[derive(Clone, Debug, PartialEq)]
pub struct SetTarget {
    pub target_id: Uuid,
    pub resolution: Decision,
    pub indicator: pb::TargetIndicator,
    pub description: String,
    pub threshold: Threshold,
    /// The area whose units are measured, e.g. the province.
    pub scope: AreaFacts,
    /// The level of the units measured, e.g. commune.
    pub unit_level: pb::AreaLevel,
    pub first_year: i32,
    pub last_year: i32,
    pub report_due_before: Option<MonthDay>,
    /// e.g. ["xã", "thị trấn"]: no wards. Empty: every unit of the level.
    pub unit_division_types: Vec<String>,
    pub effective_date: Date,
}

/// What counts as meeting the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    /// At least this share (0..=100 %).
    ShareAtLeast { percent: u32 },
    /// Lower than the year before.
    LowerThanPreviousYear,
}

/// A unit's value for a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndicatorValue {
    Achieved(bool),
    Ratio { numerator: u64, denominator: u64 },
    Count(u64),
}

/// The kind of value an indicator is measured in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    Achieved,
    Ratio,
    Count,
}

impl ValueKind {
    /// How `indicator` is measured.
    pub fn of(indicator: pb::TargetIndicator) -> Option<ValueKind> {
        use pb::TargetIndicator as I;
        match indicator {
            I::Unspecified => None,
            I::CommuneResolutionAndPlan | I::GrassrootsDemocracyApplied | I::FreeOfMassComplaints => {
                Some(ValueKind::Achieved)
            }
            I::HeadsRatedGoodOrBetter | I::ComplexComplaintsDialogued | I::JudicialCasesHandledOnTime => {
                Some(ValueKind::Ratio)
            }
            I::ComplexComplaints | I::SocialOrderCrimes => Some(ValueKind::Count),
        }
    }

    fn label(self) -> &'static str {
        match self {
            ValueKind::Achieved => "achieved or not",
            ValueKind::Ratio => "a ratio of two counts",
            ValueKind::Count => "a count",
        }
    }

    fn of_value(value: &IndicatorValue) -> ValueKind {
        match value {
            IndicatorValue::Achieved(_) => ValueKind::Achieved,
            IndicatorValue::Ratio { .. } => ValueKind::Ratio,
            IndicatorValue::Count(_) => ValueKind::Count,
        }
    }
}

domain_events! {
    upcast = no_upcasters;
    /// What happened to a target.
    pub enum Event {
        Set(pb::TargetSet) = "antt.v1.TargetSet" @ 1,
        ValueRecorded(pb::TargetValueRecorded) = "antt.v1.TargetValueRecorded" @ 1,
        ReportSubmitted(pb::TargetReportSubmitted) = "antt.v1.TargetReportSubmitted" @ 1,
    }
}

/// A target as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Empty until set.
    pub target_id: String,
    pub set_on: Option<Date>,
    pub indicator: pb::TargetIndicator,
    /// None until set, or if the recorded threshold could not be read.
    pub threshold: Option<Threshold>,
    pub scope_area_id: String,
    pub unit_level: pb::AreaLevel,
    /// Empty: every unit of the level.
    pub unit_division_types: Vec<String>,
    pub first_year: i32,
    pub last_year: i32,
    pub report_due_before: Option<MonthDay>,
    /// The value in force per (unit area id, year): the one that took effect last.
    pub values: BTreeMap<(String, i32), IndicatorValue>,
    /// Submission date per (unit area id, year).
    pub reports: BTreeMap<(String, i32), Date>,
}

impl State {
    /// Whether the unit met the target in `year`; None when it cannot be told (no value,
    /// or no value for the year before when that is the comparison).
    pub fn unit_meets(&self, unit_area_id: &str, year: i32) -> Option<bool> {
        let value = self.values.get(&(unit_area_id.to_owned(), year))?;
        match (self.threshold?, *value) {
            (Threshold::ShareAtLeast { percent }, IndicatorValue::Achieved(achieved)) => Some(achieved || percent == 0),
            (Threshold::ShareAtLeast { percent }, IndicatorValue::Ratio { numerator, denominator }) => {
                Some(share_reaches(numerator, denominator, percent))
            }
            (Threshold::LowerThanPreviousYear, IndicatorValue::Count(count)) => {
                match self.values.get(&(unit_area_id.to_owned(), year - 1))? {
                    IndicatorValue::Count(previous) => Some(count < *previous),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Whether the target was attained in `year` over the units that recorded values: the
    /// share of units achieving, the summed ratio, or the summed count against the same
    /// units' sum for the year before. None without values.
    pub fn year_attained(&self, year: i32) -> Option<bool> {
        let values: Vec<(&str, IndicatorValue)> = self
            .values
            .iter()
            .filter(|((_, value_year), _)| *value_year == year)
            .map(|((unit, _), value)| (unit.as_str(), *value))
            .collect();
        if values.is_empty() {
            return None;
        }
        match self.threshold? {
            Threshold::ShareAtLeast { percent } => {
                let (numerator, denominator) = values.iter().fold((0u64, 0u64), |(n, d), (_, value)| match value {
                    IndicatorValue::Achieved(achieved) => (n + u64::from(*achieved), d + 1),
                    IndicatorValue::Ratio { numerator, denominator } => {
                        (n.saturating_add(*numerator), d.saturating_add(*denominator))
                    }
                    IndicatorValue::Count(_) => (n, d),
                });
                Some(share_reaches(numerator, denominator, percent))
            }
            Threshold::LowerThanPreviousYear => self.total_count_fell(&values, year),
        }
    }

    fn total_count_fell(&self, values: &[(&str, IndicatorValue)], year: i32) -> Option<bool> {
        let (mut this_year, mut previous_year) = (0u64, 0u64);
        for (unit, value) in values {
            let previous = self.values.get(&((*unit).to_owned(), year - 1));
            if let (IndicatorValue::Count(count), Some(IndicatorValue::Count(previous))) = (value, previous) {
                this_year = this_year.saturating_add(*count);
                previous_year = previous_year.saturating_add(*previous);
            }
        }
        (previous_year > 0 || this_year > 0).then_some(this_year < previous_year)
    }

    /// Whether the unit's report for `year` was late; None if not submitted or no report
    /// day is set.
    pub fn report_late(&self, unit_area_id: &str, year: i32) -> Option<bool> {
        let submitted_on = self.reports.get(&(unit_area_id.to_owned(), year))?;
        let due = self.report_due_before?.in_year(year);
        Some(*submitted_on >= due)
    }

    fn ensure_set(&self) -> Result<(), DomainError> {
        facts::ensure_recorded("the target", self.set_on).map(|_| ())
    }

    /// `unit` is of the measured level, existed during `year` and lay inside the scope
    /// area at its end. Read when the command is: the payload does not carry the
    /// unit's level or place, and the target's own terms never change once set.
    fn ensure_measures_unit(&self, unit: &AreaFacts, ancestors: &[Uuid], year: i32) -> Result<(), DomainError> {
        self.ensure_set()?;
        if unit.level != self.unit_level {
            return Err(DomainError::UnitLevelOutsideScope {
                expected: area::level_label(self.unit_level),
                actual: area::level_label(unit.level),
            });
        }
        let in_scope = self.unit_division_types.is_empty() || self.unit_division_types.contains(&unit.division_type);
        if !in_scope {
            return Err(DomainError::UnitDivisionOutsideScope {
                division_type: unit.division_type.clone(),
                measured: self.unit_division_types.join(", "),
            });
        }
        facts::ensure_since("the area", Date::last_day_of_year(year), unit.valid_from)?;
        facts::ensure_before_end("the area", Date::first_day_of_year(year), unit.ended_on)?;
        if !ancestors.iter().any(|id| id.to_string() == self.scope_area_id) {
            return Err(DomainError::UnitOutsideScopeArea {
                unit: unit.area_id,
                scope: self.scope_area_id.clone(),
                on: unit_scope_date(unit, year),
            });
        }
        Ok(())
    }

    /// A fact for `year` on `effective`: the target covers the year, was set by then, and
    /// the year has begun. The year's bounds are told first, so a value for 2030 reads
    /// "outside the target" rather than "not yet 2030".
    fn ensure_covers(&self, year: i32, effective: Date) -> Result<(), DomainError> {
        self.ensure_covers_from(self.first_year, year, effective)
    }

    /// Like [`State::ensure_covers`], for a value, which may also be the baseline: the
    /// year before the range, that the first year is compared with ("lower than the year
    /// before").
    fn ensure_covers_value(&self, year: i32, effective: Date) -> Result<(), DomainError> {
        self.ensure_covers_from(self.first_year.saturating_sub(1), year, effective)
    }

    fn ensure_covers_from(&self, first_year: i32, year: i32, effective: Date) -> Result<(), DomainError> {
        let set_on = facts::ensure_recorded("the target", self.set_on)?;
        if !(first_year..=self.last_year).contains(&year) {
            return Err(DomainError::YearOutsideTarget {
                year,
                first_year: self.first_year,
                last_year: self.last_year,
            });
        }
        facts::ensure_since("the target", effective, set_on)?;
        facts::ensure_since("the target year", effective, Date::first_day_of_year(year))
    }
}

/// The day on which a unit's place decides whether a target measures it for `year`: the
/// year's last day, or the unit's last day if it ended during the year. A commune merged
/// away in the 2025 reform still reports that year to the province it belonged to, and
/// the commune formed from it to the province it belongs to on 31 December.
pub fn unit_scope_date(unit: &AreaFacts, year: i32) -> Date {
    let last_day = Date::last_day_of_year(year);
    match unit.ended_on {
        Some(ended_on) if ended_on <= last_day => ended_on.previous_day(),
        _ => last_day,
    }
}

/// numerator / denominator ≥ percent / 100, in integers; an empty ratio reaches nothing.
fn share_reaches(numerator: u64, denominator: u64, percent: u32) -> bool {
    denominator > 0 && u128::from(numerator) * 100 >= u128::from(percent) * u128::from(denominator)
}
fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::Set(set) => set.effective_date,
        Command::RecordValue { effective_date, .. } | Command::RecordReportSubmitted { effective_date, .. } => {
            *effective_date
        }
    }
}

/// Checks `command` against the target as it stood on the command's effective date: the
/// command is read into its event, then the event is judged by [`check`], the rules that
/// also judge every later record again (see [`crate::timeline`]).
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let event = build_event(state, command, ctx)?;
    check(state, &event)?;
    Ok(vec![event])
}

/// The event a command asks for, with its own fields checked against the target's terms
/// (indicator, unit level), which never change once set; the rules that depend on what
/// was recorded when are [`check`]'s.
fn build_event(state: &State, command: Command, ctx: &Context) -> Result<Event, DomainError> {
    Ok(match command {
        Command::Set(set) => build_set(set, ctx)?,
        Command::RecordValue {
            unit,
            unit_ancestors,
            year,
            value,
            source,
            effective_date,
        } => {
            state.ensure_measures_unit(&unit, &unit_ancestors, year)?;
            let unit_area_id = unit.area_id.to_string();
            // What was known on the value's date; evolve does not read it, so a value
            // typed in later for an earlier date cannot make it wrong.
            let supersedes_previous = state.values.contains_key(&(unit_area_id.clone(), year));
            Event::ValueRecorded(pb::TargetValueRecorded {
                target_id: state.target_id.clone(),
                unit_area_id,
                year,
                value: Some(value_to_proto(state.indicator, value)?),
                source: text::optional_name("source", &source)?,
                supersedes_previous,
                effective_date: Some(effective_date.to_proto()),
            })
        }
        Command::RecordReportSubmitted {
            unit,
            unit_ancestors,
            year,
            report,
            effective_date,
        } => {
            state.ensure_measures_unit(&unit, &unit_ancestors, year)?;
            Event::ReportSubmitted(pb::TargetReportSubmitted {
                target_id: state.target_id.clone(),
                unit_area_id: unit.area_id.to_string(),
                year,
                report: facts::optional_decision("report", report.as_ref(), ctx)?,
                effective_date: Some(effective_date.to_proto()),
            })
        }
    })
}

/// Whether `event` holds on `state`, the target as it stood just before the event took
/// effect: set once; values and reports for a covered year, from the year's start and
/// not before the target was set; one report per unit and year.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Set(_) => facts::ensure_not_recorded("the target", state.set_on),
        Event::ValueRecorded(e) => state.ensure_covers_value(e.year, on),
        Event::ReportSubmitted(e) => {
            state.ensure_covers(e.year, on)?;
            if state.reports.contains_key(&(e.unit_area_id.clone(), e.year)) {
                return Err(DomainError::AlreadyRecorded {
                    what: "the unit's report for the year",
                });
            }
            Ok(())
        }
    }
}

fn build_set(set: SetTarget, ctx: &Context) -> Result<Event, DomainError> {
    let indicator = facts::specified("indicator", set.indicator)?;
    let unit_level = facts::specified("unit_level", set.unit_level)?;
    let scope_is_above = matches!(
        (area::level_rank(set.scope.level), area::level_rank(unit_level)),
        (Some(scope), Some(unit)) if scope < unit
    );
    if !scope_is_above {
        return Err(DomainError::invalid(
            "unit_level",
            "the measured units lie inside the scope area",
        ));
    }
    set.scope.ensure_exists_on(set.effective_date)?;
    let first_year = facts::year("first_year", set.first_year)?;
    let last_year = facts::year("last_year", set.last_year)?;
    if last_year < first_year {
        return Err(DomainError::invalid("last_year", "must not be before first_year"));
    }
    Ok(Event::Set(pb::TargetSet {
        target_id: set.target_id.to_string(),
        resolution: Some(set.resolution.to_proto("resolution", ctx)?),
        indicator: indicator.into(),
        description: text::required_text("description", &set.description)?,
        threshold: Some(threshold_to_proto(indicator, set.threshold)?),
        scope_area_id: set.scope.area_id.to_string(),
        unit_level: unit_level.into(),
        first_year,
        last_year,
        report_due_before: set.report_due_before.map(MonthDay::to_proto),
        effective_date: Some(set.effective_date.to_proto()),
        unit_division_types: facts::names("unit_division_types", &set.unit_division_types)?,
    }))
}

fn threshold_to_proto(
    indicator: pb::TargetIndicator,
    threshold: Threshold,
) -> Result<pb::target_set::Threshold, DomainError> {
    use pb::target_set::Threshold as Wire;
    let counts = ValueKind::of(indicator) == Some(ValueKind::Count);
    match threshold {
        Threshold::ShareAtLeast { percent } if counts => Err(DomainError::invalid(
            "threshold",
            format!("a count is compared with the year before, not a share of {percent} %"),
        )),
        Threshold::ShareAtLeast { percent } if percent > 100 => {
            Err(DomainError::invalid("threshold", "a share is at most 100 %"))
        }
        Threshold::ShareAtLeast { percent } => Ok(Wire::ShareAtLeast(pb::ShareAtLeast { percent })),
        Threshold::LowerThanPreviousYear if !counts => Err(DomainError::invalid(
            "threshold",
            "only counts are compared with the year before",
        )),
        Threshold::LowerThanPreviousYear => Ok(Wire::LowerThanPreviousYear(pb::LowerThanPreviousYear {})),
    }
}

fn value_to_proto(
    indicator: pb::TargetIndicator,
    value: IndicatorValue,
) -> Result<pb::target_value_recorded::Value, DomainError> {
    use pb::target_value_recorded::Value as Wire;
    let expected = ValueKind::of(indicator).ok_or(DomainError::NotRecorded { what: "the target" })?;
    if ValueKind::of_value(&value) != expected {
        return Err(DomainError::ValueKindMismatch {
            expected: expected.label(),
        });
    }
    Ok(match value {
        IndicatorValue::Achieved(achieved) => Wire::Achieved(achieved),
        IndicatorValue::Ratio { numerator, denominator } => {
            if denominator == 0 || numerator > denominator {
                return Err(DomainError::invalid("value", "a ratio is n of d with 1 ≤ d and n ≤ d"));
            }
            Wire::Ratio(pb::IndicatorRatio { numerator, denominator })
        }
        IndicatorValue::Count(count) => Wire::Count(count),
    })
}

/// The target after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Set(e) => {
            state.target_id = e.target_id.clone();
            state.set_on = Some(on);
            state.indicator = e.indicator();
            state.threshold = threshold_from_event(e.threshold.as_ref());
            state.scope_area_id = e.scope_area_id.clone();
            state.unit_level = e.unit_level();
            state.unit_division_types = e.unit_division_types.clone();
            state.first_year = e.first_year;
            state.last_year = e.last_year;
            state.report_due_before = MonthDay::from_event(e.report_due_before.as_ref());
        }
        Event::ValueRecorded(e) => {
            // The latest value in valid time wins, whatever `supersedes_previous` says:
            // that flag tells what was known when the value was recorded.
            if let Some(value) = value_from_event(e.value.as_ref()) {
                state.values.insert((e.unit_area_id.clone(), e.year), value);
            }
        }
        Event::ReportSubmitted(e) => {
            state.reports.insert((e.unit_area_id.clone(), e.year), on);
        }
    }
    state
}

fn threshold_from_event(threshold: Option<&pb::target_set::Threshold>) -> Option<Threshold> {
    use pb::target_set::Threshold as Wire;
    Some(match threshold? {
        Wire::ShareAtLeast(share) => Threshold::ShareAtLeast { percent: share.percent },
        Wire::LowerThanPreviousYear(_) => Threshold::LowerThanPreviousYear,
    })
}

fn value_from_event(value: Option<&pb::target_value_recorded::Value>) -> Option<IndicatorValue> {
    use pb::target_value_recorded::Value as Wire;
    Some(match value? {
        Wire::Achieved(achieved) => IndicatorValue::Achieved(*achieved),
        Wire::Ratio(ratio) => IndicatorValue::Ratio {
            numerator: ratio.numerator,
            denominator: ratio.denominator,
        },
        Wire::Count(count) => IndicatorValue::Count(*count),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date, decision, id};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Target>(given, when)
    }

    fn with(mut given: Vec<Event>, command: Command) -> Vec<Event> {
        given.extend(check(given.clone(), command).unwrap());
        given
    }

    fn set(indicator: pb::TargetIndicator, threshold: Threshold) -> Command {
        Command::Set(SetTarget {
            target_id: id(1),
            resolution: decision("NQ-TU", date(2021, 7, 1)),
            indicator,
            description: "Hằng năm, 100% các xã, thị trấn…".to_owned(),
            threshold,
            scope: area_facts(38, pb::AreaLevel::Province),
            unit_level: pb::AreaLevel::Commune,
            first_year: 2021,
            last_year: 2025,
            report_due_before: Some(MonthDay::new(11, 30).unwrap()),
            unit_division_types: Vec::new(),
            effective_date: date(2021, 7, 1),
        })
    }

    fn value(unit: u128, year: i32, value: IndicatorValue) -> Command {
        Command::RecordValue {
            unit: area_facts(unit, pb::AreaLevel::Commune),
            unit_ancestors: in_scope(),
            year,
            value,
            source: "báo cáo năm".to_owned(),
            effective_date: date(year, 11, 1),
        }
    }

    /// Within the province that [`set`] scopes, id 38.
    fn in_scope() -> Vec<Uuid> {
        vec![id(20), id(38)]
    }

    fn all_communes() -> Threshold {
        Threshold::ShareAtLeast { percent: 100 }
    }

    /// Seed 004's six targets can all be set.
    #[test]
    fn the_six_targets_of_the_resolution_can_be_set() {
        use pb::TargetIndicator as I;
        for indicator in [
            I::CommuneResolutionAndPlan,
            I::HeadsRatedGoodOrBetter,
            I::GrassrootsDemocracyApplied,
            I::ComplexComplaintsDialogued,
            I::FreeOfMassComplaints,
            I::JudicialCasesHandledOnTime,
        ] {
            assert!(check(vec![], set(indicator, all_communes())).is_ok(), "{indicator:?}");
        }
        for indicator in [I::ComplexComplaints, I::SocialOrderCrimes] {
            assert!(check(vec![], set(indicator, Threshold::LowerThanPreviousYear)).is_ok());
            assert_eq!(
                check(vec![], set(indicator, all_communes())).unwrap_err().field(),
                Some("threshold")
            );
        }
    }

    #[test]
    fn every_commune_issues_a_resolution_and_a_plan() {
        let given = with(
            vec![],
            set(pb::TargetIndicator::CommuneResolutionAndPlan, all_communes()),
        );
        let given = with(given, value(10, 2022, IndicatorValue::Achieved(true)));
        let state = crate::replay::<Target>(&given);
        assert_eq!(state.year_attained(2022), Some(true));
        let given = with(given, value(11, 2022, IndicatorValue::Achieved(false)));
        let state = crate::replay::<Target>(&given);
        assert_eq!(state.unit_meets(&id(11).to_string(), 2022), Some(false));
        assert_eq!(state.year_attained(2022), Some(false));
    }

    #[test]
    fn heads_rated_well_is_a_ratio() {
        let given = with(vec![], set(pb::TargetIndicator::HeadsRatedGoodOrBetter, all_communes()));
        assert_eq!(
            check(given.clone(), value(10, 2022, IndicatorValue::Achieved(true))),
            Err(DomainError::ValueKindMismatch {
                expected: "a ratio of two counts"
            })
        );
        let bad_ratio = IndicatorValue::Ratio {
            numerator: 4,
            denominator: 3,
        };
        assert_eq!(
            check(given.clone(), value(10, 2022, bad_ratio)).unwrap_err().field(),
            Some("value")
        );
        let two_of_three = IndicatorValue::Ratio {
            numerator: 2,
            denominator: 3,
        };
        let state = crate::replay::<Target>(&with(given, value(10, 2022, two_of_three)));
        assert_eq!(state.unit_meets(&id(10).to_string(), 2022), Some(false));
    }

    #[test]
    fn crime_must_fall_from_the_year_before() {
        let given = with(
            vec![],
            set(pb::TargetIndicator::SocialOrderCrimes, Threshold::LowerThanPreviousYear),
        );
        let given = with(given, value(10, 2021, IndicatorValue::Count(40)));
        let given = with(given, value(10, 2022, IndicatorValue::Count(37)));
        let state = crate::replay::<Target>(&given);
        assert_eq!(state.unit_meets(&id(10).to_string(), 2021), None, "no 2020 value");
        assert_eq!(state.unit_meets(&id(10).to_string(), 2022), Some(true));
        assert_eq!(state.year_attained(2022), Some(true));
    }

    #[test]
    fn a_later_value_supersedes_and_says_so() {
        let given = with(
            vec![],
            set(pb::TargetIndicator::GrassrootsDemocracyApplied, all_communes()),
        );
        let given = with(given, value(10, 2022, IndicatorValue::Achieved(false)));
        let events = check(given, value(10, 2022, IndicatorValue::Achieved(true))).unwrap();
        let Event::ValueRecorded(recorded) = &events[0] else {
            unreachable!()
        };
        assert!(recorded.supersedes_previous);
    }

    #[test]
    fn a_target_on_communes_and_townships_refuses_wards() {
        let Command::Set(mut communes_only) = set(pb::TargetIndicator::CommuneResolutionAndPlan, all_communes()) else {
            unreachable!("set() builds a Set");
        };
        communes_only.unit_division_types = vec!["xã".to_owned(), "thị trấn".to_owned()];
        let given = with(vec![], Command::Set(communes_only));
        let unit = |division_type: &str| AreaFacts {
            division_type: division_type.to_owned(),
            ..area_facts(10, pb::AreaLevel::Commune)
        };
        let value_for = |unit| Command::RecordValue {
            unit,
            unit_ancestors: in_scope(),
            year: 2022,
            value: IndicatorValue::Achieved(true),
            source: String::new(),
            effective_date: date(2022, 11, 1),
        };
        assert!(check(given.clone(), value_for(unit("xã"))).is_ok());
        assert!(check(given.clone(), value_for(unit("thị trấn"))).is_ok());
        let refused = check(given, value_for(unit("phường"))).unwrap_err();
        assert!(matches!(refused, DomainError::UnitDivisionOutsideScope { .. }));
        assert!(refused.to_string().contains("ngoài phạm vi chỉ tiêu"), "{refused}");
    }

    #[test]
    fn values_stay_inside_the_target() {
        let given = with(
            vec![],
            set(pb::TargetIndicator::CommuneResolutionAndPlan, all_communes()),
        );
        assert_eq!(
            check(given.clone(), value(10, 2019, IndicatorValue::Achieved(true))),
            Err(DomainError::YearOutsideTarget {
                year: 2019,
                first_year: 2021,
                last_year: 2025
            })
        );
        // The baseline, the year before the range, may be recorded once the target is set.
        let baseline = Command::RecordValue {
            unit: area_facts(10, pb::AreaLevel::Commune),
            unit_ancestors: in_scope(),
            year: 2020,
            value: IndicatorValue::Achieved(false),
            source: "báo cáo tổng kết năm 2020".to_owned(),
            effective_date: date(2021, 8, 1),
        };
        assert!(check(given.clone(), baseline).is_ok());
        let baseline_report = Command::RecordReportSubmitted {
            unit: area_facts(10, pb::AreaLevel::Commune),
            unit_ancestors: in_scope(),
            year: 2020,
            report: None,
            effective_date: date(2021, 8, 1),
        };
        assert!(matches!(
            check(given.clone(), baseline_report),
            Err(DomainError::YearOutsideTarget { year: 2020, .. })
        ));
        let village = Command::RecordValue {
            unit: area_facts(10, pb::AreaLevel::ResidentialArea),
            unit_ancestors: in_scope(),
            year: 2022,
            value: IndicatorValue::Achieved(true),
            source: String::new(),
            effective_date: date(2022, 11, 1),
        };
        assert!(matches!(
            check(given, village),
            Err(DomainError::UnitLevelOutsideScope { .. })
        ));
        assert_eq!(
            check(vec![], value(10, 2022, IndicatorValue::Achieved(true))),
            Err(DomainError::NotRecorded { what: "the target" })
        );
    }

    #[test]
    fn reports_are_due_before_30_november() {
        let given = with(
            vec![],
            set(pb::TargetIndicator::CommuneResolutionAndPlan, all_communes()),
        );
        let submit = |unit, on| Command::RecordReportSubmitted {
            unit: area_facts(unit, pb::AreaLevel::Commune),
            unit_ancestors: in_scope(),
            year: 2022,
            report: None,
            effective_date: on,
        };
        let given = with(given, submit(10, date(2022, 11, 29)));
        let given = with(given, submit(11, date(2022, 11, 30)));
        let state = crate::replay::<Target>(&given);
        assert_eq!(state.report_late(&id(10).to_string(), 2022), Some(false));
        assert_eq!(state.report_late(&id(11).to_string(), 2022), Some(true));
        assert!(matches!(
            check(given, submit(10, date(2022, 12, 1))),
            Err(DomainError::AlreadyRecorded { .. })
        ));
    }

    fn submit(unit: u128, year: i32, on: Date) -> Command {
        Command::RecordReportSubmitted {
            unit: area_facts(unit, pb::AreaLevel::Commune),
            unit_ancestors: in_scope(),
            year,
            report: None,
            effective_date: on,
        }
    }

    fn value_on(unit: u128, year: i32, recorded: IndicatorValue, on: Date) -> Command {
        Command::RecordValue {
            unit: area_facts(unit, pb::AreaLevel::Commune),
            unit_ancestors: in_scope(),
            year,
            value: recorded,
            source: "báo cáo năm".to_owned(),
            effective_date: on,
        }
    }

    #[test]
    fn a_backdated_report_cannot_precede_the_recorded_one() {
        let given = with(
            vec![],
            set(pb::TargetIndicator::CommuneResolutionAndPlan, all_communes()),
        );
        let given = with(given, submit(10, 2022, date(2022, 12, 5)));
        assert_eq!(
            check(given.clone(), submit(10, 2022, date(2022, 11, 20))),
            Err(DomainError::ContradictsLaterRecord {
                on: date(2022, 12, 5),
                rule: Box::new(DomainError::AlreadyRecorded {
                    what: "the unit's report for the year"
                }),
            })
        );
        // Another unit's report, typed in later for an earlier day, is its own.
        let given = with(given, submit(11, 2022, date(2022, 11, 20)));
        let state = crate::replay::<Target>(&given);
        assert_eq!(state.report_late(&id(10).to_string(), 2022), Some(true));
        assert_eq!(state.report_late(&id(11).to_string(), 2022), Some(false));
    }

    #[test]
    fn a_value_typed_in_later_for_an_earlier_day_does_not_supersede() {
        let given = with(
            vec![],
            set(pb::TargetIndicator::SocialOrderCrimes, Threshold::LowerThanPreviousYear),
        );
        let given = with(given, value_on(10, 2022, IndicatorValue::Count(37), date(2022, 12, 1)));
        let events = check(
            given.clone(),
            value_on(10, 2022, IndicatorValue::Count(45), date(2022, 10, 1)),
        )
        .unwrap();
        let Event::ValueRecorded(recorded) = &events[0] else {
            unreachable!()
        };
        assert!(
            !recorded.supersedes_previous,
            "nothing was recorded for 2022 by 1 October"
        );
        let timeline = crate::timeline_of::<Target>(given.iter().chain(&events));
        let in_force = |state: &State| state.values.get(&(id(10).to_string(), 2022)).copied();
        assert_eq!(
            in_force(&timeline.state_as_of(date(2022, 11, 1))),
            Some(IndicatorValue::Count(45))
        );
        assert_eq!(in_force(&timeline.state()), Some(IndicatorValue::Count(37)));
    }

    #[test]
    fn values_are_for_covered_years_from_the_target_on() {
        let given = with(
            vec![],
            set(pb::TargetIndicator::CommuneResolutionAndPlan, all_communes()),
        );
        let achieved = IndicatorValue::Achieved(true);
        // Set on 2021-07-01: no value can take effect before, even for a covered year.
        assert_eq!(
            check(given.clone(), value_on(10, 2021, achieved, date(2021, 3, 1))),
            Err(DomainError::BeforeExistence {
                what: "the target",
                effective: date(2021, 3, 1),
                since: date(2021, 7, 1),
            })
        );
        assert!(check(given.clone(), value_on(10, 2021, achieved, date(2021, 7, 1))).is_ok());
        // A year beyond the resolution is told as such, though it has not begun either.
        assert_eq!(
            check(given.clone(), value_on(10, 2030, achieved, date(2024, 1, 5))),
            Err(DomainError::YearOutsideTarget {
                year: 2030,
                first_year: 2021,
                last_year: 2025
            })
        );
        assert!(matches!(
            check(given.clone(), value_on(10, 2024, achieved, date(2023, 12, 31))),
            Err(DomainError::BeforeExistence {
                what: "the target year",
                ..
            })
        ));
        // A commune registered in 2023 has no value for 2022.
        let young = AreaFacts {
            valid_from: date(2023, 1, 1),
            ..area_facts(12, pb::AreaLevel::Commune)
        };
        let for_young = Command::RecordValue {
            unit: young,
            unit_ancestors: in_scope(),
            year: 2022,
            value: achieved,
            source: String::new(),
            effective_date: date(2023, 3, 1),
        };
        assert!(matches!(
            check(given, for_young),
            Err(DomainError::BeforeExistence { what: "the area", .. })
        ));
    }

    #[test]
    fn a_unit_outside_the_scope_area_is_refused() {
        let given = with(
            vec![],
            set(pb::TargetIndicator::CommuneResolutionAndPlan, all_communes()),
        );
        let Command::RecordValue { unit, .. } = value(10, 2022, IndicatorValue::Achieved(true)) else {
            unreachable!("value() builds a RecordValue");
        };
        let elsewhere = Command::RecordValue {
            unit: unit.clone(),
            // Another province's commune.
            unit_ancestors: vec![id(21), id(39)],
            year: 2022,
            value: IndicatorValue::Achieved(true),
            source: String::new(),
            effective_date: date(2022, 11, 1),
        };
        let refused = check(given.clone(), elsewhere).unwrap_err();
        assert!(
            matches!(&refused, DomainError::UnitOutsideScopeArea { on, .. } if *on == date(2022, 12, 31)),
            "{refused:?}"
        );
        assert!(
            refused.to_string().contains("ngoài địa bàn áp dụng chỉ tiêu"),
            "{refused}"
        );
        let report = Command::RecordReportSubmitted {
            unit,
            unit_ancestors: Vec::new(),
            year: 2022,
            report: None,
            effective_date: date(2022, 11, 1),
        };
        assert!(matches!(
            check(given, report),
            Err(DomainError::UnitOutsideScopeArea { .. })
        ));
    }

    #[test]
    fn a_unit_that_ended_during_the_year_is_placed_on_its_last_day() {
        let merged_away = AreaFacts {
            ended_on: Some(date(2025, 7, 1)),
            ..area_facts(10, pb::AreaLevel::Commune)
        };
        assert_eq!(unit_scope_date(&merged_away, 2025), date(2025, 6, 30));
        assert_eq!(unit_scope_date(&merged_away, 2024), date(2024, 12, 31));
        // Ended on 1 January: its last day was the year before's.
        let ended_at_new_year = AreaFacts {
            ended_on: Some(date(2025, 1, 1)),
            ..merged_away
        };
        assert_eq!(unit_scope_date(&ended_at_new_year, 2024), date(2024, 12, 31));
    }
}
