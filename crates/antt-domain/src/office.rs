//! Offices held (chức danh): one stream per tenure, from the day a person takes an office
//! in an area (OfficeTaken) to the day the tenure ends (OfficeLeft).
//!
//! The sources define forces by offices ("the village police officer leads the
//! protection team", "the village militia head is its deputy since 2013", "the commune
//! People's Committee chairman heads the steering committee"), so who held which office
//! where, and when, is a fact of its own.
//!
//! Rules: a tenure is taken once, while its area exists, in an area of a level the office
//! belongs to; it ends once, after the day it began, and not after its area ended.
//!
//! Not a rule here: that one person at a time holds an office in an area (one village
//! head per village). Tenures are separate streams, so that is a question across records,
//! for projections to flag, not for this aggregate to enforce.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context, Decision};
use crate::{area, body, text};

/// The tenure aggregate.
pub struct Office;

crate::aggregate!(Office);

/// What can be asked of a tenure.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Take(Take),
    Leave(Leave),
}

/// A person takes an office in an area on `effective_date`.
#[derive(Clone, Debug, PartialEq)]
pub struct Take {
    pub tenure_id: Uuid,
    pub person_id: Uuid,
    /// The area, as its stream tells.
    pub area: AreaFacts,
    pub kind: pb::OfficeKind,
    pub organisation: String,
    pub office_name: String,
    pub decision: Decision,
    pub effective_date: Date,
}

/// The tenure ends on `effective_date`.
#[derive(Clone, Debug, PartialEq)]
pub struct Leave {
    /// The tenure's area as its stream tells; None when the tenure is not recorded (the
    /// API layer finds the area through the tenure), and the command is then refused.
    pub area: Option<AreaFacts>,
    pub reason: pb::LeaveReason,
    pub details: String,
    pub decision: Option<Decision>,
    pub effective_date: Date,
}

domain_events! {
    upcast = no_upcasters;
    /// What happened to a tenure.
    pub enum Event {
        Taken(pb::OfficeTaken) = "antt.v1.OfficeTaken" @ 1,
        Left(pb::OfficeLeft) = "antt.v1.OfficeLeft" @ 1,
    }
}

/// A tenure as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    pub taken_on: Option<Date>,
    pub left_on: Option<Date>,
    pub taken: Option<pb::OfficeTaken>,
    pub left: Option<pb::OfficeLeft>,
}

impl State {
    /// Whether the office is held: taken and not left.
    pub fn held(&self) -> bool {
        self.taken_on.is_some() && self.left_on.is_none()
    }

    /// The area of the tenure; empty until taken.
    pub fn area_id(&self) -> &str {
        self.taken.as_ref().map_or("", |taken| taken.area_id.as_str())
    }

    /// The area of the tenure; None until taken.
    pub fn area(&self) -> Option<Uuid> {
        Uuid::parse_str(self.area_id()).ok()
    }

    fn tenure_id(&self) -> String {
        self.taken
            .as_ref()
            .map(|taken| taken.tenure_id.clone())
            .unwrap_or_default()
    }
}

const TENURE: &str = "the tenure (nhiệm kỳ giữ chức danh)";

fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::Take(take) => take.effective_date,
        Command::Leave(leave) => leave.effective_date,
    }
}

/// Checks `command` against the tenure: read into its event, then judged by [`check`].
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let event = match command {
        Command::Take(take) => decide_take(take, ctx)?,
        Command::Leave(leave) => decide_leave(state, leave, ctx)?,
    };
    check(state, &event)?;
    Ok(vec![event])
}

fn decide_take(take: Take, ctx: &Context) -> Result<Event, DomainError> {
    let kind = facts::specified("kind", take.kind)?;
    take.area.ensure_exists_on(take.effective_date)?;
    ensure_office_of_level(kind, take.area.level)?;
    let organisation = if kind == pb::OfficeKind::MassOrganisationHead {
        text::required_name("organisation", &take.organisation)?
    } else {
        text::optional_name("organisation", &take.organisation)?
    };
    Ok(Event::Taken(pb::OfficeTaken {
        tenure_id: take.tenure_id.to_string(),
        person_id: take.person_id.to_string(),
        area_id: take.area.area_id.to_string(),
        area_level: take.area.level.into(),
        kind: kind.into(),
        organisation,
        office_name: body::kind_name("office_name", kind, pb::OfficeKind::Other, &take.office_name)?,
        decision: Some(take.decision.to_proto("decision", ctx)?),
        effective_date: Some(take.effective_date.to_proto()),
    }))
}

