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
pub use sled_store::SledStore;

/// A write of a batch: the value to put, or `None` to remove the key.
pub type Write = (Vec<u8>, Option<Vec<u8>>);

/// A stored key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("projection store: {0}")]
    Sled(#[from] sled::Error),
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
