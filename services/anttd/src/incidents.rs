//! The `antt.v1.Incidents` service: security-and-order incidents, tips from the public and
//! arrests of wanted persons, each a record with its own stream ("incident-<uuid>",
//! "tip-<uuid>", "arrest-<uuid>").
//!
//! [`crate::request`] holds the steps that this service shares with ratings, inspections
//! and targets: reading a request's fields with every problem named, loading the facts of
//! an area, and running a command or a read in its span.

use std::future::ready;

use antt_domain::arrest::{self, Arrest};
use antt_domain::incident::{self, Incident, Resolution};
use antt_domain::tip::{self, Tip};
use antt_domain::TeamFacts;
use antt_log::EventLog;
use antt_proto::v1 as pb;
use antt_proto::v1::incidents_server::{Incidents, IncidentsServer};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::commands::Commands;
use crate::request::{self, Fields, Planned};
use crate::views;

/// The gRPC service; cheap to share.
pub struct IncidentsService<L> {
    commands: Commands<L>,
}

impl<L: EventLog> IncidentsService<L> {
    pub fn new(commands: Commands<L>) -> Self {
        IncidentsService { commands }
    }

    /// Wrapped for tonic, with the message size limits of `max_message_bytes`.
    pub fn into_server(self, max_message_bytes: usize) -> IncidentsServer<Self> {
        IncidentsServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }
}

#[tonic::async_trait]
impl<L: EventLog> Incidents for IncidentsService<L> {
    async fn report_incident(
        &self,
        request: Request<pb::ReportIncidentRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_report(&self.commands, r);
        request::command(&self.commands, "ReportIncident", request, |r| &r.incident_id, plan).await
    }

    async fn assign_incident(
        &self,
        request: Request<pb::AssignIncidentRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_assign(&self.commands, r);
        request::command(&self.commands, "AssignIncident", request, |r| &r.incident_id, plan).await
    }

    async fn classify_incident(
        &self,
        request: Request<pb::ClassifyIncidentRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_classify(r));
        request::command(&self.commands, "ClassifyIncident", request, |r| &r.incident_id, plan).await
    }

    async fn mediate_incident(
        &self,
        request: Request<pb::MediateIncidentRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_mediate(&self.commands, r);
        request::command(&self.commands, "MediateIncident", request, |r| &r.incident_id, plan).await
    }

    async fn hold_incident_dialogue(
        &self,
        request: Request<pb::HoldIncidentDialogueRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_dialogue(r));
        request::command(
            &self.commands,
            "HoldIncidentDialogue",
            request,
            |r| &r.incident_id,
            plan,
        )
        .await
    }

    async fn escalate_incident(
        &self,
        request: Request<pb::EscalateIncidentRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_escalate(r));
        request::command(&self.commands, "EscalateIncident", request, |r| &r.incident_id, plan).await
    }

    async fn resolve_incident(
        &self,
        request: Request<pb::ResolveIncidentRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_resolve(r));
        request::command(&self.commands, "ResolveIncident", request, |r| &r.incident_id, plan).await
    }

    async fn reopen_incident(
        &self,
        request: Request<pb::ReopenIncidentRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_reopen(r));
        request::command(&self.commands, "ReopenIncident", request, |r| &r.incident_id, plan).await
    }

    async fn get_incident(
        &self,
        request: Request<pb::GetIncidentRequest>,
    ) -> Result<Response<pb::IncidentView>, Status> {
        let answer = |r: pb::GetIncidentRequest| view_incident(&self.commands, r);
        request::query("GetIncident", request, |r| &r.incident_id, answer).await
    }

    async fn receive_tip(
        &self,
        request: Request<pb::ReceiveTipRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_receive_tip(&self.commands, r);
        request::command(&self.commands, "ReceiveTip", request, |r| &r.tip_id, plan).await
    }

    async fn assess_tip(&self, request: Request<pb::AssessTipRequest>) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_assess_tip(r));
        request::command(&self.commands, "AssessTip", request, |r| &r.tip_id, plan).await
    }

    async fn get_tip(&self, request: Request<pb::GetTipRequest>) -> Result<Response<pb::TipView>, Status> {
        let answer = |r: pb::GetTipRequest| view_tip(&self.commands, r);
        request::query("GetTip", request, |r| &r.tip_id, answer).await
    }

    async fn record_arrest(
        &self,
        request: Request<pb::RecordArrestRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| plan_arrest(&self.commands, r);
        request::command(&self.commands, "RecordArrest", request, |r| &r.arrest_id, plan).await
    }

    async fn get_arrest(&self, request: Request<pb::GetArrestRequest>) -> Result<Response<pb::ArrestView>, Status> {
        let answer = |r: pb::GetArrestRequest| view_arrest(&self.commands, r);
        request::query("GetArrest", request, |r| &r.arrest_id, answer).await
    }
}

