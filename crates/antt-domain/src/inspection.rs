//! Inspections and the remediation answering them (seed 002): one stream per inspection.
//!
//! Opened on the delegation's report → findings (strengths, shortcomings) → remedial
//! actions per shortcoming, and tasks to build on a strength ([`Purpose::KeepUp`]), each
//! with one or more lead bodies, coordinating bodies, a deadline or "ongoing" with a
//! yearly report date due from every lead body → progress reports, each by a lead body →
//! actions completed or carried over → closed, only when no action is left open. [`State::overdue_actions`] lists what is late on a
//! date, so overdue actions show up without anyone asking for them by name.
//!
//! The rules (see [`check`]) hold at every date, whatever the order in which the facts
//! are typed in (see [`crate::timeline`]): an action is completed or carried over once,
//! at a date it was open; an inspection closes on a date by which every action was
//! finished, and nothing takes effect after its close.

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
        /// The lead body reporting; empty for the only lead body of an action.
        reporting_body: String,
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

/// Plans a remedial action for a shortcoming, or a task to build on a strength.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanAction {
    pub action_id: Uuid,
    pub finding_id: Uuid,
    pub purpose: Purpose,
    pub description: String,
    /// The first lead body (chủ trì).
    pub lead_body: String,
    /// The further lead bodies, when several lead the action together.
    pub other_lead_bodies: Vec<String>,
    pub coordinating_bodies: Vec<String>,
    pub deadline: Deadline,
    pub plan: Option<Decision>,
    pub effective_date: Date,
}

/// What an action answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Purpose {
    /// Khắc phục: remedies a shortcoming ([`pb::RemedialActionPlanned`]).
    #[default]
    Remedy,
    /// Phát huy: keeps up and builds on a strength ([`pb::StrengthTaskPlanned`]).
    KeepUp,
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
        StrengthTaskPlanned(pb::StrengthTaskPlanned) = "antt.v1.StrengthTaskPlanned" @ 1,
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
    /// The inspected area; empty when the inspection is not of an area.
    pub inspected_area_id: String,
    pub closed_on: Option<Date>,
    pub findings: BTreeMap<String, pb::FindingKind>,
    pub actions: BTreeMap<String, ActionRecord>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionRecord {
    pub finding_id: String,
    pub purpose: Purpose,
    /// The lead bodies (chủ trì), the first as planned first; an older event's single
    /// `lead_body` is the only one.
    pub lead_bodies: Vec<String>,
    pub planned_on: Date,
    /// None when the recorded deadline could not be read.
    pub deadline: Option<Deadline>,
    pub status: ActionStatus,
    /// The progress reports, by date, then by body: two bodies reporting on one day are
    /// the same history whichever was typed in first.
    pub progress_reports: Vec<ProgressReport>,
}

/// A progress report on an action.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProgressReport {
    pub on: Date,
    /// The lead body that reported; a report naming none is the first lead body's.
    pub by: String,
}

/// A lead body's yearly report on an ongoing action, for one year as of a day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YearlyReport<'a> {
    pub lead_body: &'a str,
    /// Reported that year before the report day.
    pub reported: bool,
    /// The report day passed while the action was open, planned before it, without that
    /// report: missed, whatever came after.
    pub missed: bool,
    /// The body's reports that year up to the day, in date order.
    pub reported_on: Vec<Date>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionStatus {
    Open,
    Completed { on: Date },
    CarriedOver { on: Date },
}

impl State {
    /// Ids of the actions that are late on `as_of`: planned by then and still open at its
    /// end, and past their due date, or ongoing and, once this year's report date has
    /// passed, without a progress report before it from every lead body.
    ///
    /// A function of the date and the facts up to it: a state holding later facts too (a
    /// completion in 2025, a report after the report date) answers the same as the state
    /// as of `as_of`, so a view of the whole record tells what was late on any day.
    pub fn overdue_actions(&self, as_of: Date) -> Vec<&str> {
        self.actions
            .iter()
            .filter(|(_, action)| action.is_overdue(as_of))
            .map(|(action_id, _)| action_id.as_str())
            .collect()
    }

    fn ensure_open_on(&self, effective: Date) -> Result<(), DomainError> {
        let closed = self.closed_on.map(|_| DomainError::InspectionClosed);
        facts::ensure_open_on("the inspection", self.opened_on, closed, effective)
    }

    /// The action `action_id` is open, and `effective` not before it was planned.
    fn ensure_action_open(&self, action_id: &str, effective: Date) -> Result<(), DomainError> {
        let action = self.actions.get(action_id).ok_or(DomainError::UnknownAction)?;
        if action.status != ActionStatus::Open {
            return Err(DomainError::ActionFinished);
        }
        facts::ensure_since("the remedial action", effective, action.planned_on)
    }

    fn outstanding_actions(&self) -> usize {
        self.actions
            .values()
            .filter(|action| action.status == ActionStatus::Open)
            .count()
    }
}

impl ActionRecord {
    /// Planned by `date` and neither completed nor carried over by its end.
    pub fn is_open_on(&self, date: Date) -> bool {
        let finished_by = match self.status {
            ActionStatus::Open => false,
            ActionStatus::Completed { on } | ActionStatus::CarriedOver { on } => on <= date,
        };
        self.planned_on <= date && !finished_by
    }

    /// Dates of the progress reports, in the order they took effect.
    pub fn progress_reported_on(&self) -> Vec<Date> {
        self.progress_reports.iter().map(|report| report.on).collect()
    }

