//! A target: one row per year with values, judged by the domain's own rules.

use std::collections::BTreeSet;

use antt_domain::target::{IndicatorValue, State, Target};
use antt_proto::v1 as pb;
use pb::unit_target_value::Value;

use super::row;
use crate::derive::{Row, Rows};
use crate::key::{KeyBuilder, Kind};

impl Rows for Target {
    fn rows(state: &State, out: &mut Vec<Row>) {
        if state.set_on.is_none() {
            return;
        }
        let years: BTreeSet<i32> = state.values.keys().map(|(_, year)| *year).collect();
        for year in years {
            let units = state
                .values
                .iter()
                .filter(|((_, value_year), _)| *value_year == year)
                .map(|((unit, _), value)| pb::UnitTargetValue {
                    unit_area_id: unit.clone(),
                    value: Some(match *value {
                        IndicatorValue::Achieved(achieved) => Value::Achieved(achieved),
                        IndicatorValue::Ratio { numerator, denominator } => {
                            Value::Ratio(pb::Ratio { numerator, denominator })
                        }
                        IndicatorValue::Count(count) => Value::Count(count),
                    }),
                    meets: state.unit_meets(unit, year),
                    report_late: state.report_late(unit, year),
                })
                .collect();
            let value = pb::TargetYearRow {
                target_id: state.target_id.clone(),
                indicator: state.indicator as i32,
                year,
                attained: state.year_attained(year),
                units,
            };
            out.push(row(year_key(&state.target_id, year), &value));
        }
    }
}

fn year_key(target_id: &str, year: i32) -> Vec<u8> {
    KeyBuilder::new(Kind::Target).text(target_id).year(year).build()
}

/// The years of a target: the prefix of their keys.
pub fn target_prefix(target_id: &str) -> Vec<u8> {
    KeyBuilder::new(Kind::Target).text(target_id).build()
}
