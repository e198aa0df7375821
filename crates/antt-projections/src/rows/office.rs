//! An office held (one tenure): a row in its area and one under its holder while held.

use antt_domain::office::{Office, State};
use antt_proto::v1 as pb;

use super::row;
use crate::derive::{Row, Rows};
use crate::key::{KeyBuilder, Kind};

impl Rows for Office {
    fn rows(state: &State, out: &mut Vec<Row>) {
        let (Some(since), Some(taken)) = (state.taken_on, &state.taken) else {
            return;
        };
        if !state.held() {
            return;
        }
        let office = pb::OfficeRow {
            tenure_id: taken.tenure_id.clone(),
            person_id: taken.person_id.clone(),
            area_id: taken.area_id.clone(),
            kind: taken.kind,
            organisation: taken.organisation.clone(),
            office_name: taken.office_name.clone(),
            since: Some(since.to_proto()),
        };
        let in_area = KeyBuilder::new(Kind::Office)
            .text(&taken.area_id)
            .text(&taken.tenure_id);
        out.push(row(in_area.build(), &office));
        let of_holder = KeyBuilder::new(Kind::OfficeOf)
            .text(&taken.person_id)
            .text(&taken.tenure_id);
        out.push(row(of_holder.build(), &office));
    }
}