    /// For an ongoing action, each lead body's report for the year of `as_of`, as of that
    /// day; None for an action with a due date.
    ///
    /// A function of the date and the facts up to it, like [`State::overdue_actions`]:
    /// only reports before the report day count, and the day is not after `as_of` once
    /// the report is missed, so a report that came later, or was typed in later for a
    /// later day, does not undo the miss.
    pub fn yearly_reports(&self, as_of: Date) -> Option<Vec<YearlyReport<'_>>> {
        let Some(Deadline::Ongoing { report_due_before }) = self.deadline else {
            return None;
        };
        let due = report_due_before.in_year(as_of.year());
        let year_start = Date::first_day_of_year(as_of.year());
        let due_passed = self.is_open_on(as_of) && self.planned_on < due && as_of >= due;
        let reports = self.lead_bodies.iter().map(|lead_body| {
            let reported_on: Vec<Date> = self
                .progress_reports
                .iter()
                .filter(|report| report.by == *lead_body && year_start <= report.on && report.on <= as_of)
                .map(|report| report.on)
                .collect();
            let reported = reported_on.iter().any(|on| *on < due);
            YearlyReport {
                lead_body,
                reported,
                missed: due_passed && !reported,
                reported_on,
            }
        });
        Some(reports.collect())
    }

    /// Whether the action is late on `as_of` (see [`State::overdue_actions`]).
    pub fn is_overdue(&self, as_of: Date) -> bool {
        if !self.is_open_on(as_of) {
            return false;
        }
        match self.deadline {
            Some(Deadline::DueBy(due)) => as_of > due,
            // Missed if any lead body has not reported in time.
            Some(Deadline::Ongoing { .. }) => self
                .yearly_reports(as_of)
                .is_some_and(|reports| reports.iter().any(|report| report.missed)),
            None => false,
        }
    }

    /// A report names one of the action's lead bodies, or none if it has only one.
    fn ensure_reporting_body(&self, reporting_body: &str) -> Result<(), DomainError> {
        if reporting_body.is_empty() {
            return match self.lead_bodies.len() {
                0 | 1 => Ok(()),
                _ => Err(DomainError::ReportingBodyRequired),
            };
        }
        if self.lead_bodies.iter().any(|lead_body| lead_body == reporting_body) {
            Ok(())
        } else {
            Err(DomainError::NotALeadBody)
        }
    }
}

/// Checks `command` against the inspection as it stood on the command's effective date:
/// the command is read into its event, then the event is judged by [`check`], the rules
/// that also judge every later record again (see [`crate::timeline`]).
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let event = build_event(state, command, ctx)?;
    check(state, &event)?;
    Ok(vec![event])
}

/// The event a command asks for, with its own fields checked; the rules that depend on
/// the inspection's state are [`check`]'s.
fn build_event(state: &State, command: Command, ctx: &Context) -> Result<Event, DomainError> {
    let inspection_id = state.inspection_id.clone();
    Ok(match command {
        Command::Open {
            inspection_id,
            delegation,
            scope,
            inspected_area,
            report,
            effective_date,
        } => {
            if let Some(area) = &inspected_area {
                area.ensure_exists_on(effective_date)?;
            }
            Event::Opened(pb::InspectionOpened {
                inspection_id: inspection_id.to_string(),
                delegation: text::required_name("delegation", &delegation)?,
                scope: text::required_text("scope", &scope)?,
                inspected_area_id: facts::optional_id(inspected_area.as_ref().map(|area| area.area_id)),
                report: Some(report.to_proto("report", ctx)?),
                effective_date: Some(effective_date.to_proto()),
            })
        }
        Command::RecordFinding {
            finding_id,
            kind,
            text,
            effective_date,
        } => Event::FindingRecorded(pb::InspectionFindingRecorded {
            inspection_id,
            finding_id: finding_id.to_string(),
            kind: facts::specified("kind", kind)?.into(),
            text: text::required_text("text", &text)?,
            effective_date: Some(effective_date.to_proto()),
        }),
        Command::PlanAction(plan) => build_planned(inspection_id, plan, ctx)?,
        Command::ReportProgress {
            action_id,
            summary,
            reporting_body,
            effective_date,
        } => Event::ProgressReported(pb::RemedialProgressReported {
            inspection_id,
            action_id: action_id.to_string(),
            summary: text::required_text("summary", &summary)?,
            effective_date: Some(effective_date.to_proto()),
            reporting_body: text::optional_name("reporting_body", &reporting_body)?,
        }),
        Command::CompleteAction {
            action_id,
            summary,
            effective_date,
        } => Event::ActionCompleted(pb::RemedialActionCompleted {
            inspection_id,
            action_id: action_id.to_string(),
            summary: text::optional_text("summary", &summary)?,
            effective_date: Some(effective_date.to_proto()),
        }),
        Command::CarryOverAction {
            action_id,
            reason,
            effective_date,
        } => Event::ActionCarriedOver(pb::RemedialActionCarriedOver {
            inspection_id,
            action_id: action_id.to_string(),
            reason: text::required_text("reason", &reason)?,
            effective_date: Some(effective_date.to_proto()),
        }),
        Command::Close {
            conclusion,
            effective_date,
        } => Event::Closed(pb::InspectionClosed {
            inspection_id,
            conclusion: text::optional_text("conclusion", &conclusion)?,
            effective_date: Some(effective_date.to_proto()),
        }),
    })
}

/// Whether `event` holds on `state`, the inspection as it stood just before the event
/// took effect: opened once; nothing before the opening or after the close; findings and
/// actions recorded once; remedial actions answer shortcomings, strength tasks answer
/// strengths; reports, completions and carry-overs for an action planned and still open;
/// a report by one of the action's lead bodies (named when it has several); closing with
/// no action open.
///
/// The close is judged again whenever a fact is typed in for an earlier day, so a plan
/// typed in after the close is refused: on the closing day that action would be open.
/// An action planned and finished before the close must be typed in before the close
/// is. A completion or carry-over dated after the close is refused as after it.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    let on = crate::codec::DomainEvent::effective_date(event);
    if let Event::Opened(_) = event {
        return facts::ensure_not_recorded("the inspection", state.opened_on);
    }
    state.ensure_open_on(on)?;
    match event {
        Event::Opened(_) => Ok(()),
        Event::FindingRecorded(e) if state.findings.contains_key(&e.finding_id) => {
            Err(DomainError::AlreadyRecorded { what: "the finding" })
        }
        Event::FindingRecorded(_) => Ok(()),
        Event::ActionPlanned(e) => check_plan(state, &e.action_id, &e.finding_id, Purpose::Remedy),
        Event::StrengthTaskPlanned(e) => check_plan(state, &e.action_id, &e.finding_id, Purpose::KeepUp),
        Event::ProgressReported(e) => {
            state.ensure_action_open(&e.action_id, on)?;
            state.actions[&e.action_id].ensure_reporting_body(&e.reporting_body)
        }
        Event::ActionCompleted(e) => state.ensure_action_open(&e.action_id, on),
        Event::ActionCarriedOver(e) => state.ensure_action_open(&e.action_id, on),
        Event::Closed(_) => match state.outstanding_actions() {
            0 => Ok(()),
            outstanding => Err(DomainError::ActionsOutstanding {
                count: u32::try_from(outstanding).unwrap_or(u32::MAX),
            }),
        },
    }
}

