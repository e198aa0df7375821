//! Writing a new store from records taken out of another one (a backup), keeping their
//! positions, ids, times and hashes.
//!
//! The ordinary append path restamps `recorded_at` and positions, so a restored log would
//! not reproduce its source's chain or tree. An import writes the stored records
//! (`canonical ‖ hash`) as they are, but never trusts them: each must decode, must claim
//! the next position, and must carry exactly the chain hash recomputed from the previous
//! one; the Merkle tree and its stored nodes are recomputed as the writer would have
//! written them. Stream versions, times and event ids are checked by the full [`verify`]
//! that a restore runs afterwards (the same scan as `antt admin verify`).
//!
//! Durability: nothing is synced per batch; [`Importer::finish`] flushes and fsyncs the
//! store, then writes and syncs the head anchor, so a store with an anchor is whole. A
//! restore writes into a directory of its own and moves it into place only once verified.
//!
//! [`verify`]: super::verify

use std::path::{Path, PathBuf};

use antt_audit::merkle::{Frontier, Hash};
use sled::Transactional;

use crate::codec::{self, HASH_BYTES};
use crate::error::{Damage, OpenError, StorageError};
use crate::sled_log::anchor::{Anchor, AnchoredHead};
use crate::sled_log::config::DEFAULT_CACHE_CAPACITY_BYTES;
use crate::sled_log::store;
use crate::sled_log::tree;

/// Why an import stopped. Whatever it wrote is then not a store to serve (no anchor).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The directory already holds a store: an import only ever writes a new one.
    #[error("{path} already holds a log store; an import writes a new store only")]
    NotEmpty { path: String },
    #[error(transparent)]
    Open(#[from] OpenError),
    #[error("writing the imported store at {path}: {source}")]
    Storage {
        path: String,
        #[source]
        source: StorageError,
    },
    /// A record is not the one that belongs at its place in the chain.
    #[error("record refused: {0}")]
    Refused(#[from] Damage),
}

/// A new store being filled with records in log order.
pub struct Importer {
    path: PathBuf,
    // Dropped after the trees: sled flushes on the last handle.
    trees: store::Trees,
    db: sled::Db,
    frontier: Frontier,
    last_hash: Hash,
}

impl Importer {
    /// Creates the store at `path` (the directory may exist but must hold no store).
    pub fn create(path: &Path) -> Result<Importer, ImportError> {
        if store::data_file_exists(path) || super::anchor::anchor_path(path).exists() {
            return Err(ImportError::NotEmpty {
                path: path.display().to_string(),
            });
        }
        let db = store::open_db(path, DEFAULT_CACHE_CAPACITY_BYTES)?;
        let trees = store::open_trees(&db, path)?;
        Ok(Importer {
            path: path.to_path_buf(),
            trees,
            db,
            frontier: Frontier::new(),
            last_hash: [0; HASH_BYTES],
        })
    }

    /// Events imported so far: the position the next record must claim.
    pub fn size(&self) -> u64 {
        self.frontier.size()
    }

    /// The chain hash of the last record imported (zeros before the first).
    pub fn last_hash(&self) -> Hash {
        self.last_hash
    }

    /// The Merkle root of what was imported so far.
    pub fn root(&self) -> Hash {
        self.frontier.root()
    }

    /// Checks `records` (each `canonical ‖ hash`, in log order, continuing the store) and
    /// writes them with the Merkle nodes they complete in one atomic batch.
    pub fn push(&mut self, records: &[Vec<u8>]) -> Result<(), ImportError> {
        let mut frontier = self.frontier.clone();
        let mut last_hash = self.last_hash;
        let mut events = sled::Batch::default();
        let mut completed = Vec::new();
        for record in records {
            let position = frontier.size();
            check_link(position, record, &last_hash)?;
            last_hash.copy_from_slice(&record[record.len() - HASH_BYTES..]);
            frontier.push(tree::leaf_of_record(record), &mut completed);
            events.insert(&store::key(position)[..], record.as_slice());
        }
        let mut nodes = sled::Batch::default();
        for (key, hash) in tree::stored_of(&completed) {
            nodes.insert(&key[..], &hash[..]);
        }
        (&self.trees.events, &self.trees.nodes)
            .transaction(|(event_tree, node_tree)| {
                event_tree.apply_batch(&events)?;
                node_tree.apply_batch(&nodes)?;
                Ok::<(), sled::transaction::ConflictableTransactionError<()>>(())
            })
            .map_err(|error| self.storage("writing imported events", TransactionFailure(format!("{error:?}"))))?;
        self.frontier = frontier;
        self.last_hash = last_hash;
        Ok(())
    }

    /// Stores a signed checkpoint note of tree size `size`, which must not exceed what
    /// was imported (the caller checks its signature and root).
    pub fn save_checkpoint(&self, size: u64, note: &str) -> Result<(), ImportError> {
        if size > self.size() {
            return Err(ImportError::Refused(Damage {
                position: self.size(),
                reason: format!("a checkpoint of {size} events, but only {} were imported", self.size()),
            }));
        }
        self.trees
            .checkpoints
            .insert(store::key(size), note.as_bytes())
            .map_err(|error| self.storage("writing an imported checkpoint", error))?;
        Ok(())
    }

    /// Makes the store durable (flush, fsync of sled's file and directory), then anchors
    /// its head, so the server opens it as it would its own. Returns the head anchored.
    pub fn finish(self) -> Result<AnchoredHead, ImportError> {
        self.db
            .flush()
            .map_err(|error| self.storage("flushing the imported store", error))?;
        store::open_data_file(&self.path)?
            .sync_all()
            .map_err(|error| self.storage("syncing the imported store", error))?;
        store::sync_store_files(&self.path)?;
        let head = AnchoredHead {
            size: self.frontier.size(),
            tree_root: self.frontier.root(),
            last_hash: self.last_hash,
        };
        let (mut anchor, _) = Anchor::open(&self.path).map_err(|error| OpenError::Anchor {
            path: self.path.display().to_string(),
            reason: error.to_string(),
        })?;
        anchor
            .write(&head, true)
            .map_err(|error| self.storage("writing the head anchor", error))?;
        Ok(head)
    }

    fn storage(&self, context: &'static str, error: impl std::error::Error + Send + Sync + 'static) -> ImportError {
        ImportError::Storage {
            path: self.path.display().to_string(),
            source: StorageError::new(context, error),
        }
    }
}

/// `record` must decode, claim `position`, and carry the chain hash of its canonical bytes
/// after `previous`.
fn check_link(position: u64, record: &[u8], previous: &Hash) -> Result<(), Damage> {
    let damage = |reason: String| Damage { position, reason };
    let event = store::decode_at(position, record).map_err(|error| match error {
        crate::error::ReadError::Corrupted { reason, .. } => damage(reason),
        other => damage(other.to_string()),
    })?;
    let canonical = &record[..record.len() - HASH_BYTES];
    if codec::chain_hash(previous, canonical) != event.hash {
        return Err(damage(
            "its hash is not SHA-256(previous hash ‖ its canonical bytes): the record or one before it was changed"
                .into(),
        ));
    }
    Ok(())
}

/// A failed sled transaction, as text: sled's error type is generic over the abort value.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct TransactionFailure(String);
