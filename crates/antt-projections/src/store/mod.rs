//! Where projections keep their rows: one ordered key space behind a trait, so the
//! engine and the queries are written once (sled first; PostgreSQL with its log backend).
//!
//! Everything the engine writes for a run of events — rows and the position reached —
//! goes in one [`Store::apply`], which is atomic: after a crash the store holds the rows
//! of exactly the events before its stored position, so no event is applied twice or
//! skipped.

mod memory;
mod sled_store;

pub use memory::MemoryStore;
pub use sled_store::{SledStore, DEFAULT_CACHE_CAPACITY_BYTES};

use sha2::{Digest, Sha256};

/// A write of a batch: the value to put, or `None` to remove the key.
pub type Write = (Vec<u8>, Option<Vec<u8>>);

/// A stored key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("projection store: {0}")]
    Sled(#[from] sled::Error),
    #[error("the projection store's opening task failed: {0}")]
    OpenTask(#[from] tokio::task::JoinError),
}

/// An ordered map of bytes with atomic batches.
pub trait Store: Send + Sync + 'static {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Calls `visit` for every key in `[from, to)` in order (to the end when `to` is
    /// `None`) until it returns false.
    fn scan(
        &self,
        from: &[u8],
        to: Option<&[u8]>,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError>;

    /// The last key at or before `key`, with its value.
    fn last_at_or_before(&self, key: &[u8]) -> Result<Option<Entry>, StoreError>;

    /// Applies every write or none.
    fn apply(&self, writes: Vec<Write>) -> Result<(), StoreError>;

    /// Makes what was applied durable. Not needed for correctness (the store is
    /// rebuilt from the log), only to keep a restart from redoing work.
    fn flush(&self) -> Result<(), StoreError>;
}

/// SHA-256 over every key and value of `store`, in key order, each length-prefixed: equal
/// for two stores exactly when they hold the same entries (a rebuild against the store it
/// replaces, one backend against another).
pub fn digest(store: &impl Store) -> Result<[u8; 32], StoreError> {
    let mut hasher = Sha256::new();
    store.scan(&[], None, &mut |key, value| {
        for part in [key, value] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        true
    })?;
    Ok(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(entries: &[(&[u8], &[u8])]) -> MemoryStore {
        let store = MemoryStore::new();
        let writes = entries
            .iter()
            .map(|(key, value)| (key.to_vec(), Some(value.to_vec())))
            .collect();
        store.apply(writes).unwrap();
        store
    }

    #[test]
    fn digest_is_of_the_entries_whatever_the_backend_or_the_order_written() {
        let memory = store(&[(b"a", b"1"), (b"b", b"2")]);
        let reversed = store(&[(b"b", b"2"), (b"a", b"1")]);
        assert_eq!(digest(&memory).unwrap(), digest(&reversed).unwrap());
        let dir = tempfile::tempdir().unwrap();
        let sled = SledStore::open(dir.path(), DEFAULT_CACHE_CAPACITY_BYTES).unwrap();
        sled.apply(vec![
            (b"b".to_vec(), Some(b"2".to_vec())),
            (b"a".to_vec(), Some(b"1".to_vec())),
        ])
        .unwrap();
        assert_eq!(digest(&sled).unwrap(), digest(&memory).unwrap());
    }

    #[test]
    fn digest_tells_entries_apart() {
        let base = digest(&store(&[(b"a", b"1"), (b"b", b"2")])).unwrap();
        assert_ne!(base, digest(&store(&[(b"a", b"1")])).unwrap(), "an entry missing");
        assert_ne!(
            base,
            digest(&store(&[(b"a", b"1"), (b"b", b"3")])).unwrap(),
            "a value changed"
        );
        // Where a key ends and its value begins is part of the digest.
        assert_ne!(
            base,
            digest(&store(&[(b"a1", b""), (b"b", b"2")])).unwrap(),
            "a boundary moved"
        );
        assert_ne!(
            digest(&MemoryStore::new()).unwrap(),
            digest(&store(&[(b"", b"")])).unwrap(),
            "an empty entry"
        );
    }
}
