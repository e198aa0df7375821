//! Inspections and the remediation answering them (seed 002): one stream per inspection.
//!
//! Opened on the delegation's report → findings (strengths, shortcomings) → remedial
//! actions per shortcoming (lead body, coordinating bodies, a deadline or "ongoing" with a
//! yearly report date) → progress reports → actions completed or carried over → closed,
//! only when no action is left open. [`State::overdue_actions`] lists what is late on a
//! date, so overdue actions show up without anyone asking for them by name.

use std::collections::BTreeMap;

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::{Date, MonthDay};
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context, Decision};
use crate::text;

/// The inspection aggregate.
pub struct Inspection;

crate::aggregate!(Inspection);

/// What can be asked of an inspection.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Open {
        inspection_id: Uuid,
        delegation: String,
        scope: String,
        inspected_area: Option<AreaFacts>,
        /// The delegation's report, e.g. "03-BC/ĐKT" of 2023-05-31.
        report: Decision,
        effective_date: Date,
    },
    RecordFinding {
        finding_id: Uuid,
        kind: pb::FindingKind,
        text: String,
        effective_date: Date,
    },
    PlanAction(PlanAction),
    ReportProgress {
        action_id: Uuid,
        summary: String,
        effective_date: Date,
    },
    CompleteAction {
        action_id: Uuid,
        summary: String,
        effective_date: Date,
    },
    CarryOverAction {
        action_id: Uuid,
        reason: String,
        effective_date: Date,
    },
    Close {
        conclusion: String,
        effective_date: Date,
    },
}

/// Plans a remedial action for a shortcoming.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanAction {
    pub action_id: Uuid,
    pub finding_id: Uuid,
    pub description: String,
    pub lead_body: String,
    pub coordinating_bodies: Vec<String>,
    pub deadline: Deadline,
    pub plan: Option<Decision>,
    pub effective_date: Date,
}

/// When an action is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deadline {
    /// Completed by this date.
    DueBy(Date),
    /// Carried out continuously (thường xuyên), reported before this day every year.
    Ongoing { report_due_before: MonthDay },
}

domain_events! {
    upcast = no_upcasters;
    /// What happened in an inspection.
    pub enum Event {
        Opened(pb::InspectionOpened) = "antt.v1.InspectionOpened" @ 1,
        FindingRecorded(pb::InspectionFindingRecorded) = "antt.v1.InspectionFindingRecorded" @ 1,
        ActionPlanned(pb::RemedialActionPlanned) = "antt.v1.RemedialActionPlanned" @ 1,
        ProgressReported(pb::RemedialProgressReported) = "antt.v1.RemedialProgressReported" @ 1,
        ActionCompleted(pb::RemedialActionCompleted) = "antt.v1.RemedialActionCompleted" @ 1,
        ActionCarriedOver(pb::RemedialActionCarriedOver) = "antt.v1.RemedialActionCarriedOver" @ 1,
        Closed(pb::InspectionClosed) = "antt.v1.InspectionClosed" @ 1,
    }
}

/// An inspection as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Empty until opened.
    pub inspection_id: String,
    pub opened_on: Option<Date>,
    pub closed_on: Option<Date>,
    pub findings: BTreeMap<String, pb::FindingKind>,
    pub actions: BTreeMap<String, ActionRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    pub finding_id: String,
    pub planned_on: Date,
    /// None when the recorded deadline could not be read.
    pub deadline: Option<Deadline>,
    pub status: ActionStatus,
    /// Dates of the progress reports, in recording order.
    pub progress_reported_on: Vec<Date>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionStatus {
    Open,
    Completed { on: Date },
    CarriedOver { on: Date },
}

impl State {
    /// Ids of the open actions that are late on `as_of`: past their due date, or ongoing
    /// and without a progress report before this year's report date once it has passed.
    pub fn overdue_actions(&self, as_of: Date) -> Vec<&str> {
        self.actions
            .iter()
            .filter(|(_, action)| action.status == ActionStatus::Open && action.is_overdue(as_of))
            .map(|(action_id, _)| action_id.as_str())
            .collect()
    }

