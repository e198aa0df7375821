//! From a record's timeline to rows with valid-time intervals.
//!
//! Each kind of record says which rows its state stands for ([`Rows::rows`]): a team as
//! of a day is one team row in its area and one row per term begun or ended. Walking the
//! timeline day by day (every distinct effective date), a row that appears is *valid
//! from* that day, and it stays valid until the first later day whose state no longer
//! has it with the same value. So the rows of a record are a pure function of its
//! timeline, whatever order its events were recorded in; the engine keeps them in
//! system time by diffing what one event changes ([`crate::bitemporal`]).

use std::collections::BTreeMap;

use antt_domain::date::Date;
use antt_domain::timeline::{Entry, Timeline};
use antt_domain::Aggregate;

/// A row of a state: a unique key (it names its record) and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
}

/// A row over the days it holds: `from` inclusive, `until` exclusive
/// ([`Date::MAX`] while open).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ValidRow {
    pub key: Vec<u8>,
    pub from: Date,
    pub until: Date,
    pub value: Vec<u8>,
}

impl ValidRow {
    pub fn holds_on(&self, date: Date) -> bool {
        self.from <= date && date < self.until
    }
}

/// The rows a kind of record's state stands for on the day it is read as of.
pub trait Rows: Aggregate {
    /// Keys must be unique within one call, and must name the record, so that no two
    /// records ever write the same key.
    fn rows(state: &Self::State, out: &mut Vec<Row>);
}

/// Every row of a record's timeline over the days it holds, in key order then date.
pub fn derive<A: Rows>(timeline: &Timeline<A>) -> Vec<ValidRow>
where
    A::State: Clone,
{
    derive_entries::<A>(timeline.entries())
}

/// [`derive`] over entries already in valid-time order.
pub fn derive_entries<A: Rows>(entries: &[Entry<A::Event>]) -> Vec<ValidRow>
where
    A::State: Clone,
{
    Derivation::<A>::of(entries).rows()
}

/// Rows open on the last day walked: key → (from, value).
type Open = BTreeMap<Vec<u8>, (Date, Vec<u8>)>;

/// The walk of [`derive`] kept between events, so that an event taking effect on or after
/// the last day walked (the usual case: facts typed in in date order) costs one more day
/// instead of the whole walk again.
///
/// *Invariant:* after walking `entries` (all of them, in valid-time order, by [`of`] and
/// then [`extend`]), [`rows`] equals [`derive_entries`] of the same entries.
///
/// [`of`]: Derivation::of
/// [`extend`]: Derivation::extend
/// [`rows`]: Derivation::rows
pub struct Derivation<A: Rows> {
    /// The state after every entry walked.
    state: A::State,
    /// The last day walked.
    last_day: Option<Date>,
    /// Rows holding on the last day.
    open: Open,
    /// Rows that stopped holding, in the order they stopped.
    closed: Vec<ValidRow>,
    /// How many of `closed` stopped before the last day (the others stopped on it).
    closed_before_last_day: usize,
}

impl<A: Rows> Derivation<A> {
    /// The walk over `entries`, in valid-time order.
    pub fn of(entries: &[Entry<A::Event>]) -> Self {
        let mut derivation = Derivation {
            state: A::State::default(),
            last_day: None,
            open: BTreeMap::new(),
            closed: Vec::new(),
            closed_before_last_day: 0,
        };
        let mut index = 0;
        while let Some(first) = entries.get(index) {
            let day = first.effective;
            while let Some(entry) = entries.get(index).filter(|entry| entry.effective == day) {
                derivation.state = A::evolve(std::mem::take(&mut derivation.state), &entry.event);
                index += 1;
            }
            derivation.walk_new_day(day);
        }
        derivation
    }

    /// Whether [`Derivation::extend`] may take an entry effective on `effective`: on or
    /// after the last day walked. (It must also come after every entry walked in
    /// valid-time order, i.e. be recorded after those of its day.)
    pub fn extends_to(&self, effective: Date) -> bool {
        self.last_day.is_none_or(|last_day| effective >= last_day)
    }

