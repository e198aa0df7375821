//! The `antt.v1.Records` service: the facts the source reports are made of besides
//! forces, incidents and ratings. One file per kind of record, each with its commands and
//! its view: `documents` (`document-<uuid>`), `figures` (`figure-<uuid>`), `awards`
//! (`award-<uuid>`), `conferences` (`conference-<uuid>`), `offices` (`office-<uuid>`),
//! `compositions` (a province's team composition policies, `composition-<uuid>`).
//!
//! Commands are read with `request`'s helpers and recorded by [`Commands::execute`];
//! facts about other records (areas, teams) are read here and put into the command; a
//! person named must be registered and not erased, as for members of forces
//! ([`Persons::ensure_can_serve`]). Every view is read from the record's timeline as of a date (`as_of`; unset:
//! today in Vietnam), so a record that did not exist yet that day is NOT_FOUND.

mod awards;
mod compositions;
mod conferences;
mod documents;
mod figures;
mod offices;

/// The kinds of their streams, `<kind>-<uuid>`.
pub(crate) use awards::AWARD;
pub(crate) use conferences::CONFERENCE;
pub(crate) use documents::DOCUMENT;
pub(crate) use figures::FIGURE;
pub(crate) use offices::OFFICE;

use std::sync::Arc;

use antt_domain::body::Body;
use antt_keystore::KeyStore;
use antt_log::EventLog;
use antt_proto::v1 as pb;
use antt_proto::v1::records_server::{Records, RecordsServer};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::commands::Commands;
use crate::persons::Persons;
use crate::request::{self, Fields};

/// The gRPC service; cheap to share.
pub struct RecordsService<L> {
    commands: Commands<L>,
    /// Tells whether a person named in a record is registered and not erased; the keys
    /// are never opened here.
    persons: Persons<L>,
}

impl<L: EventLog> RecordsService<L> {
    pub fn new(commands: Commands<L>, keys: Arc<KeyStore>) -> Self {
        RecordsService {
            persons: Persons::new(commands.clone(), keys),
            commands,
        }
    }

    /// Wrapped for tonic, with the message size limits of `max_message_bytes`.
    pub fn into_server(self, max_message_bytes: usize) -> RecordsServer<Self> {
        RecordsServer::new(self)
            .max_decoding_message_size(max_message_bytes)
            .max_encoding_message_size(max_message_bytes)
    }
}

type Answer<T> = Result<Response<T>, Status>;

#[tonic::async_trait]
impl<L: EventLog> Records for RecordsService<L> {
    async fn record_document(&self, request: Request<pb::RecordDocumentRequest>) -> Answer<pb::CommandResult> {
        let plan = |r| documents::plan_record(&self.commands, r);
        request::command(&self.commands, "RecordDocument", request, |r| &r.document_id, plan).await
    }

    async fn get_document(&self, request: Request<pb::GetDocumentRequest>) -> Answer<pb::DocumentView> {
        let answer = |r| documents::view(&self.commands, r);
        request::query("GetDocument", request, |r| &r.document_id, answer).await
    }

    async fn report_figure(&self, request: Request<pb::ReportFigureRequest>) -> Answer<pb::CommandResult> {
        let plan = |r| figures::plan_report(&self.commands, r);
        request::command(&self.commands, "ReportFigure", request, |r| &r.figure_id, plan).await
    }

    async fn correct_figure(&self, request: Request<pb::CorrectFigureRequest>) -> Answer<pb::CommandResult> {
        let plan = |r| std::future::ready(figures::plan_correct(r));
        request::command(&self.commands, "CorrectFigure", request, |r| &r.figure_id, plan).await
    }

    async fn get_figure(&self, request: Request<pb::GetFigureRequest>) -> Answer<pb::FigureView> {
        let answer = |r| figures::view(&self.commands, r);
        request::query("GetFigure", request, |r| &r.figure_id, answer).await
    }

    async fn grant_award(&self, request: Request<pb::GrantAwardRequest>) -> Answer<pb::CommandResult> {
        let plan = |r| awards::plan_grant(&self.commands, &self.persons, r);
        request::command(&self.commands, "GrantAward", request, |r| &r.award_id, plan).await
    }

    async fn get_award(&self, request: Request<pb::GetAwardRequest>) -> Answer<pb::AwardView> {
        let answer = |r| awards::view(&self.commands, r);
        request::query("GetAward", request, |r| &r.award_id, answer).await
    }

