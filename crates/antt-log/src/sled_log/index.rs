//! The in-memory indexes over the committed log, rebuilt by the scan at open.
//!
//! The same structure holds a group commit's additions until they are published.
//! Only positions, ids and times live here; everything else is read from sled. That keeps
//! about 40 bytes per event in memory (a position in its stream's list and an id entry).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use uuid::Uuid;

use crate::event::{LogHead, StreamInfo, Timestamp, TreeHead};

/// One stream: the global position of each version, in version order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StreamEntry {
    pub positions: Vec<u64>,
    pub first_recorded_at: Timestamp,
    pub last_recorded_at: Timestamp,
}

impl StreamEntry {
    fn starting_at(position: u64, recorded_at: Timestamp) -> Self {
        StreamEntry {
            positions: vec![position],
            first_recorded_at: recorded_at,
            last_recorded_at: recorded_at,
        }
    }

    fn push(&mut self, position: u64, recorded_at: Timestamp) {
        self.positions.push(position);
        self.last_recorded_at = recorded_at;
    }

    /// Version of the last event; `None` for a stream without events.
    pub fn last_version(&self) -> Option<u64> {
        (self.positions.len() as u64).checked_sub(1)
    }

    fn info(&self, stream_id: &str) -> Option<StreamInfo> {
        Some(StreamInfo {
            stream_id: stream_id.to_string(),
            version: self.last_version()?,
            first_position: *self.positions.first()?,
            last_position: *self.positions.last()?,
            first_recorded_at: self.first_recorded_at,
            last_recorded_at: self.last_recorded_at,
        })
    }
}

/// One event as the indexes see it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IndexedEvent<'a> {
    pub position: u64,
    pub stream_id: &'a str,
    pub event_id: Uuid,
    pub recorded_at: Timestamp,
    pub hash: [u8; 32],
}

/// Everything readers may see: committed events only.
#[derive(Debug)]
pub(crate) struct Index {
    streams: BTreeMap<String, StreamEntry>,
    ids: HashMap<Uuid, u64>,
    head: LogHead,
    last_recorded_at: Timestamp,
    /// Merkle tree root at `head.next_position` leaves (set when a group is published).
    tree_root: [u8; 32],
}

impl Index {
    pub fn empty() -> Self {
        Index::continuing(LogHead::EMPTY, Timestamp(i64::MIN))
    }

    /// An index of the events after `head`: what one group commit adds, kept aside until
    /// the group is durable.
    pub fn continuing(head: LogHead, last_recorded_at: Timestamp) -> Self {
        Index {
            streams: BTreeMap::new(),
            ids: HashMap::new(),
            head,
            last_recorded_at,
            tree_root: antt_audit::merkle::empty_root(),
        }
    }

    /// Whether no events were added.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn head(&self) -> LogHead {
        self.head
    }

    /// The Merkle tree's size and root over the committed events.
    pub fn tree_head(&self) -> TreeHead {
        TreeHead {
            size: self.head.next_position,
            root: self.tree_root,
        }
    }

    /// Sets the tree root of the events indexed so far (after the scan at open).
    pub fn set_tree_root(&mut self, root: [u8; 32]) {
        self.tree_root = root;
    }

    /// The latest `recorded_at` committed; `i64::MIN` for an empty log.
    pub fn last_recorded_at(&self) -> Timestamp {
        self.last_recorded_at
    }

    pub fn position_of_id(&self, event_id: &Uuid) -> Option<u64> {
        self.ids.get(event_id).copied()
    }

    pub fn stream(&self, stream_id: &str) -> Option<&StreamEntry> {
        self.streams.get(stream_id)
    }

    pub fn stream_info(&self, stream_id: &str) -> Option<StreamInfo> {
        self.streams.get(stream_id)?.info(stream_id)
    }

    /// Streams starting with `prefix`, after `after` (exclusive), in byte order of id.
    pub fn list_streams(&self, prefix: &str, after: Option<&str>, most: usize) -> Vec<StreamInfo> {
        let start = match after {
            Some(after) if after >= prefix => Bound::Excluded(after),
            _ => Bound::Included(prefix),
        };
        self.streams
            .range::<str, _>((start, Bound::Unbounded))
            .take_while(|(stream_id, _)| stream_id.starts_with(prefix))
            .filter_map(|(stream_id, entry)| entry.info(stream_id))
            .take(most)
            .collect()
    }

    /// Adds the next event of the log. The caller has checked that it continues the log.
    pub fn push(&mut self, event: IndexedEvent<'_>) {
        match self.streams.get_mut(event.stream_id) {
            Some(entry) => entry.push(event.position, event.recorded_at),
            None => {
                let entry = StreamEntry::starting_at(event.position, event.recorded_at);
                self.streams.insert(event.stream_id.to_string(), entry);
            }
        }
        self.ids.insert(event.event_id, event.position);
        self.head = LogHead {
            next_position: event.position + 1,
            last_hash: event.hash,
        };
        self.last_recorded_at = event.recorded_at;
    }

    /// Adds a committed group in one step, so readers see all of it or none of it.
    pub fn publish(&mut self, group: Index, tree_root: [u8; 32]) {
        self.ids.reserve(group.ids.len());
        self.ids.extend(group.ids);
        for (stream_id, added) in group.streams {
            match self.streams.get_mut(&stream_id) {
                Some(entry) => {
                    entry.positions.extend_from_slice(&added.positions);
                    entry.last_recorded_at = added.last_recorded_at;
                }
                None => {
                    self.streams.insert(stream_id, added);
                }
            }
        }
        self.head = group.head;
        self.last_recorded_at = group.last_recorded_at;
        self.tree_root = tree_root;
    }
}
