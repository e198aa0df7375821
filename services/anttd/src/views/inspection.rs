//! The inspection as GetInspection shows it on a day: its findings, its remedial actions
//! and which of them are overdue that day.

use antt_domain::date::MonthDay;
use antt_domain::inspection::{ActionRecord, ActionStatus, Deadline, Purpose, State};
use antt_domain::Date;
use antt_proto::v1 as pb;

/// The view of `state`, the inspection as it stood at the end of `as_of`, with the
/// actions overdue that day: overdue is a function of that state and that day alone.
pub(crate) fn view(state: &State, as_of: Date, version: u64) -> pb::InspectionView {
    let overdue_action_ids: Vec<String> = state.overdue_actions(as_of).into_iter().map(str::to_owned).collect();
    let findings = state
        .findings
        .iter()
        .map(|(finding_id, kind)| pb::FindingView {
            finding_id: finding_id.clone(),
            kind: (*kind).into(),
        })
        .collect();
    let actions = state
        .actions
        .iter()
        .map(|(action_id, action)| action_view(action_id, action, as_of, overdue_action_ids.contains(action_id)))
        .collect();
    pb::InspectionView {
        inspection_id: state.inspection_id.clone(),
        opened_on: state.opened_on.map(Date::to_proto),
        closed_on: state.closed_on.map(Date::to_proto),
        findings,
        actions,
        as_of: Some(as_of.to_proto()),
        overdue_action_ids,
        version,
    }
}

fn action_view(action_id: &str, action: &ActionRecord, as_of: Date, overdue: bool) -> pb::RemedialActionView {
    let (status, finished_on) = match action.status {
        ActionStatus::Open => (pb::RemedialActionStatus::Open, None),
        ActionStatus::Completed { on } => (pb::RemedialActionStatus::Completed, Some(on)),
        ActionStatus::CarriedOver { on } => (pb::RemedialActionStatus::CarriedOver, Some(on)),
    };
    pb::RemedialActionView {
        action_id: action_id.to_owned(),
        finding_id: action.finding_id.clone(),
        planned_on: Some(action.planned_on.to_proto()),
        deadline: action.deadline.map(deadline_view),
        status: status.into(),
        finished_on: finished_on.map(Date::to_proto),
        progress_reported_on: action.progress_reported_on().into_iter().map(Date::to_proto).collect(),
        overdue,
        lead_bodies: action.lead_bodies.clone(),
        purpose: match action.purpose {
            Purpose::Remedy => pb::ActionPurpose::Remedy,
            Purpose::KeepUp => pb::ActionPurpose::KeepUp,
        }
        .into(),
        yearly_reports: action
            .yearly_reports(as_of)
            .unwrap_or_default()
            .into_iter()
            .map(|report| pb::LeadBodyYearlyReport {
                lead_body: report.lead_body.to_owned(),
                reported: report.reported,
                missed: report.missed,
                reported_on: report.reported_on.into_iter().map(Date::to_proto).collect(),
            })
            .collect(),
    }
}

fn deadline_view(deadline: Deadline) -> pb::remedial_action_view::Deadline {
    use pb::remedial_action_view::Deadline as Wire;
    match deadline {
        Deadline::DueBy(due_by) => Wire::DueBy(due_by.to_proto()),
        Deadline::Ongoing { report_due_before } => Wire::Ongoing(pb::OngoingDeadline {
            report_due_before: Some(MonthDay::to_proto(report_due_before)),
        }),
    }
}
