//! The one sequential scan behind both `open` and `verify`: it checks every record
//! against the log's invariants and rebuilds the in-memory indexes as it goes.

use antt_audit::merkle::{Frontier, Hash, NodeId};

use std::sync::mpsc;

use sled::IVec;

use crate::codec;
use crate::error::{Damage, StorageError};
use crate::sled_log::index::{Index, IndexedEvent};
use crate::sled_log::store;
use crate::sled_log::tree;

/// How often the scan reports progress, in records.
const PROGRESS_EVERY_EVENTS: u64 = 10_000;

/// Which part of the hash chain a scan checks. Everything else is checked in full.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ChainCheck {
    /// Every link from position 0: what an audit needs.
    Full,
    /// Only the links of the last this many records: what a start-up can afford.
    Tail(u64),
}

#[derive(Debug)]
pub(crate) enum ScanError {
    Storage(StorageError),
    Damaged(Damage),
}

/// What a full scan recomputed of the Merkle tree from the records themselves.
#[derive(Debug, Default)]
pub(crate) struct RecomputedTree {
    pub frontier: Frontier,
    /// Every node of a stored level, as recomputed, in log order.
    pub stored_level_nodes: Vec<(NodeId, Hash)>,
}

/// The indexes of a log found intact, and with [`ChainCheck::Full`] its recomputed tree.
pub(crate) struct Scanned {
    pub index: Index,
    pub tree: Option<RecomputedTree>,
}

