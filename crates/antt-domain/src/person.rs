//! A person's own record: one stream per person.
//!
//! Personal data (name, birth year, residence, ethnicity, religion, party membership,
//! vetting details) is sealed at the edge: this crate sees only an opaque ciphertext and
//! the id of the key that sealed it, never plaintext. Team events refer to people by id
//! only, so destroying a person's key (crypto-shredding) erases their personal data
//! without rewriting the log.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, Context};
use crate::{limits, text, Aggregate};

/// The person aggregate.
pub struct Person;

impl Aggregate for Person {
    type Command = Command;
    type Event = Event;
    type State = State;

    fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
        decide(state, command, ctx)
    }

    fn evolve(state: State, event: &Event) -> State {
        evolve(state, event)
    }
}

/// Personal data as sealed by the edge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedPersonalData {
    /// The ciphertext; opaque here.
    pub ciphertext: Vec<u8>,
    /// The key that sealed it.
    pub key_id: String,
}

/// What can be asked of a person's record.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Registers the person with their sealed personal data.
    Register {
        person_id: Uuid,
        sealed: SealedPersonalData,
        effective_date: Date,
    },
    /// Replaces the sealed record (changed details, or re-sealed under a new key).
    UpdateDetails {
        sealed: SealedPersonalData,
        effective_date: Date,
    },
}

domain_events! {
    upcast = no_upcasters;
    /// What happened to a person's record.
    pub enum Event {
        Registered(pb::PersonRegistered) = "antt.v1.PersonRegistered" @ 1,
        DetailsUpdated(pb::PersonDetailsUpdated) = "antt.v1.PersonDetailsUpdated" @ 1,
    }
}

/// A person's record as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Empty until registered.
    pub person_id: String,
    pub registered_on: Option<Date>,
    /// The key of the latest sealed record.
    pub key_id: String,
    /// How many times the details were updated.
    pub updates_count: u32,
}

/// Checks `command` against the person's record.
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    match command {
        Command::Register {
            person_id,
            sealed,
            effective_date,
        } => {
            facts::ensure_not_after_recording(effective_date, ctx)?;
            if state.registered_on.is_some() {
                return Err(DomainError::AlreadyRecorded { what: "the person" });
            }
            let (sealed_personal_data, key_id) = checked_sealed(sealed)?;
            Ok(vec![Event::Registered(pb::PersonRegistered {
                person_id: person_id.to_string(),
                sealed_personal_data,
                key_id,
                effective_date: Some(effective_date.to_proto()),
            })])
        }
        Command::UpdateDetails { sealed, effective_date } => {
            facts::ensure_not_after_recording(effective_date, ctx)?;
            let registered_on = state
                .registered_on
                .ok_or(DomainError::NotRecorded { what: "the person" })?;
            facts::ensure_since("the person's record", effective_date, registered_on)?;
            let (sealed_personal_data, key_id) = checked_sealed(sealed)?;
            Ok(vec![Event::DetailsUpdated(pb::PersonDetailsUpdated {
                person_id: state.person_id.clone(),
                sealed_personal_data,
                key_id,
                effective_date: Some(effective_date.to_proto()),
            })])
        }
    }
}

/// The ciphertext and key id, if both are present and the ciphertext is not too large.
fn checked_sealed(sealed: SealedPersonalData) -> Result<(Vec<u8>, String), DomainError> {
    if sealed.ciphertext.is_empty() {
        return Err(DomainError::invalid("sealed_personal_data", "must not be empty"));
    }
    if sealed.ciphertext.len() > limits::SEALED_PERSONAL_DATA_BYTES_MAX {
        return Err(DomainError::invalid(
            "sealed_personal_data",
            format!("at most {} bytes", limits::SEALED_PERSONAL_DATA_BYTES_MAX),
        ));
    }
    let key_id = text::code("key_id", &sealed.key_id)?;
    Ok((sealed.ciphertext, key_id))
}

/// The person's record after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    match event {
        Event::Registered(e) => {
            state.person_id = e.person_id.clone();
            state.registered_on = Some(Date::from_event(e.effective_date.as_ref()));
            state.key_id = e.key_id.clone();
        }
        Event::DetailsUpdated(e) => {
            state.key_id = e.key_id.clone();
            state.updates_count = state.updates_count.saturating_add(1);
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{date, id};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Person>(given, when)
    }

    fn sealed(key_id: &str) -> SealedPersonalData {
        SealedPersonalData {
            ciphertext: vec![0x5e, 0xa1, 0xed],
            key_id: key_id.to_owned(),
        }
    }

    fn register() -> Command {
        Command::Register {
            person_id: id(1),
            sealed: sealed("key-2024-01"),
            effective_date: date(2020, 1, 1),
        }
    }

    #[test]
    fn registers_a_person_with_sealed_data_only() {
        let events = check(vec![], register()).unwrap();
        let Event::Registered(registered) = &events[0] else {
            unreachable!()
        };
        assert_eq!(registered.sealed_personal_data, vec![0x5e, 0xa1, 0xed]);
        assert_eq!(registered.key_id, "key-2024-01");
        assert_eq!(
            check(events, register()),
            Err(DomainError::AlreadyRecorded { what: "the person" })
        );
    }

    #[test]
    fn sealed_data_and_key_are_required() {
        let empty = Command::Register {
            person_id: id(1),
            sealed: SealedPersonalData {
                ciphertext: vec![],
                key_id: "k".to_owned(),
            },
            effective_date: date(2020, 1, 1),
        };
        assert_eq!(check(vec![], empty).unwrap_err().field(), Some("sealed_personal_data"));
        let keyless = Command::Register {
            person_id: id(1),
            sealed: sealed(""),
            effective_date: date(2020, 1, 1),
        };
        assert_eq!(check(vec![], keyless).unwrap_err().field(), Some("key_id"));
    }

    #[test]
    fn details_are_updated_only_on_a_registered_person() {
        let update = |on| Command::UpdateDetails {
            sealed: sealed("key-2025-01"),
            effective_date: on,
        };
        assert_eq!(
            check(vec![], update(date(2021, 1, 1))),
            Err(DomainError::NotRecorded { what: "the person" })
        );
        let given = check(vec![], register()).unwrap();
        assert!(matches!(
            check(given.clone(), update(date(2019, 1, 1))),
            Err(DomainError::BeforeExistence { .. })
        ));
        let events = check(given.clone(), update(date(2021, 1, 1))).unwrap();
        let state = crate::replay::<Person>(given.iter().chain(&events));
        assert_eq!(state.key_id, "key-2025-01");
    }
}
