//! Awards (khen thưởng): one stream per award, holding one event.
//!
//! A Bằng khen, Giấy khen, cờ thi đua… granted by a body (e.g. UBND tỉnh Thanh Hóa, Bộ
//! Công an) by a decision, to a collective (an area or a team) or an individual (a
//! person, named by id only), for an achievement. Seed 001 counts them: 4 emulation flags,
//! 26 collectives and 37 individuals with a Bằng khen of the Ministry or the province in
//! ten years.
//!
//! Rules: an award is recorded once; it is not dated after the day it is recorded; the
//! granting body's area, and a collective recipient, existed on the decision's effective
//! date. That a person recipient is registered is checked by the API layer, which reads
//! the person's record.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::body::{self, Body, BodyFields};
use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context, Decision, TeamFacts};
use crate::text;

/// The award aggregate.
pub struct Award;

crate::aggregate!(Award);

/// What can be asked of an award's record.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Grant(Grant),
}

/// Records an award granted on `effective_date` by `decision`.
#[derive(Clone, Debug, PartialEq)]
pub struct Grant {
    pub award_id: Uuid,
    pub kind: pb::AwardKind,
    pub award_name: String,
    pub recipient: Recipient,
    pub granted_by: Body,
    pub achievement: String,
    pub decision: Decision,
    pub effective_date: Date,
}

/// Who receives an award.
#[derive(Clone, Debug, PartialEq)]
pub enum Recipient {
    /// A collective: an area (e.g. a commune), as its stream tells.
    Area(AreaFacts),
    /// A collective: a team, as its stream tells.
    Team(TeamFacts),
    /// An individual: a registered person.
    Person(Uuid),
}

domain_events! {
    upcast = no_upcasters;
    /// What an award's record holds.
    pub enum Event {
        Granted(pb::AwardGranted) = "antt.v1.AwardGranted" @ 1,
    }
}

/// An award's record as its event describes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    pub granted_on: Option<Date>,
    /// The award as recorded; None until granted.
    pub award: Option<pb::AwardGranted>,
}

const GRANTED_BY: BodyFields = BodyFields {
    kind: "granted_by.kind",
    name: "granted_by.name",
    area: "the granting body's area",
};

fn command_effective_date(command: &Command) -> Date {
    let Command::Grant(grant) = command;
    grant.effective_date
}

/// Checks `command` against the record: read into its event, then judged by [`check`].
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    let Command::Grant(grant) = command;
    facts::ensure_not_after_recording(grant.effective_date, ctx)?;
    let (recipient, recipient_area_level) = recipient(&grant.recipient, grant.effective_date)?;
    let event = Event::Granted(pb::AwardGranted {
        award_id: grant.award_id.to_string(),
        kind: facts::specified("kind", grant.kind)?.into(),
        award_name: body::kind_name("award_name", grant.kind, pb::AwardKind::Other, &grant.award_name)?,
        recipient: Some(recipient),
        recipient_area_level: recipient_area_level.into(),
        granted_by: Some(grant.granted_by.to_proto(GRANTED_BY, grant.effective_date)?),
        achievement: text::required_text("achievement", &grant.achievement)?,
        decision: Some(grant.decision.to_proto("decision", ctx)?),
        effective_date: Some(grant.effective_date.to_proto()),
    });
    check(state, &event)?;
    Ok(vec![event])
}

/// The recipient in wire form, if a collective recipient existed on `on`; with the level of
/// a recipient area.
fn recipient(recipient: &Recipient, on: Date) -> Result<(pb::award_granted::Recipient, pb::AreaLevel), DomainError> {
    use pb::award_granted::Recipient as Wire;
    Ok(match recipient {
        Recipient::Area(area) => {
            facts::ensure_within("the recipient area", on, area.valid_from, area.ended_on)?;
            (Wire::AreaId(area.area_id.to_string()), area.level)
        }
        Recipient::Team(team) => {
            team.ensure_exists_on("the recipient team", on)?;
            (Wire::TeamId(team.team_id.to_string()), pb::AreaLevel::Unspecified)
        }
        Recipient::Person(person_id) => (Wire::PersonId(person_id.to_string()), pb::AreaLevel::Unspecified),
    })
}

