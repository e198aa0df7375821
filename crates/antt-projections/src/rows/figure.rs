//! A reported figure, with the value in force, keyed by unit and the last day of the
//! period it counts.

use antt_domain::figure::{Figure, State};
use antt_domain::Date;
use antt_proto::v1 as pb;

use super::row;
use crate::derive::{Row, Rows};
use crate::key::{KeyBuilder, Kind};

impl Rows for Figure {
    fn rows(state: &State, out: &mut Vec<Row>) {
        let (Some(on), Some(figure)) = (state.reported_on, &state.figure) else {
            return;
        };
        let period_end = figure
            .period
            .as_ref()
            .and_then(|period| Date::from_proto_field("period", period.last_day.as_ref()).ok())
            .unwrap_or(on);
        let value = pb::FigureRow {
            figure_id: figure.figure_id.clone(),
            unit_area_id: figure.unit_area_id.clone(),
            indicator: figure.indicator,
            indicator_name: figure.indicator_name.clone(),
            force_type: figure.force_type,
            handling_level: figure.handling_level,
            unit_level: figure.unit_level,
            period: figure.period,
            value: state.entries.last().map(|entry| entry.value).or(figure.value),
            reported_on: Some(on.to_proto()),
            corrections: state.entries.len().saturating_sub(1) as u32,
        };
        let key = KeyBuilder::new(Kind::Figure)
            .text(&figure.unit_area_id)
            .date(period_end)
            .text(&figure.figure_id);
        out.push(row(key.build(), &value));
    }
}