    fn ensure_open_on(&self, effective: Date) -> Result<(), DomainError> {
        let closed = self.closed_on.map(|_| DomainError::InspectionClosed);
        facts::ensure_open_on("the inspection", self.opened_on, closed, effective)
    }

    /// The open action `action_id`, if `effective` is not before it was planned.
    fn open_action(&self, action_id: &str, effective: Date) -> Result<&ActionRecord, DomainError> {
        let action = self.actions.get(action_id).ok_or(DomainError::UnknownAction)?;
        if action.status != ActionStatus::Open {
            return Err(DomainError::ActionFinished);
        }
        facts::ensure_since("the remedial action", effective, action.planned_on)?;
        Ok(action)
    }
}

impl ActionRecord {
    fn is_overdue(&self, as_of: Date) -> bool {
        match self.deadline {
            Some(Deadline::DueBy(due)) => as_of > due,
            Some(Deadline::Ongoing { report_due_before }) => {
                let due = report_due_before.in_year(as_of.year());
                let year_start = Date::first_day_of_year(as_of.year());
                let reported_in_time = self
                    .progress_reported_on
                    .iter()
                    .any(|reported_on| year_start <= *reported_on && *reported_on < due);
                self.planned_on < due && as_of >= due && !reported_in_time
            }
            None => false,
        }
    }
}
/// Whether a recorded event still holds after a backdated fact: see
/// [`crate::Aggregate::check`]. Not yet written for this record: only `decide`'s
/// judgement as of the command's own date applies.
pub fn check(_state: &State, _event: &Event) -> Result<(), DomainError> {
    Ok(())
}

/// Checks `command` against the inspection's recorded facts.
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let inspection_id = state.inspection_id.clone();
    let event = match command {
        Command::Open {
            inspection_id,
            delegation,
            scope,
            inspected_area,
            report,
            effective_date,
        } => {
            let opened = pb::InspectionOpened {
                inspection_id: inspection_id.to_string(),
                delegation: text::required_name("delegation", &delegation)?,
                scope: text::required_text("scope", &scope)?,
                inspected_area_id: facts::optional_id(inspected_area.as_ref().map(|area| area.area_id)),
                report: Some(report.to_proto("report", ctx)?),
                effective_date: Some(effective_date.to_proto()),
            };
            decide_open(state, inspected_area.as_ref(), effective_date, opened)?
        }
        Command::RecordFinding {
            finding_id,
            kind,
            text,
            effective_date,
        } => decide_finding(state, finding_id, kind, &text, effective_date)?,
        Command::PlanAction(plan) => decide_plan(state, plan, ctx)?,
        Command::ReportProgress {
            action_id,
            summary,
            effective_date,
        } => Event::ProgressReported(pb::RemedialProgressReported {
            inspection_id,
            action_id: open_action_id(state, action_id, effective_date)?,
            summary: text::required_text("summary", &summary)?,
            effective_date: Some(effective_date.to_proto()),
        }),
        Command::CompleteAction {
            action_id,
            summary,
            effective_date,
        } => Event::ActionCompleted(pb::RemedialActionCompleted {
            inspection_id,
            action_id: open_action_id(state, action_id, effective_date)?,
            summary: text::optional_text("summary", &summary)?,
            effective_date: Some(effective_date.to_proto()),
        }),
        Command::CarryOverAction {
            action_id,
            reason,
            effective_date,
        } => Event::ActionCarriedOver(pb::RemedialActionCarriedOver {
            inspection_id,
            action_id: open_action_id(state, action_id, effective_date)?,
            reason: text::required_text("reason", &reason)?,
            effective_date: Some(effective_date.to_proto()),
        }),
        Command::Close {
            conclusion,
            effective_date,
        } => decide_close(state, &conclusion, effective_date)?,
    };
    Ok(vec![event])
}