/// Whether `event` holds on the record as it stood before it: an award is recorded once.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    let Event::Granted(_) = event;
    facts::ensure_not_recorded("the award", state.granted_on)
}

/// The record after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let Event::Granted(e) = event;
    state.granted_on = Some(Date::from_event(e.effective_date.as_ref()));
    state.award = Some(e.clone());
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date, decision, id};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Award>(given, when)
    }

    /// The protection team of thôn 8, established 2013-03-01 and dissolved 2020-01-01.
    fn team() -> TeamFacts {
        TeamFacts {
            team_id: id(20),
            force_type: pb::ForceType::SecurityProtectionTeam,
            established_on: date(2013, 3, 1),
            ended_on: Some(date(2020, 1, 1)),
        }
    }

    /// A Bằng khen of UBND tỉnh Thanh Hóa to `recipient` on `on`.
    fn certificate(recipient: Recipient, on: Date) -> Command {
        Command::Grant(Grant {
            award_id: id(1),
            kind: pb::AwardKind::CertificateOfMerit,
            award_name: String::new(),
            recipient,
            granted_by: Body {
                kind: pb::BodyKind::PeoplesCommittee,
                name: "UBND tỉnh Thanh Hóa".to_owned(),
                area: Some(area_facts(38, pb::AreaLevel::Province)),
            },
            achievement: "Có thành tích xuất sắc trong phong trào toàn dân bảo vệ ANTQ năm 2017".to_owned(),
            decision: decision("1234/QĐ-UBND", on),
            effective_date: on,
        })
    }

    #[test]
    fn an_award_is_recorded_once() {
        let given = check(vec![], certificate(Recipient::Team(team()), date(2018, 4, 2))).unwrap();
        let award = crate::replay::<Award>(&given).award.unwrap();
        assert_eq!(
            award.recipient,
            Some(pb::award_granted::Recipient::TeamId(id(20).to_string()))
        );
        assert_eq!(award.granted_by.unwrap().area_level(), pb::AreaLevel::Province);
        assert_eq!(
            check(given, certificate(Recipient::Person(id(30)), date(2018, 4, 2))),
            Err(DomainError::AlreadyRecorded { what: "the award" })
        );
    }

    #[test]
    fn a_collective_recipient_existed_on_the_decision_date() {
        let before = certificate(Recipient::Team(team()), date(2013, 2, 28));
        assert!(matches!(
            check(vec![], before),
            Err(DomainError::BeforeExistence {
                what: "the recipient team",
                ..
            })
        ));
        let after = certificate(Recipient::Team(team()), date(2020, 1, 1));
        assert!(matches!(
            check(vec![], after),
            Err(DomainError::AfterEnd {
                what: "the recipient team",
                ..
            })
        ));
        let commune = area_facts(15016, pb::AreaLevel::Commune);
        let events = check(vec![], certificate(Recipient::Area(commune.clone()), date(2018, 4, 2))).unwrap();
        let Event::Granted(award) = &events[0];
        assert_eq!(award.recipient_area_level(), pb::AreaLevel::Commune);
        let too_early = certificate(Recipient::Area(commune), date(2007, 1, 1));
        assert!(matches!(
            check(vec![], too_early),
            Err(DomainError::BeforeExistence {
                what: "the recipient area",
                ..
            })
        ));
    }

    #[test]
    fn another_kind_of_award_is_named() {
        let Command::Grant(mut grant) = certificate(Recipient::Person(id(30)), date(2018, 4, 2));
        grant.kind = pb::AwardKind::Other;
        assert_eq!(
            check(vec![], Command::Grant(grant.clone())).unwrap_err().field(),
            Some("award_name")
        );
        grant.award_name = "Danh hiệu Chiến sĩ thi đua".to_owned();
        assert!(check(vec![], Command::Grant(grant)).is_ok());
    }
}
