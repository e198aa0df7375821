//! An area: its own row, its row under its parent, its code, and, once merged, its row
//! under its successor.

use antt_domain::area::{Area, EndKind, State};
use antt_proto::v1 as pb;

use super::row;
use crate::derive::{Row, Rows};
use crate::key::{KeyBuilder, Kind};

impl Rows for Area {
    fn rows(state: &State, out: &mut Vec<Row>) {
        let Some(registered_on) = state.registered_on else {
            return;
        };
        let node = node(state, registered_on);
        // Hotspots outlive the area's end: a designation is a fact of its period.
        for period in &state.key_complex_periods {
            let hotspot = pb::HotspotRow {
                area_id: state.area_id.clone(),
                designated_on: Some(period.designated_on.to_proto()),
                transformed_on: period.transformed_on.map(|on| on.to_proto()),
            };
            let key = KeyBuilder::new(Kind::Hotspot)
                .text(&state.area_id)
                .date(period.designated_on);
            out.push(row(key.build(), &hotspot));
        }
        match &state.ending {
            None => {
                out.push(row(KeyBuilder::new(Kind::Area).text(&state.area_id).build(), &node));
                if !state.parent_area_id.is_empty() {
                    let key = KeyBuilder::new(Kind::AreaChild)
                        .text(&state.parent_area_id)
                        .text(&state.area_id);
                    out.push(row(key.build(), &node));
                }
                if !node.code.is_empty() {
                    let key = KeyBuilder::new(Kind::AreaCode).text(&node.code).text(&state.area_id);
                    out.push(row(key.build(), &node));
                }
            }
            Some(ending) => {
                // Its records are found under its successor from the merger's day.
                if let EndKind::MergedInto { successor_area_id } = &ending.how {
                    let key = KeyBuilder::new(Kind::MergedInto)
                        .text(successor_area_id)
                        .text(&state.area_id);
                    out.push(row(key.build(), &node));
                }
            }
        }
    }
}

fn node(state: &State, registered_on: antt_domain::Date) -> pb::AreaNode {
    let latest_figure = state.population.iter().max_by_key(|figure| figure.as_of);
    pb::AreaNode {
        area_id: state.area_id.clone(),
        name: state.name.clone(),
        level: state.level as i32,
        code: state.codes.last().map(|period| period.code.clone()).unwrap_or_default(),
        division_type: state.division_type.clone(),
        parent_area_id: state.parent_area_id.clone(),
        households: latest_figure.map_or(0, |figure| figure.households),
        population: latest_figure.map_or(0, |figure| figure.population),
        registered_on: Some(registered_on.to_proto()),
    }
}
