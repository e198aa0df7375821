//! The store on sled: one tree, one `sled::Batch` per apply (atomic across a crash).

use std::path::Path;
use std::sync::{RwLock, RwLockReadGuard};

use super::{Entry, Store, StoreError, Write};

pub struct SledStore {
    db: sled::Db,
    tree: sled::Tree,
    /// Held to write a batch, and by a query for all its scans: sled's iterators do not
    /// see a batch all or nothing, and a query that saw half of one could count a row
    /// twice (moved to history between two scans) or miss it.
    gate: RwLock<()>,
}

/// The page cache of a projection store unless told otherwise: the log's own default.
/// sled's default (1 GiB) let a soak's resident memory grow by twice as much (BENCHMARKS.md).
pub const DEFAULT_CACHE_CAPACITY_BYTES: u64 = antt_log::sled_log::DEFAULT_CACHE_CAPACITY_BYTES;

impl SledStore {
    /// Opens (or creates) the store in `dir` with a page cache of at most
    /// `cache_capacity_bytes`.
    pub fn open(dir: &Path, cache_capacity_bytes: u64) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(dir)
            .cache_capacity(cache_capacity_bytes)
            .open()?;
        let tree = db.open_tree("rows")?;
        Ok(SledStore {
            db,
            tree,
            gate: RwLock::new(()),
        })
    }

    /// Holds off the engine's writes while the guard lives: every read in between sees
    /// the store at one applied position. For queries, which are short; not for a
    /// stream a slow client drains.
    pub fn hold_writes(&self) -> RwLockReadGuard<'_, ()> {
        // The gate guards no data; a panic while it was held leaves nothing half done.
        self.gate.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Store for SledStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tree.get(key)?.map(|value| value.to_vec()))
    }

    fn scan(
        &self,
        from: &[u8],
        to: Option<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let range = match to {
            Some(to) => self.tree.range(from..to),
            None => self.tree.range(from..),
        };
        for entry in range {
            let (key, value) = entry?;
            if !visit(&key, &value) {
                break;
            }
        }
        Ok(())
    }

    fn last_at_or_before(&self, key: &[u8]) -> Result<Option<Entry>, StoreError> {
        match self.tree.range(..=key).next_back() {
            Some(entry) => {
                let (key, value) = entry?;
                Ok(Some((key.to_vec(), value.to_vec())))
            }
            None => Ok(None),
        }
    }

    fn apply(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        for (key, value) in writes {
            match value {
                Some(value) => batch.insert(key, value),
                None => batch.remove(key),
            }
        }
        let _writing = self.gate.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }
}