/// A new remedial action answers a shortcoming recorded by the plan's date; a new
/// strength task, a strength.
fn check_plan(state: &State, action_id: &str, finding_id: &str, purpose: Purpose) -> Result<(), DomainError> {
    if state.actions.contains_key(action_id) {
        return Err(DomainError::AlreadyRecorded {
            what: "the remedial action",
        });
    }
    match (state.findings.get(finding_id), purpose) {
        (None, _) => Err(DomainError::UnknownFinding),
        (Some(pb::FindingKind::Shortcoming), Purpose::Remedy) | (Some(pb::FindingKind::Strength), Purpose::KeepUp) => {
            Ok(())
        }
        (Some(_), Purpose::Remedy) => Err(DomainError::NotAShortcoming),
        (Some(_), Purpose::KeepUp) => Err(DomainError::NotAStrength),
    }
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

fn build_planned(inspection_id: String, plan: PlanAction, ctx: &Context) -> Result<Event, DomainError> {
    let lead_body = text::required_name("lead_body", &plan.lead_body)?;
    let other_lead_bodies = facts::names("other_lead_bodies", &plan.other_lead_bodies)?;
    for (index, other) in other_lead_bodies.iter().enumerate() {
        if *other == lead_body || other_lead_bodies[..index].contains(other) {
            return Err(DomainError::invalid("other_lead_bodies", "names a lead body twice"));
        }
    }
    let remedial = pb::RemedialActionPlanned {
        inspection_id,
        action_id: plan.action_id.to_string(),
        finding_id: plan.finding_id.to_string(),
        description: text::required_text("description", &plan.description)?,
        lead_body,
        coordinating_bodies: facts::names("coordinating_bodies", &plan.coordinating_bodies)?,
        deadline: Some(deadline_to_proto(plan.deadline, plan.effective_date)?),
        plan: facts::optional_decision("plan", plan.plan.as_ref(), ctx)?,
        effective_date: Some(plan.effective_date.to_proto()),
        other_lead_bodies,
    };
    Ok(match plan.purpose {
        Purpose::Remedy => Event::ActionPlanned(remedial),
        Purpose::KeepUp => Event::StrengthTaskPlanned(strength_task(remedial)),
    })
}

/// A strength task with the fields of a remedial action.
fn strength_task(e: pb::RemedialActionPlanned) -> pb::StrengthTaskPlanned {
    use pb::remedial_action_planned::Deadline as Remedial;
    use pb::strength_task_planned::Deadline as Wire;
    pb::StrengthTaskPlanned {
        inspection_id: e.inspection_id,
        action_id: e.action_id,
        finding_id: e.finding_id,
        description: e.description,
        lead_body: e.lead_body,
        other_lead_bodies: e.other_lead_bodies,
        coordinating_bodies: e.coordinating_bodies,
        deadline: e.deadline.map(|deadline| match deadline {
            Remedial::DueBy(due_by) => Wire::DueBy(due_by),
            Remedial::Ongoing(ongoing) => Wire::Ongoing(ongoing),
        }),
        plan: e.plan,
        effective_date: e.effective_date,
    }
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

/// The inspection after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Opened(e) => {
            state.inspection_id = e.inspection_id.clone();
            state.inspected_area_id = e.inspected_area_id.clone();
            state.opened_on = Some(on);
        }
        Event::FindingRecorded(e) => {
            state.findings.insert(e.finding_id.clone(), e.kind());
        }
        Event::ActionPlanned(e) => {
            use pb::remedial_action_planned::Deadline as Wire;
            let deadline = e.deadline.as_ref().and_then(|deadline| match deadline {
                Wire::DueBy(due_by) => due_by_from_event(due_by),
                Wire::Ongoing(ongoing) => ongoing_from_event(ongoing),
            });
            let action = planned_record(
                e.finding_id.clone(),
                Purpose::Remedy,
                lead_bodies(&e.lead_body, &e.other_lead_bodies),
                on,
                deadline,
            );
            state.actions.insert(e.action_id.clone(), action);
        }
        Event::StrengthTaskPlanned(e) => {
            use pb::strength_task_planned::Deadline as Wire;
            let deadline = e.deadline.as_ref().and_then(|deadline| match deadline {
                Wire::DueBy(due_by) => due_by_from_event(due_by),
                Wire::Ongoing(ongoing) => ongoing_from_event(ongoing),
            });
            let action = planned_record(
                e.finding_id.clone(),
                Purpose::KeepUp,
                lead_bodies(&e.lead_body, &e.other_lead_bodies),
                on,
                deadline,
            );
            state.actions.insert(e.action_id.clone(), action);
        }
        Event::ProgressReported(e) => {
            if let Some(action) = state.actions.get_mut(&e.action_id) {
                // A report naming no body (every older event) is the first lead body's.
                let by = match e.reporting_body.as_str() {
                    "" => action.lead_bodies.first().cloned().unwrap_or_default(),
                    named => named.to_owned(),
                };
                let report = ProgressReport { on, by };
                let at = action.progress_reports.partition_point(|earlier| *earlier <= report);
                action.progress_reports.insert(at, report);
            }
        }
        Event::ActionCompleted(e) => set_status(&mut state, &e.action_id, ActionStatus::Completed { on }),
        Event::ActionCarriedOver(e) => set_status(&mut state, &e.action_id, ActionStatus::CarriedOver { on }),
        Event::Closed(_) => state.closed_on = Some(on),
    }
    state
}

/// The lead bodies of a planning event: the old single field first, then the added ones.
fn lead_bodies(lead_body: &str, others: &[String]) -> Vec<String> {
    std::iter::once(lead_body)
        .filter(|lead_body| !lead_body.is_empty())
        .chain(others.iter().map(String::as_str))
        .map(str::to_owned)
        .collect()
}

fn planned_record(
    finding_id: String,
    purpose: Purpose,
    lead_bodies: Vec<String>,
    planned_on: Date,
    deadline: Option<Deadline>,
) -> ActionRecord {
    ActionRecord {
        finding_id,
        purpose,
        lead_bodies,
        planned_on,
        deadline,
        status: ActionStatus::Open,
        progress_reports: Vec::new(),
    }
}

