//! The `antt.v1.Incidents` service: security-and-order incidents, tips from the public and
//! arrests of wanted persons, each a record with its own stream ("incident-<uuid>",
//! "tip-<uuid>", "arrest-<uuid>").
//!
//! [`request`] holds the steps that this service shares with ratings, inspections and
//! targets: reading a request's fields with every problem named, loading the facts of an
//! area, and running a command or a read in its span.

use std::future::ready;

use antt_domain::arrest::{self, Arrest};
use antt_domain::incident::{self, Incident, Resolution};
use antt_domain::tip::{self, Tip};
use antt_domain::Date;
use antt_log::EventLog;
use antt_proto::v1 as pb;
use antt_proto::v1::incidents_server::{Incidents, IncidentsServer};
use tonic::{Request, Response, Status};

use crate::commands::Commands;
use request::{Fields, Planned};

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
        let plan = |r| ready(plan_assign(r));
        request::command(&self.commands, "AssignIncident", request, |r| &r.incident_id, plan).await
    }

    async fn mediate_incident(
        &self,
        request: Request<pb::MediateIncidentRequest>,
    ) -> Result<Response<pb::CommandResult>, Status> {
        let plan = |r| ready(plan_mediate(r));
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
}

const INCIDENT: &str = "incident";
const TIP: &str = "tip";
const ARREST: &str = "arrest";