    /// Walks one more entry, which comes after every entry walked so far in valid-time
    /// order ([`Derivation::extends_to`]); the rows that went and came, each in order, as
    /// [`diff`] of the rows before and after would name them.
    pub fn extend(&mut self, entry: &Entry<A::Event>) -> (Vec<ValidRow>, Vec<ValidRow>) {
        let same_day = self.last_day == Some(entry.effective);
        // Rows that stopped before the day walked again (or before the new day) are final:
        // only the rest can change, and none of them equals a final row (they stop later).
        let settled = if same_day {
            self.closed_before_last_day
        } else {
            self.closed.len()
        };
        let before = self.unsettled(settled);
        self.state = A::evolve(std::mem::take(&mut self.state), &entry.event);
        if same_day {
            self.unwalk_last_day();
            self.walk_day(entry.effective);
        } else {
            self.walk_new_day(entry.effective);
        }
        diff(&before, &self.unsettled(settled))
    }

    /// Every row of the entries walked over the days it holds, in key order then date.
    pub fn rows(&self) -> Vec<ValidRow> {
        let mut rows = self.unsettled(0);
        rows.sort();
        rows
    }

    /// The rows that stopped at or after `closed[settled]`, and the open ones, sorted.
    fn unsettled(&self, settled: usize) -> Vec<ValidRow> {
        let mut rows: Vec<ValidRow> = self.closed[settled..].to_vec();
        rows.extend(self.open.iter().map(|(key, (from, value))| ValidRow {
            key: key.clone(),
            from: *from,
            until: Date::MAX,
            value: value.clone(),
        }));
        rows.sort();
        rows
    }

    fn walk_new_day(&mut self, day: Date) {
        self.closed_before_last_day = self.closed.len();
        self.last_day = Some(day);
        self.walk_day(day);
    }

    /// The state (with every event of `day` in) read as of `day`: a row that appears
    /// is valid from it; one that changed or went stops on it.
    fn walk_day(&mut self, day: Date) {
        let mut today = Vec::new();
        A::rows(&self.state, &mut today);
        let mut seen: BTreeMap<Vec<u8>, Vec<u8>> = today.into_iter().map(|row| (row.key, row.value)).collect();
        let closed = &mut self.closed;
        self.open.retain(|key, (from, value)| {
            if seen.get(key) == Some(value) {
                seen.remove(key);
                true
            } else {
                closed.push(ValidRow {
                    key: key.clone(),
                    from: *from,
                    until: day,
                    value: std::mem::take(value),
                });
                false
            }
        });
        for (key, value) in seen {
            self.open.insert(key, (day, value));
        }
    }

    /// Back to the walk as it stood before the last day: the rows it opened go, the rows
    /// it stopped hold again.
    fn unwalk_last_day(&mut self) {
        let Some(last_day) = self.last_day else {
            return;
        };
        self.open.retain(|_, (from, _)| *from != last_day);
        for row in self.closed.drain(self.closed_before_last_day..) {
            self.open.insert(row.key, (row.from, row.value));
        }
    }
}

/// The rows of two derivations that differ: `(gone, new)`, each in order.
pub fn diff(before: &[ValidRow], after: &[ValidRow]) -> (Vec<ValidRow>, Vec<ValidRow>) {
    let mut gone = Vec::new();
    let mut new = Vec::new();
    let (mut left, mut right) = (before.iter().peekable(), after.iter().peekable());
    loop {
        match (left.peek(), right.peek()) {
            (Some(old), Some(now)) if old == now => {
                left.next();
                right.next();
            }
            (Some(old), Some(now)) if *old < *now => {
                gone.push((*old).clone());
                left.next();
            }
            (Some(_), Some(now)) => {
                new.push((*now).clone());
                right.next();
            }
            (Some(old), None) => {
                gone.push((*old).clone());
                left.next();
            }
            (None, Some(now)) => {
                new.push((*now).clone());
                right.next();
            }
            (None, None) => return (gone, new),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, from: (i32, u32, u32), until: Option<(i32, u32, u32)>, value: &str) -> ValidRow {
        let date = |(y, m, d)| Date::new(y, m, d).unwrap();
        ValidRow {
            key: key.as_bytes().to_vec(),
            from: date(from),
            until: until.map_or(Date::MAX, date),
            value: value.as_bytes().to_vec(),
        }
    }

    #[test]
    fn diff_names_what_went_and_what_came() {
        let before = vec![row("a", (2008, 1, 1), None, "x"), row("b", (2008, 1, 1), None, "y")];
        let after = vec![
            row("a", (2008, 1, 1), None, "x"),
            row("b", (2008, 1, 1), Some((2013, 1, 1)), "y"),
            row("b", (2013, 1, 1), None, "z"),
        ];
        let (gone, new) = diff(&before, &after);
        assert_eq!(gone, vec![row("b", (2008, 1, 1), None, "y")]);
        assert_eq!(new, after[1..].to_vec());
    }
}
