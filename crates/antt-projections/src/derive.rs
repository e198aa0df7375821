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
    let mut state = A::State::default();
    // Rows holding on the last day walked: key → (from, value).
    let mut open: BTreeMap<Vec<u8>, (Date, Vec<u8>)> = BTreeMap::new();
    let mut closed = Vec::new();
    let mut today = Vec::new();
    let mut index = 0;
    while let Some(first) = entries.get(index) {
        let day = first.effective;
        while let Some(entry) = entries.get(index).filter(|entry| entry.effective == day) {
            state = A::evolve(state, &entry.event);
            index += 1;
        }
        today.clear();
        A::rows(&state, &mut today);
        let mut seen: BTreeMap<Vec<u8>, Vec<u8>> = today.drain(..).map(|row| (row.key, row.value)).collect();
        open.retain(|key, (from, value)| {
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
            open.insert(key, (day, value));
        }
    }
    closed.extend(open.into_iter().map(|(key, (from, value))| ValidRow {
        key,
        from,
        until: Date::MAX,
        value,
    }));
    closed.sort();
    closed
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
