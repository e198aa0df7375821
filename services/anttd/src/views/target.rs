//! The target as GetTarget shows it: attainment per unit and year is computed from the
//! recorded values, so a report never stores a verdict that could drift from the facts.

use std::collections::BTreeSet;

use antt_domain::target::{IndicatorValue, State, Threshold};
use antt_domain::Date;
use antt_proto::v1 as pb;

pub(crate) fn view(state: &State, version: u64) -> pb::TargetView {
    pb::TargetView {
        target_id: state.target_id.clone(),
        indicator: state.indicator.into(),
        threshold: state.threshold.map(threshold_view),
        scope_area_id: state.scope_area_id.clone(),
        unit_level: state.unit_level.into(),
        first_year: state.first_year,
        last_year: state.last_year,
        report_due_before: state.report_due_before.map(|day| day.to_proto()),
        set_on: state.set_on.map(Date::to_proto),
        values: values(state),
        reports: reports(state),
        years: years(state),
        version,
    }
}

fn threshold_view(threshold: Threshold) -> pb::target_view::Threshold {
    use pb::target_view::Threshold as Wire;
    match threshold {
        Threshold::ShareAtLeast { percent } => Wire::ShareAtLeast(pb::ShareAtLeast { percent }),
        Threshold::LowerThanPreviousYear => Wire::LowerThanPreviousYear(pb::LowerThanPreviousYear {}),
    }
}

fn values(state: &State) -> Vec<pb::TargetUnitValue> {
    state
        .values
        .iter()
        .map(|((unit_area_id, year), value)| pb::TargetUnitValue {
            unit_area_id: unit_area_id.clone(),
            year: *year,
            value: Some(value_view(*value)),
            meets: state.unit_meets(unit_area_id, *year),
        })
        .collect()
}

fn reports(state: &State) -> Vec<pb::TargetReportView> {
    state
        .reports
        .iter()
        .map(|((unit_area_id, year), submitted_on)| pb::TargetReportView {
            unit_area_id: unit_area_id.clone(),
            year: *year,
            submitted_on: Some(submitted_on.to_proto()),
            late: state.report_late(unit_area_id, *year),
        })
        .collect()
}

fn years(state: &State) -> Vec<pb::TargetYearView> {
    let years_with_values: BTreeSet<i32> = state.values.keys().map(|(_, year)| *year).collect();
    years_with_values
        .into_iter()
        .map(|year| pb::TargetYearView {
            year,
            attained: state.year_attained(year),
        })
        .collect()
}

fn value_view(value: IndicatorValue) -> pb::target_unit_value::Value {
    use pb::target_unit_value::Value as Wire;
    match value {
        IndicatorValue::Achieved(achieved) => Wire::Achieved(achieved),
        IndicatorValue::Ratio { numerator, denominator } => Wire::Ratio(pb::IndicatorRatio { numerator, denominator }),
        IndicatorValue::Count(count) => Wire::Count(count),
    }
}
