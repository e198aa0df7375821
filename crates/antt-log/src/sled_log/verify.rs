//! Full verification of a stored log: every record, every invariant, the whole hash
//! chain, the Merkle tree recomputed from the records, and the head anchor.
//!
//! It never changes the store it checks: sled repairs (cuts) a damaged log when it opens
//! one, so verification opens a copy of the store's files, made beside it, and reads the
//! anchor of the original. A store sled cuts short is then reported as such instead of
//! being repaired out of sight.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use antt_audit::merkle::{self, Hash};

use crate::error::{Damage, OpenError, ReadError};
use crate::sled_log::anchor::{read_anchor, AnchoredHead};
use crate::sled_log::config::DEFAULT_CACHE_CAPACITY_BYTES;
use crate::sled_log::scan::{scan_recomputing, ChainCheck, RecomputedTree, ScanError};
use crate::sled_log::store;
use crate::sled_log::tree::{self, StoredTree};

/// What a verification that found nothing wrong checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    pub events_checked: u64,
    /// Hash of the last event; zeros for an empty log.
    pub last_hash: [u8; 32],
    /// The Merkle tree root over all events, recomputed from the records.
    pub tree_root: Hash,
    /// What the head anchor says was acknowledged; `None` for a store without one
    /// (written before anchoring, or never opened by the server).
    pub anchored: Option<AnchoredHead>,
    /// The root at each size asked for, so saved checkpoints can be compared with it.
    pub roots_at: Vec<(u64, Hash)>,
    /// How long copying the store's files took, of the whole verification.
    pub copy_duration: std::time::Duration,
}

/// Why verification did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The store could not be opened or read; nothing is known about its contents.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The log is damaged; this is the first bad position.
    #[error("the log is damaged: {0}")]
    Damaged(#[from] Damage),
}

/// Checks the log at `path` from position 0 to its end, without changing it:
/// positions, stream versions, times, event ids, the full hash chain, every stored Merkle
/// node against the records, and the head anchor. Also computes the root at each size
/// in `roots_at` (sizes beyond the log are damage: a checkpoint was signed for events
/// that are not there). Calls `progress(checked, total)` every 10 000 events and at the
/// end. The store must not be open elsewhere (sled locks it).
pub fn verify(path: &Path, roots_at: &[u64], progress: &mut dyn FnMut(u64, u64)) -> Result<VerifyReport, VerifyError> {
    if !store::data_file_exists(path) {
        let missing = io::Error::new(io::ErrorKind::NotFound, "no log store (sled data file `db`) here");
        return Err(store::open_error(path, "finding the log store", missing).into());
    }
    let anchored = read_anchor(path).map_err(|error| OpenError::Anchor {
        path: path.display().to_string(),
        reason: error.to_string(),
    })?;
    let copy_started = std::time::Instant::now();
    let copy = copy_store(path)?;
    let copy_duration = copy_started.elapsed();
    let db = store::open_db(copy.path(), DEFAULT_CACHE_CAPACITY_BYTES)?;
    let trees = store::open_trees(&db, copy.path())?;
    let scanned = scan_recomputing(&trees.events, ChainCheck::Full, progress).map_err(|error| match error {
        ScanError::Damaged(damage) => VerifyError::Damaged(damage),
        ScanError::Storage(source) => VerifyError::Open(OpenError::Storage {
            path: path.display().to_string(),
            source,
        }),
    })?;
    let head = scanned.index.head();
    let mut recomputed = scanned.tree.unwrap_or_default();
    let stored = StoredTree {
        events: &trees.events,
        nodes: &trees.nodes,
    };
    // Acknowledged events missing come first: their stored nodes then stand for events the
    // log no longer holds, a consequence, not the damage to name.
    if let Some(anchored) = anchored {
        check_none_missing(&anchored, head.next_position)?;
    }
    check_stored_nodes(&trees.nodes, &mut recomputed)?;
    let tree_root = recomputed.frontier.root();
    if let Some(anchored) = anchored {
        check_anchor(&stored, &anchored, head.next_position, tree_root)?;
    }
    let roots_at = roots_at
        .iter()
        .map(|size| Ok((*size, root_of_prefix(&stored, *size, head.next_position)?)))
        .collect::<Result<_, Damage>>()?;
    Ok(VerifyReport {
        events_checked: head.next_position,
        last_hash: head.last_hash,
        tree_root,
        anchored,
        roots_at,
        copy_duration,
    })
}

