//! Awards (khen thưởng): `award-<uuid>`.

use antt_domain::award::{self, Award, Recipient};
use antt_log::EventLog;
use antt_proto::v1 as pb;
use tonic::Status;
use uuid::Uuid;

use super::BodyPaths;
use crate::commands::Commands;
use crate::persons::Persons;
use crate::request::{self, Fields, Planned};

pub(crate) const AWARD: &str = "award";

const GRANTED_BY: BodyPaths = BodyPaths {
    body: "granted_by",
    kind: "granted_by.kind",
    area_id: "granted_by.area_id",
};

/// Who receives the award, as named in the request.
enum RecipientRead {
    Area(Uuid),
    Team(Uuid),
    Person(Uuid),
}

pub(super) async fn plan_grant<L: EventLog>(
    commands: &Commands<L>,
    persons: &Persons<L>,
    r: pb::GrantAwardRequest,
) -> Result<Planned<Award>, Status> {
    let mut fields = Fields::default();
    let header = fields.header(r.header.as_ref());
    let award_id = fields.uuid("award_id", &r.award_id);
    // The award decision (quyết định khen thưởng).
    let decision = fields.required_decision();
    let kind = fields.enumeration("kind", r.kind);
    let recipient = read_recipient(&mut fields, r.recipient);
    let granted_by = super::read_body(&mut fields, GRANTED_BY, r.granted_by.as_ref());
    fields.finish()?;
    let recipient = recipient_facts(commands, persons, recipient).await?;
    let granted_by = super::body_facts(commands, GRANTED_BY, granted_by).await?;
    let command = award::Command::Grant(award::Grant {
        award_id,
        kind,
        award_name: r.award_name,
        recipient,
        granted_by,
        achievement: r.achievement,
        decision,
        effective_date: header.effective_date,
    });
    Ok(Planned::new(request::stream_id(AWARD, award_id), header, command))
}

fn read_recipient(fields: &mut Fields, recipient: Option<pb::grant_award_request::Recipient>) -> RecipientRead {
    use pb::grant_award_request::Recipient as Wire;
    match recipient {
        Some(Wire::AreaId(id)) => RecipientRead::Area(fields.uuid("area_id", &id)),
        Some(Wire::TeamId(id)) => RecipientRead::Team(fields.uuid("team_id", &id)),
        Some(Wire::PersonId(id)) => RecipientRead::Person(fields.uuid("person_id", &id)),
        None => {
            fields.violate(
                "recipient",
                "name who receives it: a collective (area_id or team_id) or an individual (person_id)",
            );
            RecipientRead::Person(Uuid::nil())
        }
    }
}

/// The recipient with what the award's rules need to know about it, read from its stream.
async fn recipient_facts<L: EventLog>(
    commands: &Commands<L>,
    persons: &Persons<L>,
    recipient: RecipientRead,
) -> Result<Recipient, Status> {
    Ok(match recipient {
        RecipientRead::Area(area_id) => Recipient::Area(request::area_facts(commands, "area_id", area_id).await?),
        RecipientRead::Team(team_id) => Recipient::Team(request::team_facts(commands, "team_id", team_id).await?),
        RecipientRead::Person(person_id) => {
            persons.ensure_can_serve("person_id", person_id).await?;
            Recipient::Person(person_id)
        }
    })
}

pub(super) async fn view<L: EventLog>(commands: &Commands<L>, r: pb::GetAwardRequest) -> Result<pb::AwardView, Status> {
    let (award_id, as_of) = request::id_as_of("award_id", &r.award_id, r.as_of.as_ref())?;
    let (state, version) = request::load_as_of::<Award, L>(commands, AWARD, award_id, as_of).await?;
    Ok(pb::AwardView {
        award: state.award,
        as_of: Some(as_of.to_proto()),
        version,
    })
}
