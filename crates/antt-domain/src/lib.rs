//! The pure domain of antt-ledger: what may be recorded, and what the records mean.
//!
//! Every action is a command; `decide` checks it against the facts recorded so far and
//! answers with events (or a [`DomainError`]); `evolve` folds recorded events into state.
//! The events are protobuf messages of `proto/antt/v1/*_events.proto`: the long-term
//! contract stored in the log.
//!
//! # Layout
//! - [`area`]: administrative areas: register, rename, merge, split, re-parent, dissolve,
//!   population, key complex areas.
//! - [`team`]: forces (teams) and their members, from nomination to replacement.
//! - [`person`]: a person's own record, with personal data sealed at the edge.
//! - [`incident`]: security-and-order incidents, from report to resolution.
//! - [`tip`]: tips from the public.
//! - [`arrest`]: arrests of wanted persons.
//! - [`rating`]: the yearly safety rating of one unit, with corrections and pledges.
//! - [`inspection`]: inspection findings and the remedial actions answering them.
//! - [`target`]: yearly targets of a resolution and the values recorded against them.
//! - The facts the source reports are made of: [`document`] (directive documents),
//!   [`figure`] (reported figures and their corrections), [`award`] (awards),
//!   [`conference`] (conferences, training classes and their attendees), [`office`]
//!   (offices held, one tenure per record), [`composition`] (a province's team composition
//!   policies, cơ cấu); [`body`] is the issuing body they share.
//! - [`timeline`]: [`Timeline`], a record's events in valid time; how every command is
//!   decided and every view is read.
//! - [`any_event`]: [`AnyEvent`], any aggregate's event, for readers of the whole log.
//! - [`codec`]: events to and from `(event_type, schema_version, payload)`; upcasting.
//! - [`facts`]: [`Context`], [`Decision`], [`AreaFacts`] and shared checks.
//! - [`date`]: civil dates; [`error`]: [`DomainError`]; [`text`]: NFC text;
//!   [`limits`]: bounds.
//!
//! *Invariant:* this crate does no I/O, reads no clock and depends on neither sled, tokio
//! nor tonic. "Today" comes in as [`Context::recorded_date`]; facts about other
//! aggregates come in through the command (e.g. [`AreaFacts`]).
//!
//! *Invariant:* `evolve` is total: a recorded event is a fact, so it never fails or
//! panics, whatever the payload. `decide` is where rules are enforced.

// Tests may unwrap: a panic there is a failed test, with its message.
#![cfg_attr(test, allow(clippy::unwrap_used))]

/// Implements [`Aggregate`] for the marker type `$aggregate` from the items of the module
/// it is invoked in: its `Command`, `Event` and `State` types and its free functions
/// `decide`, `evolve`, `check` and `command_effective_date`, which the trait methods
/// forward to; `contradiction = f` names the module's own refusal for a command that
/// would break a later record (default: [`timeline::contradiction`]).
///
/// Every aggregate module keeps these as plain functions (called directly by tests and
/// documented there); this macro only spares the identical forwarding impl.
///
/// ```text
/// pub struct Area;
/// aggregate!(Area);
/// ```
macro_rules! aggregate {
    ($aggregate:ident) => {
        $crate::aggregate!($aggregate, contradiction = $crate::timeline::contradiction);
    };
    ($aggregate:ident, contradiction = $contradiction:path) => {
        impl $crate::Aggregate for $aggregate {
            type Command = Command;
            type Event = Event;
            type State = State;

            fn decide(
                state: &State,
                command: Command,
                ctx: &$crate::facts::Context,
            ) -> Result<Vec<Event>, $crate::error::DomainError> {
                decide(state, command, ctx)
            }

            fn evolve(state: State, event: &Event) -> State {
                evolve(state, event)
            }

            fn effective_date(command: &Command) -> $crate::date::Date {
                command_effective_date(command)
            }

            fn check(state: &State, event: &Event) -> Result<(), $crate::error::DomainError> {
                check(state, event)
            }

            fn contradiction(
                later: &[$crate::timeline::Entry<Event>],
                index: usize,
                rule: $crate::error::DomainError,
            ) -> $crate::error::DomainError {
                $contradiction(later, index, rule)
            }
        }
    };
}

pub(crate) use aggregate;

pub mod any_event;
pub mod area;
pub mod arrest;
pub mod award;
pub mod body;
pub mod codec;
pub mod composition;
pub mod conference;
pub mod date;
pub mod document;
pub mod error;
pub mod facts;
pub mod figure;
pub mod incident;
pub mod inspection;
pub mod limits;
pub mod office;
pub mod person;
pub mod rating;
pub mod target;
pub mod team;
pub mod text;
pub mod timeline;
pub mod tip;

#[cfg(test)]
mod testing;

pub use any_event::AnyEvent;
pub use codec::{DecodeError, DomainEvent, EncodedEvent};
pub use date::{Date, MonthDay, VietnameseDate};
pub use error::DomainError;
pub use facts::{AreaFacts, Context, Decision, TeamFacts};
pub use timeline::Timeline;

/// One kind of record with its own stream: its commands, events and state.
///
/// Each module implements it on a marker type (e.g. [`area::Area`]), so the API layer can
/// load, decide and append for any aggregate with the same code. Commands are decided
/// through a [`Timeline`], which calls `decide` with the state as of the command's date
/// and `check` for every event recorded for a later date.
pub trait Aggregate {
    type Command;
    type Event: DomainEvent;
    type State: Default;

    /// Checks `command` against `state`; the events to append, or why not.
    fn decide(state: &Self::State, command: Self::Command, ctx: &Context) -> Result<Vec<Self::Event>, DomainError>;

    /// The state after `event`. Total: never fails, never panics.
    fn evolve(state: Self::State, event: &Self::Event) -> Self::State;

    /// The date a command takes effect: the state it is judged against is as of then.
    fn effective_date(command: &Self::Command) -> Date;

    /// Whether an already recorded event still holds on `state`, the history before it
    /// with a newly decided event in: the rules of `decide` that depend on the record's
    /// state. Well-formedness was checked when it was recorded and is not checked again.
    fn check(state: &Self::State, event: &Self::Event) -> Result<(), DomainError>;

    /// The refusal for a command after which `later[index]` breaks `rule`.
    fn contradiction(later: &[timeline::Entry<Self::Event>], index: usize, rule: DomainError) -> DomainError;
}

/// The timeline of `events` recorded in this order (positions 0, 1, …).
pub fn timeline_of<'a, A: Aggregate>(events: impl IntoIterator<Item = &'a A::Event>) -> Timeline<A>
where
    A::Event: 'a + Clone,
{
    let mut timeline = Timeline::new();
    for (position, event) in (0u64..).zip(events) {
        timeline.push(position, event.clone());
    }
    timeline
}

/// The state after all `events` recorded in this order, in valid time.
pub fn replay<'a, A: Aggregate>(events: impl IntoIterator<Item = &'a A::Event>) -> A::State
where
    A::Event: 'a + Clone,
{
    timeline_of::<A>(events).state()
}