fn due_by_from_event(due: &pb::Date) -> Option<Deadline> {
    Date::try_from(due).ok().map(Deadline::DueBy)
}

fn ongoing_from_event(ongoing: &pb::OngoingDeadline) -> Option<Deadline> {
    MonthDay::from_event(ongoing.report_due_before.as_ref())
        .map(|report_due_before| Deadline::Ongoing { report_due_before })
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
            purpose: Purpose::Remedy,
            description: "thường xuyên kiểm tra, giám sát, hướng dẫn".to_owned(),
            lead_body: "Đảng ủy Công an tỉnh".to_owned(),
            other_lead_bodies: Vec::new(),
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

    const POLICE: &str = "Đảng ủy Công an tỉnh";
    const FRONT: &str = "Đảng đoàn Ủy ban MTTQ tỉnh";
    const YOUTH: &str = "Ban Thường vụ Tỉnh đoàn";

    /// `plan(finding, deadline)` with `purpose`, led by `leads`.
    fn plan_led_by(finding: u128, deadline: Deadline, purpose: Purpose, leads: &[&str]) -> Command {
        let Command::PlanAction(action) = plan(finding, deadline) else {
            unreachable!()
        };
        Command::PlanAction(PlanAction {
            purpose,
            lead_body: leads[0].to_owned(),
            other_lead_bodies: leads[1..].iter().map(|lead| (*lead).to_owned()).collect(),
            ..action
        })
    }

    fn report_by(body: &str, on: Date) -> Command {
        Command::ReportProgress {
            action_id: id(ACTION),
            summary: "đã báo cáo kết quả thực hiện".to_owned(),
            reporting_body: body.to_owned(),
            effective_date: on,
        }
    }

    #[test]
    fn strengths_get_tasks_to_build_on_them() {
        let keep_up = |finding| plan_led_by(finding, ongoing(), Purpose::KeepUp, &[POLICE]);
        assert_eq!(
            check(opened_with_findings(), keep_up(SHORTCOMING)),
            Err(DomainError::NotAStrength)
        );
        assert_eq!(
            check(opened_with_findings(), keep_up(99)),
            Err(DomainError::UnknownFinding)
        );
        let planned = check(opened_with_findings(), keep_up(STRENGTH)).unwrap();
        assert!(matches!(&planned[..], [Event::StrengthTaskPlanned(e)] if e.finding_id == id(STRENGTH).to_string()));
        let given = [opened_with_findings(), planned].concat();
        let state = crate::replay::<Inspection>(&given);
        let task = &state.actions[&id(ACTION).to_string()];
        assert_eq!(
            (task.purpose, task.finding_id.clone()),
            (Purpose::KeepUp, id(STRENGTH).to_string())
        );
        // A task is reported on and late like a remedial action, and holds the close.
        assert_eq!(state.overdue_actions(date(2023, 12, 10)).len(), 1);
        let reported = with(given, report_by("", date(2023, 11, 1)));
        assert!(crate::replay::<Inspection>(&reported)
            .overdue_actions(date(2023, 12, 10))
            .is_empty());
        assert_eq!(
            check(reported, close(date(2024, 1, 1))),
            Err(DomainError::ActionsOutstanding { count: 1 })
        );
    }

    #[test]
    fn an_action_keeps_its_lead_bodies() {
        let led = with(
            opened_with_findings(),
            plan_led_by(SHORTCOMING, ongoing(), Purpose::Remedy, &[POLICE, FRONT, YOUTH]),
        );
        let Some(Event::ActionPlanned(planned)) = led.last() else {
            panic!("planned")
        };
        // The first lead body stays in the old field, so that older readers see it.
        assert_eq!(planned.lead_body, POLICE);
        assert_eq!(planned.other_lead_bodies, [FRONT, YOUTH]);
        let state = crate::replay::<Inspection>(&led);
        assert_eq!(
            state.actions[&id(ACTION).to_string()].lead_bodies,
            [POLICE, FRONT, YOUTH]
        );

        let twice = plan_led_by(SHORTCOMING, ongoing(), Purpose::Remedy, &[POLICE, FRONT, POLICE]);
        assert_eq!(
            check(opened_with_findings(), twice).unwrap_err().field(),
            Some("other_lead_bodies")
        );
        let blank = plan_led_by(SHORTCOMING, ongoing(), Purpose::Remedy, &[POLICE, " "]);
        assert_eq!(
            check(opened_with_findings(), blank).unwrap_err().field(),
            Some("other_lead_bodies")
        );
    }

    #[test]
    fn older_events_read_with_their_single_lead_body() {
        // Events as recorded before lead bodies could be several and reports named one.
        let mut old = with(opened_with_findings(), plan(SHORTCOMING, ongoing()));
        let mut report = check(old.clone(), report_by("", date(2023, 11, 1))).unwrap();
        let Event::ProgressReported(e) = &mut report[0] else {
            panic!("reported")
        };
        assert_eq!(e.reporting_body, "", "nothing new written for the only lead body");
        old.extend(report);
        let state = crate::replay::<Inspection>(&old);
        let action = &state.actions[&id(ACTION).to_string()];
        assert_eq!(action.lead_bodies, [POLICE]);
        assert_eq!(action.purpose, Purpose::Remedy);
        assert_eq!(
            action.progress_reports,
            [ProgressReport {
                on: date(2023, 11, 1),
                by: POLICE.to_owned()
            }]
        );
        let reports = action.yearly_reports(date(2023, 12, 10)).unwrap();
        assert_eq!(
            (reports[0].lead_body, reports[0].reported, reports[0].missed),
            (POLICE, true, false)
        );
        // The only lead body may also name itself.
        assert!(check(old, report_by(POLICE, date(2023, 11, 2))).is_ok());
    }

    #[test]
    fn reports_name_one_of_several_lead_bodies() {
        let led = with(
            opened_with_findings(),
            plan_led_by(SHORTCOMING, ongoing(), Purpose::Remedy, &[POLICE, FRONT]),
        );
        assert_eq!(
            check(led.clone(), report_by("", date(2023, 11, 1))),
            Err(DomainError::ReportingBodyRequired)
        );
        assert_eq!(
            check(led.clone(), report_by(YOUTH, date(2023, 11, 1))),
            Err(DomainError::NotALeadBody)
        );
        assert!(check(led, report_by(FRONT, date(2023, 11, 1))).is_ok());
        let single = with(opened_with_findings(), plan(SHORTCOMING, ongoing()));
        assert_eq!(
            check(single, report_by(FRONT, date(2023, 11, 1))),
            Err(DomainError::NotALeadBody)
        );
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
            reporting_body: String::new(),
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
                reporting_body: String::new(),
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

    mod valid_time {
        //! Rules hold at every date, whatever the order in which facts are recorded.

        use super::*;
        use crate::Context;

        fn planned(deadline: Deadline) -> Vec<Event> {
            with(opened_with_findings(), plan(SHORTCOMING, deadline))
        }

        fn complete_on(on: Date) -> Command {
            Command::CompleteAction {
                action_id: id(ACTION),
                summary: String::new(),
                effective_date: on,
            }
        }

        fn carry_over_on(on: Date) -> Command {
            Command::CarryOverAction {
                action_id: id(ACTION),
                reason: "chuyển sang kế hoạch năm sau".to_owned(),
                effective_date: on,
            }
        }

        fn report_on(on: Date) -> Command {
            Command::ReportProgress {
                action_id: id(ACTION),
                summary: "đã kiểm tra".to_owned(),
                reporting_body: String::new(),
                effective_date: on,
            }
        }

        fn finding_on(n: u128, kind: pb::FindingKind, on: Date) -> Command {
            Command::RecordFinding {
                finding_id: id(n),
                kind,
                text: "bổ sung".to_owned(),
                effective_date: on,
            }
        }

        /// Decided on 30 June 2025, so that facts of 2025 can be recorded.
        fn with_in_2025(mut given: Vec<Event>, command: Command) -> Vec<Event> {
            let ctx = Context {
                recorded_date: date(2025, 6, 30),
                ..crate::testing::ctx()
            };
            let decided = crate::timeline_of::<Inspection>(&given).decide(command, &ctx).unwrap();
            given.extend(decided);
            given
        }

        #[test]
        fn a_backdated_close_before_a_recorded_completion_is_refused() {
            let completed = with(planned(ongoing()), complete_on(date(2024, 6, 1)));
            // On 2024-03-01 the action was still open.
            assert_eq!(
                check(completed.clone(), close(date(2024, 3, 1))),
                Err(DomainError::ActionsOutstanding { count: 1 })
            );
            // Closed the day it was completed: the completion was recorded first.
            assert!(check(completed, close(date(2024, 6, 1))).is_ok());
        }

        #[test]
        fn nothing_is_finished_after_the_close() {
            let closed = with(
                with(planned(ongoing()), complete_on(date(2024, 6, 1))),
                close(date(2024, 12, 1)),
            );
            assert_eq!(
                check(closed.clone(), carry_over_on(date(2024, 12, 20))),
                Err(DomainError::InspectionClosed)
            );
            // Before the close the action was already completed.
            assert_eq!(
                check(closed, carry_over_on(date(2024, 11, 1))),
                Err(DomainError::ActionFinished)
            );
        }

        #[test]
        fn a_backdated_plan_cannot_leave_an_action_open_at_a_recorded_close() {
            let closed = with(opened_with_findings(), close(date(2024, 12, 1)));
            // Planned in 2023 and finished before the close, but typed in after it: the
            // plan alone would leave the action open when the inspection closed.
            assert_eq!(
                check(closed, plan(SHORTCOMING, ongoing())),
                Err(DomainError::ContradictsLaterRecord {
                    on: date(2024, 12, 1),
                    rule: Box::new(DomainError::ActionsOutstanding { count: 1 }),
                })
            );
        }

        #[test]
        fn a_backdated_completion_cannot_precede_a_recorded_report() {
            let reported = with(planned(ongoing()), report_on(date(2024, 7, 1)));
            assert_eq!(
                check(reported.clone(), complete_on(date(2024, 6, 1))),
                Err(DomainError::ContradictsLaterRecord {
                    on: date(2024, 7, 1),
                    rule: Box::new(DomainError::ActionFinished),
                })
            );
            let completed = with(reported, complete_on(date(2024, 8, 1)));
            assert_eq!(
                check(completed, carry_over_on(date(2024, 7, 15))),
                Err(DomainError::ContradictsLaterRecord {
                    on: date(2024, 8, 1),
                    rule: Box::new(DomainError::ActionFinished),
                })
            );
        }

        #[test]
        fn facts_typed_in_after_the_close_for_earlier_days_are_accepted() {
            let closed = with(
                with(planned(ongoing()), complete_on(date(2024, 6, 1))),
                close(date(2024, 12, 1)),
            );
            let reported = with(closed, report_on(date(2024, 3, 1)));
            let found = with(
                reported.clone(),
                finding_on(12, pb::FindingKind::Strength, date(2024, 1, 10)),
            );
            let timeline = crate::timeline_of::<Inspection>(&found);
            let action = |d: Date| timeline.state_as_of(d).actions[&id(ACTION).to_string()].clone();
            assert_eq!(action(date(2024, 3, 1)).progress_reported_on(), vec![date(2024, 3, 1)]);
            assert_eq!(action(date(2024, 5, 31)).status, ActionStatus::Open);
            assert_eq!(
                action(date(2024, 6, 1)).status,
                ActionStatus::Completed { on: date(2024, 6, 1) }
            );
            assert!(!timeline
                .state_as_of(date(2024, 1, 9))
                .findings
                .contains_key(&id(12).to_string()));
            assert_eq!(
                check(reported, finding_on(12, pb::FindingKind::Strength, date(2024, 12, 5))),
                Err(DomainError::InspectionClosed)
            );
        }

        #[test]
        fn nothing_takes_effect_before_the_opening() {
            assert!(matches!(
                check(
                    opened_with_findings(),
                    finding_on(12, pb::FindingKind::Strength, date(2023, 5, 1))
                ),
                Err(DomainError::BeforeExistence {
                    what: "the inspection",
                    ..
                })
            ));
            // Before the plan's date the action is not part of the inspection yet.
            assert_eq!(
                check(planned(ongoing()), complete_on(date(2023, 6, 15))),
                Err(DomainError::UnknownAction)
            );
        }

        fn overdue_on(timeline: &crate::Timeline<Inspection>, on: Date) -> Vec<String> {
            let as_of = timeline.state_as_of(on);
            let overdue: Vec<String> = as_of.overdue_actions(on).into_iter().map(str::to_owned).collect();
            // The whole record tells the same for that day.
            let whole = timeline.state();
            assert_eq!(whole.overdue_actions(on), overdue, "on {on}");
            overdue
        }

        #[test]
        fn an_action_completed_in_2025_was_overdue_in_december_2024() {
            let due = planned(Deadline::DueBy(date(2024, 12, 1)));
            let completed = with_in_2025(due, complete_on(date(2025, 2, 1)));
            let timeline = crate::timeline_of::<Inspection>(&completed);
            let action = vec![id(ACTION).to_string()];
            assert!(overdue_on(&timeline, date(2024, 12, 1)).is_empty(), "due that day");
            assert_eq!(overdue_on(&timeline, date(2024, 12, 15)), action);
            assert_eq!(overdue_on(&timeline, date(2025, 1, 31)), action);
            assert!(overdue_on(&timeline, date(2025, 2, 1)).is_empty(), "completed");
            assert!(overdue_on(&timeline, date(2023, 6, 1)).is_empty(), "not planned yet");
        }

        /// Each lead body's (reported, missed, report dates) on `on`; the whole record
        /// tells the same for that day.
        fn yearly_on(timeline: &crate::Timeline<Inspection>, on: Date) -> Vec<(String, bool, bool, Vec<Date>)> {
            let read = |state: &State| -> Vec<(String, bool, bool, Vec<Date>)> {
                let action = &state.actions[&id(ACTION).to_string()];
                let reports = action.yearly_reports(on).unwrap();
                reports
                    .into_iter()
                    .map(|r| (r.lead_body.to_owned(), r.reported, r.missed, r.reported_on))
                    .collect()
            };
            let as_of = read(&timeline.state_as_of(on));
            assert_eq!(read(&timeline.state()), as_of, "on {on}");
            as_of
        }

        #[test]
        fn the_yearly_report_is_due_from_every_lead_body() {
            let led = with(
                opened_with_findings(),
                plan_led_by(SHORTCOMING, ongoing(), Purpose::Remedy, &[POLICE, FRONT]),
            );
            // 2023: both in time. 2024: the police in time, the Front on 12 December.
            let reported = with(
                with(led, report_by(POLICE, date(2023, 11, 20))),
                report_by(FRONT, date(2023, 12, 9)),
            );
            let police_only = with(reported, report_by(POLICE, date(2024, 11, 30)));
            let late = with(police_only.clone(), report_by(FRONT, date(2024, 12, 12)));
            let timeline = crate::timeline_of::<Inspection>(&late);
            let action = vec![id(ACTION).to_string()];
            assert!(
                overdue_on(&timeline, date(2023, 12, 10)).is_empty(),
                "both reported in 2023"
            );
            assert!(
                overdue_on(&timeline, date(2024, 12, 9)).is_empty(),
                "the day is not passed yet"
            );
            let police = |reported_on: Vec<Date>| (POLICE.to_owned(), true, false, reported_on);
            assert_eq!(
                yearly_on(&timeline, date(2024, 12, 9)),
                [
                    police(vec![date(2024, 11, 30)]),
                    (FRONT.to_owned(), false, false, vec![])
                ]
            );
            assert_eq!(
                overdue_on(&timeline, date(2024, 12, 10)),
                action,
                "the Front has not reported"
            );
            assert_eq!(
                yearly_on(&timeline, date(2024, 12, 10)),
                [
                    police(vec![date(2024, 11, 30)]),
                    (FRONT.to_owned(), false, true, vec![])
                ]
            );
            // The Front's report of the 12th is in, but late: the year stays missed.
            assert_eq!(overdue_on(&timeline, date(2024, 12, 15)), action);
            assert_eq!(
                yearly_on(&timeline, date(2024, 12, 15)),
                [
                    police(vec![date(2024, 11, 30)]),
                    (FRONT.to_owned(), false, true, vec![date(2024, 12, 12)])
                ]
            );
            assert_eq!(overdue_on(&timeline, date(2024, 12, 31)), action);
            // A new year, a new report day not passed yet.
            assert!(overdue_on(&timeline, date(2025, 1, 1)).is_empty());
            assert_eq!(
                yearly_on(&timeline, date(2025, 1, 1)),
                [
                    (POLICE.to_owned(), false, false, vec![]),
                    (FRONT.to_owned(), false, false, vec![])
                ]
            );
            // The Front's report made on 5 December, typed in afterwards, counts from
            // its own date.
            let in_time = with(police_only, report_by(FRONT, date(2024, 12, 5)));
            let timeline = crate::timeline_of::<Inspection>(&in_time);
            assert!(overdue_on(&timeline, date(2024, 12, 10)).is_empty());
            assert!(overdue_on(&timeline, date(2024, 12, 15)).is_empty());
            assert!(overdue_on(&timeline, date(2024, 12, 4)).is_empty());
        }

        #[test]
        fn a_missed_yearly_report_stays_missed() {
            // Reported for 2023 in time; for 2024 only on 12 December, after the 10th.
            let reported = with(planned(ongoing()), report_on(date(2023, 11, 30)));
            let late = with(reported.clone(), report_on(date(2024, 12, 12)));
            let timeline = crate::timeline_of::<Inspection>(&late);
            let action = vec![id(ACTION).to_string()];
            assert!(overdue_on(&timeline, date(2023, 12, 15)).is_empty());
            assert!(overdue_on(&timeline, date(2024, 12, 9)).is_empty());
            assert_eq!(overdue_on(&timeline, date(2024, 12, 11)), action);
            assert_eq!(
                overdue_on(&timeline, date(2024, 12, 15)),
                action,
                "the late report does not count"
            );
            assert_eq!(overdue_on(&timeline, date(2024, 12, 31)), action);
            // A report made in time but typed in later counts from its own date.
            let in_time = with(late, report_on(date(2024, 11, 20)));
            let timeline = crate::timeline_of::<Inspection>(&in_time);
            assert!(overdue_on(&timeline, date(2024, 12, 15)).is_empty());
            // Carried over on 11 December: late for one day only.
            let carried = with(reported, carry_over_on(date(2024, 12, 11)));
            let timeline = crate::timeline_of::<Inspection>(&carried);
            assert_eq!(overdue_on(&timeline, date(2024, 12, 10)), action);
            assert!(overdue_on(&timeline, date(2024, 12, 11)).is_empty());
        }
    }

    mod recording_order {
        //! Goal: whatever the order in which a valid history is typed in, the record ends
        //! up telling, for every day, what the history says. Method: random valid
        //! histories, recorded in a random order; a refused command is retried after the
        //! others until a round accepts nothing. The states as of every day are compared
        //! with a naive oracle that decides the same commands one by one in date order.
        //!
        //! One order cannot be completed, by design: once the close is recorded, an action
        //! planned before it and not yet recorded can no longer be typed in (the plan alone
        //! would leave it open at the close; see [`check`]). The test predicts exactly
        //! those commands and checks that the rest is recorded as the oracle says.

        use std::collections::BTreeSet;

        use proptest::prelude::*;

        use super::*;
        use crate::codec::DomainEvent;

        /// Days after the opening, 2023-05-31.
        fn day(offset: u32) -> Date {
            Date::from_days_since_unix_epoch(date(2023, 5, 31).days_since_unix_epoch() + i64::from(offset))
        }

        fn next_day(on: Date) -> Date {
            Date::from_days_since_unix_epoch(on.days_since_unix_epoch() + 1)
        }

        #[derive(Clone, Debug)]
        struct RawAction {
            finding: usize,
            plan_gap: u32,
            due_gap: Option<u32>,
            /// How many lead bodies, 1 to 3.
            leads: usize,
            /// Days after the previous fact, and which lead body reports.
            report_gaps: Vec<(u32, usize)>,
            /// Completed (true) or carried over, so many days after the last report.
            finish: Option<(bool, u32)>,
        }

        #[derive(Clone, Debug)]
        struct RawHistory {
            /// Shortcoming or strength, days after the opening.
            findings: Vec<(bool, u32)>,
            actions: Vec<RawAction>,
            close_gap: Option<u32>,
        }

        fn raw_history() -> impl Strategy<Value = RawHistory> {
            let action = (
                0usize..4,
                0u32..60,
                proptest::option::of(0u32..200),
                1usize..4,
                proptest::collection::vec((0u32..60, 0usize..3), 0..4),
                prop_oneof![1 => Just(None), 4 => (any::<bool>(), 1u32..90).prop_map(Some)],
            )
                .prop_map(|(finding, plan_gap, due_gap, leads, report_gaps, finish)| RawAction {
                    finding,
                    plan_gap,
                    due_gap,
                    leads,
                    report_gaps,
                    finish,
                });
            (
                proptest::collection::vec((prop::bool::weighted(0.75), 0u32..60), 1..4),
                proptest::collection::vec(action, 0..5),
                prop_oneof![1 => Just(None), 3 => (1u32..60).prop_map(Some)],
            )
                .prop_map(|(findings, actions, close_gap)| RawHistory {
                    findings,
                    actions,
                    close_gap,
                })
        }

        /// What a command of the history is about, to predict what cannot be recorded.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        enum About {
            Record,
            Plan(usize),
            Action(usize),
            Close,
        }

        /// The commands of a valid history in an order that happened, with their dates.
        /// Every action's reports precede its finish, and the close follows every other
        /// fact, by a day at least: facts of one day are ordered as recorded, so such
        /// ties would depend on the order of typing.
        fn history(raw: &RawHistory) -> Vec<(Date, About, Command)> {
            let mut commands = vec![(day(0), About::Record, open_command())];
            let mut findings = Vec::new();
            for (n, &(shortcoming, found_on)) in (100u128..).zip(&raw.findings) {
                findings.push((n, shortcoming, found_on));
                commands.push((day(found_on), About::Record, finding(n, shortcoming, day(found_on))));
            }
            let mut last = raw.findings.iter().map(|(_, found_on)| *found_on).max().unwrap_or(0);
            let mut all_finished = true;
            for (index, action) in raw.actions.iter().enumerate() {
                // Remedial actions answer shortcomings, strength tasks strengths.
                let Some(&answered) = findings.get(action.finding % findings.len().max(1)) else {
                    break;
                };
                let (finished_on, finished) = action_history(&mut commands, index, action, answered);
                last = last.max(finished_on);
                all_finished &= finished;
            }
            if let (Some(gap), true) = (raw.close_gap, all_finished) {
                commands.push((day(last + gap), About::Close, close(day(last + gap))));
            }
            commands
        }

        fn finding(n: u128, shortcoming: bool, on: Date) -> Command {
            Command::RecordFinding {
                finding_id: id(n),
                kind: if shortcoming {
                    pb::FindingKind::Shortcoming
                } else {
                    pb::FindingKind::Strength
                },
                text: "nhận xét".to_owned(),
                effective_date: on,
            }
        }

        const BODIES: [&str; 3] = ["Công an tỉnh", "Ủy ban MTTQ tỉnh", "Tỉnh đoàn"];

        /// Pushes an action's plan, reports and finish, if any, answering the finding
        /// `(id, shortcoming, day)`; its last day and whether it was finished.
        fn action_history(
            commands: &mut Vec<(Date, About, Command)>,
            index: usize,
            action: &RawAction,
            (finding, shortcoming, found_on): (u128, bool, u32),
        ) -> (u32, bool) {
            let action_id = id(200 + u128::try_from(index).unwrap());
            let mut on = found_on + action.plan_gap;
            let lead_bodies = &BODIES[..action.leads];
            let plan = Command::PlanAction(PlanAction {
                action_id,
                finding_id: id(finding),
                purpose: if shortcoming { Purpose::Remedy } else { Purpose::KeepUp },
                description: "khắc phục".to_owned(),
                lead_body: lead_bodies[0].to_owned(),
                other_lead_bodies: lead_bodies[1..].iter().map(|body| (*body).to_owned()).collect(),
                coordinating_bodies: Vec::new(),
                deadline: action.due_gap.map_or(ongoing(), |gap| Deadline::DueBy(day(on + gap))),
                plan: None,
                effective_date: day(on),
            });
            commands.push((day(on), About::Plan(index), plan));
            for (gap, body) in &action.report_gaps {
                on += gap;
                // One lead body may report without naming itself.
                let reporting_body = match lead_bodies {
                    [_] => String::new(),
                    _ => lead_bodies[body % lead_bodies.len()].to_owned(),
                };
                let report = Command::ReportProgress {
                    action_id,
                    summary: "tiến độ".to_owned(),
                    reporting_body,
                    effective_date: day(on),
                };
                commands.push((day(on), About::Action(index), report));
            }
            let Some((completed, gap)) = action.finish else {
                return (on, false);
            };
            on += gap;
            commands.push((day(on), About::Action(index), finish(action_id, completed, day(on))));
            (on, true)
        }

        fn open_command() -> Command {
            Command::Open {
                inspection_id: id(1),
                delegation: "Đoàn Kiểm tra số 02".to_owned(),
                scope: "thực hiện Kết luận số 44-KL/TW".to_owned(),
                inspected_area: None,
                report: decision("03-BC/ĐKT", day(0)),
                effective_date: day(0),
            }
        }

        fn finish(action_id: Uuid, completed: bool, on: Date) -> Command {
            if completed {
                Command::CompleteAction {
                    action_id,
                    summary: String::new(),
                    effective_date: on,
                }
            } else {
                Command::CarryOverAction {
                    action_id,
                    reason: "chuyển sang năm sau".to_owned(),
                    effective_date: on,
                }
            }
        }

        /// The events of `commands` decided one by one in date order (ties in the
        /// history's order) against a plain fold: the history as it happened.
        fn oracle(commands: &[&(Date, About, Command)]) -> Vec<Event> {
            let mut by_date = commands.to_vec();
            by_date.sort_by_key(|(on, _, _)| *on);
            let mut state = State::default();
            let mut events = Vec::new();
            for (on, _, command) in by_date {
                let decided = decide(&state, command.clone(), &crate::testing::ctx())
                    .unwrap_or_else(|refusal| panic!("the history is valid on {on}: {refusal}"));
                for event in &decided {
                    state = evolve(state, event);
                }
                events.extend(decided);
            }
            events
        }

        /// What recording in `order` with retries left: the timeline, the commands never
        /// accepted with their last refusal, and the plans accepted before the close.
        struct Recorded {
            timeline: crate::Timeline<Inspection>,
            refused: BTreeMap<usize, DomainError>,
            planned_before_close: Option<BTreeSet<usize>>,
        }

        fn record(commands: &[(Date, About, Command)], order: &[usize]) -> Recorded {
            let mut recorded = Recorded {
                timeline: crate::Timeline::new(),
                refused: BTreeMap::new(),
                planned_before_close: None,
            };
            let mut planned = BTreeSet::new();
            let mut pending = order.to_vec();
            let mut position = 0u64;
            loop {
                let mut still_pending = Vec::new();
                for index in pending.iter().copied() {
                    let (_, about, command) = &commands[index];
                    match recorded.timeline.decide(command.clone(), &crate::testing::ctx()) {
                        Ok(decided) => {
                            for event in decided {
                                recorded.timeline.push(position, event);
                                position += 1;
                            }
                            recorded.refused.remove(&index);
                            match about {
                                About::Plan(action) => drop(planned.insert(*action)),
                                About::Close => recorded.planned_before_close = Some(planned.clone()),
                                About::Record | About::Action(_) => {}
                            }
                        }
                        Err(refusal) => {
                            recorded.refused.insert(index, refusal);
                            still_pending.push(index);
                        }
                    }
                }
                if still_pending.len() == pending.len() {
                    return recorded;
                }
                pending = still_pending;
            }
        }

        /// The commands about actions whose plan was not recorded before the close.
        fn predicted_refusals(commands: &[(Date, About, Command)], recorded: &Recorded) -> BTreeSet<usize> {
            let Some(planned) = &recorded.planned_before_close else {
                return BTreeSet::new();
            };
            let late = |action: &usize| !planned.contains(action);
            (0..commands.len())
                .filter(|index| match commands[*index].1 {
                    About::Plan(action) | About::Action(action) => late(&action),
                    About::Record | About::Close => false,
                })
                .collect()
        }

        fn naive_state_as_of(events: &[Event], on: Date) -> State {
            events
                .iter()
                .take_while(|event| event.effective_date() <= on)
                .fold(State::default(), evolve)
        }

        fn shuffled_history() -> impl Strategy<Value = (RawHistory, Vec<usize>)> {
            raw_history().prop_flat_map(|raw| {
                let indices: Vec<usize> = (0..history(&raw).len()).collect();
                (Just(raw), Just(indices).prop_shuffle())
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            #[test]
            fn any_recording_order_tells_the_same_history((raw, order) in shuffled_history()) {
                let commands = history(&raw);
                let recorded = record(&commands, &order);
                let predicted = predicted_refusals(&commands, &recorded);
                let refused: BTreeSet<usize> = recorded.refused.keys().copied().collect();
                prop_assert_eq!(&refused, &predicted, "refusals: {:?}", recorded.refused);
                let close_on = commands.iter().find(|(_, about, _)| *about == About::Close).map(|(on, _, _)| *on);
                for (index, refusal) in &recorded.refused {
                    let expected = match commands[*index].1 {
                        About::Plan(_) => DomainError::ContradictsLaterRecord {
                            on: close_on.unwrap(),
                            rule: Box::new(DomainError::ActionsOutstanding { count: 1 }),
                        },
                        _ => DomainError::UnknownAction,
                    };
                    prop_assert_eq!(refusal, &expected);
                }

                let accepted: Vec<&(Date, About, Command)> = (0..commands.len())
                    .filter(|index| !refused.contains(index))
                    .map(|index| &commands[index])
                    .collect();
                let events = oracle(&accepted);
                let last = commands.iter().map(|(on, _, _)| *on).max().unwrap();
                let whole = recorded.timeline.state();
                let mut on = day(0).previous_day();
                while on <= next_day(last) {
                    let as_of = recorded.timeline.state_as_of(on);
                    prop_assert_eq!(&as_of, &naive_state_as_of(&events, on), "on {}", on);
                    prop_assert_eq!(whole.overdue_actions(on), as_of.overdue_actions(on), "overdue on {}", on);
                    for (action_id, action) in &as_of.actions {
                        let whole_reports = whole.actions[action_id].yearly_reports(on);
                        prop_assert_eq!(whole_reports, action.yearly_reports(on), "yearly reports on {}", on);
                    }
                    on = next_day(on);
                }
            }
        }
    }
}