/// Village offices belong to residential areas (a village police officer may also serve
/// the commune), the police chief to a commune, a People's Committee chair to a
/// province, district or commune; Party secretaries, heads of mass organisations and other
/// offices to any area.
pub(crate) fn ensure_office_of_level(kind: pb::OfficeKind, level: pb::AreaLevel) -> Result<(), DomainError> {
    use pb::AreaLevel as L;
    use pb::OfficeKind as K;
    let fits = match kind {
        K::VillagePoliceOfficer => matches!(level, L::ResidentialArea | L::Commune),
        K::VillageMilitiaHead | K::VillageHead => level == L::ResidentialArea,
        K::CommunePoliceChief => level == L::Commune,
        K::PeoplesCommitteeChair => matches!(level, L::Province | L::District | L::Commune),
        K::PartySecretary | K::MassOrganisationHead | K::Other | K::Unspecified => true,
    };
    if fits {
        return Ok(());
    }
    Err(DomainError::OfficeNotAtLevel {
        office: office_label(kind),
        level: area::level_label(level),
    })
}

/// The office's name for messages.
pub fn office_label(kind: pb::OfficeKind) -> &'static str {
    match kind {
        pb::OfficeKind::Unspecified => "office of unspecified kind",
        pb::OfficeKind::VillagePoliceOfficer => "village police officer (công an viên)",
        pb::OfficeKind::VillageMilitiaHead => "village militia head (thôn đội trưởng)",
        pb::OfficeKind::VillageHead => "village head (trưởng thôn)",
        pb::OfficeKind::PeoplesCommitteeChair => "People's Committee chairman (chủ tịch UBND)",
        pb::OfficeKind::PartySecretary => "Party secretary (bí thư)",
        pb::OfficeKind::CommunePoliceChief => "commune police chief (trưởng công an xã)",
        pb::OfficeKind::MassOrganisationHead => "head of a mass organisation (chủ tịch Hội, Mặt trận)",
        pb::OfficeKind::Other => "office",
    }
}

fn decide_leave(state: &State, leave: Leave, ctx: &Context) -> Result<Event, DomainError> {
    let on = leave.effective_date;
    // An untaken tenure has no area; `check` refuses it as not recorded.
    if let Some(area) = leave.area.as_ref().filter(|_| state.taken.is_some()) {
        if area.area_id.to_string() != state.area_id() {
            return Err(DomainError::WrongRecord { what: "area" });
        }
        // The tenure may end on the day its area ended, not after.
        if let Some(ended_on) = area.ended_on.filter(|ended_on| on > *ended_on) {
            return Err(DomainError::AfterEnd {
                what: "the tenure's area",
                effective: on,
                ended_on,
            });
        }
    }
    Ok(Event::Left(pb::OfficeLeft {
        tenure_id: state.tenure_id(),
        reason: facts::specified("reason", leave.reason)?.into(),
        details: text::optional_text("details", &leave.details)?,
        decision: facts::optional_decision("decision", leave.decision.as_ref(), ctx)?,
        effective_date: Some(on.to_proto()),
    }))
}

/// Whether `event` holds on the tenure as it stood just before it took effect.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    match event {
        Event::Taken(_) => facts::ensure_not_recorded(TENURE, state.taken_on),
        Event::Left(e) => facts::ensure_may_end(
            TENURE,
            state.taken_on,
            state.left_on,
            Date::from_event(e.effective_date.as_ref()),
        ),
    }
}

