//! Arrests of wanted persons (bắt đối tượng truy nã, trốn thi hành án): one stream per
//! arrest record, holding one event. Who was arrested is in a sealed person record; the
//! reports count arrests and how the public helped (seed 001: 73 in ten years).

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context};
use crate::text;

/// The arrest record aggregate.
pub struct Arrest;

crate::aggregate!(Arrest);

/// What can be asked of an arrest record.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Record {
        arrest_id: Uuid,
        area: AreaFacts,
        /// Persuaded to surrender rather than caught.
        surrendered: bool,
        public_helped: bool,
        arrested_by: String,
        /// The sealed person record, if one was made.
        person_id: Option<Uuid>,
        effective_date: Date,
    },
}

domain_events! {
    upcast = no_upcasters;
    /// What an arrest record holds.
    pub enum Event {
        WantedPersonArrested(pb::WantedPersonArrested) = "antt.v1.WantedPersonArrested" @ 1,
    }
}

/// An arrest record as its event describes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    pub arrest_id: String,
    pub arrested_on: Option<Date>,
    pub area_id: String,
    pub surrendered: bool,
    pub public_helped: bool,
    pub arrested_by: String,
    /// Empty when no sealed person record was made.
    pub person_id: String,
}

fn command_effective_date(command: &Command) -> Date {
    let Command::Record { effective_date, .. } = command;
    *effective_date
}

/// Checks `command` against the record as it stood on the command's effective date: the
/// command is read into its event, then the event is judged by [`check`].
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let event = build_event(command)?;
    check(state, &event)?;
    Ok(vec![event])
}

/// The event the command asks for, with its own fields checked.
fn build_event(command: Command) -> Result<Event, DomainError> {
    let Command::Record {
        arrest_id,
        area,
        surrendered,
        public_helped,
        arrested_by,
        person_id,
        effective_date,
    } = command;
    area.ensure_exists_on(effective_date)?;
    Ok(Event::WantedPersonArrested(pb::WantedPersonArrested {
        arrest_id: arrest_id.to_string(),
        area_id: area.area_id.to_string(),
        surrendered,
        public_helped,
        arrested_by: text::required_name("arrested_by", &arrested_by)?,
        person_id: facts::optional_id(person_id),
        effective_date: Some(effective_date.to_proto()),
    }))
}

/// Whether `event` holds on `state`: a record holds one arrest, whatever its date (one
/// dated before the recorded arrest is judged against the record as created, see
/// [`crate::Timeline::decide`]).
pub fn check(state: &State, _event: &Event) -> Result<(), DomainError> {
    facts::ensure_not_recorded("the arrest", state.arrested_on)
}

/// The record after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    let Event::WantedPersonArrested(e) = event;
    state.arrest_id = e.arrest_id.clone();
    state.arrested_on = Some(Date::from_event(e.effective_date.as_ref()));
    state.area_id = e.area_id.clone();
    state.surrendered = e.surrendered;
    state.public_helped = e.public_helped;
    state.arrested_by = e.arrested_by.clone();
    state.person_id = e.person_id.clone();
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date, id};

    fn record(on: Date) -> Command {
        Command::Record {
            arrest_id: id(1),
            area: area_facts(10, pb::AreaLevel::Commune),
            surrendered: true,
            public_helped: true,
            arrested_by: "Công an huyện Nga Sơn".to_owned(),
            person_id: None,
            effective_date: on,
        }
    }

    #[test]
    fn an_arrest_is_recorded_once() {
        let given = crate::testing::check::<Arrest>(vec![], record(date(2015, 2, 1))).unwrap();
        assert_eq!(
            crate::testing::check::<Arrest>(given, record(date(2015, 2, 1))),
            Err(DomainError::AlreadyRecorded { what: "the arrest" })
        );
    }

    #[test]
    fn a_record_holds_one_arrest_whatever_the_date() {
        let given = crate::testing::check::<Arrest>(vec![], record(date(2015, 2, 1))).unwrap();
        for on in [date(2014, 6, 1), date(2016, 6, 1)] {
            assert_eq!(
                crate::testing::check::<Arrest>(given.clone(), record(on)),
                Err(DomainError::AlreadyRecorded { what: "the arrest" }),
                "another arrest on {on}"
            );
        }
        let timeline = crate::timeline_of::<Arrest>(&given);
        assert_eq!(timeline.state_as_of(date(2015, 1, 31)).arrested_on, None);
        assert_eq!(
            timeline.state_as_of(date(2015, 2, 1)).arrested_on,
            Some(date(2015, 2, 1))
        );
    }

    #[test]
    fn an_arrest_happens_in_an_existing_area() {
        assert!(matches!(
            crate::testing::check::<Arrest>(vec![], record(date(2007, 2, 1))),
            Err(DomainError::BeforeExistence { what: "the area", .. })
        ));
    }
}
