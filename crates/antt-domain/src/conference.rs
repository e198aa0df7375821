//! Conferences and training classes (hội nghị, lớp tập huấn, sơ kết, tổng kết): one stream
//! per conference, holding the conference and, added later, the persons known to have
//! attended.
//!
//! Seed 001 counts them by level and kind ("216 expanded conferences with more than 4,000
//! attendances in 2008"; "18 training classes for commune police chiefs and village
//! heads"), so a conference records its organiser (a body of an area, whose level is the
//! conference's), its kind, its days and the participants counted. Attendees are known
//! for some only, and often typed in later from the attendance sheet: each addition is
//! dated on a day of the conference.
//!
//! Rules: a conference is recorded once, while its organiser's area exists; attendees are
//! dated within the conference's days, each person at most once, and never more of them
//! than the participants counted.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::body::{Body, BodyFields};
use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, Context};
use crate::{limits, text};

/// The conference aggregate.
pub struct Conference;

crate::aggregate!(Conference);

/// What can be asked of a conference's record.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Hold(Hold),
    RecordAttendees(RecordAttendees),
}

/// Records a conference whose first day is `effective_date`.
#[derive(Clone, Debug, PartialEq)]
pub struct Hold {
    pub conference_id: Uuid,
    pub kind: pb::ConferenceKind,
    pub topic: String,
    /// Who organised it: a body of an area.
    pub organiser: Body,
    /// None: a one-day meeting.
    pub last_day: Option<Date>,
    /// None: not counted.
    pub participants: Option<u32>,
    pub effective_date: Date,
}

/// Adds persons known to have attended, on a day of the conference.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordAttendees {
    pub person_ids: Vec<Uuid>,
    pub effective_date: Date,
}

domain_events! {
    upcast = no_upcasters;
    /// What happened to a conference's record.
    pub enum Event {
        Held(pb::ConferenceHeld) = "antt.v1.ConferenceHeld" @ 1,
        AttendeesRecorded(pb::ConferenceAttendeesRecorded) = "antt.v1.ConferenceAttendeesRecorded" @ 1,
    }
}

/// A conference as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// The first day; None until recorded.
    pub held_on: Option<Date>,
    pub last_day: Option<Date>,
    /// The conference as recorded.
    pub conference: Option<pb::ConferenceHeld>,
    /// Person ids of the attendees known, in valid-time order.
    pub attendees: Vec<String>,
}

impl State {
    fn participants(&self) -> Option<u32> {
        self.conference.as_ref().and_then(|conference| conference.participants)
    }

    fn conference_id(&self) -> String {
        self.conference
            .as_ref()
            .map(|conference| conference.conference_id.clone())
            .unwrap_or_default()
    }
}

const ORGANISER: BodyFields = BodyFields {
    kind: "organiser.kind",
    name: "organiser.name",
    area: "the organiser's area",
};

fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::Hold(hold) => hold.effective_date,
        Command::RecordAttendees(attendees) => attendees.effective_date,
    }
}

/// Checks `command` against the conference: read into its event, then judged by
/// [`check`].
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let event = match command {
        Command::Hold(hold) => decide_hold(hold)?,
        Command::RecordAttendees(attendees) => decide_attendees(state, attendees)?,
    };
    check(state, &event)?;
    Ok(vec![event])
}

fn decide_hold(hold: Hold) -> Result<Event, DomainError> {
    if hold.organiser.area.is_none() {
        return Err(DomainError::invalid(
            "organiser.area_id",
            "a conference is organised by a body of an area; name the area",
        ));
    }
    let last_day = hold.last_day.unwrap_or(hold.effective_date);
    let days = last_day.days_since_unix_epoch() - hold.effective_date.days_since_unix_epoch();
    if !(0..limits::CONFERENCE_DAYS_MAX).contains(&days) {
        return Err(DomainError::invalid(
            "last_day",
            format!(
                "the last day is on or after the first, within {} days",
                limits::CONFERENCE_DAYS_MAX
            ),
        ));
    }
    if let Some(participants) = hold.participants {
        if !(1..=limits::PARTICIPANTS_MAX).contains(&participants) {
            return Err(DomainError::invalid(
                "participants",
                format!(
                    "between 1 and {}; leave it unset when not counted",
                    limits::PARTICIPANTS_MAX
                ),
            ));
        }
    }
    Ok(Event::Held(pb::ConferenceHeld {
        conference_id: hold.conference_id.to_string(),
        kind: facts::specified("kind", hold.kind)?.into(),
        topic: text::required_text("topic", &hold.topic)?,
        organiser: Some(hold.organiser.to_proto(ORGANISER, hold.effective_date)?),
        last_day: Some(last_day.to_proto()),
        participants: hold.participants,
        effective_date: Some(hold.effective_date.to_proto()),
    }))
}

