//! Keeping the verified prefix of a damaged store: an explicit operator decision.
//!
//! When a store lost or changed acknowledged events, the server refuses to start on it.
//! The first way back is a backup. The second, when there is none or it is older, is to
//! keep what still verifies: every event before the first bad position, with the hash
//! chain and the Merkle tree intact, and drop the rest. That discards acknowledged
//! history, so it is never automatic: `antt admin recover` runs it and then records the
//! decision in the log itself (the caller appends it; see [`RecoveryReport`]).
//!
//! The same path adopts a store written before the Merkle tree and the anchor existed:
//! nothing is dropped, the tree is built and the head anchored.

use std::path::Path;

use antt_audit::merkle::{Frontier, Hash};

use crate::codec::HASH_BYTES;
use crate::error::OpenError;
use crate::sled_log::anchor::{read_anchor, Anchor, AnchoredHead};
use crate::sled_log::config::DEFAULT_CACHE_CAPACITY_BYTES;
use crate::sled_log::scan::{scan, ChainCheck, ScanError};
use crate::sled_log::store;
use crate::sled_log::tree;
use crate::sled_log::verify::copy_store;

/// What a recovery found and did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryReport {
    /// What the anchor said was acknowledged before; `None` for a store without one.
    pub anchored_before: Option<AnchoredHead>,
    /// Events the store held when recovery opened it (after sled's own repair).
    pub stored_before: u64,
    /// Events kept: the verified prefix.
    pub kept: u64,
    /// Why the prefix ends there; `None` when everything stored verified.
    pub first_damage: Option<String>,
    /// The head anchored now.
    pub anchored_now: AnchoredHead,
}

impl RecoveryReport {
    /// Acknowledged events that are gone for good.
    pub fn acknowledged_lost(&self) -> u64 {
        self.anchored_before
            .map_or(0, |anchored| anchored.size.saturating_sub(self.kept))
    }
}

/// Finds the verified prefix of the store at `path` (on a copy), then cuts the store to
/// it, rebuilds its stored Merkle nodes and anchors its head. The store must not be open.
pub fn keep_verified_prefix(path: &Path) -> Result<RecoveryReport, OpenError> {
    let anchored_before = read_anchor(path).ok().flatten();
    let (stored_before, kept, first_damage) = verified_prefix(path)?;
    let db = store::open_db(path, DEFAULT_CACHE_CAPACITY_BYTES)?;
    let trees = store::open_trees(&db, path)?;
    let failed = |context: &'static str| move |error: sled::Error| store::open_error(path, context, error);
    for item in trees.events.range(store::key(kept)..) {
        let (key, _) = item.map_err(failed("reading the events to drop"))?;
        trees
            .events
            .remove(key)
            .map_err(failed("dropping an unverified event"))?;
    }
    trees.nodes.clear().map_err(failed("clearing the Merkle nodes"))?;
    let (frontier, last_hash) = rebuild_nodes(&trees, kept, path)?;
    db.flush().map_err(failed("flushing the recovered store"))?;
    store::open_data_file(path)?
        .sync_all()
        .map_err(|error| store::open_error(path, "syncing the recovered store", error))?;
    let anchored_now = AnchoredHead {
        size: kept,
        tree_root: frontier.root(),
        last_hash,
    };
    let (mut anchor, _) = Anchor::open_ignoring_damage(path).map_err(|error| OpenError::Anchor {
        path: path.display().to_string(),
        reason: error.to_string(),
    })?;
    anchor
        .write(&anchored_now, true)
        .map_err(|error| store::open_error(path, "writing the head anchor", error))?;
    Ok(RecoveryReport {
        anchored_before,
        stored_before,
        kept,
        first_damage,
        anchored_now,
    })
}

/// How many events the store holds, how many of them verify, and why the rest does not.
fn verified_prefix(path: &Path) -> Result<(u64, u64, Option<String>), OpenError> {
    let copy = copy_store(path)?;
    let db = store::open_db(copy.path(), DEFAULT_CACHE_CAPACITY_BYTES)?;
    let trees = store::open_trees(&db, copy.path())?;
    let stored = trees.events.len() as u64;
    match scan(&trees.events, ChainCheck::Full, &mut |_, _| {}) {
        Ok(index) => Ok((stored, index.head().next_position, None)),
        Err(ScanError::Damaged(damage)) => Ok((stored, damage.position, Some(damage.to_string()))),
        Err(ScanError::Storage(source)) => Err(OpenError::Storage {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Writes the stored-level nodes of the first `kept` events; returns the tree's right
/// edge and the last chain hash.
fn rebuild_nodes(trees: &store::Trees, kept: u64, path: &Path) -> Result<(Frontier, Hash), OpenError> {
    let mut frontier = Frontier::new();
    let mut completed = Vec::new();
    let mut last_hash = [0u8; 32];
    for item in trees.events.range(..store::key(kept)) {
        let (_, record) = item.map_err(|error| store::open_error(path, "reading the kept events", error))?;
        completed.clear();
        frontier.push(tree::leaf_of_record(&record), &mut completed);
        last_hash.copy_from_slice(&record[record.len().saturating_sub(HASH_BYTES)..]);
        for (key, hash) in tree::stored_of(&completed) {
            trees
                .nodes
                .insert(&key[..], &hash[..])
                .map_err(|error| store::open_error(path, "writing a Merkle node", error))?;
        }
    }
    Ok((frontier, last_hash))
}
