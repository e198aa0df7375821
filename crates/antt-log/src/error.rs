//! Errors, one enum per operation family, so callers can react to what they can act on.

use std::sync::Arc;

use uuid::Uuid;

use crate::event::ExpectedVersion;

/// One thing wrong with a request, named by its field path (e.g. `events[2].event_type`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub description: String,
}

impl Violation {
    pub fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Violation {
            field: field.into(),
            description: description.into(),
        }
    }
}

fn list_violations(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A storage failure. Cheap to clone so that one failure can be reported to every
/// append of the group commit it broke.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{context}: {source}")]
pub struct StorageError {
    pub context: &'static str,
    #[source]
    pub source: Arc<dyn std::error::Error + Send + Sync>,
}

impl StorageError {
    pub fn new(context: &'static str, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        StorageError {
            context,
            source: Arc::new(source),
        }
    }
}

/// Why a log that is still open stopped taking appends. The first cause is kept; it holds
/// until the store is reopened (a restart), which checks what reached the disk.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Halt {
    /// Writing, flushing or syncing failed (a full disk, an I/O error): what reached the
    /// disk is unknown. Reads keep serving what was committed.
    #[error("{0}")]
    Storage(StorageError),
    /// A thread of the log that writes (the writer or the anchoring thread) panicked: a
    /// bug. Nothing more can be committed by this process; the store is intact up to the
    /// last acknowledged group, and a restart checks it at open.
    #[error("the log's {thread} thread panicked: {message}")]
    Panicked { thread: &'static str, message: String },
}

impl Halt {
    /// What every append refused because of this halt answers.
    pub fn storage_error(&self) -> StorageError {
        match self {
            Halt::Storage(error) => error.clone(),
            Halt::Panicked { .. } => StorageError::new("committing appends", self.clone()),
        }
    }
}

/// Why an append was refused. Nothing of a refused append is written.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// The request is malformed; nothing was looked up.
    #[error("invalid append: {}", list_violations(.0))]
    Invalid(Vec<Violation>),
    /// The expected version did not hold.
    #[error("stream {stream_id:?} was expected at {expected} but its last version is {}", match .actual { Some(v) => v.to_string(), None => "none (no events)".to_string() })]
    VersionConflict {
        stream_id: String,
        expected: ExpectedVersion,
        actual: Option<u64>,
    },
    /// An event id was already used for different content or another place.
    #[error("event id {event_id} is already stored at position {position} with different content or in another stream or batch")]
    EventIdReused { event_id: Uuid, position: u64 },
    /// Writing or flushing failed. The log refuses further appends until reopened,
    /// because what reached the disk is then unknown.
    #[error("storage failure, the log accepts no more appends until restarted: {0}")]
    Storage(StorageError),
    /// The append queue stayed full for the whole bounded wait
    /// (`limits::APPEND_QUEUE_WAIT_MILLIS_MAX`): the log is taking appends more slowly
    /// than they arrive. Nothing was queued; the client may retry later.
    #[error(
        "the append queue is full ({queued_events} events wait for the writer, at most {max_events}); retry later"
    )]
    QueueFull { queued_events: usize, max_events: usize },
    /// The log is shutting down or shut down.
    #[error("the log is closed")]
    Closed,
}

/// Why a read failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    #[error("invalid read: {}", list_violations(.0))]
    Invalid(Vec<Violation>),
    #[error("storage failure while reading: {0}")]
    Storage(StorageError),
    /// A stored record does not decode or its hash is wrong.
    #[error("log damaged at position {position}: {reason}")]
    Corrupted { position: u64, reason: String },
    #[error("the log is closed")]
    Closed,
}

/// Why the log would not open.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    #[error("cannot open the log store at {path}: {source}")]
    Storage {
        path: String,
        #[source]
        source: StorageError,
    },
    /// The store opened but its contents are damaged; the server must not start on it.
    #[error("log damaged at position {position}: {reason}; the server will not start on a damaged log. Run `antt admin verify --data {path}` for a full report, and restore the data directory from a backup")]
    Corrupted {
        path: String,
        position: u64,
        reason: String,
    },
    /// The store holds fewer events than its head anchor says were acknowledged: sled
    /// lost the tail (a damaged frame is cut off at recovery) or events were removed.
    #[error("the log store at {path} holds {stored} events but {acknowledged} were acknowledged: {} acknowledged events (positions {stored}..{acknowledged}) are missing; the server will not start on it. Restore the data directory from a backup, or keep the verified prefix with `antt admin recover --data {path} --reason …` (the decision is recorded in the log)", acknowledged - stored)]
    Truncated {
        path: String,
        stored: u64,
        acknowledged: u64,
    },
    /// The store disagrees with its head anchor about what was acknowledged.
    #[error("the log store at {path} does not match its head anchor: {reason}; the server will not start on it. Run `antt admin verify --data {path}` for the first bad position, and restore the data directory from a backup or keep the verified prefix with `antt admin recover --data {path} --reason …`")]
    Rewritten { path: String, reason: String },
    /// The head anchor is missing (on a store that holds events) or unreadable.
    #[error("the head anchor of the log store at {path} is unusable: {reason}. A store written before anchoring is adopted with `antt admin recover --data {path} --reason …`, which verifies it first")]
    Anchor { path: String, reason: String },
}

/// The first problem a full verification found.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("first bad position {position}: {reason}")]
pub struct Damage {
    pub position: u64,
    pub reason: String,
}