fn decide_open(
    state: &State,
    inspected_area: Option<&AreaFacts>,
    effective_date: Date,
    opened: pb::InspectionOpened,
) -> Result<Event, DomainError> {
    facts::ensure_not_recorded("the inspection", state.opened_on)?;
    if let Some(area) = inspected_area {
        area.ensure_exists_on(effective_date)?;
    }
    Ok(Event::Opened(opened))
}

fn decide_finding(
    state: &State,
    finding_id: Uuid,
    kind: pb::FindingKind,
    text: &str,
    effective_date: Date,
) -> Result<Event, DomainError> {
    state.ensure_open_on(effective_date)?;
    let finding_id = finding_id.to_string();
    if state.findings.contains_key(&finding_id) {
        return Err(DomainError::AlreadyRecorded { what: "the finding" });
    }
    Ok(Event::FindingRecorded(pb::InspectionFindingRecorded {
        inspection_id: state.inspection_id.clone(),
        finding_id,
        kind: facts::specified("kind", kind)?.into(),
        text: text::required_text("text", text)?,
        effective_date: Some(effective_date.to_proto()),
    }))
}

/// The id of an open action of this open inspection, for a report, completion or
/// carry-over on `effective_date`.
fn open_action_id(state: &State, action_id: Uuid, effective_date: Date) -> Result<String, DomainError> {
    state.ensure_open_on(effective_date)?;
    let action_id = action_id.to_string();
    state.open_action(&action_id, effective_date)?;
    Ok(action_id)
}

fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::PlanAction(plan) => plan.effective_date,
        Command::Open { effective_date, .. }
        | Command::RecordFinding { effective_date, .. }
        | Command::ReportProgress { effective_date, .. }
        | Command::CompleteAction { effective_date, .. }
        | Command::CarryOverAction { effective_date, .. }
        | Command::Close { effective_date, .. } => *effective_date,
    }
}

fn decide_plan(state: &State, plan: PlanAction, ctx: &Context) -> Result<Event, DomainError> {
    state.ensure_open_on(plan.effective_date)?;
    let action_id = plan.action_id.to_string();
    if state.actions.contains_key(&action_id) {
        return Err(DomainError::AlreadyRecorded {
            what: "the remedial action",
        });
    }
    let finding_id = plan.finding_id.to_string();
    match state.findings.get(&finding_id) {
        None => return Err(DomainError::UnknownFinding),
        Some(pb::FindingKind::Shortcoming) => {}
        Some(_) => return Err(DomainError::NotAShortcoming),
    }
    Ok(Event::ActionPlanned(pb::RemedialActionPlanned {
        inspection_id: state.inspection_id.clone(),
        action_id,
        finding_id,
        description: text::required_text("description", &plan.description)?,
        lead_body: text::required_name("lead_body", &plan.lead_body)?,
        coordinating_bodies: facts::names("coordinating_bodies", &plan.coordinating_bodies)?,
        deadline: Some(deadline_to_proto(plan.deadline, plan.effective_date)?),
        plan: facts::optional_decision("plan", plan.plan.as_ref(), ctx)?,
        effective_date: Some(plan.effective_date.to_proto()),
    }))
}

fn deadline_to_proto(
    deadline: Deadline,
    planned_on: Date,
) -> Result<pb::remedial_action_planned::Deadline, DomainError> {
    use pb::remedial_action_planned::Deadline as Wire;
    Ok(match deadline {
        Deadline::DueBy(due) => {
            if due < planned_on {
                return Err(DomainError::invalid("deadline", "is before the action was planned"));
            }
            Wire::DueBy(due.to_proto())
        }
        Deadline::Ongoing { report_due_before } => Wire::Ongoing(pb::OngoingDeadline {
            report_due_before: Some(report_due_before.to_proto()),
        }),
    })
}

fn decide_close(state: &State, conclusion: &str, effective_date: Date) -> Result<Event, DomainError> {
    state.ensure_open_on(effective_date)?;
    let outstanding = state
        .actions
        .values()
        .filter(|action| action.status == ActionStatus::Open)
        .count();
    if outstanding > 0 {
        return Err(DomainError::ActionsOutstanding {
            count: u32::try_from(outstanding).unwrap_or(u32::MAX),
        });
    }
    Ok(Event::Closed(pb::InspectionClosed {
        inspection_id: state.inspection_id.clone(),
        conclusion: text::optional_text("conclusion", conclusion)?,
        effective_date: Some(effective_date.to_proto()),
    }))
}