fn decide_attendees(state: &State, attendees: RecordAttendees) -> Result<Event, DomainError> {
    if attendees.person_ids.len() > limits::ATTENDEES_PER_COMMAND_MAX {
        return Err(DomainError::invalid(
            "person_ids",
            format!("at most {} persons at once", limits::ATTENDEES_PER_COMMAND_MAX),
        ));
    }
    let conference_id = state.conference_id();
    Ok(Event::AttendeesRecorded(pb::ConferenceAttendeesRecorded {
        person_ids: facts::distinct_ids("person_ids", &attendees.person_ids, &conference_id, 1)?,
        conference_id,
        effective_date: Some(attendees.effective_date.to_proto()),
    }))
}

/// Whether `event` holds on the conference as it stood just before it took effect.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    match event {
        Event::Held(_) => facts::ensure_not_recorded("the conference", state.held_on),
        Event::AttendeesRecorded(e) => check_attendees(state, e),
    }
}

fn check_attendees(state: &State, e: &pb::ConferenceAttendeesRecorded) -> Result<(), DomainError> {
    let first_day = facts::ensure_recorded("the conference", state.held_on)?;
    let last_day = state.last_day.unwrap_or(first_day);
    let on = Date::from_event(e.effective_date.as_ref());
    if on < first_day || on > last_day {
        return Err(DomainError::OutsideConferenceDays {
            effective: on,
            first_day,
            last_day,
        });
    }
    if let Some(person_id) = e.person_ids.iter().find(|id| state.attendees.contains(id)) {
        return Err(DomainError::AlreadyAttending {
            person_id: person_id.clone(),
        });
    }
    let attendees = state.attendees.len().saturating_add(e.person_ids.len());
    if let Some(participants) = state.participants() {
        if attendees > participants as usize {
            return Err(DomainError::MoreAttendeesThanParticipants {
                attendees: u32::try_from(attendees).unwrap_or(u32::MAX),
                participants,
            });
        }
    }
    if attendees > limits::ATTENDEES_PER_CONFERENCE_MAX {
        return Err(DomainError::invalid(
            "person_ids",
            format!(
                "a conference lists at most {} attendees",
                limits::ATTENDEES_PER_CONFERENCE_MAX
            ),
        ));
    }
    Ok(())
}

