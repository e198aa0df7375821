//! Any domain event, for readers of the whole log (projections, audits) that meet every
//! event type. Each event type belongs to exactly one aggregate.

use crate::codec::{DecodeError, DomainEvent};
use crate::{area, arrest, incident, inspection, person, rating, target, team, tip};
use crate::{award, composition, conference, document, figure, office};

/// An event of any aggregate.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyEvent {
    Area(area::Event),
    Team(team::Event),
    Person(person::Event),
    Incident(incident::Event),
    Tip(tip::Event),
    Arrest(arrest::Event),
    Rating(rating::Event),
    Inspection(inspection::Event),
    Target(target::Event),
    Document(document::Event),
    Figure(figure::Event),
    Award(award::Event),
    Conference(conference::Event),
    Office(office::Event),
    Composition(composition::Event),
}

impl AnyEvent {
    /// Reads a stored event of any aggregate, upcasting older schema versions.
    pub fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<AnyEvent, DecodeError> {
        fn owns<E: DomainEvent>(event_type: &str) -> bool {
            E::EVENT_TYPES.contains(&event_type)
        }
        if owns::<area::Event>(event_type) {
            area::Event::decode(event_type, schema_version, payload).map(AnyEvent::Area)
        } else if owns::<team::Event>(event_type) {
            team::Event::decode(event_type, schema_version, payload).map(AnyEvent::Team)
        } else if owns::<person::Event>(event_type) {
            person::Event::decode(event_type, schema_version, payload).map(AnyEvent::Person)
        } else if owns::<incident::Event>(event_type) {
            incident::Event::decode(event_type, schema_version, payload).map(AnyEvent::Incident)
        } else if owns::<tip::Event>(event_type) {
            tip::Event::decode(event_type, schema_version, payload).map(AnyEvent::Tip)
        } else if owns::<arrest::Event>(event_type) {
            arrest::Event::decode(event_type, schema_version, payload).map(AnyEvent::Arrest)
        } else if owns::<rating::Event>(event_type) {
            rating::Event::decode(event_type, schema_version, payload).map(AnyEvent::Rating)
        } else if owns::<inspection::Event>(event_type) {
            inspection::Event::decode(event_type, schema_version, payload).map(AnyEvent::Inspection)
        } else if owns::<target::Event>(event_type) {
            target::Event::decode(event_type, schema_version, payload).map(AnyEvent::Target)
        } else if owns::<document::Event>(event_type) {
            document::Event::decode(event_type, schema_version, payload).map(AnyEvent::Document)
        } else if owns::<figure::Event>(event_type) {
            figure::Event::decode(event_type, schema_version, payload).map(AnyEvent::Figure)
        } else if owns::<award::Event>(event_type) {
            award::Event::decode(event_type, schema_version, payload).map(AnyEvent::Award)
        } else if owns::<conference::Event>(event_type) {
            conference::Event::decode(event_type, schema_version, payload).map(AnyEvent::Conference)
        } else if owns::<office::Event>(event_type) {
            office::Event::decode(event_type, schema_version, payload).map(AnyEvent::Office)
        } else if owns::<composition::Event>(event_type) {
            composition::Event::decode(event_type, schema_version, payload).map(AnyEvent::Composition)
        } else {
            Err(DecodeError::UnknownEventType {
                event_type: event_type.to_owned(),
            })
        }
    }

    /// Every event type of every aggregate.
    pub fn event_types() -> impl Iterator<Item = &'static str> {
        [
            area::Event::EVENT_TYPES,
            team::Event::EVENT_TYPES,
            person::Event::EVENT_TYPES,
            incident::Event::EVENT_TYPES,
            tip::Event::EVENT_TYPES,
            arrest::Event::EVENT_TYPES,
            rating::Event::EVENT_TYPES,
            inspection::Event::EVENT_TYPES,
            target::Event::EVENT_TYPES,
            document::Event::EVENT_TYPES,
            figure::Event::EVENT_TYPES,
            award::Event::EVENT_TYPES,
            conference::Event::EVENT_TYPES,
            office::Event::EVENT_TYPES,
            composition::Event::EVENT_TYPES,
        ]
        .into_iter()
        .flatten()
        .copied()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use prost::Message;
    use prost_types::FileDescriptorSet;

    use super::*;

