//! Tips from the public (tin báo, tố giác): one stream per tip.
//!
//! A tip is received, then assessed once: of value or not, and which incident it led to.
//! The informant is protected: no personal data in these events.

use antt_proto::v1 as pb;
use uuid::Uuid;

use crate::codec::{domain_events, no_upcasters};
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::{self, AreaFacts, Context};
use crate::text;

/// The tip aggregate.
pub struct Tip;

crate::aggregate!(Tip);

/// What can be asked of a tip.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Receive {
        tip_id: Uuid,
        area: AreaFacts,
        category: pb::IncidentCategory,
        /// e.g. "điện thoại", "hòm thư tố giác tội phạm".
        channel: String,
        /// Without personal data.
        summary: String,
        effective_date: Date,
    },
    Assess {
        valuable: bool,
        led_to_incident_id: Option<Uuid>,
        effective_date: Date,
    },
}

domain_events! {
    upcast = no_upcasters;
    /// What happened to a tip.
    pub enum Event {
        Received(pb::PublicTipReceived) = "antt.v1.PublicTipReceived" @ 1,
        Assessed(pb::PublicTipAssessed) = "antt.v1.PublicTipAssessed" @ 1,
    }
}

/// A tip as its events describe it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct State {
    /// Empty until received.
    pub tip_id: String,
    pub received_on: Option<Date>,
    pub area_id: String,
    /// Some(valuable) once assessed.
    pub valuable: Option<bool>,
    pub led_to_incident_id: String,
}

fn command_effective_date(command: &Command) -> Date {
    match command {
        Command::Receive { effective_date, .. } | Command::Assess { effective_date, .. } => *effective_date,
    }
}

/// Checks `command` against the tip as it stood on the command's effective date: the
/// command is read into its event, then the event is judged by [`check`], the rules that
/// also judge every later record again (see [`crate::timeline`]).
pub fn decide(state: &State, command: Command, ctx: &Context) -> Result<Vec<Event>, DomainError> {
    facts::ensure_not_after_recording(command_effective_date(&command), ctx)?;
    let event = build_event(state, command)?;
    check(state, &event)?;
    Ok(vec![event])
}

/// The event a command asks for, with its own fields checked; the rules that depend on
/// the tip's state are [`check`]'s.
fn build_event(state: &State, command: Command) -> Result<Event, DomainError> {
    Ok(match command {
        Command::Receive {
            tip_id,
            area,
            category,
            channel,
            summary,
            effective_date,
        } => {
            area.ensure_exists_on(effective_date)?;
            Event::Received(pb::PublicTipReceived {
                tip_id: tip_id.to_string(),
                area_id: area.area_id.to_string(),
                category: facts::specified("category", category)?.into(),
                channel: text::required_name("channel", &channel)?,
                summary: text::optional_text("summary", &summary)?,
                effective_date: Some(effective_date.to_proto()),
            })
        }
        Command::Assess {
            valuable,
            led_to_incident_id,
            effective_date,
        } => {
            if led_to_incident_id.is_some() && !valuable {
                return Err(DomainError::invalid(
                    "led_to_incident_id",
                    "a tip that led to an incident was of value",
                ));
            }
            Event::Assessed(pb::PublicTipAssessed {
                tip_id: state.tip_id.clone(),
                valuable,
                led_to_incident_id: facts::optional_id(led_to_incident_id),
                effective_date: Some(effective_date.to_proto()),
            })
        }
    })
}

/// Whether `event` holds on `state`, the tip as it stood just before the event took
/// effect. A tip is assessed on or after the day it was received, and once: a second
/// assessment is refused whatever its date, before the recorded one (which would then
/// be a second) or after it. The assessment is the tip's verdict, and a report counting
/// valuable tips must count each tip once; correcting one would be a command of its own.
pub fn check(state: &State, event: &Event) -> Result<(), DomainError> {
    match event {
        Event::Received(_) => facts::ensure_not_recorded("the tip", state.received_on),
        Event::Assessed(e) => {
            let on = Date::from_event(e.effective_date.as_ref());
            facts::ensure_open_on("the tip", state.received_on, None, on)?;
            facts::ensure_not_recorded("the tip's assessment", state.valuable)
        }
    }
}

