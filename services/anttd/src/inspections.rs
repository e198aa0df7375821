//! The `antt.v1.Inspections` service: an inspection delegation's findings and the remedial
//! actions answering them (seed 002), one record per inspection in "inspection-<uuid>".
//!
//! The view ([`crate::views::inspection`]) judges which open actions are overdue on a
//! given day, so that late actions show up without anyone asking for them by name.

use std::future::ready;

use antt_domain::inspection::{self, Deadline, Inspection, Purpose};
use antt_domain::Date;
use antt_log::EventLog;
use antt_proto::v1 as pb;
use antt_proto::v1::inspections_server::{Inspections, InspectionsServer};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::commands::Commands;
use crate::request::{self, Fields, Planned};
use crate::views;

/// The gRPC service; cheap to share.
pub struct InspectionsService<L> {
    commands: Commands<L>,
}

impl<L: EventLog> InspectionsService<L> {
    pub fn new(commands: Commands<L>) -> Self {
        InspectionsService { commands }
    }

    /// Wrapped for tonic, with the message size limits of `max_message_bytes`.
    pub fn into_server(self, max_message_bytes: usize) -> InspectionsServer<Self> {
        InspectionsServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }
}

#[tonic::async_trait]
impl<L: EventLog> Inspections for InspectionsService<L> {
    async fn open_inspection(
        &self,
        request: Request<pb::OpenInspectionRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_open(&self.commands, r);
        request::command(&self.commands, "OpenInspection", request, |r| &r.inspection_id, plan).await
    }

    async fn record_finding(
        &self,
        request: Request<pb::RecordFindingRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_finding(r));
        request::command(&self.commands, "RecordFinding", request, |r| &r.inspection_id, plan).await
    }

    async fn plan_remedial_action(
        &self,
        request: Request<pb::PlanRemedialActionRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_action(r));
        request::command(
            &self.commands,
            "PlanRemedialAction",
            request,
            |r| &r.inspection_id,
            plan,
        )
        .await
    }

    async fn report_remedial_progress(
        &self,
        request: Request<pb::ReportRemedialProgressRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_progress(r));
        request::command(
            &self.commands,
            "ReportRemedialProgress",
            request,
            |r| &r.inspection_id,
            plan,
        )
        .await
    }

    async fn complete_remedial_action(
        &self,
        request: Request<pb::CompleteRemedialActionRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_complete(r));
        request::command(
            &self.commands,
            "CompleteRemedialAction",
            request,
            |r| &r.inspection_id,
            plan,
        )
        .await
    }

    async fn carry_over_remedial_action(
        &self,
        request: Request<pb::CarryOverRemedialActionRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_carry_over(r));
        request::command(
            &self.commands,
            "CarryOverRemedialAction",
            request,
            |r| &r.inspection_id,
            plan,
        )
        .await
    }

    async fn close_inspection(
        &self,
        request: Request<pb::CloseInspectionRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_close(r));
        request::command(&self.commands, "CloseInspection", request, |r| &r.inspection_id, plan).await
    }

    async fn get_inspection(
        &self,
        request: Request<pb::GetInspectionRequest>,
    ) -> Result<Response<pb::InspectionView>, Status> {
        let answer = |r: pb::GetInspectionRequest| view_inspection(&self.commands, r);
        request::query("GetInspection", request, |r| &r.inspection_id, answer).await
    }
}

pub(crate) const INSPECTION: &str = "inspection";

/// The inspected area is optional, so this command reads it itself rather than through
/// [`request::plan_in_area`].
async fn plan_open<L: EventLog>(
    commands: &Commands<L>,
    r: pb::OpenInspectionRequest,
) -> Result<Planned<Inspection>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let inspection_id = fields.uuid("inspection_id", &r.inspection_id);
    let inspected_area_id = fields.optional_uuid("inspected_area_id", &r.inspected_area_id);
    // The delegation's report (báo cáo của đoàn kiểm tra).
    let report = fields.required_decision();
    fields.finish()?;
    let inspected_area = match inspected_area_id {
        Some(area_id) => Some(request::area_facts(commands, "inspected_area_id", area_id).await?),
        None => None,
    };
    let command = inspection::Command::Open {
        inspection_id,
        delegation: r.delegation,
        scope: r.scope,
        inspected_area,
        report,
        effective_date: header.effective_date,
    };
    Ok(Planned::new(
        request::stream_id(INSPECTION, inspection_id),
        header,
        command,
    ))
}

fn plan_finding(r: pb::RecordFindingRequest) -> Result<Planned<Inspection>, Status> {
    let record = ("inspection_id", r.inspection_id.as_str(), INSPECTION);
    let read = |fields: &mut Fields| {
        (
            fields.uuid("finding_id", &r.finding_id),
            fields.enumeration("kind", r.kind),
        )
    };
    request::plan(r.header.as_ref(), record, read, |(finding_id, kind), header| {
        inspection::Command::RecordFinding {
            finding_id,
            kind,
            text: r.text.clone(),
            effective_date: header.effective_date,
        }
    })
}

/// The domain calls a due date that precedes the plan a bad "deadline".
const DUE_BY_PATHS: &[(&str, &str)] = &[("deadline", "due_by")];

