//! Helpers for the unit tests of every aggregate.

use uuid::Uuid;

use crate::codec::DomainEvent;
use crate::{Aggregate, AreaFacts, Context, Date, Decision, DomainError, Timeline};

/// The recording date of every test: 31 December 2024.
pub(crate) fn ctx() -> Context {
    Context {
        recorded_date: date(2024, 12, 31),
        actor: "test-clerk".to_owned(),
    }
}

pub(crate) fn date(year: i32, month: u32, day: u32) -> Date {
    Date::new(year, month, day).expect("test dates are valid")
}

/// A stable id per small number, so tests read `id(3)` instead of UUID literals.
pub(crate) fn id(n: u128) -> Uuid {
    Uuid::from_u128(0x0a11_0000_0000_4000_8000_0000_0000_0000 | n)
}

pub(crate) fn decision(number: &str, issued_on: Date) -> Decision {
    Decision {
        number: number.to_owned(),
        issued_by: "UBND huyện Nga Sơn".to_owned(),
        issued_on,
    }
}

/// An area registered on 2008-01-01 that still exists.
pub(crate) fn area_facts(n: u128, level: antt_proto::v1::AreaLevel) -> AreaFacts {
    AreaFacts {
        area_id: id(n),
        level,
        valid_from: date(2008, 1, 1),
        ended_on: None,
        division_type: String::new(),
    }
}

/// Given these events recorded in this order, when this command is decided through the
/// record's [`Timeline`], then this result. Every event decided also survives an
/// encode/decode round trip and an `evolve`.
pub(crate) fn check<A: Aggregate>(given: Vec<A::Event>, when: A::Command) -> Result<Vec<A::Event>, DomainError>
where
    A::Event: PartialEq + std::fmt::Debug,
{
    let mut timeline = Timeline::<A>::new();
    for (position, event) in (0u64..).zip(given) {
        timeline.push(position, event);
    }
    let decided = timeline.decide(when, &ctx())?;
    let mut state = timeline.state();
    for event in &decided {
        let encoded = event.encode();
        let decoded = A::Event::decode(encoded.event_type, encoded.schema_version, &encoded.payload)
            .expect("a decided event decodes");
        assert_eq!(&decoded, event, "round trip of {}", encoded.event_type);
        state = A::evolve(state, event);
    }
    Ok(decided)
}