    async fn record_conference(&self, request: Request<pb::RecordConferenceRequest>) -> Answer<pb::CommandResult> {
        let plan = |r| conferences::plan_hold(&self.commands, r);
        request::command(&self.commands, "RecordConference", request, |r| &r.conference_id, plan).await
    }

    async fn record_conference_attendees(
        &self,
        request: Request<pb::RecordConferenceAttendeesRequest>,
    ) -> Answer<pb::CommandResult> {
        let plan = |r| conferences::plan_attendees(&self.persons, r);
        let rpc = "RecordConferenceAttendees";
        request::command(&self.commands, rpc, request, |r| &r.conference_id, plan).await
    }

    async fn get_conference(&self, request: Request<pb::GetConferenceRequest>) -> Answer<pb::ConferenceView> {
        let answer = |r| conferences::view(&self.commands, r);
        request::query("GetConference", request, |r| &r.conference_id, answer).await
    }

    async fn take_office(&self, request: Request<pb::TakeOfficeRequest>) -> Answer<pb::CommandResult> {
        let plan = |r| offices::plan_take(&self.commands, &self.persons, r);
        request::command(&self.commands, "TakeOffice", request, |r| &r.tenure_id, plan).await
    }

    async fn leave_office(&self, request: Request<pb::LeaveOfficeRequest>) -> Answer<pb::CommandResult> {
        let plan = |r| offices::plan_leave(&self.commands, r);
        request::command(&self.commands, "LeaveOffice", request, |r| &r.tenure_id, plan).await
    }

    async fn get_office(&self, request: Request<pb::GetOfficeRequest>) -> Answer<pb::OfficeView> {
        let answer = |r| offices::view(&self.commands, r);
        request::query("GetOffice", request, |r| &r.tenure_id, answer).await
    }

    async fn issue_composition_policy(
        &self,
        request: Request<pb::IssueCompositionPolicyRequest>,
    ) -> Answer<pb::CommandResult> {
        let plan = |r| compositions::plan_issue(&self.commands, r);
        request::command(
            &self.commands,
            "IssueCompositionPolicy",
            request,
            |r| &r.policy_id,
            plan,
        )
        .await
    }

    async fn end_composition_policy(
        &self,
        request: Request<pb::EndCompositionPolicyRequest>,
    ) -> Answer<pb::CommandResult> {
        let plan = |r| std::future::ready(compositions::plan_end(r));
        request::command(&self.commands, "EndCompositionPolicy", request, |r| &r.policy_id, plan).await
    }

    async fn get_composition_policy(
        &self,
        request: Request<pb::GetCompositionPolicyRequest>,
    ) -> Answer<pb::CompositionPolicyView> {
        let answer = |r| compositions::view(&self.commands, r);
        request::query("GetCompositionPolicy", request, |r| &r.policy_id, answer).await
    }
}

/// The request paths of a body in a request, e.g. "issued_by", "issued_by.kind",
/// "issued_by.area_id".
#[derive(Clone, Copy)]
struct BodyPaths {
    body: &'static str,
    kind: &'static str,
    area_id: &'static str,
}

/// A body as read from a request, before its area's facts are loaded.
struct BodyRead {
    kind: pb::BodyKind,
    name: String,
    area_id: Option<Uuid>,
}

/// Reads a body's fields; a missing body is named by its path. The name is checked by the
/// domain, under the same path.
fn read_body(fields: &mut Fields, paths: BodyPaths, body: Option<&pb::BodyRef>) -> BodyRead {
    let Some(body) = body else {
        fields.violate(
            paths.body,
            "name the body: its kind, its name as printed and its area (empty for a central body)",
        );
        return BodyRead {
            kind: pb::BodyKind::Unspecified,
            name: String::new(),
            area_id: None,
        };
    };
    BodyRead {
        kind: fields.enumeration(paths.kind, body.kind),
        name: body.name.clone(),
        area_id: fields.optional_uuid(paths.area_id, &body.area_id),
    }
}

/// The body with its area's facts, read from the area's stream.
async fn body_facts<L: EventLog>(commands: &Commands<L>, paths: BodyPaths, read: BodyRead) -> Result<Body, Status> {
    let area = match read.area_id {
        Some(area_id) => Some(request::area_facts(commands, paths.area_id, area_id).await?),
        None => None,
    };
    Ok(Body {
        kind: read.kind,
        name: read.name,
        area,
    })
}
