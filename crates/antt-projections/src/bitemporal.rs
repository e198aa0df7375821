//! Rows in two times: valid time (the days a row holds) and system time (the log
//! positions between which the records said so).
//!
//! Layout of the one key space ([`Store`]):
//! - `C ‖ row key ‖ from` → `until ‖ recorded_from ‖ value`: what the records say now.
//! - `H ‖ row key ‖ from ‖ recorded_from` → `until ‖ recorded_to ‖ value`: what they
//!   said before and no longer say.
//! - `T ‖ recorded_at` → the position after the last event recorded at that instant:
//!   how a moment (`known_at`) becomes a position.
//! - `M ‖ name` → the projections' format version and the position applied.
//!
//! A row version made by the event at position `p` and withdrawn by the event at `q`
//! is what the records said to a reader who knew the events before `K` when
//! `p < K ≤ q`. A query for "now" reads only `C`; one for the past reads `H` as well,
//! and never more than the versions of the keys it asks about.

use std::collections::BTreeMap;

use antt_domain::Date;

use crate::derive::ValidRow;
use crate::key::{decode_date, encode_date, prefix_end, sortable_i64};
use crate::store::{Store, StoreError, Write};

/// A stored row version a snapshot sees, borrowed from the store.
struct Seen<'v> {
    row_key: &'v [u8],
    from: Date,
    until: Date,
    value: &'v [u8],
}

const CURRENT: u8 = b'C';
const HISTORY: u8 = b'H';
const TIMES: u8 = b'T';
const META: u8 = b'M';
const APPLIED: &[u8] = b"applied";
const VERSION: &[u8] = b"version";

/// The layout and meaning of what the engine writes. A store of another version is
/// rebuilt beside it, never read. 2: rating rows carry the pledges signed.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store contradicts itself: damage, or a bug of the engine.
    #[error("projection store is inconsistent: {0}")]
    Inconsistent(String),
}

fn stored_key(tag: u8, row_key: &[u8], from: Date) -> Vec<u8> {
    let mut key = Vec::with_capacity(row_key.len() + 5);
    key.push(tag);
    key.extend_from_slice(row_key);
    key.extend_from_slice(&encode_date(from));
    key
}

fn meta_key(name: &[u8]) -> Vec<u8> {
    [&[META], name].concat()
}

fn time_key(recorded_at_micros: i64) -> Vec<u8> {
    let mut key = vec![TIMES];
    key.extend_from_slice(&sortable_i64(recorded_at_micros).to_be_bytes());
    key
}

fn split_u64(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*head), rest))
}

fn split_date(bytes: &[u8]) -> Option<(Date, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    Some((decode_date(*head), rest))
}

/// The position applied so far (every event before it) and the store's format version.
pub fn read_meta(store: &impl Store) -> Result<(u64, Option<u32>), LayoutError> {
    let applied = match store.get(&meta_key(APPLIED))? {
        Some(bytes) => split_u64(&bytes)
            .map(|(value, _)| value)
            .ok_or_else(|| bad("applied position"))?,
        None => 0,
    };
    let version = match store.get(&meta_key(VERSION))? {
        Some(bytes) => {
            let array: [u8; 4] = bytes.as_slice().try_into().map_err(|_| bad("format version"))?;
            Some(u32::from_be_bytes(array))
        }
        None => None,
    };
    Ok((applied, version))
}

fn bad(what: &str) -> LayoutError {
    LayoutError::Inconsistent(format!("unreadable {what}"))
}

