//! State the writer thread publishes and the readers consume.

use std::sync::{OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::error::StorageError;
use crate::sled_log::index::Index;

#[derive(Debug)]
pub(crate) struct Shared {
    /// Committed events only: the writer publishes a group after it is durable.
    index: RwLock<Index>,
    /// The first storage failure. Once set, what reached the disk is unknown, so the
    /// log takes no more appends until it is reopened and checked.
    failure: OnceLock<StorageError>,
}

impl Shared {
    pub fn new(index: Index) -> Self {
        Shared {
            index: RwLock::new(index),
            failure: OnceLock::new(),
        }
    }

    // Poisoning is ignored: the writer only publishes groups that are already on disk,
    // so even a publish cut short by a panic leaves readers with durable events only.
    pub fn index(&self) -> RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn index_mut(&self) -> RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn failure(&self) -> Option<StorageError> {
        self.failure.get().cloned()
    }

    /// Records a storage failure; the first one is kept, as it is the cause.
    pub fn fail(&self, error: StorageError) {
        let _ = self.failure.set(error);
    }
}