    fn event_messages_in_protos() -> BTreeSet<String> {
        let descriptors = FileDescriptorSet::decode(antt_proto::FILE_DESCRIPTOR_SET).unwrap();
        descriptors
            .file
            .iter()
            .filter(|file| file.name().ends_with("_events.proto"))
            .flat_map(|file| {
                let package = file.package().to_owned();
                file.message_type
                    .iter()
                    // Event messages are the ones dated by `effective_date`; the others are
                    // parts of events (members carried over, resolutions, thresholds).
                    .filter(|message| message.field.iter().any(|field| field.name() == "effective_date"))
                    .map(move |message| format!("{package}.{}", message.name()))
            })
            .collect()
    }

    /// Goal: event type names are the fully qualified proto message names, and every
    /// event message of the protos belongs to exactly one aggregate.
    #[test]
    fn event_types_match_the_proto_messages_one_to_one() {
        let declared: Vec<&str> = AnyEvent::event_types().collect();
        let unique: BTreeSet<String> = declared.iter().map(|name| (*name).to_owned()).collect();
        assert_eq!(unique.len(), declared.len(), "an event type belongs to two aggregates");
        assert_eq!(unique, event_messages_in_protos());
    }

    /// Folds `event` into the state of its own aggregate, starting from an empty one.
    fn evolve_alone(event: &AnyEvent) {
        use crate::Aggregate;
        match event {
            AnyEvent::Area(e) => drop(area::Area::evolve(Default::default(), e)),
            AnyEvent::Team(e) => drop(team::Team::evolve(Default::default(), e)),
            AnyEvent::Person(e) => drop(person::Person::evolve(Default::default(), e)),
            AnyEvent::Incident(e) => drop(incident::Incident::evolve(Default::default(), e)),
            AnyEvent::Tip(e) => drop(tip::Tip::evolve(Default::default(), e)),
            AnyEvent::Arrest(e) => drop(arrest::Arrest::evolve(Default::default(), e)),
            AnyEvent::Rating(e) => drop(rating::Rating::evolve(Default::default(), e)),
            AnyEvent::Inspection(e) => drop(inspection::Inspection::evolve(Default::default(), e)),
            AnyEvent::Target(e) => drop(target::Target::evolve(Default::default(), e)),
            AnyEvent::Document(e) => drop(document::Document::evolve(Default::default(), e)),
            AnyEvent::Figure(e) => drop(figure::Figure::evolve(Default::default(), e)),
            AnyEvent::Award(e) => drop(award::Award::evolve(Default::default(), e)),
            AnyEvent::Conference(e) => drop(conference::Conference::evolve(Default::default(), e)),
            AnyEvent::Office(e) => drop(office::Office::evolve(Default::default(), e)),
            AnyEvent::Composition(e) => drop(composition::Composition::evolve(Default::default(), e)),
        }
    }

    proptest::proptest! {
        /// Goal: no stored bytes make the reader panic. Method: arbitrary short payloads
        /// (the empty one decodes to an all-default message: no ids, no dates, unspecified
        /// enums) under every event type and schema version 0..=3; whatever decodes is
        /// evolved.
        #[test]
        fn arbitrary_payloads_decode_or_fail_and_never_panic(
            type_index in 0usize..1024,
            schema_version in 0u32..4,
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..24),
        ) {
            let event_types: Vec<&str> = AnyEvent::event_types().collect();
            let event_type = event_types[type_index % event_types.len()];
            if let Ok(event) = AnyEvent::decode(event_type, schema_version, &payload) {
                evolve_alone(&event);
            }
        }
    }

    #[test]
    fn default_messages_of_every_type_evolve() {
        for event_type in AnyEvent::event_types() {
            let event = AnyEvent::decode(event_type, 1, &[]).unwrap();
            evolve_alone(&event);
        }
    }

    #[test]
    fn decodes_any_aggregate_event() {
        let payload = antt_proto::v1::AreaDissolved::default().encode_to_vec();
        assert!(matches!(
            AnyEvent::decode("antt.v1.AreaDissolved", 1, &payload),
            Ok(AnyEvent::Area(area::Event::Dissolved(_)))
        ));
        assert!(matches!(
            AnyEvent::decode("antt.v1.NoSuchEvent", 1, &payload),
            Err(DecodeError::UnknownEventType { .. })
        ));
    }
}