/// The tenure after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Taken(e) => {
            state.taken_on = Some(on);
            state.taken = Some(e.clone());
        }
        Event::Left(e) => {
            state.left_on = Some(on);
            state.left = Some(e.clone());
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date, decision, id};
    use crate::{timeline_of, Timeline};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Office>(given, when)
    }

    /// Thôn 8 of Nga Thái, registered 2008-01-01 and, for these tests, merged on
    /// 2021-01-01.
    fn thon_8() -> AreaFacts {
        AreaFacts {
            ended_on: Some(date(2021, 1, 1)),
            ..area_facts(8, pb::AreaLevel::ResidentialArea)
        }
    }

    fn take(kind: pb::OfficeKind, on: Date) -> Command {
        Command::Take(Take {
            tenure_id: id(1),
            person_id: id(30),
            area: thon_8(),
            kind,
            organisation: String::new(),
            office_name: String::new(),
            decision: decision("15/QĐ-UBND", on),
            effective_date: on,
        })
    }

    fn leave(on: Date) -> Command {
        Command::Leave(Leave {
            area: Some(thon_8()),
            reason: pb::LeaveReason::TermEnded,
            details: "hết nhiệm kỳ".to_owned(),
            decision: None,
            effective_date: on,
        })
    }

    fn taken_2013() -> Vec<Event> {
        check(vec![], take(pb::OfficeKind::VillagePoliceOfficer, date(2013, 3, 1))).unwrap()
    }

    #[test]
    fn a_tenure_is_taken_once_and_held_until_left() {
        let mut events = taken_2013();
        assert!(matches!(
            check(events.clone(), take(pb::OfficeKind::VillageHead, date(2014, 1, 1))),
            Err(DomainError::AlreadyRecorded { .. })
        ));
        events.extend(check(events.clone(), leave(date(2020, 12, 31))).unwrap());
        let timeline: Timeline<Office> = timeline_of::<Office>(&events);
        assert!(!timeline.state_as_of(date(2013, 2, 28)).held());
        assert!(timeline.state_as_of(date(2013, 3, 1)).held());
        assert!(timeline.state_as_of(date(2020, 12, 30)).held());
        assert!(!timeline.state_as_of(date(2020, 12, 31)).held());
    }

    #[test]
    fn a_tenure_ends_once_after_it_began() {
        let mut events = taken_2013();
        assert_eq!(
            check(events.clone(), leave(date(2013, 3, 1))),
            Err(DomainError::EndNotAfterStart {
                what: TENURE,
                began_on: date(2013, 3, 1)
            })
        );
        // Before it was taken: judged against the tenure as taken.
        assert_eq!(
            check(events.clone(), leave(date(2012, 1, 1))),
            Err(DomainError::EndNotAfterStart {
                what: TENURE,
                began_on: date(2013, 3, 1)
            })
        );
        events.extend(check(events.clone(), leave(date(2020, 6, 1))).unwrap());
        assert_eq!(
            check(events.clone(), leave(date(2020, 7, 1))),
            Err(DomainError::AlreadyEnded {
                what: TENURE,
                ended_on: date(2020, 6, 1)
            })
        );
        // Earlier in valid time, the recorded end would be a second one.
        assert_eq!(
            check(events, leave(date(2019, 1, 1))),
            Err(DomainError::ContradictsLaterRecord {
                on: date(2020, 6, 1),
                rule: Box::new(DomainError::AlreadyEnded {
                    what: TENURE,
                    ended_on: date(2019, 1, 1)
                }),
            })
        );
        assert!(matches!(
            check(vec![], leave(date(2020, 6, 1))),
            Err(DomainError::NotRecorded { .. })
        ));
    }

    #[test]
    fn a_tenure_lies_within_its_area_s_life() {
        assert!(matches!(
            check(vec![], take(pb::OfficeKind::VillageHead, date(2007, 12, 31))),
            Err(DomainError::BeforeExistence { what: "the area", .. })
        ));
        assert!(matches!(
            check(vec![], take(pb::OfficeKind::VillageHead, date(2021, 1, 1))),
            Err(DomainError::AfterEnd { what: "the area", .. })
        ));
        assert!(check(taken_2013(), leave(date(2021, 1, 1))).is_ok());
        assert!(matches!(
            check(taken_2013(), leave(date(2021, 1, 2))),
            Err(DomainError::AfterEnd {
                what: "the tenure's area",
                ..
            })
        ));
    }

    #[test]
    fn an_office_belongs_to_areas_of_its_level() {
        assert_eq!(
            check(vec![], take(pb::OfficeKind::CommunePoliceChief, date(2013, 3, 1))),
            Err(DomainError::OfficeNotAtLevel {
                office: "commune police chief (trưởng công an xã)",
                level: "residential area (khu dân cư)"
            })
        );
        let Command::Take(mut head) = take(pb::OfficeKind::MassOrganisationHead, date(2013, 3, 1)) else {
            unreachable!()
        };
        assert_eq!(
            check(vec![], Command::Take(head.clone())).unwrap_err().field(),
            Some("organisation")
        );
        head.organisation = "Chi hội Nông dân thôn 8".to_owned();
        assert!(check(vec![], Command::Take(head)).is_ok());
    }
}