pub(crate) const INCIDENT: &str = "incident";
pub(crate) const TIP: &str = "tip";
pub(crate) const ARREST: &str = "arrest";

async fn plan_report<L: EventLog>(
    commands: &Commands<L>,
    r: pb::ReportIncidentRequest,
) -> Result<Planned<Incident>, Status> {
    let read = |fields: &mut Fields| {
        (
            fields.enumeration("category", r.category),
            fields.enumeration("source", r.source),
            fields.optional_uuid("tip_id", &r.tip_id),
            fields.optional_enumeration("classification", r.classification),
        )
    };
    let record = ("incident_id", r.incident_id.as_str(), INCIDENT);
    let area = ("area_id", r.area_id.as_str());
    request::plan_in_area(
        commands,
        r.header.as_ref(),
        record,
        area,
        read,
        |incident_id, (category, source, tip_id, classification), area, header| {
            incident::Command::Report(incident::Report {
                incident_id,
                category,
                area,
                source,
                summary: r.summary.clone(),
                complex: r.complex,
                tip_id,
                classification,
                effective_date: header.effective_date,
            })
        },
    )
    .await
}

/// Reads an assignment, then loads the teams it names, so that every malformed field is
/// named at once and the domain judges the teams as their streams tell.
async fn plan_assign<L: EventLog>(
    commands: &Commands<L>,
    r: pb::AssignIncidentRequest,
) -> Result<Planned<Incident>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let incident_id = fields.uuid("incident_id", &r.incident_id);
    let level = fields.enumeration("level", r.level);
    let team_id = fields.optional_uuid("team_id", &r.team_id);
    let co_read: Vec<(String, pb::HandlingLevel, Option<Uuid>)> = r
        .co_handlers
        .iter()
        .enumerate()
        .map(|(index, co)| {
            let team_field = format!("co_handlers[{index}].team_id");
            let level = fields.enumeration(&format!("co_handlers[{index}].level"), co.level);
            let team_id = fields.optional_uuid(&team_field, &co.team_id);
            (team_field, level, team_id)
        })
        .collect();
    fields.finish()?;
    let team = named_team(commands, "team_id", team_id).await?;
    let mut co_handlers = Vec::with_capacity(co_read.len());
    for (team_field, level, team_id) in co_read {
        let team = named_team(commands, &team_field, team_id).await?;
        co_handlers.push(incident::CoHandler { level, team });
    }
    let command = incident::Command::Assign {
        level,
        team,
        co_handlers,
        effective_date: header.effective_date,
    };
    Ok(Planned::new(request::stream_id(INCIDENT, incident_id), header, command))
}

/// The facts of the team named in `field`, if one is.
async fn named_team<L: EventLog>(
    commands: &Commands<L>,
    field: &str,
    team_id: Option<Uuid>,
) -> Result<Option<TeamFacts>, Status> {
    match team_id {
        Some(team_id) => Ok(Some(request::team_facts(commands, field, team_id).await?)),
        None => Ok(None),
    }
}

fn plan_classify(r: pb::ClassifyIncidentRequest) -> Result<Planned<Incident>, Status> {
    let read = |fields: &mut Fields| fields.enumeration("classification", r.classification);
    let record = ("incident_id", r.incident_id.as_str(), INCIDENT);
    request::plan(r.header.as_ref(), record, read, |classification, header| {
        incident::Command::Classify {
            classification,
            reason: r.reason.clone(),
            effective_date: header.effective_date,
        }
    })
}

