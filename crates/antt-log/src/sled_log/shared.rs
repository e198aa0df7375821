//! State the writer thread publishes and the readers consume.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use tokio::sync::watch;

use crate::error::{Halt, StorageError};
use crate::sled_log::index::Index;

#[derive(Debug)]
pub(crate) struct Shared {
    /// Committed events only: the writer publishes a group after it is durable.
    index: RwLock<Index>,
    /// The first storage failure or panic of a writing thread. Once set, what reached the
    /// disk is unknown, so the log takes no more appends until it is reopened and checked.
    /// A watch, so that the server's health can follow it the moment it is set.
    halt: watch::Sender<Option<Halt>>,
}

impl Shared {
    pub fn new(index: Index) -> Self {
        Shared {
            index: RwLock::new(index),
            halt: watch::Sender::new(None),
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

    /// What an append refused because the log halted answers, if it has.
    pub fn failure(&self) -> Option<StorageError> {
        self.halt.borrow().as_ref().map(Halt::storage_error)
    }

    /// Records a storage failure; the first cause is kept.
    pub fn fail(&self, error: StorageError) {
        self.halt_with(Halt::Storage(error));
    }

    /// Records why the log halted; the first cause is kept.
    pub fn halt_with(&self, halt: Halt) {
        let message = halt.to_string();
        let first = self.halt.send_if_modified(|current| {
            if current.is_some() {
                return false;
            }
            *current = Some(halt);
            true
        });
        if first {
            tracing::error!(
                error = message,
                "the event log halted: every append is refused until it is reopened"
            );
        }
    }

    pub fn watch_halt(&self) -> watch::Receiver<Option<Halt>> {
        self.halt.subscribe()
    }
}
