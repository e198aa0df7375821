//! A team: its row in its area while it stands (with its active members), and one row
//! per term begun or ended, for joins, departures and replacements over a period.

use antt_domain::team::{Departure, Membership, Stage, State, Team};
use antt_domain::Date;
use antt_proto::v1 as pb;

use super::row;
use crate::derive::{Row, Rows};
use crate::key::{KeyBuilder, Kind};

impl Rows for Team {
    fn rows(state: &State, out: &mut Vec<Row>) {
        let Some(established_on) = state.established_on else {
            return;
        };
        if state.ending.is_none() {
            let team = team_row(state, established_on);
            let in_area = KeyBuilder::new(Kind::Team).text(&state.area_id).text(&state.team_id);
            out.push(row(in_area.build(), &team));
            out.push(row(KeyBuilder::new(Kind::TeamById).text(&state.team_id).build(), &team));
        }
        for (person_id, membership) in &state.members {
            member_changes(state, person_id, membership, out);
        }
    }
}

fn team_row(state: &State, established_on: Date) -> pb::TeamRow {
    let members = state
        .members
        .iter()
        .filter_map(|(person_id, membership)| match membership.stage {
            Stage::Active { role, since } => Some(pb::MemberRow {
                person_id: person_id.clone(),
                role: role as i32,
                since: Some(since.to_proto()),
            }),
            _ => None,
        })
        .collect();
    pb::TeamRow {
        team_id: state.team_id.clone(),
        name: state.name.clone(),
        force_type: state.force_type as i32,
        area_id: state.area_id.clone(),
        established_on: Some(established_on.to_proto()),
        quota: state.quota.unwrap_or(0),
        households: state.households.unwrap_or(0),
        members,
    }
}

/// A row for the start of every term and for the end of every ended one. The state keeps
/// the reason of a member's last departure only, so an earlier term's end is counted as
/// a departure without a reason.
fn member_changes(state: &State, person_id: &str, membership: &Membership, out: &mut Vec<Row>) {
    let last = membership.terms.len().saturating_sub(1);
    for (index, term) in membership.terms.iter().enumerate() {
        let change = pb::MemberChangeRow {
            team_id: state.team_id.clone(),
            person_id: person_id.to_owned(),
            force_type: state.force_type as i32,
            on: Some(term.from.to_proto()),
            joined: true,
            ..pb::MemberChangeRow::default()
        };
        out.push(row(change_key(state, term.from, person_id, index, true), &change));
        let mut served = pb::PersonTermRow {
            person_id: person_id.to_owned(),
            team_id: state.team_id.clone(),
            force_type: state.force_type as i32,
            area_id: state.area_id.clone(),
            from: Some(term.from.to_proto()),
            ..pb::PersonTermRow::default()
        };
        let term_key = KeyBuilder::new(Kind::PersonTerm)
            .text(person_id)
            .date(term.from)
            .text(&state.team_id)
            .number(index as u64)
            .build();
        let Some(until) = term.until else {
            out.push(row(term_key, &served));
            continue;
        };
        let (end, reason) = match (&membership.stage, index == last) {
            (Stage::Left { departure, .. }, true) => match departure {
                Departure::Left(reason) => (pb::MemberChangeEnd::Left, *reason),
                Departure::CarriedOver { .. } => (pb::MemberChangeEnd::CarriedOver, pb::LeaveReason::Unspecified),
                Departure::Released => (pb::MemberChangeEnd::Released, pb::LeaveReason::Unspecified),
            },
            _ => (pb::MemberChangeEnd::Left, pb::LeaveReason::Unspecified),
        };
        let ended = pb::MemberChangeRow {
            on: Some(until.to_proto()),
            joined: false,
            reason: reason as i32,
            end: end as i32,
            replaced: index == last && membership.replaced_by.is_some(),
            ..change
        };
        served.until = Some(until.to_proto());
        served.end = ended.end;
        served.reason = ended.reason;
        out.push(row(term_key, &served));
        out.push(row(change_key(state, until, person_id, index, false), &ended));
    }
}

fn change_key(state: &State, on: Date, person_id: &str, term: usize, joined: bool) -> Vec<u8> {
    KeyBuilder::new(Kind::MemberChange)
        .text(&state.area_id)
        .date(on)
        .text(&state.team_id)
        .text(person_id)
        .number(term as u64 * 2 + u64::from(!joined))
        .build()
}