async fn plan_report<L: EventLog>(
    commands: &Commands<L>,
    r: pb::ReportIncidentRequest,
) -> Result<Planned<Incident>, Status> {
    let read = |fields: &mut Fields| {
        (
            fields.enumeration("category", r.category),
            fields.enumeration("source", r.source),
            fields.optional_uuid("tip_id", &r.tip_id),
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
        |incident_id, (category, source, tip_id), area, header| {
            incident::Command::Report(incident::Report {
                incident_id,
                category,
                area,
                source,
                summary: r.summary.clone(),
                complex: r.complex,
                tip_id,
                effective_date: header.effective_date,
            })
        },
    )
    .await
}

fn plan_assign(r: pb::AssignIncidentRequest) -> Result<Planned<Incident>, Status> {
    let read = |fields: &mut Fields| {
        (
            fields.enumeration("level", r.level),
            fields.optional_uuid("team_id", &r.team_id),
        )
    };
    let record = ("incident_id", r.incident_id.as_str(), INCIDENT);
    request::plan(r.header.as_ref(), record, read, |(level, team_id), header| {
        incident::Command::Assign {
            level,
            team_id,
            effective_date: header.effective_date,
        }
    })
}

fn plan_mediate(r: pb::MediateIncidentRequest) -> Result<Planned<Incident>, Status> {
    let read = |fields: &mut Fields| {
        (
            fields.enumeration("by_force", r.by_force),
            fields.optional_uuid("by_team_id", &r.by_team_id),
            fields.enumeration("outcome", r.outcome),
        )
    };
    let record = ("incident_id", r.incident_id.as_str(), INCIDENT);
    request::plan(
        r.header.as_ref(),
        record,
        read,
        |(by_force, by_team_id, outcome), header| incident::Command::Mediate {
            by_force,
            by_team_id,
            outcome,
            note: r.note.clone(),
            effective_date: header.effective_date,
        },
    )
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
];

fn plan_resolve(r: pb::ResolveIncidentRequest) -> Result<Planned<Incident>, Status> {
    let record = ("incident_id", r.incident_id.as_str(), INCIDENT);
    let read = |fields: &mut Fields| resolution(fields, r.resolution.clone());
    let planned = request::plan(r.header.as_ref(), record, read, |resolution, header| {
        incident::Command::Resolve {
            resolution,
            effective_date: header.effective_date,
            decision: header.decision.clone(),
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
    let incident_id = request::id("incident_id", &r.incident_id)?;
    let (state, version) = request::load_recorded::<Incident, L>(commands, INCIDENT, incident_id).await?;
    Ok(pb::IncidentView {
        incident_id: state.incident_id.clone(),
        category: state.category.into(),
        area_id: state.area_id.clone(),
        complex: state.complex,
        level: state.level.into(),
        reported_on: state.reported_on.map(Date::to_proto),
        open: state.is_open(),
        resolved_on: state.resolved.map(Date::to_proto),
        mediations_count: state.mediations_count,
        successful_mediations_count: state.successful_mediations_count,
        dialogues_count: state.dialogues_count,
        version,
    })
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
    let tip_id = request::id("tip_id", &r.tip_id)?;
    let (state, version) = request::load_recorded::<Tip, L>(commands, TIP, tip_id).await?;
    Ok(pb::TipView {
        tip_id: state.tip_id.clone(),
        area_id: state.area_id.clone(),
        received_on: state.received_on.map(Date::to_proto),
        assessed: state.valuable.is_some(),
        valuable: state.valuable.unwrap_or(false),
        led_to_incident_id: state.led_to_incident_id.clone(),
        version,
    })
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

/// The steps every record service (incidents, ratings, inspections, targets) shares.
pub(crate) mod request {
    use std::fmt::Display;
    use std::future::Future;

    use antt_domain::area::Area;
    use antt_domain::{limits, Aggregate, AreaFacts, Date, Decision, DomainError, MonthDay};
    use antt_log::{EventLog, Violation};
    use antt_proto::v1 as pb;
    use tonic::{Code, Request, Response, Status};
    use tonic_types::{ErrorDetails, StatusExt};
    use tracing::{field, Instrument, Span};
    use uuid::Uuid;

    use crate::commands::{self, CommandHeader, Commands};
    use crate::status;

    /// Domain fields that come from the header in every request: the effective date and
    /// the decision (which the domain calls by its role: the inspection's report, the
    /// action's plan, the target's resolution).
    const HEADER_PATHS: &[(&str, &str)] = &[
        ("effective_date", "header.effective_date"),
        ("decision", "header.decision"),
        ("report", "header.decision"),
        ("plan", "header.decision"),
        ("resolution", "header.decision"),
    ];

    /// The stream of a record: "<kind>-<uuid>", the UUID in canonical lowercase text so
    /// that one record never has two streams.
    pub(crate) fn stream_id(kind: &str, id: impl Display) -> String {
        format!("{kind}-{id}")
    }

    /// A command read from its request, ready to record.
    pub(crate) struct Planned<A: Aggregate> {
        stream_id: String,
        header: CommandHeader,
        command: A::Command,
        /// Where the domain's field names differ from the request's field paths.
        paths: &'static [(&'static str, &'static str)],
    }

    impl<A: Aggregate> Planned<A> {
        pub(crate) fn new(stream_id: String, header: CommandHeader, command: A::Command) -> Self {
            Planned {
                stream_id,
                header,
                command,
                paths: &[],
            }
        }

        /// Names the request's field paths for domain fields, e.g. ("defendants",
        /// "prosecution.defendants"), so that a malformed field is reported where the
        /// client put it.
        pub(crate) fn with_paths(mut self, paths: &'static [(&'static str, &'static str)]) -> Self {
            self.paths = paths;
            self
        }
    }

    /// The record a command is about: its id's field, the id as sent, and the kind of
    /// record that names its stream, e.g. ("incident_id", "…", "incident").
    pub(crate) type Record<'a> = (&'static str, &'a str, &'a str);

    /// Plans a command on the record `record` names that needs nothing but its header,
    /// the record's id and the fields `read` reads; `command` builds it once every field
    /// is well formed.
    pub(crate) fn plan<A: Aggregate, T>(
        header: Option<&pb::CommandHeader>,
        (field, id, kind): Record<'_>,
        read: impl FnOnce(&mut Fields) -> T,
        command: impl FnOnce(T, &CommandHeader) -> A::Command,
    ) -> Result<Planned<A>, Status> {
        let mut fields = Fields::default();
        let header = fields.header(header);
        let id = fields.uuid(field, id);
        let read = read(&mut fields);
        fields.finish()?;
        let command = command(read, &header);
        Ok(Planned::new(stream_id(kind, id), header, command))
    }

    /// Like [`plan`], for a command that also names a registered area (`area`: its field
    /// and its id as sent), whose facts the command carries. `command` gets the record's
    /// id, what `read` read, the area's facts and the header.
    pub(crate) async fn plan_in_area<L: EventLog, A: Aggregate, T>(
        commands: &Commands<L>,
        header: Option<&pb::CommandHeader>,
        (field, id, kind): Record<'_>,
        (area_field, area_id): (&'static str, &str),
        read: impl FnOnce(&mut Fields) -> T,
        command: impl FnOnce(Uuid, T, AreaFacts, &CommandHeader) -> A::Command,
    ) -> Result<Planned<A>, Status> {
        let mut fields = Fields::default();
        let header = fields.header(header);
        let id = fields.uuid(field, id);
        let area_id = fields.uuid(area_field, area_id);
        let read = read(&mut fields);
        fields.finish()?;
        let area = area_facts(commands, area_field, area_id).await?;
        let command = command(id, read, area, &header);
        Ok(Planned::new(stream_id(kind, id), header, command))
    }

    /// Runs one command RPC in a span carrying the RPC and the record's id: reads who
    /// calls and the request's digest, plans the command from the request and records it.
    pub(crate) async fn command<L, A, M, Fut>(
        commands: &Commands<L>,
        rpc: &'static str,
        request: Request<M>,
        record_id: fn(&M) -> &str,
        plan: impl FnOnce(M) -> Fut,
    ) -> Result<Response<pb::CommandResult>, Status>
    where
        L: EventLog,
        A: Aggregate,
        A::Command: Clone,
        M: prost::Message,
        Fut: Future<Output = Result<Planned<A>, Status>>,
    {
        let actor = commands::actor_of(&request);
        let message = request.into_inner();
        let digest = commands::request_digest(&message);
        // Debug formatting escapes control characters a client might put in an id.
        let span = tracing::info_span!(
            "command",
            rpc,
            record_id = ?record_id(&message),
            stream_version = field::Empty,
            deduplicated = field::Empty,
        );
        async move {
            let planned = plan(message).await?;
            let result = commands
                .execute::<A>(&planned.stream_id, &planned.header, &actor, digest, planned.command)
                .await
                .map_err(|status| with_request_paths(status, planned.paths))?;
            let span = Span::current();
            span.record("stream_version", result.stream_version);
            span.record("deduplicated", result.deduplicated);
            tracing::debug!("command answered");
            Ok(Response::new(result))
        }
        .instrument(span)
        .await
    }

    /// Runs one read RPC in a span carrying the RPC and the record's id.
    pub(crate) async fn query<M, V, Fut>(
        rpc: &'static str,
        request: Request<M>,
        record_id: fn(&M) -> &str,
        answer: impl FnOnce(M) -> Fut,
    ) -> Result<Response<V>, Status>
    where
        Fut: Future<Output = Result<V, Status>>,
    {
        let message = request.into_inner();
        let span = tracing::info_span!("query", rpc, record_id = ?record_id(&message));
        answer(message).instrument(span).await.map(Response::new)
    }

    /// The domain reports a malformed field by its own name; the client needs the path
    /// in its request.
    fn with_request_paths(status: Status, paths: &[(&str, &str)]) -> Status {
        if status.code() != Code::InvalidArgument {
            return status;
        }
        let Some(bad_request) = status.get_details_bad_request() else {
            return status;
        };
        let violations: Vec<Violation> = bad_request
            .field_violations
            .into_iter()
            .map(|violation| {
                let path = paths
                    .iter()
                    .chain(HEADER_PATHS)
                    .find(|(domain_field, _)| *domain_field == violation.field)
                    .map_or(violation.field.as_str(), |(_, path)| path);
                Violation::new(path, violation.description.as_str())
            })
            .collect();
        status::invalid_argument(&violations)
    }

    /// What commands about other records need to know about an area, read from the
    /// area's stream. An area that was never registered is a broken rule, not malformed
    /// input: FAILED_PRECONDITION, naming the field.
    pub(crate) async fn area_facts<L: EventLog>(
        commands: &Commands<L>,
        field: &'static str,
        area_id: Uuid,
    ) -> Result<AreaFacts, Status> {
        let loaded = commands.load::<Area>(&crate::areas::stream_id(area_id)).await?;
        loaded.state.facts().ok_or_else(|| {
            let message = format!(
                "{field}: area {area_id} is not registered (chưa đăng ký địa bàn); \
                 check the id or register the area first"
            );
            Status::with_error_details(
                Code::FailedPrecondition,
                message.clone(),
                ErrorDetails::with_precondition_failure_violation(status::PRECONDITION_DOMAIN_RULE, field, message),
            )
        })
    }

    /// A record's state and its stream version; NOT_FOUND when nothing is recorded.
    pub(crate) async fn load_recorded<A: Aggregate, L: EventLog>(
        commands: &Commands<L>,
        kind: &str,
        key: impl Display,
    ) -> Result<(A::State, u64), Status> {
        let loaded = commands.load::<A>(&stream_id(kind, &key)).await?;
        match loaded.version {
            Some(version) => Ok((loaded.state, version)),
            None => Err(Status::not_found(format!(
                "nothing is recorded for {kind} {key} (chưa có trong hồ sơ); check the id"
            ))),
        }
    }

    /// The one id a read names; INVALID_ARGUMENT if it is not a UUID.
    pub(crate) fn id(field: &'static str, text: &str) -> Result<Uuid, Status> {
        let mut fields = Fields::default();
        let id = fields.uuid(field, text);
        fields.finish()?;
        Ok(id)
    }

    /// Reads a request's fields, collecting one violation per malformed field so that the
    /// client learns of every problem at once. A reader returns a stand-in for a bad field
    /// so that reading goes on; [`Fields::finish`] then refuses the request, so a stand-in
    /// never reaches a command.
    #[derive(Default)]
    pub(crate) struct Fields {
        violations: Vec<Violation>,
    }

    impl Fields {
        pub(crate) fn violate(&mut self, field: &str, description: impl Into<String>) {
            self.violations.push(Violation::new(field, description));
        }

        /// INVALID_ARGUMENT naming every malformed field, if there was one.
        pub(crate) fn finish(self) -> Result<(), Status> {
            if self.violations.is_empty() {
                Ok(())
            } else {
                Err(status::invalid_argument(&self.violations))
            }
        }

        pub(crate) fn header(&mut self, header: Option<&pb::CommandHeader>) -> CommandHeader {
            CommandHeader::from_proto(header).unwrap_or_else(|violations| {
                self.violations.extend(violations);
                CommandHeader {
                    request_id: Uuid::nil(),
                    expected_version: None,
                    effective_date: Date::MIN,
                    decision: None,
                }
            })
        }

        /// The decision the header must carry for this command, e.g. an inspection
        /// delegation's report.
        pub(crate) fn required_decision(&mut self, header: &CommandHeader, what: &str) -> Decision {
            if let Some(decision) = &header.decision {
                return decision.clone();
            }
            // A malformed decision is already named by its own field.
            if !self.violations.iter().any(|v| v.field.starts_with("header.decision")) {
                self.violate(
                    "header.decision",
                    format!("give {what}: its number as printed, who issued it and its date"),
                );
            }
            Decision {
                number: String::new(),
                issued_by: String::new(),
                issued_on: Date::MIN,
            }
        }

        /// A required UUID, not the nil one.
        pub(crate) fn uuid(&mut self, field: &str, text: &str) -> Uuid {
            if text.is_empty() {
                self.violate(field, "a UUID is required, e.g. 7d9f0c2e-5b1a-4c3e-9a77-1f2e3d4c5b6a");
                return Uuid::nil();
            }
            self.optional_uuid(field, text).unwrap_or_default()
        }

        /// An optional UUID: empty means none.
        pub(crate) fn optional_uuid(&mut self, field: &str, text: &str) -> Option<Uuid> {
            if text.is_empty() {
                return None;
            }
            match Uuid::parse_str(text) {
                Ok(id) if !id.is_nil() => Some(id),
                Ok(_) => {
                    self.violate(field, "must not be the nil UUID");
                    None
                }
                Err(_) => {
                    self.violate(field, "must be a UUID, e.g. 7d9f0c2e-5b1a-4c3e-9a77-1f2e3d4c5b6a");
                    None
                }
            }
        }

        /// A required enum value: one this server knows, other than UNSPECIFIED.
        pub(crate) fn enumeration<E>(&mut self, field: &str, value: i32) -> E
        where
            E: TryFrom<i32> + Default + PartialEq,
        {
            match E::try_from(value) {
                Ok(known) if known != E::default() => known,
                Ok(_) => {
                    self.violate(field, "must be specified");
                    E::default()
                }
                Err(_) => {
                    self.violate(field, format!("{value} is not a known value"));
                    E::default()
                }
            }
        }

        /// A required date.
        pub(crate) fn date(&mut self, field: &'static str, date: Option<&pb::Date>) -> Date {
            Date::from_proto_field(field, date).unwrap_or_else(|error| {
                let reason = match error {
                    DomainError::Invalid { reason, .. } => reason,
                    other => other.to_string(),
                };
                self.violate(field, reason);
                Date::MIN
            })
        }

        /// An optional day of the year; None when absent or malformed.
        pub(crate) fn month_day(&mut self, field: &str, month_day: Option<&pb::MonthDay>) -> Option<MonthDay> {
            let month_day = month_day?;
            MonthDay::new(month_day.month, month_day.day)
                .map_err(|invalid| self.violate(field, invalid.to_string()))
                .ok()
        }

        /// A year within the years the domain accepts.
        pub(crate) fn year(&mut self, field: &str, year: i32) -> i32 {
            if !(limits::YEAR_MIN..=limits::YEAR_MAX).contains(&year) {
                self.violate(
                    field,
                    format!("must be between {} and {}", limits::YEAR_MIN, limits::YEAR_MAX),
                );
            }
            year
        }
    }

    #[cfg(test)]
    mod tests {
        use antt_domain::DomainError;

        use super::*;

        fn fields_of(status: &Status) -> Vec<String> {
            status
                .get_details_bad_request()
                .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
                .unwrap_or_default()
        }

        #[test]
        fn every_bad_field_is_named_in_reading_order() {
            let mut fields = Fields::default();
            fields.header(None);
            assert_eq!(fields.uuid("incident_id", ""), Uuid::nil());
            assert_eq!(fields.optional_uuid("tip_id", ""), None);
            assert_eq!(
                fields.optional_uuid("team_id", "00000000-0000-0000-0000-000000000000"),
                None
            );
            let unspecified: pb::IncidentCategory = fields.enumeration("category", 0);
            let unknown: pb::IncidentSource = fields.enumeration("source", 99);
            assert_eq!(
                (unspecified, unknown),
                (pb::IncidentCategory::Unspecified, pb::IncidentSource::Unspecified)
            );
            fields.year("year", 1800);
            assert_eq!(fields.month_day("report_due_before", None), None);
            fields.month_day("ongoing.report_due_before", Some(&pb::MonthDay { month: 2, day: 30 }));
            let status = fields.finish().unwrap_err();
            assert_eq!(status.code(), Code::InvalidArgument);
            assert_eq!(
                fields_of(&status),
                [
                    "header",
                    "incident_id",
                    "team_id",
                    "category",
                    "source",
                    "year",
                    "ongoing.report_due_before"
                ]
            );
        }

        #[test]
        fn a_required_decision_is_asked_for_once() {
            let mut fields = Fields::default();
            let header = fields.header(Some(&pb::CommandHeader {
                request_id: Uuid::from_u128(1).to_string(),
                expected_version: None,
                effective_date: Some(pb::Date {
                    year: 2023,
                    month: 5,
                    day: 31,
                }),
                decision: Some(pb::DecisionRef {
                    number: "03-BC/ĐKT".into(),
                    issued_by: String::new(),
                    issued_on: None,
                }),
            }));
            fields.required_decision(&header, "the delegation's report");
            assert_eq!(fields_of(&fields.finish().unwrap_err()), ["header.decision.issued_on"]);
        }

        #[test]
        fn domain_fields_are_renamed_to_request_paths() {
            let refused = status::domain_error(&DomainError::invalid("defendants", "at least one"));
            assert_eq!(
                fields_of(&with_request_paths(
                    refused,
                    &[("defendants", "prosecution.defendants")]
                )),
                ["prosecution.defendants"]
            );
            let campaign = status::domain_error(&DomainError::invalid("effective_date", "outside the campaign"));
            assert_eq!(fields_of(&with_request_paths(campaign, &[])), ["header.effective_date"]);
            let rule = status::domain_error(&DomainError::IncidentClosed);
            assert_eq!(with_request_paths(rule, &[]).code(), Code::FailedPrecondition);
        }
    }
}