/// The inspection after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Opened(e) => {
            state.inspection_id = e.inspection_id.clone();
            state.opened_on = Some(on);
        }
        Event::FindingRecorded(e) => {
            state.findings.insert(e.finding_id.clone(), e.kind());
        }
        Event::ActionPlanned(e) => {
            state.actions.insert(
                e.action_id.clone(),
                ActionRecord {
                    finding_id: e.finding_id.clone(),
                    planned_on: on,
                    deadline: deadline_from_event(e.deadline.as_ref()),
                    status: ActionStatus::Open,
                    progress_reported_on: Vec::new(),
                },
            );
        }
        Event::ProgressReported(e) => {
            if let Some(action) = state.actions.get_mut(&e.action_id) {
                action.progress_reported_on.push(on);
            }
        }
        Event::ActionCompleted(e) => set_status(&mut state, &e.action_id, ActionStatus::Completed { on }),
        Event::ActionCarriedOver(e) => set_status(&mut state, &e.action_id, ActionStatus::CarriedOver { on }),
        Event::Closed(_) => state.closed_on = Some(on),
    }
    state
}

fn deadline_from_event(deadline: Option<&pb::remedial_action_planned::Deadline>) -> Option<Deadline> {
    use pb::remedial_action_planned::Deadline as Wire;
    match deadline? {
        Wire::DueBy(due) => Date::try_from(due).ok().map(Deadline::DueBy),
        Wire::Ongoing(ongoing) => MonthDay::from_event(ongoing.report_due_before.as_ref())
            .map(|report_due_before| Deadline::Ongoing { report_due_before }),
    }
}

