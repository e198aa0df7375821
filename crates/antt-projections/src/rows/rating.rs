//! A unit's rating of a year: one row, keyed by unit then year, so that a unit's run of
//! safe years is one range of keys.

use antt_domain::rating::{Rating, State};
use antt_proto::v1 as pb;

use super::row;
use crate::derive::{Row, Rows};
use crate::key::{KeyBuilder, Kind};

impl Rows for Rating {
    fn rows(state: &State, out: &mut Vec<Row>) {
        let Some(year) = state.year else {
            return;
        };
        let rating = pb::RatingRow {
            unit_area_id: state.unit_area_id.clone(),
            year,
            unit_level: state.unit_level as i32,
            registered: state.strive_registered_on.is_some(),
            outcome: state
                .current()
                .map_or(pb::SafetyOutcome::Unspecified, |rating| rating.outcome) as i32,
            pledges_signed: state.pledges_signed_total,
        };
        out.push(row(rating_key(&state.unit_area_id, year), &rating));
    }
}

pub fn rating_key(unit_area_id: &str, year: i32) -> Vec<u8> {
    KeyBuilder::new(Kind::Rating).text(unit_area_id).year(year).build()
}
