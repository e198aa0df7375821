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
//! erasure, *whatever their dates*.
//!
//! Unlike every other record, a person's is judged as it stands, not as of the
//! command's date (see `command_effective_date`): an erasure is a fact about the key,
//! which is destroyed when the erasure is recorded. Its effective date is the date of
//! the request or decision, kept for the record; it limits nothing. Details dated before
//! it but typed in after it would be sealed under a key that no longer exists, so they
//! are refused; details dated after it but recorded before it were lawfully recorded and
//! are now as unreadable as the rest, so they do not stand in its way. An erasure may
//! thus be backdated before recorded corrections, and once one is recorded nothing at
//! all is accepted.

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
    /// The key of the latest sealed record, by effective date.
    pub key_id: String,
    /// The latest sealed record (ciphertext), by effective date; unreadable once the key
    /// is destroyed.
    pub sealed_personal_data: Vec<u8>,
    /// How many times the details were updated.
    pub updates_count: u32,
    /// Set once the personal data was erased. In a state as of a date before the
    /// erasure's date it is None, though the data is unreadable all the same: the key
    /// was destroyed when the erasure was recorded.
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

/// The date a person's command is judged as of: the end of time, i.e. against the whole
/// record, whatever date the command names. The one rule not about the registration
/// date, nothing after an erasure, holds from the erasure's recording, not from its date
/// (see the module documentation), and a state as of an earlier date would not see it.
/// [`check`] still judges each event's own date against the registration.
fn command_effective_date(_command: &Command) -> Date {
    Date::MAX
}

/// The date the command names, which its event carries.
fn named_date(command: &Command) -> Date {
    match command {
        Command::Register { effective_date, .. }
        | Command::UpdateDetails { effective_date, .. }
        | Command::Forget { effective_date, .. } => *effective_date,
    }
}

/// Checks `command` against the person's whole record: the command is read into its
/// event, then the event is judged by [`check`].
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(named_date(&command), ctx)?;
    let event = build_event(state, command)?;
    check(state, &event)?;
    Ok(vec![event])
}

/// The event a command asks for, with its own fields checked; the rules that depend on
/// the record are [`check`]'s.
fn build_event(state: &State, command: Command) -> Result<Event, DomainError> {
    Ok(match command {
        Command::Register {
            person_id,
            sealed,
            effective_date,
        } => {
            let (sealed_personal_data, key_id) = checked_sealed(sealed)?;
            Event::Registered(pb::PersonRegistered {
                person_id: person_id.to_string(),
                sealed_personal_data,
                key_id,
                effective_date: Some(effective_date.to_proto()),
            })
        }
        Command::UpdateDetails { sealed, effective_date } => {
            let (sealed_personal_data, key_id) = checked_sealed(sealed)?;
            Event::DetailsUpdated(pb::PersonDetailsUpdated {
                person_id: state.person_id.clone(),
                sealed_personal_data,
                key_id,
                effective_date: Some(effective_date.to_proto()),
            })
        }
        Command::Forget { reason, effective_date } => Event::Erased(pb::PersonErased {
            person_id: state.person_id.clone(),
            reason: text::required_text("reason", &reason)?,
            // The whole record's latest key: nothing can be sealed after the erasure, so
            // no later fact can make another key the one destroyed.
            key_id: state.key_id.clone(),
            effective_date: Some(effective_date.to_proto()),
        }),
    })
}

/// Whether `event` holds on `state`, the person's record before it: registered once;
/// details and the erasure dated from the registration, and nothing after an erasure
/// (of any date: `state` is the whole record, see `command_effective_date`).
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    let on = crate::codec::DomainEvent::effective_date(event);
    match event {
        Event::Registered(_) => facts::ensure_not_recorded("the person", state.registered_on),
        Event::DetailsUpdated(_) | Event::Erased(_) => {
            let registered_on = ensure_not_erased(state)?;
            facts::ensure_since("the person's record", on, registered_on)
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

    fn update(key_id: &str, on: Date) -> Command {
        Command::UpdateDetails {
            sealed: sealed(key_id),
            effective_date: on,
        }
    }

    #[test]
    fn the_details_on_a_date_are_the_latest_effective_by_then() {
        // A correction dated 2021 is typed in after one dated 2023: it does not hide it.
        let mut history = check(vec![], register()).unwrap();
        history.extend(check(history.clone(), update("key-b", date(2023, 1, 1))).unwrap());
        history.extend(check(history.clone(), update("key-a", date(2021, 1, 1))).unwrap());
        let timeline = crate::timeline_of::<Person>(&history);
        assert_eq!(timeline.state().key_id, "key-b");
        assert_eq!(timeline.state().updates_count, 2);
        assert_eq!(timeline.state_as_of(date(2022, 1, 1)).key_id, "key-a");
        assert_eq!(timeline.state_as_of(date(2020, 6, 1)).key_id, "key-2024-01");
    }

    #[test]
    fn nothing_dated_before_a_recorded_erasure_is_accepted_after_it() {
        // The key is gone: details typed in now would be sealed under a key that no
        // longer exists, whatever date they name.
        let mut history = check(vec![], register()).unwrap();
        history.extend(check(history.clone(), forget(date(2024, 6, 1))).unwrap());
        let erased = DomainError::PersonalDataErased {
            erased_on: date(2024, 6, 1),
        };
        assert_eq!(
            check(history.clone(), update("key-2024-01", date(2023, 1, 1))),
            Err(erased.clone())
        );
        // A second erasure is refused as such, not as a contradiction of the first.
        assert_eq!(check(history.clone(), forget(date(2023, 1, 1))), Err(erased));
        assert_eq!(
            check(history, register()),
            Err(DomainError::AlreadyRecorded { what: "the person" })
        );
    }

    #[test]
    fn an_erasure_may_be_dated_before_recorded_corrections() {
        // An erasure request dated January is processed in June, after a correction dated
        // March: the data subject's erasure is not refused for it, and the correction
        // stays in the log, as unreadable as the rest.
        let mut history = check(vec![], register()).unwrap();
        history.extend(check(history.clone(), update("key-2024-03", date(2024, 3, 1))).unwrap());
        let erased = check(history.clone(), forget(date(2024, 1, 15))).unwrap();
        let Event::Erased(event) = &erased[0] else {
            unreachable!()
        };
        assert_eq!(event.key_id, "key-2024-03", "the key of the latest sealed record");
        history.extend(erased);
        let timeline = crate::timeline_of::<Person>(&history);
        assert_eq!(
            timeline.state().erased.map(|erasure| erasure.on),
            Some(date(2024, 1, 15))
        );
        assert_eq!(timeline.state_as_of(date(2024, 1, 14)).erased, None);
        assert_eq!(
            check(history, update("key-2024-03", date(2024, 7, 1))),
            Err(DomainError::PersonalDataErased {
                erased_on: date(2024, 1, 15)
            })
        );
    }
}