fn set_status(state: &mut State, action_id: &str, status: ActionStatus) {
    if let Some(action) = state.actions.get_mut(action_id) {
        action.status = status;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date, decision, id};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Inspection>(given, when)
    }

    fn with(mut given: Vec<Event>, command: Command) -> Vec<Event> {
        given.extend(check(given.clone(), command).unwrap());
        given
    }

    const STRENGTH: u128 = 10;
    const SHORTCOMING: u128 = 11;
    const ACTION: u128 = 20;

    /// Inspection delegation no. 02's report, one strength and one shortcoming.
    fn opened_with_findings() -> Vec<Event> {
        let open = Command::Open {
            inspection_id: id(1),
            delegation: "Đoàn Kiểm tra số 02, Đảng ủy Công an Trung ương".to_owned(),
            scope: "thực hiện Kết luận số 44-KL/TW".to_owned(),
            inspected_area: Some(area_facts(62, pb::AreaLevel::Province)),
            report: decision("03-BC/ĐKT", date(2023, 5, 31)),
            effective_date: date(2023, 5, 31),
        };
        let finding = |n, kind, text: &str| Command::RecordFinding {
            finding_id: id(n),
            kind,
            text: text.to_owned(),
            effective_date: date(2023, 5, 31),
        };
        let given = with(vec![], open);
        let given = with(
            given,
            finding(STRENGTH, pb::FindingKind::Strength, "quán triệt kịp thời"),
        );
        with(
            given,
            finding(
                SHORTCOMING,
                pb::FindingKind::Shortcoming,
                "phong trào ở một số nơi còn hình thức",
            ),
        )
    }

    fn plan(finding: u128, deadline: Deadline) -> Command {
        Command::PlanAction(PlanAction {
            action_id: id(ACTION),
            finding_id: id(finding),
            description: "thường xuyên kiểm tra, giám sát, hướng dẫn".to_owned(),
            lead_body: "Đảng ủy Công an tỉnh".to_owned(),
            coordinating_bodies: vec!["Đảng đoàn Ủy ban MTTQ tỉnh".to_owned()],
            deadline,
            plan: Some(decision("KH-TU", date(2023, 7, 1))),
            effective_date: date(2023, 7, 1),
        })
    }

    fn ongoing() -> Deadline {
        Deadline::Ongoing {
            report_due_before: MonthDay::new(12, 10).unwrap(),
        }
    }

    fn close(on: Date) -> Command {
        Command::Close {
            conclusion: "đã khắc phục".to_owned(),
            effective_date: on,
        }
    }

    #[test]
    fn actions_answer_shortcomings_only() {
        assert_eq!(
            check(opened_with_findings(), plan(STRENGTH, ongoing())),
            Err(DomainError::NotAShortcoming)
        );
        assert_eq!(
            check(opened_with_findings(), plan(99, ongoing())),
            Err(DomainError::UnknownFinding)
        );
        assert!(check(opened_with_findings(), plan(SHORTCOMING, ongoing())).is_ok());
    }

    #[test]
    fn closing_needs_every_action_completed_or_carried_over() {
        let planned = with(opened_with_findings(), plan(SHORTCOMING, ongoing()));
        assert_eq!(
            check(planned.clone(), close(date(2024, 12, 1))),
            Err(DomainError::ActionsOutstanding { count: 1 })
        );
        let carried = with(
            planned,
            Command::CarryOverAction {
                action_id: id(ACTION),
                reason: "chuyển sang kế hoạch năm 2025".to_owned(),
                effective_date: date(2024, 11, 1),
            },
        );
        let closed = with(carried, close(date(2024, 12, 1)));
        let finding = Command::RecordFinding {
            finding_id: id(12),
            kind: pb::FindingKind::Shortcoming,
            text: "muộn".to_owned(),
            effective_date: date(2024, 12, 2),
        };
        assert_eq!(check(closed, finding), Err(DomainError::InspectionClosed));
    }

    #[test]
    fn a_finished_action_takes_no_more_reports() {
        let planned = with(opened_with_findings(), plan(SHORTCOMING, ongoing()));
        let completed = with(
            planned,
            Command::CompleteAction {
                action_id: id(ACTION),
                summary: String::new(),
                effective_date: date(2024, 6, 1),
            },
        );
        let report = Command::ReportProgress {
            action_id: id(ACTION),
            summary: "tiếp tục".to_owned(),
            effective_date: date(2024, 7, 1),
        };
        assert_eq!(check(completed, report), Err(DomainError::ActionFinished));
    }

    #[test]
    fn a_fixed_deadline_is_not_before_the_plan() {
        let early = plan(SHORTCOMING, Deadline::DueBy(date(2023, 6, 30)));
        assert_eq!(
            check(opened_with_findings(), early).unwrap_err().field(),
            Some("deadline")
        );
    }

    #[test]
    fn overdue_actions_show_up_by_themselves() {
        let fixed = with(
            opened_with_findings(),
            plan(SHORTCOMING, Deadline::DueBy(date(2023, 12, 31))),
        );
        let state = crate::replay::<Inspection>(&fixed);
        assert!(state.overdue_actions(date(2023, 12, 31)).is_empty());
        assert_eq!(state.overdue_actions(date(2024, 1, 1)), vec![id(ACTION).to_string()]);

        let recurring = with(opened_with_findings(), plan(SHORTCOMING, ongoing()));
        let state = crate::replay::<Inspection>(&recurring);
        assert!(state.overdue_actions(date(2023, 12, 9)).is_empty());
        assert_eq!(
            state.overdue_actions(date(2023, 12, 10)).len(),
            1,
            "no report before 10 December"
        );
        let reported = with(
            recurring,
            Command::ReportProgress {
                action_id: id(ACTION),
                summary: "đã kiểm tra 12 huyện".to_owned(),
                effective_date: date(2024, 11, 30),
            },
        );
        let state = crate::replay::<Inspection>(&reported);
        assert!(state.overdue_actions(date(2024, 12, 15)).is_empty());
        assert_eq!(
            state.overdue_actions(date(2025, 12, 10)).len(),
            1,
            "each year needs its report"
        );
    }
}