/// The stored nodes must be exactly those recomputed from the records: each one equal,
/// none missing, none for events that are not there. One ordered scan of the nodes'
/// tree, against the recomputed nodes sorted into its key order (level, then index).
fn check_stored_nodes(nodes: &sled::Tree, recomputed: &mut RecomputedTree) -> Result<(), Damage> {
    let expected = &mut recomputed.stored_level_nodes;
    expected.sort_unstable_by_key(|(id, _)| *id);
    let mut expected = expected.iter().peekable();
    for item in nodes.iter() {
        let (key, stored) = item.map_err(|error| Damage {
            position: expected.peek().map_or(0, |(id, _)| id.first_leaf()),
            reason: format!("the stored Merkle nodes cannot be read: {error}"),
        })?;
        let Some(id) = tree::node_of_key(&key) else {
            return Err(Damage {
                position: expected.peek().map_or(0, |(id, _)| id.first_leaf()),
                reason: format!("the Merkle tree holds a key of {} bytes that names no node", key.len()),
            });
        };
        // A recomputed node ordered before this stored one was never stored.
        if let Some((missing, _)) = expected.next_if(|(next, _)| *next < id) {
            return Err(Damage {
                position: missing.first_leaf(),
                reason: tree::mismatch_reason(*missing),
            });
        }
        match expected.next_if(|(next, _)| *next == id) {
            Some((_, hash)) if stored.as_ref() == &hash[..] => {}
            Some(_) => {
                return Err(Damage {
                    position: id.first_leaf(),
                    reason: tree::mismatch_reason(id),
                })
            }
            None => {
                return Err(Damage {
                    position: id.first_leaf(),
                    reason: format!(
                        "a Merkle node is stored for positions {}..{}, which the log does not hold",
                        id.first_leaf(),
                        id.end_leaf()
                    ),
                })
            }
        }
    }
    match expected.next() {
        Some((missing, _)) => Err(Damage {
            position: missing.first_leaf(),
            reason: tree::mismatch_reason(*missing),
        }),
        None => Ok(()),
    }
}

/// The store must hold every event the head anchor says was acknowledged.
fn check_none_missing(anchored: &AnchoredHead, size: u64) -> Result<(), Damage> {
    if anchored.size > size {
        return Err(Damage {
            position: size,
            reason: format!(
                "the store holds {size} events but its head anchor says {} were acknowledged: positions {size}..{} are missing",
                anchored.size, anchored.size
            ),
        });
    }
    Ok(())
}

fn check_anchor(stored: &StoredTree<'_>, anchored: &AnchoredHead, size: u64, tree_root: Hash) -> Result<(), Damage> {
    check_none_missing(anchored, size)?;
    let root = if anchored.size == size {
        tree_root
    } else {
        root_of_prefix(stored, anchored.size, size)?
    };
    if root != anchored.tree_root {
        return Err(Damage {
            position: anchored.size.saturating_sub(1),
            reason: format!(
                "the Merkle root of the first {} events is not the one anchored when they were acknowledged",
                anchored.size
            ),
        });
    }
    Ok(())
}

fn root_of_prefix(stored: &StoredTree<'_>, prefix: u64, size: u64) -> Result<Hash, Damage> {
    if prefix > size {
        return Err(Damage {
            position: size,
            reason: format!("a tree of {prefix} events was asked for, but the store holds {size}"),
        });
    }
    merkle::root_at(stored, prefix).map_err(|error| match error {
        merkle::ProofError::Read(ReadError::Corrupted { position, reason }) => Damage { position, reason },
        other => Damage {
            position: prefix,
            reason: format!("the tree of {prefix} events cannot be computed: {other}"),
        },
    })
}

/// A copy of the store's files in a new directory beside it (or in the system's
/// temporary directory when its parent is not writable), removed when dropped.
pub(crate) fn copy_store(path: &Path) -> Result<tempfile::TempDir, OpenError> {
    let beside = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .map(Path::to_path_buf);
    let copy = beside
        .and_then(|parent| tempfile::Builder::new().prefix(".antt-verify-").tempdir_in(parent).ok())
        .map_or_else(|| tempfile::Builder::new().prefix("antt-verify-").tempdir(), Ok)
        .map_err(|error| store::open_error(path, "making a directory for the copy to verify", error))?;
    copy_dir(path, copy.path()).map_err(|error| store::open_error(path, "copying the store to verify it", error))?;
    Ok(copy)
}

/// sled 0.34.7's own files in its directory: only these are copied (the data directory
/// may hold other things, such as a personal-data key store, that must not be copied).
fn is_sled_file(name: &str) -> bool {
    matches!(name, "db" | "conf" | "blobs") || name.starts_with("snap.")
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        if !entry.file_name().to_str().is_some_and(is_sled_file) && from.join("db").is_file() {
            continue;
        }
        let target: PathBuf = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            fs::create_dir_all(&target)?;
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
