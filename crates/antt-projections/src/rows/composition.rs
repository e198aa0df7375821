//! A composition policy (cơ cấu): a row under its province while in force. Whether a team
//! meets it is judged at query time (`query::composition`), from this row, the team's
//! row and its members' office rows of the day, so every row stays a function of its own
//! record's timeline.

use antt_domain::composition::{Composition, State};
use antt_proto::v1 as pb;

use super::row;
use crate::derive::{Row, Rows};
use crate::key::{KeyBuilder, Kind};

impl Rows for Composition {
    fn rows(state: &State, out: &mut Vec<Row>) {
        let (Some(effective_from), Some(issued)) = (state.issued_on, &state.issued) else {
            return;
        };
        if !state.in_force() {
            return;
        }
        let policy = pb::CompositionPolicyRow {
            policy_id: issued.policy_id.clone(),
            province_area_id: issued.province_area_id.clone(),
            force_type: issued.force_type,
            scope: issued.scope,
            requirements: issued.requirements.clone(),
            decision: issued.decision.clone(),
            title: issued.title.clone(),
            effective_from: Some(effective_from.to_proto()),
        };
        let key = KeyBuilder::new(Kind::CompositionPolicy)
            .text(&issued.province_area_id)
            .text(&issued.policy_id);
        out.push(row(key.build(), &policy));
    }
}