/// The writes of one run of events, read back before they are applied.
pub struct Pending<'s, S: Store> {
    store: &'s S,
    writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'s, S: Store> Pending<'s, S> {
    pub fn new(store: &'s S) -> Self {
        Pending {
            store,
            writes: BTreeMap::new(),
        }
    }

    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match self.writes.get(key) {
            Some(value) => Ok(value.clone()),
            None => self.store.get(key),
        }
    }

    /// The event at `position` makes the records say `row`.
    pub fn open(&mut self, row: &ValidRow, position: u64) {
        let mut value = Vec::with_capacity(row.value.len() + 12);
        value.extend_from_slice(&encode_date(row.until));
        value.extend_from_slice(&position.to_be_bytes());
        value.extend_from_slice(&row.value);
        self.writes.insert(stored_key(CURRENT, &row.key, row.from), Some(value));
    }

    /// The event at `position` withdraws `row`: it moves to the history with the
    /// positions between which it was said.
    pub fn close(&mut self, row: &ValidRow, position: u64) -> Result<(), LayoutError> {
        let current = stored_key(CURRENT, &row.key, row.from);
        let stored = self
            .get(&current)?
            .ok_or_else(|| LayoutError::Inconsistent("a withdrawn row was never stored".into()))?;
        let recorded_from = stored
            .get(4..12)
            .and_then(split_u64)
            .map(|(value, _)| value)
            .ok_or_else(|| bad("row version"))?;
        let mut key = stored_key(HISTORY, &row.key, row.from);
        key.extend_from_slice(&recorded_from.to_be_bytes());
        let mut value = Vec::with_capacity(row.value.len() + 12);
        value.extend_from_slice(&encode_date(row.until));
        value.extend_from_slice(&position.to_be_bytes());
        value.extend_from_slice(&row.value);
        self.writes.insert(current, None);
        self.writes.insert(key, Some(value));
        Ok(())
    }

    /// Events before `next_position` were recorded at or before `recorded_at`.
    pub fn mark_time(&mut self, recorded_at_micros: i64, next_position: u64) {
        self.writes
            .insert(time_key(recorded_at_micros), Some(next_position.to_be_bytes().to_vec()));
    }

    /// Every write, with the position reached and the format version.
    pub fn finish(mut self, applied: u64) -> Vec<Write> {
        self.writes
            .insert(meta_key(APPLIED), Some(applied.to_be_bytes().to_vec()));
        self.writes
            .insert(meta_key(VERSION), Some(FORMAT_VERSION.to_be_bytes().to_vec()));
        self.writes.into_iter().collect()
    }
}

/// The position a reader at `recorded_at` knew: the events before it.
pub fn known_position(store: &impl Store, recorded_at_micros: i64) -> Result<u64, LayoutError> {
    let Some((key, value)) = store.last_at_or_before(&time_key(recorded_at_micros))? else {
        return Ok(0);
    };
    if key.first() != Some(&TIMES) {
        return Ok(0);
    }
    split_u64(&value)
        .map(|(position, _)| position)
        .ok_or_else(|| bad("time mark"))
}

/// Reads rows as they held on `as_of`, as the records stood for a reader who knew the
/// events before `known`.
#[derive(Clone, Copy)]
pub struct Snapshot<'s, S: Store> {
    store: &'s S,
    as_of: Date,
    known: u64,
    /// Whether `known` covers everything applied, so no withdrawn version can show.
    is_latest: bool,
}

impl<'s, S: Store> Snapshot<'s, S> {
    pub fn new(store: &'s S, as_of: Date, known: u64, applied: u64) -> Self {
        Snapshot {
            store,
            as_of,
            known,
            is_latest: known >= applied,
        }
    }

    pub fn as_of(&self) -> Date {
        self.as_of
    }

