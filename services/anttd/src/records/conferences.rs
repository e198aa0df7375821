//! Conferences and training classes (hội nghị, lớp tập huấn) and who attended:
//! `conference-<uuid>`.

use antt_domain::conference::{self, Conference};
use antt_log::EventLog;
use antt_proto::v1 as pb;
use tonic::Status;

use super::BodyPaths;
use crate::commands::Commands;
use crate::persons::Persons;
use crate::request::{self, Fields, Planned};

pub(crate) const CONFERENCE: &str = "conference";

const ORGANISER: BodyPaths = BodyPaths {
    body: "organiser",
    kind: "organiser.kind",
    area_id: "organiser.area_id",
};

pub(super) async fn plan_hold<L: EventLog>(
    commands: &Commands<L>,
    r: pb::RecordConferenceRequest,
) -> Result<Planned<Conference>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let conference_id = fields.uuid("conference_id", &r.conference_id);
    let kind = fields.enumeration("kind", r.kind);
    let organiser = super::read_body(&mut fields, ORGANISER, r.organiser.as_ref());
    let last_day = r.last_day.as_ref().map(|day| fields.date("last_day", Some(day)));
    fields.finish()?;
    let organiser = super::body_facts(commands, ORGANISER, organiser).await?;
    let command = conference::Command::Hold(conference::Hold {
        conference_id,
        kind,
        topic: r.topic,
        organiser,
        last_day,
        participants: r.participants,
        effective_date: header.effective_date,
    });
    Ok(Planned::new(
        request::stream_id(CONFERENCE, conference_id),
        header,
        command,
    ))
}

/// Reads the attendees and refuses any who is not a registered person.
pub(super) async fn plan_attendees<L: EventLog>(
    persons: &Persons<L>,
    r: pb::RecordConferenceAttendeesRequest,
) -> Result<Planned<Conference>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let conference_id = fields.uuid("conference_id", &r.conference_id);
    if r.person_ids.len() > antt_domain::limits::ATTENDEES_PER_COMMAND_MAX {
        fields.violate(
            "person_ids",
            format!(
                "at most {} persons at once",
                antt_domain::limits::ATTENDEES_PER_COMMAND_MAX
            ),
        );
    }
    let person_ids: Vec<_> = r
        .person_ids
        .iter()
        .take(antt_domain::limits::ATTENDEES_PER_COMMAND_MAX)
        .enumerate()
        .map(|(index, id)| fields.uuid(&format!("person_ids[{index}]"), id))
        .collect();
    fields.finish()?;
    for (index, person_id) in person_ids.iter().enumerate() {
        persons
            .ensure_can_serve(&format!("person_ids[{index}]"), *person_id)
            .await?;
    }
    let command = conference::Command::RecordAttendees(conference::RecordAttendees {
        person_ids,
        effective_date: header.effective_date,
    });
    Ok(Planned::new(
        request::stream_id(CONFERENCE, conference_id),
        header,
        command,
    ))
}

pub(super) async fn view<L: EventLog>(
    commands: &Commands<L>,
    r: pb::GetConferenceRequest,
) -> Result<pb::ConferenceView, Status> {
    let (conference_id, as_of) = request::id_as_of("conference_id", &r.conference_id, r.as_of.as_ref())?;
    let (state, version) = request::load_as_of::<Conference, L>(commands, CONFERENCE, conference_id, as_of).await?;
    Ok(pb::ConferenceView {
        conference: state.conference,
        attendee_person_ids: state.attendees,
        as_of: Some(as_of.to_proto()),
        version,
    })
}
