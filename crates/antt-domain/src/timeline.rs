//! A record's history in valid time: the one way every rule, view and projection reads it.
//!
//! The log keeps a record's events in the order they were *recorded*; what was true on a
//! date depends on the order in which they took *effect*. A [`Timeline`] holds a record's
//! events ordered by effective date, then by log position (so two facts of the same day
//! keep the order in which they were recorded).
//!
//! - [`Timeline::state_as_of`]: the record as it stood at the end of a day.
//! - [`Timeline::decide`]: a command effective on `D` is decided against the state as of
//!   `D`, and then every event already recorded for a later date is judged again
//!   ([`Aggregate::check`]) against the history with the new events in. The command is
//!   refused if any of them would no longer hold, so every rule holds at *every* date,
//!   whatever the order in which the facts were typed in.
//!
//! Backdating is the normal case here (a district's 2008–2018 history is typed in years
//! later), so no rule may look at "the latest" recorded fact: only at the timeline.

use crate::codec::DomainEvent;
use crate::date::Date;
use crate::error::DomainError;
use crate::facts::Context;
use crate::Aggregate;

/// One event of a record with the two things that order it.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry<E> {
    pub effective: Date,
    /// The event's global log position; orders facts of the same day by recording.
    pub position: u64,
    pub event: E,
}

/// A record's events in valid-time order.
pub struct Timeline<A: Aggregate> {
    /// Sorted by (effective date, position).
    entries: Vec<Entry<A::Event>>,
}

impl<A: Aggregate> Default for Timeline<A> {
    fn default() -> Self {
        Timeline { entries: Vec::new() }
    }
}

impl<A: Aggregate> Clone for Timeline<A>
where
    A::Event: Clone,
{
    fn clone(&self) -> Self {
        Timeline {
            entries: self.entries.clone(),
        }
    }
}

impl<A: Aggregate> std::fmt::Debug for Timeline<A>
where
    A::Event: std::fmt::Debug,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Timeline").field("entries", &self.entries).finish()
    }
}

impl<A: Aggregate> Timeline<A> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a recorded event. Events are normally pushed in log order, so `position` is
    /// the largest yet and the event goes after every event of its day or earlier.
    pub fn push(&mut self, position: u64, event: A::Event) {
        let effective = event.effective_date();
        let at = self
            .entries
            .partition_point(|entry| (entry.effective, entry.position) <= (effective, position));
        self.entries.insert(
            at,
            Entry {
                effective,
                position,
                event,
            },
        );
    }

    /// The events, in valid-time order.
    pub fn entries(&self) -> &[Entry<A::Event>] {
        &self.entries
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The events that had taken effect by the end of `date`.
    pub fn as_of(&self, date: Date) -> &[Entry<A::Event>] {
        &self.entries[..self.split_after(date)]
    }

    /// The record as it stood at the end of `date`.
    pub fn state_as_of(&self, date: Date) -> A::State {
        fold::<A>(self.as_of(date))
    }

    /// The record with every recorded fact in, whatever its date.
    pub fn state(&self) -> A::State {
        fold::<A>(&self.entries)
    }

    /// Decides `command` against the state as of its effective date, then judges every
    /// event recorded for a later date again with the new events in. The new events, or
    /// why not: a later event that would break a rule names its date.
    pub fn decide(&self, command: A::Command, ctx: &Context) -> Result<Vec<A::Event>, DomainError> {
        let date = A::effective_date(&command);
        // A record's first event creates it. A command dated before that is judged
        // against the record as created, so that it is refused as "did not exist yet"
        // (or "already recorded") rather than as "not recorded".
        let split = self.split_after(date).max(usize::from(!self.entries.is_empty()));
        let mut state = fold::<A>(&self.entries[..split]);
        let decided = A::decide(&state, command, ctx)?;
        let later = &self.entries[split..];
        // New events take effect on `date` or later; they are merged in by date, after
        // the recorded events of the same day (they are recorded last), and each is
        // judged on its own date like the recorded ones.
        let mut pending = decided.iter().peekable();
        for (index, entry) in later.iter().enumerate() {
            while let Some(new) = pending.next_if(|new| new.effective_date() < entry.effective) {
                A::check(&state, new)?;
                state = A::evolve(state, new);
            }
            A::check(&state, &entry.event).map_err(|rule| A::contradiction(later, index, rule))?;
            state = A::evolve(state, &entry.event);
        }
        for new in pending {
            A::check(&state, new)?;
            state = A::evolve(state, new);
        }
        Ok(decided)
    }

    /// The index of the first event that takes effect after `date`.
    fn split_after(&self, date: Date) -> usize {
        self.entries.partition_point(|entry| entry.effective <= date)
    }
}

fn fold<A: Aggregate>(entries: &[Entry<A::Event>]) -> A::State {
    entries
        .iter()
        .fold(A::State::default(), |state, entry| A::evolve(state, &entry.event))
}

/// The refusal for a command that would make the already recorded `later[index]` break
/// `rule`: the generic form, naming the date from which the records disagree.
pub fn contradiction<E>(later: &[Entry<E>], index: usize, rule: DomainError) -> DomainError {
    match later.get(index) {
        Some(entry) => DomainError::ContradictsLaterRecord {
            on: entry.effective,
            rule: Box::new(rule),
        },
        None => rule,
    }
}