    /// The same records, read as of another day.
    pub fn on(&self, as_of: Date) -> Snapshot<'s, S> {
        Snapshot { as_of, ..*self }
    }

    /// Every row whose key starts with `prefix`, in key order, as `(row key, value)`.
    pub fn rows(&self, prefix: &[u8], visit: &mut dyn FnMut(&[u8], &[u8])) -> Result<(), LayoutError> {
        let end = prefix_end(prefix);
        self.range(prefix, end.as_deref(), visit)
    }

    /// Every row with a key in `[from, to)`, in key order.
    ///
    /// A snapshot of the past sees current versions and versions withdrawn since; which
    /// of the two a row is depends on events after `known`, so the two are merged by key
    /// for the order, like the rows, to depend only on the events before it. A snapshot
    /// sees at most one version of a row key (one derivation, whose intervals of one key
    /// do not overlap), and row keys are prefix-free, so row-key order is stored order.
    pub fn range(
        &self,
        from: &[u8],
        to: Option<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<(), LayoutError> {
        if self.is_latest {
            return self.scan_tag(CURRENT, from, to, false, &mut |seen| visit(seen.row_key, seen.value));
        }
        let mut withdrawn: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        self.scan_tag(HISTORY, from, to, false, &mut |seen| {
            withdrawn.push((seen.row_key.to_vec(), seen.value.to_vec()));
        })?;
        let mut withdrawn = withdrawn.into_iter().peekable();
        self.scan_tag(CURRENT, from, to, false, &mut |seen| {
            while let Some((earlier, payload)) = withdrawn.next_if(|(earlier, _)| earlier.as_slice() < seen.row_key) {
                visit(&earlier, &payload);
            }
            visit(seen.row_key, seen.value);
        })?;
        for (key, value) in withdrawn {
            visit(&key, &value);
        }
        Ok(())
    }

    /// The tags to read: withdrawn versions only for a reader of the past.
    fn tags(&self) -> &'static [u8] {
        if self.is_latest {
            &[CURRENT]
        } else {
            &[CURRENT, HISTORY]
        }
    }

    /// Every valid interval of the rows under `prefix`, whatever day they hold, as the
    /// records stood: `(from, until, value)` in order of `from`. A record's history.
    pub fn intervals(&self, prefix: &[u8]) -> Result<Vec<(Date, Date, Vec<u8>)>, LayoutError> {
        let mut found = Vec::new();
        let end = prefix_end(prefix);
        for &tag in self.tags() {
            self.scan_tag(tag, prefix, end.as_deref(), true, &mut |seen| {
                found.push((seen.from, seen.until, seen.value.to_vec()));
            })?;
        }
        found.sort_by_key(|(from, _, _)| *from);
        Ok(found)
    }

    /// Every version under `[from, to)` of one tag that the snapshot sees (on any day,
    /// with `any_day`).
    fn scan_tag(
        &self,
        tag: u8,
        from: &[u8],
        to: Option<&[u8]>,
        any_day: bool,
        visit: &mut dyn FnMut(&Seen<'_>),
    ) -> Result<(), LayoutError> {
        let suffix = if tag == HISTORY { 12 } else { 4 };
        let start = [&[tag], from].concat();
        let end = match to {
            Some(to) => [&[tag], to].concat(),
            None => vec![tag + 1],
        };
        let mut damage = None;
        self.store.scan(&start, Some(&end), &mut |key, value| {
            match self.visible(tag, key, value, suffix, any_day) {
                Ok(Some(seen)) => visit(&seen),
                Ok(None) => {}
                Err(error) => {
                    damage = Some(error);
                    return false;
                }
            }
            true
        })?;
        damage.map_or(Ok(()), Err)
    }

    /// A stored version, if the snapshot sees it (on any day, with `any_day`).
    fn visible<'v>(
        &self,
        tag: u8,
        key: &'v [u8],
        value: &'v [u8],
        suffix: usize,
        any_day: bool,
    ) -> Result<Option<Seen<'v>>, LayoutError> {
        let row_key_end = key
            .len()
            .checked_sub(suffix)
            .filter(|end| *end >= 1)
            .ok_or_else(|| bad("row key"))?;
        let (from, recorded_from) = {
            let (from, rest) = split_date(&key[row_key_end..]).ok_or_else(|| bad("row key"))?;
            (
                from,
                if tag == HISTORY {
                    split_u64(rest).map(|(value, _)| value)
                } else {
                    None
                },
            )
        };
        let (until, rest) = split_date(value).ok_or_else(|| bad("row version"))?;
        let (position, payload) = split_u64(rest).ok_or_else(|| bad("row version"))?;
        let holds = any_day || (from <= self.as_of && self.as_of < until);
        let said = match recorded_from {
            // History: `position` is the event that withdrew it.
            Some(recorded_from) => recorded_from < self.known && self.known <= position,
            // Current: `position` is the event that made it.
            None => position < self.known,
        };
        Ok((holds && said).then_some(Seen {
            row_key: &key[1..row_key_end],
            from,
            until,
            value: payload,
        }))
    }
}
