//! Offices held (chức danh), one tenure per record: `office-<uuid>`.
//!
//! Whether two people hold the same office in the same area at once is a question across
//! tenures, so no command here refuses it; projections over all tenures can flag it.

use antt_domain::office::{self, Office};
use antt_domain::AreaFacts;
use antt_log::EventLog;
use antt_proto::v1 as pb;
use tonic::Status;
use uuid::Uuid;

use crate::commands::Commands;
use crate::persons::Persons;
use crate::request::{self, Fields, Planned};
use crate::status;

pub(crate) const OFFICE: &str = "office";

pub(super) async fn plan_take<L: EventLog>(
    commands: &Commands<L>,
    persons: &Persons<L>,
    r: pb::TakeOfficeRequest,
) -> Result<Planned<Office>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let tenure_id = fields.uuid("tenure_id", &r.tenure_id);
    let person_id = fields.uuid("person_id", &r.person_id);
    let area_id = fields.uuid("area_id", &r.area_id);
    let kind = fields.enumeration("kind", r.kind);
    // The decision appointing or recognising the person.
    let decision = fields.required_decision();
    fields.finish()?;
    let area = request::area_facts(commands, "area_id", area_id).await?;
    persons.ensure_can_serve("person_id", person_id).await?;
    let command = office::Command::Take(office::Take {
        tenure_id,
        person_id,
        area,
        kind,
        organisation: r.organisation,
        office_name: r.office_name,
        decision,
        effective_date: header.effective_date,
    });
    Ok(Planned::new(request::stream_id(OFFICE, tenure_id), header, command))
}

/// The tenure's area is found through the tenure, then read from its own stream.
pub(super) async fn plan_leave<L: EventLog>(
    commands: &Commands<L>,
    r: pb::LeaveOfficeRequest,
) -> Result<Planned<Office>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let tenure_id = fields.uuid("tenure_id", &r.tenure_id);
    let reason = fields.enumeration("reason", r.reason);
    fields.finish()?;
    let area = tenure_area(commands, tenure_id).await?;
    let command = office::Command::Leave(office::Leave {
        area,
        reason,
        details: r.details,
        decision: header.decision.clone(),
        effective_date: header.effective_date,
    });
    Ok(Planned::new(request::stream_id(OFFICE, tenure_id), header, command))
}

/// The facts of the tenure's area; None when the tenure is not recorded (the domain then
/// refuses the command as such).
async fn tenure_area<L: EventLog>(commands: &Commands<L>, tenure_id: Uuid) -> Result<Option<AreaFacts>, Status> {
    let stream_id = request::stream_id(OFFICE, tenure_id);
    let tenure = commands.load::<Office>(&stream_id).await?.state();
    let Some(area_id) = tenure.area() else {
        return Ok(None);
    };
    // The area was registered when the office was taken, and areas are never removed.
    let area = request::load_area(commands, area_id).await?.facts().ok_or_else(|| {
        status::inconsistent_records(format!(
            "the area {area_id} of tenure {tenure_id} has no record; the log may be damaged"
        ))
    })?;
    Ok(Some(area))
}

pub(super) async fn view<L: EventLog>(
    commands: &Commands<L>,
    r: pb::GetOfficeRequest,
) -> Result<pb::OfficeView, Status> {
    let (tenure_id, as_of) = request::id_as_of("tenure_id", &r.tenure_id, r.as_of.as_ref())?;
    let (state, version) = request::load_as_of::<Office, L>(commands, OFFICE, tenure_id, as_of).await?;
    Ok(pb::OfficeView {
        held: state.held(),
        taken: state.taken,
        left: state.left,
        as_of: Some(as_of.to_proto()),
        version,
    })
}