/// The tip after `event`.
pub fn evolve(mut state: State, event: &Event) -> State {
    match event {
        Event::Received(e) => {
            state.tip_id = e.tip_id.clone();
            state.received_on = Some(Date::from_event(e.effective_date.as_ref()));
            state.area_id = e.area_id.clone();
        }
        Event::Assessed(e) => {
            state.valuable = Some(e.valuable);
            state.led_to_incident_id = e.led_to_incident_id.clone();
        }
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{area_facts, date, id};

    fn check(given: Vec<Event>, when: Command) -> Result<Vec<Event>, DomainError> {
        crate::testing::check::<Tip>(given, when)
    }

    fn received() -> Vec<Event> {
        let receive = Command::Receive {
            tip_id: id(1),
            area: area_facts(10, pb::AreaLevel::Commune),
            category: pb::IncidentCategory::Gambling,
            channel: "điện thoại".to_owned(),
            summary: "tụ tập đánh bạc".to_owned(),
            effective_date: date(2016, 8, 1),
        };
        check(vec![], receive).unwrap()
    }

    fn assess(valuable: bool, incident: Option<Uuid>) -> Command {
        Command::Assess {
            valuable,
            led_to_incident_id: incident,
            effective_date: date(2016, 8, 3),
        }
    }

    #[test]
    fn a_tip_is_assessed_once() {
        let mut given = received();
        given.extend(check(given.clone(), assess(true, Some(id(2)))).unwrap());
        assert_eq!(
            check(given, assess(false, None)),
            Err(DomainError::AlreadyRecorded {
                what: "the tip's assessment"
            })
        );
    }

    #[test]
    fn a_tip_that_led_to_an_incident_was_of_value() {
        assert_eq!(
            check(received(), assess(false, Some(id(2)))).unwrap_err().field(),
            Some("led_to_incident_id")
        );
    }

    fn assess_on(effective_date: Date) -> Command {
        Command::Assess {
            valuable: true,
            led_to_incident_id: None,
            effective_date,
        }
    }

    #[test]
    fn a_tip_is_assessed_once_whatever_the_dates() {
        let mut given = received();
        given.extend(check(given.clone(), assess_on(date(2016, 8, 3))).unwrap());
        let already = DomainError::AlreadyRecorded {
            what: "the tip's assessment",
        };
        assert_eq!(
            check(given.clone(), assess_on(date(2016, 8, 2))),
            Err(DomainError::ContradictsLaterRecord {
                on: date(2016, 8, 3),
                rule: Box::new(already.clone()),
            }),
            "an earlier assessment would make the recorded one a second"
        );
        assert_eq!(check(given.clone(), assess_on(date(2016, 9, 1))), Err(already));
        let timeline = crate::timeline_of::<Tip>(&given);
        assert_eq!(timeline.state_as_of(date(2016, 8, 2)).valuable, None);
        assert_eq!(timeline.state_as_of(date(2016, 8, 3)).valuable, Some(true));
    }

    #[test]
    fn a_tip_is_assessed_after_it_was_received() {
        assert_eq!(
            check(received(), assess_on(date(2016, 7, 31))),
            Err(DomainError::BeforeExistence {
                what: "the tip",
                effective: date(2016, 7, 31),
                since: date(2016, 8, 1),
            })
        );
        assert!(check(received(), assess_on(date(2016, 8, 1))).is_ok(), "the same day");
    }

    #[test]
    fn a_tip_is_received_once() {
        let receive_on = |effective_date| Command::Receive {
            tip_id: id(1),
            area: area_facts(10, pb::AreaLevel::Commune),
            category: pb::IncidentCategory::Gambling,
            channel: "hòm thư tố giác tội phạm".to_owned(),
            summary: String::new(),
            effective_date,
        };
        for on in [date(2016, 7, 1), date(2016, 9, 1)] {
            assert_eq!(
                check(received(), receive_on(on)),
                Err(DomainError::AlreadyRecorded { what: "the tip" })
            );
        }
    }

    #[test]
    fn an_unknown_tip_cannot_be_assessed() {
        assert_eq!(
            check(vec![], assess(true, None)),
            Err(DomainError::NotRecorded { what: "the tip" })
        );
    }
}