fn plan_action(r: pb::PlanRemedialActionRequest) -> Result<Planned<Inspection>, Status> {
    let record = ("inspection_id", r.inspection_id.as_str(), INSPECTION);
    let read = |fields: &mut Fields| {
        (
            fields.uuid("action_id", &r.action_id),
            fields.uuid("finding_id", &r.finding_id),
            deadline(fields, r.deadline.as_ref()),
            fields.optional_enumeration("purpose", r.purpose),
        )
    };
    let planned = request::plan(
        r.header.as_ref(),
        record,
        read,
        |(action_id, finding_id, deadline, purpose), header| {
            inspection::Command::PlanAction(inspection::PlanAction {
                action_id,
                finding_id,
                purpose: match purpose {
                    pb::ActionPurpose::Unspecified | pb::ActionPurpose::Remedy => Purpose::Remedy,
                    pb::ActionPurpose::KeepUp => Purpose::KeepUp,
                },
                description: r.description.clone(),
                lead_body: r.lead_body.clone(),
                other_lead_bodies: r.other_lead_bodies.clone(),
                coordinating_bodies: r.coordinating_bodies.clone(),
                deadline,
                plan: header.decision.clone(),
                effective_date: header.effective_date,
            })
        },
    )?;
    Ok(planned.with_paths(DUE_BY_PATHS))
}

/// A due date, or "ongoing" with the day of the yearly report.
fn deadline(fields: &mut Fields, deadline: Option<&pb::plan_remedial_action_request::Deadline>) -> Deadline {
    use pb::plan_remedial_action_request::Deadline as Wire;
    // Stands in for a missing or malformed deadline; the request is then refused.
    let stand_in = Deadline::DueBy(Date::MIN);
    match deadline {
        Some(Wire::DueBy(due_by)) => Deadline::DueBy(fields.date("due_by", Some(due_by))),
        Some(Wire::Ongoing(ongoing)) => {
            let field = "ongoing.report_due_before";
            if ongoing.report_due_before.is_none() {
                fields.violate(
                    field,
                    "an ongoing action needs the day of its yearly report, e.g. 10 December",
                );
            }
            fields
                .month_day(field, ongoing.report_due_before.as_ref())
                .map_or(stand_in, |report_due_before| Deadline::Ongoing { report_due_before })
        }
        None => {
            fields.violate(
                "deadline",
                "give a due date (due_by) or mark the action ongoing with its yearly report day (ongoing)",
            );
            stand_in
        }
    }
}

/// A command on an action of the inspection that needs nothing read but the action's id.
fn plan_on_action(
    header: Option<&pb::CommandHeader>,
    inspection_id: &str,
    action_id: &str,
    command: impl FnOnce(Uuid, Date) -> inspection::Command,
) -> Result<Planned<Inspection>, Status> {
    let record = ("inspection_id", inspection_id, INSPECTION);
    let read = |fields: &mut Fields| fields.uuid("action_id", action_id);
    request::plan(header, record, read, |action_id, header| {
        command(action_id, header.effective_date)
    })
}

fn plan_progress(r: pb::ReportRemedialProgressRequest) -> Result<Planned<Inspection>, Status> {
    plan_on_action(
        r.header.as_ref(),
        &r.inspection_id,
        &r.action_id,
        |action_id, effective_date| inspection::Command::ReportProgress {
            action_id,
            summary: r.summary.clone(),
            reporting_body: r.reporting_body.clone(),
            effective_date,
        },
    )
}

fn plan_complete(r: pb::CompleteRemedialActionRequest) -> Result<Planned<Inspection>, Status> {
    plan_on_action(
        r.header.as_ref(),
        &r.inspection_id,
        &r.action_id,
        |action_id, effective_date| inspection::Command::CompleteAction {
            action_id,
            summary: r.summary.clone(),
            effective_date,
        },
    )
}

fn plan_carry_over(r: pb::CarryOverRemedialActionRequest) -> Result<Planned<Inspection>, Status> {
    plan_on_action(
        r.header.as_ref(),
        &r.inspection_id,
        &r.action_id,
        |action_id, effective_date| inspection::Command::CarryOverAction {
            action_id,
            reason: r.reason.clone(),
            effective_date,
        },
    )
}

fn plan_close(r: pb::CloseInspectionRequest) -> Result<Planned<Inspection>, Status> {
    let record = ("inspection_id", r.inspection_id.as_str(), INSPECTION);
    request::plan(
        r.header.as_ref(),
        record,
        |_| (),
        |(), header| inspection::Command::Close {
            conclusion: r.conclusion.clone(),
            effective_date: header.effective_date,
        },
    )
}

async fn view_inspection<L: EventLog>(
    commands: &Commands<L>,
    r: pb::GetInspectionRequest,
) -> Result<pb::InspectionView, Status> {
    let (inspection_id, as_of) = request::id_as_of("inspection_id", &r.inspection_id, r.as_of.as_ref())?;
    // The inspection as it stood that day: an action completed later is still open then,
    // so its deadline is judged against that day.
    let (state, version) = request::load_as_of::<Inspection, L>(commands, INSPECTION, inspection_id, as_of).await?;
    Ok(views::inspection::view(&state, as_of, version))
}