/// Reads the whole tree in key order and returns the indexes of a log found intact, or
/// the first position that is not.
pub(crate) fn scan(
    tree: &sled::Tree,
    chain: ChainCheck,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Index, ScanError> {
    scan_recomputing(tree, chain, progress).map(|scanned| scanned.index)
}

/// [`scan`], also recomputing the Merkle tree from every record when the chain check is
/// full. A full scan hashes on a second thread: the chain links are independent given the
/// stored hashes, so the chain and the tree are checked beside the decoding, and the
/// earliest damage either side finds is the one reported.
pub(crate) fn scan_recomputing(
    tree: &sled::Tree,
    chain: ChainCheck,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Scanned, ScanError> {
    let total = stored_end(tree)?;
    let events = match chain {
        ChainCheck::Tail(events) => events,
        ChainCheck::Full => return scan_full(tree, total, progress),
    };
    let mut checker = Checker {
        index: Index::empty(),
        chain_from: total.saturating_sub(events),
    };
    scan_records(tree, &mut checker, total, progress, &mut |_| {})?;
    Ok(Scanned {
        index: checker.index,
        tree: None,
    })
}

fn scan_full(tree: &sled::Tree, total: u64, progress: &mut dyn FnMut(u64, u64)) -> Result<Scanned, ScanError> {
    std::thread::scope(|scope| {
        let (sender, batches) = mpsc::sync_channel::<Vec<IVec>>(HASH_QUEUE_BATCHES_MAX);
        let hashing = scope.spawn(move || hash_records(batches));
        // The chain is checked by the hashing thread.
        let mut checker = Checker {
            index: Index::empty(),
            chain_from: u64::MAX,
        };
        let mut batch = Vec::with_capacity(HASH_BATCH_RECORDS);
        let scanned = scan_records(tree, &mut checker, total, progress, &mut |record| {
            batch.push(record.clone());
            if batch.len() == HASH_BATCH_RECORDS {
                // A hashing thread that stopped at damage takes nothing more; that is fine.
                let _ = sender.send(std::mem::replace(&mut batch, Vec::with_capacity(HASH_BATCH_RECORDS)));
            }
        });
        let _ = sender.send(batch);
        drop(sender);
        let hashed = hashing.join().unwrap_or_else(|_| {
            Err(Damage {
                position: 0,
                reason: "the hashing thread of the scan stopped".into(),
            })
        });
        match (scanned, hashed) {
            (Err(ScanError::Storage(error)), _) => Err(ScanError::Storage(error)),
            (Err(ScanError::Damaged(first)), Err(second)) => {
                Err(ScanError::Damaged(if second.position < first.position {
                    second
                } else {
                    first
                }))
            }
            (Err(error), Ok(_)) => Err(error),
            (Ok(()), Err(damage)) => Err(ScanError::Damaged(damage)),
            (Ok(()), Ok(recomputed)) => Ok(Scanned {
                index: checker.index,
                tree: Some(recomputed),
            }),
        }
    })
}

/// Records a full scan hands to its hashing thread at once.
const HASH_BATCH_RECORDS: usize = 1024;
/// Batches that may wait for the hashing thread.
const HASH_QUEUE_BATCHES_MAX: usize = 4;

/// Checks every record in key order, then passes it to `checked`.
fn scan_records(
    tree: &sled::Tree,
    checker: &mut Checker,
    total: u64,
    progress: &mut dyn FnMut(u64, u64),
    checked: &mut dyn FnMut(&IVec),
) -> Result<(), ScanError> {
    for item in tree.iter() {
        let (key, record) = item.map_err(|error| ScanError::Storage(StorageError::new("scanning the log", error)))?;
        checker.check(&key, &record).map_err(ScanError::Damaged)?;
        checked(&record);
        let count = checker.index.head().next_position;
        if count.is_multiple_of(PROGRESS_EVERY_EVENTS) {
            progress(count, total);
        }
    }
    progress(checker.index.head().next_position, total);
    Ok(())
}

/// The hashing side of a full scan: every chain link from position 0, and the whole
/// Merkle tree, from the records as stored.
fn hash_records(batches: mpsc::Receiver<Vec<IVec>>) -> Result<RecomputedTree, Damage> {
    let mut previous = [0u8; codec::HASH_BYTES];
    let mut recomputed = RecomputedTree::default();
    let mut completed = Vec::new();
    for (position, record) in (0u64..).zip(batches.into_iter().flatten()) {
        codec::verify_link(&record, &previous).map_err(|error| Damage {
            position,
            reason: error.0,
        })?;
        previous.copy_from_slice(&record[record.len().saturating_sub(codec::HASH_BYTES)..]);
        completed.clear();
        recomputed.frontier.push(tree::leaf_of_record(&record), &mut completed);
        let stored = completed.iter().filter(|(id, _)| tree::is_stored_level(id.level));
        recomputed.stored_level_nodes.extend(stored);
    }
    Ok(recomputed)
}

/// One past the last stored key: how many records a dense log holds.
fn stored_end(tree: &sled::Tree) -> Result<u64, ScanError> {
    let last = tree
        .last()
        .map_err(|error| ScanError::Storage(StorageError::new("reading the last record", error)))?;
    // A malformed last key is reported by the scan itself; here it only shrinks the
    // tail window to the whole log, which checks more, never less.
    Ok(last
        .and_then(|(key, _)| store::position_of(&key))
        .map_or(0, |position| position.saturating_add(1)))
}

struct Checker {
    index: Index,
    chain_from: u64,
}

impl Checker {
    /// Checks that `record` under `key` continues the log checked so far, then indexes it.
    fn check(&mut self, key: &[u8], record: &[u8]) -> Result<(), Damage> {
        let position = self.index.head().next_position;
        let damage = |reason: String| Damage { position, reason };
        match store::position_of(key) {
            None => return Err(damage(format!("a key of {} bytes is not a position", key.len()))),
            Some(stored) if stored != position => {
                return Err(damage(format!(
                    "the record at this position is missing; the next stored position is {stored}"
                )))
            }
            Some(_) => {}
        }
        let event = codec::decode_record_view(record)
            .map_err(|error| damage(format!("the record does not decode: {error}")))?;
        if event.position != position {
            return Err(damage(format!("the record says it is at position {}", event.position)));
        }
        let expected_version = self
            .index
            .stream(event.stream_id)
            .map_or(0, |stream| stream.positions.len() as u64);
        if event.stream_version != expected_version {
            return Err(damage(format!(
                "stream {:?} continues at version {} where {expected_version} was expected",
                event.stream_id, event.stream_version
            )));
        }
        if event.recorded_at < self.index.last_recorded_at() {
            return Err(damage(format!(
                "recorded_at {} is before the previous event's {}",
                event.recorded_at.as_micros(),
                self.index.last_recorded_at().as_micros()
            )));
        }
        if let Some(earlier) = self.index.position_of_id(&event.event_id) {
            return Err(damage(format!(
                "event id {} is already used at position {earlier}",
                event.event_id
            )));
        }
        if position >= self.chain_from {
            codec::verify_link(record, &self.index.head().last_hash).map_err(|error| damage(error.0))?;
        }
        self.index.push(IndexedEvent {
            position,
            stream_id: event.stream_id,
            event_id: event.event_id,
            recorded_at: event.recorded_at,
            hash: event.hash,
        });
        Ok(())
    }
}
