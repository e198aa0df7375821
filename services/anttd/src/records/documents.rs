//! Directive documents (văn bản chỉ đạo): `document-<uuid>`.

use antt_domain::document::{self, Document, YearRange};
use antt_log::EventLog;
use antt_proto::v1 as pb;
use tonic::Status;

use super::BodyPaths;
use crate::commands::Commands;
use crate::request::{self, Fields, Planned};

pub(crate) const DOCUMENT: &str = "document";

const ISSUED_BY: BodyPaths = BodyPaths {
    body: "issued_by",
    kind: "issued_by.kind",
    area_id: "issued_by.area_id",
};

pub(super) async fn plan_record<L: EventLog>(
    commands: &Commands<L>,
    r: pb::RecordDocumentRequest,
) -> Result<Planned<Document>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let document_id = fields.uuid("document_id", &r.document_id);
    let kind = fields.enumeration("kind", r.kind);
    let topic = fields.enumeration("topic", r.topic);
    let issued_by = super::read_body(&mut fields, ISSUED_BY, r.issued_by.as_ref());
    let years = r.years.map(|years| YearRange {
        first: fields.year("years.first_year", years.first_year),
        last: fields.year("years.last_year", years.last_year),
    });
    fields.finish()?;
    let issued_by = super::body_facts(commands, ISSUED_BY, issued_by).await?;
    let command = document::Command::Issue(document::Issue {
        document_id,
        kind,
        kind_name: r.kind_name,
        number: r.number,
        subject: r.subject,
        issued_by,
        topic,
        years,
        effective_date: header.effective_date,
    });
    Ok(Planned::new(request::stream_id(DOCUMENT, document_id), header, command))
}

pub(super) async fn view<L: EventLog>(
    commands: &Commands<L>,
    r: pb::GetDocumentRequest,
) -> Result<pb::DocumentView, Status> {
    let (document_id, as_of) = request::id_as_of("document_id", &r.document_id, r.as_of.as_ref())?;
    let (state, version) = request::load_as_of::<Document, L>(commands, DOCUMENT, document_id, as_of).await?;
    Ok(pb::DocumentView {
        document: state.document,
        as_of: Some(as_of.to_proto()),
        version,
    })
}