async fn plan_mediate<L: EventLog>(
    commands: &Commands<L>,
    r: pb::MediateIncidentRequest,
) -> Result<Planned<Incident>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let incident_id = fields.uuid("incident_id", &r.incident_id);
    let by_force = fields.enumeration("by_force", r.by_force);
    let by_team_id = fields.optional_uuid("by_team_id", &r.by_team_id);
    let outcome = fields.enumeration("outcome", r.outcome);
    fields.finish()?;
    let command = incident::Command::Mediate {
        by_force,
        by_team: named_team(commands, "by_team_id", by_team_id).await?,
        outcome,
        note: r.note.clone(),
        effective_date: header.effective_date,
    };
    Ok(Planned::new(request::stream_id(INCIDENT, incident_id), header, command))
}

fn plan_dialogue(r: pb::HoldIncidentDialogueRequest) -> Result<Planned<Incident>, Status> {
    let record = ("incident_id", r.incident_id.as_str(), INCIDENT);
    request::plan(
        r.header.as_ref(),
        record,
        |_| (),
        |(), header| incident::Command::HoldDialogue {
            held_by: r.held_by.clone(),
            effective_date: header.effective_date,
        },
    )
}

fn plan_escalate(r: pb::EscalateIncidentRequest) -> Result<Planned<Incident>, Status> {
    let record = ("incident_id", r.incident_id.as_str(), INCIDENT);
    let read = |fields: &mut Fields| fields.enumeration("to_level", r.to_level);
    request::plan(r.header.as_ref(), record, read, |to_level, header| {
        incident::Command::Escalate {
            to_level,
            reason: r.reason.clone(),
            effective_date: header.effective_date,
        }
    })
}

/// The domain names the counts and the body of a resolution without their oneof case.
const RESOLUTION_PATHS: &[(&str, &str)] = &[
    ("subjects", "administrative_sanction.subjects"),
    ("defendants", "prosecution.defendants"),
    ("to_body", "transferred.to_body"),
    ("reopened.on", "reopened_on"),
    ("reopened.reason", "reopened_reason"),
];

fn plan_resolve(r: pb::ResolveIncidentRequest) -> Result<Planned<Incident>, Status> {
    let record = ("incident_id", r.incident_id.as_str(), INCIDENT);
    let read = |fields: &mut Fields| {
        let reopened_on = r.reopened_on.as_ref().map(|on| fields.date("reopened_on", Some(on)));
        (resolution(fields, r.resolution.clone()), reopened_on)
    };
    let planned = request::plan(r.header.as_ref(), record, read, |(resolution, reopened_on), header| {
        let effective_date = header.effective_date;
        let decision = header.decision.clone();
        match reopened_on {
            None => incident::Command::Resolve {
                resolution,
                effective_date,
                decision,
            },
            Some(on) => incident::Command::ResolveReopened {
                resolution,
                effective_date,
                decision,
                reopened: incident::Reopening {
                    reason: r.reopened_reason.clone(),
                    on,
                },
            },
        }
    })?;
    Ok(planned.with_paths(RESOLUTION_PATHS))
}

fn resolution(fields: &mut Fields, resolution: Option<pb::resolve_incident_request::Resolution>) -> Resolution {
    use pb::resolve_incident_request::Resolution as Wire;
    match resolution {
        Some(Wire::Mediated(_)) => Resolution::Mediated,
        Some(Wire::CommunePoliceHandled(_)) => Resolution::CommunePoliceHandled,
        Some(Wire::AdministrativeSanction(sanction)) => Resolution::AdministrativeSanction {
            subjects: sanction.subjects,
        },
        Some(Wire::Prosecution(prosecution)) => Resolution::Prosecution {
            defendants: prosecution.defendants,
        },
        Some(Wire::ComplaintSettled(_)) => Resolution::ComplaintSettled,
        Some(Wire::Transferred(transferred)) => Resolution::Transferred {
            to_body: transferred.to_body,
        },
        None => {
            fields.violate(
                "resolution",
                "say how the incident was resolved: mediated, commune_police_handled, \
                 administrative_sanction, prosecution, complaint_settled or transferred",
            );
            Resolution::Mediated
        }
    }
}

