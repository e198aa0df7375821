//! A person's own record: one stream per person.
//!
//! Personal data (name, birth year, residence, ethnicity, religion, party membership,
//! vetting details) is sealed at the edge: this crate sees only an opaque ciphertext and
//! the id of the key that sealed it, never plaintext. Team events refer to people by id
//! only, so destroying a person's key (crypto-shredding) erases their personal data
//! without rewriting the log.
//!
//! Erasure ([`Command::Forget`]) is recorded once, after the edge has destroyed the key;
//! from then on the record accepts nothing more: neither corrected details nor a second
//! erasure.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, Context};
use crate::{limits, text};

/// The person aggregate.
pub struct Person;

crate::aggregate!(Person);

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
    /// Records that the person's personal data was erased. The caller destroys the key
    /// first: this event states a fact that already holds.
    Forget { reason: String, effective_date: Date },
}

domain_events! {
    upcast = no_upcasters;
    /// What happened to a person's record.
    pub enum Event {
        Registered(pb::PersonRegistered) = "antt.v1.PersonRegistered" @ 1,
        DetailsUpdated(pb::PersonDetailsUpdated) = "antt.v1.PersonDetailsUpdated" @ 1,
        Erased(pb::PersonErased) = "antt.v1.PersonErased" @ 1,
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
    /// The latest sealed record (ciphertext); unreadable once the key is destroyed.
    pub sealed_personal_data: Vec<u8>,
    /// How many times the details were updated.
    pub updates_count: u32,
    /// Set once the personal data was erased.
    pub erased: Option<Erasure>,
}

/// How and when a person's personal data was erased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Erasure {
    pub on: Date,
    pub reason: String,
    /// The destroyed key.
    pub key_id: String,
}
fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::Register { effective_date, .. }
        | Command::UpdateDetails { effective_date, .. }
        | Command::Forget { effective_date, .. } => *effective_date,
    }
}

/// Whether a recorded event still holds after a backdated fact: see
/// [`crate::Aggregate::check`]. Not yet written for this record: only `decide`'s
/// judgement as of the command's own date applies.
pub fn check(_state: &State, _event: &Event) -> Result<(), DomainError> {
    Ok(())
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
            facts::ensure_not_recorded("the person", state.registered_on)?;
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
            let registered_on = ensure_not_erased(state)?;
            facts::ensure_since("the person's record", effective_date, registered_on)?;
            let (sealed_personal_data, key_id) = checked_sealed(sealed)?;
            Ok(vec![Event::DetailsUpdated(pb::PersonDetailsUpdated {
                person_id: state.person_id.clone(),
                sealed_personal_data,
                key_id,
                effective_date: Some(effective_date.to_proto()),
            })])
        }
        Command::Forget { reason, effective_date } => {
            facts::ensure_not_after_recording(effective_date, ctx)?;
            let registered_on = ensure_not_erased(state)?;
            facts::ensure_since("the person's record", effective_date, registered_on)?;
            Ok(vec![Event::Erased(pb::PersonErased {
                person_id: state.person_id.clone(),
                reason: text::required_text("reason", &reason)?,
                key_id: state.key_id.clone(),
                effective_date: Some(effective_date.to_proto()),
            })])
        }
    }
}

/// The registration date of a person whose data is still there.
fn ensure_not_erased(state: &State) -> Result<Date, DomainError> {
    let registered_on = facts::ensure_recorded("the person", state.registered_on)?;
    if let Some(erasure) = &state.erased {
        return Err(DomainError::PersonalDataErased { erased_on: erasure.on });
    }
    Ok(registered_on)
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
            state.sealed_personal_data = e.sealed_personal_data.clone();
        }
        Event::DetailsUpdated(e) => {
            state.key_id = e.key_id.clone();
            state.sealed_personal_data = e.sealed_personal_data.clone();
            state.updates_count = state.updates_count.saturating_add(1);
        }
        Event::Erased(e) => {
            state.erased = Some(Erasure {
                on: Date::from_event(e.effective_date.as_ref()),
                reason: e.reason.clone(),
                key_id: e.key_id.clone(),
            });
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

    fn forget(on: Date) -> Command {
        Command::Forget {
            reason: "Yêu cầu xoá dữ liệu của chủ thể dữ liệu".to_owned(),
            effective_date: on,
        }
    }

    #[test]
    fn an_erasure_names_the_destroyed_key_and_is_recorded_once() {
        let given = check(vec![], register()).unwrap();
        let erased = check(given.clone(), forget(date(2024, 6, 1))).unwrap();
        let Event::Erased(event) = &erased[0] else {
            unreachable!()
        };
        assert_eq!(event.key_id, "key-2024-01");
        assert_eq!(event.person_id, id(1).to_string());
        let history: Vec<Event> = given.iter().chain(&erased).cloned().collect();
        let state = crate::replay::<Person>(&history);
        assert_eq!(state.erased.as_ref().map(|e| e.on), Some(date(2024, 6, 1)));
        // The sealed record stays in the state: it is in the log for ever, only unreadable.
        assert_eq!(state.sealed_personal_data, vec![0x5e, 0xa1, 0xed]);
        let again = check(history, forget(date(2024, 7, 1))).unwrap_err();
        assert_eq!(
            again,
            DomainError::PersonalDataErased {
                erased_on: date(2024, 6, 1)
            }
        );
        assert!(again.is_rule_violation());
        assert!(again.to_string().contains("erased on 2024-06-01"), "{again}");
    }

    #[test]
    fn details_cannot_be_corrected_after_an_erasure() {
        let mut history = check(vec![], register()).unwrap();
        history.extend(check(history.clone(), forget(date(2024, 6, 1))).unwrap());
        let update = Command::UpdateDetails {
            sealed: sealed("key-2025-01"),
            effective_date: date(2024, 6, 2),
        };
        assert_eq!(
            check(history, update),
            Err(DomainError::PersonalDataErased {
                erased_on: date(2024, 6, 1)
            })
        );
    }

    #[test]
    fn an_erasure_needs_a_registered_person_a_reason_and_a_date_in_the_record() {
        assert_eq!(
            check(vec![], forget(date(2024, 6, 1))),
            Err(DomainError::NotRecorded { what: "the person" })
        );
        let given = check(vec![], register()).unwrap();
        assert!(matches!(
            check(given.clone(), forget(date(2019, 12, 31))),
            Err(DomainError::BeforeExistence { .. })
        ));
        assert!(matches!(
            check(given.clone(), forget(date(2025, 1, 1))),
            Err(DomainError::EffectiveDateInFuture { .. })
        ));
        let reasonless = Command::Forget {
            reason: "  ".to_owned(),
            effective_date: date(2024, 6, 1),
        };
        assert_eq!(check(given, reasonless).unwrap_err().field(), Some("reason"));
    }
}