/// The conference after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    match event {
        Event::Held(e) => {
            state.held_on = Some(Date::from_event(e.effective_date.as_ref()));
            state.last_day = e.last_day.as_ref().map(|day| Date::from_event(Some(day)));
            state.conference = Some(e.clone());
        }
        Event::AttendeesRecorded(e) => state.attendees.extend(e.person_ids.iter().cloned()),
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date, id};
    use crate::{timeline_of, Timeline};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Conference>(given, when)
    }

    /// A three-day training class of the district steering committee, 20–22 May 2019,
    /// 45 participants counted.
    fn training_class() -> Command {
        Command::Hold(Hold {
            conference_id: id(1),
            kind: pb::ConferenceKind::TrainingClass,
            topic: "Tập huấn nghiệp vụ cho thành viên tổ bảo vệ ANTT".to_owned(),
            organiser: Body {
                kind: pb::BodyKind::SteeringCommittee,
                name: "Ban Chỉ đạo 138 huyện Nga Sơn".to_owned(),
                area: Some(area_facts(10, pb::AreaLevel::District)),
            },
            last_day: Some(date(2019, 5, 22)),
            participants: Some(45),
            effective_date: date(2019, 5, 20),
        })
    }

    fn attendees(people: &[u128], on: Date) -> Command {
        Command::RecordAttendees(RecordAttendees {
            person_ids: people.iter().map(|n| id(*n)).collect(),
            effective_date: on,
        })
    }

    fn held() -> Vec<Event> {
        check(vec![], training_class()).unwrap()
    }

    #[test]
    fn a_conference_is_recorded_once() {
        assert_eq!(
            check(held(), training_class()),
            Err(DomainError::AlreadyRecorded { what: "the conference" })
        );
    }

    #[test]
    fn attendees_are_known_from_the_day_they_are_dated() {
        let mut events = held();
        events.extend(check(events.clone(), attendees(&[30, 31], date(2019, 5, 21))).unwrap());
        let timeline: Timeline<Conference> = timeline_of::<Conference>(&events);
        assert!(timeline.state_as_of(date(2019, 5, 20)).attendees.is_empty());
        assert_eq!(timeline.state_as_of(date(2019, 5, 21)).attendees.len(), 2);
        assert!(timeline.state_as_of(date(2019, 5, 19)).held_on.is_none());
    }

    #[test]
    fn attendance_is_dated_on_a_day_of_the_conference() {
        for on in [date(2019, 5, 19), date(2019, 5, 23)] {
            assert!(matches!(
                check(held(), attendees(&[30], on)),
                Err(DomainError::OutsideConferenceDays { .. })
            ));
        }
        assert_eq!(
            check(vec![], attendees(&[30], date(2019, 5, 20))),
            Err(DomainError::NotRecorded { what: "the conference" })
        );
    }

    #[test]
    fn each_attendee_is_recorded_once() {
        let mut events = held();
        events.extend(check(events.clone(), attendees(&[30], date(2019, 5, 22))).unwrap());
        assert_eq!(
            check(events.clone(), attendees(&[31, 30], date(2019, 5, 22))),
            Err(DomainError::AlreadyAttending {
                person_id: id(30).to_string()
            })
        );
        // Added earlier in valid time, the person would be recorded twice from the 22nd.
        assert_eq!(
            check(events, attendees(&[30], date(2019, 5, 20))),
            Err(DomainError::ContradictsLaterRecord {
                on: date(2019, 5, 22),
                rule: Box::new(DomainError::AlreadyAttending {
                    person_id: id(30).to_string()
                }),
            })
        );
        assert_eq!(
            check(held(), attendees(&[30, 30], date(2019, 5, 20)))
                .unwrap_err()
                .field(),
            Some("person_ids")
        );
    }

    #[test]
    fn no_more_attendees_than_participants_counted() {
        let Command::Hold(mut hold) = training_class() else {
            unreachable!()
        };
        hold.participants = Some(2);
        let events = check(vec![], Command::Hold(hold)).unwrap();
        assert_eq!(
            check(events, attendees(&[30, 31, 32], date(2019, 5, 20))),
            Err(DomainError::MoreAttendeesThanParticipants {
                attendees: 3,
                participants: 2
            })
        );
    }

    #[test]
    fn a_conference_has_an_organiser_of_an_area_and_sane_days() {
        let Command::Hold(hold) = training_class() else {
            unreachable!()
        };
        let refused = |hold: Hold| check(vec![], Command::Hold(hold)).unwrap_err();
        let central = Hold {
            organiser: Body {
                area: None,
                ..hold.organiser.clone()
            },
            ..hold.clone()
        };
        assert_eq!(refused(central).field(), Some("organiser.area_id"));
        let backwards = Hold {
            last_day: Some(date(2019, 5, 19)),
            ..hold.clone()
        };
        assert_eq!(refused(backwards).field(), Some("last_day"));
        let nobody = Hold {
            participants: Some(0),
            ..hold.clone()
        };
        assert_eq!(refused(nobody).field(), Some("participants"));
        let before_the_district = Hold {
            effective_date: date(2007, 5, 20),
            last_day: None,
            ..hold
        };
        assert!(matches!(
            refused(before_the_district),
            DomainError::BeforeExistence {
                what: "the organiser's area",
                ..
            }
        ));
    }
}
