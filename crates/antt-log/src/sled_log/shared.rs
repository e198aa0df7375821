//! State the writer thread publishes and the readers consume.

use std::sync::{OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use tokio::sync::watch;

use crate::error::{Halt, StorageError};
use crate::sled_log::index::Index;

/// One durable group commit, as its observer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupCommitted {
    /// Events the group wrote.
    pub events: usize,
    /// Appends whose events it wrote.
    pub appends: usize,
    /// Bytes of the records it wrote.
    pub bytes: usize,
    /// The log's next position after it: the log's size in events.
    pub next_position: u64,
    /// From the start of the write to the end of its sync (the anchor not included).
    pub duration: Duration,
}

/// Told of every durable group commit, on the writer thread: it must be quick and must
/// not block (a metrics counter, not I/O). The log knows nothing of what it feeds.
pub type CommitObserver = Box<dyn Fn(&GroupCommitted) + Send + Sync>;

pub(crate) struct Shared {
    /// Committed events only: the writer publishes a group after it is durable.
    index: RwLock<Index>,
    /// The first storage failure or panic of a writing thread. Once set, what reached the
    /// disk is unknown, so the log takes no more appends until it is reopened and checked.
    /// A watch, so that the server's health can follow it the moment it is set.
    halt: watch::Sender<Option<Halt>>,
    /// Set at most once, by whoever serves the log.
    commit_observer: OnceLock<CommitObserver>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Shared")
            .field("index", &self.index)
            .field("halt", &*self.halt.borrow())
            .field("commit_observer", &self.commit_observer.get().is_some())
            .finish()
    }
}

impl Shared {
    pub fn new(index: Index) -> Self {
        Shared {
            index: RwLock::new(index),
            halt: watch::Sender::new(None),
            commit_observer: OnceLock::new(),
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

    /// Installs the observer; false if one was installed already (the first is kept).
    pub fn observe_commits(&self, observer: CommitObserver) -> bool {
        self.commit_observer.set(observer).is_ok()
    }

    pub fn committed(&self, commit: &GroupCommitted) {
        if let Some(observer) = self.commit_observer.get() {
            observer(commit);
        }
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
