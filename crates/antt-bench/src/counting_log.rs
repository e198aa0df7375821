//! An [`EventLog`] that counts what the server asks of the log: how many stream reads,
//! event-id lookups and appends a domain command costs, and how many appends lost a race
//! (a version conflict the server then retries). A few relaxed atomic increments per call
//! over `SledLog`; nothing else changes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use antt_audit::merkle::Hash;
use antt_log::{
    AppendError, AppendOutcome, AppendRequest, EventLog, ListStreamsRequest, LogHead, ReadAllPage, ReadAllRequest,
    ReadError, ReadStreamRequest, RecordedEvent, StorageError, StreamInfo, TreeHead, VerifiableLog,
};
use tokio::sync::watch;
use uuid::Uuid;

/// Running totals since the log was opened.
#[derive(Debug, Default)]
pub struct Counters {
    appends: AtomicU64,
    appended_events: AtomicU64,
    appended_payload_bytes: AtomicU64,
    appended_metadata_bytes: AtomicU64,
    version_conflicts: AtomicU64,
    read_streams: AtomicU64,
    read_stream_events: AtomicU64,
    event_by_ids: AtomicU64,
}

/// The counters at one instant; subtract two to get what happened in between.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CounterSnapshot {
    /// Successful appends.
    pub appends: u64,
    pub appended_events: u64,
    pub appended_payload_bytes: u64,
    /// Keys and values of the events' metadata.
    pub appended_metadata_bytes: u64,
    /// Appends refused because the stream moved since it was read.
    pub version_conflicts: u64,
    /// `read_stream` calls (one page each) and the events they returned.
    pub read_streams: u64,
    pub read_stream_events: u64,
    pub event_by_ids: u64,
}

impl Counters {
    pub fn snapshot(&self) -> CounterSnapshot {
        let get = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        CounterSnapshot {
            appends: get(&self.appends),
            appended_events: get(&self.appended_events),
            appended_payload_bytes: get(&self.appended_payload_bytes),
            appended_metadata_bytes: get(&self.appended_metadata_bytes),
            version_conflicts: get(&self.version_conflicts),
            read_streams: get(&self.read_streams),
            read_stream_events: get(&self.read_stream_events),
            event_by_ids: get(&self.event_by_ids),
        }
    }
}

impl CounterSnapshot {
    /// Two periods together.
    pub fn plus(&self, other: &CounterSnapshot) -> CounterSnapshot {
        CounterSnapshot {
            appends: self.appends + other.appends,
            appended_events: self.appended_events + other.appended_events,
            appended_payload_bytes: self.appended_payload_bytes + other.appended_payload_bytes,
            appended_metadata_bytes: self.appended_metadata_bytes + other.appended_metadata_bytes,
            version_conflicts: self.version_conflicts + other.version_conflicts,
            read_streams: self.read_streams + other.read_streams,
            read_stream_events: self.read_stream_events + other.read_stream_events,
            event_by_ids: self.event_by_ids + other.event_by_ids,
        }
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &CounterSnapshot) -> CounterSnapshot {
        CounterSnapshot {
            appends: self.appends - earlier.appends,
            appended_events: self.appended_events - earlier.appended_events,
            appended_payload_bytes: self.appended_payload_bytes - earlier.appended_payload_bytes,
            appended_metadata_bytes: self.appended_metadata_bytes - earlier.appended_metadata_bytes,
            version_conflicts: self.version_conflicts - earlier.version_conflicts,
            read_streams: self.read_streams - earlier.read_streams,
            read_stream_events: self.read_stream_events - earlier.read_stream_events,
            event_by_ids: self.event_by_ids - earlier.event_by_ids,
        }
    }
}

/// `inner`, counted.
pub struct CountingLog<L> {
    inner: L,
    counters: Arc<Counters>,
}

impl<L> CountingLog<L> {
    pub fn new(inner: L, counters: Arc<Counters>) -> Self {
        CountingLog { inner, counters }
    }
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl<L: EventLog> EventLog for CountingLog<L> {
    async fn append(&self, request: AppendRequest) -> Result<AppendOutcome, AppendError> {
        let events = request.events.len() as u64;
        let payload: usize = request.events.iter().map(|e| e.payload.len()).sum();
        let metadata: usize = request
            .events
            .iter()
            .flat_map(|e| e.metadata.iter())
            .map(|(key, value)| key.len() + value.len())
            .sum();
        let outcome = self.inner.append(request).await;
        let counters = &self.counters;
        match &outcome {
            Ok(_) => {
                add(&counters.appends, 1);
                add(&counters.appended_events, events);
                add(&counters.appended_payload_bytes, payload as u64);
                add(&counters.appended_metadata_bytes, metadata as u64);
            }
            Err(AppendError::VersionConflict { .. }) => add(&counters.version_conflicts, 1),
            Err(_) => {}
        }
        outcome
    }

    async fn read_stream(&self, request: ReadStreamRequest) -> Result<Vec<RecordedEvent>, ReadError> {
        let events = self.inner.read_stream(request).await;
        add(&self.counters.read_streams, 1);
        if let Ok(events) = &events {
            add(&self.counters.read_stream_events, events.len() as u64);
        }
        events
    }

    async fn read_all(&self, request: ReadAllRequest) -> Result<ReadAllPage, ReadError> {
        self.inner.read_all(request).await
    }

    async fn event_at(&self, position: u64) -> Result<Option<RecordedEvent>, ReadError> {
        self.inner.event_at(position).await
    }

    async fn event_by_id(&self, event_id: Uuid) -> Result<Option<RecordedEvent>, ReadError> {
        add(&self.counters.event_by_ids, 1);
        self.inner.event_by_id(event_id).await
    }

    async fn stream_info(&self, stream_id: &str) -> Result<Option<StreamInfo>, ReadError> {
        self.inner.stream_info(stream_id).await
    }

    async fn list_streams(&self, request: ListStreamsRequest) -> Result<Vec<StreamInfo>, ReadError> {
        self.inner.list_streams(request).await
    }

    fn head(&self) -> LogHead {
        self.inner.head()
    }

    fn watch_head(&self) -> watch::Receiver<u64> {
        self.inner.watch_head()
    }

    fn watch_halt(&self) -> watch::Receiver<Option<antt_log::Halt>> {
        self.inner.watch_halt()
    }

    async fn close(&self) -> Result<(), AppendError> {
        self.inner.close().await
    }
}

/// Proofs and checkpoints go straight through: the counters are about commands.
impl<L: VerifiableLog> VerifiableLog for CountingLog<L> {
    fn tree_head(&self) -> TreeHead {
        self.inner.tree_head()
    }

    async fn root_at(&self, size: u64) -> Result<Hash, ReadError> {
        self.inner.root_at(size).await
    }

    async fn inclusion_proof(&self, position: u64, tree_size: u64) -> Result<Vec<Hash>, ReadError> {
        self.inner.inclusion_proof(position, tree_size).await
    }

    async fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ReadError> {
        self.inner.consistency_proof(old_size, new_size).await
    }

    async fn save_checkpoint(&self, size: u64, note: String) -> Result<(), StorageError> {
        self.inner.save_checkpoint(size, note).await
    }

    async fn checkpoint_at(&self, size: u64) -> Result<Option<String>, ReadError> {
        self.inner.checkpoint_at(size).await
    }

    async fn latest_checkpoint(&self) -> Result<Option<(u64, String)>, ReadError> {
        self.inner.latest_checkpoint().await
    }

    async fn checkpoints_before(&self, size: u64, count_max: usize) -> Result<Vec<(u64, String)>, ReadError> {
        self.inner.checkpoints_before(size, count_max).await
    }
}