fn plan_reopen(r: pb::ReopenIncidentRequest) -> Result<Planned<Incident>, Status> {
    let record = ("incident_id", r.incident_id.as_str(), INCIDENT);
    request::plan(
        r.header.as_ref(),
        record,
        |_| (),
        |(), header| incident::Command::Reopen {
            reason: r.reason.clone(),
            effective_date: header.effective_date,
        },
    )
}

async fn view_incident<L: EventLog>(
    commands: &Commands<L>,
    r: pb::GetIncidentRequest,
) -> Result<pb::IncidentView, Status> {
    let (incident_id, as_of) = request::id_as_of("incident_id", &r.incident_id, r.as_of.as_ref())?;
    let (state, version) = request::load_as_of::<Incident, L>(commands, INCIDENT, incident_id, as_of).await?;
    Ok(views::incident::view(&state, version))
}

async fn plan_receive_tip<L: EventLog>(
    commands: &Commands<L>,
    r: pb::ReceiveTipRequest,
) -> Result<Planned<Tip>, Status> {
    let record = ("tip_id", r.tip_id.as_str(), TIP);
    let area = ("area_id", r.area_id.as_str());
    let read = |fields: &mut Fields| fields.enumeration("category", r.category);
    request::plan_in_area(
        commands,
        r.header.as_ref(),
        record,
        area,
        read,
        |tip_id, category, area, header| tip::Command::Receive {
            tip_id,
            area,
            category,
            channel: r.channel.clone(),
            summary: r.summary.clone(),
            effective_date: header.effective_date,
        },
    )
    .await
}

fn plan_assess_tip(r: pb::AssessTipRequest) -> Result<Planned<Tip>, Status> {
    let record = ("tip_id", r.tip_id.as_str(), TIP);
    let read = |fields: &mut Fields| fields.optional_uuid("led_to_incident_id", &r.led_to_incident_id);
    request::plan(r.header.as_ref(), record, read, |led_to_incident_id, header| {
        tip::Command::Assess {
            valuable: r.valuable,
            led_to_incident_id,
            effective_date: header.effective_date,
        }
    })
}

async fn view_tip<L: EventLog>(commands: &Commands<L>, r: pb::GetTipRequest) -> Result<pb::TipView, Status> {
    let (tip_id, as_of) = request::id_as_of("tip_id", &r.tip_id, r.as_of.as_ref())?;
    let (state, version) = request::load_as_of::<Tip, L>(commands, TIP, tip_id, as_of).await?;
    Ok(views::tip::view(&state, version))
}

async fn view_arrest<L: EventLog>(commands: &Commands<L>, r: pb::GetArrestRequest) -> Result<pb::ArrestView, Status> {
    let (arrest_id, as_of) = request::id_as_of("arrest_id", &r.arrest_id, r.as_of.as_ref())?;
    let (state, version) = request::load_as_of::<Arrest, L>(commands, ARREST, arrest_id, as_of).await?;
    Ok(views::arrest::view(state, version))
}

async fn plan_arrest<L: EventLog>(
    commands: &Commands<L>,
    r: pb::RecordArrestRequest,
) -> Result<Planned<Arrest>, Status> {
    let record = ("arrest_id", r.arrest_id.as_str(), ARREST);
    let area = ("area_id", r.area_id.as_str());
    let read = |fields: &mut Fields| fields.optional_uuid("person_id", &r.person_id);
    request::plan_in_area(
        commands,
        r.header.as_ref(),
        record,
        area,
        read,
        |arrest_id, person_id, area, header| arrest::Command::Record {
            arrest_id,
            area,
            surrendered: r.surrendered,
            public_helped: r.public_helped,
            arrested_by: r.arrested_by.clone(),
            person_id,
            effective_date: header.effective_date,
        },
    )
    .await
}
