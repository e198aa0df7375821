//! Events to and from the bytes the log stores.
//!
//! An event is stored as `(event_type, schema_version, payload)`: the event type is the
//! fully qualified proto message name (e.g. `antt.v1.MemberAppointed`) and the payload
//! is that message, protobuf-encoded.
//!
//! # Schema versions and upcasting
//!
//! The log is never rewritten, so payloads written years ago must still load. The policy:
//! - Each event type has its own schema version, starting at 1. Writers always write the
//!   current version ([`DomainEvent::schema_version`]).
//! - Adding a field whose absence means the old behaviour is *not* a new version: proto3
//!   decodes old payloads with the field absent.
//! - Moving data to another field, changing a field's type, unit or meaning *is* a new
//!   version. The old field number is `reserved` in the `.proto`, the old layout is kept as
//!   a hand-written prost struct beside its upcaster (so the `.proto` files show only the
//!   current contract), and an upcaster turns version N bytes into version N + 1 bytes.
//! - On read, upcasters run one step at a time up to the current version, then the
//!   current message is decoded. Each step is small and tested with real old bytes.
//! - A version above the reader's current one is an error, never a guess: it was written
//!   by a newer program. Version 0 reads as 1, as the log does.
//!
//! The one upcaster so far: `antt.v1.TeamEstablished` v1 → v2, in `team.rs`.

use std::borrow::Cow;

use crate::date::Date;

/// An event ready for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedEvent {
    /// Fully qualified proto message name, e.g. `antt.v1.MemberAppointed`.
    pub event_type: &'static str,
    /// Schema version of `payload`.
    pub schema_version: u32,
    /// The protobuf-encoded message.
    pub payload: Vec<u8>,
}

/// Why stored bytes could not be read as an event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The event type belongs to no event of this aggregate.
    #[error("unknown event type {event_type:?} for this kind of record")]
    UnknownEventType { event_type: String },
    /// Written by a newer program than this one.
    #[error("{event_type} schema version {schema_version} is newer than the supported {supported}")]
    UnsupportedSchemaVersion {
        event_type: String,
        schema_version: u32,
        supported: u32,
    },
    /// An older version with no upcaster: a programming error caught by tests.
    #[error("{event_type} schema version {schema_version} has no upcaster")]
    MissingUpcaster { event_type: String, schema_version: u32 },
    /// The payload is not a valid message of its type and version.
    #[error("{event_type} payload (schema version {schema_version}) is malformed: {source}")]
    Malformed {
        event_type: String,
        schema_version: u32,
        #[source]
        source: prost::DecodeError,
    },
}

/// One step of upcasting: bytes of `event_type` at `from_version` to bytes at
/// `from_version + 1`.
pub type UpcastStep = fn(event_type: &str, from_version: u32, payload: &[u8]) -> Result<Vec<u8>, DecodeError>;

/// The event enum of an aggregate, as the log sees it.
pub trait DomainEvent: Sized {
    /// Every event type of this aggregate.
    const EVENT_TYPES: &'static [&'static str];

    /// Fully qualified proto message name.
    fn event_type(&self) -> &'static str;
    /// The current schema version of this event's type.
    fn schema_version(&self) -> u32;
    /// The protobuf-encoded payload.
    fn encode_payload(&self) -> Vec<u8>;
    /// The effective date carried by the payload (`Date::MIN` if missing).
    fn effective_date(&self) -> Date;
    /// Reads a stored event, upcasting older schema versions.
    fn decode(event_type: &str, schema_version: u32, payload: &[u8]) -> Result<Self, DecodeError>;

    /// Type, version and payload together.
    fn encode(&self) -> EncodedEvent {
        EncodedEvent {
            event_type: self.event_type(),
            schema_version: self.schema_version(),
            payload: self.encode_payload(),
        }
    }
}

/// Runs the upcaster steps from `schema_version` to `current_version`.
pub(crate) fn upcast_to_current<'a>(
    event_type: &str,
    schema_version: u32,
    current_version: u32,
    payload: &'a [u8],
    step: UpcastStep,
) -> Result<Cow<'a, [u8]>, DecodeError> {
    let schema_version = schema_version.max(1);
    if schema_version > current_version {
        return Err(DecodeError::UnsupportedSchemaVersion {
            event_type: event_type.to_owned(),
            schema_version,
            supported: current_version,
        });
    }
    let mut bytes = Cow::Borrowed(payload);
    for from_version in schema_version..current_version {
        bytes = Cow::Owned(step(event_type, from_version, &bytes)?);
    }
    Ok(bytes)
}

/// The upcaster of aggregates whose events are all still at version 1.
pub(crate) fn no_upcasters(event_type: &str, from_version: u32, _payload: &[u8]) -> Result<Vec<u8>, DecodeError> {
    Err(DecodeError::MissingUpcaster {
        event_type: event_type.to_owned(),
        schema_version: from_version,
    })
}

pub(crate) fn malformed(event_type: &str, schema_version: u32, source: prost::DecodeError) -> DecodeError {
    DecodeError::Malformed {
        event_type: event_type.to_owned(),
        schema_version,
        source,
    }
}

/// Declares an aggregate's `Event` enum, one variant per proto message, and implements
/// [`DomainEvent`] for it. Every message must have an `effective_date` field.
///
/// ```text
/// domain_events! {
///     upcast = no_upcasters;
///     pub enum Event {
///         Registered(pb::AreaRegistered) = "antt.v1.AreaRegistered" @ 1,
///     }
/// }
/// ```
macro_rules! domain_events {
    (
        upcast = $upcast:path;
        $(#[$meta:meta])*
        pub enum $event:ident {
            $( $(#[$variant_meta:meta])* $variant:ident($message:ty) = $name:literal @ $version:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub enum $event {
            $( $(#[$variant_meta])* $variant($message), )+
        }

        impl $crate::codec::DomainEvent for $event {
            const EVENT_TYPES: &'static [&'static str] = &[$($name),+];

            fn event_type(&self) -> &'static str {
                match self { $( $event::$variant(_) => $name, )+ }
            }

            fn schema_version(&self) -> u32 {
                match self { $( $event::$variant(_) => $version, )+ }
            }

            fn encode_payload(&self) -> Vec<u8> {
                match self { $( $event::$variant(message) => ::prost::Message::encode_to_vec(message), )+ }
            }

            fn effective_date(&self) -> $crate::date::Date {
                match self {
                    $( $event::$variant(message) => $crate::date::Date::from_event(message.effective_date.as_ref()), )+
                }
            }

            fn decode(
                event_type: &str,
                schema_version: u32,
                payload: &[u8],
            ) -> Result<Self, $crate::codec::DecodeError> {
                match event_type {
                    $( $name => {
                        let current = $crate::codec::upcast_to_current(event_type, schema_version, $version, payload, $upcast)?;
                        <$message as ::prost::Message>::decode(current.as_ref())
                            .map($event::$variant)
                            .map_err(|source| $crate::codec::malformed(event_type, schema_version, source))
                    } )+
                    other => Err($crate::codec::DecodeError::UnknownEventType { event_type: other.to_owned() }),
                }
            }
        }
    };
}

pub(crate) use domain_events;
