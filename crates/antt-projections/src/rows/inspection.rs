//! An inspection's actions, one row each, keyed by inspection. Whether an action is
//! overdue depends on the day asked about, not only on its events, so the row keeps what
//! the domain's own rule reads and the query applies it ([`action_record`]).

use antt_domain::inspection::{ActionRecord, ActionStatus, Deadline, Inspection, ProgressReport, Purpose, State};
use antt_domain::{Date, MonthDay};
use antt_proto::v1 as pb;

use super::row;
use crate::derive::{Row, Rows};
use crate::key::{KeyBuilder, Kind};

impl Rows for Inspection {
    fn rows(state: &State, out: &mut Vec<Row>) {
        // Filed under the inspected area, so that the area's records include it.
        if let (Some(opened_on), false) = (state.opened_on, state.inspected_area_id.is_empty()) {
            let inspection = pb::InspectionRow {
                inspection_id: state.inspection_id.clone(),
                inspected_area_id: state.inspected_area_id.clone(),
                opened_on: Some(opened_on.to_proto()),
            };
            let key = KeyBuilder::new(Kind::Inspection)
                .text(&state.inspected_area_id)
                .text(&state.inspection_id);
            out.push(row(key.build(), &inspection));
        }
        for (action_id, action) in &state.actions {
            let (due_by, report_due_before) = match action.deadline {
                Some(Deadline::DueBy(due)) => (Some(due.to_proto()), None),
                Some(Deadline::Ongoing { report_due_before }) => (None, Some(report_due_before.to_proto())),
                None => (None, None),
            };
            let (completed_on, carried_over_on) = match action.status {
                ActionStatus::Open => (None, None),
                ActionStatus::Completed { on } => (Some(on.to_proto()), None),
                ActionStatus::CarriedOver { on } => (None, Some(on.to_proto())),
            };
            let value = pb::ActionRow {
                inspection_id: state.inspection_id.clone(),
                action_id: action_id.clone(),
                finding_id: action.finding_id.clone(),
                keep_up: action.purpose == Purpose::KeepUp,
                lead_bodies: action.lead_bodies.clone(),
                planned_on: Some(action.planned_on.to_proto()),
                due_by,
                report_due_before,
                completed_on,
                carried_over_on,
                progress_reports: action
                    .progress_reports
                    .iter()
                    .map(|report| pb::ProgressReportRow {
                        on: Some(report.on.to_proto()),
                        by: report.by.clone(),
                    })
                    .collect(),
            };
            out.push(row(action_key(&state.inspection_id, action_id), &value));
        }
    }
}

fn action_key(inspection_id: &str, action_id: &str) -> Vec<u8> {
    KeyBuilder::new(Kind::Action)
        .text(inspection_id)
        .text(action_id)
        .build()
}

/// The actions of an inspection: the prefix of their keys.
pub fn actions_prefix(inspection_id: &str) -> Vec<u8> {
    KeyBuilder::new(Kind::Action).text(inspection_id).build()
}

/// The domain's record of the action a row keeps, so that the domain's rules (overdue,
/// open) answer for it. A date the row cannot give reads as the beginning of time, as
/// `evolve` reads it.
pub fn action_record(row: &pb::ActionRow) -> ActionRecord {
    let date = |date: Option<&pb::Date>| Date::from_proto_field("date", date).unwrap_or(Date::MIN);
    let deadline = match (&row.due_by, &row.report_due_before) {
        (Some(due), _) => Some(Deadline::DueBy(date(Some(due)))),
        (None, Some(day)) => MonthDay::new(day.month, day.day)
            .ok()
            .map(|report_due_before| Deadline::Ongoing { report_due_before }),
        (None, None) => None,
    };
    let status = match (&row.completed_on, &row.carried_over_on) {
        (Some(on), _) => ActionStatus::Completed { on: date(Some(on)) },
        (None, Some(on)) => ActionStatus::CarriedOver { on: date(Some(on)) },
        (None, None) => ActionStatus::Open,
    };
    ActionRecord {
        finding_id: row.finding_id.clone(),
        purpose: if row.keep_up { Purpose::KeepUp } else { Purpose::Remedy },
        lead_bodies: row.lead_bodies.clone(),
        planned_on: date(row.planned_on.as_ref()),
        deadline,
        status,
        progress_reports: row
            .progress_reports
            .iter()
            .map(|report| ProgressReport {
                on: date(report.on.as_ref()),
                by: report.by.clone(),
            })
            .collect(),
    }
}
